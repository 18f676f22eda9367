package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// OffsetRange is a span [Start, End) of one partition's offsets.
type OffsetRange struct {
	Partition  int32
	Start, End int64
}

// Len is the number of offsets in the range (0 when empty).
func (r OffsetRange) Len() int64 { return max(0, r.End-r.Start) }

// PartitionBounds returns each partition's log start and end offset (high watermark: the offset the
// next record gets), sorted by partition. A topic that does not exist is kerr.UnknownTopicOrPartition.
func (c *Client) PartitionBounds(ctx context.Context, topic string) ([]OffsetRange, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	var starts, ends kadm.ListedOffsets
	err := listParallel(
		func() (err error) { starts, err = c.adm.ListStartOffsets(ctx, topic); return },
		func() (err error) { ends, err = c.adm.ListEndOffsets(ctx, topic); return },
	)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: list offsets of %s: %w", topic, err)
	}
	return joinOffsets(topic, starts, ends)
}

// TimeRange locates the records with a timestamp in [startMs, endMs] in each partition, sorted by
// partition, with ListOffsets by timestamp (the brokers' time index: no scan, whatever the size of
// the partition): Start is the first offset whose timestamp is >= startMs, End the first offset
// whose timestamp is > endMs (the high watermark when there is none, or when endMs < 0: no end).
// A partition whose records are not in timestamp order (producers setting their own CreateTime) may
// hold records outside the time range inside the span; readers filter by timestamp.
func (c *Client) TimeRange(ctx context.Context, topic string, startMs, endMs int64) ([]OffsetRange, error) {
	if startMs < 0 {
		startMs = 0
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	var starts, ends kadm.ListedOffsets
	err := listParallel(
		func() (err error) { starts, err = c.adm.ListOffsetsAfterMilli(ctx, startMs, topic); return },
		func() (err error) {
			if endMs < 0 || endMs == math.MaxInt64 {
				ends, err = c.adm.ListEndOffsets(ctx, topic)
			} else {
				ends, err = c.adm.ListOffsetsAfterMilli(ctx, endMs+1, topic)
			}
			return
		},
	)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: list offsets of %s by time: %w", topic, err)
	}
	return joinOffsets(topic, starts, ends)
}

// EarliestRecord returns the offset and timestamp of the first record of a partition (ListOffsets
// by timestamp 0, answered from the time index). An empty partition answers its end offset and
// timestamp -1.
func (c *Client) EarliestRecord(ctx context.Context, topic string, partition int32) (offset, timestamp int64, err error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	l, err := c.adm.ListOffsetsAfterMilli(ctx, 0, topic)
	if err != nil {
		return 0, 0, fmt.Errorf("kafkaops: list offsets of %s: %w", topic, err)
	}
	o, err := listedOne(topic, partition, l)
	if err != nil {
		return 0, 0, err
	}
	return o.Offset, o.Timestamp, nil
}

// DeleteResult is the outcome of DeleteRecords for one partition.
type DeleteResult struct {
	Partition    int32
	LowWatermark int64 // the partition's new log start offset
	Err          error // the broker's error for this partition (kerr.OffsetOutOfRange, ...)
}

// DeleteRecords deletes, in each partition given, the records before the offset given (Kafka's
// DeleteRecords: the log start offset moves to it; -1 means the high watermark, i.e. every record).
// Results are per partition, sorted; the error is for the request as a whole.
func (c *Client) DeleteRecords(ctx context.Context, topic string, before map[int32]int64) ([]DeleteResult, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	os := make(kadm.Offsets)
	for p, o := range before {
		os.Add(kadm.Offset{Topic: topic, Partition: p, At: o, LeaderEpoch: -1})
	}
	resp, err := c.adm.DeleteRecords(ctx, os)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: delete records of %s: %w", topic, err)
	}
	out := make([]DeleteResult, 0, len(before))
	for p := range before {
		r, ok := resp.Lookup(topic, p)
		if !ok {
			out = append(out, DeleteResult{Partition: p, Err: kerr.UnknownTopicOrPartition})
			continue
		}
		out = append(out, DeleteResult{Partition: p, LowWatermark: r.LowWatermark, Err: r.Err})
	}
	slices.SortFunc(out, func(a, b DeleteResult) int { return int(a.Partition) - int(b.Partition) })
	return out, nil
}

// joinOffsets pairs the start and end listings of one topic per partition.
func joinOffsets(topic string, starts, ends kadm.ListedOffsets) ([]OffsetRange, error) {
	if err := listedTopicErr(topic, starts); err != nil {
		return nil, err
	}
	if err := listedTopicErr(topic, ends); err != nil {
		return nil, err
	}
	out := make([]OffsetRange, 0, len(starts[topic]))
	for p, s := range starts[topic] {
		e, ok := ends[topic][p]
		if !ok {
			return nil, fmt.Errorf("kafkaops: no end offset for %s[%d]", topic, p)
		}
		out = append(out, OffsetRange{Partition: p, Start: s.Offset, End: e.Offset})
	}
	slices.SortFunc(out, func(a, b OffsetRange) int { return int(a.Partition) - int(b.Partition) })
	return out, nil
}

// listedTopicErr is the error of a listing: the topic missing, or any partition's error.
func listedTopicErr(topic string, l kadm.ListedOffsets) error {
	ps, ok := l[topic]
	if !ok {
		return fmt.Errorf("kafkaops: topic %s: %w", topic, kerr.UnknownTopicOrPartition)
	}
	for p, o := range ps {
		if o.Err != nil {
			if p < 0 {
				return fmt.Errorf("kafkaops: topic %s: %w", topic, o.Err)
			}
			return fmt.Errorf("kafkaops: %s[%d]: %w", topic, p, o.Err)
		}
	}
	return nil
}

func listedOne(topic string, partition int32, l kadm.ListedOffsets) (kadm.ListedOffset, error) {
	if err := listedTopicErr(topic, l); err != nil {
		return kadm.ListedOffset{}, err
	}
	o, ok := l[topic][partition]
	if !ok {
		return kadm.ListedOffset{}, fmt.Errorf("kafkaops: %s[%d]: %w", topic, partition, ErrUnknownPartition)
	}
	return o, nil
}

// ErrUnknownPartition is a partition number the topic does not have (the topic exists).
var ErrUnknownPartition = errors.New("the topic has no such partition")

// listParallel runs fns concurrently and returns the first error.
func listParallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
