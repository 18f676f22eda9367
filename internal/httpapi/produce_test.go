package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/messages"
)

// TestAppendProduced: 5.5.1's answer, appended by hand, is byte for byte what writeJSON writes
// for it, whatever the topic and body hold.
func TestAppendProduced(t *testing.T) {
	for _, tc := range []struct {
		name, topic, body string
		out               messages.Produced
	}{
		{"plain", "orders", "hello world", messages.Produced{Produced: kafkaops.Produced{Partition: 2, Offset: 1 << 40, Timestamp: 1735787045046}, Size: 11}},
		{"empty", "", "", messages.Produced{}},
		{"html and unicode", "a<b>&c", "é ü 日本 \U0001F600 \u007f", messages.Produced{Size: 3}},
		{"escapes", "t", "quote \" backslash \\ newline \n tab \t nul \x00 \x1f", messages.Produced{}},
		{"line separators", "t\u2028", "a\u2029b", messages.Produced{}},
		{"invalid UTF-8", "t\xff", "a\xc3", messages.Produced{}},
		{"negative", "t", "b", messages.Produced{Produced: kafkaops.Produced{Partition: -1, Offset: -1, Timestamp: -1}, Size: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := messages.ProduceRequest{Topic: tc.topic, Body: tc.body}
			rec := httptest.NewRecorder()
			writeJSON(rec, http.StatusOK, map[string]any{
				"topic": req.Topic, "body": req.Body, "property_list": []any{},
				"partition": tc.out.Partition, "message_offset": tc.out.Offset, "timestamp": tc.out.Timestamp, "size": tc.out.Size,
			})
			if got := appendProduced(nil, req, tc.out); string(got) != rec.Body.String() {
				t.Errorf("got  %q\nwant %q", got, rec.Body.String())
			}
		})
	}
}

// 5.5.1 answers alike whether the request takes the direct path (the usual query and body shape)
// or the general one (url.Values, encoding/json): other query strings, escapes, other spellings of
// the members, unknown members; bad bodies get the same codes as every other API's.
func TestMessagesProduceForms(t *testing.T) {
	m := newMsgEnv(t, "kafka-forms")
	m.createTopic(t, "orders", 3)
	base := "/v2/" + m.ProjectID + "/instances/" + m.id + "/messages/action?"
	tests := []struct {
		name, query, body string
		status            int
		code              string // on an error
		topic, value      string // echoed on success
	}{
		{"usual", "action_id=send", `{"topic":"orders","body":"hello","property_list":[{"name":"KEY","value":"k"}]}`, 200, "", "orders", "hello"},
		{"no property_list", "action_id=send", `{"topic":"orders","body":"é <b>&"}`, 200, "", "orders", "é <b>&"},
		{"escapes", "action_id=send", `{"topic":"orders","body":"a\"b\u00e9\n"}`, 200, "", "orders", "a\"bé\n"},
		{"other spelling", "action_id=send", `{"Topic":"orders","BODY":"x"}`, 200, "", "orders", "x"},
		{"unknown member", "action_id=send", `{"topic":"orders","body":"x","extra":[1,2]}`, 200, "", "orders", "x"},
		{"null property_list", "action_id=send", `{"topic":"orders","body":"x","property_list":null}`, 200, "", "orders", "x"},
		{"more query", "x=1&action_id=send", `{"topic":"orders","body":"x"}`, 200, "", "orders", "x"},
		{"action missing", "", `{"topic":"orders","body":"x"}`, 400, dms.CodeInvalidParameter, "", ""},
		{"action other", "action_id=SEND", `{"topic":"orders","body":"x"}`, 400, dms.CodeInvalidParameter, "", ""},
		{"empty body", "action_id=send", ``, 400, dms.CodeBodyEmpty, "", ""},
		{"not JSON", "action_id=send", `{"topic":`, 400, dms.CodeBodyNotJSON, "", ""},
		{"trailing data", "action_id=send", `{"topic":"orders","body":"x"} {}`, 400, dms.CodeBodyNotJSON, "", ""},
		{"body a number", "action_id=send", `{"topic":"orders","body":1}`, 400, dms.CodeBodyInvalidKey, "", ""},
		{"value a number", "action_id=send", `{"topic":"orders","body":"x","property_list":[{"name":"KEY","value":1}]}`, 400, dms.CodeBodyInvalidKey, "", ""},
		{"no topic", "action_id=send", `{"body":"x"}`, 400, dms.CodeInvalidParameter, "", ""},
		{"unknown topic", "action_id=send", `{"topic":"nope","body":"x"}`, 400, "DMS.00400876", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := m.raw(t, "POST", base+tt.query, []byte(tt.body))
			if code != tt.status {
				t.Fatalf("%d %v, want %d", code, out, tt.status)
			}
			if tt.code != "" {
				if out["error_code"] != tt.code {
					t.Fatalf("%v, want %s", out, tt.code)
				}
				return
			}
			if out["topic"] != tt.topic || out["body"] != tt.value || out["size"] != float64(len(tt.value)) || out["message_offset"] == nil {
				t.Fatalf("answer %v", out)
			}
		})
	}
}

// FuzzAppendProduced: appendProduced writes what writeJSON writes, for any topic and body.
//
//	go test -run '^$' -fuzz FuzzAppendProduced -fuzztime 30s ./internal/httpapi/
func FuzzAppendProduced(f *testing.F) {
	for _, s := range []string{"", "orders", "a<b>&c", "é\u2028\u2029\x7f", "\"\\\n\x00", "\xff\xc3", "\U0001F600"} {
		f.Add(s, s+"x", int64(7))
	}
	f.Fuzz(func(t *testing.T, topic, body string, n int64) {
		req := messages.ProduceRequest{Topic: topic, Body: body}
		out := messages.Produced{Produced: kafkaops.Produced{Partition: int32(n), Offset: n, Timestamp: -n}, Size: n}
		rec := httptest.NewRecorder()
		writeJSON(rec, http.StatusOK, map[string]any{
			"topic": req.Topic, "body": req.Body, "property_list": []any{},
			"partition": out.Partition, "message_offset": out.Offset, "timestamp": out.Timestamp, "size": out.Size,
		})
		if got := appendProduced(nil, req, out); string(got) != rec.Body.String() {
			t.Fatalf("got  %q\nwant %q", got, rec.Body.String())
		}
	})
}
