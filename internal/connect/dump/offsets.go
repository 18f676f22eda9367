package dump

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ResetOffsets deletes the group's committed offsets ("restart resets progress") by deleting the
// group, so the next Start begins where its ConsumerStrategy says. The task's runner must be stopped
// first: Kafka refuses to delete a group with members. A group that does not exist is already reset.
func ResetOffsets(ctx context.Context, kafkaOpts []kgo.Opt, group string) error {
	cl, err := kgo.NewClient(kafkaOpts...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).DeleteGroup(ctx, group)
	if err == nil {
		err = resp.Err
	}
	switch {
	case err == nil, errors.Is(err, kerr.GroupIDNotFound):
		return nil
	case errors.Is(err, kerr.NonEmptyGroup):
		return fmt.Errorf("consumer group %q still has members: stop the dump task before resetting its offsets", group)
	}
	return fmt.Errorf("delete consumer group %q: %w", group, err)
}

// CommittedProgress is the progress of a group whose runner is not running (a paused or stopped task),
// from Kafka alone: per partition of topics (nil: the topics the group has committed offsets for),
// LastTransferOffset is the committed offset minus one (-1 if none), LogEndOffset the high watermark,
// Lag the records after the committed offset (after the log start when nothing is committed).
//
// It connects a client for the call; a caller that holds a client of the instance passes it to
// CommittedProgressOf instead (this runs on every progress read of a paused dump).
func CommittedProgress(ctx context.Context, kafkaOpts []kgo.Opt, group string, topics []string) ([]PartitionProgress, error) {
	cl, err := kgo.NewClient(kafkaOpts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	return CommittedProgressOf(ctx, kadm.NewClient(cl), group, topics)
}

// CommittedProgressOf is CommittedProgress through adm, a client of the instance the caller keeps
// (it needs no group membership: any client with the control options will do).
func CommittedProgressOf(ctx context.Context, adm *kadm.Client, group string, topics []string) ([]PartitionProgress, error) {
	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, fmt.Errorf("committed offsets of group %q: %w", group, err)
	}
	if topics == nil {
		topics = offs.Offsets().TopicsSet().Topics()
		if len(topics) == 0 {
			return nil, nil
		}
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("end offsets of %v: %w", topics, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("start offsets of %v: %w", topics, err)
	}
	var out []PartitionProgress
	ends.Each(func(e kadm.ListedOffset) {
		p := PartitionProgress{Topic: e.Topic, Partition: e.Partition, LastTransferOffset: -1, LogEndOffset: e.Offset}
		from := int64(0)
		if s, ok := starts.Lookup(e.Topic, e.Partition); ok {
			from = s.Offset
		}
		if o, ok := offs.Lookup(e.Topic, e.Partition); ok && o.At >= 0 {
			p.LastTransferOffset, from = o.At-1, o.At
		}
		p.Lag = max(e.Offset-from, 0)
		out = append(out, p)
	})
	slices.SortFunc(out, func(a, b PartitionProgress) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out, nil
}
