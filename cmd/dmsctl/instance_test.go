package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	iid       = "0d7c9f40-3d4c-4f4e-9a5e-5f0e8f3b2a11"
	iid2      = "5b0d3c1e-8a2f-4e6b-9c7d-1f2e3d4c5b6a"
	tid       = "7e1f0a52-4d0b-4c1e-8f6d-2b7c3a9e0f11"
	instances = "/v2/" + testPID + "/instances"
	ipath     = instances + "/" + iid
	createAt  = "/v2/kafka/" + testPID + "/instances"
	azsJSON   = `{"region_id":"cn-north-4","available_zones":[` +
		`{"id":"az1","code":"cn-north-4a","name":"AZ1","port":"443","resource_availability":"true","default_az":true},` +
		`{"id":"az2","code":"cn-north-4b","name":"AZ2","port":"443","resource_availability":"false"},` +
		`{"id":"az3","code":"cn-north-4c","name":"AZ3","port":"443","resource_availability":"true"},` +
		`{"id":"az4","code":"cn-north-4d","name":"AZ4","port":"443","resource_availability":"true"}]}`
	twoAZsJSON = `{"available_zones":[{"id":"az1","resource_availability":"true"},{"id":"az3","resource_availability":"true"}]}`
)

// instanceJSON is an instance as dmsd shows it (a part of its fields, and one the CLI ignores).
func instanceJSON(id, name, status, reason string) string {
	return `{"instance_id":"` + id + `","name":"` + name + `","status":"` + status + `","engine":"kafka","engine_version":"3.x",` +
		`"description":"demo","specification":"2vCPUs 4GB * 3","product_id":"c6.2u4g.cluster","broker_num":3,"storage_space":300,` +
		`"used_storage_space":1,"storage_spec_code":"dms.physical.storage.ultra.v2","connect_address":"10.0.0.1,10.0.0.2,10.0.0.3",` +
		`"port":9092,"partition_num":"750","created_at":"1735787045000","maintain_begin":"02:00:00","maintain_end":"06:00:00",` +
		`"ssl_enable":false,"kafka_security_protocol":"PLAINTEXT","enable_auto_topic":true,"retention_policy":"time_base",` +
		`"vpc_id":"default","subnet_id":"default","security_group_id":"default","available_zones":["az1","az3","az4"],` +
		`"tags":[{"key":"env","value":"dev"}],"port_protocols":{"private_plain_enable":true},` +
		`"opendms":{"engine":"embedded","kafka_version":"3.9.0","status_reason":"` + reason + `","capabilities":{}}}`
}

