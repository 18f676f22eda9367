package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
)

// setManagerPassword sets an instance's Kafka Manager password through 5.2.2 with the official SDK,
// as the tests that sign in to it need; the user is then "admin" (a V2 instance).
func setManagerPassword(t testing.TB, c *kafka.KafkaClient, id, pw string) {
	t.Helper()
	if _, err := c.ResetManagerPassword(&model.ResetManagerPasswordRequest{InstanceId: id, Body: &model.ResetManagerPasswordReq{NewPassword: &pw}}); err != nil {
		t.Fatalf("5.2.2 on %s: %v", id, err)
	}
}

// managerSignIn posts a Kafka Manager sign-in (no credentials: the route is authNone).
func (e *testEnv) managerSignIn(t *testing.T, instanceID, user, password string) (*http.Response, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"instance_id": instanceID, "user": user, "password": password})
	req, _ := http.NewRequest("POST", e.URL+managerTokensPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return send(t, req)
}

// scopedToken signs in to an instance's Kafka Manager and returns the token, checking the answer.
func (e *testEnv) scopedToken(t *testing.T, instanceID, user, password string) string {
	t.Helper()
	resp, b := e.managerSignIn(t, instanceID, user, password)
	if resp.StatusCode != 201 {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, b)
	}
	var out managerTokenBody
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	tok := out.Token
	exp, err := time.Parse(keystoneTime, tok.ExpiresAt)
	if err != nil || !exp.After(time.Now()) || tok.InstanceID != instanceID || tok.Project.ID != e.ProjectID || tok.User.Name != user {
		t.Fatalf("sign-in body %s (expiry %v)", b, err)
	}
	v := resp.Header.Get("X-Subject-Token")
	if v == "" {
		t.Fatal("no X-Subject-Token")
	}
	return v
}

// tokenRequest sends a request with an X-Auth-Token and an optional JSON body.
func (e *testEnv) tokenRequest(t *testing.T, token, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, e.URL+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", token)
	return send(t, req)
}

// showAddress is the instance's management_connect_address in 5.1.3 and in 7.1.1.2.
func showAddress(t *testing.T, e *testEnv, id string) (v2, v1 string) {
	t.Helper()
	got, err := e.kafkaClient(t).ShowInstance(&model.ShowInstanceRequest{InstanceId: id})
	if err != nil {
		t.Fatal(err)
	}
	_, m, b := v1Show(t, e, id)
	a, ok := m["management_connect_address"].(string)
	if !ok {
		t.Fatalf("V1 show has no management_connect_address string: %s", b)
	}
	return deref(got.ManagementConnectAddress), a
}

