package httpapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/connect"
	"github.com/opendms/opendms/internal/engine"
)

// TestSmartConnectLocal is Kafka-to-Kafka replication end to end on Apache Kafka, through the API
// with the official SDK: instance A (PLAINTEXT) runs the Connect workers, instance B (SASL_SSL,
// SCRAM) is the peer, resolved by dmsd from its instance_id. Cases share the two instances (each
// pair of clusters plus workers costs minutes of JVM start-up): pull with renamed and mapped topics,
// push, two-way with provenance headers, consumer-offset sync, pause/resume/restart, a worker killed
// with kill -9, deleting the tasks and disabling Smart Connect. It logs the numbers of the closing
// note (time to enable, worker RSS, throughput against a plain franz-go copy, end-to-end lag):
// measured, never asserted.
func TestSmartConnectLocal(t *testing.T) {
	e := newTestEnvOpts(t, "local", testEnvOptions{Connect: connect.Config{ReadyTimeout: 4 * time.Minute}})
	c := e.kafkaClient(t)
	// The whole test's bound (tctx's 30 s is one step's).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	t.Cleanup(cancel)

	// Two instances, created at once: A plaintext, B SASL_SSL only.
	const bUser, bPwd = "root1", "Repl1ca-Passw0rd"
	reqA := createReq(e, t, "connect-a")
	reqB := createReq(e, t, "connect-b")
	yes := true
	reqB.Body.PortProtocol = &model.PortProtocol{PrivateSaslSslEnable: &yes}
	reqB.Body.AccessUser, reqB.Body.Password = tpStr(bUser), tpStr(bPwd)
	reqB.Body.SaslEnabledMechanisms = &[]model.CreateInstanceByEngineReqSaslEnabledMechanisms{model.GetCreateInstanceByEngineReqSaslEnabledMechanismsEnum().SCRAM_SHA_512}
	createdA, err := c.CreateInstanceByEngine(reqA)
	if err != nil {
		t.Fatal(err)
	}
	createdB, err := c.CreateInstanceByEngine(reqB)
	if err != nil {
		t.Fatal(err)
	}
	aID, bID := deref(createdA.InstanceId), deref(createdB.InstanceId)
	inA, inB := waitRunningLocal(t, e, aID), waitRunningLocal(t, e, bID)
	hostPorts := func(addrs string) []string { return strings.Split(addrs, ",") }
	aSeeds := hostPorts(deref(deref(inA.PortProtocols).PrivatePlainAddress))
	bSeeds := hostPorts(deref(deref(inB.PortProtocols).PrivateSaslSslAddress))
	if len(aSeeds) == 0 || aSeeds[0] == "" || len(bSeeds) == 0 || bSeeds[0] == "" {
		t.Fatalf("addresses: A %+v, B %+v", deref(inA.PortProtocols), deref(inB.PortProtocols))
	}
	hr, ca := e.do(t, "GET", "/opendms/v1/"+e.ProjectID+"/instances/"+bID+"/ca-certificate", nil)
	pool := x509.NewCertPool()
	if hr.StatusCode != 200 || !pool.AppendCertsFromPEM(ca) {
		t.Fatalf("B's CA certificate: %d %s", hr.StatusCode, ca)
	}
	aOpts := []kgo.Opt{kgo.SeedBrokers(aSeeds...)}
	bOpts := []kgo.Opt{kgo.SeedBrokers(bSeeds...), kgo.SASL(scramAuth(bUser, bPwd)), kgo.DialTLSConfig(&tls.Config{RootCAs: pool})}
	aCl, bCl := newKgo(t, aOpts), newKgo(t, bOpts)
	aAdm, bAdm := kadm.NewClient(aCl), kadm.NewClient(bCl)
	createTopic := func(instanceID, name string, partitions int32) {
		t.Helper()
		if _, err := c.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: instanceID, Body: &model.CreateInstanceTopicReq{Id: name, Partition: tpI32(partitions)}}); err != nil {
			t.Fatalf("topic %s: %v", name, err)
		}
	}

	// 5.3.1 on A with two workers; the time until the job's success is a number of the closing note.
	t0 := time.Now()
	enabled, err := c.CreateConnector(&model.CreateConnectorRequest{InstanceId: aID, Body: &model.CreateConnectorReq{NodeCnt: tpStr("2")}})
	if err != nil {
		t.Fatal(err)
	}
	if deref(enabled.JobId) == "" || deref(enabled.ConnectorId) == "" {
		t.Fatalf("5.3.1 response: %+v", enabled)
	}
	if job := waitTaskLong(t, c, aID, deref(enabled.JobId)); deref(job.Status) != "SUCCESS" {
		t.Fatalf("5.3.1 job: %+v", job)
	}
	t.Logf("NUMBER 5.3.1 to workers ready (2 workers): %s", time.Since(t0).Round(100*time.Millisecond))
	if res, err := c.ShowConnectorResourceInfo(&model.ShowConnectorResourceInfoRequest{InstanceId: aID}); err != nil || res.SoldOut == nil || *res.SoldOut {
		t.Fatalf("ShowConnectorResourceInfo: %+v %v", res, err)
	}
	res := connectResource(t, e, aID)
	running := 0
	for _, w := range res.Workers {
		if w.Running {
			running++
		}
	}
	if res.Status != "RUNNING" || res.NodeCount != 2 || len(res.Workers) != 2 || running != 2 || res.ConnectorID != deref(enabled.ConnectorId) {
		t.Fatalf("connector resource: %+v", res)
	}
	runner, ok := e.Engine.(engine.ConnectRunner)
	if !ok {
		t.Fatal("the local engine runs no Connect workers")
	}
	logRSS := func(when string) {
		states, err := runner.ConnectStatus(ctx, aID)
		if err != nil {
			t.Errorf("ConnectStatus: %v", err)
			return
		}
		for _, st := range states {
			t.Logf("NUMBER worker %d RSS %s: %s", st.ID, when, vmRSS(st.PID))
		}
	}
	logRSS("idle")

	var tasksMu sync.Mutex
	var taskIDs []string
	createTask := func(name, topics string, src model.SmartConnectTaskReqSourceConfig) string {
		t.Helper()
		src.CurrentClusterName, src.ClusterName = tpStr("ca"), tpStr("cb")
		src.InstanceId = tpStr(bID)
		src.SecurityProtocol, src.SaslMechanism = tpStr("SASL_SSL"), tpStr("SCRAM-SHA-512")
		src.UserName, src.Password = tpStr(bUser), tpStr(bPwd)
		if src.ConsumerStrategy == nil {
			src.ConsumerStrategy = tpStr("earliest")
		}
		st := model.GetCreateSmartConnectTaskReqSourceTypeEnum().KAFKA_REPLICATOR_SOURCE
		resp, err := c.CreateConnectorTask(&model.CreateConnectorTaskRequest{InstanceId: aID, Body: &model.CreateSmartConnectTaskReq{
			TaskName: tpStr(name), Topics: tpStr(topics), SourceType: &st, SourceTask: &src}})
		if err != nil {
			t.Fatalf("5.3.3 %s: %v", name, err)
		}
		id := deref(resp.Id)
		if id == "" || deref(resp.TaskName) != name {
			t.Fatalf("5.3.3 %s: %+v", name, resp)
		}
		tasksMu.Lock()
		taskIDs = append(taskIDs, id)
		tasksMu.Unlock()
		return id
	}
	waitStatus := func(taskID, want string) {
		t.Helper()
		var last string
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			resp, err := c.ShowConnectorTask(&model.ShowConnectorTaskRequest{InstanceId: aID, TaskId: taskID})
			if err != nil {
				t.Fatalf("5.3.5: %v", err)
			}
			if last = deref(resp.Status); last == want {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
		_, raw := e.do(t, "GET", "/v2/"+e.ProjectID+"/instances/"+aID+"/connector/tasks/"+taskID, nil)
		t.Fatalf("task %s is %s, want %s: %s", taskID, last, want, raw)
	}

	// Pull B -> A, renamed: B's "orders" lands in A as "cb.orders". Records produced before the task
	// (earliest) and after it all arrive, with their keys and headers.
	t.Run("pull renamed", func(t *testing.T) {
		createTopic(bID, "orders", 3)
		want := produceRecs(t, bCl, "orders", "pull-before", 100)
		id := createTask("pull-renamed", "orders", model.SmartConnectTaskReqSourceConfig{Direction: tpStr("pull"), RenameTopicEnabled: &yes})
		waitStatus(id, "RUNNING")
		want = append(want, produceRecs(t, bCl, "orders", "pull-after", 100)...)
		got := consumeRecs(t, aOpts, "cb.orders", len(want))
		sameRecs(t, "cb.orders", got, want)
	})

	// Pull with topics_mapping: B's "events" lands in A as "b-events".
	t.Run("pull mapped", func(t *testing.T) {
		createTopic(bID, "events", 2)
		want := produceRecs(t, bCl, "events", "mapped", 80)
		id := createTask("pull-mapped", "events", model.SmartConnectTaskReqSourceConfig{Direction: tpStr("pull"), TopicsMapping: tpStr("events:b-events")})
		waitStatus(id, "RUNNING")
		got := consumeRecs(t, aOpts, "b-events", len(want))
		sameRecs(t, "b-events", got, want)
		if n := topicCount(t, aAdm, "events"); n != 0 {
			t.Errorf("A has %d records in a topic named like the source's", n)
		}
	})

	// Push A -> B with identity names: the peer is SASL_SSL, reached through instance_id.
	var pushID string
	pushWant := []string{}
	t.Run("push", func(t *testing.T) {
		createTopic(aID, "push-t", 3)
		pushWant = produceRecs(t, aCl, "push-t", "push", 120)
		pushID = createTask("push", "push-t", model.SmartConnectTaskReqSourceConfig{Direction: tpStr("push")})
		waitStatus(pushID, "RUNNING")
		got := consumeRecs(t, bOpts, "push-t", len(pushWant))
		sameRecs(t, "push-t", got, pushWant)
	})

	// Two-way with provenance headers on identity names: each record is copied once, never back.
	// The topic has one partition, so a marker produced after the copies and seen on the far side
	// proves the flow back has read (and dropped) the copies before it.
	t.Run("two-way", func(t *testing.T) {
		createTopic(aID, "both", 1)
		createTopic(bID, "both", 1)
		id := createTask("two-way", "both", model.SmartConnectTaskReqSourceConfig{Direction: tpStr("two-way"), ProvenanceHeaderEnabled: &yes})
		waitStatus(id, "RUNNING")
		fromA := produceRecs(t, aCl, "both", "fromA", 50)
		got := consumeRecs(t, bOpts, "both", 50)
		sameRecs(t, "both on B", stripOrigin(t, got, "ca", "fromA"), fromA)
		// A marker from B: it reaches A after B's copies of A's records went through the flow back.
		marker := produceRecs(t, bCl, "both", "markerB", 1)
		gotA := consumeRecs(t, aOpts, "both", 51)
		sameRecs(t, "both on A", stripOrigin(t, gotA, "cb", "markerB"), append(slices.Clone(fromA), marker...))
		// And the other way round.
		fromB := produceRecs(t, bCl, "both", "fromB", 50)
		gotA = consumeRecs(t, aOpts, "both", 101)
		markerA := produceRecs(t, aCl, "both", "markerA", 1)
		gotB := consumeRecs(t, bOpts, "both", 50+1+50+1)
		sameRecs(t, "both on A", stripOrigin(t, gotA, "cb", "markerB", "fromB"), slices.Concat(fromA, marker, fromB))
		sameRecs(t, "both on B", stripOrigin(t, gotB, "ca", "fromA", "markerA"), slices.Concat(fromA, marker, fromB, markerA))
		if n, m := topicCount(t, aAdm, "both"), topicCount(t, bAdm, "both"); n != 102 || m != 102 {
			t.Errorf("records in both: A %d, B %d, want 102 each (copied once, not looped)", n, m)
		}
	})

	// Consumer offsets: the checkpoint connector of a flow reads the groups of its SOURCE cluster
	// and commits their translated offsets on its TARGET; a group consuming A's topic appears on B
	// with a push.
	t.Run("offset sync", func(t *testing.T) {
		createTopic(aID, "grp-t", 2)
		produceRecs(t, aCl, "grp-t", "grp", 90)
		committed := consumeCommit(t, aOpts, "grp-t", "app-group", 90)
		id := createTask("offset-sync", "grp-t", model.SmartConnectTaskReqSourceConfig{Direction: tpStr("push"), SyncConsumerOffsetsEnabled: &yes})
		waitStatus(id, "RUNNING")
		consumeRecs(t, bOpts, "grp-t", 90)
		var last kadm.OffsetResponses
		deadline := time.Now().Add(2 * time.Minute)
		for {
			got, err := bAdm.FetchOffsets(ctx, "app-group")
			if err == nil {
				last = got
				exact := true
				for p, o := range committed {
					r, ok := got.Lookup("grp-t", p)
					if !ok || r.At != o {
						exact = false
					}
				}
				if exact {
					break
				}
			}
			if time.Now().After(deadline) {
				_, raw := e.do(t, "GET", "/v2/"+e.ProjectID+"/instances/"+aID+"/connector/tasks/"+id, nil)
				workerLogs(t, e, aID, "Checkpoint|checkpoint|OffsetSync|ERROR")
				t.Fatalf("app-group on B: %+v (err %v), want the committed offsets of A %v; task %s", last, err, committed, raw)
			}
			time.Sleep(time.Second)
		}
		t.Logf("app-group: committed on A %v, on B the same", committed)
	})

	// 5.3.5, pause (5.3.7), resume (5.3.8), restart (5.3.9) on the push task.
	t.Run("pause resume restart", func(t *testing.T) {
		if pushID == "" {
			t.Fatal("no push task: the push case failed")
		}
		list, err := c.ListConnectorTasks(&model.ListConnectorTasksRequest{InstanceId: aID})
		if err != nil || deref(list.TotalNumber) != 5 || len(deref(list.Tasks)) != 5 {
			t.Fatalf("5.3.4: %+v %v", list, err)
		}
		waitStatus(pushID, "RUNNING")
		if _, err := c.PauseConnectorTask(&model.PauseConnectorTaskRequest{InstanceId: aID, TaskId: pushID}); err != nil {
			t.Fatal(err)
		}
		waitStatus(pushID, "PAUSED")
		during := produceRecs(t, aCl, "push-t", "paused", 40)
		// Not a speed check: what a running task copies in well under a second stays out this long.
		time.Sleep(15 * time.Second)
		if n := topicCount(t, bAdm, "push-t"); n != int64(len(pushWant)) {
			t.Errorf("push-t on B while paused: %d records, want %d", n, len(pushWant))
			sameRecs(t, "push-t while paused", consumeRecs(t, bOpts, "push-t", int(n)), pushWant)
		}
		if _, err := c.ResumeConnectorTask(&model.ResumeConnectorTaskRequest{InstanceId: aID, TaskId: pushID}); err != nil {
			t.Fatal(err)
		}
		waitStatus(pushID, "RUNNING")
		pushWant = append(pushWant, during...)
		sameRecs(t, "push-t after resume", consumeRecs(t, bOpts, "push-t", len(pushWant)), pushWant)

		// Restart resets the positions: with earliest, A's records are copied again.
		if _, err := c.RestartConnectorTask(&model.RestartConnectorTaskRequest{InstanceId: aID, TaskId: pushID}); err != nil {
			t.Fatal(err)
		}
		waitStatus(pushID, "RUNNING")
		twice := slices.Concat(pushWant, pushWant)
		sameRecs(t, "push-t after restart", consumeRecs(t, bOpts, "push-t", len(twice)), twice)
		pushWant = twice
	})

	// A worker killed with kill -9 is started again by the engine and the task goes on.
	t.Run("kill -9", func(t *testing.T) {
		if pushID == "" {
			t.Fatal("no push task: the push case failed")
		}
		// First the copy's source offsets must be stored (the workers flush them every 5 s): then
		// the restarted task goes on from them and copies nothing twice.
		waitSourceOffsets(t, e, aID, pushID, aAdm, "push-t")
		states, err := runner.ConnectStatus(ctx, aID)
		if err != nil || len(states) != 2 {
			t.Fatalf("ConnectStatus: %+v %v", states, err)
		}
		victim := states[0]
		if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			states, err := runner.ConnectStatus(ctx, aID)
			if err == nil {
				i := slices.IndexFunc(states, func(s engine.BrokerState) bool { return s.ID == victim.ID })
				if i >= 0 && states[i].Running && states[i].PID != victim.PID && states[i].Restarts > victim.Restarts {
					t.Logf("worker %d: pid %d killed, now pid %d (%s)", victim.ID, victim.PID, states[i].PID, states[i].LastExit)
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("worker %d not restarted: %+v %v", victim.ID, states, err)
			}
			time.Sleep(500 * time.Millisecond)
		}
		waitStatus(pushID, "RUNNING")
		after := produceRecs(t, aCl, "push-t", "after-kill", 60)
		want := slices.Concat(pushWant, after)
		got := waitContains(t, bOpts, "push-t", want)
		sameRecs(t, "push-t after kill -9", got, want)
		if n := topicCount(t, bAdm, "push-t"); n != int64(len(want)) {
			t.Errorf("push-t on B after kill -9: %d records, want %d", n, len(want))
		}
		if res := connectResource(t, e, aID); len(res.Workers) != 2 || !res.Workers[0].Running || !res.Workers[1].Running {
			t.Errorf("workers after the restart: %+v", res.Workers)
		}
	})

	t.Run("numbers", func(t *testing.T) {
		measureReplication(t, c, aID, aCl, bCl, aOpts, bOpts, bAdm, createTask, waitStatus)
		logRSS("after the throughput run")
	})

	// 5.3.6 every task, then 5.3.2: the workers stop and the connector's topics go.
	t.Run("delete and disable", func(t *testing.T) {
		for _, id := range taskIDs {
			if _, err := c.DeleteConnectorTask(&model.DeleteConnectorTaskRequest{InstanceId: aID, TaskId: id}); err != nil {
				t.Fatalf("5.3.6 %s: %v", id, err)
			}
		}
		if list, err := c.ListConnectorTasks(&model.ListConnectorTasksRequest{InstanceId: aID}); err != nil || deref(list.TotalNumber) != 0 {
			t.Fatalf("5.3.4 after deleting: %+v %v", list, err)
		}
		states, _ := runner.ConnectStatus(ctx, aID)
		resp, err := c.DeleteConnector(&model.DeleteConnectorRequest{InstanceId: aID})
		if err != nil {
			t.Fatal(err)
		}
		if job := waitTaskLong(t, c, aID, deref(resp.JobId)); deref(job.Status) != "SUCCESS" {
			t.Fatalf("5.3.2 job: %+v", job)
		}
		if st, err := runner.ConnectStatus(ctx, aID); err == nil {
			t.Errorf("workers after 5.3.2: %+v", st)
		}
		for _, st := range states {
			if st.PID > 0 && syscall.Kill(st.PID, 0) == nil {
				t.Errorf("worker %d (pid %d) still runs after 5.3.2", st.ID, st.PID)
			}
		}
		tds, err := aAdm.ListTopics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range tds.Names() {
			if strings.HasPrefix(name, "__dms_connect") || strings.HasPrefix(name, "mm2-") || strings.Contains(name, ".internal") {
				t.Errorf("topic %s left on A after 5.3.2", name)
			}
		}
		// MirrorMaker 2's own topics on the peer (offset syncs and checkpoints live on the target of
		// each flow) are not the instance's: they stay, and are named here for the record.
		if tds, err := bAdm.ListTopics(ctx); err == nil {
			var left []string
			for _, name := range tds.Names() {
				if strings.HasPrefix(name, "mm2-") || strings.HasSuffix(name, ".internal") {
					left = append(left, name)
				}
			}
			t.Logf("MirrorMaker 2 topics left on the peer B: %v", left)
		}
		if res := connectResource(t, e, aID); res.Enabled || len(res.Workers) != 0 {
			t.Errorf("connector resource after 5.3.2: %+v", res)
		}
	})
}

