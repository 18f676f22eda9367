package httpapi

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestConsoleSignIn: in a real browser, the console's sign-in form takes the test server's
// administrator and shows the navigation; a wrong password shows the DMS code of the refusal
// (DMS.10240101) and does not sign in; the token is kept in the page's memory only (no cookie, no
// web storage). At a phone's width too.
func TestConsoleSignIn(t *testing.T) {
	e := newTestEnv(t)
	for _, phone := range []bool{false, true} {
		name := "desktop"
		if phone {
			name = "phone"
		}
		t.Run(name, func(t *testing.T) {
			b := newBrowserWith(t, browserOptions{Phone: phone})

			wrong := adminLogin(e)
			wrong.Password = "not-" + e.Password
			b.submitLogin(e, wrong)
			if got := b.waitText("error", "DMS.10240101"); !strings.Contains(got, "DMS.10240101") {
				t.Fatalf("error %q", got)
			}
			if b.exists("nav") {
				t.Fatal("navigation shown after a refused sign-in")
			}
			b.screenshot("refused")

			b.signInAdmin(e)
			if who := b.text("who"); !strings.Contains(who, "admin") {
				t.Errorf("signed in as %q", who)
			}
			b.screenshot("signed-in")
			// Moving between pages keeps the sign-in (held in the page's memory).
			b.goTo("/no-such-page")
			if loc := browserRun(b, chromedp.Location()); !strings.HasSuffix(loc, "/console/#/no-such-page") {
				t.Errorf("at %s", loc)
			}
			b.waitVisible("nav")
			// No credential outlives the page: not in a cookie, not in web storage.
			kept := browserRun(b, chromedp.Evaluate[string](`document.cookie + '|' + localStorage.length + '|' + sessionStorage.length`))
			if kept != "|0|0" {
				t.Errorf("cookie|localStorage|sessionStorage = %q", kept)
			}
		})
	}
}
