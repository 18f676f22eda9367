package httpapi

import (
	"net/http"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
)

// The OpenDMS admin API (/opendms/v1/...): IAM objects of the caller's account. Only account
// administrators may call it; accounts themselves are created by administrators of the bootstrap
// account. Secrets appear in exactly one response: the one that creates them.

const adminPrefix = "/opendms/v1"

func (s *Server) registerOwnRoutes() {
	s.own("GET", "/healthz", "Health check", "", authNone, s.healthz)
	s.own("POST", "/v3/auth/tokens", "IAM: obtain a token (password, project scope)", "", authNone, s.issueToken)
	s.own("GET", "/v3/projects", "IAM: list projects (?name=)", "", authSigned, s.listProjects)
	s.own("GET", "/v3/auth/domains", "IAM: the caller's account (domain)", "", authSigned, s.listAuthDomains)

	s.own("GET", adminPrefix+"/whoami", "The caller, its account and projects", "", authSigned, s.whoami)
	s.own("POST", adminPrefix+"/accounts", "Create an account with its administrator, a project named after the region and, on request, an access key", "", authAdmin, s.createAccount)
	s.own("GET", adminPrefix+"/accounts", "List accounts", "", authAdmin, s.listAccounts)
	s.own("GET", adminPrefix+"/projects", "List projects of the account", "", authAdmin, s.adminListProjects)
	s.own("POST", adminPrefix+"/projects", "Create a project", "", authAdmin, s.createProject)
	s.own("GET", adminPrefix+"/users", "List IAM users", "", authAdmin, s.listUsers)
	s.own("POST", adminPrefix+"/users", "Create an IAM user", "", authAdmin, s.createUser)
	s.own("GET", adminPrefix+"/users/{user}", "Show an IAM user", "", authAdmin, s.showUser)
	s.own("DELETE", adminPrefix+"/users/{user}", "Delete an IAM user", "", authAdmin, s.deleteUser)
	s.own("PATCH", adminPrefix+"/users/{user}", "Enable or disable an IAM user (disabling revokes its tokens)", "", authAdmin, s.updateUser)
	s.own("PUT", adminPrefix+"/users/{user}/password", "Set an IAM user's password", "", authAdmin, s.setUserPassword)
	s.own("GET", adminPrefix+"/users/{user}/access-keys", "List a user's access keys", "", authAdmin, s.listAccessKeys)
	s.own("POST", adminPrefix+"/users/{user}/access-keys", "Create an access key (the SK is shown once)", "", authAdmin, s.createAccessKey)
	s.own("DELETE", adminPrefix+"/users/{user}/access-keys/{ak}", "Delete an access key", "", authAdmin, s.deleteAccessKey)
	s.own("GET", adminPrefix+"/policies", "List system roles and custom policies", "", authAdmin, s.listPolicies)
	s.own("POST", adminPrefix+"/policies", "Create a custom policy", "", authAdmin, s.createPolicy)
	s.own("DELETE", adminPrefix+"/policies/{policy}", "Delete a custom policy", "", authAdmin, s.deletePolicy)
	s.own("GET", adminPrefix+"/role-bindings", "List role bindings", "", authAdmin, s.listRoleBindings)
	s.own("POST", adminPrefix+"/role-bindings", "Grant a role to a user in a project", "", authAdmin, s.createRoleBinding)
	s.own("DELETE", adminPrefix+"/role-bindings", "Revoke a role binding", "", authAdmin, s.deleteRoleBinding)

	// What the reference has no API for, in the project's own namespace.
	s.own("GET", adminPrefix+"/{project_id}/instances/{instance_id}/ca-certificate", "The CA certificate (PEM) SASL_SSL clients trust",
		"dms:instance:get", authSigned, s.instanceCACertificate)
	s.own("POST", adminPrefix+"/{project_id}/instances/{instance_id}/rebalance", "Rebalance every partition over the brokers (internal/rebalance's plan, run as a reassignPartitions task; body {brokers, new_brokers, throttle, time_estimate})",
		"dms:instance:modify", authSigned, s.rebalanceInstance)
}

