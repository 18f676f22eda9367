package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	kpath      = "/v2/" + testPID + "/kafka/instances/" + iid
	topicsPath = ipath + "/topics"
	byNameList = instances + "?engine=kafka&exact_match_name=true&include_failure=true&limit=50&name=kafka-demo&offset=0"
	topicsJSON = `{"total":3,"size":50,"remain_partitions":741,"max_partitions":750,"topic_max_partitions":200,"topics":[` +
		`{"policiesOnly":false,"name":"orders","replication":3,"partition":6,"retention_time":72,"sync_replication":true,"sync_message_flush":false,` +
		`"external_configs":{},"topic_type":0,"topic_other_configs":[` +
		`{"name":"max.message.bytes","valid_values":"[0...10485760]","default_value":"10485760","config_type":"dynamic","value":"1048576","value_type":"int"},` +
		`{"name":"message.timestamp.type","valid_values":"[CreateTime, LogAppendTime]","default_value":"CreateTime","config_type":"dynamic","value":"CreateTime","value_type":"string"}],` +
		`"topic_desc":"shop orders","created_at":0},` +
		`{"name":"audit","replication":1,"partition":2,"retention_time":24,"sync_replication":false,"sync_message_flush":true,"topic_type":0,"topic_other_configs":[]},` +
		`{"name":"__consumer_offsets","replication":3,"partition":50,"retention_time":168,"topic_type":1,"topic_other_configs":[]}]}`
	detailJSON = `{"topic":"orders","partitions":[` +
		`{"partition":0,"leader":1,"leo":12,"hw":12,"lso":2,"last_update_timestamp":1735787045046,"replicas":[` +
		`{"broker":1,"leader":true,"in_sync":true,"size":4096,"lag":0},{"broker":2,"leader":false,"in_sync":false,"size":1024,"lag":7},` +
		`{"broker":0,"leader":false,"in_sync":true,"size":4096,"lag":0}]},` +
		`{"partition":1,"leader":-1,"leo":0,"hw":0,"lso":0,"last_update_timestamp":0,"replicas":[{"broker":2,"leader":false,"in_sync":false,"size":0,"lag":0}]}],` +
		`"group_subscribed":["billing","audit"]}`
)

// runCase runs dmsctl against a fake that knows replies, checks that every request was signed
// and that the requests were exactly wantPaths ("METHOD path?query"), and returns the result.
func runCase(t *testing.T, replies map[string]clienttest.Reply, code int, wantPaths []string, args ...string) (result, *clienttest.Server) {
	t.Helper()
	isolate(t)
	f := newFakeDMS(t, replies)
	useFake(t, f, testPID)
	r := run(t, "", args...).wantCode(t, code)
	allSigned(t, f)
	if wantPaths != nil {
		if got := strings.Join(requestLines(f), "\n"); got != strings.Join(wantPaths, "\n") {
			t.Errorf("requests:\n%s\nwant\n%s", got, strings.Join(wantPaths, "\n"))
		}
	}
	return r, f
}

// bodyOf returns the body of the only request of f with method.
func bodyOf(t *testing.T, f *clienttest.Server, method string) []byte {
	t.Helper()
	var out []byte
	n := 0
	for _, r := range f.Requests() {
		if r.Method == method {
			out, n = r.Body, n+1
		}
	}
	if n != 1 {
		t.Fatalf("%d %s requests, want 1", n, method)
	}
	return out
}

