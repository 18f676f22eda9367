package kafkaops

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Messages: producing one record (API 5.5.1), reading records by offset range (5.8.x), locating
// offsets by time and deleting records (DeleteRecords). Producing goes through the instance's shared
// client; reading uses Fetch requests of its own per scan, through the same client (messages_scan.go).

// Header is one record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one record read from a partition.
type Record struct {
	Partition int32
	Offset    int64
	Timestamp int64  // Unix ms (CreateTime, or LogAppendTime on such topics)
	Key       []byte // nil: the record has no key
	Value     []byte
	Headers   []Header
}

// Size is the record's payload in bytes: key, value and headers (what the scan bounds count).
func (r *Record) Size() int64 {
	n := int64(len(r.Key) + len(r.Value))
	for _, h := range r.Headers {
		n += int64(len(h.Key) + len(h.Value))
	}
	return n
}

func recordFrom(r *kgo.Record) Record {
	out := Record{Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UnixMilli(), Key: r.Key, Value: r.Value}
	if len(r.Headers) > 0 {
		out.Headers = make([]Header, len(r.Headers))
		for i, h := range r.Headers {
			out.Headers[i] = Header{Key: h.Key, Value: h.Value}
		}
	}
	return out
}

// ProduceInput is one record to produce.
type ProduceInput struct {
	Topic string
	// Partition is the partition to write to, or -1 for the client's partitioner (Kafka's murmur2
	// hash of the key when there is one, else sticky batches spread by queue depth).
	Partition int32
	Key       []byte // nil: no key
	Value     []byte
	Headers   []Header
}

// Produced says where a record was written.
type Produced struct {
	Partition int32
	Offset    int64
	Timestamp int64 // Unix ms
}

// Produce writes one record through the instance's shared client and returns once every in-sync
// replica has it (acks=all, idempotent: kgo's defaults, which Dial keeps). Concurrent calls share
// the client's batches and connections; ProduceSync flushes the record's partition at once instead of
// waiting for the linger, so a lone caller does not pay it.
//
// Errors are the broker's (kerr.UnknownTopicOrPartition, kerr.MessageTooLarge, ...), wrapped.
func (c *Client) Produce(ctx context.Context, in ProduceInput) (Produced, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	r := &kgo.Record{}
	fillRecord(r, in.Topic, in, func() context.Context { return context.WithValue(ctx, explicitPartitionKey{}, true) })
	res := c.cl.ProduceSync(ctx, r)
	if len(res) != 1 {
		return Produced{}, errors.New("kafkaops: produce returned no result")
	}
	if err := res[0].Err; err != nil {
		return Produced{}, fmt.Errorf("kafkaops: produce to %s: %w", in.Topic, err)
	}
	out := res[0].Record
	return Produced{Partition: out.Partition, Offset: out.Offset, Timestamp: out.Timestamp.UnixMilli()}, nil
}

// fillRecord sets r from in for topic; a record with a partition chosen by the caller gets the
// context explicit returns (marked for producePartitioner).
func fillRecord(r *kgo.Record, topic string, in ProduceInput, explicit func() context.Context) {
	r.Topic, r.Key, r.Value = topic, in.Key, in.Value
	if len(in.Headers) > 0 {
		r.Headers = make([]kgo.RecordHeader, len(in.Headers))
		for i, h := range in.Headers {
			r.Headers[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
		}
	}
	if in.Partition >= 0 {
		r.Partition = in.Partition
		r.Context = explicit()
	}
}

// explicitPartitionKey marks, in a record's Context, a record whose Partition the caller chose.
type explicitPartitionKey struct{}

func hasExplicitPartition(r *kgo.Record) bool {
	return r.Context != nil && r.Context.Value(explicitPartitionKey{}) != nil
}

// producePartitioner is the shared client's partitioner: a record produced with an explicit
// partition (Produce with Partition >= 0) goes there; any other record is partitioned by kgo's
// default (UniformBytesPartitioner(64 KiB, adaptive, keys hashed with Kafka's murmur2), the same
// placement as the Java client).
func producePartitioner() kgo.Partitioner {
	return producePartitionerT{def: kgo.UniformBytesPartitioner(64<<10, true, true, nil)}
}

type producePartitionerT struct{ def kgo.Partitioner }

func (p producePartitionerT) ForTopic(topic string) kgo.TopicPartitioner {
	return &produceTopicPartitioner{def: p.def.ForTopic(topic)}
}

type produceTopicPartitioner struct{ def kgo.TopicPartitioner }

var _ kgo.TopicBackupPartitioner = (*produceTopicPartitioner)(nil)

// RequiresConsistency is true for explicit partitions: kgo then maps partition numbers over every
// partition of the topic (not only the writable ones), so the index returned is the partition.
func (p *produceTopicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return hasExplicitPartition(r) || p.def.RequiresConsistency(r)
}

func (p *produceTopicPartitioner) Partition(r *kgo.Record, n int) int {
	if hasExplicitPartition(r) {
		return explicitPick(r, n)
	}
	return p.def.Partition(r, n)
}

func (p *produceTopicPartitioner) PartitionByBackup(r *kgo.Record, n int, backup kgo.TopicBackupIter) int {
	if hasExplicitPartition(r) {
		return explicitPick(r, n)
	}
	if b, ok := p.def.(kgo.TopicBackupPartitioner); ok {
		return b.PartitionByBackup(r, n, backup)
	}
	return p.def.Partition(r, n)
}

// explicitPick returns the record's partition, or -1 (kgo fails the record) when the topic has no
// such partition.
func explicitPick(r *kgo.Record, n int) int {
	if r.Partition < 0 || int(r.Partition) >= n {
		return -1
	}
	return int(r.Partition)
}
