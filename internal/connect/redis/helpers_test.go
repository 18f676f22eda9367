package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/connect/connecttest"
)

// The Redis servers of the tests are connecttest's (shared with internal/httpapi's tests).
type redisServer struct{ *connecttest.Redis }

// startRedis starts redis-server with password ("" for none) and extra "--name value" settings.
func startRedis(tb testing.TB, password string, extra ...string) *redisServer {
	tb.Helper()
	return &redisServer{connecttest.StartRedis(tb, password, extra...)}
}

func (s *redisServer) conn() Conn {
	return Conn{Addrs: []string{s.Addr}, Type: TypeStandalone, Password: s.Password}
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
	if errors.Is(err, kerr.GroupIDNotFound) {
		return end, 0 // nothing committed yet
	}
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
		cl := s.Client(db)
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
