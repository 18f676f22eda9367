package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	producePath  = ipath + "/messages/action"
	messagesPath = ipath + "/messages"
	mgmtOrders   = ipath + "/management/topics/orders"
	deletePath   = kpath + "/topics/orders/messages/delete"
	producedJSON = `{"topic":"orders","body":"x","property_list":[],"partition":2,"message_offset":41,"timestamp":1735787045046}`
)

// runStdin is runCase with stdin.
func runStdin(t *testing.T, replies map[string]clienttest.Reply, stdin string, code int, args ...string) (result, *clienttest.Server) {
	t.Helper()
	isolate(t)
	f := newFakeDMS(t, replies)
	useFake(t, f, testPID)
	r := run(t, stdin, args...).wantCode(t, code)
	allSigned(t, f)
	return r, f
}

func TestMessageProduce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "v.json")
	if err := os.WriteFile(file, []byte("{\"id\":1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantBody string
	}{
		{"value argument", []string{"hello"}, "ignored", `{"topic":"orders","body":"hello","property_list":[]}`},
		{"key, partition, headers", []string{"hello <&>", "--key", "k1", "--partition", "2", "--header", "trace=abc", "--header", "empty=",
			"--header", "eq=a=b"}, "",
			`{"topic":"orders","body":"hello <&>","property_list":[{"name":"KEY","value":"k1"},{"name":"PARTITION","value":"2"},` +
				`{"name":"trace","value":"abc"},{"name":"empty","value":""},{"name":"eq","value":"a=b"}]}`},
		{"empty key", []string{"v", "--key", ""}, "", `{"topic":"orders","body":"v","property_list":[{"name":"KEY","value":""}]}`},
		{"file, as it is", []string{"--file", file}, "", `{"topic":"orders","body":"{\"id\":1}\n","property_list":[]}`},
		{"stdin", nil, "line 1\nline 2\n", `{"topic":"orders","body":"line 1\nline 2\n","property_list":[]}`},
		{"--file -", []string{"--file", "-"}, "from stdin", `{"topic":"orders","body":"from stdin","property_list":[]}`},
		{"empty stdin", nil, "", `{"topic":"orders","body":"","property_list":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runStdin(t, map[string]clienttest.Reply{"POST " + producePath: replyOK(producedJSON)}, tt.stdin, exitOK,
				append([]string{"message", "produce", iid, "orders"}, tt.args...)...)
			s := f.Only()
			if s.Method+" "+s.Path+"?"+s.RawQuery != "POST "+producePath+"?action_id=send" {
				t.Errorf("request %s %s?%s", s.Method, s.Path, s.RawQuery)
			}
			clienttest.JSONEqual(t, s.Body, tt.wantBody)
			var body struct{ Body string }
			_ = json.Unmarshal(s.Body, &body)
			want := "topic:      orders\npartition:  2\noffset:     41\ntimestamp:  2025-01-02T03:04:05.046Z\nsize:       " + itoa(len(body.Body)) + "\n"
			if r.stdout != want {
				t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
			}
		})
	}

	// json shows the answer; a server without OpenDMS's additions leaves them out.
	r, _ := runStdin(t, map[string]clienttest.Reply{"POST " + producePath: replyOK(producedJSON)}, "", exitOK,
		"message", "produce", iid, "orders", "x", "-o", "json")
	clienttest.JSONEqual(t, []byte(r.stdout), producedJSON)
	r, _ = runStdin(t, map[string]clienttest.Reply{"POST " + producePath: replyOK(`{"topic":"orders","body":"x","property_list":[]}`)}, "", exitOK,
		"message", "produce", iid, "orders", "x")
	if want := "topic:      orders\npartition:  -\noffset:     -\ntimestamp:  -\nsize:       1\n"; r.stdout != want {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
	}
}

func TestMessageProduceErrors(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		stdin string
	}{
		{[]string{iid}, ""},
		{[]string{iid, "orders", "a", "b"}, ""},
		{[]string{iid, "orders", "v", "--file", "x"}, ""},
		{[]string{iid, "orders", "--file", "/nonexistent/file"}, ""},
		{[]string{iid, "orders", "v", "--partition", "-1"}, ""},
		{[]string{iid, "orders", "v", "--header", "novalue"}, ""},
		{[]string{iid, "orders", "v", "--header", "=v"}, ""},
		{[]string{iid, "orders", "v", "--header", "key=k"}, ""},
		{[]string{iid, "orders", "v", "--header", "Partition=1"}, ""},
		{[]string{iid, "orders", "v", "--header", "a=1", "--header", "a=2"}, ""},
		{[]string{iid, "orders"}, "\xff\xfe"},
	} {
		t.Run(strings.Join(tt.args[1:], " "), func(t *testing.T) {
			_, f := runStdin(t, nil, tt.stdin, exitUsage, append([]string{"message", "produce"}, tt.args...)...)
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
		})
	}
	r, _ := runStdin(t, map[string]clienttest.Reply{"POST " + producePath: replyError(404, "DMS.00404024", "The topic does not exist: nope.")},
		"", exitError, "message", "produce", iid, "nope", "v")
	if r.stderr != "dmsctl: DMS.00404024: The topic does not exist: nope. (HTTP 404, request id req-1234)\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
}

const (
	msgA = `{"topic":"orders","partition":1,"message_offset":42,"key":"k1","value":"hello\tworld","size":16,"timestamp":1735787045046,` +
		`"huge_message":false,"message_id":"","app_id":"","tag":"","headers":[{"name":"trace","value":"abc"},{"name":"bin","value":"/w==","encoding":"base64"}]}`
	msgB = `{"topic":"orders","partition":0,"message_offset":7,"key":null,"value":"/w==","value_encoding":"base64","size":1,"timestamp":1735787044000,` +
		`"huge_message":false,"message_id":"","app_id":"","tag":""}`
)

func TestMessageQuery(t *testing.T) {
	long := strings.Repeat("é", 100)
	msgLong := `{"topic":"orders","partition":2,"message_offset":1,"key":"","value":"` + long + `","size":200,"timestamp":1735787043000,"huge_message":true}`
	page := replyOK(`{"messages":[` + msgA + `,` + msgB + `,` + msgLong + `],"total":23,"size":3,"page":2,"pages":3,"truncated":false}`)
	tests := []struct {
		name      string
		args      []string
		reply     clienttest.Reply
		wantQuery string
		wantOut   string
		wantErr   string
	}{
		{"defaults", nil, page, "limit=10&topic=orders", "" +
			"PARTITION  OFFSET  TIMESTAMP                 KEY  SIZE  VALUE\n" +
			"1          42      2025-01-02T03:04:05.046Z  k1   16    hello world\n" +
			"0          7       2025-01-02T03:04:04.000Z  -    1     base64:/w==\n" +
			"2          1       2025-01-02T03:04:03.000Z  -    200   " + strings.Repeat("é", 80) + "...\n" +
			"Page 2 of 3 (23 messages).\n", ""},
		{"time range, RFC 3339 and ms", []string{"--from", "2025-01-02T03:04:05Z", "--to", "1735790645000", "--partition", "1", "--keyword", "order 1",
			"--limit", "3", "--page", "2", "--asc", "--download"}, page,
			"asc=true&download=true&end_time=1735790645000&keyword=order+1&limit=3&offset=2&partition=1&start_time=1735787045000&topic=orders",
			"2          1       2025-01-02T03:04:03.000Z  -    200   " + long + "\n", ""},
		{"RFC 3339 with a fraction and a zone", []string{"--from", "2025-01-02T04:04:05.5+01:00"}, page,
			"limit=10&start_time=1735787045500&topic=orders", "Page 2 of 3", ""},
		{"truncated search", []string{"--keyword", "x"}, replyOK(`{"messages":[],"total":0,"size":0,"page":1,"pages":0,"truncated":true}`),
			"keyword=x&limit=10&topic=orders", "PARTITION  OFFSET  TIMESTAMP  KEY  SIZE  VALUE\nNo messages.\n",
			"dmsctl: the search stopped at a bound of the server before the end of the time range; narrow it (--from, --to, --partition) to see every match\n"},
		{"a server without pages", []string{"--limit", "5"}, replyOK(`{"messages":[` + msgB + `],"total":11,"size":1}`),
			"limit=5&topic=orders", "Page 1 of 3 (11 messages).\n", ""},
		{"by offset", []string{"--partition", "1", "--offset", "42"}, replyOK(`{"messages":[` + msgA + `],"total":1,"size":1}`),
			"message_offset=42&partition=1&topic=orders", "" +
				"topic:         orders\n" +
				"partition:     1\n" +
				"offset:        42\n" +
				"timestamp:     2025-01-02T03:04:05.046Z\n" +
				"key:           k1\n" +
				"size:          16\n" +
				"huge_message:  false\n" +
				"headers:       trace=abc,bin=base64:/w==\n" +
				"value:         hello world\n", ""},
		{"by offset, download", []string{"--partition", "0", "--offset", "0", "--download"}, replyOK(`{"messages":[` + msgB + `],"total":1,"size":1}`),
			"download=true&message_offset=0&partition=0&topic=orders", "value:         base64:/w==\n", ""},
		{"by offset, none", []string{"--partition", "0", "--offset", "3"}, replyOK(`{"messages":[],"total":0,"size":0}`),
			"message_offset=3&partition=0&topic=orders",
			"No message at offset 3 of partition 0 (removed by compaction, or a transaction marker).\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runStdin(t, map[string]clienttest.Reply{"GET " + messagesPath: tt.reply}, "", exitOK,
				append([]string{"message", "query", iid, "orders"}, tt.args...)...)
			if s := f.Only(); s.Path != messagesPath || s.RawQuery != tt.wantQuery {
				t.Errorf("request %s?%s, want query %s", s.Path, s.RawQuery, tt.wantQuery)
			}
			mustContain(t, "stdout", r.stdout, tt.wantOut)
			if r.stderr != tt.wantErr {
				t.Errorf("stderr = %q, want %q", r.stderr, tt.wantErr)
			}
		})
	}

	// json and yaml show the answer as the server sent it (values whole).
	r, _ := runStdin(t, map[string]clienttest.Reply{"GET " + messagesPath: page}, "", exitOK, "message", "query", iid, "orders", "-o", "json")
	var got struct {
		Messages []struct {
			Key   *string `json:"key"`
			Value string  `json:"value"`
		} `json:"messages"`
		Total int `json:"total"`
		Pages int `json:"pages"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Total != 23 || got.Pages != 3 || len(got.Messages) != 3 ||
		got.Messages[1].Key != nil || got.Messages[2].Value != long {
		t.Errorf("json = %+v (%v)\n%s", got, err, r.stdout)
	}
	if strings.Contains(r.stdout, "Page 2") {
		t.Errorf("json output has the table's note:\n%s", r.stdout)
	}
	r, _ = runStdin(t, map[string]clienttest.Reply{"GET " + messagesPath: replyOK(`{"messages":[],"total":0,"size":0}`)}, "", exitOK,
		"message", "query", iid, "orders", "--partition", "0", "--offset", "3", "-o", "yaml")
	if r.stdout != "messages: []\nsize: 0\ntotal: 0\n" {
		t.Errorf("yaml = %q", r.stdout)
	}
}

func TestMessageQueryErrors(t *testing.T) {
	for _, args := range [][]string{
		{iid},
		{iid, "orders", "--offset", "1"},
		{iid, "orders", "--partition", "0", "--offset", "-1"},
		{iid, "orders", "--partition", "-1"},
		{iid, "orders", "--partition", "0", "--offset", "1", "--from", "0"},
		{iid, "orders", "--partition", "0", "--offset", "1", "--keyword", "x"},
		{iid, "orders", "--partition", "0", "--offset", "1", "--limit", "5"},
		{iid, "orders", "--partition", "0", "--offset", "1", "--asc"},
		{iid, "orders", "--from", "yesterday"},
		{iid, "orders", "--to", "2025-01-02"},
		{iid, "orders", "--from", "-5"},
		{iid, "orders", "--from", "2025-01-02T00:00:01Z", "--to", "2025-01-02T00:00:00Z"},
		{iid, "orders", "--limit", "0"},
		{iid, "orders", "--page", "0"},
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			_, f := runStdin(t, nil, "", exitUsage, append([]string{"message", "query"}, args...)...)
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
		})
	}
	r, _ := runStdin(t, map[string]clienttest.Reply{"GET " + messagesPath: replyError(400, "DMS.00400004", "message_offset 9 is out of range.")},
		"", exitError, "message", "query", iid, "orders", "--partition", "0", "--offset", "9")
	if r.stderr != "dmsctl: DMS.00400004: message_offset 9 is out of range. (HTTP 400, request id req-1234)\n" {
		t.Errorf("stderr = %q", r.stderr)
	}
}

