package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

func TestInstancesAndTasks(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	a := dms.Instance{ID: "i1", ProjectID: "p", Name: "kafka-a", Status: dms.StatusCreating, BrokerNum: 3,
		Brokers: []dms.BrokerAddr{{ID: 0, Host: "127.20.0.1"}}, Tags: []dms.Tag{{Key: "k", Value: "v"}}, CreatedAt: now}
	must(t, db.CreateInstance(ctx, a))
	if err := db.CreateInstance(ctx, dms.Instance{ID: "i2", ProjectID: "p", Name: "kafka-a", CreatedAt: now}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate name: %v", err)
	}
	// Another project may use the name; a deleting instance frees it.
	must(t, db.CreateInstance(ctx, dms.Instance{ID: "i3", ProjectID: "q", Name: "kafka-a", CreatedAt: now}))
	a.Deleting = true
	must(t, db.UpdateInstance(ctx, a))
	must(t, db.CreateInstance(ctx, dms.Instance{ID: "i4", ProjectID: "p", Name: "kafka-a", CreatedAt: now.Add(time.Second)}))
	got, err := db.GetInstance(ctx, "i1")
	if err != nil || !got.Deleting || got.Brokers[0].Host != "127.20.0.1" || got.Tags[0].Value != "v" {
		t.Fatalf("GetInstance = %+v, %v", got, err)
	}
	ps, _ := db.ListInstances(ctx, "p")
	all, _ := db.ListInstances(ctx, "")
	if len(ps) != 1 || ps[0].ID != "i4" || len(all) != 3 {
		t.Fatalf("list p = %v, all = %d", ps, len(all))
	}
	if err := db.UpdateInstance(ctx, dms.Instance{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}

	t1 := dms.Task{ID: "t1", InstanceID: "i4", ProjectID: "p", Name: "createInstance", Status: dms.TaskExecuting, CreatedAt: now, UpdatedAt: now}
	t2 := dms.Task{ID: "t2", InstanceID: "i4", ProjectID: "p", Name: "restartInstance", Status: dms.TaskSuccess, CreatedAt: now.Add(time.Second), UpdatedAt: now}
	must(t, db.CreateTask(ctx, t1))
	must(t, db.CreateTask(ctx, t2))
	un, _ := db.ListUnfinishedTasks(ctx)
	if len(un) != 1 || un[0].ID != "t1" {
		t.Fatalf("unfinished = %v", un)
	}
	t1.Status, t1.Error = dms.TaskFailed, "boom"
	must(t, db.UpdateTask(ctx, t1))
	step := dms.TaskStep{Name: "move partitions", Status: dms.StepInProgress, Start: now}
	must(t, db.UpdateTaskProgress(ctx, "t1", dms.TaskProgress{Done: 3, Total: 10, Unit: "partitions", Steps: []dms.TaskStep{step}}))
	if err := db.UpdateTaskProgress(ctx, "nope", dms.TaskProgress{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("progress of a missing task: %v", err)
	}
	ts, _ := db.ListTasks(ctx, "i4")
	if len(ts) != 2 || ts[0].ID != "t2" || ts[1].Error != "boom" || ts[0].Progress != nil {
		t.Fatalf("tasks = %+v", ts)
	}
	if p := ts[1].Progress; p == nil || p.Done != 3 || p.Total != 10 || len(p.Steps) != 1 || !p.Steps[0].Start.Equal(now) {
		t.Fatalf("progress = %+v", p)
	}
	must(t, db.DeleteInstanceTasks(ctx, "i4"))
	if ts, _ := db.ListTasks(ctx, "i4"); len(ts) != 0 {
		t.Fatalf("tasks after delete = %v", ts)
	}
}

func TestTopicMetaGoesWithItsInstance(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	must(t, db.CreateInstance(ctx, dms.Instance{ID: "i1", ProjectID: "p", Name: "kafka-a", CreatedAt: now}))
	must(t, db.PutTopicMeta(ctx, dms.TopicMeta{InstanceID: "i1", Name: "orders", Description: "first", CreatedAt: now}))
	must(t, db.PutTopicMeta(ctx, dms.TopicMeta{InstanceID: "i1", Name: "orders", Description: "second", CreatedAt: now}))
	must(t, db.PutTopicMeta(ctx, dms.TopicMeta{InstanceID: "i1", Name: "audit", CreatedAt: now}))
	ms, err := db.ListTopicMeta(ctx, "i1")
	if err != nil || len(ms) != 2 || ms[1].Description != "second" || !ms[1].CreatedAt.Equal(now) {
		t.Fatalf("topics = %+v, %v", ms, err)
	}
	must(t, db.DeleteTopicMeta(ctx, "i1", "audit"))
	must(t, db.DeleteTopicMeta(ctx, "i1", "never-there"))
	must(t, db.DeleteInstance(ctx, "i1"))
	if ms, _ := db.ListTopicMeta(ctx, "i1"); len(ms) != 0 {
		t.Fatalf("topic records outlived their instance: %v", ms)
	}
}
