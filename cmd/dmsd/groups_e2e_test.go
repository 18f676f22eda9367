package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type groupDetail struct {
	Group struct {
		State   string `json:"state"`
		Members []struct {
			MemberID   string `json:"member_id"`
			Assignment *[]struct {
				Topic      string  `json:"topic"`
				Partitions []int32 `json:"partitions"`
			} `json:"assignment"`
		} `json:"members"`
		Offsets []struct {
			Partition int32 `json:"partition"`
			Lag       int64 `json:"lag"`
		} `json:"group_message_offsets"`
	} `json:"group"`
}

// groupsE2E: a franz-go consumer group of two members consumes a topic; the group APIs show its
// members, their assignments and the lag the cluster has, while active and after the members left.
func groupsE2E(t *testing.T, engine string, readyTimeout time.Duration) {
	e := newE2E(t, engine, "127.64", "kafka-grp-e2e", readyTimeout)
	defer e.p.stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	prod, err := kgo.NewClient(kgo.SeedBrokers(e.seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	must(t, err)
	defer prod.Close()
	if _, err := kadm.NewClient(prod).CreateTopic(ctx, 3, 3, nil, "grp-topic"); err != nil {
		t.Fatal(err)
	}
	// Record i goes to partition i%3 at base+i seconds, so record i is offset i/3 of its partition.
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Millisecond)
	sent := 0
	produce := func(n int) {
		for range n {
			r := &kgo.Record{Topic: "grp-topic", Partition: int32(sent % 3), Value: []byte(fmt.Sprint(sent)), Timestamp: base.Add(time.Duration(sent) * time.Second)}
			must(t, prod.ProduceSync(ctx, r).FirstErr())
			sent++
		}
	}
	produce(30)

	// Two members consume everything and commit.
	var mu sync.Mutex
	seen := map[[2]int64]bool{}
	var members []*kgo.Client
	for range 2 {
		m, err := kgo.NewClient(kgo.SeedBrokers(e.seeds...), kgo.ConsumerGroup("g-e2e"), kgo.ConsumeTopics("grp-topic"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
		must(t, err)
		defer m.Close()
		members = append(members, m)
	}
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				// A short poll: a member whose partitions are drained must still see the others finish.
				pctx, pcancel := context.WithTimeout(ctx, time.Second)
				fs := m.PollRecords(pctx, 100)
				pcancel()
				fs.EachRecord(func(r *kgo.Record) {
					mu.Lock()
					seen[[2]int64{int64(r.Partition), r.Offset}] = true
					mu.Unlock()
				})
				m.CommitUncommittedOffsets(ctx)
				mu.Lock()
				done := len(seen) >= 30
				mu.Unlock()
				if done {
					return
				}
			}
		}()
	}
	wg.Wait()

	detail := func() groupDetail {
		var d groupDetail
		must(t, call(ctx, e.c, "GET", e.base()+"/management/groups/g-e2e", nil, &d))
		return d
	}
	lag := func(d groupDetail) int64 {
		var n int64
		for _, o := range d.Group.Offsets {
			n += o.Lag
		}
		return n
	}
	// While both members are in: 2 members whose assignments cover the 3 partitions, no lag.
	var d groupDetail
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		for _, m := range members {
			m.CommitUncommittedOffsets(ctx)
		}
		d = detail()
		if len(d.Group.Members) == 2 && lag(d) == 0 && d.Group.State == "STABLE" {
			break
		}
	}
	var assigned []int32
	for _, m := range d.Group.Members {
		if m.Assignment != nil {
			for _, a := range *m.Assignment {
				assigned = append(assigned, a.Partitions...)
			}
		}
	}
	sort.Slice(assigned, func(i, j int) bool { return assigned[i] < assigned[j] })
	if d.Group.State != "STABLE" || len(d.Group.Members) != 2 || fmt.Sprint(assigned) != "[0 1 2]" || lag(d) != 0 {
		t.Fatalf("active group: state %s, %d members, assigned %v, lag %d", d.Group.State, len(d.Group.Members), assigned, lag(d))
	}

	// A reset while members are active is refused.
	resetPath := "/v2/kafka/{project_id}/instances/" + e.id + "/groups/g-e2e/reset-message-offset"
	resetTo := map[string]any{"topic": "grp-topic", "partition": -1, "timestamp": base.Add(15 * time.Second).UnixMilli()}
	if err := call(ctx, e.c, "PUT", resetPath, resetTo, nil); err == nil {
		t.Fatal("a reset of a group with active members was accepted")
	}

	// The members leave, 15 more records arrive: the group is EMPTY with a lag of 15, in details and list.
	for _, m := range members {
		m.Close()
	}
	produce(15)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if d = detail(); d.Group.State == "EMPTY" && lag(d) == 15 {
			break
		}
	}
	if d.Group.State != "EMPTY" || lag(d) != 15 || len(d.Group.Members) != 0 {
		t.Fatalf("after the members left: state %s, lag %d, %d members", d.Group.State, lag(d), len(d.Group.Members))
	}
	var list struct {
		Groups []struct {
			GroupID string `json:"group_id"`
			Lag     int64  `json:"lag"`
		} `json:"groups"`
		Total int32 `json:"total"`
	}
	must(t, call(ctx, e.c, "GET", e.base()+"/groups", nil, &list))
	if list.Total != 1 || list.Groups[0].GroupID != "g-e2e" || list.Groups[0].Lag != 15 {
		t.Fatalf("group list: %+v", list)
	}
	resetAndConsume(t, ctx, e, base)
}

// resetAndConsume resets the group to the first record at or after base+15 s (record 15: offset 5
// of every partition) and checks that a new consumer of the group starts there.
func resetAndConsume(t *testing.T, ctx context.Context, e *e2eEnv, base time.Time) {
	t.Helper()
	must(t, call(ctx, e.c, "PUT", "/v2/kafka/{project_id}/instances/"+e.id+"/groups/g-e2e/reset-message-offset",
		map[string]any{"topic": "grp-topic", "partition": -1, "timestamp": base.Add(15 * time.Second).UnixMilli()}, nil))
	m, err := kgo.NewClient(kgo.SeedBrokers(e.seeds...), kgo.ConsumerGroup("g-e2e"), kgo.ConsumeTopics("grp-topic"), kgo.DisableAutoCommit())
	must(t, err)
	defer m.Close()
	first := map[int32]int64{}
	for len(first) < 3 && ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		m.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
			if _, ok := first[r.Partition]; !ok {
				first[r.Partition] = r.Offset
			}
		})
		cancel()
	}
	if fmt.Sprint(first) != "map[0:5 1:5 2:5]" {
		t.Fatalf("after the reset to a timestamp a new consumer started at %v, want offset 5 of every partition", first)
	}
}

func TestEmbeddedGroups(t *testing.T) { groupsE2E(t, "embedded", time.Minute) }

// On real Kafka; fails, not skips, without Java or the Kafka jars.
func TestLocalGroups(t *testing.T) { groupsE2E(t, "local", 4*time.Minute) }
