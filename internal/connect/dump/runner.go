package dump

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Runner is one running dump task: a consumer group member that buffers records per partition and
// stores them as objects.
//
// Stop semantics: Stop drops what is buffered and not yet stored, without committing it, and leaves
// the group; the next Start re-reads it from the committed offset. Stopping thus behaves exactly like
// a crash (one recovery path), is quick even when the object storage hangs, and never writes a partial
// interval's object; the cost is that up to one interval of records is consumed again.
type Runner struct {
	cfg    Config
	s3     *minio.Client
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	parts map[tp]*partState
	err   error // fatal error that ended the runner
	// total is the buffered bytes of all partitions (the sum of partState.bytes), bounded by
	// cfg.MaxTotalBufferBytes; peakHeld is its largest value between polls (after the due uploads),
	// which tests and measurements read.
	total, peakHeld int64
	// budgetPaused lists the topics paused because total stayed above cfg.MaxTotalBufferBytes after
	// the uploads (object storage failing); they resume once uploads free memory.
	budgetPaused []string
}

type tp struct {
	topic     string
	partition int32
}

// partState is the buffered, stored and committed state of one assigned partition.
type partState struct {
	segs       []*segment // buffered objects in offset order; the last may still grow
	bytes      int64      // buffered content of segs
	lastStored int64      // last offset stored in an object, -1 if none
	// uncommitted is the offset to commit after the last stored record (Offset 0: nothing to commit).
	// It is an offset, not the *kgo.Record, which would pin the whole fetch batch its slices point into.
	uncommitted kgo.EpochOffset
	hw          int64  // high watermark seen in the last fetch
	firstSeen   int64  // first offset fetched in this assignment, -1 if none
	uploadErr   string // last upload error, "" after a success
}

// segment is the content of one future object: consecutive records of a partition in one time directory.
type segment struct {
	dir         string
	buf         bytes.Buffer
	n           int
	first, last int64
	lastEpoch   int32 // leader epoch of the last record, for the commit
	full        bool  // reached FlushSize or the byte cap: store without waiting for the interval
}

// PartitionProgress is the dump progress of one assigned partition (7.2.4.5 topics_info).
type PartitionProgress struct {
	Topic     string
	Partition int32
	// LastTransferOffset is the last offset stored in an object (-1 if none yet): after a restart, the
	// committed offset minus one.
	LastTransferOffset int64
	// LogEndOffset is the partition's high watermark as of the last fetch.
	LogEndOffset int64
	// Lag is how many records are not yet stored: LogEndOffset - (LastTransferOffset+1), or from the
	// first fetched offset when nothing was stored or committed.
	Lag int64
	// Buffered is how many records wait in memory for their object, BufferedBytes their size.
	Buffered      int
	BufferedBytes int64
	// UploadError is the last failed upload of this partition (cleared by a successful one).
	UploadError string
}

// Start validates cfg, creates the S3 client and the group consumer, and runs the dump in a goroutine
// until Stop, until ctx ends (like Stop), or until a fatal error (see Err). It returns once the consumer
// exists; joining the group and checking the bucket happen in the goroutine, so bad keys or a missing
// bucket show up in Err after Done.
func Start(ctx context.Context, cfg Config) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s3, err := newS3(cfg.Endpoint, cfg.Region, cfg.PathStyle, cfg.AccessKey, cfg.SecretKey, 0)
	if err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, s3: s3, done: make(chan struct{}), parts: map[tp]*partState{}}
	reset := kgo.NewOffset().AtEnd()
	if cfg.ConsumerStrategy == "earliest" {
		reset = kgo.NewOffset().AtStart()
	}
	opts := append(slices.Clone(cfg.KafkaOpts),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeResetOffset(reset),
		// Offsets are committed only after their object is stored.
		kgo.DisableAutoCommit(),
		// A rebalance waits until a poll's records are buffered (and stored when due) and the commit is
		// done, so a commit never covers a partition this member no longer owns.
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(r.assigned),
		kgo.OnPartitionsRevoked(r.revoked),
		kgo.OnPartitionsLost(r.revoked),
	)
	if cfg.TopicsRegex != "" {
		// dmsd reads as a super user: internal topics (Connect's own, which hold connector configs)
		// are never a task's, whatever its pattern. franz-go matches exclusions anywhere in the name
		// (MatchString), so the prefix is anchored: orders__v2 is a user topic.
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics("^(?:"+cfg.TopicsRegex+")$"), kgo.ConsumeExcludeTopics(`^__`))
	} else {
		opts = append(opts, kgo.ConsumeTopics(cfg.Topics...))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	r.cl = cl
	rctx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	go r.run(rctx)
	return r, nil
}

