package kafkaops

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Reading records: Scan reads offset ranges of a topic's partitions with Fetch requests of its own,
// sent through the instance's shared client to each partition's leader (kgo's Broker.Request, on
// the connection kgo keeps for fetches: producing and admin requests have connections of their
// own), and decodes the answers with kgo.ProcessFetchPartition. No consumer group, no committed
// offsets, no fetch session: nothing is left on the brokers.
//
// Why not a consumer client per scan (what Scan did first): a new client pays a metadata request,
// a connection to every leader and its ApiVersions and SASL handshakes before the first record:
// most of a query over a hundred thousand records, so a keyword search ran at a fifth of a plain
// consume. Why not the shared client's consumer: a kgo client has one consumer, one assignment and
// one stream of records, which concurrent scans would mix. Raw fetches need neither: each scan
// asks for exactly the offsets it wants, its partitions' leaders in parallel, one request in flight
// per leader, each answer at most FetchMaxBytes, so a scan holds at most one answer per leader.

// Why a scan stopped before covering its ranges.
const (
	StopNone    = ""        // the scan covered its ranges (or visit ended it)
	StopBytes   = "bytes"   // ScanOptions.MaxBytes read
	StopRecords = "records" // ScanOptions.MaxRecords read
	StopTime    = "time"    // ScanOptions.MaxTime elapsed
)

// ScanOptions bound a scan; a zero bound is no bound.
type ScanOptions struct {
	// Scans read every partition at once, each in chunks: the chunk of C offsets after the previous
	// one ([Start, Start+C) first), or before it with Backward ([End-C, End) first: newest first).
	// A partition's C starts at Chunk and grows fourfold with each of its chunks (up to 2^20
	// offsets), but never beyond what the MaxRecords and MaxBytes left could read (spread over the
	// partitions not done, bytes estimated from the records read), so that when a bound stops a
	// scan, what was read is about the first part (newest part with Backward) of every range,
	// evenly, and the chunks it stopped in are small. Records are visited in offset order within a
	// chunk. Partitions do not wait for each other between chunks: a round of chunks with a barrier
	// cost a fetch's wait per round, half of a search over a hundred thousand records.
	Backward bool
	Chunk    int64 // first chunk per partition (default 1024 offsets)

	MaxBytes   int64         // stop after visiting records of this many bytes (Record.Size)
	MaxRecords int64         // stop after visiting this many records
	MaxTime    time.Duration // stop after this long

	// FetchMaxBytes bounds one fetch response (a scan fetches from each leader broker at once, one
	// request in flight per broker besides the answer being decoded), default 4 MiB;
	// PartitionFetchBytes the part of one partition in it (at most FetchMaxBytes). Brokers return
	// whole record batches, at least one, then more up to that bound, so a read of a few records
	// must ask for little not to receive (and decode) megabytes of batches after the records it
	// wants. The default is 256 bytes per offset of the longest range, within [32 KiB, 4 MiB]:
	// fewer, bigger fetches for long ranges (a fetch costs a round trip, and TLS on the brokers'
	// side works in bigger pieces), small ones for short reads.
	FetchMaxBytes       int32
	PartitionFetchBytes int32
}

// ScanResult says what a scan read.
type ScanResult struct {
	Records int64  // records visited
	Bytes   int64  // their size (Record.Size)
	Stopped string // StopNone, or the bound that stopped the scan
}

const (
	defaultScanChunk     = 1024
	maxScanChunk         = 1 << 20
	defaultFetchMaxBytes = 4 << 20
	// scanFetchWait is how long a broker holds a fetch without new data. Scans read data that exists,
	// so the wait matters only at the end of a partition.
	scanFetchWait = 100 * time.Millisecond
	// scanIdle ends a partition's range when the client has received nothing for it for this long:
	// its last offsets hold no record the client is given (removed by compaction). Ranges normally
	// end when the record at End-1 or after it arrives.
	scanIdle = 2 * time.Second
)

