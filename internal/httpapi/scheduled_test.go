package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/engine/embedded"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/schedule"
	"github.com/opendms/opendms/internal/store/sqlite"
	"github.com/opendms/opendms/internal/tasks"
)

// restartable is an in-process dmsd (store, instances on the embedded engine, tasks, schedule,
// HTTP API) on a data dir, which a test stops and opens again as a dmsd restart does.
type restartable struct {
	*testEnv
	stop func()
}

// openRestartable opens the server on dir with builds as the engine_version -> Kafka build map (a
// new map means a new dmsd configuration); pool must stay the same across restarts.
func openRestartable(t *testing.T, dir, pool string, builds map[string]string) *restartable {
	t.Helper()
	return openRestartableClock(t, dir, pool, builds, nil)
}

// openRestartableClock is openRestartable with the schedule service on clock (nil: the real time).
func openRestartableClock(t *testing.T, dir, pool string, builds map[string]string, clock schedule.Clock) *restartable {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := iam.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
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
	eng := embedded.New(embedded.Options{Logger: log})
	inst, err := instances.New(instances.Config{DataDir: filepath.Join(dir, "instances"), IPPool: pool, KafkaBuilds: builds,
		ReadyTimeout: 30 * time.Second, MonitorInterval: 200 * time.Millisecond},
		st, map[string]engine.Engine{"embedded": eng}, "embedded", cat, runner, sealer, log)
	if err != nil {
		t.Fatal(err)
	}
	sched := schedule.New(st, log, schedule.Config{Clock: clock, RetryDelays: []time.Duration{100 * time.Millisecond, time.Second}})
	inst.SetScheduler(sched)
	if err := inst.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sched.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv := New(Config{Region: region}, Services{IAM: iamSvc, Instances: inst, Catalog: cat}, log)
	hs := httptest.NewServer(srv.Handler())
	stopped := false
	stop := func() { // in dmsd's order (internal/dmsd Close)
		if stopped {
			return
		}
		stopped = true
		hs.Close()
		sched.Close()
		runner.Close()
		inst.Close()
		eng.Close()
		st.Close()
	}
	t.Cleanup(stop)
	return &restartable{testEnv: &testEnv{URL: hs.URL, Region: region, ProjectID: creds.ProjectID, AK: creds.AccessKey, SK: creds.SecretKey,
		Password: creds.Password, Server: srv, IAM: iamSvc, Instances: inst, Engine: eng, Store: st, Dir: dir}, stop: stop}
}

// runningInstance creates an instance through the SDK and waits until it is RUNNING.
func runningInstance(t *testing.T, e *testEnv, name string) string {
	t.Helper()
	c := e.kafkaClient(t)
	created, err := c.CreateInstanceByEngine(createReq(e, t, name))
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	waitInstance(t, c, id, "RUNNING")
	return id
}

// upgradable opens a server mapping 3.x to Kafka 4.3.0, creates instances there, and opens the
// data dir again mapping 3.x to 4.3.1 (a new dmsd configuration), so they can be upgraded.
func upgradable(t *testing.T, names ...string) (*restartable, []string, func(builds map[string]string) *restartable) {
	t.Helper()
	return upgradableClock(t, nil, names...)
}

// upgradableClock is upgradable with the schedule service on clock (nil: the real time), in every
// dmsd it opens.
func upgradableClock(t *testing.T, clock schedule.Clock, names ...string) (*restartable, []string, func(builds map[string]string) *restartable) {
	t.Helper()
	dir, pool := t.TempDir(), testIPPool()
	s := openRestartableClock(t, dir, pool, map[string]string{"3.x": "4.3.0"}, clock)
	var ids []string
	for _, n := range names {
		ids = append(ids, runningInstance(t, s.testEnv, n))
	}
	s.stop()
	reopen := func(builds map[string]string) *restartable { return openRestartableClock(t, dir, pool, builds, clock) }
	s = reopen(map[string]string{"3.x": "4.3.1"})
	for _, id := range ids {
		waitInstance(t, s.kafkaClient(t), id, "RUNNING")
	}
	return s, ids, reopen
}

