package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendms/opendms/client"
	"github.com/opendms/opendms/client/clienttest"
	"github.com/opendms/opendms/internal/dmsd"
	"github.com/opendms/opendms/internal/iam"
)

const (
	sid        = "5a0c2e3f-1b2c-4d5e-8f90-a1b2c3d4e5f6"
	schedPath  = ipath + "/scheduled-tasks"
	upgradeURL = "/v2/" + testPID + "/kafka/instances/" + iid + "/upgrade"
)

func jobJSON(id, status, taskID, errMsg string) string {
	return `{"id":"` + id + `","name":"upgradeInstance","user_name":"admin","user_id":"u1","params":"{\"from\":\"4.3.0\",\"to\":\"4.3.1\"}",` +
		`"status":"` + status + `","created_at":"2025-01-02T03:04:05.046Z","updated_at":"2025-01-02T03:04:09.500Z",` +
		`"schedule_at":"2025-01-03T02:00:00.000Z","task_id":"` + taskID + `","error":"` + errMsg + `"}`
}

func TestScheduleList(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"GET " + schedPath: replyOK(`{"job_count":"2","jobs":[` + jobJSON(sid, "CREATED", "", "") + `,` +
			jobJSON("s-1", "FAILED", "", "DMS.00400052: only the instance at running status can upgrade.") + `]}`),
	})
	useFake(t, f, testPID)
	r := run(t, "", "schedule", "list", iid).wantCode(t, exitOK)
	s := f.Only()
	mustSigned(t, s)
	if s.Path != schedPath || s.RawQuery != "" {
		t.Errorf("request = %s?%s", s.Path, s.RawQuery)
	}
	want := "" +
		"ID                                    NAME             STATUS   SCHEDULED             CREATED               TASK  ERROR\n" +
		sid + "  upgradeInstance  CREATED  2025-01-03T02:00:00Z  2025-01-02T03:04:05Z  -     -\n" +
		"s-1                                   upgradeInstance  FAILED   2025-01-03T02:00:00Z  2025-01-02T03:04:05Z  -     DMS.00400052: only the instance at running status can upgrade.\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}
	r = run(t, "", "schedule", "list", iid, "-o", "json").wantCode(t, exitOK)
	mustContain(t, "stdout", r.stdout, `"schedule_at": "2025-01-03T02:00:00.000Z"`, `"status": "FAILED"`)

	// --from and --to (RFC 3339 or Unix ms) become begin_time/end_time in UTC.
	run(t, "", "schedule", "list", iid, "--from", "2025-01-02T03:04:05+01:00", "--to", "1735787045000", "--limit", "5").wantCode(t, exitOK)
	if q := f.Last().RawQuery; q != "begin_time=20250102020405&end_time=20250102030405&limit=5" {
		t.Errorf("query = %q", q)
	}
	for _, args := range [][]string{
		{"schedule", "list"},
		{"schedule", "list", iid, "--limit", "-1"},
		{"schedule", "list", iid, "--from", "tomorrow"},
		{"schedule", "list", iid, "--from", "1735787045000", "--to", "1735787044999"},
	} {
		run(t, "", args...).wantCode(t, exitUsage)
	}
}

func TestScheduleUpdate(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"PUT " + schedPath + "/" + sid: replyOK(`{}`),
		"GET " + schedPath:             replyOK(`{"job_count":"1","jobs":[` + jobJSON(sid, "CANCELLED", "", "") + `]}`),
		"PUT " + schedPath + "/started": replyError(409, "DMS.00409001",
			"The scheduled task started has already started (status EXECUTING) and can no longer be changed or cancelled."),
	})
	useFake(t, f, testPID)
	cases := []struct {
		args  []string
		query string
	}{
		{[]string{"--at", "2025-01-03T02:00:00Z"}, "execute_at=1735869600000"},
		{[]string{"--at", "1735869600000"}, "execute_at=1735869600000"},
		{[]string{"--cancel"}, "status=CANCELLED"},
		{[]string{"--resume", "--at", "2025-01-03T03:00:00+01:00"}, "execute_at=1735869600000&status=CREATED"},
	}
	for _, c := range cases {
		r := run(t, "", append([]string{"schedule", "update", iid, sid}, c.args...)...).wantCode(t, exitOK)
		reqs := requestLines(f)
		if got := reqs[len(reqs)-2]; got != "PUT "+schedPath+"/"+sid+"?"+c.query {
			t.Errorf("%v: request %s", c.args, got)
		}
		mustContain(t, "stdout", r.stdout, sid+"  upgradeInstance  CANCELLED")
	}
	allSigned(t, f)
	r := run(t, "", "schedule", "update", iid, "started", "--cancel").wantCode(t, exitError)
	mustContain(t, "stderr", r.stderr, "DMS.00409001", "already started", "HTTP 409")
	n := len(f.Requests())
	for _, args := range [][]string{
		{"schedule", "update", iid, sid},
		{"schedule", "update", iid, sid, "--cancel", "--resume"},
		{"schedule", "update", iid, sid, "--at", "soon"},
		{"schedule", "update", iid},
	} {
		run(t, "", args...).wantCode(t, exitUsage)
	}
	if len(f.Requests()) != n {
		t.Errorf("a usage error sent requests: %v", requestLines(f)[n:])
	}
}

