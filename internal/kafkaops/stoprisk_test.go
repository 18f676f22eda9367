package kafkaops

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

func TestStopRisksRule(t *testing.T) {
	p := func(topic string, isr ...int32) UnderReplicated {
		return UnderReplicated{Topic: topic, Leader: 0, Replicas: []int32{0, 1, 2}, ISR: isr}
	}
	for _, c := range []struct {
		name   string
		under  []UnderReplicated
		minISR map[string]int
		broker int32
		want   int // partitions at risk
	}{
		{"two in sync, min 2: the other one is not enough", []UnderReplicated{p("a", 0, 2)}, map[string]int{"a": 2}, 0, 1},
		{"two in sync, min 1: one left is enough", []UnderReplicated{p("a", 0, 2)}, map[string]int{"a": 1}, 0, 0},
		{"not in the ISR", []UnderReplicated{p("a", 0, 2)}, map[string]int{"a": 2}, 1, 0},
		{"the last in-sync replica, min unknown (1)", []UnderReplicated{p("a", 0)}, nil, 0, 1},
		{"min 0 still keeps one", []UnderReplicated{p("a", 0)}, map[string]int{"a": 0}, 0, 1},
		{"offline already", []UnderReplicated{{Topic: "a", Leader: -1, Replicas: []int32{0, 1, 2}}}, map[string]int{"a": 2}, 0, 0},
		{"per topic", []UnderReplicated{p("a", 0, 2), p("b", 0, 2)}, map[string]int{"a": 2, "b": 1}, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := stopRisks(c.under, c.minISR, c.broker); len(got) != c.want {
				t.Errorf("stopRisks = %v, want %d", got, c.want)
			}
		})
	}
}

// WaitSafeToStop against a cluster whose metadata shows t-0 with replicas [0 1 2] and ISR [0 2]
// and t-1 offline (lagging), min.insync.replicas 2: broker 0 (and 2) cannot stop until t-0 is
// back in sync; broker 1 can; with min.insync.replicas 1 broker 0 can too.
func TestWaitSafeToStop(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	ctx := testCtx(t)
	two := "2"
	resp, err := cl.adm.CreateTopic(ctx, 3, 3, map[string]*string{"min.insync.replicas": &two}, "t")
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatal(err)
	}
	var behind atomic.Bool
	behind.Store(true)
	lagging(c, &behind)

	risks, err := cl.StopRisks(ctx, 0)
	if err != nil || len(risks) != 1 || risks[0].Topic != "t" || risks[0].Partition != 0 || risks[0].MinInSync != 2 {
		t.Fatalf("StopRisks(0) = %v, %v", risks, err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	err = cl.WaitSafeToStop(short, 0)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "t-0") || !strings.Contains(err.Error(), "min.insync.replicas 2") {
		t.Fatalf("WaitSafeToStop(0) while t-0 is behind = %v", err)
	}
	if err := cl.WaitSafeToStop(ctx, 1); err != nil {
		t.Fatalf("WaitSafeToStop(1), not in t-0's ISR = %v", err)
	}
	one := "1"
	if _, err := cl.adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "min.insync.replicas", Value: &one}}, "t"); err != nil {
		t.Fatal(err)
	}
	if err := cl.WaitSafeToStop(ctx, 0); err != nil {
		t.Fatalf("WaitSafeToStop(0) with min.insync.replicas 1 = %v", err)
	}
	if _, err := cl.adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "min.insync.replicas", Value: &two}}, "t"); err != nil {
		t.Fatal(err)
	}
	// t-0 back in sync: broker 0 can stop.
	behind.Store(false)
	if err := cl.WaitSafeToStop(ctx, 0); err != nil {
		t.Fatalf("WaitSafeToStop(0) once t-0 is in sync = %v", err)
	}
}
