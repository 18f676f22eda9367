package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Reading records: Scan reads offset ranges of a topic's partitions with a consumer client of its own,
// assigned the partitions directly at exact offsets (kgo.ConsumePartitions): no consumer group, no
// committed offsets, nothing left on the brokers.
//
// Why not the instance's shared client: a kgo client has one consumer, with one assignment and one
// stream of fetched records. Assigning partitions on the shared client would mix the records of
// concurrent scans, keep fetching for the whole client after a scan, and put producing and admin
// requests behind fetches of scans. A short-lived client per scan costs a metadata request and a
// connection to each partition leader (about a millisecond on a local network, see the benchmarks);
// in exchange every scan has its own fetch buffers, bounded by its own FetchMaxBytes, and is closed
// with every connection it opened when the scan ends, whatever the instance's client does meanwhile.
// A pool was not worth it: its clients would outlive deleted instances unless the instance service
// closed them, and reassigning a pooled client costs a new fetch session anyway. The client copies
// the shared client's options (seeds, dial timeout, logger, and the security options to come), so it
// connects exactly as the shared client does.

// Why a scan stopped before covering its ranges.
const (
	StopNone    = ""        // the scan covered its ranges (or visit ended it)
	StopBytes   = "bytes"   // ScanOptions.MaxBytes read
	StopRecords = "records" // ScanOptions.MaxRecords read
	StopTime    = "time"    // ScanOptions.MaxTime elapsed
)

