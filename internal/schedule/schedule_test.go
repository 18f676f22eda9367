package schedule

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store/sqlite"
)

// fakeClock is a clock that moves only when the test advances it. Waiters lists the times the
// service sleeps until, so a test knows the loop has planned before it moves the time.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters map[*fakeWaiter]bool
}

type fakeWaiter struct {
	at time.Time
	ch chan struct{}
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), waiters: map[*fakeWaiter]bool{}}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) At(t time.Time) (<-chan struct{}, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &fakeWaiter{at: t, ch: make(chan struct{})}
	if !t.After(c.now) {
		close(w.ch)
		return w.ch, func() {}
	}
	c.waiters[w] = true
	return w.ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.waiters, w)
	}
}

// Advance moves the time and wakes the waiters it reaches.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for w := range c.waiters {
		if !w.at.After(c.now) {
			close(w.ch)
			delete(c.waiters, w)
		}
	}
}

// pending returns the times waited for, sorted.
func (c *fakeClock) pending() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Time
	for w := range c.waiters {
		out = append(out, w.at)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// eventually polls cond until it holds; the deadline only turns a hang into a failure.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitPlanned waits until the service sleeps until exactly the times want (none: no time at all).
func waitPlanned(t *testing.T, c *fakeClock, want ...time.Time) {
	t.Helper()
	eventually(t, "the loop waits for "+fmtTimes(want), func() bool {
		got := c.pending()
		return slices.EqualFunc(got, want, func(a, b time.Time) bool { return a.Equal(b) })
	})
}

func fmtTimes(ts []time.Time) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Format(time.TimeOnly))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// starter is a start function that records its calls; answer decides each call's outcome (nil:
// a background task is started and stored, EXECUTING).
type starter struct {
	t      *testing.T
	db     *sqlite.DB
	mu     sync.Mutex
	calls  []dms.ScheduledTask
	answer func(n int) error
}

