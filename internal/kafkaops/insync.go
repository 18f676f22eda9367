package kafkaops

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// UnderReplicated is a partition whose in-sync replicas are fewer than its replicas, or that has no
// leader.
type UnderReplicated struct {
	Topic     string
	Partition int32
	Leader    int32 // -1: offline
	Replicas  []int32
	ISR       []int32
}

func (u UnderReplicated) String() string {
	return fmt.Sprintf("%s-%d (leader %d, replicas %v, in sync %v)", u.Topic, u.Partition, u.Leader, u.Replicas, u.ISR)
}

// UnderReplicatedPartitions lists every partition (internal topics included: the consumer offsets
// matter as much) that is not fully in sync, as the cluster's metadata says now (sorted by topic
// and partition).
func (c *Client) UnderReplicatedPartitions(ctx context.Context) ([]UnderReplicated, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	m, err := c.metadata(ctx)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: metadata: %w", err)
	}
	var out []UnderReplicated
	for _, t := range m.Topics {
		if t.Err != nil {
			continue // deleted meanwhile, or not yet created everywhere
		}
		for _, p := range t.Partitions {
			if p.Leader >= 0 && len(p.ISR) >= len(p.Replicas) {
				continue
			}
			out = append(out, UnderReplicated{Topic: t.Topic, Partition: p.Partition, Leader: p.Leader,
				Replicas: slices.Clone(p.Replicas), ISR: slices.Clone(p.ISR)})
		}
	}
	slices.SortFunc(out, func(a, b UnderReplicated) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition - b.Partition)
	})
	return out, nil
}

// WaitInSync returns once no partition is under-replicated or offline, but for those of already
// (what was behind before a change, e.g. the replicas of a broker that is down: a rolling restart
// must not wait for what it did not cause): after a broker restarted, every replica it holds has
// caught up and is back in its ISR. It polls until ctx ends and then names what was still behind.
func (c *Client) WaitInSync(ctx context.Context, already []UnderReplicated) error {
	known := make(map[string]map[int32]bool, len(already))
	for _, u := range already {
		if known[u.Topic] == nil {
			known[u.Topic] = map[int32]bool{}
		}
		known[u.Topic][u.Partition] = true
	}
	t := time.NewTimer(0)
	defer t.Stop()
	var last error
	for {
		select {
		case <-ctx.Done():
			if last == nil {
				last = ctx.Err()
			}
			return fmt.Errorf("kafkaops: waiting for every partition to be in sync: %w (last: %w)", ctx.Err(), last)
		case <-t.C:
		}
		under, err := c.UnderReplicatedPartitions(ctx)
		under = slices.DeleteFunc(under, func(u UnderReplicated) bool { return known[u.Topic][u.Partition] })
		switch {
		case err != nil:
			if ctx.Err() == nil {
				last = err
			}
		case len(under) == 0:
			return nil
		default:
			shown := under[:min(len(under), 5)]
			names := make([]string, len(shown))
			for i, u := range shown {
				names[i] = u.String()
			}
			last = fmt.Errorf("%d partitions not in sync: %s", len(under), strings.Join(names, ", "))
		}
		t.Reset(waitPollInterval)
	}
}

// RegisteredBrokers returns the brokers the cluster's metadata lists now, by id, each as "host:port"
// of the listener the request came in on.
func (c *Client) RegisteredBrokers(ctx context.Context) (map[int32]string, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	m, err := c.brokerMetadata(ctx)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: metadata: %w", err)
	}
	out := make(map[int32]string, len(m.Brokers))
	for _, b := range m.Brokers {
		out[b.NodeID] = net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	}
	return out, nil
}
