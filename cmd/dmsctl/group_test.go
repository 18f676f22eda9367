package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	groupsPath  = ipath + "/groups"
	kgroupsPath = "/v2/kafka/" + testPID + "/instances/" + iid + "/groups"
	groupsJSON  = `{"groups":[{"createdAt":1735689600000,"group_id":"billing","state":"Stable","coordinator_id":2,"group_desc":"shop invoices","lag":7},` +
		`{"createdAt":0,"group_id":"audit","state":"Empty","coordinator_id":0,"group_desc":"","lag":0}],"total":2}`
	groupDetailJSON = `{"group":{"group_id":"billing","state":"Stable","coordinator_id":2,"assignment_strategy":"range","members":[` +
		`{"host":"/10.0.0.9","member_id":"c-1","client_id":"shop","assignment":[{"topic":"orders","partitions":[0,1]},{"topic":"audit","partitions":[2]}]},` +
		`{"host":"/10.0.0.10","member_id":"c-2","client_id":"shop","assignment":[]}],"group_message_offsets":[` +
		`{"partition":0,"lag":3,"topic":"orders","message_current_offset":9,"message_log_end_offset":12},` +
		`{"partition":1,"lag":4,"topic":"orders","message_current_offset":-1,"message_log_end_offset":4}]}}`
)

