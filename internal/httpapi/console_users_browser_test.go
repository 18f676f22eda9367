package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/dms"
)

// Browser tests of the console's Users & ACLs, Quotas and IAM pages (js/pages/users.js,
// quotas.js, iam.js).

// TestConsoleUsersQuotasIAMBrowser: on a PLAINTEXT instance (the embedded engine runs no SASL
// clusters) the users page says SASL is off and shows the API's error; a quota created in the
// console is listed (and is in the cluster, through 5.2.14); an administrator creates an IAM user,
// an access key whose secret is shown once, a custom policy checked in the browser first, and binds
// the read-only role; that user then sees no IAM link and no write button.
func TestConsoleUsersQuotasIAMBrowser(t *testing.T) {
	ce := newClusterEnv(t, "console-users")
	e := ce.testEnv
	b := newBrowser(t)
	b.signInAdmin(e)
	id := ce.id

	b.run(t, "users page without SASL", func(t *testing.T) {
		b.goTo("/instances/" + id + "/users")
		b.waitVisible("sasl-off")
		txt := b.text("sasl-off")
		// The page's plain statement and the API's own error (code and message).
		for _, want := range []string{"SASL is off", dms.CodeInvalidParameter, "has no SASL access mode"} {
			if !strings.Contains(txt, want) {
				t.Errorf("the SASL-off notice %q lacks %q", txt, want)
			}
		}
		if !browserRun(b, chromedp.Evaluate[bool](`document.querySelector('[data-test=tab-users]').getAttribute('aria-current') === 'page'`)) {
			t.Error("the instance navigation does not mark Users & ACLs as the current page")
		}
		b.screenshot("users-sasl-off")
	})

	const quotaUser = "app-quota"
	b.run(t, "create a quota", func(t *testing.T) {
		b.goTo("/instances/" + id + "/quotas")
		b.waitVisible("quotas")
		b.click("quota-create")
		b.waitVisible("quota-dialog")
		// The entity defaults to one user; the rates are typed.
		b.fill("quota-user", quotaUser)
		b.fill("quota-producer-rate", "1048576")
		b.fill("quota-consumer-rate", "2097152")
		b.click("quota-save")
		b.waitGone("quota-dialog")
		// A task applies it; the polled list shows it.
		row := "quota-" + quotaUser + "|"
		b.waitText(row, "1.00 MiB/s")
		b.waitText(row, "2.00 MiB/s")
		resp, err := ce.sdk.ShowKafkaUserClientQuota(&model.ShowKafkaUserClientQuotaRequest{InstanceId: id})
		if err != nil {
			t.Fatal(err)
		}
		qs := deref(resp.Quotas)
		if len(qs) != 1 || deref(qs[0].User) != quotaUser || deref(qs[0].ProducerByteRate) != 1048576 || deref(qs[0].ConsumerByteRate) != 2097152 {
			t.Errorf("quotas through 5.2.14: %+v", qs)
		}
		b.screenshot("quotas")
	})

	b.run(t, "modify and delete a quota", func(t *testing.T) {
		row := "quota-" + quotaUser + "|"
		b.clickUntil(string(byTest("quota-modify-"+quotaUser+"|")), `document.querySelector('[data-test="quota-dialog"]') !== null`)
		b.waitVisible("quota-dialog")
		b.fill("quota-producer-rate", "3145728")
		b.fill("quota-consumer-rate", "") // empty: kept
		b.click("quota-save")
		b.waitGone("quota-dialog")
		b.waitText(row, "3.00 MiB/s")
		// A second quota, the default of every client, stays for the read-only user to see.
		b.click("quota-create")
		b.waitVisible("quota-dialog")
		b.do(chromedp.SetValue(byTest("quota-user-kind"), "none"), chromedp.SetValue(byTest("quota-client-kind"), "default"))
		b.fill("quota-consumer-rate", "4096")
		b.click("quota-save")
		b.waitText("quota-|<default>", "every client (default)")
		// Deleting asks first.
		b.clickUntil(string(byTest("quota-delete-"+quotaUser+"|")), confirmOpen)
		b.waitVisible("confirm")
		b.click("confirm-ok")
		b.waitGone(row)
		resp, err := ce.sdk.ShowKafkaUserClientQuota(&model.ShowKafkaUserClientQuotaRequest{InstanceId: id})
		if err != nil {
			t.Fatal(err)
		}
		qs := deref(resp.Quotas)
		if len(qs) != 1 || !deref(qs[0].ClientDefault) || deref(qs[0].User) != "" || deref(qs[0].ConsumerByteRate) != 4096 {
			t.Errorf("quotas through 5.2.14 after modify, create and delete: %+v", qs)
		}
	})

	b.run(t, "names render as text", func(t *testing.T) {
		// A quota's user is any string Kafka takes: markup in it must show as characters.
		const evil = `<img src=x onerror="window.pwned=1">`
		body, _ := json.Marshal(map[string]any{"user": evil, "producer-byte-rate": 1024})
		// Applied, then the page shown again: it lists the quota when made, not after its 5 s refresh.
		waitQuotaTask(t, ce, quotaJob(t, ce, "POST", string(body)), "createUserClientQuota")
		b.goTo("/instances/" + id + "/users")
		b.waitVisible("sasl-off")
		b.goTo("/instances/" + id + "/quotas")
		row := "quota-" + evil + "|"
		b.waitText(row, evil)
		if n := browserRun(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-test=quotas] img').length + (window.pwned ? 100 : 0)`)); n != 0 {
			t.Errorf("the quota's user became markup (%d)", n)
		}
		b.clickUntil(string(byTest("quota-delete-"+evil+"|")), confirmOpen)
		b.click("confirm-ok")
		b.waitGone(row)
	})

	b.run(t, "bad quota shows the DMS error", func(t *testing.T) {
		b.click("quota-create")
		b.waitVisible("quota-dialog")
		b.fill("quota-user", "app-norates") // no rate: 400 DMS.00400062 from the API
		b.click("quota-save")
		if txt := b.waitText("error", dms.CodeInvalidParameter); !strings.Contains(txt, "producer-byte-rate") {
			t.Errorf("error shown: %q", txt)
		}
		b.click("modal-cancel")
		b.waitGone("quota-dialog")
	})

	// readerPwd2 is the password the administrator sets in the console after creating the user.
	const reader, readerPwd, readerPwd2 = "reader1", "Reader-Passw0rd1", "Reader-Passw0rd2"
	var ak, sk string
	b.run(t, "IAM user, access key shown once, read-only role", func(t *testing.T) {
		if !b.exists("nav-iam") {
			t.Fatal("no IAM link for the administrator")
		}
		b.click("nav-iam")
		b.waitVisible("iam-users")
		b.click("iam-user-create")
		b.fill("iam-user-name", reader)
		b.fill("iam-user-password", readerPwd)
		b.click("iam-user-create-ok")
		b.waitVisible("iam-user-" + reader)
		b.screenshot("iam-users")

		b.clickUntil(string(byTest("iam-user-open-"+reader)), `location.hash === '#/iam/users/`+reader+`'`)
		b.waitVisible("iam-keys")
		b.click("iam-key-create")
		b.fill("iam-key-desc", "console test")
		b.click("iam-key-create-ok")
		b.waitVisible("secret-once")
		if w := b.text("secret-once-warning"); !strings.Contains(w, "will not be shown again") {
			t.Errorf("secret dialog warning: %q", w)
		}
		ak, sk = b.text("secret-once-ak"), b.text("secret-once-sk")
		if ak == "" || len(sk) < 20 {
			t.Fatalf("AK %q SK %q", ak, sk)
		}
		b.screenshot("iam-access-key-once")
		b.click("secret-once-done")
		b.waitGone("secret-once")
		b.waitVisible("iam-key-" + ak)
		// Once closed, the secret is nowhere in the page (the list shows AKs only).
		if body := browserRun(b, chromedp.Evaluate[string](`document.body.textContent`)); strings.Contains(body, sk) {
			t.Error("the secret key is still in the page after its dialog closed")
		}

		b.click("iam-user-grant")
		b.waitVisible("binding-dialog")
		b.do(chromedp.SetValue(byTest("binding-role"), "DMS ReadOnlyAccess"))
		b.click("binding-grant-ok")
		b.waitVisible("binding-" + reader + "-DMS ReadOnlyAccess")
		b.screenshot("iam-user")

		// The key the page showed signs requests, with the role's rights: reads pass, writes are
		// refused.
		if resp, body := e.doAs(t, ak, sk, "GET", "/v2/"+e.ProjectID+"/instances", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("read with the new key: %d %s", resp.StatusCode, body)
		}
		if resp, body := e.doAs(t, ak, sk, "POST", "/v2/kafka/"+e.ProjectID+"/instances/"+id+"/kafka-user-client-quota",
			map[string]any{"user": "x1", "producer-byte-rate": 1000}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("write with the read-only key: %d %s", resp.StatusCode, body)
		}

		// Disable (asked first) and enable again; then a new password set in the console.
		b.goTo("/iam/users")
		b.clickUntil(string(byTest("iam-user-disable-"+reader)), confirmOpen)
		b.click("confirm-ok")
		b.waitVisible("iam-user-enable-" + reader)
		if u, err := e.IAM.Store().GetUserByName(tctx(t), mustDomainID(t, e), reader); err != nil || u.Enabled {
			t.Errorf("after Disable: %+v %v", u, err)
		}
		b.clickUntil(string(byTest("iam-user-enable-"+reader)), `document.querySelector('[data-test="iam-user-disable-`+reader+`"]') !== null`)
		b.waitVisible("iam-user-disable-" + reader)
		b.clickUntil(string(byTest("iam-user-password-"+reader)), `document.querySelector('[data-test="iam-password-dialog"]') !== null`)
		b.fill("iam-new-password", readerPwd2)
		b.click("iam-password-ok")
		b.waitGone("iam-password-dialog")

		b.click("iam-tab-bindings")
		b.waitVisible("binding-" + reader + "-DMS ReadOnlyAccess")
		b.screenshot("iam-bindings")
		b.click("iam-tab-accounts")
		b.waitVisible("account-admin")
		b.screenshot("iam-accounts")
	})

	b.run(t, "custom policy checked in the browser", func(t *testing.T) {
		b.goTo("/iam/policies")
		b.waitVisible("policy-DMS ReadOnlyAccess")
		if b.exists("policy-delete-DMS ReadOnlyAccess") {
			t.Error("a system role has a Delete button")
		}
		b.click("policy-create")
		b.fill("policy-name", "TopicsReader")
		b.fill("policy-document", `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:instance"]}]}`)
		if txt := b.waitText("policy-check", "INVALID_POLICY"); !strings.Contains(txt, "service:resource:action") {
			t.Errorf("shape check: %q", txt)
		}
		b.fill("policy-document", `{"Version":"1.1","Statement":[`)
		b.waitText("policy-check", "INVALID_JSON")
		b.click("policy-create-ok") // refused in the browser: the dialog stays with the error
		b.waitText("error", "INVALID_JSON")
		b.fill("policy-document", `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:instance:get","dms:instance:list"]}]}`)
		b.waitText("policy-check", "Valid")
		b.click("policy-create-ok")
		b.waitVisible("policy-TopicsReader")
		b.screenshot("iam-policies")
		_, body := e.do(t, "GET", "/opendms/v1/policies", nil)
		var res struct {
			Policies []dms.Policy `json:"policies"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(res.Policies, func(p dms.Policy) bool { return p.Name == "TopicsReader" && !p.System }) {
			t.Errorf("the custom policy is not listed by the API: %s", body)
		}
		b.clickUntil(string(byTest("policy-delete-TopicsReader")), confirmOpen)
		b.click("confirm-ok")
		b.waitGone("policy-TopicsReader")
	})

	b.run(t, "read-only user sees no write action", func(t *testing.T) {
		b.signIn(e, consoleLogin{Domain: "admin", User: reader, Password: readerPwd2, Project: e.Region})
		if b.exists("nav-iam") {
			t.Error("the IAM link is shown to a read-only user")
		}
		b.goTo("/instances/" + id + "/quotas")
		b.waitVisible("quota-|<default>")
		for _, w := range []string{"quota-create", "quota-modify-|<default>", "quota-delete-|<default>"} {
			if b.exists(w) {
				t.Errorf("read-only user sees %s", w)
			}
		}
		b.screenshot("quotas-read-only")
		b.goTo("/instances/" + id + "/users")
		b.waitVisible("sasl-off")
		if b.exists("kafka-user-create") {
			t.Error("read-only user sees kafka-user-create")
		}
		b.goTo("/iam/users")
		b.waitVisible("iam-admin-only")
	})

	b.run(t, "phone width", func(t *testing.T) {
		b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
		b.goTo("/instances/" + id + "/quotas")
		b.waitVisible("quota-|<default>")
		// The table becomes cards: nothing is wider than the screen.
		if w := browserRun(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > phoneWidth {
			t.Errorf("the quotas page is %d px wide at a %d px screen", w, phoneWidth)
		}
		b.screenshot("quotas-phone")
	})
}

// TestLocalConsoleKafkaUsers: on a SASL instance (the local engine: kfake clusters run no SASL)
// an administrator creates a Kafka user and grants it sub on a topic in the console; 5.7.6 then
// shows the grant. A read-only IAM user sees the users and permissions and no Create, Delete,
// Grant or Revoke button. (Named outside -run 'TestConsole', the browser tests that start no JVM.)
func TestLocalConsoleKafkaUsers(t *testing.T) {
	e := newTestEnvOn(t, "local")
	c := e.kafkaClient(t)
	id := createUsersInstance(t, e, c, "console-kafka-users") // as TestKafkaUsersAPI's
	waitRunningLocal(t, e, id)
	const topic = "orders"
	if _, err := c.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: id, Body: &model.CreateInstanceTopicReq{Id: topic, Partition: tpI32(3)}}); err != nil {
		t.Fatal(err)
	}
	const reader, readerPwd = "reader1", "Reader-Passw0rd1"
	if _, err := e.IAM.CreateUser(tctx(t), mustDomainID(t, e), reader, readerPwd, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.IAM.Bind(tctx(t), mustDomainID(t, e), reader, e.ProjectID, "DMS ReadOnlyAccess"); err != nil {
		t.Fatal(err)
	}

	b := newBrowserWith(t, browserOptions{Timeout: 4 * time.Minute})
	b.signInAdmin(e)
	const app = "app1-user"
	b.run(t, "create a Kafka user", func(t *testing.T) {
		b.goTo("/instances/" + id + "/users")
		b.waitVisible("kafka-user-" + usersAdmin) // the administrator is listed
		b.click("kafka-user-create")
		b.fill("kafka-user-name", app)
		b.fill("kafka-user-password", "Passw0rd-app1")
		b.fill("kafka-user-desc", "orders consumer")
		b.click("kafka-user-create-ok")
		b.waitVisible("kafka-user-" + app)
		resp, err := c.ShowInstanceUsers(&model.ShowInstanceUsersRequest{InstanceId: id})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(deref(resp.Users), func(u model.ShowInstanceUsersEntity) bool {
			return deref(u.UserName) == app && deref(u.UserDesc) == "orders consumer"
		}) {
			t.Errorf("5.7.1 after the console's create: %+v", deref(resp.Users))
		}
	})

	b.run(t, "grant sub", func(t *testing.T) {
		b.waitVisible("acl-topic-" + topic)
		b.click("acl-grant-" + topic)
		b.waitVisible("acl-dialog")
		b.do(chromedp.SetValue(byTest("acl-user"), app), chromedp.SetValue(byTest("acl-access"), "sub"))
		b.click("acl-grant-ok")
		b.waitText("acl-"+topic+"-"+app, "sub")
		resp, err := c.ShowTopicAccessPolicy(&model.ShowTopicAccessPolicyRequest{InstanceId: id, TopicName: topic})
		if err != nil {
			t.Fatal(err)
		}
		ps := deref(resp.Policies)
		if len(ps) != 1 || deref(ps[0].UserName) != app || ps[0].AccessPolicy.Value() != "sub" {
			t.Errorf("5.7.6 after the console's grant: %+v", ps)
		}
		b.screenshot("users-acls")
	})

	b.run(t, "read-only user", func(t *testing.T) {
		b.signIn(e, consoleLogin{Domain: "admin", User: reader, Password: readerPwd, Project: e.Region})
		b.goTo("/instances/" + id + "/users")
		b.waitText("acl-"+topic+"-"+app, "sub")
		for _, w := range []string{"kafka-user-create", "kafka-user-delete-" + app, "kafka-users-delete-selected", "acl-grant-" + topic, "acl-revoke-" + topic + "-" + app} {
			if b.exists(w) {
				t.Errorf("read-only user sees %s", w)
			}
		}
	})
}

// mustDomainID is the bootstrap administrator's account id.
func mustDomainID(t *testing.T, e *testEnv) string {
	t.Helper()
	d, err := e.IAM.Store().GetDomainByName(tctx(t), "admin")
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}
