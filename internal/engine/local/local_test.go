package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/engine"
)

// registerTimeout is generous: on 2 cores under load a 3-node KRaft quorum has been seen to take long.
const registerTimeout = 240 * time.Second

// TestOneBroker: a 1-broker cluster (also started by two concurrent Ensures: one JVM), produce with
// acks=all and consume back, Delete. dmsd's secrets in the environment do not reach the broker's, and
// the broker writes nothing outside the instance's directory (compressed batches load the codecs'
// native libraries; no perf data): nothing of it is left after Delete.
func TestOneBroker(t *testing.T) {
	requireKafka(t)
	setDmsdSecrets(t)
	e := newEngine(t)
	defer e.Close()
	spec := newSpec(t, 1)
	ctx := context.Background()

	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = e.Ensure(ctx, spec) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	started := time.Since(start)
	cl, adm := newClient(t, spec)
	waitRegistered(t, adm, spec, registerTimeout)
	ready := time.Since(start)
	if n := jvmsOf(spec); n != 1 {
		t.Fatalf("%d broker JVMs after two concurrent Ensures, want 1", n)
	}
	st := status(t, e, spec.InstanceID)
	if len(st) != 1 || !st[0].Running || st[0].PID == 0 || st[0].Restarts != 0 {
		t.Fatalf("status %+v", st)
	}
	t.Logf("MEASURE 1 broker: Ensure returned in %v, all brokers registered %v after Ensure; RSS broker 0 = %d MiB (heap %d MiB)",
		started.Round(time.Millisecond), ready.Round(time.Millisecond), rssMB(st[0].PID), DefaultHeapMB)

	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "t1"); err != nil {
		t.Fatal(err)
	}
	produceSync(t, cl, "t1", "v", 200)
	got := consumeAll(t, spec, "t1")
	for i := range 200 {
		if got["v"+strconv.Itoa(i)] != 1 {
			t.Fatalf("record v%d consumed %d times", i, got["v"+strconv.Itoa(i)])
		}
	}
	t.Logf("MEASURE 1 broker: RSS after 200 records = %d MiB", rssMB(st[0].PID))
	checkBrokerEnv(t, st[0].PID)
	produceCompressed(t, spec, "t1")
	nativeLibs := checkFilesInside(t, spec, st[0].PID)
	firstPID := st[0].PID

	// Ensure again is a no-op.
	if err := e.Ensure(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if st2 := status(t, e, spec.InstanceID); st2[0].PID != st[0].PID {
		t.Fatalf("Ensure of a running cluster changed the pid: %d -> %d", st[0].PID, st2[0].PID)
	}

	// Stop keeps the data; Ensure starts the broker again.
	if err := e.Stop(ctx, spec.InstanceID); err != nil {
		t.Fatal(err)
	}
	if st2 := status(t, e, spec.InstanceID); st2[0].Running || !pidGone(st[0].PID) {
		t.Fatalf("after Stop: %+v", st2)
	}
	if err := e.Ensure(ctx, spec); err != nil {
		t.Fatal(err)
	}
	waitServing(t, adm, 0, registerTimeout)
	st = status(t, e, spec.InstanceID)
	if got := consumeAll(t, spec, "t1"); len(got) != 350 {
		t.Fatalf("after Stop and Ensure: %d records, want 350", len(got))
	}
	checkDelete(t, e, spec, []int{st[0].PID})
	checkNothingLeft(t, firstPID, nativeLibs)
	checkNothingLeft(t, st[0].PID, nil)
}

// BenchmarkEnsure measures Ensure until every broker is registered (and Delete) for 1 and 3 brokers:
// go test -run '^$' -bench Ensure -benchtime 3x ./internal/engine/local/
func BenchmarkEnsure(b *testing.B) {
	requireKafka(b)
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("brokers=%d", n), func(b *testing.B) {
			e := newEngine(b)
			defer e.Close()
			var total time.Duration
			for range b.N {
				spec := newSpec(b, n)
				_, adm := newClient(b, spec)
				start := time.Now()
				if err := e.Ensure(context.Background(), spec); err != nil {
					b.Fatal(err)
				}
				waitRegistered(b, adm, spec, registerTimeout)
				total += time.Since(start)
				b.StopTimer()
				if err := e.Delete(context.Background(), spec); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-registered/op")
		})
	}
}

