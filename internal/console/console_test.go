package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// testFiles stands for the assets with one file of each type the console serves.
var testFiles = fstest.MapFS{
	"index.html":     {Data: []byte("<!doctype html><title>t</title>")},
	"console.css":    {Data: []byte("body{margin:0}")},
	"js/app.js":      {Data: []byte("export const x = 1;")},
	"js/pages/a.js":  {Data: []byte("export const routes = [];")},
	"img/logo.svg":   {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	"img/favicon.ic": {Data: []byte{0, 1, 2}},
}

func etagOf(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(testFiles, name)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

func TestHandler(t *testing.T) {
	files, err := load(testFiles)
	if err != nil {
		t.Fatal(err)
	}
	h := handler(files)
	indexTag := etagOf(t, "index.html")
	cases := []struct {
		name, method, path string
		ifNoneMatch        string
		status             int
		contentType        string // "" not checked
		location           string // for redirects
		body               string // "" not checked; "-" must be empty
		etag               string // "" must be absent
	}{
		{name: "index", method: "GET", path: "/console/", status: 200, contentType: "text/html; charset=utf-8", body: "<!doctype html><title>t</title>", etag: indexTag},
		{name: "index by name", method: "GET", path: "/console/index.html", status: 200, contentType: "text/html; charset=utf-8", etag: indexTag},
		{name: "head", method: "HEAD", path: "/console/", status: 200, contentType: "text/html; charset=utf-8", body: "-", etag: indexTag},
		{name: "redirect", method: "GET", path: "/console", status: 302, location: "/console/"},
		{name: "redirect keeps query", method: "GET", path: "/console?a=b", status: 302, location: "/console/?a=b"},
		{name: "module", method: "GET", path: "/console/js/app.js", status: 200, contentType: "text/javascript; charset=utf-8", body: "export const x = 1;", etag: etagOf(t, "js/app.js")},
		{name: "nested module", method: "GET", path: "/console/js/pages/a.js", status: 200, contentType: "text/javascript; charset=utf-8", etag: etagOf(t, "js/pages/a.js")},
		{name: "css", method: "GET", path: "/console/console.css", status: 200, contentType: "text/css; charset=utf-8", etag: etagOf(t, "console.css")},
		{name: "svg", method: "GET", path: "/console/img/logo.svg", status: 200, contentType: "image/svg+xml", etag: etagOf(t, "img/logo.svg")},
		{name: "unknown type", method: "GET", path: "/console/img/favicon.ic", status: 200, contentType: "application/octet-stream", etag: etagOf(t, "img/favicon.ic")},
		{name: "revalidated", method: "GET", path: "/console/", ifNoneMatch: indexTag, status: 304, body: "-", etag: indexTag},
		{name: "revalidated module", method: "GET", path: "/console/js/app.js", ifNoneMatch: etagOf(t, "js/app.js"), status: 304, body: "-", etag: etagOf(t, "js/app.js")},
		{name: "changed", method: "GET", path: "/console/js/app.js", ifNoneMatch: indexTag, status: 200, body: "export const x = 1;", etag: etagOf(t, "js/app.js")},
		// Hash routing: a page path is never a file, and answering index.html for it would hide
		// broken links.
		{name: "unknown file", method: "GET", path: "/console/instances", status: 404},
		{name: "directory", method: "GET", path: "/console/js/", status: 404},
		{name: "directory without slash", method: "GET", path: "/console/js", status: 404},
		{name: "traversal", method: "GET", path: "/console/../console.go", status: 404},
		{name: "outside the prefix", method: "GET", path: "/other/index.html", status: 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, "http://dms.test"+c.path, nil)
			if c.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", c.ifNoneMatch)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d (body %q)", res.StatusCode, c.status, rec.Body.String())
			}
			// The security headers are on every answer, errors and redirects included.
			for k, v := range map[string]string{
				"Content-Security-Policy": CSP,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "DENY",
			} {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if c.contentType != "" && res.Header.Get("Content-Type") != c.contentType {
				t.Errorf("Content-Type %q, want %q", res.Header.Get("Content-Type"), c.contentType)
			}
			if c.location != "" && res.Header.Get("Location") != c.location {
				t.Errorf("Location %q, want %q", res.Header.Get("Location"), c.location)
			}
			switch c.body {
			case "":
			case "-":
				if rec.Body.Len() != 0 {
					t.Errorf("body %q, want none", rec.Body.String())
				}
			default:
				if rec.Body.String() != c.body {
					t.Errorf("body %q, want %q", rec.Body.String(), c.body)
				}
			}
			if got := res.Header.Get("ETag"); got != c.etag {
				t.Errorf("ETag %q, want %q", got, c.etag)
			}
			if c.status == 200 || c.status == 304 {
				if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
					t.Errorf("Cache-Control %q, want no-cache", cc)
				}
				if lm := res.Header.Get("Last-Modified"); lm != "" {
					t.Errorf("Last-Modified %q: embedded files have no time", lm)
				}
			}
		})
	}
}

