package kafkaops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrGroupNotFound is returned by Group for a group the cluster does not list (as a consumer
// group: see ClusterInfo.ConsumerGroups).
var ErrGroupNotFound = errors.New("kafkaops: consumer group not found")

// ListedGroup is a consumer group as ListGroups names it.
type ListedGroup struct {
	Name        string
	State       string // Kafka's spelling: Stable, Empty, PreparingRebalance, ...; KIP-848: Assigning, Reconciling, ...
	Type        string // "classic" or "consumer" (KIP-848); "" from brokers before Kafka 3.8
	Coordinator int32  // the broker that answered ListGroups for it: its coordinator
}

// Group is a consumer group with its members and committed offsets (5.6.1, 5.6.2, 5.6.6, 5.6.8,
// 5.6.11, 5.6.12).
type Group struct {
	ListedGroup
	Protocol string        // the assignment strategy ("range", "cooperative-sticky", KIP-848's "uniform"...)
	Members  []GroupMember // sorted by member id
	// Offsets has a line for every partition the group committed an offset for or that a member is
	// assigned, sorted by topic and partition.
	Offsets []GroupOffset
	Lag     int64 // sum of Offsets' lags
	// TopicPartitions is the partition count of each topic of Offsets (0 for a deleted topic).
	TopicPartitions map[string]int
	// Partial is non-nil when some of the above could not be had (a coordinator or a partition
	// leader did not answer): what is there is valid, the rest is missing.
	Partial error
}

// GroupMember is one member of a group.
type GroupMember struct {
	MemberID   string
	InstanceID string // KIP-345 static membership; "" if none
	ClientID   string
	Host       string            // as the coordinator saw it, e.g. "/127.0.0.1"
	Assignment []TopicPartitions // sorted by topic, partitions ascending
	assigned   map[string]map[int32]bool
}

// GroupOffset is one partition of a group.
type GroupOffset struct {
	Topic     string
	Partition int32
	// Committed is the group's committed offset; -1 when it has none (a partition assigned but not
	// committed yet).
	Committed int64
	Start     int64 // log start offset; -1 when unknown
	End       int64 // log end offset (high watermark); -1 when unknown
	// Lag is End - Committed (0 when negative), or End - Start for a partition without a committed
	// offset; 0 when the offsets are unknown.
	Lag int64
	// The member assigned this partition, if any.
	MemberID, ClientID, Host string
}

// TopicLag sums a group's partitions of one topic (5.6.11).
type TopicLag struct {
	Topic      string
	Partitions int   // the topic's partition count (0 when the topic no longer exists)
	Lag        int64 // sum over the group's partitions of the topic
}

// Topics sums the group's offsets per topic, sorted by topic.
func (g Group) Topics() []TopicLag {
	by := map[string]*TopicLag{}
	var out []*TopicLag
	for _, o := range g.Offsets {
		t := by[o.Topic]
		if t == nil {
			t = &TopicLag{Topic: o.Topic, Partitions: g.TopicPartitions[o.Topic]}
			by[o.Topic] = t
			out = append(out, t)
		}
		t.Lag += o.Lag
	}
	res := make([]TopicLag, 0, len(out))
	for _, t := range out {
		res = append(res, *t)
	}
	return res
}

// ListConsumerGroups lists the cluster's consumer groups (see ClusterInfo.ConsumerGroups), sorted
// by name: ListGroups to every broker. When some broker does not answer, the groups listed are
// returned with a non-nil error.
func (c *Client) ListConsumerGroups(ctx context.Context) ([]ListedGroup, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.listConsumerGroups(ctx)
}

// consumerGroupNames lists the consumer groups' names, sorted (see ClusterInfo.ConsumerGroups for
// which groups count). When some broker does not answer, the names found come with an error.
func (c *Client) consumerGroupNames(ctx context.Context) ([]string, error) {
	listed, err := c.listConsumerGroups(ctx)
	names := make([]string, len(listed))
	for i, g := range listed {
		names[i] = g.Name
	}
	return names, err
}

func (c *Client) listConsumerGroups(ctx context.Context) ([]ListedGroup, error) {
	listed, err := c.adm.ListGroups(ctx)
	if err != nil && len(listed) == 0 {
		return nil, fmt.Errorf("kafkaops: list groups: %w", err)
	}
	out := make([]ListedGroup, 0, len(listed))
	for _, g := range listed {
		if isConsumerGroup(g) {
			out = append(out, ListedGroup{Name: g.Group, State: g.State, Type: g.GroupType, Coordinator: g.Coordinator})
		}
	}
	slices.SortFunc(out, func(a, b ListedGroup) int { return cmp.Compare(a.Name, b.Name) })
	if err != nil {
		return out, fmt.Errorf("kafkaops: list groups (partial): %w", err)
	}
	return out, nil
}

// Group describes one consumer group with its offsets; ErrGroupNotFound when the cluster does not
// list it.
func (c *Client) Group(ctx context.Context, name string) (Group, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	listed, listErr := c.listConsumerGroups(ctx)
	if listErr != nil && listed == nil {
		return Group{}, listErr
	}
	i, found := slices.BinarySearchFunc(listed, name, func(g ListedGroup, n string) int { return cmp.Compare(g.Name, n) })
	if !found {
		if listErr != nil { // its coordinator may be the broker that did not answer
			return Group{}, listErr
		}
		return Group{}, fmt.Errorf("%w: %s", ErrGroupNotFound, name)
	}
	gs, err := c.describe(ctx, listed[i:i+1])
	if err != nil {
		return Group{}, err
	}
	return gs[0], nil
}

// DescribeGroups describes the listed groups with their offsets, in the order given, with a fixed
// number of requests whatever their count: DescribeGroups (classic groups) and ConsumerGroupDescribe
// (KIP-848 groups) batched per coordinator, OffsetFetch for all groups (FetchManyOffsets), then one
// ListOffsets round (start and end) for every partition involved. A group whose part could not be
// had carries the error in Partial.
func (c *Client) DescribeGroups(ctx context.Context, groups []ListedGroup) ([]Group, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.describe(ctx, groups)
}

func (c *Client) describe(ctx context.Context, groups []ListedGroup) ([]Group, error) {
	out := make([]Group, len(groups))
	if len(groups) == 0 {
		return out, nil
	}
	var classic, next, all []string
	for i, g := range groups {
		out[i] = Group{ListedGroup: g, Members: []GroupMember{}, Offsets: []GroupOffset{}}
		all = append(all, g.Name)
		if g.Type == "consumer" {
			next = append(next, g.Name)
		} else {
			classic = append(classic, g.Name)
		}
	}

	var (
		wg               sync.WaitGroup
		described        kadm.DescribedGroups
		describedNext    kadm.DescribedConsumerGroups
		descErr, nextErr error
		fetched          kadm.FetchOffsetsResponses
	)
	if len(classic) > 0 {
		wg.Go(func() { described, descErr = c.adm.DescribeGroups(ctx, classic...) })
	}
	if len(next) > 0 {
		wg.Go(func() { describedNext, nextErr = c.describeNext(ctx, next) })
	}
	wg.Go(func() { fetched = c.adm.FetchManyOffsets(ctx, all...) })
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("kafkaops: describe groups: %w", err)
	}

	topics := map[string]bool{}
	for i := range out {
		g := &out[i]
		var errs []error
		if d, ok := described[g.Name]; ok {
			if d.Err != nil {
				errs = append(errs, withMessage(d.Err, d.ErrMessage))
			} else {
				fillClassic(g, d)
			}
		} else if dn, ok := describedNext[g.Name]; ok {
			if dn.Err != nil {
				errs = append(errs, dn.Err)
			} else {
				fillNext(g, dn)
			}
			if nextErr != nil { // a topic of its assignment may be missing
				errs = append(errs, fmt.Errorf("describe: %w", nextErr))
			}
		} else if g.Type == "consumer" && nextErr != nil {
			errs = append(errs, fmt.Errorf("describe: %w", nextErr))
		} else if descErr != nil {
			errs = append(errs, fmt.Errorf("describe: %w", descErr))
		}
		committed := map[string]map[int32]int64{}
		if f, ok := fetched[g.Name]; !ok {
			errs = append(errs, errors.New("no OffsetFetch answer"))
		} else if f.Err != nil {
			errs = append(errs, fmt.Errorf("offsets: %w", f.Err))
		} else {
			f.Fetched.Each(func(o kadm.OffsetResponse) {
				if o.Err != nil || o.At < 0 {
					return
				}
				if committed[o.Topic] == nil {
					committed[o.Topic] = map[int32]int64{}
				}
				committed[o.Topic][o.Partition] = o.At
			})
		}
		g.Offsets = offsetLines(g.Members, committed)
		for _, o := range g.Offsets {
			topics[o.Topic] = true
		}
		if len(errs) > 0 {
			g.Partial = errors.Join(errs...)
		}
	}

	starts, ends, offErr := c.startEndOffsets(ctx, slices.Sorted(maps.Keys(topics)))
	for i := range out {
		g := &out[i]
		g.TopicPartitions = map[string]int{}
		for j := range g.Offsets {
			o := &g.Offsets[j]
			g.TopicPartitions[o.Topic] = len(ends[o.Topic])
			s, sok := starts.Lookup(o.Topic, o.Partition)
			e, eok := ends.Lookup(o.Topic, o.Partition)
			if sok && s.Err == nil {
				o.Start = s.Offset
			}
			if !eok || e.Err != nil {
				if offErr == nil && eok {
					g.Partial = errors.Join(g.Partial, fmt.Errorf("end offset of %s-%d: %w", o.Topic, o.Partition, e.Err))
				}
				continue
			}
			o.End = e.Offset
			switch {
			case o.Committed >= 0:
				o.Lag = max(0, o.End-o.Committed)
			case o.Start >= 0:
				o.Lag = max(0, o.End-o.Start)
			}
			g.Lag += o.Lag
		}
		if offErr != nil && len(g.Offsets) > 0 {
			g.Partial = errors.Join(g.Partial, offErr)
		}
	}
	return out, nil
}

