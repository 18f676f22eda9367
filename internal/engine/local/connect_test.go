package local

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/connect/connectrest"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/pki"
	"github.com/opendms/opendms/kafka/connectplugins"
)

// tlsClient is a client of spec's INTERNAL listener with a certificate named certName of ca.
func tlsClient(t testing.TB, spec engine.Spec, ca *pki.CA, certName string, opts ...kgo.Opt) (*kgo.Client, *kadm.Client) {
	t.Helper()
	ks, err := ca.IssueServer(nil, []string{certName}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(ks, ks)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	opts = append([]kgo.Opt{kgo.SeedBrokers(engine.Addrs(spec, engine.PortInternal)...),
		kgo.DialTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12})}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, kadm.NewClient(cl)
}

// waitConnectReady polls the workers' /health until every one is ready.
func waitConnectReady(t testing.TB, rest *connectrest.Client, spec engine.Spec, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := rest.Ready(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			logWorkerTails(t, spec)
			t.Fatalf("connect workers not ready after %v: %v", timeout, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func logWorkerTails(t testing.TB, spec engine.Spec) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(connectDir(spec.DataDir), "worker-*"))
	for _, d := range dirs {
		for _, f := range []string{"connect.log", "stdout.log"} {
			data, err := os.ReadFile(filepath.Join(d, f))
			if err != nil {
				continue
			}
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			t.Logf("%s/%s:\n%s", filepath.Base(d), f, strings.Join(lines[max(0, len(lines)-30):], "\n"))
		}
	}
}

// waitRunning polls the connector's status until it and its tasks run.
func waitRunning(t testing.TB, rest *connectrest.Client, spec engine.Spec, name string, timeout time.Duration) connectrest.ConnectorStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := rest.Status(ctx, name)
		cancel()
		if err == nil {
			ok := st.Connector.State == "RUNNING" && len(st.Tasks) > 0
			for _, task := range st.Tasks {
				ok = ok && task.State == "RUNNING"
			}
			if ok {
				return st
			}
			last = fmt.Sprintf("%+v", st)
			if st.Connector.State == "FAILED" || (len(st.Tasks) > 0 && st.Tasks[0].State == "FAILED") {
				logWorkerTails(t, spec)
				t.Fatalf("connector %s failed: %s", name, last)
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			logWorkerTails(t, spec)
			t.Fatalf("connector %s not running after %v: %s", name, timeout, last)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func workers(t testing.TB, e *Engine, id string) []engine.BrokerState {
	t.Helper()
	st, err := e.ConnectStatus(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitWorkers polls ConnectStatus until ok accepts it.
func waitWorkers(t testing.TB, e *Engine, id string, timeout time.Duration, ok func([]engine.BrokerState) bool) []engine.BrokerState {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := workers(t, e, id)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect workers' status not reached after %v: %+v", timeout, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitState polls the connector's status until its state is want.
func waitState(t testing.TB, rest *connectrest.Client, name, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := rest.Status(context.Background(), name)
		if err == nil && st.Connector.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connector %s not %s after a minute: %+v %v", name, want, st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// consumeN reads topic from the start until it has n records and returns their values.
func consumeN(t testing.TB, cl *kgo.Client, n int, timeout time.Duration) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got := map[string]int{}
	total := 0
	for total < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records: %v", total, n, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Value)]++; total++ })
	}
	return got
}

// TestConnectWorkers runs two Connect workers beside a one-broker instance whose only client
// listener is SASL (so ACLs are enforced and nobody is a super user by being anonymous) and whose
// internal listener is mutual TLS: the workers get in with their own certificate (a super user);
// a MirrorMaker 2 source connector with OpenDMS's MappingReplicationPolicy, its TLS settings read
// through the FileConfigProvider from a connect file, copies a topic to its mapped name; a worker
// killed with SIGKILL is restarted by the supervisor; a new engine (a dmsd restart) adopts the
// running workers (same pids) and records still flow; DeleteConnect kills them and removes
// DataDir/connect.
func TestConnectWorkers(t *testing.T) {
	requireKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := FetchConnect(ctx, FetchOptions{}); err != nil {
		t.Fatalf("the Kafka Connect jars are required: %v", err)
	}

	ca, err := pki.NewCA("test CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	spec := newSpec(t, 1)
	ks, err := ca.IssueServer([]net.IP{net.ParseIP(spec.Brokers[0].Host)}, []string{engine.BrokerCertName}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	spec.InternalTLS = true
	spec.Listeners = []engine.Listener{{Name: "SASL_PLAINTEXT", Port: engine.PortSASLPrivate, Protocol: engine.ProtocolSASLPlaintext}}
	spec.Security = engine.Security{Mechanisms: []string{engine.MechanismSCRAMSHA512}, TLS: &engine.TLS{CACertPEM: ca.CertPEM(), Keystores: map[int32][]byte{0: ks}}}

	e := newEngine(t)
	defer func() { e.Close() }()
	if err := e.Ensure(ctx, spec); err != nil {
		t.Fatal(err)
	}
	cl, adm := tlsClient(t, spec, ca, engine.ControlCertName)
	waitRegistered(t, adm, spec, 90*time.Second)

	// A client certificate of the instance's CA with another name is no super user: without ACLs
	// it may not even list the topics' metadata (so the workers' principal matters).
	_, stranger := tlsClient(t, spec, ca, "someone-else")
	if _, err := stranger.CreateTopic(ctx, 1, 1, nil, "stranger-topic"); err == nil {
		t.Fatal("a certificate that is not a super user created a topic")
	}

	const src, dst = "orders", "orders-copy"
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, src); err != nil {
		t.Fatal(err)
	}
	produceSync(t, cl, src, "a-", 20)

	sub := strings.Split(spec.Brokers[0].Host, ".")[2]
	cs := engine.ConnectSpec{
		InstanceID: spec.InstanceID, DataDir: spec.DataDir,
		Workers:   []engine.ConnectWorker{{ID: 0, Host: "127.77." + sub + ".101"}, {ID: 1, Host: "127.77." + sub + ".102"}},
		Bootstrap: engine.Addrs(spec, engine.PortInternal),
	}
	wks, err := ca.IssueServer(nil, []string{engine.ConnectCertName}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cs.TLS = &engine.ConnectTLS{CACertPEM: ca.CertPEM(), KeystorePEM: wks}
	for _, w := range cs.Workers {
		if err := checkPortsFree(w.Host, []int{engine.PortConnectREST}); err != nil {
			t.Fatal(err)
		}
	}

	last := time.Now()
	step := func(what string) {
		t.Logf("STEP %s: %v", what, time.Since(last).Round(time.Millisecond))
		last = time.Now()
	}
	start := time.Now()
	if err := e.EnsureConnect(ctx, cs); err != nil {
		t.Fatal(err)
	}
	rest := connectrest.New(e.ConnectRESTURLs(cs), nil)
	waitConnectReady(t, rest, spec, 3*time.Minute)
	t.Logf("MEASURE EnsureConnect to both workers ready (/health): %v", time.Since(start).Round(time.Millisecond))
	st := waitWorkers(t, e, spec.InstanceID, 10*time.Second, allRunning)
	pids := map[int32]int{}
	for _, w := range st {
		pids[w.ID] = w.PID
		t.Logf("MEASURE connect worker %d pid %d RSS %d MiB (idle, just ready)", w.ID, w.PID, rssMB(w.PID))
	}
	// Idempotent: a second EnsureConnect changes nothing.
	if err := e.EnsureConnect(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for _, w := range workers(t, e, spec.InstanceID) {
		if w.PID != pids[w.ID] {
			t.Fatalf("a second EnsureConnect restarted worker %d", w.ID)
		}
	}

	// The source and target TLS settings come through the FileConfigProvider from a connect file.
	client := e.ConnectClientProps(cs)
	var file strings.Builder
	for k, v := range client {
		fmt.Fprintf(&file, "%s=%s\n", k, v)
	}
	path, err := e.WriteConnectFile(cs, "local.properties", []byte(file.String()))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("connect file %s: %v %v", path, fi.Mode(), err)
	}
	cfg := map[string]string{
		"connector.class":                       "org.apache.kafka.connect.mirror.MirrorSourceConnector",
		"tasks.max":                             "2",
		"source.cluster.alias":                  "src",
		"target.cluster.alias":                  "dst",
		"topics":                                src,
		"replication.policy.class":              connectplugins.PolicyClass,
		connectplugins.MappingConfig:            src + ":" + dst,
		"replication.factor":                    "-1",
		"offset-syncs.topic.replication.factor": "-1",
		"sync.topic.acls.enabled":               "false",
		"refresh.topics.interval.seconds":       "5",
	}
	for k := range client {
		for _, p := range []string{"source.cluster.", "target.cluster."} {
			cfg[p+k] = "${file:" + path + ":" + k + "}"
		}
	}
	created, err := rest.PutConfig(ctx, "mm2", cfg)
	if err != nil || !created {
		t.Fatalf("PutConfig: created=%v err=%v", created, err)
	}
	waitRunning(t, rest, spec, "mm2", 2*time.Minute)
	step("connector running")
	copyCl, _ := tlsClient(t, spec, ca, engine.ControlCertName, kgo.ConsumeTopics(dst), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := consumeN(t, copyCl, 20, 2*time.Minute)
	step("20 records mirrored")
	for i := range 20 {
		if got[fmt.Sprintf("a-%d", i)] != 1 {
			t.Fatalf("%s after mirroring: %v", dst, got)
		}
	}
	if names, err := rest.List(ctx); err != nil || len(names) != 1 || names[0] != "mm2" {
		t.Fatalf("List: %v %v", names, err)
	}
	if _, err := rest.Status(ctx, "nope"); !errors.Is(err, connectrest.ErrNotFound) {
		t.Fatalf("Status of an unknown connector: %v", err)
	}
	// Without the credentials the REST API refuses everything.
	var noAuth []string
	for _, w := range cs.Workers {
		noAuth = append(noAuth, "http://"+net.JoinHostPort(w.Host, "8083"))
	}
	var unauth *connectrest.Error
	if _, err := connectrest.New(noAuth, nil).List(ctx); !errors.As(err, &unauth) || unauth.Status != 401 {
		t.Fatalf("List without credentials: %v", err)
	}
	if err := connectrest.New(noAuth, nil).Ready(ctx); !errors.As(err, &unauth) || unauth.Status != 401 {
		t.Fatalf("Ready without credentials: %v", err)
	}

	// SIGKILL a worker: the supervisor starts it again and it rejoins.
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	st = waitWorkers(t, e, spec.InstanceID, 2*time.Minute, func(st []engine.BrokerState) bool {
		return allRunning(st) && st[0].PID != pids[0] && st[0].Restarts >= 1
	})
	t.Logf("worker 0 restarted after SIGKILL: pid %d, last exit %q", st[0].PID, st[0].LastExit)
	pids[0] = st[0].PID
	waitConnectReady(t, rest, spec, 3*time.Minute)
	step("worker killed, restarted and ready")

	// A new engine (dmsd restarted) adopts the running workers.
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = newEngine(t)
	if err := e.Ensure(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := e.EnsureConnect(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for _, w := range workers(t, e, spec.InstanceID) {
		if !w.Running || w.PID != pids[w.ID] {
			t.Fatalf("after a dmsd restart worker %d: %+v, want the running pid %d adopted", w.ID, w, pids[w.ID])
		}
	}
	step("adopted")
	produceSync(t, cl, src, "b-", 10)
	waitRunning(t, rest, spec, "mm2", 2*time.Minute)
	got = consumeN(t, copyCl, 10, 2*time.Minute)
	for i := range 10 {
		if got[fmt.Sprintf("b-%d", i)] < 1 {
			t.Fatalf("%s after the restarts: %v", dst, got)
		}
	}
	step("10 more records mirrored")

	// Pause and resume; stop, reset the offsets (Connect wants it STOPPED) and resume: the source
	// connector starts over and copies every record again.
	if err := rest.Pause(ctx, "mm2"); err != nil {
		t.Fatal(err)
	}
	waitState(t, rest, "mm2", "PAUSED")
	step("paused")
	if err := rest.Resume(ctx, "mm2"); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, rest, spec, "mm2", 2*time.Minute)
	var ae *connectrest.Error
	if err := rest.ResetOffsets(ctx, "mm2"); !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("ResetOffsets of a running connector: %v", err)
	}
	if err := rest.Stop(ctx, "mm2"); err != nil {
		t.Fatal(err)
	}
	waitState(t, rest, "mm2", "STOPPED")
	step("stopped")
	if err := rest.ResetOffsets(ctx, "mm2"); err != nil {
		t.Fatalf("ResetOffsets of a stopped connector: %v", err)
	}
	if err := rest.Resume(ctx, "mm2"); err != nil {
		t.Fatal(err)
	}
	waitRunning(t, rest, spec, "mm2", 2*time.Minute)
	got = consumeN(t, copyCl, 30, 2*time.Minute)
	for i := range 10 {
		if got[fmt.Sprintf("a-%d", i)] != 1 || got[fmt.Sprintf("b-%d", i)] != 1 {
			t.Fatalf("%s after an offsets reset: %v", dst, got)
		}
	}
	step("offsets reset, resumed, 30 records copied again")
	if err := rest.Delete(ctx, "mm2"); err != nil {
		t.Fatal(err)
	}
	// Deleting is asynchronous: the workers drop the connector once they read the tombstone.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		_, err := rest.Status(ctx, "mm2")
		if errors.Is(err, connectrest.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Status a minute after Delete: %v", err)
		}
	}
	step("connector deleted")

	for _, w := range workers(t, e, spec.InstanceID) {
		t.Logf("MEASURE connect worker %d RSS %d MiB after running the MM2 connector", w.ID, rssMB(w.PID))
	}

	// StopConnect: the workers leave, their directories stay; EnsureConnect starts them again.
	if err := e.StopConnect(ctx, spec.InstanceID); err != nil {
		t.Fatal(err)
	}
	for _, w := range workers(t, e, spec.InstanceID) {
		if w.Running || !pidGone(pids[w.ID]) {
			t.Fatalf("after StopConnect worker %d: %+v", w.ID, w)
		}
	}
	if _, err := os.Stat(filepath.Join(workerDir(spec.DataDir, 1), workerPropsFile)); err != nil {
		t.Fatalf("StopConnect removed files: %v", err)
	}
	step("StopConnect")
	if err := e.EnsureConnect(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for _, w := range waitWorkers(t, e, spec.InstanceID, time.Minute, allRunning) {
		pids[w.ID] = w.PID
	}
	waitConnectReady(t, rest, spec, 3*time.Minute)
	step("EnsureConnect after StopConnect: ready")

	// DeleteConnect: the workers are gone with DataDir/connect; the brokers run on.
	if err := e.DeleteConnect(ctx, cs); err != nil {
		t.Fatal(err)
	}
	step("DeleteConnect")
	for id, pid := range pids {
		if !pidGone(pid) {
			t.Errorf("worker %d (pid %d) still runs after DeleteConnect", id, pid)
		}
	}
	if _, err := os.Stat(connectDir(spec.DataDir)); !os.IsNotExist(err) {
		t.Errorf("%s after DeleteConnect: %v", connectDir(spec.DataDir), err)
	}
	if _, err := e.ConnectStatus(ctx, spec.InstanceID); !errors.Is(err, engine.ErrUnknownInstance) {
		t.Errorf("ConnectStatus after DeleteConnect: %v", err)
	}
	if !allRunning(status(t, e, spec.InstanceID)) {
		t.Error("DeleteConnect stopped brokers")
	}

	// Deleting the instance kills its workers too (here ones a previous engine started).
	if err := e.EnsureConnect(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for _, w := range waitWorkers(t, e, spec.InstanceID, time.Minute, allRunning) {
		pids[w.ID] = w.PID
	}
	e.Close()
	e = newEngine(t)
	if err := e.Delete(ctx, spec); err != nil {
		t.Fatal(err)
	}
	for id, pid := range pids {
		if !pidGone(pid) {
			t.Errorf("worker %d (pid %d) still runs after the instance was deleted", id, pid)
		}
	}
	step("instance Delete with workers")
}
