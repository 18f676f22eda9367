package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"

	"github.com/opendms/opendms/aksk"
	"github.com/opendms/opendms/internal/capacity"
	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/connect"
	"github.com/opendms/opendms/internal/diagnosis"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/engine/embedded"
	"github.com/opendms/opendms/internal/engine/local"
	"github.com/opendms/opendms/internal/groups"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkausers"
	"github.com/opendms/opendms/internal/messages"
	"github.com/opendms/opendms/internal/quotas"
	"github.com/opendms/opendms/internal/reassign"
	"github.com/opendms/opendms/internal/schedule"
	"github.com/opendms/opendms/internal/store/sqlite"
	"github.com/opendms/opendms/internal/tasks"
	"github.com/opendms/opendms/internal/testlock"
	"github.com/opendms/opendms/internal/topics"
)

// testEnv is an in-process server on a temporary data dir, bootstrapped like dmsd does on first start.
type testEnv struct {
	URL               string
	Region            string
	ProjectID, AK, SK string
	Password          string // the admin's password (for tokens)
	Server            *Server
	IAM               *iam.Service
	Instances         *instances.Service
	Engine            engine.Engine // the engine running the instances
	Gate              *gatedEngine  // the embedded engine's restarts, to hold (nil on the local engine)
	Store             *sqlite.DB
	Groups            *groups.Service
	Diagnosis         *diagnosis.Service
	Capacity          *capacity.Service
	Connect           *connect.Service
	Dir               string // the data dir (instances in Dir/instances)
	Runner            *tasks.Runner
	held              chan struct{} // closed to end the held tasks (holdInstance)
}

// testHoldTask is a task that keeps an instance busy, with its status as it is (as a partition
// reassignment does), until holdInstance's release.
const testHoldTask = "testHoldInstance"

// holdInstance makes the instance busy with a task that changes nothing (its status stays) until
// release is called (or the test ends).
func (e *testEnv) holdInstance(t testing.TB, id string) (release func()) {
	t.Helper()
	if _, err := e.Runner.Submit(context.Background(), dms.Task{InstanceID: id, ProjectID: e.ProjectID, Name: testHoldTask}); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { close(e.held) }) }
	t.Cleanup(release)
	return release
}

// testDiagnosis is the diagnosis configuration of test servers: a short window.
var testDiagnosis = diagnosis.Config{Window: 2 * time.Second, Samples: 3}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	return newTestEnvOn(t, "embedded")
}

// newTestEnvOn is newTestEnv with the engine of new instances: "embedded" or "local" (Apache Kafka
// JVMs: for what kfake cannot do, e.g. SASL; the brokers are deleted when the test ends).
func newTestEnvOn(t testing.TB, engineName string) *testEnv {
	t.Helper()
	return newTestEnvLogging(t, engineName, nil)
}

// newTestEnvLogging is newTestEnvOn with the server's log written to logs (nil: nowhere, or
// stderr with -v).
func newTestEnvLogging(t testing.TB, engineName string, logs io.Writer) *testEnv {
	t.Helper()
	return newTestEnvOpts(t, engineName, testEnvOptions{Logs: logs})
}

// testEnvOptions are the less common settings of a test server.
type testEnvOptions struct {
	Logs io.Writer // the server's log (nil: nowhere, or stderr with -v)
	// BytesPerStorageGB makes storage_space small (instances.Config); 0: 1 GiB.
	BytesPerStorageGB int64
	// CapacityInterval is the capacity watcher's period; 0: an hour (tests call CheckAll).
	CapacityInterval time.Duration
	// Connect is Smart Connect's configuration (the object store of dump tasks).
	Connect connect.Config
}

