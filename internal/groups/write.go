package groups

import (
	"context"
	"errors"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
)

// The group writes on the cluster's real groups (5.6.3, 5.6.5, 5.6.9, 7.2.3.1 and the SDK's
// DeleteGroup and DeleteConsumerGroupOffsets), which also act on the groups created through the
// API (meta.go): deleting one drops its record, resetting its offsets makes it the cluster's. A
// group with active members is refused with CodeGroupNotEmpty (409) rather than changed under its
// consumers.

// Delete deletes one group (5.6.9, DeleteGroup) with its record: DMS.10240405 when it does not
// exist, CodeGroupNotEmpty while it has members.
func (s *Service) Delete(ctx context.Context, projectID, instanceID, group string) error {
	in, c, err := s.cluster(ctx, projectID, instanceID)
	if err != nil {
		return err
	}
	res, err := c.DeleteGroups(ctx, []string{group})
	if err != nil {
		return kafkaerr.ToDMS(kafkaerr.Group(group), err)
	}
	recs, err := s.records(ctx, in.ID)
	if err != nil {
		return err
	}
	if err := s.settleDelete(ctx, in.ID, group, res[group], recs); err != nil {
		return kafkaerr.ToDMS(kafkaerr.Group(group), err)
	}
	return nil
}

// FailedGroup is a group 5.6.3 could not delete.
type FailedGroup struct {
	Group   string
	Message string // the DMS error message
}

// BatchDelete deletes groups (5.6.3) and returns those it could not delete, in the order given
// (a group named twice is deleted once).
func (s *Service) BatchDelete(ctx context.Context, projectID, instanceID string, names []string) ([]FailedGroup, error) {
	if len(names) == 0 {
		return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: group_ids must name at least one consumer group.")
	}
	var uniq []string
	for _, n := range names {
		if n == "" {
			return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: group_ids contains an empty group ID.")
		}
		if !slices.Contains(uniq, n) {
			uniq = append(uniq, n)
		}
	}
	in, c, err := s.cluster(ctx, projectID, instanceID)
	if err != nil {
		return nil, err
	}
	res, err := c.DeleteGroups(ctx, uniq)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	recs, err := s.records(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	failed := []FailedGroup{}
	for _, n := range uniq {
		if err := s.settleDelete(ctx, in.ID, n, res[n], recs); err != nil {
			de := dms.AsError(kafkaerr.ToDMS(kafkaerr.Group(n), err))
			if de.Code == dms.CodeInternal {
				s.log.Warn("deleting consumer group", "instance", instanceID, "group", n, "err", err)
				de = dms.Errorf(dms.CodeInternal, "%v", err)
			}
			failed = append(failed, FailedGroup{Group: n, Message: de.Message})
		}
	}
	return failed, nil
}

// ResetRequest is 5.6.5's and 7.2.3.1's body.
type ResetRequest struct {
	Topic         string // "" for every topic the group has committed offsets for
	Partition     *int32 // -1 (or absent) for every partition
	MessageOffset *int64
	Timestamp     *int64
}

// ResetOffsets moves the group's committed offsets (5.6.5, 7.2.3.1) to message_offset or to the
// first message at or after timestamp, clamped to each partition's available range; a consumer of
// the group then starts there. Refused with CodeGroupNotEmpty while the group has members. A group
// created through the API that Kafka does not have yet gets its first offsets (topic required).
func (s *Service) ResetOffsets(ctx context.Context, projectID, instanceID, group string, r ResetRequest) (map[string]map[int32]int64, error) {
	c, reset, err := s.prepareReset(ctx, projectID, instanceID, group, r)
	if err != nil {
		return nil, err
	}
	out, err := c.ResetGroupOffsets(ctx, group, reset)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.Group(group), err)
	}
	return out, nil
}

// PreviewReset is ResetOffsets as a dry run (OpenDMS's dry_run=true on 5.6.5 and 7.2.3.1): the
// same validation and errors, nothing committed; per partition the committed offset now (-1 when
// none) and the one the reset would set, sorted by topic and partition.
func (s *Service) PreviewReset(ctx context.Context, projectID, instanceID, group string, r ResetRequest) ([]kafkaops.ResetLine, error) {
	c, reset, err := s.prepareReset(ctx, projectID, instanceID, group, r)
	if err != nil {
		return nil, err
	}
	lines, err := c.PlanGroupOffsetReset(ctx, group, reset)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.Group(group), err)
	}
	return lines, nil
}

// prepareReset checks a reset request and returns the instance's client and the reset to make.
func (s *Service) prepareReset(ctx context.Context, projectID, instanceID, group string, r ResetRequest) (*kafkaops.Client, kafkaops.OffsetReset, error) {
	reset := kafkaops.OffsetReset{Topic: r.Topic, Partition: -1, Offset: r.MessageOffset, Timestamp: r.Timestamp}
	if r.Partition != nil {
		if *r.Partition < -1 {
			return nil, reset, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: partition must be -1 (all) or a partition number, got %d.", *r.Partition)
		}
		reset.Partition = *r.Partition
	}
	switch {
	case r.MessageOffset == nil && r.Timestamp == nil:
		return nil, reset, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: give message_offset or timestamp.")
	case r.MessageOffset != nil && r.Timestamp != nil:
		return nil, reset, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: give message_offset or timestamp, not both.")
	}
	in, c, err := s.cluster(ctx, projectID, instanceID)
	if err != nil {
		return nil, reset, err
	}
	recs, err := s.records(ctx, in.ID)
	if err != nil {
		return nil, reset, err
	}
	reset.Create = created(recs[group])
	return c, reset, nil
}

// TopicResult is one topic of DeleteConsumerGroupOffsets.
type TopicResult struct {
	Topic     string
	Success   bool
	ErrorCode string // Kafka's error name (e.g. GROUP_SUBSCRIBED_TO_TOPIC, UNKNOWN_TOPIC_OR_PARTITION)
}

// DeleteOffsets deletes the group's committed offsets of each topic (the SDK's
// DeleteConsumerGroupOffsets), with a result per topic in the order given.
func (s *Service) DeleteOffsets(ctx context.Context, projectID, instanceID, group string, topics []string) ([]TopicResult, error) {
	if len(topics) == 0 {
		return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: topics must name at least one topic.")
	}
	c, err := s.client(ctx, projectID, instanceID)
	if err != nil {
		return nil, err
	}
	var uniq []string
	for _, t := range topics {
		if !slices.Contains(uniq, t) {
			uniq = append(uniq, t)
		}
	}
	res, err := c.DeleteGroupOffsets(ctx, group, uniq)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.Group(group), err)
	}
	out := make([]TopicResult, 0, len(uniq))
	for _, t := range uniq {
		r := TopicResult{Topic: t, Success: res[t] == nil}
		if err := res[t]; err != nil {
			var ke *kerr.Error
			switch {
			case errors.Is(err, kafkaops.ErrTopicNotFound):
				r.ErrorCode = kerr.UnknownTopicOrPartition.Message
			case errors.As(err, &ke):
				r.ErrorCode = ke.Message
			default:
				s.log.Warn("deleting consumer group offsets", "instance", instanceID, "group", group, "topic", t, "err", err)
				r.ErrorCode = dms.CodeInternal
			}
		}
		out = append(out, r)
	}
	return out, nil
}
