package messages

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
)

func code(err error) string {
	var de *dms.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return fmt.Sprint(err)
}

func TestProduceInput(t *testing.T) {
	p := func(kv ...string) []Property {
		var out []Property
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, Property{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name      string
		req       ProduceRequest
		code      string
		key       string
		hasKey    bool
		partition int32
		headers   int
	}{
		{"plain", ProduceRequest{Topic: "t", Body: "b"}, "", "", false, -1, 0},
		{"reference example", ProduceRequest{Topic: "t", Body: "b", Properties: p("KEY", "testKey", "PARTITION", "0")}, "", "testKey", true, 0, 0},
		{"lower case, headers", ProduceRequest{Topic: "t", Properties: p("key", "k", "partition", "2", "h1", "v1", "h2", "")}, "", "k", true, 2, 2},
		{"empty key and partition", ProduceRequest{Topic: "t", Properties: p("KEY", "", "PARTITION", "")}, "", "", false, -1, 0},
		{"partition -1", ProduceRequest{Topic: "t", Properties: p("PARTITION", "-1")}, "", "", false, -1, 0},
		{"no topic", ProduceRequest{Body: "b"}, dms.CodeInvalidParameter, "", false, -1, 0},
		{"bad partition", ProduceRequest{Topic: "t", Properties: p("PARTITION", "1.5")}, dms.CodeInvalidParameter, "", false, -1, 0},
		{"negative partition", ProduceRequest{Topic: "t", Properties: p("PARTITION", "-2")}, dms.CodeInvalidParameter, "", false, -1, 0},
		{"two keys", ProduceRequest{Topic: "t", Properties: p("KEY", "a", "key", "b")}, dms.CodeInvalidParameter, "", false, -1, 0},
		{"two partitions", ProduceRequest{Topic: "t", Properties: p("PARTITION", "1", "PARTITION", "1")}, dms.CodeInvalidParameter, "", false, -1, 0},
		{"nameless property", ProduceRequest{Topic: "t", Properties: p("", "x")}, dms.CodeInvalidParameter, "", false, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := produceInput(tt.req)
			if tt.code != "" {
				if code(err) != tt.code {
					t.Fatalf("error %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil || string(in.Key) != tt.key || (in.Key != nil) != tt.hasKey || in.Partition != tt.partition || len(in.Headers) != tt.headers {
				t.Fatalf("input %+v, %v", in, err)
			}
		})
	}
}

func TestValidateQuery(t *testing.T) {
	lim := DefaultLimits()
	ok := Query{Topic: "t", EndMs: -1, Partition: -1, Page: 1, Limit: 10}
	with := func(f func(*Query)) Query { q := ok; f(&q); return q }
	tests := []struct {
		name string
		q    Query
		code string
	}{
		{"ok", ok, ""},
		{"no topic", with(func(q *Query) { q.Topic = "" }), dms.CodeInvalidParameter},
		{"start after end", with(func(q *Query) { q.StartMs, q.EndMs = 10, 5 }), dms.CodeTimestampInvalid},
		{"one instant", with(func(q *Query) { q.StartMs, q.EndMs = 5, 5 }), ""},
		{"negative start", with(func(q *Query) { q.StartMs = -1 }), dms.CodeTimestampInvalid},
		{"limit 0", with(func(q *Query) { q.Limit = 0 }), dms.CodeInvalidParameter},
		{"limit above the maximum", with(func(q *Query) { q.Limit = lim.MaxPageSize + 1 }), dms.CodePageSizeTooLarge},
		{"deepest page", with(func(q *Query) { q.Limit, q.Page = 50, lim.MaxPageDepth/50 }), ""},
		{"too deep", with(func(q *Query) { q.Limit, q.Page = 50, lim.MaxPageDepth/50+1 }), dms.CodePageSkipTooLarge},
		{"page overflow", with(func(q *Query) { q.Page = 1 << 40 }), dms.CodePageSkipTooLarge},
		{"keyword of 50 characters", with(func(q *Query) { q.Keyword = strings.Repeat("é", 50) }), ""},
		{"keyword too long", with(func(q *Query) { q.Keyword = strings.Repeat("k", 51) }), dms.CodeInvalidParameter},
		{"too many words", with(func(q *Query) { q.Include, q.Exclude = make([]string, 11), make([]string, 10) }), dms.CodeInvalidParameter},
		{"partition -2", with(func(q *Query) { q.Partition = -2 }), dms.CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateQuery(tt.q, lim)
			if (tt.code == "" && err != nil) || (tt.code != "" && code(err) != tt.code) {
				t.Fatalf("error %v, want %q", err, tt.code)
			}
		})
	}
}

func TestFilter(t *testing.T) {
	rec := func(key, value string) *kafkaops.Record {
		r := &kafkaops.Record{Value: []byte(value)}
		if key != "-" {
			r.Key = []byte(key)
		}
		return r
	}
	k := "order-7"
	empty := ""
	tests := []struct {
		name string
		q    Query
		r    *kafkaops.Record
		want bool
	}{
		{"keyword in value", Query{Keyword: "err"}, rec("-", "an error"), true},
		{"keyword in key", Query{Keyword: "der"}, rec("order-7", "x"), true},
		{"keyword nowhere", Query{Keyword: "zzz"}, rec("order-7", "x"), false},
		{"key whole", Query{Key: &k}, rec("order-7", "x"), true},
		{"key part", Query{Key: &k}, rec("order-77", "x"), false},
		{"empty key is not no key", Query{Key: &empty}, rec("-", "x"), false},
		{"empty key", Query{Key: &empty}, rec("", "x"), true},
		{"include all", Query{Include: []string{"a", "b"}}, rec("-", "a b"), true},
		{"include one missing", Query{Include: []string{"a", "c"}}, rec("-", "a b"), false},
		{"exclude", Query{Exclude: []string{"debug"}}, rec("-", "debug line"), false},
		{"exclude absent", Query{Exclude: []string{"debug"}}, rec("-", "info line"), true},
		{"all together", Query{Keyword: "7", Key: &k, Include: []string{"paid"}, Exclude: []string{"test"}}, rec("order-7", "paid"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFilter(tt.q)
			if f == nil || f.match(tt.r) != tt.want {
				t.Fatalf("match = %v, want %v", f != nil && f.match(tt.r), tt.want)
			}
		})
	}
	if newFilter(Query{Include: []string{""}}) != nil {
		t.Fatal("a query without filters has a filter")
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
		cut  bool
	}{
		{"hello", 10, "hello", false},
		{"hello", 5, "hello", false},
		{"hello", 3, "hel", true},
		{"héllo", 2, "h", true}, // never half a character
		{"日本語", 4, "日", true},
		{"日本語", 6, "日本", true},
	}
	for _, tt := range tests {
		got, cut := cut([]byte(tt.in), tt.n)
		if string(got) != tt.want || cut != tt.cut || !utf8.Valid(got) {
			t.Errorf("cut(%q, %d) = %q %v, want %q %v", tt.in, tt.n, got, cut, tt.want, tt.cut)
		}
	}
	if b, c := cut(nil, 3); b != nil || c {
		t.Error("cut(nil) is not nil")
	}
}

func TestTopK(t *testing.T) {
	for _, asc := range []bool{false, true} {
		top := newTopK(5, asc)
		// Timestamps 0..19 over 2 partitions, offered in a scrambled order.
		for i := range 20 {
			j := (i * 7) % 20
			r := &kafkaops.Record{Partition: int32(j % 2), Offset: int64(j), Timestamp: int64(j / 2)}
			if top.wants(r) {
				top.add(messageOf("t", r, 10, false))
			}
		}
		got := top.sorted()
		var order []string
		for _, m := range got {
			order = append(order, fmt.Sprint(m.Timestamp, "/", m.Partition))
		}
		want := "[9/1 9/0 8/1 8/0 7/1]"
		if asc {
			want = "[0/0 0/1 1/0 1/1 2/0]"
		}
		if fmt.Sprint(order) != want {
			t.Errorf("asc=%v: %v, want %s", asc, order, want)
		}
	}
}

func TestQuerySlots(t *testing.T) {
	s := New(nil)
	s.SetLimits(Limits{MaxConcurrentQueries: 1, QueueWait: 10 * time.Millisecond})
	release, _, err := s.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.acquire(context.Background()); code(err) != dms.CodeQueryBusy {
		t.Fatalf("second query: %v, want %s", err, dms.CodeQueryBusy)
	}
	if e := dms.AsError(dms.E(dms.CodeQueryBusy)); e.Status != 503 {
		t.Fatalf("busy is %d", e.Status)
	}
	release()
	again, _, err := s.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	again()
	if got := s.Limits(); got.MaxScanBytes != DefaultLimits().MaxScanBytes || got.MaxConcurrentQueries != 1 {
		t.Fatalf("limits %+v", got)
	}
}
