package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/opendms/opendms/aksk"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	User dms.User
	// Method is "aksk", "token", or MethodManagerToken (a Kafka Manager sign-in).
	Method string
	// AccessKey is the AK used, for AK/SK requests (for the access log; never the SK).
	AccessKey string
	// ScopeProjectID is the project the credentials are scoped to: a token's project, or the signed
	// X-Project-Id header of an AK/SK request. Empty means unscoped (AK/SK without X-Project-Id).
	ScopeProjectID string
	// ScopeInstanceID is set for a Kafka Manager sign-in (manager.go): the principal may act on this
	// instance only, as the HTTP layer's scope rule allows, and never through IAM policies.
	ScopeInstanceID string
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// IsPrincipalKey reports whether key is the one WithPrincipal stores the principal under, for a
// context type of its own that carries the principal (the HTTP layer's request context).
func IsPrincipalKey(key any) bool {
	_, ok := key.(principalKey)
	return ok
}

// PrincipalFrom returns the principal of a request's context.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// AuthTokenHeader carries a token issued by POST /v3/auth/tokens.
const AuthTokenHeader = "X-Auth-Token"

// PendingAuth is what the headers of a request established before its body was read: the caller of
// a token (complete), or an AK/SK request whose signature over the body is still to be verified.
type PendingAuth struct {
	principal Principal
	sig       *pendingSignature // nil for a token; else points to signature (one allocation)
	signature pendingSignature
}

type pendingSignature struct {
	auth   aksk.Authorization
	secret string
	signed time.Time
}

// BodyVerified reports whether the caller is authenticated by the headers alone (a token: nothing
// covers the body). An AK/SK request's body is not verified until AuthenticateBody.
func (p *PendingAuth) BodyVerified() bool { return p.sig == nil }

// AuthenticateHeaders checks everything about r that the headers alone tell, so that the body of a
// request from an unknown caller is never read (issue 9, defect 2): for AK/SK, that the
// Authorization header parses, X-Sdk-Date is inside the clock skew, a V11 scope names this region
// and service, and the access key exists and is enabled; for a token, that it is valid and
// unexpired. A caller that knows a valid AK can still send a body with a bad signature: the HTTP
// layer bounds the memory of such unverified bodies.
func (s *Service) AuthenticateHeaders(ctx context.Context, r *http.Request) (*PendingAuth, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return s.signatureHeaders(ctx, r, h)
	}
	if tok := r.Header.Get(AuthTokenHeader); tok != "" {
		p, err := s.authenticateToken(ctx, tok)
		if err != nil {
			return nil, err
		}
		return &PendingAuth{principal: p}, nil
	}
	return nil, dms.Errorf(dms.CodeTokenMissing, "Missing token: sign the request with an AK/SK (SDK-HMAC-SHA256) or send X-Auth-Token.")
}

// AuthenticateBody finishes what AuthenticateHeaders began: it verifies an AK/SK signature over the
// body and refuses a replay of a mutating request.
func (s *Service) AuthenticateBody(r *http.Request, p *PendingAuth, body []byte) (Principal, error) {
	if p.sig == nil {
		return p.principal, nil
	}
	if err := s.verifySignature(r, p.sig, body); err != nil {
		return Principal{}, err
	}
	return p.principal, nil
}

func signatureFailure(msg string) error {
	return dms.Errorf(dms.CodeSignatureInvalid, "Incorrect IAM authentication information: %s", msg)
}