// The three Kafka Manager APIs through the official SDK: 5.2.2 validates and sets the password
// (giving a V2 instance the user "admin"), 5.2.3 and 5.2.12 end the scoped sign-ins made before,
// 5.2.12 removes the address and refuses sign-ins while IAM users keep the instance, 5.2.2 enables
// it again; unknown instances and wrong states get their DMS codes.
func TestKafkaManagerAPIs(t *testing.T) {
	e := newTestEnvOn(t, "embedded")
	c := e.kafkaClient(t)
	id := runningInstance(t, e, "km-api")
	wantAddr := e.URL + "/console/#/km/" + id

	// Created through 5.1.1: no manager user or password, no address, no sign-in.
	if v2, v1 := showAddress(t, e, id); v2 != "" || v1 != "" {
		t.Fatalf("address before any password: %q %q", v2, v1)
	}
	// Without a password the instance answers as an unknown one would: a sign-in does not tell
	// whether an instance id exists.
	resp, b := e.managerSignIn(t, id, "admin", "Mgr-pass1")
	wantDMSError(t, resp.StatusCode, b, 401, dms.CodeTokenInvalid)

	reset := func(instanceID, pw string) error {
		_, err := c.ResetManagerPassword(&model.ResetManagerPasswordRequest{InstanceId: instanceID, Body: &model.ResetManagerPasswordReq{NewPassword: &pw}})
		return err
	}
	for _, tc := range []struct{ name, pw, code string }{
		{"empty", "", dms.CodeInvalidParameter},
		{"too short", "Ab1-xyz", dms.CodePasswordComplexity},
		{"too long", "Ab1-" + strings.Repeat("x", 29), dms.CodePasswordComplexity},
		{"two kinds", "abcdefgh1234", dms.CodePasswordComplexity},
		{"leading hyphen", "-Abcdefg1", dms.CodePasswordComplexity},
		{"character outside the set", "Abcdefg1é", dms.CodePasswordComplexity},
	} {
		t.Run("bad password/"+tc.name, func(t *testing.T) { wantSDKError(t, reset(id, tc.pw), 400, tc.code) })
	}
	unknown := uuid.NewString()
	wantSDKError(t, reset(unknown, "Mgr-pass1"), 404, dms.CodeInstanceNotFound)
	_, err := c.RestartManager(&model.RestartManagerRequest{InstanceId: unknown})
	wantSDKError(t, err, 404, dms.CodeInstanceNotFound)
	_, err = c.CloseKafkaManager(&model.CloseKafkaManagerRequest{InstanceId: unknown})
	wantSDKError(t, err, 404, dms.CodeInstanceNotFound)

	// 5.2.2 on a V2 instance: the password is set, the user is "admin", the address appears.
	res, err := c.ResetManagerPassword(&model.ResetManagerPasswordRequest{InstanceId: id, Body: &model.ResetManagerPasswordReq{NewPassword: ptrS("Mgr-pass1")}})
	if err != nil || res.HttpStatusCode != 204 {
		t.Fatalf("5.2.2: %+v %v", res, err)
	}
	if v2, v1 := showAddress(t, e, id); v2 != wantAddr || v1 != wantAddr {
		t.Fatalf("address = %q (V2), %q (V1), want %q", v2, v1, wantAddr)
	}
	stored, err := e.Store.GetInstance(context.Background(), id)
	if err != nil || !iam.CheckPassword(stored.KafkaManagerPasswordHash, "Mgr-pass1") || strings.Contains(stored.KafkaManagerPasswordHash, "Mgr-pass1") || stored.KafkaManagerUser != "admin" {
		t.Fatalf("stored manager state: user %q hash %q (%v)", stored.KafkaManagerUser, stored.KafkaManagerPasswordHash, err)
	}
	_, raw := e.do(t, "GET", "/v2/"+e.ProjectID+"/instances/"+id, nil)
	if bytes.Contains(raw, []byte("pbkdf2")) || bytes.Contains(raw, []byte("kafka_manager_hash")) {
		t.Fatalf("show-instance exposes the hash: %s", raw)
	}

	for _, tc := range []struct{ name, user, pw string }{
		{"wrong password", "admin", "Mgr-pass2"},
		{"wrong user", "root", "Mgr-pass1"},
		{"unknown instance", "admin", "Mgr-pass1"},
	} {
		inst := id
		if tc.name == "unknown instance" {
			inst = unknown
		}
		resp, b := e.managerSignIn(t, inst, tc.user, tc.pw)
		wantDMSError(t, resp.StatusCode, b, 401, dms.CodeTokenInvalid)
	}
	resp, b = e.managerSignIn(t, id, "admin", "")
	wantDMSError(t, resp.StatusCode, b, 400, dms.CodeInvalidParameter)

	showPath := "/v2/" + e.ProjectID + "/instances/" + id
	works := func(tok, when string) {
		t.Helper()
		if resp, b := e.tokenRequest(t, tok, "GET", showPath, nil); resp.StatusCode != 200 {
			t.Fatalf("scoped token %s: %d %s", when, resp.StatusCode, b)
		}
	}
	ended := func(tok, when string) {
		t.Helper()
		resp, b := e.tokenRequest(t, tok, "GET", showPath, nil)
		wantDMSError(t, resp.StatusCode, b, 401, dms.CodeTokenInvalid)
	}

	// 5.2.2 again: the sign-ins made with the old password end; the old password no longer works.
	tok := e.scopedToken(t, id, "admin", "Mgr-pass1")
	works(tok, "after sign-in")
	if err := reset(id, "Mgr-pass2"); err != nil {
		t.Fatal(err)
	}
	ended(tok, "after 5.2.2")
	resp, b = e.managerSignIn(t, id, "admin", "Mgr-pass1")
	wantDMSError(t, resp.StatusCode, b, 401, dms.CodeTokenInvalid)

	// 5.2.3: success with the instance id; the sign-ins made before end.
	tok = e.scopedToken(t, id, "admin", "Mgr-pass2")
	works(tok, "after the new sign-in")
	rr, err := c.RestartManager(&model.RestartManagerRequest{InstanceId: id})
	if err != nil || rr.HttpStatusCode != 200 || deref(rr.Result) != "success" || deref(rr.InstanceId) != id {
		t.Fatalf("5.2.3: %+v %v", rr, err)
	}
	ended(tok, "after 5.2.3")

	// 5.2.12: disabled. Sign-ins end and are refused, the address is gone, IAM users keep the
	// instance; 5.2.3 is refused; 5.2.12 again succeeds.
	tok = e.scopedToken(t, id, "admin", "Mgr-pass2")
	cr, err := c.CloseKafkaManager(&model.CloseKafkaManagerRequest{InstanceId: id})
	if err != nil || cr.HttpStatusCode != 200 {
		t.Fatalf("5.2.12: %+v %v", cr, err)
	}
	ended(tok, "after 5.2.12")
	resp, b = e.managerSignIn(t, id, "admin", "Mgr-pass2")
	wantDMSError(t, resp.StatusCode, b, 400, dms.CodeInstanceStatusForbids)
	// Only the right credentials learn that it is disabled.
	resp, b = e.managerSignIn(t, id, "admin", "Wrong-pass2")
	wantDMSError(t, resp.StatusCode, b, 401, dms.CodeTokenInvalid)
	if v2, v1 := showAddress(t, e, id); v2 != "" || v1 != "" {
		t.Fatalf("address after 5.2.12: %q %q", v2, v1)
	}
	if _, err := c.ListInstanceTopics(&model.ListInstanceTopicsRequest{InstanceId: id}); err != nil {
		t.Fatalf("an IAM user lost the instance with its manager: %v", err)
	}
	_, err = c.RestartManager(&model.RestartManagerRequest{InstanceId: id})
	wantSDKError(t, err, 400, dms.CodeInstanceStatusForbids)
	if _, err = c.CloseKafkaManager(&model.CloseKafkaManagerRequest{InstanceId: id}); err != nil {
		t.Fatalf("5.2.12 on a disabled manager: %v", err)
	}

	// 5.2.2 enables it again.
	if err := reset(id, "Mgr-pass3"); err != nil {
		t.Fatal(err)
	}
	if v2, _ := showAddress(t, e, id); v2 != wantAddr {
		t.Fatalf("address after re-enabling: %q", v2)
	}
	works(e.scopedToken(t, id, "admin", "Mgr-pass3"), "after re-enabling")

	// Not RUNNING: each API refuses with the status code.
	release := e.Gate.hold()
	br, err := c.BatchRestartOrDeleteInstances(&model.BatchRestartOrDeleteInstancesRequest{Body: &model.BatchRestartOrDeleteInstanceReq{
		Instances: &[]string{id}, Action: model.GetBatchRestartOrDeleteInstanceReqActionEnum().RESTART}})
	if err != nil || deref((*br.Results)[0].Result) != "success" {
		release()
		t.Fatalf("restart: %+v, %v", br, err)
	}
	waitInstance(t, c, id, "RESTARTING")
	err1 := reset(id, "Mgr-pass4")
	_, err2 := c.RestartManager(&model.RestartManagerRequest{InstanceId: id})
	_, err3 := c.CloseKafkaManager(&model.CloseKafkaManagerRequest{InstanceId: id})
	release()
	for _, err := range []error{err1, err2, err3} {
		wantSDKError(t, err, 400, dms.CodeInstanceStatusForbids)
	}
	waitInstance(t, c, id, "RUNNING")

	// Failed sign-ins count for the IAM login limits: the sixth wrong password in a row is locked.
	var last *http.Response
	for range 6 {
		last, b = e.managerSignIn(t, id, "admin", "Wrong-pass9")
	}
	wantDMSError(t, last.StatusCode, b, 429, dms.CodeLoginLocked)
	if last.Header.Get("Retry-After") == "" {
		t.Error("a locked sign-in has no Retry-After")
	}
}