// TestThreeBrokers: a 3-broker cluster; kill -9 of a broker is repaired by the supervisor without
// losing an acknowledged record; a new Engine adopts the running JVMs; RestartBroker applies a new
// static config; Delete leaves nothing behind.
func TestThreeBrokers(t *testing.T) {
	requireKafka(t)
	e := newEngine(t)
	closed := false
	defer func() {
		if !closed {
			e.Close()
		}
	}()
	spec := newSpec(t, 3)
	ctx := context.Background()

	start := time.Now()
	if err := e.Ensure(ctx, spec); err != nil {
		t.Fatal(err)
	}
	started := time.Since(start)
	cl, adm := newClient(t, spec)
	waitRegistered(t, adm, spec, registerTimeout)
	ready := time.Since(start)
	st := status(t, e, spec.InstanceID)
	if !allRunning(st) || len(st) != 3 {
		t.Fatalf("status %+v", st)
	}
	rss := ""
	for _, b := range st {
		rss += fmt.Sprintf(" broker %d = %d MiB;", b.ID, rssMB(b.PID))
	}
	t.Logf("MEASURE 3 brokers: Ensure returned in %v, all brokers registered %v after Ensure; RSS (heap %d MiB):%s",
		started.Round(time.Millisecond), ready.Round(time.Millisecond), DefaultHeapMB, rss)

	// RF 3, min.insync.replicas 2 (the engine's defaults for 3 brokers), acks=all.
	const topic = "durable"
	if _, err := adm.CreateTopic(ctx, 3, -1, nil, topic); err != nil {
		t.Fatal(err)
	}
	waitFullISR(t, adm, topic, 60*time.Second)
	tc, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := tc.On(topic, nil); err != nil || configValue(c.Configs, "min.insync.replicas") != "2" {
		t.Fatalf("min.insync.replicas of %s = %q (%v), want 2", topic, configValue(c.Configs, "min.insync.replicas"), err)
	}

	// Produce continuously (acks=all, idempotent) while one broker is killed and restarted.
	var acked sync.Map
	var nacked atomic.Int64
	stop := make(chan struct{})
	prodDone := make(chan struct{})
	go func() {
		defer close(prodDone)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			recs := make([]*kgo.Record, 20)
			for j := range recs {
				recs[j] = &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("r%d-%d", i, j))}
			}
			for _, r := range cl.ProduceSync(pctx, recs...) {
				if r.Err == nil {
					acked.Store(string(r.Record.Value), true)
					nacked.Add(1)
				}
			}
			cancel()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	waitAcked := func(n int64) {
		deadline := time.Now().Add(60 * time.Second)
		for nacked.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d records acknowledged", nacked.Load())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitAcked(200)

	victim := st[1]
	killedAt := time.Now()
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	st = waitStatus(t, e, spec.InstanceID, 60*time.Second, func(st []engine.BrokerState) bool {
		return st[1].Running && st[1].PID != victim.PID && st[1].Restarts == 1
	})
	restartedAt := time.Since(killedAt)
	waitServing(t, adm, 1, registerTimeout)
	waitRegistered(t, adm, spec, registerTimeout)
	reregistered := time.Since(killedAt)
	waitFullISR(t, adm, topic, registerTimeout)
	t.Logf("MEASURE kill -9 broker 1: restarted (new pid %d) %v after the kill, serving again after %v, ISR full after %v; last exit %q",
		st[1].PID, restartedAt.Round(time.Millisecond), reregistered.Round(time.Millisecond), time.Since(killedAt).Round(time.Millisecond), st[1].LastExit)
	before := nacked.Load()
	waitAcked(before + 200) // producing goes on with the cluster whole again
	close(stop)
	<-prodDone
	if st[0].Restarts != 0 || st[2].Restarts != 0 {
		t.Fatalf("other brokers restarted: %+v", st)
	}

	got := consumeAll(t, spec, topic)
	lost := 0
	acked.Range(func(k, _ any) bool {
		if got[k.(string)] == 0 {
			lost++
		}
		return true
	})
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged records lost", lost, nacked.Load())
	}
	t.Logf("%d acknowledged records, all consumed back (%d records in the topic)", nacked.Load(), len(got))
	rss = ""
	for _, b := range status(t, e, spec.InstanceID) {
		rss += fmt.Sprintf(" broker %d = %d MiB;", b.ID, rssMB(b.PID))
	}
	t.Logf("MEASURE 3 brokers: RSS after the produce/kill/consume phase:%s", rss)

	// A simulated dmsd restart: Close leaves the JVMs running, a new engine adopts them.
	pids := pidsOf(status(t, e, spec.InstanceID))
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	time.Sleep(time.Second)
	for _, pid := range pids {
		if pidGone(pid) {
			t.Fatalf("broker pid %d died on Close", pid)
		}
	}
	e2 := newEngine(t)
	defer e2.Close()
	adoptStart := time.Now()
	if err := e2.Ensure(ctx, spec); err != nil {
		t.Fatal(err)
	}
	st = status(t, e2, spec.InstanceID)
	if got := pidsOf(st); fmt.Sprint(got) != fmt.Sprint(pids) || !allRunning(st) {
		t.Fatalf("after re-attach pids %v (status %+v), want the same %v", got, st, pids)
	}
	if n := jvmsOf(spec); n != 3 {
		t.Fatalf("%d JVMs after re-attach, want 3", n)
	}
	t.Logf("MEASURE re-attach: Ensure of the new engine adopted pids %v in %v", pids, time.Since(adoptStart).Round(time.Millisecond))
	got2 := consumeAll(t, spec, topic)
	if len(got2) != len(got) {
		t.Fatalf("after re-attach %d distinct records, before %d", len(got2), len(got))
	}

	// RestartBroker with a changed static config.
	spec2 := spec
	spec2.BrokerConfigs = map[string]string{"log.retention.hours": "72"}
	rstart := time.Now()
	if err := e2.RestartBroker(ctx, spec2, 2); err != nil {
		t.Fatal(err)
	}
	stopped := time.Since(rstart)
	waitServing(t, adm, 2, registerTimeout)
	st = status(t, e2, spec.InstanceID)
	if st[2].PID == pids[2] || !st[2].Running || st[0].PID != pids[0] || st[1].PID != pids[1] {
		t.Fatalf("after RestartBroker(2) status %+v, old pids %v", st, pids)
	}
	if !pidGone(pids[2]) {
		t.Fatalf("old JVM %d of broker 2 still runs", pids[2])
	}
	waitRegistered(t, adm, spec, registerTimeout)
	t.Logf("MEASURE RestartBroker(2): stopped and started in %v, serving again %v after the call", stopped.Round(time.Millisecond), time.Since(rstart).Round(time.Millisecond))
	deadline := time.Now().Add(60 * time.Second)
	for {
		rc, err := adm.DescribeBrokerConfigs(ctx, 2)
		var v string
		if err == nil {
			if c, err2 := rc.On("2", nil); err2 == nil {
				v = configValue(c.Configs, "log.retention.hours")
			}
		}
		if v == "72" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log.retention.hours of broker 2 = %q (%v), want 72", v, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if rc, err := adm.DescribeBrokerConfigs(ctx, 0); err != nil {
		t.Fatal(err)
	} else if c, _ := rc.On("0", nil); configValue(c.Configs, "log.retention.hours") == "72" {
		t.Fatal("broker 0 has the new config without a restart")
	}

	checkDelete(t, e2, spec2, pidsOf(status(t, e2, spec.InstanceID)))
}