// startEndOffsets lists the start and end offsets of every partition of topics at once (two
// ListOffsets rounds in parallel, each batched per partition leader). None for no topics.
func (c *Client) startEndOffsets(ctx context.Context, topics []string) (starts, ends kadm.ListedOffsets, err error) {
	if len(topics) == 0 { // kadm would list every topic's
		return kadm.ListedOffsets{}, kadm.ListedOffsets{}, nil
	}
	var sErr, eErr error
	var wg sync.WaitGroup
	wg.Go(func() { starts, sErr = c.adm.ListStartOffsets(ctx, topics...) })
	wg.Go(func() { ends, eErr = c.adm.ListEndOffsets(ctx, topics...) })
	wg.Wait()
	if sErr != nil || eErr != nil {
		err = fmt.Errorf("list offsets: %w", errors.Join(sErr, eErr))
	}
	return starts, ends, err
}

// fillClassic fills g from a classic DescribeGroups answer.
func fillClassic(g *Group, d kadm.DescribedGroup) {
	g.State, g.Protocol, g.Coordinator = d.State, d.Protocol, d.Coordinator.NodeID
	for _, m := range d.Members {
		gm := GroupMember{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, assigned: map[string]map[int32]bool{}}
		if m.InstanceID != nil {
			gm.InstanceID = *m.InstanceID
		}
		if a, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range a.Topics {
				for _, p := range t.Partitions {
					gm.assign(t.Topic, p)
				}
			}
		}
		gm.sortAssignment()
		g.Members = append(g.Members, gm)
	}
	slices.SortFunc(g.Members, func(a, b GroupMember) int { return cmp.Compare(a.MemberID, b.MemberID) })
}