// signatureHeaders is the header half of AK/SK authentication.
func (s *Service) signatureHeaders(ctx context.Context, r *http.Request, header string) (*PendingAuth, error) {
	auth, err := aksk.ParseAuthorization(header)
	if err != nil {
		return nil, signatureFailure(err.Error())
	}
	signed, err := aksk.SignedDate(r)
	if err != nil {
		return nil, signatureFailure(err.Error())
	}
	if d := s.now().Sub(signed); d > s.cfg.ClockSkew || d < -s.cfg.ClockSkew {
		return nil, dms.Errorf(dms.CodeClockSkew, "The request time %s is more than %s away from the server time: check the client clock.",
			signed.Format(aksk.DateLayout), s.cfg.ClockSkew)
	}
	// A V11 key is derived for one region and service; one derived for another must not work here.
	if err := aksk.CheckScope(auth, s.cfg.Region, aksk.V11Service); err != nil {
		return nil, signatureFailure(strings.TrimPrefix(err.Error(), aksk.ErrBadSignature.Error()+": "))
	}
	// UNSIGNED-PAYLOAD leaves the body out of the signature; the SDKs only send it for non-JSON
	// bodies, which no API here takes, so a body must be signed. (AuthenticateBody checks again
	// for a body of unannounced length.)
	if r.ContentLength > 0 && r.Header.Get(aksk.ContentSHA256Header) == aksk.UnsignedPayload {
		return nil, signatureFailure("unsigned payloads are not accepted")
	}
	cred, err := s.credential(ctx, auth.AccessKey)
	if err != nil {
		if de, ok := err.(*dms.Error); ok && de.Status == 401 {
			return nil, signatureFailure("unknown or disabled access key")
		}
		return nil, err
	}
	// X-Project-Id is covered by the signature when present (both SDKs sign it).
	p := Principal{User: cred.user, Method: "aksk", AccessKey: cred.key.AccessKey, ScopeProjectID: r.Header.Get("X-Project-Id")}
	pa := &PendingAuth{principal: p, signature: pendingSignature{auth: auth, secret: cred.secret, signed: signed}}
	pa.sig = &pa.signature
	return pa, nil
}

// verifySignature is the body half of AK/SK authentication.
func (s *Service) verifySignature(r *http.Request, ps *pendingSignature, body []byte) error {
	if len(body) > 0 && r.Header.Get(aksk.ContentSHA256Header) == aksk.UnsignedPayload {
		return signatureFailure("unsigned payloads are not accepted")
	}
	if err := aksk.Verify(r, body, ps.auth, ps.secret); err != nil {
		return signatureFailure("verify aksk signature fail")
	}
	return s.checkReplay(r, ps)
}

// checkReplay refuses a signed mutating request that was already accepted inside its clock-skew
// window on another connection (issue 9, defect 13). GET and HEAD are left out: they change
// nothing, and clients poll them.
//
// Why "on another connection": the official SDKs sign nothing unique per request (the Go SDK signs
// User-Agent, X-Project-Id and X-Sdk-Date, which has whole seconds; the Node SDK content-type,
// host, X-Project-Id and X-Sdk-Date), so a client that repeats a call within the same second (a
// retry while an instance is busy, a second delete, the same message produced twice) sends the
// same signature, and refusing every repeat breaks such clients with an authentication error. A
// client repeats on its own keep-alive connection; a replay of a captured request (from a log, a
// proxy, a sniffed plain-HTTP request) comes on the replayer's connection, and is refused. What
// stays open: a repeat on the same connection, i.e. by someone inside the client's TCP
// connection (with TLS, no one), and, behind a proxy that pools its upstream connections, a
// replay through that proxy (terminate TLS at dmsd to close it). Identical calls sent at once on
// several connections (parallel goroutines) are refused after the first, as replays would be; such
// a Go client can add any unique header (the Go SDK signs every header it sends, e.g. an invoker's
// AddHeader of X-Client-Request-Id: <uuid>).
func (s *Service) checkReplay(r *http.Request, ps *pendingSignature) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	now := s.now()
	// The skew check accepts the signature until signed+skew; X-Sdk-Date has whole seconds.
	expires := ps.signed.Add(s.cfg.ClockSkew + time.Second)
	ok, evicted := s.replays.add(replayKey(ps.auth.AccessKey, ps.auth.Signature), r.RemoteAddr, expires, now)
	if evicted > 0 {
		s.log.Warn("replay cache full: dropped entries still inside the clock-skew window", "dropped", evicted)
	}
	if !ok {
		return dms.Errorf(dms.CodeRequestReplayed, "Incorrect IAM authentication information: this signed request was already received "+
			"on another connection (a replay, or identical calls sent at once: sign each again, or add a unique header such as X-Client-Request-Id).")
	}
	return nil
}

