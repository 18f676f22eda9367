package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/dms"
)

// listedGroup returns a group as 5.6.2 lists it through the SDK (ok false when it is not listed).
func listedGroup(t *testing.T, ce *clusterEnv, name string) (model.GroupInfoSimple, bool) {
	t.Helper()
	resp, err := ce.sdk.ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: ce.id, Limit: tpStr("50")})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range deref(resp.Groups) {
		if deref(g.GroupId) == name {
			return g, true
		}
	}
	return model.GroupInfoSimple{}, false
}

// shownGroup returns a group as the SDK's ShowGroup and 5.6.8 show it, checking they agree.
func shownGroup(t *testing.T, ce *clusterEnv, name string) model.DescribeGroupsRespGroup {
	t.Helper()
	show, err := ce.sdk.ShowGroup(&model.ShowGroupRequest{InstanceId: ce.id, Group: name})
	if err != nil {
		t.Fatalf("ShowGroup %s: %v", name, err)
	}
	byEngine, err := ce.sdk.ListInstanceConsumerGroup(&model.ListInstanceConsumerGroupRequest{Engine: "kafka", InstanceId: ce.id, Group: name})
	if err != nil {
		t.Fatalf("5.6.8 %s: %v", name, err)
	}
	if a, b := show.Group.String(), byEngine.Group.String(); a != b {
		t.Errorf("ShowGroup %s and 5.6.8 differ:\n%s\n%s", name, a, b)
	}
	return deref(show.Group)
}

// descOf is a group's group_desc and createdAt in the list and in ShowGroup, checked to agree.
func descOf(t *testing.T, ce *clusterEnv, name string) (string, int64) {
	t.Helper()
	l, ok := listedGroup(t, ce, name)
	if !ok {
		t.Fatalf("group %s not listed", name)
	}
	s := shownGroup(t, ce, name)
	if deref(l.GroupDesc) != deref(s.GroupDesc) || deref(l.CreatedAt) != deref(s.CreatedAt) {
		t.Errorf("%s: list says %q %d, show says %q %d", name, deref(l.GroupDesc), deref(l.CreatedAt), deref(s.GroupDesc), deref(s.CreatedAt))
	}
	return deref(l.GroupDesc), deref(l.CreatedAt)
}

// modifyTasks returns the ids of the instance's 5.6.7 tasks, through the SDK.
func modifyTasks(t *testing.T, ce *clusterEnv) []string {
	t.Helper()
	resp, err := ce.sdk.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: ce.id, Limit: tpI32(100)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, task := range deref(resp.Tasks) {
		if deref(task.Name) == "modifyConsumerGroups" {
			ids = append(ids, deref(task.Id))
		}
	}
	return ids
}