// fillNext fills g from a KIP-848 ConsumerGroupDescribe answer.
func fillNext(g *Group, d kadm.DescribedConsumerGroup) {
	g.State, g.Protocol, g.Coordinator = d.State, d.AssignorName, d.Coordinator.NodeID
	for _, m := range d.Members {
		gm := GroupMember{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, assigned: map[string]map[int32]bool{}}
		if m.InstanceID != nil {
			gm.InstanceID = *m.InstanceID
		}
		for t, ps := range m.Assignment {
			for p := range ps {
				gm.assign(t, p)
			}
		}
		gm.sortAssignment()
		g.Members = append(g.Members, gm)
	}
	slices.SortFunc(g.Members, func(a, b GroupMember) int { return cmp.Compare(a.MemberID, b.MemberID) })
}

func (m *GroupMember) assign(topic string, p int32) {
	if m.assigned[topic] == nil {
		m.assigned[topic] = map[int32]bool{}
	}
	m.assigned[topic][p] = true
}

func (m *GroupMember) sortAssignment() {
	m.Assignment = []TopicPartitions{}
	for _, t := range slices.Sorted(maps.Keys(m.assigned)) {
		m.Assignment = append(m.Assignment, TopicPartitions{Topic: t, Partitions: slices.Sorted(maps.Keys(m.assigned[t]))})
	}
}

