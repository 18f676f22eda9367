package rebalance

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// topicOn makes n partitions of topic "x", partition i on the rf brokers starting at
// from[i%len(from)] in the ring from, sizes 1..n.
func topicOn(n, rf int, from []int32) []Partition {
	var ps []Partition
	for i := range n {
		var reps []int32
		for j := range rf {
			reps = append(reps, from[(i+j)%len(from)])
		}
		ps = append(ps, Partition{Topic: "x", Partition: int32(i), Replicas: reps, Size: int64(i + 1)})
	}
	return ps
}

func TestAssignTopic(t *testing.T) {
	others := cluster(11, 200, 6, []int{1, 2, 3}, true) // broker 0 carries the most
	for _, c := range []struct {
		name    string
		topic   []Partition
		others  []Partition
		brokers []int32
		rf      int
		moves   int // replica moves (added replicas), exactly; -1: not checked
		drops   int // replicas dropped, exactly
	}{
		{"same place: nothing", topicOn(6, 3, ids(0, 3)), nil, ids(0, 3), 3, 0, 0},
		{"rf up 2 to 3", topicOn(6, 2, ids(0, 3)), nil, ids(0, 3), 3, 6, 0},
		{"rf down 3 to 2", topicOn(6, 3, ids(0, 3)), nil, ids(0, 3), 2, 0, 6},
		{"rf down 3 to 1, others load", topicOn(12, 3, ids(0, 6)), others, ids(0, 6), 1, 0, 24},
		{"onto a subset", topicOn(8, 2, ids(0, 6)), nil, ids(3, 6), 2, 10, 10},
		{"spread onto more brokers", topicOn(6, 3, ids(0, 3)), nil, ids(0, 6), 3, 9, 9},
		{"rf up onto new brokers, others load", topicOn(10, 1, ids(0, 2)), others, ids(0, 6), 3, 20, 0},
		{"rf 1, extras to the least loaded", topicOn(4, 1, ids(0, 2)), others, ids(0, 6), 1, -1, -1},
		{"off a gone broker", topicOn(4, 2, []int32{0, 1, 9}), nil, ids(0, 3), 2, 2, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			moves, err := AssignTopic(c.topic, c.others, c.brokers, c.rf)
			if err != nil {
				t.Fatal(err)
			}
			after := apply(t, c.topic, moves)
			added, dropped := 0, 0
			lead := map[int32]int{}
			count := map[int32]int{}
			for i, p := range after {
				if len(p.Replicas) != c.rf {
					t.Fatalf("%d: replicas %v, want rf %d", p.Partition, p.Replicas, c.rf)
				}
				for j, b := range p.Replicas {
					if !slices.Contains(c.brokers, b) || slices.Contains(p.Replicas[:j], b) {
						t.Fatalf("%d: replicas %v on brokers %v", p.Partition, p.Replicas, c.brokers)
					}
					count[b]++
					if !slices.Contains(c.topic[i].Replicas, b) {
						added++
					}
				}
				for _, b := range c.topic[i].Replicas {
					if !slices.Contains(p.Replicas, b) {
						dropped++
					}
				}
				// The old leader stays leader while it keeps a replica, unless leaders needed evening.
				lead[p.Replicas[0]]++
			}
			spread := func(m map[int32]int) int {
				lo, hi := m[c.brokers[0]], m[c.brokers[0]]
				for _, b := range c.brokers {
					lo, hi = min(lo, m[b]), max(hi, m[b])
				}
				return hi - lo
			}
			if spread(count) > 1 || spread(lead) > 1 {
				t.Errorf("spread of replicas %v, leaders %v: more than 1", count, lead)
			}
			if c.moves >= 0 && (added != c.moves || dropped != c.drops) {
				t.Errorf("%d replicas added, %d dropped; want %d, %d", added, dropped, c.moves, c.drops)
			}
			if c.others != nil {
				// Extra replicas (the topic's share is not whole) go to the least loaded brokers.
				load := map[int32]int{}
				for _, p := range c.others {
					for _, b := range p.Replicas {
						load[b]++
					}
				}
				for _, a := range c.brokers {
					for _, b := range c.brokers {
						if count[a] > count[b] && load[a]+count[a]-load[b]-count[b] >= 2 {
							t.Errorf("broker %d (load %d) got %d replicas, broker %d (load %d) only %d", a, load[a], count[a], b, load[b], count[b])
						}
					}
				}
			}
			again, _ := AssignTopic(reversed(c.topic), c.others, reversed(c.brokers), c.rf)
			if !reflect.DeepEqual(moves, again) {
				t.Fatal("a second plan differs")
			}
		})
	}
}