func TestInstanceCreate(t *testing.T) {
	const defaultsBody = `{"name":"kafka-demo","engine":"kafka","engine_version":"3.x","broker_num":3,"storage_space":300,` +
		`"vpc_id":"default","security_group_id":"default","subnet_id":"default","available_zones":["az1","az3","az4"],` +
		`"product_id":"c6.2u4g.cluster","storage_spec_code":"dms.physical.storage.ultra.v2"}`
	tests := []struct {
		name      string
		args      []string
		azs       string // the answer of GET /v2/available-zones
		wantPaths []string
		wantBody  string
		wantOut   []string
	}{
		{"defaults: every AZ with resources", []string{"instance", "create", "kafka-demo"}, azsJSON,
			[]string{"GET /v2/available-zones", "POST " + createAt, "GET " + ipath}, defaultsBody,
			[]string{"id:", iid, "status:", "CREATING", "10.0.0.1:9092,10.0.0.2:9092,10.0.0.3:9092", "3.9.0 (embedded engine)", "env=dev"}},
		{"fewer than 3 AZs: the first", []string{"instance", "create", "kafka-demo"}, twoAZsJSON,
			[]string{"GET /v2/available-zones", "POST " + createAt, "GET " + ipath},
			strings.Replace(defaultsBody, `["az1","az3","az4"]`, `["az1"]`, 1), []string{iid}},
		{"more AZs than brokers: one per broker", []string{"instance", "create", "kafka-demo", "--brokers", "3"},
			strings.Replace(azsJSON, `"false"`, `"true"`, 1),
			[]string{"GET /v2/available-zones", "POST " + createAt, "GET " + ipath},
			strings.Replace(defaultsBody, `["az1","az3","az4"]`, `["az1","az2","az3"]`, 1), []string{iid}},
		{"every flag", []string{"instance", "create", "orders", "--brokers", "5", "--storage", "1000", "--product", "c6.4u8g.cluster",
			"--version", "2.7", "--az", "azX", "--storage-spec", "dms.physical.storage.high.v2", "--vpc", "vpc-1", "--subnet", "subnet-1",
			"--security-group", "sg-1", "--auto-create-topics", "--maintain-begin", "22:00", "--maintain-end", "02:00",
			"--tag", "env=dev", "--tag", "team=a=b", "--tag", "empty=", "--description", "orders \"prod\""}, "",
			[]string{"POST " + createAt, "GET " + ipath},
			`{"name":"orders","description":"orders \"prod\"","engine":"kafka","engine_version":"2.7","broker_num":5,"storage_space":1000,` +
				`"vpc_id":"vpc-1","security_group_id":"sg-1","subnet_id":"subnet-1","available_zones":["azX"],"product_id":"c6.4u8g.cluster",` +
				`"maintain_begin":"22:00","maintain_end":"02:00","enable_auto_topic":true,"storage_spec_code":"dms.physical.storage.high.v2",` +
				`"tags":[{"key":"env","value":"dev"},{"key":"team","value":"a=b"},{"key":"empty","value":""}]}`,
			[]string{iid}},
		{"json output", []string{"instance", "create", "kafka-demo", "--az", "az1", "--az", "az3", "--az", "az4", "-o", "json"}, "",
			[]string{"POST " + createAt, "GET " + ipath}, defaultsBody,
			[]string{`"instance_id": "` + iid + `"`, `"status": "CREATING"`, `"kafka_version": "3.9.0"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, map[string]clienttest.Reply{
				"GET /v2/available-zones": replyOK(tt.azs),
				"POST " + createAt:        replyOK(`{"instance_id":"` + iid + `"}`),
				"GET " + ipath:            replyOK(instanceJSON(iid, "kafka-demo", "CREATING", "")),
			})
			useFake(t, f, testPID)
			r := run(t, "", tt.args...).wantCode(t, exitOK)
			allSigned(t, f)
			if got := strings.Join(requestLines(f), "\n"); got != strings.Join(tt.wantPaths, "\n") {
				t.Errorf("requests:\n%s\nwant\n%s", got, strings.Join(tt.wantPaths, "\n"))
			}
			for _, s := range f.Requests() {
				if s.Method == "POST" {
					clienttest.JSONEqual(t, s.Body, tt.wantBody)
				}
			}
			mustContain(t, "stdout", r.stdout, tt.wantOut...)
			if r.stderr != "" {
				t.Errorf("stderr = %q, want nothing without --wait", r.stderr)
			}
		})
	}
}

func TestInstanceCreateWait(t *testing.T) {
	isolate(t)
	fastPoll(t)
	f := newSeqFake(t, map[string]clienttest.Reply{
		"POST " + createAt: replyOK(`{"instance_id":"` + iid + `"}`),
	}, map[string][]clienttest.Reply{
		"GET " + ipath: {
			replyOK(instanceJSON(iid, "kafka-demo", "CREATING", "")),
			replyOK(instanceJSON(iid, "kafka-demo", "CREATING", "")),
			replyOK(instanceJSON(iid, "kafka-demo", "RUNNING", "")),
		},
	})
	r := run(t, "", "instance", "create", "kafka-demo", "--az", "az1", "--wait").wantCode(t, exitOK)
	allSigned(t, f)
	if n := requestCount(f, "GET "+ipath); n != 3 {
		t.Errorf("%d polls, want 3 (CREATING, CREATING, RUNNING)", n)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "instance kafka-demo: CREATING (") || !strings.HasPrefix(lines[1], "instance kafka-demo: RUNNING (") {
		t.Errorf("progress on stderr:\n%s", r.stderr)
	}
	mustContain(t, "stdout", r.stdout, iid, "RUNNING")
	if strings.Contains(r.stdout, "CREATING") {
		t.Errorf("stdout shows the instance before it ran:\n%s", r.stdout)
	}
}

func TestInstanceCreateWaitFailure(t *testing.T) {
	isolate(t)
	fastPoll(t)
	newSeqFake(t, map[string]clienttest.Reply{
		"POST " + createAt: replyOK(`{"instance_id":"` + iid + `"}`),
	}, map[string][]clienttest.Reply{
		"GET " + ipath: {
			replyOK(instanceJSON(iid, "kafka-demo", "CREATING", "")),
			replyOK(instanceJSON(iid, "kafka-demo", "ERROR", "creation failed: broker 2 did not register")),
		},
	})
	r := run(t, "", "instance", "create", "kafka-demo", "--az", "az1", "--wait").wantCode(t, exitError)
	mustContain(t, "stderr", r.stderr, "instance kafka-demo: ERROR (",
		"dmsctl: instance kafka-demo ("+iid+") is ERROR: creation failed: broker 2 did not register\n")
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
}

func TestInstanceCreateWaitTimeout(t *testing.T) {
	isolate(t)
	fastPoll(t)
	newSeqFake(t, map[string]clienttest.Reply{
		"POST " + createAt: replyOK(`{"instance_id":"` + iid + `"}`),
	}, map[string][]clienttest.Reply{"GET " + ipath: {replyOK(instanceJSON(iid, "kafka-demo", "CREATING", ""))}})
	r := run(t, "", "instance", "create", "kafka-demo", "--az", "az1", "--wait", "--wait-timeout", "100ms").wantCode(t, exitError)
	mustContain(t, "stderr", r.stderr, "dmsctl: gave up waiting after 100ms: instance kafka-demo ("+iid+") is still CREATING")
}

func TestInstanceCreateErrors(t *testing.T) {
	for _, args := range [][]string{
		{"instance", "create"},
		{"instance", "create", "a", "b"},
		{"instance", "create", "kafka-demo", "--tag", "env"},
		{"instance", "create", "kafka-demo", "--tag", "=x"},
		{"instance", "create", "kafka-demo", "--maintain-begin", "22:00"},
		{"instance", "create", "kafka-demo", "--brokers", "three"},
	} {
		t.Run(strings.Join(args[2:], " "), func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, nil)
			useFake(t, f, testPID)
			run(t, "", args...).wantCode(t, exitUsage)
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
		})
	}

	// The server's refusal is reported as any API error.
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"POST " + createAt: replyError(400, "DMS.00400060", "This instance name already exists: kafka-demo."),
	})
	useFake(t, f, testPID)
	r := run(t, "", "instance", "create", "kafka-demo", "--az", "az1").wantCode(t, exitError)
	if r.stderr != "dmsctl: DMS.00400060: This instance name already exists: kafka-demo. (HTTP 400, request id req-1234)\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
}

func TestInstanceList(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"GET " + instances: replyOK(`{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `,` +
			`{"instance_id":"` + iid2 + `","name":"kafka-failed","status":"ERROR","engine_version":"2.7","broker_num":3,"created_at":"1735787105000"}],"instance_num":2}`),
	})
	useFake(t, f, testPID)
	r := run(t, "", "instance", "list", "--name", "kafka", "--status", "running").wantCode(t, exitOK)
	s := f.Only()
	mustSigned(t, s)
	if s.RawQuery != "engine=kafka&include_failure=true&limit=50&name=kafka&offset=0&status=RUNNING" {
		t.Errorf("query = %q", s.RawQuery)
	}
	want := "" +
		"ID                                    NAME          STATUS   BROKERS  PROTOCOL   ADDRESS                                    VERSION  CREATED\n" +
		"0d7c9f40-3d4c-4f4e-9a5e-5f0e8f3b2a11  kafka-demo    RUNNING  3        PLAINTEXT  10.0.0.1:9092,10.0.0.2:9092,10.0.0.3:9092  3.x      2025-01-02T03:04:05Z\n" +
		"5b0d3c1e-8a2f-4e6b-9c7d-1f2e3d4c5b6a  kafka-failed  ERROR    3        -          -                                          2.7      2025-01-02T03:05:05Z\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}

	r = run(t, "", "instance", "list", "--name", "kafka-demo", "--exact", "-o", "json").wantCode(t, exitOK)
	if q := f.Last().RawQuery; q != "engine=kafka&exact_match_name=true&include_failure=true&limit=50&name=kafka-demo&offset=0" {
		t.Errorf("query = %q", q)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 2 || got[0]["instance_id"] != iid || got[1]["status"] != "ERROR" {
		t.Errorf("json = %v (%v)\n%s", got, err, r.stdout)
	}
}

func TestInstanceListEmptyAndErrors(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{"GET " + instances: replyOK(`{"instances":[],"instance_num":0}`)})
	useFake(t, f, testPID)
	if r := run(t, "", "instance", "list", "-o", "json").wantCode(t, exitOK); r.stdout != "[]\n" {
		t.Errorf("stdout = %q, want []", r.stdout)
	}

	isolate(t)
	f = newFakeDMS(t, map[string]clienttest.Reply{"GET " + instances: replyError(403, "DMS.00403002", "Access denied: dms:instance:list.")})
	useFake(t, f, testPID)
	r := run(t, "", "instance", "list").wantCode(t, exitError)
	if r.stderr != "dmsctl: DMS.00403002: Access denied: dms:instance:list. (HTTP 403, request id req-1234)\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
	run(t, "", "instance", "list", "extra").wantCode(t, exitUsage)
}

func TestInstanceShow(t *testing.T) {
	byName := instances + "?engine=kafka&exact_match_name=true&include_failure=true&limit=50&name=kafka-demo&offset=0"
	tests := []struct {
		name      string
		ref       string
		list      string // the answer of the list by name
		wantCode  int
		wantPaths []string
		wantOut   []string
		wantErr   string
	}{
		{"by id", iid, "", exitOK, []string{"GET " + ipath},
			[]string{"id:                  " + iid + "\n", "status:              RUNNING\n", "listener plaintext:  PLAINTEXT 10.0.0.1:9092,10.0.0.2:9092,10.0.0.3:9092\n",
				"kafka:               3.9.0 (embedded engine)\n", "storage:             1/300 GB used (dms.physical.storage.ultra.v2)\n",
				"maintenance:         02:00:00-06:00:00\n", "created:             2025-01-02T03:04:05Z\n"}, ""},
		{"by name", "kafka-demo", `{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `],"instance_num":1}`, exitOK,
			[]string{"GET " + byName, "GET " + ipath}, []string{iid}, ""},
		{"by name, substring matches ignored", "kafka-demo",
			`{"instances":[` + instanceJSON(iid2, "kafka-demo-2", "RUNNING", "") + `,` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `],"instance_num":2}`,
			exitOK, []string{"GET " + byName, "GET " + ipath}, []string{iid}, ""},
		{"unknown name", "kafka-demo", `{"instances":[],"instance_num":0}`, exitError,
			[]string{"GET " + byName, "GET " + instances + "/kafka-demo"}, nil,
			"dmsctl: DMS.00404022: This instance does not exist: kafka-demo. (HTTP 404, request id req-1234)\n"},
		{"ambiguous name", "kafka-demo",
			`{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `,` + instanceJSON(iid2, "kafka-demo", "RUNNING", "") + `],"instance_num":2}`,
			exitError, []string{"GET " + byName}, nil,
			`dmsctl: 2 instances are named "kafka-demo" (` + iid + `, ` + iid2 + `): give an instance id` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, map[string]clienttest.Reply{
				"GET " + instances:                 replyOK(tt.list),
				"GET " + ipath:                     replyOK(instanceJSON(iid, "kafka-demo", "RUNNING", "")),
				"GET " + instances + "/kafka-demo": replyError(404, "DMS.00404022", "This instance does not exist: kafka-demo."),
			})
			useFake(t, f, testPID)
			r := run(t, "", "instance", "show", tt.ref).wantCode(t, tt.wantCode)
			allSigned(t, f)
			if got := strings.Join(requestLines(f), "\n"); got != strings.Join(tt.wantPaths, "\n") {
				t.Errorf("requests:\n%s\nwant\n%s", got, strings.Join(tt.wantPaths, "\n"))
			}
			mustContain(t, "stdout", r.stdout, tt.wantOut...)
			if r.stderr != tt.wantErr {
				t.Errorf("stderr = %q, want %q", r.stderr, tt.wantErr)
			}
		})
	}
}