func TestTopicCreate(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantPaths []string
		wantBody  string
		wantOut   string
	}{
		{"defaults", []string{iid, "orders"}, []string{"POST " + topicsPath}, `{"id":"orders"}`, "Created topic orders.\n"},
		{"every flag, by instance name", []string{"kafka-demo", "orders", "--partitions", "6", "--replicas", "2", "--retention-hours", "24",
			"--sync-replication", "--sync-flush", "--config", "max.message.bytes=1048576", "--config", "message.timestamp.type=LogAppendTime"},
			[]string{"GET " + byNameList, "POST " + topicsPath},
			`{"id":"orders","partition":6,"replication":2,"retention_time":24,"sync_replication":true,"sync_message_flush":true,` +
				`"topic_other_configs":[{"name":"max.message.bytes","value":"1048576"},{"name":"message.timestamp.type","value":"LogAppendTime"}]}`,
			"Created topic orders.\n"},
		{"description", []string{iid, "orders", "--description", "shop orders"}, []string{"POST " + topicsPath}, `{"id":"orders","topic_desc":"shop orders"}`, "Created topic orders.\n"},
		{"json", []string{iid, "orders", "-o", "json"}, []string{"POST " + topicsPath}, `{"id":"orders"}`, "{\n  \"name\": \"orders\"\n}\n"},
		{"yaml", []string{iid, "orders", "-o", "yaml"}, []string{"POST " + topicsPath}, `{"id":"orders"}`, "name: orders\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runCase(t, map[string]clienttest.Reply{
				"GET " + instances:   replyOK(`{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `],"instance_num":1}`),
				"POST " + topicsPath: replyOK(`{"name":"orders"}`),
			}, exitOK, tt.wantPaths, append([]string{"topic", "create"}, tt.args...)...)
			clienttest.JSONEqual(t, bodyOf(t, f, "POST"), tt.wantBody)
			if r.stdout != tt.wantOut || r.stderr != "" {
				t.Errorf("stdout = %q, stderr = %q; want stdout %q", r.stdout, r.stderr, tt.wantOut)
			}
		})
	}
}

func TestTopicUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"topic", "create", iid},
		{"topic", "create", iid, "a", "b"},
		{"topic", "create", iid, "orders", "--config", "novalue"},
		{"topic", "create", iid, "orders", "--config", "=1"},
		{"topic", "create", iid, "orders", "--config", "a=1", "--config", "a=2"},
		{"topic", "create", iid, "orders", "--partitions", "0"},
		{"topic", "create", iid, "orders", "--replicas", "-1"},
		{"topic", "create", iid, "orders", "--retention-hours", "x"},
		{"topic", "list"},
		{"topic", "list", iid, "extra"},
		{"topic", "show", iid},
		{"topic", "update", iid, "orders"},
		{"topic", "update", iid, "orders", "--partitions", "0"},
		{"topic", "update", iid, "orders", "--retention-hours", "0"},
		{"topic", "update", iid, "orders", "--config", "x"},
		{"topic", "delete", iid},
		{"topic", "partitions", iid},
		{"topic", "producers", iid, "a", "b"},
		{"topic", "frobnicate"},
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			_, f := runCase(t, nil, exitUsage, nil, args...)
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
		})
	}
}

func TestTopicAPIErrors(t *testing.T) {
	tests := []struct {
		args      []string
		key       string
		status    int
		code, msg string
	}{
		{[]string{"topic", "create", iid, "orders"}, "POST " + topicsPath, 400, "DMS.00400037", "The topic already exists."},
		{[]string{"topic", "list", iid}, "GET " + topicsPath, 403, "DMS.00403002", "Access denied."},
		{[]string{"topic", "show", iid, "nope"}, "GET " + ipath + "/management/topics/nope", 404, "DMS.00404024", "The topic does not exist."},
		{[]string{"topic", "update", iid, "orders", "--partitions", "2"}, "PUT " + topicsPath, 400, "DMS.00400041", "Partitions can only be added."},
		{[]string{"topic", "delete", iid, "orders"}, "POST " + topicsPath + "/delete", 409, "DMS.00409000", "Busy."},
		{[]string{"topic", "partitions", iid, "nope"}, "GET " + kpath + "/topics/nope/partitions", 404, "DMS.00404024", "The topic does not exist."},
		{[]string{"topic", "producers", iid, "nope"}, "GET " + kpath + "/topics/nope/producers", 404, "DMS.00404024", "The topic does not exist."},
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

func TestTopicList(t *testing.T) {
	replies := map[string]clienttest.Reply{"GET " + topicsPath: replyOK(topicsJSON)}
	r, _ := runCase(t, replies, exitOK, []string{"GET " + topicsPath + "?limit=50&offset=0"}, "topic", "list", iid)
	want := "" +
		"NAME    PARTITIONS  REPLICAS  RETENTION_HOURS  SYNC_REPLICATION  SYNC_FLUSH  CONFIGS                    DESCRIPTION\n" +
		"orders  6           3         72               true              false       max.message.bytes=1048576  shop orders\n" +
		"audit   2           1         24               false             true        -                          -\n" +
		"3 topic(s); partitions: 741 of 750 free, at most 200 per topic.\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}

	r, _ = runCase(t, replies, exitOK, nil, "topic", "list", iid, "--all")
	mustContain(t, "stdout", r.stdout, "__consumer_offsets  50          3         168")

	r, _ = runCase(t, replies, exitOK, nil, "topic", "list", iid, "-o", "json")
	var got struct {
		Total         int `json:"total"`
		MaxPartitions int `json:"max_partitions"`
		Topics        []struct {
			Name      string `json:"name"`
			TopicType int    `json:"topic_type"`
		} `json:"topics"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Total != 3 || got.MaxPartitions != 750 || len(got.Topics) != 3 ||
		got.Topics[2].Name != "__consumer_offsets" || got.Topics[2].TopicType != 1 {
		t.Errorf("json = %+v (%v)\n%s", got, err, r.stdout)
	}

	r, _ = runCase(t, map[string]clienttest.Reply{"GET " + topicsPath: replyOK(`{"total":0,"max_partitions":750,"remain_partitions":750,"topics":[]}`)},
		exitOK, nil, "topic", "list", iid, "-o", "yaml")
	mustContain(t, "stdout", r.stdout, "topics: []\n", "total: 0\n")
}

