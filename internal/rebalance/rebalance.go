// Package rebalance plans partition reassignments: a rebalance of a whole cluster (Balance), the
// automatic assignment of one topic onto chosen brokers (AssignTopic), and the validation of a
// manual plan (CheckManual). It is pure: no I/O, no clock, no Kafka client; the caller describes
// the cluster and executes the plan.
//
// Goals, after Cruise Control's order (rack awareness is skipped: a DMS instance is one rack).
// Hard: no two replicas of a partition on one broker, every partition keeps its replication
// factor, replicas only on the allowed brokers. Soft, each one never bought by worsening an
// earlier one: even replica counts per broker (ReplicaDistribution), even replicas of each topic
// per broker (TopicReplicaDistribution), even bytes per broker (DiskUsageDistribution, within
// BytesThreshold), even preferred leaders per broker (LeaderReplicaDistribution: done last, as
// it moves no data, but it never loses to bytes); and move as little as possible.
//
// The algorithm is a greedy local search; every step strictly lowers a lexicographic potential
// (sums of squares of replica counts, then of per-topic counts, then of bytes), so it ends:
//
//  1. Replicas on brokers outside the allowed set move to the least loaded broker (hard goal).
//  2. While the most and least loaded brokers differ by 2 or more replicas, one replica moves
//     from the first to the second, of the topic the source has most more of than the target.
//     Such a replica always exists (the source holds more partitions than the target), so the
//     replica spread ends at most 1.
//  3. Per topic, while two brokers differ by 2 or more of its replicas: a single move when the
//     source holds more replicas in all, else a swap with another topic that the target holds
//     more of, which keeps the totals. In full mode the per-topic spread ends at most 1.
//  4. While a broker holds over BytesThreshold times the average bytes, it swaps a replica with
//     a smaller one of the same topic on a lighter broker (counts stay as they are).
//  5. Preferred leaders: the current leader stays when it keeps its replica, else the replica
//     on the broker leading least. Then leadership shifts along chains of replicas (a broker
//     leading p hands p to another replica of p, which may hand one of its own on) from brokers
//     leading most to brokers leading 2 or more fewer, until no such chain exists.
//
// Which replica moves: first one that undoes an earlier move or retargets a moving replica, then
// one of a partition with fewest replicas moved (so partitions keep replicas on both sides for
// step 5), then the size that leaves the two brokers' bytes closest.
//
// Mode "add-brokers" (Strimzi's KafkaRebalance mode) lets steps 2-5 place replicas and
// leadership only on the new brokers: nothing passes between two old brokers. The moves are then
// ordered largest partition first (leadership-only moves last, as Cruise Control runs them after
// the replica moves) and cut into batches by bytes and count. Everything is deterministic: ties
// go to topic name, partition, then broker id; no map order leaks into a plan.
package rebalance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Partition is one partition as it is now. Replicas[0] is the preferred leader. Size is the
// bytes of its log on the leader (0 if unknown); every replica is assumed to hold as much.
type Partition struct {
	Topic     string
	Partition int32
	Replicas  []int32
	Size      int64
}

// Move changes one partition's replicas. To[0] is the preferred leader: the executor elects
// preferred leaders once the move is done. Size is the partition's size.
type Move struct {
	Topic     string
	Partition int32
	From, To  []int32
	Size      int64
}

// Added is the brokers in To and not in From: the ones that copy the partition.
func (m Move) Added() []int32 {
	var a []int32
	for _, b := range m.To {
		if !slices.Contains(m.From, b) {
			a = append(a, b)
		}
	}
	return a
}

// Bytes is the data the move copies: Size once per added replica. A leadership-only move
// (same brokers, another first) copies nothing.
func (m Move) Bytes() int64 {
	n := int64(0)
	for _, b := range m.To {
		if !slices.Contains(m.From, b) {
			n++
		}
	}
	return m.Size * n
}

// The modes of Balance, as Strimzi's KafkaRebalance names them.
const (
	ModeFull       = "full"
	ModeAddBrokers = "add-brokers"
)

// Defaults of the batch limits.
const (
	DefaultBatchBytes         = 1 << 30
	DefaultMaxBatchPartitions = 50
)

// Options say where Balance may put replicas and how to cut the plan into batches.
type Options struct {
	// Brokers are the brokers replicas may be on: the live brokers for a full rebalance, the
	// whole cluster including the new brokers for add-brokers.
	Brokers []int32
	// Mode is ModeFull ("" too) or ModeAddBrokers.
	Mode string
	// NewBrokers are the added brokers (add-brokers only): the only ones that receive replicas
	// or leadership, except replicas that must leave a broker outside Brokers.
	NewBrokers []int32
	// BatchBytes caps the bytes a batch copies (0: DefaultBatchBytes); a single larger move is a
	// batch of its own. MaxBatchPartitions caps its moves (0: DefaultMaxBatchPartitions).
	BatchBytes         int64
	MaxBatchPartitions int
}

// Plan is a rebalance: the moves, largest first, the same moves cut into batches to run one
// after the other, and the bytes all moves copy.
type Plan struct {
	Moves       []Move
	Batches     [][]Move
	BytesToMove int64
}