func TestInstanceShowStatusReason(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{"GET " + ipath: replyOK(instanceJSON(iid, "kafka-demo", "ERROR", "broker 1 is down"))})
	useFake(t, f, testPID)
	r := run(t, "", "instance", "show", iid, "-o", "yaml").wantCode(t, exitOK)
	mustContain(t, "stdout", r.stdout, "status: ERROR\n", "  status_reason: broker 1 is down\n", "instance_id: "+iid+"\n")
}

func TestInstanceUpdate(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantBody string
	}{
		{"name and empty description", []string{"--name", "kafka-prod", "--description", ""}, `{"name":"kafka-prod","description":""}`},
		{"maintenance window", []string{"--maintain-begin", "22:00:00", "--maintain-end", "02:00:00"}, `{"maintain_begin":"22:00:00","maintain_end":"02:00:00"}`},
		{"security group and retention", []string{"--security-group", "sg-2", "--retention-policy", "produce_reject"},
			`{"security_group_id":"sg-2","retention_policy":"produce_reject"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, map[string]clienttest.Reply{"PUT " + ipath: {Status: 204}})
			useFake(t, f, testPID)
			r := run(t, "", append([]string{"instance", "update", iid}, tt.args...)...).wantCode(t, exitOK)
			s := f.Only()
			mustSigned(t, s)
			clienttest.JSONEqual(t, s.Body, tt.wantBody)
			if r.stdout != "Updated instance "+iid+".\n" {
				t.Errorf("stdout = %q", r.stdout)
			}
		})
	}
	isolate(t)
	f := newFakeDMS(t, nil)
	useFake(t, f, testPID)
	run(t, "", "instance", "update", iid).wantCode(t, exitUsage)
	run(t, "", "instance", "update", iid, "--maintain-begin", "22:00:00").wantCode(t, exitUsage)
	run(t, "", "instance", "update", "--name", "x").wantCode(t, exitUsage)
	if len(f.Requests()) != 0 {
		t.Errorf("requests were sent: %v", requestLines(f))
	}
}

func TestInstanceDelete(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"DELETE " + ipath:                  {Status: 204},
		"DELETE " + instances + "/" + iid2: replyError(400, "DMS.00400137", "The instance "+iid2+" is CREATING and cannot be deleted now."),
	})
	useFake(t, f, testPID)

	r := run(t, "", "instance", "delete", iid).wantCode(t, exitOK)
	mustSigned(t, f.Only())
	if want := "INSTANCE                              RESULT   ERROR\n" + iid + "  success  -\n"; r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}

	// One instance: its error is the command's.
	r = run(t, "", "instance", "delete", iid2).wantCode(t, exitError)
	if r.stdout != "" || r.stderr != "dmsctl: DMS.00400137: The instance "+iid2+" is CREATING and cannot be deleted now. (HTTP 400, request id req-1234)\n" {
		t.Errorf("stdout = %q, stderr = %q", r.stdout, r.stderr)
	}

	// Several: a table of results, and a summary.
	r = run(t, "", "instance", "delete", iid, iid2, "-o", "json").wantCode(t, exitError)
	var rows []instanceActionRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 2 || rows[0] != (instanceActionRow{iid, "success", ""}) ||
		rows[1].Result != "failed" || !strings.Contains(rows[1].Error, "DMS.00400137") {
		t.Errorf("rows = %+v (%v)", rows, err)
	}
	if r.stderr != "dmsctl: delete failed for 1 of 2 instances\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
}

func TestInstanceDeleteWait(t *testing.T) {
	isolate(t)
	fastPoll(t)
	byName := instances + "?engine=kafka&exact_match_name=true&include_failure=true&limit=50&name=kafka-demo&offset=0"
	f := newSeqFake(t, map[string]clienttest.Reply{
		"GET " + instances: replyOK(`{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `],"instance_num":1}`),
		"DELETE " + ipath:  {Status: 204},
	}, map[string][]clienttest.Reply{
		"GET " + ipath: {replyOK(instanceJSON(iid, "kafka-demo", "RUNNING", "")), replyError(404, "DMS.00404022", "This instance does not exist.")},
	})
	r := run(t, "", "instance", "delete", "kafka-demo", "--wait").wantCode(t, exitOK)
	allSigned(t, f)
	want := []string{"GET " + byName, "DELETE " + ipath, "GET " + ipath, "GET " + ipath}
	if got := strings.Join(requestLines(f), "\n"); got != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	mustContain(t, "stderr", r.stderr, "instance kafka-demo: RUNNING (", "instance kafka-demo: DELETED (")
	mustContain(t, "stdout", r.stdout, iid+"  success")
}

