// Package schedule starts work on instances at a later time: 5.1.9 and 5.2.11 with is_schedule, and
// the SDK's ListScheduledTasks, UpdateScheduledTask and DeleteScheduledTask. A scheduled task is a
// stored row (dms.ScheduledTask) naming the background task it starts and that task's JSON
// parameters; at its time the service calls the start function registered for that name, which
// starts a durable background task (internal/tasks) the usual way, and records which.
//
// How a caller schedules something:
//
//  1. Once, before Start: Register(name, start), where start begins the work now for the stored
//     scheduled task (st.InstanceID, st.ProjectID, st.UserID/UserName, st.Params) and returns the
//     background task it started. It must validate as a request made now would (the instance may
//     have changed since), and a start that returns an error must have started nothing.
//  2. Per request: validate what can be validated now (CheckTime for the time, the operation's own
//     checks against the instance as it is), then Add(ctx, dms.ScheduledTask{InstanceID, ProjectID,
//     Name, Params, UserID, UserName, ScheduleAt}) and answer the returned ID.
//
// Statuses (dms.Schedule*): CREATED until its time (or CANCELLED through Update, which a second
// Update can undo while it has not started); EXECUTING once fired; SUCCESS or FAILED as the
// background task it started ended (seen when the task is read), or FAILED with the reason when it
// could not be started. A started task cannot be changed, cancelled or deleted while EXECUTING.
//
// Never twice: a task is claimed (CREATED -> EXECUTING, stored) under the service's lock before its
// start function is called, and Update and Delete check the status under the same lock. A dmsd that
// stops between the claim and recording the started task's id leaves it EXECUTING with no task id;
// the next Start marks such a task FAILED with that reason instead of firing it again: whether its
// work began is not known, and starting an upgrade or a reassignment a second time is worse than
// asking the user to schedule it again. A task whose start had not been called (or had returned an
// error, so started nothing) when dmsd stopped goes back to CREATED and fires at the next start.
package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// StartFunc starts the work of a scheduled task now and returns the background task it started. It
// must have started nothing when it returns an error. An error with one of the codes of retryable
// (a busy instance, a status that forbids the work for now, an unavailable cluster, an internal
// error) is tried again a few times; any other fails the scheduled task at once.
type StartFunc func(ctx context.Context, st dms.ScheduledTask) (dms.Task, error)

// Store is what the service keeps and reads: its rows, and the background tasks they started.
type Store interface {
	store.Schedules
	GetTask(ctx context.Context, id string) (dms.Task, error)
}

// Clock is the service's time source (tests use a fake one).
type Clock interface {
	Now() time.Time
	// At returns a channel closed once the time is at or after t, and a function that releases it.
	At(t time.Time) (<-chan struct{}, func())
}

// Config tunes the service.
type Config struct {
	// Clock defaults to the real time.
	Clock Clock
	// RetryDelays are the pauses between attempts of a start refused for a retryable reason
	// (default 30 s, 1 min, 2 min, 4 min: about 8 minutes in all, then FAILED with the reason).
	RetryDelays []time.Duration
	// MaxAhead bounds how far ahead a task may be scheduled (default 366 days; a time in
	// microseconds or seconds where milliseconds are expected then fails instead of being kept).
	MaxAhead time.Duration
	// StoreRetry is the pause before the loop reads the store again after it failed (default 10 s).
	StoreRetry time.Duration
}

