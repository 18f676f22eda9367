package instances

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/store"
	"github.com/opendms/opendms/internal/store/sqlite"
)

// faultEngine fails Ensure or RestartBroker while told to, and can hold RestartBroker until released.
type faultEngine struct {
	engine.Engine
	failEnsure, failRestart atomic.Bool
	hold                    atomic.Pointer[chan struct{}]
}

func (f *faultEngine) Ensure(ctx context.Context, spec engine.Spec) error {
	if f.failEnsure.Load() {
		return errors.New("injected: the brokers did not start")
	}
	return f.Engine.Ensure(ctx, spec)
}

func (f *faultEngine) RestartBroker(ctx context.Context, spec engine.Spec, id int32) error {
	if h := f.hold.Load(); h != nil {
		<-*h
	}
	if f.failRestart.Load() {
		return fmt.Errorf("injected: broker %d did not come back", id)
	}
	return f.Engine.RestartBroker(ctx, spec, id)
}

// faultStore fails chosen writes of instance statuses, and every CreateTask while failTasks is set.
type faultStore struct {
	*sqlite.DB
	mu    sync.Mutex
	plans map[string][]bool // status -> for each coming write of it, whether it fails
	// failTasks makes CreateTask fail.
	failTasks atomic.Bool
}

func (f *faultStore) UpdateInstance(ctx context.Context, in dms.Instance) error {
	f.mu.Lock()
	fail := false
	if plan := f.plans[in.Status]; len(plan) > 0 {
		fail, f.plans[in.Status] = plan[0], plan[1:]
	}
	f.mu.Unlock()
	if fail {
		return fmt.Errorf("injected: the store refused writing %s", in.Status)
	}
	return f.DB.UpdateInstance(ctx, in)
}

// plan sets, for the coming writes of status, which fail (true) and which pass.
func (f *faultStore) plan(status string, writes ...bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plans[status] = writes
}

func (f *faultStore) CreateTask(ctx context.Context, t dms.Task) error {
	if f.failTasks.Load() {
		return errors.New("injected: the store refused the task")
	}
	return f.DB.CreateTask(ctx, t)
}

var _ store.Store = (*faultStore)(nil)

// waitSettled waits until the instance has no task and its status is not transitional, and returns it.
func (e *serviceEnv) waitSettled(s *Service, id string) dms.Instance {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		in, err := e.store.GetInstance(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if !isTransitional(in.Status) && !s.Busy(id) {
			return in
		}
		time.Sleep(20 * time.Millisecond)
	}
	in, _ := e.store.GetInstance(context.Background(), id)
	e.t.Fatalf("instance %s stuck %s (%s)", id, in.Status, in.StatusReason)
	return dms.Instance{}
}