func (s *starter) start(ctx context.Context, st dms.ScheduledTask) (dms.Task, error) {
	s.mu.Lock()
	s.calls = append(s.calls, st)
	n := len(s.calls)
	s.mu.Unlock()
	if s.answer != nil {
		if err := s.answer(n); err != nil {
			return dms.Task{}, err
		}
	}
	bt := dms.Task{ID: "task-of-" + st.ID, InstanceID: st.InstanceID, ProjectID: st.ProjectID, Name: st.Name, Params: st.Params,
		Status: dms.TaskExecuting, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.db.CreateTask(ctx, bt); err != nil {
		return dms.Task{}, err
	}
	return bt, nil
}

func (s *starter) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

type env struct {
	t     *testing.T
	db    *sqlite.DB
	clock *fakeClock
	st    *starter
	cfg   Config
}

func newEnv(t *testing.T) *env {
	db, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := newFakeClock()
	return &env{t: t, db: db, clock: c, st: &starter{t: t, db: db}, cfg: Config{Clock: c, RetryDelays: []time.Duration{time.Minute, 2 * time.Minute}}}
}

// open starts a service on the env's store and clock; it is closed at the end of the test (closing
// twice is harmless).
func (e *env) open() *Service {
	s := New(e.db, slog.New(slog.NewTextHandler(io.Discard, nil)), e.cfg)
	s.Register("upgradeInstance", e.st.start)
	if err := s.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(s.Close)
	return s
}

func (e *env) add(s *Service, at time.Duration) dms.ScheduledTask {
	e.t.Helper()
	st, err := s.Add(context.Background(), dms.ScheduledTask{InstanceID: "i1", ProjectID: "p1", Name: "upgradeInstance",
		Params: `{"from":"4.3.0","to":"4.3.1"}`, UserID: "u1", UserName: "admin", ScheduleAt: e.clock.Now().Add(at)})
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) get(id string) dms.ScheduledTask {
	e.t.Helper()
	st, err := e.db.GetScheduledTask(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func ptr[T any](v T) *T { return &v }

// A task fires at its time, not before, with the stored task, and records the task it started.
func TestFiresAtItsTime(t *testing.T) {
	e := newEnv(t)
	s := e.open()
	st := e.add(s, time.Hour)
	if st.Status != dms.ScheduleCreated || st.ID == "" || !st.ScheduleAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("added: %+v", st)
	}
	waitPlanned(t, e.clock, st.ScheduleAt)
	e.clock.Advance(59 * time.Minute)
	waitPlanned(t, e.clock, st.ScheduleAt) // still asleep until its time
	if n := e.st.count(); n != 0 {
		t.Fatalf("fired %d times before its time", n)
	}
	e.clock.Advance(time.Minute)
	eventually(t, "the task records its background task", func() bool { return e.get(st.ID).TaskID != "" })
	got := e.get(st.ID)
	if got.Status != dms.ScheduleExecuting || got.TaskID != "task-of-"+st.ID || e.st.count() != 1 {
		t.Fatalf("after firing: %+v, %d calls", got, e.st.count())
	}
	if c := e.st.calls[0]; c.ID != st.ID || c.Params != st.Params || c.UserName != "admin" || c.InstanceID != "i1" {
		t.Fatalf("the start function got %+v", c)
	}
	// The scheduled task follows its background task to its end.
	bt, _ := e.db.GetTask(context.Background(), got.TaskID)
	bt.Status, bt.Error = dms.TaskFailed, "broker 2 did not come back"
	if err := e.db.UpdateTask(context.Background(), bt); err != nil {
		t.Fatal(err)
	}
	shown, err := s.Get(context.Background(), "i1", st.ID)
	if err != nil || shown.Status != dms.ScheduleFailed || shown.Error != "broker 2 did not come back" {
		t.Fatalf("after its task failed: %+v, %v", shown, err)
	}
	if stored := e.get(st.ID); stored.Status != dms.ScheduleFailed {
		t.Fatalf("the end was not stored: %+v", stored)
	}
}

// Update moves a task's time (the loop re-plans) and cancels or re-enables it; Delete cancels it.
func TestUpdateAndDelete(t *testing.T) {
	e := newEnv(t)
	s := e.open()
	ctx := context.Background()
	a := e.add(s, time.Hour)
	b := e.add(s, 2*time.Hour)
	c := e.add(s, 3*time.Hour)
	waitPlanned(t, e.clock, a.ScheduleAt)

	// a moves after b: the loop now waits for b.
	later := e.clock.Now().Add(4 * time.Hour)
	if _, err := s.Update(ctx, "i1", a.ID, Update{ExecuteAt: &later}); err != nil {
		t.Fatal(err)
	}
	waitPlanned(t, e.clock, b.ScheduleAt)
	// b is cancelled, c deleted: the loop waits for a only.
	if got, err := s.Update(ctx, "i1", b.ID, Update{Status: ptr(dms.ScheduleCancelled)}); err != nil || got.Status != dms.ScheduleCancelled {
		t.Fatalf("cancel: %+v, %v", got, err)
	}
	if err := s.Delete(ctx, "i1", c.ID); err != nil {
		t.Fatal(err)
	}
	waitPlanned(t, e.clock, later)
	e.clock.Advance(3*time.Hour + 30*time.Minute) // past b's and c's times
	waitPlanned(t, e.clock, later)
	if n := e.st.count(); n != 0 {
		t.Fatalf("a cancelled or deleted task fired (%d calls)", n)
	}
	if got := e.get(b.ID); got.Status != dms.ScheduleCancelled {
		t.Fatalf("b: %+v", got)
	}
	if _, err := e.db.GetScheduledTask(ctx, c.ID); err == nil {
		t.Fatal("c is still stored")
	}
	// b's time has passed: waiting again needs a new time.
	if _, err := s.Update(ctx, "i1", b.ID, Update{Status: ptr(dms.ScheduleCreated)}); dms.AsError(err).Code != dms.CodeTimestampInvalid {
		t.Fatalf("re-enable with a past time: %v", err)
	}
	soon := e.clock.Now().Add(10 * time.Minute)
	if _, err := s.Update(ctx, "i1", b.ID, Update{Status: ptr(dms.ScheduleCreated), ExecuteAt: &soon}); err != nil {
		t.Fatal(err)
	}
	waitPlanned(t, e.clock, soon)
	e.clock.Advance(10 * time.Minute)
	eventually(t, "b fires", func() bool { return e.get(b.ID).TaskID != "" })
	e.clock.Advance(time.Hour)
	eventually(t, "a fires", func() bool { return e.get(a.ID).TaskID != "" })
	if n := e.st.count(); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
	// Started: no change, no cancel, no delete (409), while EXECUTING.
	for name, f := range map[string]func() error{
		"update time": func() error {
			_, err := s.Update(ctx, "i1", a.ID, Update{ExecuteAt: ptr(e.clock.Now().Add(time.Hour))})
			return err
		},
		"update status": func() error {
			_, err := s.Update(ctx, "i1", a.ID, Update{Status: ptr(dms.ScheduleCancelled)})
			return err
		},
		"delete": func() error { return s.Delete(ctx, "i1", a.ID) },
	} {
		if err := f(); dms.AsError(err).Code != dms.CodeConflict || !strings.Contains(err.Error(), "already started") {
			t.Errorf("%s of a started task: %v", name, err)
		}
	}
}

// Bad updates and unknown ids get 4xx DMS errors.
func TestUpdateAndDeleteRefusals(t *testing.T) {
	e := newEnv(t)
	s := e.open()
	ctx := context.Background()
	a := e.add(s, time.Hour)
	past, far := e.clock.Now().Add(-time.Minute), e.clock.Now().Add(400*24*time.Hour)
	cases := []struct {
		name     string
		instance string
		id       string
		u        Update
		code     string
	}{
		{"nothing to change", "i1", a.ID, Update{}, dms.CodeInvalidParameter},
		{"unknown status", "i1", a.ID, Update{Status: ptr("DONE")}, dms.CodeInvalidParameter},
		{"status DELETED", "i1", a.ID, Update{Status: ptr(dms.ScheduleDeleted)}, dms.CodeInvalidParameter},
		{"time in the past", "i1", a.ID, Update{ExecuteAt: &past}, dms.CodeTimestampInvalid},
		{"time too far ahead", "i1", a.ID, Update{ExecuteAt: &far}, dms.CodeTimestampInvalid},
		{"unknown id", "i1", "nope", Update{Status: ptr(dms.ScheduleCancelled)}, dms.CodeResourceNotFound},
		{"another instance's task", "i2", a.ID, Update{Status: ptr(dms.ScheduleCancelled)}, dms.CodeResourceNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Update(ctx, c.instance, c.id, c.u)
			if e := dms.AsError(err); err == nil || e.Code != c.code || e.Status >= 500 {
				t.Fatalf("got %v, want %s", err, c.code)
			}
		})
	}
	if err := s.Delete(ctx, "i2", a.ID); dms.AsError(err).Code != dms.CodeResourceNotFound {
		t.Fatalf("delete through another instance: %v", err)
	}
	if got := e.get(a.ID); got.Status != dms.ScheduleCreated || !got.ScheduleAt.Equal(a.ScheduleAt) {
		t.Fatalf("a refused update changed the task: %+v", got)
	}
	for name, at := range map[string]time.Time{"zero": {}, "past": past, "now": e.clock.Now(), "too far": far} {
		if _, err := s.Add(ctx, dms.ScheduledTask{InstanceID: "i1", Name: "upgradeInstance", ScheduleAt: at}); dms.AsError(err).Code != dms.CodeTimestampInvalid {
			t.Errorf("add at %s: %v", name, err)
		}
	}
	if _, err := s.Add(ctx, dms.ScheduledTask{InstanceID: "i1", Name: "nosuch", ScheduleAt: e.clock.Now().Add(time.Hour)}); err == nil {
		t.Error("a task without a start function was added")
	}
	if _, err := s.Add(ctx, dms.ScheduledTask{InstanceID: "i1", Name: "upgradeInstance", Params: "to=4.3.1", ScheduleAt: e.clock.Now().Add(time.Hour)}); err == nil {
		t.Error("a task with params that are not JSON was added")
	}
	if ls, _ := e.db.ListScheduledTasks(ctx, "i1"); len(ls) != 1 {
		t.Errorf("refused adds were stored: %+v", ls)
	}
}

// A task whose time passed while dmsd was stopped fires at the next start; one that had fired does
// not fire again.
func TestRestartFiresOverdueOnce(t *testing.T) {
	e := newEnv(t)
	s := e.open()
	early := e.add(s, time.Hour)
	late := e.add(s, 2*time.Hour)
	waitPlanned(t, e.clock, early.ScheduleAt)
	e.clock.Advance(time.Hour)
	eventually(t, "early fires", func() bool { return e.get(early.ID).TaskID != "" })
	waitPlanned(t, e.clock, late.ScheduleAt)
	s.Close()

	e.clock.Advance(5 * time.Hour) // dmsd is down when late's time comes
	if n := e.st.count(); n != 1 {
		t.Fatalf("%d calls while stopped", n)
	}
	e.open()
	eventually(t, "late fires after the restart", func() bool { return e.get(late.ID).TaskID != "" })
	waitPlanned(t, e.clock) // nothing left to wait for
	if n := e.st.count(); n != 2 {
		t.Fatalf("%d calls, want 2 (each task once)", n)
	}
	if got := e.get(early.ID); got.Status != dms.ScheduleExecuting || got.TaskID != "task-of-"+early.ID {
		t.Fatalf("early after the restart: %+v", got)
	}
}

// A task left EXECUTING without a started task (dmsd stopped between claiming and recording it) is
// marked FAILED at the next start and never fired again.
func TestInterruptedStartIsNotFiredAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	left := dms.ScheduledTask{ID: "s-left", InstanceID: "i1", ProjectID: "p1", Name: "upgradeInstance", Params: "{}",
		Status: dms.ScheduleExecuting, CreatedAt: now.Add(-2 * time.Hour), UpdatedAt: now.Add(-time.Hour), ScheduleAt: now.Add(-time.Hour)}
	if err := e.db.CreateScheduledTask(ctx, left); err != nil {
		t.Fatal(err)
	}
	e.open()
	waitPlanned(t, e.clock)
	got := e.get(left.ID)
	if got.Status != dms.ScheduleFailed || !strings.Contains(got.Error, "never runs twice") || e.st.count() != 0 {
		t.Fatalf("after the restart: %+v, %d calls", got, e.st.count())
	}
}

