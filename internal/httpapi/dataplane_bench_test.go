package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/kafkaops"
)

// BenchmarkDataPlane measures issue 11's ratios in one run, each beside its franz-go (or bare
// net/http) ceiling on the same instance and machine, and prints them in one table, so that the next
// change can be compared with this one. The engine is the local one (3 Apache Kafka brokers) unless
// OPENDMS_BENCH_ENGINE=embedded.
//
//	make bench-dataplane   (go test -run '^$' -bench DataPlane -benchtime 3x -timeout 60m ./internal/httpapi/)
//
// OPENDMS_BENCH_BIG_RECORDS sets the record count of the biggest topic (default 10,000,000; its
// search covers a time window of a tenth of it).
func BenchmarkDataPlane(b *testing.B) {
	eng := "local"
	if v := os.Getenv("OPENDMS_BENCH_ENGINE"); v != "" {
		eng = v
	}
	e := newTestEnvOn(b, eng)
	id, seeds := benchInstance(b, e, "bench-dataplane")
	big := 10_000_000
	if v, err := strconv.Atoi(os.Getenv("OPENDMS_BENCH_BIG_RECORDS")); err == nil && v > 0 {
		big = v
	}
	var rows []benchRow
	rows = append(rows, benchKeywordSearch(b, e, id, seeds, eng, big)...)
	printTable(fmt.Sprintf("issue 11 data-plane ratios, engine %s (3 brokers), one run", eng),
		[]string{"", "ours", "ceiling", "unit", "ratio", "goal"}, rows)
}

