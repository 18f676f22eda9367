package instances

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
	"github.com/opendms/opendms/internal/tasks"
)

// Starting asynchronous work on an instance, and making sure it always ends somewhere.
//
// Every operation that changes an instance's brokers (restart, upgrade, config change, access-mode
// switch) starts through startTask: under the service lock it reads the instance as stored, refuses
// while one of its tasks runs, validates the request against that state, sets the transitional
// status and submits the task, or changes nothing. Two requests sent together therefore never both
// pass validation against the same state.
//
// A task that set a transitional status ends it: RUNNING on success, or ERROR with the reason on
// any failure (settled). Should even that fail (the store refusing the write), the sweep at every
// start and monitor tick finds an instance left in a transitional status with no task and moves it
// to ERROR, so no instance stays CREATING or RESTARTING forever and every one can be deleted.

// transitional are the statuses a task owns while it runs.
var transitional = []string{dms.StatusCreating, dms.StatusRestarting, dms.StatusUpgrading, dms.StatusExtending}

func isTransitional(status string) bool { return slices.Contains(transitional, status) }

// statusForbids refuses an operation on an instance whose status is not one of allowed, or whose
// creation failed.
func statusForbids(in dms.Instance, allowed ...string) error {
	if in.CreateFailed || !slices.Contains(allowed, in.Status) {
		return dms.Errorf(dms.CodeInstanceStatusForbids, "This operation is not allowed due to the instance status %s.", in.Status)
	}
	return nil
}

// startTask is the one way to start an operation on an existing instance (see above). prepare gets
// the stored instance and changes it to the state the task starts from (at least its status); an
// error from prepare refuses the request. The record is written and the task submitted under the
// lock; if the submission fails, the record is put back as it was.
func (s *Service) startTask(ctx context.Context, projectID, id string, who Actor, name string, params any,
	prepare func(in *dms.Instance) error) (dms.Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, err := s.store.GetInstance(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (prev.ProjectID != projectID || prev.Deleting)) {
		return dms.Task{}, dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
	}
	if err != nil {
		return dms.Task{}, dms.Internal(err)
	}
	if s.runner.Busy(id) {
		return dms.Task{}, dms.Errorf(dms.CodeInstanceBusy, "This DMS instance job task is still running: wait until the instance's background task ends.")
	}
	next := prev
	if err := prepare(&next); err != nil {
		return dms.Task{}, asAPIError(err)
	}
	next.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateInstance(ctx, next); err != nil {
		s.records.drop(id)
		return dms.Task{}, dms.Internal(err)
	}
	s.records.put(next, s.now())
	t, err := s.submit(ctx, next, who, name, params)
	if err != nil {
		if rerr := s.store.UpdateInstance(context.WithoutCancel(ctx), prev); rerr != nil {
			s.records.drop(id)
			s.log.Error("instance left in its transitional status after a task could not be submitted; the monitor moves it to ERROR",
				"instance_id", id, "err", rerr)
		} else {
			s.records.put(prev, s.now())
		}
		return dms.Task{}, dms.Internal(fmt.Errorf("submitting %s: %w", name, err))
	}
	return t, nil
}

// settled wraps a task function that owns the instance's status while it runs: on success an
// instance still in a transitional status is RUNNING again; when the task fails (not by a shutdown,
// after which it resumes), it becomes ERROR with the reason, and a creation that failed is marked
// as such (it can then only be deleted).
func (s *Service) settled(f tasks.Func) tasks.Func {
	return func(ctx context.Context, t dms.Task) error {
		err := f(ctx, t)
		switch {
		case ctx.Err() != nil:
		case err == nil:
			if _, uerr := s.update(ctx, t.InstanceID, func(in *dms.Instance) error {
				if isTransitional(in.Status) {
					in.Status, in.StatusReason = dms.StatusRunning, ""
				}
				return nil
			}); uerr != nil && !errors.Is(uerr, store.ErrNotFound) {
				return uerr // the store refused: the sweep settles the instance
			}
		default:
			s.fallBack(context.WithoutCancel(ctx), t.InstanceID, err.Error(), false)
		}
		return err
	}
}

// fallBack moves an instance out of a transitional status to ERROR with reason (a creation is
// marked failed; a specification change, whose brokers keep serving, is EXTENDEDFAILED). idleOnly: only if no task of it is pending and it is not being deleted (the
// sweep; a failing task calls it while it is still pending itself).
func (s *Service) fallBack(ctx context.Context, id, reason string, idleOnly bool) {
	_, err := s.update(ctx, id, func(in *dms.Instance) error {
		if !isTransitional(in.Status) || idleOnly && (in.Deleting || s.runner.Busy(in.ID)) {
			return nil
		}
		if idleOnly {
			s.log.Warn("instance was left in a transitional status by a task that ended", "instance_id", in.ID, "status", in.Status)
		}
		if in.Status == dms.StatusCreating {
			in.CreateFailed = true
			reason = "creation failed: " + reason
		}
		if in.Status == dms.StatusExtending {
			in.Status, in.StatusReason = dms.StatusExtendFailed, reason
			return nil
		}
		in.Status, in.StatusReason = dms.StatusError, reason
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("instance left in its transitional status; the monitor retries", "instance_id", id, "err", err)
	}
}

// settleStuck moves every instance of all that is in a transitional status with no task pending to
// ERROR: the task that owned the status ended without settling it (its function missing in this
// version of dmsd, or the store refusing the final write). Checked again under the lock, as tasks
// are started.
func (s *Service) settleStuck(ctx context.Context, all []dms.Instance) {
	for _, in := range all {
		if !in.Deleting && isTransitional(in.Status) && !s.runner.Busy(in.ID) {
			s.fallBack(ctx, in.ID, fmt.Sprintf("the task behind the %s status ended without finishing it", in.Status), true)
		}
	}
}

// StartServingTask starts a task on a RUNNING instance that keeps serving while it runs, so its
// status stays RUNNING (a partition reassignment: the brokers are not restarted). It is startTask's
// rule without a transitional status: under the lock, refused while a task of the instance runs or
// when the instance is not RUNNING; check (may be nil) validates the stored instance, and its error
// refuses the request. The task's function is registered by the caller and must not change the
// instance's status.
func (s *Service) StartServingTask(ctx context.Context, projectID, id string, who Actor, name string, params any,
	check func(in dms.Instance) error) (dms.Task, error) {
	return s.startTask(ctx, projectID, id, who, name, params, func(in *dms.Instance) error {
		if err := statusForbids(*in, dms.StatusRunning); err != nil {
			return err
		}
		if check != nil {
			return check(*in)
		}
		return nil
	})
}
