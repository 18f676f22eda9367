package httpapi

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The group APIs through HTTP and the official SDK on an instance with 1,000 partitions (5 topics
// of 200) and 1,000 groups, group i having committed on partition i: what a user of a large
// instance waits for. The embedded engine (kfake) serves the cluster.
const (
	benchAPITopics     = 5
	benchAPIPartitions = 200 // per topic
	benchAPIGroups     = benchAPITopics * benchAPIPartitions
)

func benchGroupsEnv(b *testing.B) *clusterEnv {
	b.Helper()
	ce := newClusterEnv(b, "groups-bench")
	ctx := tctx(b)
	var rs []*kgo.Record
	commits := make([]kadm.Offsets, 0, benchAPIGroups)
	for t := range benchAPITopics {
		topic := fmt.Sprintf("bench-%d", t)
		if _, err := ce.adm.CreateTopic(ctx, benchAPIPartitions, 3, nil, topic); err != nil {
			b.Fatal(err)
		}
		for p := range int32(benchAPIPartitions) {
			rs = append(rs, &kgo.Record{Topic: topic, Partition: p, Value: []byte("v")}, &kgo.Record{Topic: topic, Partition: p, Value: []byte("v")})
			o := make(kadm.Offsets)
			o.Add(kadm.Offset{Topic: topic, Partition: p, At: 1, LeaderEpoch: -1})
			commits = append(commits, o)
		}
	}
	if err := ce.kcl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	for i, o := range commits {
		if err := ce.adm.CommitAllOffsets(ctx, fmt.Sprintf("group-%04d", i), o); err != nil {
			b.Fatal(err)
		}
	}
	return ce
}

func BenchmarkGroupsAPI1000(b *testing.B) {
	ce := benchGroupsEnv(b)
	b.Run("list page of 50 (5.6.2)", func(b *testing.B) {
		for b.Loop() {
			resp, err := ce.sdk.ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: ce.id, Limit: tpStr("50")})
			if err != nil || deref(resp.Total) != benchAPIGroups || len(deref(resp.Groups)) != 50 || deref(resp.Groups)[0].Lag == nil || *deref(resp.Groups)[0].Lag != 1 {
				b.Fatalf("%+v, %v", resp, err)
			}
		}
	})
	b.Run("list by topic, all described (7.2.3.2)", func(b *testing.B) {
		path := "/v2/kafka/" + ce.ProjectID + "/instances/" + ce.id + "/groups?topic=bench-3&limit=50"
		for b.Loop() {
			resp, body := ce.do(b, "GET", path, nil)
			var out struct {
				Total int32 `json:"total"`
			}
			if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil || out.Total != benchAPIPartitions {
				b.Fatalf("%d %s", resp.StatusCode, body)
			}
		}
	})
	b.Run("show one (5.6.1)", func(b *testing.B) {
		for b.Loop() {
			resp, err := ce.sdk.ShowGroups(&model.ShowGroupsRequest{InstanceId: ce.id, Group: "group-0567"})
			if err != nil || resp.Group == nil || len(deref(resp.Group.GroupMessageOffsets)) != 1 {
				b.Fatalf("%+v, %v", resp, err)
			}
		}
	})
}