func TestAssignTopicErrors(t *testing.T) {
	x := topicOn(3, 2, ids(0, 3))
	for _, c := range []struct {
		name    string
		topic   []Partition
		brokers []int32
		rf      int
		kind    ErrKind
	}{
		{"rf 0", x, ids(0, 3), 0, ErrNoReplicas},
		{"no brokers", x, nil, 1, ErrNoReplicas},
		{"rf over brokers", x, ids(0, 2), 3, ErrTooManyReplicas},
		{"broker twice", x, []int32{0, 1, 1}, 2, ErrDuplicateBroker},
		{"two topics", append(slices.Clone(x), Partition{"y", 0, []int32{0}, 0}), ids(0, 3), 1, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := AssignTopic(c.topic, nil, c.brokers, c.rf)
			var pe *PlanError
			if err == nil || c.kind != "" && (!errors.As(err, &pe) || pe.Kind != c.kind) {
				t.Fatalf("error %v, want kind %q", err, c.kind)
			}
		})
	}
}

func TestCheckManual(t *testing.T) {
	parts := topicOn(3, 2, ids(0, 3)) // x-0 [0 1], x-1 [1 2], x-2 [2 0]
	brokers := ids(0, 3)
	for _, c := range []struct {
		name string
		plan map[int32][]int32
		want *PlanError // nil: valid
	}{
		{"valid, all partitions", map[int32][]int32{0: {2, 1}, 1: {0, 1}, 2: {1, 0}}, nil},
		{"valid, one partition", map[int32][]int32{1: {0, 2}}, nil},
		{"valid, rf up everywhere", map[int32][]int32{0: {0, 1, 2}, 1: {1, 2, 0}, 2: {2, 0, 1}}, nil},
		{"empty plan", map[int32][]int32{}, &PlanError{Kind: ErrEmptyPlan, Partition: -1, Broker: -1}},
		{"no such partition", map[int32][]int32{0: {0, 1}, 3: {0, 1}}, &PlanError{Kind: ErrNoPartition, Topic: "x", Partition: 3, Broker: -1}},
		{"negative partition", map[int32][]int32{-1: {0, 1}}, &PlanError{Kind: ErrNoPartition, Topic: "x", Partition: -1, Broker: -1}},
		{"empty replicas", map[int32][]int32{0: {0, 1}, 1: {}}, &PlanError{Kind: ErrNoReplicas, Topic: "x", Partition: 1, Broker: -1}},
		{"unknown broker", map[int32][]int32{2: {0, 7}}, &PlanError{Kind: ErrUnknownBroker, Topic: "x", Partition: 2, Broker: 7}},
		{"broker twice", map[int32][]int32{0: {1, 1}}, &PlanError{Kind: ErrDuplicateBroker, Topic: "x", Partition: 0, Broker: 1}},
		{"over brokers", map[int32][]int32{0: {0, 1, 2, 3}}, &PlanError{Kind: ErrTooManyReplicas, Topic: "x", Partition: 0, Broker: -1, Count: 4}},
		{"uneven in plan", map[int32][]int32{0: {0, 1, 2}, 1: {0, 1}, 2: {0, 1, 2}}, &PlanError{Kind: ErrUnevenReplicas, Topic: "x", Partition: 1, Broker: -1, Count: 2}},
		{"uneven with the rest", map[int32][]int32{2: {0}}, &PlanError{Kind: ErrUnevenReplicas, Topic: "x", Partition: 2, Broker: -1, Count: 1}},
		{"first error in partition order", map[int32][]int32{2: {9, 0}, 1: {1, 1}}, &PlanError{Kind: ErrDuplicateBroker, Topic: "x", Partition: 1, Broker: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckManual(parts, brokers, c.plan)
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *PlanError
			if !errors.As(err, &pe) || *pe != *c.want {
				t.Fatalf("error %#v, want %#v", err, c.want)
			}
			if pe.Error() == "" || fmt.Sprint(err) != pe.Error() {
				t.Fatal("no message")
			}
		})
	}
}

func reversed[T any](s []T) []T {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
