package main

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestLocalReassignmentSurvivesRestart: a throttled 5.2.11 reassignment on Apache Kafka, dmsd
// stopped while the data moves (the throttle stays meanwhile) and started again: the task resumes
// with the plan it stored and ends SUCCESS, every partition on its planned replicas led by the
// first, the throttle gone, the records all there. Then a scheduled reassignment (is_schedule)
// stored before another restart runs at its time after it.
func TestLocalReassignmentSurvivesRestart(t *testing.T) {
	e := newE2E(t, "local", "127.67", "kafka-reassign-e2e", 4*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	const topic = "reassign-e2e"
	must(t, call(ctx, e.c, "POST", e.base()+"/topics", map[string]any{"id": topic, "partition": 3, "replication": 1}, nil))
	prod, err := kgo.NewClient(kgo.SeedBrokers(e.seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(800<<10))
	must(t, err)
	defer prod.Close()
	adm := kadm.NewClient(prod)
	value := make([]byte, 256<<10)
	rand.Read(value)
	const perPartition = 64 // records of 256 KiB: 16 MiB a partition
	for p := range int32(3) {
		for range perPartition {
			must(t, prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: p, Value: value}).FirstErr())
		}
	}
	md, err := adm.Metadata(ctx, topic)
	must(t, err)
	// Each partition gets a second replica on the next broker, which leads it.
	want := map[int32][]int32{}
	var assignment []map[string]any
	for _, p := range md.Topics[topic].Partitions {
		cur := p.Replicas[0]
		to := []int32{(cur + 1) % 3, cur}
		want[p.Partition] = to
		assignment = append(assignment, map[string]any{"partition": p.Partition, "partition_brokers": to})
	}
	var job struct {
		JobID string `json:"job_id"`
	}
	must(t, call(ctx, e.c, "POST", "/v2/kafka/{project_id}/instances/"+e.id+"/reassign", map[string]any{
		"reassignments": []any{map[string]any{"topic": topic, "assignment": assignment}},
		"throttle":      2 << 20, // 16 MiB at 2 MiB/s: about 8 s
	}, &job))

	// Stop dmsd once the data is moving (the task's batch step is in progress and the cluster lists
	// reassignments).
	moving := func() int {
		var pr struct {
			Steps []struct {
				Name   string `json:"name"`
				Status string `json:"statue"`
			} `json:"step_list"`
		}
		must(t, call(ctx, e.c, "GET", e.base()+"/tasks/"+job.JobID+"/progress", nil, &pr))
		inBatch := false
		for _, s := range pr.Steps {
			inBatch = inBatch || strings.HasPrefix(s.Name, "move batch") && s.Status == "IN_PROGRESS"
		}
		if !inBatch {
			return 0
		}
		rs, err := adm.ListPartitionReassignments(ctx, kadm.TopicsSet{topic: {0: {}, 1: {}, 2: {}}})
		must(t, err)
		n := 0
		rs.Each(func(kadm.ListPartitionReassignmentsResponse) { n++ })
		return n
	}
	n := moving()
	for ; n == 0; n = moving() {
		if ctx.Err() != nil {
			t.Fatal("the move never started")
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.p.stop(t)
	if rate := throttleRates(t, ctx, adm); len(rate) == 0 {
		t.Error("no throttle while dmsd is stopped mid-move")
	}
	t.Logf("dmsd stopped with %d partitions moving", n)

	e.start(t)
	var task struct {
		Tasks []struct {
			Status string `json:"status"`
			Params string `json:"params"`
		} `json:"tasks"`
	}
	for {
		must(t, call(ctx, e.c, "GET", e.base()+"/tasks/"+job.JobID, nil, &task))
		if s := task.Tasks[0].Status; s == "SUCCESS" || s == "FAILED" {
			if s != "SUCCESS" {
				t.Fatalf("task %s: %s", s, task.Tasks[0].Params)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the task did not end after the restart")
		}
		time.Sleep(200 * time.Millisecond)
	}
	md, err = adm.Metadata(ctx, topic)
	must(t, err)
	for _, p := range md.Topics[topic].Partitions {
		if !slices.Equal(p.Replicas, want[p.Partition]) {
			t.Errorf("partition %d: replicas %v, want %v", p.Partition, p.Replicas, want[p.Partition])
		}
	}
	// Leaders and configs as every broker applies them (a broker may be a moment behind).
	deadline := time.Now().Add(30 * time.Second)
	for {
		md, err = adm.Metadata(ctx, topic)
		must(t, err)
		ok := len(throttleRates(t, ctx, adm)) == 0
		for _, p := range md.Topics[topic].Partitions {
			ok = ok && p.Leader == want[p.Partition][0]
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the task: leaders %+v, throttle rates %v", md.Topics[topic].Partitions, throttleRates(t, ctx, adm))
		}
		time.Sleep(300 * time.Millisecond)
	}
	offs, err := adm.ListEndOffsets(ctx, topic)
	must(t, err)
	offs.Each(func(o kadm.ListedOffset) {
		if o.Err != nil || o.Offset != perPartition {
			t.Errorf("partition %d: end offset %d %v, want %d", o.Partition, o.Offset, o.Err, perPartition)
		}
	})

	// Scheduled: partition 0's new replica onto the third broker, led by it, 8 s from now; dmsd
	// restarts meanwhile.
	back := []int32{(want[0][1] + 2) % 3, want[0][1]}
	at := time.Now().Add(8 * time.Second)
	var sched struct {
		JobID string `json:"job_id"`
	}
	must(t, call(ctx, e.c, "POST", "/v2/{project_id}/kafka/instances/"+e.id+"/reassign", map[string]any{
		"reassignments": []any{map[string]any{"topic": topic, "assignment": []any{map[string]any{"partition": 0, "partition_brokers": back}}}},
		"is_schedule":   true, "execute_at": at.UnixMilli(),
	}, &sched))
	type scheduledTask struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Status   string `json:"status"`
		Schedule string `json:"schedule_at"`
	}
	var list struct {
		Jobs []scheduledTask `json:"jobs"`
	}
	must(t, call(ctx, e.c, "GET", e.base()+"/scheduled-tasks", nil, &list))
	if len(list.Jobs) != 1 || list.Jobs[0].ID != sched.JobID || list.Jobs[0].Name != "reassignPartitions" || list.Jobs[0].Status != "CREATED" {
		t.Fatalf("scheduled tasks: %+v (job %s)", list.Jobs, sched.JobID)
	}
	e.p.stop(t)
	e.start(t)
	if time.Now().After(at) {
		t.Logf("dmsd restarted after the scheduled time: the reassignment runs as overdue")
	}
	for {
		must(t, call(ctx, e.c, "GET", e.base()+"/scheduled-tasks", nil, &list))
		if len(list.Jobs) != 1 {
			t.Fatalf("scheduled tasks after the restart: %+v", list.Jobs)
		}
		if st := list.Jobs[0].Status; st == "SUCCESS" || st == "FAILED" {
			if st != "SUCCESS" {
				t.Fatalf("the scheduled reassignment: %+v", list.Jobs[0])
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the scheduled reassignment is still %s", list.Jobs[0].Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if fired := time.Now(); fired.Before(at) {
		t.Errorf("the scheduled reassignment ended at %s, before its time %s", fired, at)
	}
	md, err = adm.Metadata(ctx, topic)
	must(t, err)
	if p := md.Topics[topic].Partitions[0]; !slices.Equal(p.Replicas, back) {
		t.Errorf("partition 0 after the scheduled reassignment: replicas %v, want %v", p.Replicas, back)
	}
}

// throttleRates are the dynamic replication throttle rates set on the brokers ("broker:name=value").
func throttleRates(t *testing.T, ctx context.Context, adm *kadm.Client) []string {
	t.Helper()
	rcs, err := adm.DescribeBrokerConfigs(ctx, 0, 1, 2)
	must(t, err)
	var out []string
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			if strings.HasSuffix(c.Key, ".replication.throttled.rate") && c.Source == kmsg.ConfigSourceDynamicBrokerConfig {
				out = append(out, rc.Name+":"+c.Key+"="+c.MaybeValue())
			}
		}
	}
	return out
}