// offsetLines makes a group's offset lines: every committed partition and every assigned one,
// sorted, each with the member assigned it. Log offsets are filled later.
func offsetLines(members []GroupMember, committed map[string]map[int32]int64) []GroupOffset {
	type tp struct {
		t string
		p int32
	}
	lines := map[tp]*GroupOffset{}
	line := func(t string, p int32) *GroupOffset {
		l := lines[tp{t, p}]
		if l == nil {
			l = &GroupOffset{Topic: t, Partition: p, Committed: -1, Start: -1, End: -1}
			lines[tp{t, p}] = l
		}
		return l
	}
	for t, ps := range committed {
		for p, at := range ps {
			line(t, p).Committed = at
		}
	}
	for _, m := range members {
		for _, a := range m.Assignment {
			for _, p := range a.Partitions {
				l := line(a.Topic, p)
				l.MemberID, l.ClientID, l.Host = m.MemberID, m.ClientID, m.Host
			}
		}
	}
	out := make([]GroupOffset, 0, len(lines))
	for _, l := range lines {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b GroupOffset) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}

// describeNext describes KIP-848 groups with one ConsumerGroupDescribe per coordinator. Unlike
// kadm's DescribeConsumerGroups it names the assigned topics when the coordinator gives only their
// ids (it may: KIP-848 assignments are by topic id), from one metadata request.
func (c *Client) describeNext(ctx context.Context, groups []string) (kadm.DescribedConsumerGroups, error) {
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = groups
	var resps []*kmsg.ConsumerGroupDescribeResponse
	var coordinators []int32
	var errs []error
	for _, shard := range c.cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			errs = append(errs, fmt.Errorf("broker %d: %w", shard.Meta.NodeID, shard.Err))
			continue
		}
		resps = append(resps, shard.Resp.(*kmsg.ConsumerGroupDescribeResponse))
		coordinators = append(coordinators, shard.Meta.NodeID)
	}
	names := map[[16]byte]string{}
	for _, resp := range resps {
		for _, g := range resp.Groups {
			for _, m := range g.Members {
				for _, tp := range m.Assignment.TopicPartitions {
					if tp.Topic == "" {
						names[tp.TopicID] = ""
					}
				}
			}
		}
	}
	if len(names) > 0 {
		m, err := c.metadata(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("naming assigned topics: %w", err))
		}
		for _, t := range m.Topics {
			names[t.ID] = t.Topic
		}
	}
	out := kadm.DescribedConsumerGroups{}
	for i, resp := range resps {
		for _, rg := range resp.Groups {
			g := kadm.DescribedConsumerGroup{Group: rg.Group, Coordinator: kadm.BrokerDetail{NodeID: coordinators[i]}, State: rg.State,
				Epoch: rg.Epoch, AssignmentEpoch: rg.AssignmentEpoch, AssignorName: rg.AssignorName, Err: kerr.ErrorForCode(rg.ErrorCode)}
			for _, rm := range rg.Members {
				gm := kadm.ConsumerGroupMember{MemberID: rm.MemberID, InstanceID: rm.InstanceID, ClientID: rm.ClientID, ClientHost: rm.ClientHost,
					MemberEpoch: rm.MemberEpoch, SubscribedTopics: rm.SubscribedTopics, Assignment: kadm.TopicsSet{}}
				for _, tp := range rm.Assignment.TopicPartitions {
					topic := cmp.Or(tp.Topic, names[tp.TopicID])
					if topic == "" {
						errs = append(errs, fmt.Errorf("group %s: no topic has the id %x", rg.Group, tp.TopicID))
						continue
					}
					gm.Assignment.Add(topic, tp.Partitions...)
				}
				g.Members = append(g.Members, gm)
			}
			out[g.Group] = g
		}
	}
	return out, errors.Join(errs...)
}
