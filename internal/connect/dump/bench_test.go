package dump

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// benchGroups numbers the benchmark's groups: a new group per iteration (and per -count run).
var benchGroups atomic.Int64

// BenchmarkDump measures dump throughput from kfake to versitygw (POSIX backend on the local disk):
// 4 partitions of 20000 records of 1 KiB (80 MiB) are dumped by one runner from the earliest offset
// until every offset is stored and committed. FlushSize cuts the objects, so no interval is waited
// for: 5000 records make ~5 MiB objects (single PUTs), 20000 make ~20 MiB objects (multipart, 5 MiB
// parts). Each iteration uses a new group, so it dumps everything again (overwriting the same keys).
func BenchmarkDump(b *testing.B) {
	const partitions, perPartition, valueSize = 4, 20000, 1024
	s := startS3(b)
	s.MakeBucket("bench")
	kafka := newKafka(b, partitions, "bench")
	value := make([]byte, valueSize)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	var recs []*kgo.Record
	for p := range partitions {
		for range perPartition {
			recs = append(recs, &kgo.Record{Topic: "bench", Partition: int32(p), Value: value})
		}
	}
	produce(b, kafka, recs)
	want := lastOffsets(recs)
	totalBytes := float64(len(recs) * valueSize)
	for _, flush := range []int{5000, 20000} {
		b.Run(fmt.Sprintf("flush%d", flush), func(b *testing.B) {
			var elapsed time.Duration
			for b.Loop() {
				cfg := baseConfig(s, kafka, "bench", fmt.Sprintf("bench-%d-%d", flush, benchGroups.Add(1)))
				cfg.Topics, cfg.FlushSize, cfg.DeliverInterval, cfg.PartitionFormat = []string{"bench"}, flush, time.Hour, "yyyy/MM/dd"
				start := time.Now()
				r := startRunner(b, cfg)
				waitStored(b, r, want)
				elapsed += time.Since(start)
				r.Stop()
			}
			sec := elapsed.Seconds() / float64(b.N)
			b.ReportMetric(totalBytes/sec/(1<<20), "MiB/s")
			b.ReportMetric(float64(len(recs))/sec, "records/s")
		})
	}
	// Byte caps instead of FlushSize (an hour-long interval would otherwise buffer all 80 MiB): objects
	// are cut at 8 MiB per partition and past 16 MiB in all; the rest goes at the 5 s interval.
	// peak-held-MiB is the most the runner held between polls (after the due uploads).
	b.Run("cap8MiB-total16MiB", func(b *testing.B) {
		var elapsed time.Duration
		var peak int64
		for b.Loop() {
			cfg := baseConfig(s, kafka, "bench", fmt.Sprintf("bench-cap-%d", benchGroups.Add(1)))
			cfg.Topics, cfg.DeliverInterval, cfg.PartitionFormat = []string{"bench"}, 5*time.Second, "yyyy/MM/dd"
			cfg.MaxBufferBytes, cfg.MaxTotalBufferBytes = 8<<20, 16<<20
			start := time.Now()
			r := startRunner(b, cfg)
			waitStored(b, r, want)
			elapsed += time.Since(start)
			r.Stop()
			r.mu.Lock()
			peak = max(peak, r.peakHeld)
			r.mu.Unlock()
		}
		sec := elapsed.Seconds() / float64(b.N)
		b.ReportMetric(totalBytes/sec/(1<<20), "MiB/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-held-MiB")
	})
	// The ceiling: the same records consumed by a plain franz-go group consumer, stored nowhere.
	b.Run("kgo-consume-only", func(b *testing.B) {
		var elapsed time.Duration
		for b.Loop() {
			start := time.Now()
			cl, err := kgo.NewClient(append(kafka, kgo.ConsumerGroup(fmt.Sprintf("ceiling-%d", benchGroups.Add(1))),
				kgo.ConsumeTopics("bench"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
			if err != nil {
				b.Fatal(err)
			}
			for n := 0; n < len(recs); {
				n += cl.PollFetches(context.Background()).NumRecords()
			}
			elapsed += time.Since(start)
			cl.Close()
		}
		sec := elapsed.Seconds() / float64(b.N)
		b.ReportMetric(totalBytes/sec/(1<<20), "MiB/s")
		b.ReportMetric(float64(len(recs))/sec, "records/s")
	})
}
