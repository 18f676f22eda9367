package httpapi

// The browser-test harness: headless Chromium (Debian's chromium) driven by chromedp against a
// testEnv, whose server serves the console at /console/.
//
// One browser process serves the whole test binary (it takes a second or two to start); each test
// gets its own tab in its own browser context (no cache, storage or cookies shared with other
// tests), closed when the test ends. Every tab collects the page's uncaught exceptions,
// console.error calls and the browser's error log entries (CSP violations, refused scripts and
// styles, files under /console/ that fail to load; not the API's 4xx answers, which the page
// shows), and the test fails at its end if there were any, unless it allowed them
// (allowProblems).
//
// Running: go test -count=1 -run 'TestConsole' ./internal/httpapi/
// CONSOLE_LATENCY=ms delays every request of the tabs by ms (Chromium's network emulation): a
// test that does not wait for what the page loads fails with it, as it may on a loaded CI machine.
// CONSOLE_SHOTS=dir keeps screenshots (and one of every failed browser test) in dir; CHROME_BIN
// names the browser when it is not chromium or chromium-browser in PATH. Without a browser the
// tests skip, except under CI=true where they fail.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	closeSharedBrowser()
	os.Exit(code)
}

// Viewports: a laptop and a phone (an iPhone 12-15's CSS pixels).
const (
	desktopWidth, desktopHeight = 1280, 900
	phoneWidth, phoneHeight     = 390, 844
)

// defaultBrowserTimeout bounds each test's browser work (every action of the tab) unless the test
// sets its own.
const defaultBrowserTimeout = 2 * time.Minute

var sharedBrowser struct {
	once   sync.Once
	ctx    context.Context // the browser's first tab; tests open theirs from it
	cancel context.CancelFunc
	path   string
	err    error
}

// chromiumPath finds the browser: $CHROME_BIN, then chromium or chromium-browser in PATH.
func chromiumPath() (string, error) {
	if p := os.Getenv("CHROME_BIN"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium or chromium-browser in PATH and CHROME_BIN unset")
}

// errNoBrowser marks a browser that is not installed (a skip outside CI), as opposed to one that
// fails to start (always a failure).
var errNoBrowser = errors.New("no browser")

func startSharedBrowser() {
	path, err := chromiumPath()
	if err != nil {
		sharedBrowser.err = fmt.Errorf("%w: %v", errNoBrowser, err)
		return
	}
	sharedBrowser.path = path
	var out cappedOutput
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		// As root in a container: Chromium's sandbox needs user namespaces it does not get there.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), // /dev/shm is 64 MiB in a default container
		chromedp.WindowSize(desktopWidth, desktopHeight),
		chromedp.Flag("hide-scrollbars", true), // screenshots without scrollbars
		chromedp.Flag("lang", "en-US"),
		chromedp.CombinedOutput(&out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// The first Do starts the process, which lives as long as the context of that Do: the shared
	// context itself, so the start is bounded from here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err = <-started:
	case <-time.After(time.Minute):
		err = errors.New("the browser did not start within a minute")
	}
	if err != nil {
		cancel()
		cancelAlloc()
		sharedBrowser.err = fmt.Errorf("starting %s: %v\n%s", path, err, out.String())
		return
	}
	sharedBrowser.ctx = ctx
	sharedBrowser.cancel = func() {
		// A graceful close lets chromedp remove its profile directory.
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		chromedp.Cancel(cctx)
		cancelAlloc()
	}
}

func closeSharedBrowser() {
	if sharedBrowser.cancel != nil {
		sharedBrowser.cancel()
	}
}

// cappedOutput keeps the first 64 KiB the browser prints (its start-up messages, for a failed
// start); what follows is noise.
type cappedOutput struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *cappedOutput) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 64<<10 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *cappedOutput) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// browserOptions are the less common settings of a test's tab.
type browserOptions struct {
	Phone   bool          // a phone's viewport (390x844, touch, mobile) instead of 1280x900
	Timeout time.Duration // the test's browser work; 0: defaultBrowserTimeout
}

// browser is one test's tab.
type browser struct {
	t testing.TB
	// Ctx is what actions run with: the tab, ended by the test's timeout. Use it directly for
	// chromedp actions the helpers below do not cover (chromedp.Run(b.Ctx, ...)).
	Ctx context.Context
	tab context.Context // the tab without the timeout: diagnostics after a timeout

	mu       sync.Mutex
	problems []string // console errors, uncaught exceptions, error log entries, in order
	allowed  []string // substrings of expected problems ("" allows all)
	shots    int
}

