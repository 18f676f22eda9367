package embedded

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/engine"
)

// ---- helpers ----

func randInt(n int64) int {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		panic(err)
	}
	return int(v.Int64())
}

// hosts returns n loopback IPs 127.a.b.1..n whose port 9092 is free, a and b random so that
// parallel tests (and other packages' tests) do not collide. It skips the test where 127.0.0.0/8
// is not all routed to the loopback interface (non-Linux).
func hosts(t testing.TB, n int) []string {
	t.Helper()
	for range 20 {
		a, b := 100+randInt(150), 1+randInt(254)
		out := make([]string, n)
		ok := true
		for i := range n {
			out[i] = fmt.Sprintf("127.%d.%d.%d", a, b, i+1)
			ln, err := net.Listen("tcp", net.JoinHostPort(out[i], "9092"))
			if err != nil {
				if errors.Is(err, syscall.EADDRNOTAVAIL) {
					// OpenDMS gives every broker its own loopback IP: a machine where that cannot
					// work must fail the suite, not pass it by skipping.
					t.Fatalf("cannot bind %s: 127.0.0.0/8 is not all loopback here", out[i])
				}
				ok = false
				break
			}
			ln.Close()
		}
		if ok {
			return out
		}
	}
	t.Fatal("no free loopback IPs found")
	return nil
}

func clusterID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func newSpec(t testing.TB, nbrokers int) engine.Spec {
	t.Helper()
	spec := engine.Spec{
		InstanceID:   "inst-" + strconv.Itoa(randInt(1<<30)),
		DataDir:      filepath.Join(t.TempDir(), "instance"),
		ClusterID:    clusterID(),
		KafkaVersion: "4.3.1",
	}
	for i, h := range hosts(t, nbrokers) {
		spec.Brokers = append(spec.Brokers, engine.Broker{ID: int32(i), Host: h})
	}
	return spec
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return nil
}

func newEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger()
	}
	e := New(opts)
	t.Cleanup(func() { e.Close() })
	return e
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t testing.TB, spec engine.Spec, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(engine.Addrs(spec, engine.PortPlaintext)...),
		kgo.RetryTimeout(10 * time.Second),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), // produce() writes partition 0
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func newAdmin(t testing.TB, spec engine.Spec) *kadm.Client {
	return kadm.NewClient(newClient(t, spec))
}

func mustEnsure(t testing.TB, e *Engine, spec engine.Spec) {
	t.Helper()
	if err := e.Ensure(ctxT(t), spec); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
}

func createTopic(t testing.TB, adm *kadm.Client, topic string, parts int32) {
	t.Helper()
	resp, err := adm.CreateTopic(ctxT(t), parts, -1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

func produce(t testing.TB, cl *kgo.Client, topic string, values ...string) {
	t.Helper()
	var recs []*kgo.Record
	for _, v := range values {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: 0, Value: []byte(v)})
	}
	if err := cl.ProduceSync(ctxT(t), recs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// consumeAll reads partition 0 of topic from the start until it has n records.
func consumeAll(t testing.TB, spec engine.Spec, topic string, n int) []string {
	t.Helper()
	cl := newClient(t, spec, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {0: kgo.NewOffset().AtStart()},
	}))
	ctx := ctxT(t)
	var out []string
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consume %s: got %d of %d records: %v", topic, len(out), n, err)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Logf("fetch error: %v", err) })
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
	return out
}

func endOffset(t testing.TB, adm *kadm.Client, topic string) int64 {
	t.Helper()
	offs, err := adm.ListEndOffsets(ctxT(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := offs.Lookup(topic, 0)
	if !ok || o.Err != nil {
		t.Fatalf("end offset of %s: %v %v", topic, ok, o.Err)
	}
	return o.Offset
}

func brokerConfig(t testing.TB, adm *kadm.Client, broker int32, key string) string {
	t.Helper()
	rcs, err := adm.DescribeBrokerConfigs(ctxT(t), broker)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			if c.Key == key {
				if c.Value == nil {
					return "<nil>"
				}
				return *c.Value
			}
		}
	}
	return "<absent>"
}

func assertPortsFree(t testing.TB, spec engine.Spec) {
	t.Helper()
	for _, addr := range engine.Addrs(spec, engine.PortPlaintext) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s not free: %v", addr, err)
		}
		ln.Close()
	}
}