// credential returns an enabled access key with its secret and active user, from the cache or the
// store. An unknown or disabled key or user is a 401.
func (s *Service) credential(ctx context.Context, ak string) (credEntry, error) {
	now := s.now()
	if e, ok := s.cache.creds.get(ak, now); ok {
		return e, nil
	}
	gen := s.cache.creds.generation()
	key, err := s.store.GetAccessKey(ctx, ak)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !key.Enabled) {
		return credEntry{}, dms.E(dms.CodeSignatureInvalid)
	}
	if err != nil {
		return credEntry{}, dms.Internal(err)
	}
	sk, err := s.sealer.Open(key.SealedSecret)
	if err != nil {
		return credEntry{}, dms.Internal(err)
	}
	u, err := s.activeUser(ctx, key.UserID)
	if err != nil {
		return credEntry{}, err
	}
	e := credEntry{key: key, secret: string(sk), user: u}
	s.cache.creds.put(ak, e, gen, now)
	return e, nil
}

// authenticateToken finds a token and its active user, from the cache or the store; its expiry is
// checked on every use.
func (s *Service) authenticateToken(ctx context.Context, token string) (Principal, error) {
	hash := hashToken(token)
	now := s.now()
	e, ok := s.cache.tokens.get(hash, now)
	if !ok {
		gen := s.cache.tokens.generation()
		t, err := s.store.GetToken(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return s.authenticateManagerToken(ctx, hash) // a Kafka Manager sign-in, or no token
		}
		if err != nil {
			return Principal{}, dms.Internal(err)
		}
		u, err := s.activeUser(ctx, t.UserID)
		if err != nil {
			return Principal{}, err
		}
		e = tokenEntry{token: t, user: u}
		s.cache.tokens.put(hash, e, gen, now)
	}
	if !now.Before(e.token.ExpiresAt) {
		return Principal{}, dms.E(dms.CodeTokenExpired)
	}
	return Principal{User: e.user, Method: "token", ScopeProjectID: e.token.ProjectID}, nil
}

func (s *Service) activeUser(ctx context.Context, id string) (dms.User, error) {
	u, err := s.store.GetUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.Enabled) {
		return u, dms.Errorf(dms.CodeTokenInvalid, "The user of these credentials does not exist or is disabled.")
	}
	if err != nil {
		return u, dms.Internal(err)
	}
	return u, nil
}

// Authorize decides whether p may perform action in projectID (empty for APIs outside projects).
// A project the caller may not use is refused the same way whether or not it exists, so its
// existence does not leak.
func (s *Service) Authorize(ctx context.Context, p Principal, projectID, action string) error {
	if projectID == "" {
		return nil // catalog APIs: any authenticated caller
	}
	admin, docs, err := s.projectPolicies(ctx, p, projectID)
	if err != nil || admin {
		return err
	}
	if Evaluate(docs, action) != Allowed {
		return dms.Errorf(dms.CodeRoleForbidden, "This role does not have the permissions to perform this operation (%s).", action)
	}
	return nil
}

// roleBindings lists a user's role bindings (in one project, or all with projectID empty) through
// the cache.
func (s *Service) roleBindings(ctx context.Context, userID, projectID string) ([]dms.RoleBinding, error) {
	key, now := bindingsKey(userID, projectID), s.now()
	if b, ok := s.cache.bindings.get(key, now); ok {
		return b, nil
	}
	gen := s.cache.bindings.generation()
	b, err := s.store.ListRoleBindings(ctx, userID, projectID)
	if err != nil {
		return nil, err
	}
	s.cache.bindings.put(key, b, gen, now)
	return b, nil
}

