package httpapi

import (
	"net/http"
	"slices"

	"github.com/opendms/opendms/internal/dms"
)

// whoamiUser is the caller as whoami shows it: the IAM user (never its password hash) and the name
// of its account.
type whoamiUser struct {
	dms.User
	DomainName string `json:"domain_name"`
}

// whoami is GET /opendms/v1/whoami[?project_id=]: who the caller is and what it may do, for dmsctl
// and the console (which hides the write actions the caller cannot use). Any valid token or AK/SK.
//
//   - user {id, name, domain_id, domain_name, admin, enabled, created_at}, account, auth_method,
//     access_key (AK/SK only), projects (the ones the caller may use), region;
//   - admin: the caller may use the /opendms/v1 admin API;
//   - project_id: the query's, else the credentials' project;
//   - instance_id: the instance a Kafka Manager sign-in is scoped to (absent otherwise);
//   - actions: every action of the route table (which holds every one of permissions.tsv) that the
//     caller may perform in project_id, evaluated by the authorizer's policy engine; for a scoped
//     token, the actions of the routes its scope allows (managerScopeAllows). With no project,
//     none.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	ctx := r.Context()
	d, err := s.iam.Store().GetDomain(ctx, p.User.DomainID)
	if err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	projectID := p.ScopeProjectID
	if q := r.URL.Query().Get("project_id"); q != "" {
		projectID = q
	}
	var projects []dms.Project
	var actions []string
	if p.ScopeInstanceID != "" {
		if projectID != p.ScopeProjectID {
			writeError(w, r, dms.Errorf(dms.CodeTokenProjectMismatch, "The project ID does not match the project the credentials are scoped to."))
			return
		}
		pr, err := s.iam.Store().GetProject(ctx, projectID)
		if err != nil {
			writeError(w, r, dms.Internal(err))
			return
		}
		projects, actions = []dms.Project{pr}, s.routeActions(managerScopeAllows)
	} else {
		if projects, err = s.iam.VisibleProjects(ctx, p); err != nil {
			writeError(w, r, dms.Internal(err))
			return
		}
		if actions, err = s.iam.AllowedActions(ctx, p, projectID, s.routeActions(nil)); err != nil {
			writeError(w, r, err)
			return
		}
	}
	out := map[string]any{
		"user": whoamiUser{User: p.User, DomainName: d.Name}, "account": d, "auth_method": p.Method, "access_key": p.AccessKey,
		"projects": projects, "region": s.cfg.Region,
		"admin": p.User.Admin && p.ScopeInstanceID == "", "project_id": projectID, "actions": actions,
	}
	if p.ScopeInstanceID != "" {
		out["instance_id"] = p.ScopeInstanceID
	}
	writeJSON(w, http.StatusOK, out)
}

// routeActions lists, sorted and once each, the IAM actions of the registered routes that keep
// selects (nil: all of them).
func (s *Server) routeActions(keep func(*route) bool) []string {
	var out []string
	for _, rt := range s.router.routes {
		if rt.spec.Action != "" && (keep == nil || keep(rt)) {
			out = append(out, rt.spec.Action)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
