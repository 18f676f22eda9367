package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/aksk"
	"github.com/opendms/opendms/internal/messages"
)

// Benchmarks of the message APIs against franz-go on the same instance, on the embedded engine
// (a kfake cluster inside the test process, 3 brokers). Each prints a table at the end.
//
//	go test -run '^$' -bench 'Messages' -benchtime 3s -timeout 30m ./internal/httpapi/
//
// OPENDMS_BENCH_BIG_RECORDS sets the record count of the big topic of the query benchmark (default
// 10,000,000).

// benchInstance creates a RUNNING instance over raw HTTP (the SDK helpers take a *testing.T).
func benchInstance(b *testing.B, e *testEnv, name string) (id string, seeds []string) {
	b.Helper()
	_, body := e.do(b, "GET", "/v2/available-zones", nil)
	var azs struct {
		AvailableZones []struct {
			ID string `json:"id"`
		} `json:"available_zones"`
	}
	if err := json.Unmarshal(body, &azs); err != nil || len(azs.AvailableZones) == 0 {
		b.Fatalf("zones: %s", body)
	}
	req := map[string]any{"name": name, "engine": "kafka", "engine_version": "3.x", "broker_num": 3, "storage_space": 300,
		"product_id": "c6.2u4g.cluster", "vpc_id": "vpc-1", "security_group_id": "sg-1", "subnet_id": "subnet-1",
		"available_zones": []string{azs.AvailableZones[0].ID}, "storage_spec_code": "dms.physical.storage.ultra.v2"}
	resp, body := e.do(b, "POST", "/v2/kafka/"+e.ProjectID+"/instances", req)
	var created struct {
		InstanceID string `json:"instance_id"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &created) != nil {
		b.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	deadline := time.Now().Add(4 * time.Minute)
	for time.Now().Before(deadline) {
		_, body = e.do(b, "GET", "/v2/"+e.ProjectID+"/instances/"+created.InstanceID, nil)
		var in struct {
			Status         string `json:"status"`
			ConnectAddress string `json:"connect_address"`
			Port           int    `json:"port"`
		}
		if json.Unmarshal(body, &in) == nil && in.Status == "RUNNING" {
			for _, h := range strings.Split(in.ConnectAddress, ",") {
				seeds = append(seeds, net.JoinHostPort(h, strconv.Itoa(in.Port)))
			}
			return created.InstanceID, seeds
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("instance not RUNNING")
	return "", nil
}

func benchTopic(b *testing.B, seeds []string, topic string, partitions int32) {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		b.Fatal(err)
	}
	// As the topics API does: the topic is used once every broker knows it (a broker behind the
	// controller answers UNKNOWN_TOPIC_OR_PARTITION, which 5.5.1 reports as a 400).
	md, err := kadm.NewClient(cl).BrokerMetadata(kadm.WithAuthorizedOps(ctx))
	if err != nil {
		b.Fatal(err)
	}
	for _, br := range md.Brokers {
		for deadline := time.Now().Add(30 * time.Second); ; {
			req := kmsg.NewPtrMetadataRequest()
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(topic)
			req.Topics = append(req.Topics, rt)
			r, err := req.RequestWith(ctx, cl.Broker(int(br.NodeID)))
			if err == nil && len(r.Topics) == 1 && r.Topics[0].ErrorCode == 0 && len(r.Topics[0].Partitions) == int(partitions) {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("topic %s not on broker %d: %v", topic, br.NodeID, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// load writes n records of about size bytes to topic, spread round robin over its partitions,
// record i with timestamp base + i*step and value "record <i> " padded with filler (no "needle").
// Batches are of 64 KiB, whatever the topic's size (a busy producer's; the Java client's default is
// 16 KiB): what a query reads depends on the batches around the offsets it wants.
func load(b *testing.B, seeds []string, topic string, n int, size int, base time.Time, step time.Duration) time.Duration {
	return loadNeedle(b, seeds, topic, n, size, base, step, -1)
}

// callers runs fn b.N times over n concurrent callers and returns every call's latency.
func callers(b *testing.B, n int, fn func() error) []time.Duration {
	var next atomic.Int64
	return runCallers(b, n, func() bool { return next.Add(1) <= int64(b.N) }, fn)
}

// runCallers runs fn over n concurrent callers while more says so (asked before each call) and
// returns every call's latency, sorted.
func runCallers(b *testing.B, n int, more func() bool, fn func() error) []time.Duration {
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for more() {
				t0 := time.Now()
				if err := fn(); err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	return all
}

func pct(all []time.Duration, p int) time.Duration {
	if len(all) == 0 {
		return 0
	}
	return all[min(len(all)-1, len(all)*p/100)]
}

// signedClient sends AK/SK-signed requests over one pooled HTTP client.
type signedClient struct {
	e  *testEnv
	hc *http.Client
}

func newSignedClient(e *testEnv) *signedClient {
	return &signedClient{e: e, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}}
}

func (c *signedClient) do(method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, c.e.URL+path, strings.NewReader(string(body)))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := aksk.Sign(req, body, c.e.AK, c.e.SK, time.Now()); err != nil {
		return 0, nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

type benchRow struct {
	name string
	cols []string
}

func printTable(title string, header []string, rows []benchRow) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%s\n", title)
	fmt.Fprintf(&sb, "%-52s", header[0])
	for _, h := range header[1:] {
		fmt.Fprintf(&sb, " %14s", h)
	}
	sb.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "%-52s", r.name)
		for _, c := range r.cols {
			fmt.Fprintf(&sb, " %14s", c)
		}
		sb.WriteString("\n")
	}
	fmt.Print(sb.String())
}

// BenchmarkMessagesProduce: 5.5.1 over HTTP (signed, through the whole request path, to the
// instance's shared client, acks=all) beside franz-go producing the same records straight to the
// same instance (ProduceSync, acks=all, one client shared by the callers): the ceiling.
//
// OPENDMS_BENCH_ENGINE=local runs it on the local engine (Apache Kafka JVMs) instead of kfake.
func BenchmarkMessagesProduce(b *testing.B) {
	eng := benchEngine()
	e := newTestEnvOn(b, eng)
	id, seeds := benchInstance(b, e, "bench-produce")
	benchTopic(b, seeds, "produce", 3)
	sc := newSignedClient(e)
	path := "/v2/" + e.ProjectID + "/instances/" + id + "/messages/action?action_id=send"
	value := strings.Repeat("v", 100)
	direct, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic("produce"))
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	var seq atomic.Int64

	type result struct {
		rate     float64
		p50, p99 time.Duration
	}
	results := map[string]result{}
	for _, n := range []int{1, 16, 64} {
		for _, way := range []string{"http", "franz-go"} {
			name := fmt.Sprintf("%s/%s/callers=%d", eng, way, n)
			b.Run(name, func(b *testing.B) {
				var fn func() error
				if way == "http" {
					fn = func() error {
						i := seq.Add(1)
						body := fmt.Appendf(nil, `{"topic":"produce","body":%q,"property_list":[{"name":"KEY","value":"k%d"}]}`, value, i)
						code, out, err := sc.do("POST", path, body)
						if err == nil && code != 200 {
							err = fmt.Errorf("produce: %d %s", code, out)
						}
						return err
					}
				} else {
					fn = func() error {
						i := seq.Add(1)
						return direct.ProduceSync(context.Background(), &kgo.Record{Key: fmt.Appendf(nil, "k%d", i), Value: []byte(value)}).FirstErr()
					}
				}
				start := time.Now()
				lat := callers(b, n, fn)
				el := time.Since(start)
				r := result{rate: float64(len(lat)) / el.Seconds(), p50: pct(lat, 50), p99: pct(lat, 99)}
				results[name] = r
				b.ReportMetric(r.rate, "msgs/s")
				b.ReportMetric(float64(r.p50.Microseconds()), "p50-µs")
				b.ReportMetric(float64(r.p99.Microseconds()), "p99-µs")
			})
		}
	}
	var rows []benchRow
	for _, n := range []int{1, 16, 64} {
		h, d := results[fmt.Sprintf("%s/http/callers=%d", eng, n)], results[fmt.Sprintf("%s/franz-go/callers=%d", eng, n)]
		if d.rate == 0 {
			continue
		}
		rows = append(rows,
			benchRow{fmt.Sprintf("http 5.5.1, %d callers", n), []string{fmt.Sprintf("%.0f", h.rate), fmt.Sprint(h.p50.Round(time.Microsecond)), fmt.Sprint(h.p99.Round(time.Microsecond)), fmt.Sprintf("%.0f%%", 100*h.rate/d.rate)}},
			benchRow{fmt.Sprintf("franz-go ProduceSync, %d callers", n), []string{fmt.Sprintf("%.0f", d.rate), fmt.Sprint(d.p50.Round(time.Microsecond)), fmt.Sprint(d.p99.Round(time.Microsecond)), "100%"}})
	}
	printTable(fmt.Sprintf("produce, engine %s (3 brokers), 100-byte values, acks=all", eng), []string{"", "msgs/s", "p50", "p99", "of ceiling"}, rows)
}

// BenchmarkMessagesQuery: 5.8.1 by time range (a 1-second window in the middle of the topic, first
// page of 10, newest first) and a keyword search in the same window, on a topic of 100 thousand
// records and one of 10 million (OPENDMS_BENCH_BIG_RECORDS), both 3 partitions, one record per
// millisecond.
func BenchmarkMessagesQuery(b *testing.B) {
	e := newTestEnv(b)
	id, seeds := benchInstance(b, e, "bench-query")
	big := 10_000_000
	if v, err := strconv.Atoi(os.Getenv("OPENDMS_BENCH_BIG_RECORDS")); err == nil && v > 0 {
		big = v
	}
	// Recent timestamps: the engine applies the 7-day retention every 30 s.
	base := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	sizes := []int{100_000, big}
	loadTimes := map[int]time.Duration{}
	for _, n := range sizes {
		topic := fmt.Sprintf("records-%d", n)
		benchTopic(b, seeds, topic, 3)
		loadTimes[n] = load(b, seeds, topic, n, 100, base, time.Millisecond)
	}
	sc := newSignedClient(e)
	get := func(path string) error {
		code, out, err := sc.do("GET", path, nil)
		if err == nil && code != 200 {
			err = fmt.Errorf("query: %d %s", code, out)
		}
		return err
	}
	kinds := []struct {
		name  string
		query func(topic string, mid int64) string
	}{
		{"time range, page 1", func(topic string, mid int64) string {
			return "/v2/" + e.ProjectID + "/instances/" + id + "/messages?" + url.Values{"topic": {topic}, "start_time": {strconv.FormatInt(mid, 10)},
				"end_time": {strconv.FormatInt(mid+999, 10)}, "limit": {"10"}, "offset": {"1"}}.Encode()
		}},
		{"time range, page 20", func(topic string, mid int64) string {
			return "/v2/" + e.ProjectID + "/instances/" + id + "/messages?" + url.Values{"topic": {topic}, "start_time": {strconv.FormatInt(mid, 10)},
				"end_time": {strconv.FormatInt(mid+999, 10)}, "limit": {"50"}, "offset": {"20"}}.Encode()
		}},
		{"keyword in the range", func(topic string, mid int64) string {
			return "/v2/" + e.ProjectID + "/instances/" + id + "/messages?" + url.Values{"topic": {topic}, "start_time": {strconv.FormatInt(mid, 10)},
				"end_time": {strconv.FormatInt(mid+999, 10)}, "keyword": {"needle"}}.Encode()
		}},
		{"5.8.3 time period", func(topic string, mid int64) string {
			return "/v2/" + e.ProjectID + "/instances/" + id + "/management/topics/" + topic + "/messages?" + url.Values{"start_time": {strconv.FormatInt(mid, 10)},
				"end_time": {strconv.FormatInt(mid+999, 10)}}.Encode()
		}},
	}
	// Each iteration queries both topics, one after the other, so that both see the same machine.
	type result struct{ small, large []time.Duration }
	results := map[string]result{}
	for _, k := range kinds {
		var paths [2]string
		for i, n := range sizes {
			paths[i] = k.query(fmt.Sprintf("records-%d", n), base.Add(time.Duration(n/2)*time.Millisecond).UnixMilli())
		}
		b.Run("embedded/"+k.name, func(b *testing.B) {
			var r result
			for range b.N {
				for i, path := range paths {
					t0 := time.Now()
					if err := get(path); err != nil {
						b.Fatal(err)
					}
					if i == 0 {
						r.small = append(r.small, time.Since(t0))
					} else {
						r.large = append(r.large, time.Since(t0))
					}
				}
			}
			slices.Sort(r.small)
			slices.Sort(r.large)
			results[k.name] = r
			b.ReportMetric(float64(pct(r.small, 50).Microseconds())/1000, "p50-ms-small")
			b.ReportMetric(float64(pct(r.large, 50).Microseconds())/1000, "p50-ms-big")
			b.ReportMetric(float64(pct(r.large, 50))/float64(pct(r.small, 50)), "p50-ratio")
		})
	}
	var rows []benchRow
	for _, k := range kinds {
		r := results[k.name]
		if len(r.small) == 0 {
			continue
		}
		ms := func(d time.Duration) string { return fmt.Sprint(d.Round(10 * time.Microsecond)) }
		rows = append(rows, benchRow{k.name, []string{ms(pct(r.small, 50)), ms(pct(r.small, 99)), ms(pct(r.large, 50)), ms(pct(r.large, 99)),
			fmt.Sprintf("%.2f", float64(pct(r.large, 50))/float64(pct(r.small, 50)))}})
	}
	printTable(fmt.Sprintf("5.8.1/5.8.3 query time, engine embedded (kfake, 3 brokers), alternating topics; loading %d records took %s, %d took %s",
		sizes[0], loadTimes[sizes[0]].Round(time.Second), sizes[1], loadTimes[sizes[1]].Round(time.Second)),
		[]string{"", fmt.Sprintf("p50 %dk", sizes[0]/1000), fmt.Sprintf("p99 %dk", sizes[0]/1000), fmt.Sprintf("p50 %dk", sizes[1]/1000), fmt.Sprintf("p99 %dk", sizes[1]/1000), "p50 ratio"}, rows)
}

// BenchmarkMessagesKeywordScan: a keyword search over a whole topic (5.8.1 with keyword and no
// match, so every record is read; bounds raised to cover it) beside a plain franz-go consume of the
// same topic from start to end (a direct consumer, default options). Reports MB/s of key+value.
func BenchmarkMessagesKeywordScan(b *testing.B) {
	e := newTestEnv(b)
	id, seeds := benchInstance(b, e, "bench-scan")
	const n, size = 400_000, 250 // 100 MB
	benchTopic(b, seeds, "scan", 3)
	load(b, seeds, "scan", n, size, time.Now().Add(-time.Hour), time.Microsecond)
	e.Server.messages.SetLimits(messages.Limits{MaxScanBytes: 4 << 30, MaxScanRecords: 1 << 40, MaxScanTime: 10 * time.Minute})
	sc := newSignedClient(e)
	path := "/v2/" + e.ProjectID + "/instances/" + id + "/messages?" + url.Values{"topic": {"scan"}, "keyword": {"needle"}}.Encode()
	search := func() (int64, error) {
		code, out, err := sc.do("GET", path, nil)
		if err != nil || code != 200 {
			return 0, fmt.Errorf("search: %d %s %v", code, out, err)
		}
		var resp struct {
			Truncated bool `json:"truncated"`
			Scan      struct {
				Records int64 `json:"records"`
				Bytes   int64 `json:"bytes"`
			} `json:"scan"`
		}
		if err := json.Unmarshal(out, &resp); err != nil || resp.Truncated || resp.Scan.Records != n {
			return 0, fmt.Errorf("search read %+v", resp)
		}
		return resp.Scan.Bytes, nil
	}
	consume := func() (int64, error) {
		parts := map[int32]kgo.Offset{}
		for p := range int32(3) {
			parts[p] = kgo.NewOffset().AtStart()
		}
		cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"scan": parts}))
		if err != nil {
			return 0, err
		}
		defer cl.Close()
		var got, bytes int64
		for got < n {
			fs := cl.PollFetches(context.Background())
			if err := fs.Err0(); err != nil {
				return 0, err
			}
			fs.EachRecord(func(r *kgo.Record) {
				got++
				bytes += int64(len(r.Key) + len(r.Value))
				_ = strings.Contains(string(r.Value), "needle") // the same per-record work as the search
			})
		}
		return bytes, nil
	}
	// Each iteration runs both, one after the other, so that both see the same machine.
	rates := map[string]float64{}
	b.Run("embedded/http-keyword-search-vs-franz-go-consume", func(b *testing.B) {
		var sBytes, cBytes int64
		var sTime, cTime time.Duration
		for range b.N {
			t0 := time.Now()
			nb, err := search()
			if err != nil {
				b.Fatal(err)
			}
			sBytes, sTime = sBytes+nb, sTime+time.Since(t0)
			t0 = time.Now()
			if nb, err = consume(); err != nil {
				b.Fatal(err)
			}
			cBytes, cTime = cBytes+nb, cTime+time.Since(t0)
		}
		rates["http"] = float64(sBytes) / 1e6 / sTime.Seconds()
		rates["franz-go"] = float64(cBytes) / 1e6 / cTime.Seconds()
		b.ReportMetric(rates["http"], "search-MB/s")
		b.ReportMetric(rates["franz-go"], "consume-MB/s")
	})
	if rates["franz-go"] > 0 {
		printTable(fmt.Sprintf("keyword search over %d records (%d MB of key+value), engine embedded (kfake, 3 brokers)", n, n*(size+7)/1_000_000),
			[]string{"", "MB/s", "of consume"}, []benchRow{
				{"5.8.1 keyword search over HTTP", []string{fmt.Sprintf("%.0f", rates["http"]), fmt.Sprintf("%.0f%%", 100*rates["http"]/rates["franz-go"])}},
				{"franz-go consume (direct, defaults)", []string{fmt.Sprintf("%.0f", rates["franz-go"]), "100%"}},
			})
	}
}

// BenchmarkMessagesProduceHandler: the server's side of 5.5.1 alone (the whole request path:
// signature, authorization, handler, the shared producer, acks=all; no network, no client), with
// 64 requests in flight, so that its CPU and allocations per message can be compared between
// changes on a machine whose other load makes throughput numbers noisy. Requests are signed before
// the timer starts.
//
//	go test -run '^$' -bench 'MessagesProduceHandler' -benchtime 20000x -benchmem -cpuprofile cpu.out ./internal/httpapi/
func BenchmarkMessagesProduceHandler(b *testing.B) {
	e := newTestEnvOn(b, benchEngine())
	id, seeds := benchInstance(b, e, "bench-produce-handler")
	benchTopic(b, seeds, "produce", 3)
	path := e.URL + "/v2/" + e.ProjectID + "/instances/" + id + "/messages/action?action_id=send"
	value := strings.Repeat("v", 100)
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		body := fmt.Appendf(nil, `{"topic":"produce","body":%q,"property_list":[{"name":"KEY","value":"k%d"}]}`, value, i)
		req, err := http.NewRequest("POST", path, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if err := aksk.Sign(req, body, e.AK, e.SK, time.Now()); err != nil {
			b.Fatal(err)
		}
		req.RemoteAddr = "127.0.0.1:40000"
		req.RequestURI = req.URL.RequestURI()
		reqs[i] = req
	}
	h := e.Server.Handler()
	var next atomic.Int64
	b.SetParallelism(32) // 64 in flight on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, reqs[next.Add(1)-1])
			if rec.Code != 200 {
				b.Errorf("produce: %d %s", rec.Code, rec.Body)
				return
			}
		}
	})
}