func TestInstanceRestart(t *testing.T) {
	action := "POST " + instances + "/action"
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		action:                          replyOK(`{"results":[{"instance":"` + iid + `","result":"success"},{"instance":"` + iid2 + `","result":"failed"}]}`),
		"GET " + instances + "/" + iid2: replyOK(instanceJSON(iid2, "kafka-new", "CREATING", "")),
	})
	useFake(t, f, testPID)
	r := run(t, "", "instance", "restart", iid, iid2).wantCode(t, exitError)
	allSigned(t, f)
	clienttest.JSONEqual(t, f.Requests()[0].Body, `{"action":"restart","instances":["`+iid+`","`+iid2+`"]}`)
	mustContain(t, "stdout", r.stdout, "INSTANCE", iid+"  success", iid2+"  failed   restart refused: the instance is CREATING")
	if r.stderr != "dmsctl: restart failed for 1 of 2 instances\n" {
		t.Errorf("stderr = %q", r.stderr)
	}

	// The batch itself refused.
	isolate(t)
	f = newFakeDMS(t, map[string]clienttest.Reply{action: replyError(400, "DMS.00400053", "The instances list is empty.")})
	useFake(t, f, testPID)
	r = run(t, "", "instance", "restart", iid).wantCode(t, exitError)
	mustContain(t, "stderr", r.stderr, "dmsctl: DMS.00400053: The instances list is empty.")
	run(t, "", "instance", "restart").wantCode(t, exitUsage)
}

