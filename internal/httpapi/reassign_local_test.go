package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/reassign"
)

// TestReassignAPILocal: a real move through HTTP on Apache Kafka. 5.2.11 through the SDK with a
// manual plan and a throttle: the task's progress shows through ShowBackgroundTaskProgress while
// it moves (the instance stays RUNNING, a second request meanwhile is refused as busy), and after
// it every partition has its planned replicas led by the first, with no throttle left. Then 5.2.8
// moves one partition back (204) and its task, found in 5.9's list, succeeds likewise.
func TestReassignAPILocal(t *testing.T) {
	e := newTestEnvOn(t, "local")
	c := e.kafkaClient(t)
	created, err := c.CreateInstanceByEngine(createReq(e, t, "reassign-local"))
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	in := waitRunningLocal(t, e, id)
	var seeds []string
	for _, h := range strings.Split(deref(in.ConnectAddress), ",") {
		seeds = append(seeds, net.JoinHostPort(h, strconv.Itoa(int(deref(in.Port)))))
	}
	kcl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(800<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer kcl.Close()
	adm := kadm.NewClient(kcl)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	const topic = "reassign-http"
	if _, err := c.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: id, Body: &model.CreateInstanceTopicReq{
		Id: topic, Partition: tpI32(3), Replication: tpI32(2)}}); err != nil {
		t.Fatal(err)
	}
	value := make([]byte, 256<<10)
	rand.Read(value)
	for p := range int32(3) {
		for range 32 { // 8 MiB per partition
			if err := kcl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: p, Value: value}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	// Each partition gets the broker it lacks, as its leader.
	want := map[int32][]int32{}
	for _, p := range md.Topics[topic].Partitions {
		for _, b := range []int32{0, 1, 2} {
			if !slices.Contains(p.Replicas, b) {
				want[p.Partition] = []int32{b, p.Replicas[0]}
			}
		}
	}
	const throttle = 4 << 20
	resp, err := c.CreateKafkaReassignmentTask(reassignReq(id, throttle, false, manual(topic, want)))
	if err != nil {
		t.Fatal(err)
	}
	job := deref(resp.JobId)
	if job == "" || resp.ReassignmentTime != nil {
		t.Fatalf("answer %+v", resp)
	}
	// Busy: one reassignment at a time.
	_, err = c.CreateKafkaReassignmentTask(reassignReq(id, 0, false, manual(topic, want)))
	sdkErr(t, err, 400, dms.CodeInstanceBusy)

	// Progress while it moves.
	var seen []string
	sawMoving, sawRunning := false, true
	var last *model.ShowBackgroundTaskProgressResponse
	for {
		pr, err := c.ShowBackgroundTaskProgress(&model.ShowBackgroundTaskProgressRequest{InstanceId: id, TaskId: job})
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.ShowBackgroundTask(&model.ShowBackgroundTaskRequest{InstanceId: id, TaskId: job})
		if err != nil {
			t.Fatal(err)
		}
		status := deref((*st.Tasks)[0].Status)
		if status == "SUCCESS" || status == "FAILED" {
			if status != "SUCCESS" {
				t.Fatalf("task %s: %s", status, deref((*st.Tasks)[0].Params))
			}
			break
		}
		last = pr // read while the task was running (it was, since it is running now)
		line := fmt.Sprintf("%d%%", deref(pr.ProgressPercentage))
		for _, s := range deref(pr.StepList) {
			if strings.HasPrefix(deref(s.Name), "move batch") && deref(s.Statue) == dms.StepInProgress {
				sawMoving = true
				line += " moving"
			}
		}
		if len(seen) == 0 || seen[len(seen)-1] != line {
			seen = append(seen, line)
		}
		if in, err := c.ShowInstance(&model.ShowInstanceRequest{InstanceId: id}); err != nil || deref(in.Status) != "RUNNING" {
			sawRunning = false
		}
		if ctx.Err() != nil {
			t.Fatal("the task did not end")
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("progress seen: %s", strings.Join(seen, ", "))
	if !sawMoving || !sawRunning {
		t.Errorf("during the task: a batch step in progress seen %t, instance RUNNING throughout %t", sawMoving, sawRunning)
	}
	if last == nil || deref(last.ProgressPercentage) == 100 {
		t.Errorf("100%% before the task ended")
	}
	pr, err := c.ShowBackgroundTaskProgress(&model.ShowBackgroundTaskProgressRequest{InstanceId: id, TaskId: job})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range deref(pr.StepList) {
		names = append(names, deref(s.Name))
		if deref(s.Statue) != dms.StepCompleted {
			t.Errorf("step %s: %s", deref(s.Name), deref(s.Statue))
		}
	}
	if deref(pr.ProgressPercentage) != 100 || !slices.Equal(names, []string{"set replication throttle", "move batch 1 of 1 (3 partitions)",
		"elect preferred leaders", "remove replication throttle"}) {
		t.Errorf("progress after: %d%% steps %q", deref(pr.ProgressPercentage), names)
	}
	checkPlaced(t, adm, topic, want)

	// 5.2.8: partition 0 back where it was (answers 204; the task is in 5.9's list).
	back := md.Topics[topic].Partitions[0].Replicas
	hr, b := e.do(t, "POST", "/v2/"+e.ProjectID+"/instances/"+id+"/management/topics/"+topic+"/replicas-reassignment",
		map[string]any{"partitions": []reassign.ReplicaPlacement{{Partition: tpI32(0), Replicas: back}}})
	if hr.StatusCode != 204 || len(b) != 0 {
		t.Fatalf("5.2.8: %d %s", hr.StatusCode, b)
	}
	tasks, err := c.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: id})
	if err != nil {
		t.Fatal(err)
	}
	var latest string
	for _, tk := range deref(tasks.Tasks) {
		if deref(tk.Name) == reassign.TaskName && deref(tk.Id) != job {
			latest = deref(tk.Id)
		}
	}
	if latest == "" {
		t.Fatalf("no second %s task in %+v", reassign.TaskName, tasks)
	}
	if tk := waitTask(t, c, id, latest); deref(tk.Status) != "SUCCESS" {
		t.Fatalf("5.2.8 task: %s %s", deref(tk.Status), deref(tk.Params))
	}
	want[0] = back
	checkPlaced(t, adm, topic, want)

	// The rebalance of the whole instance (reassign.Service.Rebalance, what follows an extension): a
	// topic crowded on brokers 0 and 1 gets spread over all three, replicas and leaders even.
	const skewed = "reassign-skewed"
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = skewed, -1, -1
	for p := range int32(6) {
		ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
		ra.Partition, ra.Replicas = p, []int32{p % 2, 1 - p%2}
		rt.ReplicaAssignment = append(rt.ReplicaAssignment, ra)
	}
	req.Topics = append(req.Topics, rt)
	if resp, err := req.RequestWith(ctx, kcl); err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create %s: %v %+v", skewed, err, resp)
	}
	// Through OpenDMS's rebalance route (dmsctl instance rebalance): the estimate, an unknown broker, the run.
	rebalance := func(body map[string]any) (int, map[string]any) {
		hr, b := e.do(t, "POST", "/opendms/v1/"+e.ProjectID+"/instances/"+id+"/rebalance", body)
		var out map[string]any
		json.Unmarshal(b, &out)
		return hr.StatusCode, out
	}
	if code, est := rebalance(map[string]any{"throttle": throttle, "time_estimate": true}); code != 200 || est["reassignment_time"] == nil {
		t.Fatalf("rebalance estimate: %d %v", code, est)
	}
	if code, out := rebalance(map[string]any{"brokers": []int32{0, 1, 9}}); code != 400 || out["error_code"] != dms.CodeInvalidParameter {
		t.Errorf("rebalance onto an unknown broker: %d %v", code, out)
	}
	rcode, rout := rebalance(map[string]any{"throttle": throttle})
	rjob, _ := rout["job_id"].(string)
	if rcode != 200 || rjob == "" {
		t.Fatalf("rebalance: %d %v", rcode, rout)
	}
	if tk := waitTask(t, c, id, rjob); deref(tk.Status) != "SUCCESS" {
		t.Fatalf("rebalance task: %s", deref(tk.Status))
	}
	// The skewed topic's replicas even over the brokers; every topic's replicas and preferred
	// leaders even over the cluster (the planner balances leaders cluster-wide).
	deadline := time.Now().Add(30 * time.Second)
	for {
		md, err := adm.Metadata(ctx)
		if err != nil {
			t.Fatal(err)
		}
		topicReplicas, replicas, leaders := map[int32]int{}, map[int32]int{}, map[int32]int{}
		n, led := 0, 0
		for _, td := range md.Topics {
			for _, p := range td.Partitions {
				n++
				if p.Leader == p.Replicas[0] {
					leaders[p.Leader]++
					led++
				}
				for _, b := range p.Replicas {
					replicas[b]++
					if td.Topic == skewed {
						topicReplicas[b]++
					}
				}
			}
		}
		even := func(m map[int32]int) bool { return max(m[0], m[1], m[2])-min(m[0], m[1], m[2]) <= 1 }
		if topicReplicas[0] == 4 && topicReplicas[1] == 4 && topicReplicas[2] == 4 && even(replicas) && even(leaders) && led == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the rebalance: %s replicas per broker %v; cluster replicas %v, preferred leaders leading %v (%d of %d)",
				skewed, topicReplicas, replicas, leaders, led, n)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// checkPlaced checks every partition has its planned replicas led by the first, and that no
