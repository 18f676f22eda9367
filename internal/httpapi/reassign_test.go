package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/dms"
)

// reassignReq is a 5.2.11 request through the SDK (CreateKafkaReassignmentTask).
func reassignReq(id string, throttle int32, estimate bool, es ...model.PartitionReassignEntity) *model.CreateKafkaReassignmentTaskRequest {
	body := &model.PartitionReassignRequest{Reassignments: es, TimeEstimate: &estimate}
	if throttle > 0 {
		body.Throttle = &throttle
	}
	return &model.CreateKafkaReassignmentTaskRequest{InstanceId: id, Body: body}
}

// manual is a manual entry: partition i gets plan[i] (nil: not listed).
func manual(topic string, plan map[int32][]int32) model.PartitionReassignEntity {
	var as []model.TopicAssignment
	for p, bs := range plan {
		as = append(as, model.TopicAssignment{Partition: tpI32(p), PartitionBrokers: &bs})
	}
	return model.PartitionReassignEntity{Topic: topic, Assignment: &as}
}

func automatic(topic string, rf int32, brokers ...int32) model.PartitionReassignEntity {
	e := model.PartitionReassignEntity{Topic: topic, Brokers: &brokers}
	if rf > 0 {
		e.ReplicationFactor = &rf
	}
	return e
}

