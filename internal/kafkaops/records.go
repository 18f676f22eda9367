package kafkaops

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// BatchInput is one record of ProduceBatch: a ProduceInput with an optional timestamp.
type BatchInput struct {
	ProduceInput
	// Timestamp is the record's CreateTime in Unix ms; 0 means now (when the client takes it).
	Timestamp int64
}

// BatchResult is where one record of ProduceBatch was written, or why it was not.
type BatchResult struct {
	Produced
	Err error // the broker's or the client's error, wrapped; nil when written
}

// ProduceBatch writes records to topic through the instance's shared client and returns, once every
// record has been acknowledged by every in-sync replica or has failed, one result per record in
// the order given. The records are handed to the client asynchronously (Produce with a callback),
// so they share its batches with each other and with every concurrent caller: a batch of 100 is a
// few produce requests, not 100 round trips as ProduceSync one by one would be.
//
// A record's failure does not fail the others; errors are per record (kerr.MessageTooLarge, ...).
func (c *Client) ProduceBatch(ctx context.Context, topic string, in []BatchInput) []BatchResult {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	out := make([]BatchResult, len(in))
	// One context for every explicitly partitioned record (producePartitioner reads the mark).
	explicit := context.WithValue(ctx, explicitPartitionKey{}, true)
	recs := make([]kgo.Record, len(in)) // one allocation for the batch, not one per record
	var wg sync.WaitGroup
	wg.Add(len(in))
	for i := range in {
		r := &recs[i]
		fillRecord(r, topic, in[i].ProduceInput, func() context.Context { return explicit })
		if in[i].Timestamp != 0 {
			r.Timestamp = time.UnixMilli(in[i].Timestamp)
		}
		// The callback runs on kgo's goroutines; each writes only its own slot.
		c.cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			if err != nil {
				out[i].Err = fmt.Errorf("kafkaops: produce to %s: %w", topic, err)
			} else {
				out[i].Produced = Produced{Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UnixMilli()}
			}
			wg.Done()
		})
	}
	wg.Wait()
	return out
}
