package redis

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkSink: records/s from a kfake topic into a local redis-server (JSON string records of
// 100-byte values, half with a TTL). go test -run '^$' -bench 'Sink|SourceFullSync' ./internal/connect/redis/
func BenchmarkSink(b *testing.B) {
	const n = 20000
	srv := startRedis(b, "")
	val := strings.Repeat("v", 100)
	var recs []*kgo.Record
	for i := range n {
		k := fmt.Sprintf("key:%d", i)
		ttl := -1
		if i%2 == 0 {
			ttl = 600000
		}
		recs = append(recs, &kgo.Record{Key: []byte(k), Value: []byte(fmt.Sprintf(
			`{"key":%q,"type":"string","value":%q,"ttl_ms":%d,"db":0,"op":"SET"}`, k, val, ttl))})
	}
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		topic := fmt.Sprintf("bench-%d", i)
		kopts := newKafka(b, topic)
		for _, r := range recs {
			r.Topic = topic // produce sets it: the records are reused
		}
		produce(b, kopts, topic, recs...)
		b.StartTimer()
		start := time.Now()
		r, err := StartSink(testCtx(b), SinkConfig{KafkaOpts: kopts, Group: "g", Topics: []string{topic}, Redis: srv.conn(), TargetDB: -1})
		if err != nil {
			b.Fatal(err)
		}
		waitFor(b, func() string { return fmt.Sprintf("%+v", r.Stats()) }, func() bool { return r.Stats().Records == n })
		total += time.Since(start)
		r.Stop()
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "records/s")
}

// BenchmarkSourceFullSync: keys/s of an RDB_ONLY sync of 50,000 keys (40,000 strings of 100 bytes,
// 10,000 hashes of 10 fields) into a kfake topic.
func BenchmarkSourceFullSync(b *testing.B) {
	const strs, hashes = 40000, 10000
	srv := startRedis(b, "")
	cl := srv.Client(0)
	defer cl.Close()
	pipe := cl.Pipeline()
	val := strings.Repeat("v", 100)
	for i := range strs {
		pipe.Set(testCtx(b), fmt.Sprintf("s:%d", i), val, 0)
	}
	for i := range hashes {
		args := []any{}
		for f := range 10 {
			args = append(args, fmt.Sprintf("f%d", f), fmt.Sprintf("value-%d", i))
		}
		pipe.HSet(testCtx(b), fmt.Sprintf("h:%d", i), args...)
	}
	if _, err := pipe.Exec(testCtx(b)); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	var bytes int64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		topic := fmt.Sprintf("bench-%d", i)
		kopts := newKafka(b, topic)
		b.StartTimer()
		start := time.Now()
		r, err := StartSource(testCtx(b), SourceConfig{KafkaOpts: kopts, Topic: topic, Redis: srv.conn(), SyncMode: SyncRDBOnly, RateLimitKBps: -1})
		if err != nil {
			b.Fatal(err)
		}
		<-r.Done()
		total += time.Since(start)
		if err := r.Err(); err != nil || r.Stats().Records != strs+hashes {
			b.Fatalf("err %v stats %+v", err, r.Stats())
		}
		bytes += r.Stats().Bytes
	}
	b.ReportMetric(float64((strs+hashes)*b.N)/total.Seconds(), "keys/s")
	b.ReportMetric(float64(bytes)/total.Seconds()/1e6, "MB/s")
}

// BenchmarkSourceRateLimit measures the produced KB/s of a full sync of about 200 KB limited to
// 64 KB/s (the measure of ratelimit; it should come out near 64).
func BenchmarkSourceRateLimit(b *testing.B) {
	const limit = 64
	srv := startRedis(b, "")
	for i := range 1000 {
		srv.Do(b, 0, []any{"SET", fmt.Sprintf("k%d", i), strings.Repeat("v", 150)})
	}
	var total time.Duration
	var bytes int64
	for i := 0; b.Loop(); i++ {
		topic := fmt.Sprintf("rl-%d", i)
		kopts := newKafka(b, topic)
		start := time.Now()
		r, err := StartSource(testCtx(b), SourceConfig{KafkaOpts: kopts, Topic: topic, Redis: srv.conn(), SyncMode: SyncRDBOnly, RateLimitKBps: limit})
		if err != nil {
			b.Fatal(err)
		}
		<-r.Done()
		total += time.Since(start)
		bytes += r.Stats().Bytes
	}
	b.ReportMetric(float64(bytes)/1024/total.Seconds(), "KB/s")
	b.ReportMetric(limit, "limit-KB/s")
}
