package httpapi

import (
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

// commitAdmin commits offsets of topic for an empty group from the admin client.
func commitAdmin(t *testing.T, ce *clusterEnv, group, topic string, at map[int32]int64) {
	t.Helper()
	os := make(kadm.Offsets)
	for p, o := range at {
		os.Add(kadm.Offset{Topic: topic, Partition: p, At: o, LeaderEpoch: -1})
	}
	if err := ce.adm.CommitAllOffsets(tctx(t), group, os); err != nil {
		t.Fatal(err)
	}
}

// committed returns the group's committed offsets of topic.
func committed(t *testing.T, ce *clusterEnv, group, topic string) map[int32]int64 {
	t.Helper()
	f, err := ce.adm.FetchOffsets(tctx(t), group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	f.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil && o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}

// firstOffsets starts a new consumer of the group (which resets to the END when it has no commit,
// so only committed offsets make it read anything), returns the offset of the first record it gets
// from each partition of want, then leaves the group.
func firstOffsets(t *testing.T, ce *clusterEnv, group, topic string, want []int32) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(ce.seeds...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[int32]int64{}
	ctx := tctx(t)
	for len(got) < len(want) && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if _, ok := got[r.Partition]; !ok {
				got[r.Partition] = r.Offset
			}
		})
	}
	cl.Close()
	waitGroup(t, ce, group, "empty", func(d kadm.DescribedGroup) bool { return d.State == "Empty" })
	return got
}

func groupNames(t *testing.T, ce *clusterEnv) []string {
	t.Helper()
	resp, err := ce.sdk.ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: ce.id, Limit: tpStr("50")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range deref(resp.Groups) {
		names = append(names, deref(g.GroupId))
	}
	return names
}