func TestMessageOffsets(t *testing.T) {
	pos := func(p, off, ts string) clienttest.Reply {
		return replyOK(`{"topic":"orders","partition":` + p + `,"offset":` + off + `,"timestamp":` + ts + `}`)
	}
	replies := map[string]clienttest.Reply{
		"GET " + kpath + "/topics/orders/partitions":            replyOK(`{"total":3,"partitions":[{"partition":0},{"partition":1},{"partition":2}]}`),
		"GET " + mgmtOrders + "/partitions/0/beginning-message": pos("0", "3", "1735787045046"),
		"GET " + mgmtOrders + "/partitions/0/end-message":       pos("0", "9", "1735787049000"),
		// Empty: -1 (OpenDMS), and the end offset with timestamp -1 (older servers) for partition 2.
		"GET " + mgmtOrders + "/partitions/1/beginning-message": pos("1", "-1", "-1"),
		"GET " + mgmtOrders + "/partitions/1/end-message":       pos("1", "-1", "-1"),
		"GET " + mgmtOrders + "/partitions/2/beginning-message": pos("2", "0", "-1"),
		"GET " + mgmtOrders + "/partitions/2/end-message":       pos("2", "0", "-1"),
	}
	r, f := runStdin(t, replies, "", exitOK, "message", "offsets", iid, "orders")
	want := []string{"GET " + kpath + "/topics/orders/partitions",
		"GET " + mgmtOrders + "/partitions/0/beginning-message", "GET " + mgmtOrders + "/partitions/0/end-message",
		"GET " + mgmtOrders + "/partitions/1/beginning-message", "GET " + mgmtOrders + "/partitions/1/end-message",
		"GET " + mgmtOrders + "/partitions/2/beginning-message", "GET " + mgmtOrders + "/partitions/2/end-message"}
	if got := strings.Join(requestLines(f), "\n"); got != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	wantOut := "" +
		"PARTITION  EARLIEST  EARLIEST_TIME             LATEST  LATEST_TIME\n" +
		"0          3         2025-01-02T03:04:05.046Z  9       2025-01-02T03:04:09.000Z\n" +
		"1          -         -                         -       -\n" +
		"2          -         -                         -       -\n"
	if r.stdout != wantOut {
		t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, wantOut)
	}

	r, f = runStdin(t, replies, "", exitOK, "message", "offsets", iid, "orders", "--partition", "0", "-o", "json")
	if n := len(f.Requests()); n != 2 {
		t.Errorf("%d requests, want 2: %v", n, requestLines(f))
	}
	clienttest.JSONEqual(t, []byte(r.stdout), `[{"topic":"orders","partition":0,"earliest":{"offset":3,"timestamp":1735787045046},`+
		`"latest":{"offset":9,"timestamp":1735787049000}}]`)

	r, _ = runStdin(t, map[string]clienttest.Reply{
		"GET " + mgmtOrders + "/partitions/5/beginning-message": replyError(400, "DMS.00400004", "topic orders has no partition 5."),
	}, "", exitError, "message", "offsets", iid, "orders", "--partition", "5")
	mustContain(t, "stderr", r.stderr, "dmsctl: DMS.00400004: topic orders has no partition 5.")
	runStdin(t, nil, "", exitUsage, "message", "offsets", iid, "orders", "--partition", "-2")
}

