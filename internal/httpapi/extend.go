package httpapi

import (
	"net/http"

	"github.com/opendms/opendms/internal/instances"
)

// Changing an instance's specifications: 5.4.1 (and the SDK's ResizeKafkaInstance path), 5.4.2 (and
// the SDK's ShowKafkaInstanceExtendProductInfo path), and the SDK's ShowKafkaScalePreCheckInfo.

func (s *Server) implementExtend() {
	s.router.implement("POST", "/v2/{engine}/{project_id}/instances/{instance_id}/extend", http.HandlerFunc(s.extendInstance))
	s.router.implement("POST", "/v2/{project_id}/kafka/instances/{instance_id}/extend", http.HandlerFunc(s.extendInstance))
	s.router.implement("GET", "/v2/{engine}/{project_id}/instances/{instance_id}/extend", http.HandlerFunc(s.extendProducts))
	s.router.implement("GET", "/v2/{project_id}/kafka/instances/{instance_id}/extend", http.HandlerFunc(s.extendProducts))
	s.router.implement("GET", "/v2/{project_id}/kafka/instances/{instance_id}/extend-check", http.HandlerFunc(s.extendCheck))
}

func (s *Server) extendInstance(w http.ResponseWriter, r *http.Request) {
	var req instances.ExtendRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.instances.Extend(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"job_id": t.ID})
}

// extendProducts is 5.4.2. type is required and "advanced" is its only value.
func (s *Server) extendProducts(w http.ResponseWriter, r *http.Request) {
	switch typ := r.URL.Query().Get("type"); typ {
	case "advanced":
	case "":
		writeError(w, r, invalidParam("type is required: advanced"))
		return
	default:
		writeError(w, r, invalidParam("type %q: the only product edition is advanced", typ))
		return
	}
	out, err := s.instances.ExtendProducts(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) extendCheck(w http.ResponseWriter, r *http.Request) {
	out, err := s.instances.ScalePreCheck(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
