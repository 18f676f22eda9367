package messages

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
)

// Property is one entry of 5.5.1's property_list.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ProduceRequest is the body of 5.5.1.
type ProduceRequest struct {
	Topic      string     `json:"topic"`
	Body       string     `json:"body"`
	Properties []Property `json:"property_list"`
}

// The properties 5.5.1 names (matched without regard to case). Any other property becomes a record
// header named as the property, so that a console-style producer can set headers too.
const (
	PropertyKey       = "KEY"
	PropertyPartition = "PARTITION"
)

// ValueSize is the size of a message as 5.5.1 (OpenDMS's extra size) and 5.8.1-5.8.3 (size) report
// it: the bytes of its value (the body produced, the value read), without key or headers.
//
// The reference gives size only as "message size" (5.8.1) and "size, bytes" (5.8.2, 5.8.3), as the
// SDK models do ("消息大小，单位字节"); it does not say whether key and headers count. The value is
// what 5.5.1 sends as body and what 5.8.x returns as value, next to size, so a message produced
// with an 8-byte body is size 8 wherever it is shown, whatever its key and headers.
func ValueSize(value []byte) int64 { return int64(len(value)) }

// Produced says where a message was written (5.5.1) and its size (ValueSize).
type Produced struct {
	kafkaops.Produced
	Size int64
}

// Produce writes one message (5.5.1) and returns where it was written, once every in-sync replica
// has it. KEY sets the record key (an empty value means no key), PARTITION the partition (empty or
// -1: chosen by the key's hash, or spread when there is no key), and any other property a header.
// A topic that does not exist is 400 DMS.00400876, unless the instance creates topics automatically
// (enable_auto_topic), where producing creates it as any Kafka producer's would.
func (s *Service) Produce(ctx context.Context, projectID, instanceID string, req ProduceRequest) (Produced, error) {
	out, err := s.produce(ctx, projectID, instanceID, req)
	if err != nil {
		return Produced{}, err
	}
	return Produced{Produced: out, Size: ValueSize([]byte(req.Body))}, nil
}

func (s *Service) produce(ctx context.Context, projectID, instanceID string, req ProduceRequest) (kafkaops.Produced, error) {
	in, err := produceInput(req)
	if err != nil {
		return kafkaops.Produced{}, err
	}
	inst, c, n, err := s.produceTarget(ctx, projectID, instanceID, in.Topic, in.Partition)
	if err != nil {
		return kafkaops.Produced{}, err
	}
	if in.Partition >= n {
		return kafkaops.Produced{}, invalid("PARTITION %d does not exist: topic %s has %d partitions", in.Partition, in.Topic, n)
	}
	out, err := c.Produce(ctx, in)
	if err != nil && in.Partition >= 0 {
		// The cached count may be stale (the topic was recreated with fewer partitions): ask the
		// cluster again so a partition that is gone is a 400, not a server error.
		if fresh, perr := s.partitions(ctx, c, inst.ID, in.Topic, true); perr == nil && in.Partition >= fresh {
			return kafkaops.Produced{}, invalid("PARTITION %d does not exist: topic %s has %d partitions", in.Partition, in.Topic, fresh)
		}
	}
	if err != nil {
		return kafkaops.Produced{}, kafkaerr.ToDMS(kafkaerr.Topic(in.Topic), err)
	}
	return out, nil
}

// produceInput validates a 5.5.1 body into the record to write.
func produceInput(req ProduceRequest) (kafkaops.ProduceInput, error) {
	in := kafkaops.ProduceInput{Topic: req.Topic, Partition: -1, Value: []byte(req.Body)}
	if strings.TrimSpace(req.Topic) == "" {
		return in, invalid("topic is required")
	}
	var sawKey, sawPartition bool
	for i, p := range req.Properties {
		switch {
		case strings.EqualFold(p.Name, PropertyKey):
			if sawKey {
				return in, invalid("property_list names KEY twice")
			}
			sawKey = true
			if p.Value != "" {
				in.Key = []byte(p.Value)
			}
		case strings.EqualFold(p.Name, PropertyPartition):
			if sawPartition {
				return in, invalid("property_list names PARTITION twice")
			}
			sawPartition = true
			if v := strings.TrimSpace(p.Value); v != "" {
				n, err := strconv.ParseInt(v, 10, 32)
				if err != nil || n < -1 {
					return in, invalid("PARTITION must be a partition number, got %q", p.Value)
				}
				in.Partition = int32(n)
			}
		case p.Name == "":
			return in, invalid("property_list[%d] has no name", i)
		default:
			in.Headers = append(in.Headers, kafkaops.Header{Key: p.Name, Value: []byte(p.Value)})
		}
	}
	return in, nil
}

// isCode says whether err is the DMS error of code.
func isCode(err error, code string) bool {
	var de *dms.Error
	return errors.As(err, &de) && de.Code == code
}

// produceTarget is the instance, its client and the partition count of topic, for a produce whose
// highest explicit partition is top (-1: none): the topic is created the first time where the
// instance creates topics automatically (as any producer of such a cluster would, with the brokers'
// defaults), and a count cached before partitions were added is read again when top is beyond it.
// The caller refuses a top still beyond the count. The instance is the shared cached record: not to
// be modified.
func (s *Service) produceTarget(ctx context.Context, projectID, instanceID, topic string, top int32) (*dms.Instance, *kafkaops.Client, int32, error) {
	inst, c, err := s.instances.DataClient(ctx, projectID, instanceID)
	if err != nil {
		return inst, nil, 0, err
	}
	n, err := s.partitions(ctx, c, inst.ID, topic, false)
	if isCode(err, dms.CodeTopicNotExist) && inst.EnableAutoTopic {
		if n, err = c.AutoCreateTopic(ctx, topic); err != nil {
			return inst, nil, 0, kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
		}
		s.topics.put(inst.ID, topic, n)
	}
	if err == nil && top >= n {
		n, err = s.partitions(ctx, c, inst.ID, topic, true)
	}
	return inst, c, n, err
}
