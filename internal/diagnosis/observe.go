package diagnosis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opendms/opendms/internal/kafkaops"
)

// sample is what one look at the group and the topic saw.
type sample struct {
	at      time.Time
	state   string   // the group's state in Kafka's spelling ("Stable", ...); "" when Kafka has no such group
	members []string // member ids, sorted
	// assigned maps each partition of the topic a member is assigned to that member.
	assigned map[int32]string
	// committed is the group's committed offset of each partition of the topic that has one.
	committed map[int32]int64
	// start and end are each partition's log start and end offsets; a partition whose offsets could
	// not be read is missing from both and listed in unreadable.
	start, end map[int32]int64
	unreadable []int32
	groupErr   error // the group could not be described: the consumer items fail
	offsetsErr error // the topic's offsets could not be read at all
}

// lag is the backlog of partition p in s: the end offset minus the committed offset, or minus the
// log start when the group never committed (everything retained is unconsumed). ok is false when
// the partition's offsets are unknown.
func (s sample) lag(p int32) (lag int64, ok bool) {
	end, ok := s.end[p]
	if !ok {
		return 0, false
	}
	from, committed := s.committed[p]
	if !committed {
		from = s.start[p]
	}
	return max(0, end-from), true
}

// stable reports whether the group was stable with members (KIP-848 groups say Stable too).
func (s sample) stable() bool { return strings.EqualFold(s.state, "Stable") }

// observer takes samples of one group and topic on one cluster.
type observer struct {
	c            *kafkaops.Client
	group, topic string
}

// take looks at the group (members, assignment, committed offsets: one describe, batched per
// coordinator) and the topic's offsets (one ListOffsets round).
func (o observer) take(ctx context.Context) sample {
	s := sample{at: time.Now(), assigned: map[int32]string{}, committed: map[int32]int64{}, start: map[int32]int64{}, end: map[int32]int64{}}
	g, err := o.c.Group(ctx, o.group)
	switch {
	case errors.Is(err, kafkaops.ErrGroupNotFound):
		// No member and no committed offset: a group created through the API that no consumer
		// used yet, or one whose offsets expired.
	case err != nil:
		s.groupErr = err
	default:
		if g.Partial != nil {
			s.groupErr = g.Partial
		}
		s.state = g.State
		for _, m := range g.Members {
			s.members = append(s.members, m.MemberID)
			for _, tp := range m.Assignment {
				if tp.Topic == o.topic {
					for _, p := range tp.Partitions {
						s.assigned[p] = m.MemberID
					}
				}
			}
		}
		slices.Sort(s.members)
		for _, off := range g.Offsets {
			if off.Topic == o.topic && off.Committed >= 0 {
				s.committed[off.Partition] = off.Committed
			}
		}
	}
	offs, err := o.c.TopicOffsets(ctx, o.topic)
	if err != nil {
		s.offsetsErr = err
		return s
	}
	for _, po := range offs {
		if po.Err != nil {
			s.unreadable = append(s.unreadable, po.Partition)
			continue
		}
		s.start[po.Partition], s.end[po.Partition] = po.Start, po.End
	}
	return s
}

// observation is everything an analysis looks at: the samples over the window, and the topic's
// partitions and the brokers as they were at its end.
type observation struct {
	group, topic string
	samples      []sample // in time order; at least one
	partitions   []kafkaops.Partition
	topicErr     error
	// expected are the instance's broker ids; online those that answered (nil with brokersErr).
	expected   []int32
	online     map[int32]bool
	brokersErr error
}

// observeEnd completes o with the topic's partitions and the brokers, read once at the end.
func (ob observer) observeEnd(ctx context.Context, o *observation, expected []int32) {
	o.expected = expected
	t, err := ob.c.DescribeTopic(ctx, ob.topic)
	if err != nil {
		o.topicErr = err
	} else {
		o.partitions = t.Partitions
	}
	info, err := ob.c.Cluster(ctx)
	if err != nil {
		o.brokersErr = err
		return
	}
	o.online = map[int32]bool{}
	for _, b := range info.Brokers {
		if b.Healthy {
			o.online[b.ID] = true
		}
	}
}

// String is for logs and test failures.
func (s sample) String() string {
	return fmt.Sprintf("sample{state=%q members=%d assigned=%v committed=%v end=%v}", s.state, len(s.members), s.assigned, s.committed, s.end)
}
