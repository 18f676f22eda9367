package messages

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// decodeSlow is how the HTTP layer decodes a body DecodeProduceRequest leaves to encoding/json
// (decodeJSON: one value, then nothing but whitespace).
func decodeSlow(b []byte) (ProduceRequest, error) {
	var req ProduceRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&req); err != nil {
		return req, err
	}
	if dec.More() {
		return req, &json.SyntaxError{}
	}
	return req, nil
}

var produceBodies = []string{
	`{"topic":"t","body":"b","property_list":[{"name":"KEY","value":"k"},{"value":"1","name":"PARTITION"}]}`,
	` { "body" : "" , "topic" : "t" } `, `{}`, `{"topic":"t"}`, `{"topic":"t","property_list":[]}`, `{"topic":"t","property_list":null}`,
	`{"topic":"é\u2028<>&","body":"x"}`, "{\"topic\":\"t\",\"body\":\"a\u2028b\"}", `{"topic":"a\"b"}`, `{"topic":"a\u0041"}`,
	`{"Topic":"t"}`, `{"topic":"t","topic":"u"}`, `{"topic":null}`, `{"topic":1}`, `{"topic":"t","extra":1}`,
	`{"topic":"t","property_list":[{"name":"KEY"}]}`, `{"topic":"t","property_list":[{"name":"a","value":"b","name":"c"}]}`,
	`{"topic":"t","property_list":[{"name":"a","value":1}]}`, `{"topic":"t","property_list":[{}]}`, `{"topic":"t",}`,
	`{"topic":"t"} {}`, `{"topic":"t"`, `[]`, ``, `   `, "{\"topic\":\"a\tb\"}", `{"topic":"t","property_list":[{"name":"a","value":"b"},]}`,
	`{"topic":"t","property_list":[{"name":"a","value":"b"} {"name":"c","value":"d"}]}`, `{"topic":"t","property_list":{"name":"a"}}`,
	`{"topic":"t","property_list":[{"name":"a","value":"b"}],"property_list":[]}`, `{"topic":"t","body":"x" "property_list":[]}`,
}

// TestDecodeProduceRequest: the common shape is decoded without encoding/json, to what it gives;
// anything else is left to it.
func TestDecodeProduceRequest(t *testing.T) {
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{`{"topic":"t","body":"b","property_list":[{"name":"KEY","value":"k"},{"value":"1","name":"PARTITION"}]}`, true},
		{` { "body" : "" , "topic" : "t" } `, true},
		{`{}`, true},
		{`{"topic":"t","property_list":[]}`, true},
		{`{"topic":"t","property_list":null}`, true},
		{"{\"topic\":\"é\u2028<>&\",\"body\":\"x\"}", true},
		{`{"topic":"a\"b"}`, false},          // an escape
		{`{"Topic":"t"}`, false},             // another spelling
		{`{"topic":"t","topic":"u"}`, false}, // twice
		{`{"topic":null}`, false},
		{`{"topic":"t","extra":1}`, false},
		{`{"topic":"t","property_list":[{"name":"KEY"}]}`, false},
		{`{"topic":"t",}`, false},
		{`{"topic":"t"} {}`, false},
		{``, false},
		{"{\"topic\":\"t\xff\"}", false}, // not UTF-8
	} {
		t.Run(tc.body, func(t *testing.T) {
			got, ok := DecodeProduceRequest([]byte(tc.body))
			if ok != tc.fast {
				t.Fatalf("fast path %v, want %v", ok, tc.fast)
			}
			if !ok {
				return
			}
			want, err := decodeSlow([]byte(tc.body))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("fast %#v, encoding/json %#v (%v)", got, want, err)
			}
		})
	}
}

// FuzzDecodeProduceRequest: whatever DecodeProduceRequest accepts, encoding/json decodes to the
// same request.
//
//	go test -run '^$' -fuzz FuzzDecodeProduceRequest -fuzztime 30s ./internal/messages/
func FuzzDecodeProduceRequest(f *testing.F) {
	for _, s := range produceBodies {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return // refused before either decoder runs
		}
		fast, ok := DecodeProduceRequest(b)
		if !ok {
			return
		}
		slow, err := decodeSlow(b)
		if err != nil {
			t.Fatalf("DecodeProduceRequest accepted %q, encoding/json refuses it: %v", b, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast %#v, encoding/json %#v", b, fast, slow)
		}
	})
}
