package sqlite

import (
	"context"
	"encoding/json"

	"github.com/opendms/opendms/internal/dms"
)

func scanConnectTask(r scanner) (dms.ConnectTask, error) {
	var body string
	var sealed []byte
	var t dms.ConnectTask
	if err := r.Scan(&body, &sealed); err != nil {
		return t, mapErr(err)
	}
	if err := json.Unmarshal([]byte(body), &t); err != nil {
		return t, err
	}
	t.Sealed = sealed
	return t, nil
}

func (s *DB) CreateConnectTask(ctx context.Context, t dms.ConnectTask) error {
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO connect_tasks(id, instance_id, name, created_at, body, sealed) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.InstanceID, t.Name, ms(t.CreatedAt), string(body), t.Sealed)
	return mapErr(err)
}

func (s *DB) GetConnectTask(ctx context.Context, instanceID, id string) (dms.ConnectTask, error) {
	return scanConnectTask(s.queryRow(ctx, `SELECT body, sealed FROM connect_tasks WHERE instance_id = ? AND id = ?`, instanceID, id))
}

func (s *DB) UpdateConnectTask(ctx context.Context, t dms.ConnectTask) error {
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.execOne(ctx, `UPDATE connect_tasks SET name = ?, body = ?, sealed = ? WHERE id = ?`, t.Name, string(body), t.Sealed, t.ID)
}

func (s *DB) DeleteConnectTask(ctx context.Context, id string) error {
	return s.execOne(ctx, `DELETE FROM connect_tasks WHERE id = ?`, id)
}

func (s *DB) ListConnectTasks(ctx context.Context, instanceID string) ([]dms.ConnectTask, error) {
	if instanceID == "" {
		return queryAll(ctx, s, scanConnectTask, `SELECT body, sealed FROM connect_tasks ORDER BY created_at, rowid`)
	}
	return queryAll(ctx, s, scanConnectTask, `SELECT body, sealed FROM connect_tasks WHERE instance_id = ? ORDER BY created_at, rowid`, instanceID)
}

func (s *DB) DeleteInstanceConnectTasks(ctx context.Context, instanceID string) error {
	_, err := s.exec(ctx, `DELETE FROM connect_tasks WHERE instance_id = ?`, instanceID)
	return err
}