// ScanOptions bound a scan; a zero bound is no bound.
type ScanOptions struct {
	// Scans read in rounds: each round reads, in every partition not done, the chunk of C offsets
	// after the previous one ([Start, Start+C) first), or before it with Backward ([End-C, End)
	// first: newest first). C starts at Chunk and grows fourfold every round (up to 2^20
	// offsets), but never beyond what the MaxRecords and MaxBytes left could read (spread over the
	// partitions, bytes estimated from the records read), so that when a bound stops a scan, what
	// was read is the first part (newest part with Backward) of every range, evenly, and the round
	// it stopped in is small. Records are visited in offset order within a chunk.
	Backward bool
	Chunk    int64 // first chunk per partition (default 1024 offsets)

	MaxBytes   int64         // stop after visiting records of this many bytes (Record.Size)
	MaxRecords int64         // stop after visiting this many records
	MaxTime    time.Duration // stop after this long

	// FetchMaxBytes bounds one fetch response (the client fetches from each leader broker at once),
	// default 4 MiB; PartitionFetchBytes the part of one partition in it (at most FetchMaxBytes).
	// Brokers return whole record batches, at least one, then more up to that bound, so a read of a
	// few records must ask for little not to receive (and decode) a megabyte of batches after the
	// records it wants. The default is 256 bytes per offset of the longest range, within
	// [32 KiB, 1 MiB]: bigger records only take more fetches.
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
// markers) are skipped. The *Record passed to visit is only valid during the call; its slices may be
// kept.
//
// An error is a failure of the scan itself (the cluster unreachable, ctx canceled); partitions whose
// start offset was deleted meanwhile are read from their new start.
func (c *Client) Scan(ctx context.Context, topic string, ranges []OffsetRange, o ScanOptions, visit func(*Record) bool) (ScanResult, error) {
	var res ScanResult
	parts := make(map[int32]*scanPart, len(ranges))
	for _, r := range ranges {
		if r.Len() > 0 {
			parts[r.Partition] = &scanPart{rng: r}
		}
	}
	if len(parts) == 0 {
		return res, nil
	}
	chunk := o.Chunk
	if chunk <= 0 {
		chunk = defaultScanChunk
	}
	fetchMax := o.FetchMaxBytes
	if fetchMax <= 0 {
		fetchMax = defaultFetchMaxBytes
	}
	partMax := o.PartitionFetchBytes
	if partMax <= 0 {
		var longest int64
		for _, sp := range parts {
			longest = max(longest, sp.rng.Len())
		}
		partMax = int32(min(1<<20, max(32<<10, longest*256)))
	}
	partMax = min(partMax, fetchMax)

	// The first chunk of every partition.
	chunk = budgetChunk(chunk, o, ScanResult{}, len(parts))
	assign := make(map[int32]kgo.Offset, len(parts))
	for p, sp := range parts {
		sp.next(o.Backward, chunk)
		assign[p] = kgo.NewOffset().At(sp.lo)
	}

	opts := append(c.cl.Opts(),
		kgo.ClientID(c.cfg.clientID+"-scan"),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), // a start deleted meanwhile: read from the new start
		kgo.KeepControlRecords(),                          // markers count as progress through a range
		kgo.FetchMaxWait(scanFetchWait),
		kgo.FetchMaxBytes(fetchMax),
		kgo.FetchMaxPartitionBytes(partMax),
		kgo.DisableFetchSessions(), // nothing to keep on the brokers for a client that lives one scan
		kgo.DisableClientMetrics(), // no KIP-714 subscription and push for it either
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return res, fmt.Errorf("kafkaops: scan client: %w", err)
	}
	defer cl.Close()

	sctx := ctx
	if o.MaxTime > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(ctx, o.MaxTime)
		defer cancel()
	}

	active := len(parts) // partitions whose current chunk is not read yet
	lastProgress := time.Now()
	var rec Record
	for active > 0 {
		pctx, cancel := context.WithTimeout(sctx, scanIdle)
		fs := cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if sctx.Err() != nil {
			res.Stopped = StopTime
			return res, nil
		}
		var fetchErr error
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && fetchErr == nil {
				fetchErr = err
			}
		})
		if fetchErr != nil {
			return res, fmt.Errorf("kafkaops: scan %s: %w", topic, fetchErr)
		}
		progressed := false
		stop := false
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			sp := parts[fp.Partition]
			if stop || sp == nil || sp.done {
				return
			}
			for _, r := range fp.Records {
				if r.Offset < sp.lo {
					continue // cannot happen after SetOffsets; guard anyway
				}
				progressed = true
				if r.Offset >= sp.hi {
					sp.done = true
					break
				}
				last := r.Offset >= sp.hi-1
				if !r.Attrs.IsControl() {
					rec = recordFrom(r)
					res.Records++
					res.Bytes += rec.Size()
					if !visit(&rec) {
						stop = true
						return
					}
					bound := StopNone
					if o.MaxRecords > 0 && res.Records >= o.MaxRecords {
						bound = StopRecords
					} else if o.MaxBytes > 0 && res.Bytes >= o.MaxBytes {
						bound = StopBytes
					}
					if bound != StopNone {
						// A bound reached by the very last record of the ranges stopped nothing.
						if !last || active > 1 || sp.left(o.Backward) || anyLeft(parts, o.Backward, sp) {
							res.Stopped = bound
						}
						stop = true
						return
					}
				}
				if last {
					sp.done = true
					break
				}
			}
			if sp.done {
				active--
				cl.PauseFetchPartitions(map[string][]int32{topic: {fp.Partition}})
			}
		})
		if stop {
			if res.Stopped == StopNone && sctx.Err() != nil {
				res.Stopped = StopTime
			}
			return res, nil
		}
		if progressed {
			lastProgress = time.Now()
		} else if time.Since(lastProgress) >= scanIdle {
			// Nothing arrived for the remaining chunks: their last offsets hold no records.
			for p, sp := range parts {
				if !sp.done {
					sp.done = true
					active--
					cl.PauseFetchPartitions(map[string][]int32{topic: {p}})
				}
			}
		}
		if active > 0 {
			continue
		}
		// Every chunk is read: move to the next ones.
		left := 0
		for _, sp := range parts {
			if sp.left(o.Backward) {
				left++
			}
		}
		if left == 0 {
			break
		}
		chunk = budgetChunk(min(chunk*4, maxScanChunk), o, res, left)
		set := make(map[int32]kgo.EpochOffset)
		var resume []int32
		for p, sp := range parts {
			if !sp.left(o.Backward) {
				continue
			}
			sp.next(o.Backward, chunk)
			set[p] = kgo.EpochOffset{Epoch: -1, Offset: sp.lo}
			resume = append(resume, p)
		}
		if len(set) == 0 {
			break
		}
		cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{topic: set})
		cl.ResumeFetchPartitions(map[string][]int32{topic: resume})
		active = len(set)
		lastProgress = time.Now()
	}
	return res, nil
}

// scanPart is the progress of one partition: its range and the chunk [lo, hi) being read.
type scanPart struct {
	rng     OffsetRange
	lo, hi  int64
	started bool
	done    bool
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

// anyLeft says whether a partition other than cur still has offsets to read.
func anyLeft(parts map[int32]*scanPart, backward bool, cur *scanPart) bool {
	for _, sp := range parts {
		if sp == cur {
			continue
		}
		if !sp.done || sp.left(backward) {
			return true
		}
	}
	return false
}
