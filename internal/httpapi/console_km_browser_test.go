package httpapi

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/opendms/opendms/internal/dms"
)

// The Kafka Manager sign-in in a real browser: management_connect_address opens a sign-in page
// for its instance; that sign-in sees its instance only (no instance list of the project, no IAM,
// no other instance); 5.2.12 ends it (the page falls back to the instance's sign-in, which then
// refuses the same password).
func TestConsoleKafkaManager(t *testing.T) {
	e := newTestEnvOn(t, "embedded")
	c := e.kafkaClient(t)
	mine := runningInstance(t, e, "km-mine")
	other := runningInstance(t, e, "km-other")
	pw := "Km-console1"
	setManagerPassword(t, c, mine, pw)
	shown, err := c.ShowInstance(&model.ShowInstanceRequest{InstanceId: mine})
	if err != nil || shown.ManagementConnectAddress == nil {
		t.Fatalf("show: %v %+v", err, shown)
	}
	addr := *shown.ManagementConnectAddress
	if !strings.HasPrefix(addr, consoleURL(e)) || !strings.HasSuffix(addr, "#/km/"+mine) {
		t.Fatalf("management_connect_address %q is not the instance's console sign-in", addr)
	}

	b := newBrowser(t)
	b.open(addr)
	b.waitVisible("km-login-form")
	signIn := func(password string) {
		b.fill("login-user", "admin")
		b.fill("login-password", password)
		b.click("login-submit")
	}
	// A wrong password is refused with IAM's code.
	signIn("Wrong-pass1")
	b.waitText("error", dms.CodeTokenInvalid)
	b.screenshot("km-refused")

	signIn(pw)
	b.waitVisible("nav")
	if who := b.text("who"); !strings.Contains(who, "Kafka Manager") {
		t.Errorf("header says %q, want the Kafka Manager user", who)
	}
	b.waitText("page-title", "km-mine")
	b.waitVisible("brokers")
	// Absent once the page shows what it is made of: the instance's tabs (its sub-navigation) and
	// the configs (a panel that loads by itself): checked earlier they would be absent because not
	// made yet.
	b.waitVisible("tab-overview")
	b.waitVisible("config-min.insync.replicas")
	for _, absent := range []string{"nav-instances", "nav-iam", "tab-users", "tab-quotas"} {
		if b.exists(absent) {
			t.Errorf("the scoped sign-in shows %s", absent)
		}
	}
	// It may read configs but not change them, nor the instance's lifecycle, tags or manager.
	for _, absent := range []string{"instance-restart", "instance-delete", "configs-save", "tag-add", "km-reset-password", "km-disable"} {
		if b.exists(absent) {
			t.Errorf("the scoped sign-in shows %s", absent)
		}
	}
	b.screenshot("km-instance")

	// The project's instance list, asked for by hand, shows this instance only.
	b.goTo("/instances")
	b.waitText("page-title", "Instances")
	body := browserRun(b, chromedp.PollFunction[string](`() => {
		const m = document.querySelector('main');
		return m && m.textContent.includes('km-mine') ? m.textContent : null;
	}`))
	if strings.Contains(body, "km-other") || strings.Contains(body, other) {
		t.Errorf("the scoped sign-in lists another instance: %q", body)
	}
	// Another instance's page answers with the scope's refusal, shown as a DMS error.
	b.goTo("/instances/" + other)
	b.waitText("error", "DMS.")

	// A dialog open when the page changes goes with its page (it would act on the page left).
	b.goTo("/instances/" + mine + "/topics")
	b.click("topic-create")
	b.waitVisible("topic-create-dialog")
	// The quotas page, typed by hand (its tab is not shown), lists but offers no write: quotas are
	// outside the scope, although the token has dms:instance:modify for topics.
	b.goTo("/instances/" + mine + "/quotas")
	b.waitGone("topic-create-dialog")
	b.waitText("page-title", "Quotas")
	b.waitText("quotas-pageinfo", "of")
	if b.exists("quota-create") {
		t.Error("the scoped sign-in shows quota-create")
	}

	// 5.2.12 through the SDK: the next call of the page ends the session, back to the sign-in of
	// the instance, which refuses the same password now.
	if _, err := c.CloseKafkaManager(&model.CloseKafkaManagerRequest{InstanceId: mine}); err != nil {
		t.Fatal(err)
	}
	b.goTo("/instances/" + mine)
	b.waitVisible("km-login-form")
	b.waitText("error", "DMS.")
	signIn(pw)
	b.waitText("error", dms.CodeInstanceStatusForbids)
	b.screenshot("km-disabled")
	if b.exists("nav") {
		t.Error("signed in after 5.2.12")
	}
}