// Stop drops unstored records (uncommitted), leaves the group and waits for the runner to end. It is
// idempotent and safe after a fatal error.
func (r *Runner) Stop() {
	r.cancel()
	<-r.done
}

// Done is closed when the runner has ended (Stop, ctx, or a fatal error).
func (r *Runner) Done() <-chan struct{} { return r.done }

// Err is the fatal error that ended the runner (a *CheckError for the object storage: bad keys, no such
// bucket, access denied), nil while running or after Stop.
func (r *Runner) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Progress reports the assigned partitions, sorted by topic and partition.
func (r *Runner) Progress() []PartitionProgress {
	committed := r.cl.CommittedOffsets()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]PartitionProgress, 0, len(r.parts))
	for k, p := range r.parts {
		last := p.lastStored
		if eo, ok := committed[k.topic][k.partition]; ok && eo.Offset-1 > last {
			last = eo.Offset - 1
		}
		leo := max(p.hw, last+1)
		lag := leo - (last + 1)
		if last < 0 && p.firstSeen >= 0 {
			lag = leo - p.firstSeen
		}
		buffered := 0
		for _, s := range p.segs {
			buffered += s.n
		}
		out = append(out, PartitionProgress{Topic: k.topic, Partition: k.partition, LastTransferOffset: last,
			LogEndOffset: leo, Lag: max(lag, 0), Buffered: buffered, BufferedBytes: p.bytes, UploadError: p.uploadErr})
	}
	slices.SortFunc(out, func(a, b PartitionProgress) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}

func (r *Runner) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for t, ps := range m {
		for _, p := range ps {
			r.parts[tp{t, p}] = &partState{lastStored: -1, firstSeen: -1}
		}
	}
}

// revoked drops the buffers of partitions this member no longer owns, uncommitted: their next owner
// reads them again from the committed offset.
func (r *Runner) revoked(_ context.Context, cl *kgo.Client, m map[string][]int32) {
	paused := map[string][]int32{}
	r.mu.Lock()
	for t, ps := range m {
		for _, p := range ps {
			st := r.parts[tp{t, p}]
			if st != nil && st.uploadErr != "" {
				paused[t] = append(paused[t], p)
			}
			if st != nil {
				r.total -= st.bytes
			}
			delete(r.parts, tp{t, p})
		}
	}
	r.mu.Unlock()
	// A pause outlives the assignment: were the partition assigned again, it must be fetched.
	if len(paused) > 0 {
		cl.ResumeFetchPartitions(paused)
	}
}

func (r *Runner) fail(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
}

