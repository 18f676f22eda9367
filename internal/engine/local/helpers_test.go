package local

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"github.com/opendms/opendms/internal/testlock"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/engine"
)

// These tests run real Kafka: they fail (never skip) when Java 17+, or the jars and Maven, are
// missing. The jars are fetched once into the default cache (or KAFKA_HOME) and shared.

var (
	fetchOnce sync.Once
	fetchLibs string
	fetchErr  error
)

// requireKafka fetches the jars once for the whole package and fails the test if it cannot.
func requireKafka(t testing.TB) {
	t.Helper()
	testlock.JVM(t) // one package at a time runs brokers on this machine
	fetchOnce.Do(func() {
		if _, err := checkJava(os.Getenv("JAVA_HOME")); err != nil {
			fetchErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		fetchLibs, fetchErr = Fetch(ctx, FetchOptions{})
		if fetchErr == nil {
			fmt.Fprintf(os.Stderr, "kafka jars: %s (ready in %v)\n", fetchLibs, time.Since(start).Round(time.Millisecond))
		}
	})
	if fetchErr != nil {
		t.Fatalf("real Kafka is required for these tests: %v", fetchErr)
	}
}

// tlog is a slog handler target that forwards to t.Log while the test runs (supervisor goroutines may
// log after it ended).
type tlog struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *tlog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	w := &tlog{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func newEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// allPorts are every port a broker may listen on.
var allPorts = []int{engine.PortInternal, engine.PortController, engine.PortPlaintext, engine.PortSASLPrivate, engine.PortPublicPlain, engine.PortPublicSASL}

// freeSubnet picks 127.77.<n>.0/24 with every broker's ports free, at random so that leftovers of an
// earlier run cannot collide.
func freeSubnet(t testing.TB, brokers int) int {
	t.Helper()
	for range 50 {
		v, _ := rand.Int(rand.Reader, big.NewInt(254))
		n := int(v.Int64()) + 1
		ok := true
		for i := range brokers {
			if checkPortsFree(fmt.Sprintf("127.77.%d.%d", n, i+1), allPorts) != nil {
				ok = false
				break
			}
		}
		if ok {
			return n
		}
	}
	t.Fatal("no free 127.77.x.0/24 subnet")
	return 0
}

func newClusterID() string {
	for {
		b := make([]byte, 16)
		rand.Read(b)
		id := base64.RawURLEncoding.EncodeToString(b)
		if id[0] != '-' {
			return id
		}
	}
}

// newSpec is an instance of n brokers on a free loopback subnet with its own data dir. A cleanup
// deletes it with a fresh engine, so no JVM outlives a failed test.
func newSpec(t testing.TB, n int) engine.Spec {
	t.Helper()
	sub := freeSubnet(t, n)
	spec := engine.Spec{
		InstanceID: fmt.Sprintf("test-%d-%d", n, sub),
		DataDir:    t.TempDir(),
		ClusterID:  newClusterID(),
	}
	for i := range n {
		spec.Brokers = append(spec.Brokers, engine.Broker{ID: int32(i), Host: fmt.Sprintf("127.77.%d.%d", sub, i+1)})
	}
	t.Cleanup(func() {
		e, err := New(Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return
		}
		defer e.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := e.Delete(ctx, spec); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return spec
}

func newClient(t testing.TB, spec engine.Spec, opts ...kgo.Opt) (*kgo.Client, *kadm.Client) {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(engine.Addrs(spec, engine.PortPlaintext)...)}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, kadm.NewClient(cl)
}

// waitRegistered polls the cluster until every broker of spec is registered (listed in metadata,
// i.e. unfenced) with spec's cluster id.
func waitRegistered(t testing.TB, adm *kadm.Client, spec engine.Spec, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// WithAuthorizedOps makes kadm ask a broker: otherwise kgo answers a request without topics
		// from the broker list of its metadata loop, refreshed every 5 minutes, which may predate
		// the last broker's registration.
		md, err := adm.BrokerMetadata(kadm.WithAuthorizedOps(ctx))
		cancel()
		if err == nil {
			if md.Cluster != spec.ClusterID {
				t.Fatalf("cluster id %q, want %q", md.Cluster, spec.ClusterID)
			}
			if len(md.Brokers) == len(spec.Brokers) {
				return
			}
			last = fmt.Sprintf("%d of %d brokers registered", len(md.Brokers), len(spec.Brokers))
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			logBrokerTails(t, spec)
			t.Fatalf("brokers not registered after %v: %s", timeout, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitServing waits until broker id itself answers a request (DescribeConfigs of a broker is sent to
// that broker), i.e. a restarted broker is up, not only still listed.
func waitServing(t testing.TB, adm *kadm.Client, id int32, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rc, err := adm.DescribeBrokerConfigs(ctx, id)
		cancel()
		if err == nil {
			_, err = rc.On(strconv.Itoa(int(id)), nil)
		}
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker %d not serving after %v: %v", id, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitFullISR waits until every partition of topic has all its replicas in sync.
func waitFullISR(t testing.TB, adm *kadm.Client, topic string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		md, err := adm.Metadata(ctx, topic)
		cancel()
		if err == nil {
			ok := true
			for _, p := range md.Topics[topic].Partitions {
				if len(p.ISR) != len(p.Replicas) || p.Leader < 0 {
					ok = false
					last = fmt.Sprintf("partition %d: replicas %v isr %v leader %d", p.Partition, p.Replicas, p.ISR, p.Leader)
				}
			}
			if ok && len(md.Topics[topic].Partitions) > 0 {
				return
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s not fully in sync after %v: %s", topic, timeout, last)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func status(t testing.TB, e *Engine, id string) []engine.BrokerState {
	t.Helper()
	st, err := e.Status(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitStatus polls Status until ok accepts it.
func waitStatus(t testing.TB, e *Engine, id string, timeout time.Duration, ok func([]engine.BrokerState) bool) []engine.BrokerState {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := status(t, e, id)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("status not reached after %v: %+v", timeout, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func allRunning(st []engine.BrokerState) bool {
	for _, b := range st {
		if !b.Running || b.PID == 0 {
			return false
		}
	}
	return len(st) > 0
}

// rssMB reads VmRSS of pid in MiB.
func rssMB(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			kb, _ := strconv.Atoi(f[0])
			return kb / 1024
		}
	}
	return -1
}

// pidGone reports whether pid no longer runs (gone, or a zombie awaiting its reaper).
func pidGone(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i > 0 && len(stat) > i+2 && stat[i+2] == 'Z'
}

// jvmsOf counts the processes that run one of spec's brokers (by their server.properties).
func jvmsOf(spec engine.Spec) int {
	n := 0
	for _, b := range spec.Brokers {
		marker := brokerDir(spec.DataDir, b.ID) + "/server.properties"
		ents, _ := os.ReadDir("/proc")
		for _, ent := range ents {
			if pid, err := strconv.Atoi(ent.Name()); err == nil && procMatches(pid, marker) {
				n++
			}
		}
	}
	return n
}

// produceSync produces n records value prefix-i with acks=all and fails on any error.
func produceSync(t testing.TB, cl *kgo.Client, topic, prefix string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Value: []byte(prefix + strconv.Itoa(i))}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// consumeAll reads topic from the start until its end offsets (as of now) and returns the values.
func consumeAll(t testing.TB, spec engine.Spec, topic string) map[string]int {
	t.Helper()
	_, adm := newClient(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var ends kadm.ListedOffsets
	for {
		var err error
		ends, err = adm.ListEndOffsets(ctx, topic)
		if err == nil {
			err = ends.Error()
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("end offsets of %s: %v", topic, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	want := int64(0)
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	cl, _ := newClient(t, spec, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := map[string]int{}
	var n int64
	for n < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records: %v", n, want, ctx.Err())
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Logf("fetch error: %v", err) })
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Value)]++; n++ })
	}
	return got
}

// logBrokerTails logs the end of every broker's server.log, so that a broker that did not come up
// says why in the test output (the data dir is gone after the test).
func logBrokerTails(t testing.TB, spec engine.Spec) {
	t.Helper()
	for _, b := range spec.Brokers {
		data, err := os.ReadFile(filepath.Join(brokerDir(spec.DataDir, b.ID), "server.log"))
		if err != nil {
			t.Logf("broker %d: no server.log: %v", b.ID, err)
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		t.Logf("broker %d: last lines of server.log:\n%s", b.ID, strings.Join(lines[max(0, len(lines)-25):], "\n"))
	}
}