// A start refused for a retryable reason (a busy instance) is tried again after each delay and
// then fails with the reason; one that passes on a later attempt starts its task; a refusal that
// cannot pass later fails at once.
func TestRetriesThenFails(t *testing.T) {
	busy := dms.Errorf(dms.CodeUpgradeNotRunning, "only the instance at running status can upgrade.")
	cases := []struct {
		name      string
		answer    func(n int) error
		calls     int
		status    string
		errSubstr string
	}{
		{"always busy", func(int) error { return busy }, 3, dms.ScheduleFailed, "only the instance at running status"},
		{"busy once", func(n int) error {
			if n == 1 {
				return busy
			}
			return nil
		}, 2, dms.ScheduleExecuting, ""},
		{"permanent refusal", func(int) error { return dms.E(dms.CodeUpgradeSameVersion) }, 1, dms.ScheduleFailed, "DMS.00400053"},
		{"panic", func(int) error { panic("boom") }, 3, dms.ScheduleFailed, "panic: boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.st.answer = c.answer
			s := e.open()
			st := e.add(s, time.Minute)
			waitPlanned(t, e.clock, st.ScheduleAt)
			e.clock.Advance(time.Minute)
			for i, d := range e.cfg.RetryDelays {
				if i+1 >= c.calls {
					break
				}
				eventually(t, "a retry is planned", func() bool { return e.st.count() == i+1 && len(e.clock.pending()) == 1 })
				if got := e.get(st.ID); got.Status != dms.ScheduleExecuting || got.TaskID != "" || !strings.Contains(got.Error, "trying again") {
					t.Fatalf("between attempts: %+v", got)
				}
				e.clock.Advance(d)
			}
			eventually(t, "the outcome is recorded", func() bool {
				got := e.get(st.ID)
				return got.Status == dms.ScheduleFailed || got.TaskID != ""
			})
			got := e.get(st.ID)
			if got.Status != c.status || !strings.Contains(got.Error, c.errSubstr) || e.st.count() != c.calls {
				t.Fatalf("got %+v after %d calls; want %s %q after %d", got, e.st.count(), c.status, c.errSubstr, c.calls)
			}
		})
	}
}

