package sqlite

import (
	"context"

	"github.com/opendms/opendms/internal/dms"
)

func (s *DB) PutTopicMeta(ctx context.Context, m dms.TopicMeta) error {
	_, err := s.exec(ctx, `INSERT INTO topics(instance_id, name, description, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(instance_id, name) DO UPDATE SET description = excluded.description, created_at = excluded.created_at`,
		m.InstanceID, m.Name, m.Description, ms(m.CreatedAt))
	return mapErr(err)
}

func (s *DB) ListTopicMeta(ctx context.Context, instanceID string) ([]dms.TopicMeta, error) {
	return queryAll(ctx, s, func(r scanner) (dms.TopicMeta, error) {
		var m dms.TopicMeta
		var created int64
		err := r.Scan(&m.InstanceID, &m.Name, &m.Description, &created)
		m.CreatedAt = fromMS(created)
		return m, mapErr(err)
	}, `SELECT instance_id, name, description, created_at FROM topics WHERE instance_id = ? ORDER BY name`, instanceID)
}

func (s *DB) DeleteTopicMeta(ctx context.Context, instanceID, name string) error {
	_, err := s.exec(ctx, `DELETE FROM topics WHERE instance_id = ? AND name = ?`, instanceID, name)
	return mapErr(err)
}
