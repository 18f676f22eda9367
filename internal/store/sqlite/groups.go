package sqlite

import (
	"context"
	"encoding/json"

	"github.com/opendms/opendms/internal/dms"
)

func (s *DB) CreateGroupMeta(ctx context.Context, m dms.GroupMeta) error {
	_, err := s.exec(ctx, `INSERT INTO consumer_groups(instance_id, name, description, created_at) VALUES (?, ?, ?, ?)`,
		m.InstanceID, m.Name, m.Description, ms(m.CreatedAt))
	return mapErr(err)
}

func (s *DB) PutGroupMeta(ctx context.Context, m dms.GroupMeta) error {
	_, err := s.exec(ctx, `INSERT INTO consumer_groups(instance_id, name, description, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(instance_id, name) DO UPDATE SET description = excluded.description, created_at = excluded.created_at`,
		m.InstanceID, m.Name, m.Description, ms(m.CreatedAt))
	return mapErr(err)
}

func (s *DB) ListGroupMeta(ctx context.Context, instanceID string) ([]dms.GroupMeta, error) {
	return queryAll(ctx, s, func(r scanner) (dms.GroupMeta, error) {
		var m dms.GroupMeta
		var created int64
		err := r.Scan(&m.InstanceID, &m.Name, &m.Description, &created)
		m.CreatedAt = fromMS(created)
		return m, mapErr(err)
	}, `SELECT instance_id, name, description, created_at FROM consumer_groups WHERE instance_id = ? ORDER BY name`, instanceID)
}

func (s *DB) DeleteGroupMeta(ctx context.Context, instanceID, name string) error {
	_, err := s.exec(ctx, `DELETE FROM consumer_groups WHERE instance_id = ? AND name = ?`, instanceID, name)
	return mapErr(err)
}

func scanDiagnosis(r scanner) (dms.DiagnosisReport, error) {
	var body string
	var d dms.DiagnosisReport
	if err := r.Scan(&body); err != nil {
		return d, mapErr(err)
	}
	return d, json.Unmarshal([]byte(body), &d)
}

func (s *DB) CreateDiagnosis(ctx context.Context, d dms.DiagnosisReport) error {
	body, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO diagnosis_reports(id, instance_id, status, begin_time, body) VALUES (?, ?, ?, ?, ?)`,
		d.ID, d.InstanceID, string(d.Status), ms(d.BeginTime), string(body))
	return mapErr(err)
}

func (s *DB) GetDiagnosis(ctx context.Context, id string) (dms.DiagnosisReport, error) {
	return scanDiagnosis(s.queryRow(ctx, `SELECT body FROM diagnosis_reports WHERE id = ?`, id))
}

func (s *DB) UpdateDiagnosis(ctx context.Context, d dms.DiagnosisReport) error {
	body, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return s.execOne(ctx, `UPDATE diagnosis_reports SET status = ?, body = ? WHERE id = ?`, string(d.Status), string(body), d.ID)
}

func (s *DB) ListDiagnoses(ctx context.Context, instanceID string) ([]dms.DiagnosisReport, error) {
	if instanceID == "" {
		return queryAll(ctx, s, scanDiagnosis, `SELECT body FROM diagnosis_reports ORDER BY begin_time DESC, rowid DESC`)
	}
	return queryAll(ctx, s, scanDiagnosis, `SELECT body FROM diagnosis_reports WHERE instance_id = ? ORDER BY begin_time DESC, rowid DESC`, instanceID)
}