// An instance made through 7.1.1.1 has its manager user and password from creation, kept hashed; a
// password kept sealed by an older dmsd is hashed at start and its sealed copy dropped (one that
// cannot be unsealed stays until 5.2.2 replaces it).
func TestKafkaManagerV1AndMigration(t *testing.T) {
	e := newTestEnvOn(t, "embedded")
	resp, b := e.do(t, "POST", e.v1Path(""), v1CreateBody(e, "km-v1"))
	if resp.StatusCode != 200 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var created struct {
		InstanceID string `json:"instance_id"`
	}
	json.Unmarshal(b, &created)
	id := created.InstanceID
	m := waitInstanceV1(t, e, id, "RUNNING")
	if m["kafka_manager_user"] != "manager_1" || m["management_connect_address"] != e.URL+"/console/#/km/"+id {
		t.Fatalf("V1 show: user %v address %v", m["kafka_manager_user"], m["management_connect_address"])
	}
	e.scopedToken(t, id, "manager_1", "Mgr-pass1x")

	// As an older dmsd stored it: sealed with the master key, no hash.
	ctx := context.Background()
	in, err := e.Store.GetInstance(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := iam.NewSealer(bytes.Repeat([]byte{7}, 32)) // the test env's master key
	in.KafkaManagerPasswordHash, in.SealedManagerPassword = "", sealer.Seal([]byte("Old-pass12"))
	if err := e.Store.UpdateInstance(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := e.Instances.MigrateManagerPasswords(ctx); err != nil {
		t.Fatal(err)
	}
	in, err = e.Store.GetInstance(ctx, id)
	if err != nil || len(in.SealedManagerPassword) != 0 || !iam.CheckPassword(in.KafkaManagerPasswordHash, "Old-pass12") {
		t.Fatalf("after the migration: sealed %d bytes, hash %q, %v", len(in.SealedManagerPassword), in.KafkaManagerPasswordHash, err)
	}
	tok := e.scopedToken(t, id, "manager_1", "Old-pass12")

	// A sealed password that cannot be unsealed (another master key) is left as it was, and the
	// manager has no password meanwhile; 5.2.2 then replaces it, sealed copy included.
	other, _ := iam.NewSealer(bytes.Repeat([]byte{8}, 32))
	in.KafkaManagerPasswordHash, in.SealedManagerPassword = "", other.Seal([]byte("Lost-pass12"))
	if err := e.Store.UpdateInstance(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := e.Instances.MigrateManagerPasswords(ctx); err != nil {
		t.Fatal(err)
	}
	if in, err = e.Store.GetInstance(ctx, id); err != nil || len(in.SealedManagerPassword) == 0 || in.KafkaManagerPasswordHash != "" {
		t.Fatalf("an unsealable password after the migration: sealed %d bytes, hash %q, %v", len(in.SealedManagerPassword), in.KafkaManagerPasswordHash, err)
	}
	pw := "New-pass12"
	setManagerPassword(t, e.kafkaClient(t), id, pw)
	if in, err = e.Store.GetInstance(ctx, id); err != nil || len(in.SealedManagerPassword) != 0 || !iam.CheckPassword(in.KafkaManagerPasswordHash, pw) || in.KafkaManagerUser != "manager_1" {
		t.Fatalf("after 5.2.2: sealed %d bytes, user %q, %v", len(in.SealedManagerPassword), in.KafkaManagerUser, err)
	}
	tok = e.scopedToken(t, id, "manager_1", pw)

	// A deleted instance's sign-ins end with it.
	if resp, b := e.do(t, "DELETE", e.v1Path("/"+id), nil); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, b)
	}
	resp, b = e.tokenRequest(t, tok, "GET", e.v1Path(""), nil)
	wantDMSError(t, resp.StatusCode, b, 401, dms.CodeTokenInvalid)
}

// management_connect_address is built on dmsd's endpoint, or on the request's scheme and host when
// there is none or it is a wildcard listener's.
func TestManagementAddressBase(t *testing.T) {
	in := dms.Instance{ID: "i-1", KafkaManagerPasswordHash: "h"}
	for _, tc := range []struct{ public, want string }{
		{"", "http://dms.test:9780/console/#/km/i-1"},
		{"https://dms.example.com/", "https://dms.example.com/console/#/km/i-1"},
		{"http://10.0.0.5:9780", "http://10.0.0.5:9780/console/#/km/i-1"},
		{"http://0.0.0.0:9780", "http://dms.test:9780/console/#/km/i-1"},
		{"http://[::]:9780", "http://dms.test:9780/console/#/km/i-1"},
	} {
		s := &Server{cfg: Config{PublicURL: tc.public}}
		r, _ := http.NewRequest("GET", "http://dms.test:9780/v2/p/instances/i-1", nil)
		if got := s.managementAddress(r, in); got != tc.want {
			t.Errorf("PublicURL %q: %q, want %q", tc.public, got, tc.want)
		}
	}
	disabled := in
	disabled.KafkaManagerDisabled = true
	r, _ := http.NewRequest("GET", "http://dms.test/", nil)
	if got := (&Server{}).managementAddress(r, disabled); got != "" {
		t.Errorf("disabled manager: %q", got)
	}
	if got := (&Server{}).managementAddress(r, dms.Instance{ID: "i-2"}); got != "" {
		t.Errorf("no password: %q", got)
	}
}

// What a scoped token may call, over HTTP: reads and CMAK's writes on its instance, the listings
// showing it alone; everything else is refused with the policy denial's 403 (another project: the
// token/project mismatch 401).
func TestKafkaManagerScope(t *testing.T) {
	e := newTestEnvOn(t, "embedded")
	c := e.kafkaClient(t)
	a := runningInstance(t, e, "km-scope-a")
	other := runningInstance(t, e, "km-scope-b")
	pw := "Mgr-pass1"
	setManagerPassword(t, c, a, pw)
	otherProject := e.newProject(t, "km-other")
	// A consumer group for the group writes below (5.6.4 is not a scoped write).
	for _, g := range []string{"km-g", "km-g2"} {
		if resp, b := e.do(t, "POST", "/v2/"+e.ProjectID+"/kafka/instances/"+a+"/group", map[string]any{"group_name": g}); resp.StatusCode != 200 {
			t.Fatalf("create group: %d %s", resp.StatusCode, b)
		}
	}
	tok := e.scopedToken(t, a, "admin", pw)
	p := e.ProjectID
	inst := "/v2/" + p + "/instances/" + a

	const allowed = 0
	tests := []struct {
		method, path string
		body         any
		status       int // allowed: authorization passed (any answer but 401/403/5xx); else the exact status
		code         string
	}{
		// reads of the instance, the listings, the catalog, whoami
		{"GET", inst, nil, 200, ""},
		{"GET", inst + "/topics", nil, 200, ""},
		{"GET", inst + "/groups", nil, 200, ""},
		{"GET", inst + "/users", nil, allowed, ""}, // 400: the instance has no SASL (authorization passed)
		{"GET", inst + "/tasks", nil, 200, ""},
		{"GET", "/v2/" + p + "/instances", nil, 200, ""},
		{"GET", "/v1.0/" + p + "/instances", nil, 200, ""},
		{"GET", "/v2/available-zones", nil, 200, ""},
		{"GET", "/v2/kafka/products/cores?instance_id=" + a, nil, 200, ""}, // the instance named in the query: its own
		{"GET", adminPrefix + "/whoami", nil, 200, ""},
		// CMAK's writes
		{"POST", inst + "/topics", map[string]any{"id": "km-t", "partition": 1, "replication": 1}, 200, ""},
		{"PUT", inst + "/topics", map[string]any{"topics": []map[string]any{{"id": "km-t", "retention_time": 48}}}, 204, ""},
		{"GET", "/v2/" + p + "/kafka/instances/" + a + "/topics/km-t/partitions", nil, 200, ""},
		{"POST", inst + "/management/topics/km-t/partitions-reassignment", map[string]any{"partition": 2}, 204, ""},
		{"POST", inst + "/messages/action?action_id=send", map[string]any{"topic": "km-t", "body": "hello", "property_list": []any{}}, 200, ""},
		{"POST", adminPrefix + "/" + p + "/instances/" + a + "/topics/km-t/records", []map[string]any{{"value": "v"}}, 200, ""},
		{"PUT", "/v2/kafka/" + p + "/instances/" + a + "/groups/km-g/reset-message-offset", map[string]any{"topic": "km-t", "partition": -1, "message_offset": 0}, 204, ""},
		{"DELETE", inst + "/groups/km-g", nil, 200, ""},
		{"POST", inst + "/groups/batch-delete", map[string]any{"group_ids": []string{"km-g2"}}, 200, ""},
		{"POST", inst + "/topics/delete", map[string]any{"topics": []string{"km-t"}}, 200, ""},
		// the instance's lifecycle and the manager's own APIs
		{"DELETE", inst, nil, 403, dms.CodeRoleForbidden},
		{"PUT", inst, map[string]any{"name": "renamed"}, 403, dms.CodeRoleForbidden},
		{"POST", "/v2/" + p + "/instances/action", map[string]any{"action": "restart", "instances": []string{a}}, 403, dms.CodeRoleForbidden},
		{"POST", "/v2/" + p + "/kafka/instances/" + a + "/extend", map[string]any{"oper_type": "storage", "new_storage_space": 600}, 403, dms.CodeRoleForbidden},
		{"PUT", inst + "/configs", map[string]any{"kafka_configs": []any{}}, 403, dms.CodeRoleForbidden},
		{"POST", inst + "/autotopic", map[string]any{"enable_auto_topic": true}, 403, dms.CodeRoleForbidden},
		{"PUT", inst + "/kafka-manager-password", map[string]any{"new_password": "Mgr-pass2"}, 403, dms.CodeRoleForbidden},
		{"PUT", inst + "/restart-kafka-manager", nil, 403, dms.CodeRoleForbidden},
		{"DELETE", "/v2/" + p + "/kafka/instances/" + a + "/management", nil, 403, dms.CodeRoleForbidden},
		{"POST", "/v2/kafka/" + p + "/instances", map[string]any{}, 403, dms.CodeRoleForbidden},
		// Kafka users and ACLs, quotas, tags, rebalancing
		{"POST", inst + "/users", map[string]any{"user_name": "u1", "user_passwd": "Passw0rd-1"}, 403, dms.CodeRoleForbidden},
		{"POST", "/v1/" + p + "/instances/" + a + "/topics/accesspolicy", map[string]any{"topics": []any{}}, 403, dms.CodeRoleForbidden},
		{"POST", "/v2/kafka/" + p + "/instances/" + a + "/kafka-user-client-quota", map[string]any{"user": "u1"}, 403, dms.CodeRoleForbidden},
		{"POST", "/v2/" + p + "/kafka/" + a + "/tags/action", map[string]any{"action": "create", "tags": []any{}}, 403, dms.CodeRoleForbidden},
		{"POST", adminPrefix + "/" + p + "/instances/" + a + "/rebalance", map[string]any{}, 403, dms.CodeRoleForbidden},
		// other instances, project-wide APIs, IAM and the admin API
		{"GET", "/v2/" + p + "/instances/" + other, nil, 403, dms.CodeRoleForbidden},
		{"GET", "/v2/" + p + "/instances/" + other + "/topics", nil, 403, dms.CodeRoleForbidden},
		{"GET", "/v2/kafka/products/cores?instance_id=" + other, nil, 404, dms.CodeInstanceNotFound}, // as an unknown id
		{"POST", "/v2/" + p + "/instances/" + other + "/topics", map[string]any{"id": "x", "partition": 1, "replication": 1}, 403, dms.CodeRoleForbidden},
		{"GET", "/v2/" + p + "/kafka/tags", nil, 403, dms.CodeRoleForbidden},
		{"GET", "/v2/" + p + "/recycle", nil, 403, dms.CodeRoleForbidden},
		{"GET", "/v2/" + otherProject + "/instances", nil, 401, dms.CodeTokenProjectMismatch},
		{"GET", "/v3/projects", nil, 403, dms.CodeRoleForbidden},
		{"GET", adminPrefix + "/users", nil, 403, dms.CodeRoleForbidden},
		{"POST", adminPrefix + "/role-bindings", map[string]any{"user": "x", "project_id": p, "role": "DMS FullAccess"}, 403, dms.CodeRoleForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, b := e.tokenRequest(t, tok, tc.method, tc.path, tc.body)
			switch {
			case tc.status == allowed:
				if resp.StatusCode == 401 || resp.StatusCode == 403 || resp.StatusCode >= 500 {
					t.Fatalf("refused: %d %s", resp.StatusCode, b)
				}
			case tc.code == "":
				if resp.StatusCode != tc.status {
					t.Fatalf("%d %s, want %d", resp.StatusCode, b, tc.status)
				}
			default:
				wantDMSError(t, resp.StatusCode, b, tc.status, tc.code)
			}
		})
	}

	// The listings show the scoped instance alone.
	for _, path := range []string{"/v2/" + p + "/instances", "/v1.0/" + p + "/instances"} {
		_, b := e.tokenRequest(t, tok, "GET", path, nil)
		var list struct {
			Instances []struct {
				InstanceID string `json:"instance_id"`
			} `json:"instances"`
			Num int `json:"instance_num"`
		}
		json.Unmarshal(b, &list)
		if list.Num != 1 || len(list.Instances) != 1 || list.Instances[0].InstanceID != a {
			t.Errorf("%s lists %s", path, b)
		}
	}
}

