package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/opendms/opendms/internal/dms"
)

func tpI64(v int64) *int64 { return &v }

// quotaPath is the path of 5.2.13-5.2.16.
func (ce *clusterEnv) quotaPath() string {
	return "/v2/kafka/" + ce.ProjectID + "/instances/" + ce.id + "/kafka-user-client-quota"
}

// quotaJob sends a quota write as raw JSON (the reference's hyphenated keys, or anything else) and
// returns its job_id after checking the 200.
func quotaJob(t *testing.T, ce *clusterEnv, method string, body string) string {
	t.Helper()
	resp, b := ce.do(t, method, ce.quotaPath(), []byte(body))
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, body, resp.StatusCode, b)
	}
	var out struct {
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.JobID == "" {
		t.Fatalf("%s %s: answer %s", method, body, b)
	}
	return out.JobID
}

// waitQuotaTask waits for a quota task through the SDK's 5.9.2 and checks it succeeded.
func waitQuotaTask(t *testing.T, ce *clusterEnv, jobID, wantName string) model.ListBackgroundTasksRespTasks {
	t.Helper()
	task := waitTask(t, ce.sdk, ce.id, jobID)
	if deref(task.Status) != "SUCCESS" || deref(task.Name) != wantName {
		t.Fatalf("task %s: %s %s (params %s)", jobID, deref(task.Name), deref(task.Status), deref(task.Params))
	}
	return task
}

// sdkQuotas lists the quotas through the SDK (5.2.14), all of them.
func sdkQuotas(t *testing.T, ce *clusterEnv) []model.QuotaResp {
	t.Helper()
	resp, err := ce.sdk.ShowKafkaUserClientQuota(&model.ShowKafkaUserClientQuotaRequest{InstanceId: ce.id})
	if err != nil {
		t.Fatal(err)
	}
	qs := deref(resp.Quotas)
	if int(deref(resp.Count)) != len(qs) {
		t.Fatalf("count %d, %d quotas", deref(resp.Count), len(qs))
	}
	return qs
}

// fmtQuota is "user|user-default|client|client-default producer consumer".
func fmtQuota(q model.QuotaResp) string {
	return fmt.Sprintf("%s|%t|%s|%t %d %d", deref(q.User), deref(q.UserDefault), deref(q.Client), deref(q.ClientDefault),
		deref(q.ProducerByteRate), deref(q.ConsumerByteRate))
}

