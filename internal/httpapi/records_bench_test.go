package httpapi

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// benchEngine is the engine of the produce benchmarks: "embedded" (kfake, the default) or, with
// OPENDMS_BENCH_ENGINE=local, "local" (Apache Kafka JVMs).
func benchEngine() string {
	if os.Getenv("OPENDMS_BENCH_ENGINE") == "local" {
		return "local"
	}
	return "embedded"
}

// BenchmarkMessagesRecords: the batched produce API (POST .../topics/{topic}/records, signed,
// through the whole request path to the instance's shared client, acks=all) beside franz-go's
// batched async producer on the same instance (one client shared by the callers, Produce with a
// callback, acks=all): each call of either is a batch of 100 records of 100-byte values with keys,
// answered once every record of it is acknowledged. 64 callers.
//
//	go test -run '^$' -bench 'MessagesRecords' -benchtime 2000x ./internal/httpapi/
//
// OPENDMS_BENCH_ENGINE=local runs it on the local engine (Apache Kafka JVMs) instead of kfake.
func BenchmarkMessagesRecords(b *testing.B) {
	eng := benchEngine()
	e := newTestEnvOn(b, eng)
	id, seeds := benchInstance(b, e, "bench-records")
	benchTopic(b, seeds, "records", 3)
	sc := newSignedClient(e)
	path := adminPrefix + "/" + e.ProjectID + "/instances/" + id + "/topics/records/records"
	value := strings.Repeat("v", 100)
	direct, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic("records"))
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	const batch, n = 100, 64
	var seq atomic.Int64

	type result struct {
		rate     float64 // records/s
		p50, p99 time.Duration
	}
	results := map[string]result{}
	for _, way := range []string{"http", "franz-go"} {
		name := fmt.Sprintf("%s/%s/callers=%d/batch=%d", eng, way, n, batch)
		b.Run(name, func(b *testing.B) {
			var fn func() error
			if way == "http" {
				fn = func() error {
					code, out, err := sc.do("POST", path, recordsBody(seq.Add(batch), batch, value))
					if err == nil && (code != 200 || !strings.Contains(string(out), `"failed":0,`)) {
						err = fmt.Errorf("records: %d %.300s", code, out)
					}
					return err
				}
			} else {
				fn = func() error { return produceAsync(direct, seq.Add(batch), batch, value) }
			}
			start := time.Now()
			lat := callers(b, n, fn)
			el := time.Since(start)
			r := result{rate: float64(len(lat)*batch) / el.Seconds(), p50: pct(lat, 50), p99: pct(lat, 99)}
			results[name] = r
			b.ReportMetric(r.rate, "records/s")
			b.ReportMetric(float64(r.p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(r.p99.Microseconds()), "p99-µs")
		})
	}
	h, d := results[fmt.Sprintf("%s/http/callers=%d/batch=%d", eng, n, batch)], results[fmt.Sprintf("%s/franz-go/callers=%d/batch=%d", eng, n, batch)]
	if d.rate == 0 || h.rate == 0 {
		return
	}
	printTable(fmt.Sprintf("batched produce, engine %s (3 brokers), %d callers x %d-record batches, 100-byte values, acks=all", eng, n, batch),
		[]string{"", "records/s", "p50/batch", "p99/batch", "of ceiling"}, []benchRow{
			{"http records API", []string{fmt.Sprintf("%.0f", h.rate), fmt.Sprint(h.p50.Round(time.Microsecond)), fmt.Sprint(h.p99.Round(time.Microsecond)), fmt.Sprintf("%.0f%%", 100*h.rate/d.rate)}},
			{"franz-go async Produce (batched)", []string{fmt.Sprintf("%.0f", d.rate), fmt.Sprint(d.p50.Round(time.Microsecond)), fmt.Sprint(d.p99.Round(time.Microsecond)), "100%"}},
		})
}
