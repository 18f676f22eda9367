package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/dms"
)

// dryRunLine is one line of a reset's dry run (resetOffsetLineView as a client decodes it).
type dryRunLine struct {
	Topic                 string `json:"topic"`
	Partition             int32  `json:"partition"`
	MessageCurrentOffset  int64  `json:"message_current_offset"`
	MessageOffset         int64  `json:"message_offset"`
	MessageLogStartOffset int64  `json:"message_log_start_offset"`
	MessageLogEndOffset   int64  `json:"message_log_end_offset"`
}

// offsetsBySDK reads the group's committed offsets of topic through 5.6.6 with the official SDK.
func offsetsBySDK(t *testing.T, ce *clusterEnv, group, topic string) map[int32]string {
	t.Helper()
	resp, err := ce.sdk.ListInstanceConsumerGroupMessageOffset(&model.ListInstanceConsumerGroupMessageOffsetRequest{
		Engine: "kafka", InstanceId: ce.id, Group: group, Topic: topic, Limit: tpStr("1000")})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]string{}
	for _, o := range deref(resp.GroupMessageOffsets) {
		var p int32
		fmt.Sscan(deref(o.Partition), &p)
		out[p] = deref(o.MessageCurrentOffset)
	}
	return out
}

// TestGroupResetDryRun: dry_run=true on 5.6.5 (PUT and POST) and 7.2.3.1 answers the offsets the
// reset would set with the committed ones, commits nothing (5.6.6 and Kafka unchanged), fails like
// the real reset, and the real reset then commits what the dry run said.
func TestGroupResetDryRun(t *testing.T) {
	ce := newClusterEnv(t, "groups-dryrun")
	ce.create(t, &model.CreateInstanceTopicReq{Id: "dtopic", Partition: tpI32(2)})
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for p := range int32(2) {
		for i := range 10 {
			r := &kgo.Record{Topic: "dtopic", Partition: p, Value: []byte("v"), Timestamp: base.Add(time.Duration(i) * time.Second)}
			if err := ce.kcl.ProduceSync(tctx(t), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	commitAdmin(t, ce, "gdry", "dtopic", map[int32]int64{0: 5, 1: 6})
	paths := map[string]string{
		"PUT":    fmt.Sprintf("/v2/kafka/%s/instances/%s/groups/%%s/reset-message-offset", ce.ProjectID, ce.id),
		"POST":   fmt.Sprintf("/v2/kafka/%s/instances/%s/groups/%%s/reset-message-offset", ce.ProjectID, ce.id),
		"legacy": fmt.Sprintf("/v2/%s/instances/%s/management/groups/%%s/reset-message-offset", ce.ProjectID, ce.id),
	}
	reset := func(t *testing.T, via, group, query string, body any) (int, []byte) {
		t.Helper()
		method := via
		if via == "legacy" {
			method = "POST"
		}
		resp, b := ce.do(t, method, fmt.Sprintf(paths[via], group)+query, body)
		return resp.StatusCode, b
	}
	i64 := func(v int64) *int64 { return &v }
	type body struct {
		Topic         string `json:"topic,omitempty"`
		Partition     int32  `json:"partition"`
		MessageOffset *int64 `json:"message_offset,omitempty"`
		Timestamp     *int64 `json:"timestamp,omitempty"`
	}

	for _, tt := range []struct {
		name string
		via  string
		body body
		want []dryRunLine // the dry run's lines; the real reset must commit their message_offset
	}{
		{"earliest", "PUT", body{Topic: "dtopic", Partition: -1, MessageOffset: i64(0)},
			[]dryRunLine{{"dtopic", 0, 5, 0, 0, 10}, {"dtopic", 1, 6, 0, 0, 10}}},
		{"latest (clamped)", "POST", body{Topic: "dtopic", Partition: -1, MessageOffset: i64(1 << 40)},
			[]dryRunLine{{"dtopic", 0, 0, 10, 0, 10}, {"dtopic", 1, 0, 10, 0, 10}}},
		{"one partition by time", "legacy", body{Topic: "dtopic", Partition: 1, Timestamp: i64(base.Add(3 * time.Second).UnixMilli())},
			[]dryRunLine{{"dtopic", 1, 10, 3, 0, 10}}},
		{"every committed topic", "PUT", body{Partition: -1, MessageOffset: i64(7)},
			[]dryRunLine{{"dtopic", 0, 10, 7, 0, 10}, {"dtopic", 1, 3, 7, 0, 10}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, beforeSDK := committed(t, ce, "gdry", "dtopic"), offsetsBySDK(t, ce, "gdry", "dtopic")
			code, b := reset(t, tt.via, "gdry", "?dry_run=true", tt.body)
			if code != http.StatusOK {
				t.Fatalf("dry run: %d %s", code, b)
			}
			var got struct {
				DryRun bool         `json:"dry_run"`
				Lines  []dryRunLine `json:"group_message_offsets"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if !got.DryRun || !slices.Equal(got.Lines, tt.want) {
				t.Fatalf("dry run answered %s, want lines %+v", b, tt.want)
			}
			// Nothing committed: Kafka's offsets and 5.6.6's are those of before.
			if c := committed(t, ce, "gdry", "dtopic"); !maps.Equal(c, before) {
				t.Fatalf("the dry run committed: %v, was %v", c, before)
			}
			if c := offsetsBySDK(t, ce, "gdry", "dtopic"); !maps.Equal(c, beforeSDK) {
				t.Fatalf("5.6.6 after the dry run: %v, was %v", c, beforeSDK)
			}
			// The real reset commits exactly what the dry run said.
			if code, b := reset(t, tt.via, "gdry", "", tt.body); code != http.StatusNoContent {
				t.Fatalf("reset: %d %s", code, b)
			}
			want := maps.Clone(before)
			wantSDK := maps.Clone(beforeSDK)
			for _, l := range got.Lines {
				want[l.Partition] = l.MessageOffset
				wantSDK[l.Partition] = fmt.Sprint(l.MessageOffset)
			}
			if c := committed(t, ce, "gdry", "dtopic"); !maps.Equal(c, want) {
				t.Fatalf("after the reset: %v, the dry run said %v", c, want)
			}
			if c := offsetsBySDK(t, ce, "gdry", "dtopic"); !maps.Equal(c, wantSDK) {
				t.Fatalf("5.6.6 after the reset: %v, the dry run said %v", c, wantSDK)
			}
		})
	}

	// A dry run fails as the real reset does, and changes nothing either way.
	m := startMember(t, ce, "gbusy", "dtopic", "member")
	waitGroup(t, ce, "gbusy", "stable", func(d kadm.DescribedGroup) bool { return d.State == "Stable" && len(d.Members) == 1 })
	_ = m // leaves when the test ends (startMember's cleanup)
	before := committed(t, ce, "gdry", "dtopic")
	for _, tt := range []struct {
		name   string
		group  string
		dryRun string // the dry run's query ("" for ?dry_run=true); the real reset runs without
		body   any
		status int
		code   string
	}{
		{"active members", "gbusy", "", body{Topic: "dtopic", Partition: -1, MessageOffset: i64(0)}, 409, dms.CodeGroupNotEmpty},
		{"unknown group", "nope", "", body{Topic: "dtopic", Partition: -1, MessageOffset: i64(0)}, 404, dms.CodeGroupNotFound},
		{"unknown topic", "gdry", "", body{Topic: "nosuch", Partition: -1, MessageOffset: i64(0)}, 400, dms.CodeTopicNotExist},
		{"unknown partition", "gdry", "", body{Topic: "dtopic", Partition: 7, MessageOffset: i64(0)}, 400, dms.CodeInvalidParameter},
		{"no target", "gdry", "", body{Topic: "dtopic", Partition: -1}, 400, dms.CodeInvalidParameter},
		{"two targets", "gdry", "", body{Topic: "dtopic", Partition: -1, MessageOffset: i64(0), Timestamp: i64(1)}, 400, dms.CodeInvalidParameter},
		{"bad partition", "gdry", "", body{Topic: "dtopic", Partition: -2, MessageOffset: i64(0)}, 400, dms.CodeInvalidParameter},
		{"not JSON", "gdry", "", []byte(`{"partition":`), 400, dms.CodeBodyNotJSON},
		{"dry_run not a bool", "gdry", "?dry_run=maybe", body{Topic: "dtopic", Partition: -1, MessageOffset: i64(0)}, 400, dms.CodeInvalidParameter},
	} {
		t.Run(tt.name, func(t *testing.T) {
			queries := []string{"?dry_run=true", ""}
			if tt.dryRun != "" {
				queries = []string{tt.dryRun}
			}
			for _, q := range queries {
				code, b := reset(t, "PUT", tt.group, q, tt.body)
				var e struct {
					Code string `json:"error_code"`
					Msg  string `json:"error_msg"`
				}
				_ = json.Unmarshal(b, &e)
				if code != tt.status || e.Code != tt.code || e.Msg == "" {
					t.Errorf("%s: %d %s, want %d %s", q, code, b, tt.status, tt.code)
				}
			}
		})
	}
	if c := committed(t, ce, "gdry", "dtopic"); !maps.Equal(c, before) {
		t.Errorf("failed resets changed the offsets: %v, was %v", c, before)
	}
}
