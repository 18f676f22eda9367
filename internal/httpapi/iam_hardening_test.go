package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/store/sqlite"
)

// passwordToken asks POST /v3/auth/tokens for a token scoped to projectName.
func (e *testEnv) passwordToken(t *testing.T, domain, user, password, projectName string) (*http.Response, []byte) {
	t.Helper()
	return postToken(t, e.URL, domain, user, password, projectName)
}

func postToken(t *testing.T, url, domain, user, password, projectName string) (*http.Response, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": user, "password": password, "domain": map[string]any{"name": domain}}}},
		"scope": map[string]any{"project": map[string]any{"name": projectName}},
	}})
	req, _ := http.NewRequest("POST", url+"/v3/auth/tokens", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return send(t, req)
}

// withToken sends a request authenticated by an X-Auth-Token.
func (e *testEnv) withToken(t *testing.T, token, method, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, e.URL+path, nil)
	req.Header.Set("X-Auth-Token", token)
	return send(t, req)
}

// An operator onboards a second tenant with one call; its administrator then works with the official
// SDK (its own AK/SK) and with a token, in its own project, isolated from the first tenant.
func TestOnboardSecondTenant(t *testing.T) {
	e := newTestEnv(t)
	resp, b := e.do(t, "POST", adminPrefix+"/accounts", map[string]any{"name": "team-b", "admin_password": "Passw0rd-b", "create_access_key": true})
	if resp.StatusCode != 201 {
		t.Fatalf("create account: %d %s", resp.StatusCode, b)
	}
	var acct struct {
		Account struct{ ID, Name string } `json:"account"`
		Admin   struct{ Name string }     `json:"admin"`
		Project struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"project"`
		AccessKey struct {
			AccessKey string `json:"access_key"`
			SecretKey string `json:"secret_key"`
		} `json:"access_key"`
	}
	if err := json.Unmarshal(b, &acct); err != nil || acct.Project.Name != e.Region || !iam.ValidProjectID(acct.Project.ID) ||
		acct.AccessKey.AccessKey == "" || acct.AccessKey.SecretKey == "" || acct.Admin.Name != "admin" {
		t.Fatalf("the new account is not usable as created: %s", b)
	}
	pid, ak, sk := acct.Project.ID, acct.AccessKey.AccessKey, acct.AccessKey.SecretKey

	// The tenant's administrator creates an instance with the official SDK and its own key.
	tenant := e.sdkClient(t, ak, sk, pid)
	created, err := tenant.CreateInstanceByEngine(createReq(e, t, "team-b-kafka"))
	if err != nil {
		t.Fatal(err)
	}
	waitInstance(t, tenant, deref(created.InstanceId), "RUNNING")

	// An SDK built WithRegion finds the tenant's project by the region's name.
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithIamEndpointOverride(e.URL).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := kafka.KafkaClientBuilder().WithRegion(region.NewRegion(e.Region, e.URL)).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithUserAgent("opendms-test")).SafeBuild()
	if err != nil {
		t.Fatalf("SafeBuild (IAM project lookup) as the new tenant: %v", err)
	}
	list, err := kafka.NewKafkaClient(hc).ListInstances(&model.ListInstancesRequest{})
	if err != nil || deref(list.InstanceNum) != 1 || deref((*list.Instances)[0].Name) != "team-b-kafka" {
		t.Fatalf("the tenant's instances by region: %+v, %v", list, err)
	}

	// It gets a token with its password and uses it in its project.
	resp, b = e.passwordToken(t, "team-b", "admin", "Passw0rd-b", e.Region)
	token := resp.Header.Get("X-Subject-Token")
	if resp.StatusCode != 201 || token == "" {
		t.Fatalf("token of the new tenant: %d %s", resp.StatusCode, b)
	}
	resp, b = e.withToken(t, token, "GET", instancesPath(pid))
	var listed struct {
		InstanceNum int `json:"instance_num"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &listed) != nil || listed.InstanceNum != 1 {
		t.Fatalf("instances with the tenant's token: %d %s", resp.StatusCode, b)
	}
	resp, b = e.withToken(t, token, "GET", adminPrefix+"/whoami")
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"name":"team-b"`)) {
		t.Fatalf("whoami with the tenant's token: %d %s", resp.StatusCode, b)
	}

	// Isolation both ways: the first tenant sees none of it and neither may use the other's project.
	mine, err := e.kafkaClient(t).ListInstances(&model.ListInstancesRequest{})
	if err != nil || deref(mine.InstanceNum) != 0 {
		t.Fatalf("the first tenant's instances: %+v, %v", mine, err)
	}
	_, err = e.sdkClient(t, e.AK, e.SK, pid).ListInstances(&model.ListInstancesRequest{})
	sdkErr(t, err, 403, "DMS.00403007")
	_, err = e.sdkClient(t, ak, sk, e.ProjectID).ListInstances(&model.ListInstancesRequest{})
	sdkErr(t, err, 403, "DMS.00403007")
	if resp, b := e.withToken(t, token, "GET", instancesPath(e.ProjectID)); resp.StatusCode != 401 {
		t.Fatalf("the tenant's token on the first tenant's project: %d %s", resp.StatusCode, b)
	}
	// Only the bootstrap account creates accounts.
	if resp, b := e.doAs(t, ak, sk, "POST", adminPrefix+"/accounts", map[string]any{"name": "team-c", "admin_password": "Passw0rd-c"}); resp.StatusCode != 403 {
		t.Fatalf("an account created by a tenant: %d %s", resp.StatusCode, b)
	}
	// Without create_access_key no key is made, and no secret is in the answer.
	resp, b = e.do(t, "POST", adminPrefix+"/accounts", map[string]any{"name": "team-d", "admin_password": "Passw0rd-d"})
	if resp.StatusCode != 201 || bytes.Contains(b, []byte("secret_key")) || bytes.Contains(b, []byte("Passw0rd-d")) {
		t.Fatalf("account without a key: %d %s", resp.StatusCode, b)
	}
}

// A custom policy cannot take a system role's name, and binding a system role by name binds it.
func TestPolicyNamesOverHTTP(t *testing.T) {
	e := newTestEnv(t)
	deny := map[string]any{"Version": "1.1", "Statement": []any{map[string]any{"Effect": "Deny", "Action": []string{"dms:*:*"}}}}
	tests := []struct {
		name     string
		wantHTTP int
		wantCode string
	}{
		{"DMS FullAccess", 409, "DMS.00409001"},
		{"dms fullaccess", 409, "DMS.00409001"},
		{"../../x", 400, "DMS.00400062"},
		{"", 400, "DMS.00400062"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := e.do(t, "POST", adminPrefix+"/policies", map[string]any{"name": tt.name, "policy": deny})
			if resp.StatusCode != tt.wantHTTP || decodeError(t, b).ErrorCode != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tt.wantHTTP, tt.wantCode)
			}
		})
	}
	ak, sk := e.newUser(t, "writer", "DMS FullAccess", e.ProjectID)
	create := &model.CreateInstanceByEngineRequest{Engine: model.GetCreateInstanceByEngineRequestEngineEnum().KAFKA,
		Body: &model.CreateInstanceByEngineReq{Name: "kafka-1", BrokerNum: 3, StorageSpace: 300, ProductId: "c6.2u4g.cluster"}}
	// Authorization passes (the system role allows it); validation refuses the incomplete body.
	_, err := e.sdkClient(t, ak, sk, e.ProjectID).CreateInstanceByEngine(create)
	sdkErr(t, err, 400, "DMS.00400008")
}

// Changing or resetting a password, disabling or deleting a user revokes its tokens.
func TestTokensRevokedOnUserChanges(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name   string
		change func(t *testing.T, user string)
		// afterwards: a request the revoked token must fail even after this
		then func(t *testing.T, user string)
	}{
		{"password reset by an administrator", func(t *testing.T, user string) {
			if resp, b := e.do(t, "PUT", adminPrefix+"/users/"+user+"/password", map[string]any{"password": "N3w-Passw0rd"}); resp.StatusCode != 204 {
				t.Fatalf("set password: %d %s", resp.StatusCode, b)
			}
		}, func(t *testing.T, user string) {
			if resp, b := e.passwordToken(t, "admin", user, "N3w-Passw0rd", e.Region); resp.StatusCode != 201 {
				t.Fatalf("the new password: %d %s", resp.StatusCode, b)
			}
		}},
		{"disabled, then enabled again", func(t *testing.T, user string) {
			if resp, b := e.do(t, "PATCH", adminPrefix+"/users/"+user, map[string]any{"enabled": false}); resp.StatusCode != 200 {
				t.Fatalf("disable: %d %s", resp.StatusCode, b)
			}
		}, func(t *testing.T, user string) {
			if resp, b := e.do(t, "PATCH", adminPrefix+"/users/"+user, map[string]any{"enabled": true}); resp.StatusCode != 200 {
				t.Fatalf("enable: %d %s", resp.StatusCode, b)
			}
		}},
		{"deleted", func(t *testing.T, user string) {
			if resp, b := e.do(t, "DELETE", adminPrefix+"/users/"+user, nil); resp.StatusCode != 204 {
				t.Fatalf("delete: %d %s", resp.StatusCode, b)
			}
		}, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := "user" + strconv.Itoa(i)
			ak, sk := e.newUser(t, user, "DMS FullAccess", e.ProjectID)
			resp, b := e.passwordToken(t, "admin", user, "Passw0rd-"+user, e.Region)
			token := resp.Header.Get("X-Subject-Token")
			if resp.StatusCode != 201 || token == "" {
				t.Fatalf("token: %d %s", resp.StatusCode, b)
			}
			// Use both once so the AK is in the credential cache.
			if resp, b := e.withToken(t, token, "GET", instancesPath(e.ProjectID)); resp.StatusCode != 200 {
				t.Fatalf("before: token %d %s", resp.StatusCode, b)
			}
			if resp, b := e.doAs(t, ak, sk, "GET", instancesPath(e.ProjectID), nil); resp.StatusCode != 200 {
				t.Fatalf("before: AK/SK %d %s", resp.StatusCode, b)
			}
			tt.change(t, user)
			if resp, b := e.withToken(t, token, "GET", instancesPath(e.ProjectID)); resp.StatusCode != 401 || decodeError(t, b).ErrorCode != "DMS.10240101" {
				t.Fatalf("after: token %d %s, want 401 DMS.10240101", resp.StatusCode, b)
			}
			if tt.name != "password reset by an administrator" {
				if resp, b := e.doAs(t, ak, sk, "GET", instancesPath(e.ProjectID), nil); resp.StatusCode != 401 {
					t.Fatalf("after: AK/SK %d %s, want 401", resp.StatusCode, b)
				}
			}
			if tt.then != nil {
				tt.then(t, user)
				if resp, b := e.withToken(t, token, "GET", instancesPath(e.ProjectID)); resp.StatusCode != 401 {
					t.Fatalf("the revoked token works again: %d %s", resp.StatusCode, b)
				}
			}
		})
	}
	// An administrator cannot disable itself.
	if resp, b := e.do(t, "PATCH", adminPrefix+"/users/admin", map[string]any{"enabled": false}); resp.StatusCode != 400 {
		t.Fatalf("disable yourself: %d %s", resp.StatusCode, b)
	}
}

// iamOnlyServer serves the IAM routes of a fresh bootstrapped store with the given IAM config (the
// login limits' clock): what the token endpoint needs, without instances.
func iamOnlyServer(t *testing.T, cfg iam.Config) (url string, creds iam.AdminCredentials) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := iam.NewSealer(bytes.Repeat([]byte{7}, 32))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := iam.New(ctx, st, sealer, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "admin-credentials.json")
	if _, err := svc.Bootstrap(ctx, iam.BootstrapConfig{Region: "cn-north-4"}, path); err != nil {
		t.Fatal(err)
	}
	if creds, err = iam.ReadCredentials(path); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(New(Config{Region: "cn-north-4"}, Services{IAM: svc}, log).Handler())
	t.Cleanup(hs.Close)
	return hs.URL, creds
}

// 1,000 wrong passwords at the token endpoint: only the first few are checked, the rest are refused
// with 429 and Retry-After; AK/SK requests go on; the right password works once the lock expires
// (the limiter's clock is injected: no sleeping).
func TestTokenEndpointBruteForce(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	url, creds := iamOnlyServer(t, iam.Config{Login: iam.LoginLimits{Now: func() time.Time { return clock }}})
	e := &testEnv{URL: url, AK: creds.AccessKey, SK: creds.SecretKey}

	start := time.Now()
	counts := map[int]int{}
	retryAfter := ""
	for i := 0; i < 1000; i++ {
		resp, b := postToken(t, url, "admin", "admin", "wrong-Passw0rd", "cn-north-4")
		counts[resp.StatusCode]++
		switch resp.StatusCode {
		case 401:
		case 429:
			if code := decodeError(t, b).ErrorCode; code != "DMS.00429001" {
				t.Fatalf("attempt %d: %d %s", i, resp.StatusCode, b)
			}
			retryAfter = resp.Header.Get("Retry-After")
		default:
			t.Fatalf("attempt %d: %d %s", i, resp.StatusCode, b)
		}
	}
	elapsed := time.Since(start)
	if counts[401] > 5 || counts[401]+counts[429] != 1000 || retryAfter == "" {
		t.Fatalf("1000 wrong passwords: %d checked (401), %d refused (429), Retry-After %q", counts[401], counts[429], retryAfter)
	}
	// The right password from the same address is refused while locked...
	if resp, b := postToken(t, url, "admin", "admin", creds.Password, "cn-north-4"); resp.StatusCode != 429 {
		t.Fatalf("the right password during the lock: %d %s", resp.StatusCode, b)
	}
	// ... AK/SK requests are never locked ...
	if resp, b := e.do(t, "GET", "/v3/projects?name=cn-north-4", nil); resp.StatusCode != 200 {
		t.Fatalf("AK/SK during the lock: %d %s", resp.StatusCode, b)
	}
	// ... and the lock expires.
	secs, _ := strconv.Atoi(retryAfter)
	clock = clock.Add(time.Duration(secs) * time.Second)
	resp, b := postToken(t, url, "admin", "admin", creds.Password, "cn-north-4")
	if resp.StatusCode != 201 {
		t.Fatalf("the right password after the lock (%s s): %d %s", retryAfter, resp.StatusCode, b)
	}
	t.Logf("1000 wrong passwords in %v: %d checked (401), %d refused (429, Retry-After %s s); the right password after the lock: %d",
		elapsed.Round(time.Millisecond), counts[401], counts[429], retryAfter, resp.StatusCode)
}
