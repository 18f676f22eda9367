package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleInstances drives the instance list (#/instances) and an instance's overview
// (#/instances/:id) in a real browser, on the embedded engine: an instance created through the
// form runs and shows in the list; its page shows the brokers and the listener's bootstrap servers
// with client settings (and SASL listeners' settings from the same function); a config changed in place is saved (5.1.8's task) and shown as changed; a
// tag is added and removed; Kafka Manager is turned on (5.2.2: its address and user show) and off
// (5.2.12); a restart shows RESTARTING then RUNNING without a reload; at a phone's
// width the pages do not overflow sideways; a read-only IAM user sees the list and the instance
// but no write action; the instance is deleted from the list. Each step is checked against the API
// too, so the page cannot pass by showing what it was told to type.
func TestConsoleInstances(t *testing.T) {
	e := newTestEnv(t)
	e.newUser(t, "reader", "DMS ReadOnlyAccess", e.ProjectID)
	b := newBrowser(t)
	parent := t
	// step runs a case with the shared tab reporting to the case (and back to the test after);
	// the cases depend on each other, so the first that fails ends the test.
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, func(t *testing.T) {
			b.t = t
			defer func() { b.t = parent }()
			f(t)
		}) {
			t.FailNow()
		}
	}
	const name = "web-1"
	var id string

	step("create", func(t *testing.T) {
		b.signInAdmin(e)
		b.goTo("/instances")
		b.click("instance-create")
		b.waitVisible("create-name")
		b.screenshot("create-form")
		b.fill("create-name", name)
		b.fill("create-description", "made in the browser")
		b.click("create-submit")
		b.waitVisible("instance-row-" + name)
		// CREATING, then RUNNING through the list's refresh (no reload). A keyboard user on the
		// row's link keeps the focus there through the refreshes that rebuild the rows.
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-test="instance-row-` + name + `"] [data-test="instance-link"]').focus()`))
		ciWaitRowStatus(b, name, "RUNNING")
		if f := browserRun(b, chromedp.Evaluate[string](`(document.activeElement && document.activeElement.dataset.test) || ''`)); f != "instance-link" {
			t.Errorf("after the list's refresh the focus is on %q, want the row's instance-link", f)
		}
		id = ciInstanceID(t, e, name)
		// The request was the form's: the first flavor with its minimum brokers and storage,
		// PLAINTEXT only.
		in := ciShowInstance(t, e, id)
		if in.Description != "made in the browser" || in.BrokerNum != 3 || in.StorageSpace != 300 || in.ProductID != "c6.2u4g.cluster" ||
			in.KafkaSecurityProtocol != "PLAINTEXT" || !in.PortProtocols.PrivatePlainEnable || in.PortProtocols.PrivateSASLSSLEnable {
			t.Errorf("created instance %+v", in)
		}
		// The row shows the API's data: brokers up (from 5.2.6 for a running instance), version,
		// disk use.
		row := fmt.Sprintf(`[data-test="instance-row-%s"] `, name)
		// Polled: the row a refresh showed RUNNING in may precede the brokers' health (5.2.6).
		b.waitTextOf(row+`[data-test="brokers"]`, "3 of 3 up")
		got := browserRun(b, chromedp.Evaluate[[]string](`['brokers', 'version', 'disk-use'].map((k) => document.querySelector(`+
			ciJS(row+`[data-test="`)+` + k + '"]').textContent)`))
		if got[0] != "3 of 3 up" || !strings.HasPrefix(got[1], in.EngineVersion) || !strings.Contains(got[2], "/ 300 GB") {
			t.Errorf("row cells brokers/version/disk = %q", got)
		}
		b.screenshot("list")
	})

	step("instance page", func(t *testing.T) {
		b.clickUntil(`[data-test="instance-row-`+name+`"] [data-test="instance-link"]`, `location.hash === '#/instances/`+id+`'`)
		b.waitVisible("broker-0")
		b.waitText("brokers-up", "3 of 3 up")
		in := ciShowInstance(t, e, id)
		addr := in.PortProtocols.PrivatePlainAddress
		if addr == "" || strings.Count(addr, ",") != 2 {
			t.Fatalf("private_plain_address %q", addr)
		}
		b.waitTextOf(string(byTest("bootstrap-private_plain")), addr)
		settings := b.waitText("client-settings-private_plain", "bootstrap.servers="+addr)
		if !strings.Contains(settings, "bootstrap.servers="+addr) || !strings.Contains(settings, "security.protocol=PLAINTEXT") {
			t.Errorf("client settings:\n%s", settings)
		}
		// Another client's settings for the same listener.
		b.setField("client-kind-private_plain", "kcat")
		if got := b.waitText("client-settings-private_plain", "kcat -b "+addr); !strings.Contains(got, "security.protocol=PLAINTEXT") {
			t.Errorf("kcat settings:\n%s", got)
		}
		// One broker row per broker of 5.2.6, one of them the controller.
		brokers := browserRun(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-test="brokers"] [data-test="broker-host"]')].map((e) => e.textContent)`))
		for i, host := range strings.Split(addr, ",") {
			if i >= len(brokers) || brokers[i] != host {
				t.Errorf("broker hosts %q, listener %q", brokers, addr)
				break
			}
		}
		if n := browserRun(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-test="brokers"] [data-test="controller"]').length`)); n != 1 {
			t.Errorf("%d controllers shown", n)
		}
		b.waitVisible("task-" + ciTaskID(t, e, id, "createInstance"))
		b.screenshot("instance")
	})

	// The embedded engine runs no SASL listener: the settings of SASL listeners are checked on the
	// page's own function (the one the listeners panel renders with), in the page.
	step("client settings for SASL", func(t *testing.T) {
		cases := []struct {
			kind, protocol, mechs string
			want, not             []string
		}{
			{"java", "SASL_SSL", "PLAIN", []string{"bootstrap.servers=a:9093,b:9093", "security.protocol=SASL_SSL", "sasl.mechanism=PLAIN",
				`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="PASSWORD";`,
				"ssl.truststore.type=PEM", "ssl.truststore.location="}, nil},
			{"java", "SASL_PLAINTEXT", "SCRAM-SHA-512", []string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=SCRAM-SHA-512",
				`org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="PASSWORD";`}, []string{"ssl."}},
			{"java", "PLAINTEXT", "", []string{"security.protocol=PLAINTEXT"}, []string{"sasl", "ssl."}},
			{"kcat", "SASL_SSL", "PLAIN", []string{"kcat -b a:9093,b:9093", "-X security.protocol=SASL_SSL", "-X sasl.mechanisms=PLAIN",
				"-X sasl.username=alice", "-X sasl.password=PASSWORD", "-X ssl.ca.location=ca.pem"}, nil},
			{"franz-go", "SASL_SSL", "SCRAM-SHA-512", []string{`kgo.SeedBrokers("a:9093", "b:9093")`,
				`kgo.SASL(scram.Auth{User: "alice", Pass: "PASSWORD"}.AsSha512Mechanism())`, "kgo.DialTLSConfig("}, nil},
			{"franz-go", "SASL_PLAINTEXT", "PLAIN,SCRAM-SHA-512", []string{`kgo.SASL(plain.Auth{User: "alice", Pass: "PASSWORD"}.AsMechanism())`}, []string{"TLS"}},
		}
		for _, c := range cases {
			mechs := []string{}
			if c.mechs != "" {
				mechs = strings.Split(c.mechs, ",")
			}
			listener, _ := json.Marshal(map[string]any{"key": "x", "protocol": c.protocol, "bootstrap": "a:9093,b:9093"})
			inst, _ := json.Marshal(map[string]any{"access_user": "alice", "sasl_enabled_mechanisms": mechs})
			got := browserRun(b, chromedp.Evaluate[string](fmt.Sprintf(`import('/console/js/pages/instance.js').then((m) => m.clientSettings(%s, %s, %s))`,
				ciJS(c.kind), listener, inst), chromedp.EvalAwaitPromise))
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s %s %s: no %q in\n%s", c.kind, c.protocol, c.mechs, w, got)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("%s %s %s: %q in\n%s", c.kind, c.protocol, c.mechs, n, got)
				}
			}
		}
	})

	step("config", func(t *testing.T) {
		const cfg = "max.connections.per.ip"
		b.waitVisible("config-" + cfg)
		if ciChanged(b, "config-"+cfg) {
			t.Fatalf("%s highlighted before any change", cfg)
		}
		b.fill("config-input-"+cfg, "2000")
		b.click("configs-save")
		job := b.waitText("configs-job", "Task ")
		// When 5.1.8's task ends, the list is read again: the new value, highlighted.
		browserRun(b, chromedp.Poll[bool](`(() => { const r = document.querySelector('[data-test="config-`+cfg+`"]');
			return r && r.classList.contains('changed') && r.querySelector('input').value === '2000'; })()`))
		if ciChanged(b, "config-min.insync.replicas") {
			t.Error("an unchanged config highlighted")
		}
		var cfgs struct {
			KafkaConfigs []struct{ Name, Value string } `json:"kafka_configs"`
		}
		ciGetJSON(t, e, "/v2/"+e.ProjectID+"/instances/"+id+"/configs", &cfgs)
		i := slices.IndexFunc(cfgs.KafkaConfigs, func(c struct{ Name, Value string }) bool { return c.Name == cfg })
		if i < 0 || cfgs.KafkaConfigs[i].Value != "2000" {
			t.Errorf("the API's %s: %+v", cfg, cfgs.KafkaConfigs)
		}
		if task := ciTaskID(t, e, id, "modifyInstanceConfigs"); !strings.Contains(job, task) {
			t.Errorf("the page names task %q, the API's is %s", job, task)
		}
	})

	step("tags", func(t *testing.T) {
		b.fill("tag-key", "env")
		b.fill("tag-value", "prod")
		b.click("tag-add")
		b.waitText("tag-env", "env = prod")
		if in := ciShowInstance(t, e, id); len(in.Tags) != 1 || in.Tags[0].Key != "env" || in.Tags[0].Value != "prod" {
			t.Errorf("tags after add: %+v", in.Tags)
		}
		b.click("tag-delete-env")
		b.waitGone("tag-env")
		if in := ciShowInstance(t, e, id); len(in.Tags) != 0 {
			t.Errorf("tags after delete: %+v", in.Tags)
		}
		b.fill("tag-key", "team")
		b.fill("tag-value", "data")
		b.click("tag-add")
		b.waitText("tag-team", "team = data")
	})

	step("kafka manager", func(t *testing.T) {
		// Created through 5.1.1, the instance has no Kafka Manager password: off until one is set
		// (5.2.2); then its address (this console's sign-in page) and user show; 5.2.12 turns it off.
		b.waitVisible("km-disabled")
		b.click("km-reset-password")
		b.fill("km-new-password", "Kafka-Manager-1")
		b.click("km-password-submit")
		b.waitVisible("km-user")
		in := ciShowInstance(t, e, id)
		if in.ManagementConnectAddress == "" || b.text("km-address") != in.ManagementConnectAddress {
			t.Errorf("address shown %q, the API's %q", b.text("km-address"), in.ManagementConnectAddress)
		}
		href := browserRun(b, chromedp.Evaluate[string](`document.querySelector('[data-test="km-address"]').getAttribute('href')`))
		if href != "/console/#/km/"+id {
			t.Errorf("the address links to %q", href)
		}
		b.click("km-disable")
		b.click("confirm-ok")
		b.waitVisible("km-disabled")
		if in := ciShowInstance(t, e, id); in.ManagementConnectAddress != "" {
			t.Errorf("disabled, the API still shows %q", in.ManagementConnectAddress)
		}
	})

	step("restart", func(t *testing.T) {
		// Held by the engine until released: the list shows RESTARTING by its refresh, then
		// RUNNING once the restart ends.
		var once sync.Once
		hold := e.Gate.hold()
		release := func() { once.Do(hold) }
		defer release() // also when a wait below fails
		b.goTo("/instances")
		b.clickUntil(`[data-test="instance-row-`+name+`"] [data-test="instance-restart"]`, confirmOpen)
		b.click("confirm-ok")
		ciWaitRowStatus(b, name, "RESTARTING")
		release()
		ciWaitRowStatus(b, name, "RUNNING")
	})

	step("phone width", func(t *testing.T) {
		b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
		defer b.do(chromedp.EmulateViewport(desktopWidth, desktopHeight))
		for _, route := range []string{"/instances", "/instances/" + id} {
			b.goTo(route)
			if route == "/instances" {
				b.waitVisible("instance-row-" + name)
				b.waitVisible("instance-delete") // the widest row: with its buttons
			} else {
				b.waitVisible("broker-0")
				b.waitVisible("config-min.insync.replicas")
			}
			sizes := browserRun(b, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, innerWidth]`))
			if sizes[0] > sizes[1] {
				t.Errorf("%s: the page is %d px wide in a %d px window", route, sizes[0], sizes[1])
			}
			b.screenshot("phone" + strings.ReplaceAll(route, "/"+id, "-instance"))
		}
	})

	step("read-only user", func(t *testing.T) {
		b.click("sign-out")
		b.waitVisible("login-form")
		b.signIn(e, consoleLogin{Domain: "admin", User: "reader", Password: "Passw0rd-reader", Project: e.Region})
		b.goTo("/instances")
		b.waitVisible("instance-row-" + name)
		writes := []string{"instance-create", "instance-restart", "instance-delete"}
		for _, w := range writes {
			if b.exists(w) {
				t.Errorf("the read-only user sees %s on the list", w)
			}
		}
		b.goTo("/instances/" + id)
		b.waitVisible("broker-0")
		b.waitText("config-value-max.connections.per.ip", "2000")
		b.waitText("tag-team", "team = data")
		for _, w := range append(writes, "configs-save", "config-input-max.connections.per.ip", "tag-add", "tag-delete-team",
			"km-reset-password", "km-restart", "km-disable") {
			if b.exists(w) {
				t.Errorf("the read-only user sees %s on the instance page", w)
			}
		}
		// Whatever buttons remain only read (copy, reload, paging, sign out).
		labels := browserRun(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main button')].map((b) => b.textContent)`))
		for _, l := range labels {
			if !slices.Contains([]string{"Copy", "Reload", "‹ Prev", "Next ›"}, l) {
				t.Errorf("the read-only user sees the button %q", l)
			}
		}
		b.screenshot("read-only-instance")
	})

	step("delete", func(t *testing.T) {
		b.click("sign-out")
		b.waitVisible("login-form")
		b.signInAdmin(e)
		b.goTo("/instances")
		b.clickUntil(`[data-test="instance-row-`+name+`"] [data-test="instance-delete"]`, confirmOpen)
		b.waitText("confirm", name)
		b.click("confirm-ok")
		b.waitGone("instance-row-" + name)
		b.waitText("instances", "No instances match.")
		resp, body := e.do(t, "GET", instancesPath(e.ProjectID)+"/"+id, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("the deleted instance: %d %s", resp.StatusCode, body)
		}
	})
}

