package client

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	kafkaInstPath = "/v2/" + testPID + "/kafka/instances/" + instID
	topicJS       = `{"policiesOnly":false,"name":"orders","replication":3,"partition":6,"retention_time":72,"sync_replication":true,` +
		`"sync_message_flush":false,"external_configs":{},"topic_type":0,"topic_other_configs":[{"name":"max.message.bytes",` +
		`"valid_values":"[0...10485760]","default_value":"10485760","config_type":"dynamic","value":"1048576","value_type":"int"}],` +
		`"topic_desc":"","created_at":1735787045000}`
	detailJS = `{"topic":"orders","partitions":[{"partition":0,"leader":1,"leo":12,"hw":12,"lso":2,"last_update_timestamp":1735787045000,` +
		`"replicas":[{"broker":1,"leader":true,"in_sync":true,"size":4096,"lag":0},{"broker":2,"leader":false,"in_sync":false,"size":1024,"lag":7},` +
		`{"broker":0,"leader":false,"in_sync":true,"size":4096,"lag":0}]}],"group_subscribed":["billing"]}`
)

var wantTopic = Topic{Name: "orders", Partition: 6, Replication: 3, RetentionTime: 72, SyncReplication: true, ExternalConfigs: map[string]any{},
	TopicOtherConfigs: []TopicConfig{{Name: "max.message.bytes", Value: "1048576", DefaultValue: "10485760", ConfigType: "dynamic",
		ValueType: "int", ValidValues: "[0...10485760]"}}, CreatedAt: 1735787045000}

func intp(i int) *int       { return &i }
func int64p(i int64) *int64 { return &i }
func boolp(b bool) *bool    { return &b }

// clientCase is one call of a client method against the fake, and what it must send and return.
type clientCase struct {
	name      string
	call      func(c *Client) (any, error)
	method    string
	path      string
	reply     clienttest.Reply
	wantQuery string
	wantBody  string
	want      any
}