// Scan reads the ranges (at most one per partition) of topic and calls visit with every record whose
// offset is in its partition's range, until the ranges are read, visit returns false, or a bound of
// o is reached (ScanResult.Stopped). Records without a payload the caller could show (transaction
// markers) are skipped. visit is never called concurrently; the *Record passed to it is only valid
// during the call, its slices may be kept.
//
// An error is a failure of the scan itself (the cluster unreachable, ctx canceled); partitions whose
// start offset was deleted meanwhile are read from their new start.
func (c *Client) Scan(ctx context.Context, topic string, ranges []OffsetRange, o ScanOptions, visit func(*Record) bool) (ScanResult, error) {
	s := &scan{c: c, topic: topic, o: o, visit: visit}
	for _, r := range ranges {
		if r.Len() > 0 {
			s.parts = append(s.parts, &scanPart{rng: r, leader: -1})
		}
	}
	if len(s.parts) == 0 {
		return s.res, nil
	}
	chunk := o.Chunk
	if chunk <= 0 {
		chunk = defaultScanChunk
	}
	s.fetchMax = o.FetchMaxBytes
	if s.fetchMax <= 0 {
		s.fetchMax = defaultFetchMaxBytes
	}
	s.partMax = o.PartitionFetchBytes
	if s.partMax <= 0 {
		var longest int64
		for _, sp := range s.parts {
			longest = max(longest, sp.rng.Len())
		}
		s.partMax = int32(min(4<<20, max(32<<10, longest*256)))
	}
	s.partMax = min(s.partMax, s.fetchMax)

	sctx := ctx
	if o.MaxTime > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(ctx, o.MaxTime)
		defer cancel()
	}
	// The outcome of the scan once ctx or the time bound ended it, else err.
	ended := func(err error) (ScanResult, error) {
		if ctx.Err() != nil {
			return s.res, ctx.Err()
		}
		if sctx.Err() != nil {
			s.res.Stopped = StopTime
			return s.res, nil
		}
		return s.res, err
	}
	if err := s.locate(sctx, false); err != nil {
		return ended(err)
	}

	// The first chunk of every partition; take moves each to its next ones.
	chunk = budgetChunk(chunk, o, ScanResult{}, len(s.parts))
	for _, sp := range s.parts {
		sp.next(o.Backward, chunk)
	}
	if err := s.read(sctx); err != nil || s.stopped {
		if err == nil && s.res.Stopped == StopNone && sctx.Err() != nil && ctx.Err() == nil {
			s.res.Stopped = StopTime
		}
		return ended(err)
	}
	return s.res, nil
}

// scanDecompressor decompresses the record batches of every scan (it is safe for concurrent use).
var scanDecompressor = kgo.DefaultDecompressor()

// scan is the state of one Scan.
type scan struct {
	c                 *Client
	topic             string
	topicID           [16]byte
	o                 ScanOptions
	fetchMax, partMax int32
	parts             []*scanPart

	mu      sync.Mutex // serializes visit, and guards what follows and the parts' progress
	visit   func(*Record) bool
	res     ScanResult
	stopped bool // visit returned false or a bound was reached
	rec     Record
	wake    chan struct{} // closed (and replaced) when a paused partition may go on
	regroup bool          // a loop ended on a moved leader: the others end too, to be regrouped
}

// scanPart is the progress of one partition: its range, the chunk [lo, hi) being read and the next
// offset to fetch in it.
type scanPart struct {
	rng     OffsetRange
	lo, hi  int64
	pos     int64
	started bool
	done    bool  // the range is read
	paused  bool  // the chunk is read; the next one waits for the others (nextChunk)
	leader  int32 // the partition's leader broker, -1 when unknown

	records, bytes int64 // what was visited of the partition
}

// errLeaderMoved is a partition's answer that asks for its leader again (a retriable error).
var errLeaderMoved = errors.New("kafkaops: partition leader moved")

// scanRetryWait is the pause before asking the metadata again when a leader moved.
const scanRetryWait = 100 * time.Millisecond