// instanceCACertificate answers the instance's CA certificate as a PEM file.
func (s *Server) instanceCACertificate(w http.ResponseWriter, r *http.Request) {
	pem, err := s.instances.CACertificate(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="`+r.PathValue("instance_id")+`-ca.pem"`)
	w.Write(pem)
}

func principal(r *http.Request) iam.Principal {
	p, _ := iam.PrincipalFrom(r.Context())
	return p
}

// userView is an IAM user as the admin API shows it (never its password hash).
type userView struct {
	dms.User
	Roles []roleBindingView `json:"roles,omitempty"`
}

type roleBindingView struct {
	User      string `json:"user"`
	ProjectID string `json:"project_id"`
	Role      string `json:"role"`
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	home, err := s.iam.Store().GetDomain(r.Context(), p.User.DomainID)
	if err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	if home.Name != "admin" {
		writeError(w, r, dms.Errorf(dms.CodeRoleForbidden, "Only administrators of the bootstrap account may create accounts."))
		return
	}
	var req struct {
		Name          string `json:"name"`
		AdminName     string `json:"admin_name"`
		AdminPassword string `json:"admin_password"`
		AccessKey     bool   `json:"create_access_key"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.iam.CreateAccount(r.Context(), iam.AccountSpec{Name: req.Name, AdminName: req.AdminName, AdminPassword: req.AdminPassword,
		ProjectName: s.cfg.Region, ProjectDescription: "created with the account", AccessKey: req.AccessKey})
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := map[string]any{"account": a.Domain, "admin": a.Admin, "project": a.Project}
	if a.AccessKey != nil {
		// The secret is in this response only, as when a key is created on its own.
		out["access_key"] = map[string]any{"access_key": a.AccessKey.AccessKey, "secret_key": a.SecretKey, "user": a.Admin.Name, "created_at": a.AccessKey.CreatedAt}
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	st := s.iam.Store()
	home, err := st.GetDomain(r.Context(), p.User.DomainID)
	if err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	if home.Name != "admin" {
		writeJSON(w, http.StatusOK, map[string]any{"accounts": []dms.Domain{home}})
		return
	}
	all, err := st.ListDomains(r.Context())
	if err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": nonNil(all)})
}

func (s *Server) adminListProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := s.iam.Store().ListProjects(r.Context(), principal(r).User.DomainID)
	if err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": nonNil(ps)})
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.iam.CreateProject(r.Context(), principal(r).User.DomainID, req.Name, req.Description)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"project": p})
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.iam.Store().ListUsers(r.Context(), principal(r).User.DomainID)
	if err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": nonNil(us)})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name     string `json:"name"`
		Password string `json:"password"`
		Admin    bool   `json:"admin"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.iam.CreateUser(r.Context(), principal(r).User.DomainID, req.Name, req.Password, req.Admin)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": u})
}

// pathUser resolves the {user} path value (a name in the caller's account).
func (s *Server) pathUser(r *http.Request) (dms.User, error) {
	u, err := s.iam.Store().GetUserByName(r.Context(), principal(r).User.DomainID, r.PathValue("user"))
	if err != nil {
		return u, dms.Errorf(dms.CodeResourceNotFound, "IAM user %q does not exist", r.PathValue("user"))
	}
	return u, nil
}

func (s *Server) showUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.pathUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	bindings, err := s.bindingViews(r, u.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userView{User: u, Roles: bindings}})
}

func (s *Server) bindingViews(r *http.Request, userID string) ([]roleBindingView, error) {
	st := s.iam.Store()
	ctx := r.Context()
	domainID := principal(r).User.DomainID
	bindings, err := st.ListDomainRoleBindings(ctx, domainID)
	if err != nil {
		return nil, dms.Internal(err)
	}
	users, policies := map[string]string{}, map[string]string{}
	out := []roleBindingView{}
	for _, b := range bindings {
		if userID != "" && b.UserID != userID {
			continue
		}
		if _, ok := users[b.UserID]; !ok {
			u, err := st.GetUser(ctx, b.UserID)
			if err != nil {
				return nil, dms.Internal(err)
			}
			users[b.UserID] = u.Name
		}
		if _, ok := policies[b.PolicyID]; !ok {
			p, err := st.GetPolicy(ctx, b.PolicyID)
			if err != nil {
				return nil, dms.Internal(err)
			}
			policies[b.PolicyID] = p.Name
		}
		out = append(out, roleBindingView{User: users[b.UserID], ProjectID: b.ProjectID, Role: policies[b.PolicyID]})
	}
	return out, nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.pathUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if u.ID == principal(r).User.ID {
		writeError(w, r, invalidParam("you cannot delete yourself"))
		return
	}
	if err := s.iam.DeleteUser(r.Context(), u.ID); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.pathUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Enabled *bool `json:"enabled"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.Enabled == nil {
		writeError(w, r, invalidParam("enabled (true or false) is required"))
		return
	}
	if !*req.Enabled && u.ID == principal(r).User.ID {
		writeError(w, r, invalidParam("you cannot disable yourself"))
		return
	}
	if err := s.iam.SetUserEnabled(r.Context(), u.ID, *req.Enabled); err != nil {
		writeError(w, r, err)
		return
	}
	u.Enabled = *req.Enabled
	writeJSON(w, http.StatusOK, map[string]any{"user": u})
}

