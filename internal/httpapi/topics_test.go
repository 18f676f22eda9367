package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicEnv is one running 3-broker instance for the topic tests, with a franz-go admin client at its
// brokers to check what the APIs did to the cluster.
// topicEnv is a running instance with clients (see clusterEnv).
type topicEnv = clusterEnv

func newTopicEnv(t *testing.T, name string) *topicEnv { return newClusterEnv(t, name) }

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func tpStr(s string) *string { return &s }
func tpI32(i int32) *int32   { return &i }
func tpBool(b bool) *bool    { return &b }

// metadata returns the cluster's view of a topic (a fresh request, not the client's cache).
func (te *topicEnv) metadata(t *testing.T, topic string) kadm.TopicDetail {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(tctx(t), te.kcl)
	if err != nil {
		t.Fatal(err)
	}
	td := kadm.TopicDetail{Topic: topic, Partitions: kadm.PartitionDetails{}}
	for _, rt := range resp.Topics {
		td.Err = kerr.ErrorForCode(rt.ErrorCode)
		for _, p := range rt.Partitions {
			td.Partitions[p.Partition] = kadm.PartitionDetail{Topic: topic, Partition: p.Partition, Leader: p.Leader, Replicas: p.Replicas, ISR: p.ISR}
		}
	}
	return td
}

// configs returns the topic's own configs (those set on it) as the cluster describes them.
func (te *topicEnv) configs(t *testing.T, topic string) map[string]string {
	t.Helper()
	rcs, err := te.adm.DescribeTopicConfigs(tctx(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("describe configs of %s: %v %v", topic, err, rc.Err)
	}
	out := map[string]string{}
	for _, c := range rc.Configs {
		if c.Source == kmsg.ConfigSourceDynamicTopicConfig {
			out[c.Key] = c.MaybeValue()
		}
	}
	return out
}

func (te *topicEnv) create(t *testing.T, body *model.CreateInstanceTopicReq) {
	t.Helper()
	resp, err := te.sdk.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: te.id, Body: body})
	if err != nil {
		t.Fatalf("create topic %s: %v", body.Id, err)
	}
	if deref(resp.Name) != body.Id {
		t.Fatalf("create answered name %q, want %q", deref(resp.Name), body.Id)
	}
}

func (te *topicEnv) list(t *testing.T) map[string]model.TopicEntity {
	t.Helper()
	resp, err := te.sdk.ListInstanceTopics(&model.ListInstanceTopicsRequest{InstanceId: te.id, Limit: tpStr("50")})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]model.TopicEntity{}
	for _, tp := range *resp.Topics {
		out[deref(tp.Name)] = tp
	}
	return out
}

func otherConfig(tp model.TopicEntity, name string) model.TopicEntityTopicOtherConfigs {
	for _, c := range deref(tp.TopicOtherConfigs) {
		if deref(c.Name) == name {
			return c
		}
	}
	return model.TopicEntityTopicOtherConfigs{}
}

