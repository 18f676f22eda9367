// Package tasks runs the durable background tasks behind every asynchronous DMS operation (the 5.9
// APIs show them). A task is stored before it runs and its end is stored after; a dmsd restart
// resumes the tasks that had not ended, so task functions must be idempotent.
package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/keyed"
	"github.com/opendms/opendms/internal/store"
)

// Func performs a task. It gets the stored task (Params carries its input) and returns nil on
// success. It is called again after a dmsd restart if it had not returned, so it must be idempotent.
type Func func(ctx context.Context, t dms.Task) error

// Runner runs tasks, one at a time per instance, in the background.
type Runner struct {
	store store.Tasks
	log   *slog.Logger
	funcs map[string]Func

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	locks   keyed.Mutex // per instance: tasks of one instance never overlap
	mu      sync.Mutex
	running map[string]int // instance id -> tasks submitted and not ended
	now     func() time.Time
}

// New makes a runner; Register the task functions, then Resume.
func New(st store.Tasks, log *slog.Logger) *Runner {
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{store: st, log: log, funcs: make(map[string]Func), ctx: ctx, cancel: cancel,
		running: make(map[string]int), now: time.Now}
}

// Register names a task function.
func (r *Runner) Register(name string, f Func) { r.funcs[name] = f }

// Submit stores a new task (CREATED) and starts it. The task's ID, status and times are set here.
func (r *Runner) Submit(ctx context.Context, t dms.Task) (dms.Task, error) {
	if _, ok := r.funcs[t.Name]; !ok {
		return t, fmt.Errorf("tasks: no function for %q", t.Name)
	}
	now := r.now().UTC()
	t.ID, t.Status, t.Error, t.CreatedAt, t.UpdatedAt = uuid.NewString(), dms.TaskCreated, "", now, now
	if t.Params == "" {
		t.Params = "{}"
	}
	if err := r.store.CreateTask(ctx, t); err != nil {
		return t, err
	}
	r.start(t)
	return t, nil
}

// Record stores a task that was done at once, without the runner (an operation that is only a
// record change, such as an automatic storage expansion, made under the instance service's lock):
// it is listed by 5.9 like the others, SUCCESS, or FAILED with err. It does not wait behind the
// instance's running task, and Busy does not count it.
func (r *Runner) Record(ctx context.Context, t dms.Task, err error) (dms.Task, error) {
	now := r.now().UTC()
	t.ID, t.Status, t.Error, t.CreatedAt, t.UpdatedAt = uuid.NewString(), dms.TaskSuccess, "", now, now
	if err != nil {
		t.Status, t.Error = dms.TaskFailed, err.Error()
	}
	if t.Params == "" {
		t.Params = "{}"
	}
	return t, r.store.CreateTask(ctx, t)
}

// Resume starts every task that had not ended when dmsd last stopped.
func (r *Runner) Resume(ctx context.Context) error {
	ts, err := r.store.ListUnfinishedTasks(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if _, ok := r.funcs[t.Name]; !ok {
			r.finish(t, fmt.Errorf("no task function %q in this version of dmsd", t.Name))
			continue
		}
		r.log.Info("resuming task", "task_id", t.ID, "task", t.Name, "instance_id", t.InstanceID)
		r.start(t)
	}
	return nil
}

// SetProgress records how far task id has come (shown by ShowBackgroundTaskProgress). Task
// functions call it as they go; a task resumed after a restart starts from what it recorded last.
func (r *Runner) SetProgress(ctx context.Context, id string, p dms.TaskProgress) error {
	return r.store.UpdateTaskProgress(ctx, id, p)
}

// SetParams replaces the parameters of task id with what its function found as it ran and must
// find again when it is resumed after a restart. Only the task's own function calls it, while it
// runs: the runner writes the task only before and after that, so the two never race.
func (r *Runner) SetParams(ctx context.Context, id, params string) error {
	t, err := r.store.GetTask(ctx, id)
	if err != nil {
		return err
	}
	t.Params, t.UpdatedAt = params, r.now().UTC()
	return r.store.UpdateTask(ctx, t)
}

// Busy reports whether a task of the instance is queued or running.
func (r *Runner) Busy(instanceID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[instanceID] > 0
}

// Close interrupts running tasks and waits for them; interrupted tasks stay EXECUTING and are
// resumed by the next Resume.
func (r *Runner) Close() {
	r.cancel()
	r.wg.Wait()
}

func (r *Runner) start(t dms.Task) {
	r.mu.Lock()
	r.running[t.InstanceID]++
	r.mu.Unlock()

	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() {
			r.mu.Lock()
			if r.running[t.InstanceID]--; r.running[t.InstanceID] == 0 {
				delete(r.running, t.InstanceID)
			}
			r.mu.Unlock()
		}()
		defer r.locks.Lock(t.InstanceID)()
		if r.ctx.Err() != nil {
			return
		}
		t.Status, t.UpdatedAt = dms.TaskExecuting, r.now().UTC()
		if err := r.store.UpdateTask(r.ctx, t); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return // deleted meanwhile
			}
			r.log.Error("task: store", "task_id", t.ID, "err", err)
		}
		err := r.run(t)
		if r.ctx.Err() != nil {
			r.log.Info("task interrupted by shutdown; it resumes at the next start", "task_id", t.ID, "task", t.Name)
			return
		}
		r.finish(t, err)
	}()
}

// run calls the task function, turning a panic into a failure.
func (r *Runner) run(t dms.Task) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	start := r.now()
	err = r.funcs[t.Name](r.ctx, t)
	r.log.Info("task ended", "task_id", t.ID, "task", t.Name, "instance_id", t.InstanceID,
		"duration", r.now().Sub(start), "ok", err == nil)
	return err
}

func (r *Runner) finish(t dms.Task, err error) {
	t.Status, t.Error, t.UpdatedAt = dms.TaskSuccess, "", r.now().UTC()
	if err != nil {
		t.Status, t.Error = dms.TaskFailed, err.Error()
		r.log.Warn("task failed", "task_id", t.ID, "task", t.Name, "instance_id", t.InstanceID, "err", err)
	}
	// A fresh context: the task ended, its end must be recorded even if the runner is closing.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.store.UpdateTask(ctx, t); err != nil && !errors.Is(err, store.ErrNotFound) {
		r.log.Error("task: store end", "task_id", t.ID, "err", err)
	}
}
