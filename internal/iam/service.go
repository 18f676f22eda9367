// Package iam is OpenDMS's identity and access management: accounts (domains), projects, IAM users,
// access keys, tokens, roles and policies; it authenticates requests (AK/SK signatures, X-Auth-Token)
// and decides whether a principal may perform an action in a project.
package iam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// Config tunes the service.
type Config struct {
	// ClockSkew is how far X-Sdk-Date may be from the server clock; a signature older than this is
	// rejected, which is what makes a captured request useless for replay later (Huawei's gateway
	// uses 15 minutes).
	ClockSkew time.Duration
	// TokenTTL is how long an X-Auth-Token is valid (24 h, as Huawei IAM).
	TokenTTL time.Duration
	// Login bounds password guessing at the token endpoint (see LoginLimits).
	Login LoginLimits
	// Region is this server's region: a V11-HMAC-SHA256 credential scope must name it (default
	// cn-north-4, as the bootstrap's).
	Region string
}

// Service is the IAM service.
type Service struct {
	store  store.IAM
	sealer *Sealer
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	cache  authCaches // of store reads; store invalidates them on writes (credcache.go)
	logins *loginLimiter
	// replays holds the signatures of accepted mutating AK/SK requests (see checkReplay).
	replays *replayCache
	// projects caches projects by id (they are immutable; see project).
	projects sync.Map
	// managers is the instances' Kafka Manager state (manager.go; nil: no scoped sign-ins).
	managers ManagerSessions
}

// New creates the service and (re)seeds the system roles.
func New(ctx context.Context, st store.IAM, sealer *Sealer, cfg Config, log *slog.Logger) (*Service, error) {
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = 15 * time.Minute
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 24 * time.Hour
	}
	if cfg.Region == "" {
		cfg.Region = "cn-north-4"
	}
	caches := newAuthCaches(cacheTTL)
	s := &Service{store: invalidatingStore{IAM: st, c: caches}, sealer: sealer, cfg: cfg, log: log, now: time.Now, cache: caches,
		logins: newLoginLimiter(cfg.Login), replays: newReplayCache(defaultReplayEntries)}
	for _, r := range SystemRoles {
		if _, err := ParsePolicy(r.Document); err != nil {
			return nil, fmt.Errorf("system role %q: %w", r.Name, err)
		}
		p := dms.Policy{ID: systemRoleID(r.Name), Name: r.Name, Description: r.Description, Document: r.Document,
			System: true, CreatedAt: s.now().UTC()}
		if err := st.CreatePolicy(ctx, p); err != nil {
			return nil, fmt.Errorf("seed role %q: %w", r.Name, err)
		}
	}
	return s, nil
}

// systemRoleID gives system roles stable ids across restarts and machines.
func systemRoleID(name string) string {
	id := []byte("system-")
	for _, c := range []byte(name) {
		if c == ' ' {
			c = '-'
		}
		id = append(id, c)
	}
	return string(id)
}

var (
	userNamePattern    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)
	projectNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

// AccountSpec describes a new account (tenant): what an operator gives to onboard one.
type AccountSpec struct {
	Name          string
	AdminName     string // the administrator IAM user; "admin" when empty
	AdminPassword string
	// ProjectName is the name of the account's first project: the region, which is what the SDKs
	// resolve (GET /v3/projects?name=<region>) and what tokens are scoped to by name.
	ProjectName        string
	ProjectDescription string
	// ProjectID fixes the project's id (DMS_ADMIN_PROJECT_ID); generated when empty.
	ProjectID string
	// AccessKey asks for an access key of the administrator; its secret is returned once.
	AccessKey bool

	// A given AK/SK pair instead of a generated one (the bootstrap's DMS_ADMIN_AK/SK).
	fixedAK, fixedSK string
}

// NewAccount is a created account: everything its administrator needs to start.
type NewAccount struct {
	Domain    dms.Domain
	Admin     dms.User
	Project   dms.Project
	AccessKey *dms.AccessKey // nil unless requested
	SecretKey string         // the access key's secret, shown this once
}

