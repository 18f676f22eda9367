package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendms/opendms/client/clienttest"
)

const recordsPath = "/opendms/v1/" + testPID + "/instances/" + iid + "/topics/orders/records"

// TestMessageProduceRecordsFile: --file records.jsonl (or --records) sends the file through the
// batched produce API, split into requests of at most recordsChunkRecords records, and shows each
// record's result in order.
func TestMessageProduceRecordsFile(t *testing.T) {
	dir := t.TempDir()
	lines := `{"key":"k1","value":"a"}` + "\n\n" + `{"value":{"type":"binary","data":"/w=="},"partition":2}` + "\n" + `{"value":"c"}`
	jsonl := filepath.Join(dir, "records.jsonl")
	array := filepath.Join(dir, "records.json")
	if err := os.WriteFile(jsonl, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(array, []byte(` [{"value":"a"},{"value":"b"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	two := replyOK(`{"topic":"orders","succeeded":2,"failed":0,"records":[{"partition":0,"offset":7,"timestamp":1735787045046},` +
		`{"partition":2,"offset":3,"timestamp":1735787045046}]}`)
	one := replyOK(`{"topic":"orders","succeeded":1,"failed":0,"records":[{"partition":1,"offset":9,"timestamp":1735787045046}]}`)
	for _, tt := range []struct {
		name      string
		args      []string
		stdin     string
		chunk     int
		reply     clienttest.Reply
		wantBody  []string
		wantLines int
	}{
		{"jsonl, one request", []string{"--file", jsonl}, "", 10, clienttest.Reply{Status: 200, Body: `{"topic":"orders","succeeded":3,"failed":0,"records":[` +
			`{"partition":0,"offset":7,"timestamp":1735787045046},{"partition":2,"offset":3,"timestamp":1735787045046},{"partition":1,"offset":9,"timestamp":1735787045046}]}`},
			[]string{`{"key":"k1","value":"a"}` + "\n" + `{"value":{"type":"binary","data":"/w=="},"partition":2}` + "\n" + `{"value":"c"}` + "\n"}, 3},
		{"jsonl split in two", []string{"--records"}, lines + "\n" + `{"value":"d"}` + "\n", 2, two,
			[]string{`{"key":"k1","value":"a"}` + "\n" + `{"value":{"type":"binary","data":"/w=="},"partition":2}` + "\n", `{"value":"c"}` + "\n" + `{"value":"d"}` + "\n"}, 4},
		{"--records from stdin", []string{"--records"}, `{"value":"c"}`, 10, one, []string{`{"value":"c"}` + "\n"}, 1},
		{"--records, a JSON array as it is", []string{"--records", "--file", array}, "", 1, two, []string{`[{"value":"a"},{"value":"b"}]`}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			old := recordsChunkRecords
			recordsChunkRecords = tt.chunk
			defer func() { recordsChunkRecords = old }()
			r, f := runStdin(t, map[string]clienttest.Reply{"POST " + recordsPath: tt.reply}, tt.stdin, exitOK,
				append([]string{"message", "produce", iid, "orders"}, tt.args...)...)
			reqs := f.Requests()
			if len(reqs) != len(tt.wantBody) {
				t.Fatalf("%d requests, want %d", len(reqs), len(tt.wantBody))
			}
			for i, req := range reqs {
				if req.Method+" "+req.Path != "POST "+recordsPath || string(req.Body) != tt.wantBody[i] {
					t.Errorf("request %d: %s %s %q", i, req.Method, req.Path, req.Body)
				}
			}
			out := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if len(out) != 1+tt.wantLines || !strings.HasPrefix(out[0], "RECORD") || !strings.HasPrefix(out[1], "0 ") {
				t.Errorf("stdout =\n%s", r.stdout)
			}
		})
	}

	// A record that failed is shown, and fails the command.
	r, _ := runStdin(t, map[string]clienttest.Reply{"POST " + recordsPath: replyOK(`{"topic":"orders","succeeded":0,"failed":1,` +
		`"records":[{"error_code":"DMS.00400062","error_msg":"too large"}]}`)}, `{"value":"c"}`, exitError, "message", "produce", iid, "orders", "--records")
	if !strings.Contains(r.stdout, "DMS.00400062: too large") || !strings.Contains(r.stderr, "1 of 1 records failed") {
		t.Errorf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	// Flags of a single message do not apply; an empty file has no records.
	empty := filepath.Join(dir, "empty.jsonl")
	if err := os.WriteFile(empty, []byte("\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--file", jsonl, "--key", "k"}, {"--file", jsonl, "--partition", "1"}, {"--records", "v"}, {"--file", empty}} {
		_, f := runStdin(t, nil, "", exitUsage, append([]string{"message", "produce", iid, "orders"}, args...)...)
		if len(f.Requests()) != 0 {
			t.Errorf("%v: requests were sent", args)
		}
	}
}

// TestMessageProduceRecordsEmbedded: on a real server (embedded engine), the records of a .jsonl
// file are written where the answer says, and read back by 'message query'.
func TestMessageProduceRecordsEmbedded(t *testing.T) {
	isolate(t)
	s := newRealDMS(t, "embedded")
	s.use(t)
	const long = 2 * time.Minute
	runCtx(t, long, "", "instance", "create", "kafka-recs", "--wait").wantCode(t, exitOK)
	runCtx(t, long, "", "topic", "create", "kafka-recs", "recs", "--partitions", "2").wantCode(t, exitOK)
	file := filepath.Join(t.TempDir(), "records.jsonl")
	body := `{"key":"k0","value":"first","partition":1}` + "\n" + `{"key":"k1","value":"second","partition":1,"headers":[{"name":"h","value":"v"}]}` + "\n" +
		`{"value":{"type":"binary","data":"dGhpcmQ="},"partition":0,"timestamp":"2026-01-02T03:04:05Z"}` + "\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCtx(t, long, "", "message", "produce", "kafka-recs", "recs", "--file", file).wantCode(t, exitOK)
	rows := tableRows(r.stdout)
	want := []struct{ partition, offset string }{{"1", "0"}, {"1", "1"}, {"0", "0"}}
	if len(rows) != len(want) {
		t.Fatalf("produce:\n%s", r.stdout)
	}
	for i, w := range want {
		if rows[i]["RECORD"] != itoa(i) || rows[i]["PARTITION"] != w.partition || rows[i]["OFFSET"] != w.offset || rows[i]["ERROR"] != "-" {
			t.Errorf("record %d: %v, want partition %s offset %s", i, rows[i], w.partition, w.offset)
		}
	}
	if rows[2]["TIMESTAMP"] != "2026-01-02T03:04:05.000Z" {
		t.Errorf("record 2 timestamp %s", rows[2]["TIMESTAMP"])
	}
	for _, q := range []struct{ partition, offset, value string }{{"1", "1", "second"}, {"0", "0", "third"}} {
		r = runCtx(t, long, "", "message", "query", "kafka-recs", "recs", "--partition", q.partition, "--offset", q.offset, "-o", "json").wantCode(t, exitOK)
		if !strings.Contains(r.stdout, `"value": "`+q.value+`"`) {
			t.Errorf("query %s/%s:\n%s", q.partition, q.offset, r.stdout)
		}
	}
}