// policy returns a bound policy's parsed document through the cache.
func (s *Service) policy(ctx context.Context, id string) (PolicyDocument, error) {
	now := s.now()
	if d, ok := s.cache.policies.get(id, now); ok {
		return d, nil
	}
	gen := s.cache.policies.generation()
	pol, err := s.store.GetPolicy(ctx, id)
	if err != nil {
		return PolicyDocument{}, dms.Internal(err)
	}
	doc, err := ParsePolicy(pol.Document)
	if err != nil {
		return PolicyDocument{}, dms.Internal(err) // validated at creation; a broken row is a server fault
	}
	s.cache.policies.put(id, doc, gen, now)
	return doc, nil
}

// VisibleProjects lists the projects p may use: all of its domain for administrators, else the ones
// it has a role in.
func (s *Service) VisibleProjects(ctx context.Context, p Principal) ([]dms.Project, error) {
	all, err := s.domainProjects(ctx, p.User.DomainID)
	if err != nil || p.User.Admin {
		return all, err
	}
	bindings, err := s.roleBindings(ctx, p.User.ID, "")
	if err != nil {
		return nil, err
	}
	bound := make(map[string]bool)
	for _, b := range bindings {
		bound[b.ProjectID] = true
	}
	var out []dms.Project
	for _, pr := range all {
		if bound[pr.ID] {
			out = append(out, pr)
		}
	}
	return out, nil
}

// domainProjects lists a domain's projects through the cache. The slice is shared: callers do not
// modify it.
func (s *Service) domainProjects(ctx context.Context, domainID string) ([]dms.Project, error) {
	now := s.now()
	if ps, ok := s.cache.projects.get(domainID, now); ok {
		return ps, nil
	}
	gen := s.cache.projects.generation()
	ps, err := s.store.ListProjects(ctx, domainID)
	if err != nil {
		return nil, err
	}
	s.cache.projects.put(domainID, ps, gen, now)
	return ps, nil
}

// PasswordAuth identifies a user for token issuance.
type PasswordAuth struct {
	DomainName string
	DomainID   string
	UserName   string
	UserID     string
	Password   string
	// The project scope: by id, or by name within the user's domain.
	ProjectID   string
	ProjectName string
	// Source is the client's address (host:port or IP), the key of the per-source attempt limit.
	Source string
}

// IssuedToken is a new token and what it is scoped to.
type IssuedToken struct {
	Value   string
	Token   dms.Token
	User    dms.User
	Domain  dms.Domain
	Project dms.Project
}

// LockedError refuses a password attempt of a locked user or source (see LoginLimits).
type LockedError struct {
	Err        *dms.Error
	RetryAfter time.Duration
}

func (e *LockedError) Error() string { return e.Err.Error() }
func (e *LockedError) Unwrap() error { return e.Err }

