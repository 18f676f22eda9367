package kafkaops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Errors of the consumer group writes.
var (
	// ErrGroupNotEmpty is a write refused because the group has active members (Kafka's
	// NON_EMPTY_GROUP, or a commit answered UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION because a member
	// joined meanwhile).
	ErrGroupNotEmpty = errors.New("kafkaops: consumer group has active members")
	// ErrTopicNotFound is a topic the cluster does not have.
	ErrTopicNotFound = errors.New("kafkaops: topic not found")
	// ErrNoCommittedTopics is a reset of every topic of a group that has committed no offset.
	ErrNoCommittedTopics = errors.New("kafkaops: the group has no committed offsets")
)

// groupWriteErr maps a Kafka error of a group write to ErrGroupNotEmpty or ErrGroupNotFound.
func groupWriteErr(group string, err error) error {
	switch {
	case errors.Is(err, kerr.NonEmptyGroup), errors.Is(err, kerr.UnknownMemberID), errors.Is(err, kerr.IllegalGeneration),
		errors.Is(err, kerr.RebalanceInProgress), errors.Is(err, kerr.StaleMemberEpoch):
		return fmt.Errorf("%w: %s: %w", ErrGroupNotEmpty, group, err)
	case errors.Is(err, kerr.GroupIDNotFound):
		return fmt.Errorf("%w: %s", ErrGroupNotFound, group)
	}
	return err
}

// DeleteGroups deletes consumer groups (DeleteGroups batched per coordinator) and returns each
// group's result: nil, ErrGroupNotFound for a group the cluster does not list as a consumer group,
// ErrGroupNotEmpty for a group with active members, or another error. The error returned is for the
// whole call (the groups could not be listed).
func (c *Client) DeleteGroups(ctx context.Context, names []string) (map[string]error, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	listed, listErr := c.listConsumerGroups(ctx)
	if listErr != nil && listed == nil {
		return nil, listErr
	}
	out := make(map[string]error, len(names))
	var del []string
	for _, n := range names {
		if _, found := slices.BinarySearchFunc(listed, n, func(g ListedGroup, n string) int { return cmp.Compare(g.Name, n) }); !found {
			if listErr != nil {
				out[n] = listErr
			} else {
				out[n] = fmt.Errorf("%w: %s", ErrGroupNotFound, n)
			}
			continue
		}
		del = append(del, n)
	}
	if len(del) == 0 {
		return out, nil
	}
	rs, err := c.adm.DeleteGroups(ctx, del...)
	for _, n := range del {
		r, ok := rs[n]
		switch {
		case !ok:
			out[n] = fmt.Errorf("kafkaops: delete group %s: no answer: %w", n, cmp.Or(err, errors.New("no DeleteGroups answer")))
		case r.Err != nil:
			out[n] = groupWriteErr(n, withMessage(r.Err, r.ErrMessage))
		default:
			out[n] = nil
		}
	}
	return out, nil
}

// OffsetReset says where ResetGroupOffsets moves a group: to Offset, or to the first offset at or
// after Timestamp (ms), clamped to each partition's [log start, log end].
type OffsetReset struct {
	Topic     string // "" for every topic the group has committed offsets for
	Partition int32  // -1 for every partition
	Offset    *int64
	Timestamp *int64
	// Create lets the reset commit the first offsets of a group the cluster does not have (one
	// created through the DMS API: Kafka only holds a group once it has members or offsets); Topic
	// is then required, as such a group has no committed topics to default to.
	Create bool
}

// ResetLine is one partition of an offset reset: the group's committed offset before it (-1 when
// none), the offset the reset sets, and the partition's log start and end it was clamped to.
type ResetLine struct {
	Topic      string
	Partition  int32
	Current    int64
	New        int64
	Start, End int64
}

// ResetGroupOffsets commits the offsets r says for the group and returns them per topic and
// partition. It is refused (ErrGroupNotEmpty) while the group has members: the commit is made by
// this admin client (generation -1), which Kafka accepts only for an empty group. ErrGroupNotFound,
// ErrTopicNotFound, ErrUnknownPartition and ErrNoCommittedTopics for what does not exist.
func (c *Client) ResetGroupOffsets(ctx context.Context, group string, r OffsetReset) (map[string]map[int32]int64, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	lines, err := c.planReset(ctx, group, r)
	if err != nil {
		return nil, err
	}
	commit := kadm.Offsets{}
	for _, l := range lines {
		commit.Add(kadm.Offset{Topic: l.Topic, Partition: l.Partition, At: l.New, LeaderEpoch: -1})
	}
	resps, err := c.adm.CommitOffsets(ctx, group, commit)
	if err != nil {
		return nil, groupWriteErr(group, err)
	}
	if err := resps.Error(); err != nil {
		return nil, groupWriteErr(group, err)
	}
	out := map[string]map[int32]int64{}
	for _, l := range lines {
		if out[l.Topic] == nil {
			out[l.Topic] = map[int32]int64{}
		}
		out[l.Topic][l.Partition] = l.New
	}
	return out, nil
}

// PlanGroupOffsetReset is ResetGroupOffsets without the commit (a dry run): the same checks and
// errors, and per partition, sorted by topic and partition, the committed offset now and the one
// the reset would set. The cluster may still change before a real reset (records appended, a
// consumer joining), so the real reset computes its offsets afresh.
func (c *Client) PlanGroupOffsetReset(ctx context.Context, group string, r OffsetReset) ([]ResetLine, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	return c.planReset(ctx, group, r)
}