// locate finds the topic's ID (Fetch v13 and later name topics by ID) and its partitions' leaders.
//
// The client's cached metadata answers (kadm's calls, TimeRange's included, refresh it), fresher
// than 5 s (kgo's MetadataMinAge), unless fresh is set: after a leader moved.
func (s *scan) locate(ctx context.Context, fresh bool) error {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(s.topic)
	req.Topics = append(req.Topics, rt)
	limit := time.Duration(0) // MetadataMinAge
	if fresh {
		limit = time.Nanosecond
	}
	resp, err := s.c.cl.RequestCachedMetadata(ctx, req, limit)
	if err != nil {
		return fmt.Errorf("kafkaops: metadata of %s: %w", s.topic, err)
	}
	if len(resp.Topics) != 1 {
		return fmt.Errorf("kafkaops: metadata of %s: %d topics in the answer", s.topic, len(resp.Topics))
	}
	t := resp.Topics[0]
	if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
		return fmt.Errorf("kafkaops: scan %s: %w", s.topic, err)
	}
	s.topicID = t.TopicID
	leaders := make(map[int32]int32, len(t.Partitions))
	for _, p := range t.Partitions {
		leaders[p.Partition] = p.Leader
	}
	for _, sp := range s.parts {
		l, ok := leaders[sp.rng.Partition]
		if !ok {
			return fmt.Errorf("kafkaops: scan %s[%d]: %w", s.topic, sp.rng.Partition, ErrUnknownPartition)
		}
		sp.leader = l
	}
	return nil
}

// read reads every partition: one fetch loop per leader broker, in parallel. A partition whose
// leader moved is read again from where it was once the metadata says where its leader is now,
// until ctx ends.
func (s *scan) read(ctx context.Context) error {
	parts := s.parts
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for {
		byLeader := map[int32][]*scanPart{}
		for _, sp := range parts {
			if !sp.done {
				byLeader[sp.leader] = append(byLeader[sp.leader], sp)
			}
		}
		if len(byLeader) == 0 {
			return nil
		}
		// A partition without a leader (an election under way) waits for the next look-up.
		_, moved := byLeader[-1]
		delete(byLeader, -1)
		s.mu.Lock()
		s.regroup = false
		s.mu.Unlock()
		errs := make(chan error, len(byLeader))
		for leader, ps := range byLeader {
			go func() { errs <- s.fetchLoop(rctx, leader, ps, cancel) }()
		}
		var failed error
		for range byLeader {
			switch err := <-errs; {
			case errors.Is(err, errLeaderMoved):
				moved = true
			case err != nil && failed == nil:
				failed = err
				cancel() // the other loops' reads are lost with the scan
			}
		}
		if s.stopped {
			return nil
		}
		if failed != nil {
			return failed
		}
		if !moved {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(scanRetryWait):
		}
		if err := s.locate(ctx, true); err != nil {
			return err
		}
	}
}