func TestMessageDelete(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		reply    string
		code     int
		wantBody string
		wantOut  string
		wantErr  string
	}{
		{"one partition", []string{"--partition", "0", "--before", "42"},
			`{"partitions":[{"partition":0,"result":"success","error_code":"0","start_offset":42}]}`, exitOK,
			`{"partitions":[{"partition":0,"offset":42}]}`,
			"PARTITION  RESULT   START_OFFSET  ERROR\n0          success  42            -\n", ""},
		{"pairs, one failed", []string{"--partition", "0", "--before", "10", "--partition", "1", "--before", "-1"},
			`{"partitions":[{"partition":0,"result":"success","error_code":"0","start_offset":10},` +
				`{"partition":1,"result":"failed","error_code":"41","error_msg":"NOT_CONTROLLER: this is not the correct controller"}]}`, exitError,
			`{"partitions":[{"partition":0,"offset":10},{"partition":1,"offset":-1}]}`,
			"" +
				"PARTITION  RESULT   START_OFFSET  ERROR\n" +
				"0          success  10            -\n" +
				"1          failed   -             error 41 NOT_CONTROLLER: this is not the correct controller\n",
			"dmsctl: deleting messages failed for 1 of 2 partitions\n"},
		{"one --before for every partition, the reference's answer", []string{"--partition", "0,1", "--partition", "2", "--before", "5"},
			`{"partitions":[{"partition":0,"result":"success","error_code":0},{"partition":1,"result":"success","error_code":0},` +
				`{"partition":2,"result":"success","error_code":0}]}`, exitOK,
			`{"partitions":[{"partition":0,"offset":5},{"partition":1,"offset":5},{"partition":2,"offset":5}]}`,
			"0          success  -             -\n1 ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runStdin(t, map[string]clienttest.Reply{"POST " + deletePath: replyOK(tt.reply)}, "", tt.code,
				append([]string{"message", "delete", iid, "orders"}, tt.args...)...)
			clienttest.JSONEqual(t, f.Only().Body, tt.wantBody)
			mustContain(t, "stdout", r.stdout, tt.wantOut)
			if r.stderr != tt.wantErr {
				t.Errorf("stderr = %q, want %q", r.stderr, tt.wantErr)
			}
		})
	}

	r, _ := runStdin(t, map[string]clienttest.Reply{"POST " + deletePath: replyOK(tests[0].reply)}, "", exitOK,
		"message", "delete", iid, "orders", "--partition", "0", "--before", "42", "-o", "json")
	clienttest.JSONEqual(t, []byte(r.stdout), `[{"partition":0,"result":"success","error_code":"0","start_offset":42}]`)

	for _, args := range [][]string{
		{iid, "orders"},
		{iid, "orders", "--partition", "0"},
		{iid, "orders", "--before", "1"},
		{iid, "orders", "--partition", "0,1,2", "--before", "1,2"},
		{iid, "orders", "--partition", "-1", "--before", "1"},
		{iid, "orders", "--partition", "0", "--before", "-2"},
		{iid, "orders", "--partition", "0,0", "--before", "1"},
		{iid, "orders", "--partition", "x", "--before", "1"},
		{iid, "--partition", "0", "--before", "1"},
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			_, f := runStdin(t, nil, "", exitUsage, append([]string{"message", "delete"}, args...)...)
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
		})
	}
	r, _ = runStdin(t, map[string]clienttest.Reply{"POST " + deletePath: replyError(400, "DMS.00400004", "offset 99 of partition 0 is out of range.")},
		"", exitError, "message", "delete", iid, "orders", "--partition", "0", "--before", "99")
	mustContain(t, "stderr", r.stderr, "dmsctl: DMS.00400004: offset 99 of partition 0 is out of range. (HTTP 400")
}

func TestMessageByInstanceName(t *testing.T) {
	r, f := runStdin(t, map[string]clienttest.Reply{
		"GET " + instances:    replyOK(`{"instances":[` + instanceJSON(iid, "kafka-demo", "RUNNING", "") + `],"instance_num":1}`),
		"POST " + producePath: replyOK(producedJSON),
	}, "", exitOK, "message", "produce", "kafka-demo", "orders", "x")
	if got := strings.Join(requestLines(f), "\n"); got != "GET "+byNameList+"\nPOST "+producePath+"?action_id=send" {
		t.Errorf("requests:\n%s", got)
	}
	mustContain(t, "stdout", r.stdout, "offset:     41\n")
}