func (r *Runner) run(ctx context.Context) {
	defer close(r.done)
	// Closing leaves the group without committing (autocommit is off); the revoke callback drops buffers.
	defer r.cl.CloseAllowingRebalance()
	if err := probeBucket(ctx, r.s3, r.cfg.Endpoint, r.cfg.Bucket); err != nil {
		if ctx.Err() == nil && fatal(err) {
			r.fail(err)
			return
		}
	}
	next := time.Now().Add(r.cfg.DeliverInterval)
	var backoff time.Duration // current pause after a poll with fetch errors, 0 after a clean poll
	for {
		pctx, cancel := context.WithDeadline(ctx, next)
		fs := r.cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil || fs.IsClientClosed() {
			return
		}
		var (
			fetchErr   error
			errTopic   string
			errPart    int32
			fetchErrsN int
		)
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				if fetchErr == nil {
					fetchErr, errTopic, errPart = err, t, p
				}
				fetchErrsN++
			}
		})
		r.buffer(fs)
		due := !time.Now().Before(next)
		if due {
			next = time.Now().Add(r.cfg.DeliverInterval)
		}
		err := r.store(ctx, due)
		if ctx.Err() == nil { // stopping aborts the uploads: what stays buffered is dropped, not held
			r.holdBudget()
		}
		r.cl.AllowRebalance()
		if err != nil {
			r.fail(err)
			return
		}
		if fetchErr == nil {
			// Only records prove the errors are over: a poll can also end empty at the interval's
			// deadline while every fetch still fails.
			if fs.NumRecords() > 0 {
				backoff = 0
			}
			continue
		}
		// kgo hands a non-retriable fetch error (authorization after an ACL change, a broker refusing)
		// back at once and fetches again at the next poll: without a pause the loop spins and logs
		// every round. The backoff doubles up to fetchBackoffMax, one warning per step.
		backoff = min(max(2*backoff, fetchBackoffMin), fetchBackoffMax)
		r.cfg.Logger.Warn("dump: fetch error; retrying after a pause", "group", r.cfg.Group, "topic", errTopic,
			"partition", errPart, "partitions_failing", fetchErrsN, "retry_in", backoff, "err", fetchErr)
		if r.cfg.onBackoff != nil {
			r.cfg.onBackoff(backoff)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// The pause after a poll with fetch errors: it doubles from fetchBackoffMin to fetchBackoffMax while the
// errors persist (a healthy partition still gets a whole fetch per poll meanwhile).
const (
	fetchBackoffMin = 250 * time.Millisecond
	fetchBackoffMax = 5 * time.Second
)

// buffer appends polled records to their partitions' segments.
func (r *Runner) buffer(fs kgo.Fetches) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fs.EachPartition(func(ftp kgo.FetchTopicPartition) {
		p := r.parts[tp{ftp.Topic, ftp.Partition}]
		if p == nil { // not assigned (any more): its next owner reads it
			return
		}
		p.hw = max(p.hw, ftp.HighWatermark)
		for _, rec := range ftp.Records {
			if p.firstSeen < 0 {
				p.firstSeen = rec.Offset
			}
			dir := r.cfg.timeDir(rec.Timestamp)
			size := int64(len(r.cfg.RecordDelimiter) + len(rec.Value))
			if r.cfg.StoreKeys {
				size += int64(len(rec.Key) + len(r.cfg.KVDelimiter))
			}
			var s *segment
			if n := len(p.segs); n > 0 && !p.segs[n-1].full && p.segs[n-1].dir == dir {
				s = p.segs[n-1]
				if int64(s.buf.Len())+size > r.cfg.MaxBufferBytes {
					s.full = true // the record would take it past the cap: it starts the next object
					s = nil
				}
			}
			if s == nil {
				s = &segment{dir: dir, first: rec.Offset}
				p.segs = append(p.segs, s)
			}
			before := s.buf.Len()
			if s.n > 0 {
				s.buf.WriteString(r.cfg.RecordDelimiter)
			}
			// The buffer holds copies: nothing of the fetch batch stays referenced once it is buffered.
			if r.cfg.StoreKeys {
				s.buf.Write(rec.Key)
				s.buf.WriteString(r.cfg.KVDelimiter)
			}
			s.buf.Write(rec.Value)
			grown := int64(s.buf.Len() - before)
			p.bytes += grown
			r.total += grown
			s.n++
			s.last, s.lastEpoch = rec.Offset, rec.LeaderEpoch
			if (r.cfg.FlushSize > 0 && s.n >= r.cfg.FlushSize) || int64(s.buf.Len()) >= r.cfg.MaxBufferBytes {
				s.full = true
			}
		}
	})
	if r.total > r.cfg.MaxTotalBufferBytes {
		r.cutLargest()
	}
}

