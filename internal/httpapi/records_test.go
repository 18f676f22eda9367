package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type recordsAnswer struct {
	Topic     string `json:"topic"`
	Succeeded int    `json:"succeeded"`
	Failed    int    `json:"failed"`
	Records   []struct {
		Partition *int32 `json:"partition"`
		Offset    *int64 `json:"offset"`
		Timestamp *int64 `json:"timestamp"`
		ErrorCode string `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
	} `json:"records"`
}

// sentRecord is what a test sent, to compare with what a consumer reads back.
type sentRecord struct {
	key       *string
	value     string
	headers   map[string]string
	partition int32 // -1: any
	ts        int64 // 0: any (recent)
}

func (m *msgEnv) postRecords(t *testing.T, ak, sk, topic string, body []byte) (int, []byte) {
	t.Helper()
	resp, b := m.doAs(t, ak, sk, "POST", adminPrefix+"/"+m.ProjectID+"/instances/"+m.id+"/topics/"+topic+"/records", body)
	return resp.StatusCode, b
}

// consumeAll reads every record of topic's partitions (n records in all).
func (m *msgEnv) consumeAll(t *testing.T, topic string, partitions int32, n int) map[[2]int64]*kgo.Record {
	t.Helper()
	parts := map[int32]kgo.Offset{}
	for p := range partitions {
		parts[p] = kgo.NewOffset().AtStart()
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(m.seeds...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := map[[2]int64]*kgo.Record{}
	for len(got) < n {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consumed %d of %d: %v", len(got), n, err)
		}
		fs.EachRecord(func(r *kgo.Record) { got[[2]int64{int64(r.Partition), r.Offset}] = r })
	}
	return got
}

// TestRecordsProduce: the batched produce API takes a JSON array or NDJSON, answers per record in
// order, and what it wrote is what a franz-go consumer reads back.
func TestRecordsProduce(t *testing.T) {
	m := newMsgEnv(t, "kafka-records")
	m.createTopic(t, "events", 3)
	k := func(s string) *string { return &s }
	ts := time.Now().Add(-time.Minute).Truncate(time.Millisecond)

	arrayBody := []byte(fmt.Sprintf(`[
		{"key":"order-1","value":"hello","headers":[{"name":"trace","value":"abc"},{"name":"bin","value":{"type":"binary","data":"%s"}}]},
		{"key":{"type":"string","data":"order-2"},"value":{"type":"binary","data":"%s"},"partition":2,"timestamp":"%s"},
		{"value":"no key","partition":1,"timestamp":%d}
	]`, base64.StdEncoding.EncodeToString([]byte("h\x00v")), base64.StdEncoding.EncodeToString([]byte("bytes\x01")), ts.Format(time.RFC3339Nano), ts.UnixMilli()))
	arraySent := []sentRecord{
		{key: k("order-1"), value: "hello", headers: map[string]string{"trace": "abc", "bin": "h\x00v"}, partition: -1},
		{key: k("order-2"), value: "bytes\x01", partition: 2, ts: ts.UnixMilli()},
		{value: "no key", partition: 1, ts: ts.UnixMilli()},
	}
	var nd strings.Builder
	var ndSent []sentRecord
	for i := range 20 {
		fmt.Fprintf(&nd, "{\"key\":\"k%d\",\"value\":\"v%d\",\"partition\":0,\"headers\":[{\"name\":\"i\",\"value\":\"%d\"}]}\n", i, i, i)
		ndSent = append(ndSent, sentRecord{key: k(fmt.Sprint("k", i)), value: fmt.Sprint("v", i), headers: map[string]string{"i": fmt.Sprint(i)}, partition: 0})
	}

	var all []sentRecord
	var where [][2]int64
	for _, tc := range []struct {
		name string
		body []byte
		sent []sentRecord
	}{
		{"JSON array", arrayBody, arraySent},
		{"NDJSON", []byte(nd.String()), ndSent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b := m.postRecords(t, m.AK, m.SK, "events", tc.body)
			if code != 200 {
				t.Fatalf("%d %s", code, b)
			}
			var out recordsAnswer
			if err := json.Unmarshal(b, &out); err != nil || out.Topic != "events" || out.Succeeded != len(tc.sent) || out.Failed != 0 || len(out.Records) != len(tc.sent) {
				t.Fatalf("answer %s", b)
			}
			last := map[int32]int64{}
			for i, r := range out.Records {
				if r.Partition == nil || r.Offset == nil || r.Timestamp == nil || r.ErrorCode != "" {
					t.Fatalf("records[%d]: %s", i, b)
				}
				if p := tc.sent[i].partition; p >= 0 && *r.Partition != p {
					t.Fatalf("records[%d] went to partition %d, want %d", i, *r.Partition, p)
				}
				// In order: within a partition, offsets grow in the order of the body.
				if prev, ok := last[*r.Partition]; ok && *r.Offset <= prev {
					t.Fatalf("records[%d]: offset %d after %d", i, *r.Offset, prev)
				}
				last[*r.Partition] = *r.Offset
				all = append(all, tc.sent[i])
				where = append(where, [2]int64{int64(*r.Partition), *r.Offset})
			}
		})
	}

	got := m.consumeAll(t, "events", 3, len(all))
	for i, s := range all {
		r := got[where[i]]
		if r == nil {
			t.Fatalf("record %d not at %v", i, where[i])
		}
		if (s.key == nil) != (r.Key == nil) || (s.key != nil && *s.key != string(r.Key)) || string(r.Value) != s.value || len(r.Headers) != len(s.headers) {
			t.Fatalf("record %d: read key %q value %q headers %v, sent %+v", i, r.Key, r.Value, r.Headers, s)
		}
		for _, h := range r.Headers {
			if v, ok := s.headers[h.Key]; !ok || v != string(h.Value) {
				t.Fatalf("record %d: header %s=%q, sent %v", i, h.Key, h.Value, s.headers)
			}
		}
		if s.ts != 0 && r.Timestamp.UnixMilli() != s.ts {
			t.Fatalf("record %d: timestamp %d, sent %d", i, r.Timestamp.UnixMilli(), s.ts)
		}
	}
}

// TestRecordsProduceRefused: a bad body, a bad record, a topic or partition that does not exist
// refuse the whole request (400, nothing written); a read-only user is refused (403).
func TestRecordsProduceRefused(t *testing.T) {
	m := newMsgEnv(t, "kafka-records-bad")
	m.createTopic(t, "events", 2)
	roAK, roSK := m.newUser(t, "reader", "DMS ReadOnlyAccess", m.ProjectID)
	rwAK, rwSK := m.newUser(t, "writer", "DMS FullAccess", m.ProjectID)
	tooMany := "[" + strings.Repeat(`{"value":"x"},`, 10_000) + `{"value":"x"}]`
	for _, tc := range []struct {
		name, topic, body string
		ak, sk            string
		status            int
		code, msg         string
	}{
		{"not JSON", "events", `[{"value":"x"},`, "", "", 400, "DMS.00400005", "records[1]"},
		{"NDJSON line not JSON", "events", "{\"value\":\"x\"}\n{value}\n", "", "", 400, "DMS.00400005", "records[1]"},
		{"garbage after the array", "events", `[{"value":"x"}] x`, "", "", 400, "DMS.00400005", "after the array"},
		{"bad base64", "events", `[{"value":{"type":"binary","data":"!!!"}}]`, "", "", 400, "DMS.00400005", "base64"},
		{"unknown type", "events", `[{"value":{"type":"avro","data":"x"}}]`, "", "", 400, "DMS.00400005", "avro"},
		{"value a number", "events", `[{"value":1}]`, "", "", 400, "DMS.00400005", "records[0]"},
		{"partition a string", "events", `[{"value":"x","partition":"one"}]`, "", "", 400, "DMS.00400085", "partition"},
		{"bad timestamp", "events", `[{"value":"x","timestamp":"yesterday"}]`, "", "", 400, "DMS.00400005", "timestamp"},
		{"header without name", "events", `[{"value":"x","headers":[{"value":"v"}]}]`, "", "", 400, "DMS.00400062", "headers[0]"},
		{"negative partition", "events", `[{"value":"x","partition":-2}]`, "", "", 400, "DMS.00400062", "records[0]"},
		{"partition out of range", "events", `[{"value":"x"},{"value":"y","partition":2}]`, "", "", 400, "DMS.00400062", "records[1]: partition 2"},
		{"unknown topic", "nosuch", `[{"value":"x"}]`, "", "", 400, "DMS.00400876", "nosuch"},
		{"empty body", "events", ``, "", "", 400, "DMS.00400004", ""},
		{"no records", "events", `[]`, "", "", 400, "DMS.00400062", "no records"},
		{"too many records", "events", tooMany, "", "", 400, "DMS.00400062", "at most 10000"},
		{"read-only user", "events", `[{"value":"x"}]`, roAK, roSK, 403, "DMS.00403003", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ak, sk := tc.ak, tc.sk
			if ak == "" {
				ak, sk = m.AK, m.SK
			}
			code, b := m.postRecords(t, ak, sk, tc.topic, []byte(tc.body))
			e := decodeError(t, b)
			if code != tc.status || e.ErrorCode != tc.code || !strings.Contains(e.ErrorMsg, tc.msg) {
				t.Fatalf("got %d %s, want %d %s containing %q", code, b, tc.status, tc.code, tc.msg)
			}
		})
	}
	// Nothing of the refused requests was written.
	offs, err := m.adm.ListEndOffsets(context.Background(), "events")
	if err != nil {
		t.Fatal(err)
	}
	offs.Each(func(o kadm.ListedOffset) {
		if o.Offset != 0 {
			t.Fatalf("partition %d has %d records", o.Partition, o.Offset)
		}
	})
	// A user with write access may produce.
	if code, b := m.postRecords(t, rwAK, rwSK, "events", []byte(`{"value":"x"}`)); code != 200 {
		t.Fatalf("writer: %d %s", code, b)
	}
}

// TestRecordsProduceRecordError: a record the broker refuses carries its error; the request and the
// other records succeed.
func TestRecordsProduceRecordError(t *testing.T) {
	m := newMsgEnv(t, "kafka-records-rec")
	m.createTopic(t, "events", 3) // max.message.bytes 4 MiB
	big := make([]byte, 5<<20)    // random: the client compresses batches, and must not get it under the limit
	rand.Read(big)
	// Kafka refuses a whole batch, and batches are per partition: the big record has its own.
	body := fmt.Sprintf(`[{"value":"a","partition":0},{"value":{"type":"binary","data":%q},"partition":1},{"value":"c","partition":2}]`,
		base64.StdEncoding.EncodeToString(big))
	code, b := m.postRecords(t, m.AK, m.SK, "events", []byte(body))
	var out recordsAnswer
	if code != 200 || json.Unmarshal(b, &out) != nil || len(out.Records) != 3 {
		t.Fatalf("%d %.300s", code, b)
	}
	r := out.Records
	if out.Succeeded != 2 || out.Failed != 1 || r[0].Offset == nil || r[2].Offset == nil || r[1].Offset != nil ||
		r[1].ErrorCode == "" || r[1].ErrorMsg == "" {
		t.Fatalf("answer %s", b)
	}
}