// fetchLoop reads ps, partitions led by leader, until they are read, the scan
// stops (stop cancels the other loops' requests then) or a partition's leader moved (errLeaderMoved,
// with the progress of every partition kept).
//
// It keeps a fetch in flight while it decodes and visits the previous answer, as a consumer does:
// the next offsets are read from the answer's batch headers (nextOffsets) before its records are
// decoded. An answer whose offsets turn out not to be where the decoding left a partition (it
// cannot happen with well-formed batches) is dropped for that partition and fetched again.
func (s *scan) fetchLoop(ctx context.Context, leader int32, ps []*scanPart, stop context.CancelFunc) error {
	br := s.c.cl.Broker(int(leader))
	type answer struct {
		req  *kmsg.FetchRequest
		resp kmsg.Response
		err  error
	}
	send := func(req *kmsg.FetchRequest) <-chan answer {
		ch := make(chan answer, 1) // the sender never blocks, even when the loop has returned
		go func() {
			resp, err := br.RetriableRequest(ctx, req)
			ch <- answer{req, resp, err}
		}()
		return ch
	}
	lastProgress := time.Now()
	rotate := 0
	var pending <-chan answer
	for {
		if pending == nil {
			req := s.fetchRequest(ps, &rotate, nil)
			if req == nil {
				// Every partition is read, or waits for the others' progress (see nextChunk).
				wake, waiting := s.waiting(ps)
				if !waiting {
					if s.allDone(ps) {
						return nil
					}
					continue // resumed meanwhile
				}
				select {
				case <-wake:
				case <-ctx.Done():
					return ctx.Err()
				}
				s.mu.Lock()
				regroup := s.regroup
				s.mu.Unlock()
				if regroup {
					return errLeaderMoved
				}
				lastProgress = time.Now()
				continue
			}
			pending = send(req)
		}
		a := <-pending
		pending = nil
		if a.err != nil {
			return fmt.Errorf("kafkaops: scan %s: %w", s.topic, a.err)
		}
		resp := a.resp.(*kmsg.FetchResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return fmt.Errorf("kafkaops: scan %s: %w", s.topic, err)
		}
		asked := map[int32]int64{}
		for _, t := range a.req.Topics {
			for _, rp := range t.Partitions {
				asked[rp.Partition] = rp.FetchOffset
			}
		}
		// The next fetch, sent now when this answer says where every partition goes on.
		if next, ok := nextOffsets(resp, asked); ok {
			if req := s.fetchRequest(ps, &rotate, next); req != nil {
				pending = send(req)
			}
		}
		var moved, progressed, dropped bool
		for _, t := range resp.Topics {
			for i := range t.Partitions {
				rp := &t.Partitions[i]
				sp := findPart(ps, rp.Partition)
				if sp == nil || sp.done {
					continue
				}
				if sp.paused { // a prefetch of the chunk after the one that paused it
					dropped = true
					continue
				}
				if asked[rp.Partition] != sp.pos {
					dropped = true
					continue
				}
				switch err := kerr.ErrorForCode(rp.ErrorCode); {
				case err == nil:
				case errors.Is(err, kerr.OffsetOutOfRange):
					// The records were deleted meanwhile: read from the new start.
					if err := s.restart(ctx, sp); err != nil {
						return err
					}
					progressed, dropped = true, true
					continue
				case kerr.IsRetriable(err) || errors.Is(err, kerr.NotLeaderForPartition) || errors.Is(err, kerr.FencedLeaderEpoch):
					moved = true
					continue
				default:
					return fmt.Errorf("kafkaops: scan %s[%d]: %w", s.topic, rp.Partition, err)
				}
				fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
					KeepControlRecords: true, // markers count as progress through a range
					Offset:             sp.pos,
					Topic:              s.topic,
					Partition:          rp.Partition,
				}, rp, scanDecompressor, nil)
				if fp.Err != nil && len(fp.Records) == 0 {
					return fmt.Errorf("kafkaops: scan %s[%d]: %w", s.topic, rp.Partition, fp.Err)
				}
				if next > sp.pos || len(fp.Records) > 0 {
					progressed = true
				}
				if !s.take(sp, fp.Records, next, rp.HighWatermark) {
					stop()
					return nil
				}
			}
		}
		if moved {
			s.mu.Lock()
			s.regroup = true
			s.wakeAll() // loops waiting for paused partitions end too, to be regrouped (read)
			s.mu.Unlock()
			return errLeaderMoved
		}
		if dropped {
			// The fetch in flight asked from offsets this answer did not lead to: ask again.
			pending = nil
		}
		if progressed {
			lastProgress = time.Now()
		} else if time.Since(lastProgress) >= scanIdle {
			// Nothing arrived for the current chunks: their last offsets hold no records. On to the
			// next ones.
			pending = nil
			s.mu.Lock()
			for _, sp := range ps {
				if !sp.done && !sp.paused {
					s.nextChunk(sp)
				}
			}
			s.mu.Unlock()
			lastProgress = time.Now()
		}
	}
}

