package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// Kafka Manager sign-ins (issue 14). DMS gives each instance a Kafka Manager (CMAK) with its own
// user and password; OpenDMS's console plays that part. A sign-in with an instance's manager user
// and password gets an X-Auth-Token like any other, but its principal is scoped to that instance
// (Principal.ScopeInstanceID): which routes it may call is decided by the HTTP layer's scope rule
// (internal/httpapi/kafkamanager.go), never by IAM policies, since no IAM user stands behind it.

// ManagerCredentials is the state of an instance's Kafka Manager that sign-ins depend on.
type ManagerCredentials struct {
	ProjectID    string
	User         string
	PasswordHash string // HashPassword's form; "" while no password was ever set
	Enabled      bool   // false once 5.2.12 disabled it
	Epoch        int64  // raised to end every sign-in (5.2.2, 5.2.3, 5.2.12)
}

// ManagerSessions tells iam about instances' Kafka Managers. internal/instances implements it
// (iam cannot import instances, which imports iam); the HTTP layer connects them.
type ManagerSessions interface {
	// ManagerCredentials returns the manager state of an instance; an unknown or deleted instance
	// is a *dms.Error with status 404.
	ManagerCredentials(ctx context.Context, instanceID string) (ManagerCredentials, error)
}

// SetManagerSessions connects the Kafka Manager state. Without it, every Kafka Manager sign-in and
// scoped token is refused.
func (s *Service) SetManagerSessions(m ManagerSessions) { s.managers = m }

// MethodManagerToken is Principal.Method of a Kafka Manager sign-in's token (the access log and
// whoami tell it from an IAM user's token).
const MethodManagerToken = "kafka-manager"

// ManagerPrincipalID is the user id of a scoped principal: no IAM user has it (ids are hex), so no
// role binding or access key ever applies to it.
func ManagerPrincipalID(instanceID string) string { return "kafka-manager/" + instanceID }

// ManagerAuth is a Kafka Manager sign-in.
type ManagerAuth struct {
	InstanceID string
	UserName   string
	Password   string
	// Source is the client's address, the key of the per-source attempt limit (as PasswordAuth).
	Source string
}

// IssuedManagerToken is a new scoped token.
type IssuedManagerToken struct {
	Value   string
	Token   dms.ManagerToken
	Project dms.Project
}

// dummyPasswordHash is checked when there is no hash to check, so that a sign-in of an unknown
// IAM user or to an unknown instance takes as long as a wrong password: it must parse as
// HashPassword's form, with its iterations and sizes (TestDummyPasswordHash), else CheckPassword
// refuses it at once.
const dummyPasswordHash = "pbkdf2-sha256$210000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// IssueManagerToken checks an instance's Kafka Manager user and password and issues a token scoped
// to that instance, valid for the configured TTL. A wrong user or password (or an unknown
// instance, or one without a manager password yet) is the same 401 as a wrong IAM password, and
// counts for the same login limits (per instance and user, and per source): a locked attempt is
// refused with a *LockedError. A disabled manager is refused with DMS.00400026 saying so, to the
// caller who gave its right user and password only.
func (s *Service) IssueManagerToken(ctx context.Context, a ManagerAuth) (IssuedManagerToken, error) {
	var out IssuedManagerToken
	if a.InstanceID == "" || a.UserName == "" || a.Password == "" {
		return out, dms.Errorf(dms.CodeInvalidParameter, "instance_id, user and password are required.")
	}
	if s.managers == nil {
		return out, dms.Errorf(dms.CodeTokenInvalid, "Kafka Manager sign-in is not available on this server.")
	}
	bad := dms.Errorf(dms.CodeTokenInvalid, "The username or password is wrong.")
	creds, err := s.managers.ManagerCredentials(ctx, a.InstanceID)
	var de *dms.Error
	unknown := errors.As(err, &de) && de.Status == 404
	if err != nil && !unknown {
		return out, dms.Internal(err)
	}
	source := sourceKey(a.Source)
	// Its own key space ("km:"), apart from IAM users' ("user:", "user?").
	user := "km:" + a.InstanceID + "/" + a.UserName
	if wait, ok := s.logins.begin(user, source); !ok {
		return out, lockedErr(wait)
	}
	// An instance without a manager password is answered as an unknown one (the same 401, after
	// the same hash check), so that a sign-in does not tell whether an instance id exists.
	hash := creds.PasswordHash
	if unknown || hash == "" {
		unknown, hash = true, dummyPasswordHash
	}
	// The password is checked even for a wrong user name, so that the time does not tell which.
	okPassword := CheckPassword(hash, a.Password)
	if unknown || !okPassword || a.UserName != creds.User {
		s.logins.end(user, source, false)
		return out, bad
	}
	// Only who knows the credentials learns that the manager is disabled.
	if !creds.Enabled {
		s.logins.end(user, source, true)
		return out, dms.Errorf(dms.CodeInstanceStatusForbids, "Kafka Manager of this instance is disabled (5.2.12); resetting its password (5.2.2) enables it again.")
	}
	s.logins.end(user, source, true)
	out.Project, err = s.project(ctx, creds.ProjectID)
	if err != nil {
		return out, dms.Internal(err)
	}
	raw := make([]byte, 48)
	rand.Read(raw)
	out.Value = "MII" + base64.RawURLEncoding.EncodeToString(raw)
	now := s.now().UTC()
	out.Token = dms.ManagerToken{Hash: hashToken(out.Value), InstanceID: a.InstanceID, ProjectID: creds.ProjectID, UserName: creds.User,
		Epoch: creds.Epoch, IssuedAt: now, ExpiresAt: now.Add(s.cfg.TokenTTL)}
	if err := s.store.CreateManagerToken(ctx, out.Token); err != nil {
		return out, dms.Internal(err)
	}
	return out, nil
}

