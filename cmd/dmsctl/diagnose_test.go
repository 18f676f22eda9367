package main

import (
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	diagTasks    = kpath + "/message-diagnosis-tasks"
	diagReportID = "7f1c2a9e-0b5d-4c4e-8f0a-3c2d1e0f9a8b"
	diagListJSON = `{"report_list":[{"report_id":"` + diagReportID + `","status":"abnormal","begin_time":"2026-11-28T07:00:00.000Z",` +
		`"end_time":"2026-11-28T07:01:00.000Z","group_name":"billing","topic_name":"orders","accumulated_partitions":2}],"total_num":1}`
	diagReportJSON = `{"abnormal_item_num":1,"failed_item_num":1,"normal_item_num":1,"diagnosis_dimension_list":[` +
		`{"name":"consumer","abnormal_num":1,"failed_num":0,"diagnosis_item_list":[` +
		`{"name":"consumer_online","result":"abnormal","cause_ids":[{"id":101,"params":{"GROUP":"billing","TOPIC":"orders"}}],` +
		`"advice_ids":[{"id":501,"params":{}}],"partitions":[1,2],"failed_partitions":[],"broker_ids":[]},` +
		`{"name":"rebalance","result":"normal","cause_ids":[],"advice_ids":[],"partitions":[],"failed_partitions":[],"broker_ids":[]}]},` +
		`{"name":"server","abnormal_num":0,"failed_num":1,"diagnosis_item_list":[` +
		`{"name":"partition_leader","result":"failed","cause_ids":[],"advice_ids":[],"partitions":[],"failed_partitions":[0,1],"broker_ids":[]}]}]}`
	diagReportText = "" +
		"REPORT:                 " + diagReportID + "\n" +
		"STATUS:                 abnormal\n" +
		"GROUP:                  billing\n" +
		"TOPIC:                  orders\n" +
		"BEGIN:                  2026-11-28T07:00:00.000Z\n" +
		"END:                    2026-11-28T07:01:00.000Z\n" +
		"BACKLOGGED PARTITIONS:  2\n" +
		"ITEMS:                  1 abnormal, 1 failed, 1 normal\n" +
		"\n" +
		"[consumer] consumer_online: ABNORMAL\n" +
		"  cause:  The consumer group billing has no active consumer: nothing consumes orders.\n" +
		"  advice: Start the consumers of the group, or delete the group if it is no longer used.\n" +
		"  partitions: 1,2\n" +
		"\n" +
		"[server] partition_leader: FAILED\n" +
		"  not diagnosed: partitions 0,1\n" +
		"\n" +
		"normal: rebalance\n"
)