// measureReplication logs replication throughput A -> B against a plain franz-go copy of the same
// data, and the end-to-end lag (produce in A, seen in B) of a running push task.
func measureReplication(t *testing.T, c interface {
	CreateInstanceTopic(*model.CreateInstanceTopicRequest) (*model.CreateInstanceTopicResponse, error)
}, aID string, aCl, bCl *kgo.Client, aOpts, bOpts []kgo.Opt, bAdm *kadm.Client,
	createTask func(name, topics string, src model.SmartConnectTaskReqSourceConfig) string, waitStatus func(id, want string)) {
	t.Helper()
	const n, size = 50000, 1024
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if _, err := c.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: aID, Body: &model.CreateInstanceTopicReq{Id: "bench", Partition: tpI32(3)}}); err != nil {
		t.Fatal(err)
	}
	val := make([]byte, size)
	for i := range val {
		val[i] = byte('a' + i%26)
	}
	var wg sync.WaitGroup
	var perr error
	var pmu sync.Mutex
	for i := range n {
		wg.Add(1)
		aCl.Produce(ctx, &kgo.Record{Topic: "bench", Key: []byte(strconv.Itoa(i)), Value: val}, func(_ *kgo.Record, err error) {
			if err != nil {
				pmu.Lock()
				perr = err
				pmu.Unlock()
			}
			wg.Done()
		})
	}
	wg.Wait()
	if perr != nil {
		t.Fatal(perr)
	}

	// The plain copy: consume A's bench from the start, produce into B's bench-copy.
	if _, err := bAdm.CreateTopic(ctx, 3, -1, nil, "bench-copy"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	src := newKgo(t, append(slices.Clone(aOpts), kgo.ConsumeTopics("bench"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())))
	copied := 0
	for copied < n {
		fs := src.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			wg.Add(1)
			bCl.Produce(ctx, &kgo.Record{Topic: "bench-copy", Key: r.Key, Value: r.Value, Headers: r.Headers}, func(_ *kgo.Record, err error) {
				if err != nil {
					pmu.Lock()
					perr = err
					pmu.Unlock()
				}
				wg.Done()
			})
			copied++
		})
	}
	wg.Wait()
	if perr != nil {
		t.Fatal(perr)
	}
	plain := time.Since(start)
	t.Logf("NUMBER plain franz-go copy A->B: %d records of %d B in %s = %.0f records/s, %.1f MB/s", n, size, plain.Round(time.Millisecond),
		float64(n)/plain.Seconds(), float64(n*size)/plain.Seconds()/1e6)

	// The same through a push task (earliest: it copies what is there), from its creation. The
	// target topic exists beforehand, so that counting its records tells when the copy began.
	if _, err := bAdm.CreateTopic(ctx, 3, -1, nil, "bench"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	id := createTask("bench", "bench", model.SmartConnectTaskReqSourceConfig{Direction: tpStr("push"), TaskNum: tpI32(3)})
	deadline := time.Now().Add(10 * time.Minute)
	// firstAt is when B was last seen without a record of bench: the copy's own time is at most
	// the time since (a lower bound of its rate).
	firstAt := start
	for {
		sampled := time.Now()
		cnt, ok := countRecords(bAdm, "bench")
		if ok && cnt == 0 {
			firstAt = sampled
		}
		if cnt >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bench on B: %d of %d records (%v)", cnt, n, ok)
		}
		time.Sleep(100 * time.Millisecond)
	}
	repl, flow := time.Since(start), time.Since(firstAt)
	t.Logf("NUMBER Smart Connect push A->B (task_num 3): %d records of %d B in %s from 5.3.3 (%.0f records/s), %s since B had none of them (at least %.0f records/s, %.1f MB/s; plain copy is %.1fx faster)",
		n, size, repl.Round(time.Millisecond), float64(n)/repl.Seconds(), flow.Round(time.Millisecond), float64(n)/flow.Seconds(), float64(n*size)/flow.Seconds()/1e6, flow.Seconds()/plain.Seconds())
	waitStatus(id, "RUNNING")

	// End-to-end lag: one record produced in A, timed until a consumer of B sees it.
	ends, err := bAdm.ListEndOffsets(ctx, "bench")
	if err != nil {
		t.Fatal(err)
	}
	offs := map[string]map[int32]kgo.Offset{"bench": {}}
	ends.Each(func(o kadm.ListedOffset) { offs["bench"][o.Partition] = kgo.NewOffset().At(o.Offset) })
	dst := newKgo(t, append(slices.Clone(bOpts), kgo.ConsumePartitions(offs), kgo.FetchMaxWait(50*time.Millisecond)))
	var lags []time.Duration
	for i := range 15 {
		key := fmt.Sprintf("lag-%d", i)
		sent := time.Now()
		if err := aCl.ProduceSync(ctx, &kgo.Record{Topic: "bench", Key: []byte(key), Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		pctx, cancel := context.WithTimeout(ctx, time.Minute)
		seen := false
		for !seen && pctx.Err() == nil {
			dst.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
				if string(r.Key) == key {
					seen = true
				}
			})
		}
		cancel()
		if !seen {
			t.Fatalf("lag sample %d not seen on B", i)
		}
		lags = append(lags, time.Since(sent))
	}
	slices.Sort(lags)
	t.Logf("NUMBER end-to-end lag A->B (push, 15 samples): median %s, min %s, max %s", lags[len(lags)/2].Round(time.Millisecond),
		lags[0].Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond))
}

