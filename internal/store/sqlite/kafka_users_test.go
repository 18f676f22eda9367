package sqlite

import (
	"errors"
	"testing"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

func TestKafkaUsers(t *testing.T) {
	ctx, db, now := openWithInstance(t)
	u := dms.KafkaUser{InstanceID: "i1", Name: "root1", Role: "admin", DefaultApp: true, CreatedAt: now, Salt: []byte{1, 2}, Iterations: 4096, StoredKey: []byte{3, 4}}
	must(t, db.CreateKafkaUser(ctx, u))
	if err := db.CreateKafkaUser(ctx, u); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate: %v", err)
	}
	must(t, db.CreateKafkaUser(ctx, dms.KafkaUser{InstanceID: "i1", Name: "app", Role: "guest", CreatedAt: now, Salt: []byte{5}, Iterations: 8192, StoredKey: []byte{6}}))
	u.Description, u.StoredKey = "admin", []byte{9}
	must(t, db.UpdateKafkaUser(ctx, u))
	got, err := db.GetKafkaUser(ctx, "i1", "root1")
	if err != nil || got.Description != "admin" || got.StoredKey[0] != 9 || !got.DefaultApp || got.Iterations != 4096 || !got.CreatedAt.Equal(now) {
		t.Fatalf("get: %+v, %v", got, err)
	}
	ls, _ := db.ListKafkaUsers(ctx, "i1")
	if len(ls) != 2 || ls[0].Name != "app" {
		t.Fatalf("list: %+v", ls)
	}
	if _, err := db.GetKafkaUser(ctx, "i1", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := db.UpdateKafkaUser(ctx, dms.KafkaUser{InstanceID: "i1", Name: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
	must(t, db.DeleteKafkaUser(ctx, "i1", "app"))
	must(t, db.DeleteInstance(ctx, "i1"))
	if ls, _ := db.ListKafkaUsers(ctx, "i1"); len(ls) != 0 {
		t.Errorf("rows left after the instance: %+v", ls)
	}
}