// fetchRequest asks for the partitions of ps that are not read yet, from their next offsets. With
// next (a fetch sent before the previous answer is decoded), a partition of that answer is asked
// from next[partition]: what it leads to, unless that is the end of its chunk and the next chunk
// is before it (Backward) or there is none; the others are asked from where they are. nil when
// nothing is left to ask for.
func (s *scan) fetchRequest(ps []*scanPart, rotate *int, next map[int32]int64) *kmsg.FetchRequest {
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = s.topic, s.topicID
	s.mu.Lock()
	s.resume(ps)
	for _, sp := range ps {
		if sp.done || sp.paused {
			continue
		}
		pos := sp.pos
		if n, ok := next[sp.rng.Partition]; ok {
			if n >= sp.hi && (s.o.Backward || !sp.left(false)) {
				continue
			}
			pos = n
		}
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = sp.rng.Partition
		rp.FetchOffset = pos
		rp.PartitionMaxBytes = s.partMax
		rt.Partitions = append(rt.Partitions, rp)
	}
	s.mu.Unlock()
	if len(rt.Partitions) == 0 {
		return nil
	}
	// An answer holds at most FetchMaxBytes: start with another partition each time so that none
	// waits for the others' chunks.
	*rotate = (*rotate + 1) % len(rt.Partitions)
	rt.Partitions = append(rt.Partitions[*rotate:], rt.Partitions[:*rotate]...)
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = int32(scanFetchWait / time.Millisecond)
	req.MinBytes = 1
	req.MaxBytes = s.fetchMax
	req.Topics = append(req.Topics, rt)
	return req
}

// nextOffsets reads, from the headers of an answer's record batches, the offset after the last
// whole batch of each partition (the offset asked when there is none): where ProcessFetchPartition
// leaves the partition. ok is false when a partition has an error or batches of an old format:
// the next fetch then waits for the decoding.
func nextOffsets(resp *kmsg.FetchResponse, asked map[int32]int64) (map[int32]int64, bool) {
	next := map[int32]int64{}
	for _, t := range resp.Topics {
		for _, rp := range t.Partitions {
			if rp.ErrorCode != 0 {
				return nil, false
			}
			in, last := rp.RecordBatches, int64(-1)
			// A v2 batch: baseOffset int64, length int32, leader epoch int32, magic int8, crc int32,
			// attributes int16, lastOffsetDelta int32 (bytes 23-26), ...
			for len(in) >= 27 {
				length := int64(binary.BigEndian.Uint32(in[8:])) + 12
				if length > int64(len(in)) || length < 27 {
					break // a partial batch at the end of the answer
				}
				if in[16] != 2 {
					return nil, false
				}
				last = int64(binary.BigEndian.Uint64(in)) + int64(int32(binary.BigEndian.Uint32(in[23:])))
				in = in[length:]
			}
			if last < 0 {
				next[rp.Partition] = asked[rp.Partition]
			} else {
				next[rp.Partition] = last + 1
			}
		}
	}
	return next, true
}

func findPart(ps []*scanPart, p int32) *scanPart {
	for _, sp := range ps {
		if sp.rng.Partition == p {
			return sp
		}
	}
	return nil
}