func listJobs(t *testing.T, e *testEnv, id string, req *model.ListScheduledTasksRequest) *model.ListScheduledTasksResponse {
	t.Helper()
	if req == nil {
		req = &model.ListScheduledTasksRequest{}
	}
	req.InstanceId = id
	resp, err := e.kafkaClient(t).ListScheduledTasks(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// waitJob polls ListScheduledTasks until the scheduled task reaches one of statuses.
func waitJob(t *testing.T, e *testEnv, id, jobID string, statuses ...string) model.ScheduledTaskEntity {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last model.ScheduledTaskEntity
	for time.Now().Before(deadline) {
		for _, j := range deref(listJobs(t, e, id, nil).Jobs) {
			if deref(j.Id) == jobID {
				last = j
				for _, s := range statuses {
					if deref(j.Status) == s {
						return j
					}
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("scheduled task %s is %s, want %v", jobID, deref(last.Status), statuses)
	return last
}

func scheduleUpgrade(t *testing.T, e *testEnv, id string, at time.Time) string {
	t.Helper()
	resp, err := e.kafkaClient(t).UpgradeInstance(&model.UpgradeInstanceRequest{InstanceId: id,
		Body: &model.UpgradeInstanceReq{IsSchedule: ptrTo(true), ExecuteAt: ptrTo(at.UnixMilli())}})
	if err != nil {
		t.Fatal(err)
	}
	if deref(resp.Body) == "" {
		t.Fatalf("no scheduled task id: %+v", resp)
	}
	return deref(resp.Body)
}

func ptrTo[T any](v T) *T { return &v }

func upgradeVersions(t *testing.T, e *testEnv, id string) (string, string) {
	t.Helper()
	v, err := e.kafkaClient(t).ShowUpgradeInstanceVersion(&model.ShowUpgradeInstanceVersionRequest{InstanceId: id})
	if err != nil {
		t.Fatal(err)
	}
	return deref(v.CurrentVersion), deref(v.LatestVersion)
}

// 5.1.9 with is_schedule, ShowUpgradeInstanceVersion and the scheduled-task APIs through the
// official SDK: an upgrade scheduled, listed, moved, fired at its time and ended; refusals of bad
// times, a second upgrade and changes of a started task; cancel and delete.
func TestScheduledUpgradeAPI(t *testing.T) {
	s, ids, _ := upgradable(t, "kafka-sched")
	e, id := s.testEnv, ids[0]
	c := e.kafkaClient(t)

	if cur, latest := upgradeVersions(t, e, id); cur != "4.3.0" || latest != "4.3.1" {
		t.Fatalf("versions before: %s -> %s", cur, latest)
	}
	_, err := c.ShowUpgradeInstanceVersion(&model.ShowUpgradeInstanceVersionRequest{InstanceId: "00000000-0000-0000-0000-000000000000"})
	sdkErr(t, err, 404, "DMS.00404022")

	// Refused at once: what a request made now cannot do.
	now := time.Now()
	for _, c2 := range []struct {
		name string
		body *model.UpgradeInstanceReq
		code string
	}{
		{"in the past", &model.UpgradeInstanceReq{IsSchedule: ptrTo(true), ExecuteAt: ptrTo(now.Add(-time.Minute).UnixMilli())}, dms.CodeTimestampInvalid},
		{"seconds, not ms", &model.UpgradeInstanceReq{IsSchedule: ptrTo(true), ExecuteAt: ptrTo(now.Add(time.Hour).Unix())}, dms.CodeTimestampInvalid},
		{"microseconds, not ms", &model.UpgradeInstanceReq{IsSchedule: ptrTo(true), ExecuteAt: ptrTo(now.Add(time.Hour).UnixMicro())}, dms.CodeTimestampInvalid},
		{"execute_at without is_schedule", &model.UpgradeInstanceReq{ExecuteAt: ptrTo(now.Add(time.Hour).UnixMilli())}, dms.CodeInvalidParameter},
	} {
		_, err := c.UpgradeInstance(&model.UpgradeInstanceRequest{InstanceId: id, Body: c2.body})
		t.Run(c2.name, func(t *testing.T) { sdkErr(t, err, 400, c2.code) })
	}

	// Without execute_at: at the start of the next maintenance window (maintain_begin, UTC).
	win, err := c.UpgradeInstance(&model.UpgradeInstanceRequest{InstanceId: id, Body: &model.UpgradeInstanceReq{IsSchedule: ptrTo(true)}})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := e.Instances.Get(context.Background(), e.ProjectID, id)
	begin, err := time.Parse("15:04:05", rec.MaintainBegin)
	if err != nil {
		t.Fatalf("maintain_begin %q: %v", rec.MaintainBegin, err)
	}
	got := listJobs(t, e, id, nil)
	if len(deref(got.Jobs)) != 1 || deref(deref(got.Jobs)[0].Id) != deref(win.Body) {
		t.Fatalf("scheduled in the window: %+v (%s)", got, deref(win.Body))
	}
	inWindow, err := time.Parse(isoMillis, deref(deref(got.Jobs)[0].ScheduleAt))
	if err != nil || inWindow.Format("15:04:05") != begin.Format("15:04:05") || !inWindow.After(now) || inWindow.Sub(now) > 24*time.Hour+time.Minute {
		t.Fatalf("scheduled at %s (%v), want the next %s UTC", inWindow, err, rec.MaintainBegin)
	}
	if _, err := c.DeleteScheduledTask(&model.DeleteScheduledTaskRequest{InstanceId: id, TaskId: deref(win.Body)}); err != nil {
		t.Fatal(err)
	}

	jobID := scheduleUpgrade(t, e, id, now.Add(time.Hour))
	// One upgrade waits at a time.
	_, err = c.UpgradeInstance(&model.UpgradeInstanceRequest{InstanceId: id,
		Body: &model.UpgradeInstanceReq{IsSchedule: ptrTo(true), ExecuteAt: ptrTo(now.Add(2 * time.Hour).UnixMilli())}})
	sdkErr(t, err, 409, dms.CodeConflict)

	list := listJobs(t, e, id, nil)
	if deref(list.JobCount) != "1" || len(deref(list.Jobs)) != 1 {
		t.Fatalf("list: %+v", list)
	}
	j := deref(list.Jobs)[0]
	wantAt := time.UnixMilli(now.Add(time.Hour).UnixMilli()).UTC().Format(isoMillis)
	if deref(j.Id) != jobID || deref(j.Name) != "upgradeInstance" || deref(j.Status) != "CREATED" || deref(j.ScheduleAt) != wantAt ||
		deref(j.Params) != `{"from":"4.3.0","to":"4.3.1"}` || deref(j.UserName) != "admin" || deref(j.UserId) == "" || deref(j.CreatedAt) == "" || deref(j.UpdatedAt) == "" {
		t.Fatalf("job: %s", j)
	}
	if in, _ := e.Instances.Get(context.Background(), e.ProjectID, id); in.Status != dms.StatusRunning || in.KafkaVersion != "4.3.0" {
		t.Fatalf("scheduling changed the instance: %s %s", in.Status, in.KafkaVersion)
	}

	// List filters (schedule_at between begin_time and end_time, YYYYMMDDHHmmss) and paging.
	f := func(d time.Duration) *string { return ptrTo(now.Add(d).UTC().Format("20060102150405")) }
	for _, lc := range []struct {
		name string
		req  model.ListScheduledTasksRequest
		n    int
	}{
		{"in range", model.ListScheduledTasksRequest{BeginTime: f(30 * time.Minute), EndTime: f(90 * time.Minute)}, 1},
		{"before", model.ListScheduledTasksRequest{EndTime: f(30 * time.Minute)}, 0},
		{"after", model.ListScheduledTasksRequest{BeginTime: f(90 * time.Minute)}, 0},
		{"start 1 limit 1", model.ListScheduledTasksRequest{Start: ptrTo("1"), Limit: ptrTo("1")}, 1},
		{"start 2", model.ListScheduledTasksRequest{Start: ptrTo("2")}, 0},
	} {
		if got := len(deref(listJobs(t, e, id, &lc.req).Jobs)); got != lc.n {
			t.Errorf("list %s: %d jobs, want %d", lc.name, got, lc.n)
		}
	}
	_, err = c.ListScheduledTasks(&model.ListScheduledTasksRequest{InstanceId: id, BeginTime: ptrTo("yesterday")})
	sdkErr(t, err, 400, dms.CodeInvalidParameter)
	_, err = c.ListScheduledTasks(&model.ListScheduledTasksRequest{InstanceId: id, Limit: ptrTo("-1")})
	sdkErr(t, err, 400, dms.CodeInvalidParameter)
	_, err = c.ListScheduledTasks(&model.ListScheduledTasksRequest{InstanceId: "00000000-0000-0000-0000-000000000000"})
	sdkErr(t, err, 404, "DMS.00404022")

	// Update refusals.
	upd := func(taskID string, at, status *string) error {
		_, err := c.UpdateScheduledTask(&model.UpdateScheduledTaskRequest{InstanceId: id, TaskId: taskID, ExecuteAt: at, Status: status})
		return err
	}
	sdkErr(t, upd(jobID, nil, nil), 400, dms.CodeInvalidParameter)
	sdkErr(t, upd(jobID, nil, ptrTo("DONE")), 400, dms.CodeInvalidParameter)
	sdkErr(t, upd(jobID, ptrTo("soon"), nil), 400, dms.CodeTimestampInvalid)
	sdkErr(t, upd(jobID, ptrTo(strconv.FormatInt(now.Add(-time.Hour).UnixMilli(), 10)), nil), 400, dms.CodeTimestampInvalid)
	sdkErr(t, upd("nosuch", nil, ptrTo("CANCELLED")), 404, dms.CodeResourceNotFound)

	// Cancel, re-enable at another time (YYYYMMDDHHmmss), then move it two seconds ahead (Unix ms):
	// it fires then.
	if err := upd(jobID, nil, ptrTo("CANCELLED")); err != nil {
		t.Fatal(err)
	}
	waitJob(t, e, id, jobID, "CANCELLED")
	if err := upd(jobID, f(3*time.Hour), ptrTo("CREATED")); err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, e, id, jobID, "CREATED"); deref(j.ScheduleAt) != now.Add(3*time.Hour).UTC().Truncate(time.Second).Format(isoMillis) {
		t.Fatalf("moved to %s", deref(j.ScheduleAt))
	}
	at := time.Now().Add(2 * time.Second)
	if err := upd(jobID, ptrTo(strconv.FormatInt(at.UnixMilli(), 10)), nil); err != nil {
		t.Fatal(err)
	}
	done := waitJob(t, e, id, jobID, "SUCCESS", "FAILED")
	if deref(done.Status) != "SUCCESS" {
		t.Fatalf("the scheduled upgrade ended %s", done)
	}
	in, err := e.Instances.Get(context.Background(), e.ProjectID, id)
	if err != nil || in.Status != dms.StatusRunning || in.KafkaVersion != "4.3.1" {
		t.Fatalf("after the scheduled upgrade: %+v, %v", in, err)
	}
	// It started a background upgrade task at (not before) its time.
	bts, _, err := e.Instances.Tasks(context.Background(), e.ProjectID, id, instances.TaskFilter{})
	if err != nil || len(bts) == 0 || bts[0].Name != "upgradeInstance" || bts[0].Status != dms.TaskSuccess || bts[0].CreatedAt.Before(time.UnixMilli(at.UnixMilli())) {
		t.Fatalf("background tasks: %+v, %v", bts, err)
	}
	if cur, latest := upgradeVersions(t, e, id); cur != "4.3.1" || latest != "4.3.1" {
		t.Fatalf("versions after: %s -> %s", cur, latest)
	}

	// Started: no change. Ended: its record can be deleted. Nothing left to upgrade to: refused now.
	sdkErr(t, upd(jobID, nil, ptrTo("CANCELLED")), 409, dms.CodeConflict)
	if _, err := c.DeleteScheduledTask(&model.DeleteScheduledTaskRequest{InstanceId: id, TaskId: jobID}); err != nil {
		t.Fatal(err)
	}
	if n := len(deref(listJobs(t, e, id, nil).Jobs)); n != 0 {
		t.Fatalf("%d jobs after delete", n)
	}
	_, err = c.DeleteScheduledTask(&model.DeleteScheduledTaskRequest{InstanceId: id, TaskId: jobID})
	sdkErr(t, err, 404, dms.CodeResourceNotFound)
	_, err = c.UpgradeInstance(&model.UpgradeInstanceRequest{InstanceId: id,
		Body: &model.UpgradeInstanceReq{IsSchedule: ptrTo(true), ExecuteAt: ptrTo(time.Now().Add(time.Hour).UnixMilli())}})
	sdkErr(t, err, 400, dms.CodeUpgradeSameVersion)
}

// A waiting upgrade is cancelled by DeleteScheduledTask and never runs; the rows of a deleted
// instance go with it. The schedule's clock moves only when the test moves it: the deletion lands
// long before the cancelled upgrade's time, however slow the machine.
func TestScheduledUpgradeDeleted(t *testing.T) {
	clock := newOffsetClock()
	s, ids, _ := upgradableClock(t, clock, "kafka-del-1", "kafka-del-2")
	e := s.testEnv
	c := e.kafkaClient(t)
	ctx := context.Background()
	cancelled := scheduleUpgrade(t, e, ids[0], clock.Now().Add(time.Hour))
	if _, err := c.DeleteScheduledTask(&model.DeleteScheduledTaskRequest{InstanceId: ids[0], TaskId: cancelled}); err != nil {
		t.Fatal(err)
	}
	// ids[1]'s upgrade, scheduled later, fires: by then the cancelled one's time has passed too.
	later := scheduleUpgrade(t, e, ids[1], clock.Now().Add(time.Hour+time.Minute))
	clock.Advance(2 * time.Hour)
	waitJob(t, e, ids[1], later, "SUCCESS")
	if in, _ := e.Instances.Get(ctx, e.ProjectID, ids[0]); in.KafkaVersion != "4.3.0" {
		t.Fatalf("a deleted scheduled upgrade ran: %s", in.KafkaVersion)
	}
	if n := len(deref(listJobs(t, e, ids[0], nil).Jobs)); n != 0 {
		t.Fatalf("%d jobs after delete", n)
	}

	// Deleting the instance removes its scheduled tasks.
	waiting := scheduleUpgrade(t, e, ids[0], clock.Now().Add(time.Hour))
	if _, err := c.DeleteInstance(&model.DeleteInstanceRequest{InstanceId: ids[0]}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := e.Store.GetScheduledTask(ctx, waiting); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the deleted instance's scheduled task is still stored")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dmsd stops after upgrades were scheduled and starts again on the same data dir: the one whose
// time passed while it was down runs at the start (not before dmsd stopped: its upgrade task is
// created after the reopen), the other one at its time. The schedule's clock moves only when the
// test moves it.
func TestScheduledUpgradeAcrossRestart(t *testing.T) {
	clock := newOffsetClock()
	s, ids, reopen := upgradableClock(t, clock, "kafka-restart-1", "kafka-restart-2")
	now := clock.Now()
	overdue := scheduleUpgrade(t, s.testEnv, ids[0], now.Add(time.Hour))
	later := scheduleUpgrade(t, s.testEnv, ids[1], now.Add(2*time.Hour))
	s.stop()
	clock.Advance(90 * time.Minute) // the first one's time passes while dmsd is down

	reopenedAt := time.UnixMilli(time.Now().UnixMilli()) // as tasks' times are stored
	s = reopen(map[string]string{"3.x": "4.3.1"})
	e := s.testEnv
	upgradeTask := func(id string) dms.Task {
		t.Helper()
		bts, _, err := e.Instances.Tasks(context.Background(), e.ProjectID, id, instances.TaskFilter{})
		if err != nil || len(bts) == 0 || bts[0].Name != "upgradeInstance" {
			t.Fatalf("background tasks of %s: %+v, %v", id, bts, err)
		}
		return bts[0]
	}
	check := func(i int, jobID string) {
		t.Helper()
		if j := waitJob(t, e, ids[i], jobID, "SUCCESS", "FAILED"); deref(j.Status) != "SUCCESS" {
			t.Fatalf("scheduled upgrade %d after the restart: %s", i, j)
		}
		in, err := e.Instances.Get(context.Background(), e.ProjectID, ids[i])
		if err != nil || in.KafkaVersion != "4.3.1" || in.Status != dms.StatusRunning {
			t.Fatalf("instance %d after its scheduled upgrade: %s %s, %v", i, in.Status, in.KafkaVersion, err)
		}
	}
	check(0, overdue)
	if bt := upgradeTask(ids[0]); bt.CreatedAt.Before(reopenedAt) {
		t.Fatalf("the overdue upgrade started at %s, before dmsd was opened again at %s", bt.CreatedAt, reopenedAt)
	}
	// The later one's time has not come on the schedule's clock: it waits.
	if j := waitJob(t, e, ids[1], later, "CREATED", "EXECUTING", "SUCCESS", "FAILED"); deref(j.Status) != "CREATED" {
		t.Fatalf("the later upgrade did not wait for its time: %s", j)
	}
	movedAt := time.UnixMilli(time.Now().UnixMilli())
	clock.Advance(time.Hour)
	check(1, later)
	if bt := upgradeTask(ids[1]); bt.CreatedAt.Before(movedAt) {
		t.Fatalf("the later upgrade started at %s, before its time came (%s)", bt.CreatedAt, movedAt)
	}
	// Each ran once: one upgrade task per instance.
	for _, id := range ids {
		bts, _, _ := e.Instances.Tasks(context.Background(), e.ProjectID, id, instances.TaskFilter{})
		n := 0
		for _, bt := range bts {
			if bt.Name == "upgradeInstance" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("instance %s has %d upgrade tasks", id, n)
		}
	}
}

// Putting a cancelled upgrade back to wait (UpdateScheduledTask status CREATED) is a new waiting
// upgrade: refused (409) while another upgrade of the instance waits, accepted once that one is
// gone. The refused one stays CANCELLED.
func TestScheduledUpgradeResumeOneWaiting(t *testing.T) {
	s, ids, _ := upgradable(t, "kafka-resume")
	e, id := s.testEnv, ids[0]
	c := e.kafkaClient(t)
	status := func(taskID, st string) error {
		_, err := c.UpdateScheduledTask(&model.UpdateScheduledTaskRequest{InstanceId: id, TaskId: taskID, Status: ptrTo(st)})
		return err
	}
	first := scheduleUpgrade(t, e, id, time.Now().Add(time.Hour))
	if err := status(first, "CANCELLED"); err != nil {
		t.Fatal(err)
	}
	second := scheduleUpgrade(t, e, id, time.Now().Add(2*time.Hour)) // the first no longer waits
	sdkErr(t, status(first, "CREATED"), 409, dms.CodeConflict)
	waitJob(t, e, id, first, "CANCELLED")
	// The waiting one may be set CREATED again (it is the one waiting), and cancelling it frees
	// the place.
	if err := status(second, "CREATED"); err != nil {
		t.Fatal(err)
	}
	if err := status(second, "CANCELLED"); err != nil {
		t.Fatal(err)
	}
	if err := status(first, "CREATED"); err != nil {
		t.Fatal(err)
	}
	waitJob(t, e, id, first, "CREATED")
}

// offsetClock is the real time plus an offset the test moves forward (Advance): scheduled tasks
// wait for times an hour or more ahead, which only an Advance brings, while the schedule service's
// short retry pauses pass in real time.
type offsetClock struct {
	mu      sync.Mutex
	off     time.Duration
	changed chan struct{} // closed and replaced at every Advance
}

func newOffsetClock() *offsetClock { return &offsetClock{changed: make(chan struct{})} }

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *offsetClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *offsetClock) At(at time.Time) (<-chan struct{}, func()) {
	ch, stop := make(chan struct{}), make(chan struct{})
	go func() {
		for {
			c.mu.Lock()
			d, changed := at.Sub(time.Now().Add(c.off)), c.changed
			c.mu.Unlock()
			if d <= 0 {
				close(ch)
				return
			}
			tm := time.NewTimer(d)
			select {
			case <-tm.C:
			case <-changed:
			case <-stop:
				tm.Stop()
				return
			}
			tm.Stop()
		}
	}()
	var once sync.Once
	return ch, func() { once.Do(func() { close(stop) }) }
}