func TestTopicsCreateListValidate(t *testing.T) {
	te := newTopicEnv(t, "kafka-topics-1")

	// Create with every setting: the cluster has them as topic configs.
	te.create(t, &model.CreateInstanceTopicReq{Id: "orders", Partition: tpI32(6), Replication: tpI32(3), RetentionTime: tpI32(48),
		SyncReplication: tpBool(true), SyncMessageFlush: tpBool(true), TopicOtherConfigs: &[]model.CreateInstanceTopicReqTopicOtherConfigs{
			{Name: tpStr("message.timestamp.type"), Value: tpStr("LogAppendTime")}, {Name: tpStr("max.message.bytes"), Value: tpStr("1048576")}}})
	md := te.metadata(t, "orders")
	if md.Err != nil || len(md.Partitions) != 6 || len(md.Partitions[0].Replicas) != 3 {
		t.Fatalf("orders in the metadata: %+v", md)
	}
	want := map[string]string{"retention.ms": "172800000", "min.insync.replicas": "2", "flush.messages": "1",
		"message.timestamp.type": "LogAppendTime", "max.message.bytes": "1048576"}
	if got := te.configs(t, "orders"); !mapsEqual(got, want) {
		t.Fatalf("orders configs %v, want %v", got, want)
	}

	// Defaults: 3 partitions, 3 replicas, 72 hours.
	te.create(t, &model.CreateInstanceTopicReq{Id: "events"})
	if md := te.metadata(t, "events"); len(md.Partitions) != 3 || len(md.Partitions[0].Replicas) != 3 {
		t.Fatalf("events in the metadata: %+v", md)
	}
	if got := te.configs(t, "events"); got["retention.ms"] != "259200000" || got["min.insync.replicas"] != "" {
		t.Fatalf("events configs %v", got)
	}

	// The reference's own example: sync_replication as a string, a config value as a number.
	resp, body := te.do(t, "POST", "/v2/"+te.ProjectID+"/instances/"+te.id+"/topics", []byte(`{"id":"test01","partition":3,"replication":3,
		"retention_time":72,"sync_message_flush":false,"sync_replication":"false","topic_other_configs":[{"name":"message.timestamp.type",
		"value":"LogAppendTime"},{"name":"max.message.bytes","value":10485760}],"topic_desc":""}`))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"test01"`) {
		t.Fatalf("reference example: %d %s", resp.StatusCode, body)
	}
	if got := te.configs(t, "test01"); got["max.message.bytes"] != "10485760" || got["min.insync.replicas"] != "1" {
		t.Fatalf("test01 configs %v", got)
	}

	// Refusals, each with the reference's code.
	long := strings.Repeat("a", 201)
	for _, tc := range []struct {
		name   string
		body   model.CreateInstanceTopicReq
		status int
		code   string
	}{
		{"name too short", model.CreateInstanceTopicReq{Id: "ab"}, 400, "DMS.00400101"},
		{"name too long", model.CreateInstanceTopicReq{Id: long}, 400, "DMS.00400101"},
		{"name starts with a digit", model.CreateInstanceTopicReq{Id: "1topic"}, 400, "DMS.00400101"},
		{"name with a space", model.CreateInstanceTopicReq{Id: "my topic"}, 400, "DMS.00400101"},
		{"no partitions", model.CreateInstanceTopicReq{Id: "t-p0", Partition: tpI32(0)}, 400, "DMS.00400102"},
		{"201 partitions", model.CreateInstanceTopicReq{Id: "t-p201", Partition: tpI32(201)}, 400, "DMS.00400102"},
		{"no replicas", model.CreateInstanceTopicReq{Id: "t-r0", Replication: tpI32(0)}, 400, "DMS.00400103"},
		{"4 replicas", model.CreateInstanceTopicReq{Id: "t-r4", Replication: tpI32(4)}, 400, "DMS.00400103"},
		{"retention 0", model.CreateInstanceTopicReq{Id: "t-ret0", RetentionTime: tpI32(0)}, 400, "DMS.00400105"},
		{"retention 721", model.CreateInstanceTopicReq{Id: "t-ret721", RetentionTime: tpI32(721)}, 400, "DMS.00400105"},
		{"sync replication of 1 replica", model.CreateInstanceTopicReq{Id: "t-sync1", Replication: tpI32(1), SyncReplication: tpBool(true)}, 400, "DMS.00400103"},
		{"unknown config", model.CreateInstanceTopicReq{Id: "t-cfg", TopicOtherConfigs: &[]model.CreateInstanceTopicReqTopicOtherConfigs{
			{Name: tpStr("cleanup.policy"), Value: tpStr("compact")}}}, 400, "DMS.00400063"},
		{"config out of range", model.CreateInstanceTopicReq{Id: "t-cfg", TopicOtherConfigs: &[]model.CreateInstanceTopicReqTopicOtherConfigs{
			{Name: tpStr("max.message.bytes"), Value: tpStr("10485761")}}}, 400, "DMS.00400063"},
		{"bad timestamp type", model.CreateInstanceTopicReq{Id: "t-cfg", TopicOtherConfigs: &[]model.CreateInstanceTopicReqTopicOtherConfigs{
			{Name: tpStr("message.timestamp.type"), Value: tpStr("WallClock")}}}, 400, "DMS.00400063"},
		{"min.insync.replicas above replicas", model.CreateInstanceTopicReq{Id: "t-cfg", Replication: tpI32(2), TopicOtherConfigs: &[]model.CreateInstanceTopicReqTopicOtherConfigs{
			{Name: tpStr("min.insync.replicas"), Value: tpStr("3")}}}, 400, "DMS.00400063"},
		{"min.insync.replicas against sync_replication", model.CreateInstanceTopicReq{Id: "t-cfg", SyncReplication: tpBool(true), TopicOtherConfigs: &[]model.CreateInstanceTopicReqTopicOtherConfigs{
			{Name: tpStr("min.insync.replicas"), Value: tpStr("1")}}}, 400, "DMS.00400063"},
		{"existing topic", model.CreateInstanceTopicReq{Id: "orders"}, 409, "DMS.00409001"},
		{"description too long", model.CreateInstanceTopicReq{Id: "t-desc", TopicDesc: tpStr(strings.Repeat("d", 1025))}, 400, "DMS.00400062"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			_, err := te.sdk.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: te.id, Body: &body})
			sdkErr(t, err, tc.status, tc.code)
		})
	}
	if md := te.metadata(t, "t-p201"); !errors.Is(md.Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("a refused topic exists: %+v", md)
	}
	_, err := te.sdk.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: "6ac4d5b4-8cd7-4b8b-9a83-31a8f9e3e4b1",
		Body: &model.CreateInstanceTopicReq{Id: "orders"}})
	sdkErr(t, err, 404, "DMS.00404022")

	// A name Kafka refuses (it collides with "dot.topic": '.' and '_' are the same in metric names)
	// is the name's code, not a 500.
	te.create(t, &model.CreateInstanceTopicReq{Id: "dot.topic", Partition: tpI32(1)})
	_, err = te.sdk.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: te.id, Body: &model.CreateInstanceTopicReq{Id: "dot_topic", Partition: tpI32(1)}})
	sdkErr(t, err, 400, "DMS.00400101")

	// The partition limit: 3 brokers x 250 = 750. 6+3+3+1 are used.
	for _, n := range []string{"big-1", "big-2", "big-3"} {
		te.create(t, &model.CreateInstanceTopicReq{Id: n, Partition: tpI32(200), Replication: tpI32(1)})
	}
	_, err = te.sdk.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: te.id, Body: &model.CreateInstanceTopicReq{Id: "big-4", Partition: tpI32(200)}})
	sdkErr(t, err, 400, "DMS.111400860")

	// List (5.5.3): the cluster's values with the SDK's types, paged, sorted by name.
	page, err := te.sdk.ListInstanceTopics(&model.ListInstanceTopicsRequest{InstanceId: te.id, Offset: tpStr("1"), Limit: tpStr("2")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tp := range *page.Topics {
		names = append(names, deref(tp.Name))
	}
	if deref(page.Total) != 7 || !slices.Equal(names, []string{"big-2", "big-3"}) || deref(page.MaxPartitions) != 750 ||
		deref(page.RemainPartitions) != 750-613 || deref(page.TopicMaxPartitions) != 200 || deref(page.Size) != 2 {
		t.Fatalf("page: total %d names %v max %d remain %d", deref(page.Total), names, deref(page.MaxPartitions), deref(page.RemainPartitions))
	}
	all := te.list(t)
	o := all["orders"]
	checks := []struct {
		name      string
		got, want any
	}{
		{"partition", deref(o.Partition), int32(6)},
		{"replication", deref(o.Replication), int32(3)},
		{"retention_time", deref(o.RetentionTime), int32(48)},
		{"sync_replication", deref(o.SyncReplication), true},
		{"sync_message_flush", deref(o.SyncMessageFlush), true},
		{"topic_type", deref(o.TopicType), int32(0)},
		{"created_at set (created through the API)", deref(o.CreatedAt) > 0, true},
		{"max.message.bytes", deref(otherConfig(o, "max.message.bytes").Value), "1048576"},
		{"max.message.bytes default", deref(otherConfig(o, "max.message.bytes").DefaultValue), "10485760"},
		{"max.message.bytes valid", deref(otherConfig(o, "max.message.bytes").ValidValues), "[0...10485760]"},
		{"message.timestamp.type", deref(otherConfig(o, "message.timestamp.type").Value), "LogAppendTime"},
		{"min.insync.replicas", deref(otherConfig(o, "min.insync.replicas").Value), "2"},
		{"events retention", deref(all["events"].RetentionTime), int32(72)},
		{"events sync_replication", deref(all["events"].SyncReplication), false},
		{"events max.message.bytes", deref(otherConfig(all["events"], "max.message.bytes").Value), "10485760"},
		{"test01 sync_replication", deref(all["test01"].SyncReplication), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for n := range all {
		if strings.HasPrefix(n, "__") {
			t.Errorf("internal topic %s is listed", n)
		}
	}
	_, err = te.sdk.ListInstanceTopics(&model.ListInstanceTopicsRequest{InstanceId: te.id, Limit: tpStr("201")}) // the real service takes up to 200 (the reference table says 50)
	sdkErr(t, err, 400, "DMS.00400062")

	// V1 (7.1.1.7-7.1.1.9): its rules, its field names, its example's "sync_replication " key.
	v1 := "/v1.0/" + te.ProjectID + "/instances/" + te.id + "/topics"
	resp, body = te.do(t, "POST", v1, []byte(`{"id":"haha","partition":3,"replication":3,"sync_replication ":true,"retention_time":10,"sync_message_flush":true}`))
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"id":"haha"}` {
		t.Fatalf("V1 create: %d %s", resp.StatusCode, body)
	}
	for _, tc := range []struct {
		body string
		code string
	}{
		{`{"id":"v1.topic"}`, "DMS.00400101"},
		{`{"id":"abc"}`, "DMS.00400101"},
		{`{"id":"v1-topic","partition":101}`, "DMS.00400102"},
		{`{"id":"v1-topic","retention_time":0}`, "DMS.00400105"},
		{`{"id":"v1-topic","sync_replication":"maybe"}`, "DMS.00400085"},
	} {
		resp, body := te.do(t, "POST", v1, []byte(tc.body))
		wantDMSError(t, resp.StatusCode, body, 400, tc.code)
	}
	resp, body = te.do(t, "GET", v1, nil)
	var l1 struct {
		Total  int       `json:"total"`
		Topics []topicV1 `json:"topics"`
	}
	if err := json.Unmarshal(body, &l1); err != nil || resp.StatusCode != 200 || l1.Total != 8 || len(l1.Topics) != 8 {
		t.Fatalf("V1 list: %d %s", resp.StatusCode, body)
	}
	i := slices.IndexFunc(l1.Topics, func(x topicV1) bool { return x.ID == "haha" })
	if h := l1.Topics[i]; h.RetentionTime != 10 || !h.SyncReplication || !h.SyncMessageFlush || h.Partition != 3 || h.Replication != 3 {
		t.Fatalf("V1 list shows haha as %+v", h)
	}
	resp, body = te.do(t, "POST", v1+"/delete", map[string]any{"topics": []string{"haha", "big-1", "big-2", "big-3", "nope"}})
	if resp.StatusCode != 200 || !strings.Contains(string(body), `{"id":"haha","success":true}`) || !strings.Contains(string(body), `{"id":"nope","success":false}`) {
		t.Fatalf("V1 delete: %d %s", resp.StatusCode, body)
	}
	resp, body = te.do(t, "POST", v1+"/delete", map[string]any{})
	wantDMSError(t, resp.StatusCode, body, 400, "DMS.00400062")

	// Batch delete (5.5.5): per-topic results; deleted topics are gone from the cluster.
	del, err := te.sdk.BatchDeleteInstanceTopic(&model.BatchDeleteInstanceTopicRequest{InstanceId: te.id,
		Body: &model.BatchDeleteInstanceTopicReq{Topics: &[]string{"events", "no-such-topic", "__consumer_offsets", "events"}}})
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, r := range *del.Topics {
		results = append(results, deref(r.Id)+"="+strconv.FormatBool(deref(r.Success)))
	}
	if !slices.Equal(results, []string{"events=true", "no-such-topic=false", "__consumer_offsets=false"}) {
		t.Fatalf("batch delete results %v", results)
	}
	if md := te.metadata(t, "events"); !errors.Is(md.Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("events still in the metadata: %+v", md)
	}
	if _, ok := te.list(t)["events"]; ok {
		t.Fatal("events still listed")
	}
	_, err = te.sdk.BatchDeleteInstanceTopic(&model.BatchDeleteInstanceTopicRequest{InstanceId: te.id, Body: &model.BatchDeleteInstanceTopicReq{}})
	sdkErr(t, err, 400, "DMS.00400062")
}