// CreateAccount creates a usable tenant in one step: the account, its administrator (with a
// password, so it can get tokens), a project named after the region and, on request, an access key.
// They are stored together, so a failure leaves no half-made account behind.
func (s *Service) CreateAccount(ctx context.Context, spec AccountSpec) (NewAccount, error) {
	var out NewAccount
	if spec.AdminName == "" {
		spec.AdminName = "admin"
	}
	switch {
	case !projectNamePattern.MatchString(spec.Name):
		return out, dms.Errorf(dms.CodeInvalidParameter, "invalid account name %q: 1-64 letters, digits, '_', '.', '-'", spec.Name)
	case !userNamePattern.MatchString(spec.AdminName):
		return out, dms.Errorf(dms.CodeInvalidParameter, "invalid user name %q: 1-64 characters, starting with a letter; letters, digits, '_', '.', '-'", spec.AdminName)
	case spec.AdminPassword == "":
		return out, dms.Errorf(dms.CodeInvalidParameter, "admin_password is required: the administrator signs in with it to get tokens")
	case !projectNamePattern.MatchString(spec.ProjectName):
		return out, dms.Errorf(dms.CodeInvalidParameter, "invalid project name %q: 1-64 letters, digits, '_', '.', '-'", spec.ProjectName)
	case spec.ProjectID != "" && !ValidProjectID(spec.ProjectID):
		return out, dms.Errorf(dms.CodeProjectIDInvalid, "invalid project id %q: 32 lower-case hex characters", spec.ProjectID)
	}
	if err := checkIAMPassword(spec.AdminPassword); err != nil {
		return out, err
	}
	hash, err := HashPassword(spec.AdminPassword)
	if err != nil {
		return out, dms.Internal(err)
	}
	now := s.now().UTC()
	out.Domain = dms.Domain{ID: NewID(), Name: spec.Name, CreatedAt: now}
	out.Admin = dms.User{ID: NewID(), DomainID: out.Domain.ID, Name: spec.AdminName, Admin: true, Enabled: true,
		PasswordHash: hash, CreatedAt: now}
	if spec.ProjectID == "" {
		spec.ProjectID = NewID()
	}
	out.Project = dms.Project{ID: spec.ProjectID, DomainID: out.Domain.ID, Name: spec.ProjectName,
		Description: spec.ProjectDescription, CreatedAt: now}
	if spec.AccessKey || spec.fixedAK != "" {
		ak, sk := spec.fixedAK, spec.fixedSK
		if ak == "" {
			ak, sk = NewAccessKeyPair()
		}
		k, err := s.newAccessKey(out.Admin.ID, ak, sk, "created with the account")
		if err != nil {
			return out, err
		}
		out.AccessKey, out.SecretKey = &k, sk
	}
	err = s.store.CreateAccount(ctx, store.NewAccount{Domain: out.Domain, Admin: out.Admin, Project: out.Project, Key: out.AccessKey})
	if errors.Is(err, store.ErrConflict) {
		// The account name is the likely clash; a fixed project id or AK the other.
		return NewAccount{}, dms.Errorf(dms.CodeConflict, "account %s (or its project id or access key) already exists", spec.Name)
	}
	if err != nil {
		return NewAccount{}, dms.Internal(err)
	}
	return out, nil
}

// CreateProject creates a project in a domain.
func (s *Service) CreateProject(ctx context.Context, domainID, name, description string) (dms.Project, error) {
	return s.createProject(ctx, dms.Project{ID: NewID(), DomainID: domainID, Name: name, Description: description})
}

func (s *Service) createProject(ctx context.Context, p dms.Project) (dms.Project, error) {
	if !projectNamePattern.MatchString(p.Name) {
		return p, dms.Errorf(dms.CodeInvalidParameter, "invalid project name %q: 1-64 letters, digits, '_', '.', '-'", p.Name)
	}
	if !ValidProjectID(p.ID) {
		return p, dms.Errorf(dms.CodeProjectIDInvalid, "invalid project id %q: 32 lower-case hex characters", p.ID)
	}
	p.CreatedAt = s.now().UTC()
	if err := s.store.CreateProject(ctx, p); err != nil {
		return p, storeErr(err, "project "+p.Name)
	}
	return p, nil
}

// CreateUser creates an IAM user. An empty password makes a user that can only use access keys.
func (s *Service) CreateUser(ctx context.Context, domainID, name, password string, admin bool) (dms.User, error) {
	if !userNamePattern.MatchString(name) {
		return dms.User{}, dms.Errorf(dms.CodeInvalidParameter, "invalid user name %q: 1-64 characters, starting with a letter; letters, digits, '_', '.', '-'", name)
	}
	u := dms.User{ID: NewID(), DomainID: domainID, Name: name, Admin: admin, Enabled: true, CreatedAt: s.now().UTC()}
	if password != "" {
		if err := checkIAMPassword(password); err != nil {
			return u, err
		}
		h, err := HashPassword(password)
		if err != nil {
			return u, dms.Internal(err)
		}
		u.PasswordHash = h
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return u, storeErr(err, "user "+name)
	}
	return u, nil
}

