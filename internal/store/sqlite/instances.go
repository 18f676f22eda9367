package sqlite

import (
	"context"
	"encoding/json"

	"github.com/opendms/opendms/internal/dms"
)

func scanInstance(r scanner) (dms.Instance, error) {
	var body string
	var in dms.Instance
	if err := r.Scan(&body); err != nil {
		return in, mapErr(err)
	}
	return in, json.Unmarshal([]byte(body), &in)
}

func (s *DB) CreateInstance(ctx context.Context, in dms.Instance) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO instances(id, project_id, name, status, deleting, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		in.ID, in.ProjectID, in.Name, in.Status, b2i(in.Deleting), ms(in.CreatedAt), string(body))
	return mapErr(err)
}

func (s *DB) GetInstance(ctx context.Context, id string) (dms.Instance, error) {
	return scanInstance(s.queryRow(ctx, `SELECT body FROM instances WHERE id = ?`, id))
}

func (s *DB) ListInstances(ctx context.Context, projectID string) ([]dms.Instance, error) {
	if projectID == "" {
		return queryAll(ctx, s, scanInstance, `SELECT body FROM instances ORDER BY created_at, rowid`)
	}
	return queryAll(ctx, s, scanInstance, `SELECT body FROM instances WHERE project_id = ? AND deleting = 0 ORDER BY created_at, rowid`, projectID)
}

func (s *DB) UpdateInstance(ctx context.Context, in dms.Instance) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return s.execOne(ctx, `UPDATE instances SET name = ?, status = ?, deleting = ?, body = ? WHERE id = ?`,
		in.Name, in.Status, b2i(in.Deleting), string(body), in.ID)
}

func (s *DB) DeleteInstance(ctx context.Context, id string) error {
	return s.execOne(ctx, `DELETE FROM instances WHERE id = ?`, id)
}

const taskCols = `id, instance_id, project_id, name, params, status, error, user_id, user_name, created_at, updated_at`

func scanTask(r scanner) (dms.Task, error) {
	var t dms.Task
	var created, updated int64
	var progress string
	err := r.Scan(&t.ID, &t.InstanceID, &t.ProjectID, &t.Name, &t.Params, &t.Status, &t.Error, &t.UserID, &t.UserName, &created, &updated, &progress)
	if err != nil {
		return t, mapErr(err)
	}
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	if progress != "" {
		t.Progress = new(dms.TaskProgress)
		if err := json.Unmarshal([]byte(progress), t.Progress); err != nil {
			return t, err
		}
	}
	return t, nil
}

// taskSelect reads tasks with their progress (written apart from the rest: UpdateTaskProgress).
const taskSelect = `SELECT ` + taskCols + `, progress FROM tasks`

func (s *DB) CreateTask(ctx context.Context, t dms.Task) error {
	_, err := s.exec(ctx, `INSERT INTO tasks(`+taskCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.InstanceID, t.ProjectID, t.Name, t.Params, t.Status, t.Error, t.UserID, t.UserName, ms(t.CreatedAt), ms(t.UpdatedAt))
	return mapErr(err)
}

func (s *DB) GetTask(ctx context.Context, id string) (dms.Task, error) {
	return scanTask(s.queryRow(ctx, taskSelect+` WHERE id = ?`, id))
}

func (s *DB) UpdateTask(ctx context.Context, t dms.Task) error {
	return s.execOne(ctx, `UPDATE tasks SET status = ?, error = ?, params = ?, updated_at = ? WHERE id = ?`,
		t.Status, t.Error, t.Params, ms(t.UpdatedAt), t.ID)
}

func (s *DB) UpdateTaskProgress(ctx context.Context, id string, p dms.TaskProgress) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.execOne(ctx, `UPDATE tasks SET progress = ? WHERE id = ?`, string(body), id)
}

func (s *DB) DeleteTask(ctx context.Context, id string) error {
	return s.execOne(ctx, `DELETE FROM tasks WHERE id = ?`, id)
}

func (s *DB) ListTasks(ctx context.Context, instanceID string) ([]dms.Task, error) {
	return queryAll(ctx, s, scanTask, taskSelect+` WHERE instance_id = ? ORDER BY created_at DESC, rowid DESC`, instanceID)
}

func (s *DB) ListUnfinishedTasks(ctx context.Context) ([]dms.Task, error) {
	return queryAll(ctx, s, scanTask, taskSelect+` WHERE status IN (?, ?) ORDER BY created_at, rowid`,
		dms.TaskCreated, dms.TaskExecuting)
}

func (s *DB) DeleteInstanceTasks(ctx context.Context, instanceID string) error {
	_, err := s.exec(ctx, `DELETE FROM tasks WHERE instance_id = ?`, instanceID)
	return err
}
