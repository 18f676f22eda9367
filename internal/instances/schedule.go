package instances

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/schedule"
	"github.com/opendms/opendms/internal/store"
)

// Scheduled work on instances: 5.1.9 with is_schedule, and the SDK's scheduled-task APIs
// (ListScheduledTasks, UpdateScheduledTask, DeleteScheduledTask), through internal/schedule.

// SetScheduler gives the service the schedule service (before either starts): 5.1.9 with
// is_schedule stores an upgrade there, which at its time starts as Upgrade would now. Without it
// scheduled work answers 501.
func (s *Service) SetScheduler(sc *schedule.Service) {
	s.sched = sc
	sc.Register(taskUpgrade, func(ctx context.Context, st dms.ScheduledTask) (dms.Task, error) {
		// Validated again now, as a request made now would be: the instance may have changed since.
		return s.Upgrade(ctx, st.ProjectID, st.InstanceID, Actor{UserID: st.UserID, UserName: st.UserName})
	})
}

// Scheduler is the schedule service (nil if none), for other services that schedule their work.
func (s *Service) Scheduler() *schedule.Service { return s.sched }

func (s *Service) scheduler() (*schedule.Service, error) {
	if s.sched == nil {
		return nil, dms.Errorf(dms.CodeNotImplemented, "Scheduled tasks are not enabled on this server.")
	}
	return s.sched, nil
}

// ScheduleUpgrade stores an upgrade of the instance to start at at (5.1.9 with is_schedule and
// execute_at) and returns the scheduled task. It is refused now if it would be refused now: the
// time missing, past or too far ahead, the instance not RUNNING, or already on the build its
// engine_version maps to. A busy instance is not refused (it may be idle by then; the start is
// retried a few times when it is not). One upgrade per instance waits at a time: another is
// refused (409) while one is CREATED; change or delete that one instead.
//
// Without a time (at zero) the upgrade is put at the start of the instance's next maintenance
// window (maintain_begin, UTC). The reference makes execute_at mandatory with is_schedule, but an
// upgrade "in the maintenance window" is what the window is for: a request without the time is
// served that way rather than refused.
func (s *Service) ScheduleUpgrade(ctx context.Context, projectID, id string, who Actor, at time.Time) (dms.ScheduledTask, error) {
	sc, err := s.scheduler()
	if err != nil {
		return dms.ScheduledTask{}, err
	}
	if !at.IsZero() {
		if err := sc.CheckTime(at); err != nil {
			return dms.ScheduledTask{}, err
		}
	}
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return dms.ScheduledTask{}, err
	}
	// Under the lock, as tasks are started: two requests together never both pass the check for a
	// waiting upgrade.
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.store.GetInstance(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && in.Deleting) {
		return dms.ScheduledTask{}, dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
	}
	if err != nil {
		return dms.ScheduledTask{}, dms.Internal(err)
	}
	target, err := s.upgradeTarget(in)
	if err != nil {
		return dms.ScheduledTask{}, err
	}
	if at.IsZero() {
		if at, err = nextWindow(in.MaintainBegin, sc.Now()); err != nil {
			return dms.ScheduledTask{}, err
		}
	}
	if err := waitingUpgrade(ctx, sc, id, ""); err != nil {
		return dms.ScheduledTask{}, err
	}
	params, err := json.Marshal(upgradeParams{From: in.KafkaVersion, To: target})
	if err != nil {
		return dms.ScheduledTask{}, dms.Internal(err)
	}
	return sc.Add(ctx, dms.ScheduledTask{InstanceID: id, ProjectID: projectID, Name: taskUpgrade, Params: string(params),
		UserID: who.UserID, UserName: who.UserName, ScheduleAt: at})
}

// waitingUpgrade refuses (409) a second upgrade of the instance waiting for its time: one is
// CREATED already (but for the scheduled task except). Callers hold s.mu, so two requests never
// both pass it.
func waitingUpgrade(ctx context.Context, sc *schedule.Service, instanceID, except string) error {
	waiting, _, err := sc.List(ctx, instanceID, schedule.Filter{})
	if err != nil {
		return err
	}
	for _, w := range waiting {
		if w.Name == taskUpgrade && w.Status == dms.ScheduleCreated && w.ID != except {
			return dms.Errorf(dms.CodeConflict, "An upgrade of this instance is already scheduled (%s, at %s): change it (UpdateScheduledTask) or delete it first.",
				w.ID, w.ScheduleAt.Format(time.RFC3339))
		}
	}
	return nil
}

// UpgradeVersions is ShowUpgradeInstanceVersion: the Kafka build the instance runs and the one an
// upgrade moves it to (the build its engine_version maps to; the current one when there is none
// newer).
func (s *Service) UpgradeVersions(ctx context.Context, projectID, id string) (current, latest string, err error) {
	in, err := s.Get(ctx, projectID, id)
	if err != nil {
		return "", "", err
	}
	latest = s.cfg.KafkaBuilds[in.EngineVer]
	if latest == "" {
		latest = in.KafkaVersion
	}
	return in.KafkaVersion, latest, nil
}

// ScheduledTasks lists an instance's scheduled tasks (ListScheduledTasks), newest first, and how
// many matched before paging.
func (s *Service) ScheduledTasks(ctx context.Context, projectID, id string, f schedule.Filter) ([]dms.ScheduledTask, int, error) {
	sc, err := s.scheduler()
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return nil, 0, err
	}
	return sc.List(ctx, id, f)
}

// UpdateScheduledTask changes the time or status of a scheduled task that has not started.
func (s *Service) UpdateScheduledTask(ctx context.Context, projectID, id, taskID string, u schedule.Update) (dms.ScheduledTask, error) {
	sc, err := s.scheduler()
	if err != nil {
		return dms.ScheduledTask{}, err
	}
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return dms.ScheduledTask{}, err
	}
	if u.Status != nil && *u.Status == dms.ScheduleCreated {
		// A cancelled upgrade put back to wait is a new waiting upgrade: the same one-at-a-time
		// rule as ScheduleUpgrade's, under the same lock (sc.Update takes the schedule's own lock
		// inside it; the scheduler never holds that one while it calls into this service).
		s.mu.Lock()
		defer s.mu.Unlock()
		st, err := sc.Get(ctx, id, taskID)
		if err != nil {
			return st, err
		}
		if st.Name == taskUpgrade && st.Status == dms.ScheduleCancelled {
			if err := waitingUpgrade(ctx, sc, id, st.ID); err != nil {
				return st, err
			}
		}
	}
	return sc.Update(ctx, id, taskID, u)
}

// DeleteScheduledTask cancels a scheduled task that has not started, or removes an ended one's
// record.
func (s *Service) DeleteScheduledTask(ctx context.Context, projectID, id, taskID string) error {
	sc, err := s.scheduler()
	if err != nil {
		return err
	}
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return err
	}
	return sc.Delete(ctx, id, taskID)
}

// nextWindow is the start of the next maintenance window beginning at begin ("HH:mm:ss" or
// "HH:mm", UTC) after now, at least a minute ahead.
func nextWindow(begin string, now time.Time) (time.Time, error) {
	var t time.Time
	var err error
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err = time.Parse(layout, begin); err == nil {
			break
		}
	}
	if err != nil {
		return time.Time{}, dms.Errorf(dms.CodeTimestampInvalid, "Timestamp is invalid: execute_at is not given and the instance has no maintenance window (maintain_begin %q) to schedule the upgrade in.", begin)
	}
	now = now.UTC()
	at := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	if at.Before(now.Add(time.Minute)) {
		at = at.AddDate(0, 0, 1)
	}
	return at, nil
}
