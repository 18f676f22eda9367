package client

import (
	"errors"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	kafkaEngPath = "/v2/kafka/" + testPID + "/instances/" + instID
	groupJS      = `{"group":{"group_id":"billing","state":"Stable","coordinator_id":2,"assignment_strategy":"range",` +
		`"members":[{"host":"/10.0.0.9","member_id":"c-1","client_id":"c","assignment":[{"topic":"orders","partitions":[0,1]}]}],` +
		`"group_message_offsets":[{"partition":0,"lag":3,"topic":"orders","message_current_offset":9,"message_log_end_offset":12},` +
		`{"partition":1,"lag":0,"topic":"orders","message_current_offset":-1,"message_log_end_offset":0}]}}`
)

func TestGroupMethods(t *testing.T) {
	ok := func(body string) clienttest.Reply { return clienttest.Reply{Status: 200, Body: body} }
	runClientCases(t, []clientCase{
		{"ListGroups all", func(c *Client) (any, error) { return c.ListGroups(ctx(), instID, GroupFilter{}) },
			"GET", instPath + "/groups",
			ok(`{"groups":[{"createdAt":0,"group_id":"billing","state":"Stable","coordinator_id":2,"group_desc":"","lag":7}],"total":1}`),
			"limit=50&offset=0", "",
			&GroupList{Total: 1, Groups: []Group{{GroupID: "billing", State: "Stable", CoordinatorID: 2, Lag: 7}}}},
		{"ListGroups filtered page", func(c *Client) (any, error) {
			return c.ListGroups(ctx(), instID, GroupFilter{Group: "bill", Offset: 5, Limit: 10})
		}, "GET", instPath + "/groups", ok(`{"total":0}`), "group=bill&limit=10&offset=5", "", &GroupList{Groups: []Group{}}},
		{"ListGroups by name, every page", func(c *Client) (any, error) { return c.ListGroups(ctx(), instID, GroupFilter{Group: "a b"}) },
			"GET", instPath + "/groups", ok(`{"groups":[],"total":0}`), "group=a+b&limit=50&offset=0", "", &GroupList{Groups: []Group{}}},
		{"GroupDetail", func(c *Client) (any, error) { return c.GroupDetail(ctx(), instID, "billing") },
			"GET", instPath + "/management/groups/billing", ok(groupJS), "", "",
			&GroupDetail{GroupID: "billing", State: "Stable", CoordinatorID: 2, AssignmentStrategy: "range",
				Members: []GroupMember{{Host: "/10.0.0.9", MemberID: "c-1", ClientID: "c", Assignment: []GroupAssignment{{Topic: "orders", Partitions: []int{0, 1}}}}},
				GroupMessageOffsets: []GroupOffset{{Topic: "orders", Partition: 0, MessageCurrentOffset: 9, MessageLogEndOffset: 12, Lag: 3},
					{Topic: "orders", Partition: 1, MessageCurrentOffset: -1}}}},
		{"GroupDetail empty", func(c *Client) (any, error) { return c.GroupDetail(ctx(), instID, "a/b") },
			"GET", instPath + "/management/groups/a/b", ok(`{"group":{"group_id":"a/b","state":"Dead"}}`), "", "",
			&GroupDetail{GroupID: "a/b", State: "Dead", Members: []GroupMember{}, GroupMessageOffsets: []GroupOffset{}}},
		{"GroupTopics", func(c *Client) (any, error) { return c.GroupTopics(ctx(), instID, "billing") },
			"GET", kafkaEngPath + "/groups/billing/topics", ok(`{"topics":[{"topic":"orders","partitions":6,"lag":3}],"total":1}`),
			"limit=50&offset=0", "", []GroupTopic{{Topic: "orders", Partitions: 6, Lag: 3}}},
		{"GroupMembers", func(c *Client) (any, error) { return c.GroupMembers(ctx(), instID, "billing") },
			"GET", kafkaEngPath + "/groups/billing/members", ok(`{"members":[{"member_id":"c-1","client_id":"c","host":"/10.0.0.9"}],"total":1}`),
			"limit=50&offset=0", "", []GroupMember{{MemberID: "c-1", ClientID: "c", Host: "/10.0.0.9"}}},
		{"GroupMembers none", func(c *Client) (any, error) { return c.GroupMembers(ctx(), instID, "billing") },
			"GET", kafkaEngPath + "/groups/billing/members", ok(`{"members":[],"total":0}`), "limit=50&offset=0", "", []GroupMember{}},
		{"GroupOffsets", func(c *Client) (any, error) { return c.GroupOffsets(ctx(), instID, "billing") },
			"GET", kafkaEngPath + "/groups/billing/message-offset", ok(`{"group_message_offsets":[{"partition":"0","message_current_offset":"9",` +
				`"topic":"orders","message_log_start_offset":2,"lag":3,"message_log_end_offset":12,"consumer_id":"c-1","host":"/10.0.0.9","client_id":"c"}],"total":1}`),
			"limit=1000&offset=0", "", []GroupPartitionOffset{{Topic: "orders", Partition: "0", MessageCurrentOffset: "9", MessageLogStartOffset: 2,
				MessageLogEndOffset: 12, Lag: 3, ConsumerID: "c-1", Host: "/10.0.0.9", ClientID: "c"}}},
	})
}