// Closing the service while a start waits to be retried puts the task back to CREATED: the next
// start fires it (it had started nothing).
func TestCloseDuringRetryKeepsTheTask(t *testing.T) {
	e := newEnv(t)
	e.st.answer = func(n int) error {
		if n == 1 {
			return dms.E(dms.CodeInstanceBusy)
		}
		return nil
	}
	s := e.open()
	st := e.add(s, time.Minute)
	waitPlanned(t, e.clock, st.ScheduleAt)
	e.clock.Advance(time.Minute)
	eventually(t, "a retry is planned", func() bool { return e.st.count() == 1 && len(e.clock.pending()) == 1 })
	s.Close()
	if got := e.get(st.ID); got.Status != dms.ScheduleCreated {
		t.Fatalf("after close: %+v", got)
	}
	e.open()
	eventually(t, "it fires at the next start", func() bool { return e.get(st.ID).TaskID != "" })
	if n := e.st.count(); n != 2 {
		t.Fatalf("%d calls", n)
	}
}

// List pages and filters by schedule time, newest first.
func TestList(t *testing.T) {
	e := newEnv(t)
	s := e.open()
	ctx := context.Background()
	var ids []string // oldest first
	for i := 1; i <= 4; i++ {
		ids = append(ids, e.add(s, time.Duration(i)*time.Hour).ID)
		e.clock.Advance(time.Millisecond) // distinct creation times
	}
	base := e.clock.Now()
	cases := []struct {
		name  string
		f     Filter
		want  []string
		total int
	}{
		{"all", Filter{}, []string{ids[3], ids[2], ids[1], ids[0]}, 4},
		{"limit", Filter{Limit: 2}, []string{ids[3], ids[2]}, 4},
		{"start at an id", Filter{Start: ids[2], Limit: 2}, []string{ids[2], ids[1]}, 4},
		{"start at a position", Filter{Start: "3"}, []string{ids[1], ids[0]}, 4},
		{"start past the end", Filter{Start: "9"}, nil, 4},
		{"begin", Filter{Begin: base.Add(2 * time.Hour)}, []string{ids[3], ids[2]}, 2},
		{"begin and end", Filter{Begin: base.Add(time.Hour), End: base.Add(3 * time.Hour)}, []string{ids[2], ids[1]}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, total, err := s.List(ctx, "i1", c.f)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []string
			for _, g := range got {
				gotIDs = append(gotIDs, g.ID)
			}
			if !slices.Equal(gotIDs, c.want) || total != c.total {
				t.Fatalf("got %v (total %d), want %v (total %d)", gotIDs, total, c.want, c.total)
			}
		})
	}
	if _, _, err := s.List(ctx, "i1", Filter{Start: "x"}); dms.AsError(err).Code != dms.CodeInvalidParameter {
		t.Fatalf("start neither id nor position: %v", err)
	}
	if got, _, err := s.List(ctx, "i2", Filter{}); err != nil || len(got) != 0 {
		t.Fatalf("another instance: %+v, %v", got, err)
	}
}

// The real clock: a task scheduled two seconds ahead fires, not before its time.
func TestRealClockFires(t *testing.T) {
	db, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fired := make(chan time.Time, 1)
	s := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{})
	s.Register("upgradeInstance", func(ctx context.Context, st dms.ScheduledTask) (dms.Task, error) {
		fired <- time.Now()
		return dms.Task{ID: "t1"}, nil
	})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Add(context.Background(), dms.ScheduledTask{InstanceID: "i1", Name: "upgradeInstance", ScheduleAt: time.Now().Add(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-fired:
		if at.Before(st.ScheduleAt) {
			t.Fatalf("fired at %s, before its time %s", at, st.ScheduleAt)
		}
		t.Logf("fired %s after its time", at.Sub(st.ScheduleAt)) // a measurement, not an assertion
	case <-time.After(30 * time.Second):
		t.Fatal("the task did not fire")
	}
	eventually(t, "the started task is recorded", func() bool {
		got, err := db.GetScheduledTask(context.Background(), st.ID)
		return err == nil && got.TaskID == "t1" && got.Status == dms.ScheduleExecuting
	})
}