// planReset checks a reset and computes its offsets, sorted by topic and partition.
func (c *Client) planReset(ctx context.Context, group string, r OffsetReset) ([]ResetLine, error) {
	g, err := c.Group(ctx, group)
	if errors.Is(err, ErrGroupNotFound) && r.Create {
		g, err = Group{ListedGroup: ListedGroup{Name: group, State: "Empty"}}, nil
	}
	if err != nil {
		return nil, err
	}
	if len(g.Members) > 0 || !strings.EqualFold(g.State, "Empty") {
		return nil, fmt.Errorf("%w: %s is %s with %d members", ErrGroupNotEmpty, group, g.State, len(g.Members))
	}
	var topics []string
	if r.Topic != "" {
		topics = []string{r.Topic}
	} else {
		for _, o := range g.Offsets {
			if o.Committed >= 0 && !slices.Contains(topics, o.Topic) {
				topics = append(topics, o.Topic)
			}
		}
		if len(topics) == 0 {
			return nil, fmt.Errorf("%w: %s", ErrNoCommittedTopics, group)
		}
	}
	starts, ends, err := c.startEndOffsets(ctx, topics)
	if err != nil {
		return nil, err
	}
	var after kadm.ListedOffsets
	if r.Offset == nil && r.Timestamp != nil {
		// A time before every record is the log start; -1 and -2 are Kafka's latest and earliest.
		if after, err = c.adm.ListOffsetsAfterMilli(ctx, max(*r.Timestamp, 0), topics...); err != nil {
			return nil, fmt.Errorf("kafkaops: list offsets after %d: %w", *r.Timestamp, err)
		}
	}
	current := map[string]map[int32]int64{}
	for _, o := range g.Offsets {
		if current[o.Topic] == nil {
			current[o.Topic] = map[int32]int64{}
		}
		current[o.Topic][o.Partition] = o.Committed
	}
	var lines []ResetLine
	for _, t := range topics {
		ps := ends[t]
		if len(ps) == 0 || ps[-1].Err != nil {
			return nil, fmt.Errorf("%w: %s", ErrTopicNotFound, t)
		}
		if r.Partition >= 0 {
			if _, ok := ps[r.Partition]; !ok {
				return nil, fmt.Errorf("%w: %s-%d", ErrUnknownPartition, t, r.Partition)
			}
		}
		for p, e := range ps {
			if r.Partition >= 0 && p != r.Partition {
				continue
			}
			s, ok := starts.Lookup(t, p)
			if !ok || s.Err != nil || e.Err != nil {
				return nil, fmt.Errorf("kafkaops: offsets of %s-%d: %w", t, p, cmp.Or(e.Err, s.Err, errors.New("no answer")))
			}
			var at int64
			switch {
			case r.Offset != nil:
				at = *r.Offset
			case r.Timestamp != nil:
				at = e.Offset
				if a, ok := after.Lookup(t, p); ok && a.Err == nil && a.Offset >= 0 {
					at = a.Offset
				}
			default:
				return nil, errors.New("kafkaops: reset to neither an offset nor a time")
			}
			cur, ok := current[t][p]
			if !ok {
				cur = -1
			}
			lines = append(lines, ResetLine{Topic: t, Partition: p, Current: cur, New: min(max(at, s.Offset), e.Offset), Start: s.Offset, End: e.Offset})
		}
	}
	slices.SortFunc(lines, func(a, b ResetLine) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return lines, nil
}

// DeleteGroupOffsets deletes the group's committed offsets of each topic (OffsetDelete over all the
// topic's partitions) and returns each topic's result: nil, ErrTopicNotFound, or Kafka's error
// (GROUP_SUBSCRIBED_TO_TOPIC while members consume the topic). ErrGroupNotFound for the whole call
// when the cluster does not list the group as a consumer group.
func (c *Client) DeleteGroupOffsets(ctx context.Context, group string, topics []string) (map[string]error, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	listed, err := c.listConsumerGroups(ctx)
	if err != nil {
		return nil, err
	}
	if _, found := slices.BinarySearchFunc(listed, group, func(g ListedGroup, n string) int { return cmp.Compare(g.Name, n) }); !found {
		return nil, fmt.Errorf("%w: %s", ErrGroupNotFound, group)
	}
	out := make(map[string]error, len(topics))
	if len(topics) == 0 {
		return out, nil
	}
	ends, err := c.adm.ListEndOffsets(ctx, topics...)
	if err != nil && len(ends) == 0 {
		return nil, fmt.Errorf("kafkaops: list partitions: %w", err)
	}
	set := kadm.TopicsSet{}
	for _, t := range topics {
		ps := ends[t]
		if len(ps) == 0 || ps[-1].Err != nil {
			out[t] = fmt.Errorf("%w: %s", ErrTopicNotFound, t)
			continue
		}
		for p := range ps {
			set.Add(t, p)
		}
	}
	if len(set) == 0 {
		return out, nil
	}
	rs, err := c.adm.DeleteOffsets(ctx, group, set)
	if err != nil {
		return nil, groupWriteErr(group, err)
	}
	for t := range set {
		var errs []error
		for p := range set[t] {
			if perr, ok := rs.Lookup(t, p); !ok {
				errs = append(errs, fmt.Errorf("partition %d: no answer", p))
			} else if perr != nil {
				errs = append(errs, perr)
			}
		}
		if len(errs) > 0 {
			out[t] = errs[0]
		} else {
			out[t] = nil
		}
	}
	return out, nil
}