func newTestEnvOpts(t testing.TB, engineName string, opts testEnvOptions) *testEnv {
	t.Helper()
	logs := opts.Logs
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := iam.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if logs != nil {
		log = slog.New(slog.NewTextHandler(logs, nil))
	} else if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	iamSvc, err := iam.New(ctx, st, sealer, iam.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	const region = "cn-north-4"
	credsPath := filepath.Join(dir, "admin-credentials.json")
	if _, err := iamSvc.Bootstrap(ctx, iam.BootstrapConfig{Region: region}, credsPath); err != nil {
		t.Fatal(err)
	}
	creds, err := iam.ReadCredentials(credsPath)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New(catalog.Config{}, region)
	if err != nil {
		t.Fatal(err)
	}
	runner := tasks.New(st, log)
	gated := &gatedEngine{Engine: embedded.New(embedded.Options{Logger: log})}
	var eng engine.Engine = gated
	ready := 30 * time.Second
	if engineName == "local" {
		testlock.JVM(t) // one package at a time runs brokers on this machine
		le, err := local.New(local.Options{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		eng, ready, gated = le, 4*time.Minute, nil
	}
	inst, err := instances.New(instances.Config{
		DataDir: filepath.Join(dir, "instances"), IPPool: testIPPool(), ReadyTimeout: ready, MonitorInterval: 200 * time.Millisecond,
		HeapMBByProduct:   map[string]int{"c6.4u8g.cluster": 320}, // a vertical extension's heap (TestExtendLocal)
		BytesPerStorageGB: opts.BytesPerStorageGB,
	}, st, map[string]engine.Engine{engineName: eng}, engineName, cat, runner, sealer, log)
	if err != nil {
		t.Fatal(err)
	}
	grp := groups.New(inst, st, runner) // registers its task before Start resumes the tasks
	qs := quotas.New(inst, runner)      // the same
	sched := schedule.New(st, log, schedule.Config{})
	inst.SetScheduler(sched)
	rs := reassign.New(inst, runner, log)
	// The same; the watcher's period is an hour unless set: tests run it with CheckAll.
	capa := capacity.New(capacity.Config{Interval: cmp.Or(opts.CapacityInterval, time.Hour)}, inst, runner, log)
	conn := connect.New(inst, st, sealer, runner, opts.Connect, log) // the same
	held := make(chan struct{})
	runner.Register(testHoldTask, func(ctx context.Context, _ dms.Task) error {
		select {
		case <-held:
		case <-ctx.Done():
		}
		return nil
	})
	if err := inst.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sched.Start(ctx); err != nil {
		t.Fatal(err)
	}
	capa.Start()
	if err := conn.Start(ctx); err != nil {
		t.Fatal(err)
	}
	diag := diagnosis.New(inst, grp, st, testDiagnosis, log)
	srv := New(Config{Region: region}, Services{IAM: iamSvc, Instances: inst, Topics: topics.New(inst, st), Groups: grp, Messages: messages.New(inst),
		Diagnosis: diag, Quotas: qs, KafkaUsers: kafkausers.New(inst, st, sealer, kafkausers.Config{}, log), Capacity: capa, Catalog: cat, Reassign: rs, Connect: conn}, log)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		conn.Close()
		capa.Close()
		diag.Close()
		sched.Close()
		runner.Close()
		inst.Close()
		eng.Close()
	})
	if le, ok := eng.(*local.Engine); ok { // runs before the above (cleanups run last-in first-out)
		t.Cleanup(func() { deleteLocalInstances(t, st, le, filepath.Join(dir, "instances")) })
	}
	return &testEnv{URL: hs.URL, Region: region, ProjectID: creds.ProjectID, AK: creds.AccessKey, SK: creds.SecretKey,
		Password: creds.Password, Server: srv, IAM: iamSvc, Instances: inst, Engine: eng, Gate: gated, Store: st, Groups: grp, Diagnosis: diag, Capacity: capa, Connect: conn, Dir: dir,
		Runner: runner, held: held}
}

// gatedEngine is the embedded engine with broker restarts that a test can hold, to see an instance
// RESTARTING for as long as it needs.
type gatedEngine struct {
	engine.Engine
	gate atomic.Pointer[chan struct{}]
	// fail, when set, is what restarts and Ensure return instead of doing anything (a failure
	// injected).
	fail atomic.Pointer[error]
	// produceHook, when set, is called by every SetProduceReject first (to hold or fail it).
	produceHook atomic.Pointer[func(ctx context.Context, reject bool) error]
}

func (g *gatedEngine) Ensure(ctx context.Context, spec engine.Spec) error {
	if err := g.fail.Load(); err != nil {
		return *err
	}
	return g.Engine.Ensure(ctx, spec)
}

// hold makes restarts wait until the returned function is called.
func (g *gatedEngine) hold() (release func()) {
	ch := make(chan struct{})
	g.gate.Store(&ch)
	return func() {
		g.gate.Store(nil)
		close(ch)
	}
}

func (g *gatedEngine) RestartBroker(ctx context.Context, spec engine.Spec, id int32) error {
	if ch := g.gate.Load(); ch != nil {
		select {
		case <-*ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := g.fail.Load(); err != nil {
		return *err
	}
	return g.Engine.RestartBroker(ctx, spec, id)
}

// SetProduceReject passes the embedded engine's produce gate through (interface embedding does not
// promote it), after produceHook when a test set one (its error is the answer).
func (g *gatedEngine) SetProduceReject(ctx context.Context, spec engine.Spec, reject bool, reason string) error {
	if h := g.produceHook.Load(); h != nil {
		if err := (*h)(ctx, reject); err != nil {
			return err
		}
	}
	return g.Engine.(engine.ProduceGate).SetProduceReject(ctx, spec, reject, reason)
}

// deleteLocalInstances stops and removes the brokers of every instance of a test (the local engine
// leaves them running when closed).
func deleteLocalInstances(t testing.TB, st *sqlite.DB, e *local.Engine, dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ins, err := st.ListInstances(ctx, "")
	if err != nil {
		t.Error(err)
	}
	for _, in := range ins {
		if err := e.Delete(ctx, engine.Spec{InstanceID: in.ID, DataDir: filepath.Join(dir, in.ID)}); err != nil {
			t.Errorf("deleting the brokers of %s: %v", in.ID, err)
		}
	}
}

// testIPPool picks a random /24 inside 127.0.0.0/8 for one test's brokers, so tests of different
// packages running at once do not compete for the same IP:9092.
func testIPPool() string {
	return fmt.Sprintf("127.%d.%d.0/24", 100+rand.IntN(100), rand.IntN(250))
}

// sdkClient returns an official SDK client for the given credentials.
func (e *testEnv) sdkClient(t testing.TB, ak, sk, projectID string) *kafka.KafkaClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(projectID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := kafka.KafkaClientBuilder().
		WithEndpoints([]string{e.URL}).
		WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithTimeout(30 * time.Second).WithUserAgent("opendms-test")).
		SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return kafka.NewKafkaClient(hc)
}

// kafkaClient is the official SDK client as the bootstrap administrator.
func (e *testEnv) kafkaClient(t testing.TB) *kafka.KafkaClient {
	return e.sdkClient(t, e.AK, e.SK, e.ProjectID)
}

// do sends a request signed with the admin's AK/SK and returns the response and its body.
func (e *testEnv) do(t testing.TB, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	return e.doAs(t, e.AK, e.SK, method, path, body)
}

// doAs sends a request signed with the given AK/SK. body may be nil, a []byte (sent as is) or a value
// encoded as JSON.
func (e *testEnv) doAs(t testing.TB, ak, sk, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if ak != "" {
		if err := aksk.Sign(req, raw, ak, sk, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return send(t, req)
}

func send(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// decodeError decodes a DMS error body.
func decodeError(t testing.TB, b []byte) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("not a DMS error body: %s", b)
	}
	return e
}