func TestTopicShow(t *testing.T) {
	r, _ := runCase(t, map[string]clienttest.Reply{"GET " + ipath + "/management/topics/orders": replyOK(detailJSON), "GET " + topicsPath: replyOK(topicsJSON)},
		exitOK, []string{"GET " + ipath + "/management/topics/orders", "GET " + topicsPath + "?limit=50&offset=0"}, "topic", "show", iid, "orders")
	want := "" +
		"topic:            orders\n" +
		"description:      shop orders\n" +
		"partitions:       2\n" +
		"consumer_groups:  billing,audit\n" +
		"\n" +
		"PARTITION  LEADER  REPLICAS  ISR  LSO  HW  LEO  SIZE  LAST_WRITE\n" +
		"0          1       1,2,0     1,0  2    12  12   4096  2025-01-02T03:04:05.046Z\n" +
		"1          -1      2         -    0    0   0    0     -\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}

	r, _ = runCase(t, map[string]clienttest.Reply{"GET " + ipath + "/management/topics/a b": replyOK(detailJSON)}, exitOK, nil,
		"topic", "show", iid, "a b", "-o", "json")
	mustContain(t, "stdout", r.stdout, `"topic": "orders"`, `"in_sync": false`, `"group_subscribed": [`)
}

func TestTopicUpdate(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantBody string
	}{
		{"partitions", []string{"--partitions", "12"}, `{"topics":[{"id":"orders","new_partition_numbers":12}]}`},
		{"retention and configs", []string{"--retention-hours", "24", "--config", "message.timestamp.type=LogAppendTime"},
			`{"topics":[{"id":"orders","retention_time":24,"topic_other_configs":[{"name":"message.timestamp.type","value":"LogAppendTime"}]}]}`},
		{"replication switches off", []string{"--sync-replication=false", "--sync-flush=false"},
			`{"topics":[{"id":"orders","sync_replication":false,"sync_message_flush":false}]}`},
		{"replication switches on", []string{"--sync-replication", "--sync-flush"},
			`{"topics":[{"id":"orders","sync_replication":true,"sync_message_flush":true}]}`},
		{"description", []string{"--description", "shop orders"}, `{"topics":[{"id":"orders","topic_desc":"shop orders"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runCase(t, map[string]clienttest.Reply{"PUT " + topicsPath: {Status: 204}}, exitOK, []string{"PUT " + topicsPath},
				append([]string{"topic", "update", iid, "orders"}, tt.args...)...)
			clienttest.JSONEqual(t, bodyOf(t, f, "PUT"), tt.wantBody)
			if r.stdout != "Updated topic orders.\n" {
				t.Errorf("stdout = %q", r.stdout)
			}
		})
	}
	r, _ := runCase(t, map[string]clienttest.Reply{"PUT " + topicsPath: {Status: 204}}, exitOK, nil,
		"topic", "update", iid, "orders", "--partitions", "3", "-o", "json")
	if r.stdout != "" {
		t.Errorf("json stdout = %q, want nothing", r.stdout)
	}
}

func TestTopicDelete(t *testing.T) {
	del := "POST " + topicsPath + "/delete"
	r, f := runCase(t, map[string]clienttest.Reply{del: replyOK(`{"topics":[{"id":"orders","success":true},{"id":"audit","success":true}]}`)},
		exitOK, []string{del}, "topic", "delete", iid, "orders", "audit")
	clienttest.JSONEqual(t, bodyOf(t, f, "POST"), `{"topics":["orders","audit"]}`)
	if want := "TOPIC   RESULT\norders  deleted\naudit   deleted\n"; r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}

	r, _ = runCase(t, map[string]clienttest.Reply{del: replyOK(`{"topics":[{"id":"orders","success":true},{"id":"nope","success":false}]}`)},
		exitError, nil, "topic", "delete", iid, "orders", "nope", "-o", "json")
	clienttest.JSONEqual(t, []byte(r.stdout), `[{"id":"orders","success":true},{"id":"nope","success":false}]`)
	if r.stderr != "dmsctl: 1 of 2 topics were not deleted\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
}

func TestTopicPartitions(t *testing.T) {
	path := kpath + "/topics/orders/partitions"
	r, _ := runCase(t, map[string]clienttest.Reply{"GET " + path: replyOK(`{"total":2,"partitions":[` +
		`{"partition":0,"start_offset":2,"last_offset":12,"message_count":10,"last_update_time":1735787045046},` +
		`{"partition":1,"start_offset":0,"last_offset":0,"message_count":0,"last_update_time":0}]}`)},
		exitOK, []string{"GET " + path}, "topic", "partitions", iid, "orders")
	want := "" +
		"PARTITION  START_OFFSET  END_OFFSET  MESSAGES  LAST_UPDATE\n" +
		"0          2             12          10        2025-01-02T03:04:05.046Z\n" +
		"1          0             0           0         -\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}
	r, _ = runCase(t, map[string]clienttest.Reply{"GET " + path: replyOK(`{"total":0,"partitions":[]}`)}, exitOK, nil,
		"topic", "partitions", iid, "orders", "-o", "json")
	if r.stdout != "[]\n" {
		t.Errorf("json stdout = %q", r.stdout)
	}
}

func TestTopicProducers(t *testing.T) {
	path := kpath + "/topics/orders/producers"
	r, _ := runCase(t, map[string]clienttest.Reply{"GET " + path: replyOK(`{"total":2,"producers":[` +
		`{"producer_address":"","broker_address":"127.20.0.1:9092","join_time":1735787045046,"producer_id":7,"producer_epoch":0,"partition":1,"last_sequence":4},` +
		`{"producer_address":"10.0.0.9:50122","broker_address":"10.0.0.1:9092","join_time":1735787046000}]}`)},
		exitOK, []string{"GET " + path}, "topic", "producers", iid, "orders")
	want := "" +
		"PRODUCER        BROKER           JOIN_TIME                 PRODUCER_ID  EPOCH  PARTITION  LAST_SEQUENCE\n" +
		"-               127.20.0.1:9092  2025-01-02T03:04:05.046Z  7            0      1          4\n" +
		"10.0.0.9:50122  10.0.0.1:9092    2025-01-02T03:04:06.000Z  -            -      -          -\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}
}
