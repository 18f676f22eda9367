package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// redisServer is a redis-server process of one test.
type redisServer struct {
	addr, password string
	cmd            *exec.Cmd
	dir            string
}

// startRedis starts redis-server on a free loopback port in a temp dir; extra are more
// "--name value" settings. Without the binary the test fails under CI and skips elsewhere.
func startRedis(tb testing.TB, password string, extra ...string) *redisServer {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("redis-server is not installed (.ci/run installs Debian's redis-server)")
		}
		tb.Skip("redis-server is not installed: apt-get install redis-server")
	}
	dir := tb.TempDir()
	var srv *redisServer
	for try := 0; ; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"),
			"--repl-diskless-sync-delay", "0"}
		if password != "" {
			args = append(args, "--requirepass", password)
		}
		args = append(args, extra...)
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		srv = &redisServer{addr: fmt.Sprintf("127.0.0.1:%d", port), password: password, cmd: cmd, dir: dir}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		tb.Cleanup(func() { cmd.Process.Kill(); <-exited })
		if srv.waitReady(tb, exited) {
			return srv
		}
		if try == 3 {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			tb.Fatalf("redis-server did not start:\n%s", log)
		}
	}
}

// waitReady pings until the server answers (false: it exited, e.g. the port was taken meanwhile).
func (s *redisServer) waitReady(tb testing.TB, exited chan struct{}) bool {
	cl := s.client(0)
	defer cl.Close()
	for range 200 {
		select {
		case <-exited:
			return false
		default:
		}
		if cl.Ping(context.Background()).Err() == nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("redis-server at %s did not answer", s.addr)
	return false
}

func (s *redisServer) client(db int) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: s.addr, Password: s.password, DB: db, Protocol: 2,
		DisableIdentity: true, MaintNotificationsConfig: noMaint()})
}

func (s *redisServer) conn() Conn {
	return Conn{Addrs: []string{s.addr}, Type: TypeStandalone, Password: s.password}
}

// do runs commands on db of s and fails the test on an error.
func (s *redisServer) do(tb testing.TB, db int, cmds ...[]any) {
	tb.Helper()
	cl := s.client(db)
	defer cl.Close()
	for _, c := range cmds {
		if err := cl.Do(context.Background(), c...).Err(); err != nil {
			tb.Fatalf("%v: %v", c, err)
		}
	}
}

func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// newKafka starts a kfake cluster with topics of 3 partitions and returns the client options.
func newKafka(tb testing.TB, topics ...string) []kgo.Opt {
	tb.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topics...))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}
}

// produce writes records to topic and waits for their acks.
func produce(tb testing.TB, opts []kgo.Opt, topic string, recs ...*kgo.Record) {
	tb.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.DefaultProduceTopic(topic))...)
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(testCtx(tb), recs...).FirstErr(); err != nil {
		tb.Fatal(err)
	}
}

// consume reads topic from the start until it has n records (or the test's deadline passes).
func consume(tb testing.TB, opts []kgo.Opt, topic string, n int) []*kgo.Record {
	tb.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	ctx := testCtx(tb)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			tb.Fatalf("topic %s: %d records, want %d", topic, len(out), n)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

// endOffsets is the sum of the topic's end offsets; committed the sum of group's committed offsets.
func groupLag(tb testing.TB, opts []kgo.Opt, group, topic string) (end, committed int64) {
	tb.Helper()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(testCtx(tb), topic)
	if err != nil {
		tb.Fatal(err)
	}
	ends.Each(func(o kadm.ListedOffset) { end += o.Offset })
	offs, err := adm.FetchOffsets(testCtx(tb), group)
	if err != nil {
		tb.Fatal(err)
	}
	offs.Each(func(o kadm.OffsetResponse) { committed += o.At })
	return end, committed
}

// waitFor polls cond until it holds or the test's deadline passes (then fails with what()).
func waitFor(tb testing.TB, what func() string, cond func() bool) {
	tb.Helper()
	ctx := testCtx(tb)
	for !cond() {
		select {
		case <-ctx.Done():
			tb.Fatalf("timed out waiting: %s", what())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// keyState is one key as a Redis client sees it.
type keyState struct {
	Type  string
	Value any
	TTL   bool // has a TTL
}

// dumpKeyspace reads every key of DBs 0..15 of s: "db/key" -> state.
func dumpKeyspace(tb testing.TB, s *redisServer) map[string]keyState {
	tb.Helper()
	return dumpDBs(tb, s, 16)
}

// dumpDBs reads every key of DBs 0..n-1 (a cluster has 1).
func dumpDBs(tb testing.TB, s *redisServer, n int) map[string]keyState {
	tb.Helper()
	ctx := testCtx(tb)
	out := map[string]keyState{}
	for db := range n {
		cl := s.client(db)
		keys, err := cl.Keys(ctx, "*").Result()
		if err != nil {
			cl.Close()
			tb.Fatal(err)
		}
		for _, k := range keys {
			st := keyState{Type: cl.Type(ctx, k).Val()}
			switch st.Type {
			case "string":
				st.Value = cl.Get(ctx, k).Val()
			case "list":
				st.Value = cl.LRange(ctx, k, 0, -1).Val()
			case "set":
				m := cl.SMembers(ctx, k).Val()
				sort.Strings(m)
				st.Value = m
			case "zset":
				st.Value = fmt.Sprint(cl.ZRangeWithScores(ctx, k, 0, -1).Val())
			case "hash":
				st.Value = fmt.Sprint(cl.HGetAll(ctx, k).Val())
			}
			st.TTL = cl.PTTL(ctx, k).Val() > 0
			out[fmt.Sprintf("%d/%s", db, k)] = st
		}
		cl.Close()
	}
	return out
}

func decodeValue(tb testing.TB, rec *kgo.Record) Record {
	tb.Helper()
	var r Record
	if err := json.Unmarshal(rec.Value, &r); err != nil {
		tb.Fatalf("record %q: %v", rec.Value, err)
	}
	return r
}
