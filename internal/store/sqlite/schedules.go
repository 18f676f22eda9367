package sqlite

import (
	"context"
	"strings"

	"github.com/opendms/opendms/internal/dms"
)

const scheduleCols = `id, instance_id, project_id, name, params, status, user_id, user_name, created_at, updated_at, schedule_at, task_id, error`

func scanSchedule(r scanner) (dms.ScheduledTask, error) {
	var t dms.ScheduledTask
	var created, updated, at int64
	err := r.Scan(&t.ID, &t.InstanceID, &t.ProjectID, &t.Name, &t.Params, &t.Status, &t.UserID, &t.UserName,
		&created, &updated, &at, &t.TaskID, &t.Error)
	t.CreatedAt, t.UpdatedAt, t.ScheduleAt = fromMS(created), fromMS(updated), fromMS(at)
	return t, mapErr(err)
}

func (s *DB) CreateScheduledTask(ctx context.Context, t dms.ScheduledTask) error {
	_, err := s.exec(ctx, `INSERT INTO scheduled_tasks(`+scheduleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.InstanceID, t.ProjectID, t.Name, t.Params, t.Status, t.UserID, t.UserName,
		ms(t.CreatedAt), ms(t.UpdatedAt), ms(t.ScheduleAt), t.TaskID, t.Error)
	return mapErr(err)
}

func (s *DB) GetScheduledTask(ctx context.Context, id string) (dms.ScheduledTask, error) {
	return scanSchedule(s.queryRow(ctx, `SELECT `+scheduleCols+` FROM scheduled_tasks WHERE id = ?`, id))
}

func (s *DB) UpdateScheduledTask(ctx context.Context, t dms.ScheduledTask) error {
	return s.execOne(ctx, `UPDATE scheduled_tasks SET params = ?, status = ?, updated_at = ?, schedule_at = ?, task_id = ?, error = ? WHERE id = ?`,
		t.Params, t.Status, ms(t.UpdatedAt), ms(t.ScheduleAt), t.TaskID, t.Error, t.ID)
}

func (s *DB) DeleteScheduledTask(ctx context.Context, id string) error {
	return s.execOne(ctx, `DELETE FROM scheduled_tasks WHERE id = ?`, id)
}

func (s *DB) ListScheduledTasks(ctx context.Context, instanceID string) ([]dms.ScheduledTask, error) {
	return queryAll(ctx, s, scanSchedule, `SELECT `+scheduleCols+` FROM scheduled_tasks WHERE instance_id = ? ORDER BY created_at DESC, rowid DESC`, instanceID)
}

func (s *DB) ListScheduledTasksByStatus(ctx context.Context, statuses ...string) ([]dms.ScheduledTask, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	args := make([]any, len(statuses))
	for i, st := range statuses {
		args[i] = st
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(statuses)), ", ")
	return queryAll(ctx, s, scanSchedule, `SELECT `+scheduleCols+` FROM scheduled_tasks WHERE status IN (`+marks+`) ORDER BY schedule_at, rowid`, args...)
}

func (s *DB) DeleteInstanceScheduledTasks(ctx context.Context, instanceID string) error {
	_, err := s.exec(ctx, `DELETE FROM scheduled_tasks WHERE instance_id = ?`, instanceID)
	return err
}
