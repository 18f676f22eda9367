package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
)

// The IAM endpoints an SDK or a script needs from "iam.<region>.myhuaweicloud.com": password tokens
// (POST /v3/auth/tokens), the project lookup SDKs built WithRegion do (GET /v3/projects?name=) and the
// account lookup of the huaweicloud Terraform provider (GET /v3/auth/domains).

type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					ID       string `json:"id"`
					Name     string `json:"name"`
					Password string `json:"password"`
					Domain   struct {
						ID   string `json:"id"`
						Name string `json:"name"`
					} `json:"domain"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

type idName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type tokenBody struct {
	Token struct {
		ExpiresAt string   `json:"expires_at"`
		IssuedAt  string   `json:"issued_at"`
		Methods   []string `json:"methods"`
		Project   struct {
			idName
			Domain idName `json:"domain"`
		} `json:"project"`
		User struct {
			idName
			Domain idName `json:"domain"`
		} `json:"user"`
		Roles   []idName `json:"roles"`
		Catalog []any    `json:"catalog"`
	} `json:"token"`
}

// keystoneTime is the time format of IAM token bodies.
const keystoneTime = "2006-01-02T15:04:05.000000Z"

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	id := req.Auth.Identity
	if len(id.Methods) != 1 || id.Methods[0] != "password" {
		writeError(w, r, invalidParam("auth.identity.methods must be [\"password\"]: only password authentication is supported"))
		return
	}
	u := id.Password.User
	issued, err := s.iam.IssueToken(r.Context(), iam.PasswordAuth{
		DomainName: u.Domain.Name, DomainID: u.Domain.ID, UserName: u.Name, UserID: u.ID, Password: u.Password,
		ProjectID: req.Auth.Scope.Project.ID, ProjectName: req.Auth.Scope.Project.Name,
		// The connection's address, not X-Forwarded-For: a header is the client's to choose.
		Source: r.RemoteAddr,
	})
	if err != nil {
		writeSignInError(w, r, err)
		return
	}
	var body tokenBody
	t := &body.Token
	t.ExpiresAt = issued.Token.ExpiresAt.UTC().Format(keystoneTime)
	t.IssuedAt = issued.Token.IssuedAt.UTC().Format(keystoneTime)
	t.Methods = []string{"password"}
	t.Project.idName = idName{issued.Project.ID, issued.Project.Name}
	t.Project.Domain = idName{issued.Domain.ID, issued.Domain.Name}
	t.User.idName = idName{issued.User.ID, issued.User.Name}
	t.User.Domain = t.Project.Domain
	t.Roles, t.Catalog = []idName{}, []any{}
	w.Header().Set("X-Subject-Token", issued.Value)
	writeJSON(w, http.StatusCreated, body)
}

type projectEntry struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DomainID    string `json:"domain_id"`
	ParentID    string `json:"parent_id"`
	Description string `json:"description"`
	Enabled     bool   `json:"enabled"`
	IsDomain    bool   `json:"is_domain"`
}

// listProjects serves GET /v3/projects[?name=]: the projects the caller may use. The Go SDK built
// WithRegion and without a project id calls it with name=<region> and needs exactly one match.
func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	p, _ := iam.PrincipalFrom(r.Context())
	projects, err := s.iam.VisibleProjects(r.Context(), p)
	if err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	name := r.URL.Query().Get("name")
	out := []projectEntry{}
	for _, pr := range projects {
		if name != "" && pr.Name != name {
			continue
		}
		out = append(out, projectEntry{ID: pr.ID, Name: pr.Name, DomainID: pr.DomainID, ParentID: pr.DomainID,
			Description: pr.Description, Enabled: true})
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": out, "links": map[string]any{"self": r.URL.String(), "next": nil, "previous": nil}})
}

// domainEntry is one entry of GET /v3/auth/domains (IAM's KeystoneListAuthDomains).
type domainEntry struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Enabled     bool              `json:"enabled"`
	Description string            `json:"description"`
	Links       map[string]string `json:"links"`
}

// listAuthDomains serves GET /v3/auth/domains: the account (domain) of the caller, token or AK/SK
// alike, as IAM answers it. The huaweicloud Terraform provider calls it to learn the account id
// (domain_id) when the configuration names none.
func (s *Server) listAuthDomains(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	d, err := s.iam.Store().GetDomain(r.Context(), p.User.DomainID)
	if err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	self := r.URL.Path // IAM puts absolute URLs here; the path is what a proxy-agnostic server knows
	writeJSON(w, http.StatusOK, map[string]any{
		"domains": []domainEntry{{ID: d.ID, Name: d.Name, Enabled: true, Links: map[string]string{"self": "/v3/domains/" + d.ID}}},
		"links":   map[string]any{"self": self, "next": nil, "previous": nil},
	})
}

// writeSignInError answers a refused sign-in (an IAM password or a Kafka Manager one); one refused
// by the login limits says when to try again in Retry-After.
func writeSignInError(w http.ResponseWriter, r *http.Request, err error) {
	var locked *iam.LockedError
	if errors.As(err, &locked) {
		w.Header().Set("Retry-After", strconv.Itoa(int(locked.RetryAfter/time.Second)))
	}
	writeError(w, r, err)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	// region is the project name every account gets: the console's sign-in form offers it as the
	// default project scope (tokens are project-scoped).
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "time": time.Now().UTC().Format(time.RFC3339), "region": s.cfg.Region})
}
