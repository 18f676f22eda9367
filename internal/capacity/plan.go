package capacity

import (
	"cmp"
	"slices"
	"strings"

	"github.com/opendms/opendms/internal/engine"
)

// Replica is one partition replica on a broker as the watcher read it.
type Replica struct {
	Topic     string
	Partition int32
	Size      int64 // bytes on the broker's disk (DescribeLogDirs)
	// LogStart and End are the partition's log start offset and high watermark.
	LogStart, End int64
	// Segments are the replica's log segments, oldest first, the active one last; nil when the
	// engine cannot list them (the trim is then estimated, see chunks).
	Segments []engine.Segment
}

// Broker is one broker's usage against its share of the instance's storage.
type Broker struct {
	ID       int32
	Capacity int64 // bytes: storage_space / brokers
	Used     int64 // bytes of every replica on it, internal topics included
	Replicas []Replica
}

// Trim is one DeleteRecords of the plan: the records of Topic/Partition before offset Before go,
// freeing about Bytes on the broker it was planned for (and as much on the partition's other
// replicas).
type Trim struct {
	Topic     string
	Partition int32
	Before    int64
	Bytes     int64
}

// Limit is the usage at which the policy acts on a broker of capacity bytes: thresholdPercent of it.
func Limit(capacity int64, thresholdPercent int) int64 {
	return capacity * int64(thresholdPercent) / 100
}

// Internal reports whether a topic is Kafka's or a framework's own (__consumer_offsets,
// __transaction_state, __share_group_state, ...): never trimmed.
func Internal(topic string) bool { return strings.HasPrefix(topic, "__") }

// chunk is a piece of a replica that a DeleteRecords up to before frees: a whole non-active
// segment, or (estimated) a tenth of the replica's offsets.
type chunk struct {
	before int64
	bytes  int64
}

// estimateParts is how many equal offset ranges a replica whose segments are unknown is cut into;
// the newest one stays, as the active segment would.
const estimateParts = 10

// chunks returns what can be deleted from r, oldest first, and the bytes already on their way out:
// segments wholly below the log start (a DeleteRecords moved it, and Kafka's retention check
// removes them within log.retention.check.interval.ms) count as pending, not as usage to free.
//
// With segments, each non-active segment whose end (the next segment's base) is at most the high
// watermark is one chunk: DeleteRecords up to the next segment's base makes Kafka delete exactly
// it. The active segment is never deleted (Kafka cannot), so the newest data stays. Without
// segments (kfake keeps batches, not segment files, and frees them as soon as the log start
// passes them), the offsets between log start and end are cut into estimateParts equal ranges,
// each taken as an equal share of the size: an estimate, checked again at the next reading.
func chunks(r Replica) (cs []chunk, pending int64) {
	if r.Segments == nil {
		n := r.End - r.LogStart
		if n <= 0 || r.Size <= 0 {
			return nil, 0
		}
		parts := int64(estimateParts)
		if n < parts {
			parts = n
		}
		for k := int64(1); k < parts; k++ {
			cs = append(cs, chunk{before: r.LogStart + n*k/parts, bytes: r.Size / parts})
		}
		return cs, 0
	}
	for i := 0; i+1 < len(r.Segments); i++ {
		s, next := r.Segments[i], r.Segments[i+1].Base
		switch {
		case next <= r.LogStart:
			pending += s.Bytes
		case next <= r.End:
			cs = append(cs, chunk{before: next, bytes: s.Bytes})
		}
	}
	return cs, pending
}

// PlanTrim plans time_base for an instance: on every broker whose usage (less what is already
// pending deletion) is at or over Limit, the oldest chunks of the largest replicas are deleted,
// one at a time, the largest replica first again after each, until the broker is under the limit
// or nothing more can go. Internal topics are never trimmed. Brokers are planned in order; a
// partition trimmed for one broker counts as trimmed on the others (its log start moves on every
// replica), so no broker deletes more than it needs. The result is one Trim per partition (the
// highest offset planned), sorted by topic and partition, and each broker's expected usage after.
// Deterministic: ties go to the topic and partition that sort first.
func PlanTrim(brokers []Broker, thresholdPercent int) (trims []Trim, after map[int32]int64) {
	type key struct {
		topic string
		part  int32
	}
	planned := map[key]*Trim{}
	after = map[int32]int64{}
	bs := slices.Clone(brokers)
	slices.SortFunc(bs, func(a, b Broker) int { return cmp.Compare(a.ID, b.ID) })
	for _, b := range bs {
		limit := Limit(b.Capacity, thresholdPercent)
		type cand struct {
			key
			size   int64
			chunks []chunk
		}
		used := b.Used
		var cands []*cand
		for _, r := range b.Replicas {
			if Internal(r.Topic) {
				continue
			}
			k := key{r.Topic, r.Partition}
			if t, ok := planned[k]; ok && t.Before > r.LogStart {
				// Trimmed for an earlier broker: here too its log start moves there.
				if r.Segments == nil && r.End > r.LogStart {
					// Estimated: the share of the offsets that went, of the size.
					gone := r.Size * (min(t.Before, r.End) - r.LogStart) / (r.End - r.LogStart)
					used -= gone
					r.Size -= gone
				}
				r.LogStart = t.Before
			}
			cs, pending := chunks(r)
			used -= pending
			if len(cs) > 0 {
				cands = append(cands, &cand{key: k, size: r.Size - pending, chunks: cs})
			}
		}
		for used >= limit {
			// The largest replica that still has a chunk to give.
			var best *cand
			for _, c := range cands {
				if len(c.chunks) == 0 {
					continue
				}
				if best == nil || c.size > best.size || (c.size == best.size &&
					(c.topic < best.topic || (c.topic == best.topic && c.part < best.part))) {
					best = c
				}
			}
			if best == nil {
				break // only active segments and internal topics left: nothing more can go
			}
			ch := best.chunks[0]
			best.chunks = best.chunks[1:]
			best.size -= ch.bytes
			used -= ch.bytes
			t := planned[best.key]
			if t == nil {
				t = &Trim{Topic: best.topic, Partition: best.part}
				planned[best.key] = t
			}
			t.Before = max(t.Before, ch.before)
			t.Bytes += ch.bytes
		}
		after[b.ID] = used
	}
	for _, t := range planned {
		trims = append(trims, *t)
	}
	slices.SortFunc(trims, func(a, b Trim) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return trims, after
}

// Over reports whether a broker's usage is at or over the limit of thresholdPercent.
func Over(used, capacity int64, thresholdPercent int) bool {
	return capacity > 0 && used >= Limit(capacity, thresholdPercent)
}
