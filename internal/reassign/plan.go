package reassign

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/rebalance"
)

// Move is one partition's change of replicas, with the partition's size (bytes of its largest
// replica, as DescribeLogDirs reports it): what the task moves and the estimate counts.
type Move struct {
	Topic     string  `json:"topic"`
	Partition int32   `json:"partition"`
	From      []int32 `json:"from"`
	To        []int32 `json:"to"`
	Size      int64   `json:"size"`
}

// Added are the brokers of To that are not in From (the replicas to copy).
func (m Move) Added() []int32 {
	var out []int32
	for _, b := range m.To {
		if !slices.Contains(m.From, b) {
			out = append(out, b)
		}
	}
	return out
}

// Bytes are the bytes copied: the partition's size once per added replica.
func (m Move) Bytes() int64 { return m.Size * int64(len(m.Added())) }

// Plan is a computed reassignment: the moves in the batches they are submitted in (largest first),
// stored whole as the task's parameters so that a resumed task never plans again.
type Plan struct {
	Batches     [][]Move `json:"batches"`
	BytesToMove int64    `json:"bytes_to_move"`
	Partitions  int      `json:"partitions"` // partitions whose replicas change (a new order alone moves only the leader)
}

// Moves are every move of the plan, batch after batch.
func (p Plan) Moves() []Move {
	var out []Move
	for _, b := range p.Batches {
		out = append(out, b...)
	}
	return out
}

// Batches: a batch is submitted at once and waited for before the next; the planner orders the
// moves (largest first) and cuts them (rebalance.Batches). A batch copies at most batchBytes and
// holds at most batchPartitions partitions (a single larger move is a batch alone).
const (
	batchBytes      = rebalance.DefaultBatchBytes
	batchPartitions = 10
)

// EstimateSeconds is the time the plan takes at throttle bytes/s (0: unthrottled, at the
// planner's assumed rate rebalance.DefaultBytesPerSec, 100 MiB/s: the local engine measured 64-130
// MiB/s for one follower catching up over loopback on a loaded 2-core machine). Batches run one
// after the other, and within a batch the busiest broker bounds the time, as Kafka's throttle
// applies per broker: it receives the replicas added to it and, as the leader, sends every copy of
// the partitions it leads (Plan.SerialBytes). A plan that copies nothing takes 0 seconds.
func EstimateSeconds(p Plan, throttle int64) int {
	rp := rebalance.Plan{}
	for _, b := range p.Batches {
		rp.Batches = append(rp.Batches, toPlanner(b))
	}
	return rebalance.EstimateSeconds(rp.SerialBytes(), throttle, 0)
}

func toPlanner(ms []Move) []rebalance.Move {
	out := make([]rebalance.Move, 0, len(ms))
	for _, m := range ms {
		out = append(out, rebalance.Move{Topic: m.Topic, Partition: m.Partition, From: m.From, To: m.To, Size: m.Size})
	}
	return out
}

func fromPlanner(ms []rebalance.Move) []Move {
	out := make([]Move, 0, len(ms))
	for _, m := range ms {
		out = append(out, Move{Topic: m.Topic, Partition: m.Partition, From: m.From, To: m.To, Size: m.Size})
	}
	return out
}

// planOf cuts moves into batches.
func planOf(moves []Move, maxParts int) Plan {
	moves = slices.DeleteFunc(slices.Clone(moves), func(m Move) bool { return slices.Equal(m.From, m.To) })
	p := Plan{Partitions: len(moves)}
	for _, b := range rebalance.Batches(toPlanner(moves), batchBytes, maxParts) {
		p.Batches = append(p.Batches, fromPlanner(b))
	}
	for _, m := range moves {
		p.BytesToMove += m.Bytes()
	}
	return p
}

// layoutView is what planning needs of the cluster: live brokers, the topics' partitions and the
// partition sizes.
type layoutView struct {
	brokers []int32
	topics  map[string]kafkaops.Topic
	sizes   map[tp]int64
}

type tp struct {
	topic string
	p     int32
}

// partitions are a topic's partitions as the planner takes them.
func (v layoutView) partitions(topic string) []rebalance.Partition {
	t := v.topics[topic]
	out := make([]rebalance.Partition, 0, len(t.Partitions))
	for _, p := range t.Partitions {
		out = append(out, rebalance.Partition{Topic: topic, Partition: p.ID, Replicas: slices.Clone(p.Replicas), Size: v.sizes[tp{topic, p.ID}]})
	}
	return out
}

// invalid is 400 DMS.00400062 naming what is wrong.
func invalid(format string, args ...any) error {
	return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s.", fmt.Sprintf(format, args...))
}