func TestGroupPaging(t *testing.T) {
	// The fake answers every page alike: 2 of 3 groups. The client asks again from offset 2 and stops.
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{"GET " + instPath + "/groups": {Status: 200,
		Body: `{"groups":[{"group_id":"a"},{"group_id":"b"}],"total":3}`}})
	l, err := newTestClient(t, f, testPID).ListGroups(ctx(), instID, GroupFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Total != 3 || len(l.Groups) != 4 {
		t.Errorf("list = %+v", l)
	}
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].RawQuery != "limit=50&offset=0" || reqs[1].RawQuery != "limit=50&offset=2" {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestGroupNotFound(t *testing.T) {
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{"GET " + instPath + "/management/groups/nope": {Status: 404,
		Body: `{"error_code":"DMS.00404022","error_msg":"The consumer group does not exist."}`}})
	_, err := newTestClient(t, f, testPID).GroupDetail(ctx(), instID, "nope")
	var ae *APIError
	if !IsNotFound(err) || !errors.As(err, &ae) || ae.Code != "DMS.00404022" {
		t.Errorf("err = %v", err)
	}
}

func TestGroupWriteMethods(t *testing.T) {
	none := func(err error) (any, error) { return nil, err }
	i64 := func(v int64) *int64 { return &v }
	runClientCases(t, []clientCase{
		{"CreateGroup", func(c *Client) (any, error) { return none(c.CreateGroup(ctx(), instID, "billing", "shop")) },
			"POST", "/v2/" + testPID + "/kafka/instances/" + instID + "/group", clienttest.Reply{Status: 200, Body: "success"}, "",
			`{"group_name":"billing","group_desc":"shop"}`, nil},
		{"CreateGroup without a description", func(c *Client) (any, error) { return none(c.CreateGroup(ctx(), instID, "billing", "")) },
			"POST", "/v2/" + testPID + "/kafka/instances/" + instID + "/group", clienttest.Reply{Status: 200, Body: "success"}, "",
			`{"group_name":"billing"}`, nil},
		{"UpdateGroup", func(c *Client) (any, error) { return none(c.UpdateGroup(ctx(), instID, "a b", "")) },
			"PUT", kafkaEngPath + "/groups/a b", clienttest.Reply{Status: 200}, "", `{"group_desc":""}`, nil},
		{"DeleteGroup", func(c *Client) (any, error) { return none(c.DeleteGroup(ctx(), instID, "billing")) },
			"DELETE", kafkaEngPath + "/groups/billing", clienttest.Reply{Status: 200}, "", "", nil},
		{"DeleteGroups", func(c *Client) (any, error) { return c.DeleteGroups(ctx(), instID, []string{"a", "b"}) },
			"POST", instPath + "/groups/batch-delete", clienttest.Reply{Status: 200, Body: `{"failed_groups":[{"group_id":"b","error_message":"gone"}],"total":1}`},
			"", `{"group_ids":["a","b"]}`, []GroupDeleteFailure{{GroupID: "b", ErrorMessage: "gone"}}},
		{"DeleteGroups all deleted", func(c *Client) (any, error) { return c.DeleteGroups(ctx(), instID, []string{"a"}) },
			"POST", instPath + "/groups/batch-delete", clienttest.Reply{Status: 200, Body: `{"total":0}`}, "", `{"group_ids":["a"]}`, []GroupDeleteFailure{}},
		{"ResetGroupOffsets to the end", func(c *Client) (any, error) {
			return none(c.ResetGroupOffsets(ctx(), instID, "billing", ResetOffsetsRequest{Topic: "orders", Partition: -1, MessageOffset: i64(OffsetLatest)}))
		}, "PUT", kafkaEngPath + "/groups/billing/reset-message-offset", clienttest.Reply{Status: 204}, "",
			`{"topic":"orders","partition":-1,"message_offset":9223372036854775807}`, nil},
		{"ResetGroupOffsets to a time", func(c *Client) (any, error) {
			return none(c.ResetGroupOffsets(ctx(), instID, "billing", ResetOffsetsRequest{Topic: "orders", Partition: 2, Timestamp: i64(1700000000000)}))
		}, "PUT", kafkaEngPath + "/groups/billing/reset-message-offset", clienttest.Reply{Status: 204}, "",
			`{"topic":"orders","partition":2,"timestamp":1700000000000}`, nil},
	})
}