// TestEmbedded: the binary's assets hold index.html, every file is served under its path with an
// ETag of its content, and scripts are served as JavaScript (a module with another type is refused).
func TestEmbedded(t *testing.T) {
	h := Handler()
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		data, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/console/"+p, nil))
		if rec.Code != 200 || rec.Body.String() != string(data) {
			t.Errorf("%s: %d, %d bytes, want 200 and %d bytes", p, rec.Code, rec.Body.Len(), len(data))
		}
		sum := sha256.Sum256(data)
		if want := `"` + hex.EncodeToString(sum[:16]) + `"`; rec.Header().Get("ETag") != want {
			t.Errorf("%s: ETag %q, want %q", p, rec.Header().Get("ETag"), want)
		}
		if strings.HasSuffix(p, ".js") && !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
			t.Errorf("%s: Content-Type %q", p, rec.Header().Get("Content-Type"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil || n == 0 {
		t.Fatalf("the embedded assets lack index.html: %v (%d files)", err, n)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/console/", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<!doctype html>") {
		t.Fatalf("GET /console/: %d %q", rec.Code, rec.Body.String())
	}
}

// TestGzip: text assets go out gzipped to clients that take gzip, as another representation (its
// own ETag, Vary: Accept-Encoding), and unchanged to the others; both decode to the same bytes.
func TestGzip(t *testing.T) {
	h := Handler()
	plain := func(accept string) *http.Response {
		req := httptest.NewRequest("GET", "http://dms.test/console/js/ui.js", nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	want, err := fs.ReadFile(embedded, "assets/js/ui.js")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		accept string
		gzip   bool
	}{
		{"", false},
		{"gzip", true},
		{"br, gzip;q=0.8, deflate", true},
		{"GZIP", true},
		{"gzip;q=0", false},
		{"deflate, br", false},
	}
	etags := map[bool]string{}
	for _, c := range cases {
		t.Run(c.accept, func(t *testing.T) {
			res := plain(c.accept)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 || res.Header.Get("Vary") != "Accept-Encoding" {
				t.Fatalf("status %d, Vary %q", res.StatusCode, res.Header.Get("Vary"))
			}
			if got := res.Header.Get("Content-Encoding") == "gzip"; got != c.gzip {
				t.Fatalf("Content-Encoding %q, want gzip %v", res.Header.Get("Content-Encoding"), c.gzip)
			}
			if c.gzip {
				if len(body) >= len(want)/2 {
					t.Errorf("gzipped %d bytes of %d", len(body), len(want))
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, want) {
				t.Fatalf("body differs from the asset (%d bytes, want %d)", len(body), len(want))
			}
			if e, seen := etags[c.gzip]; seen && e != res.Header.Get("ETag") {
				t.Errorf("ETag %q, was %q", res.Header.Get("ETag"), e)
			}
			etags[c.gzip] = res.Header.Get("ETag")
		})
	}
	if etags[true] == etags[false] {
		t.Errorf("gzip and identity share the ETag %q", etags[true])
	}
}
