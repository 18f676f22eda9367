package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/aksk"
)

// A path inside the admin's project of an API that is not implemented yet: a 501 from it proves that
// authentication and authorization passed (they run first), a 401/403 that they refused.
func instancesPath(projectID string) string { return "/v2/" + projectID + "/instances" }

// newUser creates an IAM user through the admin API, binds role in projectID (if role != "") and
// returns a fresh AK/SK of it.
func (e *testEnv) newUser(t *testing.T, name, role, projectID string) (ak, sk string) {
	t.Helper()
	resp, b := e.do(t, "POST", adminPrefix+"/users", map[string]any{"name": name, "password": "Passw0rd-" + name})
	if resp.StatusCode != 201 {
		t.Fatalf("create user: %d %s", resp.StatusCode, b)
	}
	if role != "" {
		resp, b = e.do(t, "POST", adminPrefix+"/role-bindings", map[string]any{"user": name, "project_id": projectID, "role": role})
		if resp.StatusCode != 201 {
			t.Fatalf("bind: %d %s", resp.StatusCode, b)
		}
	}
	resp, b = e.do(t, "POST", adminPrefix+"/users/"+name+"/access-keys", nil)
	if resp.StatusCode != 201 {
		t.Fatalf("create key: %d %s", resp.StatusCode, b)
	}
	var k struct {
		AccessKey string `json:"access_key"`
		SecretKey string `json:"secret_key"`
	}
	json.Unmarshal(b, &k)
	return k.AccessKey, k.SecretKey
}

func (e *testEnv) newProject(t *testing.T, name string) string {
	t.Helper()
	resp, b := e.do(t, "POST", adminPrefix+"/projects", map[string]any{"name": name})
	if resp.StatusCode != 201 {
		t.Fatalf("create project: %d %s", resp.StatusCode, b)
	}
	var out struct {
		Project struct {
			ID string `json:"id"`
		} `json:"project"`
	}
	json.Unmarshal(b, &out)
	return out.Project.ID
}

