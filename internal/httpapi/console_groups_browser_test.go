package httpapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/dms"
)

// TestConsoleDiagnosisCatalog: the console's copy of the diagnosis conclusion texts
// (js/pages/diagnosis.js CONCLUSIONS) is the service's catalog, id for id and text for text, so a
// report reads in the browser as dmsctl prints it.
func TestConsoleDiagnosisCatalog(t *testing.T) {
	src, err := os.ReadFile("../console/assets/js/pages/diagnosis.js")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)const CONCLUSIONS = \{\n(.*?)\n\};`).FindSubmatch(src)
	if block == nil {
		t.Fatal("diagnosis.js has no CONCLUSIONS block")
	}
	line := regexp.MustCompile(`^  (\d+): (".*"),$`)
	got := map[int]string{}
	for _, l := range strings.Split(string(block[1]), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("diagnosis.js CONCLUSIONS: line %q is not `  id: \"text\",`", l)
		}
		id, _ := strconv.Atoi(m[1])
		var text string
		if err := json.Unmarshal([]byte(m[2]), &text); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got[id] = text
	}
	if !maps.Equal(got, dms.DiagnosisConclusions) {
		for id, want := range dms.DiagnosisConclusions {
			if got[id] != want {
				t.Errorf("conclusion %d: console %q, service %q", id, got[id], want)
			}
		}
		for id := range got {
			if _, ok := dms.DiagnosisConclusions[id]; !ok {
				t.Errorf("conclusion %d: in the console only", id)
			}
		}
	}
}

// cgInRow selects the element data-test=id inside the element data-test=row.
func cgInRow(row, id string) string {
	return fmt.Sprintf("[data-test=%q] [data-test=%q]", row, id)
}

