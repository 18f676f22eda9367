package httpapi

import (
	"net/http"
	"strconv"

	"github.com/opendms/opendms/internal/groups"
)

// Consumer groups: the reads 5.6.1, 5.6.2, 5.6.6, 5.6.8, 5.6.11, 5.6.12, 7.2.3.2 and the SDK's
// ShowGroup; the writes on the cluster's groups 5.6.3, 5.6.5, 5.6.9, 7.2.3.1 and the SDK's
// DeleteGroup and DeleteConsumerGroupOffsets; and, in groups_meta.go, what OpenDMS keeps beside the
// cluster: groups created through the API (5.6.4) and descriptions (5.6.7, 5.6.10). JSON names and
// types are the Go SDK's (sdk-compat.md 4.3): the list's createdAt (camelCase) and lag int64 and
// coordinator_id int32; 5.6.6's partition and message_current_offset strings and its log offsets and
// lag int32 (clamped); 5.6.1's offsets int64.
func (s *Server) implementGroups() {
	if s.groups != nil && s.log != nil { // nil in `dmsd routes`, which only lists the routes
		s.groups.SetLogger(s.log)
	}
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/groups", http.HandlerFunc(s.listGroups))
	s.router.implement("GET", "/v2/{engine}/{project_id}/instances/{instance_id}/groups", http.HandlerFunc(s.listGroupsLegacy))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/management/groups/{group}", http.HandlerFunc(s.showGroupDetail))
	s.router.implement("GET", "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}", http.HandlerFunc(s.showGroup))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/groups/{group}", http.HandlerFunc(s.showGroup))
	s.router.implement("GET", "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}/message-offset", http.HandlerFunc(s.listGroupOffsets))
	s.router.implement("GET", "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}/topics", http.HandlerFunc(s.listGroupTopics))
	s.router.implement("GET", "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}/members", http.HandlerFunc(s.listGroupMembers))
	s.router.implement("DELETE", "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}", http.HandlerFunc(s.deleteGroup))
	s.router.implement("DELETE", "/v2/{project_id}/instances/{instance_id}/groups/{group}", http.HandlerFunc(s.deleteGroup))
	s.router.implement("POST", "/v2/{project_id}/instances/{instance_id}/groups/batch-delete", http.HandlerFunc(s.batchDeleteGroups))
	s.router.implement("PUT", "/v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset", http.HandlerFunc(s.resetGroupOffsets))
	s.router.implement("POST", "/v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset", http.HandlerFunc(s.resetGroupOffsets))
	s.router.implement("POST", "/v2/{project_id}/instances/{instance_id}/management/groups/{group}/reset-message-offset", http.HandlerFunc(s.resetGroupOffsets))
	s.router.implement("POST", "/v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/delete-offset", http.HandlerFunc(s.deleteGroupOffsets))
	s.router.implement("POST", "/v2/{project_id}/kafka/instances/{instance_id}/group", http.HandlerFunc(s.createGroup))
	s.router.implement("PUT", "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}", http.HandlerFunc(s.updateGroup))
	s.router.implement("PUT", "/v2/{engine}/{project_id}/instances/{instance_id}/groups", http.HandlerFunc(s.updateGroups))
}

// groupInfoSimple is 5.6.2's GroupInfoSimple. createdAt (ms) and group_desc come from OpenDMS's
// record of the group: 0 and "" for a group made by Kafka clients and never described.
type groupInfoSimple struct {
	CreatedAt     int64  `json:"createdAt"`
	GroupID       string `json:"group_id"`
	State         string `json:"state"`
	CoordinatorID int32  `json:"coordinator_id"`
	GroupDesc     string `json:"group_desc"`
	Lag           int64  `json:"lag"`
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	s.listGroupsWith(w, r, groups.ListFilter{Group: r.URL.Query().Get("group")})
}

// listGroupsLegacy is 7.2.3.2: 5.6.2 with a topic filter.
func (s *Server) listGroupsLegacy(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.listGroupsWith(w, r, groups.ListFilter{Group: q.Get("group"), Topic: q.Get("topic")})
}

