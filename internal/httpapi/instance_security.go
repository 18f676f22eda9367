package httpapi

import (
	"net/http"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
)

// The security of an instance: its password (5.2.1) and its access modes (5.2.9).
func (s *Server) implementInstanceSecurity() {
	s.router.implement("POST", "/v2/{project_id}/instances/{instance_id}/password", http.HandlerFunc(s.resetInstancePassword))
	s.router.implement("POST", "/v2/{project_id}/{engine}/instances/{instance_id}/plain-ssl-switch", http.HandlerFunc(s.switchAccessMode))
}

// resetInstancePassword is 5.2.1: the administrator's password, at once on the brokers.
func (s *Server) resetInstancePassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		NewPassword *string `json:"new_password"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.NewPassword == nil {
		writeError(w, r, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: new_password is required."))
		return
	}
	if err := s.kafkaUsers.ResetInstancePassword(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), *req.NewPassword); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// switchAccessMode is 5.2.9: 200 {job_id, protocol, enable}; the rolling change runs as the task.
func (s *Server) switchAccessMode(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Protocol   string   `json:"protocol"`
		Enable     *bool    `json:"enable"`
		UserName   string   `json:"user_name"`
		PassWord   string   `json:"pass_word"`
		Mechanisms []string `json:"sasl_enabled_mechanisms"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.instances.SwitchAccessMode(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)),
		instances.AccessModeSwitch{Protocol: req.Protocol, Enable: req.Enable, UserName: req.UserName, Password: req.PassWord, Mechanisms: req.Mechanisms})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job_id": t.ID, "protocol": req.Protocol, "enable": *req.Enable})
}
