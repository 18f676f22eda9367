package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/messages"
)

// msgEnv is a running instance for the message tests, with a franz-go client at its brokers.
// msgEnv is a running instance with clients (see clusterEnv).
type msgEnv = clusterEnv

func newMsgEnv(t *testing.T, name string) *msgEnv { return newClusterEnv(t, name) }

// createTopic creates a topic over the Kafka protocol (the topic APIs are another issue's).
func (m *msgEnv) createTopic(t testing.TB, topic string, partitions int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(m.kcl).CreateTopic(ctx, partitions, 1, map[string]*string{"max.message.bytes": kadm.StringPtr("4194304")}, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// produce writes records with franz-go and fails the test on any error.
func (m *msgEnv) produce(t testing.TB, rs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := m.kcl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// raw sends a signed request and decodes the JSON answer into a map.
func (m *msgEnv) raw(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	resp, b := m.do(t, method, path, body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

func msgStr(s string) *string { return &s }
func msgBool(b bool) *bool    { return &b }
func msgI32(i int32) *int32   { return &i }

// The base time of the records the query tests write: record i of a partition has timestamp
// base + i seconds. Recent: the engine applies the 7-day retention every 30 s.
var msgBase = time.Now().Add(-time.Hour).Truncate(time.Second)

func msgTS(i int) int64 { return msgBase.Add(time.Duration(i) * time.Second).UnixMilli() }

func TestMessagesProduceOverHTTP(t *testing.T) {
	m := newMsgEnv(t, "kafka-produce")
	m.createTopic(t, "orders", 3)

	// Key, partition and headers reach a franz-go consumer intact.
	resp, err := m.sdk.SendKafkaMessage(&model.SendKafkaMessageRequest{InstanceId: m.id, ActionId: "send", Body: &model.SendKafkaMessageRequestBody{
		Topic: "orders", Body: "hello world",
		PropertyList: []model.SendKafkaMessageRequestBodyPropertyList{
			{Name: msgStr("KEY"), Value: msgStr("order-1")}, {Name: msgStr("PARTITION"), Value: msgStr("2")},
			{Name: msgStr("trace-id"), Value: msgStr("abc")}, {Name: msgStr("source"), Value: msgStr("http")},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	if deref(resp.Topic) != "orders" || deref(resp.Body) != "hello world" || resp.PropertyList == nil {
		t.Fatalf("response %+v", resp)
	}
	// Every record the API acknowledged is readable at once (acks=all).
	cons, err := kgo.NewClient(kgo.SeedBrokers(m.seeds...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		"orders": {0: kgo.NewOffset().AtStart(), 1: kgo.NewOffset().AtStart(), 2: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fs := cons.PollFetches(ctx)
	if err := fs.Err0(); err != nil {
		t.Fatal(err)
	}
	recs := fs.Records()
	if len(recs) != 1 {
		t.Fatalf("consumed %d records", len(recs))
	}
	r := recs[0]
	if r.Partition != 2 || string(r.Key) != "order-1" || string(r.Value) != "hello world" || len(r.Headers) != 2 ||
		r.Headers[0].Key != "trace-id" || string(r.Headers[0].Value) != "abc" || r.Headers[1].Key != "source" || time.Since(r.Timestamp) > time.Minute {
		t.Fatalf("consumed %+v", r)
	}

	// Without PARTITION, records of one key share a partition; without a key any partition will do.
	parts := map[float64]bool{}
	for i := range 5 {
		code, out := m.raw(t, "POST", "/v2/"+m.ProjectID+"/instances/"+m.id+"/messages/action?action_id=send",
			map[string]any{"topic": "orders", "body": fmt.Sprint("keyed ", i), "property_list": []any{map[string]string{"name": "key", "value": "same-key"}}})
		if code != 200 {
			t.Fatalf("produce: %d %v", code, out)
		}
		parts[out["partition"].(float64)] = true
		if out["message_offset"] == nil || out["timestamp"] == nil {
			t.Fatalf("produce answer lacks where it wrote: %v", out)
		}
	}
	if len(parts) != 1 {
		t.Fatalf("one key went to partitions %v", parts)
	}
	if _, err := m.sdk.SendKafkaMessage(&model.SendKafkaMessageRequest{InstanceId: m.id, ActionId: "send",
		Body: &model.SendKafkaMessageRequestBody{Topic: "orders", Body: "no key", PropertyList: []model.SendKafkaMessageRequestBodyPropertyList{}}}); err != nil {
		t.Fatal(err)
	}

	// Bad input: 4xx with the reference's codes, never a 500.
	body := func(topic string, props ...string) *model.SendKafkaMessageRequestBody {
		b := &model.SendKafkaMessageRequestBody{Topic: topic, Body: "x", PropertyList: []model.SendKafkaMessageRequestBodyPropertyList{}}
		for i := 0; i+1 < len(props); i += 2 {
			b.PropertyList = append(b.PropertyList, model.SendKafkaMessageRequestBodyPropertyList{Name: msgStr(props[i]), Value: msgStr(props[i+1])})
		}
		return b
	}
	// A 2 MiB record is fine (DMS's message.max.bytes is 10 MiB); 11 MiB is too large.
	if _, err := m.sdk.SendKafkaMessage(&model.SendKafkaMessageRequest{InstanceId: m.id, ActionId: "send",
		Body: &model.SendKafkaMessageRequestBody{Topic: "orders", Body: strings.Repeat("x", 2<<20), PropertyList: []model.SendKafkaMessageRequestBodyPropertyList{}}}); err != nil {
		t.Fatalf("a 2 MiB record: %v", err)
	}
	big := body("orders")
	big.Body = strings.Repeat("x", 11<<20)
	tests := []struct {
		name   string
		id     string
		action string
		body   *model.SendKafkaMessageRequestBody
		status int
		code   string
	}{
		{"unknown topic", m.id, "send", body("nope"), 400, "DMS.00400876"},
		{"no topic", m.id, "send", body(""), 400, "DMS.00400062"},
		{"partition out of range", m.id, "send", body("orders", "PARTITION", "3"), 400, "DMS.00400062"},
		{"partition not a number", m.id, "send", body("orders", "PARTITION", "two"), 400, "DMS.00400062"},
		{"key twice", m.id, "send", body("orders", "KEY", "a", "KEY", "b"), 400, "DMS.00400062"},
		{"property without name", m.id, "send", body("orders", "", "v"), 400, "DMS.00400062"},
		{"action", m.id, "produce", body("orders"), 400, "DMS.00400062"},
		{"too large", m.id, "send", big, 400, "DMS.10540011"},
		{"unknown instance", "00000000-0000-0000-0000-000000000000", "send", body("orders"), 404, "DMS.00404022"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.sdk.SendKafkaMessage(&model.SendKafkaMessageRequest{InstanceId: tt.id, ActionId: tt.action, Body: tt.body})
			sdkErr(t, err, tt.status, tt.code)
		})
	}
	if code, out := m.raw(t, "POST", "/v2/"+m.ProjectID+"/instances/"+m.id+"/messages/action?action_id=send", []byte(`{"topic":`)); code != 400 || out["error_code"] != "DMS.00400005" {
		t.Fatalf("bad JSON: %d %v", code, out)
	}

	// On an instance that creates topics automatically, producing to a new topic creates it, as
	// a Kafka producer's would.
	req := createReq(m.testEnv, t, "kafka-auto")
	req.Body.EnableAutoTopic = msgBool(true)
	created, err := m.sdk.CreateInstanceByEngine(req)
	if err != nil {
		t.Fatal(err)
	}
	auto := deref(created.InstanceId)
	waitInstance(t, m.sdk, auto, "RUNNING")
	if _, err := m.sdk.SendKafkaMessage(&model.SendKafkaMessageRequest{InstanceId: auto, ActionId: "send", Body: body("brand-new", "PARTITION", "1")}); err != nil {
		t.Fatal(err)
	}
	b, err := m.sdk.ShowPartitionEndMessage(&model.ShowPartitionEndMessageRequest{InstanceId: auto, Topic: "brand-new", Partition: 1})
	if err != nil || deref(b.Offset) != 0 || time.Since(time.UnixMilli(deref(b.Timestamp))) > time.Minute {
		t.Fatalf("auto-created topic: %+v %v", b, err)
	}
}

func TestMessagesQuery(t *testing.T) {
	m := newMsgEnv(t, "kafka-query")
	m.createTopic(t, "events", 3)
	// 3 partitions x 100 records; record i of partition p: timestamp base+i s, key "p<p>-k<i>",
	// value "event <p>/<i>", with "needle" in the value of every 10th and in the key of p1-k55.
	var rs []*kgo.Record
	for p := range int32(3) {
		for i := range 100 {
			v := fmt.Sprintf("event %d/%d", p, i)
			if i%10 == 0 {
				v += " needle"
			}
			k := fmt.Sprintf("p%d-k%d", p, i)
			if p == 1 && i == 55 {
				k = "needle-key"
			}
			rs = append(rs, &kgo.Record{Topic: "events", Partition: p, Timestamp: time.UnixMilli(msgTS(i)), Key: []byte(k), Value: []byte(v),
				Headers: []kgo.RecordHeader{{Key: "n", Value: []byte(strconv.Itoa(i))}}})
		}
	}
	m.produce(t, rs...)
	// One keyless record with a big value on partition 0, after the others.
	huge := strings.Repeat("0123456789", 4000) // 40,000 bytes, above the 16 KiB display limit
	m.produce(t, &kgo.Record{Topic: "events", Partition: 0, Timestamp: time.UnixMilli(msgTS(200)), Value: []byte(huge)})

	show := func(req model.ShowInstanceMessagesRequest) *model.ShowInstanceMessagesResponse {
		t.Helper()
		req.InstanceId, req.Topic = m.id, msgOr(req.Topic, "events")
		resp, err := m.sdk.ShowInstanceMessages(&req)
		if err != nil {
			t.Fatalf("ShowInstanceMessages %+v: %v", req, err)
		}
		return resp
	}
	ms := func(i int) *string { return msgStr(strconv.FormatInt(msgTS(i), 10)) }

	t.Run("time range, newest first, paged", func(t *testing.T) {
		var seen []string
		var last int64 = 1 << 62
		for page := 1; page <= 4; page++ {
			resp := show(model.ShowInstanceMessagesRequest{StartTime: ms(10), EndTime: ms(19), Limit: msgStr("10"), Offset: msgStr(strconv.Itoa(page))})
			if deref(resp.Total) != 30 {
				t.Fatalf("total %d, want 30", deref(resp.Total))
			}
			msgs := *resp.Messages
			if page == 4 {
				if len(msgs) != 0 {
					t.Fatalf("page 4 has %d messages", len(msgs))
				}
				continue
			}
			if len(msgs) != 10 || deref(resp.Size) != 10 {
				t.Fatalf("page %d: %d messages", page, len(msgs))
			}
			for _, x := range msgs {
				ts := deref(x.Timestamp)
				if ts > last || ts < msgTS(10) || ts > msgTS(19) {
					t.Fatalf("page %d: timestamp %d out of order or range", page, ts)
				}
				last = ts
				i := int((ts - msgBase.UnixMilli()) / 1000)
				if deref(x.MessageOffset) != int64(i) || !strings.HasPrefix(deref(x.Value), fmt.Sprintf("event %d/%d", deref(x.Partition), i)) ||
					deref(x.Key) != fmt.Sprintf("p%d-k%d", deref(x.Partition), i) || deref(x.Size) == 0 || deref(x.HugeMessage) || deref(x.Topic) != "events" {
					t.Fatalf("message %+v", x)
				}
				seen = append(seen, fmt.Sprint(deref(x.Partition), "/", deref(x.MessageOffset)))
			}
		}
		if len(slices.Compact(slices.Sorted(slices.Values(seen)))) != 30 {
			t.Fatalf("pages repeat messages: %v", seen)
		}
		// offset=0 (the reference's example) is the first page too.
		p0 := show(model.ShowInstanceMessagesRequest{StartTime: ms(10), EndTime: ms(19), Limit: msgStr("10"), Offset: msgStr("0")})
		p1 := show(model.ShowInstanceMessagesRequest{StartTime: ms(10), EndTime: ms(19), Limit: msgStr("10"), Offset: msgStr("1")})
		if deref((*p0.Messages)[0].MessageOffset) != 19 || deref((*p1.Messages)[0].MessageOffset) != 19 {
			t.Fatal("offset 0 is not the first page")
		}
	})

	t.Run("ascending, one partition", func(t *testing.T) {
		resp := show(model.ShowInstanceMessagesRequest{StartTime: ms(50), EndTime: ms(99), Asc: msgBool(true), Partition: msgStr("1"), Limit: msgStr("5")})
		msgs := *resp.Messages
		if deref(resp.Total) != 50 || len(msgs) != 5 {
			t.Fatalf("total %d, %d messages", deref(resp.Total), len(msgs))
		}
		for i, x := range msgs {
			if deref(x.Partition) != 1 || deref(x.MessageOffset) != int64(50+i) {
				t.Fatalf("message %d: %+v", i, x)
			}
		}
	})

	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			name  string
			req   model.ShowInstanceMessagesRequest
			total int64
			first string // partition/offset of the first message
		}{
			{"keyword in value and key", model.ShowInstanceMessagesRequest{Keyword: msgStr("needle")}, 31, "2/90"},
			{"keyword ascending", model.ShowInstanceMessagesRequest{Keyword: msgStr("needle"), Asc: msgBool(true)}, 31, "0/0"},
			{"keyword in a time range", model.ShowInstanceMessagesRequest{Keyword: msgStr("needle"), StartTime: ms(45), EndTime: ms(65)}, 7, "2/60"},
			{"keyword in one partition", model.ShowInstanceMessagesRequest{Keyword: msgStr("needle"), Partition: msgStr("2")}, 10, "2/90"},
			{"key", model.ShowInstanceMessagesRequest{Key: msgStr("p2-k7")}, 1, "2/7"},
			{"include", model.ShowInstanceMessagesRequest{Include: msgStr("needle,event 0/")}, 10, "0/90"},
			{"exclude", model.ShowInstanceMessagesRequest{StartTime: ms(0), EndTime: ms(99), Exclude: msgStr("needle")}, 270, "2/99"},
			{"no match", model.ShowInstanceMessagesRequest{Keyword: msgStr("absent")}, 0, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := show(tt.req)
				if deref(resp.Total) != tt.total {
					t.Fatalf("total %d, want %d", deref(resp.Total), tt.total)
				}
				msgs := *resp.Messages
				if tt.first == "" {
					if len(msgs) != 0 {
						t.Fatalf("%d messages", len(msgs))
					}
					return
				}
				x := msgs[0]
				// Equal timestamps across partitions come in partition order (descending when newest first).
				if got := fmt.Sprint(deref(x.Partition), "/", deref(x.MessageOffset)); got != tt.first {
					t.Fatalf("first message %s, want %s", got, tt.first)
				}
			})
		}
	})

	t.Run("by offset, huge values", func(t *testing.T) {
		resp := show(model.ShowInstanceMessagesRequest{Partition: msgStr("2"), MessageOffset: msgStr("42")})
		msgs := *resp.Messages
		if len(msgs) != 1 || deref(msgs[0].Value) != "event 2/42" || deref(msgs[0].Key) != "p2-k42" || deref(msgs[0].Timestamp) != msgTS(42) {
			t.Fatalf("by offset: %+v", msgs)
		}
		// The big value is flagged and cut for display; download and 5.8.2 give it whole.
		cutResp := show(model.ShowInstanceMessagesRequest{Partition: msgStr("0"), MessageOffset: msgStr("100")})
		x := (*cutResp.Messages)[0]
		if !deref(x.HugeMessage) || len(deref(x.Value)) != 16<<10 || !strings.HasPrefix(huge, deref(x.Value)) || deref(x.Size) != int32(len(huge)) || x.Key != nil {
			t.Fatalf("huge message shown as %d bytes, huge=%v", len(deref(x.Value)), deref(x.HugeMessage))
		}
		whole := show(model.ShowInstanceMessagesRequest{Partition: msgStr("0"), MessageOffset: msgStr("100"), Download: msgBool(true)})
		if x := (*whole.Messages)[0]; deref(x.Value) != huge || !deref(x.HugeMessage) {
			t.Fatalf("download gave %d bytes", len(deref(x.Value)))
		}
		// In a search too: cut, unless downloaded.
		search := show(model.ShowInstanceMessagesRequest{StartTime: ms(200), EndTime: ms(200)})
		if x := (*search.Messages)[0]; len(deref(x.Value)) != 16<<10 || !deref(x.HugeMessage) {
			t.Fatalf("search shows %d bytes", len(deref(x.Value)))
		}
		search = show(model.ShowInstanceMessagesRequest{StartTime: ms(200), EndTime: ms(200), Download: msgBool(true)})
		if x := (*search.Messages)[0]; deref(x.Value) != huge {
			t.Fatalf("search download gives %d bytes", len(deref(x.Value)))
		}

		pm, err := m.sdk.ShowPartitionMessage(&model.ShowPartitionMessageRequest{InstanceId: m.id, Topic: "events", Partition: 0, MessageOffset: "100"})
		if err != nil {
			t.Fatal(err)
		}
		if e := (*pm.Message)[0]; deref(e.Value) != huge || e.Key != nil || deref(e.MessageOffset) != 100 || deref(e.Timestamp) != msgTS(200) {
			t.Fatalf("5.8.2: %d bytes, key %v", len(deref(e.Value)), e.Key)
		}
		pm, err = m.sdk.ShowPartitionMessage(&model.ShowPartitionMessageRequest{InstanceId: m.id, Topic: "events", Partition: 1, MessageOffset: "55"})
		if err != nil || deref((*pm.Message)[0].Key) != "needle-key" || deref((*pm.Message)[0].Value) != "event 1/55" {
			t.Fatalf("5.8.2: %+v %v", pm, err)
		}
		// Headers come along as an extra field.
		code, out := m.raw(t, "GET", "/v2/"+m.ProjectID+"/instances/"+m.id+"/messages?topic=events&partition=1&message_offset=7", nil)
		hs, _ := out["messages"].([]any)[0].(map[string]any)["headers"].([]any)
		if code != 200 || len(hs) != 1 || hs[0].(map[string]any)["name"] != "n" || hs[0].(map[string]any)["value"] != "7" {
			t.Fatalf("headers: %d %v", code, out)
		}
	})

	t.Run("5.8.3 by time period", func(t *testing.T) {
		resp, err := m.sdk.ShowMessages(&model.ShowMessagesRequest{InstanceId: m.id, Topic: "events", StartTime: ms(0), EndTime: ms(9), Limit: msgI32(4), Offset: msgI32(2)})
		if err != nil {
			t.Fatal(err)
		}
		msgs := *resp.Messages
		if deref(resp.MessagesCount) != 30 || deref(resp.OffsetsCount) != 8 || deref(resp.Offset) != 2 || len(msgs) != 4 {
			t.Fatalf("5.8.3: count %d pages %d page %d, %d messages", deref(resp.MessagesCount), deref(resp.OffsetsCount), deref(resp.Offset), len(msgs))
		}
		// Page 2 of 4 newest first: the 5th to 8th newest of 30 (3 per second from 9 s down).
		if ts := deref(msgs[0].Timestamp); ts != msgTS(8) || deref(msgs[0].Size) == 0 {
			t.Fatalf("first of page 2: %+v", msgs[0])
		}
		all, err := m.sdk.ShowMessages(&model.ShowMessagesRequest{InstanceId: m.id, Topic: "events", Partition: msgStr("1")})
		if err != nil || deref(all.MessagesCount) != 100 || deref(all.OffsetsCount) != 10 || deref(all.Offset) != 1 {
			t.Fatalf("5.8.3 defaults: %+v %v", all, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		q := func(kv ...string) string {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return "/v2/" + m.ProjectID + "/instances/" + m.id + "/messages?" + v.Encode()
		}
		mgmt := "/v2/" + m.ProjectID + "/instances/" + m.id + "/management/topics/"
		tests := []struct {
			name   string
			path   string
			status int
			code   string
		}{
			{"no topic", q("start_time", "0", "end_time", "1"), 400, "DMS.00400062"},
			{"unknown topic", q("topic", "nope", "start_time", "0", "end_time", "1"), 400, "DMS.00400876"},
			{"unknown topic by offset", q("topic", "nope", "partition", "0", "message_offset", "1"), 400, "DMS.00400876"},
			{"start after end", q("topic", "events", "start_time", "20", "end_time", "10"), 400, "DMS.00400142"},
			{"timestamp not a number", q("topic", "events", "start_time", "yesterday", "end_time", "10"), 400, "DMS.00400142"},
			{"negative timestamp", q("topic", "events", "start_time", "-5", "end_time", "10"), 400, "DMS.00400142"},
			{"limit too large", q("topic", "events", "limit", "51"), 400, "DMS.10240042"},
			{"limit zero", q("topic", "events", "limit", "0"), 400, "DMS.00400062"},
			{"page too deep", q("topic", "events", "limit", "50", "offset", "41"), 400, "DMS.10240043"},
			{"page not a number", q("topic", "events", "offset", "first"), 400, "DMS.00400062"},
			{"unknown partition", q("topic", "events", "partition", "3", "start_time", "0", "end_time", "1"), 400, "DMS.00400062"},
			{"offset out of range", q("topic", "events", "partition", "0", "message_offset", "101"), 400, "DMS.00400062"},
			{"offset without partition", q("topic", "events", "message_offset", "1"), 400, "DMS.00400062"},
			{"keyword too long", q("topic", "events", "keyword", strings.Repeat("k", 51)), 400, "DMS.00400062"},
			{"asc not a bool", q("topic", "events", "asc", "up"), 400, "DMS.00400062"},
			{"5.8.2 unknown topic", mgmt + "nope/partitions/0/message?message_offset=0", 400, "DMS.00400876"},
			{"5.8.2 unknown partition", mgmt + "events/partitions/7/message?message_offset=0", 400, "DMS.00400062"},
			{"5.8.2 partition not a number", mgmt + "events/partitions/x/message?message_offset=0", 400, "DMS.00400062"},
			{"5.8.2 offset out of range", mgmt + "events/partitions/0/message?message_offset=5000", 400, "DMS.00400062"},
			{"5.8.2 no offset", mgmt + "events/partitions/0/message", 400, "DMS.00400062"},
			{"5.8.3 unknown topic", mgmt + "nope/messages", 400, "DMS.00400876"},
			{"5.8.3 bad time", mgmt + "events/messages?start_time=x", 400, "DMS.00400142"},
			{"5.8.3 unknown partition", mgmt + "events/messages?partition=5", 400, "DMS.00400062"},
			{"5.8.4 unknown topic", mgmt + "nope/partitions/0/beginning-message", 400, "DMS.00400876"},
			{"5.8.4 unknown partition", mgmt + "events/partitions/3/beginning-message", 400, "DMS.00400062"},
			{"5.8.5 unknown topic", mgmt + "nope/partitions/0/end-message", 400, "DMS.00400876"},
			{"5.8.5 unknown partition", mgmt + "events/partitions/3/end-message", 400, "DMS.00400062"},
			{"unknown instance", "/v2/" + m.ProjectID + "/instances/00000000-0000-0000-0000-000000000000/messages?topic=events", 404, "DMS.00404022"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, out := m.raw(t, "GET", tt.path, nil)
				if code != tt.status || out["error_code"] != tt.code || out["error_msg"] == "" {
					t.Fatalf("%d %v, want %d %s", code, out, tt.status, tt.code)
				}
			})
		}
		// Through the SDK too.
		_, err := m.sdk.ShowInstanceMessages(&model.ShowInstanceMessagesRequest{InstanceId: m.id, Topic: "nope", StartTime: msgStr("0"), EndTime: msgStr("1")})
		sdkErr(t, err, 400, "DMS.00400876")
		_, err = m.sdk.ShowPartitionEndMessage(&model.ShowPartitionEndMessageRequest{InstanceId: m.id, Topic: "events", Partition: 9})
		sdkErr(t, err, 400, "DMS.00400062")
	})

	t.Run("bounds", func(t *testing.T) {
		defer m.Server.messages.SetLimits(messages.Limits{})
		search := func(kv ...string) (int, map[string]any) {
			v := url.Values{"topic": {"events"}}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return m.raw(t, "GET", "/v2/"+m.ProjectID+"/instances/"+m.id+"/messages?"+v.Encode(), nil)
		}
		// Unbounded enough: the whole topic is searched and said so.
		code, out := search("keyword", "needle")
		if sc := out["scan"].(map[string]any); code != 200 || out["truncated"] != false || sc["search"] != true || sc["stopped_by"] != nil || sc["records"].(float64) < 231 {
			t.Fatalf("full search: %d %v", code, out)
		}

		// 120 records per search: newest first, the search reads the newest 40 of each partition,
		// finds the needles among them (3 + 4 + 4), and says it stopped.
		m.Server.messages.SetLimits(messages.Limits{MaxScanRecords: 120})
		code, out = search("keyword", "needle")
		sc := out["scan"].(map[string]any)
		if code != 200 || out["truncated"] != true || sc["stopped_by"] != "records" || sc["records"] != float64(120) || out["total"] != float64(11) {
			t.Fatalf("bounded search: %d %v", code, out)
		}
		if first := out["messages"].([]any)[0].(map[string]any); first["message_offset"] != float64(90) || first["partition"] != float64(2) {
			t.Fatalf("bounded newest-first search starts at %v", first)
		}
		// Oldest first, the oldest 40 of each partition.
		code, out = search("keyword", "needle", "asc", "true")
		if first := out["messages"].([]any)[0].(map[string]any); code != 200 || out["total"] != float64(12) || first["message_offset"] != float64(0) {
			t.Fatalf("bounded oldest-first search: %d %v", code, out)
		}
		// The SDK reads the page as usual.
		resp := show(model.ShowInstanceMessagesRequest{Keyword: msgStr("needle")})
		if len(*resp.Messages) == 0 {
			t.Fatal("bounded search through the SDK: no messages")
		}
		// Nothing found before the bound: the reference's 501.
		code, out = search("keyword", "event 2/3", "asc", "false")
		if code != 501 || out["error_code"] != "DMS.111501026" {
			t.Fatalf("nothing found within the record bound: %d %v", code, out)
		}
		m.Server.messages.SetLimits(messages.Limits{MaxScanBytes: 100})
		code, out = search("keyword", "absent")
		if code != 501 || out["error_code"] != "DMS.111501026" {
			t.Fatalf("byte bound: %d %v", code, out)
		}
		m.Server.messages.SetLimits(messages.Limits{MaxScanTime: time.Nanosecond})
		code, out = search("keyword", "absent")
		if code != 408 || out["error_code"] != "DMS.111501024" {
			t.Fatalf("time bound: %d %v", code, out)
		}
		_, err := m.sdk.ShowInstanceMessages(&model.ShowInstanceMessagesRequest{InstanceId: m.id, Topic: "events", Keyword: msgStr("absent")})
		sdkErr(t, err, 408, "DMS.111501024")
	})
	t.Run("earliest and latest, delete", func(t *testing.T) {
		b, err := m.sdk.ShowPartitionBeginningMessage(&model.ShowPartitionBeginningMessageRequest{InstanceId: m.id, Topic: "events", Partition: 1})
		if err != nil || deref(b.Offset) != 0 || deref(b.Timestamp) != msgTS(0) || deref(b.Topic) != "events" || deref(b.Partition) != 1 {
			t.Fatalf("beginning: %+v %v", b, err)
		}
		e, err := m.sdk.ShowPartitionEndMessage(&model.ShowPartitionEndMessageRequest{InstanceId: m.id, Topic: "events", Partition: 0})
		if err != nil || deref(e.Offset) != 100 || deref(e.Timestamp) != msgTS(200) {
			t.Fatalf("end: %+v %v", e, err)
		}

		// The SDK's form of 5.8.6 moves the earliest offset.
		del, err := m.sdk.DeleteKafkaTopicMessages(&model.DeleteKafkaTopicMessagesRequest{InstanceId: m.id, Topic: "events",
			Body: &model.DeleteKafkaMessageRequestBody{Partitions: &[]model.PartitionOffsetEntity{{Partition: msgI32(1), Offset: msgI32(30)}}}})
		if err != nil {
			t.Fatal(err)
		}
		if r := (*del.Partitions)[0]; deref(r.Partition) != 1 || deref(r.Result) != "success" || deref(r.ErrorCode) != "0" {
			t.Fatalf("delete: %+v", r)
		}
		b, err = m.sdk.ShowPartitionBeginningMessage(&model.ShowPartitionBeginningMessageRequest{InstanceId: m.id, Topic: "events", Partition: 1})
		if err != nil || deref(b.Offset) != 30 || deref(b.Timestamp) != msgTS(30) {
			t.Fatalf("beginning after delete: %+v %v", b, err)
		}
		// A search no longer sees them; reading a deleted offset is out of range.
		if resp := show(model.ShowInstanceMessagesRequest{Partition: msgStr("1"), StartTime: ms(0), EndTime: ms(99)}); deref(resp.Total) != 70 {
			t.Fatalf("after delete: total %d", deref(resp.Total))
		}
		_, err = m.sdk.ShowPartitionMessage(&model.ShowPartitionMessageRequest{InstanceId: m.id, Topic: "events", Partition: 1, MessageOffset: "10"})
		sdkErr(t, err, 400, "DMS.00400062")

		// The reference's form: DELETE with a body; -1 deletes everything.
		code, out := m.raw(t, "DELETE", "/v2/"+m.ProjectID+"/kafka/instances/"+m.id+"/topics/events/messages",
			map[string]any{"partitions": []map[string]any{{"partition": 2, "offset": -1}}})
		if code != 200 {
			t.Fatalf("DELETE: %d %v", code, out)
		}
		if r := out["partitions"].([]any)[0].(map[string]any); r["result"] != "success" || r["error_code"] != "0" || r["start_offset"] != float64(100) {
			t.Fatalf("DELETE: %v", out)
		}
		b, err = m.sdk.ShowPartitionBeginningMessage(&model.ShowPartitionBeginningMessageRequest{InstanceId: m.id, Topic: "events", Partition: 2})
		if err != nil || deref(b.Offset) != -1 || deref(b.Timestamp) != -1 { // no message: see messages.NoMessage
			t.Fatalf("beginning of an emptied partition: %+v %v", b, err)
		}
		e, err = m.sdk.ShowPartitionEndMessage(&model.ShowPartitionEndMessageRequest{InstanceId: m.id, Topic: "events", Partition: 2})
		if err != nil || deref(e.Offset) != -1 || deref(e.Timestamp) != -1 {
			t.Fatalf("end of an emptied partition: %+v %v", e, err)
		}

		bad := []struct {
			name string
			body any
			code string
		}{
			{"no partitions", map[string]any{"partitions": []any{}}, "DMS.00400062"},
			{"unknown partition", map[string]any{"partitions": []map[string]any{{"partition": 9, "offset": 1}}}, "DMS.00400062"},
			{"offset past the end", map[string]any{"partitions": []map[string]any{{"partition": 0, "offset": 1000}}}, "DMS.00400062"},
			{"partition twice", map[string]any{"partitions": []map[string]any{{"partition": 0, "offset": 1}, {"partition": 0, "offset": 2}}}, "DMS.00400062"},
			{"no offset", map[string]any{"partitions": []map[string]any{{"partition": 0}}}, "DMS.00400062"},
			{"empty body", nil, "DMS.00400004"},
		}
		for _, tt := range bad {
			for _, form := range []struct{ method, path string }{
				{"DELETE", "/v2/" + m.ProjectID + "/kafka/instances/" + m.id + "/topics/events/messages"},
				{"POST", "/v2/" + m.ProjectID + "/kafka/instances/" + m.id + "/topics/events/messages/delete"},
			} {
				if code, out := m.raw(t, form.method, form.path, tt.body); code != 400 || out["error_code"] != tt.code {
					t.Errorf("%s (%s): %d %v, want 400 %s", tt.name, form.method, code, out, tt.code)
				}
			}
		}
		_, err = m.sdk.DeleteKafkaTopicMessages(&model.DeleteKafkaTopicMessagesRequest{InstanceId: m.id, Topic: "nope",
			Body: &model.DeleteKafkaMessageRequestBody{Partitions: &[]model.PartitionOffsetEntity{{Partition: msgI32(0), Offset: msgI32(1)}}}})
		sdkErr(t, err, 400, "DMS.00400876")
	})
}

func msgOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