func (s *Server) listGroupsWith(w http.ResponseWriter, r *http.Request, f groups.ListFilter) {
	offset, limit, err := pageParams(r, 10, 50)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// Groups are listed by name; sort_dir=desc (OpenDMS extension, see sortParams) reverses it.
	// Other keys (state, lag) would need every group described before paging.
	if _, f.Desc, err = sortParams(r, []string{"name"}); err != nil {
		writeError(w, r, err)
		return
	}
	total, gs, err := s.groups.List(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), f, offset, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]groupInfoSimple, 0, len(gs))
	for _, g := range gs {
		views = append(views, groupInfoSimple{CreatedAt: millis(g.CreatedAt), GroupID: g.Name, State: groups.State(g.State),
			CoordinatorID: g.Coordinator, GroupDesc: g.Description, Lag: g.Lag})
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": views, "total": int32(total)})
}

// groupAssignmentView is 5.6.1's assignment.
type groupAssignmentView struct {
	Topic      string  `json:"topic"`
	Partitions []int32 `json:"partitions"`
}

// groupMemberView is 5.6.1's members (5.6.8's without assignment).
type groupMemberView struct {
	Host       string                 `json:"host"`
	Assignment *[]groupAssignmentView `json:"assignment,omitempty"`
	MemberID   string                 `json:"member_id"`
	ClientID   string                 `json:"client_id"`
}

// groupOffsetView is 5.6.1's and 5.6.8's group_message_offsets: message_current_offset is -1 for a
// partition assigned but not committed yet.
type groupOffsetView struct {
	Partition            int32  `json:"partition"`
	Lag                  int64  `json:"lag"`
	Topic                string `json:"topic"`
	MessageCurrentOffset int64  `json:"message_current_offset"`
	MessageLogEndOffset  int64  `json:"message_log_end_offset"`
}

// groupView is 5.6.1's group; 5.6.8 (and ShowGroup) add createdAt and group_desc, which the SDK's
// model of 5.6.1 (ShowGroupsRespGroup) does not have.
type groupView struct {
	GroupID             string            `json:"group_id"`
	State               string            `json:"state"`
	CoordinatorID       int32             `json:"coordinator_id"`
	CreatedAt           *int64            `json:"createdAt,omitempty"`
	GroupDesc           *string           `json:"group_desc,omitempty"`
	Members             []groupMemberView `json:"members"`
	GroupMessageOffsets []groupOffsetView `json:"group_message_offsets"`
	AssignmentStrategy  string            `json:"assignment_strategy"`
}

func viewGroup(g groups.Group, assignments bool) groupView {
	v := groupView{GroupID: g.Name, State: groups.State(g.State), CoordinatorID: g.Coordinator, AssignmentStrategy: g.Protocol,
		Members: make([]groupMemberView, 0, len(g.Members)), GroupMessageOffsets: make([]groupOffsetView, 0, len(g.Offsets))}
	for _, m := range g.Members {
		mv := groupMemberView{Host: m.Host, MemberID: m.MemberID, ClientID: m.ClientID}
		if assignments {
			as := make([]groupAssignmentView, 0, len(m.Assignment))
			for _, a := range m.Assignment {
				as = append(as, groupAssignmentView{Topic: a.Topic, Partitions: a.Partitions})
			}
			mv.Assignment = &as
		}
		v.Members = append(v.Members, mv)
	}
	for _, o := range g.Offsets {
		v.GroupMessageOffsets = append(v.GroupMessageOffsets, groupOffsetView{Partition: o.Partition, Lag: o.Lag, Topic: o.Topic,
			MessageCurrentOffset: o.Committed, MessageLogEndOffset: o.End})
	}
	return v
}

// showGroupDetail is 5.6.1: the group with members, their assignments and the offsets.
func (s *Server) showGroupDetail(w http.ResponseWriter, r *http.Request) {
	g, err := s.groups.Get(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("group"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"group": viewGroup(g, true)})
}

