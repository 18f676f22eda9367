package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// BootstrapConfig fixes the first administrator's credentials for automation; empty fields are
// generated on first start.
type BootstrapConfig struct {
	AccessKey string // DMS_ADMIN_AK
	SecretKey string // DMS_ADMIN_SK
	ProjectID string // DMS_ADMIN_PROJECT_ID
	Password  string // DMS_ADMIN_PASSWORD
	Region    string // the project's name, what SDKs resolve with GET /v3/projects?name=<region>
	Endpoint  string // written into the credentials file for clients
}

// AdminCredentials is the content of <data-dir>/admin-credentials.json (mode 0600): everything a client
// needs to call this server as the administrator. The only place a generated secret is ever shown.
type AdminCredentials struct {
	Endpoint    string `json:"endpoint"`
	Region      string `json:"region"`
	DomainName  string `json:"domain_name"`
	DomainID    string `json:"domain_id"`
	UserName    string `json:"user_name"`
	Password    string `json:"password,omitempty"`
	ProjectID   string `json:"project_id"`
	ProjectName string `json:"project_name"`
	AccessKey   string `json:"access_key"`
	SecretKey   string `json:"secret_key"`
}

const (
	bootstrapDomain = "admin"
	bootstrapUser   = "admin"
	bootstrapKey    = "bootstrap.admin_user_id"
)

// Bootstrap creates the account "admin" with its IAM user "admin", a project and an access key on the
// first start, and writes them to credsPath. On later starts it only applies what the environment
// fixes (a new DMS_ADMIN_AK/SK pair, a DMS_ADMIN_PROJECT_ID, a DMS_ADMIN_PASSWORD). It reports whether
// the credentials file was written.
func (s *Service) Bootstrap(ctx context.Context, cfg BootstrapConfig, credsPath string) (bool, error) {
	if cfg.Region == "" {
		cfg.Region = "cn-north-4"
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return false, errors.New("DMS_ADMIN_AK and DMS_ADMIN_SK must be set together")
	}
	if cfg.ProjectID != "" && !ValidProjectID(cfg.ProjectID) {
		return false, fmt.Errorf("DMS_ADMIN_PROJECT_ID %q is not 32 lower-case hex characters", cfg.ProjectID)
	}
	userID, err := s.store.GetSetting(ctx, bootstrapKey)
	if errors.Is(err, store.ErrNotFound) {
		return true, s.firstBootstrap(ctx, cfg, credsPath)
	}
	if err != nil {
		return false, err
	}
	return false, s.reapplyBootstrap(ctx, cfg, userID)
}

func (s *Service) firstBootstrap(ctx context.Context, cfg BootstrapConfig, credsPath string) error {
	password := cfg.Password
	if password == "" {
		password = NewPassword()
	}
	d, u, err := s.CreateDomain(ctx, bootstrapDomain, bootstrapUser, password)
	if err != nil {
		return fmt.Errorf("bootstrap account: %w", err)
	}
	projectID := cfg.ProjectID
	if projectID == "" {
		projectID = NewID()
	}
	p, err := s.createProject(ctx, dms.Project{ID: projectID, DomainID: d.ID, Name: cfg.Region, Description: "created at first start"})
	if err != nil {
		return fmt.Errorf("bootstrap project: %w", err)
	}
	ak, sk := cfg.AccessKey, cfg.SecretKey
	if ak == "" {
		ak, sk = NewAccessKeyPair()
	}
	if _, _, err := s.importAccessKey(ctx, u.ID, ak, sk, "bootstrap"); err != nil {
		return fmt.Errorf("bootstrap access key: %w", err)
	}
	creds := AdminCredentials{
		Endpoint: cfg.Endpoint, Region: cfg.Region, DomainName: d.Name, DomainID: d.ID, UserName: u.Name,
		Password: password, ProjectID: p.ID, ProjectName: p.Name, AccessKey: ak, SecretKey: sk,
	}
	if err := WriteCredentials(credsPath, creds); err != nil {
		return err
	}
	// The marker goes last: a crash before it makes the next start fail loudly on the existing
	// account rather than leave a half-made admin without a credentials file.
	return s.store.PutSetting(ctx, bootstrapKey, u.ID)
}

func (s *Service) reapplyBootstrap(ctx context.Context, cfg BootstrapConfig, userID string) error {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("bootstrap admin user: %w", err)
	}
	if cfg.AccessKey != "" {
		if k, err := s.store.GetAccessKey(ctx, cfg.AccessKey); errors.Is(err, store.ErrNotFound) {
			if _, _, err := s.importAccessKey(ctx, u.ID, cfg.AccessKey, cfg.SecretKey, "bootstrap"); err != nil {
				return err
			}
		} else if err != nil {
			return err
		} else if k.UserID != u.ID {
			return fmt.Errorf("DMS_ADMIN_AK belongs to another user")
		} else if sk, err := s.sealer.Open(k.SealedSecret); err != nil || string(sk) != cfg.SecretKey {
			return fmt.Errorf("DMS_ADMIN_AK exists with a different DMS_ADMIN_SK")
		}
	}
	if cfg.ProjectID != "" {
		if _, err := s.store.GetProject(ctx, cfg.ProjectID); errors.Is(err, store.ErrNotFound) {
			if _, err := s.createProject(ctx, dms.Project{ID: cfg.ProjectID, DomainID: u.DomainID, Name: cfg.ProjectID[:8], Description: "DMS_ADMIN_PROJECT_ID"}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	if cfg.Password != "" && !CheckPassword(u.PasswordHash, cfg.Password) {
		return s.SetPassword(ctx, u.ID, cfg.Password)
	}
	return nil
}

// WriteCredentials writes creds as JSON with mode 0600 (replacing the file atomically).
func WriteCredentials(path string, creds AdminCredentials) error {
	b, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// ReadCredentials reads a credentials file written by WriteCredentials.
func ReadCredentials(path string) (AdminCredentials, error) {
	var c AdminCredentials
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}