// SetPassword changes (or, by an administrator, resets) a user's password and revokes the user's
// tokens: whoever obtained one with the old password must not keep using it.
func (s *Service) SetPassword(ctx context.Context, userID, password string) error {
	if err := checkIAMPassword(password); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return storeErr(err, "user "+userID)
	}
	if u.PasswordHash, err = HashPassword(password); err != nil {
		return dms.Internal(err)
	}
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return storeErr(err, "user "+userID)
	}
	return s.revokeTokens(ctx, userID)
}

// SetUserEnabled enables or disables a user. Disabling revokes its tokens (enabling it again does not
// bring them back) and stops its access keys at once.
func (s *Service) SetUserEnabled(ctx context.Context, userID string, enabled bool) error {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return storeErr(err, "user "+userID)
	}
	u.Enabled = enabled
	if err := s.store.UpdateUser(ctx, u); err != nil { // stops its keys and tokens at once
		return storeErr(err, "user "+userID)
	}
	if enabled {
		return nil
	}
	return s.revokeTokens(ctx, userID)
}

// revokeTokens deletes every token of a user.
func (s *Service) revokeTokens(ctx context.Context, userID string) error {
	if _, err := s.store.DeleteUserTokens(ctx, userID); err != nil {
		return dms.Internal(err)
	}
	return nil
}

// DeleteUser deletes a user with its keys, bindings and tokens; its keys and tokens stop working at
// once. The tokens are deleted explicitly rather than left to the foreign key's cascade.
func (s *Service) DeleteUser(ctx context.Context, userID string) error {
	if err := s.revokeTokens(ctx, userID); err != nil {
		return err
	}
	err := s.store.DeleteUser(ctx, userID)
	return storeErr(err, "user "+userID)
}

// DeleteAccessKey deletes an access key; it stops working at once.
func (s *Service) DeleteAccessKey(ctx context.Context, ak string) error {
	err := s.store.DeleteAccessKey(ctx, ak)
	return storeErr(err, "access key "+ak)
}

// checkIAMPassword applies IAM's own rule (not the instance password rule of the DMS reference):
// 8-128 characters with at least two character kinds.
func checkIAMPassword(p string) error {
	if len(p) < 8 || len(p) > 128 {
		return dms.Errorf(dms.CodeInvalidParameter, "the password must be 8 to 128 characters long")
	}
	kinds := 0
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`[a-z]`), regexp.MustCompile(`[A-Z]`), regexp.MustCompile(`[0-9]`), regexp.MustCompile(`[^A-Za-z0-9]`)} {
		if re.MatchString(p) {
			kinds++
		}
	}
	if kinds < 2 {
		return dms.Errorf(dms.CodeInvalidParameter, "the password must contain at least two of: lower-case letters, upper-case letters, digits, special characters")
	}
	return nil
}

// CreateAccessKey issues a new AK/SK pair for a user. The SK is returned here once and never again.
func (s *Service) CreateAccessKey(ctx context.Context, userID, description string) (dms.AccessKey, string, error) {
	ak, sk := NewAccessKeyPair()
	return s.importAccessKey(ctx, userID, ak, sk, description)
}

// importAccessKey stores a given pair (the bootstrap's DMS_ADMIN_AK/SK).
func (s *Service) importAccessKey(ctx context.Context, userID, ak, sk, description string) (dms.AccessKey, string, error) {
	k, err := s.newAccessKey(userID, ak, sk, description)
	if err != nil {
		return k, "", err
	}
	if err := s.store.CreateAccessKey(ctx, k); err != nil {
		return k, "", storeErr(err, "access key")
	}
	return k, sk, nil
}

// newAccessKey checks a pair and seals its secret.
func (s *Service) newAccessKey(userID, ak, sk, description string) (dms.AccessKey, error) {
	if len(ak) < 8 || len(ak) > 128 || len(sk) < 16 || len(sk) > 256 {
		return dms.AccessKey{}, dms.Errorf(dms.CodeInvalidParameter, "an access key must be 8-128 characters and its secret 16-256")
	}
	return dms.AccessKey{AccessKey: ak, UserID: userID, SealedSecret: s.sealer.Seal([]byte(sk)), Description: description,
		Enabled: true, CreatedAt: s.now().UTC()}, nil
}

// CreatePolicy creates a custom policy of a domain after validating its document.
func (s *Service) CreatePolicy(ctx context.Context, domainID, name, description, document string) (dms.Policy, error) {
	if err := checkPolicyName(name); err != nil {
		return dms.Policy{}, err
	}
	if len(description) > maxPolicyDescription {
		return dms.Policy{}, dms.Errorf(dms.CodeInvalidParameter, "a policy description must be at most %d bytes", maxPolicyDescription)
	}
	if _, err := ParsePolicy(document); err != nil {
		return dms.Policy{}, dms.Errorf(dms.CodeInvalidParameter, "%v", err)
	}
	p := dms.Policy{ID: NewID(), DomainID: domainID, Name: name, Description: description, Document: document, CreatedAt: s.now().UTC()}
	if err := s.store.CreatePolicy(ctx, p); err != nil {
		return p, storeErr(err, "policy "+name)
	}
	return p, nil
}

var policyNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9 _.-]{0,62}[A-Za-z0-9_.-])?$`)

const maxPolicyDescription = 255

// checkPolicyName keeps custom policy names plain (they are path segments of the admin API and
// appear in listings) and away from the system roles' names, compared case-insensitively: a custom
// "DMS FullAccess" would be bound, listed and read as the system role.
func checkPolicyName(name string) error {
	if !policyNamePattern.MatchString(name) {
		return dms.Errorf(dms.CodeInvalidParameter, "invalid policy name %q: 1-64 characters: letters, digits, spaces, '_', '.', '-', starting with a letter or digit and not ending with a space", name)
	}
	for _, r := range SystemRoles {
		if strings.EqualFold(name, r.Name) {
			return dms.Errorf(dms.CodeConflict, "the policy name %q is reserved: it is the name of the system role %q", name, r.Name)
		}
	}
	return nil
}

// Bind grants a role (system role or custom policy, by name) to a user in a project of the same domain.
func (s *Service) Bind(ctx context.Context, domainID, userName, projectID, role string) (dms.RoleBinding, error) {
	u, err := s.store.GetUserByName(ctx, domainID, userName)
	if err != nil {
		return dms.RoleBinding{}, storeErr(err, "user "+userName)
	}
	p, err := s.store.GetProject(ctx, projectID)
	if err != nil || p.DomainID != domainID {
		return dms.RoleBinding{}, dms.Errorf(dms.CodeResourceNotFound, "project %s does not exist in this account", projectID)
	}
	pol, err := s.store.GetPolicyByName(ctx, domainID, role)
	if err != nil {
		return dms.RoleBinding{}, storeErr(err, "role "+role)
	}
	b := dms.RoleBinding{UserID: u.ID, ProjectID: p.ID, PolicyID: pol.ID, CreatedAt: s.now().UTC()}
	if err := s.store.CreateRoleBinding(ctx, b); err != nil {
		return b, storeErr(err, "role binding")
	}
	return b, nil
}

// Unbind removes a role binding.
func (s *Service) Unbind(ctx context.Context, domainID, userName, projectID, role string) error {
	u, err := s.store.GetUserByName(ctx, domainID, userName)
	if err != nil {
		return storeErr(err, "user "+userName)
	}
	pol, err := s.store.GetPolicyByName(ctx, domainID, role)
	if err != nil {
		return storeErr(err, "role "+role)
	}
	return storeErr(s.store.DeleteRoleBinding(ctx, dms.RoleBinding{UserID: u.ID, ProjectID: projectID, PolicyID: pol.ID}), "role binding")
}

// Store exposes the IAM store for listings of the admin API (and its policy deletion): writes
// through it invalidate the Service's caches as the Service's own do.
func (s *Service) Store() store.IAM { return s.store }

// storeErr maps store sentinels to DMS errors naming what was looked for.
func storeErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return dms.Errorf(dms.CodeResourceNotFound, "%s does not exist", what)
	case errors.Is(err, store.ErrConflict):
		return dms.Errorf(dms.CodeConflict, "%s already exists", what)
	default:
		return dms.Internal(err)
	}
}