func TestDiagnoseCommands(t *testing.T) {
	replies := map[string]clienttest.Reply{
		"GET " + instances:    replyOK(`{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `],"instance_num":1}`),
		"POST " + diagTasks:   replyOK(`{"report_id":"` + diagReportID + `"}`),
		"GET " + diagTasks:    replyOK(diagListJSON),
		"DELETE " + diagTasks: replyOK(`{"results":[{"result":true,"id":"` + diagReportID + `"}]}`),
		"GET " + kpath + "/message-diagnosis/" + diagReportID: replyOK(diagReportJSON),
		"GET " + kpath + "/diagnosis-check":                   replyOK(precheckJSON),
	}
	list := "GET " + diagTasks + "?limit=50&offset=0"
	tests := []struct {
		name      string
		args      []string
		wantPaths []string
		wantBody  string // of the first request with a body
		wantOut   string
	}{
		{"start", []string{iid, "billing", "orders"}, []string{"POST " + diagTasks}, `{"group_name":"billing","topic_name":"orders"}`,
			"REPORT:  " + diagReportID + "\n"},
		{"start and wait, by instance name", []string{"kafka-demo", "billing", "orders", "--wait"},
			[]string{"GET " + byNameList, "POST " + diagTasks, list, "GET " + kpath + "/message-diagnosis/" + diagReportID},
			`{"group_name":"billing","topic_name":"orders"}`, diagReportText},
		{"show", []string{"show", iid, diagReportID}, []string{list, "GET " + kpath + "/message-diagnosis/" + diagReportID}, "", diagReportText},
		{"list", []string{"list", iid}, []string{list}, "", "" +
			"REPORT                                STATUS    GROUP    TOPIC   BACKLOGGED  BEGIN                     END\n" +
			diagReportID + "  abnormal  billing  orders  2           2026-11-28T07:00:00.000Z  2026-11-28T07:01:00.000Z\n"},
		{"precheck", []string{"precheck", iid, "billing", "orders"}, []string{"GET " + kpath + "/diagnosis-check?group=billing&topic=orders"}, "", "" +
			"CHECK         PASSED  DETAIL\n" +
			"BROKER        true    every broker answers\n" +
			"SUBSCRIPTION  false   partitions without a consumer of the group: 0,1,2\n" +
			"LAG           false   backlog of 205 messages on 2 partitions (below)\n" +
			"PRODUCE       false   2.5 messages/s produced over the minute since 2025-01-02T03:04:05.046Z, feeding the backlog\n" +
			"\n" +
			"PARTITION  LAG\n" +
			"1          200\n" +
			"10         5\n"},
		{"delete", []string{"delete", iid, diagReportID}, []string{"DELETE " + diagTasks}, `{"report_id_list":["` + diagReportID + `"]}`, "" +
			"REPORT                                DELETED\n" +
			diagReportID + "  true\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runCase(t, replies, exitOK, tt.wantPaths, append([]string{"diagnose"}, tt.args...)...)
			if r.stdout != tt.wantOut {
				t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, tt.wantOut)
			}
			if tt.wantBody != "" {
				for _, req := range f.Requests() {
					if len(req.Body) > 0 {
						if got := strings.TrimSpace(string(req.Body)); got != tt.wantBody {
							t.Errorf("body = %s, want %s", got, tt.wantBody)
						}
						break
					}
				}
			}
		})
	}
}

func TestDiagnoseFailures(t *testing.T) {
	// A failed diagnosis is exit status 1 after the report; a report the server did not delete too.
	failedList := strings.Replace(diagListJSON, `"abnormal"`, `"failed"`, 1)
	r, _ := runCase(t, map[string]clienttest.Reply{
		"POST " + diagTasks: replyOK(`{"report_id":"` + diagReportID + `"}`),
		"GET " + diagTasks:  replyOK(failedList),
		"GET " + kpath + "/message-diagnosis/" + diagReportID: replyOK(`{"abnormal_item_num":0,"failed_item_num":0,"normal_item_num":0,"diagnosis_dimension_list":[]}`),
	}, exitError, nil, "diagnose", iid, "billing", "orders", "--wait")
	mustContain(t, "stdout", r.stdout, "STATUS:                 failed")
	mustContain(t, "stderr", r.stderr, "diagnosis "+diagReportID+" failed")

	r, _ = runCase(t, map[string]clienttest.Reply{
		"DELETE " + diagTasks: replyOK(`{"results":[{"result":false,"id":"nope"}]}`),
	}, exitError, nil, "diagnose", "delete", iid, "nope")
	mustContain(t, "stderr", r.stderr, "not deleted (no such report): nope")

	r, _ = runCase(t, map[string]clienttest.Reply{
		"POST " + diagTasks: replyError(404, "DMS.10240405", "The consumer group nope does not exist."),
	}, exitError, nil, "diagnose", iid, "nope", "orders")
	mustContain(t, "stderr", r.stderr, "DMS.10240405")

	for _, args := range [][]string{
		{"diagnose", iid},
		{"diagnose", iid, "billing"},
		{"diagnose", iid, "billing", "orders", "extra"},
		{"diagnose", "show", iid},
		{"diagnose", "delete", iid},
		{"diagnose", "precheck", iid, "billing"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, f := runCase(t, nil, exitUsage, nil, args...)
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
		})
	}
}

// precheckJSON is a pre-check as dmsd answers it: reasons are data (5.11.1).
const precheckJSON = `[{"name":"BROKER","reason":"","success":true},{"name":"SUBSCRIPTION","reason":"0,1,2","success":false},` +
	`{"name":"LAG","reason":"{\"1\":200,\"10\":5}","success":false},{"name":"PRODUCE","reason":"{\"1735787045046\":2.5}","success":false}]`

// TestDiagnosePrecheckErrors: a reason that is not data (an error) is shown as it is.
func TestDiagnosePrecheckErrors(t *testing.T) {
	r, _ := runCase(t, map[string]clienttest.Reply{"GET " + kpath + "/diagnosis-check": replyOK(`[{"name":"BROKER","reason":"2","success":false},` +
		`{"name":"SUBSCRIPTION","reason":"describe group: timeout","success":false},{"name":"LAG","reason":"describe group: timeout","success":false}]`)},
		exitOK, nil, "diagnose", "precheck", iid, "audit", "orders")
	want := "" +
		"CHECK         PASSED  DETAIL\n" +
		"BROKER        false   brokers not answering: 2\n" +
		"SUBSCRIPTION  false   describe group: timeout\n" +
		"LAG           false   describe group: timeout\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}
}