// newBrowser opens a tab at desktop size for the test; the test fails at its end on any console
// error, uncaught exception or CSP violation it did not allow.
func newBrowser(t testing.TB) *browser {
	t.Helper()
	return newBrowserWith(t, browserOptions{})
}

// newPhoneBrowser is newBrowser at a phone's width.
func newPhoneBrowser(t testing.TB) *browser {
	t.Helper()
	return newBrowserWith(t, browserOptions{Phone: true})
}

func newBrowserWith(t testing.TB, o browserOptions) *browser {
	t.Helper()
	sharedBrowser.once.Do(startSharedBrowser)
	if sharedBrowser.err != nil {
		if errors.Is(sharedBrowser.err, errNoBrowser) && os.Getenv("CI") != "true" {
			t.Skipf("browser tests need Chromium (Debian: apt-get install chromium; or set CHROME_BIN): %v", sharedBrowser.err)
		}
		t.Fatalf("browser tests: %v", sharedBrowser.err)
	}
	// A browser context of its own: a test sees no cache entry, storage or cookie of another.
	tab, cancelTab := chromedp.NewContext(sharedBrowser.ctx, chromedp.WithNewBrowserContext())
	b := &browser{t: t, tab: tab}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = defaultBrowserTimeout
	}
	ctx, cancelTimeout := context.WithTimeout(tab, timeout)
	b.Ctx = ctx
	t.Cleanup(cancelTab) // runs last: closes the tab
	t.Cleanup(cancelTimeout)
	// Listen opens the tab; its target lives as long as tab (the context of its first use).
	if err := chromedp.Listen(tab, b.collect); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	t.Cleanup(b.finish) // runs first
	if ms, _ := strconv.Atoi(os.Getenv("CONSOLE_LATENCY")); ms > 0 {
		if _, err := chromedp.Call(b.Ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Latency: float64(ms), DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			t.Fatalf("CONSOLE_LATENCY: %v", err)
		}
	}
	if o.Phone {
		b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	} else {
		b.do(chromedp.EmulateViewport(desktopWidth, desktopHeight))
	}
	return b
}

// collect runs on the tab's event loop: it must return fast and call no action.
func (b *browser) collect(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = "uncaught exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			p += " " + d.Exception.Description
		}
		p += fmt.Sprintf(" (%s:%d:%d)", d.URL, d.LineNumber+1, d.ColumnNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		args := make([]string, 0, len(ev.Args))
		for _, a := range ev.Args {
			var str string
			switch {
			case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &str) == nil:
				args = append(args, str)
			case a.Description != "":
				args = append(args, a.Description)
			case len(a.Value) > 0:
				args = append(args, string(a.Value))
			default:
				args = append(args, string(a.Type))
			}
		}
		p = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
	case *log.EventEntryAdded:
		// The browser's own reports: CSP violations (source security), failed loads (network),
		// refused module scripts (javascript).
		e := ev.Entry
		if e == nil || e.Level != log.EntryLevelError {
			return
		}
		// A file of the console that fails to load is a bug (a wrong import path, a file not
		// embedded); an API call's 4xx/5xx answer is the page's to show (its error box), not a
		// problem of the page. /favicon.ico is asked for by the browser on its own.
		if e.Source == log.EntrySourceNetwork && !strings.Contains(e.URL, "/console/") {
			return
		}
		p = fmt.Sprintf("browser %s error: %s", e.Source, e.Text)
		if e.URL != "" {
			p += " (" + e.URL + ")"
		}
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, p)
	b.mu.Unlock()
}

// allowProblems lets the test pass with problems containing one of substrs (none: any problem),
// e.g. b.allowProblems("status of 401") for a sign-in refused on purpose (the browser logs the
// failed request).
func (b *browser) allowProblems(substrs ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(substrs) == 0 {
		substrs = []string{""}
	}
	b.allowed = append(b.allowed, substrs...)
}

// unexpectedProblems are the problems so far that the test did not allow.
func (b *browser) unexpectedProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, p := range b.problems {
		ok := false
		for _, a := range b.allowed {
			if strings.Contains(p, a) {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, p)
		}
	}
	return out
}

