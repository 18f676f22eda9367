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
	defer func() { e.p.stop(t) }() // the diagnosis part restarts dmsd
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
	diagnoseE2E(t, ctx, e, prod, readyTimeout)
}

// diagnoseE2E: a group that consumed everything and stopped, then records pile up on partitions 0
// and 2 of its topic. Its diagnosis, interrupted by a dmsd restart, resumes and reports those
// partitions and the cause (no active consumer), and the skew towards partition 2.
func diagnoseE2E(t *testing.T, ctx context.Context, e *e2eEnv, prod *kgo.Client, readyTimeout time.Duration) {
	t.Helper()
	adm := kadm.NewClient(prod)
	if _, err := adm.CreateTopic(ctx, 3, 3, nil, "diag-topic"); err != nil {
		t.Fatal(err)
	}
	produceTo := func(p int32, n int) {
		for range n {
			must(t, prod.ProduceSync(ctx, &kgo.Record{Topic: "diag-topic", Partition: p, Value: []byte("v")}).FirstErr())
		}
	}
	for p := range int32(3) {
		produceTo(p, 5)
	}
	commit := make(kadm.Offsets)
	for p := range int32(3) {
		commit.Add(kadm.Offset{Topic: "diag-topic", Partition: p, At: 5, LeaderEpoch: -1})
	}
	must(t, adm.CommitAllOffsets(ctx, "g-stalled", commit))
	produceTo(0, 50)
	produceTo(2, 200)

	kafkaBase := "/v2/{project_id}/kafka/instances/" + e.id
	var created struct {
		ReportID string `json:"report_id"`
	}
	must(t, call(ctx, e.c, "POST", kafkaBase+"/message-diagnosis-tasks", map[string]string{"group_name": "g-stalled", "topic_name": "diag-topic"}, &created))

	// dmsd stops mid-diagnosis (the window is 6 s in e2e configs) and starts again.
	e.p.stop(t)
	e.start(t)
	waitRunning(t, e.c, e.id, readyTimeout)

	var info struct {
		Status                string `json:"status"`
		AccumulatedPartitions int    `json:"accumulated_partitions"`
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		var list struct {
			ReportList []struct {
				ReportID              string `json:"report_id"`
				Status                string `json:"status"`
				AccumulatedPartitions int    `json:"accumulated_partitions"`
			} `json:"report_list"`
		}
		must(t, call(ctx, e.c, "GET", kafkaBase+"/message-diagnosis-tasks", nil, &list))
		if len(list.ReportList) != 1 || list.ReportList[0].ReportID != created.ReportID {
			t.Fatalf("report list after the restart: %+v", list)
		}
		info.Status, info.AccumulatedPartitions = list.ReportList[0].Status, list.ReportList[0].AccumulatedPartitions
		if info.Status != "diagnosing" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the diagnosis never finished after the restart")
		}
	}
	if info.Status != "abnormal" || info.AccumulatedPartitions != 2 {
		t.Fatalf("report: %+v", info)
	}
	var rep struct {
		Dimensions []struct {
			Items []struct {
				Name     string  `json:"name"`
				Result   string  `json:"result"`
				Parts    []int32 `json:"partitions"`
				CauseIDs []struct {
					ID int `json:"id"`
				} `json:"cause_ids"`
			} `json:"diagnosis_item_list"`
		} `json:"diagnosis_dimension_list"`
	}
	must(t, call(ctx, e.c, "GET", kafkaBase+"/message-diagnosis/"+created.ReportID, nil, &rep))
	got := map[string]string{}
	for _, d := range rep.Dimensions {
		for _, it := range d.Items {
			ids := []int{}
			for _, c := range it.CauseIDs {
				ids = append(ids, c.ID)
			}
			got[it.Name] = fmt.Sprint(it.Result, it.Parts, ids)
		}
	}
	want := map[string]string{
		"consumer_online": "abnormal[0 2] [101]", // no active consumer, backlog on 0 and 2
		"backlog_skew":    "abnormal[2] [108]",   // 200 of 250
		"broker_status":   "normal[] []", "partition_leader": "normal[] []", "replica_sync": "normal[] []",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %s, want %s", name, got[name], w)
		}
	}
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