func TestSignatureVerificationEdgeCases(t *testing.T) {
	e := newTestEnv(t)
	// A POST route not implemented yet: a 501 means authentication passed.
	path := unimplementedPOST(e.ProjectID)
	// sign builds a signed POST of path?limit=10 and lets mutate change it after signing.
	sign := func(ak, sk string, at time.Time, mutate func(*http.Request)) *http.Request {
		req, _ := http.NewRequest("POST", e.URL+path+"?limit=10", strings.NewReader(`{"a":1}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Project-Id", e.ProjectID)
		req.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0; opendms-test") // signed, as the Go SDK does
		if err := aksk.Sign(req, []byte(`{"a":1}`), ak, sk, at); err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(req)
		}
		return req
	}
	now := time.Now()
	tests := []struct {
		name     string
		req      *http.Request
		wantCode string
		wantHTTP int
	}{
		{"valid signature reaches the route", sign(e.AK, e.SK, now, nil), "DMS.00501900", 501},
		{"unknown AK", sign("NOSUCHAK000000000000", e.SK, now, nil), "DMS.10240105", 401},
		{"wrong SK", sign(e.AK, e.SK+"x", now, nil), "DMS.10240105", 401},
		{"date 20 minutes old", sign(e.AK, e.SK, now.Add(-20*time.Minute), nil), "DMS.10240106", 401},
		{"date 20 minutes ahead", sign(e.AK, e.SK, now.Add(20*time.Minute), nil), "DMS.10240106", 401},
		{"date 5 minutes old is accepted", sign(e.AK, e.SK, now.Add(-5*time.Minute), nil), "DMS.00501900", 501},
		{"tampered body", sign(e.AK, e.SK, now, func(r *http.Request) {
			r.Body = ioNop(`{"a":2}`)
			r.ContentLength = 7
		}), "DMS.10240105", 401},
		{"tampered query", sign(e.AK, e.SK, now, func(r *http.Request) { r.URL.RawQuery = "limit=11" }), "DMS.10240105", 401},
		{"tampered path", sign(e.AK, e.SK, now, func(r *http.Request) { r.URL.Path = "/v2/" + e.ProjectID + "/kafka/instances" }), "DMS.10240105", 401},
		{"tampered signed header", sign(e.AK, e.SK, now, func(r *http.Request) { r.Header.Set("User-Agent", "evil") }), "DMS.10240105", 401},
		{"missing X-Sdk-Date", sign(e.AK, e.SK, now, func(r *http.Request) { r.Header.Del("X-Sdk-Date") }), "DMS.10240105", 401},
		{"malformed Authorization", sign(e.AK, e.SK, now, func(r *http.Request) { r.Header.Set("Authorization", "SDK-HMAC-SHA256 garbage") }), "DMS.10240105", 401},
		{"unsupported algorithm", sign(e.AK, e.SK, now, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SDK-HMAC-SHA256", "SDK-HMAC-SM3", 1))
		}), "DMS.10240105", 401},
		{"no credentials at all", sign(e.AK, e.SK, now, func(r *http.Request) { r.Header.Del("Authorization") }), "DMS.10240103", 401},
		{"unknown token", sign(e.AK, e.SK, now, func(r *http.Request) {
			r.Header.Del("Authorization")
			r.Header.Set("X-Auth-Token", "MIInotatoken")
		}), "DMS.10240101", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := send(t, tt.req)
			if resp.StatusCode != tt.wantHTTP || decodeError(t, b).ErrorCode != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tt.wantHTTP, tt.wantCode)
			}
			if resp.Header.Get(RequestIDHeader) == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

func ioNop(s string) *readCloser { return &readCloser{bytes.NewReader([]byte(s))} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// sdkErr asserts err is the SDK's error for a DMS error response with the given status and code.
func sdkErr(t *testing.T, err error, status int, code string) {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) {
		t.Fatalf("got %T %v, want a ServiceResponseError %d %s", err, err, status, code)
	}
	if se.StatusCode != status || se.ErrorCode != code || se.ErrorMessage == "" || se.RequestId == "" {
		t.Fatalf("got %d %q %q (request id %q), want %d %s", se.StatusCode, se.ErrorCode, se.ErrorMessage, se.RequestId, status, code)
	}
}

func TestSDKAuthorization(t *testing.T) {
	e := newTestEnv(t)
	other := e.newProject(t, "cn-south-1")
	roAK, roSK := e.newUser(t, "reader", "DMS ReadOnlyAccess", e.ProjectID)
	fullAK, fullSK := e.newUser(t, "writer", "DMS FullAccess", e.ProjectID)

	create := &model.CreateInstanceByEngineRequest{Engine: model.GetCreateInstanceByEngineRequestEngineEnum().KAFKA,
		Body: &model.CreateInstanceByEngineReq{Name: "kafka-1", BrokerNum: 3, StorageSpace: 300, ProductId: "c6.2u4g.cluster"}}
	list := &model.ListInstancesRequest{}

	// The administrator passes authorization everywhere in its account.
	if _, err := e.kafkaClient(t).ListInstances(list); err != nil {
		t.Fatal(err)
	}

	// A read-only user may read but not write: 403 for the write, before any other check.
	ro := e.sdkClient(t, roAK, roSK, e.ProjectID)
	if _, err := ro.ListInstances(list); err != nil {
		t.Fatal(err)
	}
	_, err := ro.CreateInstanceByEngine(create)
	sdkErr(t, err, 403, "DMS.00403003")

	// A full-access user may write in its project: the request gets as far as validation (it lacks
	// the required vpc_id etc.).
	_, err = e.sdkClient(t, fullAK, fullSK, e.ProjectID).CreateInstanceByEngine(create)
	sdkErr(t, err, 400, "DMS.00400008")

	// ... but not in a project it has no role in, and a project that does not exist is refused the
	// same way (its existence does not leak).
	_, err = e.sdkClient(t, fullAK, fullSK, other).ListInstances(list)
	sdkErr(t, err, 403, "DMS.00403007")
	_, err = e.sdkClient(t, fullAK, fullSK, "0123456789abcdef0123456789abcdef").ListInstances(list)
	sdkErr(t, err, 403, "DMS.00403007")

	// A malformed project id is a 400.
	_, err = e.sdkClient(t, fullAK, fullSK, "not-a-project").ListInstances(list)
	sdkErr(t, err, 400, "DMS.00400002")

	// Non-administrators cannot use the admin API.
	resp, b := e.doAs(t, fullAK, fullSK, "GET", adminPrefix+"/users", nil)
	if resp.StatusCode != 403 || decodeError(t, b).ErrorCode != "DMS.00403003" {
		t.Fatalf("admin API as a user: %d %s", resp.StatusCode, b)
	}
}

func TestCustomPolicyDenyWins(t *testing.T) {
	e := newTestEnv(t)
	policy := map[string]any{"name": "no-delete", "policy": map[string]any{"Version": "1.1", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": []string{"dms:instance:*"}},
		map[string]any{"Effect": "Deny", "Action": []string{"dms:instance:delete"}},
	}}}
	if resp, b := e.do(t, "POST", adminPrefix+"/policies", policy); resp.StatusCode != 201 {
		t.Fatalf("create policy: %d %s", resp.StatusCode, b)
	}
	bad := map[string]any{"name": "broken", "policy": map[string]any{"Version": "1.1", "Statement": []any{map[string]any{"Effect": "Perhaps", "Action": []string{"dms:*:*"}}}}}
	if resp, b := e.do(t, "POST", adminPrefix+"/policies", bad); resp.StatusCode != 400 {
		t.Fatalf("invalid policy accepted: %d %s", resp.StatusCode, b)
	}
	ak, sk := e.newUser(t, "operator", "no-delete", e.ProjectID)
	c := e.sdkClient(t, ak, sk, e.ProjectID)
	_, err := c.DeleteInstance(&model.DeleteInstanceRequest{InstanceId: "6ac4d5b4-8cd7-4b8b-9a83-31a8f9e3e4b1"})
	sdkErr(t, err, 403, "DMS.00403003")
	// Reads pass authorization and find no such instance.
	_, err = c.ShowInstance(&model.ShowInstanceRequest{InstanceId: "6ac4d5b4-8cd7-4b8b-9a83-31a8f9e3e4b1"})
	sdkErr(t, err, 404, "DMS.00404022")
}

func TestTokenFlow(t *testing.T) {
	e := newTestEnv(t)
	other := e.newProject(t, "cn-south-1")
	tokenReq := func(password, projectName string) (*http.Response, []byte) {
		body := map[string]any{"auth": map[string]any{
			"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
				"name": "admin", "password": password, "domain": map[string]any{"name": "admin"}}}},
			"scope": map[string]any{"project": map[string]any{"name": projectName}},
		}}
		return e.doAs(t, "", "", "POST", "/v3/auth/tokens", body)
	}
	resp, b := tokenReq("wrong-password-1", e.Region)
	if resp.StatusCode != 401 || decodeError(t, b).ErrorCode != "DMS.10240101" {
		t.Fatalf("wrong password: %d %s", resp.StatusCode, b)
	}
	resp, b = tokenReq(e.Password, e.Region)
	token := resp.Header.Get("X-Subject-Token")
	if resp.StatusCode != 201 || token == "" {
		t.Fatalf("token: %d %s", resp.StatusCode, b)
	}
	var tb tokenBody
	if err := json.Unmarshal(b, &tb); err != nil || tb.Token.Project.ID != e.ProjectID || tb.Token.User.Name != "admin" {
		t.Fatalf("token body: %s", b)
	}
	expires, err := time.Parse(keystoneTime, tb.Token.ExpiresAt)
	if err != nil || expires.Sub(time.Now()) < 23*time.Hour || expires.Sub(time.Now()) > 25*time.Hour {
		t.Fatalf("token expires at %s, want in 24h", tb.Token.ExpiresAt)
	}
	if strings.Contains(string(b), e.Password) || strings.Contains(string(b), token) {
		t.Fatal("the token body echoes a secret")
	}
	withToken := func(path string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", e.URL+path, nil)
		req.Header.Set("X-Auth-Token", token)
		return send(t, req)
	}
	if resp, b := withToken(instancesPath(e.ProjectID)); resp.StatusCode != 200 {
		t.Fatalf("token on its project: %d %s", resp.StatusCode, b)
	}
	if resp, b := withToken(instancesPath(other)); resp.StatusCode != 401 || decodeError(t, b).ErrorCode != "DMS.10240104" {
		t.Fatalf("token on another project: %d %s", resp.StatusCode, b)
	}
	if resp, b := withToken("/v3/projects?name=" + e.Region); resp.StatusCode != 200 || !strings.Contains(string(b), e.ProjectID) {
		t.Fatalf("projects with token: %d %s", resp.StatusCode, b)
	}
}

// An SDK built WithRegion and without a project id resolves its project from IAM (GET /v3/projects
// ?name=<region>) and then uses it in every path.
func TestSDKResolvesProjectByRegion(t *testing.T) {
	e := newTestEnv(t)
	cred, err := basic.NewCredentialsBuilder().WithAk(e.AK).WithSk(e.SK).WithIamEndpointOverride(e.URL).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := kafka.KafkaClientBuilder().
		WithRegion(region.NewRegion(e.Region, e.URL)).
		WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithUserAgent("opendms-test")).
		SafeBuild()
	if err != nil {
		t.Fatalf("SafeBuild (IAM project lookup): %v", err)
	}
	resp, err := kafka.NewKafkaClient(hc).ListInstances(&model.ListInstancesRequest{})
	if err != nil || resp.InstanceNum == nil || *resp.InstanceNum != 0 {
		t.Fatalf("ListInstances in the resolved project: %+v, %v", resp, err)
	}
}

func TestRoutingErrors(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name, method, path string
		body               any
		wantHTTP           int
		wantCode           string
	}{
		{"unknown URL", "GET", "/v2/nothing/here", nil, 404, "DMS.00404001"},
		{"unknown URL without auth", "GET", "/nope", nil, 404, "DMS.00404001"},
		{"wrong method", "PATCH", instancesPath(e.ProjectID), nil, 405, "DMS.00405001"},
		{"malformed JSON", "POST", "/v3/auth/tokens", []byte(`{"auth":`), 400, "DMS.00400005"},
		{"empty body", "POST", "/v3/auth/tokens", []byte(``), 400, "DMS.00400004"},
		{"wrong JSON type", "POST", adminPrefix + "/users", []byte(`{"name":42}`), 400, "DMS.00400085"},
		{"engine other than kafka", "POST", "/v2/rabbitmq/" + e.ProjectID + "/instances", []byte(`{}`), 400, "DMS.00400007"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := e.do(t, tt.method, tt.path, tt.body)
			if resp.StatusCode != tt.wantHTTP || decodeError(t, b).ErrorCode != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tt.wantHTTP, tt.wantCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestHealthzAndProjects(t *testing.T) {
	e := newTestEnv(t)
	resp, b := e.doAs(t, "", "", "GET", "/healthz", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok"`) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, b)
	}
	resp, b = e.do(t, "GET", "/v3/projects?name="+e.Region, nil)
	var out struct {
		Projects []projectEntry `json:"projects"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil || len(out.Projects) != 1 || out.Projects[0].ID != e.ProjectID {
		t.Fatalf("projects: %d %s", resp.StatusCode, b)
	}
}

// Deleting an access key or its user revokes it at once, even though credentials are cached.
func TestRevocationIsImmediate(t *testing.T) {
	e := newTestEnv(t)
	ak, sk := e.newUser(t, "temp", "DMS FullAccess", e.ProjectID)
	ak2, sk2 := e.newUser(t, "temp2", "DMS FullAccess", e.ProjectID)
	for _, k := range [][2]string{{ak, sk}, {ak2, sk2}} {
		if resp, b := e.doAs(t, k[0], k[1], "GET", "/v2/available-zones", nil); resp.StatusCode != 200 {
			t.Fatalf("before revocation: %d %s", resp.StatusCode, b)
		}
	}
	if resp, b := e.do(t, "DELETE", adminPrefix+"/users/temp/access-keys/"+ak, nil); resp.StatusCode != 204 {
		t.Fatalf("delete key: %d %s", resp.StatusCode, b)
	}
	if resp, b := e.do(t, "DELETE", adminPrefix+"/users/temp2", nil); resp.StatusCode != 204 {
		t.Fatalf("delete user: %d %s", resp.StatusCode, b)
	}
	for _, k := range [][2]string{{ak, sk}, {ak2, sk2}} {
		if resp, b := e.doAs(t, k[0], k[1], "GET", "/v2/available-zones", nil); resp.StatusCode != 401 {
			t.Fatalf("after revocation: %d %s", resp.StatusCode, b)
		}
	}
}