// waitSourceOffsets waits until the source connectors of a replication task have stored, in the
// workers' offsets topic, the offset of the last record of every partition of topic on A (GET
// /connectors/{name}/offsets of Connect's REST API: MM2 stores the offset of the record copied).
func waitSourceOffsets(t *testing.T, e *testEnv, instanceID, taskID string, adm *kadm.Client, topic string) {
	t.Helper()
	in, err := e.Store.GetInstance(context.Background(), instanceID)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := e.Instances.ConnectRunner(in)
	spec, err := e.Instances.ConnectSpec(in)
	if err != nil {
		t.Fatal(err)
	}
	base := r.ConnectRESTURLs(spec)[0]
	get := func(path string, out any) error {
		resp, err := http.Get(base + path)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return json.NewDecoder(resp.Body).Decode(out)
	}
	ends, err := adm.ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	var last any
	for time.Now().Before(deadline) {
		var names []string
		if err := get("/connectors", &names); err != nil {
			last = err
			time.Sleep(time.Second)
			continue
		}
		stored := map[int32]int64{}
		for _, n := range names {
			if !strings.HasPrefix(n, taskID+"-") || !strings.HasSuffix(n, "-source") {
				continue
			}
			var offs struct {
				Offsets []struct {
					Partition struct {
						Topic     string `json:"topic"`
						Partition int32  `json:"partition"`
					} `json:"partition"`
					Offset struct {
						Offset int64 `json:"offset"`
					} `json:"offset"`
				} `json:"offsets"`
			}
			if err := get("/connectors/"+n+"/offsets", &offs); err != nil {
				last = err
				continue
			}
			for _, o := range offs.Offsets {
				if o.Partition.Topic == topic {
					stored[o.Partition.Partition] = max(stored[o.Partition.Partition], o.Offset.Offset)
				}
			}
		}
		done := true
		ends.Each(func(o kadm.ListedOffset) {
			if s, ok := stored[o.Partition]; o.Offset > 0 && (!ok || s < o.Offset-1) {
				done = false
			}
		})
		if done {
			return
		}
		last = stored
		time.Sleep(time.Second)
	}
	t.Fatalf("source offsets of %s not stored: %v (ends %v)", topic, last, ends)
}

