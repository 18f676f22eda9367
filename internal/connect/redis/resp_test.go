package redis

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRespReader(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // args joined by " ", or "" for an error
		raw      int64
	}{
		{"command", "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n", "SELECT 0", 23},
		{"keepalive newlines skipped", "\n\r\n*1\r\n$4\r\nPING\r\n", "PING", 14},
		{"empty bulk", "*2\r\n$3\r\nDEL\r\n$0\r\n\r\n", "DEL ", 19},
		{"bulk length overflowing int", "*1\r\n$9223372036854775807\r\nxx\r\n", "", 0},
		{"negative bulk length", "*1\r\n$-5\r\nxx\r\n", "", 0},
		{"null bulk", "*1\r\n$-1\r\n", "", 0},
		{"bulk above 512 MiB", fmt.Sprintf("*1\r\n$%d\r\nxx\r\n", 512<<20+1), "", 0},
		{"bulk of 512 MiB claimed, 2 bytes sent", fmt.Sprintf("*1\r\n$%d\r\nxx\r\n", 512<<20), "", 0},
		{"array above the cap", "*2000000\r\n$1\r\nx\r\n", "", 0},
		{"array count overflowing int", "*9223372036854775807\r\n", "", 0},
		{"negative array count", "*-1\r\n", "", 0},
		{"empty array", "*0\r\n", "", 0},
		{"not an array", "+OK\r\n", "", 0},
		{"bulk without CRLF", "*1\r\n$2\r\nabcd\r\n", "", 0},
		{"truncated", "*2\r\n$3\r\nSET\r\n", "", 0},
		{"line too long", "*1\r\n$" + strings.Repeat("1", 5000) + "\r\n", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rd := &respReader{r: bufio.NewReaderSize(strings.NewReader(tc.in), 4096)}
			args, raw, err := rd.readCommand()
			if tc.want == "" {
				if err == nil {
					t.Fatalf("got %q, %v; want an error", args, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, a := range args {
				s = append(s, string(a))
			}
			if got := strings.Join(s, " "); got != tc.want || raw != tc.raw {
				t.Errorf("got %q (%d bytes), want %q (%d bytes)", got, raw, tc.want, tc.raw)
			}
		})
	}
}

// A hostile master's stream ends the link with an error; before, redcon's reader panicked on the
// overflowing length and took dmsd down.
func TestSourceHostileStream(t *testing.T) {
	addr := fakeMaster(t, "+FULLRESYNC "+strings.Repeat("a", 40)+" 0\r\n"+
		fmt.Sprintf("$%d\r\n%s", len(emptyRDB), emptyRDB)+"*1\r\n$9223372036854775807\r\nxx\r\n")
	s := fakeSource(t, addr)
	progressed, err := s.session(testCtx(t))
	if !progressed || err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("session: progressed %v, err %v; want the stream refused after the full sync", progressed, err)
	}
}

// A panic in a runner's work becomes its error instead of ending the process.
func TestRunnerRecovers(t *testing.T) {
	r, ctx := newRunner(testCtx(t), "sink", PhaseRunning, slog.New(slog.DiscardHandler))
	r.run(ctx, func(context.Context) error { var m map[string]int; m["x"]++; return nil })
	<-r.Done()
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("Err = %v, want the panic as the error", err)
	}
}

func TestSinkAllowList(t *testing.T) {
	cases := []struct {
		args    string
		allowed bool
	}{
		{`"set","k","v"`, true}, {`"HSET","h","f","v"`, true}, {`"PEXPIREAT","k","1"`, true},
		{`"XADD","s","*","f","v"`, true}, {`"DEL","a","b"`, true}, {`"ZADD","z","1","m"`, true},
		{`"CONFIG","SET","dir","/root/.ssh"`, false}, {`"SLAVEOF","10.0.0.1","6379"`, false},
		{`"replicaof","no","one"`, false}, {`"SHUTDOWN","NOSAVE"`, false}, {`"MODULE","LOAD","/x.so"`, false},
		{`"EVAL","return 1","0"`, false}, {`"EVALSHA","abc","0"`, false}, {`"FCALL","f","0"`, false},
		{`"FUNCTION","FLUSH"`, false}, {`"SCRIPT","FLUSH"`, false}, {`"ACL","SETUSER","x","on"`, false},
		{`"DEBUG","SLEEP","10"`, false}, {`"MULTI"`, false}, {`"EXEC"`, false}, {`"SELECT","5"`, false},
		{`"CLIENT","REPLY","OFF"`, false}, {`"FLUSHALL"`, false}, {`"FLUSHDB"`, false},
		{`"SWAPDB","0","1"`, false}, {`"MOVE","k","1"`, false}, {`"MIGRATE","h","1","k","0","1"`, false},
		{`"AUTH","x"`, false}, {`"SUBSCRIBE","c"`, false}, {`"SAVE"`, false},
	}
	for _, tc := range cases {
		t.Run(tc.args, func(t *testing.T) {
			_, err := decodeRecord([]byte("k"), []byte(`{"key":"k","db":0,"op":"COMMAND","args":[`+tc.args+`]}`))
			if tc.allowed && err != nil || !tc.allowed && !errors.Is(err, errNotAllowed) {
				t.Errorf("decodeRecord: %v; allowed %v", err, tc.allowed)
			}
		})
	}
}