func TestInstanceRestartWait(t *testing.T) {
	task := func(name, status, errMsg string) string {
		return `{"id":"` + tid + `","name":"` + name + `","user_name":"admin","user_id":"u1","params":"{}","status":"` + status + `",` +
			`"created_at":"2025-01-02T03:04:05.046Z","updated_at":"2025-01-02T03:04:09.000Z","error":"` + errMsg + `"}`
	}
	envelope := func(ts ...string) clienttest.Reply {
		return replyOK(`{"task_count":"1","tasks":[` + strings.Join(ts, ",") + `]}`)
	}
	older := `{"id":"older","name":"createInstance","status":"SUCCESS"}`
	tests := []struct {
		name      string
		tasks     clienttest.Reply
		task      []clienttest.Reply
		wantCode  int
		wantPaths []string
		wantErr   []string
	}{
		{"follows the restart task, then the instance", envelope(task("restartInstance", "EXECUTING", ""), older),
			[]clienttest.Reply{envelope(task("restartInstance", "EXECUTING", "")), envelope(task("restartInstance", "SUCCESS", ""))}, exitOK,
			[]string{"POST " + instances + "/action", "GET " + ipath + "/tasks?limit=20", "GET " + ipath + "/tasks/" + tid,
				"GET " + ipath + "/tasks/" + tid, "GET " + ipath},
			[]string{"instance " + iid + ": restart task EXECUTING (", "instance " + iid + ": restart task SUCCESS (", "instance " + iid + ": RUNNING ("}},
		{"a failed task", envelope(task("restartInstance", "EXECUTING", "")),
			[]clienttest.Reply{envelope(task("restartInstance", "FAILED", "broker 1 did not come back"))}, exitError,
			[]string{"POST " + instances + "/action", "GET " + ipath + "/tasks?limit=20", "GET " + ipath + "/tasks/" + tid},
			[]string{"dmsctl: the restart of instance " + iid + " failed (task " + tid + "): broker 1 did not come back\n"}},
		{"no task: the instance only", envelope(older), nil, exitOK,
			[]string{"POST " + instances + "/action", "GET " + ipath + "/tasks?limit=20", "GET " + ipath},
			[]string{"instance " + iid + ": RUNNING ("}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			fastPoll(t)
			f := newSeqFake(t, map[string]clienttest.Reply{
				"POST " + instances + "/action": replyOK(`{"results":[{"instance":"` + iid + `","result":"success"}]}`),
				"GET " + ipath + "/tasks":       tt.tasks,
				"GET " + ipath:                  replyOK(instanceJSON(iid, "kafka-demo", "RUNNING", "")),
			}, map[string][]clienttest.Reply{"GET " + ipath + "/tasks/" + tid: tt.task})
			r := run(t, "", "instance", "restart", iid, "--wait").wantCode(t, tt.wantCode)
			allSigned(t, f)
			if got := strings.Join(requestLines(f), "\n"); got != strings.Join(tt.wantPaths, "\n") {
				t.Errorf("requests:\n%s\nwant\n%s", got, strings.Join(tt.wantPaths, "\n"))
			}
			mustContain(t, "stderr", r.stderr, tt.wantErr...)
		})
	}
}