func TestGroupCommands(t *testing.T) {
	replies := map[string]clienttest.Reply{
		"GET " + instances:                             replyOK(`{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `],"instance_num":1}`),
		"GET " + groupsPath:                            replyOK(groupsJSON),
		"GET " + ipath + "/management/groups/billing":  replyOK(groupDetailJSON),
		"GET " + ipath + "/management/groups/idle":     replyOK(`{"group":{"group_id":"idle","state":"Empty","coordinator_id":1,"assignment_strategy":"","members":[],"group_message_offsets":[]}}`),
		"GET " + kgroupsPath + "/billing/topics":       replyOK(`{"topics":[{"topic":"orders","partitions":6,"lag":7}],"total":1}`),
		"GET " + kgroupsPath + "/billing/members":      replyOK(`{"members":[{"member_id":"c-1","client_id":"shop","host":"/10.0.0.9"}],"total":1}`),
		"GET " + kgroupsPath + "/billing group/topics": replyOK(`{"topics":[],"total":0}`),
		// orders has a partition the group neither committed nor has assigned; audit's cannot be listed.
		"GET " + kpath + "/topics/orders/partitions": replyOK(`{"partitions":[{"partition":0},{"partition":1},{"partition":2}],"total":3}`),
		"GET " + kpath + "/topics/audit/partitions":  replyError(403, "DMS.00403002", "Access denied."),
	}
	tests := []struct {
		name      string
		args      []string
		wantPaths []string
		wantOut   string
	}{
		{"list", []string{"list", iid}, []string{"GET " + groupsPath + "?limit=50&offset=0"}, "" +
			"GROUP    STATE   LAG  COORDINATOR  DESCRIPTION\n" +
			"billing  Stable  7    2            shop invoices\n" +
			"audit    Empty   0    0            -\n"},
		{"list by instance name, --name", []string{"list", "kafka-demo", "--name", "bill"},
			[]string{"GET " + byNameList, "GET " + groupsPath + "?group=bill&limit=50&offset=0"}, "" +
				"GROUP    STATE   LAG  COORDINATOR  DESCRIPTION\n" +
				"billing  Stable  7    2            shop invoices\n" +
				"audit    Empty   0    0            -\n"},
		{"list json", []string{"list", iid, "-o", "json"}, nil, "" +
			`[` + "\n" +
			`  {` + "\n" +
			`    "createdAt": 1735689600000,` + "\n" +
			`    "group_id": "billing",` + "\n" +
			`    "state": "Stable",` + "\n" +
			`    "coordinator_id": 2,` + "\n" +
			`    "group_desc": "shop invoices",` + "\n" +
			`    "lag": 7` + "\n" +
			`  },` + "\n" +
			`  {` + "\n" +
			`    "createdAt": 0,` + "\n" +
			`    "group_id": "audit",` + "\n" +
			`    "state": "Empty",` + "\n" +
			`    "coordinator_id": 0,` + "\n" +
			`    "group_desc": "",` + "\n" +
			`    "lag": 0` + "\n" +
			`  }` + "\n" +
			`]` + "\n"},
		{"show", []string{"show", iid, "billing"}, []string{"GET " + ipath + "/management/groups/billing",
			"GET " + kpath + "/topics/orders/partitions", "GET " + kpath + "/topics/audit/partitions"}, "" +
			"group:        billing\n" +
			"state:        Stable\n" +
			"coordinator:  2\n" +
			"strategy:     range\n" +
			"members:      2\n" +
			"lag:          7\n" +
			"\n" +
			"MEMBER  CLIENT  HOST        ASSIGNMENT\n" +
			"c-1     shop    /10.0.0.9   orders:0,1 audit:2\n" +
			"c-2     shop    /10.0.0.10  -\n" +
			"\n" +
			"TOPIC   PARTITION  COMMITTED      END  LAG\n" +
			"orders  0          9              12   3\n" +
			"orders  1          not committed  4    4\n" +
			"orders  2          not committed  -    -\n"},
		{"show empty group", []string{"show", "kafka-demo", "idle"}, []string{"GET " + byNameList, "GET " + ipath + "/management/groups/idle"}, "" +
			"group:        idle\n" +
			"state:        Empty\n" +
			"coordinator:  1\n" +
			"strategy:     -\n" +
			"members:      0\n" +
			"lag:          0\n"},
		{"topics", []string{"topics", iid, "billing"}, []string{"GET " + kgroupsPath + "/billing/topics?limit=50&offset=0"}, "" +
			"TOPIC   PARTITIONS  LAG\n" +
			"orders  6           7\n"},
		{"topics escaped, yaml", []string{"topics", iid, "billing group", "-o", "yaml"}, []string{"GET " + kgroupsPath + "/billing group/topics?limit=50&offset=0"}, "[]\n"},
		{"consumers", []string{"consumers", iid, "billing"}, []string{"GET " + kgroupsPath + "/billing/members?limit=50&offset=0"}, "" +
			"MEMBER  CLIENT  HOST\n" +
			"c-1     shop    /10.0.0.9\n"},
		{"consumers json", []string{"consumers", iid, "billing", "-o", "json"}, nil, "" +
			`[` + "\n" +
			`  {` + "\n" +
			`    "member_id": "c-1",` + "\n" +
			`    "client_id": "shop",` + "\n" +
			`    "host": "/10.0.0.9"` + "\n" +
			`  }` + "\n" +
			`]` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := runCase(t, replies, exitOK, tt.wantPaths, append([]string{"group"}, tt.args...)...)
			if r.stdout != tt.wantOut || r.stderr != "" {
				t.Errorf("stdout =\n%s\nwant\n%s\nstderr = %q", r.stdout, tt.wantOut, r.stderr)
			}
		})
	}
}

func TestGroupShowJSON(t *testing.T) {
	r, _ := runCase(t, map[string]clienttest.Reply{"GET " + ipath + "/management/groups/billing": replyOK(groupDetailJSON)}, exitOK, nil,
		"group", "show", iid, "billing", "-o", "json")
	mustContain(t, "stdout", r.stdout, `"assignment_strategy": "range"`, `"message_current_offset": -1`, `"partitions": [`)
}

func TestGroupAPIErrors(t *testing.T) {
	tests := []struct {
		args      []string
		key       string
		status    int
		code, msg string
	}{
		{[]string{"group", "list", iid}, "GET " + groupsPath, 403, "DMS.00403002", "Access denied."},
		{[]string{"group", "show", iid, "nope"}, "GET " + ipath + "/management/groups/nope", 404, "DMS.00404022", "The consumer group does not exist."},
		{[]string{"group", "topics", iid, "nope"}, "GET " + kgroupsPath + "/nope/topics", 404, "DMS.00404022", "The consumer group does not exist."},
		{[]string{"group", "consumers", iid, "nope"}, "GET " + kgroupsPath + "/nope/members", 404, "DMS.00404022", "The consumer group does not exist."},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			r, f := runCase(t, map[string]clienttest.Reply{tt.key: replyError(tt.status, tt.code, tt.msg)}, exitError, nil, tt.args...)
			if n := len(f.Requests()); n != 1 {
				t.Errorf("%d requests, want 1: %v", n, requestLines(f))
			}
			want := fmt.Sprintf("dmsctl: %s: %s (HTTP %d, request id req-1234)\n", tt.code, tt.msg, tt.status)
			if r.stderr != want || r.stdout != "" {
				t.Errorf("stdout = %q, stderr = %q; want stderr %q", r.stdout, r.stderr, want)
			}
		})
	}
}

func TestGroupUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"group", "list"},
		{"group", "list", iid, "extra"},
		{"group", "show", iid},
		{"group", "show", iid, "a", "b"},
		{"group", "topics", iid},
		{"group", "consumers"},
		{"group", "create", iid},
		{"group", "create", iid, "a", "b"},
		{"group", "update", iid, "billing"},
		{"group", "update", iid, "--description", "x"},
		{"group", "delete", iid},
		{"group", "reset-offset", iid, "billing", "--to-earliest"},
		{"group", "reset-offset", iid, "billing", "--topic", "orders"},
		{"group", "reset-offset", iid, "billing", "--topic", "orders", "--to-earliest", "--to-latest"},
		{"group", "reset-offset", iid, "billing", "--topic", "orders", "--offset", "3", "--timestamp", "5"},
		{"group", "reset-offset", iid, "billing", "--topic", "orders", "--offset", "x"},
		{"group", "reset-offset", iid, "billing", "--topic", "orders", "--timestamp", "-1"},
		{"group", "reset-offset", iid, "billing", "--topic", "orders", "--timestamp", "2025-01-01"},
		{"group", "reset-offset", iid, "billing", "--topic", "orders", "--partition", "-2", "--to-latest"},
		{"group", "reset-offset", iid, "--topic", "orders", "--to-latest"},
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			_, f := runCase(t, nil, exitUsage, nil, args...)
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
		})
	}
}

func TestGroupWriteCommands(t *testing.T) {
	create, reset := "POST "+kpath+"/group", "PUT "+kgroupsPath+"/billing/reset-message-offset"
	replies := map[string]clienttest.Reply{
		"GET " + instances:                     replyOK(`{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `],"instance_num":1}`),
		create:                                 {Status: 200, Body: "success", Header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		"PUT " + kgroupsPath + "/billing":      {Status: 200},
		"DELETE " + kgroupsPath + "/billing":   {Status: 200},
		"POST " + groupsPath + "/batch-delete": replyOK(`{"failed_groups":[],"total":0}`),
		reset:                                  {Status: 204},
	}
	tests := []struct {
		name      string
		args      []string
		wantPaths []string
		wantBody  string // of the last request ("" for none)
		wantOut   string
	}{
		{"create", []string{"create", iid, "billing"}, []string{create}, `{"group_name":"billing"}`, "Created consumer group billing.\n"},
		{"create with a description, by instance name", []string{"create", "kafka-demo", "billing", "--description", "shop invoices"},
			[]string{"GET " + byNameList, create}, `{"group_name":"billing","group_desc":"shop invoices"}`, "Created consumer group billing.\n"},
		{"create json", []string{"create", iid, "billing", "-o", "json"}, []string{create}, `{"group_name":"billing"}`, "{\n  \"name\": \"billing\"\n}\n"},
		{"update", []string{"update", iid, "billing", "--description", "refunds too"}, []string{"PUT " + kgroupsPath + "/billing"},
			`{"group_desc":"refunds too"}`, "Updated consumer group billing.\n"},
		{"update clears", []string{"update", iid, "billing", "--description", ""}, []string{"PUT " + kgroupsPath + "/billing"},
			`{"group_desc":""}`, "Updated consumer group billing.\n"},
		{"update json says nothing", []string{"update", iid, "billing", "--description", "x", "-o", "json"}, nil, `{"group_desc":"x"}`, ""},
		{"delete one", []string{"delete", iid, "billing"}, []string{"DELETE " + kgroupsPath + "/billing"}, "", "Deleted consumer group billing.\n"},
		{"delete several", []string{"delete", iid, "billing", "audit", "billing"}, []string{"POST " + groupsPath + "/batch-delete"},
			`{"group_ids":["billing","audit","billing"]}`, "" +
				"GROUP    RESULT   ERROR\n" +
				"billing  deleted  -\n" +
				"audit    deleted  -\n"},
		{"reset to the earliest", []string{"reset-offset", iid, "billing", "--topic", "orders", "--to-earliest"}, []string{reset},
			`{"topic":"orders","partition":-1,"message_offset":0}`,
			"Reset consumer group billing on topic orders (every partition) to the earliest offset.\n"},
		{"reset one partition to the latest", []string{"reset-offset", iid, "billing", "--topic", "orders", "--partition", "2", "--to-latest"}, []string{reset},
			`{"topic":"orders","partition":2,"message_offset":9223372036854775807}`,
			"Reset consumer group billing on topic orders (partition 2) to the latest offset.\n"},
		{"reset to an offset", []string{"reset-offset", iid, "billing", "--topic", "orders", "--offset", "1500"}, []string{reset},
			`{"topic":"orders","partition":-1,"message_offset":1500}`,
			"Reset consumer group billing on topic orders (every partition) to offset 1500.\n"},
		{"reset to a time, by instance name", []string{"reset-offset", "kafka-demo", "billing", "--topic", "orders", "--timestamp", "1735689600000"},
			[]string{"GET " + byNameList, reset}, `{"topic":"orders","partition":-1,"timestamp":1735689600000}`,
			"Reset consumer group billing on topic orders (every partition) to the first message at or after 2025-01-01T00:00:00.000Z.\n"},
		{"reset to an RFC 3339 time", []string{"reset-offset", iid, "billing", "--topic", "orders", "--timestamp", "2025-01-01T08:00:00.5+08:00"},
			[]string{reset}, `{"topic":"orders","partition":-1,"timestamp":1735689600500}`,
			"Reset consumer group billing on topic orders (every partition) to the first message at or after 2025-01-01T00:00:00.500Z.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runCase(t, replies, exitOK, tt.wantPaths, append([]string{"group"}, tt.args...)...)
			last := f.Last()
			if tt.wantBody == "" {
				if len(last.Body) != 0 {
					t.Errorf("body = %q, want none", last.Body)
				}
			} else {
				clienttest.JSONEqual(t, last.Body, tt.wantBody)
			}
			if r.stdout != tt.wantOut || r.stderr != "" {
				t.Errorf("stdout =\n%s\nwant\n%s\nstderr = %q", r.stdout, tt.wantOut, r.stderr)
			}
		})
	}
}

