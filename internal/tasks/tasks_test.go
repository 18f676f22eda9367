package tasks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store/sqlite"
)

func openStore(t *testing.T, dir string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func waitStatus(t *testing.T, db *sqlite.DB, id, want string) dms.Task {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		got, err := db.GetTask(context.Background(), id)
		if err == nil && got.Status == want {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	got, _ := db.GetTask(context.Background(), id)
	t.Fatalf("task %s is %s, want %s", id, got.Status, want)
	return got
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestSuccessFailureAndPanic(t *testing.T) {
	db := openStore(t, t.TempDir())
	defer db.Close()
	r := New(db, quiet)
	defer r.Close()
	r.Register("ok", func(ctx context.Context, t dms.Task) error { return nil })
	r.Register("fail", func(ctx context.Context, t dms.Task) error { return errors.New("brokers did not start") })
	r.Register("panic", func(ctx context.Context, t dms.Task) error { panic("bug") })
	ctx := context.Background()
	tests := []struct{ name, status, errText string }{
		{"ok", dms.TaskSuccess, ""},
		{"fail", dms.TaskFailed, "brokers did not start"},
		{"panic", dms.TaskFailed, "panic: bug"},
	}
	for _, tt := range tests {
		task, err := r.Submit(ctx, dms.Task{InstanceID: "i1", Name: tt.name})
		if err != nil {
			t.Fatal(err)
		}
		got := waitStatus(t, db, task.ID, tt.status)
		if got.Error != tt.errText || got.Params != "{}" {
			t.Errorf("%s: error %q params %q", tt.name, got.Error, got.Params)
		}
	}
	if _, err := r.Submit(ctx, dms.Task{InstanceID: "i1", Name: "unknown"}); err == nil {
		t.Error("unknown task accepted")
	}
}

// Tasks of one instance run one after another; Busy tells while any is pending.
func TestSerialPerInstance(t *testing.T) {
	db := openStore(t, t.TempDir())
	defer db.Close()
	r := New(db, quiet)
	defer r.Close()
	var inside, maxInside atomic.Int32
	release := make(chan struct{})
	r.Register("slow", func(ctx context.Context, t dms.Task) error {
		n := inside.Add(1)
		if n > maxInside.Load() {
			maxInside.Store(n)
		}
		<-release
		inside.Add(-1)
		return nil
	})
	ctx := context.Background()
	a, _ := r.Submit(ctx, dms.Task{InstanceID: "i1", Name: "slow"})
	b, _ := r.Submit(ctx, dms.Task{InstanceID: "i1", Name: "slow"})
	if !r.Busy("i1") || r.Busy("i2") {
		t.Fatal("Busy wrong")
	}
	close(release)
	waitStatus(t, db, a.ID, dms.TaskSuccess)
	waitStatus(t, db, b.ID, dms.TaskSuccess)
	if maxInside.Load() != 1 {
		t.Fatalf("%d tasks of one instance ran at once", maxInside.Load())
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.Busy("i1") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if r.Busy("i1") {
		t.Fatal("still busy after both ended")
	}
	// Nothing is kept per instance once its tasks ended: a dmsd that saw thousands of instances come
	// and go holds no lock or counter for them.
	if n := r.locks.Len(); n != 0 {
		t.Fatalf("%d per-instance locks kept after every task ended", n)
	}
}

// A task interrupted by a shutdown stays EXECUTING and runs again after a restart.
func TestResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	db := openStore(t, dir)
	r := New(db, quiet)
	started := make(chan struct{})
	r.Register("long", func(ctx context.Context, t dms.Task) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	task, err := r.Submit(context.Background(), dms.Task{InstanceID: "i1", Name: "long", Params: `{"x":1}`})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	r.Close()
	db.Close()

	db = openStore(t, dir)
	defer db.Close()
	if got, _ := db.GetTask(context.Background(), task.ID); got.Status != dms.TaskExecuting {
		t.Fatalf("after shutdown the task is %s, want EXECUTING", got.Status)
	}
	r = New(db, quiet)
	defer r.Close()
	var params atomic.Value
	r.Register("long", func(ctx context.Context, t dms.Task) error { params.Store(t.Params); return nil })
	if err := r.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, db, task.ID, dms.TaskSuccess)
	if params.Load() != `{"x":1}` {
		t.Fatalf("resumed with params %v", params.Load())
	}
}