// connectResource is ShowConnectorResourceInfo's body with OpenDMS's additions (the SDK model only
// has soldOut).
func connectResource(t *testing.T, e *testEnv, id string) connect.Resource {
	t.Helper()
	hr, raw := e.do(t, "GET", "/v2/"+e.ProjectID+"/instances/"+id+"/connector", nil)
	var res connect.Resource
	if hr.StatusCode != 200 || json.Unmarshal(raw, &res) != nil {
		t.Fatalf("connector resource: %d %s", hr.StatusCode, raw)
	}
	return res
}

// workerLogs logs the lines of the instance's Connect worker logs that match pattern (a failure's
// explanation).
func workerLogs(t *testing.T, e *testEnv, instanceID, pattern string) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	files, _ := filepath.Glob(filepath.Join(e.Dir, "instances", instanceID, "connect", "*", "*.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n := 0
		for _, l := range strings.Split(string(b), "\n") {
			if re.MatchString(l) && n < 40 {
				t.Logf("%s: %s", filepath.Base(filepath.Dir(f)), l)
				n++
			}
		}
	}
}

// vmRSS is VmRSS of /proc/<pid>/status.
func vmRSS(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return err.Error()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func newKgo(t *testing.T, opts []kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.RequestRetries(5), kgo.RetryTimeout(30 * time.Second), kgo.ProducerLinger(5 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produceRecs produces n records with keys and two headers each and returns them as recString.
func produceRecs(t *testing.T, cl *kgo.Client, topic, tag string, n int) []string {
	t.Helper()
	var rs []*kgo.Record
	var out []string
	for i := range n {
		r := &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("%s-k%d", tag, i)), Value: []byte(fmt.Sprintf("%s-v%d", tag, i)),
			Headers: []kgo.RecordHeader{{Key: "tag", Value: []byte(tag)}, {Key: "seq", Value: []byte(strconv.Itoa(i))}}}
		rs = append(rs, r)
		out = append(out, recString(r))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce %s: %v", topic, err)
	}
	return out
}

// recString is a record's key, value and headers (in order) as one comparable string.
func recString(r *kgo.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q=%q", r.Key, r.Value)
	for _, h := range r.Headers {
		fmt.Fprintf(&b, " %s:%q", h.Key, h.Value)
	}
	return b.String()
}

// consumeRecs reads topic from its start until it has want records (or two minutes pass: then
// what it has).
func consumeRecs(t *testing.T, opts []kgo.Opt, topic string, want int) []*kgo.Record {
	t.Helper()
	cl := newKgo(t, append(slices.Clone(opts), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond)))
	defer cl.Close()
	// A bound, not a speed check: MM2 looks for new topics every 10 s, and a loaded machine is slow.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var got []*kgo.Record
	for len(got) < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { got = append(got, r) })
	}
	return got
}

