package httpapi

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/instances"
)

// Kafka Manager (issue 14): DMS gives each instance a Kafka Manager (CMAK) with its own login; in
// OpenDMS that is the console, signed in to with the instance's kafka_manager_user and password and
// scoped to that instance. 5.2.2 resets the password, 5.2.3 restarts the manager, 5.2.12 disables
// it (internal/instances/kafkamanager.go); the sign-in is POST /opendms/v1/kafka-manager/tokens
// (internal/iam/manager.go), and what a scoped token may call is managerScope below.

func (s *Server) implementKafkaManager() {
	s.router.implement("PUT", "/v2/{project_id}/instances/{instance_id}/kafka-manager-password", http.HandlerFunc(s.resetManagerPassword))
	s.router.implement("PUT", "/v2/{project_id}/instances/{instance_id}/restart-kafka-manager", http.HandlerFunc(s.restartManager))
	s.router.implement("DELETE", "/v2/{project_id}/kafka/instances/{instance_id}/management", http.HandlerFunc(s.closeManager))
	s.own("POST", managerTokensPath, "Kafka Manager sign-in: a token scoped to one instance (body {instance_id, user, password})",
		"", authNone, s.issueManagerToken)
}

const managerTokensPath = adminPrefix + "/kafka-manager/tokens"

// resetManagerPassword is 5.2.2: 204, no body.
func (s *Server) resetManagerPassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		NewPassword string `json:"new_password"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.instances.ResetManagerPassword(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.NewPassword); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// restartManager is 5.2.3: 200 {"result":"success","instance_id":...}.
func (s *Server) restartManager(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("instance_id")
	if err := s.instances.RestartManager(r.Context(), r.PathValue("project_id"), id); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"result": "success", "instance_id": id})
}

// closeManager is 5.2.12: 200, no body.
func (s *Server) closeManager(w http.ResponseWriter, r *http.Request) {
	if err := s.instances.CloseManager(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id")); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// managerTokenBody is the answer of a Kafka Manager sign-in; the token is in X-Subject-Token, as
// with POST /v3/auth/tokens.
type managerTokenBody struct {
	Token struct {
		ExpiresAt  string `json:"expires_at"`
		InstanceID string `json:"instance_id"`
		Project    struct {
			ID string `json:"id"`
		} `json:"project"`
		User struct {
			Name string `json:"name"`
		} `json:"user"`
	} `json:"token"`
}

// issueManagerToken is POST /opendms/v1/kafka-manager/tokens {"instance_id","user","password"}:
// 201 with X-Subject-Token. A wrong user or password is 401 DMS.10240101 (as a wrong IAM password),
// and so is an unknown instance or one without a manager password; a disabled manager, to who gave
// its right user and password, 400 DMS.00400026; too many failures 429 with Retry-After (the IAM
// login limits).
func (s *Server) issueManagerToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		InstanceID string `json:"instance_id"`
		User       string `json:"user"`
		Password   string `json:"password"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	issued, err := s.iam.IssueManagerToken(r.Context(), iam.ManagerAuth{InstanceID: req.InstanceID, UserName: req.User,
		Password: req.Password, Source: r.RemoteAddr})
	if err != nil {
		writeSignInError(w, r, err)
		return
	}
	var body managerTokenBody
	body.Token.ExpiresAt = issued.Token.ExpiresAt.UTC().Format(keystoneTime)
	body.Token.InstanceID = issued.Token.InstanceID
	body.Token.Project.ID = issued.Token.ProjectID
	body.Token.User.Name = issued.Token.UserName
	w.Header().Set("X-Subject-Token", issued.Value)
	writeJSON(w, http.StatusCreated, body)
}

// managementAddress is an instance's management_connect_address: its Kafka Manager page of the
// console while the manager is enabled and has a password, else "". The base is the endpoint dmsd
// announces (Config.PublicURL), else the scheme and host the request came to. dmsd's endpoint is
// its listener's address, which for a wildcard listener (0.0.0.0, [::]) no browser can open: the
// request's host is used then too.
func (s *Server) managementAddress(r *http.Request, in dms.Instance) string {
	if !instances.ManagerEnabled(in) {
		return ""
	}
	base := strings.TrimRight(s.cfg.PublicURL, "/")
	if u, err := url.Parse(base); err != nil || u.Host == "" || unspecifiedHost(u.Hostname()) {
		base = ""
	}
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/console/#/km/" + in.ID
}

// unspecifiedHost reports whether host is a wildcard address (0.0.0.0, ::).
func unspecifiedHost(host string) bool {
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsUnspecified()
}

// scopedInstances keeps, for a principal scoped to one instance, only that instance of a listing.
func scopedInstances(r *http.Request, list []dms.Instance) []dms.Instance {
	p := principal(r)
	if p.ScopeInstanceID == "" {
		return list
	}
	for _, in := range list {
		if in.ID == p.ScopeInstanceID {
			return []dms.Instance{in}
		}
	}
	return []dms.Instance{}
}

// The scope of a Kafka Manager sign-in, in one place. Such a token acts on its instance only, as
// CMAK does on its cluster: every read of the instance (GET routes with its {instance_id}), the
// listings of instances (which then show it alone), the catalog, whoami, and the writes CMAK makes
// (managerScopeWrites). Everything else is refused with the 403 of an IAM policy denial
// (DMS.00403003): the instance's lifecycle (delete, modify, resize, restart, 5.2.2, 5.2.3, 5.2.12),
// Kafka users and ACLs, quotas, tags, Smart Connect, other instances, project-wide APIs, IAM and
// the admin API. IAM policies play no part: no IAM user stands behind the token.

