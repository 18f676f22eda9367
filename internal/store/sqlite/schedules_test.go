package sqlite

import (
	"errors"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

func TestScheduledTasks(t *testing.T) {
	ctx, db, now := openWithInstance(t)
	mk := func(id, inst, status string, at time.Duration, created time.Duration) dms.ScheduledTask {
		return dms.ScheduledTask{ID: id, InstanceID: inst, ProjectID: "p1", Name: "upgradeInstance", Params: `{"to":"4.3.1"}`, Status: status,
			UserID: "u1", UserName: "admin", CreatedAt: now.Add(created), UpdatedAt: now.Add(created), ScheduleAt: now.Add(at)}
	}
	for _, st := range []dms.ScheduledTask{
		mk("s1", "i1", dms.ScheduleCreated, 3*time.Hour, 0),
		mk("s2", "i1", dms.ScheduleCreated, time.Hour, time.Second),
		mk("s3", "i1", dms.ScheduleCancelled, 2*time.Hour, 2*time.Second),
		mk("s4", "i2", dms.ScheduleExecuting, -time.Hour, 0),
	} {
		must(t, db.CreateScheduledTask(ctx, st))
	}
	if err := db.CreateScheduledTask(ctx, mk("s1", "i1", dms.ScheduleCreated, 0, 0)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate id: %v", err)
	}
	got, err := db.GetScheduledTask(ctx, "s1")
	if err != nil || got.Params != `{"to":"4.3.1"}` || !got.ScheduleAt.Equal(now.Add(3*time.Hour)) || got.UserName != "admin" || got.TaskID != "" {
		t.Fatalf("get: %+v, %v", got, err)
	}
	got.Status, got.TaskID, got.Error, got.ScheduleAt = dms.ScheduleFailed, "t9", "busy", now.Add(time.Minute)
	must(t, db.UpdateScheduledTask(ctx, got))
	if got2, _ := db.GetScheduledTask(ctx, "s1"); got2.Status != dms.ScheduleFailed || got2.TaskID != "t9" || got2.Error != "busy" || !got2.ScheduleAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("after update: %+v", got2)
	}
	if err := db.UpdateScheduledTask(ctx, dms.ScheduledTask{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}

	ls, err := db.ListScheduledTasks(ctx, "i1")
	if err != nil || len(ls) != 3 || ls[0].ID != "s3" || ls[2].ID != "s1" {
		t.Fatalf("list i1 (newest first): %+v, %v", ls, err)
	}
	due, err := db.ListScheduledTasksByStatus(ctx, dms.ScheduleCreated, dms.ScheduleExecuting)
	if err != nil || len(due) != 2 || due[0].ID != "s4" || due[1].ID != "s2" {
		t.Fatalf("by status (earliest first): %+v, %v", due, err)
	}
	if none, err := db.ListScheduledTasksByStatus(ctx); err != nil || len(none) != 0 {
		t.Fatalf("no statuses: %+v, %v", none, err)
	}

	must(t, db.DeleteScheduledTask(ctx, "s2"))
	if err := db.DeleteScheduledTask(ctx, "s2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	must(t, db.DeleteInstanceScheduledTasks(ctx, "i1"))
	if ls, _ := db.ListScheduledTasks(ctx, "i1"); len(ls) != 0 {
		t.Errorf("rows left after the instance: %+v", ls)
	}
	if ls, _ := db.ListScheduledTasks(ctx, "i2"); len(ls) != 1 {
		t.Errorf("another instance's rows went too: %+v", ls)
	}
}
