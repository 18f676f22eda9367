package rebalance

import (
	"fmt"
	"slices"
)

// ErrKind says what is wrong with a plan; the caller maps each kind to a DMS error code.
type ErrKind string

// The kinds of PlanError.
const (
	ErrEmptyPlan       ErrKind = "empty plan"        // a plan without partitions
	ErrNoPartition     ErrKind = "no such partition" // the topic has no such partition
	ErrNoReplicas      ErrKind = "no replicas"       // an empty replica list, or rf < 1
	ErrTooManyReplicas ErrKind = "more replicas than brokers"
	ErrUnknownBroker   ErrKind = "unknown broker"
	ErrDuplicateBroker ErrKind = "broker twice"          // in one partition, or in a broker list
	ErrUnevenReplicas  ErrKind = "replica counts differ" // between the topic's partitions after the plan
)

// PlanError is a plan that cannot be done. Partition is -1 and Broker is -1 where they do not
// apply; Count is the replica count at fault (ErrTooManyReplicas, ErrUnevenReplicas).
type PlanError struct {
	Kind      ErrKind
	Topic     string
	Partition int32
	Broker    int32
	Count     int
}

func (e *PlanError) Error() string {
	msg := "rebalance: " + string(e.Kind)
	if e.Topic != "" || e.Partition >= 0 {
		msg += fmt.Sprintf(": partition %s-%d", e.Topic, e.Partition)
	}
	if e.Broker >= 0 {
		msg += fmt.Sprintf(", broker %d", e.Broker)
	}
	if e.Count > 0 {
		msg += fmt.Sprintf(", %d replicas", e.Count)
	}
	return msg
}