// Service stores scheduled tasks and starts them at their time.
type Service struct {
	st    Store
	log   *slog.Logger
	clock Clock
	cfg   Config

	funcsMu sync.RWMutex
	funcs   map[string]StartFunc

	// mu serializes every change of a scheduled task's status: the loop's claim, Update, Delete.
	mu sync.Mutex

	wake   chan struct{} // the loop re-plans (a task added, moved or removed)
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New makes the service; Register the start functions, then Start.
func New(st Store, log *slog.Logger, cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	}
	if cfg.MaxAhead == 0 {
		cfg.MaxAhead = 366 * 24 * time.Hour
	}
	if cfg.StoreRetry == 0 {
		cfg.StoreRetry = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{st: st, log: log, clock: cfg.Clock, cfg: cfg, funcs: map[string]StartFunc{},
		wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
}

// Register names the start function of a task name (e.g. "upgradeInstance").
func (s *Service) Register(name string, start StartFunc) {
	s.funcsMu.Lock()
	defer s.funcsMu.Unlock()
	s.funcs[name] = start
}

func (s *Service) startFunc(name string) (StartFunc, bool) {
	s.funcsMu.RLock()
	defer s.funcsMu.RUnlock()
	f, ok := s.funcs[name]
	return f, ok
}

// Now is the service's time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// CheckTime refuses a schedule time that is missing, not in the future, or too far ahead.
func (s *Service) CheckTime(at time.Time) error {
	now := s.clock.Now()
	switch {
	case at.IsZero():
		return dms.Errorf(dms.CodeTimestampInvalid, "Timestamp is invalid: execute_at (Unix time in ms) is required for a scheduled task.")
	case !at.After(now):
		return dms.Errorf(dms.CodeTimestampInvalid, "Timestamp is invalid: execute_at %d (%s) is not in the future.", at.UnixMilli(), at.UTC().Format(time.RFC3339))
	case at.Sub(now) > s.cfg.MaxAhead:
		return dms.Errorf(dms.CodeTimestampInvalid, "Timestamp is invalid: execute_at %d (%s) is more than %d days ahead (Unix time in ms is expected).",
			at.UnixMilli(), at.UTC().Format(time.RFC3339), int(s.cfg.MaxAhead/(24*time.Hour)))
	}
	return nil
}

// Add stores a scheduled task (CREATED) to start at st.ScheduleAt; its id, status and times are set
// here. The caller has validated the work itself.
func (s *Service) Add(ctx context.Context, st dms.ScheduledTask) (dms.ScheduledTask, error) {
	if _, ok := s.startFunc(st.Name); !ok {
		return st, dms.Internal(fmt.Errorf("schedule: no start function for %q", st.Name))
	}
	if err := s.CheckTime(st.ScheduleAt); err != nil {
		return st, err
	}
	now := s.clock.Now().UTC().Truncate(time.Millisecond)
	st.ID, st.Status, st.TaskID, st.Error, st.CreatedAt, st.UpdatedAt = uuid.NewString(), dms.ScheduleCreated, "", "", now, now
	st.ScheduleAt = st.ScheduleAt.UTC().Truncate(time.Millisecond) // as stored and shown: Unix ms
	if st.Params == "" {
		st.Params = "{}"
	}
	if !json.Valid([]byte(st.Params)) {
		return st, dms.Internal(fmt.Errorf("schedule: the params of %q are not JSON: %q", st.Name, st.Params))
	}
	if err := s.st.CreateScheduledTask(ctx, st); err != nil {
		return st, dms.Internal(err)
	}
	s.log.Info("task scheduled", "scheduled_task_id", st.ID, "task", st.Name, "instance_id", st.InstanceID, "schedule_at", st.ScheduleAt)
	s.poke()
	return st, nil
}

// Filter selects scheduled tasks of ListScheduledTasks. Begin and End bound schedule_at (the time
// that matters for work to come). Start is where the page starts: a scheduled task's id, or a
// 1-based position (the SDK calls it the number to start from); Limit caps the page (0: all).
type Filter struct {
	Begin, End time.Time
	Start      string
	Limit      int
}

// List returns an instance's scheduled tasks, newest first, and how many matched before paging.
func (s *Service) List(ctx context.Context, instanceID string, f Filter) ([]dms.ScheduledTask, int, error) {
	all, err := s.st.ListScheduledTasks(ctx, instanceID)
	if err != nil {
		return nil, 0, dms.Internal(err)
	}
	var matched []dms.ScheduledTask
	for _, t := range all {
		if (!f.Begin.IsZero() && t.ScheduleAt.Before(f.Begin)) || (!f.End.IsZero() && t.ScheduleAt.After(f.End)) {
			continue
		}
		matched = append(matched, s.refresh(ctx, t))
	}
	total := len(matched)
	if f.Start != "" {
		i := 0
		for i < len(matched) && matched[i].ID != f.Start {
			i++
		}
		if i == len(matched) { // not an id: a position
			n, err := strconv.Atoi(f.Start)
			if err != nil || n < 0 {
				return nil, 0, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: start %q is neither a scheduled task id nor a position >= 1.", f.Start)
			}
			i = min(max(n-1, 0), len(matched))
		}
		matched = matched[i:]
	}
	if f.Limit > 0 && len(matched) > f.Limit {
		matched = matched[:f.Limit]
	}
	return matched, total, nil
}

// Get returns one scheduled task of an instance.
func (s *Service) Get(ctx context.Context, instanceID, id string) (dms.ScheduledTask, error) {
	t, err := s.get(ctx, instanceID, id)
	if err != nil {
		return t, err
	}
	return s.refresh(ctx, t), nil
}

func (s *Service) get(ctx context.Context, instanceID, id string) (dms.ScheduledTask, error) {
	t, err := s.st.GetScheduledTask(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.InstanceID != instanceID) {
		return dms.ScheduledTask{}, dms.Errorf(dms.CodeResourceNotFound, "The scheduled task %s does not exist.", id)
	}
	if err != nil {
		return dms.ScheduledTask{}, dms.Internal(err)
	}
	return t, nil
}

// Update is what UpdateScheduledTask changes: the time, and/or the status (CANCELLED cancels;
// CREATED, the SDK's "null", puts a cancelled task back to wait for its time).
type Update struct {
	ExecuteAt *time.Time
	Status    *string
}

// Update changes a scheduled task that has not started.
func (s *Service) Update(ctx context.Context, instanceID, id string, u Update) (dms.ScheduledTask, error) {
	if u.ExecuteAt == nil && u.Status == nil {
		return dms.ScheduledTask{}, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: give execute_at, status or both.")
	}
	if u.Status != nil && *u.Status != dms.ScheduleCancelled && *u.Status != dms.ScheduleCreated {
		return dms.ScheduledTask{}, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: status %q must be CANCELLED (cancel the task) or CREATED (let a cancelled task wait for its time again).", *u.Status)
	}
	if u.ExecuteAt != nil {
		if err := s.CheckTime(*u.ExecuteAt); err != nil {
			return dms.ScheduledTask{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.get(ctx, instanceID, id)
	if err != nil {
		return t, err
	}
	if t.Started() {
		return t, startedError(t)
	}
	if u.ExecuteAt != nil {
		t.ScheduleAt = u.ExecuteAt.UTC().Truncate(time.Millisecond)
	}
	if u.Status != nil {
		if *u.Status == dms.ScheduleCreated && u.ExecuteAt == nil && t.Status == dms.ScheduleCancelled {
			// Waiting again for a time that has passed would fire it at once, which the user did
			// not ask for: a new time is needed then.
			if err := s.CheckTime(t.ScheduleAt); err != nil {
				return t, dms.Errorf(dms.CodeTimestampInvalid, "Timestamp is invalid: the task's time %s has passed; give a new execute_at with status CREATED.", t.ScheduleAt.Format(time.RFC3339))
			}
		}
		t.Status = *u.Status
	}
	t.UpdatedAt = s.clock.Now().UTC()
	if err := s.st.UpdateScheduledTask(ctx, t); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return t, dms.Errorf(dms.CodeResourceNotFound, "The scheduled task %s does not exist.", id)
		}
		return t, dms.Internal(err)
	}
	s.log.Info("scheduled task changed", "scheduled_task_id", t.ID, "status", t.Status, "schedule_at", t.ScheduleAt)
	s.poke()
	return t, nil
}

// Delete removes a scheduled task: one waiting (or cancelled) is cancelled for good, one that has
// ended loses its record; one EXECUTING cannot be deleted.
func (s *Service) Delete(ctx context.Context, instanceID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.get(ctx, instanceID, id)
	if err != nil {
		return err
	}
	if t.Status == dms.ScheduleExecuting {
		return startedError(t)
	}
	if err := s.st.DeleteScheduledTask(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return dms.Internal(err)
	}
	s.log.Info("scheduled task deleted", "scheduled_task_id", t.ID, "status", t.Status)
	s.poke()
	return nil
}

func startedError(t dms.ScheduledTask) error {
	msg := fmt.Sprintf("The scheduled task %s has already started (status %s", t.ID, t.Status)
	if t.TaskID != "" {
		msg += ", background task " + t.TaskID
	}
	return dms.Errorf(dms.CodeConflict, "%s) and can no longer be changed or cancelled.", msg)
}

// refresh gives an EXECUTING scheduled task the end of the background task it started, once that
// has ended, and stores it.
func (s *Service) refresh(ctx context.Context, t dms.ScheduledTask) dms.ScheduledTask {
	if t.Status != dms.ScheduleExecuting || t.TaskID == "" {
		return t
	}
	bt, err := s.st.GetTask(ctx, t.TaskID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Only ended tasks can be deleted (5.9.3), but how it ended is gone with it.
		t.Status, t.Error = dms.ScheduleFailed, fmt.Sprintf("the record of background task %s was deleted before its end was seen here: check whether its work took effect", t.TaskID)
	case err != nil:
		s.log.Warn("scheduled task: reading its background task", "scheduled_task_id", t.ID, "task_id", t.TaskID, "err", err)
		return t
	case bt.Finished():
		t.Status, t.Error = bt.Status, bt.Error
	default:
		return t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.UpdatedAt = s.clock.Now().UTC()
	if err := s.st.UpdateScheduledTask(ctx, t); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("scheduled task: storing its end", "scheduled_task_id", t.ID, "err", err)
	}
	return t
}

// Start settles the tasks a stopped dmsd left EXECUTING without a started task (see the package
// comment), then runs the loop that fires due tasks: overdue ones at once.
func (s *Service) Start(ctx context.Context) error {
	left, err := s.st.ListScheduledTasksByStatus(ctx, dms.ScheduleExecuting)
	if err != nil {
		return err
	}
	for _, t := range left {
		if t.TaskID != "" {
			continue // started: refresh follows its task
		}
		t.Status, t.UpdatedAt = dms.ScheduleFailed, s.clock.Now().UTC()
		t.Error = "dmsd stopped while starting this scheduled task; it is not started again so that it never runs twice: " +
			"see the instance's background tasks whether it began, and schedule it again if not"
		s.log.Warn("scheduled task interrupted while starting: marked FAILED", "scheduled_task_id", t.ID, "task", t.Name, "instance_id", t.InstanceID)
		if err := s.st.UpdateScheduledTask(ctx, t); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	s.wg.Add(1)
	go s.loop()
	return nil
}

// Close stops the loop and waits for starts in progress; a start waiting to be retried goes back to
// CREATED and fires at the next Start.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// poke makes the loop re-plan.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// loop fires the due tasks, then sleeps until the earliest next one, a change, or Close.
func (s *Service) loop() {
	defer s.wg.Done()
	for {
		next, err := s.fireDue()
		var due <-chan struct{}
		release := func() {}
		switch {
		case err != nil:
			s.log.Error("scheduled tasks: reading the store; trying again", "after", s.cfg.StoreRetry, "err", err)
			due, release = s.clock.At(s.clock.Now().Add(s.cfg.StoreRetry))
		case !next.IsZero():
			due, release = s.clock.At(next)
		}
		select {
		case <-s.ctx.Done():
			release()
			return
		case <-s.wake:
		case <-due:
		}
		release()
	}
}

// fireDue claims and starts every CREATED task whose time has come and returns the time of the
// earliest one still to come (zero if none).
func (s *Service) fireDue() (time.Time, error) {
	waiting, err := s.st.ListScheduledTasksByStatus(s.ctx, dms.ScheduleCreated)
	if err != nil {
		return time.Time{}, err
	}
	now := s.clock.Now()
	for _, t := range waiting { // earliest first
		if t.ScheduleAt.After(now) {
			return t.ScheduleAt, nil
		}
		claimed, ok, err := s.claim(t.ID)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			s.wg.Add(1)
			go s.run(claimed)
		}
	}
	return time.Time{}, nil
}

// claim moves a due CREATED task to EXECUTING under the lock, reading it again there: an Update or
// Delete that came first wins.
func (s *Service) claim(id string) (dms.ScheduledTask, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.st.GetScheduledTask(s.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return t, false, nil
	}
	if err != nil {
		return t, false, err
	}
	if t.Status != dms.ScheduleCreated || t.ScheduleAt.After(s.clock.Now()) {
		return t, false, nil
	}
	t.Status, t.UpdatedAt = dms.ScheduleExecuting, s.clock.Now().UTC()
	if err := s.st.UpdateScheduledTask(s.ctx, t); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return t, false, nil
		}
		return t, false, err
	}
	return t, true, nil
}

// run calls a claimed task's start function, retrying retryable refusals, and records the outcome.
func (s *Service) run(t dms.ScheduledTask) {
	defer s.wg.Done()
	s.log.Info("starting scheduled task", "scheduled_task_id", t.ID, "task", t.Name, "instance_id", t.InstanceID, "schedule_at", t.ScheduleAt)
	f, ok := s.startFunc(t.Name)
	if !ok {
		s.record(t, dms.Task{}, fmt.Errorf("no start function for %q in this version of dmsd", t.Name))
		return
	}
	for attempt := 0; ; attempt++ {
		bt, err := call(s.ctx, f, t)
		if err != nil && s.ctx.Err() != nil {
			s.unclaim(t) // it started nothing and dmsd is stopping: it fires at the next start
			return
		}
		if err == nil || !retryable(err) || attempt >= len(s.cfg.RetryDelays) {
			s.record(t, bt, err)
			return
		}
		d := s.cfg.RetryDelays[attempt]
		s.log.Info("scheduled task refused for now; trying again", "scheduled_task_id", t.ID, "after", d, "err", err)
		retryAt := s.clock.Now().Add(d)
		t = s.note(t, fmt.Sprintf("refused for now, trying again at %s (attempt %d of %d): %v",
			retryAt.UTC().Format(time.RFC3339), attempt+2, len(s.cfg.RetryDelays)+1, err))
		due, release := s.clock.At(retryAt)
		select {
		case <-s.ctx.Done():
			release()
			s.unclaim(t)
			return
		case <-due:
		}
		release()
	}
}

// call calls a start function, turning a panic into an error.
func call(ctx context.Context, f StartFunc, t dms.ScheduledTask) (bt dms.Task, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return f(ctx, t)
}

// retryable are the refusals that may pass later: the instance busy with another task or in a
// transitional status, its cluster unavailable, an internal error.
func retryable(err error) bool {
	switch dms.AsError(err).Code {
	case dms.CodeInstanceBusy, dms.CodeUpgradeNotRunning, dms.CodeInstanceStatusForbids, dms.CodeClusterUnavailable, dms.CodeInternal:
		return true
	}
	return false
}

// record stores the end of a start: the task started (EXECUTING, or its end if it has ended), or
// FAILED with why it could not be started. A fresh context: the outcome must be kept even while
// the service is closing.
func (s *Service) record(t dms.ScheduledTask, bt dms.Task, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.mu.Lock()
	t.UpdatedAt = s.clock.Now().UTC()
	if err != nil {
		t.Status, t.Error = dms.ScheduleFailed, err.Error()
		s.log.Warn("scheduled task could not be started", "scheduled_task_id", t.ID, "task", t.Name, "instance_id", t.InstanceID, "err", err)
	} else {
		t.Status, t.TaskID, t.Error = dms.ScheduleExecuting, bt.ID, ""
		s.log.Info("scheduled task started", "scheduled_task_id", t.ID, "task_id", bt.ID, "task", t.Name, "instance_id", t.InstanceID)
	}
	uerr := s.st.UpdateScheduledTask(ctx, t)
	s.mu.Unlock()
	if uerr != nil && !errors.Is(uerr, store.ErrNotFound) { // not found: the instance was deleted meanwhile
		s.log.Error("scheduled task: storing its start", "scheduled_task_id", t.ID, "task_id", bt.ID, "err", uerr)
	}
}

// note stores why a claimed task waits (shown in its error while it is EXECUTING with no task).
func (s *Service) note(t dms.ScheduledTask, msg string) dms.ScheduledTask {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Error, t.UpdatedAt = msg, s.clock.Now().UTC()
	if err := s.st.UpdateScheduledTask(s.ctx, t); err != nil && !errors.Is(err, store.ErrNotFound) && s.ctx.Err() == nil {
		s.log.Warn("scheduled task: storing why it waits", "scheduled_task_id", t.ID, "err", err)
	}
	return t
}

// unclaim puts a claimed task that started nothing back to CREATED.
func (s *Service) unclaim(t dms.ScheduledTask) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Status, t.Error, t.UpdatedAt = dms.ScheduleCreated, "", s.clock.Now().UTC()
	if err := s.st.UpdateScheduledTask(ctx, t); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("scheduled task left EXECUTING with nothing started; the next start marks it FAILED", "scheduled_task_id", t.ID, "err", err)
	}
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) At(t time.Time) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	tm := time.AfterFunc(time.Until(t), func() { close(ch) })
	return ch, func() { tm.Stop() }
}
