package iam

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opendms/opendms/aksk"
	"github.com/opendms/opendms/internal/dms"
)

// authenticateAK runs both halves of AK/SK authentication on a fresh signed GET.
func authenticateAK(s *Service, ak, sk, projectID string) (Principal, error) {
	r := httptest.NewRequest("GET", "http://dms/v2/"+projectID+"/instances", nil)
	if err := aksk.Sign(r, nil, ak, sk, time.Now()); err != nil {
		return Principal{}, err
	}
	p, err := s.AuthenticateHeaders(r.Context(), r)
	if err != nil {
		return Principal{}, err
	}
	return s.AuthenticateBody(r, p, nil)
}

// Every IAM change made through the Service, or through Store() as the admin API's policy deletion
// is, takes effect on the next request although credentials, tokens, role bindings and policies are
// cached (issue 11): each case warms the caches, changes one thing and expects the next request
// refused.
func TestCachesInvalidatedOnChange(t *testing.T) {
	const allow = `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:instance:*"]}]}`
	const deny = `{"Version":"1.1","Statement":[{"Effect":"Deny","Action":["dms:instance:get"]}]}`
	const password = "Passw0rd-user"
	tests := []struct {
		name      string
		role      string // bound to the user before the change: a system role or "custom" (allow)
		change    func(t *testing.T, s *Service, domainID, projectID string, u dms.User, ak string)
		wantAuth  string // the code refusing authentication after the change ("" if it still passes)
		wantAuthz string // the code refusing authorization after the change
		token     bool   // authenticate with a token instead of the access key
	}{
		{name: "access key deleted", role: "DMS FullAccess", wantAuth: dms.CodeSignatureInvalid,
			change: func(t *testing.T, s *Service, _, _ string, _ dms.User, ak string) {
				must(t, s.DeleteAccessKey(context.Background(), ak))
			}},
		{name: "user disabled", role: "DMS FullAccess", wantAuth: dms.CodeSignatureInvalid,
			change: func(t *testing.T, s *Service, _, _ string, u dms.User, _ string) {
				must(t, s.SetUserEnabled(context.Background(), u.ID, false))
			}},
		{name: "user deleted", role: "DMS FullAccess", wantAuth: dms.CodeSignatureInvalid,
			change: func(t *testing.T, s *Service, _, _ string, u dms.User, _ string) {
				must(t, s.DeleteUser(context.Background(), u.ID))
			}},
		{name: "role unbound", role: "DMS FullAccess", wantAuthz: dms.CodeAuthorizationDenied,
			change: func(t *testing.T, s *Service, domainID, projectID string, u dms.User, _ string) {
				must(t, s.Unbind(context.Background(), domainID, u.Name, projectID, "DMS FullAccess"))
			}},
		{name: "deny policy bound", role: "DMS FullAccess", wantAuthz: dms.CodeRoleForbidden,
			change: func(t *testing.T, s *Service, domainID, projectID string, u dms.User, _ string) {
				ctx := context.Background()
				_, err := s.CreatePolicy(ctx, domainID, "deny-get", "", deny)
				must(t, err)
				_, err = s.Bind(ctx, domainID, u.Name, projectID, "deny-get")
				must(t, err)
			}},
		{name: "bound policy deleted through Store()", role: "custom", wantAuthz: dms.CodeAuthorizationDenied,
			change: func(t *testing.T, s *Service, domainID, _ string, _ dms.User, _ string) {
				ctx := context.Background()
				p, err := s.Store().GetPolicyByName(ctx, domainID, "custom")
				must(t, err)
				must(t, s.Store().DeletePolicy(ctx, p.ID))
			}},
		{name: "token revoked by a password change", role: "DMS FullAccess", token: true, wantAuth: dms.CodeTokenInvalid,
			change: func(t *testing.T, s *Service, _, _ string, u dms.User, _ string) {
				must(t, s.SetPassword(context.Background(), u.ID, "Passw0rd-new"))
			}},
		{name: "token of a disabled user", role: "DMS FullAccess", token: true, wantAuth: dms.CodeTokenInvalid,
			change: func(t *testing.T, s *Service, _, _ string, u dms.User, _ string) {
				must(t, s.SetUserEnabled(context.Background(), u.ID, false))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, creds := newTestService(t, Config{})
			ctx := context.Background()
			proj, err := s.store.GetProject(ctx, creds.ProjectID)
			must(t, err)
			u, err := s.CreateUser(ctx, proj.DomainID, "operator", password, false)
			must(t, err)
			key, sk, err := s.CreateAccessKey(ctx, u.ID, "")
			must(t, err)
			if tt.role == "custom" {
				_, err := s.CreatePolicy(ctx, proj.DomainID, "custom", "", allow)
				must(t, err)
			}
			_, err = s.Bind(ctx, proj.DomainID, u.Name, proj.ID, tt.role)
			must(t, err)
			var token string
			if tt.token {
				tok, err := s.IssueToken(ctx, PasswordAuth{UserID: u.ID, Password: password, ProjectID: proj.ID})
				must(t, err)
				token = tok.Value
			}
			authenticate := func() (Principal, error) {
				if tt.token {
					return s.authenticateToken(ctx, token)
				}
				return authenticateAK(s, key.AccessKey, sk, proj.ID)
			}
			// Twice: the second request is answered from the caches.
			for range 2 {
				p, err := authenticate()
				must(t, err)
				must(t, s.Authorize(ctx, p, proj.ID, "dms:instance:get"))
			}

			tt.change(t, s, proj.DomainID, proj.ID, u, key.AccessKey)

			p, err := authenticate()
			if code(err) != tt.wantAuth {
				t.Fatalf("authentication after the change: %v, want %q", err, tt.wantAuth)
			}
			if err != nil {
				return
			}
			if err := s.Authorize(ctx, p, proj.ID, "dms:instance:get"); code(err) != tt.wantAuthz {
				t.Fatalf("authorization after the change: %v, want %q", err, tt.wantAuthz)
			}
		})
	}
}

// A read that started before an invalidation cannot put back what it read: it may predate the
// write that invalidated.
func TestTTLCachePutAfterInvalidation(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name       string
		invalidate func(c *ttlCache[string])
		wantCached bool
	}{
		{"no write in between", func(*ttlCache[string]) {}, true},
		{"all dropped in between", func(c *ttlCache[string]) { c.invalidate(nil) }, false},
		{"another key dropped in between", func(c *ttlCache[string]) {
			c.invalidate(func(k, _ string) bool { return k == "other" })
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTTLCache[string](time.Minute)
			gen := c.generation() // the read begins
			tt.invalidate(c)      // a write lands
			c.put("k", "v", gen, now)
			if _, ok := c.get("k", now); ok != tt.wantCached {
				t.Fatalf("cached = %v, want %v", ok, tt.wantCached)
			}
		})
	}
	c := newTTLCache[string](time.Minute)
	c.put("k", "v", c.generation(), now)
	if _, ok := c.get("k", now.Add(2*time.Minute)); ok {
		t.Fatal("an entry outlived its TTL")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
