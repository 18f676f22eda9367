package instances

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/engine/embedded"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/store"
	"github.com/opendms/opendms/internal/store/sqlite"
	"github.com/opendms/opendms/internal/tasks"
)

// serviceEnv is the instance service on a store and an embedded engine that outlive it, so a test
// can reopen the service with another configuration (as a dmsd restart with a new config would).
type serviceEnv struct {
	t     *testing.T
	dir   string
	pool  string
	store *sqlite.DB
	// faults, when set, stands between the service and store (failures injected into writes).
	faults *faultStore
	engine engine.Engine
	cat    *catalog.Catalog
	log    *slog.Logger
}

func newServiceEnv(t *testing.T) *serviceEnv {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := embedded.New(embedded.Options{Logger: log})
	cat, err := catalog.New(catalog.Config{}, "cn-north-4")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		eng.Close()
		st.Close()
	})
	return &serviceEnv{t: t, dir: dir, pool: fmt.Sprintf("127.%d.%d.0/24", 100+rand.IntN(100), rand.IntN(250)), store: st, engine: eng, cat: cat, log: log}
}

// failingDelete is an engine whose Delete fails while fail is set.
type failingDelete struct {
	engine.Engine
	fail atomic.Bool
}

func (f *failingDelete) Delete(ctx context.Context, spec engine.Spec) error {
	if f.fail.Load() {
		return errors.New("a broker would not stop")
	}
	return f.Engine.Delete(ctx, spec)
}

// open starts a service with builds as the engine_version -> Kafka build map; close it with the
// returned function.
func (e *serviceEnv) open(builds map[string]string) (*Service, func()) {
	return e.openWith(Config{KafkaBuilds: builds})
}

// openWith starts a service with cfg (its data dir, pool and short timeouts filled in).
func (e *serviceEnv) openWith(cfg Config) (*Service, func()) {
	var st store.Store = e.store
	if e.faults != nil {
		st = e.faults
	}
	runner := tasks.New(st, e.log)
	sealer, _ := iam.NewSealer(bytes.Repeat([]byte{1}, 32))
	cfg.DataDir, cfg.IPPool, cfg.ReadyTimeout, cfg.MonitorInterval = filepath.Join(e.dir, "instances"), e.pool, 30*time.Second, 100*time.Millisecond
	s, err := New(cfg, st, map[string]engine.Engine{"embedded": e.engine}, "embedded", e.cat, runner, sealer, e.log)
	if err != nil {
		e.t.Fatal(err)
	}
	s.retryDelays = []time.Duration{0, 0} // retried at once: the injected failures are not transient
	if err := s.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return s, func() {
		runner.Close()
		s.Close()
	}
}

func (e *serviceEnv) waitStatus(s *Service, id, want string) dms.Instance {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		in, err := s.Get(context.Background(), "p", id)
		if err != nil {
			e.t.Fatal(err)
		}
		if in.Status == want && !s.Busy(id) {
			return in
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("instance %s did not reach %s", id, want)
	return dms.Instance{}
}

func validRequest(cat *catalog.Catalog) CreateRequest {
	var azs []string
	for _, az := range cat.AZs() {
		azs = append(azs, az.ID)
	}
	return CreateRequest{Name: "kafka-up", EngineVersion: "3.x", BrokerNum: 3, StorageSpace: 300, ProductID: "c6.2u4g.cluster",
		VpcID: "v", SubnetID: "n", SecurityGroupID: "s", AvailableZones: azs, StorageSpecCode: "dms.physical.storage.ultra.v2"}
}

// Upgrade moves an instance onto the build its engine_version maps to now, by a rolling restart,
// and refuses when it already runs that build.
func TestUpgradeOntoTheConfiguredBuild(t *testing.T) {
	e := newServiceEnv(t)
	ctx := context.Background()
	who := Actor{UserID: "u", UserName: "tester"}

	s, closeSvc := e.open(map[string]string{"3.x": "4.3.0"})
	in, err := s.Create(ctx, "p", who, validRequest(e.cat))
	if err != nil {
		t.Fatal(err)
	}
	in = e.waitStatus(s, in.ID, dms.StatusRunning)
	if in.KafkaVersion != "4.3.0" {
		t.Fatalf("created on %s, want 4.3.0", in.KafkaVersion)
	}
	if _, err := s.Upgrade(ctx, "p", in.ID, who); dms.AsError(err).Code != dms.CodeUpgradeSameVersion {
		t.Fatalf("upgrade onto the same build: %v", err)
	}
	closeSvc()

	// A new configuration maps 3.x to 4.3.1: the upgrade runs as a task and ends RUNNING on it.
	s, closeSvc = e.open(map[string]string{"3.x": "4.3.1"})
	defer closeSvc()
	task, err := s.Upgrade(ctx, "p", in.ID, who)
	if err != nil {
		t.Fatal(err)
	}
	in = e.waitStatus(s, in.ID, dms.StatusRunning)
	got, err := s.Task(ctx, "p", in.ID, task.ID)
	if err != nil || got.Status != dms.TaskSuccess || got.Name != "upgradeInstance" || in.KafkaVersion != "4.3.1" {
		t.Fatalf("after upgrade: task %+v (%v), instance on %s", got, err, in.KafkaVersion)
	}
	states, err := e.engine.Status(ctx, in.ID)
	if err != nil || len(states) != 3 || states[0].LastExit == "" {
		t.Fatalf("the cluster was not restarted by the upgrade: %+v, %v", states, err)
	}
}

// A deletion whose task failed is retried at the next start and then completes.
func TestFailedDeletionIsRetried(t *testing.T) {
	e := newServiceEnv(t)
	flaky := &failingDelete{Engine: e.engine}
	e.engine = flaky
	ctx := context.Background()
	who := Actor{UserID: "u", UserName: "tester"}
	s, closeSvc := e.open(nil)
	in, err := s.Create(ctx, "p", who, validRequest(e.cat))
	if err != nil {
		t.Fatal(err)
	}
	e.waitStatus(s, in.ID, dms.StatusRunning)
	flaky.fail.Store(true)
	if err := s.Delete(ctx, "p", in.ID, who); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Busy(in.ID) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got, err := e.store.GetInstance(ctx, in.ID); err != nil || !got.Deleting {
		t.Fatalf("after a failed deletion the record should stay, marked deleting: %+v, %v", got, err)
	}
	if _, err := s.Get(ctx, "p", in.ID); dms.AsError(err).Code != dms.CodeInstanceNotFound {
		t.Fatalf("an instance being deleted is visible: %v", err)
	}
	closeSvc()

	flaky.fail.Store(false)
	s, closeSvc = e.open(nil)
	defer closeSvc()
	for time.Now().Before(deadline.Add(10 * time.Second)) {
		if _, err := e.store.GetInstance(ctx, in.ID); errors.Is(err, store.ErrNotFound) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the deletion was not retried to completion")
}