func TestInstanceConfigs(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"GET " + ipath + "/configs": replyOK(`{"kafka_configs":[` +
			`{"name":"min.insync.replicas","valid_values":"1~3","default_value":"1","config_type":"dynamic","value":"2","value_type":"integer"},` +
			`{"name":"log.retention.hours","valid_values":"1~168","default_value":"72","config_type":"static","value":"72","value_type":"integer"}]}`),
		"PUT " + ipath + "/configs": replyOK(`{"job_id":"` + tid + `","dynamic_config":1,"static_config":1}`),
	})
	useFake(t, f, testPID)
	r := run(t, "", "instance", "configs", iid).wantCode(t, exitOK)
	want := "" +
		"NAME                 VALUE  DEFAULT  TYPE     VALID\n" +
		"min.insync.replicas  2      1        dynamic  1~3\n" +
		"log.retention.hours  72     72       static   1~168\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}
	mustSigned(t, f.Last())

	r = run(t, "", "instance", "configs", iid, "--set", "min.insync.replicas=2", "--set", "log.retention.hours=48").wantCode(t, exitOK)
	s := f.Last()
	mustSigned(t, s)
	if s.Method != "PUT" {
		t.Fatalf("last request %s %s", s.Method, s.Path)
	}
	clienttest.JSONEqual(t, s.Body, `{"kafka_configs":[{"name":"min.insync.replicas","value":"2"},{"name":"log.retention.hours","value":"48"}]}`)
	if want := "job_id:          " + tid + "\ndynamic_config:  1\nstatic_config:   1\n"; r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}
	r = run(t, "", "instance", "configs", iid, "--set", "a=b=c", "-o", "json").wantCode(t, exitOK)
	clienttest.JSONEqual(t, f.Last().Body, `{"kafka_configs":[{"name":"a","value":"b=c"}]}`)
	clienttest.JSONEqual(t, []byte(r.stdout), `{"job_id":"`+tid+`","dynamic_config":1,"static_config":1}`)

	n := len(f.Requests())
	run(t, "", "instance", "configs", iid, "--set", "novalue").wantCode(t, exitUsage)
	run(t, "", "instance", "configs", iid, "--set", "a=1", "--set", "a=2").wantCode(t, exitUsage)
	run(t, "", "instance", "configs", iid, "--wait").wantCode(t, exitUsage)
	if len(f.Requests()) != n {
		t.Errorf("requests were sent for usage errors")
	}
}

func TestInstanceConfigsWait(t *testing.T) {
	task := func(status, errMsg string) clienttest.Reply {
		return replyOK(`{"task_count":"1","tasks":[{"id":"` + tid + `","name":"modifyInstanceConfigs","status":"` + status + `","error":"` + errMsg + `"}]}`)
	}
	tests := []struct {
		name     string
		seq      []clienttest.Reply
		wantCode int
		wantOut  string
		wantErr  []string
	}{
		{"success", []clienttest.Reply{task("EXECUTING", ""), task("SUCCESS", "")}, exitOK,
			"job_id:          " + tid + "\ndynamic_config:  1\nstatic_config:   0\nstatus:          SUCCESS\nerror:           -\n",
			[]string{"configuration task " + tid + ": EXECUTING (", "configuration task " + tid + ": SUCCESS ("}},
		{"failure", []clienttest.Reply{task("EXECUTING", ""), task("FAILED", "broker 0: config rejected")}, exitError,
			"job_id:          " + tid + "\ndynamic_config:  1\nstatic_config:   0\nstatus:          FAILED\nerror:           broker 0: config rejected\n",
			[]string{"dmsctl: the configuration change of " + iid + " failed (task " + tid + "): broker 0: config rejected\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			fastPoll(t)
			f := newSeqFake(t, map[string]clienttest.Reply{
				"PUT " + ipath + "/configs": replyOK(`{"job_id":"` + tid + `","dynamic_config":1,"static_config":0}`),
			}, map[string][]clienttest.Reply{"GET " + ipath + "/tasks/" + tid: tt.seq})
			r := run(t, "", "instance", "configs", iid, "--set", "min.insync.replicas=2", "--wait").wantCode(t, tt.wantCode)
			allSigned(t, f)
			if n := requestCount(f, "GET "+ipath+"/tasks/"+tid); n != 2 {
				t.Errorf("%d polls of the task, want 2", n)
			}
			if r.stdout != tt.wantOut {
				t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, tt.wantOut)
			}
			mustContain(t, "stderr", r.stderr, tt.wantErr...)
		})
	}
}

