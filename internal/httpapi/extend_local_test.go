package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestExtendLocal: 5.4.1 on Apache Kafka through the SDK. A 3-broker instance with PLAINTEXT and
// SASL_SSL listeners grows to 5 brokers while an idempotent acks=all producer and a consumer group
// run: no acknowledged record is lost, the new brokers are broker-only KRaft nodes (the quorum's
// voters stay 0-2) registered with the instance's listeners, and a SASL_SSL client verifying the
// instance's CA logs in to a new broker directly. Then a vertical extension restarts every broker
// with the new flavor's heap, still under load. The durations are logged (rough: shared machine).
func TestExtendLocal(t *testing.T) {
	e := newTestEnvOn(t, "local")
	c := e.kafkaClient(t)
	req := createReq(e, t, "extend-local")
	yes := true
	req.Body.PortProtocol = &model.PortProtocol{PrivatePlainEnable: &yes, PrivateSaslSslEnable: &yes}
	req.Body.AccessUser, req.Body.Password = tpStr("root1"), tpStr("Ext3nd-Passw0rd")
	req.Body.SaslEnabledMechanisms = &[]model.CreateInstanceByEngineReqSaslEnabledMechanisms{model.GetCreateInstanceByEngineReqSaslEnabledMechanismsEnum().SCRAM_SHA_512}
	created, err := c.CreateInstanceByEngine(req)
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	in := waitRunningLocal(t, e, id)
	port := strconv.Itoa(int(engPortPlain))
	var seeds []string
	for _, h := range strings.Split(deref(in.ConnectAddress), ",") {
		seeds = append(seeds, net.JoinHostPort(h, port))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	admCl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	const topic = "extend-load"
	if _, err := adm.CreateTopic(ctx, 6, 3, nil, topic); err != nil {
		t.Fatal(err)
	}

	// bulk is data for the rebalance to move: 6 partitions of 4 MiB, 3 replicas each.
	const bulk = "extend-bulk"
	if _, err := adm.CreateTopic(ctx, 6, 3, nil, bulk); err != nil {
		t.Fatal(err)
	}
	fill, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(600<<10))
	if err != nil {
		t.Fatal(err)
	}
	value := make([]byte, 256<<10)
	rand.Read(value) // incompressible
	for p := range int32(6) {
		for range 16 {
			fill.Produce(ctx, &kgo.Record{Topic: bulk, Partition: p, Value: value}, nil)
		}
	}
	if err := fill.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	fill.Close()

	load := startLoad(t, ctx, seeds, topic)

	// 3 -> 5 brokers.
	load.waitAcked(t, 200)
	before, err := e.Engine.Status(ctx, id)
	if err != nil || len(before) != 3 {
		t.Fatalf("engine status: %+v %v", before, err)
	}
	// With the rebalance option (raw JSON: an OpenDMS addition the SDK's model does not have), throttled.
	const throttle = 4 << 20
	start := time.Now()
	hr, body := e.do(t, "POST", "/v2/kafka/"+e.ProjectID+"/instances/"+id+"/extend", map[string]any{
		"oper_type": "horizontal", "new_broker_num": 5, "new_storage_space": 500, "rebalance": map[string]any{"throttle": throttle}})
	var job struct {
		JobId *string `json:"job_id"`
	}
	if hr.StatusCode != 200 || json.Unmarshal(body, &job) != nil || job.JobId == nil {
		t.Fatalf("horizontal extension: %d %s", hr.StatusCode, body)
	}
	task := waitTaskLong(t, c, id, deref(job.JobId))
	in = waitRunningLocal(t, e, id)
	horizontal := time.Since(start)
	if deref(task.Status) != "SUCCESS" || deref(in.BrokerNum) != 5 || deref(in.StorageSpace) != 500 {
		t.Fatalf("horizontal: task %+v, broker_num %d, storage %d", task, deref(in.BrokerNum), deref(in.StorageSpace))
	}
	t.Logf("3 -> 5 brokers: %s from the call to RUNNING (%d records acknowledged meanwhile)", horizontal.Round(100*time.Millisecond), load.ackedCount())
	hosts := strings.Split(deref(in.ConnectAddress), ",")
	if len(hosts) != 5 {
		t.Fatalf("connect_address %q", deref(in.ConnectAddress))
	}
	// The running brokers were not restarted: the same processes serve.
	after, err := e.Engine.Status(ctx, id)
	if err != nil || len(after) != 5 {
		t.Fatalf("engine status: %+v %v", after, err)
	}
	for i, b := range before {
		if after[i].PID != b.PID || after[i].Restarts != 0 {
			t.Errorf("broker %d: pid %d -> %d (restarts %d): restarted by the extension", b.ID, b.PID, after[i].PID, after[i].Restarts)
		}
	}

	// Registered with the instance's listeners: the plaintext listener names every broker at its
	// own address; the quorum's voters are still the first three, the new nodes observers.
	bs, err := adm.ListBrokers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hosts {
		if len(bs) != 5 || bs[i].NodeID != int32(i) || bs[i].Host != h || bs[i].Port != engPortPlain {
			t.Errorf("brokers on the plaintext listener: %+v, want %v on %d", bs, hosts, engPortPlain)
			break
		}
	}
	voters, observers := quorum(t, ctx, admCl)
	if !slices.Equal(voters, []int32{0, 1, 2}) || !slices.Contains(observers, 3) || !slices.Contains(observers, 4) {
		t.Errorf("quorum after the extension: voters %v observers %v", voters, observers)
	}
	for node, roles := range map[int]string{0: "broker,controller", 3: "broker", 4: "broker"} {
		props, err := os.ReadFile(filepath.Join(e.Dir, "instances", id, "broker-"+strconv.Itoa(node), "server.properties"))
		if err != nil || !strings.Contains(string(props), "\nprocess.roles="+roles+"\n") || !strings.Contains(string(props), "\ncontroller.quorum.voters=0@") {
			t.Errorf("broker %d server.properties (want process.roles=%s): %v\n%s", node, roles, err, props)
		}
	}

	// SASL_SSL straight to a new broker: its certificate is the instance CA's for its IP, the
	// administrator (a super user) logs in and the brokers it lists are on the SASL_SSL port.
	hr, caPEM := e.do(t, "GET", "/opendms/v1/"+e.ProjectID+"/instances/"+id+"/ca-certificate", nil)
	pool := x509.NewCertPool()
	if hr.StatusCode != 200 || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("CA certificate: %d %s", hr.StatusCode, caPEM)
	}
	newBroker := net.JoinHostPort(hosts[4], "9093")
	secure := userClient(t, []string{newBroker}, scramAuth("root1", "Ext3nd-Passw0rd"), kgo.DialTLSConfig(&tls.Config{RootCAs: pool}))
	sbs, err := kadm.NewClient(secure).ListBrokers(ctx)
	if err != nil {
		t.Fatalf("SASL_SSL to new broker %s: %v", newBroker, err)
	}
	if len(sbs) != 5 || sbs[4].Host != hosts[4] || sbs[4].Port != 9093 || sbs[3].Host != hosts[3] {
		t.Errorf("brokers on the SASL_SSL listener: %+v", sbs)
	}
	if err := secure.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("sasl-ssl")}).FirstErr(); err != nil {
		t.Errorf("produce over SASL_SSL through a new broker: %v", err)
	}
	checkRebalanced(t, ctx, c, adm, id, throttle)
	pre, err := c.ShowKafkaScalePreCheckInfo(&model.ShowKafkaScalePreCheckInfoRequest{InstanceId: id})
	if err != nil || !deref(pre.Success) {
		t.Errorf("pre-check after the extension: %+v %v", pre, err)
	}

	// vertical: a rolling restart of the 5 brokers with c6.4u8g's heap.
	start = time.Now()
	vjob, err := c.ResizeEngineInstance(resizeReq(id, model.ResizeEngineInstanceReq{OperType: "vertical", NewProductId: ptrS("c6.4u8g.cluster")}))
	if err != nil {
		t.Fatal(err)
	}
	job.JobId = vjob.JobId
	task = waitTaskLong(t, c, id, deref(job.JobId))
	in = waitRunningLocal(t, e, id)
	vertical := time.Since(start)
	if deref(task.Status) != "SUCCESS" || deref(in.ProductId) != "c6.4u8g.cluster" {
		t.Fatalf("vertical: task %+v, product %s", task, deref(in.ProductId))
	}
	t.Logf("vertical c6.2u4g -> c6.4u8g (rolling restart of 5 brokers, each waited for until in sync): %s", vertical.Round(100*time.Millisecond))
	prog, err := c.ShowBackgroundTaskProgress(&model.ShowBackgroundTaskProgressRequest{InstanceId: id, TaskId: deref(job.JobId)})
	if err != nil || deref(prog.ProgressPercentage) != 100 {
		t.Errorf("vertical progress: %+v %v", prog, err)
	}
	states, err := e.Engine.Status(ctx, id)
	if err != nil || len(states) != 5 {
		t.Fatalf("engine status: %+v %v", states, err)
	}
	for _, st := range states {
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", st.PID))
		if err != nil || !strings.Contains(string(cmd), "-Xmx320m") {
			t.Errorf("broker %d (pid %d) does not run with the new flavor's heap: %v", st.ID, st.PID, err)
		}
	}

	acked, consumed := load.stop(t)
	var lost []string
	for v := range acked {
		if !consumed[v] {
			lost = append(lost, v)
		}
	}
	t.Logf("%d records acknowledged during both extensions, %d consumed by the group", len(acked), len(consumed))
	if len(acked) < 200 || len(lost) > 0 {
		t.Errorf("%d acknowledged records lost (of %d), e.g. %v", len(lost), len(acked), lost[:min(5, len(lost))])
	}
}

