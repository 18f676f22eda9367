package kafkaops

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestGroupOffsetsAndLag commits offsets for a group that has no members and checks each line:
// lag is end - committed, never negative, and the group's lag is the sum.
func TestGroupOffsetsAndLag(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	createTopic(t, cl, "t", 3, 1)
	kcl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer kcl.Close()
	ctx := testCtx(t)
	for p, n := range []int{10, 4, 0} {
		for range n {
			if err := kcl.ProduceSync(ctx, &kgo.Record{Topic: "t", Partition: int32(p), Value: []byte("v")}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	os := make(kadm.Offsets)
	os.Add(kadm.Offset{Topic: "t", Partition: 0, At: 3, LeaderEpoch: -1})
	os.Add(kadm.Offset{Topic: "t", Partition: 1, At: 4, LeaderEpoch: -1})
	os.Add(kadm.Offset{Topic: "t", Partition: 2, At: 7, LeaderEpoch: -1}) // beyond the end: lag 0
	if err := cl.adm.CommitAllOffsets(ctx, "g", os); err != nil {
		t.Fatal(err)
	}
	commitGroups(t, cl, "t", "other")

	g, err := cl.Group(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupOffset{
		{Topic: "t", Partition: 0, Committed: 3, Start: 0, End: 10, Lag: 7},
		{Topic: "t", Partition: 1, Committed: 4, Start: 0, End: 4, Lag: 0},
		{Topic: "t", Partition: 2, Committed: 7, Start: 0, End: 0, Lag: 0},
	}
	if len(g.Offsets) != len(want) {
		t.Fatalf("offsets %+v", g.Offsets)
	}
	for i, w := range want {
		if g.Offsets[i] != w {
			t.Errorf("line %d = %+v, want %+v", i, g.Offsets[i], w)
		}
	}
	if g.Lag != 7 || g.State != "Empty" || len(g.Members) != 0 || g.Partial != nil || g.TopicPartitions["t"] != 3 {
		t.Errorf("group %+v", g)
	}
	if tl := g.Topics(); len(tl) != 1 || tl[0] != (TopicLag{Topic: "t", Partitions: 3, Lag: 7}) {
		t.Errorf("topics %+v", tl)
	}
	if _, err := cl.Group(ctx, "nope"); !errors.Is(err, ErrGroupNotFound) {
		t.Errorf("unknown group: %v", err)
	}
	listed, err := cl.ListConsumerGroups(ctx)
	if err != nil || len(listed) != 2 || listed[0].Name != "g" || listed[1].Name != "other" {
		t.Fatalf("listed %+v %v", listed, err)
	}
	gs, err := cl.DescribeGroups(ctx, listed)
	if err != nil || len(gs) != 2 || gs[0].Lag != 7 || gs[1].Lag != 10 || len(gs[1].Offsets) != 1 {
		t.Fatalf("described %+v %v", gs, err)
	}
}

// TestGroupNextGen describes a KIP-848 consumer group (ConsumerGroupDescribe): its type, state,
// assignor, member and assignment.
func TestGroupNextGen(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	createTopic(t, cl, "t", 2, 1)
	ctx := testCtx(t)
	member, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumerGroup("ng"), kgo.ConsumeTopics("t"), kgo.ClientID("next"),
		kgo.ServerSideBalancer(), kgo.Balancers(kgo.RangeBalancer()))
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for pctx.Err() == nil {
			member.PollFetches(pctx)
		}
	}()
	var g Group
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if g, err = cl.Group(ctx, "ng"); err == nil && len(g.Members) == 1 && len(g.Offsets) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %+v %v", g, err)
		}
	}
	m := g.Members[0]
	if g.Type != "consumer" || g.State != "Stable" || g.Protocol != "range" || m.ClientID != "next" || len(m.Assignment) != 1 ||
		len(m.Assignment[0].Partitions) != 2 || g.Offsets[0].MemberID != m.MemberID || g.Offsets[0].Committed != -1 || g.Partial != nil {
		t.Errorf("group %+v", g)
	}
}
