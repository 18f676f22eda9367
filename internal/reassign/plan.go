package reassign

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
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

// Batch bounds: a batch is submitted at once and waited for before the next. Largest moves go
// first (Cruise Control's and Strimzi's order), a batch holds at most batchPartitions partitions and
// batchBytes bytes to copy (a single larger move is a batch alone).
const (
	batchPartitions = 10
	batchBytes      = 2 << 30
)

// batches orders moves largest first and cuts them into batches.
func batches(moves []Move, maxParts int, maxBytes int64) [][]Move {
	moves = slices.Clone(moves)
	slices.SortStableFunc(moves, func(a, b Move) int {
		if c := cmp.Compare(b.Bytes(), a.Bytes()); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return cmp.Compare(a.Partition, b.Partition)
	})
	var out [][]Move
	var cur []Move
	var curBytes int64
	for _, m := range moves {
		if len(cur) > 0 && (len(cur) >= maxParts || curBytes+m.Bytes() > maxBytes) {
			out = append(out, cur)
			cur, curBytes = nil, 0
		}
		cur = append(cur, m)
		curBytes += m.Bytes()
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// UnthrottledBytesPerSec is the copy rate assumed per broker when no throttle is given: a rough
// figure measured on the local engine (a follower catching up over loopback on a loaded 2-core
// machine moved 60-100 MB/s); real disks and networks differ, so an unthrottled estimate is only an
// order of magnitude.
const UnthrottledBytesPerSec = 50 << 20

// EstimateSeconds is the time the plan takes at throttle bytes/s (0: unthrottled, at
// UnthrottledBytesPerSec): batches run one after the other, and within a batch the busiest broker
// bounds the time, as the throttle applies per broker: it receives the replicas added to it and
// (as the leader) sends every copy of the partitions it leads. A plan that copies nothing takes 0
// seconds; one that copies anything at least 1.
func EstimateSeconds(p Plan, throttle int64) int {
	rate := int64(UnthrottledBytesPerSec)
	if throttle > 0 && throttle < rate {
		rate = throttle
	}
	var total float64
	for _, b := range p.Batches {
		in, out := map[int32]int64{}, map[int32]int64{}
		for _, m := range b {
			for _, a := range m.Added() {
				in[a] += m.Size
			}
			if len(m.From) > 0 {
				out[m.From[0]] += m.Bytes()
			}
		}
		var busiest int64
		for _, v := range in {
			busiest = max(busiest, v)
		}
		for _, v := range out {
			busiest = max(busiest, v)
		}
		total += float64(busiest) / float64(rate)
	}
	secs := int(total)
	if float64(secs) < total {
		secs++
	}
	if secs == 0 && p.BytesToMove > 0 {
		secs = 1
	}
	return secs
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

// replicaLoad counts replicas and leaders per broker over the whole cluster.
type replicaLoad struct {
	replicas map[int32]int
	leaders  map[int32]int
	topic    map[string]map[int32]int // per topic, replicas per broker
}

func newLoad(v layoutView) *replicaLoad {
	l := &replicaLoad{replicas: map[int32]int{}, leaders: map[int32]int{}, topic: map[string]map[int32]int{}}
	for _, t := range v.topics {
		for _, p := range t.Partitions {
			l.add(t.Name, p.Replicas, 1)
		}
	}
	return l
}

func (l *replicaLoad) add(topic string, replicas []int32, n int) {
	if l.topic[topic] == nil {
		l.topic[topic] = map[int32]int{}
	}
	for i, b := range replicas {
		l.replicas[b] += n
		l.topic[topic][b] += n
		if i == 0 {
			l.leaders[b] += n
		}
	}
}

// assignTopic places every partition of topic on rf of brokers, one partition after the other
// against the load of the whole cluster (every other topic, and what was planned before it): each
// replica goes to the broker holding the fewest replicas of this topic, then of all topics (leaders
// for the first replica), keeping a broker that has the partition already when it is among the
// least loaded, so that little is copied. Deterministic.
//
// It is the interim automatic planner of 5.2.11 until internal/rebalance's AssignTopic is on main.
func assignTopic(l *replicaLoad, t kafkaops.Topic, brokers []int32, rf int) map[int32][]int32 {
	out := map[int32][]int32{}
	for _, p := range t.Partitions {
		l.add(t.Name, p.Replicas, -1)
		var chosen []int32
		for i := 0; i < rf; i++ {
			var best int32 = -1
			for _, b := range brokers {
				if !slices.Contains(chosen, b) && (best < 0 || better(l, t.Name, p.Replicas, i == 0, b, best)) {
					best = b
				}
			}
			chosen = append(chosen, best)
			l.topic[t.Name][best]++
			l.replicas[best]++
			if i == 0 {
				l.leaders[best]++
			}
		}
		out[p.ID] = chosen
	}
	return out
}

// better says whether broker a is a better place than b for the next replica of a partition.
func better(l *replicaLoad, topic string, current []int32, leader bool, a, b int32) bool {
	if c := cmp.Compare(l.topic[topic][a], l.topic[topic][b]); c != 0 {
		return c < 0
	}
	if leader {
		if c := cmp.Compare(l.leaders[a], l.leaders[b]); c != 0 {
			return c < 0
		}
	}
	if c := cmp.Compare(l.replicas[a], l.replicas[b]); c != 0 {
		return c < 0
	}
	ha, hb := slices.Contains(current, a), slices.Contains(current, b)
	if ha != hb {
		return ha
	}
	return a < b
}

// invalid is 400 DMS.00400062 naming what is wrong.
func invalid(format string, args ...any) error {
	return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s.", fmt.Sprintf(format, args...))
}

// checkReplicas checks one replica list against the live brokers: not empty, no broker twice,
// every broker live, no more replicas than brokers (the reference's rule, DMS.00400861).
func checkReplicas(topic string, p int32, replicas []int32, live []int32) error {
	if len(replicas) == 0 {
		return invalid("topic %s partition %d: the replica list is empty", topic, p)
	}
	if len(replicas) > len(live) {
		return dms.Errorf(dms.CodeTopicReplicaTooMany, "Replication factor larger than available brokers: topic %s partition %d has %d replicas, the instance %d brokers.",
			topic, p, len(replicas), len(live))
	}
	seen := map[int32]bool{}
	for _, b := range replicas {
		if seen[b] {
			return invalid("topic %s partition %d: broker %d is named twice", topic, p, b)
		}
		seen[b] = true
		if !slices.Contains(live, b) {
			return invalid("topic %s partition %d: broker %d is not a broker of the instance (brokers: %v)", topic, p, b, live)
		}
	}
	return nil
}

// buildPlan turns a request into moves, checking it against the cluster (see Service.Start for the
// rules). Entries are planned in the request's order; automatic ones against the load left by all
// the others.
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
	load := newLoad(v)
	var moves []Move
	for _, e := range r.Reassignments {
		t := v.topics[e.Topic]
		current := map[int32][]int32{}
		for _, p := range t.Partitions {
			current[p.ID] = p.Replicas
		}
		var target map[int32][]int32
		if len(e.Assignment) > 0 {
			var err error
			if target, err = manualTarget(e, current, v.brokers); err != nil {
				return Plan{}, err
			}
			for p, rs := range target {
				load.add(t.Name, current[p], -1)
				load.add(t.Name, rs, 1)
			}
		} else {
			rf := e.ReplicationFactor
			if rf == 0 {
				rf = t.ReplicationFactor() // not given: the topic keeps its replication factor
			}
			if err := checkAutomatic(e, rf, v.brokers); err != nil {
				return Plan{}, err
			}
			target = assignTopic(load, t, e.Brokers, rf)
		}
		for _, p := range slices.Sorted(maps.Keys(target)) {
			if slices.Equal(current[p], target[p]) {
				continue
			}
			moves = append(moves, Move{Topic: t.Name, Partition: p, From: current[p], To: target[p], Size: v.sizes[tp{t.Name, p}]})
		}
	}
	plan := Plan{Batches: batches(moves, batchPartitions, batchBytes), Partitions: len(moves)}
	for _, m := range moves {
		plan.BytesToMove += m.Bytes()
	}
	return plan, nil
}

// manualTarget checks a manual assignment and returns its target per partition.
func manualTarget(e Entry, current map[int32][]int32, live []int32) (map[int32][]int32, error) {
	target := map[int32][]int32{}
	for _, a := range e.Assignment {
		if a.Partition == nil {
			return nil, invalid("topic %s: every assignment needs its partition", e.Topic)
		}
		p := *a.Partition
		if _, ok := current[p]; !ok {
			return nil, invalid("topic %s has no partition %d (it has %d partitions)", e.Topic, p, len(current))
		}
		if _, ok := target[p]; ok {
			return nil, invalid("topic %s partition %d is assigned twice", e.Topic, p)
		}
		if err := checkReplicas(e.Topic, p, a.Brokers, live); err != nil {
			return nil, err
		}
		target[p] = slices.Clone(a.Brokers)
	}
	// "All partitions must have the same number of replicas": the topic as the plan leaves it.
	n := -1
	for _, p := range slices.Sorted(maps.Keys(current)) {
		rs := current[p]
		if t, ok := target[p]; ok {
			rs = t
		}
		if n >= 0 && len(rs) != n {
			return nil, invalid("topic %s: all partitions must have the same number of replicas (partition %d would have %d, others %d); "+
				"to change the replication factor assign every partition", e.Topic, p, len(rs), n)
		}
		n = len(rs)
	}
	return target, nil
}

// checkAutomatic checks an automatic entry: brokers live and distinct, a replication factor of 1 to
// the number of brokers given.
func checkAutomatic(e Entry, rf int, live []int32) error {
	seen := map[int32]bool{}
	for _, b := range e.Brokers {
		if seen[b] {
			return invalid("topic %s: broker %d is named twice in brokers", e.Topic, b)
		}
		seen[b] = true
		if !slices.Contains(live, b) {
			return invalid("topic %s: broker %d is not a broker of the instance (brokers: %v)", e.Topic, b, live)
		}
	}
	switch {
	case rf < 1:
		return dms.Errorf(dms.CodeTopicReplicaInvalid, "The number of replicas created for a Kafka topic must be within the range of 1-20: topic %s replication_factor %d.", e.Topic, rf)
	case rf > len(e.Brokers):
		return dms.Errorf(dms.CodeTopicReplicaTooMany, "Replication factor larger than available brokers: topic %s replication_factor %d, %d brokers given.",
			e.Topic, rf, len(e.Brokers))
	}
	return nil
}