// benchKeywordSearch: 5.8.1 with a keyword that matches one record, over a whole topic of 100
// thousand and of 1 million 100-byte records, and over a time window of a tenth of a topic of big
// records, beside a plain franz-go consume of the same records (a new direct consumer each time,
// default options, given the window's offsets) doing the same match per record. Each iteration
// runs both, one after the other, so that both see the same machine.
func benchKeywordSearch(b *testing.B, e *testEnv, id string, seeds []string, eng string, big int) []benchRow {
	type window struct {
		name     string
		records  int // in the topic
		fromFrac float64
		toFrac   float64 // the window, as fractions of the topic's time span
	}
	windows := []window{
		{"keyword search, whole topic of 100k", 100_000, 0, 1},
		{"keyword search, whole topic of 1M", 1_000_000, 0, 1},
		{fmt.Sprintf("keyword search, %s window of %s", count(big/10), count(big)), big, 0.45, 0.55},
	}
	sc := newSignedClient(e)
	adm, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		b.Fatal(err)
	}
	defer adm.Close()
	var rows []benchRow
	for _, w := range windows {
		topic := fmt.Sprintf("search-%d", w.records)
		benchTopic(b, seeds, topic, 3)
		base := time.Now().Add(-24 * time.Hour).Truncate(time.Second) // recent: the 7-day retention applies
		step := time.Millisecond
		loadNeedle(b, seeds, topic, w.records, 100, base, step, w.records/2+1)
		span := time.Duration(w.records) * step
		from := base.Add(time.Duration(float64(span) * w.fromFrac))
		to := base.Add(time.Duration(float64(span)*w.toFrac) - time.Millisecond)
		if w.toFrac >= 1 {
			to = base.Add(span)
		}
		// The window's offsets, for the consumer (the search finds them itself, in its time).
		starts, err := kadm.NewClient(adm).ListOffsetsAfterMilli(context.Background(), from.UnixMilli(), topic)
		if err != nil {
			b.Fatal(err)
		}
		ends, err := kadm.NewClient(adm).ListOffsetsAfterMilli(context.Background(), to.UnixMilli()+1, topic)
		if err != nil {
			b.Fatal(err)
		}
		assign := map[int32]kgo.Offset{}
		stop := map[int32]int64{}
		var want int64
		starts.Each(func(o kadm.ListedOffset) {
			assign[o.Partition] = kgo.NewOffset().At(o.Offset)
			end, _ := ends.Lookup(topic, o.Partition)
			stop[o.Partition] = end.Offset
			want += end.Offset - o.Offset
		})
		path := "/v2/" + e.ProjectID + "/instances/" + id + "/messages?" + url.Values{"topic": {topic}, "keyword": {"needle"},
			"start_time": {strconv.FormatInt(from.UnixMilli(), 10)}, "end_time": {strconv.FormatInt(to.UnixMilli(), 10)}}.Encode()
		search := func() (int64, error) {
			code, out, err := sc.do("GET", path, nil)
			if err != nil || code != 200 {
				return 0, fmt.Errorf("search: %d %.300s %v", code, out, err)
			}
			var resp struct {
				Total     int64 `json:"total"`
				Truncated bool  `json:"truncated"`
				Scan      struct {
					Records int64 `json:"records"`
					Bytes   int64 `json:"bytes"`
				} `json:"scan"`
			}
			if err := json.Unmarshal(out, &resp); err != nil || resp.Truncated || resp.Scan.Records != want || resp.Total != 1 {
				return 0, fmt.Errorf("search read %+v, want %d records and 1 match: %.300s", resp, want, out)
			}
			return resp.Scan.Records, nil
		}
		consume := func() (int64, error) {
			cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}))
			if err != nil {
				return 0, err
			}
			defer cl.Close()
			var got, matched int64
			left := len(stop)
			done := map[int32]bool{}
			for left > 0 {
				fs := cl.PollFetches(context.Background())
				if err := fs.Err0(); err != nil {
					return 0, err
				}
				fs.EachRecord(func(r *kgo.Record) {
					if done[r.Partition] {
						return
					}
					if r.Offset >= stop[r.Partition] {
						done[r.Partition] = true
						left--
						return
					}
					got++
					if strings.Contains(string(r.Key), "needle") || strings.Contains(string(r.Value), "needle") {
						matched++
					}
					if r.Offset == stop[r.Partition]-1 {
						done[r.Partition] = true
						left--
					}
				})
			}
			if got != want || matched != 1 {
				return 0, fmt.Errorf("consumed %d records (%d matches), want %d (1)", got, matched, want)
			}
			return got, nil
		}
		if os.Getenv("OPENDMS_SCAN_PLAIN") != "" {
			kc, err := kafkaops.Dial(seeds)
			if err != nil {
				b.Fatal(err)
			}
			var rs []kafkaops.OffsetRange
			starts.Each(func(o kadm.ListedOffset) {
				rs = append(rs, kafkaops.OffsetRange{Partition: o.Partition, Start: o.Offset, End: stop[o.Partition]})
			})
			for range 3 {
				t0 := time.Now()
				res, err := kc.Scan(context.Background(), topic, rs, kafkaops.ScanOptions{Backward: true, Chunk: 256}, func(r *kafkaops.Record) bool { return true })
				t1 := time.Now()
				_, err2 := consume()
				fmt.Printf("plaintext scan %s %+v %v; consume %s %v\n", t1.Sub(t0), res, err, time.Since(t1), err2)
			}
			kc.Close()
		}
		// Once unmeasured: the brokers' JIT compiles their read and TLS paths at the first reads.
		if _, err := search(); err != nil {
			b.Fatal(err)
		}
		if _, err := consume(); err != nil {
			b.Fatal(err)
		}
		var sRecs, cRecs int64
		var sTime, cTime time.Duration
		b.Run(eng+"/"+w.name, func(b *testing.B) {
			for range b.N {
				t0 := time.Now()
				n, err := search()
				if err != nil {
					b.Fatal(err)
				}
				sRecs, sTime = sRecs+n, sTime+time.Since(t0)
				t0 = time.Now()
				if n, err = consume(); err != nil {
					b.Fatal(err)
				}
				cRecs, cTime = cRecs+n, cTime+time.Since(t0)
			}
			b.ReportMetric(float64(sRecs)/sTime.Seconds(), "search-records/s")
			b.ReportMetric(float64(cRecs)/cTime.Seconds(), "consume-records/s")
		})
		if sTime > 0 && cTime > 0 {
			s, c := float64(sRecs)/sTime.Seconds(), float64(cRecs)/cTime.Seconds()
			per := func(n int64, d time.Duration) string {
				return fmt.Sprint((d / time.Duration(max(1, n/want))).Round(100 * time.Microsecond))
			}
			rows = append(rows, benchRow{w.name, []string{per(sRecs, sTime), per(cRecs, cTime), "time", fmt.Sprintf("%.2f", s/c), ">= 0.70"}})
		}
		// The next topics are loaded and searched without this one's data in the page cache's way.
		deleteBenchTopic(b, adm, topic)
	}
	return rows
}

// loadNeedle is load with the word "needle" in the value of record needle (none when needle < 0).
func loadNeedle(b *testing.B, seeds []string, topic string, n, size int, base time.Time, step time.Duration, needle int) time.Duration {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
		kgo.ProducerLinger(20*time.Millisecond), kgo.MaxBufferedRecords(1<<20), kgo.ProducerBatchMaxBytes(64<<10),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(4))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	filler := strings.Repeat("abcdefghij", size/10+1)
	start := time.Now()
	var failed atomic.Value
	ctx := context.Background()
	for i := range n {
		v := fmt.Appendf(nil, "record %d ", i)
		if i == needle {
			v = append(v, "needle "...)
		}
		v = append(v, filler[:max(0, size-len(v))]...)
		cl.Produce(ctx, &kgo.Record{Value: v, Key: fmt.Appendf(nil, "k%d", i), Timestamp: base.Add(time.Duration(i) * step)}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Store(err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	// Let the loader's garbage and the engine's writes settle before anything is measured.
	runtime.GC()
	time.Sleep(2 * time.Second)
	return took
}

func deleteBenchTopic(b *testing.B, cl *kgo.Client, topic string) {
	b.Helper()
	if _, err := kadm.NewClient(cl).DeleteTopic(context.Background(), topic); err != nil {
		b.Fatal(err)
	}
}

// count is n in thousands or millions: 100k, 10M.
func count(n int) string {
	if n >= 1_000_000 && n%1_000_000 == 0 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%dk", n/1000)
}