// take visits the records fetched for sp from its next offset and moves sp on: to next, the offset
// after them, or to its next chunk when they end the current one. hwm is the partition's high
// watermark. It returns false when the scan stops.
func (s *scan) take(sp *scanPart, records []*kgo.Record, next, hwm int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	o := s.o
	for _, r := range records {
		if r.Offset < sp.pos {
			continue
		}
		if r.Offset >= sp.hi {
			// The chunk is read. The next one is before it (Backward: fetched from its start) or
			// starts here.
			if !s.nextChunk(sp) || o.Backward || r.Offset >= sp.hi {
				return true
			}
		}
		sp.pos = r.Offset + 1
		if !r.Attrs.IsControl() {
			s.rec = recordFrom(r)
			size := s.rec.Size()
			s.res.Records++
			s.res.Bytes += size
			sp.records++
			sp.bytes += size
			if !s.visit(&s.rec) {
				s.stopped = true
				return false
			}
			bound := StopNone
			if o.MaxRecords > 0 && s.res.Records >= o.MaxRecords {
				bound = StopRecords
			} else if o.MaxBytes > 0 && s.res.Bytes >= o.MaxBytes {
				bound = StopBytes
			}
			if bound != StopNone {
				// A bound reached by the very last record of the ranges stopped nothing.
				if r.Offset < sp.hi-1 || sp.left(o.Backward) || s.anyLeft(sp) {
					s.res.Stopped = bound
				}
				s.stopped = true
				return false
			}
		}
	}
	sp.pos = max(sp.pos, next)
	if sp.pos >= sp.hi {
		// The chunk is read (records past its end were compacted away, or were markers).
		if s.nextChunk(sp) && !o.Backward {
			sp.pos = max(sp.pos, next)
		}
	} else if len(records) == 0 && sp.pos >= hwm {
		// The partition ends before the chunk does (a new leader's high watermark may lag a moment):
		// nothing more to read after pos; with Backward, the older chunks remain.
		if o.Backward {
			s.nextChunk(sp)
		} else {
			sp.done = true
			s.wakeAll()
		}
	}
	return true
}

// nextChunk moves sp to its next chunk (ScanOptions), or marks it done when its range is read, and
// says which. The chunk grows fourfold, within what the bounds leave the partition: an even share
// of what they leave the partitions not done. A partition that has read its share waits (paused)
// until another one is done, which leaves it more, or until every partition not done has read its
// share (resume). The caller holds s.mu.
func (s *scan) nextChunk(sp *scanPart) bool {
	if !sp.left(s.o.Backward) {
		sp.done = true
		s.wakeAll()
		return false
	}
	if n := min((sp.hi-sp.lo)*4, maxScanChunk, s.share(sp)); n > 0 {
		sp.next(s.o.Backward, n)
		return true
	}
	sp.paused = true
	sp.pos = sp.hi // the chunk is read; pos is where the next one starts for Forward
	if s.o.Backward {
		sp.pos = sp.lo
	}
	s.wakeAll() // the others may all be waiting now
	return true
}

// share is how many more offsets sp may read: its even share of what the bounds leave the
// partitions not done, less what it read (bytes counted in records of the average size so far).
func (s *scan) share(sp *scanPart) int64 {
	open, records, bytes := int64(0), s.o.MaxRecords, s.o.MaxBytes
	for _, p := range s.parts {
		if p.done {
			records -= p.records
			bytes -= p.bytes
		} else {
			open++
		}
	}
	n := int64(maxScanChunk)
	if s.o.MaxRecords > 0 {
		n = min(n, scanCeilDiv(records, open)-sp.records)
	}
	if s.o.MaxBytes > 0 && s.res.Records > 0 {
		avg := max(1, s.res.Bytes/s.res.Records)
		n = min(n, (scanCeilDiv(bytes, open)-sp.bytes)/avg)
	}
	return n
}

// resume moves the paused partitions of ps to their next chunks when the bounds leave them some:
// after another partition is done, or when every partition not done waits (each then reads a
// chunk of an even part of what is left, at least one offset, until a bound stops the scan). The
// caller holds s.mu.
func (s *scan) resume(ps []*scanPart) {
	all := true
	for _, p := range s.parts {
		if !p.done && !p.paused {
			all = false
		}
	}
	for _, sp := range ps {
		if !sp.paused {
			continue
		}
		n := s.share(sp)
		if n <= 0 && !all {
			continue
		}
		if n <= 0 {
			open := 0
			for _, p := range s.parts {
				if !p.done {
					open++
				}
			}
			n = budgetChunk(sp.hi-sp.lo, s.o, s.res, open)
		}
		sp.paused = false
		sp.next(s.o.Backward, min((sp.hi-sp.lo)*4, maxScanChunk, n))
	}
}