// kafkaQuotas describes every client quota of the cluster with kadm, bypassing OpenDMS, in the
// same notation as fmtQuota.
func kafkaQuotas(t *testing.T, ce *clusterEnv) map[string]bool {
	t.Helper()
	ds, err := ce.adm.DescribeClientQuotas(context.Background(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range ds {
		var user, client string
		var userDef, clientDef bool
		for _, c := range d.Entity {
			switch c.Type {
			case "user":
				userDef = c.Name == nil
				if c.Name != nil {
					user = *c.Name
				}
			case "client-id":
				clientDef = c.Name == nil
				if c.Name != nil {
					client = *c.Name
				}
			}
		}
		var p, c float64
		for _, v := range d.Values {
			switch v.Key {
			case "producer_byte_rate":
				p = v.Value
			case "consumer_byte_rate":
				c = v.Value
			}
		}
		out[fmt.Sprintf("%s|%t|%s|%t %d %d", user, userDef, client, clientDef, int64(p), int64(c))] = true
	}
	return out
}

func TestQuotasAPI(t *testing.T) {
	ce := newClusterEnv(t, "kafka-quotas")
	// The embedded engine keeps quotas without enforcing them, and says so.
	resp, b := ce.do(t, "GET", "/v2/"+ce.ProjectID+"/instances/"+ce.id, nil)
	var shown struct {
		OpenDMS struct {
			Capabilities struct {
				Quotas *bool `json:"quotas"`
			} `json:"capabilities"`
		} `json:"opendms"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &shown) != nil || shown.OpenDMS.Capabilities.Quotas == nil || *shown.OpenDMS.Capabilities.Quotas {
		t.Fatalf("instance capabilities: %d %s", resp.StatusCode, b)
	}
	if qs := sdkQuotas(t, ce); len(qs) != 0 {
		t.Fatalf("a new instance has quotas: %v", qs)
	}

	// Create every shape: four through the SDK (underscored keys), four as the reference writes them
	// (hyphenated keys, "" beside the defaults, as its examples).
	sdkCreates := []model.CreateKafkaUserClientQuotaTaskReq{
		{User: tpStr("alice"), ProducerByteRate: tpI64(1048576)},
		{Client: tpStr("app"), ConsumerByteRate: tpI64(2097152)},
		{User: tpStr("alice"), Client: tpStr("app"), UserDefault: tpBool(false), ProducerByteRate: tpI64(300), ConsumerByteRate: tpI64(400)},
		{UserDefault: tpBool(true), ProducerByteRate: tpI64(5000)},
	}
	for i, body := range sdkCreates {
		resp, err := ce.sdk.CreateKafkaUserClientQuotaTask(&model.CreateKafkaUserClientQuotaTaskRequest{InstanceId: ce.id, Body: &body})
		if err != nil {
			t.Fatalf("create %v: %v", body, err)
		}
		task := waitQuotaTask(t, ce, deref(resp.JobId), "createUserClientQuota")
		// 5.9 shows what the task does, in the reference's names.
		if p := deref(task.Params); i == 0 && p != `{"user":"alice","producer-byte-rate":1048576}` {
			t.Errorf("task params %s", p)
		}
	}
	for _, body := range []string{
		`{"user":"","client":"","user-default":false,"client-default":true,"producer-byte-rate":3145728,"consumer-byte-rate":2097152}`,
		`{"user":"","client":"app","user-default":true,"client-default":false,"consumer-byte-rate":10}`,
		`{"user":"bob","client":"","client-default":true,"producer-byte-rate":20}`,
		`{"user-default":true,"client-default":true,"producer-byte-rate":30,"consumer-byte-rate":40}`,
	} {
		waitQuotaTask(t, ce, quotaJob(t, ce, "POST", body), "createUserClientQuota")
	}
	want := []string{ // by user (none, default, names), then client (none, default, names)
		"|false||true 3145728 2097152",
		"|false|app|false 0 2097152",
		"|true||false 5000 0",
		"|true||true 30 40",
		"|true|app|false 0 10",
		"alice|false||false 1048576 0",
		"alice|false|app|false 300 400",
		"bob|false||true 20 0",
	}
	checkQuotas := func(want []string) {
		t.Helper()
		qs := sdkQuotas(t, ce)
		var got []string
		for _, q := range qs {
			got = append(got, fmtQuota(q))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("quotas through the SDK:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The cluster has exactly these: the API did the real thing.
		inKafka := kafkaQuotas(t, ce)
		if len(inKafka) != len(want) {
			t.Fatalf("the cluster has %d quotas, want %d: %v", len(inKafka), len(want), inKafka)
		}
		for _, w := range want {
			if !inKafka[w] {
				t.Fatalf("the cluster lacks %s: %v", w, inKafka)
			}
		}
	}
	checkQuotas(want)

	// The raw answer has every key, hyphenated, as the reference shows it.
	resp, b = ce.do(t, "GET", ce.quotaPath()+"?offset=0&limit=1", nil)
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) !=
		`{"count":8,"quotas":[{"user":"","client":"","user-default":false,"client-default":true,"producer-byte-rate":3145728,"consumer-byte-rate":2097152}]}` {
		t.Fatalf("raw list: %d %s", resp.StatusCode, b)
	}
	// Paging: offset and limit over the sorted list; count is the total.
	page, err := ce.sdk.ShowKafkaUserClientQuota(&model.ShowKafkaUserClientQuotaRequest{InstanceId: ce.id, Offset: tpI32(2), Limit: tpI32(3)})
	if err != nil || deref(page.Count) != 8 || len(deref(page.Quotas)) != 3 || fmtQuota(deref(page.Quotas)[0]) != want[2] || fmtQuota(deref(page.Quotas)[2]) != want[4] {
		t.Fatalf("page: %v %v", page, err)
	}
	page, err = ce.sdk.ShowKafkaUserClientQuota(&model.ShowKafkaUserClientQuotaRequest{InstanceId: ce.id, Offset: tpI32(20)})
	if err != nil || deref(page.Count) != 8 || page.Quotas == nil || len(*page.Quotas) != 0 {
		t.Fatalf("page past the end: %v %v", page, err)
	}

	// Modify: the rates given change, the other stays.
	mod, err := ce.sdk.UpdateKafkaUserClientQuotaTask(&model.UpdateKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.UpdateKafkaUserClientQuotaTaskReq{User: tpStr("alice"), ConsumerByteRate: tpI64(777)}})
	if err != nil {
		t.Fatal(err)
	}
	waitQuotaTask(t, ce, deref(mod.JobId), "modifyUserClientQuota")
	waitQuotaTask(t, ce, quotaJob(t, ce, "PUT", `{"user-default":true,"client-default":true,"producer-byte-rate":31}`), "modifyUserClientQuota")
	want[5] = "alice|false||false 1048576 777"
	want[3] = "|true||true 31 40"
	checkQuotas(want)

	// Delete: through the SDK (a DELETE with a body) and as the reference writes it.
	del, err := ce.sdk.DeleteKafkaUserClientQuotaTask(&model.DeleteKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.DeleteKafkaUserClientQuotaTaskReq{User: tpStr("alice"), Client: tpStr("app")}})
	if err != nil {
		t.Fatal(err)
	}
	waitQuotaTask(t, ce, deref(del.JobId), "deleteUserClientQuota")
	waitQuotaTask(t, ce, quotaJob(t, ce, "DELETE", `{"user":"","client":"","user-default":false,"client-default":true}`), "deleteUserClientQuota")
	want = append(want[1:6], want[7])
	checkQuotas(want)

	// Create what exists, modify or delete what does not: refused before any task.
	before := len(modifyTasksNamed(t, ce))
	_, err = ce.sdk.CreateKafkaUserClientQuotaTask(&model.CreateKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.CreateKafkaUserClientQuotaTaskReq{User: tpStr("alice"), ProducerByteRate: tpI64(1)}})
	wantSDKError(t, err, 409, dms.CodeQuotaExists)
	_, err = ce.sdk.UpdateKafkaUserClientQuotaTask(&model.UpdateKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.UpdateKafkaUserClientQuotaTaskReq{User: tpStr("alice"), Client: tpStr("app"), ProducerByteRate: tpI64(1)}})
	wantSDKError(t, err, 404, dms.CodeQuotaNotFound)
	_, err = ce.sdk.DeleteKafkaUserClientQuotaTask(&model.DeleteKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.DeleteKafkaUserClientQuotaTaskReq{ClientDefault: tpBool(true)}})
	wantSDKError(t, err, 404, dms.CodeQuotaNotFound)
	// A quota set with Kafka's own tools is the API's too.
	name := "carol"
	if _, err := ce.adm.AlterClientQuotas(context.Background(), []kadm.AlterClientQuotaEntry{{Entity: kadm.ClientQuotaEntity{{Type: "user", Name: &name}},
		Ops: []kadm.AlterClientQuotaOp{{Key: "consumer_byte_rate", Value: 123}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = ce.sdk.CreateKafkaUserClientQuotaTask(&model.CreateKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.CreateKafkaUserClientQuotaTaskReq{User: tpStr("carol"), ProducerByteRate: tpI64(1)}})
	wantSDKError(t, err, 409, dms.CodeQuotaExists)
	if after := len(modifyTasksNamed(t, ce)); after != before {
		t.Fatalf("refused requests made tasks: %d, then %d", before, after)
	}
	checkQuotas(append(want, "carol|false||false 0 123"))
}

// modifyTasksNamed returns the ids of the instance's quota tasks.
func modifyTasksNamed(t *testing.T, ce *clusterEnv) []string {
	t.Helper()
	resp, err := ce.sdk.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: ce.id, Limit: tpI32(100)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, task := range deref(resp.Tasks) {
		if strings.HasSuffix(deref(task.Name), "UserClientQuota") {
			ids = append(ids, deref(task.Id))
		}
	}
	return ids
}

func TestQuotasAPIValidation(t *testing.T) {
	ce := newClusterEnv(t, "kafka-quota-bad")
	waitQuotaTask(t, ce, quotaJob(t, ce, "POST", `{"user":"alice","producer_byte_rate":100}`), "createUserClientQuota")
	tasksBefore := len(modifyTasksNamed(t, ce))
	const invalid = dms.CodeInvalidParameter
	tests := []struct {
		name   string
		method string
		body   string
		status int
		code   string
	}{
		{"empty body", "POST", ``, 400, dms.CodeBodyEmpty},
		{"not JSON", "POST", `{"user":`, 400, dms.CodeBodyNotJSON},
		{"rate as a string", "POST", `{"user":"u","producer-byte-rate":"100"}`, 400, dms.CodeBodyInvalidKey},
		{"rate as a fraction", "PUT", `{"user":"alice","producer_byte_rate":1.5}`, 400, dms.CodeBodyInvalidKey},
		{"rate beyond int64", "POST", `{"user":"u","consumer_byte_rate":9223372036854775808}`, 400, dms.CodeBodyInvalidKey},
		{"default as a string", "DELETE", `{"user-default":"true"}`, 400, dms.CodeBodyInvalidKey},
		{"no entity", "POST", `{"producer-byte-rate":100}`, 400, invalid},
		{"no entity, empty names", "DELETE", `{"user":"","client":"","user-default":false,"client-default":false}`, 400, invalid},
		{"user and user-default", "POST", `{"user":"u","user-default":true,"producer-byte-rate":100}`, 400, invalid},
		{"user and user_default", "DELETE", `{"user":"alice","user_default":true}`, 400, invalid},
		{"client and client-default", "PUT", `{"client":"c","client-default":true,"producer-byte-rate":100}`, 400, invalid},
		{"client and client_default", "POST", `{"client":"c","client_default":true,"producer_byte_rate":100}`, 400, invalid},
		{"no rate", "POST", `{"user":"u"}`, 400, invalid},
		{"no rate to modify", "PUT", `{"user":"alice"}`, 400, invalid},
		{"zero rate", "POST", `{"user":"u","producer-byte-rate":0}`, 400, invalid},
		{"negative rate", "PUT", `{"user":"alice","consumer_byte_rate":-1}`, 400, invalid},
		{"rate above 2^53", "POST", `{"user":"u","producer-byte-rate":9007199254740993}`, 400, invalid},
		{"spellings disagree", "POST", `{"user":"u","producer-byte-rate":100,"producer_byte_rate":200}`, 400, invalid},
		{"default spellings disagree", "DELETE", `{"user-default":true,"user_default":false}`, 400, invalid},
		{"name <default>", "POST", `{"client":"<default>","producer-byte-rate":100}`, 400, invalid},
		{"name too long", "POST", `{"user":"` + strings.Repeat("u", 256) + `","producer-byte-rate":100}`, 400, invalid},
		{"validation comes before existence", "POST", `{"user":"alice","producer-byte-rate":0}`, 400, invalid},
		{"create existing", "POST", `{"user":"alice","producer-byte-rate":5}`, 409, dms.CodeQuotaExists},
		{"modify missing", "PUT", `{"user":"bob","producer-byte-rate":5}`, 404, dms.CodeQuotaNotFound},
		{"delete missing", "DELETE", `{"client":"alice"}`, 404, dms.CodeQuotaNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := ce.do(t, tt.method, ce.quotaPath(), []byte(tt.body))
			wantDMSError(t, resp.StatusCode, b, tt.status, tt.code)
			if msg := decodeError(t, b).ErrorMsg; msg == "" {
				t.Errorf("no error message: %s", b)
			}
		})
	}
	// Both spellings agreeing are one field.
	waitQuotaTask(t, ce, quotaJob(t, ce, "PUT", `{"user":"alice","producer-byte-rate":7,"producer_byte_rate":7}`), "modifyUserClientQuota")
	if qs := sdkQuotas(t, ce); len(qs) != 1 || fmtQuota(qs[0]) != "alice|false||false 7 0" {
		t.Fatalf("quotas: %v", qs)
	}

	// Through the SDK too.
	_, err := ce.sdk.CreateKafkaUserClientQuotaTask(&model.CreateKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.CreateKafkaUserClientQuotaTaskReq{User: tpStr("u"), UserDefault: tpBool(true), ProducerByteRate: tpI64(1)}})
	wantSDKError(t, err, 400, invalid)
	_, err = ce.sdk.UpdateKafkaUserClientQuotaTask(&model.UpdateKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.UpdateKafkaUserClientQuotaTaskReq{User: tpStr("alice")}})
	wantSDKError(t, err, 400, invalid)
	_, err = ce.sdk.DeleteKafkaUserClientQuotaTask(&model.DeleteKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.DeleteKafkaUserClientQuotaTaskReq{}})
	wantSDKError(t, err, 400, invalid)
	_, err = ce.sdk.ShowKafkaUserClientQuota(&model.ShowKafkaUserClientQuotaRequest{InstanceId: ce.id, Offset: tpI32(-1)})
	wantSDKError(t, err, 400, invalid)
	_, err = ce.sdk.ShowKafkaUserClientQuota(&model.ShowKafkaUserClientQuotaRequest{InstanceId: ce.id, Limit: tpI32(0)})
	wantSDKError(t, err, 400, invalid)
	// An instance that does not exist.
	_, err = ce.sdk.ShowKafkaUserClientQuota(&model.ShowKafkaUserClientQuotaRequest{InstanceId: "00000000-0000-0000-0000-000000000000"})
	wantSDKError(t, err, 404, dms.CodeInstanceNotFound)
	_, err = ce.sdk.CreateKafkaUserClientQuotaTask(&model.CreateKafkaUserClientQuotaTaskRequest{InstanceId: "00000000-0000-0000-0000-000000000000",
		Body: &model.CreateKafkaUserClientQuotaTaskReq{User: tpStr("u"), ProducerByteRate: tpI64(1)}})
	wantSDKError(t, err, 404, dms.CodeInstanceNotFound)

	if after := len(modifyTasksNamed(t, ce)); after != tasksBefore+1 {
		t.Fatalf("tasks: %d before, %d after one valid request", tasksBefore, after)
	}
}

// Quota requests are checked against what the accepted tasks will leave: of creates of one quota
// sent together exactly one is accepted (the rest 409), and a modify or delete sent right after the
// create finds the quota, before its task has run.
func TestQuotaRequestsTogether(t *testing.T) {
	ce := newClusterEnv(t, "kafka-quotas-together")
	const callers = 20
	var accepted, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Rates differ so no two requests carry the same signature (identical ones sent at once
			// on several connections are refused as replays).
			_, err := ce.sdk.CreateKafkaUserClientQuotaTask(&model.CreateKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
				Body: &model.CreateKafkaUserClientQuotaTaskReq{User: tpStr("carol"), ProducerByteRate: tpI64(int64(1000 + i))}})
			var se *sdkerr.ServiceResponseError
			switch {
			case err == nil:
				accepted.Add(1)
			case errors.As(err, &se) && se.StatusCode == 409 && se.ErrorCode == dms.CodeQuotaExists:
				conflicts.Add(1)
			default:
				t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 1 || conflicts.Load() != callers-1 {
		t.Fatalf("%d creates of one quota accepted, %d conflicts; want 1 and %d", accepted.Load(), conflicts.Load(), callers-1)
	}
	// A create, then at once a modify and a delete of the same new quota: both accepted.
	if _, err := ce.sdk.CreateKafkaUserClientQuotaTask(&model.CreateKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.CreateKafkaUserClientQuotaTaskReq{User: tpStr("dave"), ProducerByteRate: tpI64(100)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.sdk.UpdateKafkaUserClientQuotaTask(&model.UpdateKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.UpdateKafkaUserClientQuotaTaskReq{User: tpStr("dave"), ProducerByteRate: tpI64(200)}}); err != nil {
		t.Fatalf("modify right after the create: %v", err)
	}
	if _, err := ce.sdk.DeleteKafkaUserClientQuotaTask(&model.DeleteKafkaUserClientQuotaTaskRequest{InstanceId: ce.id,
		Body: &model.DeleteKafkaUserClientQuotaTaskReq{User: tpStr("dave")}}); err != nil {
		t.Fatalf("delete right after the modify: %v", err)
	}
}