func runClientCases(t *testing.T, tests []clientCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{tt.method + " " + tt.path: tt.reply})
			c := newTestClient(t, f, testPID)
			got, err := tt.call(c)
			if err != nil {
				t.Fatal(err)
			}
			s := f.Only()
			assertSigned(t, s)
			if s.Method != tt.method || s.Path != tt.path {
				t.Errorf("request = %s %s, want %s %s", s.Method, s.Path, tt.method, tt.path)
			}
			if s.RawQuery != tt.wantQuery {
				t.Errorf("query = %q, want %q", s.RawQuery, tt.wantQuery)
			}
			if tt.wantBody == "" {
				if len(s.Body) != 0 {
					t.Errorf("body = %q, want none", s.Body)
				}
			} else {
				clienttest.JSONEqual(t, s.Body, tt.wantBody)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("result = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestTopicMethods(t *testing.T) {
	runClientCases(t, []clientCase{
		{"CreateTopic defaults", func(c *Client) (any, error) { return c.CreateTopic(ctx(), instID, CreateTopicRequest{ID: "orders"}) },
			"POST", instPath + "/topics", clienttest.Reply{Status: 200, Body: `{"name":"orders"}`}, "", `{"id":"orders"}`, "orders"},
		{"CreateTopic every field", func(c *Client) (any, error) {
			return c.CreateTopic(ctx(), instID, CreateTopicRequest{ID: "orders", Partition: 6, Replication: 3, RetentionTime: 48,
				SyncReplication: true, SyncMessageFlush: true, TopicOtherConfigs: []ConfigChange{{"max.message.bytes", "1048576"}}, TopicDesc: "d"})
		}, "POST", instPath + "/topics", clienttest.Reply{Status: 200, Body: `{"name":"orders"}`}, "",
			`{"id":"orders","partition":6,"replication":3,"retention_time":48,"sync_replication":true,"sync_message_flush":true,` +
				`"topic_other_configs":[{"name":"max.message.bytes","value":"1048576"}],"topic_desc":"d"}`, "orders"},
		{"CreateTopic without a name in the answer", func(c *Client) (any, error) {
			return c.CreateTopic(ctx(), instID, CreateTopicRequest{ID: "orders"})
		}, "POST", instPath + "/topics", clienttest.Reply{Status: 200, Body: `{}`}, "", `{"id":"orders"}`, "orders"},
		{"ListTopics page", func(c *Client) (any, error) { return c.ListTopics(ctx(), instID, TopicPage{Offset: 10, Limit: 5}) },
			"GET", instPath + "/topics", clienttest.Reply{Status: 200, Body: `{"total":11,"size":5,"remain_partitions":744,"max_partitions":750,` +
				`"topic_max_partitions":200,"topics":[` + topicJS + `]}`}, "limit=5&offset=10", "",
			&TopicList{Total: 11, Size: 5, RemainPartitions: 744, MaxPartitions: 750, TopicMaxPartitions: 200, Topics: []Topic{wantTopic}}},
		{"ListTopics none", func(c *Client) (any, error) { return c.ListTopics(ctx(), instID, TopicPage{}) },
			"GET", instPath + "/topics", clienttest.Reply{Status: 200, Body: `{"total":0,"size":50,"max_partitions":750,"remain_partitions":750,"topics":[]}`},
			"limit=50&offset=0", "", &TopicList{Size: 50, MaxPartitions: 750, RemainPartitions: 750, Topics: []Topic{}}},
		{"UpdateTopics", func(c *Client) (any, error) {
			return nil, c.UpdateTopics(ctx(), instID, []UpdateTopicRequest{
				{ID: "orders", RetentionTime: intp(24), NewPartitionNumbers: intp(9), TopicOtherConfigs: []ConfigChange{{"message.timestamp.type", "LogAppendTime"}}},
				{ID: "audit", SyncReplication: boolp(false), SyncMessageFlush: boolp(true), NewPartitionBrokers: []int{0, 1}, TopicDesc: strp("")},
			})
		}, "PUT", instPath + "/topics", clienttest.Reply{Status: 204}, "",
			`{"topics":[{"id":"orders","retention_time":24,"new_partition_numbers":9,"topic_other_configs":[{"name":"message.timestamp.type","value":"LogAppendTime"}]},` +
				`{"id":"audit","sync_replication":false,"sync_message_flush":true,"new_partition_brokers":[0,1],"topic_desc":""}]}`, nil},
		{"DeleteTopics", func(c *Client) (any, error) { return c.DeleteTopics(ctx(), instID, []string{"orders", "nope"}) },
			"POST", instPath + "/topics/delete", clienttest.Reply{Status: 200, Body: `{"topics":[{"id":"orders","success":true},{"id":"nope","success":false}]}`},
			"", `{"topics":["orders","nope"]}`, []TopicDeleteResult{{"orders", true}, {"nope", false}}},
		{"DeleteTopics empty answer", func(c *Client) (any, error) { return c.DeleteTopics(ctx(), instID, []string{"orders"}) },
			"POST", instPath + "/topics/delete", clienttest.Reply{Status: 200, Body: `{}`}, "", `{"topics":["orders"]}`, []TopicDeleteResult{}},
		{"TopicPartitions", func(c *Client) (any, error) { return c.TopicPartitions(ctx(), instID, "orders") },
			"GET", kafkaInstPath + "/topics/orders/partitions", clienttest.Reply{Status: 200, Body: `{"total":2,"partitions":[` +
				`{"partition":0,"start_offset":2,"last_offset":12,"message_count":10,"last_update_time":1735787045000},` +
				`{"partition":1,"start_offset":0,"last_offset":4294967296,"message_count":4294967296,"last_update_time":0}]}`}, "", "",
			[]TopicPartition{{0, 2, 12, 10, 1735787045000}, {1, 0, 1 << 32, 1 << 32, 0}}},
		{"TopicPartitions escapes the topic", func(c *Client) (any, error) { return c.TopicPartitions(ctx(), instID, "a/b c") },
			"GET", kafkaInstPath + "/topics/a/b c/partitions", clienttest.Reply{Status: 200, Body: `{"total":0,"partitions":[]}`}, "", "",
			[]TopicPartition{}},
		{"TopicProducers", func(c *Client) (any, error) { return c.TopicProducers(ctx(), instID, "orders") },
			"GET", kafkaInstPath + "/topics/orders/producers", clienttest.Reply{Status: 200, Body: `{"total":2,"producers":[` +
				`{"producer_address":"","broker_address":"127.20.0.1:9092","join_time":1735787045000,"producer_id":7,"producer_epoch":0,"partition":1,"last_sequence":4},` +
				`{"producer_address":"10.0.0.9:50122","broker_address":"10.0.0.1:9092","join_time":1735787046000}]}`}, "", "",
			[]TopicProducer{{BrokerAddress: "127.20.0.1:9092", JoinTime: 1735787045000, ProducerID: int64p(7), ProducerEpoch: intp(0), Partition: intp(1), LastSequence: intp(4)},
				{ProducerAddress: "10.0.0.9:50122", BrokerAddress: "10.0.0.1:9092", JoinTime: 1735787046000}}},
		{"TopicDetail", func(c *Client) (any, error) { return c.TopicDetail(ctx(), instID, "orders") },
			"GET", instPath + "/management/topics/orders", clienttest.Reply{Status: 200, Body: detailJS}, "", "",
			&TopicDetail{Topic: "orders", GroupSubscribed: []string{"billing"}, Partitions: []PartitionDetail{{Partition: 0, Leader: 1, LEO: 12, HW: 12, LSO: 2,
				LastUpdateTimestamp: 1735787045000, Replicas: []PartitionReplica{{1, true, true, 4096, 0}, {2, false, false, 1024, 7}, {0, false, true, 4096, 0}}}}}},
		{"TopicDetail nulls", func(c *Client) (any, error) { return c.TopicDetail(ctx(), instID, "orders") },
			"GET", instPath + "/management/topics/orders", clienttest.Reply{Status: 200,
				Body: `{"topic":"orders","partitions":[{"partition":0,"leader":-1,"replicas":null}],"group_subscribed":null}`}, "", "",
			&TopicDetail{Topic: "orders", GroupSubscribed: []string{}, Partitions: []PartitionDetail{{Leader: -1, Replicas: []PartitionReplica{}}}}},
	})
}

func TestPartitionDetailISR(t *testing.T) {
	var d TopicDetail
	if err := json.Unmarshal([]byte(detailJS), &d); err != nil {
		t.Fatal(err)
	}
	if got := d.Partitions[0].ISR(); !reflect.DeepEqual(got, []int{1, 0}) {
		t.Errorf("ISR = %v", got)
	}
	if got := (PartitionDetail{}).ISR(); got == nil || len(got) != 0 {
		t.Errorf("ISR of no replicas = %#v, want []", got)
	}
}

func TestListTopicsPagesThroughEverything(t *testing.T) {
	var pages []clienttest.Reply
	for i := range 3 {
		var ts []string
		for j := range min(50, 120-50*i) {
			ts = append(ts, `{"name":"t`+strconv.Itoa(50*i+j)+`"}`)
		}
		pages = append(pages, clienttest.Reply{Status: 200, Body: `{"total":120,"size":50,"max_partitions":750,"topics":[` + strings.Join(ts, ",") + `]}`})
	}
	s := newSeqServer(t, map[string][]clienttest.Reply{"GET " + instPath + "/topics": pages})
	l, err := s.client(t).ListTopics(ctx(), instID, TopicPage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Topics) != 120 || l.Topics[119].Name != "t119" || l.Total != 120 || l.MaxPartitions != 750 {
		t.Fatalf("got %d topics, total %d", len(l.Topics), l.Total)
	}
	if len(s.queries) != 3 {
		t.Fatalf("%d requests, want 3", len(s.queries))
	}
	for i, q := range s.queries {
		if q.Get("offset") != strconv.Itoa(50*i) || q.Get("limit") != "50" {
			t.Errorf("page %d query = %v", i, q)
		}
	}
}

func TestTopicPartitionsPagesWhenTheServerDoes(t *testing.T) {
	// A server that pages by itself (10 at a time) is asked again from where its page ended.
	page := func(from, n int) clienttest.Reply {
		var ps []string
		for i := from; i < from+n; i++ {
			ps = append(ps, `{"partition":`+strconv.Itoa(i)+`}`)
		}
		return clienttest.Reply{Status: 200, Body: `{"total":25,"partitions":[` + strings.Join(ps, ",") + `]}`}
	}
	path := kafkaInstPath + "/topics/orders/partitions"
	s := newSeqServer(t, map[string][]clienttest.Reply{"GET " + path: {page(0, 10), page(10, 10), page(20, 5)}})
	ps, err := s.client(t).TopicPartitions(ctx(), instID, "orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 25 || ps[24].Partition != 24 {
		t.Fatalf("got %d partitions", len(ps))
	}
	want := []string{"", "limit=10&offset=10", "limit=10&offset=20"}
	for i, q := range s.queries {
		if q.Encode() != want[i] {
			t.Errorf("request %d query = %q, want %q", i, q.Encode(), want[i])
		}
	}
}

func TestTopicErrors(t *testing.T) {
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{
		"POST " + instPath + "/topics":                  {Status: 400, Body: `{"error_code":"DMS.00400037","error_msg":"The topic already exists."}`},
		"GET " + instPath + "/management/topics/nope":   {Status: 404, Body: `{"error_code":"DMS.00404024","error_msg":"The topic does not exist: nope."}`},
		"GET " + kafkaInstPath + "/topics/x/partitions": {Status: 200, Body: `{"total":1,"partitions":{"partition":0}}`},
	})
	c := newTestClient(t, f, testPID)
	var ae *APIError
	if _, err := c.CreateTopic(ctx(), instID, CreateTopicRequest{ID: "orders"}); !errors.As(err, &ae) || ae.Code != "DMS.00400037" || ae.Status != 400 {
		t.Errorf("CreateTopic error = %v", err)
	}
	if _, err := c.TopicDetail(ctx(), instID, "nope"); !IsNotFound(err) {
		t.Errorf("TopicDetail error = %v, want a 404", err)
	}
	if _, err := c.TopicPartitions(ctx(), instID, "x"); err == nil || !strings.Contains(err.Error(), `decoding "partitions"`) {
		t.Errorf("TopicPartitions of a bad answer: %v", err)
	}
	if err := c.UpdateTopics(ctx(), instID, nil); !errors.As(err, &ae) || ae.Code != "APIGW.0101" {
		t.Errorf("UpdateTopics of an unknown route: %v", err)
	}
}

