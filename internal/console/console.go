// Package console serves the web console: static files (plain ES modules, no build step) embedded in
// the binary. It has no business logic: the browser calls the same public API as every SDK, with the
// token it holds in memory, so every IAM policy applies unchanged.
package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var embedded embed.FS

// Prefix is where the console is served.
const Prefix = "/console/"

// CSP is the Content-Security-Policy of every response: scripts, styles and connections only from
// this server, no inline script or style, no framing. Data shown by the console is rendered as text,
// and this policy is the second line of defence if a page ever got that wrong.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// file is one embedded asset, with what its responses carry computed once at startup.
type file struct {
	data        []byte
	etag        string // strong ETag from the SHA-256 of data (go:embed files have no modification time)
	contentType string
	// gz is data gzipped once at startup (nil when that does not save a tenth): the scripts shrink
	// to about a quarter, which counts on a slow link to a self-hosted dmsd.
	gz []byte
}

// gzipped compresses data, or returns nil when that saves less than a tenth of it.
func gzipped(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	if b.Len() > len(data)*9/10 {
		return nil
	}
	return b.Bytes()
}

// acceptsGzip reports whether the request's Accept-Encoding takes gzip (and not with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// contentTypes fixes the types the console needs instead of relying on the host's mime tables
// (a module script served with a wrong type is refused by browsers under nosniff).
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".json":  "application/json",
	".txt":   "text/plain; charset=utf-8",
	".woff2": "font/woff2",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// load reads every embedded asset (a few hundred KiB) into a map by its path under assets/.
func load(fsys fs.FS) (map[string]*file, error) {
	files := map[string]*file{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		files[p] = &file{data: data, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, contentType: contentType(p), gz: gzipped(data)}
		return nil
	})
	return files, err
}

// Handler serves the console under Prefix; "/console" redirects to "/console/". It answers only
// files: routing inside the console is by URL fragment (#/instances/...), which never reaches the
// server, so an unknown path is a 404, never index.html, and directories are not listed.
func Handler() http.Handler {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(err) // the directive guarantees the directory
	}
	files, err := load(sub)
	if err != nil {
		panic(err) // reading an embed.FS does not fail
	}
	return handler(files)
}

func handler(files map[string]*file) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
			target := Prefix
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusFound)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		if name == "" {
			name = "index.html"
		}
		f := files[name]
		if f == nil {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", f.contentType)
		data, etag := f.data, f.etag
		if f.gz != nil {
			h.Set("Vary", "Accept-Encoding")
			if acceptsGzip(r) {
				// Another representation, so another ETag (a cache must not answer a client that
				// does not take gzip with these bytes).
				data, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gzip"`
				h.Set("Content-Encoding", "gzip")
			}
		}
		h.Set("ETag", etag)
		// no-cache is "revalidate before use", not "do not store": with the ETag a reload costs a
		// 304 per file. Asset names carry no version, so a module cached by heuristic freshness
		// could outlive an upgrade of dmsd and run against pages of the new version.
		h.Set("Cache-Control", "no-cache")
		// ServeContent answers If-None-Match (304), HEAD and Range from the ETag; the zero time
		// leaves out Last-Modified.
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
	})
}