// deleteAndWait deletes an instance and waits until it is gone.
func (e *serviceEnv) deleteAndWait(s *Service, id string) {
	e.t.Helper()
	if err := s.Delete(context.Background(), "p", id, Actor{UserName: "tester"}); err != nil {
		e.t.Fatalf("delete: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := e.store.GetInstance(context.Background(), id); errors.Is(err, store.ErrNotFound) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("instance %s was not deleted", id)
}

// upgradableInstance creates a RUNNING instance with public access (so public access modes can be
// switched) on Kafka 4.3.0 of a service opened with 3.x -> 4.3.0, then maps 3.x to 4.3.1 (so it can
// be upgraded).
func (e *serviceEnv) upgradableInstance(s *Service) dms.Instance {
	e.t.Helper()
	req := validRequest(e.cat)
	req.EnablePublicIP, req.PublicIPID = true, "eip-1"
	in, err := s.Create(context.Background(), "p", Actor{UserID: "u", UserName: "tester"}, req)
	if err != nil {
		e.t.Fatal(err)
	}
	in = e.waitStatus(s, in.ID, dms.StatusRunning)
	s.cfg.KafkaBuilds["3.x"] = "4.3.1"
	return in
}

// A failure injected at each step of restart, access-mode switch, config change, upgrade and the
// auto-topic switch leaves the instance out of its transitional status (ERROR with the reason, which
// the monitor may already have turned into RUNNING for a healthy cluster; or as it was when the
// request was refused), never stuck, and it can always be deleted.
func TestFailureAtEveryStepNeverStuck(t *testing.T) {
	ctx := context.Background()
	who := Actor{UserID: "u", UserName: "tester"}
	on := true
	ops := []struct {
		name   string
		status string // the transitional status it sets
		do     func(s *Service, id string) (dms.Task, error)
	}{
		{"restart", dms.StatusRestarting, func(s *Service, id string) (dms.Task, error) { return s.Restart(ctx, "p", id, who) }},
		{"upgrade", dms.StatusUpgrading, func(s *Service, id string) (dms.Task, error) { return s.Upgrade(ctx, "p", id, who) }},
		{"static config", dms.StatusRestarting, func(s *Service, id string) (dms.Task, error) {
			c, err := s.ModifyConfigs(ctx, "p", id, who, map[string]string{"log.retention.hours": "100"})
			return c.Task, err
		}},
		{"access mode", dms.StatusRestarting, func(s *Service, id string) (dms.Task, error) {
			return s.SwitchAccessMode(ctx, "p", id, who, AccessModeSwitch{Protocol: "public_plain_enable", Enable: &on})
		}},
		{"auto topic", dms.StatusRestarting, func(s *Service, id string) (dms.Task, error) {
			t, _, err := s.SetAutoCreateTopics(ctx, "p", id, who, true)
			return t, err
		}},
	}
	faults := []struct {
		name    string
		inject  func(fe *faultEngine, fs *faultStore, status string)
		refused bool // the request fails and nothing starts; else its task fails
	}{
		{"broker restart fails", func(fe *faultEngine, fs *faultStore, _ string) { fe.failRestart.Store(true) }, false},
		{"task cannot be submitted", func(fe *faultEngine, fs *faultStore, _ string) { fs.failTasks.Store(true) }, true},
		// The request writes the transitional status once; the task's write of it fails.
		{"store refuses the task's first write", func(fe *faultEngine, fs *faultStore, status string) { fs.plan(status, false, true) }, false},
		// The task's final write (RUNNING) fails, and so does its fallback to ERROR: the monitor's
		// sweep settles it.
		{"store refuses the final write and the fallback", func(fe *faultEngine, fs *faultStore, _ string) {
			fs.plan(dms.StatusRunning, true)
			fs.plan(dms.StatusError, true)
		}, false},
	}
	for _, f := range faults {
		for _, op := range ops {
			t.Run(f.name+"/"+op.name, func(t *testing.T) {
				e := newServiceEnv(t)
				fe := &faultEngine{Engine: e.engine}
				e.engine = fe
				e.faults = &faultStore{DB: e.store, plans: map[string][]bool{}}
				s, closeSvc := e.openWith(Config{KafkaBuilds: map[string]string{"3.x": "4.3.0"}})
				defer closeSvc()
				in := e.upgradableInstance(s)

				f.inject(fe, e.faults, op.status)
				task, err := op.do(s, in.ID)
				if f.refused != (err != nil) {
					t.Fatalf("request: %v, want refused=%v", err, f.refused)
				}
				got := e.waitSettled(s, in.ID)
				if f.refused {
					if got.Status != dms.StatusRunning {
						t.Fatalf("a refused request left the instance %s (%s)", got.Status, got.StatusReason)
					}
				} else {
					if got.Status != dms.StatusError && got.Status != dms.StatusRunning {
						t.Fatalf("status %s after the task failed", got.Status)
					}
					if got.Status == dms.StatusError && got.StatusReason == "" {
						t.Fatal("ERROR without a reason")
					}
					ended, err := e.store.GetTask(ctx, task.ID)
					if err != nil || ended.Status != dms.TaskFailed || ended.Error == "" {
						t.Fatalf("task %+v, %v: want FAILED with the reason", ended, err)
					}
				}
				fe.failRestart.Store(false)
				e.faults.failTasks.Store(false)
				e.deleteAndWait(s, in.ID)
			})
		}
	}
}

// A creation that fails at any step (the brokers do not start; the task cannot be submitted; the
// store refuses its final write) never stays CREATING and can be deleted, or was never recorded.
func TestFailedCreationNeverStuck(t *testing.T) {
	ctx := context.Background()
	who := Actor{UserID: "u", UserName: "tester"}
	for _, tc := range []struct {
		name   string
		inject func(fe *faultEngine, fs *faultStore)
		// refused: Create answers an error and nothing is recorded.
		refused bool
	}{
		{"brokers do not start", func(fe *faultEngine, fs *faultStore) { fe.failEnsure.Store(true) }, false},
		{"task cannot be submitted", func(fe *faultEngine, fs *faultStore) { fs.failTasks.Store(true) }, true},
		{"store refuses RUNNING and the fallback", func(fe *faultEngine, fs *faultStore) {
			fs.plan(dms.StatusRunning, true)
			fs.plan(dms.StatusError, true)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newServiceEnv(t)
			fe := &faultEngine{Engine: e.engine}
			e.engine = fe
			e.faults = &faultStore{DB: e.store, plans: map[string][]bool{}}
			s, closeSvc := e.open(nil)
			defer closeSvc()
			tc.inject(fe, e.faults)
			in, err := s.Create(ctx, "p", who, validRequest(e.cat))
			if tc.refused {
				if err == nil {
					t.Fatal("accepted")
				}
				if all, _ := e.store.ListInstances(ctx, "p"); len(all) != 0 {
					t.Fatalf("a refused creation left %d instances", len(all))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := e.waitSettled(s, in.ID)
			if got.Status != dms.StatusError || !got.CreateFailed || got.StatusReason == "" {
				t.Fatalf("after a failed creation: %s failed=%v reason %q", got.Status, got.CreateFailed, got.StatusReason)
			}
			fe.failEnsure.Store(false)
			e.deleteAndWait(s, in.ID)
		})
	}
}

// Operations sent together on one instance: exactly one starts, the others are refused as busy,
// whatever their kind (they all change the brokers).
func TestConcurrentOperationsOneStarts(t *testing.T) {
	ctx := context.Background()
	who := Actor{UserID: "u", UserName: "tester"}
	e := newServiceEnv(t)
	fe := &faultEngine{Engine: e.engine}
	e.engine = fe
	s, closeSvc := e.openWith(Config{KafkaBuilds: map[string]string{"3.x": "4.3.0"}})
	defer closeSvc()
	in := e.upgradableInstance(s)
	hold := make(chan struct{})
	fe.hold.Store(&hold)

	on := true
	calls := []func() error{
		func() error { _, err := s.Restart(ctx, "p", in.ID, who); return err },
		func() error { _, err := s.Upgrade(ctx, "p", in.ID, who); return err },
		func() error {
			_, err := s.ModifyConfigs(ctx, "p", in.ID, who, map[string]string{"log.retention.hours": "100"})
			return err
		},
		func() error {
			_, err := s.SwitchAccessMode(ctx, "p", in.ID, who, AccessModeSwitch{Protocol: "public_plain_enable", Enable: &on})
			return err
		},
		func() error { _, _, err := s.SetAutoCreateTopics(ctx, "p", in.ID, who, true); return err },
	}
	var started atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		for _, call := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := call(); err == nil {
					started.Add(1)
				} else if c := dms.AsError(err).Code; c != dms.CodeInstanceBusy && c != dms.CodeInstanceStatusForbids && c != dms.CodeUpgradeNotRunning {
					t.Errorf("refused with %v", err)
				}
			}()
		}
	}
	wg.Wait()
	close(hold)
	if n := started.Load(); n != 1 {
		t.Fatalf("%d operations started at once on one instance, want 1", n)
	}
	if got := e.waitSettled(s, in.ID); got.Status != dms.StatusRunning {
		t.Fatalf("status %s (%s) after the one operation", got.Status, got.StatusReason)
	}
}

// The per-project instance quota holds under concurrent creations: check and insert are one step.
func TestQuotaHoldsUnderConcurrentCreates(t *testing.T) {
	ctx := context.Background()
	e := newServiceEnv(t)
	const quota, callers = 3, 40
	s, closeSvc := e.openWith(Config{MaxInstancesPerProject: quota})
	defer closeSvc()
	for round := range 3 {
		project := fmt.Sprintf("p%d", round)
		var accepted atomic.Int32
		var wg sync.WaitGroup
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := validRequest(e.cat)
				req.Name = fmt.Sprintf("kafka-%d", i)
				_, err := s.Create(ctx, project, Actor{UserName: "tester"}, req)
				switch {
				case err == nil:
					accepted.Add(1)
				case dms.AsError(err).Code != dms.CodeInstanceQuota:
					t.Errorf("refused with %v", err)
				}
			}()
		}
		wg.Wait()
		if n := accepted.Load(); n != quota {
			t.Fatalf("round %d: %d creations accepted with a quota of %d", round, n, quota)
		}
	}
}

