package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TopicPartitionCount returns the number of partitions of topic (from the cluster's metadata); a topic
// that does not exist is kerr.UnknownTopicOrPartition.
func (c *Client) TopicPartitionCount(ctx context.Context, topic string) (int32, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	tds, err := c.adm.ListTopics(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("kafkaops: metadata of %s: %w", topic, err)
	}
	td, ok := tds[topic]
	if !ok {
		return 0, fmt.Errorf("kafkaops: topic %s: no metadata", topic)
	}
	if td.Err != nil {
		return 0, fmt.Errorf("kafkaops: topic %s: %w", topic, td.Err)
	}
	return int32(len(td.Partitions)), nil
}

// ReadOne returns the record at offset in a partition. found is false when the offset holds no
// record to show: removed by compaction, or a transaction marker. The caller checks the offset is
// inside the partition's bounds first.
func (c *Client) ReadOne(ctx context.Context, topic string, partition int32, offset int64) (rec Record, found bool, err error) {
	_, err = c.Scan(ctx, topic, []OffsetRange{{Partition: partition, Start: offset, End: offset + 1}},
		ScanOptions{FetchMaxBytes: 1, MaxTime: c.cfg.requestTimeout}, func(r *Record) bool {
			rec, found = *r, r.Offset == offset
			return false
		})
	return rec, found, err
}

// latestWindow is how many offsets before the end LatestRecord reads to find a record that is not
// a transaction marker.
const latestWindow = 16

// LatestRecord returns the last record of a partition and the partition's bounds. ok is false when
// the partition holds no record (empty, or only markers in its last offsets).
func (c *Client) LatestRecord(ctx context.Context, topic string, partition int32) (rec Record, bounds OffsetRange, ok bool, err error) {
	all, err := c.PartitionBounds(ctx, topic)
	if err != nil {
		return rec, bounds, false, err
	}
	i := -1
	for j, b := range all {
		if b.Partition == partition {
			i = j
		}
	}
	if i < 0 {
		return rec, bounds, false, fmt.Errorf("kafkaops: %s[%d]: %w", topic, partition, ErrUnknownPartition)
	}
	bounds = all[i]
	if bounds.Len() == 0 {
		return rec, bounds, false, nil
	}
	window := OffsetRange{Partition: partition, Start: max(bounds.Start, bounds.End-latestWindow), End: bounds.End}
	_, err = c.Scan(ctx, topic, []OffsetRange{window}, ScanOptions{MaxTime: c.cfg.requestTimeout}, func(r *Record) bool {
		rec, ok = *r, true
		return true
	})
	return rec, bounds, ok, err
}

// AutoCreateTopic asks for topic's metadata allowing automatic creation, as a Kafka producer does,
// so that a cluster with auto.create.topics.enable creates it (with the brokers' defaults), and
// returns its partition count once the brokers report its partitions. A cluster that does not create
// topics answers kerr.UnknownTopicOrPartition.
func (c *Client) AutoCreateTopic(ctx context.Context, topic string) (int32, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	const attempts = 40 // of autoCreatePoll: creation is quick where it happens at all
	var last error
	for range attempts {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		req.AllowAutoTopicCreation = true
		resp, err := req.RequestWith(ctx, c.cl)
		if err != nil {
			return 0, fmt.Errorf("kafkaops: metadata of %s: %w", topic, err)
		}
		if len(resp.Topics) != 1 {
			return 0, fmt.Errorf("kafkaops: metadata of %s: %d topics in the answer", topic, len(resp.Topics))
		}
		t := resp.Topics[0]
		last = kerr.ErrorForCode(t.ErrorCode)
		switch {
		case last == nil && len(t.Partitions) > 0:
			return int32(len(t.Partitions)), nil
		case last == nil, errors.Is(last, kerr.LeaderNotAvailable), errors.Is(last, kerr.UnknownTopicOrPartition):
			// being created (or not created at all: the attempts bound the wait)
		default:
			return 0, fmt.Errorf("kafkaops: topic %s: %w", topic, last)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("kafkaops: topic %s: %w", topic, ctx.Err())
		case <-time.After(autoCreatePoll):
		}
	}
	if last == nil {
		last = kerr.LeaderNotAvailable
	}
	return 0, fmt.Errorf("kafkaops: topic %s: %w", topic, last)
}

const autoCreatePoll = 25 * time.Millisecond
