package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
	"github.com/opendms/opendms/internal/iam"
)

const (
	ts        = `"2025-01-02T03:04:05Z"`
	aliceJSON = `{"id":"u-alice","domain_id":"d1","name":"alice","admin":false,"enabled":true,"created_at":` + ts + `}`
	whoami    = `{"user":{"id":"u-admin","domain_id":"d1","name":"admin","admin":true,"enabled":true,"created_at":` + ts + `},` +
		`"account":{"id":"d1","name":"admin","created_at":` + ts + `},"auth_method":"aksk","access_key":"` + testAK + `",` +
		`"projects":[{"id":"` + testPID + `","domain_id":"d1","name":"cn-north-4","created_at":` + ts + `}],"region":"cn-north-4"}`
	newKeyJSON = `{"access_key":"NEWAK0000000000000001","secret_key":"newSecretKey00000000000000000000000000001","user":"alice","created_at":` + ts + `}`
)

func TestUserCreate(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantBody string
		wantOut  []string
	}{
		{"with password", []string{"iam", "user", "create", "alice", "--password-stdin"}, "Pa55word!\n",
			`{"name":"alice","password":"Pa55word!","admin":false}`, []string{"NAME", "alice", "u-alice"}},
		{"key-only admin", []string{"iam", "user", "create", "alice", "--admin"}, "",
			`{"name":"alice","admin":true}`, []string{"alice"}},
		{"README form: --name and --password", []string{"iam", "user", "create", "--name", "alice", "--password", "Pa55word!"}, "",
			`{"name":"alice","password":"Pa55word!","admin":false}`, []string{"alice"}},
		{"json output", []string{"iam", "user", "create", "alice", "-o", "json"}, "",
			`{"name":"alice","admin":false}`, []string{`"name": "alice"`, `"created_at": "2025-01-02T03:04:05Z"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, map[string]clienttest.Reply{"POST /opendms/v1/users": {Status: 201, Body: `{"user":` + aliceJSON + `}`}})
			useFake(t, f, testPID)
			r := run(t, tt.stdin, tt.args...).wantCode(t, exitOK)
			s := f.Only()
			mustSigned(t, s)
			clienttest.JSONEqual(t, s.Body, tt.wantBody)
			for _, w := range tt.wantOut {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			if strings.Contains(r.stdout, "Pa55word!") {
				t.Errorf("the password was printed")
			}
		})
	}
}

func TestUserCreateUsageErrors(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, nil)
	useFake(t, f, "")
	run(t, "\n", "iam", "user", "create", "alice", "--password-stdin").wantCode(t, exitUsage)
	run(t, "pw\n", "iam", "user", "create", "alice", "--password-stdin", "--password", "pw").wantCode(t, exitUsage)
	run(t, "", "iam", "user", "create", "alice", "--name", "bob").wantCode(t, exitUsage)
	run(t, "", "iam", "user", "create").wantCode(t, exitUsage)
	if len(f.Requests()) != 0 {
		t.Error("a request was sent")
	}
}

func TestKeyCreate(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"POST /opendms/v1/users/alice/access-keys": {Status: 201, Body: newKeyJSON},
		"POST /opendms/v1/users/admin/access-keys": {Status: 201, Body: strings.Replace(newKeyJSON, `"alice"`, `"admin"`, 1)},
		"GET /opendms/v1/whoami":                   {Status: 200, Body: whoami},
	})
	useFake(t, f, testPID)

	r := run(t, "", "iam", "key", "create", "--user", "alice", "--description", "ci").wantCode(t, exitOK)
	s := f.Only()
	mustSigned(t, s)
	clienttest.JSONEqual(t, s.Body, `{"description":"ci"}`)
	for _, w := range []string{"NEWAK0000000000000001", "newSecretKey00000000000000000000000000001", "alice"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "shown only this once") {
		t.Errorf("no warning on stderr: %q", r.stderr)
	}

	// JSON output carries the secret too (the user asked for a new key), and nothing else on stdout.
	r = run(t, "", "iam", "key", "create", "--user", "alice", "-o", "json").wantCode(t, exitOK)
	var k struct{ AccessKey, SecretKey string }
	if err := json.Unmarshal([]byte(r.stdout), &struct {
		AccessKey *string `json:"access_key"`
		SecretKey *string `json:"secret_key"`
	}{&k.AccessKey, &k.SecretKey}); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if k.AccessKey != "NEWAK0000000000000001" || k.SecretKey != "newSecretKey00000000000000000000000000001" {
		t.Errorf("key = %+v", k)
	}
	if r.stderr != "" {
		t.Errorf("stderr = %q, want nothing with -o json", r.stderr)
	}

	// Without --user, the key is the caller's.
	r = run(t, "", "iam", "key", "create").wantCode(t, exitOK)
	reqs := f.Requests()
	last2 := reqs[len(reqs)-2:]
	if last2[0].Path != "/opendms/v1/whoami" || last2[1].Path != "/opendms/v1/users/admin/access-keys" {
		t.Errorf("requests = %s, %s", last2[0].Path, last2[1].Path)
	}
	if len(last2[1].Body) != 0 {
		t.Errorf("body without description = %q, want none", last2[1].Body)
	}
}

func TestKeyListShowsNoSecrets(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"GET /opendms/v1/users/alice/access-keys": {Status: 200, Body: `{"access_keys":[{"access_key":"AK1AK1AK1","user_id":"u-alice","description":"ci","enabled":true,"created_at":` + ts + `}]}`},
	})
	useFake(t, f, "")
	r := run(t, "", "iam", "key", "list", "--user", "alice").wantCode(t, exitOK)
	mustSigned(t, f.Only())
	want := "ACCESS_KEY  ENABLED  DESCRIPTION  CREATED\nAK1AK1AK1   true     ci           2025-01-02T03:04:05Z\n"
	if r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}
	if strings.Contains(strings.ToLower(r.stdout), "secret") {
		t.Errorf("the list mentions secrets:\n%s", r.stdout)
	}
}

func TestIAMCommands(t *testing.T) {
	bindingJSON := `{"user":"alice","project_id":"` + testPID + `","role":"DMS ReadOnlyAccess"}`
	replies := map[string]clienttest.Reply{
		"GET /opendms/v1/whoami":                         {Status: 200, Body: whoami},
		"GET /opendms/v1/projects":                       {Status: 200, Body: `{"projects":[{"id":"` + testPID + `","domain_id":"d1","name":"cn-north-4","created_at":` + ts + `}]}`},
		"POST /opendms/v1/projects":                      {Status: 201, Body: `{"project":{"id":"` + testPID + `","domain_id":"d1","name":"eu-1","description":"EU","created_at":` + ts + `}}`},
		"GET /opendms/v1/users":                          {Status: 200, Body: `{"users":[` + aliceJSON + `]}`},
		"DELETE /opendms/v1/users/alice":                 {Status: 204},
		"PUT /opendms/v1/users/alice/password":           {Status: 204},
		"DELETE /opendms/v1/users/alice/access-keys/AK1": {Status: 204},
		"GET /opendms/v1/policies":                       {Status: 200, Body: `{"policies":[{"id":"p1","name":"DMS FullAccess","policy":"{}","system":true,"created_at":` + ts + `},{"id":"p2","name":"ro","policy":"{}","system":false,"created_at":` + ts + `}]}`},
		"POST /opendms/v1/policies":                      {Status: 201, Body: `{"policy":{"id":"p3","name":"mine","policy":"{}","system":false,"created_at":` + ts + `}}`},
		"DELETE /opendms/v1/policies/mine":               {Status: 204},
		"GET /opendms/v1/role-bindings":                  {Status: 200, Body: `{"role_bindings":[` + bindingJSON + `,{"user":"bob","project_id":"` + testPID + `","role":"DMS FullAccess"}]}`},
		"POST /opendms/v1/role-bindings":                 {Status: 201, Body: `{"role_binding":` + bindingJSON + `}`},
		"DELETE /opendms/v1/role-bindings":               {Status: 204},
		"GET /opendms/v1/accounts":                       {Status: 200, Body: `{"accounts":[{"id":"d1","name":"admin","created_at":` + ts + `}]}`},
		"POST /opendms/v1/accounts": {Status: 201, Body: `{"account":{"id":"d2","name":"team","created_at":` + ts + `},"admin":` + strings.Replace(aliceJSON, "alice", "root", 1) +
			`,"project":{"id":"` + testPID + `","domain_id":"d2","name":"cn-north-4","created_at":` + ts + `},"access_key":` + strings.Replace(newKeyJSON, "alice", "root", 1) + `}`},
		"PATCH /opendms/v1/users/alice": {Status: 200, Body: `{"user":` + aliceJSON + `}`},
	}
	policyDoc := `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:instance:get"]}]}`
	tests := []struct {
		name     string
		args     []string
		stdin    string
		file     string   // content of ./policy.json
		wantReqs []string // "METHOD path" of the requests, in order
		wantBody string   // body of the last request ("" for none)
		wantOut  string   // substring of stdout
	}{
		{name: "whoami", args: []string{"iam", "whoami"}, wantReqs: []string{"GET /opendms/v1/whoami"}, wantOut: "cn-north-4 (" + testPID + ")"},
		{name: "project list", args: []string{"iam", "project", "list"}, wantReqs: []string{"GET /opendms/v1/projects"}, wantOut: "cn-north-4"},
		{name: "project create", args: []string{"iam", "project", "create", "eu-1", "--description", "EU"},
			wantReqs: []string{"POST /opendms/v1/projects"}, wantBody: `{"name":"eu-1","description":"EU"}`, wantOut: "eu-1"},
		{name: "user list yaml", args: []string{"iam", "user", "list", "-o", "yaml"}, wantReqs: []string{"GET /opendms/v1/users"}, wantOut: "- admin: false\n  created_at: \"2025-01-02T03:04:05Z\"\n"},
		{name: "user delete", args: []string{"iam", "user", "delete", "alice"}, wantReqs: []string{"DELETE /opendms/v1/users/alice"}, wantOut: `Deleted IAM user "alice".`},
		{name: "user passwd", args: []string{"iam", "user", "passwd", "alice"}, stdin: "N3w-pass\r\n",
			wantReqs: []string{"PUT /opendms/v1/users/alice/password"}, wantBody: `{"password":"N3w-pass"}`},
		{name: "user passwd by flag", args: []string{"iam", "user", "passwd", "alice", "--password", "N3w-pass"},
			wantReqs: []string{"PUT /opendms/v1/users/alice/password"}, wantBody: `{"password":"N3w-pass"}`},
		{name: "key delete", args: []string{"iam", "key", "delete", "AK1", "--user", "alice"}, wantReqs: []string{"DELETE /opendms/v1/users/alice/access-keys/AK1"}},
		{name: "policy list", args: []string{"iam", "policy", "list"}, wantReqs: []string{"GET /opendms/v1/policies"}, wantOut: "DMS FullAccess  system"},
		{name: "policy create from a document", args: []string{"iam", "policy", "create", "--file", "policy.json", "--name", "mine"}, file: policyDoc,
			wantReqs: []string{"POST /opendms/v1/policies"}, wantBody: `{"name":"mine","policy":` + policyDoc + `}`, wantOut: "mine"},
		{name: "policy create from a request", args: []string{"iam", "policy", "create", "-f", "policy.json", "--description", "d2"},
			file:     `{"name":"mine","description":"d1","policy":` + policyDoc + `}`,
			wantReqs: []string{"POST /opendms/v1/policies"}, wantBody: `{"name":"mine","description":"d2","policy":` + policyDoc + `}`},
		{name: "policy create from stdin", args: []string{"iam", "policy", "create", "-f", "-", "--name", "mine"}, stdin: policyDoc,
			wantReqs: []string{"POST /opendms/v1/policies"}, wantBody: `{"name":"mine","policy":` + policyDoc + `}`},
		{name: "policy delete", args: []string{"iam", "policy", "delete", "mine"}, wantReqs: []string{"DELETE /opendms/v1/policies/mine"}},
		{name: "role list filtered", args: []string{"iam", "role", "list", "--user", "alice", "-o", "json"}, wantReqs: []string{"GET /opendms/v1/role-bindings"},
			wantOut: `[` + "\n  {\n    \"user\": \"alice\","},
		{name: "role bind by project name", args: []string{"iam", "role", "bind", "--user", "alice", "--project", "cn-north-4", "--role", "DMS ReadOnlyAccess"},
			wantReqs: []string{"GET /opendms/v1/projects", "POST /opendms/v1/role-bindings"}, wantBody: bindingJSON, wantOut: "Granted"},
		{name: "role unbind by project id", args: []string{"iam", "role", "unbind", "--user", "alice", "--project", testPID, "--role", "DMS ReadOnlyAccess"},
			wantReqs: []string{"DELETE /opendms/v1/role-bindings"}, wantBody: bindingJSON, wantOut: "Revoked"},
		{name: "account list", args: []string{"iam", "account", "list"}, wantReqs: []string{"GET /opendms/v1/accounts"}, wantOut: "admin"},
		{name: "account create", args: []string{"iam", "account", "create", "team", "--admin-name", "root", "--admin-password-stdin"}, stdin: "Pa55word!\n",
			wantReqs: []string{"POST /opendms/v1/accounts"}, wantBody: `{"name":"team","admin_name":"root","admin_password":"Pa55word!"}`, wantOut: "team"},
		{name: "account create with an access key", args: []string{"iam", "account", "create", "team", "--admin-password-stdin", "--access-key"}, stdin: "Pa55word!\n",
			wantReqs: []string{"POST /opendms/v1/accounts"}, wantBody: `{"name":"team","admin_name":"admin","admin_password":"Pa55word!","create_access_key":true}`,
			wantOut: "project_id:  " + testPID + "\naccess_key:  NEWAK0000000000000001\nsecret_key:  newSecretKey00000000000000000000000000001"},
		{name: "user disable", args: []string{"iam", "user", "disable", "alice"}, wantReqs: []string{"PATCH /opendms/v1/users/alice"},
			wantBody: `{"enabled":false}`, wantOut: `Disabled IAM user "alice".`},
		{name: "user enable", args: []string{"iam", "user", "enable", "alice"}, wantReqs: []string{"PATCH /opendms/v1/users/alice"},
			wantBody: `{"enabled":true}`, wantOut: `Enabled IAM user "alice".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, replies)
			useFake(t, f, testPID)
			if tt.file != "" {
				if err := os.WriteFile("policy.json", []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := run(t, tt.stdin, tt.args...).wantCode(t, exitOK)
			reqs := f.Requests()
			var got []string
			for _, s := range reqs {
				mustSigned(t, s)
				got = append(got, s.Method+" "+s.Path)
			}
			if strings.Join(got, "|") != strings.Join(tt.wantReqs, "|") {
				t.Fatalf("requests = %q, want %q", got, tt.wantReqs)
			}
			last := reqs[len(reqs)-1]
			if tt.wantBody == "" {
				if len(last.Body) != 0 {
					t.Errorf("body = %q, want none", last.Body)
				}
			} else {
				clienttest.JSONEqual(t, last.Body, tt.wantBody)
			}
			if !strings.Contains(r.stdout, tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, r.stdout)
			}
		})
	}
}

func TestToken(t *testing.T) {
	isolate(t)
	body := `{"token":{"expires_at":"2025-01-03T03:04:05.000000Z","issued_at":"2025-01-02T03:04:05.000000Z","methods":["password"],` +
		`"project":{"id":"` + testPID + `","name":"cn-north-4","domain":{"id":"d1","name":"admin"}},` +
		`"user":{"id":"u1","name":"admin","domain":{"id":"d1","name":"admin"}},"roles":[],"catalog":[]}}`
	f := newFakeDMS(t, map[string]clienttest.Reply{"POST /v3/auth/tokens": {Status: 201, Body: body, Header: map[string]string{"X-Subject-Token": "MIItoken"}}})
	// Defaults from the admin credentials file; no AK/SK needed (the file's are ignored).
	writeCredentials(t, defaultCredentialsFile, iam.AdminCredentials{
		Endpoint: f.URL, Region: "cn-north-4", DomainName: "admin", UserName: "admin", ProjectName: "cn-north-4", AccessKey: "X", SecretKey: "Y",
	})
	r := run(t, "Pa55word!\n", "token", "--password-stdin").wantCode(t, exitOK)
	if r.stdout != "MIItoken\n" {
		t.Errorf("stdout = %q, want the token alone", r.stdout)
	}
	s := f.Only()
	if s.Header.Get("Authorization") != "" {
		t.Errorf("the token request was signed")
	}
	clienttest.JSONEqual(t, s.Body, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","password":"Pa55word!","domain":{"name":"admin"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`)

	r = run(t, "pw\n", "token", "--password-stdin", "--domain", "team", "--user", "alice", "--project", "eu-1", "-o", "json").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, `"token": "MIItoken"`) || !strings.Contains(r.stdout, `"expires_at": "2025-01-03T03:04:05Z"`) {
		t.Errorf("json = %s", r.stdout)
	}
	reqs := f.Requests()
	clienttest.JSONEqual(t, reqs[len(reqs)-1].Body, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"pw","domain":{"name":"team"}}}},"scope":{"project":{"name":"eu-1"}}}}`)

	run(t, "pw\n", "token", "--user", "alice").wantCode(t, exitUsage) // no --password-stdin
}

func TestCatalog(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"GET /v2/available-zones": {Status: 200, Body: `{"region_id":"cn-north-4","available_zones":[{"soldOut":false,"id":"az1id","code":"cn-north-4a","name":"AZ1","port":"8002","resource_availability":"true","default_az":true,"remain_time":9223372036854775807,"ipv6_enable":false}]}`},
		"GET /v2/kafka/products": {Status: 200, Body: `{"engine":"kafka","versions":["2.7","3.x"],"products":[{"type":"cluster","product_id":"c6.2u4g.cluster","ecs_flavor_id":"c6.large.2","arch_types":["X86"],` +
			`"properties":{"max_partition_per_broker":"250","max_broker":"30","max_storage_per_node":"30000","max_consumer_per_broker":"4000","min_broker":"3","max_bandwidth_per_broker":"100","min_storage_per_node":"100","max_tps_per_broker":"30000","product_alias":"kafka.2u4g.cluster"}}]}`},
		"GET /v2/instances/maintain-windows": {Status: 200, Body: `{"maintain_windows":[{"default":false,"end":"06:00:00","begin":"02:00:00","seq":1},{"default":true,"end":"10:00:00","begin":"06:00:00","seq":2}]}`},
	})
	useFake(t, f, "")
	r := run(t, "", "catalog", "azs").wantCode(t, exitOK)
	if want := "ID     CODE         NAME  PORT  AVAILABLE  DEFAULT\naz1id  cn-north-4a  AZ1   8002  true       true\n"; r.stdout != want {
		t.Errorf("azs =\n%s\nwant\n%s", r.stdout, want)
	}
	r = run(t, "", "catalog", "products").wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "c6.2u4g.cluster  cluster  X86   3-30") || !strings.Contains(r.stdout, "100-30000") {
		t.Errorf("products =\n%s", r.stdout)
	}
	r = run(t, "", "catalog", "windows", "-o", "json").wantCode(t, exitOK)
	clienttest.JSONEqual(t, []byte(r.stdout), `[{"seq":1,"begin":"02:00:00","end":"06:00:00","default":false},{"seq":2,"begin":"06:00:00","end":"10:00:00","default":true}]`)
	for _, s := range f.Requests() {
		mustSigned(t, s)
	}
}
