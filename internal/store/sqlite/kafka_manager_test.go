package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// Kafka Manager tokens: stored by hash, deleted per instance up to an epoch (those of the epoch
// and later stay: sign-ins made after the change), pruned with the expired IAM tokens.
func TestManagerTokens(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	must(t, db.CreateAccount(ctx, store.NewAccount{
		Domain:  dms.Domain{ID: "d1", Name: "acct", CreatedAt: now},
		Admin:   dms.User{ID: "u1", DomainID: "d1", Name: "admin", Admin: true, Enabled: true, CreatedAt: now},
		Project: dms.Project{ID: "p1", DomainID: "d1", Name: "cn-north-4", CreatedAt: now},
	}))
	tok := func(hash, instance string, epoch int64, expires time.Time) dms.ManagerToken {
		return dms.ManagerToken{Hash: hash, InstanceID: instance, ProjectID: "p1", UserName: "admin", Epoch: epoch, IssuedAt: now, ExpiresAt: expires}
	}
	live := tok("h1", "i1", 3, now.Add(time.Hour))
	must(t, db.CreateManagerToken(ctx, live))
	must(t, db.CreateManagerToken(ctx, tok("h2", "i1", 2, now.Add(time.Hour))))
	must(t, db.CreateManagerToken(ctx, tok("h3", "i2", 3, now.Add(time.Hour))))
	must(t, db.CreateManagerToken(ctx, tok("h4", "i2", 3, now.Add(-time.Second))))
	must(t, db.CreateManagerToken(ctx, tok("h5", "i1", 4, now.Add(time.Hour))))
	must(t, db.CreateManagerToken(ctx, tok("h6", "i1", 5, now.Add(time.Hour))))
	must(t, db.CreateToken(ctx, dms.Token{Hash: "iam-old", UserID: "u1", ProjectID: "p1", IssuedAt: now, ExpiresAt: now.Add(-time.Second)}))
	if err := db.CreateManagerToken(ctx, live); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("same hash twice: %v", err)
	}
	got, err := db.GetManagerToken(ctx, "h1")
	if err != nil || got != live {
		t.Fatalf("get: %+v %v, want %+v", got, err, live)
	}
	if n, err := db.DeleteExpiredTokens(ctx, now); err != nil || n != 2 {
		t.Fatalf("prune: %d %v, want the expired IAM token and h4", n, err)
	}
	if n, err := db.DeleteManagerTokens(ctx, "i1", 4); err != nil || n != 2 {
		t.Fatalf("delete i1's before epoch 4: %d %v", n, err)
	}
	for hash, want := range map[string]error{"h1": store.ErrNotFound, "h2": store.ErrNotFound, "h3": nil, "h4": store.ErrNotFound, "h5": nil, "h6": nil} {
		if _, err := db.GetManagerToken(ctx, hash); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", hash, err, want)
		}
	}
}