// waitContains reads topic from its start until every record of want (as recString, counted) is
// among what it read, or two minutes pass (an error naming what is missing); it returns all it read.
func waitContains(t *testing.T, opts []kgo.Opt, topic string, want []string) []*kgo.Record {
	t.Helper()
	cl := newKgo(t, append(slices.Clone(opts), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond)))
	defer cl.Close()
	need := map[string]int{}
	for _, w := range want {
		need[w]++
	}
	missing := len(want)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var got []*kgo.Record
	for missing > 0 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			got = append(got, r)
			if k := recString(r); need[k] > 0 {
				need[k]--
				missing--
			}
		})
	}
	if missing > 0 {
		var some []string
		for k, n := range need {
			if n > 0 && len(some) < 3 {
				some = append(some, k)
			}
		}
		t.Errorf("%s: %d of %d expected records missing (e.g. %v)", topic, missing, len(want), some)
	}
	return got
}

// consumeCommit consumes n records of topic in group and commits; it returns the committed
// offsets by partition.
func consumeCommit(t *testing.T, opts []kgo.Opt, topic, group string, n int) map[int32]int64 {
	t.Helper()
	cl := newKgo(t, append(slices.Clone(opts), kgo.ConsumeTopics(topic), kgo.ConsumerGroup(group), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit()))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	seen := 0
	for seen < n && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		seen += fs.NumRecords()
	}
	if seen != n {
		t.Fatalf("group %s consumed %d of %d", group, seen, n)
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for _, ps := range cl.CommittedOffsets() {
		for p, o := range ps {
			out[p] = o.Offset
		}
	}
	return out
}

