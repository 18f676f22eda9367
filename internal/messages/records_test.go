package messages

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// TestRecordsResultAppendJSON: the hand-written encoding writes what encoding/json writes.
func TestRecordsResultAppendJSON(t *testing.T) {
	p, o, ts := int32(2), int64(1<<40), int64(1735787045046)
	for _, tc := range []struct {
		name string
		r    RecordsResult
	}{
		{"none", RecordsResult{Topic: "t", Records: []RecordOut{}}},
		{"written and failed", RecordsResult{Topic: "a<b>&\"c\"\u2028é", Succeeded: 2, Failed: 1, Records: []RecordOut{
			{Partition: &p, Offset: &o, Timestamp: &ts}, {ErrorCode: "DMS.00400062", ErrorMsg: "too <large> & \"bad\"\n\x01"}, {Partition: &p, Offset: &o, Timestamp: &ts}}}},
		{"error without message", RecordsResult{Topic: "t", Failed: 1, Records: []RecordOut{{ErrorCode: "X"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tc.r); err != nil {
				t.Fatal(err)
			}
			if got := tc.r.AppendJSON(nil); string(got) != want.String() {
				t.Errorf("got  %s\nwant %s", got, want.Bytes())
			}
		})
	}
}

// FuzzFastRecord: whatever fastRecord accepts, encoding/json decodes (through RecordIn and
// batchInput) to the same record.
//
//	go test -run '^$' -fuzz FuzzFastRecord -fuzztime 30s ./internal/messages/
func FuzzFastRecord(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"key":"k","value":"v"}`, ` { "value" : null , "key" : "" } `, `{"value":"a","partition":0,"timestamp":1735787045046}`,
		`{"partition":-1}`, `{"partition":01}`, `{"partition":1.0}`, `{"partition":2147483648}`, `{"partition":null,"timestamp":null}`,
		`{"timestamp":"2026-01-02T03:04:05Z"}`, `{"timestamp":"1735787045046"}`, `{"timestamp":0}`, `{"timestamp":-1}`,
		`{"headers":[{"name":"a","value":"b"},{"value":null,"name":"c"}]}`, `{"headers":[]}`, `{"headers":null}`,
		`{"headers":[{"name":""}]}`, `{"headers":[{"name":"a","name":"b"}]}`, `{"Key":"k"}`, `{"key":"a\"b"}`, `{"key":"a\u0041"}`,
		`{"value":{"type":"binary","data":"/w=="}}`, `{"key":"k","key":"l"}`, `{"value":"x",}`, `{"value":"x" "key":"y"}`,
		`{"extra":1}`, "{\"value\":\"a\tb\"}", `{"value":"é"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return // refused before either decoder runs
		}
		fast, ok := fastRecord(b)
		if !ok {
			return
		}
		var rec RecordIn
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("fastRecord accepted %q, encoding/json refuses it: %v", b, err)
		}
		slow, err := batchInput(rec)
		if err != nil {
			t.Fatalf("fastRecord accepted %q, batchInput refuses it: %v", b, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %+v, encoding/json %+v", b, fast, slow)
		}
	})
}
