package messages

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
)

// PartitionOffset is one entry of 5.8.6's body: delete the messages of Partition before Offset
// (-1: every message).
type PartitionOffset struct {
	Partition *int32 `json:"partition"`
	Offset    *int64 `json:"offset"`
}

// DeleteOutcome is 5.8.6's result for one partition.
type DeleteOutcome struct {
	Partition int32
	// Start is the partition's first offset after the deletion.
	Start int64
	// Err is the broker's refusal; ErrCode its Kafka error code (0 on success).
	Err     error
	ErrCode int16
}

// Delete deletes, in each partition given, the messages before the offset given (5.8.6; Kafka's
// DeleteRecords: the partition's first offset becomes that offset, and its earlier messages are
// gone for every consumer). The request is checked whole before anything is deleted: every partition
// must exist once, and every offset be -1 (all messages) or within [0, the partition's end offset].
func (s *Service) Delete(ctx context.Context, projectID, instanceID, topic string, parts []PartitionOffset) ([]DeleteOutcome, error) {
	if topic == "" {
		return nil, invalid("topic is required")
	}
	if len(parts) == 0 {
		return nil, invalid("partitions must name at least one partition and offset")
	}
	_, c, err := s.instances.ClusterClient(ctx, projectID, instanceID)
	if err != nil {
		return nil, err
	}
	bounds, err := c.PartitionBounds(ctx, topic)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
	}
	end := make(map[int32]int64, len(bounds))
	for _, b := range bounds {
		end[b.Partition] = b.End
	}
	before := make(map[int32]int64, len(parts))
	for i, p := range parts {
		if p.Partition == nil || p.Offset == nil {
			return nil, invalid("partitions[%d] needs both partition and offset", i)
		}
		e, ok := end[*p.Partition]
		if !ok {
			return nil, invalid("topic %s has no partition %d (it has %d)", topic, *p.Partition, len(bounds))
		}
		if _, dup := before[*p.Partition]; dup {
			return nil, invalid("partition %d is named twice", *p.Partition)
		}
		if o := *p.Offset; o < -1 || o > e {
			return nil, invalid("offset %d of partition %d is out of range: it must be -1 (every message) or from 0 to the partition's end offset %d", o, *p.Partition, e)
		}
		before[*p.Partition] = *p.Offset
	}
	res, err := c.DeleteRecords(ctx, topic, before)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
	}
	out := make([]DeleteOutcome, len(res))
	for i, r := range res {
		out[i] = DeleteOutcome{Partition: r.Partition, Start: r.LowWatermark, Err: r.Err}
		var ke *kerr.Error
		if errors.As(r.Err, &ke) {
			out[i].ErrCode = ke.Code
		} else if r.Err != nil {
			out[i].ErrCode = kerr.UnknownServerError.Code
		}
	}
	return out, nil
}