func TestScheduleDelete(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"DELETE " + schedPath + "/" + sid: replyOK(`{}`),
		"DELETE " + schedPath + "/nosuch": replyError(404, "DMS.00404900", "The scheduled task nosuch does not exist."),
	})
	useFake(t, f, testPID)
	r := run(t, "", "schedule", "delete", iid, sid).wantCode(t, exitOK)
	mustSigned(t, f.Only())
	if r.stderr != "deleted scheduled task "+sid+"\n" || r.stdout != "" {
		t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
	r = run(t, "", "schedule", "delete", iid, "nosuch").wantCode(t, exitError)
	if r.stderr != "dmsctl: DMS.00404900: The scheduled task nosuch does not exist. (HTTP 404, request id req-1234)\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
	run(t, "", "schedule", "delete", iid).wantCode(t, exitUsage)
}

func TestInstanceUpgrade(t *testing.T) {
	isolate(t)
	fastPoll(t)
	f := newSeqFake(t, map[string]clienttest.Reply{
		"GET " + upgradeURL:  replyOK(`{"current_version":"4.3.0","latest_version":"4.3.1"}`),
		"POST " + upgradeURL: {Status: 200, Body: tid, Header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		"GET " + schedPath:   replyOK(`{"job_count":"1","jobs":[` + jobJSON(tid, "SUCCESS", "t-upgrade", "") + `]}`), // the fake answers tid as the scheduled task id too
	}, map[string][]clienttest.Reply{
		"GET " + ipath + "/tasks/" + tid: {
			replyOK(`{"task_count":"1","tasks":[` + taskJSON(tid, "upgradeInstance", "EXECUTING", "") + `]}`),
			replyOK(`{"task_count":"1","tasks":[` + taskJSON(tid, "upgradeInstance", "SUCCESS", "") + `]}`),
		},
	})

	r := run(t, "", "instance", "upgrade", iid, "--check").wantCode(t, exitOK)
	if r.stdout != "current_version:  4.3.0\nlatest_version:   4.3.1\n" {
		t.Errorf("--check stdout = %q", r.stdout)
	}
	if got := requestLines(f); len(got) != 1 || got[0] != "GET "+upgradeURL {
		t.Errorf("--check sent %v", got)
	}

	// Now, waiting for the task.
	r = run(t, "", "instance", "upgrade", iid, "--wait").wantCode(t, exitOK)
	reqs := f.Requests()
	post := reqs[2]
	if post.Method != "POST" || string(post.Body) != `{}` {
		t.Errorf("upgrade now sent %s %s", post.Method, post.Body)
	}
	mustContain(t, "stdout", r.stdout, "task_id:          "+tid, "status:           SUCCESS")

	// At a time: is_schedule and execute_at in ms.
	r = run(t, "", "instance", "upgrade", iid, "--at", "2025-01-03T02:00:00Z").wantCode(t, exitOK)
	last := f.Last()
	var body map[string]any
	if err := json.Unmarshal(last.Body, &body); err != nil || body["is_schedule"] != true || body["execute_at"] != float64(1735869600000) {
		t.Errorf("scheduled upgrade sent %s (%v)", last.Body, err)
	}
	mustContain(t, "stdout", r.stdout, "scheduled_task_id:  "+tid, "schedule_at:        2025-01-03T02:00:00Z", "status:             CREATED")
	allSigned(t, f)

	// --at with --wait follows the scheduled task to its end.
	r = run(t, "", "instance", "upgrade", iid, "--at", "1735869600000", "--wait").wantCode(t, exitOK)
	mustContain(t, "stdout", r.stdout, "task_id:            t-upgrade", "status:             SUCCESS")

	for _, args := range [][]string{
		{"instance", "upgrade"},
		{"instance", "upgrade", iid, "--at", "later"},
		{"instance", "upgrade", iid, "--check", "--wait"},
		{"instance", "upgrade", iid, "--check", "--at", "1735869600000"},
	} {
		run(t, "", args...).wantCode(t, exitUsage)
	}
}

// openDMSOn runs dmsd (dmsd.Open, as dmsd runs it) on dir with 3.x mapped to build, and returns a
// function that stops it as dmsd stops. dmsctl is pointed at it.
func openDMSOn(t *testing.T, dir, pool, build string) func() {
	t.Helper()
	cfg := dmsd.Defaults()
	cfg.DataDir, cfg.Engine, cfg.IPPool = dir, "embedded", pool
	cfg.KafkaBuilds = map[string]string{"3.x": build}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := dmsd.Open(ctx, cfg, log, url)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		srv.Close()
	}
	t.Cleanup(stop)
	creds, err := iam.ReadCredentials(filepath.Join(dir, dmsd.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	(&realDMS{URL: url, Creds: creds}).use(t)
	return stop
}

// The whole path through dmsd and dmsctl: an instance on Kafka 4.3.0, dmsd restarted with 3.x
// mapped to 4.3.1, an upgrade scheduled with `instance upgrade --at`, dmsd stopped and started
// again before its time: it runs at its time, and `schedule list` shows it ended.
func TestScheduledUpgradeThroughRestarts(t *testing.T) {
	isolate(t)
	fastPoll(t)
	dir, pool := t.TempDir(), fmt.Sprintf("127.%d.%d.0/24", 100+rand.IntN(100), rand.IntN(250))
	stop := openDMSOn(t, dir, pool, "4.3.0")
	runCtx(t, 2*time.Minute, "", "instance", "create", "kafka-sched", "--wait").wantCode(t, exitOK)
	stop()

	stop = openDMSOn(t, dir, pool, "4.3.1")
	r := runCtx(t, time.Minute, "", "instance", "upgrade", "kafka-sched", "--check").wantCode(t, exitOK)
	if r.stdout != "current_version:  4.3.0\nlatest_version:   4.3.1\n" {
		t.Fatalf("--check: %q", r.stdout)
	}
	at := time.Now().Add(4 * time.Second)
	r = runCtx(t, time.Minute, "", "instance", "upgrade", "kafka-sched", "--at", strconv.FormatInt(at.UnixMilli(), 10), "-o", "json").wantCode(t, exitOK)
	var v upgradeView
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.ScheduledTaskID == "" || v.Status != client.ScheduleCreated {
		t.Fatalf("scheduled: %s (%v)", r.stdout, err)
	}
	stop()

	openDMSOn(t, dir, pool, "4.3.1")
	r = runCtx(t, time.Minute, "", "schedule", "list", "kafka-sched").wantCode(t, exitOK)
	if time.Now().Before(at) { // normally: the restart took less than the 4 seconds
		mustContain(t, "schedule list before its time", r.stdout, v.ScheduledTaskID+"  upgradeInstance  CREATED")
	}
	// The scheduled task ends with the upgrade task it started.
	deadline := time.Now().Add(time.Minute)
	var taskID string
	for {
		r = runCtx(t, time.Minute, "", "schedule", "list", "kafka-sched", "-o", "json").wantCode(t, exitOK)
		var jobs []client.ScheduledTask
		if err := json.Unmarshal([]byte(r.stdout), &jobs); err != nil || len(jobs) != 1 {
			t.Fatalf("schedule list: %s (%v)", r.stdout, err)
		}
		if jobs[0].Ended() {
			if jobs[0].Status != client.ScheduleSuccess || jobs[0].TaskID == "" {
				t.Fatalf("the scheduled upgrade ended %+v", jobs[0])
			}
			taskID = jobs[0].TaskID
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled upgrade is still %s", jobs[0].Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r = runCtx(t, time.Minute, "", "task", "show", "kafka-sched", taskID).wantCode(t, exitOK)
	mustContain(t, "task show", r.stdout, "name:     upgradeInstance", "status:   SUCCESS", `"to":"4.3.1"`)
	r = runCtx(t, time.Minute, "", "instance", "upgrade", "kafka-sched", "--check").wantCode(t, exitOK)
	if r.stdout != "current_version:  4.3.1\nlatest_version:   4.3.1\n" {
		t.Fatalf("--check after: %q", r.stdout)
	}
	// Nothing left to upgrade to: refused at once, not scheduled.
	r = runCtx(t, time.Minute, "", "instance", "upgrade", "kafka-sched", "--at", strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)).wantCode(t, exitError)
	mustContain(t, "stderr", r.stderr, "DMS.00400053")
	if !strings.Contains(r.stderr, "HTTP 400") {
		t.Errorf("stderr = %q", r.stderr)
	}
}