// showGroup is 5.6.8 and the SDK's ShowGroup: the group as the SDK's DescribeGroupsRespGroup
// (state, createdAt, group_id, coordinator_id, assignment_strategy, group_desc) plus the
// reference's members (without assignment) and offsets.
func (s *Server) showGroup(w http.ResponseWriter, r *http.Request) {
	g, err := s.groups.Get(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("group"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	v := viewGroup(g, false)
	created, desc := millis(g.CreatedAt), g.Description
	v.CreatedAt, v.GroupDesc = &created, &desc
	writeJSON(w, http.StatusOK, map[string]any{"group": v})
}

// groupOffsetDetailView is 5.6.6's GroupMessageOffsetsDetailEntity.
type groupOffsetDetailView struct {
	Partition             string `json:"partition"`
	MessageCurrentOffset  string `json:"message_current_offset"`
	Topic                 string `json:"topic"`
	MessageLogStartOffset int32  `json:"message_log_start_offset"`
	Lag                   int32  `json:"lag"`
	MessageLogEndOffset   int32  `json:"message_log_end_offset"`
	ConsumerID            string `json:"consumer_id"`
	Host                  string `json:"host"`
	ClientID              string `json:"client_id"`
}

// listGroupOffsets is 5.6.6. The reference documents no bounds for its paging: limit defaults to
// 10 and goes up to 1000.
func (s *Server) listGroupOffsets(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := pageParams(r, 10, 1000)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := groups.OffsetFilter{Topic: q.Get("topic"), Partition: -1}
	if v := q.Get("partition"); v != "" {
		p, err := strconv.ParseInt(v, 10, 32)
		if err != nil || p < -1 {
			writeError(w, r, invalidParam("partition must be an integer >= 0, got %q", v))
			return
		}
		f.Partition = int32(p)
	}
	total, lines, err := s.groups.Offsets(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("group"), f, offset, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]groupOffsetDetailView, 0, len(lines))
	for _, o := range lines {
		views = append(views, groupOffsetDetailView{Partition: strconv.Itoa(int(o.Partition)), MessageCurrentOffset: strconv.FormatInt(o.Committed, 10),
			Topic: o.Topic, MessageLogStartOffset: i32(o.Start), Lag: i32(o.Lag), MessageLogEndOffset: i32(o.End),
			ConsumerID: o.MemberID, Host: o.Host, ClientID: o.ClientID})
	}
	writeJSON(w, http.StatusOK, map[string]any{"group_message_offsets": views, "total": int32(total)})
}

// groupTopicView is 5.6.11's GroupTopicEntity.
type groupTopicView struct {
	Topic      string `json:"topic"`
	Partitions int32  `json:"partitions"`
	Lag        int32  `json:"lag"`
}

// listGroupTopics is 5.6.11.
func (s *Server) listGroupTopics(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := pageParams(r, 10, 50)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	tq, err := groups.ParseTopicsQuery(q.Get("topic"), q.Get("sort_key"), q.Get("sort_dir"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	total, ts, err := s.groups.Topics(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("group"), tq, offset, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]groupTopicView, 0, len(ts))
	for _, t := range ts {
		views = append(views, groupTopicView{Topic: t.Topic, Partitions: int32(t.Partitions), Lag: i32(t.Lag)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"topics": views, "total": int32(total)})
}

// groupMemberEntityView is 5.6.12's GroupMemberEntity, with the host its filter is about.
type groupMemberEntityView struct {
	MemberID string `json:"member_id"`
	ClientID string `json:"client_id"`
	Host     string `json:"host"`
}

// listGroupMembers is 5.6.12.
func (s *Server) listGroupMembers(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := pageParams(r, 10, 50)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	total, ms, err := s.groups.Members(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("group"),
		groups.MemberFilter{Host: q.Get("host"), MemberID: q.Get("member_id")}, offset, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]groupMemberEntityView, 0, len(ms))
	for _, m := range ms {
		views = append(views, groupMemberEntityView{MemberID: m.MemberID, ClientID: m.ClientID, Host: m.Host})
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": views, "total": int32(total)})
}

// deleteGroup is 5.6.9 and the SDK's DeleteGroup: 200 without a body.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	if err := s.groups.Delete(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("group")); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// batchDeleteFailedView is the SDK's BatchDeleteGroupRespFailedGroups.
type batchDeleteFailedView struct {
	GroupID      string `json:"group_id"`
	ErrorMessage string `json:"error_message"`
}

// batchDeleteGroups is 5.6.3: 200 even when some groups fail, listed in failed_groups with the
// number of failures in total.
func (s *Server) batchDeleteGroups(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GroupIDs []string `json:"group_ids"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	failed, err := s.groups.BatchDelete(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.GroupIDs)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]batchDeleteFailedView, 0, len(failed))
	for _, f := range failed {
		views = append(views, batchDeleteFailedView{GroupID: f.Group, ErrorMessage: f.Message})
	}
	writeJSON(w, http.StatusOK, map[string]any{"failed_groups": views, "total": int32(len(views))})
}

// resetOffsetLineView is one partition of a reset's dry run: the committed offset now
// (message_current_offset, -1 when none), the offset the reset would set (message_offset, the
// request's name for it) and the log range it was clamped to.
type resetOffsetLineView struct {
	Topic                 string `json:"topic"`
	Partition             int32  `json:"partition"`
	MessageCurrentOffset  int64  `json:"message_current_offset"`
	MessageOffset         int64  `json:"message_offset"`
	MessageLogStartOffset int64  `json:"message_log_start_offset"`
	MessageLogEndOffset   int64  `json:"message_log_end_offset"`
}

// resetGroupOffsets is 5.6.5 (PUT, and the POST of its examples) and 7.2.3.1: 204. OpenDMS
// extension: dry_run=true validates the request exactly as the reset does (same 4xx) and answers
// 200 {"dry_run": true, "group_message_offsets": [...]} with the offsets the reset would set,
// committing nothing; the console previews a reset with it before applying.
func (s *Server) resetGroupOffsets(w http.ResponseWriter, r *http.Request) {
	dryRun, err := boolParam(r.URL.Query(), "dry_run")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req struct {
		Topic         string `json:"topic"`
		Partition     *int32 `json:"partition"`
		MessageOffset *int64 `json:"message_offset"`
		Timestamp     *int64 `json:"timestamp"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	rr := groups.ResetRequest{Topic: req.Topic, Partition: req.Partition, MessageOffset: req.MessageOffset, Timestamp: req.Timestamp}
	if dryRun {
		lines, err := s.groups.PreviewReset(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("group"), rr)
		if err != nil {
			writeError(w, r, err)
			return
		}
		views := make([]resetOffsetLineView, 0, len(lines))
		for _, l := range lines {
			views = append(views, resetOffsetLineView{Topic: l.Topic, Partition: l.Partition, MessageCurrentOffset: l.Current,
				MessageOffset: l.New, MessageLogStartOffset: l.Start, MessageLogEndOffset: l.End})
		}
		writeJSON(w, http.StatusOK, map[string]any{"dry_run": true, "group_message_offsets": views})
		return
	}
	if _, err := s.groups.ResetOffsets(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("group"), rr); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteOffsetsTopicView is the SDK's DeleteConsumerGroupOffsetsResponseEntity.
type deleteOffsetsTopicView struct {
	Name      string  `json:"name"`
	Success   bool    `json:"success"`
	ErrorCode *string `json:"error_code,omitempty"`
}

// deleteGroupOffsets is the SDK's DeleteConsumerGroupOffsets: a result per topic.
func (s *Server) deleteGroupOffsets(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Topics []string `json:"topics"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	res, err := s.groups.DeleteOffsets(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("group"), req.Topics)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]deleteOffsetsTopicView, 0, len(res))
	for _, t := range res {
		v := deleteOffsetsTopicView{Name: t.Topic, Success: t.Success}
		if !t.Success {
			v.ErrorCode = &t.ErrorCode
		}
		views = append(views, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"topics": views})
}
