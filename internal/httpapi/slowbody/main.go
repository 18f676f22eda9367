// Command slowbody measures a running dmsd's memory under the slow-body attack of issue 9 (defect
// 2): many connections each announce a large body and send it slowly, unauthenticated or with a
// valid access key and a bad signature. It prints the server's resident memory (VmRSS sampled,
// VmHWM at the end, from /proc/<pid>/status) and what the connections got. It is a measurement,
// not a test: start dmsd yourself (README, "Request limits and replay") and point this at it.
//
//	go run ./internal/httpapi/slowbody -url http://127.0.0.1:9791 -pid $(pgrep -n dmsd) -project <id> [-ak AK]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opendms/opendms/aksk"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:9780", "dmsd's endpoint")
	pid := flag.Int("pid", 0, "dmsd's process id (for /proc/<pid>/status)")
	project := flag.String("project", "0123456789abcdef0123456789abcdef", "project id in the path")
	ak := flag.String("ak", "", "a valid access key: sign with it and a wrong SK (empty: no credentials)")
	conns := flag.Int("conns", 32, "connections")
	size := flag.Int64("size", 16_000_000, "Content-Length each announces")
	rate := flag.Int64("rate", 1<<20, "bytes per second each sends")
	dur := flag.Duration("duration", 40*time.Second, "how long the attack lasts")
	flag.Parse()
	if *pid == 0 {
		fmt.Fprintln(os.Stderr, "-pid is required")
		os.Exit(2)
	}
	u, err := url.Parse(*base)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	path := "/v2/" + *project + "/kafka/instances"

	before := status(*pid)
	fmt.Printf("before: VmRSS %s, VmHWM %s\n", before["VmRSS"], before["VmHWM"])
	var mu sync.Mutex
	results := map[string]int{}
	var sentTotal int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(*dur)
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, sent := attack(u.Host, path, *ak, *size, *rate, deadline)
			mu.Lock()
			results[res]++
			sentTotal += sent
			mu.Unlock()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	peak := kB(before["VmRSS"])
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
loop:
	for {
		select {
		case <-done:
			break loop
		case <-tick.C:
			if kb := kB(status(*pid)["VmRSS"]); kb > peak {
				peak = kb
			}
		}
	}
	after := status(*pid)
	peak = max(peak, kB(after["VmRSS"]))
	fmt.Printf("during: peak VmRSS sampled %d kB\n", peak)
	fmt.Printf("after: VmRSS %s, VmHWM %s\n", after["VmRSS"], after["VmHWM"])
	fmt.Printf("bytes sent by all connections: %d\n", sentTotal)
	var keys []string
	for k := range results {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("  %3d connections: %s\n", results[k], k)
	}
}

// attack sends one request's headers, then its body at rate until the server answers, the
// connection fails, the body is sent or the deadline passes. It returns what happened.
func attack(host, path, ak string, size, rate int64, deadline time.Time) (string, int64) {
	conn, err := net.Dial("tcp", host)
	if err != nil {
		return "dial: " + err.Error(), 0
	}
	defer conn.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, host, size)
	if ak != "" {
		r, _ := http.NewRequest("POST", "http://"+host+path, nil)
		r.Header.Set("Content-Type", "application/json")
		// A valid AK, a date inside the skew, and a signature made with a wrong SK.
		if err := aksk.Sign(r, []byte("{}"), ak, "not-the-secret-key", time.Now()); err != nil {
			return "sign: " + err.Error(), 0
		}
		for _, h := range []string{"Authorization", aksk.DateHeader} {
			fmt.Fprintf(&head, "%s: %s\r\n", h, r.Header.Get(h))
		}
	}
	head.WriteString("\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		return "write headers: " + err.Error(), 0
	}
	answered := make(chan string, 1)
	go func() {
		conn.SetReadDeadline(deadline.Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- "no answer: " + shortErr(err)
			return
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		code := ""
		if i := strings.Index(b.String(), `"error_code":"`); i >= 0 {
			code = b.String()[i+14:]
			code = code[:strings.IndexByte(code, '"')]
		}
		answered <- fmt.Sprintf("%d %s", resp.StatusCode, code)
	}()
	chunk := make([]byte, max(rate/10, 1))
	var sent int64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for sent < size && time.Now().Before(deadline) {
		select {
		case res := <-answered:
			return res + " (after " + strconv.FormatInt(sent, 10) + " body bytes)", sent
		case <-tick.C:
		}
		n := min(int64(len(chunk)), size-sent)
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		m, err := conn.Write(chunk[:n])
		sent += int64(m)
		if err != nil {
			break
		}
	}
	select {
	case res := <-answered:
		return res + " (after " + strconv.FormatInt(sent, 10) + " body bytes)", sent
	case <-time.After(time.Until(deadline) + 6*time.Second):
		return "no answer by the end", sent
	}
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// status reads /proc/<pid>/status into a map.
func status(pid int) map[string]string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// kB parses "123 kB".
func kB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	return n
}
