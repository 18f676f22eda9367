package dump

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/twmb/franz-go/pkg/kgo"
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
}

type tp struct {
	topic     string
	partition int32
}

// partState is the buffered, stored and committed state of one assigned partition.
type partState struct {
	segs        []*segment  // buffered objects in offset order; the last may still grow
	lastStored  int64       // last offset stored in an object, -1 if none
	uncommitted *kgo.Record // last stored record whose offset is not yet committed
	hw          int64       // high watermark seen in the last fetch
	firstSeen   int64       // first offset fetched in this assignment, -1 if none
	uploadErr   string      // last upload error, "" after a success
}

// segment is the content of one future object: consecutive records of a partition in one time directory.
type segment struct {
	dir         string
	buf         bytes.Buffer
	n           int
	first, last int64
	lastRec     *kgo.Record
	full        bool // reached FlushSize: store without waiting for the interval
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
	// Buffered is how many records wait in memory for their object.
	Buffered int
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
		// are never a task's, whatever its pattern.
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics("^(?:"+cfg.TopicsRegex+")$"), kgo.ConsumeExcludeTopics(`__.*`))
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
			LogEndOffset: leo, Lag: max(lag, 0), Buffered: buffered, UploadError: p.uploadErr})
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
			if st := r.parts[tp{t, p}]; st != nil && st.uploadErr != "" {
				paused[t] = append(paused[t], p)
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
	for {
		pctx, cancel := context.WithDeadline(ctx, next)
		fs := r.cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil || fs.IsClientClosed() {
			return
		}
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				r.cfg.Logger.Warn("dump: fetch error", "group", r.cfg.Group, "topic", t, "partition", p, "err", err)
			}
		})
		r.buffer(fs)
		due := !time.Now().Before(next)
		if due {
			next = time.Now().Add(r.cfg.DeliverInterval)
		}
		err := r.store(ctx, due)
		r.cl.AllowRebalance()
		if err != nil {
			r.fail(err)
			return
		}
	}
}

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
			var s *segment
			if n := len(p.segs); n > 0 && !p.segs[n-1].full && p.segs[n-1].dir == dir {
				s = p.segs[n-1]
			} else {
				s = &segment{dir: dir, first: rec.Offset}
				p.segs = append(p.segs, s)
			}
			if s.n > 0 {
				s.buf.WriteString(r.cfg.RecordDelimiter)
			}
			if r.cfg.StoreKeys {
				s.buf.Write(rec.Key)
				s.buf.WriteString(r.cfg.KVDelimiter)
			}
			s.buf.Write(rec.Value)
			s.n++
			s.last, s.lastRec = rec.Offset, rec
			if r.cfg.FlushSize > 0 && s.n >= r.cfg.FlushSize {
				s.full = true
			}
		}
	})
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
	var commit []*kgo.Record
	r.mu.Lock()
	for _, p := range r.parts {
		if p.uncommitted != nil {
			commit = append(commit, p.uncommitted)
		}
	}
	r.mu.Unlock()
	if len(commit) == 0 || ctx.Err() != nil {
		return nil
	}
	if err := r.cl.CommitRecords(ctx, commit...); err != nil {
		// Stored but not committed: a re-run stores these ranges again; the next commit covers them.
		if ctx.Err() == nil {
			r.cfg.Logger.Warn("dump: commit failed; retried with the next commit", "group", r.cfg.Group, "err", err)
		}
		return nil
	}
	r.mu.Lock()
	for _, rec := range commit {
		if p := r.parts[tp{rec.Topic, rec.Partition}]; p != nil && p.uncommitted == rec {
			p.uncommitted = nil
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
		p.segs = p.segs[1:] // s is the head: a partition's segments are stored in order
		p.lastStored, p.uncommitted = s.last, s.lastRec
		if p.uploadErr != "" {
			p.uploadErr = ""
			r.cl.ResumeFetchPartitions(map[string][]int32{k.topic: {k.partition}})
		}
		r.mu.Unlock()
	}
	return nil
}