// cutLargest marks the growing objects of the partitions that buffer most as full, largest first,
// until the growing objects hold at most half of cfg.MaxTotalBufferBytes, so that the uploads that
// follow bring the total well below the cap (not just under it, which would cut again at the next
// poll). Called with r.mu held.
func (r *Runner) cutLargest() {
	var open []*segment
	var growing int64
	for _, p := range r.parts {
		if n := len(p.segs); n > 0 && !p.segs[n-1].full {
			open = append(open, p.segs[n-1])
			growing += int64(p.segs[n-1].buf.Len())
		}
	}
	slices.SortFunc(open, func(a, b *segment) int { return cmp.Compare(b.buf.Len(), a.buf.Len()) })
	for _, s := range open {
		if growing <= r.cfg.MaxTotalBufferBytes/2 {
			return
		}
		s.full = true
		growing -= int64(s.buf.Len())
	}
}

// holdBudget runs after the uploads of a poll: it records the bytes held until the next poll, and
// pauses fetching every assigned topic while they stay above cfg.MaxTotalBufferBytes (the uploads
// failed), resuming once uploads have freed memory. Partitions paused for their own failed upload
// stay paused (kgo keeps partition pauses apart from topic pauses).
func (r *Runner) holdBudget() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.peakHeld = max(r.peakHeld, r.total)
	if r.cfg.onHeld != nil {
		var records int64
		for _, p := range r.parts {
			records += p.lastStored + 1
			for _, s := range p.segs {
				records += int64(s.n)
			}
		}
		r.cfg.onHeld(r.total, records)
	}
	switch {
	case r.total > r.cfg.MaxTotalBufferBytes && r.budgetPaused == nil:
		topics := map[string]bool{}
		for k := range r.parts {
			topics[k.topic] = true
		}
		r.budgetPaused = slices.Sorted(maps.Keys(topics))
		r.cl.PauseFetchTopics(r.budgetPaused...)
		r.cfg.Logger.Warn("dump: buffer cap reached and uploads fail; fetching paused", "group", r.cfg.Group,
			"buffered_bytes", r.total, "cap", r.cfg.MaxTotalBufferBytes)
	case r.total <= r.cfg.MaxTotalBufferBytes && r.budgetPaused != nil:
		r.cl.ResumeFetchTopics(r.budgetPaused...)
		r.budgetPaused = nil
	}
}

// uploadConcurrency is how many partitions upload at once (each object's multipart upload has its own
// parallel parts in minio-go): one slow partition does not hold the others back.
const uploadConcurrency = 4

