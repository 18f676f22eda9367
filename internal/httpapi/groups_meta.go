package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/opendms/opendms/internal/groups"
	"github.com/opendms/opendms/internal/instances"
)

// The group APIs of what OpenDMS keeps beside the cluster (internal/groups/meta.go): 5.6.4 creates
// a group, 5.6.10 sets one group's description, 5.6.7 sets several in a background task.

// millis is a record's time in Unix ms, 0 for none (a group made by Kafka clients).
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// createGroup is 5.6.4: 200 with the bare text body "success", as the reference's example shows;
// the SDK's CreateKafkaConsumerGroupResponse takes the whole body as a string (sdk-compat.md 4.2).
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GroupName string  `json:"group_name"`
		GroupDesc *string `json:"group_desc"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.groups.Create(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.GroupName, req.GroupDesc); err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "success")
}

// groupUpdateEntry is the SDK's GroupCreateReq: 5.6.10's body and an entry of 5.6.7's.
type groupUpdateEntry struct {
	GroupName *string `json:"group_name"`
	GroupDesc *string `json:"group_desc"`
}

// updateGroup is 5.6.10: 200 without a body (the SDK's UpdateInstanceConsumerGroupResponse has no
// field). The reference's example sends no body at all: that changes nothing, but the group must
// exist.
func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) {
	var req groupUpdateEntry
	if len(bytes.TrimSpace(readBody(r))) > 0 {
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
	}
	err := s.groups.Update(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("group"),
		groups.UpdateRequest{Name: req.GroupName, Description: req.GroupDesc})
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// updateGroups is 5.6.7: the descriptions of several groups, set by a background task whose id it
// answers ({"job_id"}, as the reference says; the SDK's UpdateInstanceGroupResponse has no field and
// ignores it). The SDK sends {"groups":[{"group_name","group_desc"},...]}
// (BatchModiftGroupDescriptionReq); the reference documents a flat {"group_name","group_desc"}, a
// one-entry list here. Where they differ the SDK's form is the one clients send.
func (s *Server) updateGroups(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Groups *[]groupUpdateEntry `json:"groups"`
		groupUpdateEntry
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	var entries []groupUpdateEntry
	switch {
	case req.Groups != nil && (req.GroupName != nil || req.GroupDesc != nil):
		writeError(w, r, invalidParam("give groups or group_name and group_desc, not both"))
		return
	case req.Groups != nil:
		entries = *req.Groups
	case req.GroupName != nil || req.GroupDesc != nil:
		entries = []groupUpdateEntry{req.groupUpdateEntry}
	}
	changes := make([]groups.DescriptionChange, 0, len(entries))
	for _, e := range entries {
		ch := groups.DescriptionChange{Description: e.GroupDesc}
		if e.GroupName != nil {
			ch.Group = *e.GroupName
		}
		changes = append(changes, ch)
	}
	t, err := s.groups.UpdateAll(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)), changes)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"job_id": t.ID})
}
