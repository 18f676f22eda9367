package httpapi

import (
	"net/http"

	"github.com/opendms/opendms/internal/capacity"
)

// Automatic volume expansion, the SDK's ShowVolumeExpandConfig and UpdateVolumeExpansionConfig
// (internal/capacity): the configuration is stored with the instance; the capacity watcher grows
// the storage at its threshold.
func (s *Server) implementCapacity() {
	const path = "/v2/{project_id}/instances/{instance_id}/auto-volume-expand"
	s.router.implement("GET", path, http.HandlerFunc(s.showAutoExpand))
	s.router.implement("PUT", path, http.HandlerFunc(s.updateAutoExpand))
}

// autoExpandView is the SDK's ShowVolumeExpandConfigResponse: the values only once configured.
type autoExpandView struct {
	Enable          bool   `json:"auto_volume_expand_enable"`
	ExpandThreshold *int32 `json:"expand_threshold,omitempty"`
	MaxVolumeSize   *int32 `json:"max_volume_size,omitempty"`
	ExpandIncrement *int32 `json:"expand_increment,omitempty"`
}

func (s *Server) showAutoExpand(w http.ResponseWriter, r *http.Request) {
	cfg, err := s.capacity.AutoExpandConfig(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	opt := func(v int) *int32 {
		if v == 0 {
			return nil
		}
		n := int32(v)
		return &n
	}
	writeJSON(w, http.StatusOK, autoExpandView{Enable: cfg.Enable, ExpandThreshold: opt(cfg.ThresholdPercent),
		MaxVolumeSize: opt(cfg.MaxVolumeSize), ExpandIncrement: opt(cfg.IncrementPercent)})
}

// updateAutoExpand answers 204, as the API docs say.
func (s *Server) updateAutoExpand(w http.ResponseWriter, r *http.Request) {
	var req capacity.AutoExpandRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.capacity.SetAutoExpandConfig(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
