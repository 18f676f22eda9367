package sqlite

import (
	"context"

	"github.com/opendms/opendms/internal/dms"
)

const kafkaUserCols = `instance_id, name, description, role, default_app, created_at, salt, iterations, stored_key`

func scanKafkaUser(r scanner) (dms.KafkaUser, error) {
	var u dms.KafkaUser
	var created int64
	var defaultApp int
	err := r.Scan(&u.InstanceID, &u.Name, &u.Description, &u.Role, &defaultApp, &created, &u.Salt, &u.Iterations, &u.StoredKey)
	u.CreatedAt, u.DefaultApp = fromMS(created), defaultApp != 0
	return u, mapErr(err)
}

func (s *DB) CreateKafkaUser(ctx context.Context, u dms.KafkaUser) error {
	_, err := s.exec(ctx, `INSERT INTO kafka_users(`+kafkaUserCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.InstanceID, u.Name, u.Description, u.Role, b2i(u.DefaultApp), ms(u.CreatedAt), u.Salt, u.Iterations, u.StoredKey)
	return mapErr(err)
}

func (s *DB) GetKafkaUser(ctx context.Context, instanceID, name string) (dms.KafkaUser, error) {
	return scanKafkaUser(s.queryRow(ctx, `SELECT `+kafkaUserCols+` FROM kafka_users WHERE instance_id = ? AND name = ?`, instanceID, name))
}

func (s *DB) ListKafkaUsers(ctx context.Context, instanceID string) ([]dms.KafkaUser, error) {
	return queryAll(ctx, s, scanKafkaUser, `SELECT `+kafkaUserCols+` FROM kafka_users WHERE instance_id = ? ORDER BY name`, instanceID)
}

func (s *DB) UpdateKafkaUser(ctx context.Context, u dms.KafkaUser) error {
	return s.execOne(ctx, `UPDATE kafka_users SET description = ?, role = ?, default_app = ?, salt = ?, iterations = ?, stored_key = ?
		WHERE instance_id = ? AND name = ?`, u.Description, u.Role, b2i(u.DefaultApp), u.Salt, u.Iterations, u.StoredKey, u.InstanceID, u.Name)
}

func (s *DB) DeleteKafkaUser(ctx context.Context, instanceID, name string) error {
	_, err := s.exec(ctx, `DELETE FROM kafka_users WHERE instance_id = ? AND name = ?`, instanceID, name)
	return mapErr(err)
}
