package sqlite

import (
	"context"
	"time"

	"github.com/opendms/opendms/internal/dms"
)

// --- Kafka Manager sign-ins (tokens scoped to one instance; migration 0014)

func (s *DB) CreateManagerToken(ctx context.Context, t dms.ManagerToken) error {
	_, err := s.exec(ctx, `INSERT INTO manager_tokens(hash, instance_id, project_id, user_name, epoch, issued_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, t.Hash, t.InstanceID, t.ProjectID, t.UserName, t.Epoch, ms(t.IssuedAt), ms(t.ExpiresAt))
	return mapErr(err)
}

func (s *DB) GetManagerToken(ctx context.Context, hash string) (dms.ManagerToken, error) {
	var t dms.ManagerToken
	var issued, expires int64
	err := s.queryRow(ctx, `SELECT hash, instance_id, project_id, user_name, epoch, issued_at, expires_at
		FROM manager_tokens WHERE hash = ?`, hash).
		Scan(&t.Hash, &t.InstanceID, &t.ProjectID, &t.UserName, &t.Epoch, &issued, &expires)
	t.IssuedAt, t.ExpiresAt = fromMS(issued), fromMS(expires)
	return t, mapErr(err)
}

func (s *DB) DeleteManagerTokens(ctx context.Context, instanceID string, epoch int64) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM manager_tokens WHERE instance_id = ? AND epoch < ?`, instanceID, epoch)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// deleteExpiredManagerTokens is DeleteExpiredTokens' part for scoped tokens.
func (s *DB) deleteExpiredManagerTokens(ctx context.Context, now time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM manager_tokens WHERE expires_at <= ?`, ms(now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