// TestReassignAPIEmbedded: 5.2.11 through the official SDK and 5.2.8 and 5.2.11's reference path
// through signed HTTP on the embedded engine: every invalid plan gets the reference's error, a time
// estimate is computed from the partition's bytes (DescribeLogDirs) and the throttle, and a move is
// refused with a clear 400 (kfake moves nothing).
func TestReassignAPIEmbedded(t *testing.T) {
	ce := newClusterEnv(t, "reassign-api")
	ctx := context.Background()
	const topic = "reassign-t"
	if _, err := ce.adm.CreateTopic(ctx, 3, 2, nil, topic); err != nil {
		t.Fatal(err)
	}
	md, err := ce.adm.Metadata(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	p0 := md.Topics[topic].Partitions[0].Replicas
	// Partition 0 holds 200 KB; the move below adds one replica of it (the broker not holding it).
	value := make([]byte, 1000)
	rand.Read(value) // incompressible
	for range 200 {
		if err := ce.kcl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: 0, Value: value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var spare int32
	for _, b := range []int32{0, 1, 2} {
		if b != p0[0] && b != p0[1] {
			spare = b
		}
	}
	dirs, err := ce.adm.DescribeAllLogDirs(ctx, kadm.TopicsSet{topic: {0: {}}})
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	dirs.Each(func(d kadm.DescribedLogDir) {
		d.Topics.Each(func(p kadm.DescribedLogDirPartition) { size = max(size, p.Size) })
	})
	if size < 200_000 {
		t.Fatalf("partition 0 size %d", size)
	}

	move := map[int32][]int32{0: {spare, p0[0]}}
	for _, tc := range []struct {
		name   string
		req    *model.CreateKafkaReassignmentTaskRequest
		status int
		code   string
	}{
		{"no reassignments", reassignReq(ce.id, 0, false), 400, dms.CodeInvalidParameter},
		{"unknown topic", reassignReq(ce.id, 0, false, manual("no-such-topic", move)), 400, dms.CodeTopicNotExist},
		{"neither brokers nor assignment", reassignReq(ce.id, 0, false, model.PartitionReassignEntity{Topic: topic}), 400, dms.CodeInvalidParameter},
		{"replica count over brokers", reassignReq(ce.id, 0, false, manual(topic, map[int32][]int32{0: {0, 1, 2, 3}, 1: {1, 2, 0, 3}, 2: {2, 0, 1, 3}})), 400, dms.CodeTopicReplicaTooMany},
		{"uneven replica counts", reassignReq(ce.id, 0, false, manual(topic, map[int32][]int32{0: {0, 1, 2}, 1: {1, 2}})), 400, dms.CodeInvalidParameter},
		{"one partition's count changed", reassignReq(ce.id, 0, false, manual(topic, map[int32][]int32{0: {0, 1, 2}})), 400, dms.CodeInvalidParameter},
		{"unknown broker", reassignReq(ce.id, 0, false, manual(topic, map[int32][]int32{0: {0, 7}})), 400, dms.CodeInvalidParameter},
		{"broker twice", reassignReq(ce.id, 0, false, manual(topic, map[int32][]int32{0: {1, 1}})), 400, dms.CodeInvalidParameter},
		{"unknown partition", reassignReq(ce.id, 0, false, manual(topic, map[int32][]int32{9: {0, 1}})), 400, dms.CodeInvalidParameter},
		{"empty replica list", reassignReq(ce.id, 0, false, manual(topic, map[int32][]int32{0: {}})), 400, dms.CodeInvalidParameter},
		{"topic twice", reassignReq(ce.id, 0, false, manual(topic, move), automatic(topic, 2, 0, 1, 2)), 400, dms.CodeInvalidParameter},
		{"automatic: replication factor over brokers", reassignReq(ce.id, 0, false, automatic(topic, 3, 0, 1)), 400, dms.CodeTopicReplicaTooMany},
		{"automatic: negative replication factor", reassignReq(ce.id, 0, false, model.PartitionReassignEntity{Topic: topic, Brokers: &[]int32{0, 1}, ReplicationFactor: tpI32(-1)}), 400, dms.CodeTopicReplicaInvalid},
		{"automatic: unknown broker", reassignReq(ce.id, 0, false, automatic(topic, 2, 0, 5)), 400, dms.CodeInvalidParameter},
		{"a move on the embedded engine", reassignReq(ce.id, 0, false, manual(topic, move)), 400, dms.CodeUnsupportedType},
		{"an automatic move on the embedded engine", reassignReq(ce.id, 1000, false, automatic(topic, 2, 0, 1, 2)), 400, dms.CodeUnsupportedType},
		{"scheduled in 2100", func() *model.CreateKafkaReassignmentTaskRequest {
			r := reassignReq(ce.id, 0, false, manual(topic, move))
			r.Body.IsSchedule, r.Body.ExecuteAt = tpBool(true), tpI64(4102444800000)
			return r
		}(), 400, dms.CodeTimestampInvalid},
		{"scheduled without execute_at", func() *model.CreateKafkaReassignmentTaskRequest {
			r := reassignReq(ce.id, 0, false, manual(topic, move))
			r.Body.IsSchedule = tpBool(true)
			return r
		}(), 400, dms.CodeTimestampInvalid},
		{"execute_at without is_schedule", func() *model.CreateKafkaReassignmentTaskRequest {
			r := reassignReq(ce.id, 0, false, manual(topic, move))
			r.Body.ExecuteAt = tpI64(time.Now().Add(time.Hour).UnixMilli())
			return r
		}(), 400, dms.CodeInvalidParameter},
		{"scheduled on the embedded engine", func() *model.CreateKafkaReassignmentTaskRequest {
			r := reassignReq(ce.id, 0, false, manual(topic, move))
			r.Body.IsSchedule, r.Body.ExecuteAt = tpBool(true), tpI64(time.Now().Add(time.Hour).UnixMilli())
			return r
		}(), 400, dms.CodeUnsupportedType},
		{"unknown instance", reassignReq("6ac4d5b4-8cd7-4b8b-9a83-31a8f9e3e4b1", 0, true, manual(topic, move)), 404, dms.CodeInstanceNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ce.sdk.CreateKafkaReassignmentTask(tc.req)
			sdkErr(t, err, tc.status, tc.code)
		})
	}

	// The estimate: one replica of partition 0 added, so size bytes copied at the throttle.
	for _, tc := range []struct {
		throttle int32
		want     int32
	}{
		{1000, int32((size + 999) / 1000)},
		{10_000, int32((size + 9_999) / 10_000)},
		{100 << 20, 1}, // under a second: at least 1
	} {
		resp, err := ce.sdk.CreateKafkaReassignmentTask(reassignReq(ce.id, tc.throttle, true, manual(topic, move)))
		if err != nil {
			t.Fatal(err)
		}
		if deref(resp.ReassignmentTime) != tc.want || resp.JobId != nil {
			t.Errorf("throttle %d: reassignment_time %d job %v, want %d s (size %d)", tc.throttle, deref(resp.ReassignmentTime), resp.JobId, tc.want, size)
		}
	}
	// The reference's path answers the same.
	hr, b := ce.do(t, "POST", "/v2/kafka/"+ce.ProjectID+"/instances/"+ce.id+"/reassign", map[string]any{
		"reassignments": []any{map[string]any{"topic": topic, "assignment": []any{map[string]any{"partition": 0, "partition_brokers": move[0]}}}},
		"throttle":      1000, "time_estimate": true,
	})
	var est struct {
		ReassignmentTime *int32  `json:"reassignment_time"`
		JobID            *string `json:"job_id"`
	}
	if err := json.Unmarshal(b, &est); err != nil || hr.StatusCode != 200 || deref(est.ReassignmentTime) != int32((size+999)/1000) || est.JobID != nil {
		t.Errorf("reference path estimate: %d %s", hr.StatusCode, b)
	}

	// 5.2.8: one topic's manual plan.
	path := func(topic string) string {
		return "/v2/" + ce.ProjectID + "/instances/" + ce.id + "/management/topics/" + topic + "/replicas-reassignment"
	}
	type pr struct {
		Partition int32   `json:"partition"`
		Replicas  []int32 `json:"replicas"`
	}
	for _, tc := range []struct {
		name   string
		topic  string
		body   any
		status int
		code   string
	}{
		{"empty body", topic, []byte(""), 400, dms.CodeBodyEmpty},
		{"no partitions", topic, map[string]any{"partitions": []pr{}}, 400, dms.CodeInvalidParameter},
		{"replica count over brokers", topic, map[string]any{"partitions": []pr{{0, []int32{0, 1, 2, 3}}, {1, []int32{1, 2, 3, 0}}, {2, []int32{2, 3, 0, 1}}}}, 400, dms.CodeTopicReplicaTooMany},
		{"uneven replica counts", topic, map[string]any{"partitions": []pr{{0, []int32{0, 1}}, {1, []int32{1}}}}, 400, dms.CodeInvalidParameter},
		{"unknown broker", topic, map[string]any{"partitions": []pr{{0, []int32{0, 9}}}}, 400, dms.CodeInvalidParameter},
		{"unknown topic", "no-such-topic", map[string]any{"partitions": []pr{{0, []int32{0, 1}}}}, 400, dms.CodeTopicNotExist},
		{"replicas not a list", topic, []byte(`{"partitions":[{"partition":0,"replicas":"0,1"}]}`), 400, dms.CodeBodyInvalidKey},
		{"a valid plan on the embedded engine", topic, map[string]any{"partitions": []pr{{0, move[0]}}}, 400, dms.CodeUnsupportedType},
	} {
		t.Run("5.2.8 "+tc.name, func(t *testing.T) {
			hr, b := ce.do(t, "POST", path(tc.topic), tc.body)
			if hr.StatusCode != tc.status || decodeError(t, b).ErrorCode != tc.code {
				t.Fatalf("%d %s, want %d %s", hr.StatusCode, b, tc.status, tc.code)
			}
		})
	}
}