// A master that goes silent (or never answers PSYNC) fails the link after replTimeout, so the
// source retries instead of staying RUNNING without data.
func TestSourceSilentMaster(t *testing.T) {
	defer func(d time.Duration) { replTimeout = d }(replTimeout)
	replTimeout = 300 * time.Millisecond
	cases := []struct {
		name       string
		reply      string
		progressed bool
	}{
		{"silent after the full sync", "+FULLRESYNC " + strings.Repeat("a", 40) + " 0\r\n" +
			fmt.Sprintf("$%d\r\n%s", len(emptyRDB), emptyRDB), true},
		{"no answer to PSYNC", "", false},
		{"silent in the RDB", "+FULLRESYNC " + strings.Repeat("a", 40) + " 0\r\n$100\r\nREDIS0011", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeSource(t, fakeMaster(t, tc.reply))
			progressed, err := s.session(testCtx(t))
			if progressed != tc.progressed || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("session: progressed %v, err %v; want %v and a read timeout", progressed, err, tc.progressed)
			}
		})
	}
}

// The RDB header's forms: a diskless "$EOF:<mark>" needs a 40-byte mark (an empty one made the
// source read the stream after the payload as payload, forever); sizes must not be negative.
func TestSourceRDBHeader(t *testing.T) {
	defer func(d time.Duration) { replTimeout = d }(replTimeout)
	replTimeout = 2 * time.Second // a refused header fails at once; a timeout means it was not refused
	mark := strings.Repeat("m", 40)
	full := "+FULLRESYNC " + strings.Repeat("a", 40) + " 0\r\n"
	cases := []struct {
		name, payload, wantErr string // wantErr "": the full sync succeeds (and the link then times out)
	}{
		{"sized", fmt.Sprintf("$%d\r\n%s", len(emptyRDB), emptyRDB), ""},
		{"diskless", "$EOF:" + mark + "\r\n" + emptyRDB + mark, ""},
		{"empty mark", "$EOF:\r\n" + emptyRDB, "EOF mark"},
		{"short mark", "$EOF:abc\r\n" + emptyRDB + "abc", "EOF mark"},
		{"long mark", "$EOF:" + mark + "x\r\n" + emptyRDB + mark + "x", "EOF mark"},
		{"negative size", "$-3\r\n" + emptyRDB, "unexpected RDB header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeSource(t, fakeMaster(t, full+tc.payload))
			progressed, err := s.session(testCtx(t))
			if tc.wantErr == "" {
				if !progressed || !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("session: progressed %v, err %v; want the full sync done", progressed, err)
				}
				return
			}
			if progressed || err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("session: progressed %v, err %v; want %q", progressed, err, tc.wantErr)
			}
		})
	}
}

// A command whose arguments exceed the reader's limit is read past (its size still counted for
// the offset); the stream goes on with the next command.
func TestRespReaderLimit(t *testing.T) {
	bulk := func(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }
	big := strings.Repeat("v", 100)
	cases := []struct {
		name, cmd string
		want      string // kept args
		over      bool
	}{
		{"within", "*3\r\n" + bulk("SET") + bulk("k") + bulk(big[:90]), "SET k " + big[:90], false},
		{"value over", "*3\r\n" + bulk("SET") + bulk("k") + bulk(big), "SET k", true},
		{"first argument over", "*1\r\n" + bulk(big+big), "", true},
		{"many arguments over", "*5\r\n" + bulk("RPUSH") + bulk("l") + bulk(big[:50]) + bulk(big[:50]) + bulk("x"), "RPUSH l " + big[:50], true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			next := "*1\r\n" + bulk("PING")
			rd := &respReader{r: bufio.NewReader(strings.NewReader(tc.cmd + next)), limit: 100}
			args, raw, err := rd.readCommand()
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, a := range args {
				s = append(s, string(a))
			}
			if got := strings.Join(s, " "); got != tc.want || rd.over != tc.over || raw != int64(len(tc.cmd)) {
				t.Errorf("got %q over %v raw %d; want %q over %v raw %d", got, rd.over, raw, tc.want, tc.over, len(tc.cmd))
			}
			if args, _, err := rd.readCommand(); err != nil || len(args) != 1 || string(args[0]) != "PING" || rd.over {
				t.Errorf("next command: %q, %v (over %v)", args, err, rd.over)
			}
		})
	}
}