func TestGroupWrites(t *testing.T) {
	ce := newClusterEnv(t, "groups-write")
	ce.create(t, &model.CreateInstanceTopicReq{Id: "wtopic", Partition: tpI32(2)})
	ce.create(t, &model.CreateInstanceTopicReq{Id: "xtopic", Partition: tpI32(1)})
	// 10 records per partition of w, record i written at base + i seconds.
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for p := range int32(2) {
		for i := range 10 {
			r := &kgo.Record{Topic: "wtopic", Partition: p, Value: []byte("v"), Timestamp: base.Add(time.Duration(i) * time.Second)}
			if err := ce.kcl.ProduceSync(tctx(t), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	stable := func(group string) {
		t.Helper()
		waitGroup(t, ce, group, "stable", func(d kadm.DescribedGroup) bool { return d.State == "Stable" && len(d.Members) == 1 })
	}
	empty := func(group string) {
		t.Helper()
		waitGroup(t, ce, group, "empty", func(d kadm.DescribedGroup) bool { return d.State == "Empty" })
	}

	t.Run("delete", func(t *testing.T) {
		m := startMember(t, ce, "gd", "wtopic", "member")
		stable("gd")
		_, err := ce.sdk.DeleteInstanceConsumerGroup(&model.DeleteInstanceConsumerGroupRequest{Engine: "kafka", InstanceId: ce.id, Group: "gd"})
		wantSDKError(t, err, 409, dms.CodeGroupNotEmpty)
		_, err = ce.sdk.DeleteGroup(&model.DeleteGroupRequest{InstanceId: ce.id, Group: "gd"})
		wantSDKError(t, err, 409, dms.CodeGroupNotEmpty)
		m.leave()
		empty("gd")
		if _, err := ce.sdk.DeleteInstanceConsumerGroup(&model.DeleteInstanceConsumerGroupRequest{Engine: "kafka", InstanceId: ce.id, Group: "gd"}); err != nil {
			t.Fatal(err)
		}
		_, err = ce.sdk.ShowGroup(&model.ShowGroupRequest{InstanceId: ce.id, Group: "gd"})
		wantSDKError(t, err, 404, dms.CodeGroupNotFound)
		if slices.Contains(groupNames(t, ce), "gd") {
			t.Errorf("gd still listed")
		}
		// The SDK's DeleteGroup path, on an empty group that only stores offsets.
		commitAdmin(t, ce, "gd2", "wtopic", map[int32]int64{0: 1})
		if _, err := ce.sdk.DeleteGroup(&model.DeleteGroupRequest{InstanceId: ce.id, Group: "gd2"}); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(groupNames(t, ce), "gd2") {
			t.Errorf("gd2 still listed")
		}
		_, err = ce.sdk.DeleteGroup(&model.DeleteGroupRequest{InstanceId: ce.id, Group: "nope"})
		wantSDKError(t, err, 404, dms.CodeGroupNotFound)
		_, err = ce.sdk.DeleteInstanceConsumerGroup(&model.DeleteInstanceConsumerGroupRequest{Engine: "kafka", InstanceId: ce.id, Group: "nope"})
		wantSDKError(t, err, 404, dms.CodeGroupNotFound)
	})

	t.Run("batch delete", func(t *testing.T) {
		startMember(t, ce, "gactive", "wtopic", "member")
		stable("gactive")
		commitAdmin(t, ce, "gidle", "wtopic", map[int32]int64{0: 2})
		resp, err := ce.sdk.BatchDeleteGroup(&model.BatchDeleteGroupRequest{InstanceId: ce.id,
			Body: &model.BatchDeleteGroupReq{GroupIds: []string{"gidle", "nope", "gactive", "gidle"}}})
		if err != nil {
			t.Fatal(err)
		}
		failed := map[string]string{}
		for _, f := range deref(resp.FailedGroups) {
			failed[deref(f.GroupId)] = deref(f.ErrorMessage)
		}
		if deref(resp.Total) != 2 || len(failed) != 2 || !strings.Contains(failed["nope"], "does not exist") ||
			!strings.Contains(failed["gactive"], "NON_EMPTY_GROUP") {
			t.Fatalf("batch delete: total %d failed %v", deref(resp.Total), failed)
		}
		names := groupNames(t, ce)
		if slices.Contains(names, "gidle") || !slices.Contains(names, "gactive") {
			t.Errorf("after batch delete: %v", names)
		}
		_, err = ce.sdk.BatchDeleteGroup(&model.BatchDeleteGroupRequest{InstanceId: ce.id, Body: &model.BatchDeleteGroupReq{GroupIds: []string{}}})
		wantSDKError(t, err, 400, dms.CodeInvalidParameter)
	})

	t.Run("reset offset", func(t *testing.T) {
		commitAdmin(t, ce, "gr", "wtopic", map[int32]int64{0: 5, 1: 5})
		ms := func(i int) *int64 { v := base.Add(time.Duration(i) * time.Second).UnixMilli(); return &v }
		i64 := func(v int64) *int64 { return &v }
		for _, tt := range []struct {
			name      string
			via       string // "put" (5.6.5 SDK), "post" (5.6.5 raw POST), "legacy" (7.2.3.1 SDK)
			topic     string
			partition int32
			offset    *int64
			timestamp *int64
			want      map[int32]int64
		}{
			{"earliest", "put", "wtopic", -1, i64(0), nil, map[int32]int64{0: 0, 1: 0}},
			{"latest (clamped)", "put", "wtopic", -1, i64(1 << 40), nil, map[int32]int64{0: 10, 1: 10}},
			{"one partition", "legacy", "wtopic", 1, i64(3), nil, map[int32]int64{0: 10, 1: 3}},
			{"negative offset (clamped)", "post", "wtopic", 0, i64(-5), nil, map[int32]int64{0: 0, 1: 3}},
			{"timestamp", "put", "wtopic", -1, nil, ms(4), map[int32]int64{0: 4, 1: 4}},
			{"timestamp between records", "put", "wtopic", 0, nil, i64(*ms(6) - 500), map[int32]int64{0: 6, 1: 4}},
			{"timestamp before all", "legacy", "", -1, nil, i64(1), map[int32]int64{0: 0, 1: 0}},
			{"timestamp after all", "put", "wtopic", 1, nil, i64(time.Now().Add(time.Hour).UnixMilli()), map[int32]int64{0: 0, 1: 10}},
			{"offset mid-log", "post", "", -1, i64(7), nil, map[int32]int64{0: 7, 1: 7}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var err error
				body := model.ResetMessageOffsetReq{Topic: tt.topic, Partition: tt.partition, MessageOffset: tt.offset, Timestamp: tt.timestamp}
				switch tt.via {
				case "put":
					_, err = ce.sdk.ResetMessageOffsetWithEngine(&model.ResetMessageOffsetWithEngineRequest{InstanceId: ce.id, Group: "gr", Body: &body})
				case "legacy":
					_, err = ce.sdk.ResetMessageOffset(&model.ResetMessageOffsetRequest{InstanceId: ce.id, Group: "gr", Body: &body})
				case "post":
					resp, b := ce.do(t, "POST", fmt.Sprintf("/v2/kafka/%s/instances/%s/groups/gr/reset-message-offset", ce.ProjectID, ce.id), body)
					if resp.StatusCode != 204 {
						err = fmt.Errorf("POST: %d %s", resp.StatusCode, b)
					}
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := committed(t, ce, "gr", "wtopic"); !maps.Equal(got, tt.want) {
					t.Fatalf("committed %v, want %v", got, tt.want)
				}
				// A new consumer of the group starts exactly there.
				var readable []int32
				for p, at := range tt.want {
					if at < 10 {
						readable = append(readable, p)
					}
				}
				got := firstOffsets(t, ce, "gr", "wtopic", readable)
				for _, p := range readable {
					if at, ok := got[p]; !ok || at != tt.want[p] {
						t.Errorf("a new consumer starts partition %d at %d (%v), want %d", p, at, ok, tt.want[p])
					}
				}
			})
		}

		// Refused while a member is active, and the offsets stay.
		before := committed(t, ce, "gr", "wtopic")
		m := startMember(t, ce, "gr", "wtopic", "member")
		stable("gr")
		_, err := ce.sdk.ResetMessageOffsetWithEngine(&model.ResetMessageOffsetWithEngineRequest{InstanceId: ce.id, Group: "gr",
			Body: &model.ResetMessageOffsetReq{Topic: "wtopic", Partition: -1, MessageOffset: i64(0)}})
		wantSDKError(t, err, 409, dms.CodeGroupNotEmpty)
		_, err = ce.sdk.ResetMessageOffset(&model.ResetMessageOffsetRequest{InstanceId: ce.id, Group: "gr",
			Body: &model.ResetMessageOffsetReq{Topic: "wtopic", Partition: -1, MessageOffset: i64(0)}})
		wantSDKError(t, err, 409, dms.CodeGroupNotEmpty)
		m.leave()
		empty("gr")
		if got := committed(t, ce, "gr", "wtopic"); !maps.Equal(got, before) {
			t.Errorf("a refused reset changed the offsets: %v, want %v", got, before)
		}

		// Bad requests.
		for _, tt := range []struct {
			name   string
			group  string
			body   model.ResetMessageOffsetReq
			status int
			code   string
		}{
			{"unknown group", "nope", model.ResetMessageOffsetReq{Topic: "wtopic", Partition: -1, MessageOffset: i64(0)}, 404, dms.CodeGroupNotFound},
			{"unknown topic", "gr", model.ResetMessageOffsetReq{Topic: "nosuch", Partition: -1, MessageOffset: i64(0)}, 400, dms.CodeTopicNotExist},
			{"unknown partition", "gr", model.ResetMessageOffsetReq{Topic: "wtopic", Partition: 7, MessageOffset: i64(0)}, 400, dms.CodeInvalidParameter},
			{"no target", "gr", model.ResetMessageOffsetReq{Topic: "wtopic", Partition: -1}, 400, dms.CodeInvalidParameter},
			{"two targets", "gr", model.ResetMessageOffsetReq{Topic: "wtopic", Partition: -1, MessageOffset: i64(0), Timestamp: i64(1)}, 400, dms.CodeInvalidParameter},
			{"bad partition", "gr", model.ResetMessageOffsetReq{Topic: "wtopic", Partition: -2, MessageOffset: i64(0)}, 400, dms.CodeInvalidParameter},
		} {
			body := tt.body
			_, err := ce.sdk.ResetMessageOffsetWithEngine(&model.ResetMessageOffsetWithEngineRequest{InstanceId: ce.id, Group: tt.group, Body: &body})
			t.Run(tt.name, func(t *testing.T) { wantSDKError(t, err, tt.status, tt.code) })
		}
	})

	t.Run("delete offsets", func(t *testing.T) {
		commitAdmin(t, ce, "go", "wtopic", map[int32]int64{0: 3, 1: 4})
		commitAdmin(t, ce, "go", "xtopic", map[int32]int64{0: 0})
		resp, err := ce.sdk.DeleteConsumerGroupOffsets(&model.DeleteConsumerGroupOffsetsRequest{InstanceId: ce.id, Group: "go",
			Body: &model.DeleteConsumerGroupOffsetsRequestBody{Topics: &[]string{"wtopic", "nosuch"}}})
		if err != nil {
			t.Fatal(err)
		}
		res := map[string]model.DeleteConsumerGroupOffsetsResponseEntity{}
		for _, r := range deref(resp.Topics) {
			res[r.Name] = r
		}
		if len(res) != 2 || !res["wtopic"].Success || res["wtopic"].ErrorCode != nil || res["nosuch"].Success ||
			deref(res["nosuch"].ErrorCode) != "UNKNOWN_TOPIC_OR_PARTITION" {
			t.Fatalf("delete offsets: %+v", deref(resp.Topics))
		}
		if got := committed(t, ce, "go", "wtopic"); len(got) != 0 {
			t.Errorf("offsets of w left: %v", got)
		}
		if got := committed(t, ce, "go", "xtopic"); !maps.Equal(got, map[int32]int64{0: 0}) {
			t.Errorf("offsets of x: %v", got)
		}

		// A topic the group's members consume is refused by Kafka, per topic.
		commitAdmin(t, ce, "gsub", "wtopic", map[int32]int64{0: 1})
		m := startMember(t, ce, "gsub", "wtopic", "member")
		stable("gsub")
		resp, err = ce.sdk.DeleteConsumerGroupOffsets(&model.DeleteConsumerGroupOffsetsRequest{InstanceId: ce.id, Group: "gsub",
			Body: &model.DeleteConsumerGroupOffsetsRequestBody{Topics: &[]string{"wtopic"}}})
		if err != nil || len(deref(resp.Topics)) != 1 || (*resp.Topics)[0].Success || deref((*resp.Topics)[0].ErrorCode) != "GROUP_SUBSCRIBED_TO_TOPIC" {
			t.Fatalf("delete offsets of a consumed topic: %+v %v", resp, err)
		}
		m.leave()

		_, err = ce.sdk.DeleteConsumerGroupOffsets(&model.DeleteConsumerGroupOffsetsRequest{InstanceId: ce.id, Group: "nope",
			Body: &model.DeleteConsumerGroupOffsetsRequestBody{Topics: &[]string{"wtopic"}}})
		wantSDKError(t, err, 404, dms.CodeGroupNotFound)
		_, err = ce.sdk.DeleteConsumerGroupOffsets(&model.DeleteConsumerGroupOffsetsRequest{InstanceId: ce.id, Group: "go",
			Body: &model.DeleteConsumerGroupOffsetsRequestBody{Topics: &[]string{}}})
		wantSDKError(t, err, 400, dms.CodeInvalidParameter)
	})
}
