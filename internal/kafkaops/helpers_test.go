package kafkaops

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// newCluster starts a kfake cluster of n brokers and dials it; both close with the test.
func newCluster(tb testing.TB, n int, kopts []kfake.Opt, opts ...Option) (*kfake.Cluster, *Client) {
	tb.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(n)}, kopts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	cl, err := Dial(c.ListenAddrs(), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cl.Close)
	return c, cl
}

func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// createTopic creates a topic with p partitions and replication factor rf.
func createTopic(tb testing.TB, cl *Client, topic string, p int32, rf int16) {
	tb.Helper()
	resp, err := cl.adm.CreateTopic(testCtx(tb), p, rf, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		tb.Fatalf("create topic %s: %v", topic, err)
	}
}

// commitGroups makes groups exist by committing an offset for each (a group that only stores
// offsets, as kadm and simple consumers make).
func commitGroups(tb testing.TB, cl *Client, topic string, groups ...string) {
	tb.Helper()
	os := make(kadm.Offsets)
	os.Add(kadm.Offset{Topic: topic, Partition: 0, At: 0, LeaderEpoch: -1})
	for _, g := range groups {
		if err := cl.adm.CommitAllOffsets(testCtx(tb), g, os); err != nil {
			tb.Fatalf("commit for group %s: %v", g, err)
		}
	}
}

// produce writes n records of size bytes each to topic, spread over its partitions.
func produce(tb testing.TB, seeds []string, topic string, n, size int) {
	tb.Helper()
	p, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		tb.Fatal(err)
	}
	defer p.Close()
	value := make([]byte, size)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	for i := 0; i < n; i++ {
		r := &kgo.Record{Key: fmt.Appendf(nil, "k%d", i), Value: value}
		if err := p.ProduceSync(testCtx(tb), r).FirstErr(); err != nil {
			tb.Fatalf("produce: %v", err)
		}
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