// IssueToken checks a password and issues a project-scoped token valid for the configured TTL.
// Failed attempts are limited per user and per source (LoginLimits): a locked attempt is refused
// with a *LockedError before the password is checked.
func (s *Service) IssueToken(ctx context.Context, a PasswordAuth) (IssuedToken, error) {
	bad := dms.Errorf(dms.CodeTokenInvalid, "The username or password is wrong.")
	var out IssuedToken
	var err error
	source := sourceKey(a.Source)
	switch {
	case a.UserID != "":
		out.User, err = s.store.GetUser(ctx, a.UserID)
	case a.DomainID != "" || a.DomainName != "":
		if a.DomainID != "" {
			out.Domain, err = s.store.GetDomain(ctx, a.DomainID)
		} else {
			out.Domain, err = s.store.GetDomainByName(ctx, a.DomainName)
		}
		if err == nil {
			out.User, err = s.store.GetUserByName(ctx, out.Domain.ID, a.UserName)
		}
	default:
		return out, dms.Errorf(dms.CodeInvalidParameter, "auth.identity.password.user needs an id, or a name with domain.name or domain.id")
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return out, dms.Internal(err)
	}
	// An unknown user is limited like a known one (by the name given), so locks do not reveal
	// which users exist.
	user := userKey(out.User.ID, a.DomainID+"/"+a.DomainName+"/"+a.UserName+"/"+a.UserID)
	if wait, ok := s.logins.begin(user, source); !ok {
		return out, lockedErr(wait)
	}
	if errors.Is(err, store.ErrNotFound) {
		// Hash anyway so an unknown user takes as long as a wrong password.
		CheckPassword(dummyPasswordHash, a.Password)
		s.logins.end(user, source, false)
		return out, bad
	}
	if !out.User.Enabled || out.User.PasswordHash == "" || !CheckPassword(out.User.PasswordHash, a.Password) {
		s.logins.end(user, source, false)
		return out, bad
	}
	s.logins.end(user, source, true)
	if out.Domain.ID == "" {
		if out.Domain, err = s.store.GetDomain(ctx, out.User.DomainID); err != nil {
			return out, dms.Internal(err)
		}
	}
	switch {
	case a.ProjectID != "":
		out.Project, err = s.store.GetProject(ctx, a.ProjectID)
	case a.ProjectName != "":
		var ps []dms.Project
		ps, err = s.store.ListProjects(ctx, out.Domain.ID)
		err = errors.Join(err, store.ErrNotFound)
		for _, p := range ps {
			if p.Name == a.ProjectName {
				out.Project, err = p, nil
			}
		}
	default:
		return out, dms.Errorf(dms.CodeInvalidParameter, "auth.scope.project (id or name) is required: tokens are project-scoped")
	}
	if err != nil || out.Project.DomainID != out.Domain.ID {
		return out, dms.Errorf(dms.CodeAuthorizationDenied, "Authorization denied: no access to the requested project.")
	}
	pr := Principal{User: out.User}
	if !out.User.Admin {
		visible, err := s.VisibleProjects(ctx, pr)
		if err != nil {
			return out, dms.Internal(err)
		}
		ok := false
		for _, p := range visible {
			ok = ok || p.ID == out.Project.ID
		}
		if !ok {
			return out, dms.Errorf(dms.CodeAuthorizationDenied, "Authorization denied: no access to the requested project.")
		}
	}
	raw := make([]byte, 48)
	rand.Read(raw)
	out.Value = "MII" + base64.RawURLEncoding.EncodeToString(raw)
	now := s.now().UTC()
	out.Token = dms.Token{Hash: hashToken(out.Value), UserID: out.User.ID, ProjectID: out.Project.ID, IssuedAt: now, ExpiresAt: now.Add(s.cfg.TokenTTL)}
	if err := s.store.CreateToken(ctx, out.Token); err != nil {
		return out, dms.Internal(err)
	}
	return out, nil
}

// lockedErr is the answer to an attempt the login limits refuse: 429, and when to try again.
func lockedErr(wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	return &LockedError{RetryAfter: time.Duration(secs) * time.Second,
		Err: dms.Errorf(dms.CodeLoginLocked, "Too many failed login attempts for this user or from this address: password logins are locked for %d s. Try again later, or use an access key.", secs)}
}

// PruneTokens deletes expired tokens.
func (s *Service) PruneTokens(ctx context.Context) (int, error) {
	return s.store.DeleteExpiredTokens(ctx, s.now())
}

// hashToken is how tokens are stored: a token is 384 random bits, so a fast hash suffices.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(t)))
	return hex.EncodeToString(sum[:])
}

// project reads a project through a cache: every authorized request looks its project up, and
// projects are never changed or deleted once created.
func (s *Service) project(ctx context.Context, id string) (dms.Project, error) {
	if p, ok := s.projects.Load(id); ok {
		return p.(dms.Project), nil
	}
	p, err := s.store.GetProject(ctx, id)
	if err == nil {
		s.projects.Store(id, p)
	}
	return p, err
}
