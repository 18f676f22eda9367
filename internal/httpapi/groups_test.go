package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/internal/dms"
)

// groupMember is a franz-go consumer of a group that polls until closed.
type groupMember struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func startMember(t *testing.T, ce *clusterEnv, group, topic, clientID string) *groupMember {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(ce.seeds...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ClientID(clientID),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &groupMember{cl: cl, cancel: cancel}
	m.done.Go(func() {
		for ctx.Err() == nil {
			cl.PollFetches(ctx)
		}
	})
	t.Cleanup(m.leave)
	return m
}

// leave stops polling and leaves the group (idempotent).
func (m *groupMember) leave() {
	if m.cancel == nil {
		return
	}
	m.cancel()
	m.done.Wait()
	m.cl.Close()
	m.cancel = nil
}

// waitGroup polls the cluster until cond holds for the group's description.
func waitGroup(t *testing.T, ce *clusterEnv, group string, what string, cond func(kadm.DescribedGroup) bool) kadm.DescribedGroup {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds, err := ce.adm.DescribeGroups(tctx(t), group)
		if err == nil {
			if d, ok := ds[group]; ok && d.Err == nil && cond(d) {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s never %s: %+v %v", group, what, ds, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wantOffset is one partition of the group as the test computes it from the cluster.
type wantOffset struct {
	partition           int32
	committed, end, lag int64
}

func TestGroupsAPI(t *testing.T) {
	ce := newClusterEnv(t, "groups-api")
	ce.create(t, &model.CreateInstanceTopicReq{Id: "orders", Partition: tpI32(3)})
	ce.create(t, &model.CreateInstanceTopicReq{Id: "other", Partition: tpI32(1)})
	ctx := tctx(t)
	for p := range int32(3) {
		for i := range 10 {
			r := &kgo.Record{Topic: "orders", Partition: p, Value: []byte(strconv.Itoa(i))}
			if err := ce.kcl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A group that only stores offsets, on another topic: lag 0.
	idle := make(kadm.Offsets)
	idle.Add(kadm.Offset{Topic: "other", Partition: 0, At: 0, LeaderEpoch: -1})
	if err := ce.adm.CommitAllOffsets(ctx, "idle", idle); err != nil {
		t.Fatal(err)
	}

	a := startMember(t, ce, "g1", "orders", "member-a")
	b := startMember(t, ce, "g1", "orders", "member-b")
	desc := waitGroup(t, ce, "g1", "stable with 2 members on 3 partitions", func(d kadm.DescribedGroup) bool {
		return d.State == "Stable" && len(d.Members) == 2 && len(d.AssignedPartitions()["orders"]) == 3
	})
	// Commit 5, 3, 7 of the 10 records of each partition as member a (retried across a rebalance).
	commit := map[string]map[int32]kgo.EpochOffset{"orders": {0: {Epoch: -1, Offset: 5}, 1: {Epoch: -1, Offset: 3}, 2: {Epoch: -1, Offset: 7}}}
	for i := 0; ; i++ {
		var cerr error
		a.cl.CommitOffsetsSync(ctx, commit, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			cerr = err
			if err == nil {
				for _, rt := range resp.Topics {
					for _, rp := range rt.Partitions {
						if rp.ErrorCode != 0 {
							cerr = fmt.Errorf("partition %d: code %d", rp.Partition, rp.ErrorCode)
						}
					}
				}
			}
		})
		if cerr == nil {
			break
		}
		if i > 50 {
			t.Fatalf("commit: %v", cerr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	desc = waitGroup(t, ce, "g1", "stable", func(d kadm.DescribedGroup) bool { return d.State == "Stable" && len(d.Members) == 2 })

	// What the test computes from the cluster itself.
	fetched, err := ce.adm.FetchOffsets(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	ends, err := ce.adm.ListEndOffsets(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	var want []wantOffset
	var wantLag int64
	for p := range int32(3) {
		c, _ := fetched.Lookup("orders", p)
		e, _ := ends.Lookup("orders", p)
		w := wantOffset{partition: p, committed: c.At, end: e.Offset, lag: e.Offset - c.At}
		want = append(want, w)
		wantLag += w.lag
	}
	if wantLag != 15 || want[1].committed != 3 || want[1].end != 10 {
		t.Fatalf("the cluster has %+v (lag %d), want commits 5,3,7 of 10", want, wantLag)
	}

	// 5.6.2: the list shows both groups with their lag; filter and paging.
	listGroups := func(q *model.ListInstanceConsumerGroupsRequest) (int32, map[string]model.GroupInfoSimple) {
		t.Helper()
		q.InstanceId = ce.id
		resp, err := ce.sdk.ListInstanceConsumerGroups(q)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]model.GroupInfoSimple{}
		for _, g := range deref(resp.Groups) {
			out[deref(g.GroupId)] = g
		}
		return deref(resp.Total), out
	}
	total, gs := listGroups(&model.ListInstanceConsumerGroupsRequest{})
	g1 := gs["g1"]
	if total != 2 || len(gs) != 2 || deref(g1.Lag) != wantLag || deref(g1.State) != "STABLE" || deref(g1.CoordinatorId) != desc.Coordinator.NodeID ||
		deref(gs["idle"].Lag) != 0 || deref(gs["idle"].State) != "EMPTY" {
		t.Fatalf("list: total %d %+v", total, gs)
	}
	for _, tt := range []struct {
		name       string
		req        model.ListInstanceConsumerGroupsRequest
		total      int32
		wantGroups []string
	}{
		{"filter", model.ListInstanceConsumerGroupsRequest{Group: tpStr("g")}, 1, []string{"g1"}},
		{"first page", model.ListInstanceConsumerGroupsRequest{Limit: tpStr("1")}, 2, []string{"g1"}},
		{"second page", model.ListInstanceConsumerGroupsRequest{Offset: tpStr("1"), Limit: tpStr("1")}, 2, []string{"idle"}},
		{"past the end", model.ListInstanceConsumerGroupsRequest{Offset: tpStr("5")}, 2, nil},
	} {
		total, gs := listGroups(&tt.req)
		names := slices.Sorted(maps.Keys(gs))
		if total != tt.total || !slices.Equal(names, tt.wantGroups) {
			t.Errorf("%s: total %d groups %v, want %d %v", tt.name, total, names, tt.total, tt.wantGroups)
		}
	}

	// 5.6.1: members, assignments and per-partition offsets.
	checkDetail := func(state string, members int) {
		t.Helper()
		resp, err := ce.sdk.ShowGroups(&model.ShowGroupsRequest{InstanceId: ce.id, Group: "g1"})
		if err != nil {
			t.Fatal(err)
		}
		g := resp.Group
		if deref(g.GroupId) != "g1" || deref(g.State) != state || len(deref(g.Members)) != members || deref(g.CoordinatorId) != desc.Coordinator.NodeID {
			t.Fatalf("detail: %s %s coordinator %d, %d members", deref(g.GroupId), deref(g.State), deref(g.CoordinatorId), len(deref(g.Members)))
		}
		if members > 0 && deref(g.AssignmentStrategy) != desc.Protocol {
			t.Errorf("assignment_strategy %q, want %q", deref(g.AssignmentStrategy), desc.Protocol)
		}
		offs := deref(g.GroupMessageOffsets)
		if len(offs) != len(want) {
			t.Fatalf("offsets %+v, want %+v", offs, want)
		}
		for i, w := range want {
			o := offs[i]
			if deref(o.Topic) != "orders" || deref(o.Partition) != w.partition || deref(o.MessageCurrentOffset) != w.committed ||
				deref(o.MessageLogEndOffset) != w.end || deref(o.Lag) != w.lag {
				t.Errorf("offset %d: %s-%d current %d end %d lag %d, want %+v", i, deref(o.Topic), deref(o.Partition),
					deref(o.MessageCurrentOffset), deref(o.MessageLogEndOffset), deref(o.Lag), w)
			}
		}
		// Each member's assignment is what the coordinator says.
		wantAssign := map[string][]int32{}
		for _, m := range desc.Members {
			if ca, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range ca.Topics {
					wantAssign[m.MemberID] = slices.Sorted(slices.Values(t.Partitions))
				}
			}
		}
		for _, m := range deref(g.Members) {
			var got []int32
			for _, as := range deref(m.Assignment) {
				got = append(got, deref(as.Partitions)...)
			}
			if !slices.Equal(got, wantAssign[deref(m.MemberId)]) || (deref(m.ClientId) != "member-a" && deref(m.ClientId) != "member-b") || deref(m.Host) == "" {
				t.Errorf("member %s (%s, %s) assigned %v, want %v", deref(m.MemberId), deref(m.ClientId), deref(m.Host), got, wantAssign[deref(m.MemberId)])
			}
		}
	}
	checkDetail("STABLE", 2)

	// 5.6.8 and the SDK's ShowGroup.
	one, err := ce.sdk.ListInstanceConsumerGroup(&model.ListInstanceConsumerGroupRequest{Engine: "kafka", InstanceId: ce.id, Group: "g1"})
	if err != nil || deref(one.Group.GroupId) != "g1" || deref(one.Group.State) != "STABLE" || deref(one.Group.CoordinatorId) != desc.Coordinator.NodeID ||
		deref(one.Group.AssignmentStrategy) != desc.Protocol || one.Group.CreatedAt == nil {
		t.Fatalf("5.6.8: %+v %v", one, err)
	}
	shown, err := ce.sdk.ShowGroup(&model.ShowGroupRequest{InstanceId: ce.id, Group: "g1"})
	if err != nil || deref(shown.Group.GroupId) != "g1" || deref(shown.Group.State) != "STABLE" {
		t.Fatalf("ShowGroup: %+v %v", shown, err)
	}

	// 5.6.12: members, with filters and paging.
	members, err := ce.sdk.ListInstanceConsumerGroupMembers(&model.ListInstanceConsumerGroupMembersRequest{Engine: "kafka", InstanceId: ce.id, Group: "g1"})
	if err != nil || deref(members.Total) != 2 || len(deref(members.Members)) != 2 {
		t.Fatalf("members: %+v %v", members, err)
	}
	firstID := deref((*members.Members)[0].MemberId)
	members, err = ce.sdk.ListInstanceConsumerGroupMembers(&model.ListInstanceConsumerGroupMembersRequest{Engine: "kafka", InstanceId: ce.id, Group: "g1", MemberId: &firstID})
	if err != nil || deref(members.Total) != 1 || deref((*members.Members)[0].MemberId) != firstID {
		t.Fatalf("members filtered by %s: %+v %v", firstID, members, err)
	}

	// 5.6.11: topics.
	topicsResp, err := ce.sdk.ListInstanceConsumerGroupTopics(&model.ListInstanceConsumerGroupTopicsRequest{Engine: "kafka", InstanceId: ce.id, Group: "g1"})
	if err != nil || deref(topicsResp.Total) != 1 || deref((*topicsResp.Topics)[0].Topic) != "orders" ||
		deref((*topicsResp.Topics)[0].Partitions) != 3 || int64(deref((*topicsResp.Topics)[0].Lag)) != wantLag {
		t.Fatalf("topics: %+v %v", topicsResp, err)
	}

	// 5.6.6: offsets, with filters and paging.
	for _, tt := range []struct {
		name           string
		topic          string
		partition      *string
		offset, limit  *string
		total          int32
		wantPartitions []int32
	}{
		{"all", "", nil, nil, nil, 3, []int32{0, 1, 2}},
		{"first page", "orders", nil, nil, tpStr("2"), 3, []int32{0, 1}},
		{"second page", "orders", nil, tpStr("2"), tpStr("2"), 3, []int32{2}},
		{"one partition", "orders", tpStr("1"), nil, nil, 1, []int32{1}},
		{"another topic", "other", nil, nil, nil, 0, nil},
	} {
		resp, err := ce.sdk.ListInstanceConsumerGroupMessageOffset(&model.ListInstanceConsumerGroupMessageOffsetRequest{Engine: "kafka",
			InstanceId: ce.id, Group: "g1", Topic: tt.topic, Partition: tt.partition, Offset: tt.offset, Limit: tt.limit})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []int32
		for _, o := range deref(resp.GroupMessageOffsets) {
			p, _ := strconv.Atoi(deref(o.Partition))
			got = append(got, int32(p))
			w := want[p]
			if deref(o.MessageCurrentOffset) != strconv.FormatInt(w.committed, 10) || int64(deref(o.MessageLogEndOffset)) != w.end ||
				int64(deref(o.Lag)) != w.lag || deref(o.MessageLogStartOffset) != 0 || deref(o.ConsumerId) == "" || deref(o.ClientId) == "" {
				t.Errorf("%s: line %+v, want %+v", tt.name, o, w)
			}
		}
		if deref(resp.Total) != tt.total || !slices.Equal(got, tt.wantPartitions) {
			t.Errorf("%s: total %d partitions %v, want %d %v", tt.name, deref(resp.Total), got, tt.total, tt.wantPartitions)
		}
	}

	// 7.2.3.2: the legacy list with its topic filter.
	for topic, wantTotal := range map[string]int{"orders": 1, "other": 1, "none": 0, "": 2} {
		resp, body := ce.do(t, "GET", fmt.Sprintf("/v2/kafka/%s/instances/%s/groups?topic=%s", ce.ProjectID, ce.id, topic), nil)
		var l struct {
			Total  int `json:"total"`
			Groups []struct {
				GroupID string `json:"group_id"`
				Lag     int64  `json:"lag"`
			} `json:"groups"`
		}
		if resp.StatusCode != 200 || json.Unmarshal(body, &l) != nil || l.Total != wantTotal || len(l.Groups) != wantTotal {
			t.Errorf("legacy list topic=%q: %d %s", topic, resp.StatusCode, body)
		}
	}

	// Unknown groups are 404 with the reference's code, on every API.
	_, err = ce.sdk.ShowGroups(&model.ShowGroupsRequest{InstanceId: ce.id, Group: "nope"})
	wantSDKError(t, err, 404, dms.CodeGroupNotFound)
	_, err = ce.sdk.ListInstanceConsumerGroup(&model.ListInstanceConsumerGroupRequest{Engine: "kafka", InstanceId: ce.id, Group: "nope"})
	wantSDKError(t, err, 404, dms.CodeGroupNotFound)
	_, err = ce.sdk.ListInstanceConsumerGroupMessageOffset(&model.ListInstanceConsumerGroupMessageOffsetRequest{Engine: "kafka", InstanceId: ce.id, Group: "nope"})
	wantSDKError(t, err, 404, dms.CodeGroupNotFound)
	_, err = ce.sdk.ListInstanceConsumerGroupMembers(&model.ListInstanceConsumerGroupMembersRequest{Engine: "kafka", InstanceId: ce.id, Group: "nope"})
	wantSDKError(t, err, 404, dms.CodeGroupNotFound)
	// Bad parameters.
	_, err = ce.sdk.ListInstanceConsumerGroupTopics(&model.ListInstanceConsumerGroupTopicsRequest{Engine: "kafka", InstanceId: ce.id, Group: "g1", SortKey: tpStr("size")})
	wantSDKError(t, err, 400, dms.CodeInvalidParameter)
	_, err = ce.sdk.ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: ce.id, Limit: tpStr("51")})
	wantSDKError(t, err, 400, dms.CodeInvalidParameter)
	// A description (5.6.10, kept by OpenDMS: groups_meta_test.go) does not disturb the group.
	if resp, body := ce.do(t, "PUT", fmt.Sprintf("/v2/kafka/%s/instances/%s/groups/g1", ce.ProjectID, ce.id), map[string]string{"group_desc": "x"}); resp.StatusCode != 200 {
		t.Errorf("modify group: %d %s", resp.StatusCode, body)
	}

	// The members leave: the group is Empty, its lag unchanged.
	a.leave()
	b.leave()
	waitGroup(t, ce, "g1", "empty", func(d kadm.DescribedGroup) bool { return d.State == "Empty" })
	total, gs = listGroups(&model.ListInstanceConsumerGroupsRequest{})
	if total != 2 || deref(gs["g1"].State) != "EMPTY" || deref(gs["g1"].Lag) != wantLag {
		t.Fatalf("after leaving: %+v", gs["g1"])
	}
	checkDetail("EMPTY", 0)
}