// Balance plans a rebalance of parts over opts.Brokers. A balanced cluster gives an empty plan.
// Errors are bad input: no brokers, an unknown mode, a partition listed twice, without
// replicas, with a broker twice, or with more replicas than there are brokers.
func Balance(parts []Partition, opts Options) (Plan, error) {
	addBrokers := false
	switch opts.Mode {
	case "", ModeFull:
	case ModeAddBrokers:
		addBrokers = true
		if len(opts.NewBrokers) == 0 {
			return Plan{}, errors.New("rebalance: add-brokers without new brokers")
		}
	default:
		return Plan{}, fmt.Errorf("rebalance: unknown mode %q", opts.Mode)
	}
	s, err := newState(opts.Brokers)
	if err != nil {
		return Plan{}, err
	}
	if addBrokers {
		for i := range s.dest {
			s.dest[i] = false
		}
		for _, id := range opts.NewBrokers {
			i, ok := s.index(id)
			if !ok {
				return Plan{}, &PlanError{Kind: ErrUnknownBroker, Partition: -1, Broker: id}
			}
			s.dest[i] = true
		}
	}
	if err := s.load(parts, false); err != nil {
		return Plan{}, err
	}
	for pi := range s.parts {
		if len(s.parts[pi].orig) > len(s.ids) {
			p := &s.parts[pi]
			return Plan{}, &PlanError{Kind: ErrTooManyReplicas, Topic: s.topics[p.topic], Partition: p.id, Broker: -1, Count: len(p.orig)}
		}
	}
	s.evacuate()
	s.spreadReplicas()
	for t := range s.topics {
		s.spreadTopic(t)
	}
	s.spreadBytes()
	s.electLeaders()
	moves := s.moves()
	b := Batches(moves, opts.BatchBytes, opts.MaxBatchPartitions)
	plan := Plan{Batches: b}
	for _, batch := range b {
		for _, m := range batch {
			plan.Moves = append(plan.Moves, m)
			plan.BytesToMove += m.Bytes()
		}
	}
	return plan, nil
}

// Batches orders moves for execution and cuts them into batches of at most batchBytes copied
// (0: DefaultBatchBytes; one larger move is a batch alone) and maxParts moves (0:
// DefaultMaxBatchPartitions). Moves that copy data come first, the largest partition first, so
// the longest copies start while the throttle has the most room; leadership-only moves come last.
// The moves slice is sorted in place.
func Batches(moves []Move, batchBytes int64, maxParts int) [][]Move {
	if batchBytes <= 0 {
		batchBytes = DefaultBatchBytes
	}
	if maxParts <= 0 {
		maxParts = DefaultMaxBatchPartitions
	}
	slices.SortFunc(moves, func(a, b Move) int {
		ac, bc := a.Bytes() > 0, b.Bytes() > 0
		switch {
		case ac != bc:
			if ac {
				return -1
			}
			return 1
		case a.Size != b.Size:
			if a.Size > b.Size {
				return -1
			}
			return 1
		case a.Topic != b.Topic:
			return strings.Compare(a.Topic, b.Topic)
		}
		return int(a.Partition) - int(b.Partition)
	})
	var (
		out   [][]Move
		cur   []Move
		bytes int64
	)
	for _, m := range moves {
		if len(cur) > 0 && (len(cur) == maxParts || bytes+m.Bytes() > batchBytes) {
			out = append(out, cur)
			cur, bytes = nil, 0
		}
		cur = append(cur, m)
		bytes += m.Bytes()
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// DefaultBytesPerSec is the copy rate EstimateSeconds assumes for an unthrottled reassignment
// when no measured rate is given: 100 MiB/s, about what one follower fetching from one leader
// sustains on a local SSD and a 1 Gbit/s link; pass a measured rate where there is one.
const DefaultBytesPerSec = 100 << 20

// EstimateSeconds is the whole seconds copying bytes takes at throttle bytes/s (0: unthrottled),
// or at measured bytes/s (0: DefaultBytesPerSec) when that is lower than the throttle or there
// is no throttle. Kafka's throttles are per broker, so pass the bytes the busiest broker copies
// (Plan.SerialBytes) rather than the total when brokers copy in parallel.
func EstimateSeconds(bytes, throttleBytesPerSec, measuredBytesPerSec int64) int {
	if bytes <= 0 {
		return 0
	}
	rate := measuredBytesPerSec
	if rate <= 0 {
		rate = DefaultBytesPerSec
	}
	if throttleBytesPerSec > 0 && throttleBytesPerSec < rate {
		rate = throttleBytesPerSec
	}
	return int((bytes + rate - 1) / rate)
}

// BusiestBytes is the most bytes one broker copies in moves, sending (as the current leader,
// From[0]) or receiving (as an added replica): what a per-broker throttle limits.
func BusiestBytes(moves []Move) int64 {
	load := map[int32]int64{}
	var most int64
	add := func(b int32, n int64) {
		load[b] += n
		most = max(most, load[b])
	}
	for _, m := range moves {
		if len(m.From) == 0 {
			continue
		}
		for _, b := range m.Added() {
			add(^b, m.Size) // receiving side: ^b keeps it apart from the sending side
			add(m.From[0], m.Size)
		}
	}
	return most
}

// SerialBytes is the sum over the batches, which run one after another, of the bytes the
// busiest broker copies in each: with EstimateSeconds, the time the plan takes.
func (p Plan) SerialBytes() int64 {
	var n int64
	for _, b := range p.Batches {
		n += BusiestBytes(b)
	}
	return n
}