// The scope rule over the whole route table: no admin, IAM, lifecycle or project-wide route is
// allowed; the writes allowed are exactly managerScopeWrites, each a registered route.
func TestManagerScopeRouteTable(t *testing.T) {
	e := newTestEnvOn(t, "embedded")
	r := e.Server.router
	for key := range managerScopeWrites {
		if r.byKey[key] == nil {
			t.Errorf("managerScopeWrites names %s, which is not a route", key)
		}
	}
	for key := range managerScopeLists {
		if r.byKey[key] == nil {
			t.Errorf("managerScopeLists names %s, which is not a route", key)
		}
	}
	never := []string{"dms:instance:create", "dms:instance:delete", "dms:instance:scale", "dms:instance:modifyStatus", "dms:instance:resetAuthInfo"}
	for _, rt := range r.routes {
		ok := managerScopeAllows(rt)
		key := routeKey(rt.spec.Method, rt.spec.Pattern)
		switch {
		case !ok:
		case rt.auth == authAdmin:
			t.Errorf("%s: an admin route is allowed", key)
		case slices.Contains(never, rt.spec.Action):
			t.Errorf("%s: a lifecycle action (%s) is allowed", key, rt.spec.Action)
		case rt.spec.Method != http.MethodGet && !managerScopeWrites[key]:
			t.Errorf("%s: a write outside managerScopeWrites is allowed", key)
		case rt.hasParam("project_id") && !rt.hasParam("instance_id") && !managerScopeLists[key]:
			t.Errorf("%s: a project-wide route is allowed", key)
		case strings.HasPrefix(rt.spec.Pattern, "/v3/") || (rt.spec.Variant == variantOwn && !rt.hasParam("instance_id") && rt.spec.Pattern != adminPrefix+"/whoami"):
			t.Errorf("%s: an IAM or account route is allowed", key)
		}
	}
	for _, key := range []string{
		"PUT /v2/{project_id}/instances/{instance_id}/kafka-manager-password",
		"PUT /v2/{project_id}/instances/{instance_id}/restart-kafka-manager",
		"DELETE /v2/{project_id}/kafka/instances/{instance_id}/management",
		"POST /v2/{project_id}/instances/{instance_id}/users",
		"POST /v2/kafka/{project_id}/instances/{instance_id}/kafka-user-client-quota",
		"PUT /v2/{project_id}/instances/{instance_id}",
	} {
		if managerScopeAllows(r.byKey[key]) {
			t.Errorf("%s is allowed", key)
		}
	}
}