// problemsSeen are every problem so far, allowed or not (a test can assert on one).
func (b *browser) problemsSeen() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

func (b *browser) finish() {
	if ps := b.unexpectedProblems(); len(ps) > 0 {
		b.t.Errorf("the page reported %d problem(s) (allowProblems to expect them):\n  %s", len(ps), strings.Join(ps, "\n  "))
	}
	if b.t.Failed() && b.tab != nil {
		b.describe()
	}
}

// describe logs where the page is and what it shows, and keeps a screenshot in $CONSOLE_SHOTS:
// what a failure needs to be understood.
func (b *browser) describe() {
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		text = "(" + err.Error() + ")"
	}
	if len(text) > 4000 {
		text = text[:4000] + "…"
	}
	b.t.Logf("the page at the failure: %s\n%s", loc, text)
	if os.Getenv("CONSOLE_SHOTS") != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			b.t.Logf("screenshot: %s", b.writeShot("failure", png))
		}
	}
}

// run is t.Run for a case that drives b: b's helpers fail the case, not the test (a FailNow of the
// test from the case's goroutine is refused by the testing package, which then reports "subtest
// may have called FailNow on a parent test" instead of the case's failure), and the test again
// after it.
func (b *browser) run(t *testing.T, name string, f func(t *testing.T)) bool {
	return t.Run(name, func(st *testing.T) {
		b.t = st
		defer func() { b.t = t }()
		f(st)
	})
}

// do runs actions in the tab; the test stops on the first error.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// doFor is do with what the actions wait for in the failure's message (a failed wait then says
// which one it was).
func (b *browser) doFor(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.t.Fatalf("browser, %s: %v", what, err)
	}
}

// waitTimeout bounds each wait of the helpers on a condition in the page (chromedp's polls end
// after 30 s by default): a 5 s refresh of a page on a loaded machine (CI runs the heavy packages
// next to this one on 2 cores) fits several times, and a wait that fails still fails before the
// test's own timeout ends everything after it.
const waitTimeout = 60 * time.Second

// pollFor runs a chromedp.PollFunction with waitTimeout; the test stops with what (the condition
// waited for) when it times out.
func pollFor[T any](b *browser, what, fn string, args ...any) T {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.PollFunction[T](fn, chromedp.WithPollingArgs(args...), chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		b.t.Fatalf("browser, waiting for %s: %v", what, err)
	}
	return v
}

// browserRun runs one action that answers a value in b's tab; the test stops on an error.
func browserRun[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// byTest selects the element with data-test="id" (pages give the elements tests use stable
// data-test attributes).
func byTest(id string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf("[data-test=%q]", id))
}

// consoleURL is the console's address on the test server.
func consoleURL(e *testEnv) string { return e.URL + "/console/" }

// open loads url in the tab (a full load: the console forgets its sign-in).
func (b *browser) open(url string) {
	b.t.Helper()
	b.do(chromedp.Navigate(url))
}

// goTo shows a console page by its route ("/instances/<id>/topics") without a reload, as a link
// does: the sign-in, held in the page's memory, stays.
func (b *browser) goTo(route string) {
	b.t.Helper()
	// Waited until the router's hashchange listener ran (it was added first, so it runs before
	// this one): it takes the page that was shown away at once (a spinner until the new one
	// renders), so no wait that follows can be met by the page left (both group pages have
	// offset rows, for one). The hashchange event comes after the assignment, in a task of its own.
	hash, _ := json.Marshal("#" + strings.TrimPrefix(route, "#"))
	b.doFor("the router to take "+route, chromedp.Evaluate[chromedp.Void](`new Promise((resolve) => {
		const target = `+string(hash)+`;
		if (new URL(target, location.href).hash === location.hash) { resolve(); return; } // no hashchange comes
		addEventListener('hashchange', () => resolve(), { once: true });
		location.hash = target;
	})`, chromedp.EvalAwaitPromise))
}

// waitVisible waits until the element data-test=id is shown.
func (b *browser) waitVisible(id string) {
	b.t.Helper()
	b.doFor(id+" to show", chromedp.WaitVisible(byTest(id)))
}

// waitGone waits until no element data-test=id is in the page.
func (b *browser) waitGone(id string) {
	b.t.Helper()
	b.doFor(id+" to go", chromedp.WaitNotPresent(byTest(id)))
}