// store uploads the segments that are due (all when the interval is up, else the full ones), each
// partition's in offset order and stopping at its first failure, then commits the offsets after the
// last stored record of each partition. A failed upload keeps the records buffered and uncommitted and
// pauses fetching that partition (bounding memory) until a later upload succeeds; it is retried at the
// next interval, after minio-go's own per-request retries. It returns only a fatal error.
//
// Rebalances are blocked (BlockRebalanceOnPoll) until the caller's AllowRebalance, so the partitions
// stay assigned while they upload and commit.
func (r *Runner) store(ctx context.Context, due bool) error {
	type job struct {
		k    tp
		p    *partState
		todo []*segment
	}
	var jobs []job
	r.mu.Lock()
	for k, p := range r.parts {
		if !due && p.uploadErr != "" {
			continue // a failing partition retries at the interval
		}
		var todo []*segment
		for _, s := range p.segs {
			if !due && !s.full {
				break
			}
			todo = append(todo, s)
		}
		if len(todo) > 0 {
			jobs = append(jobs, job{k, p, todo})
		}
	}
	r.mu.Unlock()
	var (
		wg       sync.WaitGroup
		sem      = make(chan struct{}, uploadConcurrency)
		fatalMu  sync.Mutex
		fatalErr error
	)
	for _, j := range jobs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := r.storePartition(ctx, j.k, j.p, j.todo); err != nil {
				fatalMu.Lock()
				fatalErr = cmp.Or(fatalErr, err)
				fatalMu.Unlock()
			}
		})
	}
	wg.Wait()
	if fatalErr != nil {
		return fatalErr
	}
	commit := map[string]map[int32]kgo.EpochOffset{}
	r.mu.Lock()
	for k, p := range r.parts {
		if p.uncommitted.Offset > 0 {
			if commit[k.topic] == nil {
				commit[k.topic] = map[int32]kgo.EpochOffset{}
			}
			commit[k.topic][k.partition] = p.uncommitted
		}
	}
	r.mu.Unlock()
	if len(commit) == 0 || ctx.Err() != nil {
		return nil
	}
	var err error
	r.cl.CommitOffsetsSync(ctx, commit, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, cerr error) {
		err = cerr
		if resp == nil {
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				err = cmp.Or(err, kerr.ErrorForCode(p.ErrorCode))
			}
		}
	})
	if err != nil {
		// Stored but not committed: a re-run stores these ranges again; the next commit covers them.
		if ctx.Err() == nil {
			r.cfg.Logger.Warn("dump: commit failed; retried with the next commit", "group", r.cfg.Group, "err", err)
		}
		return nil
	}
	r.mu.Lock()
	for t, ps := range commit {
		for part, eo := range ps {
			if p := r.parts[tp{t, part}]; p != nil && p.uncommitted == eo {
				p.uncommitted = kgo.EpochOffset{}
			}
		}
	}
	r.mu.Unlock()
	return nil
}

// storePartition uploads todo (a prefix of p.segs) in order, stopping at the first failure. It returns
// only a fatal error.
func (r *Runner) storePartition(ctx context.Context, k tp, p *partState, todo []*segment) error {
	for _, s := range todo {
		key := ObjectKey(r.cfg.Path, s.dir, k.topic, k.partition, s.first, s.last)
		_, err := r.s3.PutObject(ctx, r.cfg.Bucket, key, bytes.NewReader(s.buf.Bytes()), int64(s.buf.Len()),
			minio.PutObjectOptions{PartSize: uint64(r.cfg.PartSize), ContentType: "text/plain"})
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopping: the buffer is dropped uncommitted
			}
			if fatal(err) {
				ce := describe(err, r.cfg.Endpoint, r.cfg.Bucket)
				if ce.Kind == CheckAccessDenied { // the bucket was readable at the start: writing is denied
					ce = &CheckError{CheckNoWrite, fmt.Sprintf("the keys cannot write to bucket %q", r.cfg.Bucket), err}
				}
				return ce
			}
			r.mu.Lock()
			if p.uploadErr == "" {
				r.cl.PauseFetchPartitions(map[string][]int32{k.topic: {k.partition}})
			}
			p.uploadErr = err.Error()
			r.mu.Unlock()
			r.cfg.Logger.Warn("dump: upload failed; records stay buffered and uncommitted", "group", r.cfg.Group,
				"bucket", r.cfg.Bucket, "key", key, "err", err)
			return nil
		}
		r.mu.Lock()
		p.segs = p.segs[1:]  // s is the head: a partition's segments are stored in order
		if r.parts[k] == p { // a revoked partition's bytes left the total with it
			p.bytes -= int64(s.buf.Len())
			r.total -= int64(s.buf.Len())
		}
		p.lastStored, p.uncommitted = s.last, kgo.EpochOffset{Epoch: s.lastEpoch, Offset: s.last + 1}
		if p.uploadErr != "" {
			p.uploadErr = ""
			r.cl.ResumeFetchPartitions(map[string][]int32{k.topic: {k.partition}})
		}
		r.mu.Unlock()
	}
	return nil
}
