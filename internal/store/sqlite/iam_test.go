package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// A custom policy named like a system role (older versions allowed it) is renamed by migration 0006
// and never found in the system role's place.
func TestCustomPoliciesWithSystemRoleNames(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	must(t, db.CreateDomain(ctx, dms.Domain{ID: "d1", Name: "acme", CreatedAt: now}))
	for _, p := range []dms.Policy{
		{ID: "system-DMS-FullAccess", Name: "DMS FullAccess", Document: `{}`, System: true, CreatedAt: now},
		{ID: "aaaaaaaa11", DomainID: "d1", Name: "DMS FullAccess", Document: `{}`, CreatedAt: now},
		{ID: "bbbbbbbb22", DomainID: "d1", Name: "dms fullaccess", Document: `{}`, CreatedAt: now},
		{ID: "cccccccc33", DomainID: "d1", Name: "mine", Document: `{}`, CreatedAt: now},
	} {
		must(t, db.CreatePolicy(ctx, p))
	}
	if p, err := db.GetPolicyByName(ctx, "d1", "DMS FullAccess"); err != nil || !p.System {
		t.Fatalf("by name: %+v, %v; want the system role", p, err)
	}
	// Run migration 0006 again, as on a database made before it.
	for _, q := range []string{`DELETE FROM schema_migrations WHERE version = 6`, `DROP INDEX tokens_user`} {
		if _, err := db.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if db, err = Open(ctx, dir); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string]string{"system-DMS-FullAccess": "DMS FullAccess", "aaaaaaaa11": "DMS FullAccess-custom-aaaaaaaa",
		"bbbbbbbb22": "dms fullaccess-custom-bbbbbbbb", "cccccccc33": "mine"}
	for id, name := range want {
		if p, err := db.GetPolicy(ctx, id); err != nil || p.Name != name {
			t.Errorf("policy %s: %q (%v), want %q", id, p.Name, err, name)
		}
	}
}

func TestCreateAccountAndDeleteUserTokens(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	acct := func(d, u, p, ak string) store.NewAccount {
		return store.NewAccount{
			Domain:  dms.Domain{ID: d, Name: "acct-" + d, CreatedAt: now},
			Admin:   dms.User{ID: u, DomainID: d, Name: "admin", Admin: true, Enabled: true, CreatedAt: now},
			Project: dms.Project{ID: p, DomainID: d, Name: "cn-north-4", CreatedAt: now},
			Key:     &dms.AccessKey{AccessKey: ak, UserID: u, SealedSecret: []byte{1}, Enabled: true, CreatedAt: now},
		}
	}
	must(t, db.CreateAccount(ctx, acct("d1", "u1", "p1", "AK1")))
	// A clash on the last insert (the access key) leaves nothing of the account behind.
	if err := db.CreateAccount(ctx, acct("d2", "u2", "p2", "AK1")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate AK: %v, want ErrConflict", err)
	}
	if _, err := db.GetDomain(ctx, "d2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("account d2 after the failed creation: %v", err)
	}
	if _, err := db.GetProject(ctx, "p2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("project p2 after the failed creation: %v", err)
	}

	for _, h := range []string{"t1", "t2"} {
		must(t, db.CreateToken(ctx, dms.Token{Hash: h, UserID: "u1", ProjectID: "p1", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}))
	}
	if n, err := db.DeleteUserTokens(ctx, "u1"); err != nil || n != 2 {
		t.Fatalf("DeleteUserTokens: %d, %v; want 2", n, err)
	}
	if _, err := db.GetToken(ctx, "t1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token after revocation: %v", err)
	}
}
