package instances

import (
	"context"
	"errors"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// TaskFilter selects tasks of 5.9.1: begin/end bound created_at; Start is the id of the first task
// to return (the reference's start) and Offset skips tasks (the SDK sends offset); Limit caps them.
type TaskFilter struct {
	Begin, End time.Time
	Start      string
	Offset     int
	Limit      int
}

// Tasks lists an instance's background tasks, newest first, and how many matched before paging.
func (s *Service) Tasks(ctx context.Context, projectID, id string, f TaskFilter) ([]dms.Task, int, error) {
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return nil, 0, err
	}
	all, err := s.store.ListTasks(ctx, id)
	if err != nil {
		return nil, 0, dms.Internal(err)
	}
	var matched []dms.Task
	for _, t := range all {
		if (!f.Begin.IsZero() && t.CreatedAt.Before(f.Begin)) || (!f.End.IsZero() && t.CreatedAt.After(f.End)) {
			continue
		}
		matched = append(matched, t)
	}
	total := len(matched)
	if f.Start != "" {
		i := 0
		for i < len(matched) && matched[i].ID != f.Start {
			i++
		}
		matched = matched[i:]
	}
	if f.Offset > 0 {
		matched = matched[min(f.Offset, len(matched)):]
	}
	if f.Limit > 0 && len(matched) > f.Limit {
		matched = matched[:f.Limit]
	}
	return matched, total, nil
}

// Task returns one background task of an instance (5.9.2).
func (s *Service) Task(ctx context.Context, projectID, id, taskID string) (dms.Task, error) {
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return dms.Task{}, err
	}
	t, err := s.store.GetTask(ctx, taskID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.InstanceID != id) {
		return dms.Task{}, dms.Errorf(dms.CodeResourceNotFound, "The background task %s does not exist.", taskID)
	}
	if err != nil {
		return dms.Task{}, dms.Internal(err)
	}
	return t, nil
}

// DeleteTask removes the record of an ended background task (5.9.3); a running one cannot be.
func (s *Service) DeleteTask(ctx context.Context, projectID, id, taskID string) error {
	t, err := s.Task(ctx, projectID, id, taskID)
	if err != nil {
		return err
	}
	if !t.Finished() {
		return dms.Errorf(dms.CodeInstanceBusy, "The background task %s has not ended and cannot be deleted.", taskID)
	}
	if err := s.store.DeleteTask(ctx, taskID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return dms.Internal(err)
	}
	return nil
}

// TaskProgress is ShowBackgroundTaskProgress's view of a task: how far it has come in percent,
// the seconds it still needs (-1 when unknown) and its steps.
type TaskProgress struct {
	Percentage    int
	RemainSeconds int
	Steps         []dms.TaskStep
}

// Progress reports how far a background task of an instance has come. Tasks that report progress
// (reassignments, scaling) give Done of Total; the remaining time is extrapolated from the rate so
// far. Other tasks are 0 % until they end and 100 % after.
func (s *Service) Progress(ctx context.Context, projectID, id, taskID string) (TaskProgress, error) {
	t, err := s.Task(ctx, projectID, id, taskID)
	if err != nil {
		return TaskProgress{}, err
	}
	return progressOf(t, s.now()), nil
}

func progressOf(t dms.Task, now time.Time) TaskProgress {
	out := TaskProgress{RemainSeconds: -1}
	p := t.Progress
	if p != nil {
		out.Steps = p.Steps
	}
	switch {
	case t.Status == dms.TaskSuccess:
		out.Percentage, out.RemainSeconds = 100, 0
	case t.Status == dms.TaskFailed:
		if p != nil && p.Total > 0 {
			out.Percentage = min(99, p.Done*100/p.Total)
		}
		out.RemainSeconds = 0
	case p != nil && p.Total > 0:
		// Never 100 before the task has ended: its last step (e.g. removing throttles) may remain.
		out.Percentage = min(99, p.Done*100/p.Total)
		if p.Done > 0 {
			elapsed := now.Sub(t.CreatedAt).Seconds()
			out.RemainSeconds = int(elapsed / float64(p.Done) * float64(p.Total-p.Done))
		}
	}
	return out
}
