package main

import (
	"errors"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	quotaPath  = "/v2/kafka/" + testPID + "/instances/" + iid + "/kafka-user-client-quota"
	quotaList  = "GET " + quotaPath + "?limit=100&offset=0"
	quotaJobID = "ff8080828bdc0f64018bdcadfd8f00d7"
	quotasJSON = `{"quotas":[` +
		`{"user":"","client":"","user-default":false,"client-default":true,"producer-byte-rate":3145728,"consumer-byte-rate":2097152},` +
		`{"user":"","client":"ingest","user-default":false,"client-default":false,"producer-byte-rate":262144,"consumer-byte-rate":0},` +
		`{"user":"alice","client":"","user-default":false,"client-default":true,"producer-byte-rate":0,"consumer-byte-rate":1500}],"count":3}`
)

func TestQuotaCommands(t *testing.T) {
	replies := map[string]clienttest.Reply{
		"GET " + instances:        replyOK(`{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `],"instance_num":1}`),
		"GET " + quotaPath:        replyOK(quotasJSON),
		"POST " + quotaPath:       replyOK(`{"job_id":"` + quotaJobID + `"}`),
		"PUT " + quotaPath:        replyOK(`{"job_id":"` + quotaJobID + `"}`),
		"DELETE " + quotaPath:     replyOK(`{"job_id":"` + quotaJobID + `"}`),
		"GET " + ipath + "/tasks": replyOK(`{"task_count":"0","tasks":[]}`),
	}
	job := func(entity, action string) string {
		return "quota:   " + entity + "\naction:  " + action + "\njob_id:  " + quotaJobID + "\n"
	}
	tests := []struct {
		name      string
		args      []string
		wantPaths []string
		wantBody  string // of the request with a body
		wantOut   string
	}{
		{"list, by instance name", []string{"list", "kafka-demo"}, []string{"GET " + byNameList, quotaList}, "", "" +
			"USER   CLIENT     PRODUCE_RATE_PER_BROKER  CONSUME_RATE_PER_BROKER\n" +
			"-      <default>  3 MiB/s                  2 MiB/s\n" +
			"-      ingest     256 KiB/s                -\n" +
			"alice  <default>  -                        1500 B/s\n"},
		{"create a client quota", []string{"create", iid, "--client", "ingest", "--producer-byte-rate", "256KiB"},
			[]string{"POST " + quotaPath}, `{"client":"ingest","producer-byte-rate":262144}`, job("client ingest", "created")},
		{"create for the default user of a client", []string{"create", iid, "--user-default", "--client", "app", "--consumer-byte-rate", "5MB"},
			[]string{"POST " + quotaPath}, `{"user-default":true,"client":"app","consumer-byte-rate":5000000}`, job("user <default>, client app", "created")},
		{"update", []string{"update", iid, "--user", "alice", "--client-default", "--consumer-byte-rate", "1048576", "--producer-byte-rate", "1MiB"},
			[]string{"PUT " + quotaPath}, `{"user":"alice","client-default":true,"producer-byte-rate":1048576,"consumer-byte-rate":1048576}`,
			job("user alice, client <default>", "updated")},
		{"set an existing quota updates it", []string{"set", iid, "--client", "ingest", "--producer-byte-rate", "100"},
			[]string{quotaList, "PUT " + quotaPath}, `{"client":"ingest","producer-byte-rate":100}`, job("client ingest", "updated")},
		{"set a new quota creates it", []string{"set", iid, "--user", "bob", "--producer-byte-rate", "100"},
			[]string{quotaList, "POST " + quotaPath}, `{"user":"bob","producer-byte-rate":100}`, job("user bob", "created")},
		{"set tells a user from the default user", []string{"set", iid, "--user-default", "--client-default", "--producer-byte-rate", "7"},
			[]string{quotaList, "POST " + quotaPath}, `{"user-default":true,"client-default":true,"producer-byte-rate":7}`, job("user <default>, client <default>", "created")},
		{"delete", []string{"delete", iid, "--user", "alice", "--client-default"},
			[]string{"DELETE " + quotaPath}, `{"user":"alice","client-default":true}`, job("user alice, client <default>", "deleted")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runCase(t, replies, exitOK, tt.wantPaths, append([]string{"quota"}, tt.args...)...)
			if r.stdout != tt.wantOut {
				t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, tt.wantOut)
			}
			if tt.wantBody != "" {
				clienttest.JSONEqual(t, f.Last().Body, tt.wantBody)
			}
		})
	}

	r, _ := runCase(t, replies, exitOK, nil, "quota", "list", iid, "-o", "json")
	clienttest.JSONEqual(t, []byte(r.stdout), `[{"user":"","client":"","user-default":false,"client-default":true,"producer-byte-rate":3145728,"consumer-byte-rate":2097152},`+
		`{"user":"","client":"ingest","user-default":false,"client-default":false,"producer-byte-rate":262144,"consumer-byte-rate":0},`+
		`{"user":"alice","client":"","user-default":false,"client-default":true,"producer-byte-rate":0,"consumer-byte-rate":1500}]`)
	r, _ = runCase(t, replies, exitOK, nil, "quota", "delete", iid, "--client", "x", "-o", "json")
	clienttest.JSONEqual(t, []byte(r.stdout), `{"job_id":"`+quotaJobID+`","action":"deleted"}`)
}

func TestQuotaWait(t *testing.T) {
	task := func(status, errMsg string) clienttest.Reply {
		return replyOK(`{"task_count":"1","tasks":[` + taskJSON(quotaJobID, "createUserClientQuota", status, errMsg) + `]}`)
	}
	tests := []struct {
		name     string
		seq      []clienttest.Reply
		wantCode int
		wantOut  string
		wantErr  []string
	}{
		{"success", []clienttest.Reply{task("EXECUTING", ""), task("SUCCESS", "")}, exitOK,
			"quota:   client ingest\naction:  created\njob_id:  " + quotaJobID + "\nstatus:  SUCCESS\nerror:   -\n",
			[]string{"quota task " + quotaJobID + ": EXECUTING (", "quota task " + quotaJobID + ": SUCCESS ("}},
		{"failure", []clienttest.Reply{task("EXECUTING", ""), task("FAILED", "INVALID_REQUEST")}, exitError,
			"quota:   client ingest\naction:  created\njob_id:  " + quotaJobID + "\nstatus:  FAILED\nerror:   INVALID_REQUEST\n",
			[]string{"dmsctl: the quota of client ingest on " + iid + " was not created (task " + quotaJobID + "): INVALID_REQUEST\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			fastPoll(t)
			f := newSeqFake(t, map[string]clienttest.Reply{
				"POST " + quotaPath: replyOK(`{"job_id":"` + quotaJobID + `"}`),
			}, map[string][]clienttest.Reply{"GET " + ipath + "/tasks/" + quotaJobID: tt.seq})
			r := run(t, "", "quota", "create", iid, "--client", "ingest", "--producer-byte-rate", "1000", "--wait").wantCode(t, tt.wantCode)
			allSigned(t, f)
			if n := requestCount(f, "GET "+ipath+"/tasks/"+quotaJobID); n != 2 {
				t.Errorf("%d polls of the task, want 2", n)
			}
			if r.stdout != tt.wantOut {
				t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, tt.wantOut)
			}
			mustContain(t, "stderr", r.stderr, tt.wantErr...)
		})
	}
}

func TestQuotaErrors(t *testing.T) {
	// The server's refusals are shown with their code.
	r, _ := runCase(t, map[string]clienttest.Reply{
		"POST " + quotaPath: replyError(409, "DMS.00409001", "The quota of client-id=ingest already exists: modify it (PUT) instead."),
	}, exitError, nil, "quota", "create", iid, "--client", "ingest", "--producer-byte-rate", "1")
	mustContain(t, "stderr", r.stderr, "DMS.00409001", "modify it")
	r, _ = runCase(t, map[string]clienttest.Reply{
		"DELETE " + quotaPath: replyError(404, "DMS.00404900", "client-id=nope has no quota."),
	}, exitError, nil, "quota", "delete", iid, "--client", "nope")
	mustContain(t, "stderr", r.stderr, "DMS.00404900")

	// Usage errors send nothing.
	for _, args := range [][]string{
		{"quota", "create", iid, "--producer-byte-rate", "1"},
		{"quota", "create", iid, "--user", "a", "--user-default", "--producer-byte-rate", "1"},
		{"quota", "update", iid, "--client", "c", "--client-default", "--producer-byte-rate", "1"},
		{"quota", "set", iid, "--user", "", "--producer-byte-rate", "1"},
		{"quota", "create", iid, "--client", "c"},
		{"quota", "create", iid, "--client", "c", "--producer-byte-rate", "0"},
		{"quota", "create", iid, "--client", "c", "--consumer-byte-rate", "-5"},
		{"quota", "create", iid, "--client", "c", "--consumer-byte-rate", "fast"},
		{"quota", "create", iid, "--client", "c", "--consumer-byte-rate", "9999999999999GiB"},
		{"quota", "delete", iid},
		{"quota", "delete", iid, "--client", "c", "--producer-byte-rate", "1"},
		{"quota", "list"},
		{"quota", "frobnicate"},
	} {
		r, f := runCase(t, nil, exitUsage, nil, args...)
		if n := len(f.Requests()); n != 0 {
			t.Errorf("%v: %d requests sent", args, n)
		}
		if r.stderr == "" {
			t.Errorf("%v: no message", args)
		}
	}
}

func TestParseByteRate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{{"1", 1}, {"1048576", 1048576}, {"256KiB", 262144}, {"10MiB", 10 << 20}, {"2GiB", 2 << 30}, {"5MB", 5000000}, {"3KB", 3000}, {"1GB", 1e9},
		{"512B", 512}, {" 4 KiB ", 4096}} {
		got, err := parseByteRate("r", tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseByteRate(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "0", "-1", "KiB", "1.5MiB", "1TiB", "9223372036854775807KiB", "abc"} {
		_, err := parseByteRate("r", in)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("parseByteRate(%q) = %v, want a usage error", in, err)
		}
	}
}
