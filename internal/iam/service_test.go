package iam

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
	"github.com/opendms/opendms/internal/store/sqlite"
)

// newTestService opens a service on a fresh store, bootstrapped as dmsd does on first start.
func newTestService(t *testing.T, cfg Config) (*Service, AdminCredentials) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, st, sealer, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "admin-credentials.json")
	if _, err := s.Bootstrap(ctx, BootstrapConfig{Region: "cn-north-4"}, path); err != nil {
		t.Fatal(err)
	}
	creds, err := ReadCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, creds
}

// code is the DMS code of err ("" for nil).
func code(err error) string {
	if err == nil {
		return ""
	}
	return dms.AsError(err).Code
}

func TestPolicyNames(t *testing.T) {
	s, creds := newTestService(t, Config{})
	ctx := context.Background()
	doc := `{"Version":"1.1","Statement":[{"Effect":"Deny","Action":["dms:*:*"]}]}`
	tests := []struct {
		name, policy, desc string
		want               string // DMS code, "" for created
	}{
		{"a system role's name", "DMS FullAccess", "", dms.CodeConflict},
		{"a system role's name in lower case", "dms fullaccess", "", dms.CodeConflict},
		{"a system role's name in upper case", "DMS READONLYACCESS", "", dms.CodeConflict},
		{"another system role's name", "DMS UserAccess", "", dms.CodeConflict},
		{"path traversal", "../../x", "", dms.CodeInvalidParameter},
		{"slash", "a/b", "", dms.CodeInvalidParameter},
		{"empty", "", "", dms.CodeInvalidParameter},
		{"65 characters", strings.Repeat("p", 65), "", dms.CodeInvalidParameter},
		{"leading space", " DMS FullAccess", "", dms.CodeInvalidParameter},
		{"trailing space", "DMS FullAccess ", "", dms.CodeInvalidParameter},
		{"newline", "a\nb", "", dms.CodeInvalidParameter},
		{"percent", "a%2Fb", "", dms.CodeInvalidParameter},
		{"description too long", "long-description", strings.Repeat("d", 256), dms.CodeInvalidParameter},
		{"64 characters", strings.Repeat("p", 64), "", ""},
		{"letters, digits, spaces, _ . -", "Team A_read-only.v2", "", ""},
		{"a system role's name with more", "DMS FullAccess 2", "", ""},
		{"a custom name taken", "Team A_read-only.v2", "", dms.CodeConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreatePolicy(ctx, creds.DomainID, tt.policy, tt.desc, doc)
			if got := code(err); got != tt.want {
				t.Fatalf("CreatePolicy(%q) = %v, want code %q", tt.policy, err, tt.want)
			}
		})
	}

	// A custom policy named like a system role (as older versions allowed) never stands in for it.
	legacy := dms.Policy{ID: NewID(), DomainID: creds.DomainID, Name: "DMS FullAccess", Document: doc, CreatedAt: time.Now()}
	if err := s.store.CreatePolicy(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, creds.DomainID, "bob", "", false); err != nil {
		t.Fatal(err)
	}
	b, err := s.Bind(ctx, creds.DomainID, "bob", creds.ProjectID, "DMS FullAccess")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.store.GetPolicy(ctx, b.PolicyID); err != nil || !p.System {
		t.Fatalf("\"DMS FullAccess\" bound %+v (%v), want the system role", p, err)
	}
}

