package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

func TestIAMRoundTripAndReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	d := dms.Domain{ID: "d1", Name: "acme", CreatedAt: now}
	p := dms.Project{ID: "p1", DomainID: "d1", Name: "cn-north-4", CreatedAt: now}
	u := dms.User{ID: "u1", DomainID: "d1", Name: "alice", PasswordHash: "h", Enabled: true, CreatedAt: now}
	k := dms.AccessKey{AccessKey: "AK1", UserID: "u1", SealedSecret: []byte{1, 2, 3}, Enabled: true, CreatedAt: now}
	pol := dms.Policy{ID: "pol1", Name: "DMS FullAccess", Document: `{}`, System: true, CreatedAt: now}
	steps := []func() error{
		func() error { return db.CreateDomain(ctx, d) },
		func() error { return db.CreateProject(ctx, p) },
		func() error { return db.CreateUser(ctx, u) },
		func() error { return db.CreateAccessKey(ctx, k) },
		func() error { return db.CreatePolicy(ctx, pol) },
		func() error { return db.CreatePolicy(ctx, pol) }, // system roles upsert
		func() error {
			return db.CreateRoleBinding(ctx, dms.RoleBinding{UserID: "u1", ProjectID: "p1", PolicyID: "pol1", CreatedAt: now})
		},
		func() error { return db.PutSetting(ctx, "bootstrapped", "yes") },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := db.CreateUser(ctx, u); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate user: got %v, want ErrConflict", err)
	}
	if _, err := db.GetUser(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing user: got %v, want ErrNotFound", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Everything survives a reopen, and migrations are not applied twice.
	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gotU, err := db.GetUserByName(ctx, "d1", "alice")
	if err != nil || gotU != u {
		t.Fatalf("user after reopen = %+v, %v; want %+v", gotU, err, u)
	}
	gotK, err := db.GetAccessKey(ctx, "AK1")
	if err != nil || string(gotK.SealedSecret) != string(k.SealedSecret) {
		t.Fatalf("key after reopen = %+v, %v", gotK, err)
	}
	bs, err := db.ListRoleBindings(ctx, "u1", "p1")
	if err != nil || len(bs) != 1 {
		t.Fatalf("bindings = %v, %v", bs, err)
	}
	if v, err := db.GetSetting(ctx, "bootstrapped"); err != nil || v != "yes" {
		t.Fatalf("setting = %q, %v", v, err)
	}
	// Deleting the user cascades to its keys and bindings.
	if err := db.DeleteUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetAccessKey(ctx, "AK1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("key after user delete: %v", err)
	}
	if bs, _ := db.ListRoleBindings(ctx, "u1", ""); len(bs) != 0 {
		t.Fatalf("bindings after user delete: %v", bs)
	}
}

func TestWALAndForeignKeys(t *testing.T) {
	db, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var fk int
	if err := db.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	if err := db.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

func TestTokensExpire(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	must(t, db.CreateDomain(ctx, dms.Domain{ID: "d", Name: "d", CreatedAt: now}))
	must(t, db.CreateProject(ctx, dms.Project{ID: "p", DomainID: "d", Name: "p", CreatedAt: now}))
	must(t, db.CreateUser(ctx, dms.User{ID: "u", DomainID: "d", Name: "u", Enabled: true, CreatedAt: now}))
	must(t, db.CreateToken(ctx, dms.Token{Hash: "old", UserID: "u", ProjectID: "p", IssuedAt: now.Add(-25 * time.Hour), ExpiresAt: now.Add(-time.Hour)}))
	must(t, db.CreateToken(ctx, dms.Token{Hash: "new", UserID: "u", ProjectID: "p", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}))
	n, err := db.DeleteExpiredTokens(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredTokens = %d, %v; want 1", n, err)
	}
	if _, err := db.GetToken(ctx, "new"); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// openWithInstance opens a store in a temporary dir holding one instance i1 created at now (ms
// precision, as stored); the store is closed when t ends.
func openWithInstance(t *testing.T) (context.Context, *DB, time.Time) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now().UTC().Truncate(time.Millisecond)
	must(t, db.CreateInstance(ctx, dms.Instance{ID: "i1", ProjectID: "p", Name: "a", CreatedAt: now}))
	return ctx, db, now
}

// TestFileModes: the database file and its -wal and -shm files are 0600, whether created now or
// left wider by an older version.
func TestFileModes(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		prepare func(dir string) // before the second Open
	}{
		{"new", func(string) {}},
		{"left 0644 by an older version", func(dir string) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Chmod(filepath.Join(dir, FileName+suffix), 0o644)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.PutSetting(ctx, "k", "v"); err != nil { // creates the WAL
				t.Fatal(err)
			}
			c.prepare(dir)
			db2, err := Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := db2.PutSetting(ctx, "k", "w"); err != nil {
				t.Fatal(err)
			}
			for _, suffix := range []string{"", "-wal", "-shm"} {
				st, err := os.Stat(filepath.Join(dir, FileName+suffix))
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != 0o600 {
					t.Errorf("%s%s: mode %v, want 0600", FileName, suffix, st.Mode().Perm())
				}
			}
			db2.Close()
			db.Close()
		})
	}
}
