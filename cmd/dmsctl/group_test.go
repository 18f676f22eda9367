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
	groupsJSON  = `{"groups":[{"createdAt":0,"group_id":"billing","state":"Stable","coordinator_id":2,"group_desc":"","lag":7},` +
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
	}
	tests := []struct {
		name      string
		args      []string
		wantPaths []string
		wantOut   string
	}{
		{"list", []string{"list", iid}, []string{"GET " + groupsPath + "?limit=50&offset=0"}, "" +
			"GROUP    STATE   LAG  COORDINATOR\n" +
			"billing  Stable  7    2\n" +
			"audit    Empty   0    0\n"},
		{"list by instance name, --name", []string{"list", "kafka-demo", "--name", "bill"},
			[]string{"GET " + byNameList, "GET " + groupsPath + "?group=bill&limit=50&offset=0"}, "" +
				"GROUP    STATE   LAG  COORDINATOR\n" +
				"billing  Stable  7    2\n" +
				"audit    Empty   0    0\n"},
		{"list json", []string{"list", iid, "-o", "json"}, nil, "" +
			`[` + "\n" +
			`  {` + "\n" +
			`    "createdAt": 0,` + "\n" +
			`    "group_id": "billing",` + "\n" +
			`    "state": "Stable",` + "\n" +
			`    "coordinator_id": 2,` + "\n" +
			`    "group_desc": "",` + "\n" +
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
		{"show", []string{"show", iid, "billing"}, []string{"GET " + ipath + "/management/groups/billing"}, "" +
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
			"TOPIC   PARTITION  COMMITTED  END  LAG\n" +
			"orders  0          9          12   3\n" +
			"orders  1          -          4    4\n"},
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
		{"group", "delete", iid, "billing"},
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			_, f := runCase(t, nil, exitUsage, nil, args...)
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
		})
	}
}