// click clicks the element data-test=id (see clickCSS).
func (b *browser) click(id string) {
	b.t.Helper()
	b.clickCSS(string(byTest(id)))
}

// clickCSS clicks the first element matching css as a user does, with the mouse at its centre,
// once it is shown, enabled, not busy and not covered (by a dialog, a toast). The element is
// found, scrolled to and hit-tested in one step in the page and the click goes to that point: a
// table row that the page's refresh rebuilds meanwhile (dataTable replaces its rows on every
// reload) takes the click in its equal's place. chromedp.Click holds the node it found and fails
// ("Node is detached" or "Could not compute content quads") when a refresh replaced it between
// the find and the click.
func (b *browser) clickCSS(css string) {
	b.t.Helper()
	b.clickPoint(css, "")
}

// clickUntil clicks the first element matching css (as clickCSS) until done, a JavaScript
// expression, is true in the page: a click whose press and release straddle a refresh that
// rebuilt the element (they are two calls) reaches no element, and is made again. A click is only
// made while done is false, so an action that took effect is never repeated.
func (b *browser) clickUntil(css, done string) {
	b.t.Helper()
	const attempts = 5 // a click that never takes effect is the page's bug, not a race
	for range attempts {
		if !b.clickPoint(css, done) {
			return
		}
		ok, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](done, chromedp.WithPollingTimeout(2*time.Second)))
		if err == nil && ok {
			return
		}
		if b.Ctx.Err() != nil {
			b.t.Fatalf("browser, clicking %s until %s: %v", css, done, b.Ctx.Err())
		}
	}
	b.t.Fatalf("browser: clicked %s %d times, and %s is still false", css, attempts, done)
}

// confirmOpen is true while a confirmation dialog (ui.js confirmAction) is open: what a click on a
// row's Delete does (clickUntil).
const confirmOpen = `document.querySelector('[data-test="confirm"]') !== null`

// check ticks the checkbox matching css (a row's, which refreshes rebuild).
func (b *browser) check(css string) {
	b.t.Helper()
	sel, _ := json.Marshal(css)
	b.clickUntil(css, "(document.querySelector("+string(sel)+") || {}).checked === true")
}

// clickPoint waits until the element matching css can take a click, or done (when not "") is
// true; it clicks in the first case and says whether it did.
func (b *browser) clickPoint(css, done string) bool {
	b.t.Helper()
	if done == "" {
		done = "false"
	}
	pt := pollFor[[]float64](b, css+" to be clickable", `(sel) => {
		if (`+done+`) return [];
		const el = document.querySelector(sel);
		// aria-busy: a ui.js button whose last action has not ended ignores clicks (a dialog just
		// closed tells it in a task of its own).
		if (!el || el.disabled || el.getAttribute('aria-busy') === 'true') return null;
		const hit = () => {
			const r = el.getBoundingClientRect();
			if (r.width === 0 || r.height === 0) return null;
			const x = r.left + r.width / 2, y = r.top + r.height / 2;
			const at = document.elementFromPoint(x, y);
			return at && (at === el || el.contains(at)) ? [x, y] : null;
		};
		let p = hit();
		if (!p) {
			el.scrollIntoView({ block: 'center', inline: 'nearest' });
			p = hit();
		}
		return p;
	}`, css)
	if len(pt) != 2 {
		return false
	}
	b.doFor("clicking "+css, chromedp.MouseClickXY(pt[0], pt[1]))
	return true
}

// fill replaces the value of the field data-test=id by typing text (key events, as a user does).
func (b *browser) fill(id, text string) {
	b.t.Helper()
	// Emptied by script: chromedp's Clear empties the value attribute, which a value set by
	// script or typed before overrides (and SetValue refuses "").
	sel, _ := json.Marshal(string(byTest(id)))
	// Enabled first: a field a dialog fills from an API call is disabled until the call ends (or
	// the typing would be overwritten by it).
	b.doFor(id+" to be shown and enabled", chromedp.WaitVisible(byTest(id)), chromedp.WaitEnabled(byTest(id)),
		chromedp.Evaluate[chromedp.Void]("document.querySelector("+string(sel)+").value = ''"),
		chromedp.SendKeys(byTest(id), text))
}

// text is the visible text of the element data-test=id.
func (b *browser) text(id string) string {
	b.t.Helper()
	return browserRun(b, chromedp.Text(byTest(id), chromedp.NodeVisible))
}