// managerScopeWrites are the writes a scoped token may make: topics (create, modify, delete, add
// partitions), consumer groups (reset offsets, delete) and producing messages.
var managerScopeWrites = map[string]bool{
	routeKey("POST", "/v2/{project_id}/instances/{instance_id}/topics"):                                            true, // 5.5.2
	routeKey("PUT", "/v2/{project_id}/instances/{instance_id}/topics"):                                             true, // 5.5.4
	routeKey("POST", "/v2/{project_id}/instances/{instance_id}/topics/delete"):                                     true, // 5.5.5
	routeKey("POST", "/v1.0/{project_id}/instances/{instance_id}/topics"):                                          true, // 7.1.1.7
	routeKey("POST", "/v1.0/{project_id}/instances/{instance_id}/topics/delete"):                                   true, // 7.1.1.9
	routeKey("POST", "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/partitions-reassignment"): true, // 7.2.2.1
	routeKey("PUT", "/v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset"):          true, // 5.6.5
	routeKey("POST", "/v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset"):         true, // 5.6.5 (the examples' POST)
	routeKey("POST", "/v2/{project_id}/instances/{instance_id}/management/groups/{group}/reset-message-offset"):    true, // 7.2.3.1
	routeKey("POST", "/v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/delete-offset"):                true, // SDK DeleteConsumerGroupOffsets
	routeKey("POST", "/v2/{project_id}/instances/{instance_id}/groups/batch-delete"):                               true, // 5.6.3
	routeKey("DELETE", "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}"):                         true, // 5.6.9
	routeKey("DELETE", "/v2/{project_id}/instances/{instance_id}/groups/{group}"):                                  true, // SDK DeleteGroup
	routeKey("POST", "/v2/{project_id}/instances/{instance_id}/messages/action"):                                   true, // 5.5.1
	routeKey("POST", adminPrefix+"/{project_id}/instances/{instance_id}/topics/{topic}/records"):                   true, // batched produce
}

// managerScopeLists are the project-wide routes a scoped token may call: the instance listings
// (scopedInstances filters them).
var managerScopeLists = map[string]bool{
	routeKey("GET", "/v2/{project_id}/instances"):   true, // 5.1.2
	routeKey("GET", "/v1.0/{project_id}/instances"): true, // 7.1.1.6
}

// managerScopeAllows reports whether a token scoped to some instance may call rt at all (on its own
// instance and project; managerScope checks those).
func managerScopeAllows(rt *route) bool {
	if rt.auth == authAdmin {
		return false
	}
	key := routeKey(rt.spec.Method, rt.spec.Pattern)
	switch {
	case !rt.hasParam("project_id"):
		// OpenDMS's own routes outside projects are IAM's and the account's: whoami only. The
		// reference's are the catalog: reads.
		if rt.spec.Variant == variantOwn {
			return rt.spec.Method == http.MethodGet && rt.spec.Pattern == adminPrefix+"/whoami"
		}
		return rt.spec.Method == http.MethodGet
	case !rt.hasParam("instance_id"):
		return managerScopeLists[key]
	default:
		return rt.spec.Method == http.MethodGet || managerScopeWrites[key]
	}
}

// managerScope is the authorization of a principal scoped to one instance (iam.Principal's
// ScopeInstanceID): the route must be one managerScopeAllows, in the token's project and on its
// instance.
func managerScope(r *http.Request, rt *route, p iam.Principal) error {
	if !managerScopeAllows(rt) {
		return dms.Errorf(dms.CodeRoleForbidden, "A Kafka Manager sign-in may not call %s %s: it reads and manages the topics, consumer groups and messages of instance %s only.",
			rt.spec.Method, rt.spec.Pattern, p.ScopeInstanceID)
	}
	if rt.hasParam("project_id") && r.PathValue("project_id") != p.ScopeProjectID {
		return dms.Errorf(dms.CodeTokenProjectMismatch, "The project ID in the path does not match the project the credentials are scoped to.")
	}
	if rt.hasParam("instance_id") && r.PathValue("instance_id") != p.ScopeInstanceID {
		return dms.Errorf(dms.CodeRoleForbidden, "A Kafka Manager sign-in may act on its own instance (%s) only.", p.ScopeInstanceID)
	}
	return nil
}

// mayGetInstance reports whether the caller may read in, for the APIs that name an instance outside
// their path (the path's is authorized before the handler runs): a Kafka Manager sign-in its own
// instance only, as managerScope allows its reads; anyone else as dms:instance:get allows in the
// instance's project.
func (s *Server) mayGetInstance(r *http.Request, in dms.Instance) bool {
	p := principal(r)
	if p.ScopeInstanceID != "" {
		return in.ID == p.ScopeInstanceID && in.ProjectID == p.ScopeProjectID
	}
	return s.iam.Authorize(r.Context(), p, in.ProjectID, "dms:instance:get") == nil
}

// hasParam reports whether the route's pattern has the {name} parameter.
func (r *route) hasParam(name string) bool {
	for _, p := range r.params {
		if p == name {
			return true
		}
	}
	return false
}