// TestConsoleGroups drives the consumer group and diagnosis pages in the browser: a group with
// committed offsets (left EMPTY) shows its lag; a reset to the earliest offsets is previewed (old ->
// new, nothing committed), applied, and the lag page and 5.6.6 show the new offsets; a group is
// created, described and deleted; a diagnosis report is created and read; a read-only user sees
// none of the write actions; a Kafka Manager sign-in resets and deletes groups but sees no create,
// description or diagnosis writes (outside its scope).
func TestConsoleGroups(t *testing.T) {
	ce := newClusterEnv(t, "console-groups")
	ce.create(t, &model.CreateInstanceTopicReq{Id: "orders", Partition: tpI32(2)})
	for p := range int32(2) {
		for i := range 10 {
			r := &kgo.Record{Topic: "orders", Partition: p, Value: []byte(fmt.Sprintf(`{"n":%d}`, i))}
			if err := ce.kcl.ProduceSync(tctx(t), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The group consumed 7 of partition 0 and 9 of partition 1 and stopped: EMPTY, lag 3 + 1.
	commitAdmin(t, ce, "billing", "orders", map[int32]int64{0: 7, 1: 9})
	// Another group with an active member, for the members table.
	startMember(t, ce, "audit", "orders", "audit-client")
	waitGroup(t, ce, "audit", "stable", func(d kadm.DescribedGroup) bool { return d.State == "Stable" && len(d.Members) == 1 })

	enc := func(s string) string { return strings.ReplaceAll(s, "/", "%2F") }
	groupsRoute := "/instances/" + enc(ce.id) + "/groups"
	b := newBrowser(t)
	b.signInAdmin(ce.testEnv)

	b.run(t, "list shows the group and its lag", func(t *testing.T) {
		b.goTo(groupsRoute)
		b.waitVisible("group-row-billing")
		b.waitTextOf(cgInRow("group-row-billing", "group-lag"), "4")
		b.waitTextOf(cgInRow("group-row-billing", "status"), "EMPTY")
		b.waitVisible("group-row-audit")
		b.waitTextOf(cgInRow("group-row-audit", "status"), "STABLE")
		b.screenshot("groups-list")
		// At a phone's width the rows are cards.
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		b.waitVisible("group-row-billing")
		b.screenshot("groups-list-phone")
		b.do(chromedp.EmulateViewport(1280, 900))
	})

	b.run(t, "group page shows members and per-partition lag", func(t *testing.T) {
		b.goTo(groupsRoute + "/audit")
		b.waitVisible("members")
		b.waitText("members", "audit-client")
		b.goTo(groupsRoute + "/billing")
		b.waitVisible("offset-row-orders-0")
		b.waitTextOf(cgInRow("offset-row-orders-0", "offset-current"), "7")
		b.waitTextOf(cgInRow("offset-row-orders-1", "offset-lag"), "1")
		b.waitText("group-total-lag", "4")
		b.screenshot("group-detail")
	})

	b.run(t, "reset to earliest after a preview", func(t *testing.T) {
		b.click("group-reset")
		b.waitVisible("reset-dialog")
		if disabled := browserRun(b, chromedp.Evaluate[bool](`document.querySelector('[data-test="reset-apply"]').disabled`)); !disabled {
			t.Errorf("Apply is enabled before a preview")
		}
		// The target defaults to the earliest offsets; every topic, every partition.
		b.click("reset-preview")
		b.waitVisible("reset-preview-table")
		for _, tt := range []struct{ p, cur string }{{"0", "7"}, {"1", "9"}} {
			row := "preview-row-orders-" + tt.p
			b.waitTextOf(cgInRow(row, "preview-current"), tt.cur)
			b.waitTextOf(cgInRow(row, "preview-new"), "0")
		}
		b.screenshot("reset-preview")
		// The preview committed nothing.
		if got := committed(t, ce, "billing", "orders"); !maps.Equal(got, map[int32]int64{0: 7, 1: 9}) {
			t.Fatalf("after the preview the group has %v", got)
		}
		b.click("reset-apply")
		b.waitGone("reset-dialog")
		// The page refreshes: the new offsets and lag show without a reload.
		b.waitTextOf(cgInRow("offset-row-orders-0", "offset-current"), "0")
		b.waitTextOf(cgInRow("offset-row-orders-1", "offset-current"), "0")
		b.waitTextOf(cgInRow("offset-row-orders-0", "offset-lag"), "10")
		b.waitText("group-total-lag", "20")
		b.screenshot("after-reset")
		if got := offsetsBySDK(t, ce, "billing", "orders"); !maps.Equal(got, map[int32]string{0: "0", 1: "0"}) {
			t.Errorf("5.6.6 after the reset: %v", got)
		}
	})

	b.run(t, "reset one partition to an offset", func(t *testing.T) {
		b.click("group-reset")
		b.waitVisible("reset-dialog")
		b.fill("reset-partition", "1")
		// Choose "A given offset" as a user does: the change shows the offset field.
		b.do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('[data-test="reset-target"]');
			s.value = 'offset'; s.dispatchEvent(new Event('change', { bubbles: true })); })()`))
		b.fill("reset-offset", "4")
		b.click("reset-preview")
		b.waitVisible("preview-row-orders-1")
		if b.exists("preview-row-orders-0") {
			t.Errorf("the preview of partition 1 shows partition 0")
		}
		b.waitTextOf(cgInRow("preview-row-orders-1", "preview-new"), "4")
		b.click("reset-apply")
		b.waitGone("reset-dialog")
		b.waitTextOf(cgInRow("offset-row-orders-1", "offset-current"), "4")
		if got := committed(t, ce, "billing", "orders"); !maps.Equal(got, map[int32]int64{0: 0, 1: 4}) {
			t.Errorf("after resetting partition 1 to 4: %v", got)
		}
	})

	b.run(t, "reset refused while members consume", func(t *testing.T) {
		b.allowProblems("status of 409") // the browser logs the refused preview
		b.goTo(groupsRoute + "/audit")
		b.waitVisible("reset-hint")
		b.click("group-reset")
		b.click("reset-preview")
		b.waitText("error", dms.CodeGroupNotEmpty)
		if b.exists("reset-preview-table") {
			t.Errorf("a refused preview shows a table")
		}
		if disabled := browserRun(b, chromedp.Evaluate[bool](`document.querySelector('[data-test="reset-apply"]').disabled`)); !disabled {
			t.Errorf("Apply is enabled after a refused preview")
		}
		b.screenshot("reset-refused")
		b.click("modal-cancel")
		b.waitGone("reset-dialog")
	})

	b.run(t, "create and delete a group", func(t *testing.T) {
		b.goTo(groupsRoute)
		b.click("group-create")
		b.fill("group-name", "reports_v2")
		b.fill("group-desc", "nightly <b>reports</b>")
		b.click("group-create-ok")
		b.waitVisible("group-row-reports_v2")
		b.waitText("group-row-reports_v2", "nightly <b>reports</b>") // the description is text
		b.clickUntil(cgInRow("group-row-reports_v2", "group-delete"), confirmOpen)
		b.click("confirm-ok")
		b.waitGone("group-row-reports_v2")
		if names := groupNames(t, ce); slices.Contains(names, "reports_v2") {
			t.Errorf("reports_v2 still listed by 5.6.2: %v", names)
		}
		// Several at once (5.6.3): two created groups selected and deleted together.
		for _, name := range []string{"tmp_a", "tmp_b"} {
			b.click("group-create")
			b.fill("group-name", name)
			b.click("group-create-ok")
			b.waitVisible("group-row-" + name)
		}
		b.check(cgInRow("group-row-tmp_a", "group-select"))
		b.check(cgInRow("group-row-tmp_b", "group-select"))
		b.click("group-delete-selected")
		b.click("confirm-ok")
		b.waitGone("group-row-tmp_a")
		b.waitGone("group-row-tmp_b")
		if names := groupNames(t, ce); slices.Contains(names, "tmp_a") || slices.Contains(names, "tmp_b") || !slices.Contains(names, "billing") {
			t.Errorf("after deleting the selected groups 5.6.2 lists %v", names)
		}
	})

	b.run(t, "edit the description", func(t *testing.T) {
		b.goTo(groupsRoute + "/billing")
		b.click("group-edit")
		b.waitVisible("group-edit-dialog")
		b.fill("group-desc", "invoices, <i>monthly</i>")
		b.click("group-edit-ok")
		b.waitGone("group-edit-dialog")
		b.waitText("group-description", "invoices, <i>monthly</i>")
		resp, err := ce.sdk.ShowGroup(&model.ShowGroupRequest{InstanceId: ce.id, Group: "billing"})
		if err != nil || deref(deref(resp.Group).GroupDesc) != "invoices, <i>monthly</i>" {
			t.Errorf("ShowGroup after the edit: %+v %v", resp, err)
		}
	})

	var reportID string
	b.run(t, "diagnosis report", func(t *testing.T) {
		b.goTo("/instances/" + enc(ce.id) + "/diagnosis")
		b.click("diagnosis-create")
		b.fill("diag-group", "billing")
		b.fill("diag-topic", "orders")
		b.click("diag-precheck")
		b.waitVisible("diag-precheck-table")
		b.screenshot("diagnosis-new")
		b.click("diag-create-ok")
		// The report's page opens; its items come when the window (2 s in tests) ends.
		b.waitVisible("dimension-consumer")
		b.waitTextOf(cgInRow("item-consumer_online", "status"), "abnormal")
		b.waitText(`item-consumer_online`, "The consumer group billing has no active consumer: nothing consumes orders.")
		b.waitText(`item-consumer_online`, "Start the consumers of the group")
		b.screenshot("diagnosis-report")
		reportID = browserRun(b, chromedp.Evaluate[string](`decodeURIComponent(location.hash.split('/').pop())`))
		b.goTo("/instances/" + enc(ce.id) + "/diagnosis")
		b.waitVisible("report-row-" + reportID)
		b.waitText("report-row-"+reportID, "billing")
		b.screenshot("diagnosis-list")
	})

	b.run(t, "read-only user sees no write action", func(t *testing.T) {
		ce.newUser(t, "reader", "DMS ReadOnlyAccess", ce.ProjectID)
		b.click("sign-out")
		b.signIn(ce.testEnv, consoleLogin{Domain: "admin", User: "reader", Password: "Passw0rd-reader", Project: ce.Region})
		writes := map[string][]string{
			groupsRoute:              {"group-create", "group-delete-selected", "group-delete", "group-select"},
			groupsRoute + "/billing": {"group-reset", "group-edit", "group-delete"},
			"/instances/" + enc(ce.id) + "/diagnosis": {"diagnosis-create", "report-delete-selected", "report-select"},
		}
		ready := map[string]string{groupsRoute: "group-row-billing", groupsRoute + "/billing": "offset-row-orders-0",
			"/instances/" + enc(ce.id) + "/diagnosis": "report-row-" + reportID}
		for route, ids := range writes {
			b.goTo(route)
			b.waitVisible(ready[route])
			for _, id := range ids {
				if b.exists(id) {
					t.Errorf("%s: a read-only user sees %s", route, id)
				}
			}
		}
		if reportID != "" {
			b.goTo("/instances/" + enc(ce.id) + "/diagnosis/" + reportID)
			b.waitVisible("dimension-consumer")
			if b.exists("report-delete") {
				t.Errorf("a read-only user sees report-delete")
			}
		}
		b.goTo(groupsRoute + "/billing")
		b.waitVisible("offset-row-orders-0")
		b.screenshot("groups-read-only")
	})

	b.run(t, "Kafka Manager sign-in resets and deletes but does not create", func(t *testing.T) {
		pw := "Km-groups1"
		setManagerPassword(t, ce.sdk, ce.id, pw)
		b.click("sign-out")
		b.open(consoleURL(ce.testEnv) + "#/km/" + ce.id)
		b.fill("login-user", "admin")
		b.fill("login-password", pw)
		b.click("login-submit")
		b.waitVisible("nav")
		b.goTo(groupsRoute)
		b.waitVisible("group-row-billing")
		for _, id := range []string{"group-delete", "group-select", "group-delete-selected"} {
			if !b.exists(id) {
				t.Errorf("the Kafka Manager sign-in does not see %s (CMAK deletes groups)", id)
			}
		}
		if b.exists("group-create") {
			t.Errorf("the Kafka Manager sign-in sees group-create (5.6.4 is outside its scope)")
		}
		b.goTo(groupsRoute + "/billing")
		b.waitVisible("group-reset")
		if b.exists("group-edit") {
			t.Errorf("the Kafka Manager sign-in sees group-edit (5.6.10 is outside its scope)")
		}
		// Its reset works through the same preview.
		b.click("group-reset")
		b.click("reset-preview")
		b.waitVisible("preview-row-orders-0")
		b.click("reset-apply")
		b.waitGone("reset-dialog")
		b.waitTextOf(cgInRow("offset-row-orders-1", "offset-current"), "0")
		b.goTo("/instances/" + enc(ce.id) + "/diagnosis")
		b.waitVisible("report-row-" + reportID)
		for _, id := range []string{"diagnosis-create", "report-delete-selected", "report-select"} {
			if b.exists(id) {
				t.Errorf("the Kafka Manager sign-in sees %s", id)
			}
		}
	})
}