// replication throttle is left on the topic or the brokers.
func checkPlaced(t *testing.T, adm *kadm.Client, topic string, want map[int32][]int32) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second) // the data client's metadata may lag
	for {
		md, err := adm.Metadata(ctx, topic)
		var bad []string
		if err != nil {
			bad = append(bad, err.Error())
		}
		for _, p := range md.Topics[topic].Partitions {
			if !slices.Equal(p.Replicas, want[p.Partition]) || p.Leader != want[p.Partition][0] {
				bad = append(bad, fmt.Sprintf("partition %d: %v led by %d, want %v", p.Partition, p.Replicas, p.Leader, want[p.Partition]))
			}
		}
		if len(bad) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(strings.Join(bad, "; "))
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The configs as a broker answers them: the one asked may apply the removal a moment after the
	// controller committed it.
	for {
		var left []string
		tc, err := adm.DescribeTopicConfigs(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		for _, rc := range tc {
			for _, cfg := range rc.Configs {
				if strings.Contains(cfg.Key, "throttled") && cfg.MaybeValue() != "" {
					left = append(left, fmt.Sprintf("topic config %s=%s", cfg.Key, cfg.MaybeValue()))
				}
			}
		}
		bc, err := adm.DescribeBrokerConfigs(ctx, 0, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, rc := range bc {
			for _, cfg := range rc.Configs {
				if strings.Contains(cfg.Key, "throttled.rate") && cfg.Source == kmsg.ConfigSourceDynamicBrokerConfig {
					left = append(left, fmt.Sprintf("broker %s config %s=%s", rc.Name, cfg.Key, cfg.MaybeValue()))
				}
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("throttle left after the task: %s", strings.Join(left, "; "))
		}
		t.Logf("throttle still shown (the broker asked may lag): %s", strings.Join(left, "; "))
		time.Sleep(500 * time.Millisecond)
	}
}
