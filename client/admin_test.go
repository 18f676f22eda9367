package client

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/opendms/opendms/client/clienttest"
)

func TestAdminHelpers(t *testing.T) {
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	const ts = `"2025-01-02T03:04:05Z"`
	user := `{"id":"u1","domain_id":"d1","name":"alice","admin":false,"enabled":true,"created_at":` + ts + `}`
	project := `{"id":"` + testPID + `","domain_id":"d1","name":"cn-north-4","created_at":` + ts + `}`
	wantUser := User{ID: "u1", DomainID: "d1", Name: "alice", Enabled: true, CreatedAt: created}
	wantProject := Project{ID: testPID, DomainID: "d1", Name: "cn-north-4", CreatedAt: created}
	binding := RoleBinding{User: "alice", ProjectID: testPID, Role: "DMS ReadOnlyAccess"}
	const bindingJSON = `{"user":"alice","project_id":"` + testPID + `","role":"DMS ReadOnlyAccess"}`

	tests := []struct {
		name     string
		call     func(c *Client) (any, error)
		method   string
		path     string // decoded, as the server sees it
		reply    clienttest.Reply
		wantBody string // "" means no body
		want     any
	}{
		{"WhoAmI", func(c *Client) (any, error) { return c.WhoAmI(ctx()) },
			"GET", "/opendms/v1/whoami",
			clienttest.Reply{Status: 200, Body: `{"user":` + user + `,"account":{"id":"d1","name":"admin","created_at":` + ts + `},"auth_method":"aksk","access_key":"` + testAK + `","projects":[` + project + `],"region":"cn-north-4"}`}, "",
			&Identity{User: wantUser, Account: Account{ID: "d1", Name: "admin", CreatedAt: created}, AuthMethod: "aksk", AccessKey: testAK, Projects: []Project{wantProject}, Region: "cn-north-4"}},
		{"ListAccounts", func(c *Client) (any, error) { return c.ListAccounts(ctx()) },
			"GET", "/opendms/v1/accounts", clienttest.Reply{Status: 200, Body: `{"accounts":[{"id":"d1","name":"admin","created_at":` + ts + `}]}`}, "",
			[]Account{{ID: "d1", Name: "admin", CreatedAt: created}}},
		{"CreateAccount", func(c *Client) (any, error) {
			return c.CreateAccount(ctx(), AccountRequest{Name: "team", AdminName: "root", AdminPassword: "Pa55word!"})
		},
			"POST", "/opendms/v1/accounts", clienttest.Reply{Status: 201, Body: `{"account":{"id":"d2","name":"team","created_at":` + ts + `},"admin":` + user + `,"project":` + project + `}`},
			`{"name":"team","admin_name":"root","admin_password":"Pa55word!"}`,
			&NewAccount{Account: Account{ID: "d2", Name: "team", CreatedAt: created}, Admin: wantUser, Project: wantProject}},
		{"CreateAccount with an access key", func(c *Client) (any, error) {
			return c.CreateAccount(ctx(), AccountRequest{Name: "team", AdminPassword: "Pa55word!", CreateAccessKey: true})
		},
			"POST", "/opendms/v1/accounts", clienttest.Reply{Status: 201, Body: `{"account":{"id":"d2","name":"team","created_at":` + ts + `},"admin":` + user + `,"project":` + project +
				`,"access_key":{"access_key":"AK1","secret_key":"SK1","user":"alice","created_at":` + ts + `}}`},
			`{"name":"team","admin_password":"Pa55word!","create_access_key":true}`,
			&NewAccount{Account: Account{ID: "d2", Name: "team", CreatedAt: created}, Admin: wantUser, Project: wantProject,
				AccessKey: &NewAccessKey{AccessKey: "AK1", SecretKey: "SK1", User: "alice", CreatedAt: created}}},
		{"ListProjects", func(c *Client) (any, error) { return c.ListProjects(ctx()) },
			"GET", "/opendms/v1/projects", clienttest.Reply{Status: 200, Body: `{"projects":[` + project + `]}`}, "", []Project{wantProject}},
		{"ListProjects empty", func(c *Client) (any, error) { return c.ListProjects(ctx()) },
			"GET", "/opendms/v1/projects", clienttest.Reply{Status: 200, Body: `{"projects":[]}`}, "", []Project{}},
		{"CreateProject", func(c *Client) (any, error) { return c.CreateProject(ctx(), "cn-north-4", "d") },
			"POST", "/opendms/v1/projects", clienttest.Reply{Status: 201, Body: `{"project":` + project + `}`},
			`{"name":"cn-north-4","description":"d"}`, &wantProject},
		{"ListUsers", func(c *Client) (any, error) { return c.ListUsers(ctx()) },
			"GET", "/opendms/v1/users", clienttest.Reply{Status: 200, Body: `{"users":[` + user + `]}`}, "", []User{wantUser}},
		{"GetUser", func(c *Client) (any, error) { return c.GetUser(ctx(), "alice") },
			"GET", "/opendms/v1/users/alice", clienttest.Reply{Status: 200, Body: `{"user":` + user[:len(user)-1] + `,"roles":[` + bindingJSON + `]}}`}, "",
			func() *User { u := wantUser; u.Roles = []RoleBinding{binding}; return &u }()},
		{"CreateUser", func(c *Client) (any, error) { return c.CreateUser(ctx(), "alice", "Pa55word!", false) },
			"POST", "/opendms/v1/users", clienttest.Reply{Status: 201, Body: `{"user":` + user + `}`},
			`{"name":"alice","password":"Pa55word!","admin":false}`, &wantUser},
		{"CreateUser without password", func(c *Client) (any, error) { return c.CreateUser(ctx(), "alice", "", true) },
			"POST", "/opendms/v1/users", clienttest.Reply{Status: 201, Body: `{"user":` + user + `}`},
			`{"name":"alice","admin":true}`, &wantUser},
		{"DeleteUser", func(c *Client) (any, error) { return nil, c.DeleteUser(ctx(), "alice") },
			"DELETE", "/opendms/v1/users/alice", clienttest.Reply{Status: 204}, "", nil},
		{"DeleteUser escapes", func(c *Client) (any, error) { return nil, c.DeleteUser(ctx(), "a/b c") },
			"DELETE", "/opendms/v1/users/a/b c", clienttest.Reply{Status: 204}, "", nil},
		{"SetUserEnabled", func(c *Client) (any, error) { return c.SetUserEnabled(ctx(), "alice", false) },
			"PATCH", "/opendms/v1/users/alice", clienttest.Reply{Status: 200, Body: `{"user":` + user + `}`}, `{"enabled":false}`, &wantUser},
		{"SetUserPassword", func(c *Client) (any, error) { return nil, c.SetUserPassword(ctx(), "alice", "N3w-pass") },
			"PUT", "/opendms/v1/users/alice/password", clienttest.Reply{Status: 204}, `{"password":"N3w-pass"}`, nil},
		{"ListAccessKeys", func(c *Client) (any, error) { return c.ListAccessKeys(ctx(), "alice") },
			"GET", "/opendms/v1/users/alice/access-keys", clienttest.Reply{Status: 200, Body: `{"access_keys":[{"access_key":"AK1","user_id":"u1","enabled":true,"created_at":` + ts + `}]}`}, "",
			[]AccessKey{{AccessKey: "AK1", UserID: "u1", Enabled: true, CreatedAt: created}}},
		{"CreateAccessKey", func(c *Client) (any, error) { return c.CreateAccessKey(ctx(), "alice", "ci") },
			"POST", "/opendms/v1/users/alice/access-keys", clienttest.Reply{Status: 201, Body: `{"access_key":"AK1","secret_key":"SK1","user":"alice","created_at":` + ts + `}`},
			`{"description":"ci"}`, &NewAccessKey{AccessKey: "AK1", SecretKey: "SK1", User: "alice", CreatedAt: created}},
		{"CreateAccessKey without description", func(c *Client) (any, error) { return c.CreateAccessKey(ctx(), "alice", "") },
			"POST", "/opendms/v1/users/alice/access-keys", clienttest.Reply{Status: 201, Body: `{"access_key":"AK1","secret_key":"SK1","user":"alice","created_at":` + ts + `}`},
			"", &NewAccessKey{AccessKey: "AK1", SecretKey: "SK1", User: "alice", CreatedAt: created}},
		{"DeleteAccessKey", func(c *Client) (any, error) { return nil, c.DeleteAccessKey(ctx(), "alice", "AK1") },
			"DELETE", "/opendms/v1/users/alice/access-keys/AK1", clienttest.Reply{Status: 204}, "", nil},
		{"ListPolicies", func(c *Client) (any, error) { return c.ListPolicies(ctx()) },
			"GET", "/opendms/v1/policies", clienttest.Reply{Status: 200, Body: `{"policies":[{"id":"p1","name":"DMS FullAccess","policy":"{\"Version\":\"1.1\"}","system":true,"created_at":` + ts + `}]}`}, "",
			[]Policy{{ID: "p1", Name: "DMS FullAccess", Document: `{"Version":"1.1"}`, System: true, CreatedAt: created}}},
		{"CreatePolicy", func(c *Client) (any, error) {
			return c.CreatePolicy(ctx(), "ro", "", json.RawMessage(`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:*:get*"]}]}`))
		},
			"POST", "/opendms/v1/policies", clienttest.Reply{Status: 201, Body: `{"policy":{"id":"p2","domain_id":"d1","name":"ro","policy":"{}","system":false,"created_at":` + ts + `}}`},
			`{"name":"ro","policy":{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:*:get*"]}]}}`,
			&Policy{ID: "p2", DomainID: "d1", Name: "ro", Document: "{}", CreatedAt: created}},
		{"DeletePolicy", func(c *Client) (any, error) { return nil, c.DeletePolicy(ctx(), "ro") },
			"DELETE", "/opendms/v1/policies/ro", clienttest.Reply{Status: 204}, "", nil},
		{"ListRoleBindings", func(c *Client) (any, error) { return c.ListRoleBindings(ctx()) },
			"GET", "/opendms/v1/role-bindings", clienttest.Reply{Status: 200, Body: `{"role_bindings":[` + bindingJSON + `]}`}, "", []RoleBinding{binding}},
		{"Bind", func(c *Client) (any, error) { return nil, c.Bind(ctx(), binding) },
			"POST", "/opendms/v1/role-bindings", clienttest.Reply{Status: 201, Body: `{"role_binding":` + bindingJSON + `}`}, bindingJSON, nil},
		{"Unbind", func(c *Client) (any, error) { return nil, c.Unbind(ctx(), binding) },
			"DELETE", "/opendms/v1/role-bindings", clienttest.Reply{Status: 204}, bindingJSON, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{tt.method + " " + tt.path: tt.reply})
			c := newTestClient(t, f, testPID)
			got, err := tt.call(c)
			if err != nil {
				t.Fatal(err)
			}
			s := f.Last()
			assertSigned(t, s)
			if s.Method != tt.method || s.Path != tt.path {
				t.Errorf("request = %s %s, want %s %s", s.Method, s.Path, tt.method, tt.path)
			}
			if tt.wantBody == "" {
				if len(s.Body) != 0 {
					t.Errorf("body = %q, want none", s.Body)
				}
			} else {
				clienttest.JSONEqual(t, s.Body, tt.wantBody)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("result = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestAdminHelperErrors(t *testing.T) {
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{
		"DELETE /opendms/v1/users/bob": {Status: 404, Body: `{"error_code":"DMS.00404022","error_msg":"IAM user \"bob\" does not exist"}`},
	})
	c := newTestClient(t, f, "")
	err := c.DeleteUser(ctx(), "bob")
	apiErr, ok := err.(*APIError)
	if !ok || apiErr.Status != 404 || apiErr.Code != "DMS.00404022" || apiErr.Message != `IAM user "bob" does not exist` {
		t.Fatalf("err = %#v", err)
	}
}

func TestIssueToken(t *testing.T) {
	body := `{"token":{"expires_at":"2025-01-03T03:04:05.000000Z","issued_at":"2025-01-02T03:04:05.000000Z","methods":["password"],` +
		`"project":{"id":"` + testPID + `","name":"cn-north-4","domain":{"id":"d1","name":"admin"}},` +
		`"user":{"id":"u1","name":"alice","domain":{"id":"d1","name":"admin"}},"roles":[],"catalog":[]}}`
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{
		"POST /v3/auth/tokens": {Status: 201, Body: body, Header: map[string]string{TokenHeader: "MIItoken"}},
	})
	c := newTestClient(t, f, "")
	tok, err := c.IssueToken(ctx(), "admin", "alice", "Pa55word!", "cn-north-4")
	if err != nil {
		t.Fatal(err)
	}
	s := f.Last()
	if s.Header.Get("Authorization") != "" {
		t.Errorf("the token request is signed: %q", s.Header.Get("Authorization"))
	}
	clienttest.JSONEqual(t, s.Body, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"Pa55word!","domain":{"name":"admin"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`)
	want := &Token{
		Value:     "MIItoken",
		IssuedAt:  time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		ExpiresAt: time.Date(2025, 1, 3, 3, 4, 5, 0, time.UTC),
		User:      Ref{"u1", "alice"}, Domain: Ref{"d1", "admin"}, Project: Ref{testPID, "cn-north-4"},
	}
	if !reflect.DeepEqual(tok, want) {
		t.Errorf("token = %+v\nwant %+v", tok, want)
	}
	// The client itself still signs afterwards.
	if _, err := c.ListUsers(ctx()); err == nil || f.Last().AK != testAK {
		t.Errorf("the client lost its key after IssueToken: %v", err)
	}
}

func ctx() context.Context { return context.Background() }