// saslInstanceJSON is a SASL_SSL-only instance with public SASL_SSL access, as dmsd shows it: its
// brokers have no plaintext listener, although "port" is still 9092 (the reference's field).
const saslInstanceJSON = `{"instance_id":"` + iid + `","name":"kafka-sasl","status":"RUNNING","engine":"kafka","engine_version":"3.x",` +
	`"broker_num":3,"connect_address":"10.0.0.1,10.0.0.2,10.0.0.3","port":9092,"ssl_enable":true,"kafka_security_protocol":"SASL_SSL",` +
	`"sasl_enabled_mechanisms":["SCRAM-SHA-512","PLAIN"],"access_user":"root1","cross_vpc_info":"{}","enable_acl":false,` +
	`"port_protocols":{"private_plain_enable":false,"private_plain_address":"","private_sasl_ssl_enable":true,` +
	`"private_sasl_ssl_address":"10.0.0.1:9093,10.0.0.2:9093,10.0.0.3:9093","private_sasl_plaintext_enable":false,` +
	`"private_sasl_plaintext_address":"","public_plain_enable":false,"public_sasl_ssl_enable":true,` +
	`"public_sasl_ssl_address":"203.0.113.1:9095,203.0.113.2:9095,203.0.113.3:9095"},` +
	`"opendms":{"engine":"local","kafka_version":"4.3.1","capabilities":{"sasl":true}}}`

// TestInstanceShowListeners (issue 10, bug 1): show prints every listener of port_protocols with its
// protocol, never a plaintext address the brokers do not listen on; -o json and -o yaml print the
// server's whole object.
func TestInstanceShowListeners(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{"GET " + ipath: replyOK(saslInstanceJSON)})
	useFake(t, f, testPID)
	r := run(t, "", "instance", "show", iid).wantCode(t, exitOK)
	mustContain(t, "stdout", r.stdout,
		"listener sasl-ssl:         SASL_SSL 10.0.0.1:9093,10.0.0.2:9093,10.0.0.3:9093\n",
		"listener public-sasl-ssl:  SASL_SSL 203.0.113.1:9095,203.0.113.2:9095,203.0.113.3:9095\n",
		"sasl_mechanisms:           SCRAM-SHA-512,PLAIN\n", "access_user:               root1\n")
	if strings.Contains(r.stdout, ":9092") {
		t.Errorf("show prints a plaintext address of a SASL-only instance:\n%s", r.stdout)
	}

	r = run(t, "", "instance", "show", iid, "-o", "json").wantCode(t, exitOK)
	clienttest.JSONEqual(t, []byte(r.stdout), saslInstanceJSON)
	r = run(t, "", "instance", "show", iid, "-o", "yaml").wantCode(t, exitOK)
	mustContain(t, "yaml", r.stdout, "port_protocols:\n", "  private_sasl_ssl_address: 10.0.0.1:9093,10.0.0.2:9093,10.0.0.3:9093\n",
		"sasl_enabled_mechanisms:\n- SCRAM-SHA-512\n- PLAIN\n", "cross_vpc_info: '{}'\n", "enable_acl: false\n")
}