// CheckManual validates a manual plan (5.2.8, 5.2.11's assignment): plan maps partitions of
// one topic, whose partitions now are parts, to their new replicas, the first one the leader;
// brokers are the live brokers. Partitions the plan leaves out keep their replicas, and every
// partition must have the same replica count after the plan (the reference's rule). The first
// error in partition order is returned, as a *PlanError; checks per partition run in the order
// empty list, too many replicas, unknown broker, broker twice.
func CheckManual(parts []Partition, brokers []int32, plan map[int32][]int32) error {
	if len(plan) == 0 {
		return &PlanError{Kind: ErrEmptyPlan, Partition: -1, Broker: -1}
	}
	ids := make([]int32, 0, len(plan))
	for id := range plan {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	topic := ""
	if len(parts) > 0 {
		topic = parts[0].Topic
	}
	counts := map[int32]int{} // replica count of each partition after the plan
	for _, p := range parts {
		counts[p.Partition] = len(p.Replicas)
	}
	for _, id := range ids {
		reps := plan[id]
		e := &PlanError{Topic: topic, Partition: id, Broker: -1}
		if _, ok := counts[id]; !ok {
			e.Kind = ErrNoPartition
			return e
		}
		switch {
		case len(reps) == 0:
			e.Kind = ErrNoReplicas
		case len(reps) > len(brokers):
			e.Kind, e.Count = ErrTooManyReplicas, len(reps)
		}
		for i, b := range reps {
			if e.Kind != "" {
				break
			}
			switch {
			case !slices.Contains(brokers, b):
				e.Kind, e.Broker = ErrUnknownBroker, b
			case slices.Contains(reps[:i], b):
				e.Kind, e.Broker = ErrDuplicateBroker, b
			}
		}
		if e.Kind != "" {
			return e
		}
		counts[id] = len(reps)
	}
	// Uneven: name the first partition, in partition order, whose count differs from the
	// lowest-numbered partition's.
	all := make([]int32, 0, len(counts))
	for id := range counts {
		all = append(all, id)
	}
	slices.Sort(all)
	for _, id := range all {
		if counts[id] != counts[all[0]] {
			return &PlanError{Kind: ErrUnevenReplicas, Topic: topic, Partition: id, Broker: -1, Count: counts[id]}
		}
	}
	return nil
}

// AssignTopic is 5.2.11's automatic assignment: the partitions of one topic onto brokers with
// replication factor rf, moving as little as possible. Replicas already on the brokers stay
// (the leader first), up to rf; missing ones go where the topic has fewest replicas, then where
// the cluster's other partitions (others, only counted as load) put fewest. The topic then gets
// an even spread over the brokers (at most 1 apart), the brokers with the least load taking the
// extra ones, and its preferred leaders an even spread. Moves come in partition order; Batches
// orders them for execution. Errors are *PlanError: rf < 1, rf over the number of brokers, a
// broker listed twice.
func AssignTopic(topic []Partition, others []Partition, brokers []int32, rf int) ([]Move, error) {
	if rf < 1 || len(brokers) == 0 {
		return nil, &PlanError{Kind: ErrNoReplicas, Partition: -1, Broker: -1, Count: rf}
	}
	if rf > len(brokers) {
		return nil, &PlanError{Kind: ErrTooManyReplicas, Partition: -1, Broker: -1, Count: rf}
	}
	s, err := newState(brokers)
	if err != nil {
		return nil, err
	}
	if len(topic) == 0 {
		return nil, nil
	}
	name := topic[0].Topic
	for _, p := range topic {
		if p.Topic != name {
			return nil, fmt.Errorf("rebalance: AssignTopic got partitions of %q and %q", name, p.Topic)
		}
	}
	if err := s.load(topic, false); err != nil {
		return nil, err
	}
	// The topic's own partitions in others would count twice.
	others = slices.DeleteFunc(slices.Clone(others), func(p Partition) bool { return p.Topic == name })
	if err := s.load(others, true); err != nil {
		return nil, err
	}
	const t = 0 // loaded first
	// Drop replicas off the brokers, then the surplus over rf (never the leader: the last ones
	// where the topic has most), then add the missing where it has fewest.
	for _, pi := range s.byTopic[t] {
		p := &s.parts[pi]
		for i := len(p.reps) - 1; i >= 0; i-- {
			if p.reps[i] < 0 {
				p.reps = slices.Delete(p.reps, i, i+1)
			}
		}
	}
	for _, pi := range s.byTopic[t] {
		p := &s.parts[pi]
		for len(p.reps) > rf {
			drop := -1
			for i := len(p.reps) - 1; i >= 0; i-- {
				if s.ids[p.reps[i]] == p.orig[0] {
					continue
				}
				if drop < 0 || s.less(t, p.reps[drop], p.reps[i]) {
					drop = i
				}
			}
			s.count(t, p.reps[drop], p.size, -1)
			p.reps = slices.Delete(p.reps, drop, drop+1)
		}
	}
	for _, pi := range s.byTopic[t] {
		p := &s.parts[pi]
		for len(p.reps) < rf {
			best := -1
			for b := range s.ids {
				if !slices.Contains(p.reps, b) && (best < 0 || s.less(t, b, best)) {
					best = b
				}
			}
			s.count(t, best, p.size, 1)
			p.reps = append(p.reps, best)
		}
	}
	s.evenTopic(t)
	s.electLeaders()
	return s.moves(), nil
}

// evenTopic spreads topic t's replicas at most 1 apart over the brokers, then hands the extra
// ones to the brokers with fewest replicas in all: the topic first, the cluster's load second.
func (s *state) evenTopic(t int) {
	c := s.c[t]
	for {
		a, b := 0, 0
		for x := range s.ids {
			if c[x] > c[a] || c[x] == c[a] && s.g[x] > s.g[a] {
				a = x
			}
			if c[x] < c[b] || c[x] == c[b] && s.g[x] < s.g[b] {
				b = x
			}
		}
		if c[a]-c[b] < 2 {
			break
		}
		pi, i := s.pick(t, a, b) // a holds more of t than b: some partition is on a, not on b
		if pi < 0 {
			break
		}
		s.move(pi, i, b)
	}
	for {
		// Now c is m or m+1 everywhere: move an extra from the most loaded broker holding one
		// to the least loaded without, while they differ by 2 or more.
		a, b := -1, -1
		for x := range s.ids {
			top := c[x] == slices.Max(c)
			if top && (a < 0 || s.g[x] > s.g[a]) {
				a = x
			}
			if !top && (b < 0 || s.g[x] < s.g[b]) {
				b = x
			}
		}
		if a < 0 || b < 0 || s.g[a]-s.g[b] < 2 {
			return
		}
		pi, i := s.pick(t, a, b)
		if pi < 0 {
			return
		}
		s.move(pi, i, b)
	}
}
