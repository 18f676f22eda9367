package httpapi

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opendms/opendms/aksk"
)

// reqPathCallers is how many callers BenchmarkRequestPath runs at once (issue 11 measured 32).
var reqPathCallers = flag.Int("reqpath-callers", 32, "concurrent callers of BenchmarkRequestPath")

// BenchmarkRequestPath measures the whole request path over loopback HTTP — AK/SK verification (or a
// token), routing, authorization and a catalog handler — beside a bare net/http handler that writes
// the same JSON. It reports requests/s and the p50/p99 latency seen by the callers, and logs each
// case's requests/s as a ratio of the bare handler's.
//
//	go test -run '^$' -bench RequestPath -benchtime 5s ./internal/httpapi/ [-args -reqpath-callers 16]
//
// Fairness: the callers run in the same process, on the same cores, as the server. An AK/SK caller
// signs every request afresh (aksk.Sign, as the SDKs do: X-Sdk-Date of the second, the signature
// over method, path, query, headers and body), and the server verifies every signature in full
// (nothing caches a verification; GETs are not replay-checked, as in production), so the signing
// cost of the client is counted against the DMS side, which the bare handler's callers do not pay.
func BenchmarkRequestPath(b *testing.B) {
	e := newTestEnv(b)
	_, azJSON := e.do(b, "GET", "/v2/available-zones", nil)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(azJSON)
	}))
	defer bare.Close()
	token := adminToken(b, e)

	cases := []struct {
		name string
		url  string
		auth func(*http.Request)
	}{
		{"bare-net-http", bare.URL + "/v2/available-zones", func(*http.Request) {}},
		{"dms-aksk-catalog", e.URL + "/v2/available-zones", func(r *http.Request) { aksk.Sign(r, nil, e.AK, e.SK, time.Now()) }},
		{"dms-aksk-project-route", e.URL + "/v3/projects?name=" + e.Region, func(r *http.Request) { aksk.Sign(r, nil, e.AK, e.SK, time.Now()) }},
		{"dms-token-catalog", e.URL + "/v2/available-zones", func(r *http.Request) { r.Header.Set("X-Auth-Token", token) }},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * *reqPathCallers}}
	// RunParallel runs parallelism × GOMAXPROCS goroutines.
	parallelism := max(1, (*reqPathCallers+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0))
	rates, cpus := map[string]float64{}, map[string]float64{}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var mu sync.Mutex
			var all []time.Duration
			start, cpu0 := time.Now(), processCPU()
			b.SetParallelism(parallelism)
			b.RunParallel(func(pb *testing.PB) {
				lat := make([]time.Duration, 0, 1024)
				for pb.Next() {
					req, _ := http.NewRequest("GET", c.url, nil)
					req.Header.Set("Content-Type", "application/json")
					t0 := time.Now()
					c.auth(req)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					lat = append(lat, time.Since(t0))
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			})
			elapsed, cpu := time.Since(start), processCPU()-cpu0
			slices.Sort(all)
			if len(all) > 0 {
				rates[c.name] = float64(len(all)) / elapsed.Seconds()
				// CPU time (client and server) per request: on a machine shared with other work,
				// steadier than requests/s, which is what the cores allow when they are ours alone.
				cpus[c.name] = float64(cpu.Microseconds()) / float64(len(all))
				b.ReportMetric(cpus[c.name], "cpu-µs/req")
				b.ReportMetric(float64(parallelism*runtime.GOMAXPROCS(0)), "callers")
				b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
				b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
				b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
			}
		})
	}
	if bare := rates["bare-net-http"]; bare > 0 {
		for _, c := range cases[1:] {
			if rates[c.name] == 0 {
				continue // not selected by -bench
			}
			fmt.Printf("%-24s %8.0f req/s  %.2f of bare-net-http (%.0f req/s); by CPU per request %.2f (%.1f vs %.1f µs); %d callers\n",
				c.name, rates[c.name], rates[c.name]/bare, bare, cpus["bare-net-http"]/cpus[c.name], cpus[c.name], cpus["bare-net-http"],
				parallelism*runtime.GOMAXPROCS(0))
		}
	}
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func adminToken(t testing.TB, e *testEnv) string {
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": "admin", "password": e.Password, "domain": map[string]any{"name": "admin"}}}},
		"scope": map[string]any{"project": map[string]any{"id": e.ProjectID}},
	}}
	resp, b := e.doAs(t, "", "", "POST", "/v3/auth/tokens", body)
	if resp.StatusCode != 201 {
		var e errorBody
		json.Unmarshal(b, &e)
		t.Fatalf("token: %d %+v", resp.StatusCode, e)
	}
	return resp.Header.Get("X-Subject-Token")
}
