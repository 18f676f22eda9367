package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendms/opendms/client"
	"github.com/opendms/opendms/client/clienttest"
)

// newSeqFake is newFakeDMS behind a proxy that makes answers change over time, as a server's do while
// an instance is created: every request reaches the fake (which verifies its signature and records
// it), and for the keys ("METHOD /path") of seqs the fake's answer is replaced by the next reply of
// the sequence, the last one repeating. dmsctl is pointed at the proxy with the test key.
func newSeqFake(t *testing.T, replies map[string]clienttest.Reply, seqs map[string][]clienttest.Reply) *clienttest.Server {
	t.Helper()
	f := newFakeDMS(t, replies)
	target, err := url.Parse(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	next := map[string]int{}
	proxy := &httputil.ReverseProxy{
		// The Host header is signed: keep the one the client sent.
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.Out.Host = pr.In.Host },
		ModifyResponse: func(resp *http.Response) error {
			key := resp.Request.Method + " " + resp.Request.URL.Path
			seq, ok := seqs[key]
			if !ok || len(seq) == 0 || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			mu.Lock()
			rep := seq[min(next[key], len(seq)-1)]
			next[key]++
			mu.Unlock()
			resp.Body.Close()
			resp.StatusCode = rep.Status
			resp.Body = io.NopCloser(strings.NewReader(rep.Body))
			resp.ContentLength = int64(len(rep.Body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(rep.Body)))
			resp.Header.Set("Content-Type", "application/json")
			return nil
		},
	}
	p := httptest.NewServer(proxy)
	t.Cleanup(p.Close)
	useFake(t, f, testPID)
	t.Setenv(envEndpoint, p.URL)
	return f
}

// fastPoll makes the --wait loops poll every millisecond.
func fastPoll(t *testing.T) {
	old := client.PollInterval
	client.PollInterval = time.Millisecond
	t.Cleanup(func() { client.PollInterval = old })
}

// allSigned fails the test unless every request f received was signed with the test key.
func allSigned(t *testing.T, f *clienttest.Server) {
	t.Helper()
	for _, r := range f.Requests() {
		mustSigned(t, r)
	}
}

// requestLines returns "METHOD path?query" of every request f received.
func requestLines(f *clienttest.Server) []string {
	var out []string
	for _, r := range f.Requests() {
		p := r.Method + " " + r.Path
		if r.RawQuery != "" {
			p += "?" + r.RawQuery
		}
		out = append(out, p)
	}
	return out
}

// requestCount returns how many requests f received for "METHOD path".
func requestCount(f *clienttest.Server, key string) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Method+" "+r.Path == key {
			n++
		}
	}
	return n
}

func replyOK(body string) clienttest.Reply { return clienttest.Reply{Status: 200, Body: body} }

func replyError(status int, code, msg string) clienttest.Reply {
	return clienttest.Reply{Status: status, Body: `{"error_code":"` + code + `","error_msg":"` + msg + `"}`}
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}