// stripOrigin checks the provenance headers (key dms.origin.<alias>, no value): a record whose
// "tag" header is one of copied came from the peer and carries alias's alone, others carry none.
// It returns the records without those headers.
func stripOrigin(t *testing.T, rs []*kgo.Record, alias string, copied ...string) []*kgo.Record {
	t.Helper()
	var out []*kgo.Record
	bad := 0
	for _, r := range rs {
		var hs []kgo.RecordHeader
		var origins []string
		tag := ""
		for _, h := range r.Headers {
			if o, ok := strings.CutPrefix(h.Key, "dms.origin."); ok {
				origins = append(origins, o)
				if h.Value != nil {
					t.Errorf("record %s: provenance header with a value %q", recString(r), h.Value)
				}
				continue
			}
			if h.Key == "tag" {
				tag = string(h.Value)
			}
			hs = append(hs, h)
		}
		want := []string(nil)
		if slices.Contains(copied, tag) {
			want = []string{alias}
		}
		if !slices.Equal(origins, want) && bad < 3 {
			bad++
			t.Errorf("record %s has origins %v, want %v", recString(r), origins, want)
		}
		cp := *r
		cp.Headers = hs
		out = append(out, &cp)
	}
	return out
}

// sameRecs compares the records with want as sets with multiplicity.
func sameRecs(t *testing.T, what string, got []*kgo.Record, want []string) {
	t.Helper()
	g := make([]string, len(got))
	for i, r := range got {
		g[i] = recString(r)
	}
	w := slices.Clone(want)
	sort.Strings(g)
	sort.Strings(w)
	if slices.Equal(g, w) {
		return
	}
	var missing, extra []string
	gi, wi := 0, 0
	for gi < len(g) || wi < len(w) {
		switch {
		case wi < len(w) && (gi >= len(g) || w[wi] < g[gi]):
			missing = append(missing, w[wi])
			wi++
		case gi < len(g) && (wi >= len(w) || g[gi] < w[wi]):
			extra = append(extra, g[gi])
			gi++
		default:
			gi++
			wi++
		}
	}
	t.Errorf("%s: %d records, want %d; missing %d (e.g. %v), unexpected %d (e.g. %v)", what, len(g), len(w), len(missing), first(missing, 3), len(extra), first(extra, 3))
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

// topicCount is the number of records in a topic (end minus start offsets; 0 when it does not
// exist).
func topicCount(t *testing.T, adm *kadm.Client, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		t.Fatalf("start offsets of %s: %v", topic, err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			return
		}
		if s, ok := starts.Lookup(topic, o.Partition); ok && s.Err == nil {
			n += o.Offset - s.Offset
		}
	})
	return n
}

// countRecords is topicCount without failing: ok is false when an answer or a partition's failed
// (then n counts what did answer).
func countRecords(adm *kadm.Client, topic string) (n int64, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, false
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return 0, false
	}
	ok = len(ends) > 0
	ends.Each(func(o kadm.ListedOffset) {
		s, found := starts.Lookup(topic, o.Partition)
		if o.Err != nil || !found || s.Err != nil {
			ok = false
			return
		}
		n += o.Offset - s.Offset
	})
	return n, ok
}