func TestGroupMeta(t *testing.T) {
	ce := newClusterEnv(t, "groups-meta")
	ce.create(t, &model.CreateInstanceTopicReq{Id: "mtopic", Partition: tpI32(1)})
	for i := range 5 {
		if err := ce.kcl.ProduceSync(tctx(t), &kgo.Record{Topic: "mtopic", Partition: 0, Value: fmt.Appendf(nil, "%d", i)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	// A real group of the cluster, made by a franz-go consumer.
	member := startMember(t, ce, "kreal", "mtopic", "member")
	waitGroup(t, ce, "kreal", "stable", func(d kadm.DescribedGroup) bool { return d.State == "Stable" && len(d.Members) == 1 })

	create := func(name string, desc *string) (*model.CreateKafkaConsumerGroupResponse, error) {
		return ce.sdk.CreateKafkaConsumerGroup(&model.CreateKafkaConsumerGroupRequest{InstanceId: ce.id,
			Body: &model.CreateGroupReq{GroupName: name, GroupDesc: desc}})
	}
	before := time.Now().UnixMilli()

	t.Run("create", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			group  string
			desc   *string
			status int
			code   string
		}{
			{"ok", "api-group", strp("billing consumers"), 200, ""},
			{"ok without a description", "_api.two", nil, 200, ""},
			{"duplicate of a created group", "api-group", nil, 400, dms.CodeGroupExists},
			{"duplicate of a real group", "kreal", strp("x"), 400, dms.CodeGroupExists},
			{"name too short", "ab", nil, 400, dms.CodeGroupIDInvalid},
			{"name with a space", "bad name", nil, 400, dms.CodeGroupIDInvalid},
			{"name starting with a digit", "1group", nil, 400, dms.CodeGroupIDInvalid},
			{"name with a slash", "a/b/c", nil, 400, dms.CodeGroupIDInvalid},
			{"name too long", strings.Repeat("g", 65), nil, 400, dms.CodeGroupIDInvalid},
			{"missing name", "", nil, 400, dms.CodeGroupIDInvalid},
			{"description too long", "long-desc", strp(strings.Repeat("d", 1025)), 400, dms.CodeInvalidParameter},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, err := create(tt.group, tt.desc)
				if tt.status != 200 {
					wantSDKError(t, err, tt.status, tt.code)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if resp.HttpStatusCode != 200 || deref(resp.Body) != "success" {
					t.Fatalf("create answered %d %q, want 200 success", resp.HttpStatusCode, deref(resp.Body))
				}
			})
		}
		// The reference's example body, without the SDK.
		resp, b := ce.do(t, "POST", fmt.Sprintf("/v2/%s/kafka/instances/%s/group", ce.ProjectID, ce.id), map[string]string{"group_name": "raw_group"})
		if resp.StatusCode != 200 || string(b) != "success" {
			t.Fatalf("raw create: %d %s", resp.StatusCode, b)
		}
		resp, b = ce.do(t, "POST", fmt.Sprintf("/v2/%s/kafka/instances/%s/group", ce.ProjectID, ce.id), map[string]string{"group_desc": "no name"})
		if e := decodeError(t, b); resp.StatusCode != 400 || e.ErrorCode != dms.CodeGroupIDInvalid {
			t.Fatalf("raw create without a name: %d %s", resp.StatusCode, b)
		}
	})
	after := time.Now().UnixMilli()

	t.Run("list and show", func(t *testing.T) {
		g, ok := listedGroup(t, ce, "api-group")
		if !ok {
			t.Fatal("api-group not listed")
		}
		coords := ce.adm.FindGroupCoordinators(tctx(t), "api-group")
		if c := coords["api-group"]; c.Err != nil || deref(g.CoordinatorId) != c.NodeID {
			t.Errorf("coordinator_id %d, want %d (%v)", deref(g.CoordinatorId), c.NodeID, c.Err)
		}
		if deref(g.State) != "EMPTY" || deref(g.Lag) != 0 || deref(g.GroupDesc) != "billing consumers" ||
			deref(g.CreatedAt) < before || deref(g.CreatedAt) > after {
			t.Errorf("listed %s, want EMPTY, lag 0, its description, createdAt in [%d, %d]", g, before, after)
		}
		if desc, created := descOf(t, ce, "_api.two"); desc != "" || created < before || created > after {
			t.Errorf("_api.two: %q %d", desc, created)
		}
		if desc, created := descOf(t, ce, "kreal"); desc != "" || created != 0 {
			t.Errorf("a group made by a Kafka client: %q %d, want no description and createdAt 0", desc, created)
		}
		s := shownGroup(t, ce, "api-group")
		if deref(s.State) != "EMPTY" || deref(s.GroupDesc) != "billing consumers" || deref(s.CreatedAt) != deref(g.CreatedAt) ||
			deref(s.CoordinatorId) != deref(g.CoordinatorId) {
			t.Errorf("shown %s, listed %s", s, g)
		}
		detail, err := ce.sdk.ShowGroups(&model.ShowGroupsRequest{InstanceId: ce.id, Group: "api-group"})
		if err != nil {
			t.Fatal(err)
		}
		if d := deref(detail.Group); deref(d.State) != "EMPTY" || d.Members == nil || len(*d.Members) != 0 || len(deref(d.GroupMessageOffsets)) != 0 {
			t.Errorf("5.6.1: %s", d)
		}
		topics, err := ce.sdk.ListInstanceConsumerGroupTopics(&model.ListInstanceConsumerGroupTopicsRequest{Engine: "kafka", InstanceId: ce.id, Group: "api-group"})
		if err != nil || deref(topics.Total) != 0 || topics.Topics == nil || len(*topics.Topics) != 0 {
			t.Errorf("5.6.11: %v %v", topics, err)
		}
		members, err := ce.sdk.ListInstanceConsumerGroupMembers(&model.ListInstanceConsumerGroupMembersRequest{Engine: "kafka", InstanceId: ce.id, Group: "api-group"})
		if err != nil || deref(members.Total) != 0 || members.Members == nil || len(*members.Members) != 0 {
			t.Errorf("5.6.12: %v %v", members, err)
		}
		// The name filter and paging see the created groups among the cluster's, sorted by name.
		page, err := ce.sdk.ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: ce.id, Group: tpStr("api"), Offset: tpStr("1"), Limit: tpStr("1")})
		if err != nil {
			t.Fatal(err)
		}
		if deref(page.Total) != 2 || len(deref(page.Groups)) != 1 || deref((*page.Groups)[0].GroupId) != "api-group" {
			t.Errorf("filtered page: %s", page) // _api.two, api-group
		}
		// 7.2.3.2 lists them too; with a topic filter, a group that only was created has no topics.
		legacy := func(query string) []string {
			resp, b := ce.do(t, "GET", fmt.Sprintf("/v2/kafka/%s/instances/%s/groups?limit=50%s", ce.ProjectID, ce.id, query), nil)
			var out struct {
				Groups []groupInfoSimple `json:"groups"`
			}
			if err := json.Unmarshal(b, &out); err != nil || resp.StatusCode != 200 {
				t.Fatalf("7.2.3.2: %d %s", resp.StatusCode, b)
			}
			var names []string
			for _, g := range out.Groups {
				names = append(names, g.GroupID)
			}
			return names
		}
		if names := legacy(""); !slices.Contains(names, "api-group") || !slices.Contains(names, "kreal") {
			t.Errorf("7.2.3.2: %v", names)
		}
		if names := legacy("&topic=mtopic"); slices.Contains(names, "api-group") {
			t.Errorf("7.2.3.2 on mtopic: %v", names)
		}
	})

	t.Run("update one", func(t *testing.T) {
		update := func(group string, body *model.GroupCreateReq) error {
			_, err := ce.sdk.UpdateInstanceConsumerGroup(&model.UpdateInstanceConsumerGroupRequest{Engine: "kafka", InstanceId: ce.id, Group: group, Body: body})
			return err
		}
		if err := update("kreal", &model.GroupCreateReq{GroupName: strp("kreal"), GroupDesc: strp("the real one")}); err != nil {
			t.Fatal(err)
		}
		if desc, created := descOf(t, ce, "kreal"); desc != "the real one" || created != 0 {
			t.Errorf("kreal after 5.6.10: %q %d", desc, created)
		}
		_, created := descOf(t, ce, "api-group")
		if err := update("api-group", &model.GroupCreateReq{GroupDesc: strp("renamed desc")}); err != nil {
			t.Fatal(err)
		}
		if desc, c := descOf(t, ce, "api-group"); desc != "renamed desc" || c != created {
			t.Errorf("api-group after 5.6.10: %q %d, want the creation time kept (%d)", desc, c, created)
		}
		// No description, or no body at all as in the reference's example: nothing changes.
		if err := update("api-group", &model.GroupCreateReq{}); err != nil {
			t.Fatal(err)
		}
		if resp, b := ce.do(t, "PUT", fmt.Sprintf("/v2/kafka/%s/instances/%s/groups/api-group", ce.ProjectID, ce.id), nil); resp.StatusCode != 200 || len(b) != 0 {
			t.Errorf("5.6.10 without a body: %d %s", resp.StatusCode, b)
		}
		if desc, _ := descOf(t, ce, "api-group"); desc != "renamed desc" {
			t.Errorf("an update without group_desc changed it to %q", desc)
		}
		for _, tt := range []struct {
			name   string
			group  string
			body   *model.GroupCreateReq
			status int
			code   string
		}{
			{"rename", "kreal", &model.GroupCreateReq{GroupName: strp("other"), GroupDesc: strp("x")}, 400, dms.CodeInvalidParameter},
			{"unknown group", "nope", &model.GroupCreateReq{GroupDesc: strp("x")}, 404, dms.CodeGroupNotFound},
			{"description too long", "kreal", &model.GroupCreateReq{GroupDesc: strp(strings.Repeat("d", 1025))}, 400, dms.CodeInvalidParameter},
		} {
			t.Run(tt.name, func(t *testing.T) { wantSDKError(t, update(tt.group, tt.body), tt.status, tt.code) })
		}
	})

	t.Run("update all", func(t *testing.T) {
		groups := []model.GroupCreateReq{{GroupName: strp("kreal"), GroupDesc: strp("batch real")}, {GroupName: strp("_api.two"), GroupDesc: strp("batch two")}}
		if _, err := ce.sdk.UpdateInstanceGroup(&model.UpdateInstanceGroupRequest{Engine: "kafka", InstanceId: ce.id,
			Body: &model.BatchModiftGroupDescriptionReq{Groups: &groups}}); err != nil {
			t.Fatal(err)
		}
		// The SDK's UpdateInstanceGroupResponse has no job_id: the task is found through the task API.
		ids := modifyTasks(t, ce)
		if len(ids) != 1 {
			t.Fatalf("5.6.7 tasks: %v, want 1", ids)
		}
		if task := waitTask(t, ce.sdk, ce.id, ids[0]); deref(task.Status) != "SUCCESS" || deref(task.UserName) == "" {
			t.Fatalf("task: %s", task)
		}
		for name, want := range map[string]string{"kreal": "batch real", "_api.two": "batch two", "api-group": "renamed desc"} {
			if desc, _ := descOf(t, ce, name); desc != want {
				t.Errorf("%s: %q, want %q", name, desc, want)
			}
		}

		// The reference's flat body answers the job_id.
		path := fmt.Sprintf("/v2/kafka/%s/instances/%s/groups", ce.ProjectID, ce.id)
		resp, b := ce.do(t, "PUT", path, map[string]string{"group_name": "raw_group", "group_desc": "flat"})
		var job struct {
			JobID string `json:"job_id"`
		}
		if err := json.Unmarshal(b, &job); err != nil || resp.StatusCode != 200 || job.JobID == "" {
			t.Fatalf("flat 5.6.7: %d %s", resp.StatusCode, b)
		}
		if task := waitTask(t, ce.sdk, ce.id, job.JobID); deref(task.Status) != "SUCCESS" {
			t.Fatalf("task: %s", task)
		}
		if desc, _ := descOf(t, ce, "raw_group"); desc != "flat" {
			t.Errorf("raw_group: %q", desc)
		}

		// Every entry is checked before a task is made.
		tasks := modifyTasks(t, ce)
		for _, tt := range []struct {
			name   string
			body   any
			status int
			code   string
		}{
			{"unknown group", map[string]any{"groups": []map[string]string{{"group_name": "kreal", "group_desc": "x"}, {"group_name": "nope", "group_desc": "x"}}}, 404, dms.CodeGroupNotFound},
			{"empty list", map[string]any{"groups": []any{}}, 400, dms.CodeInvalidParameter},
			{"no body", nil, 400, dms.CodeBodyEmpty},
			{"no group_name", map[string]any{"groups": []map[string]string{{"group_desc": "x"}}}, 400, dms.CodeInvalidParameter},
			{"a group twice", map[string]any{"groups": []map[string]string{{"group_name": "kreal"}, {"group_name": "kreal"}}}, 400, dms.CodeInvalidParameter},
			{"both forms", map[string]any{"groups": []map[string]string{{"group_name": "kreal"}}, "group_name": "kreal"}, 400, dms.CodeInvalidParameter},
			{"description too long", map[string]any{"group_name": "kreal", "group_desc": strings.Repeat("d", 1025)}, 400, dms.CodeInvalidParameter},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, b := ce.do(t, "PUT", path, tt.body)
				if e := decodeError(t, b); resp.StatusCode != tt.status || e.ErrorCode != tt.code {
					t.Errorf("%d %s, want %d %s", resp.StatusCode, b, tt.status, tt.code)
				}
			})
		}
		if got := modifyTasks(t, ce); !slices.Equal(got, tasks) {
			t.Errorf("refused requests made tasks: %v, before %v", got, tasks)
		}
	})

	t.Run("reset offsets of a created group", func(t *testing.T) {
		// A group only created gets its first offsets, and stays the same group.
		_, created := descOf(t, ce, "api-group")
		if _, err := ce.sdk.ResetMessageOffsetWithEngine(&model.ResetMessageOffsetWithEngineRequest{InstanceId: ce.id, Group: "api-group",
			Body: &model.ResetMessageOffsetReq{Topic: "mtopic", Partition: -1, MessageOffset: func() *int64 { v := int64(2); return &v }()}}); err != nil {
			t.Fatal(err)
		}
		if got := committed(t, ce, "api-group", "mtopic"); !maps.Equal(got, map[int32]int64{0: 2}) {
			t.Errorf("committed %v", got)
		}
		g, _ := listedGroup(t, ce, "api-group")
		if deref(g.Lag) != 3 || deref(g.GroupDesc) != "renamed desc" || deref(g.CreatedAt) != created {
			t.Errorf("after the reset: %s", g)
		}
		// Without a topic there is nothing to reset a group without offsets to.
		_, err := ce.sdk.ResetMessageOffsetWithEngine(&model.ResetMessageOffsetWithEngineRequest{InstanceId: ce.id, Group: "raw_group",
			Body: &model.ResetMessageOffsetReq{Partition: -1, MessageOffset: func() *int64 { v := int64(2); return &v }()}})
		wantSDKError(t, err, 400, dms.CodeInvalidParameter)
	})

	t.Run("delete", func(t *testing.T) {
		// A group that only exists as created.
		if _, err := ce.sdk.DeleteInstanceConsumerGroup(&model.DeleteInstanceConsumerGroupRequest{Engine: "kafka", InstanceId: ce.id, Group: "_api.two"}); err != nil {
			t.Fatal(err)
		}
		if _, ok := listedGroup(t, ce, "_api.two"); ok {
			t.Error("_api.two still listed")
		}
		_, err := ce.sdk.ShowGroup(&model.ShowGroupRequest{InstanceId: ce.id, Group: "_api.two"})
		wantSDKError(t, err, 404, dms.CodeGroupNotFound)
		_, err = ce.sdk.DeleteInstanceConsumerGroup(&model.DeleteInstanceConsumerGroupRequest{Engine: "kafka", InstanceId: ce.id, Group: "_api.two"})
		wantSDKError(t, err, 404, dms.CodeGroupNotFound)
		_, err = ce.sdk.UpdateInstanceConsumerGroup(&model.UpdateInstanceConsumerGroupRequest{Engine: "kafka", InstanceId: ce.id, Group: "_api.two",
			Body: &model.GroupCreateReq{GroupDesc: strp("x")}})
		wantSDKError(t, err, 404, dms.CodeGroupNotFound)

		// A real group with a description: refused while it has members, then gone with its description.
		_, err = ce.sdk.DeleteGroup(&model.DeleteGroupRequest{InstanceId: ce.id, Group: "kreal"})
		wantSDKError(t, err, 409, dms.CodeGroupNotEmpty)
		if desc, _ := descOf(t, ce, "kreal"); desc != "batch real" {
			t.Errorf("a refused delete changed the description: %q", desc)
		}
		member.leave()
		waitGroup(t, ce, "kreal", "empty", func(d kadm.DescribedGroup) bool { return d.State == "Empty" })
		if _, err := ce.sdk.DeleteGroup(&model.DeleteGroupRequest{InstanceId: ce.id, Group: "kreal"}); err != nil {
			t.Fatal(err)
		}
		commitAdmin(t, ce, "kreal", "mtopic", map[int32]int64{0: 1}) // the same name, a new group
		if desc, created := descOf(t, ce, "kreal"); desc != "" || created != 0 {
			t.Errorf("a new kreal has the old one's record: %q %d", desc, created)
		}

		// 5.6.3: a created group that became the cluster's, a created one only, and one of neither.
		resp, err := ce.sdk.BatchDeleteGroup(&model.BatchDeleteGroupRequest{InstanceId: ce.id,
			Body: &model.BatchDeleteGroupReq{GroupIds: []string{"api-group", "raw_group", "nope"}}})
		if err != nil {
			t.Fatal(err)
		}
		if f := deref(resp.FailedGroups); deref(resp.Total) != 1 || len(f) != 1 || deref(f[0].GroupId) != "nope" {
			t.Errorf("batch delete: %s", resp)
		}
		names := groupNames(t, ce)
		if slices.Contains(names, "api-group") || slices.Contains(names, "raw_group") || !slices.Contains(names, "kreal") {
			t.Errorf("after the batch delete: %v", names)
		}
		// Deleted, the names are free again.
		if _, err := create("api-group", nil); err != nil {
			t.Fatal(err)
		}
		if desc, _ := descOf(t, ce, "api-group"); desc != "" {
			t.Errorf("a new api-group has the old description %q", desc)
		}
	})
}