// topicV1 is a topic of 7.1.1.8.
type topicV1 struct {
	ID               string `json:"id"`
	Partition        int    `json:"partition"`
	Replication      int    `json:"replication"`
	RetentionTime    int    `json:"retention_time"`
	SyncReplication  bool   `json:"sync_replication"`
	SyncMessageFlush bool   `json:"sync_message_flush"`
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestTopicsModifyAndPartitions(t *testing.T) {
	te := newTopicEnv(t, "kafka-topics-2")
	te.create(t, &model.CreateInstanceTopicReq{Id: "orders", Partition: tpI32(6), SyncReplication: tpBool(true), SyncMessageFlush: tpBool(true)})
	te.create(t, &model.CreateInstanceTopicReq{Id: "events", Partition: tpI32(3), Replication: tpI32(1)})

	// 5.5.4: configs and two new partitions placed on the brokers named, round-robin.
	_, err := te.sdk.UpdateInstanceTopic(&model.UpdateInstanceTopicRequest{InstanceId: te.id, Body: &model.UpdateInstanceTopicReq{Topics: &[]model.UpdateInstanceTopicReqTopics{{
		Id: "orders", RetentionTime: tpI32(24), SyncReplication: tpBool(false), SyncMessageFlush: tpBool(false), NewPartitionNumbers: tpI32(8),
		NewPartitionBrokers: &[]int32{2, 0, 1}, TopicOtherConfigs: &[]model.UpdateInstanceTopicReqTopicOtherConfigs{{Name: tpStr("message.timestamp.type"), Value: tpStr("LogAppendTime")}},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	md := te.metadata(t, "orders")
	if len(md.Partitions) != 8 || !slices.Equal(md.Partitions[6].Replicas, []int32{2, 0, 1}) || !slices.Equal(md.Partitions[7].Replicas, []int32{0, 1, 2}) ||
		md.Partitions[6].Leader != 2 {
		t.Fatalf("orders after adding partitions: %+v", md.Partitions)
	}
	want := map[string]string{"retention.ms": "86400000", "min.insync.replicas": "1", "message.timestamp.type": "LogAppendTime"}
	if got := te.configs(t, "orders"); !mapsEqual(got, want) {
		t.Fatalf("orders configs %v, want %v", got, want)
	}
	o := te.list(t)["orders"]
	if deref(o.Partition) != 8 || deref(o.RetentionTime) != 24 || deref(o.SyncReplication) || deref(o.SyncMessageFlush) {
		t.Fatalf("orders listed as %+v", o)
	}

	// Refusals of 5.5.4, checked before anything is applied.
	upd := func(ts ...model.UpdateInstanceTopicReqTopics) error {
		_, err := te.sdk.UpdateInstanceTopic(&model.UpdateInstanceTopicRequest{InstanceId: te.id, Body: &model.UpdateInstanceTopicReq{Topics: &ts}})
		return err
	}
	for _, tc := range []struct {
		name   string
		topics []model.UpdateInstanceTopicReqTopics
		status int
		code   string
	}{
		{"no topics", nil, 400, "DMS.00400062"},
		{"unknown topic", []model.UpdateInstanceTopicReqTopics{{Id: "nope", RetentionTime: tpI32(1)}}, 400, "DMS.00400876"},
		{"fewer partitions", []model.UpdateInstanceTopicReqTopics{{Id: "orders", NewPartitionNumbers: tpI32(4)}}, 400, "DMS.00400102"},
		{"201 partitions", []model.UpdateInstanceTopicReqTopics{{Id: "orders", NewPartitionNumbers: tpI32(201)}}, 400, "DMS.00400102"},
		{"retention", []model.UpdateInstanceTopicReqTopics{{Id: "orders", RetentionTime: tpI32(721)}}, 400, "DMS.00400105"},
		{"no such broker", []model.UpdateInstanceTopicReqTopics{{Id: "orders", NewPartitionNumbers: tpI32(9), NewPartitionBrokers: &[]int32{0, 1, 7}}}, 400, "DMS.00400062"},
		{"fewer brokers than replicas", []model.UpdateInstanceTopicReqTopics{{Id: "orders", NewPartitionNumbers: tpI32(9), NewPartitionBrokers: &[]int32{0, 1}}}, 400, "DMS.00400861"},
		{"sync replication of 1 replica", []model.UpdateInstanceTopicReqTopics{{Id: "events", SyncReplication: tpBool(true)}}, 400, "DMS.00400103"},
		{"bad config", []model.UpdateInstanceTopicReqTopics{{Id: "events", TopicOtherConfigs: &[]model.UpdateInstanceTopicReqTopicOtherConfigs{{Name: tpStr("retention.ms"), Value: tpStr("1")}}}}, 400, "DMS.00400063"},
		{"named twice", []model.UpdateInstanceTopicReqTopics{{Id: "events", RetentionTime: tpI32(2)}, {Id: "events", RetentionTime: tpI32(3)}}, 400, "DMS.00400062"},
		{"description too long", []model.UpdateInstanceTopicReqTopics{{Id: "events", TopicDesc: tpStr(strings.Repeat("d", 1025))}}, 400, "DMS.00400062"},
	} {
		t.Run(tc.name, func(t *testing.T) { sdkErr(t, upd(tc.topics...), tc.status, tc.code) })
	}
	if got := te.configs(t, "events")["retention.ms"]; got != "259200000" {
		t.Fatalf("a refused batch changed events: retention.ms %s", got)
	}
	// 750 partitions: 8 + 3 used; 200 + 200 + 200 more is within, 3 x 200 + 200 is not.
	te.create(t, &model.CreateInstanceTopicReq{Id: "big", Partition: tpI32(200), Replication: tpI32(1)})
	te.create(t, &model.CreateInstanceTopicReq{Id: "big2", Partition: tpI32(200), Replication: tpI32(1)})
	sdkErr(t, upd(model.UpdateInstanceTopicReqTopics{Id: "orders", NewPartitionNumbers: tpI32(200)}, model.UpdateInstanceTopicReqTopics{Id: "events", NewPartitionNumbers: tpI32(200)}),
		400, "DMS.111400860")
	if md := te.metadata(t, "orders"); len(md.Partitions) != 8 {
		t.Fatalf("a refused batch added partitions: %d", len(md.Partitions))
	}

	// 7.2.2.1: the new total, at most 100.
	if _, err := te.sdk.CreatePartition(&model.CreatePartitionRequest{InstanceId: te.id, Topic: "events", Body: &model.CreatePartitionReq{Partition: tpI32(5)}}); err != nil {
		t.Fatal(err)
	}
	if md := te.metadata(t, "events"); len(md.Partitions) != 5 {
		t.Fatalf("events has %d partitions after 7.2.2.1", len(md.Partitions))
	}
	for _, tc := range []struct {
		topic string
		n     *int32
		code  string
	}{
		{"events", tpI32(5), "DMS.00400102"},
		{"events", tpI32(101), "DMS.00400102"},
		{"events", nil, "DMS.00400102"},
		{"nope", tpI32(6), "DMS.00400876"},
	} {
		_, err := te.sdk.CreatePartition(&model.CreatePartitionRequest{InstanceId: te.id, Topic: tc.topic, Body: &model.CreatePartitionReq{Partition: tc.n}})
		sdkErr(t, err, 400, tc.code)
	}
}

func TestTopicsOffsetsDetailProducers(t *testing.T) {
	te := newTopicEnv(t, "kafka-topics-3")
	te.create(t, &model.CreateInstanceTopicReq{Id: "orders", Partition: tpI32(4)})
	before := time.Now().Add(-time.Second).UnixMilli()
	var rs []*kgo.Record
	for i := range 5 {
		rs = append(rs, &kgo.Record{Topic: "orders", Partition: 0, Value: []byte("zero-" + strconv.Itoa(i))})
	}
	for i := range 3 {
		rs = append(rs, &kgo.Record{Topic: "orders", Partition: 1, Value: []byte("one-" + strconv.Itoa(i))})
	}
	if err := te.kcl.ProduceSync(tctx(t), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	// 5.5.6: offsets per partition, as the cluster has them.
	ps, err := te.sdk.ListTopicPartitions(&model.ListTopicPartitionsRequest{InstanceId: te.id, Topic: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	if deref(ps.Total) != 4 || len(*ps.Partitions) != 4 {
		t.Fatalf("partitions: %+v", ps)
	}
	for _, p := range *ps.Partitions {
		want := map[int32]int64{0: 5, 1: 3}[deref(p.Partition)]
		if deref(p.StartOffset) != 0 || deref(p.LastOffset) != want || deref(p.MessageCount) != want {
			t.Errorf("partition %d: start %d last %d count %d, want 0 %d %d", deref(p.Partition), deref(p.StartOffset), deref(p.LastOffset), deref(p.MessageCount), want, want)
		}
		if ts := deref(p.LastUpdateTime); (want > 0) != (ts >= before) {
			t.Errorf("partition %d: last_update_time %d", deref(p.Partition), ts)
		}
	}
	ps, err = te.sdk.ListTopicPartitions(&model.ListTopicPartitionsRequest{InstanceId: te.id, Topic: "orders", Offset: tpI32(1), Limit: tpI32(2)})
	if err != nil || deref(ps.Total) != 4 || len(*ps.Partitions) != 2 || deref((*ps.Partitions)[0].Partition) != 1 {
		t.Fatalf("partitions page: %+v %v", ps, err)
	}
	_, err = te.sdk.ListTopicPartitions(&model.ListTopicPartitionsRequest{InstanceId: te.id, Topic: "nope"})
	sdkErr(t, err, 400, "DMS.00400876")

	// A consumer group commits: 5.5.8 lists it among the subscribers.
	g, err := kgo.NewClient(kgo.SeedBrokers(te.seeds...), kgo.ConsumerGroup("g1"), kgo.ConsumeTopics("orders"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for got < 8 {
		fs := g.PollFetches(tctx(t))
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		got += fs.NumRecords()
	}
	if err := g.CommitUncommittedOffsets(tctx(t)); err != nil {
		t.Fatal(err)
	}
	g.Close()

	// 5.5.8: leaders, replicas, ISR, offsets, sizes, groups.
	d, err := te.sdk.ShowInstanceTopicDetail(&model.ShowInstanceTopicDetailRequest{InstanceId: te.id, Topic: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	md := te.metadata(t, "orders")
	if deref(d.Topic) != "orders" || len(*d.Partitions) != 4 || !slices.Equal(deref(d.GroupSubscribed), []string{"g1"}) {
		t.Fatalf("detail: %s, %d partitions, groups %v", deref(d.Topic), len(deref(d.Partitions)), deref(d.GroupSubscribed))
	}
	for _, p := range *d.Partitions {
		id := deref(p.Partition)
		want := int32(map[int32]int{0: 5, 1: 3}[id])
		if deref(p.Leader) != md.Partitions[id].Leader || deref(p.Hw) != want || deref(p.Leo) != want || deref(p.Lso) != 0 {
			t.Errorf("partition %d: leader %d hw %d leo %d lso %d, want leader %d offsets %d", id, deref(p.Leader), deref(p.Hw), deref(p.Leo), deref(p.Lso), md.Partitions[id].Leader, want)
		}
		if ts := deref(p.LastUpdateTimestamp); (want > 0) != (ts >= before) {
			t.Errorf("partition %d: last_update_timestamp %d", id, ts)
		}
		if len(*p.Replicas) != 3 {
			t.Fatalf("partition %d has %d replicas", id, len(*p.Replicas))
		}
		leaders := 0
		for _, r := range *p.Replicas {
			if deref(r.Leader) {
				leaders++
				if deref(r.Broker) != deref(p.Leader) {
					t.Errorf("partition %d: replica %d flagged leader", id, deref(r.Broker))
				}
			}
			if !deref(r.InSync) || deref(r.Lag) != 0 || (want > 0) != (deref(r.Size) > 0) {
				t.Errorf("partition %d replica %d: in_sync %v lag %d size %d", id, deref(r.Broker), deref(r.InSync), deref(r.Lag), deref(r.Size))
			}
		}
		if leaders != 1 {
			t.Errorf("partition %d: %d leaders", id, leaders)
		}
	}
	_, err = te.sdk.ShowInstanceTopicDetail(&model.ShowInstanceTopicDetailRequest{InstanceId: te.id, Topic: "nope"})
	sdkErr(t, err, 400, "DMS.00400876")

	// The SDK's ShowKafkaTopicDetail: a JSON array.
	kd, err := te.sdk.ShowKafkaTopicDetail(&model.ShowKafkaTopicDetailRequest{InstanceId: te.id, Topic: "orders"})
	if err != nil || len(*kd.Body) != 1 || deref((*kd.Body)[0].Topic) != "orders" || len(*(*kd.Body)[0].Partitions) != 4 ||
		len(*(*(*kd.Body)[0].Partitions)[0].Replicas) != 3 {
		t.Fatalf("ShowKafkaTopicDetail: %+v %v", kd, err)
	}

	// 5.5.7: kfake reports transactional producers in a transaction only (Kafka every idempotent one).
	prods, err := te.sdk.ListTopicProducers(&model.ListTopicProducersRequest{InstanceId: te.id, Topic: "orders"})
	if err != nil || deref(prods.Total) != 0 {
		t.Fatalf("producers after idempotent writes on kfake: %+v %v", prods, err)
	}
	tx, err := kgo.NewClient(kgo.SeedBrokers(te.seeds...), kgo.TransactionalID("tx-1"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := tx.ProduceSync(tctx(t), &kgo.Record{Topic: "orders", Partition: 2, Value: []byte("in a transaction")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	prods, err = te.sdk.ListTopicProducers(&model.ListTopicProducersRequest{InstanceId: te.id, Topic: "orders"})
	if err != nil || deref(prods.Total) != 1 {
		t.Fatalf("producers in a transaction: %+v %v", prods, err)
	}
	leader := md.Partitions[2].Leader
	p := (*prods.Producers)[0]
	if !strings.HasSuffix(deref(p.BrokerAddress), ":9092") || !strings.HasPrefix(deref(p.BrokerAddress), strings.Split(te.seeds[leader], ":")[0]+":") ||
		deref(p.JoinTime) < before {
		t.Fatalf("producer %s %d, leader %d at %s", deref(p.BrokerAddress), deref(p.JoinTime), leader, te.seeds[leader])
	}
	if err := tx.EndTransaction(tctx(t), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	_, err = te.sdk.ListTopicProducers(&model.ListTopicProducersRequest{InstanceId: te.id, Topic: "nope"})
	sdkErr(t, err, 400, "DMS.00400876")

	// 5.2.10: every broker, its share of the disk, its partitions largest first.
	du, err := te.sdk.ShowKafkaTopicPartitionDiskusage(&model.ShowKafkaTopicPartitionDiskusageRequest{InstanceId: te.id})
	if err != nil {
		t.Fatal(err)
	}
	if len(*du.BrokerList) != 3 {
		t.Fatalf("disk usage of %d brokers", len(*du.BrokerList))
	}
	for i, b := range *du.BrokerList {
		if deref(b.BrokerName) != "broker-"+strconv.Itoa(i) || deref(b.DataDiskSize) != "100G" || deref(b.Status) != "Success get info" || deref(b.DataDiskUsePercentage) != "1" {
			t.Errorf("broker %d: %+v", i, b)
		}
		found := false
		for _, tp := range *b.TopicList {
			if deref(tp.TopicName) == "orders" && deref(tp.TopicPartition) == "0" {
				found = deref(tp.Size) != "0" && deref(tp.Percentage) > 0
			}
		}
		if !found { // every broker holds a replica of every partition (3 replicas, 3 brokers)
			t.Errorf("broker %d does not list orders-0: %+v", i, *b.TopicList)
		}
	}
	du, err = te.sdk.ShowKafkaTopicPartitionDiskusage(&model.ShowKafkaTopicPartitionDiskusageRequest{InstanceId: te.id, Top: tpStr("1")})
	if err != nil || len(*(*du.BrokerList)[0].TopicList) != 1 {
		t.Fatalf("top 1: %+v %v", du, err)
	}
	du, err = te.sdk.ShowKafkaTopicPartitionDiskusage(&model.ShowKafkaTopicPartitionDiskusageRequest{InstanceId: te.id, MinSize: tpStr("1 GB")})
	if err != nil || len(*(*du.BrokerList)[0].TopicList) != 0 {
		t.Fatalf("minSize 1 GB: %+v %v", du, err)
	}
	_, err = te.sdk.ShowKafkaTopicPartitionDiskusage(&model.ShowKafkaTopicPartitionDiskusageRequest{InstanceId: te.id, MinSize: tpStr("2 GB")})
	sdkErr(t, err, 400, "DMS.00400062")
}

func TestTopicsAutoCreate(t *testing.T) {
	te := newTopicEnv(t, "kafka-topics-4")
	te.create(t, &model.CreateInstanceTopicReq{Id: "kept", Partition: tpI32(2)})
	produceTo := func(topic string) error {
		cl, err := kgo.NewClient(kgo.SeedBrokers(te.seeds...), kgo.AllowAutoTopicCreation(), kgo.RecordDeliveryTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		return cl.ProduceSync(tctx(t), &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr()
	}
	if err := produceTo("auto-1"); err == nil {
		t.Fatal("a topic was created automatically while enable_auto_topic is false")
	}

	set := func(on bool) {
		t.Helper()
		if _, err := te.sdk.UpdateInstanceAutoCreateTopic(&model.UpdateInstanceAutoCreateTopicRequest{InstanceId: te.id,
			Body: &model.UpdateInstanceAutoCreateTopicReq{EnableAutoTopic: on}}); err != nil {
			t.Fatal(err)
		}
		in := waitInstance(t, te.sdk, te.id, "RUNNING")
		if deref(in.EnableAutoTopic) != on {
			t.Fatalf("enable_auto_topic %v, want %v", deref(in.EnableAutoTopic), on)
		}
	}
	set(true)
	if err := produceTo("auto-2"); err != nil {
		t.Fatalf("produce to a new topic with enable_auto_topic: %v", err)
	}
	if md := te.metadata(t, "auto-2"); md.Err != nil || len(md.Partitions) == 0 {
		t.Fatalf("auto-2 after produce: %+v", md)
	}
	// The restart kept the topics.
	if k := te.list(t)["kept"]; deref(k.Partition) != 2 {
		t.Fatalf("kept after the restart: %+v", k)
	}
	tasks, err := te.sdk.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: te.id})
	if err != nil || deref((*tasks.Tasks)[0].Name) != "restartInstance" || deref((*tasks.Tasks)[0].Status) != "SUCCESS" {
		t.Fatalf("tasks: %+v %v", tasks, err)
	}

	// The same value again changes nothing (no restart); then off again.
	if _, err := te.sdk.UpdateInstanceAutoCreateTopic(&model.UpdateInstanceAutoCreateTopicRequest{InstanceId: te.id,
		Body: &model.UpdateInstanceAutoCreateTopicReq{EnableAutoTopic: true}}); err != nil {
		t.Fatal(err)
	}
	if tasks2, _ := te.sdk.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: te.id}); deref(tasks2.TaskCount) != deref(tasks.TaskCount) {
		t.Fatalf("setting the same value started a task: %s tasks, were %s", deref(tasks2.TaskCount), deref(tasks.TaskCount))
	}
	set(false)
	if err := produceTo("auto-3"); err == nil {
		t.Fatal("a topic was created automatically after enable_auto_topic was turned off")
	}

	resp, body := te.do(t, "POST", "/v2/"+te.ProjectID+"/instances/"+te.id+"/autotopic", map[string]any{})
	wantDMSError(t, resp.StatusCode, body, 400, "DMS.00400062")
	resp, body = te.do(t, "POST", "/v2/"+te.ProjectID+"/instances/"+te.id+"/autotopic", []byte(`{"enable_auto_topic":"yes"}`))
	wantDMSError(t, resp.StatusCode, body, 400, "DMS.00400085")
}

// A topic's description and creation time are kept beside the cluster: listed, changed by 5.5.4,
// and gone with the topic.
func TestTopicDescriptionAndCreationTime(t *testing.T) {
	te := newTopicEnv(t, "kafka-topics-5")
	before := time.Now().Add(-time.Second).UnixMilli()
	te.create(t, &model.CreateInstanceTopicReq{Id: "described", TopicDesc: tpStr("orders of the shop")})
	got := te.list(t)["described"]
	if deref(got.TopicDesc) != "orders of the shop" || deref(got.CreatedAt) < before || deref(got.CreatedAt) > time.Now().UnixMilli() {
		t.Fatalf("listed: desc %q created_at %d", deref(got.TopicDesc), deref(got.CreatedAt))
	}
	created := deref(got.CreatedAt)
	if _, err := te.sdk.UpdateInstanceTopic(&model.UpdateInstanceTopicRequest{InstanceId: te.id, Body: &model.UpdateInstanceTopicReq{
		Topics: &[]model.UpdateInstanceTopicReqTopics{{Id: "described", TopicDesc: tpStr("renamed purpose")}}}}); err != nil {
		t.Fatal(err)
	}
	if got := te.list(t)["described"]; deref(got.TopicDesc) != "renamed purpose" || deref(got.CreatedAt) != created {
		t.Fatalf("after update: desc %q created_at %d (was %d)", deref(got.TopicDesc), deref(got.CreatedAt), created)
	}
	// A topic made by a Kafka client has no description and created_at 0; deleting and recreating
	// through the API starts afresh.
	if _, err := te.sdk.BatchDeleteInstanceTopic(&model.BatchDeleteInstanceTopicRequest{InstanceId: te.id, Body: &model.BatchDeleteInstanceTopicReq{
		Topics: &[]string{"described"}}}); err != nil {
		t.Fatal(err)
	}
	te.create(t, &model.CreateInstanceTopicReq{Id: "described"})
	if got := te.list(t)["described"]; deref(got.TopicDesc) != "" {
		t.Fatalf("the old description outlived its topic: %q", deref(got.TopicDesc))
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 512: "512", 1024: "1.0K", 8192: "8.0K", 12288: "12K", 10*1024 - 1: "10K",
		53 << 20: "53M", 66 << 30: "66G", 100 << 30: "100G", 1<<20 + 1: "1.1M"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}
