package httpapi

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/console"
)

// TestConsoleServed: through the real server, without credentials, "/" and "/console" send a browser
// to /console/, which answers index.html with the console's CSP; files revalidate with their ETag;
// what is not a file is a 404 and a write method a 405.
func TestConsoleServed(t *testing.T) {
	e := newTestEnv(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, e.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}

	resp, body := do("GET", "/console/", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(strings.ToLower(body), "<!doctype html>") {
		t.Fatalf("GET /console/: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != console.CSP || !strings.Contains(got, "script-src 'self';") {
		t.Errorf("CSP %q", got)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"} {
		if resp.Header.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, resp.Header.Get(k), v)
		}
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	index := body

	cases := []struct {
		method, path string
		hdr          map[string]string
		status       int
		location     string
		body         *string // nil: not checked
	}{
		{method: "GET", path: "/", status: 302, location: "/console/"},
		{method: "HEAD", path: "/", status: 302, location: "/console/"},
		{method: "GET", path: "/console", status: 302, location: "/console/"},
		{method: "GET", path: "/console/index.html", status: 200, body: &index},
		{method: "HEAD", path: "/console/", status: 200, body: new(string)},
		{method: "GET", path: "/console/", hdr: map[string]string{"If-None-Match": etag}, status: 304, body: new(string)},
		{method: "GET", path: "/console/no-such-file.js", status: 404},
		{method: "GET", path: "/console/instances/x/topics", status: 404},
		{method: "POST", path: "/console/", status: 405},
		{method: "DELETE", path: "/", status: 405},
	}
	for _, tc := range cases {
		resp, body := do(tc.method, tc.path, tc.hdr)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d (%q)", tc.method, tc.path, resp.StatusCode, tc.status, body)
			continue
		}
		if tc.location != "" && resp.Header.Get("Location") != tc.location {
			t.Errorf("%s %s: Location %q, want %q", tc.method, tc.path, resp.Header.Get("Location"), tc.location)
		}
		if tc.body != nil && body != *tc.body {
			t.Errorf("%s %s: body %q, want %q", tc.method, tc.path, body, *tc.body)
		}
	}
}