// exists says whether an element data-test=id is in the page now (no wait).
func (b *browser) exists(id string) bool {
	b.t.Helper()
	sel, _ := json.Marshal(string(byTest(id)))
	return browserRun(b, chromedp.Evaluate[bool]("document.querySelector("+string(sel)+") !== null"))
}

// waitText waits until the element data-test=id is in the page and its text contains want, and
// answers its text.
func (b *browser) waitText(id, want string) string {
	b.t.Helper()
	return b.waitTextCSS(string(byTest(id)), want, false)
}

// waitTextOf waits until the first element matching css has exactly want as its text (trimmed).
// A value is read by waiting for it, never once: the element may be one a refresh is about to
// replace, or show data of a load still under way.
func (b *browser) waitTextOf(css, want string) {
	b.t.Helper()
	b.waitTextCSS(css, want, true)
}

func (b *browser) waitTextCSS(css, want string, exact bool) string {
	b.t.Helper()
	got, err := chromedp.Run(b.Ctx, chromedp.PollFunction[string](`(sel, want, exact) => {
		const el = document.querySelector(sel);
		if (!el) return null;
		const t = el.textContent;
		return (exact ? t.trim() === want : t.includes(want)) ? t : null;
	}`, chromedp.WithPollingArgs(css, want, exact), chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		// What it shows instead, for the report.
		sel, _ := json.Marshal(css)
		ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
		defer cancel()
		now, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const el = document.querySelector(`+string(sel)+`); return el ? JSON.stringify(el.textContent) : '(no such element)'; })()`))
		b.t.Fatalf("browser, waiting for %s to show %q (exact %v): %v; it shows %s", css, want, exact, err, now)
	}
	return got
}

var shotName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// screenshot saves the whole page as a PNG, in $CONSOLE_SHOTS when set (to look at the pages),
// in the test's temporary directory otherwise, and answers the file's path.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	return b.writeShot(name, browserRun(b, chromedp.FullScreenshot(100)))
}

func (b *browser) writeShot(name string, png []byte) string {
	b.t.Helper()
	dir := os.Getenv("CONSOLE_SHOTS")
	if dir == "" {
		dir = b.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	b.mu.Lock()
	b.shots++
	n := b.shots
	b.mu.Unlock()
	path := filepath.Join(dir, fmt.Sprintf("%s-%02d-%s.png", shotName.ReplaceAllString(b.t.Name(), "_"), n, shotName.ReplaceAllString(name, "_")))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return path
}

// consoleLogin is what the console's sign-in form takes (POST /v3/auth/tokens).
type consoleLogin struct {
	Domain, User, Password string
	Project                string // typed when the form has the field (data-test=login-project)
}

// adminLogin is the test server's bootstrap administrator: account and user "admin", in the
// project named after the region.
func adminLogin(e *testEnv) consoleLogin {
	return consoleLogin{Domain: "admin", User: "admin", Password: e.Password, Project: e.Region}
}

// submitLogin opens the console and submits its sign-in form with l, without waiting for the
// outcome (for a sign-in meant to fail: then wait for data-test="error").
func (b *browser) submitLogin(e *testEnv, l consoleLogin) {
	b.t.Helper()
	b.open(consoleURL(e))
	b.fill("login-domain", l.Domain)
	b.fill("login-user", l.User)
	b.fill("login-password", l.Password)
	if l.Project != "" && b.exists("login-project") {
		b.fill("login-project", l.Project)
	}
	b.click("login-submit")
}

// signIn signs in to the console with l and waits for its navigation (data-test="nav"); the test
// stops at once if the form shows an error instead.
func (b *browser) signIn(e *testEnv, l consoleLogin) {
	b.t.Helper()
	b.submitLogin(e, l)
	outcome := pollFor[string](b, "the sign-in's outcome", `() => {
		const nav = document.querySelector('[data-test="nav"]');
		if (nav && nav.offsetParent !== null) return 'nav';
		const err = document.querySelector('[data-test="error"]');
		return err ? 'error: ' + err.textContent : null;
	}`)
	if outcome != "nav" {
		b.t.Fatalf("signing in as %s/%s: %s", l.Domain, l.User, outcome)
	}
}

// signInAdmin signs in as the test server's administrator.
func (b *browser) signInAdmin(e *testEnv) {
	b.t.Helper()
	b.signIn(e, adminLogin(e))
}