// TestTopicPathsEscape checks that topic names are escaped as path segments on the wire.
func TestTopicPathsEscape(t *testing.T) {
	f := clienttest.New(t, testAK, testSK, nil)
	c := newTestClient(t, f, testPID)
	const topic = "a/b c%"
	calls := []struct {
		call func() error
		want string
	}{
		{func() error { _, err := c.TopicPartitions(ctx(), instID, topic); return err }, kafkaInstPath + "/topics/a%2Fb%20c%25/partitions"},
		{func() error { _, err := c.TopicProducers(ctx(), instID, topic); return err }, kafkaInstPath + "/topics/a%2Fb%20c%25/producers"},
		{func() error { _, err := c.TopicDetail(ctx(), instID, topic); return err }, instPath + "/management/topics/a%2Fb%20c%25"},
		{func() error { _, _, err := c.MessageAt(ctx(), instID, topic, 1, 2); return err }, instPath + "/management/topics/a%2Fb%20c%25/partitions/1/message"},
		{func() error { _, err := c.MessagesByTime(ctx(), instID, topic, TimeQuery{}); return err }, instPath + "/management/topics/a%2Fb%20c%25/messages"},
		{func() error { _, err := c.PartitionOffsets(ctx(), instID, topic, 3); return err },
			instPath + "/management/topics/a%2Fb%20c%25/partitions/3/beginning-message"},
		{func() error { _, err := c.DeleteMessages(ctx(), instID, topic, nil); return err }, kafkaInstPath + "/topics/a%2Fb%20c%25/messages/delete"},
	}
	for _, tc := range calls {
		if err := tc.call(); !IsNotFound(err) { // the fake knows no route
			t.Errorf("%s: error %v, want the fake's 404", tc.want, err)
		}
		s := f.Last()
		assertSigned(t, s)
		if s.RawPath != tc.want {
			t.Errorf("raw path = %s, want %s", s.RawPath, tc.want)
		}
	}
}