// whoami for the console: an administrator has every action, a read-only user the reads only, a
// scoped token its instance and the scope's actions.
func TestWhoamiActions(t *testing.T) {
	e := newTestEnvOn(t, "embedded")
	type who struct {
		User struct {
			ID         string `json:"id"`
			Name       string `json:"name"`
			DomainID   string `json:"domain_id"`
			DomainName string `json:"domain_name"`
		} `json:"user"`
		Admin      bool     `json:"admin"`
		ProjectID  string   `json:"project_id"`
		InstanceID *string  `json:"instance_id"`
		Actions    []string `json:"actions"`
	}
	decode := func(resp *http.Response, b []byte) who {
		t.Helper()
		if resp.StatusCode != 200 {
			t.Fatalf("whoami: %d %s", resp.StatusCode, b)
		}
		var w who
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		if w.User.ID == "" || w.User.Name == "" || w.User.DomainID == "" || w.User.DomainName == "" {
			t.Fatalf("whoami user: %s", b)
		}
		return w
	}
	all := e.Server.routeActions(nil)
	if len(all) < 16 || !slices.Contains(all, "dms:instance:resetAuthInfo") {
		t.Fatalf("route actions: %v", all)
	}

	admin := decode(e.do(t, "GET", adminPrefix+"/whoami?project_id="+e.ProjectID, nil))
	if !admin.Admin || admin.ProjectID != e.ProjectID || admin.InstanceID != nil || !slices.Equal(admin.Actions, all) {
		t.Fatalf("admin whoami: %+v", admin)
	}

	e.newUser(t, "reader", "DMS ReadOnlyAccess", e.ProjectID)
	resp, b := e.passwordToken(t, admin.User.DomainName, "reader", "Passw0rd-reader", e.Region)
	if resp.StatusCode != 201 {
		t.Fatalf("reader token: %d %s", resp.StatusCode, b)
	}
	reader := decode(e.withToken(t, resp.Header.Get("X-Subject-Token"), "GET", adminPrefix+"/whoami"))
	if reader.Admin || reader.ProjectID != e.ProjectID || reader.InstanceID != nil || !slices.Contains(reader.Actions, "dms:instance:get") {
		t.Fatalf("reader whoami: %+v", reader)
	}
	for _, a := range reader.Actions {
		verb := a[strings.LastIndex(a, ":")+1:]
		if !strings.HasPrefix(verb, "get") && !strings.HasPrefix(verb, "list") {
			t.Errorf("a read-only user may %s", a)
		}
	}

	id := runningInstance(t, e, "km-who")
	pw := "Mgr-pass1"
	setManagerPassword(t, e.kafkaClient(t), id, pw)
	scoped := decode(e.withToken(t, e.scopedToken(t, id, "admin", pw), "GET", adminPrefix+"/whoami"))
	if scoped.Admin || scoped.ProjectID != e.ProjectID || scoped.InstanceID == nil || *scoped.InstanceID != id || scoped.User.Name != "admin" {
		t.Fatalf("scoped whoami: %+v", scoped)
	}
	for _, want := range []string{"dms:instance:get", "dms:instance:list", "dms:instance:modify"} {
		if !slices.Contains(scoped.Actions, want) {
			t.Errorf("scoped actions %v lack %s", scoped.Actions, want)
		}
	}
	for _, never := range []string{"dms:instance:create", "dms:instance:delete", "dms:instance:scale", "dms:instance:modifyStatus", "dms:instance:resetAuthInfo"} {
		if slices.Contains(scoped.Actions, never) {
			t.Errorf("scoped actions include %s", never)
		}
	}
}
