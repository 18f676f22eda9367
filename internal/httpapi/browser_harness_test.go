package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// harnessPage is a page that does, under a CSP like the console's, each thing the harness must
// report: an inline script (a CSP violation), console.error, an uncaught exception, a style refused
// and a file of /console/ answering 404 (but not an API call's 404); and has a form the helpers
// drive.
var harnessPage = map[string]string{
	"/console/": `<!doctype html><html><head><meta charset="utf-8"><title>harness</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/console/missing.css">
<script>window.inlineRan = true</script>
<script type="module" src="/console/m.js"></script></head>
<body><p data-test="hello">Hello <b>world</b></p>
<input data-test="field" value="old"><button data-test="btn">Go</button><div data-test="out"></div><div data-test="fetched"></div></body></html>`,
	"/console/m.js": `document.querySelector('[data-test=btn]').addEventListener('click', () => {
	document.querySelector('[data-test=out]').textContent = 'typed ' + document.querySelector('[data-test=field]').value;
});
fetch('/v2/absent').then(() => fetch('/console/absent.json')).then(r => { document.querySelector('[data-test=fetched]').textContent = 'fetched ' + r.status; });
console.error('boom from console');
throw new Error('uncaught boom');`,
}

// TestBrowserHarness: the harness drives a page and reports each kind of problem a page can have,
// so that a console test fails on them; the phone viewport is a phone's.
func TestBrowserHarness(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := harnessPage[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'")
		if strings.HasSuffix(r.URL.Path, ".js") {
			w.Header().Set("Content-Type", "text/javascript")
		}
		w.Write([]byte(body))
	}))
	defer ts.Close()

	b := newBrowser(t)
	b.open(ts.URL + "/console/")
	b.waitVisible("hello")
	if got := b.text("hello"); got != "Hello world" {
		t.Errorf("text %q", got)
	}
	b.fill("field", "new")
	b.click("btn")
	if got := b.waitText("out", "typed new"); got != "typed new" {
		t.Errorf("out %q", got)
	}
	b.waitText("fetched", "fetched 404")
	if b.exists("nope") || !b.exists("btn") {
		t.Error("exists")
	}
	if ran := browserRun(b, chromedp.Evaluate[bool](`window.inlineRan === true`)); ran {
		t.Error("the inline script ran despite the CSP")
	}
	want := []string{"Content Security Policy", "console.error: boom from console", "uncaught exception", "uncaught boom", "/console/missing.css",
		"status of 404 (Not Found) (" + ts.URL + "/console/absent.json)"}
	seen := strings.Join(b.problemsSeen(), "\n")
	for _, w := range want {
		if !strings.Contains(seen, w) {
			t.Errorf("the harness did not report %q; it saw:\n%s", w, seen)
		}
	}
	// An API's 404 is the page's to show, not a problem of the page.
	if strings.Contains(seen, "/v2/absent") {
		t.Errorf("an API answer reported as a problem:\n%s", seen)
	}
	if len(b.unexpectedProblems()) == 0 {
		t.Error("problems not allowed yet, but none unexpected")
	}
	b.allowProblems(want...)
	if ps := b.unexpectedProblems(); len(ps) != 0 {
		t.Errorf("after allowing them: %q", ps)
	}
	png := b.screenshot("harness")
	if data, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Errorf("screenshot %s: %v", png, err)
	}

	// A test that did not allow a problem fails at its end.
	rec := &recordingTB{TB: t}
	(&browser{t: rec, problems: []string{"console.error: x"}}).finish()
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "console.error: x") {
		t.Errorf("finish with a problem reported %q", rec.errors)
	}

	p := newPhoneBrowser(t)
	p.open(ts.URL + "/console/")
	p.allowProblems()
	if w := browserRun(p, chromedp.Evaluate[int](`window.innerWidth`)); w != phoneWidth {
		t.Errorf("phone width %d, want %d", w, phoneWidth)
	}
	if w := browserRun(b, chromedp.Evaluate[int](`window.innerWidth`)); w != desktopWidth {
		t.Errorf("desktop width %d, want %d", w, desktopWidth)
	}
}

// recordingTB records Errorf instead of failing the test.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
