package redis

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// populate fills s with keys of every supported type in both small (listpack, intset) and large
// (hashtable, skiplist, many quicklist nodes) encodings, some with TTLs and in other DBs, and
// returns the record each key must give: "db/key" -> record (ttl_ms as -1 or 1 for 'has one').
func populate(tb testing.TB, s *redisServer) map[string]Record {
	tb.Helper()
	want := map[string]Record{}
	add := func(db int, key, typ string, value any, ttl bool, cmds ...[]any) {
		s.Do(tb, db, cmds...)
		raw, _ := json.Marshal(value)
		r := Record{Key: key, Type: typ, Value: raw, TTLms: -1, DB: db, Op: OpSet}
		if ttl {
			s.Do(tb, db, []any{"PEXPIRE", key, 600000})
			r.TTLms = 1
		}
		want[fmt.Sprintf("%d/%s", db, key)] = r
	}
	long := strings.Repeat("abcdefgh", 100) // LZF-compressed in the RDB
	add(0, "str", "string", "hello", false, []any{"SET", "str", "hello"})
	add(0, "int", "string", "-12345", true, []any{"SET", "int", "-12345"})
	add(0, "big", "string", "1234567890123", false, []any{"SET", "big", "1234567890123"})
	add(0, "lzf", "string", long, false, []any{"SET", "lzf", long})
	add(0, "list", "list", []string{"a", "7", "-300", "70000", "c"}, true, []any{"RPUSH", "list", "a", "7", "-300", "70000", "c"})
	var bigList []string
	cmd := []any{"RPUSH", "biglist"}
	for i := range 3000 {
		v := fmt.Sprintf("item-%d-%s", i, strings.Repeat("x", i%50))
		bigList = append(bigList, v)
		cmd = append(cmd, v)
	}
	add(0, "biglist", "list", bigList, false, cmd)
	add(0, "intset", "set", []string{"-5", "1", "40000", "5000000000"}, false, []any{"SADD", "intset", 1, -5, 40000, 5000000000})
	add(1, "set", "set", []string{"a", "b", "c"}, true, []any{"SADD", "set", "a", "b", "c"})
	var bigSet []string
	cmd = []any{"SADD", "bigset"}
	for i := range 600 {
		bigSet = append(bigSet, fmt.Sprintf("m%d", i))
		cmd = append(cmd, fmt.Sprintf("m%d", i))
	}
	add(1, "bigset", "set", bigSet, false, cmd)
	add(0, "zset", "zset", map[string]any{"a": 1.5, "b": -2.0, "c": "+inf"}, false, []any{"ZADD", "zset", 1.5, "a", -2, "b", "+inf", "c"})
	bigZ := map[string]any{}
	cmd = []any{"ZADD", "bigzset"}
	for i := range 300 {
		bigZ[fmt.Sprintf("m%d", i)] = float64(i) / 4
		cmd = append(cmd, float64(i)/4, fmt.Sprintf("m%d", i))
	}
	add(2, "bigzset", "zset", bigZ, true, cmd)
	add(0, "hash", "hash", map[string]string{"f": "v", "n": "42"}, false, []any{"HSET", "hash", "f", "v", "n", "42"})
	bigH := map[string]string{}
	cmd = []any{"HSET", "bighash"}
	for i := range 300 {
		bigH[fmt.Sprintf("f%d", i)] = strings.Repeat("v", 80)
		cmd = append(cmd, fmt.Sprintf("f%d", i), strings.Repeat("v", 80))
	}
	add(0, "bighash", "hash", bigH, false, cmd)
	s.Do(tb, 0, []any{"XADD", "stream", "*", "f", "v"}) // not carried: skipped
	s.Do(tb, 0, []any{"SET", "gone", "x", "PX", 1}, []any{"DEBUG", "SLEEP", "0.01"})
	return want
}

// normalize makes a record comparable: sets sorted, ttl reduced to -1 / 1.
func normalize(tb testing.TB, r Record) string {
	tb.Helper()
	if r.TTLms > 0 {
		r.TTLms = 1
	}
	if r.Type == "set" {
		var a []string
		json.Unmarshal(r.Value, &a)
		sort.Strings(a)
		r.Value, _ = json.Marshal(a)
	}
	var v any // canonical JSON for objects
	json.Unmarshal(r.Value, &v)
	r.Value, _ = json.Marshal(v)
	b, _ := json.Marshal(r)
	return string(b)
}

func TestSourceRDBOnly(t *testing.T) {
	cases := []struct {
		name  string
		extra []string
	}{
		{"diskless master ($EOF: payload)", nil},
		{"disk master ($len payload)", []string{"--repl-diskless-sync", "no"}},
		{"no listpacks (hashtable/skiplist encodings)", []string{"--hash-max-listpack-entries", "0", "--zset-max-listpack-entries", "0", "--set-max-intset-entries", "0", "--rdbcompression", "no"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRedis(t, "pw", append([]string{"--enable-debug-command", "yes"}, tc.extra...)...)
			want := populate(t, srv)
			kopts := newKafka(t, "src")
			r, err := StartSource(testCtx(t), SourceConfig{KafkaOpts: kopts, Topic: "src", Redis: srv.conn(),
				SyncMode: SyncRDBOnly, RateLimitKBps: -1})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-r.Done():
			case <-testCtx(t).Done():
				t.Fatal("RDB_ONLY did not finish")
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			st := r.Stats()
			if st.Phase != PhaseDone || st.Records != int64(len(want)) || st.Skipped != 1 {
				t.Errorf("stats %+v: want DONE, %d records, 1 skipped (the stream)", st, len(want))
			}
			recs := consume(t, kopts, "src", len(want))
			got := map[string]string{}
			for _, rec := range recs {
				r := decodeValue(t, rec)
				if string(rec.Key) != r.Key {
					t.Errorf("Kafka key %q, record key %q", rec.Key, r.Key)
				}
				got[fmt.Sprintf("%d/%s", r.DB, r.Key)] = normalize(t, r)
			}
			for k, w := range want {
				if got[k] != normalize(t, w) {
					t.Errorf("%s:\n got %s\nwant %s", k, got[k], normalize(t, w))
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d keys, want %d", len(got), len(want))
			}
		})
	}
}

// TestSourceCustomOffset: after the full sync the replication stream gives COMMAND records.
func TestSourceCustomOffset(t *testing.T) {
	srv := startRedis(t, "")
	srv.Do(t, 0, []any{"SET", "before", "1"})
	kopts := newKafka(t, "inc")
	r, err := StartSource(testCtx(t), SourceConfig{KafkaOpts: kopts, Topic: "inc", Redis: srv.conn(),
		SyncMode: SyncCustomOffset, RateLimitKBps: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	waitFor(t, func() string { return fmt.Sprintf("%+v", r.Stats()) }, func() bool { return r.Stats().Phase == PhaseIncremental })
	bin := string([]byte{0xff, 'b'})
	steps := []struct {
		db   int
		cmd  []any
		want string // args as the record carries them (the master's replicated form)
		enc  string
	}{
		{0, []any{"SET", "a", "1"}, `["SET","a","1"]`, ""},
		{0, []any{"HSET", "h", "f", "v"}, `["HSET","h","f","v"]`, ""},
		{0, []any{"EXPIRE", "a", 100}, `["PEXPIREAT","a",`, ""},
		{0, []any{"DEL", "before"}, `["DEL","before"]`, ""},
		{3, []any{"SET", "in3", "x", "EX", 50}, `["SET","in3","x","PXAT",`, ""},
		{3, []any{"LPUSH", "l", "a", "b"}, `["LPUSH","l","a","b"]`, ""},
		{0, []any{"SET", bin, "v"}, `["` + base64.StdEncoding.EncodeToString([]byte("SET")) + `","` + base64.StdEncoding.EncodeToString([]byte(bin)), "base64"},
	}
	for _, s := range steps {
		srv.Do(t, s.db, s.cmd)
	}
	recs := consume(t, kopts, "inc", 1+len(steps))
	byKey := map[string][]Record{}
	for _, rec := range recs {
		r := decodeValue(t, rec)
		byKey[string(rec.Key)] = append(byKey[string(rec.Key)], r)
	}
	if r := byKey["before"]; len(r) != 2 || r[0].Op != OpSet || r[1].Op != OpCommand {
		t.Errorf("key before: %+v, want its full-sync SET then the DEL command", r)
	}
	seen := map[string][]Record{}
	for _, s := range steps {
		key := fmt.Sprint(s.cmd[1])
		all := byKey[key]
		i := len(seen[key])
		if key == "before" {
			i++
		}
		seen[key] = append(seen[key], Record{})
		if i >= len(all) {
			t.Errorf("%v: no record", s.cmd)
			continue
		}
		r := all[i]
		args, _ := json.Marshal(r.Args)
		if r.Op != OpCommand || r.DB != s.db || !strings.HasPrefix(string(args), s.want) || r.Encoding != s.enc {
			t.Errorf("%v: record %+v args %s, want db %d args %s… encoding %q", s.cmd, r, args, s.db, s.want, s.enc)
		}
	}
	if st := r.Stats(); st.Offset <= 0 || st.Phase != PhaseIncremental {
		t.Errorf("stats %+v: want a positive offset, INCREMENTAL", st)
	}
}

// TestRoundTrip: Redis A -> source -> Kafka -> sink -> Redis B gives equal keyspaces, for the full
// sync and for changes made afterwards.
func TestRoundTrip(t *testing.T) {
	a := startRedis(t, "pa", "--enable-debug-command", "yes")
	b := startRedis(t, "pb")
	populate(t, a)
	kopts := newKafka(t, "rt")
	src, err := StartSource(testCtx(t), SourceConfig{KafkaOpts: kopts, Topic: "rt", Redis: a.conn(),
		SyncMode: SyncCustomOffset, FullSyncMaxRetry: 2, RateLimitKBps: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Stop()
	sink, err := StartSink(testCtx(t), SinkConfig{KafkaOpts: kopts, Group: "rt-sink", Topics: []string{"rt"},
		Redis: b.conn(), TargetDB: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Stop()
	a.Do(t, 0, []any{"DEL", "stream"}) // streams are not carried
	converge := func(stage string) {
		t.Helper()
		var ka, kb map[string]keyState
		waitFor(t, func() string {
			return fmt.Sprintf("%s: keyspaces differ\nA %v\nB %v\nsource %+v sink %+v", stage, ka, kb, src.Stats(), sink.Stats())
		}, func() bool {
			ka, kb = dumpKeyspace(t, a), dumpKeyspace(t, b)
			return fmt.Sprint(ka) == fmt.Sprint(kb)
		})
	}
	converge("after the full sync")
	changes := [][]any{{"LPUSH", "list", "new"}, {"ZADD", "zset", 9, "d"}, {"HDEL", "hash", "f"}, {"INCR", "int"},
		{"EXPIRE", "str", 1000}, {"DEL", "biglist"}, {"SADD", "fresh", "x"}, {"SETEX", "tmp", 500, "t"},
		{"RENAME", "lzf", "lzf2"}, {"PERSIST", "int"}}
	for _, c := range changes {
		a.Do(t, 0, c)
	}
	a.Do(t, 1, []any{"SREM", "set", "a"}, []any{"MSET", "m1", "1", "m2", "2"})
	converge("after changes")
	for _, r := range []*Runner{src, sink} {
		r.Stop()
		r.Stop() // idempotent
		<-r.Done()
		if err := r.Err(); err != nil {
			t.Errorf("Err after Stop: %v", err)
		}
	}
}

func TestAuthAndCheck(t *testing.T) {
	locked := startRedis(t, "secret")
	open := startRedis(t, "")
	kopts := newKafka(t, "t")
	cases := []struct {
		name string
		conn Conn
		want error
	}{
		{"right password", Conn{Addrs: []string{locked.Addr}, Type: TypeStandalone, Password: "secret"}, nil},
		{"wrong password", Conn{Addrs: []string{locked.Addr}, Type: TypeStandalone, Password: "nope"}, ErrAuth},
		{"no password", Conn{Addrs: []string{locked.Addr}, Type: TypeStandalone}, ErrAuth},
		{"password to a server without one", Conn{Addrs: []string{open.Addr}, Type: TypeStandalone, Password: "x"}, ErrAuth},
		{"unreachable", Conn{Addrs: []string{"127.0.0.1:1"}, Type: TypeStandalone}, ErrUnreachable},
		{"standalone server as cluster", Conn{Addrs: []string{open.Addr}, Type: TypeCluster}, ErrWrongType},
		{"bad type", Conn{Addrs: []string{open.Addr}, Type: "sentinel"}, ErrInvalid},
		{"bad address", Conn{Addrs: []string{"nohostport"}, Type: TypeStandalone}, ErrInvalid},
		{"no such DB", Conn{Addrs: []string{open.Addr}, Type: TypeStandalone, DB: 99}, ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("%s = %v, want %v", what, err, tc.want)
				}
				if err != nil && tc.conn.Password != "" && strings.Contains(err.Error(), tc.conn.Password) {
					t.Errorf("%s error shows the password: %v", what, err)
				}
			}
			check("Check", Check(testCtx(t), tc.conn))
			sink, err := StartSink(testCtx(t), SinkConfig{KafkaOpts: kopts, Group: "g", Topics: []string{"t"}, Redis: tc.conn, TargetDB: -1})
			check("StartSink", err)
			if err == nil {
				sink.Stop()
			}
			if tc.conn.DB != 0 { // the same DB as target_db
				_, err := StartSink(testCtx(t), SinkConfig{KafkaOpts: kopts, Group: "g", Topics: []string{"t"},
					Redis: Conn{Addrs: tc.conn.Addrs, Type: tc.conn.Type, Password: tc.conn.Password}, TargetDB: tc.conn.DB})
				check("StartSink with target_db", err)
			}
			if tc.conn.Type == TypeCluster || tc.conn.DB != 0 {
				return // the source refuses clusters itself; it reads every DB
			}
			src, err := StartSource(testCtx(t), SourceConfig{KafkaOpts: kopts, Topic: "t", Redis: tc.conn, SyncMode: SyncRDBOnly})
			check("StartSource", err)
			if err == nil {
				<-src.Done()
				if err := src.Err(); err != nil {
					t.Errorf("source: %v", err)
				}
			}
		})
	}
	_, err := StartSource(testCtx(t), SourceConfig{KafkaOpts: kopts, Topic: "t", SyncMode: SyncRDBOnly,
		Redis: Conn{Addrs: []string{open.Addr}, Type: TypeCluster}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "Cluster as source is not supported") {
		t.Errorf("source of a cluster: %v, want a clear refusal", err)
	}
}

// TestStop: Stop ends a source in each phase and a sink, at once and as often as called.
func TestStop(t *testing.T) {
	srv := startRedis(t, "")
	for i := range 2000 {
		srv.Do(t, 0, []any{"SET", fmt.Sprint("k", i), i})
	}
	kopts := newKafka(t, "s")
	cases := []struct {
		name  string
		start func() (*Runner, error)
		phase string
	}{
		{"source in full sync (rate limited)", func() (*Runner, error) {
			return StartSource(testCtx(t), SourceConfig{KafkaOpts: kopts, Topic: "s", Redis: srv.conn(), SyncMode: SyncCustomOffset, RateLimitKBps: 1})
		}, PhaseFullSync},
		{"source incremental", func() (*Runner, error) {
			return StartSource(testCtx(t), SourceConfig{KafkaOpts: kopts, Topic: "s", Redis: srv.conn(), SyncMode: SyncCustomOffset, RateLimitKBps: -1})
		}, PhaseIncremental},
		{"sink", func() (*Runner, error) {
			return StartSink(testCtx(t), SinkConfig{KafkaOpts: kopts, Group: "g", Topics: []string{"s"}, Redis: srv.conn(), TargetDB: -1})
		}, PhaseRunning},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.start()
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() string { return fmt.Sprintf("%+v", r.Stats()) }, func() bool {
				st := r.Stats()
				return st.Phase == tc.phase && (tc.phase != PhaseFullSync || st.Records > 0)
			})
			r.Stop()
			r.Stop()
			select {
			case <-r.Done():
			default:
				t.Fatal("Done not closed after Stop")
			}
			if err := r.Err(); err != nil || r.Stats().Phase != PhaseDone {
				t.Errorf("after Stop: err %v, stats %+v", err, r.Stats())
			}
		})
	}
}

// TestSourceReconnects: a replication link the master drops is resumed with PSYNC <replid>
// <offset+1>: the master continues (+CONTINUE) and no second full sync happens, which needs the
// offset the source counted to be exact.
func TestSourceReconnects(t *testing.T) {
	srv := startRedis(t, "pw")
	srv.Do(t, 0, []any{"SET", "before", "1"})
	kopts := newKafka(t, "re")
	r, err := StartSource(testCtx(t), SourceConfig{KafkaOpts: kopts, Topic: "re", Redis: srv.conn(),
		SyncMode: SyncCustomOffset, FullSyncMaxRetry: 3, FullSyncWait: 10 * time.Millisecond, RateLimitKBps: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	waitFor(t, func() string { return fmt.Sprintf("%+v", r.Stats()) }, func() bool { return r.Stats().Phase == PhaseIncremental })
	srv.Do(t, 0, []any{"SET", "mid", "1"})
	waitFor(t, func() string { return fmt.Sprintf("%+v", r.Stats()) }, func() bool { return r.Stats().Records == 2 })
	srv.Do(t, 0, []any{"CLIENT", "KILL", "TYPE", "replica"}, []any{"SET", "after", "1"})
	recs := consume(t, kopts, "re", 3)
	for _, rec := range recs {
		v := decodeValue(t, rec)
		if v.Key != "before" && v.Op != OpCommand {
			t.Errorf("record %+v: want COMMAND records after the full sync", v)
		}
	}
	st := r.Stats()
	if st.Records != 3 || st.Phase != PhaseIncremental || !strings.Contains(st.LastError, "replication stream") {
		t.Errorf("stats %+v: want 3 records (no second full sync), INCREMENTAL, the lost link as last error", st)
	}
	cl := srv.Client(0)
	defer cl.Close()
	info := cl.Info(testCtx(t), "stats").Val()
	if !strings.Contains(info, "sync_full:1\r\n") || !strings.Contains(info, "sync_partial_ok:1\r\n") {
		t.Errorf("master stats: want 1 full and 1 partial sync:\n%s", info)
	}
}