// A Kafka client is never made for an instance being deleted (a caller holding an old record would
// otherwise leave one open until shutdown).
func TestNoClientAfterDelete(t *testing.T) {
	ctx := context.Background()
	e := newServiceEnv(t)
	s, closeSvc := e.open(nil)
	defer closeSvc()
	in, err := s.Create(ctx, "p", Actor{UserName: "tester"}, validRequest(e.cat))
	if err != nil {
		t.Fatal(err)
	}
	old := e.waitStatus(s, in.ID, dms.StatusRunning)
	if _, err := s.client(old); err != nil {
		t.Fatal(err)
	}
	e.deleteAndWait(s, in.ID)
	if _, err := s.client(old); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("a client was made for a deleted instance: %v", err)
	}
	// The monitor checking its old record of the instance says nothing of it.
	var logged bytes.Buffer
	s.log = slog.New(slog.NewTextHandler(&logged, nil))
	s.checkOne(old)
	if logged.Len() != 0 {
		t.Fatalf("the monitor logged about a deleted instance: %s", logged.String())
	}
	s.clientsMu.Lock()
	n := len(s.clients)
	s.clientsMu.Unlock()
	if n != 0 {
		t.Fatalf("after the deletion %d clients are kept", n)
	}
}

// The last step of an access-mode switch (the SASL administrator's credential) is retried by its
// task; when it still fails the instance is ERROR saying so, and the same request finishes it
// without another rolling restart.
func TestAccessModeAdminStepFinishedBySameRequest(t *testing.T) {
	ctx := context.Background()
	who := Actor{UserID: "u", UserName: "tester"}
	e := newServiceEnv(t)
	fe := &faultEngine{Engine: e.engine}
	e.engine = fe
	s, closeSvc := e.open(nil)
	defer closeSvc()
	in, err := s.Create(ctx, "p", who, validRequest(e.cat))
	if err != nil {
		t.Fatal(err)
	}
	e.waitStatus(s, in.ID, dms.StatusRunning)
	// The state a switch to SASL leaves when its rolling restart succeeded and the administrator's
	// setup did not (the embedded engine runs no SASL listener: the record alone is what this tests).
	if _, err := s.update(ctx, in.ID, func(in *dms.Instance) error {
		applyModes(in, dms.PortProtocol{PrivatePlainEnable: true, PrivateSASLPlaintextEnable: true})
		in.AccessUser, in.SealedPassword, in.SASLMechanisms = "admin-user", s.sealer.Seal([]byte("Passw0rd!x")), []string{"SCRAM-SHA-512"}
		in.AdminPending, in.Status, in.StatusReason = true, dms.StatusError, "the access modes are applied but ..."
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	var failFirst atomic.Int32
	s.adminStep = func(ctx context.Context, in dms.Instance) error {
		calls.Add(1)
		if failFirst.Add(-1) >= 0 {
			return errors.New("injected: SCRAM credential refused")
		}
		return nil
	}
	on := true
	sw := func() (dms.Task, error) {
		return s.SwitchAccessMode(ctx, "p", in.ID, who, AccessModeSwitch{Protocol: "private_sasl_plaintext_enable", Enable: &on})
	}

	// Fails on every attempt (1 + the retries): ERROR, saying how to finish, still pending.
	failFirst.Store(100)
	if _, err := sw(); err != nil {
		t.Fatalf("the same request was refused: %v", err)
	}
	got := e.waitSettled(s, in.ID)
	if got.Status != dms.StatusError || !got.AdminPending || !strings.Contains(got.StatusReason, "again to finish") {
		t.Fatalf("after the administrator's setup failed: %s pending=%v %q", got.Status, got.AdminPending, got.StatusReason)
	}
	if n := calls.Load(); n != int32(1+len(s.retryDelays)) {
		t.Fatalf("the setup was tried %d times, want %d", n, 1+len(s.retryDelays))
	}

	// Fails once, then works: the retry finishes it; no broker was restarted for it.
	calls.Store(0)
	failFirst.Store(1)
	fe.failRestart.Store(true) // a rolling restart would fail the task
	if _, err := sw(); err != nil {
		t.Fatal(err)
	}
	got = e.waitSettled(s, in.ID)
	if got.Status != dms.StatusRunning || got.AdminPending || calls.Load() != 2 {
		t.Fatalf("after finishing: %s pending=%v (%q), %d attempts", got.Status, got.AdminPending, got.StatusReason, calls.Load())
	}

	// Finished: the same request is what it always was, a mode already on.
	if _, err := sw(); dms.AsError(err).Code != dms.CodeInvalidParameter {
		t.Fatalf("switching on a mode already on and finished: %v", err)
	}
}