// ciWaitRowStatus waits until the list's row of the instance named name shows status.
func ciWaitRowStatus(b *browser, name, status string) {
	b.t.Helper()
	browserRun(b, chromedp.PollFunction[bool](`(name, status) => {
		const s = document.querySelector('[data-test="instance-row-' + name + '"] [data-test="status"]');
		return s !== null && s.textContent === status;
	}`, chromedp.WithPollingArgs(name, status), chromedp.WithPollingTimeout(90*time.Second)))
}

// ciChanged says whether the element data-test=id has the class 'changed'.
func ciChanged(b *browser, id string) bool {
	b.t.Helper()
	return browserRun(b, chromedp.Evaluate[bool](`document.querySelector(`+ciJS(string(byTest(id)))+`).classList.contains('changed')`))
}

func ciJS(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// ciGetJSON GETs path as the administrator and decodes the answer into v.
func ciGetJSON(t *testing.T, e *testEnv, path string, v any) {
	t.Helper()
	resp, body := e.do(t, "GET", path, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func ciInstanceID(t *testing.T, e *testEnv, name string) string {
	t.Helper()
	var list struct {
		Instances []struct {
			Name string `json:"name"`
			ID   string `json:"instance_id"`
		} `json:"instances"`
	}
	ciGetJSON(t, e, instancesPath(e.ProjectID)+"?exact_match_name=true&name="+name, &list)
	if len(list.Instances) != 1 {
		t.Fatalf("instances named %s: %+v", name, list.Instances)
	}
	return list.Instances[0].ID
}

func ciShowInstance(t *testing.T, e *testEnv, id string) instanceView {
	t.Helper()
	var in instanceView
	ciGetJSON(t, e, instancesPath(e.ProjectID)+"/"+id, &in)
	return in
}

// ciTaskID is the id of the instance's newest task named name (5.9.1 lists newest first).
func ciTaskID(t *testing.T, e *testEnv, id, name string) string {
	t.Helper()
	var tasks struct {
		Tasks []taskView `json:"tasks"`
	}
	ciGetJSON(t, e, instancesPath(e.ProjectID)+"/"+id+"/tasks", &tasks)
	for _, task := range tasks.Tasks {
		if task.Name == name {
			return task.ID
		}
	}
	t.Fatalf("no task %s in %+v", name, tasks.Tasks)
	return ""
}
