package client

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
)

// Consumer groups of a Kafka instance: the reads (API reference 5.6.1, 5.6.2, 5.6.6, 5.6.11,
// 5.6.12) and the writes (5.6.3, 5.6.4, 5.6.5, 5.6.9, 5.6.10). Field names and types are the Go
// SDK's.

// Group is a consumer group as 5.6.2 lists it (GroupInfoSimple).
type Group struct {
	CreatedAt     int64  `json:"createdAt"` // Unix ms; 0 when the server does not know it
	GroupID       string `json:"group_id"`
	State         string `json:"state"` // Stable, Empty, Dead, PreparingRebalance, CompletingRebalance, ...
	CoordinatorID int    `json:"coordinator_id"`
	GroupDesc     string `json:"group_desc"`
	Lag           int64  `json:"lag"` // messages behind, over every partition
}

// GroupList is the answer of 5.6.2.
type GroupList struct {
	Total  int     `json:"total"`
	Groups []Group `json:"groups"`
}

// GroupFilter selects groups of 5.6.2. Group is a substring of the group's name. A zero Limit
// lists every match (paging through them).
type GroupFilter struct {
	Group         string
	Offset, Limit int
}

// GroupDetail is the group of 5.6.1: its members with their assignments, and its offsets.
type GroupDetail struct {
	GroupID             string        `json:"group_id"`
	State               string        `json:"state"`
	CoordinatorID       int           `json:"coordinator_id"`
	Members             []GroupMember `json:"members"`
	GroupMessageOffsets []GroupOffset `json:"group_message_offsets"`
	AssignmentStrategy  string        `json:"assignment_strategy"`
}

// GroupMember is a member (consumer) of a group: 5.6.1's with its assignment, 5.6.12's without.
type GroupMember struct {
	MemberID   string            `json:"member_id"`
	ClientID   string            `json:"client_id"`
	Host       string            `json:"host"`
	Assignment []GroupAssignment `json:"assignment,omitempty"`
}

// GroupAssignment is the partitions of one topic assigned to a member.
type GroupAssignment struct {
	Topic      string `json:"topic"`
	Partitions []int  `json:"partitions"`
}

// GroupOffset is one partition's offsets of 5.6.1: MessageCurrentOffset is the committed offset,
// -1 for a partition assigned but not committed yet.
type GroupOffset struct {
	Topic                string `json:"topic"`
	Partition            int    `json:"partition"`
	MessageCurrentOffset int64  `json:"message_current_offset"`
	MessageLogEndOffset  int64  `json:"message_log_end_offset"`
	Lag                  int64  `json:"lag"`
}

// GroupTopic is a topic a group consumes, as 5.6.11 lists it.
type GroupTopic struct {
	Topic      string `json:"topic"`
	Partitions int    `json:"partitions"`
	Lag        int64  `json:"lag"`
}

// GroupPartitionOffset is one partition's offsets of 5.6.6 (GroupMessageOffsetsDetailEntity). As
// in the SDK, Partition and MessageCurrentOffset are strings.
type GroupPartitionOffset struct {
	Topic                 string `json:"topic"`
	Partition             string `json:"partition"`
	MessageCurrentOffset  string `json:"message_current_offset"`
	MessageLogStartOffset int64  `json:"message_log_start_offset"`
	MessageLogEndOffset   int64  `json:"message_log_end_offset"`
	Lag                   int64  `json:"lag"`
	ConsumerID            string `json:"consumer_id"`
	Host                  string `json:"host"`
	ClientID              string `json:"client_id"`
}

// Page sizes: the largest limits the group APIs accept.
const (
	maxGroupPage       = 50   // 5.6.2, 5.6.11, 5.6.12
	maxGroupOffsetPage = 1000 // 5.6.6
)

// kafkaEnginePath is /v2/kafka/{project_id}/instances/{id}/elems..., the form of 5.6.6, 5.6.11 and 5.6.12.
func kafkaEnginePath(id string, elems ...string) string {
	p := "/v2/kafka/{project_id}/instances/" + url.PathEscape(id)
	for _, e := range elems {
		p += "/" + url.PathEscape(e)
	}
	return p
}

// ListGroups lists an instance's consumer groups (5.6.2). Groups is never nil.
func (c *Client) ListGroups(ctx context.Context, instanceID string, f GroupFilter) (*GroupList, error) {
	q := url.Values{}
	if f.Group != "" {
		q.Set("group", f.Group)
	}
	if f.Limit > 0 {
		q.Set("offset", strconv.Itoa(f.Offset))
		q.Set("limit", strconv.Itoa(f.Limit))
		resp, err := c.Do(ctx, http.MethodGet, instancePath(instanceID, "groups"), q, nil)
		if err != nil {
			return nil, err
		}
		var out GroupList
		if err := resp.Decode(&out); err != nil {
			return nil, err
		}
		if out.Groups == nil {
			out.Groups = []Group{}
		}
		return &out, nil
	}
	gs, total, err := pageLimited[Group](ctx, c, instancePath(instanceID, "groups"), "groups", q, f.Offset, maxGroupPage)
	if err != nil {
		return nil, err
	}
	return &GroupList{Total: total, Groups: gs}, nil
}

// GroupDetail shows a consumer group (5.6.1): state, coordinator, assignment strategy, members
// with their assignments and the committed offsets. The slices are never nil.
func (c *Client) GroupDetail(ctx context.Context, instanceID, group string) (*GroupDetail, error) {
	var out struct {
		Group GroupDetail `json:"group"`
	}
	if err := c.call(ctx, http.MethodGet, instancePath(instanceID, "management", "groups", group), nil, &out); err != nil {
		return nil, err
	}
	g := &out.Group
	if g.Members == nil {
		g.Members = []GroupMember{}
	}
	if g.GroupMessageOffsets == nil {
		g.GroupMessageOffsets = []GroupOffset{}
	}
	return g, nil
}