func (s *Server) setUserPassword(w http.ResponseWriter, r *http.Request) {
	u, err := s.pathUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.iam.SetPassword(r.Context(), u.ID, req.Password); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listAccessKeys(w http.ResponseWriter, r *http.Request) {
	u, err := s.pathUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	keys, err := s.iam.Store().ListAccessKeys(r.Context(), u.ID)
	if err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_keys": nonNil(keys)})
}

func (s *Server) createAccessKey(w http.ResponseWriter, r *http.Request) {
	u, err := s.pathUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Description string `json:"description"`
	}
	if len(readBody(r)) > 0 {
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
	}
	k, sk, err := s.iam.CreateAccessKey(r.Context(), u.ID, req.Description)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"access_key": k.AccessKey, "secret_key": sk, "user": u.Name, "created_at": k.CreatedAt})
}

func (s *Server) deleteAccessKey(w http.ResponseWriter, r *http.Request) {
	u, err := s.pathUser(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	k, err := s.iam.Store().GetAccessKey(r.Context(), r.PathValue("ak"))
	if err != nil || k.UserID != u.ID {
		writeError(w, r, dms.Errorf(dms.CodeResourceNotFound, "access key %q of user %q does not exist", r.PathValue("ak"), u.Name))
		return
	}
	if p := principal(r); p.AccessKey == k.AccessKey {
		writeError(w, r, invalidParam("you cannot delete the access key this request is signed with"))
		return
	}
	if err := s.iam.DeleteAccessKey(r.Context(), k.AccessKey); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) {
	ps, err := s.iam.Store().ListPolicies(r.Context(), principal(r).User.DomainID)
	if err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"policies": nonNil(ps)})
}

func (s *Server) createPolicy(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name        string         `json:"name"`
		Description string         `json:"description"`
		Policy      map[string]any `json:"policy"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	doc, err := marshalCompact(req.Policy)
	if err != nil {
		writeError(w, r, invalidParam("policy: %v", err))
		return
	}
	p, err := s.iam.CreatePolicy(r.Context(), principal(r).User.DomainID, req.Name, req.Description, doc)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"policy": p})
}

func (s *Server) deletePolicy(w http.ResponseWriter, r *http.Request) {
	st := s.iam.Store()
	p, err := st.GetPolicyByName(r.Context(), principal(r).User.DomainID, r.PathValue("policy"))
	if err != nil || p.System {
		writeError(w, r, dms.Errorf(dms.CodeResourceNotFound, "custom policy %q does not exist", r.PathValue("policy")))
		return
	}
	if err := st.DeletePolicy(r.Context(), p.ID); err != nil {
		writeError(w, r, dms.Internal(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listRoleBindings(w http.ResponseWriter, r *http.Request) {
	views, err := s.bindingViews(r, "")
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"role_bindings": views})
}

func (s *Server) createRoleBinding(w http.ResponseWriter, r *http.Request) {
	var req roleBindingView
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if _, err := s.iam.Bind(r.Context(), principal(r).User.DomainID, req.User, req.ProjectID, req.Role); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"role_binding": req})
}

func (s *Server) deleteRoleBinding(w http.ResponseWriter, r *http.Request) {
	var req roleBindingView
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.iam.Unbind(r.Context(), principal(r).User.DomainID, req.User, req.ProjectID, req.Role); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
