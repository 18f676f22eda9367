package main

import (
	"strings"
	"testing"
	"time"
)

// TestMessageNumbersEmbedded (issue 10, bug 4): on a real server (embedded engine), the numbers
// dmsctl shows for one message and one partition agree between commands: produce and query show
// the same size (the value's bytes, whatever the key and headers); 'message offsets' LATEST is
// 'topic partitions' END_OFFSET - 1; an empty partition does not read as one holding a message at
// offset 0.
func TestMessageNumbersEmbedded(t *testing.T) {
	embeddedTopic(t, "kafka-nums", "nums", 2)
	const long = 2 * time.Minute

	const value = "8-bytes!" // no space: tableRows splits on spaces
	r := runCtx(t, long, "", "message", "produce", "kafka-nums", "nums", value, "--key", "order-1", "--header", "trace=abc",
		"--partition", "1").wantCode(t, exitOK)
	if got := keyValue(t, r.stdout, "size"); got != "8" {
		t.Errorf("produce size %q, want 8:\n%s", got, r.stdout)
	}
	r = runCtx(t, long, "", "message", "query", "kafka-nums", "nums", "--partition", "1", "--offset", "0").wantCode(t, exitOK)
	if got := keyValue(t, r.stdout, "size"); got != "8" {
		t.Errorf("query by offset size %q, want 8:\n%s", got, r.stdout)
	}
	r = runCtx(t, long, "", "message", "query", "kafka-nums", "nums").wantCode(t, exitOK)
	if rows := tableRows(r.stdout); len(rows) != 1 || rows[0]["SIZE"] != "8" {
		t.Errorf("query by time: %v\n%s", rows, r.stdout)
	}

	parts := tableRows(runCtx(t, long, "", "topic", "partitions", "kafka-nums", "nums").wantCode(t, exitOK).stdout)
	offs := tableRows(runCtx(t, long, "", "message", "offsets", "kafka-nums", "nums").wantCode(t, exitOK).stdout)
	want := []struct{ start, end, messages, earliest, latest string }{
		{"0", "0", "0", "-", "-"}, // empty
		{"0", "1", "1", "0", "0"}, // one message, at offset 0
	}
	if len(parts) != len(want) || len(offs) != len(want) {
		t.Fatalf("partitions %v, offsets %v", parts, offs)
	}
	for i, w := range want {
		p, o := parts[i], offs[i]
		if p["START_OFFSET"] != w.start || p["END_OFFSET"] != w.end || p["MESSAGES"] != w.messages {
			t.Errorf("topic partitions, partition %d: %v, want start %s end %s messages %s", i, p, w.start, w.end, w.messages)
		}
		if o["EARLIEST"] != w.earliest || o["LATEST"] != w.latest {
			t.Errorf("message offsets, partition %d: %v, want earliest %s latest %s", i, o, w.earliest, w.latest)
		}
	}
}

// keyValue returns the value of key in "key: value" lines.
func keyValue(t *testing.T, out, key string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in\n%s", key, out)
	return ""
}

// tableRows reads a table whose cells have no spaces into one map per row, by header.
func tableRows(out string) []map[string]string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 {
		return nil
	}
	head := strings.Fields(lines[0])
	var rows []map[string]string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != len(head) || strings.Trim(f[0], "0123456789") != "" {
			continue // a note ("Page 1 of 1 ..."), or a cell with spaces
		}
		row := map[string]string{}
		for i, h := range head {
			row[h] = f[i]
		}
		rows = append(rows, row)
	}
	return rows
}
