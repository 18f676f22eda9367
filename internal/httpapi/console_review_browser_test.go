package httpapi

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestConsoleEveryPageAtPhoneWidth opens every page of the console at a phone's width (390 CSS
// pixels), each with data, and checks that none scrolls sideways (wide tables scroll inside their
// own box or turn into cards). Then, by keyboard only, a dialog: opened with Enter, focused,
// closed with Escape, the focus back on the button that opened it.
func TestConsoleEveryPageAtPhoneWidth(t *testing.T) {
	ce := newClusterEnv(t, "console-phone")
	ce.create(t, &model.CreateInstanceTopicReq{Id: "orders", Partition: tpI32(2)})
	r := &kgo.Record{Topic: "orders", Partition: 0, Key: []byte("k-1"), Value: []byte(`{"id":1,"note":"a long enough value to wrap in a card at a phone's width"}`)}
	if err := ce.kcl.ProduceSync(tctx(t), r).FirstErr(); err != nil {
		t.Fatal(err)
	}
	commitAdmin(t, ce, "billing", "orders", map[int32]int64{0: 1})

	b := newPhoneBrowser(t)
	b.signInAdmin(ce.testEnv)
	inst := "/instances/" + ce.id
	for _, route := range []string{
		"/instances", inst, inst + "/topics", inst + "/topics/orders", inst + "/messages?topic=orders",
		inst + "/groups", inst + "/groups/billing", inst + "/users", inst + "/quotas", inst + "/diagnosis",
		"/iam/users", "/iam/users/admin", "/iam/policies", "/iam/bindings", "/iam/accounts",
	} {
		b.goTo(route)
		// Loaded: the page's title shown, no spinner, every table's page info written.
		browserRun(b, chromedp.PollFunction[bool](`(route) => {
			if (!location.hash.startsWith('#' + route.split('?')[0])) return false;
			const m = document.querySelector('main');
			if (!m || !m.querySelector('[data-test="page-title"]') || m.querySelector('[data-test="loading"]')) return false;
			return [...m.querySelectorAll('.page-info')].every((e) => e.textContent !== '');
		}`, chromedp.WithPollingArgs(route)))
		// The users page of an instance without SASL shows the API's refusal by design.
		if b.exists("error") && !strings.HasSuffix(route, "/users") {
			t.Errorf("%s shows an error: %s", route, b.text("error"))
		}
		sizes := browserRun(b, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, innerWidth]`))
		if sizes[0] > sizes[1] {
			// What sticks out, for the report.
			wide := browserRun(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.scroll-x')).slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + (e.dataset.test || ''))`))
			t.Errorf("%s is %d px wide at a %d px viewport: %s", route, sizes[0], sizes[1], strings.Join(wide, ", "))
		}
		b.screenshot("phone " + strings.TrimPrefix(strings.ReplaceAll(route, ce.id, "id"), "/"))
	}

	b.run(t, "dialogs at phone width", func(t *testing.T) {
		for _, d := range []struct{ route, open, dialog string }{
			{"/instances", "instance-create", "create-modal"},
			{inst + "/topics", "topic-create", "topic-create-dialog"},
			{inst + "/messages?topic=orders", "mb-produce", "produce-dialog"},
			{inst + "/groups/billing", "group-reset", "reset-dialog"},
			{inst + "/quotas", "quota-create", "quota-dialog"},
			{"/iam/policies", "policy-create", "policy-dialog"},
		} {
			b.goTo(d.route)
			b.click(d.open)
			b.waitVisible(d.dialog)
			sizes := browserRun(b, chromedp.Evaluate[[]int](`(() => { const e = document.querySelector('[data-test="`+d.dialog+`"]'); return [e.scrollWidth, e.clientWidth, Math.ceil(e.getBoundingClientRect().right), innerWidth]; })()`))
			if sizes[0] > sizes[1] || sizes[2] > sizes[3] {
				t.Errorf("%s at %s: scrollWidth %d, clientWidth %d, right edge %d of %d", d.dialog, d.route, sizes[0], sizes[1], sizes[2], sizes[3])
			}
			b.screenshot("phone dialog " + d.dialog)
			b.do(chromedp.KeyEvent(kb.Escape))
			b.waitGone(d.dialog)
		}
	})

	b.run(t, "a malformed address", func(t *testing.T) {
		// A bad percent escape in the address is a page not found, not an uncaught URIError.
		b.goTo(inst + "/topics/%E0%A4%A")
		browserRun(b, chromedp.PollFunction[bool](`() => document.querySelector('main').textContent.includes('No page at')`))
	})

	b.run(t, "sorting at phone width", func(t *testing.T) {
		// The instance list sorts on the server; its cards keep the sort buttons.
		b.goTo("/instances")
		b.waitVisible("instances-sort-name")
		b.click("instances-sort-name")
		b.waitVisible("instance-row-console-phone")
	})

	b.run(t, "a dialog by keyboard", func(t *testing.T) {
		b.goTo(inst + "/topics")
		b.waitVisible("topic-create")
		b.do(chromedp.Focus(byTest("topic-create")), chromedp.KeyEvent(kb.Enter))
		b.waitVisible("topic-create-dialog")
		// The dialog has the focus (its first field), so typing goes into it.
		if in := browserRun(b, chromedp.Evaluate[bool](`!!document.activeElement.closest('[data-test="topic-create-dialog"]')`)); !in {
			t.Error("the open dialog does not hold the focus")
		}
		b.do(chromedp.KeyEvent(kb.Escape))
		b.waitGone("topic-create-dialog")
		if f := browserRun(b, chromedp.Evaluate[string](`(document.activeElement && document.activeElement.dataset.test) || document.activeElement.tagName`)); f != "topic-create" {
			t.Errorf("after Escape the focus is on %q, want the button that opened the dialog", f)
		}
		// A button waits for its action (here the confirmation it opened) before it takes another
		// click, and takes one again once the dialog is cancelled.
		b.waitVisible("topic-row-orders") // the rows load after the page: d would be null before
		b.do(chromedp.Evaluate[chromedp.Void](`(() => { const d = document.querySelector('[data-test="topic-row-orders"] [data-test="topic-delete"]'); d.click(); d.click(); })()`))
		b.waitVisible("confirm")
		if n := browserRun(b, chromedp.Evaluate[int](`document.querySelectorAll('dialog[open]').length`)); n != 1 {
			t.Errorf("two clicks opened %d dialogs", n)
		}
		b.click("modal-cancel")
		b.waitGone("confirm")
		b.clickUntil(`[data-test="topic-row-orders"] [data-test="topic-delete"]`, confirmOpen)
		b.waitVisible("confirm")
		b.do(chromedp.KeyEvent(kb.Escape))
		b.waitGone("confirm")
	})
}
