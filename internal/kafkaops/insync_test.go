package kafkaops

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// lagging makes the cluster's answers to all-topic metadata requests (what
// UnderReplicatedPartitions asks) show, while *state is set, topic "t" with partition 0 missing a
// replica from its ISR and partition 1 offline; the real answer otherwise.
func lagging(c *kfake.Cluster, state *atomic.Bool) {
	c.ControlKey(int16(kmsg.Metadata), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kr.(*kmsg.MetadataRequest)
		if !state.Load() || req.Topics != nil {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.MetadataResponse)
		resp.Version = req.Version
		for i, addr := range c.ListenAddrs() {
			host, port, _ := net.SplitHostPort(addr)
			p, _ := strconv.Atoi(port)
			b := kmsg.NewMetadataResponseBroker()
			b.NodeID, b.Host, b.Port = int32(i), host, int32(p)
			resp.Brokers = append(resp.Brokers, b)
		}
		topic := kmsg.NewMetadataResponseTopic()
		name := "t"
		topic.Topic = &name
		for i, isr := range [][]int32{{0, 2}, {}, {0, 1, 2}} {
			p := kmsg.NewMetadataResponseTopicPartition()
			p.Partition, p.Leader, p.Replicas, p.ISR = int32(i), 0, []int32{0, 1, 2}, isr
			if len(isr) == 0 {
				p.Leader = -1
			}
			topic.Partitions = append(topic.Partitions, p)
		}
		resp.Topics = append(resp.Topics, topic)
		return resp, nil, true
	})
}

func TestWaitInSync(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	ctx := testCtx(t)
	createTopic(t, cl, "healthy", 3, 3)
	var behind atomic.Bool
	behind.Store(true)
	lagging(c, &behind)

	under, err := cl.UnderReplicatedPartitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(under) != 2 || under[0].Partition != 0 || len(under[0].ISR) != 2 || under[1].Partition != 1 || under[1].Leader != -1 {
		t.Fatalf("under-replicated = %v", under)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	err = cl.WaitInSync(short, nil)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "2 partitions not in sync: t-0") {
		t.Fatalf("WaitInSync while behind = %v", err)
	}
	short, cancel = context.WithTimeout(ctx, time.Second)
	err = cl.WaitInSync(short, under[1:])
	cancel()
	if err == nil || !strings.Contains(err.Error(), "1 partitions not in sync: t-0") {
		t.Fatalf("WaitInSync while behind, t-1 behind before = %v", err)
	}
	// What was behind before is not waited for.
	if err := cl.WaitInSync(ctx, under); err != nil {
		t.Fatalf("WaitInSync with every lagging partition already behind = %v", err)
	}

	behind.Store(false)
	if err := cl.WaitInSync(ctx, nil); err != nil {
		t.Fatalf("WaitInSync once in sync = %v", err)
	}
	if under, err := cl.UnderReplicatedPartitions(ctx); err != nil || len(under) != 0 {
		t.Fatalf("under-replicated of a healthy cluster = %v, %v", under, err)
	}
}