// waiting says whether partitions of ps wait for the others (paused) and none can be asked for,
// and returns the channel closed when they may go on. It resumes the partitions the others' progress
// let go on meanwhile, under the same lock as it takes the channel: a wake between the caller's
// fetchRequest and this call is not lost. The caller does not hold s.mu.
func (s *scan) waiting(ps []*scanPart) (<-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resume(ps)
	paused := false
	for _, sp := range ps {
		if sp.done {
			continue
		}
		if !sp.paused {
			return nil, false // one can be asked for: the caller's next fetchRequest has it
		}
		paused = true
	}
	if !paused {
		return nil, false
	}
	if s.regroup { // another loop ended on a moved leader already: no wait, the caller ends too
		ch := make(chan struct{})
		close(ch)
		return ch, true
	}
	if s.wake == nil {
		s.wake = make(chan struct{})
	}
	return s.wake, true
}

// allDone says whether every partition of ps is read.
func (s *scan) allDone(ps []*scanPart) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sp := range ps {
		if !sp.done {
			return false
		}
	}
	return true
}

// wakeAll wakes the fetch loops waiting for paused partitions. The caller holds s.mu.
func (s *scan) wakeAll() {
	if s.wake != nil {
		close(s.wake)
		s.wake = nil
	}
}

// restart moves sp to the partition's new log start after its records before it were deleted.
func (s *scan) restart(ctx context.Context, sp *scanPart) error {
	starts, err := s.c.adm.ListStartOffsets(ctx, s.topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return fmt.Errorf("kafkaops: scan %s: %w", s.topic, err)
	}
	start, ok := starts.Lookup(s.topic, sp.rng.Partition)
	if !ok {
		return fmt.Errorf("kafkaops: scan %s[%d]: %w", s.topic, sp.rng.Partition, ErrUnknownPartition)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if start.Offset > sp.pos {
		sp.pos = start.Offset
	} else {
		sp.pos++ // out of range above: nothing is there
	}
	for !sp.done && sp.pos >= sp.hi {
		if s.nextChunk(sp) && !s.o.Backward {
			sp.pos = max(sp.pos, start.Offset)
		}
	}
	return nil
}

// next moves to the next chunk of n offsets: after the current one, or before it with backward.
func (sp *scanPart) next(backward bool, n int64) {
	sp.done = false
	switch {
	case backward && !sp.started:
		sp.hi = sp.rng.End
		sp.lo = max(sp.rng.Start, sp.hi-n)
	case backward:
		sp.hi = sp.lo
		sp.lo = max(sp.rng.Start, sp.hi-n)
	case !sp.started:
		sp.lo = sp.rng.Start
		sp.hi = min(sp.rng.End, sp.lo+n)
	default:
		sp.lo = sp.hi
		sp.hi = min(sp.rng.End, sp.lo+n)
	}
	sp.pos = sp.lo
	sp.started = true
}

// left says whether offsets of the range remain beyond the current chunk.
func (sp *scanPart) left(backward bool) bool {
	if backward {
		return sp.lo > sp.rng.Start
	}
	return sp.hi < sp.rng.End
}

// budgetChunk caps a scan's next chunk per partition at what the bounds left could read,
// spread over the partitions that still have offsets to read.
func budgetChunk(chunk int64, o ScanOptions, read ScanResult, parts int) int64 {
	if parts == 0 {
		return chunk
	}
	if o.MaxRecords > 0 {
		chunk = min(chunk, scanCeilDiv(o.MaxRecords-read.Records, int64(parts)))
	}
	if o.MaxBytes > 0 && read.Records > 0 {
		avg := max(1, read.Bytes/read.Records)
		chunk = min(chunk, scanCeilDiv((o.MaxBytes-read.Bytes)/avg, int64(parts)))
	}
	return max(chunk, 1)
}

func scanCeilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// anyLeft says whether a partition other than cur still has offsets to read. The caller holds s.mu.
func (s *scan) anyLeft(cur *scanPart) bool {
	for _, sp := range s.parts {
		if sp != cur && !sp.done {
			return true
		}
	}
	return false
}