const engPortPlain = 9092

// checkRebalanced follows the reassignment task the extension's rebalance option started (5.9
// lists it) to its end and checks the cluster after: the new brokers 3 and 4 hold replicas,
// replicas per broker at most 1 apart, leaders spread over all five. It logs the move rate per
// receiving broker against the throttle (rough: a shared machine), from the task's step times and
// the bytes on the new brokers.
func checkRebalanced(t *testing.T, ctx context.Context, c *kafka.KafkaClient, adm *kadm.Client, id string, throttle int64) {
	t.Helper()
	tasks, err := c.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: id})
	if err != nil {
		t.Fatal(err)
	}
	var rid string
	for _, tk := range deref(tasks.Tasks) {
		if deref(tk.Name) == "reassignPartitions" {
			rid = deref(tk.Id)
		}
	}
	if rid == "" {
		t.Fatalf("no reassignPartitions task after the extension with rebalance: %+v", deref(tasks.Tasks))
	}
	task := waitTaskLong(t, c, id, rid)
	if deref(task.Status) != "SUCCESS" {
		t.Fatalf("rebalance task: %+v", task)
	}
	prog, err := c.ShowBackgroundTaskProgress(&model.ShowBackgroundTaskProgressRequest{InstanceId: id, TaskId: rid})
	if err != nil || deref(prog.ProgressPercentage) != 100 {
		t.Fatalf("rebalance progress: %+v %v", prog, err)
	}
	var first, last time.Time
	batches := 0
	for _, st := range deref(prog.StepList) {
		if !strings.HasPrefix(deref(st.Name), "move batch") {
			continue
		}
		batches++
		b, err1 := time.Parse(isoMillis, deref(st.StartTime))
		e, err2 := time.Parse(isoMillis, deref(st.EndTime))
		if err1 != nil || err2 != nil {
			t.Fatalf("step %+v: %v %v", st, err1, err2)
		}
		if first.IsZero() || b.Before(first) {
			first = b
		}
		if e.After(last) {
			last = e
		}
	}
	if first.IsZero() {
		t.Fatalf("no move batch in the rebalance's steps: %+v", deref(prog.StepList))
	}

	md, err := adm.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	replicas, leaders := map[int32]int{}, map[int32]int{}
	for _, td := range md.Topics {
		for _, p := range td.Partitions {
			leaders[p.Leader]++
			for _, b := range p.Replicas {
				replicas[b]++
			}
		}
	}
	spread := func(m map[int32]int) (lo, hi int) {
		lo = 1 << 30
		for b := range int32(5) {
			lo, hi = min(lo, m[b]), max(hi, m[b])
		}
		return lo, hi
	}
	if lo, hi := spread(replicas); hi-lo > 1 || lo == 0 {
		t.Errorf("replicas per broker after the rebalance: %v (want at most 1 apart)", replicas)
	}
	if lo, hi := spread(leaders); hi-lo > 2 || lo == 0 {
		t.Errorf("leaders per broker after the rebalance: %v (want every broker leading, at most 2 apart)", leaders)
	}
	dirs, err := adm.DescribeAllLogDirs(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	moved := map[int32]int64{}
	dirs.Each(func(d kadm.DescribedLogDir) {
		if d.Broker >= 3 {
			d.Topics.Each(func(p kadm.DescribedLogDirPartition) { moved[d.Broker] += p.Size })
		}
	})
	secs := last.Sub(first).Seconds()
	busiest := max(moved[3], moved[4])
	t.Logf("MEASURE rebalance onto 2 new brokers: %.1f MiB to broker 3, %.1f MiB to broker 4 in %d batches over %.1f s: %.1f MiB/s into the busiest against a throttle of %d MiB/s per broker",
		float64(moved[3])/(1<<20), float64(moved[4])/(1<<20), batches, secs, float64(busiest)/(1<<20)/max(secs, 0.001), throttle>>20)
	for _, st := range deref(prog.StepList) {
		t.Logf("rebalance step %q %s: %s - %s", deref(st.Name), deref(st.Statue), deref(st.StartTime), deref(st.EndTime))
	}
	if moved[3] == 0 || moved[4] == 0 {
		t.Errorf("bytes on the new brokers after the rebalance: %v", moved)
	}
}