// TestInstanceCreateAccessModes: the access-mode flags fill port_protocol, the SASL fields and
// public access, with the password from stdin.
func TestInstanceCreateAccessModes(t *testing.T) {
	const base = `"name":"kafka-sasl","engine":"kafka","engine_version":"3.x","broker_num":3,"storage_space":300,` +
		`"vpc_id":"default","security_group_id":"default","subnet_id":"default","available_zones":["az1"],` +
		`"product_id":"c6.2u4g.cluster","storage_spec_code":"dms.physical.storage.ultra.v2"`
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"plaintext", []string{"--plaintext"}, "", `{` + base + `,"port_protocol":{"private_plain_enable":true,"private_sasl_ssl_enable":false,` +
			`"private_sasl_plaintext_enable":false,"public_plain_enable":false,"public_sasl_ssl_enable":false,"public_sasl_plaintext_enable":false}}`},
		{"SASL_SSL with both mechanisms", []string{"--sasl-ssl", "--sasl-mechanisms", "scram-sha-512,PLAIN", "--access-user", "root1", "--password-stdin"},
			"Passw0rd-1!\n", `{` + base + `,"access_user":"root1","password":"Passw0rd-1!","ssl_enable":true,"kafka_security_protocol":"SASL_SSL",` +
				`"sasl_enabled_mechanisms":["SCRAM-SHA-512","PLAIN"],"port_protocol":{"private_plain_enable":false,"private_sasl_ssl_enable":true,` +
				`"private_sasl_plaintext_enable":false,"public_plain_enable":false,"public_sasl_ssl_enable":false,"public_sasl_plaintext_enable":false}}`},
		{"SASL_PLAINTEXT beside plaintext, public SASL", []string{"--plaintext", "--sasl-plaintext", "--public-sasl-plaintext", "--access-user", "root1",
			"--password-stdin", "--public-ip-id", "eip-1"}, "Passw0rd-1!\n",
			`{` + base + `,"access_user":"root1","password":"Passw0rd-1!","ssl_enable":true,"kafka_security_protocol":"SASL_PLAINTEXT",` +
				`"enable_publicip":true,"publicip_id":"eip-1","port_protocol":{"private_plain_enable":true,"private_sasl_ssl_enable":false,` +
				`"private_sasl_plaintext_enable":true,"public_plain_enable":false,"public_sasl_ssl_enable":false,"public_sasl_plaintext_enable":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, map[string]clienttest.Reply{
				"POST " + createAt: replyOK(`{"instance_id":"` + iid + `"}`),
				"GET " + ipath:     replyOK(saslInstanceJSON),
			})
			useFake(t, f, testPID)
			run(t, tt.stdin, append([]string{"instance", "create", "kafka-sasl", "--az", "az1"}, tt.args...)...).wantCode(t, exitOK)
			for _, s := range f.Requests() {
				if s.Method == "POST" {
					clienttest.JSONEqual(t, s.Body, tt.want)
				}
			}
		})
	}
}

// TestInstanceCreateAccessModeErrors: every mistake is reported at once, before any request; a
// SASL mode without a password on stdin and no terminal to ask on is a usage error.
func TestInstanceCreateAccessModeErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--sasl-ssl", "--sasl-plaintext", "--public-sasl-ssl", "--public-sasl-plaintext", "--sasl-mechanisms", "GSSAPI", "--tag", "x",
			"--maintain-begin", "22:00"},
			`dmsctl: --maintain-begin and --maintain-end go together; --tag "x": want key=value; --sasl-ssl and --sasl-plaintext are exclusive; ` +
				`--public-sasl-ssl and --public-sasl-plaintext are exclusive; --sasl-mechanisms: "GSSAPI" is not SCRAM-SHA-512 or PLAIN; ` +
				`SASL access needs --access-user (the instance's administrator)` + "\n"},
		{[]string{"--public-plaintext"}, "dmsctl: public access needs a private access mode too (--plaintext, --sasl-ssl or --sasl-plaintext)\n"},
		{[]string{"--access-user", "root1"}, "dmsctl: --access-user, --sasl-mechanisms and --password-stdin go with a SASL access mode (--sasl-ssl, --sasl-plaintext, ...)\n"},
		{[]string{"--plaintext", "--public-ip-id", "e"}, "dmsctl: --public-ip-id goes with a public access mode\n"},
		{[]string{"--sasl-ssl", "--access-user", "root1"}, "dmsctl: the password of root1 is needed: give it with --password-stdin (stdin is not a terminal to ask on)\n"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, nil)
			useFake(t, f, testPID)
			r := run(t, "", append([]string{"instance", "create", "kafka-sasl", "--az", "az1"}, tt.args...)...).wantCode(t, exitUsage)
			if !strings.HasPrefix(r.stderr, tt.want) {
				t.Errorf("stderr = %q\nwant     %q", r.stderr, tt.want)
			}
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
		})
	}
}

// TestInstanceShowWaitFor: --wait-for follows the instance (status and running task on stderr)
// until it has the status, then shows it; ERROR instead ends with the reason; a timeout says so.
func TestInstanceShowWaitFor(t *testing.T) {
	const tasksJSON = `{"tasks":[{"id":"` + tid + `","name":"createInstance","status":"EXECUTING"}]}`
	for _, tt := range []struct {
		name    string
		seq     []string
		args    []string
		code    int
		wantErr []string
		wantOut string
	}{
		{"RUNNING", []string{"CREATING", "CREATING", "RUNNING"}, nil, exitOK,
			[]string{"instance kafka-demo: CREATING, task createInstance EXECUTING (", "instance kafka-demo: RUNNING ("}, "status:              RUNNING\n"},
		{"lower case", []string{"RUNNING"}, []string{"--wait-for", "running"}, exitOK, []string{"instance kafka-demo: RUNNING ("}, "RUNNING"},
		{"ERROR instead", []string{"CREATING", "ERROR"}, nil, exitError,
			[]string{"dmsctl: instance kafka-demo (" + iid + ") is ERROR: broker 2 did not register\n"}, ""},
		{"timeout", []string{"CREATING"}, []string{"--wait-timeout", "500ms"}, exitError,
			[]string{"dmsctl: gave up waiting after 500ms: instance kafka-demo (" + iid + ") is CREATING, task createInstance EXECUTING, not RUNNING\n"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			fastPoll(t)
			var seq []clienttest.Reply
			for _, st := range tt.seq {
				seq = append(seq, replyOK(instanceJSON(iid, "kafka-demo", st, "broker 2 did not register")))
			}
			f := newSeqFake(t, map[string]clienttest.Reply{"GET " + ipath + "/tasks": replyOK(tasksJSON)}, map[string][]clienttest.Reply{"GET " + ipath: seq})
			args := []string{"instance", "show", iid, "--wait-for", "RUNNING"}
			r := run(t, "", append(args, tt.args...)...).wantCode(t, tt.code)
			allSigned(t, f)
			mustContain(t, "stderr", r.stderr, tt.wantErr...)
			mustContain(t, "stdout", r.stdout, tt.wantOut)
		})
	}
}
