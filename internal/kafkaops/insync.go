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
	return waitNone(ctx, "every partition to be in sync", ", ", func(ctx context.Context) ([]UnderReplicated, string, error) {
		under, err := c.UnderReplicatedPartitions(ctx)
		under = slices.DeleteFunc(under, func(u UnderReplicated) bool { return known[u.Topic][u.Partition] })
		return under, "partitions not in sync", err
	})
}

// waitNone polls find until it finds nothing (nil) or ctx ends; the error then says what it waited
// for and the last thing found (what, and the first five of them joined with sep).
func waitNone[T fmt.Stringer](ctx context.Context, waitingFor, sep string, find func(context.Context) ([]T, string, error)) error {
	t := time.NewTimer(0)
	defer t.Stop()
	var last error
	for {
		select {
		case <-ctx.Done():
			if last == nil {
				last = ctx.Err()
			}
			return fmt.Errorf("kafkaops: waiting for %s: %w (last: %w)", waitingFor, ctx.Err(), last)
		case <-t.C:
		}
		found, what, err := find(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				last = err
			}
		case len(found) == 0:
			return nil
		default:
			shown := found[:min(len(found), 5)]
			names := make([]string, len(shown))
			for i, f := range shown {
				names[i] = f.String()
			}
			last = fmt.Errorf("%d %s: %s", len(found), what, strings.Join(names, sep))
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

// StopRisk is a partition that stopping one broker would leave with fewer in-sync replicas than
// its min.insync.replicas (acks=all producers fail) or with none (offline).
type StopRisk struct {
	UnderReplicated
	MinInSync int // the topic's min.insync.replicas
}

func (r StopRisk) String() string {
	return fmt.Sprintf("%s, min.insync.replicas %d", r.UnderReplicated, r.MinInSync)
}

// StopRisks lists the partitions that stopping broker now would take below min.insync.replicas
// or offline: those already behind (under-replicated) that have broker in their ISR and no more
// than min.insync.replicas (at least one) in-sync replicas. A partition fully in sync is not
// listed: every replica of it is in its ISR, and one broker stopping at a time is what its
// replication factor is for.
func (c *Client) StopRisks(ctx context.Context, broker int32) ([]StopRisk, error) {
	under, err := c.UnderReplicatedPartitions(ctx)
	if err != nil {
		return nil, err
	}
	under = slices.DeleteFunc(under, func(u UnderReplicated) bool { return !slices.Contains(u.ISR, broker) })
	if len(under) == 0 {
		return nil, nil
	}
	var topics []string
	for _, u := range under {
		if !slices.Contains(topics, u.Topic) {
			topics = append(topics, u.Topic)
		}
	}
	minISR, err := c.minInSync(ctx, topics)
	if err != nil {
		return nil, err
	}
	return stopRisks(under, minISR, broker), nil
}

// stopRisks is StopRisks on the partitions under (each with broker in its ISR) and the topics'
// min.insync.replicas (1 for a topic not in minISR, Kafka's default).
func stopRisks(under []UnderReplicated, minISR map[string]int, broker int32) []StopRisk {
	var out []StopRisk
	for _, u := range under {
		if !slices.Contains(u.ISR, broker) {
			continue
		}
		need := max(1, minISR[u.Topic])
		if len(u.ISR)-1 < need {
			out = append(out, StopRisk{UnderReplicated: u, MinInSync: need})
		}
	}
	return out
}

// minInSync reads the effective min.insync.replicas of topics (topic override, else the brokers'
// default: DescribeConfigs answers both).
func (c *Client) minInSync(ctx context.Context, topics []string) (map[string]int, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	rcs, err := c.adm.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: describe topic configs: %w", err)
	}
	out := make(map[string]int, len(rcs))
	for _, rc := range rcs {
		if rc.Err != nil {
			continue // deleted meanwhile: its partitions are gone too
		}
		for _, cfg := range rc.Configs {
			if cfg.Key == "min.insync.replicas" {
				if n, err := strconv.Atoi(cfg.MaybeValue()); err == nil {
					out[rc.Name] = n
				}
			}
		}
	}
	return out, nil
}

// WaitSafeToStop returns once stopping broker takes no partition below its min.insync.replicas or
// offline (StopRisks is empty): a rolling restart calls it before each broker, so a partition
// already behind does not lose its last in-sync replicas while the broker is down; it waits for
// their other replicas to catch up. It polls until ctx ends and then names the partitions at risk.
func (c *Client) WaitSafeToStop(ctx context.Context, broker int32) error {
	return waitNone(ctx, fmt.Sprintf("broker %d to be safe to stop", broker), "; ", func(ctx context.Context) ([]StopRisk, string, error) {
		risks, err := c.StopRisks(ctx, broker)
		return risks, fmt.Sprintf("partitions would have too few in-sync replicas without broker %d", broker), err
	})
}
