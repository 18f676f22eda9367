package httpapi

import (
	"strconv"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
)

// TestMessageNumbersAgree (issue 10, bug 4): one meaning per number, whichever API shows it. A
// message's size is its value's bytes in the produce answer and in every query (key and headers
// not counted); a partition's last_offset (5.5.6) is the offset the next message gets, one past
// the latest message's offset (5.8.5); an empty partition answers -1 for its earliest and latest
// message, not an offset a message could have.
func TestMessageNumbersAgree(t *testing.T) {
	m := newMsgEnv(t, "kafka-numbers")
	m.createTopic(t, "nums", 2)
	const body = "8 bytes!" // with a key and a header, which size does not count

	code, out := m.raw(t, "POST", "/v2/"+m.ProjectID+"/instances/"+m.id+"/messages/action?action_id=send", map[string]any{
		"topic": "nums", "body": body,
		"property_list": []map[string]string{{"name": "KEY", "value": "order-1"}, {"name": "PARTITION", "value": "1"}, {"name": "trace", "value": "abc"}},
	})
	if code != 200 || out["size"] != float64(len(body)) || out["message_offset"] != float64(0) || out["partition"] != float64(1) {
		t.Fatalf("produce: %d %v", code, out)
	}

	// The same message's size in each query.
	one, err := m.sdk.ShowPartitionMessage(&model.ShowPartitionMessageRequest{InstanceId: m.id, Topic: "nums", Partition: 1, MessageOffset: "0"})
	if err != nil || len(*one.Message) != 1 || deref((*one.Message)[0].Size) != int32(len(body)) {
		t.Fatalf("5.8.2: %+v %v", one, err)
	}
	inst, err := m.sdk.ShowInstanceMessages(&model.ShowInstanceMessagesRequest{InstanceId: m.id, Topic: "nums", Partition: msgStr("1"), MessageOffset: msgStr("0")})
	if err != nil || len(*inst.Messages) != 1 || deref((*inst.Messages)[0].Size) != int32(len(body)) {
		t.Fatalf("5.8.1 by offset: %+v %v", inst, err)
	}
	search, err := m.sdk.ShowInstanceMessages(&model.ShowInstanceMessagesRequest{InstanceId: m.id, Topic: "nums", StartTime: msgStr("0"),
		EndTime: msgStr(strconv.FormatInt(msgTS(7200), 10))})
	if err != nil || len(*search.Messages) != 1 || deref((*search.Messages)[0].Size) != int32(len(body)) {
		t.Fatalf("5.8.1 by time: %+v %v", search, err)
	}
	byTime, err := m.sdk.ShowMessages(&model.ShowMessagesRequest{InstanceId: m.id, Topic: "nums"})
	if err != nil || len(*byTime.Messages) != 1 || deref((*byTime.Messages)[0].Size) != int32(len(body)) {
		t.Fatalf("5.8.3: %+v %v", byTime, err)
	}

	// Partition 0 is empty, partition 1 holds one message at offset 0.
	ps, err := m.sdk.ListTopicPartitions(&model.ListTopicPartitionsRequest{InstanceId: m.id, Topic: "nums"})
	if err != nil || len(*ps.Partitions) != 2 {
		t.Fatalf("5.5.6: %+v %v", ps, err)
	}
	for _, tt := range []struct {
		partition                        int32
		start, last, count               int64
		earliest, latest                 int64
		wantEarliestTime, wantLatestTime bool
	}{
		{partition: 0, start: 0, last: 0, count: 0, earliest: -1, latest: -1},
		{partition: 1, start: 0, last: 1, count: 1, earliest: 0, latest: 0, wantEarliestTime: true, wantLatestTime: true},
	} {
		p := (*ps.Partitions)[tt.partition]
		if deref(p.Partition) != tt.partition || deref(p.StartOffset) != tt.start || deref(p.LastOffset) != tt.last || deref(p.MessageCount) != tt.count {
			t.Errorf("5.5.6 partition %d: %+v, want start %d last %d count %d", tt.partition, p, tt.start, tt.last, tt.count)
		}
		b, err := m.sdk.ShowPartitionBeginningMessage(&model.ShowPartitionBeginningMessageRequest{InstanceId: m.id, Topic: "nums", Partition: tt.partition})
		if err != nil || int64(deref(b.Offset)) != tt.earliest || (deref(b.Timestamp) > 0) != tt.wantEarliestTime {
			t.Errorf("5.8.4 partition %d: %+v %v, want offset %d", tt.partition, b, err, tt.earliest)
		}
		e, err := m.sdk.ShowPartitionEndMessage(&model.ShowPartitionEndMessageRequest{InstanceId: m.id, Topic: "nums", Partition: tt.partition})
		if err != nil || int64(deref(e.Offset)) != tt.latest || (deref(e.Timestamp) > 0) != tt.wantLatestTime {
			t.Errorf("5.8.5 partition %d: %+v %v, want offset %d", tt.partition, e, err, tt.latest)
		}
		if tt.count > 0 && tt.latest != tt.last-1 {
			t.Errorf("partition %d: latest message %d is not last_offset %d - 1", tt.partition, tt.latest, tt.last)
		}
	}
}