// authenticateManagerToken authenticates a token that is not an IAM user's: a Kafka Manager
// sign-in. It is checked against the instance's manager on every use (not cached), so that 5.2.2,
// 5.2.3 and 5.2.12 end it at once: the epoch must still be the instance's and the manager enabled.
func (s *Service) authenticateManagerToken(ctx context.Context, hash string) (Principal, error) {
	t, err := s.store.GetManagerToken(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, dms.E(dms.CodeTokenInvalid)
	}
	if err != nil {
		return Principal{}, dms.Internal(err)
	}
	if !s.now().Before(t.ExpiresAt) {
		return Principal{}, dms.E(dms.CodeTokenExpired)
	}
	if s.managers == nil {
		return Principal{}, dms.E(dms.CodeTokenInvalid)
	}
	creds, err := s.managers.ManagerCredentials(ctx, t.InstanceID)
	var de *dms.Error
	if err != nil && !(errors.As(err, &de) && de.Status == 404) {
		return Principal{}, dms.Internal(err)
	}
	if err != nil || !creds.Enabled || creds.PasswordHash == "" || creds.Epoch != t.Epoch || creds.ProjectID != t.ProjectID || creds.User != t.UserName {
		return Principal{}, dms.Errorf(dms.CodeTokenInvalid, "This Kafka Manager sign-in has ended: its password was reset, or Kafka Manager was restarted, disabled or its instance deleted. Sign in again.")
	}
	proj, err := s.project(ctx, t.ProjectID)
	if err != nil {
		return Principal{}, dms.Internal(err)
	}
	u := dms.User{ID: ManagerPrincipalID(t.InstanceID), DomainID: proj.DomainID, Name: t.UserName, Enabled: true, CreatedAt: t.IssuedAt}
	return Principal{User: u, Method: MethodManagerToken, ScopeProjectID: t.ProjectID, ScopeInstanceID: t.InstanceID}, nil
}

// AllowedActions returns those of actions that p may perform in projectID, evaluated as Authorize
// does (an administrator: all of them). A project p may not use is refused as Authorize refuses
// it. A principal scoped to an instance has no IAM policies: its actions are the HTTP layer's.
func (s *Service) AllowedActions(ctx context.Context, p Principal, projectID string, actions []string) ([]string, error) {
	out := []string{}
	if projectID == "" {
		return out, nil
	}
	admin, docs, err := s.projectPolicies(ctx, p, projectID)
	if err != nil {
		return out, err
	}
	for _, a := range actions {
		if admin || Evaluate(docs, a) == Allowed {
			out = append(out, a)
		}
	}
	return out, nil
}

// projectPolicies is what Authorize decides an action with: whether p is an administrator of the
// project's account, else the policy documents bound to p in the project (none: denied).
func (s *Service) projectPolicies(ctx context.Context, p Principal, projectID string) (admin bool, docs []PolicyDocument, err error) {
	if p.ScopeProjectID != "" && p.ScopeProjectID != projectID {
		return false, nil, dms.Errorf(dms.CodeTokenProjectMismatch, "The project ID in the path does not match the project the credentials are scoped to.")
	}
	denied := dms.Errorf(dms.CodeAuthorizationDenied, "Authorization denied: no access to project %s.", projectID)
	proj, err := s.project(ctx, projectID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && proj.DomainID != p.User.DomainID) {
		return false, nil, denied
	}
	if err != nil {
		return false, nil, dms.Internal(err)
	}
	if p.User.Admin && p.ScopeInstanceID == "" {
		return true, nil, nil
	}
	bindings, err := s.roleBindings(ctx, p.User.ID, projectID)
	if err != nil {
		return false, nil, dms.Internal(err)
	}
	if len(bindings) == 0 {
		return false, nil, denied
	}
	docs = make([]PolicyDocument, 0, len(bindings))
	for _, b := range bindings {
		doc, err := s.policy(ctx, b.PolicyID)
		if err != nil {
			return false, nil, err
		}
		docs = append(docs, doc)
	}
	return false, docs, nil
}