func TestGroupDeleteFailures(t *testing.T) {
	batch := "POST " + groupsPath + "/batch-delete"
	r, _ := runCase(t, map[string]clienttest.Reply{batch: replyOK(`{"failed_groups":[{"group_id":"audit",` +
		`"error_message":"The consumer group audit has active members (NON_EMPTY_GROUP): stop its consumers first."}],"total":1}`)},
		exitError, []string{batch}, "group", "delete", iid, "billing", "audit")
	want := "" +
		"GROUP    RESULT   ERROR\n" +
		"billing  deleted  -\n" +
		"audit    failed   The consumer group audit has active members (NON_EMPTY_GROUP): stop its consumers first.\n"
	if r.stdout != want || r.stderr != "dmsctl: 1 of 2 consumer groups were not deleted\n" {
		t.Errorf("stdout =\n%s\nwant\n%s\nstderr = %q", r.stdout, want, r.stderr)
	}
	r, _ = runCase(t, map[string]clienttest.Reply{batch: replyOK(`{"failed_groups":[{"group_id":"nope","error_message":"gone"}],"total":1}`)},
		exitError, nil, "group", "delete", iid, "billing", "nope", "-o", "json")
	clienttest.JSONEqual(t, []byte(r.stdout), `[{"group_id":"billing","deleted":true},{"group_id":"nope","deleted":false,"error_message":"gone"}]`)

	// One group: the API's error as it is.
	del := "DELETE " + kgroupsPath + "/nope"
	r, _ = runCase(t, map[string]clienttest.Reply{del: replyError(404, "DMS.10240405", "The consumer group nope does not exist.")}, exitError, []string{del},
		"group", "delete", iid, "nope")
	if want := "dmsctl: DMS.10240405: The consumer group nope does not exist. (HTTP 404, request id req-1234)\n"; r.stderr != want || r.stdout != "" {
		t.Errorf("stdout = %q, stderr = %q; want stderr %q", r.stdout, r.stderr, want)
	}
	create := "POST " + kpath + "/group"
	r, _ = runCase(t, map[string]clienttest.Reply{create: replyError(400, "DMS.10240018", "The consumer group billing already exists.")}, exitError, nil,
		"group", "create", iid, "billing")
	if want := "dmsctl: DMS.10240018: The consumer group billing already exists. (HTTP 400, request id req-1234)\n"; r.stderr != want {
		t.Errorf("stderr = %q, want %q", r.stderr, want)
	}
}