// Creating an account makes a tenant its administrator can use at once, or nothing at all.
func TestCreateAccount(t *testing.T) {
	s, creds := newTestService(t, Config{})
	ctx := context.Background()
	a, err := s.CreateAccount(ctx, AccountSpec{Name: "team-b", AdminPassword: "Passw0rd-b", ProjectName: "cn-north-4", AccessKey: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Admin.Name != "admin" || !a.Admin.Admin || a.Project.DomainID != a.Domain.ID || a.AccessKey == nil || a.SecretKey == "" {
		t.Fatalf("account %+v", a)
	}
	tok, err := s.IssueToken(ctx, PasswordAuth{DomainName: "team-b", UserName: "admin", Password: "Passw0rd-b", ProjectName: "cn-north-4"})
	if err != nil || tok.Project.ID != a.Project.ID {
		t.Fatalf("token of the new account: %+v, %v", tok.Project, err)
	}

	tests := []struct {
		name string
		spec AccountSpec
		want string
	}{
		{"name taken", AccountSpec{Name: "team-b", AdminPassword: "Passw0rd-b", ProjectName: "cn-north-4"}, dms.CodeConflict},
		{"project id taken: nothing is left behind", AccountSpec{Name: "team-c", AdminPassword: "Passw0rd-c", ProjectName: "cn-north-4", ProjectID: creds.ProjectID}, dms.CodeConflict},
		{"no password", AccountSpec{Name: "team-d", ProjectName: "cn-north-4"}, dms.CodeInvalidParameter},
		{"weak password", AccountSpec{Name: "team-d", AdminPassword: "password", ProjectName: "cn-north-4"}, dms.CodeInvalidParameter},
		{"bad name", AccountSpec{Name: "../x", AdminPassword: "Passw0rd-d", ProjectName: "cn-north-4"}, dms.CodeInvalidParameter},
		{"bad admin name", AccountSpec{Name: "team-d", AdminName: "9lives", AdminPassword: "Passw0rd-d", ProjectName: "cn-north-4"}, dms.CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.CreateAccount(ctx, tt.spec); code(err) != tt.want {
				t.Fatalf("CreateAccount = %v, want %s", err, tt.want)
			}
			if tt.spec.Name != "team-b" {
				if _, err := s.store.GetDomainByName(ctx, tt.spec.Name); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("a failed creation left account %s: %v", tt.spec.Name, err)
				}
			}
		})
	}
}

// The credentials file holds the admin's password only when dmsd generated it.
func TestBootstrapCredentialsPassword(t *testing.T) {
	const envPassword = "Fixed-Passw0rd-env"
	tests := []struct {
		name       string
		password   string // DMS_ADMIN_PASSWORD
		legacy     bool   // the file of an older version holds the password; restart with the variable
		wantStored bool
		wantSource string
	}{
		{"generated", "", false, true, PasswordGenerated},
		{"from the environment", envPassword, false, false, PasswordFromEnv},
		{"from the environment, older file scrubbed on restart", envPassword, true, false, PasswordFromEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			st, err := sqlite.Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			sealer, _ := NewSealer(bytes.Repeat([]byte{7}, 32))
			s, err := New(ctx, st, sealer, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "admin-credentials.json")
			if _, err := s.Bootstrap(ctx, BootstrapConfig{Password: tt.password}, path); err != nil {
				t.Fatal(err)
			}
			if tt.legacy {
				c, _ := ReadCredentials(path)
				c.Password, c.PasswordSource, c.PasswordNote = envPassword, "", ""
				if err := WriteCredentials(path, c); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Bootstrap(ctx, BootstrapConfig{Password: tt.password}, path); err != nil {
					t.Fatal(err)
				}
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c, err := ReadCredentials(path)
			if err != nil {
				t.Fatal(err)
			}
			if (c.Password != "") != tt.wantStored || c.PasswordSource != tt.wantSource || c.PasswordNote == "" {
				t.Fatalf("password stored %v, source %q, note %q; want stored %v, source %q, a note", c.Password != "", c.PasswordSource, c.PasswordNote, tt.wantStored, tt.wantSource)
			}
			if tt.password != "" && bytes.Contains(raw, []byte(tt.password)) {
				t.Fatalf("the file holds DMS_ADMIN_PASSWORD:\n%s", raw)
			}
			password := c.Password
			if password == "" {
				password = tt.password
			}
			if _, err := s.IssueToken(ctx, PasswordAuth{DomainName: "admin", UserName: "admin", Password: password, ProjectName: "cn-north-4"}); err != nil {
				t.Fatalf("the admin's password does not work: %v", err)
			}
		})
	}
}
