package main

import (
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

func taskJSON(id, name, status, errMsg string) string {
	return `{"id":"` + id + `","name":"` + name + `","user_name":"admin","user_id":"u1","params":"{\"name\":\"kafka-demo\"}",` +
		`"status":"` + status + `","created_at":"2025-01-02T03:04:05.046Z","updated_at":"2025-01-02T03:04:09.500Z","error":"` + errMsg + `"}`
}

func TestTaskList(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"GET " + ipath + "/tasks": replyOK(`{"task_count":"2","tasks":[` + taskJSON(tid, "restartInstance", "FAILED", "broker 1 did not come back") +
			`,` + taskJSON("t-1", "createInstance", "SUCCESS", "") + `]}`),
	})
	useFake(t, f, testPID)
	r := run(t, "", "task", "list", iid).wantCode(t, exitOK)
	s := f.Only()
	mustSigned(t, s)
	if s.Path != ipath+"/tasks" || s.RawQuery != "" {
		t.Errorf("request = %s?%s", s.Path, s.RawQuery)
	}
	want := "" +
		"ID                                    NAME             STATUS   CREATED               UPDATED               ERROR\n" +
		tid + "  restartInstance  FAILED   2025-01-02T03:04:05Z  2025-01-02T03:04:09Z  broker 1 did not come back\n" +
		"t-1                                   createInstance   SUCCESS  2025-01-02T03:04:05Z  2025-01-02T03:04:09Z  -\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}

	r = run(t, "", "task", "list", iid, "--limit", "1", "-o", "json").wantCode(t, exitOK)
	if q := f.Last().RawQuery; q != "limit=1" {
		t.Errorf("query = %q", q)
	}
	mustContain(t, "stdout", r.stdout, `"name": "restartInstance"`, `"error": "broker 1 did not come back"`)

	// --from and --to take RFC 3339 or Unix ms, as every time flag of dmsctl.
	run(t, "", "task", "list", iid, "--from", "2025-01-02T03:04:05+01:00", "--to", "1735787045000").wantCode(t, exitOK)
	if q := f.Last().RawQuery; q != "begin_time=20250102020405&end_time=20250102030405" {
		t.Errorf("query = %q", q)
	}

	run(t, "", "task", "list").wantCode(t, exitUsage)
	run(t, "", "task", "list", iid, "--limit", "-1").wantCode(t, exitUsage)
	run(t, "", "task", "list", iid, "--from", "yesterday").wantCode(t, exitUsage)
	run(t, "", "task", "list", iid, "--from", "1735787045000", "--to", "1735787044999").wantCode(t, exitUsage)
}

func TestTaskShow(t *testing.T) {
	taskPath := ipath + "/tasks/" + tid
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"GET " + taskPath:                replyOK(`{"task_count":"1","tasks":[` + taskJSON(tid, "modifyInstanceConfigs", "SUCCESS", "") + `]}`),
		"GET " + ipath + "/tasks/nosuch": replyError(404, "DMS.00404900", "The background task nosuch does not exist."),
	})
	useFake(t, f, testPID)
	r := run(t, "", "task", "show", iid, tid).wantCode(t, exitOK)
	mustSigned(t, f.Only())
	want := "" +
		"id:       " + tid + "\n" +
		"name:     modifyInstanceConfigs\n" +
		"status:   SUCCESS\n" +
		"error:    -\n" +
		"user:     admin\n" +
		"created:  2025-01-02T03:04:05Z\n" +
		"updated:  2025-01-02T03:04:09Z\n" +
		"params:   {\"name\":\"kafka-demo\"}\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}
	r = run(t, "", "task", "show", iid, "nosuch").wantCode(t, exitError)
	if r.stderr != "dmsctl: DMS.00404900: The background task nosuch does not exist. (HTTP 404, request id req-1234)\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
	run(t, "", "task", "show", iid).wantCode(t, exitUsage)
}

func TestTaskShowWait(t *testing.T) {
	envelope := func(status, errMsg string) clienttest.Reply {
		return replyOK(`{"task_count":"1","tasks":[` + taskJSON(tid, "restartInstance", status, errMsg) + `]}`)
	}
	tests := []struct {
		name     string
		seq      []clienttest.Reply
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"success", []clienttest.Reply{envelope("CREATED", ""), envelope("EXECUTING", ""), envelope("SUCCESS", "")}, exitOK,
			`"status": "SUCCESS"`, ""},
		{"failure", []clienttest.Reply{envelope("EXECUTING", ""), envelope("FAILED", "broker 1 did not come back")}, exitError,
			`"status": "FAILED"`, "dmsctl: task " + tid + " (restartInstance) FAILED: broker 1 did not come back\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			fastPoll(t)
			f := newSeqFake(t, nil, map[string][]clienttest.Reply{"GET " + ipath + "/tasks/" + tid: tt.seq})
			r := run(t, "", "task", "show", iid, tid, "--wait", "-o", "json").wantCode(t, tt.wantCode)
			allSigned(t, f)
			if n := requestCount(f, "GET "+ipath+"/tasks/"+tid); n != len(tt.seq) {
				t.Errorf("%d polls, want %d", n, len(tt.seq))
			}
			mustContain(t, "stdout", r.stdout, tt.wantOut)
			mustContain(t, "stderr", r.stderr, "task "+tid+": EXECUTING (", tt.wantErr)
			if !strings.HasSuffix(r.stderr, tt.wantErr) {
				t.Errorf("stderr = %q", r.stderr)
			}
		})
	}
}

func TestTaskProgress(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"GET " + ipath + "/tasks/" + tid + "/progress": replyOK(`{"progress_percentage":33,"remain_time":20,"step_list":[` +
			`{"name":"set the throttle","statue":"COMPLETED","start_time":"2025-01-02T03:04:05.046Z","end_time":"2025-01-02T03:04:06.000Z"},` +
			`{"name":"move batch 1/2","statue":"IN_PROGRESS","start_time":"2025-01-02T03:04:06.000Z"}]}`),
		"GET " + ipath + "/tasks/t-2/progress": replyOK(`{"progress_percentage":0,"step_list":[]}`),
	})
	useFake(t, f, testPID)
	r := run(t, "", "task", "progress", iid, tid).wantCode(t, exitOK)
	mustSigned(t, f.Only())
	mustContain(t, "stdout", r.stdout, "progress:", "33%", "remaining:", "20s",
		"STEP", "set the throttle", "COMPLETED", "2025-01-02T03:04:05Z", "move batch 1/2", "IN_PROGRESS")
	// Unknown remaining time: "-", not 0.
	r = run(t, "", "task", "progress", iid, "t-2").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "remaining:") || strings.Contains(r.stdout, "0s") || strings.Contains(r.stdout, "STEP") {
		t.Errorf("stdout =\n%s", r.stdout)
	}
	run(t, "", "task", "progress", iid).wantCode(t, exitUsage)
}