// ---- tests ----

func TestEnsureThreeBrokers(t *testing.T) {
	t.Parallel()
	e := newEngine(t, Options{})
	spec := newSpec(t, 3)
	mustEnsure(t, e, spec)

	if e.Name() != "embedded" {
		t.Errorf("Name = %q", e.Name())
	}
	if e.Capabilities() != (engine.Capabilities{AddBrokers: true, ProduceReject: true}) {
		t.Errorf("Capabilities = %+v, want only add_brokers and produce_reject", e.Capabilities())
	}

	adm := newAdmin(t, spec)
	md, err := adm.Metadata(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if md.Cluster != spec.ClusterID {
		t.Errorf("cluster id = %q, want %q", md.Cluster, spec.ClusterID)
	}
	if len(md.Brokers) != 3 {
		t.Fatalf("brokers = %+v", md.Brokers)
	}
	for i, b := range md.Brokers {
		if b.NodeID != int32(i) || b.Host != spec.Brokers[i].Host || b.Port != engine.PortPlaintext {
			t.Errorf("broker %d = %d %s:%d, want %d %s:9092", i, b.NodeID, b.Host, b.Port, i, spec.Brokers[i].Host)
		}
	}

	createTopic(t, adm, "orders", 3)
	cl := newClient(t, spec)
	produce(t, cl, "orders", "hello")
	if got := consumeAll(t, spec, "orders", 1); got[0] != "hello" {
		t.Errorf("consumed %q", got)
	}

	st, err := e.Status(ctxT(t), spec.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 3 {
		t.Fatalf("status = %+v", st)
	}
	for i, s := range st {
		if s.ID != int32(i) || !s.Running || s.PID != 0 || s.Since.IsZero() {
			t.Errorf("status[%d] = %+v", i, s)
		}
	}

	// Idempotent: the same spec does not reopen the cluster (nor drop connections).
	mustEnsure(t, e, spec)
	st2, _ := e.Status(ctxT(t), spec.InstanceID)
	if !st2[0].Since.Equal(st[0].Since) {
		t.Errorf("Ensure with an unchanged spec reopened the cluster")
	}
	if _, err := os.Stat(filepath.Join(spec.DataDir, "kfake", "meta.json")); err != nil {
		t.Errorf("kfake data not under DataDir/kfake: %v", err)
	}
}

func TestPersistenceAcrossEngines(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, 3)

	e1 := New(Options{Logger: testLogger()})
	mustEnsure(t, e1, spec)
	adm := newAdmin(t, spec)
	createTopic(t, adm, "events", 3)
	cl := newClient(t, spec)
	produce(t, cl, "events", "a", "b", "c")
	before := endOffset(t, adm, "events")
	if err := e1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e1.Ensure(ctxT(t), spec); !errors.Is(err, ErrClosed) {
		t.Errorf("Ensure after Close = %v, want ErrClosed", err)
	}
	assertPortsFree(t, spec)

	// A dmsd restart: a new engine, the same spec.
	e2 := newEngine(t, Options{})
	mustEnsure(t, e2, spec)
	adm2 := newAdmin(t, spec)
	if after := endOffset(t, adm2, "events"); after != before || after != 3 {
		t.Errorf("log end offset = %d after reopen, %d before, want 3", after, before)
	}
	if got := consumeAll(t, spec, "events", 3); got[0] != "a" || got[2] != "c" {
		t.Errorf("consumed %q", got)
	}
	md, err := adm2.Metadata(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if md.Cluster != spec.ClusterID {
		t.Errorf("cluster id = %q, want %q", md.Cluster, spec.ClusterID)
	}

	// Stop keeps the data too.
	if err := e2.Stop(ctxT(t), spec.InstanceID); err != nil {
		t.Fatal(err)
	}
	if _, err := e2.Status(ctxT(t), spec.InstanceID); !errors.Is(err, engine.ErrUnknownInstance) {
		t.Errorf("Status after Stop = %v", err)
	}
	assertPortsFree(t, spec)
	mustEnsure(t, e2, spec)
	if after := endOffset(t, newAdmin(t, spec), "events"); after != 3 {
		t.Errorf("log end offset after Stop+Ensure = %d", after)
	}
}

func TestRestartBrokerAppliesBrokerConfigs(t *testing.T) {
	t.Parallel()
	e := newEngine(t, Options{})
	spec := newSpec(t, 3)
	spec.BrokerConfigs = map[string]string{"log.retention.ms": "1000000"}
	mustEnsure(t, e, spec)
	createTopic(t, newAdmin(t, spec), "keep", 1)
	produce(t, newClient(t, spec), "keep", "x")

	steps := []struct {
		name    string
		configs map[string]string
		broker  int32
		want    string
	}{
		{"initial", nil, -1, "1000000"},
		{"changed", map[string]string{"log.retention.ms": "2000000"}, 1, "2000000"},
		{"another key added", map[string]string{"log.retention.ms": "2000000", "message.max.bytes": "2097152"}, 0, "2000000"},
		{"removed falls back to the default", map[string]string{"message.max.bytes": "2097152"}, 2, "604800000"},
	}
	for _, st := range steps {
		if st.configs != nil {
			spec.BrokerConfigs = st.configs
			if err := e.RestartBroker(ctxT(t), spec, st.broker); err != nil {
				t.Fatalf("%s: RestartBroker: %v", st.name, err)
			}
		}
		adm := newAdmin(t, spec)
		for _, b := range []int32{0, 2} {
			if got := brokerConfig(t, adm, b, "log.retention.ms"); got != st.want {
				t.Errorf("%s: broker %d log.retention.ms = %s, want %s", st.name, b, got, st.want)
			}
		}
		if got := brokerConfig(t, adm, 0, "log.cleaner.backoff.ms"); got != CleanerBackoffMS {
			t.Errorf("%s: log.cleaner.backoff.ms = %s", st.name, got)
		}
		if got := endOffset(t, adm, "keep"); got != 1 {
			t.Errorf("%s: end offset = %d, want 1", st.name, got)
		}
	}
	st, err := e.Status(ctxT(t), spec.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	if st[0].LastExit == "" {
		t.Errorf("LastExit empty after restarts")
	}
	if err := e.RestartBroker(ctxT(t), spec, 3); err == nil {
		t.Errorf("RestartBroker of a broker not in the spec succeeded")
	}
}

func TestAutoCreateTopicsToggle(t *testing.T) {
	t.Parallel()
	e := newEngine(t, Options{})
	spec := newSpec(t, 3)

	steps := []struct {
		auto   bool
		topic  string
		create bool
	}{
		{false, "auto-1", false},
		{true, "auto-2", true},
		{false, "auto-3", false},
	}
	for _, st := range steps {
		spec.AutoCreateTopics = st.auto
		mustEnsure(t, e, spec)

		cl := newClient(t, spec, kgo.AllowAutoTopicCreation(), kgo.UnknownTopicRetries(2))
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		err := cl.ProduceSync(ctx, &kgo.Record{Topic: st.topic, Value: []byte("v")}).FirstErr()
		cancel()
		if st.create && err != nil {
			t.Errorf("auto=%v: produce to %s: %v", st.auto, st.topic, err)
		}
		if !st.create && !errors.Is(err, kerr.UnknownTopicOrPartition) {
			t.Errorf("auto=%v: produce to %s = %v, want UNKNOWN_TOPIC_OR_PARTITION", st.auto, st.topic, err)
		}

		tds, err := newAdmin(t, spec).ListTopics(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		td, exists := tds[st.topic]
		if exists != st.create {
			t.Errorf("auto=%v: topic %s exists = %v", st.auto, st.topic, exists)
		}
		if exists && len(td.Partitions) != DefaultNumPartitions {
			t.Errorf("auto-created topic has %d partitions, want %d", len(td.Partitions), DefaultNumPartitions)
		}
	}
}

func TestScaleOutKeepsData(t *testing.T) {
	t.Parallel()
	e := newEngine(t, Options{})
	spec := newSpec(t, 5)
	extra := spec.Brokers[3:]
	spec.Brokers = spec.Brokers[:3]
	mustEnsure(t, e, spec)
	createTopic(t, newAdmin(t, spec), "s", 3)
	produce(t, newClient(t, spec), "s", "1", "2")
	before, err := e.Status(ctxT(t), spec.InstanceID)
	if err != nil {
		t.Fatal(err)
	}

	spec.Brokers = append(spec.Brokers, extra...)
	mustEnsure(t, e, spec)
	after, err := e.Status(ctxT(t), spec.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	// Added at runtime (kfake's AddNode), not by reopening the cluster: the running nodes were
	// never closed.
	if len(after) != 5 || !after[0].Since.Equal(before[0].Since) || after[0].LastExit != "" {
		t.Errorf("status after adding brokers = %+v (before %+v): the cluster was reopened", after, before)
	}
	adm := newAdmin(t, spec)
	bs, err := adm.ListBrokers(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 5 || bs[4].Host != extra[1].Host {
		t.Errorf("brokers after scale-out = %+v", bs)
	}
	if got := endOffset(t, adm, "s"); got != 2 {
		t.Errorf("end offset after scale-out = %d", got)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	e := newEngine(t, Options{})
	spec := newSpec(t, 3)
	mustEnsure(t, e, spec)
	createTopic(t, newAdmin(t, spec), "gone", 1)
	produce(t, newClient(t, spec), "gone", "x")

	if err := e.Delete(ctxT(t), spec); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spec.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data dir still there: %v", err)
	}
	assertPortsFree(t, spec)
	if _, err := e.Status(ctxT(t), spec.InstanceID); !errors.Is(err, engine.ErrUnknownInstance) {
		t.Errorf("Status after Delete = %v, want ErrUnknownInstance", err)
	}
	if err := e.Delete(ctxT(t), spec); err != nil {
		t.Errorf("second Delete = %v", err)
	}
	if err := e.Stop(ctxT(t), spec.InstanceID); err != nil {
		t.Errorf("Stop of a deleted instance = %v", err)
	}

	// The same id again is a fresh cluster.
	mustEnsure(t, e, spec)
	tds, err := newAdmin(t, spec).ListTopics(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(tds) != 0 {
		t.Errorf("topics after Delete and Ensure: %v", tds.Names())
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	e := newEngine(t, Options{})
	ok := engine.Spec{InstanceID: "i", DataDir: t.TempDir(), Brokers: []engine.Broker{{ID: 0, Host: "127.0.0.1"}}}
	cases := []struct {
		name string
		mod  func(*engine.Spec)
	}{
		{"no id", func(s *engine.Spec) { s.InstanceID = "" }},
		{"no data dir", func(s *engine.Spec) { s.DataDir = "" }},
		{"root data dir", func(s *engine.Spec) { s.DataDir = "/" }},
		{"no brokers", func(s *engine.Spec) { s.Brokers = nil }},
		{"ids out of order", func(s *engine.Spec) { s.Brokers = []engine.Broker{{ID: 1, Host: "127.0.0.1"}} }},
		{"no host", func(s *engine.Spec) { s.Brokers = []engine.Broker{{ID: 0}} }},
	}
	for _, c := range cases {
		spec := ok
		c.mod(&spec)
		if err := e.Ensure(ctxT(t), spec); err == nil {
			t.Errorf("%s: Ensure succeeded", c.name)
		}
	}
	if err := e.Delete(ctxT(t), engine.Spec{InstanceID: "i", DataDir: "/"}); err == nil {
		t.Errorf("Delete of / succeeded")
	}
	if _, err := e.Status(ctxT(t), "nope"); !errors.Is(err, engine.ErrUnknownInstance) {
		t.Errorf("Status of unknown = %v", err)
	}
}

func TestBusyPortFailsCleanly(t *testing.T) {
	t.Parallel()
	e := newEngine(t, Options{})
	spec := newSpec(t, 3)
	ln, err := net.Listen("tcp", net.JoinHostPort(spec.Brokers[2].Host, "9092"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Ensure(ctxT(t), spec); err == nil {
		t.Fatal("Ensure succeeded with broker 2's port taken")
	}
	ln.Close()
	// The brokers bound before the failure were released.
	assertPortsFree(t, spec)
	if _, err := e.Status(ctxT(t), spec.InstanceID); !errors.Is(err, engine.ErrUnknownInstance) {
		t.Errorf("Status after failed Ensure = %v", err)
	}
	mustEnsure(t, e, spec)
}

func TestConcurrentInstances(t *testing.T) {
	t.Parallel()
	e := newEngine(t, Options{RetentionInterval: 10 * time.Millisecond})
	specs := []engine.Spec{newSpec(t, 1), newSpec(t, 2)}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for _, spec := range specs {
		for i := range 4 {
			wg.Go(func() {
				ctx := ctxT(t)
				s := spec
				s.AutoCreateTopics = i%2 == 0
				if err := e.Ensure(ctx, s); err != nil {
					errs <- err
				}
				if _, err := e.Status(ctx, s.InstanceID); err != nil && !errors.Is(err, engine.ErrUnknownInstance) {
					errs <- err
				}
				if err := e.RestartBroker(ctx, s, 0); err != nil {
					errs <- err
				}
				if i == 3 {
					if err := e.Stop(ctx, s.InstanceID); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, spec := range specs {
		mustEnsure(t, e, spec)
		if _, err := newAdmin(t, spec).ListBrokers(ctxT(t)); err != nil {
			t.Error(err)
		}
	}
}

func TestRetentionAppliedAfterReload(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, 1)
	spec.BrokerConfigs = map[string]string{"log.retention.ms": "60000"} // broker level only
	e1 := New(Options{Logger: testLogger(), RetentionInterval: -1})
	mustEnsure(t, e1, spec)
	createTopic(t, newAdmin(t, spec), "old", 1)
	cl := newClient(t, spec)
	old := time.Now().Add(-time.Hour)
	if err := cl.ProduceSync(ctxT(t), &kgo.Record{Topic: "old", Value: []byte("x"), Timestamp: old}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	e1.Close()

	e2 := newEngine(t, Options{RetentionInterval: 50 * time.Millisecond})
	mustEnsure(t, e2, spec)
	adm := newAdmin(t, spec)
	deadline := time.Now().Add(10 * time.Second)
	for {
		offs, err := adm.ListStartOffsets(ctxT(t), "old")
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := offs.Lookup("old", 0); o.Offset == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("retention never advanced the log start offset")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkEnsure measures Ensure of a new 3-broker cluster until kadm ListBrokers answers, and a
// RestartBroker (close + reopen) of it: go test -run '^$' -bench Ensure ./internal/engine/embedded/
func BenchmarkEnsure(b *testing.B) {
	e := newEngine(b, Options{})
	var ready, reopen time.Duration
	n := 0
	for b.Loop() {
		spec := newSpec(b, 3)
		start := time.Now()
		mustEnsure(b, e, spec)
		bs, err := newAdmin(b, spec).ListBrokers(ctxT(b))
		if err != nil || len(bs) != 3 {
			b.Fatalf("brokers %v: %v", bs, err)
		}
		ready += time.Since(start)
		start = time.Now()
		if err := e.RestartBroker(ctxT(b), spec, 0); err != nil {
			b.Fatal(err)
		}
		reopen += time.Since(start)
		if err := e.Delete(ctxT(b), spec); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(ready.Microseconds())/float64(n)/1000, "ms-to-ready/op")
	b.ReportMetric(float64(reopen.Microseconds())/float64(n)/1000, "ms-reopen/op")
}

// BenchmarkIdleCluster measures what an idle 3-broker cluster holds: heap, stacks and goroutines.
func BenchmarkIdleCluster(b *testing.B) {
	e := newEngine(b, Options{})
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	n := 0
	for b.Loop() {
		mustEnsure(b, e, newSpec(b, 3))
		n++
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/float64(n)/1024, "heap-KiB/cluster")
	b.ReportMetric(float64(int64(m1.StackInuse)-int64(m0.StackInuse))/float64(n)/1024, "stack-KiB/cluster")
	b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(n), "goroutines/cluster")
}

// BenchmarkProduce compares produce throughput with and without SyncWrites (100-byte records,
// batches of 100, acks=all).
func BenchmarkProduce(b *testing.B) {
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync=%v", sync), func(b *testing.B) {
			e := newEngine(b, Options{SyncWrites: sync})
			spec := newSpec(b, 1)
			mustEnsure(b, e, spec)
			createTopic(b, newAdmin(b, spec), "bench", 1)
			cl := newClient(b, spec, kgo.ProducerLinger(0))
			val := make([]byte, 100)
			recs := make([]*kgo.Record, 100)
			b.SetBytes(int64(len(val) * len(recs)))
			b.ResetTimer()
			for b.Loop() {
				for i := range recs {
					recs[i] = &kgo.Record{Topic: "bench", Value: val}
				}
				if err := cl.ProduceSync(b.Context(), recs...).FirstErr(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