// GroupTopics lists the topics a consumer group consumes, with their lag (5.6.11, every page).
func (c *Client) GroupTopics(ctx context.Context, instanceID, group string) ([]GroupTopic, error) {
	out, _, err := pageLimited[GroupTopic](ctx, c, kafkaEnginePath(instanceID, "groups", group, "topics"), "topics", url.Values{}, 0, maxGroupPage)
	return out, err
}

// GroupMembers lists the members (consumers) of a consumer group (5.6.12, every page).
func (c *Client) GroupMembers(ctx context.Context, instanceID, group string) ([]GroupMember, error) {
	out, _, err := pageLimited[GroupMember](ctx, c, kafkaEnginePath(instanceID, "groups", group, "members"), "members", url.Values{}, 0, maxGroupPage)
	return out, err
}

// GroupOffsets lists a consumer group's offsets per partition, with the consumer of each (5.6.6,
// every page).
func (c *Client) GroupOffsets(ctx context.Context, instanceID, group string) ([]GroupPartitionOffset, error) {
	out, _, err := pageLimited[GroupPartitionOffset](ctx, c, kafkaEnginePath(instanceID, "groups", group, "message-offset"),
		"group_message_offsets", url.Values{}, 0, maxGroupOffsetPage)
	return out, err
}

// pageLimited fetches every item from offset on of a list paged by offset and limit that answers
// {"total":n,key:[...]}, limit pages at a time, and returns them (never nil) with the total.
func pageLimited[T any](ctx context.Context, c *Client, path, key string, q url.Values, offset, limit int) ([]T, int, error) {
	out := []T{}
	for {
		q.Set("offset", strconv.Itoa(offset))
		q.Set("limit", strconv.Itoa(limit))
		resp, err := c.Do(ctx, http.MethodGet, path, q, nil)
		if err != nil {
			return nil, 0, err
		}
		var page map[string]json.RawMessage
		if err := resp.Decode(&page); err != nil {
			return nil, 0, err
		}
		var items []T
		if err := decodeField(page, key, &items); err != nil {
			return nil, 0, err
		}
		var total int
		if err := decodeField(page, "total", &total); err != nil {
			return nil, 0, err
		}
		out = append(out, items...)
		offset += len(items)
		if len(items) == 0 || offset >= total {
			return out, total, nil
		}
	}
}

// CreateGroup creates a consumer group (5.6.4). It exists from then on, EMPTY until consumers use
// it; desc "" leaves it without a description.
func (c *Client) CreateGroup(ctx context.Context, instanceID, group, desc string) error {
	in := struct {
		GroupName string `json:"group_name"`
		GroupDesc string `json:"group_desc,omitempty"`
	}{group, desc}
	// The answer is the bare text "success", not JSON: nothing to decode.
	return c.call(ctx, http.MethodPost, kafkaInstancePath(instanceID, "group"), in, nil)
}

// UpdateGroup sets a consumer group's description (5.6.10).
func (c *Client) UpdateGroup(ctx context.Context, instanceID, group, desc string) error {
	in := struct {
		GroupDesc string `json:"group_desc"`
	}{desc}
	return c.call(ctx, http.MethodPut, kafkaEnginePath(instanceID, "groups", group), in, nil)
}

// DeleteGroup deletes one consumer group (5.6.9).
func (c *Client) DeleteGroup(ctx context.Context, instanceID, group string) error {
	return c.call(ctx, http.MethodDelete, kafkaEnginePath(instanceID, "groups", group), nil, nil)
}

// GroupDeleteFailure is a group 5.6.3 did not delete, and why.
type GroupDeleteFailure struct {
	GroupID      string `json:"group_id"`
	ErrorMessage string `json:"error_message"`
}

// DeleteGroups deletes consumer groups (5.6.3) and returns those that were not deleted (never nil):
// the call succeeds even when some fail.
func (c *Client) DeleteGroups(ctx context.Context, instanceID string, groups []string) ([]GroupDeleteFailure, error) {
	in := struct {
		GroupIDs []string `json:"group_ids"`
	}{groups}
	var out struct {
		FailedGroups []GroupDeleteFailure `json:"failed_groups"`
	}
	if err := c.call(ctx, http.MethodPost, instancePath(instanceID, "groups", "batch-delete"), in, &out); err != nil {
		return nil, err
	}
	if out.FailedGroups == nil {
		out.FailedGroups = []GroupDeleteFailure{}
	}
	return out.FailedGroups, nil
}

// Offsets of ResetGroupOffsets to move to the start or the end of each partition: the server clamps
// message_offset to each partition's [log start, log end], so the smallest and largest offsets land
// there.
const (
	OffsetEarliest int64 = 0
	OffsetLatest   int64 = math.MaxInt64
)

// ResetOffsetsRequest is 5.6.5's body: give MessageOffset or Timestamp (Unix ms; the first message
// at or after it).
type ResetOffsetsRequest struct {
	Topic         string `json:"topic,omitempty"` // "" for every topic the group has committed offsets for
	Partition     int    `json:"partition"`       // -1 for every partition
	MessageOffset *int64 `json:"message_offset,omitempty"`
	Timestamp     *int64 `json:"timestamp,omitempty"`
}

// ResetGroupOffsets moves a consumer group's committed offsets (5.6.5); the group must have no
// active members.
func (c *Client) ResetGroupOffsets(ctx context.Context, instanceID, group string, req ResetOffsetsRequest) error {
	return c.call(ctx, http.MethodPut, kafkaEnginePath(instanceID, "groups", group, "reset-message-offset"), req, nil)
}
