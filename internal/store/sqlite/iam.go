package sqlite

import (
	"context"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs q and scans each row with scan.
func queryAll[T any](ctx context.Context, s *DB, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// --- domains

const domainCols = `id, name, created_at`

func scanDomain(r scanner) (dms.Domain, error) {
	var d dms.Domain
	var created int64
	err := r.Scan(&d.ID, &d.Name, &created)
	d.CreatedAt = fromMS(created)
	return d, mapErr(err)
}

func (s *DB) CreateDomain(ctx context.Context, d dms.Domain) error {
	_, err := s.exec(ctx, `INSERT INTO domains(`+domainCols+`) VALUES (?, ?, ?)`, d.ID, d.Name, ms(d.CreatedAt))
	return mapErr(err)
}

func (s *DB) CreateAccount(ctx context.Context, a store.NewAccount) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	d, u, p := a.Domain, a.Admin, a.Project
	if _, err := tx.ExecContext(ctx, `INSERT INTO domains(`+domainCols+`) VALUES (?, ?, ?)`, d.ID, d.Name, ms(d.CreatedAt)); err != nil {
		return mapErr(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users(`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.DomainID, u.Name, b2i(u.Admin), u.PasswordHash, b2i(u.Enabled), ms(u.CreatedAt)); err != nil {
		return mapErr(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO projects(`+projectCols+`) VALUES (?, ?, ?, ?, ?)`,
		p.ID, p.DomainID, p.Name, p.Description, ms(p.CreatedAt)); err != nil {
		return mapErr(err)
	}
	if k := a.Key; k != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO access_keys(`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			k.AccessKey, k.UserID, k.SealedSecret, k.Description, b2i(k.Enabled), ms(k.CreatedAt)); err != nil {
			return mapErr(err)
		}
	}
	return mapErr(tx.Commit())
}

func (s *DB) GetDomain(ctx context.Context, id string) (dms.Domain, error) {
	return scanDomain(s.queryRow(ctx, `SELECT `+domainCols+` FROM domains WHERE id = ?`, id))
}

func (s *DB) GetDomainByName(ctx context.Context, name string) (dms.Domain, error) {
	return scanDomain(s.queryRow(ctx, `SELECT `+domainCols+` FROM domains WHERE name = ?`, name))
}

func (s *DB) ListDomains(ctx context.Context) ([]dms.Domain, error) {
	return queryAll(ctx, s, scanDomain, `SELECT `+domainCols+` FROM domains ORDER BY name`)
}

// --- projects

const projectCols = `id, domain_id, name, description, created_at`

func scanProject(r scanner) (dms.Project, error) {
	var p dms.Project
	var created int64
	err := r.Scan(&p.ID, &p.DomainID, &p.Name, &p.Description, &created)
	p.CreatedAt = fromMS(created)
	return p, mapErr(err)
}

func (s *DB) CreateProject(ctx context.Context, p dms.Project) error {
	_, err := s.exec(ctx, `INSERT INTO projects(`+projectCols+`) VALUES (?, ?, ?, ?, ?)`,
		p.ID, p.DomainID, p.Name, p.Description, ms(p.CreatedAt))
	return mapErr(err)
}

func (s *DB) GetProject(ctx context.Context, id string) (dms.Project, error) {
	return scanProject(s.queryRow(ctx, `SELECT `+projectCols+` FROM projects WHERE id = ?`, id))
}

func (s *DB) ListProjects(ctx context.Context, domainID string) ([]dms.Project, error) {
	return queryAll(ctx, s, scanProject, `SELECT `+projectCols+` FROM projects WHERE domain_id = ? ORDER BY name`, domainID)
}

// --- users

const userCols = `id, domain_id, name, admin, password_hash, enabled, created_at`

func scanUser(r scanner) (dms.User, error) {
	var u dms.User
	var admin, enabled int
	var created int64
	err := r.Scan(&u.ID, &u.DomainID, &u.Name, &admin, &u.PasswordHash, &enabled, &created)
	u.Admin, u.Enabled, u.CreatedAt = admin == 1, enabled == 1, fromMS(created)
	return u, mapErr(err)
}

func (s *DB) CreateUser(ctx context.Context, u dms.User) error {
	_, err := s.exec(ctx, `INSERT INTO users(`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.DomainID, u.Name, b2i(u.Admin), u.PasswordHash, b2i(u.Enabled), ms(u.CreatedAt))
	return mapErr(err)
}

func (s *DB) GetUser(ctx context.Context, id string) (dms.User, error) {
	return scanUser(s.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

func (s *DB) GetUserByName(ctx context.Context, domainID, name string) (dms.User, error) {
	return scanUser(s.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE domain_id = ? AND name = ?`, domainID, name))
}

func (s *DB) ListUsers(ctx context.Context, domainID string) ([]dms.User, error) {
	return queryAll(ctx, s, scanUser, `SELECT `+userCols+` FROM users WHERE domain_id = ? ORDER BY name`, domainID)
}

func (s *DB) UpdateUser(ctx context.Context, u dms.User) error {
	return s.execOne(ctx, `UPDATE users SET admin = ?, password_hash = ?, enabled = ? WHERE id = ?`,
		b2i(u.Admin), u.PasswordHash, b2i(u.Enabled), u.ID)
}

func (s *DB) DeleteUser(ctx context.Context, id string) error {
	return s.execOne(ctx, `DELETE FROM users WHERE id = ?`, id)
}

// --- access keys

const keyCols = `access_key, user_id, sealed_secret, description, enabled, created_at`

func scanKey(r scanner) (dms.AccessKey, error) {
	var k dms.AccessKey
	var enabled int
	var created int64
	err := r.Scan(&k.AccessKey, &k.UserID, &k.SealedSecret, &k.Description, &enabled, &created)
	k.Enabled, k.CreatedAt = enabled == 1, fromMS(created)
	return k, mapErr(err)
}

func (s *DB) CreateAccessKey(ctx context.Context, k dms.AccessKey) error {
	_, err := s.exec(ctx, `INSERT INTO access_keys(`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		k.AccessKey, k.UserID, k.SealedSecret, k.Description, b2i(k.Enabled), ms(k.CreatedAt))
	return mapErr(err)
}

func (s *DB) GetAccessKey(ctx context.Context, ak string) (dms.AccessKey, error) {
	return scanKey(s.queryRow(ctx, `SELECT `+keyCols+` FROM access_keys WHERE access_key = ?`, ak))
}

func (s *DB) ListAccessKeys(ctx context.Context, userID string) ([]dms.AccessKey, error) {
	return queryAll(ctx, s, scanKey, `SELECT `+keyCols+` FROM access_keys WHERE user_id = ? ORDER BY created_at, rowid`, userID)
}

func (s *DB) DeleteAccessKey(ctx context.Context, ak string) error {
	return s.execOne(ctx, `DELETE FROM access_keys WHERE access_key = ?`, ak)
}

// --- policies

const policyCols = `id, domain_id, name, description, document, system, created_at`

func scanPolicy(r scanner) (dms.Policy, error) {
	var p dms.Policy
	var system int
	var created int64
	err := r.Scan(&p.ID, &p.DomainID, &p.Name, &p.Description, &p.Document, &system, &created)
	p.System, p.CreatedAt = system == 1, fromMS(created)
	return p, mapErr(err)
}

func (s *DB) CreatePolicy(ctx context.Context, p dms.Policy) error {
	if p.System {
		// System roles are re-seeded at every start so a new release can change their documents.
		_, err := s.exec(ctx, `INSERT INTO policies(`+policyCols+`) VALUES (?, '', ?, ?, ?, 1, ?)
			ON CONFLICT(domain_id, name) DO UPDATE SET description = excluded.description, document = excluded.document`,
			p.ID, p.Name, p.Description, p.Document, ms(p.CreatedAt))
		return mapErr(err)
	}
	_, err := s.exec(ctx, `INSERT INTO policies(`+policyCols+`) VALUES (?, ?, ?, ?, ?, 0, ?)`,
		p.ID, p.DomainID, p.Name, p.Description, p.Document, ms(p.CreatedAt))
	return mapErr(err)
}

func (s *DB) GetPolicy(ctx context.Context, id string) (dms.Policy, error) {
	return scanPolicy(s.queryRow(ctx, `SELECT `+policyCols+` FROM policies WHERE id = ?`, id))
}

func (s *DB) GetPolicyByName(ctx context.Context, domainID, name string) (dms.Policy, error) {
	// The system role wins: a custom policy must never stand in for one (names are reserved now;
	// migration 0006 renamed the custom policies that took one before).
	return scanPolicy(s.queryRow(ctx, `SELECT `+policyCols+` FROM policies
		WHERE name = ? AND (domain_id = ? OR system = 1) ORDER BY system DESC LIMIT 1`, name, domainID))
}

func (s *DB) ListPolicies(ctx context.Context, domainID string) ([]dms.Policy, error) {
	return queryAll(ctx, s, scanPolicy, `SELECT `+policyCols+` FROM policies
		WHERE domain_id = ? OR system = 1 ORDER BY system DESC, name`, domainID)
}

func (s *DB) DeletePolicy(ctx context.Context, id string) error {
	return s.execOne(ctx, `DELETE FROM policies WHERE id = ? AND system = 0`, id)
}

// --- role bindings

const bindingCols = `user_id, project_id, policy_id, created_at`

func scanBinding(r scanner) (dms.RoleBinding, error) {
	var b dms.RoleBinding
	var created int64
	err := r.Scan(&b.UserID, &b.ProjectID, &b.PolicyID, &created)
	b.CreatedAt = fromMS(created)
	return b, mapErr(err)
}

func (s *DB) CreateRoleBinding(ctx context.Context, b dms.RoleBinding) error {
	_, err := s.exec(ctx, `INSERT INTO role_bindings(`+bindingCols+`) VALUES (?, ?, ?, ?)`,
		b.UserID, b.ProjectID, b.PolicyID, ms(b.CreatedAt))
	return mapErr(err)
}

func (s *DB) DeleteRoleBinding(ctx context.Context, b dms.RoleBinding) error {
	return s.execOne(ctx, `DELETE FROM role_bindings WHERE user_id = ? AND project_id = ? AND policy_id = ?`,
		b.UserID, b.ProjectID, b.PolicyID)
}

func (s *DB) ListRoleBindings(ctx context.Context, userID, projectID string) ([]dms.RoleBinding, error) {
	if projectID == "" {
		return queryAll(ctx, s, scanBinding, `SELECT `+bindingCols+` FROM role_bindings WHERE user_id = ? ORDER BY created_at, rowid`, userID)
	}
	return queryAll(ctx, s, scanBinding, `SELECT `+bindingCols+` FROM role_bindings
		WHERE user_id = ? AND project_id = ? ORDER BY created_at, rowid`, userID, projectID)
}

func (s *DB) ListDomainRoleBindings(ctx context.Context, domainID string) ([]dms.RoleBinding, error) {
	return queryAll(ctx, s, scanBinding, `SELECT b.user_id, b.project_id, b.policy_id, b.created_at
		FROM role_bindings b JOIN users u ON u.id = b.user_id WHERE u.domain_id = ? ORDER BY b.created_at, b.rowid`, domainID)
}

// --- tokens

func (s *DB) CreateToken(ctx context.Context, t dms.Token) error {
	_, err := s.exec(ctx, `INSERT INTO tokens(hash, user_id, project_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		t.Hash, t.UserID, t.ProjectID, ms(t.IssuedAt), ms(t.ExpiresAt))
	return mapErr(err)
}

func (s *DB) GetToken(ctx context.Context, hash string) (dms.Token, error) {
	var t dms.Token
	var issued, expires int64
	err := s.queryRow(ctx, `SELECT hash, user_id, project_id, issued_at, expires_at FROM tokens WHERE hash = ?`, hash).
		Scan(&t.Hash, &t.UserID, &t.ProjectID, &issued, &expires)
	t.IssuedAt, t.ExpiresAt = fromMS(issued), fromMS(expires)
	return t, mapErr(err)
}

func (s *DB) DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM tokens WHERE expires_at <= ?`, ms(now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return int(n), err
	}
	m, err := s.deleteExpiredManagerTokens(ctx, now)
	return int(n) + m, err
}

func (s *DB) DeleteUserTokens(ctx context.Context, userID string) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM tokens WHERE user_id = ?`, userID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// --- settings

func (s *DB) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.queryRow(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v, mapErr(err)
}

func (s *DB) PutSetting(ctx context.Context, key, value string) error {
	_, err := s.exec(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return mapErr(err)
}
