package httpapi

import (
	"net/http"

	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkausers"
)

// Kafka users and their topic permissions (5.7.1-5.7.7). JSON
// names and types are the Go SDK's: created_time is int64 ms, default_app a bool, topic_type int32.
func (s *Server) implementUsers() {
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/users", http.HandlerFunc(s.listKafkaUsers))
	s.router.implement("POST", "/v2/{project_id}/instances/{instance_id}/users", http.HandlerFunc(s.createKafkaUser))
	s.router.implement("PUT", "/v2/{project_id}/instances/{instance_id}/users", http.HandlerFunc(s.deleteKafkaUsers))
	s.router.implement("PUT", "/v2/{project_id}/instances/{instance_id}/users/{user_name}", http.HandlerFunc(s.resetKafkaUserPassword))
	s.router.implement("PUT", "/v2/{engine}/{project_id}/instances/{instance_id}/users/{user_name}", http.HandlerFunc(s.updateKafkaUser))
	s.router.implement("GET", "/v1/{project_id}/instances/{instance_id}/topics/{topic_name}/accesspolicy", http.HandlerFunc(s.showTopicAccessPolicy))
	s.router.implement("POST", "/v1/{project_id}/instances/{instance_id}/topics/accesspolicy", http.HandlerFunc(s.grantTopicAccessPolicy))
}

// kafkaUserView is the SDK's ShowInstanceUsersEntity.
type kafkaUserView struct {
	UserName    string `json:"user_name"`
	UserDesc    string `json:"user_desc"`
	Role        string `json:"role"`
	DefaultApp  bool   `json:"default_app"`
	CreatedTime int64  `json:"created_time"`
}

func (s *Server) listKafkaUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.kafkaUsers.List(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]kafkaUserView, 0, len(users))
	for _, u := range users {
		v := kafkaUserView{UserName: u.Name, UserDesc: u.Description, Role: u.Role, DefaultApp: u.DefaultApp}
		if !u.CreatedAt.IsZero() {
			v.CreatedTime = u.CreatedAt.UnixMilli()
		}
		views = append(views, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": views})
}

func (s *Server) createKafkaUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserName   string `json:"user_name"`
		UserDesc   string `json:"user_desc"`
		UserPasswd string `json:"user_passwd"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.kafkaUsers.Create(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.UserName, req.UserPasswd, req.UserDesc); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteKafkaUsers is 5.7.3: a PUT on the collection with action "delete".
func (s *Server) deleteKafkaUsers(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action string   `json:"action"`
		Users  []string `json:"users"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.Action != "delete" {
		writeError(w, r, invalidParam("action must be delete, got %q", req.Action))
		return
	}
	if err := s.kafkaUsers.Delete(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.Users); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// resetKafkaUserPassword is 5.7.4.
func (s *Server) resetKafkaUserPassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		NewPassword *string `json:"new_password"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.NewPassword == nil {
		writeError(w, r, invalidParam("new_password is required"))
		return
	}
	if err := s.kafkaUsers.Update(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("user_name"), req.NewPassword, nil); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// updateKafkaUser is 5.7.5: a new password and/or description. user_name, if given, must be the
// user of the path (users cannot be renamed: the name is their principal in the ACLs).
func (s *Server) updateKafkaUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		NewPassword *string `json:"new_password"`
		UserName    *string `json:"user_name"`
		UserDesc    *string `json:"user_desc"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	name := r.PathValue("user_name")
	if req.UserName != nil && *req.UserName != "" && *req.UserName != name {
		writeError(w, r, invalidParam("user_name %q differs from the user of the path %q: users cannot be renamed", *req.UserName, name))
		return
	}
	if err := s.kafkaUsers.Update(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), name, req.NewPassword, req.UserDesc); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// policyView is the SDK's PolicyEntity.
type policyView struct {
	Owner        bool   `json:"owner"`
	UserName     string `json:"user_name"`
	AccessPolicy string `json:"access_policy"`
}

func (s *Server) showTopicAccessPolicy(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic_name")
	ps, err := s.kafkaUsers.TopicPolicies(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), topic)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]policyView, 0, len(ps))
	for _, p := range ps {
		views = append(views, policyView{Owner: p.Owner, UserName: p.User, AccessPolicy: string(p.Access)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": topic, "topic_type": int32(0), "policies": views})
}

func (s *Server) grantTopicAccessPolicy(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Topics []struct {
			Name     string `json:"name"`
			Policies []struct {
				UserName     string `json:"user_name"`
				AccessPolicy string `json:"access_policy"`
			} `json:"policies"`
		} `json:"topics"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	grants := make([]kafkausers.TopicGrant, 0, len(req.Topics))
	for _, t := range req.Topics {
		g := kafkausers.TopicGrant{Topic: t.Name}
		for _, p := range t.Policies {
			if p.UserName == "" {
				writeError(w, r, invalidParam("policies[].user_name is required"))
				return
			}
			g.Policies = append(g.Policies, kafkausers.Policy{User: p.UserName, Access: kafkaops.Access(p.AccessPolicy)})
		}
		grants = append(grants, g)
	}
	if err := s.kafkaUsers.Grant(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), grants); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