// waitTaskLong is waitTask for tasks on real brokers (a rolling restart of five under load).
func waitTaskLong(t *testing.T, c interface {
	ShowBackgroundTask(*model.ShowBackgroundTaskRequest) (*model.ShowBackgroundTaskResponse, error)
}, instanceID, taskID string) model.ListBackgroundTasksRespTasks {
	t.Helper()
	deadline := time.Now().Add(8 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := c.ShowBackgroundTask(&model.ShowBackgroundTaskRequest{InstanceId: instanceID, TaskId: taskID})
		if err != nil {
			t.Fatal(err)
		}
		task := (*resp.Tasks)[0]
		if s := deref(task.Status); s == "SUCCESS" || s == "FAILED" {
			return task
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("task %s did not end", taskID)
	return model.ListBackgroundTasksRespTasks{}
}

// quorum returns the KRaft quorum's voters and observers (DescribeQuorum), sorted.
func quorum(t *testing.T, ctx context.Context, cl *kgo.Client) (voters, observers []int32) {
	t.Helper()
	req := kmsg.NewPtrDescribeQuorumRequest()
	rt := kmsg.NewDescribeQuorumRequestTopic()
	rt.Topic = "__cluster_metadata"
	rp := kmsg.NewDescribeQuorumRequestTopicPartition()
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		t.Fatal(err)
	}
	for _, tp := range resp.Topics {
		for _, p := range tp.Partitions {
			for _, v := range p.CurrentVoters {
				voters = append(voters, v.ReplicaID)
			}
			for _, o := range p.Observers {
				observers = append(observers, o.ReplicaID)
			}
		}
	}
	slices.Sort(voters)
	slices.Sort(observers)
	return voters, observers
}

// extendLoad is an idempotent acks=all producer writing unique values as fast as acknowledgements come,
// and a consumer group reading them.
type extendLoad struct {
	mu       sync.Mutex
	acked    map[string]bool
	consumed map[string]bool
	failures int
	halt     chan struct{}      // stops the producer's loop
	produced sync.WaitGroup     // the producer's loop
	cancel   context.CancelFunc // stops the consumer
	wg       sync.WaitGroup     // the consumer
	prod     *kgo.Client
	cons     *kgo.Client
}

func startLoad(t *testing.T, ctx context.Context, seeds []string, topic string) *extendLoad {
	t.Helper()
	prod, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(5*time.Millisecond),
		kgo.RecordDeliveryTimeout(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topic), kgo.ConsumerGroup("extend-group"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithCancel(ctx)
	l := &extendLoad{acked: map[string]bool{}, consumed: map[string]bool{}, halt: make(chan struct{}), cancel: cancel, prod: prod, cons: cons}
	l.wg.Add(1)
	l.produced.Add(1)
	go func() {
		defer l.produced.Done()
		sem := make(chan struct{}, 32) // records in flight
		for i := 0; ; i++ {
			select {
			case sem <- struct{}{}:
			case <-l.halt:
				return
			}
			v := "r" + strconv.Itoa(i)
			// Not lctx: a record is acknowledged or failed by the cluster, never cancelled by the test.
			prod.Produce(context.Background(), &kgo.Record{Topic: topic, Value: []byte(v)}, func(_ *kgo.Record, err error) {
				<-sem
				l.mu.Lock()
				defer l.mu.Unlock()
				if err == nil {
					l.acked[v] = true
				} else if !errors.Is(err, context.Canceled) {
					l.failures++
				}
			})
			if i%50 == 49 {
				time.Sleep(20 * time.Millisecond) // a steady few hundred records a second, not a flood
			}
		}
	}()
	go func() {
		defer l.wg.Done()
		for lctx.Err() == nil {
			fs := cons.PollFetches(lctx)
			fs.EachRecord(func(r *kgo.Record) {
				l.mu.Lock()
				l.consumed[string(r.Value)] = true
				l.mu.Unlock()
			})
		}
	}()
	return l
}

func (l *extendLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

func (l *extendLoad) waitAcked(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for l.ackedCount() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d records acknowledged", l.ackedCount())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the producer (waiting for its records in flight), lets the consumer catch up with
// everything acknowledged (up to two minutes), and returns both sets.
func (l *extendLoad) stop(t *testing.T) (acked, consumed map[string]bool) {
	t.Helper()
	fctx, fcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer fcancel()
	close(l.halt)
	l.produced.Wait()
	if err := l.prod.Flush(fctx); err != nil {
		t.Errorf("flushing the producer: %v", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		l.mu.Lock()
		missing := 0
		for v := range l.acked {
			if !l.consumed[v] {
				missing++
			}
		}
		l.mu.Unlock()
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	l.cancel()
	l.wg.Wait()
	l.prod.Close()
	l.cons.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failures > 0 {
		t.Logf("%d records were not acknowledged (failed produce: not counted as written)", l.failures)
	}
	return l.acked, l.consumed
}
