package topics

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/dms"
)

func code(err error) string {
	var de *dms.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}

func TestValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"v2 name with a period", nameV2.check("a.b-c_d"), ""},
		{"v2 name of 200", nameV2.check("a" + strings.Repeat("0", 199)), ""},
		{"v1 name with a period", nameV1.check("abc.d"), dms.CodeTopicNameInvalid},
		{"v1 name of 3", nameV1.check("abc"), dms.CodeTopicNameInvalid},
		{"v2 name starting with _", nameV2.check("_abc"), dms.CodeTopicNameInvalid},
		{"200 partitions", checkPartitions(200, MaxPartitions), ""},
		{"101 partitions in V1", checkPartitions(101, maxPartitionsV1), dms.CodeTopicPartitionInvalid},
		{"3 replicas on 2 brokers", checkReplication(3, 2), dms.CodeTopicReplicaTooMany},
		{"4 replicas", checkReplication(4, 5), dms.CodeTopicReplicaInvalid},
		{"720 hours", checkRetention(720), ""},
		{"721 hours", checkRetention(721), dms.CodeTopicRetentionInvalid},
		{"empty description", checkDescription(new(string)), ""},
		{"description of 1025", checkDescription(ptr(strings.Repeat("d", 1025))), dms.CodeInvalidParameter},
	} {
		if got := code(tc.err); got != tc.want || (tc.want == "") != (tc.err == nil) {
			t.Errorf("%s: %v, want code %q", tc.name, tc.err, tc.want)
		}
	}
}

func TestFlexibleJSON(t *testing.T) {
	var req CreateRequest
	if err := json.Unmarshal([]byte(`{"id":"t","sync_replication":"false","sync_message_flush":true,
		"topic_other_configs":[{"name":"max.message.bytes","value":10485760},{"name":"message.timestamp.type","value":"LogAppendTime"}]}`), &req); err != nil {
		t.Fatal(err)
	}
	if req.SyncReplication == nil || bool(*req.SyncReplication) || !bool(*req.SyncMessageFlush) ||
		req.TopicOtherConfigs[0].Value != "10485760" || req.TopicOtherConfigs[1].Value != "LogAppendTime" {
		t.Fatalf("decoded %+v", req)
	}
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal([]byte(`{"sync_replication":"maybe"}`), &req); !errors.As(err, &typeErr) || typeErr.Field != "sync_replication" {
		t.Fatalf("a non-boolean: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"topic_other_configs":[{"value":{}}]}`), &req); !errors.As(err, &typeErr) {
		t.Fatalf("an object as a value: %v", err)
	}
}

func TestOtherConfigsAndSyncReplication(t *testing.T) {
	got, err := otherConfigValues([]OtherConfig{{"message.timestamp.type", "logappendtime"}, {"max.message.bytes", " 0 "}}, 3)
	if err != nil || got["message.timestamp.type"] != "LogAppendTime" || got["max.message.bytes"] != "0" {
		t.Fatalf("normalized %v %v", got, err)
	}
	for _, cs := range [][]OtherConfig{
		{{"segment.bytes", "1"}},
		{{"max.message.bytes", "x"}},
		{{"min.insync.replicas", "2"}, {"min.insync.replicas", "2"}},
		{{"min.insync.replicas", "3"}}, // 2 replicas below
	} {
		if _, err := otherConfigValues(cs, 2); code(err) != dms.CodeConfigInvalid {
			t.Errorf("%v: %v", cs, err)
		}
	}
	if v, err := syncReplicationConfig(true, 3, nil); v != "2" || err != nil {
		t.Errorf("sync on 3 replicas: %q %v", v, err)
	}
	if v, err := syncReplicationConfig(true, 3, map[string]string{"min.insync.replicas": "3"}); v != "3" || err != nil {
		t.Errorf("sync with min.insync.replicas 3: %q %v", v, err)
	}
	if _, err := syncReplicationConfig(false, 3, map[string]string{"min.insync.replicas": "2"}); code(err) != dms.CodeConfigInvalid {
		t.Errorf("no sync with min.insync.replicas 2: %v", err)
	}
	if _, err := syncReplicationConfig(true, 1, nil); code(err) != dms.CodeTopicReplicaInvalid {
		t.Errorf("sync on 1 replica: %v", err)
	}
}

func TestAssign(t *testing.T) {
	in := dms.Instance{Brokers: []dms.BrokerAddr{{ID: 0}, {ID: 1}, {ID: 2}}}
	a, err := assign([]int32{2, 0}, 3, 2, in)
	if err != nil || !slices.EqualFunc(a, [][]int32{{2, 0}, {0, 2}, {2, 0}}, slices.Equal) {
		t.Fatalf("assign: %v %v", a, err)
	}
	if a, err := assign(nil, 3, 2, in); a != nil || err != nil {
		t.Fatalf("no brokers: %v %v", a, err)
	}
	for _, bs := range [][]int32{{0, 3}, {0, 0}, {1}} {
		if _, err := assign(bs, 1, 2, in); err == nil {
			t.Errorf("brokers %v accepted", bs)
		}
	}
}

func TestParseDiskUsageFilter(t *testing.T) {
	f, err := ParseDiskUsageFilter("1 mb", "5", "0.5")
	if err != nil || f.MinSize != 1<<20 || f.Top != 5 || f.Percentage != 0.5 {
		t.Fatalf("%+v %v", f, err)
	}
	if f, err := ParseDiskUsageFilter("", "", ""); err != nil || f != (DiskUsageFilter{}) {
		t.Fatalf("no filter: %+v %v", f, err)
	}
	for _, bad := range [][3]string{{"2 GB", "", ""}, {"", "0", ""}, {"", "x", ""}, {"", "", "101"}, {"", "", "NaN"}} {
		if _, err := ParseDiskUsageFilter(bad[0], bad[1], bad[2]); code(err) != dms.CodeInvalidParameter {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }
