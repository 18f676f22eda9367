package redis

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestSinkWrites(t *testing.T) {
	srv := startRedis(t, "")
	bin := string([]byte{0xff, 0x00, 'k'})
	cases := []struct {
		name     string
		targetDB int
		connDB   int
		recs     []*kgo.Record
		want     map[string]keyState // "db/key" -> state
		skipped  int64
	}{
		{name: "plain record to the connection's DB", targetDB: -1, connDB: 1,
			recs: []*kgo.Record{{Key: []byte("p1"), Value: []byte("hello")}},
			want: map[string]keyState{"1/p1": {"string", "hello", false}}},
		{name: "plain record to target_db", targetDB: 3,
			recs: []*kgo.Record{{Key: []byte("p2"), Value: []byte(`{"not":"a record"}`)}},
			want: map[string]keyState{"3/p2": {"string", `{"not":"a record"}`, false}}},
		{name: "JSON records to their db with TTL", targetDB: -1,
			recs: []*kgo.Record{
				{Key: []byte("s"), Value: []byte(`{"key":"s","type":"string","value":"v","ttl_ms":600000,"db":2,"op":"SET"}`)},
				{Key: []byte("l"), Value: []byte(`{"key":"l","type":"list","value":["a","b","a"],"ttl_ms":-1,"db":2,"op":"SET"}`)},
				{Key: []byte("st"), Value: []byte(`{"key":"st","type":"set","value":["x","y"],"ttl_ms":600000,"db":4,"op":"SET"}`)},
				{Key: []byte("z"), Value: []byte(`{"key":"z","type":"zset","value":{"m1":1.5,"m2":"-inf"},"ttl_ms":-1,"db":2,"op":"SET"}`)},
				{Key: []byte("h"), Value: []byte(`{"key":"h","type":"hash","value":{"f":"1","g":"2"},"ttl_ms":-1,"db":2,"op":"SET"}`)},
			},
			want: map[string]keyState{
				"2/s": {"string", "v", true}, "2/l": {"list", []string{"a", "b", "a"}, false},
				"4/st": {"set", []string{"x", "y"}, true}, "2/z": {"zset", "[{-Inf m2} {1.5 m1}]", false},
				"2/h": {"hash", "map[f:1 g:2]", false},
			}},
		{name: "JSON records to target_db, replacing and commands", targetDB: 5,
			recs: []*kgo.Record{
				{Key: []byte("r"), Value: []byte(`{"key":"r","type":"list","value":["old"],"ttl_ms":-1,"db":0,"op":"SET"}`)},
				{Key: []byte("r"), Value: []byte(`{"key":"r","type":"list","value":["new"],"ttl_ms":-1,"db":0,"op":"SET"}`)},
				{Key: []byte("c"), Value: []byte(`{"key":"c","ttl_ms":-1,"db":0,"op":"COMMAND","args":["HSET","c","f","v"]}`)},
				{Key: []byte("d"), Value: []byte(`{"key":"d","type":"string","value":"x","ttl_ms":-1,"db":0,"op":"SET"}`)},
				{Key: []byte("d"), Value: []byte(`{"key":"d","ttl_ms":-1,"db":0,"op":"COMMAND","args":["DEL","d"]}`)},
			},
			want: map[string]keyState{"5/r": {"list", []string{"new"}, false}, "5/c": {"hash", "map[f:v]", false}}},
		{name: "base64 record", targetDB: -1,
			recs: []*kgo.Record{{Key: []byte(bin), Value: []byte(fmt.Sprintf(
				`{"key":%q,"type":"string","value":%q,"ttl_ms":-1,"db":6,"op":"SET","encoding":"base64"}`,
				base64.StdEncoding.EncodeToString([]byte(bin)), base64.StdEncoding.EncodeToString([]byte{0xfe, 1})))}},
			want: map[string]keyState{"6/" + bin: {"string", string([]byte{0xfe, 1}), false}}},
		{name: "bad records are skipped, the rest written", targetDB: -1,
			recs: []*kgo.Record{
				{Key: []byte("x"), Value: []byte(`{"key":"x","type":"stream","value":[],"ttl_ms":-1,"db":7,"op":"SET"}`)},
				{Key: []byte("y"), Value: []byte(`{"key":"y","ttl_ms":-1,"db":7,"op":"COMMAND","args":["NOSUCHCOMMAND","y"]}`)},
				{Value: []byte("no key")},
				{Key: []byte("ok"), Value: []byte(`{"key":"ok","type":"string","value":"1","ttl_ms":-1,"db":7,"op":"SET"}`)},
			},
			want: map[string]keyState{"7/ok": {"string", "1", false}}, skipped: 3},
		{name: "commands outside the allow-list are skipped", targetDB: -1,
			recs: func() []*kgo.Record {
				var out []*kgo.Record
				for _, args := range []string{`"MULTI"`, `"select","5"`, `"CLIENT","REPLY","OFF"`,
					`"CONFIG","SET","maxmemory","12345678"`, `"SET","k","v"`, `"hset","h","f","v"`,
					`"FLUSHALL"`, `"SWAPDB","0","1"`, `"EVAL","redis.call('DEL','k')","0"`, `"EXEC"`} {
					out = append(out, &kgo.Record{Key: []byte("k"), Value: []byte(
						`{"key":"k","ttl_ms":-1,"db":0,"op":"COMMAND","args":[` + args + `]}`)})
				}
				return out
			}(),
			want: map[string]keyState{"0/k": {"string", "v", false}, "0/h": {"hash", "map[f:v]", false}}, skipped: 8},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.Do(t, 0, []any{"FLUSHALL"})
			topic := fmt.Sprintf("sink-%d", i)
			kopts := newKafka(t, topic)
			produce(t, kopts, topic, tc.recs...)
			conn := srv.conn()
			conn.DB = tc.connDB
			r, err := StartSink(testCtx(t), SinkConfig{KafkaOpts: kopts, Group: "g", Topics: []string{topic},
				ConsumerStrategy: "earliest", Redis: conn, TargetDB: tc.targetDB})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Stop()
			waitFor(t, func() string { return fmt.Sprintf("%+v", r.Stats()) }, func() bool {
				return r.Stats().Records == int64(len(tc.recs)) || r.Stats().Phase == PhaseDone
			})
			// The offsets are committed after the writes: once committed, Redis holds them.
			waitFor(t, func() string { return "group offsets committed" }, func() bool {
				end, committed := groupLag(t, kopts, "g", topic)
				return end == committed
			})
			got := dumpKeyspace(t, srv)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("keyspace:\n got %v\nwant %v", got, tc.want)
			}
			if st := r.Stats(); st.Skipped != tc.skipped || st.Phase != PhaseRunning {
				t.Errorf("stats %+v, want %d skipped, phase RUNNING", st, tc.skipped)
			}
			cl := srv.Client(0)
			if mm, err := cl.ConfigGet(context.Background(), "maxmemory").Result(); err != nil || mm["maxmemory"] == "12345678" {
				t.Errorf("a CONFIG SET record ran: maxmemory %v (%v)", mm, err)
			}
			cl.Close()
			r.Stop()
			if err := r.Err(); err != nil {
				t.Errorf("Err after Stop: %v", err)
			}
		})
	}
}

// TestSinkRedisDown: records that cannot be written are not committed, and the sink ends with
// the error.
func TestSinkRedisDown(t *testing.T) {
	srv := startRedis(t, "")
	kopts := newKafka(t, "down")
	r, err := StartSink(testCtx(t), SinkConfig{KafkaOpts: kopts, Group: "g", Topics: []string{"down"},
		Redis: srv.conn(), TargetDB: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	srv.Cmd.Process.Kill()
	produce(t, kopts, "down", &kgo.Record{Key: []byte("k"), Value: []byte("v")})
	select {
	case <-r.Done():
	case <-testCtx(t).Done():
		t.Fatal("the sink did not end")
	}
	if err := r.Err(); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Err = %v, want ErrUnreachable", err)
	}
	if end, committed := groupLag(t, kopts, "g", "down"); end != 1 || committed != 0 {
		t.Errorf("end %d committed %d: want 1 and 0 (nothing committed)", end, committed)
	}
}

// TestSinkCluster writes through go-redis' ClusterClient to a one-node Redis Cluster.
func TestSinkCluster(t *testing.T) {
	srv := startRedis(t, "", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	srv.Do(t, 0, []any{"CLUSTER", "ADDSLOTSRANGE", "0", "16383"})
	cl := srv.Client(0)
	defer cl.Close()
	waitFor(t, func() string { return "cluster_state:ok" }, func() bool {
		info, _ := cl.ClusterInfo(context.Background()).Result()
		return strings.Contains(info, "cluster_state:ok")
	})
	conn := srv.conn()
	if err := Check(testCtx(t), conn); !errors.Is(err, ErrWrongType) {
		t.Fatalf("Check of a cluster node as standalone = %v, want ErrWrongType", err)
	}
	conn.Type = TypeCluster
	if err := Check(testCtx(t), conn); err != nil {
		t.Fatal(err)
	}
	kopts := newKafka(t, "c")
	var recs []*kgo.Record
	want := map[string]keyState{}
	for i := range 50 {
		k := fmt.Sprintf("k%d", i)
		recs = append(recs, &kgo.Record{Key: []byte(k), Value: []byte(fmt.Sprintf(
			`{"key":%q,"type":"hash","value":{"i":"%d"},"ttl_ms":-1,"db":3,"op":"SET"}`, k, i))})
		want["0/"+k] = keyState{"hash", fmt.Sprintf("map[i:%d]", i), false}
	}
	produce(t, kopts, "c", recs...)
	r, err := StartSink(testCtx(t), SinkConfig{KafkaOpts: kopts, Group: "g", Topics: []string{"c"}, Redis: conn, TargetDB: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	waitFor(t, func() string { return fmt.Sprintf("%+v", r.Stats()) }, func() bool { return r.Stats().Records == 50 })
	if got := dumpDBs(t, srv, 1); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("keyspace:\n got %v\nwant %v", got, want)
	}
}

func TestSinkTopicsRegex(t *testing.T) {
	topics := []string{"cache", "cache-dlq", "old-cache", "orders__v2", "__consumer_offsets", "__connect-offsets"}
	cases := []struct {
		re   string
		want []string
	}{
		{"cache", []string{"cache"}},
		{"cache.*", []string{"cache", "cache-dlq"}},
		{"orders.*|cache", []string{"cache", "orders__v2"}},
		{".*", []string{"cache", "cache-dlq", "old-cache", "orders__v2"}},
		{"__.*", nil},
	}
	for _, tc := range cases {
		t.Run(tc.re, func(t *testing.T) {
			include, exclude := topicPatterns(tc.re)
			in, ex := regexp.MustCompile(include), regexp.MustCompile(exclude)
			var got []string
			for _, tp := range topics {
				if in.MatchString(tp) && !ex.MatchString(tp) { // what franz-go does with them
					got = append(got, tp)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("topics %v, want %v", got, tc.want)
			}
		})
	}
	// Through a sink: "cache" writes only its own topic's records.
	srv := startRedis(t, "")
	kopts := newKafka(t, "cache-dlq", "cache")
	produce(t, kopts, "cache-dlq", &kgo.Record{Key: []byte("dlq"), Value: []byte("x")})
	produce(t, kopts, "cache", &kgo.Record{Key: []byte("c"), Value: []byte("y")})
	r, err := StartSink(testCtx(t), SinkConfig{KafkaOpts: kopts, Group: "g", TopicsRegex: "cache",
		ConsumerStrategy: "earliest", Redis: srv.conn(), TargetDB: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	waitFor(t, func() string { return fmt.Sprintf("%+v", r.Stats()) }, func() bool { return r.Stats().Records >= 1 })
	waitFor(t, func() string { return "cache committed" }, func() bool {
		end, committed := groupLag(t, kopts, "g", "cache")
		return end == committed // every topic's commits: cache-dlq's too, had it been consumed
	})
	if got := dumpKeyspace(t, srv); fmt.Sprint(got) != fmt.Sprint(map[string]keyState{"0/c": {"string", "y", false}}) {
		t.Errorf("keyspace %v: only topic cache's record should be written", got)
	}
}