// planError is the DMS error of the planner's refusal: more replicas than brokers is the
// reference's DMS.00400861, a replication factor below 1 its DMS.00400103, the rest (no such
// partition, an empty replica list, an unknown broker, a broker twice, uneven replica counts)
// DMS.00400062 naming the case.
func planError(err error, automatic bool, live []int32, brokers int) error {
	var pe *rebalance.PlanError
	if !errors.As(err, &pe) {
		return dms.Internal(err)
	}
	at := pe.Topic
	if pe.Partition >= 0 {
		at = fmt.Sprintf("topic %s partition %d", pe.Topic, pe.Partition)
	} else if at != "" {
		at = "topic " + at
	} else {
		at = "the brokers given"
	}
	switch pe.Kind {
	case rebalance.ErrTooManyReplicas:
		return dms.Errorf(dms.CodeTopicReplicaTooMany, "Replication factor larger than available brokers: %s: %d replicas, %d brokers.", at, pe.Count, brokers)
	case rebalance.ErrNoReplicas:
		if automatic {
			return dms.Errorf(dms.CodeTopicReplicaInvalid, "The number of replicas created for a Kafka topic must be within the range of 1-20: %s: replication_factor %d.", at, pe.Count)
		}
		return invalid("%s: the replica list is empty", at)
	case rebalance.ErrUnknownBroker:
		return invalid("%s: broker %d is not a broker of the instance (brokers: %v)", at, pe.Broker, live)
	case rebalance.ErrDuplicateBroker:
		return invalid("%s: broker %d is named twice", at, pe.Broker)
	case rebalance.ErrUnevenReplicas:
		return invalid("%s: all partitions must have the same number of replicas (this one would have %d); to change the "+
			"replication factor assign every partition", at, pe.Count)
	case rebalance.ErrNoPartition:
		return invalid("%s does not exist", at)
	case rebalance.ErrEmptyPlan:
		return invalid("%s: the assignment is empty", at)
	}
	return invalid("%s: %s", at, pe.Kind)
}

// buildPlan turns a request into moves, checking it against the cluster (see Service.Start for the
// rules). Entries are planned in the request's order, each automatic one (rebalance.AssignTopic)
// against the load of every other partition of the cluster as the entries before it leave it, so
// the whole result is balanced.
func buildPlan(r Request, v layoutView) (Plan, error) {
	if len(r.Reassignments) == 0 {
		return Plan{}, invalid("reassignments is empty: give at least one topic")
	}
	seenTopic := map[string]bool{}
	for _, e := range r.Reassignments {
		if e.Topic == "" {
			return Plan{}, invalid("reassignments[].topic is required")
		}
		if seenTopic[e.Topic] {
			return Plan{}, invalid("topic %s is named twice in reassignments", e.Topic)
		}
		seenTopic[e.Topic] = true
		if _, ok := v.topics[e.Topic]; !ok {
			return Plan{}, dms.Errorf(dms.CodeTopicNotExist, "The topic does not exist: %s.", e.Topic)
		}
		if len(e.Assignment) == 0 && len(e.Brokers) == 0 {
			return Plan{}, invalid("topic %s: brokers and assignment cannot both be empty", e.Topic)
		}
	}
	// The cluster as the entries planned so far leave it: topic -> partitions.
	cluster := map[string][]rebalance.Partition{}
	for name := range v.topics {
		cluster[name] = v.partitions(name)
	}
	var moves []Move
	for _, e := range r.Reassignments {
		parts := cluster[e.Topic]
		var ms []Move
		if len(e.Assignment) > 0 {
			target := map[int32][]int32{}
			for _, a := range e.Assignment {
				if a.Partition == nil {
					return Plan{}, invalid("topic %s: every assignment needs its partition", e.Topic)
				}
				if _, ok := target[*a.Partition]; ok {
					return Plan{}, invalid("topic %s partition %d is assigned twice", e.Topic, *a.Partition)
				}
				target[*a.Partition] = slices.Clone(a.Brokers)
			}
			if err := rebalance.CheckManual(parts, v.brokers, target); err != nil {
				return Plan{}, planError(err, false, v.brokers, len(v.brokers))
			}
			for _, p := range parts {
				if to, ok := target[p.Partition]; ok && !slices.Equal(to, p.Replicas) {
					ms = append(ms, Move{Topic: e.Topic, Partition: p.Partition, From: p.Replicas, To: to, Size: p.Size})
				}
			}
		} else {
			for _, b := range e.Brokers {
				if !slices.Contains(v.brokers, b) {
					return Plan{}, invalid("topic %s: broker %d is not a broker of the instance (brokers: %v)", e.Topic, b, v.brokers)
				}
			}
			rf := e.ReplicationFactor
			if rf == 0 {
				rf = v.topics[e.Topic].ReplicationFactor() // not given: the topic keeps its replication factor
			}
			var others []rebalance.Partition
			for _, name := range slices.Sorted(maps.Keys(cluster)) {
				if name != e.Topic {
					others = append(others, cluster[name]...)
				}
			}
			planned, err := rebalance.AssignTopic(parts, others, e.Brokers, rf)
			if err != nil {
				var pe *rebalance.PlanError
				if errors.As(err, &pe) && pe.Topic == "" {
					pe.Topic = e.Topic
				}
				return Plan{}, planError(err, true, v.brokers, len(e.Brokers))
			}
			ms = fromPlanner(planned)
		}
		// What this entry leaves is the load the next ones are planned against.
		for _, m := range ms {
			for i := range parts {
				if parts[i].Partition == m.Partition {
					parts[i].Replicas = slices.Clone(m.To)
				}
			}
		}
		moves = append(moves, ms...)
	}
	return planOf(moves, batchPartitions), nil
}