func configValue(cs []kadm.Config, key string) string {
	for _, c := range cs {
		if c.Key == key && c.Value != nil {
			return *c.Value
		}
	}
	return ""
}

func pidsOf(st []engine.BrokerState) []int {
	out := make([]int, len(st))
	for i, b := range st {
		out[i] = b.PID
	}
	return out
}

// checkDelete deletes spec's instance and checks that nothing is left: no JVM, no data dir, free ports.
func checkDelete(t *testing.T, e *Engine, spec engine.Spec, pids []int) {
	t.Helper()
	start := time.Now()
	if err := e.Delete(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	t.Logf("MEASURE Delete of %d brokers: %v", len(spec.Brokers), time.Since(start).Round(time.Millisecond))
	for _, pid := range pids {
		deadline := time.Now().Add(5 * time.Second)
		for !pidGone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("broker pid %d still runs after Delete", pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if n := jvmsOf(spec); n != 0 {
		t.Fatalf("%d JVMs of the instance after Delete", n)
	}
	if _, err := os.Stat(spec.DataDir); !os.IsNotExist(err) {
		t.Fatalf("data dir after Delete: %v", err)
	}
	for _, b := range spec.Brokers {
		ln, err := net.Listen("tcp", net.JoinHostPort(b.Host, strconv.Itoa(engine.PortPlaintext)))
		if err != nil {
			t.Fatalf("port not free after Delete: %v", err)
		}
		ln.Close()
	}
	if _, err := e.Status(context.Background(), spec.InstanceID); !errors.Is(err, engine.ErrUnknownInstance) {
		t.Fatalf("Status after Delete: %v, want ErrUnknownInstance", err)
	}
	// Deleting again is not an error.
	if err := e.Delete(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
}
