package httpapi

import (
	"strconv"
	"strings"
	"testing"
)

// canonicalParams are the only path parameter names a Pattern may use.
var canonicalParams = map[string]bool{
	"project_id": true, "instance_id": true, "engine": true, "topic": true, "group": true,
	"task_id": true, "partition": true, "user_name": true, "topic_name": true, "report_id": true,
	"connector_id": true, "log_type": true,
}

// isParam reports whether a pattern segment is a whole "{name}" parameter.
// isReferenceSection reports whether s looks like "5.1.1" / "7.2.3.2".
func isReferenceSection(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

// sectionLess orders sections numerically, component by component.
func sectionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

func TestRouteTableReferenceSections(t *testing.T) {
	counted := map[string]bool{}
	perChapter := map[string]int{}
	mainEntries := map[string]int{} // Variant "" per section
	for _, r := range routeTable {
		if !isReferenceSection(r.Section) {
			if r.Section != "sdk" {
				t.Errorf("%s %s: Section %q is neither a reference section nor \"sdk\"", r.Method, r.Pattern, r.Section)
			}
			continue
		}
		if r.Variant == "" {
			mainEntries[r.Section]++
		}
		if r.Variant != "" && r.Variant != "fixed" {
			continue
		}
		if counted[r.Section] {
			continue
		}
		counted[r.Section] = true
		perChapter[strings.SplitN(r.Section, ".", 2)[0]]++
	}
	if len(counted) != 107 {
		t.Errorf("distinct reference sections = %d, want 107", len(counted))
	}
	if perChapter["5"] != 85 || perChapter["7"] != 22 || len(perChapter) != 2 {
		t.Errorf("sections per chapter = %v, want 5:85 7:22", perChapter)
	}
	for s, n := range mainEntries {
		if n > 1 {
			t.Errorf("section %s has %d entries with Variant \"\", want at most 1", s, n)
		}
	}
	// Every variant of a section sits in a section that is itself registered.
	for _, r := range routeTable {
		if isReferenceSection(r.Section) && r.Variant == "sdk" && !counted[r.Section] {
			t.Errorf("%s %s: SDK variant of section %s, which has no reference entry", r.Method, r.Pattern, r.Section)
		}
	}
}

func TestRouteTableDocumentOrder(t *testing.T) {
	last := ""
	seenSDK := false
	for _, r := range routeTable {
		if r.Section == "sdk" {
			seenSDK = true
			continue
		}
		if seenSDK {
			t.Errorf("section %s listed after the SDK-only operations", r.Section)
		}
		if last != "" && sectionLess(r.Section, last) {
			t.Errorf("section %s listed after %s", r.Section, last)
		}
		last = r.Section
	}
}

func TestRouteTableNoDuplicateRoutes(t *testing.T) {
	seen := map[string]RouteSpec{}
	shapes := map[string]RouteSpec{}
	for _, r := range routeTable {
		key := r.Method + " " + r.Pattern
		if prev, ok := seen[key]; ok {
			t.Errorf("duplicate route %s (sections %s and %s)", key, prev.Section, r.Section)
		}
		seen[key] = r
		// Two patterns that differ only in parameter names would be equally specific for every path.
		segs := strings.Split(r.Pattern, "/")
		for i, s := range segs {
			if isParam(s) {
				segs[i] = "{}"
			}
		}
		shape := r.Method + " " + strings.Join(segs, "/")
		if prev, ok := shapes[shape]; ok && prev.Pattern != r.Pattern {
			t.Errorf("%s %s and %s differ only in parameter names", r.Method, prev.Pattern, r.Pattern)
		}
		shapes[shape] = r
	}
}

func TestRouteTableFields(t *testing.T) {
	methods := map[string]bool{"GET": true, "POST": true, "PUT": true, "DELETE": true}
	variants := map[string]bool{"": true, "sdk": true, "fixed": true}
	for _, r := range routeTable {
		name := r.Section + " " + r.Method + " " + r.Pattern
		if !methods[r.Method] {
			t.Errorf("%s: method %q not GET/POST/PUT/DELETE", name, r.Method)
		}
		if strings.TrimSpace(r.Title) == "" {
			t.Errorf("%s: empty Title", name)
		}
		if !variants[r.Variant] {
			t.Errorf("%s: unknown Variant %q", name, r.Variant)
		}
		if r.Section == "sdk" && (r.Variant != "sdk" || r.Op == "") {
			t.Errorf("%s: SDK-only route needs Variant \"sdk\" and an Op", name)
		}
		if isReferenceSection(r.Section) && r.Variant == "sdk" && r.Op == "" {
			t.Errorf("%s: SDK variant without an Op", name)
		}
	}
}

func TestRouteTablePatterns(t *testing.T) {
	for _, r := range routeTable {
		p := r.Pattern
		if !strings.HasPrefix(p, "/") {
			t.Errorf("%s %s: pattern does not start with /", r.Method, p)
			continue
		}
		if strings.ContainsAny(p, "?*# \t") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
			t.Errorf("%s %s: pattern has a query, a marker, a space or an empty segment", r.Method, p)
		}
		depth := 0
		for _, c := range p {
			switch c {
			case '{':
				depth++
			case '}':
				depth--
			}
			if depth < 0 || depth > 1 {
				break
			}
		}
		if depth != 0 {
			t.Errorf("%s %s: unbalanced braces", r.Method, p)
		}
		params := map[string]bool{}
		for _, seg := range strings.Split(p[1:], "/") {
			if !strings.ContainsAny(seg, "{}") {
				continue
			}
			if !isParam(seg) || strings.ContainsAny(seg[1:len(seg)-1], "{}") {
				t.Errorf("%s %s: segment %q mixes a parameter with literal text or is malformed", r.Method, p, seg)
				continue
			}
			name := seg[1 : len(seg)-1]
			if !canonicalParams[name] {
				t.Errorf("%s %s: non-canonical parameter {%s}", r.Method, p, name)
			}
			if params[name] {
				t.Errorf("%s %s: parameter {%s} used twice", r.Method, p, name)
			}
			params[name] = true
		}
	}
}

// catalogNoProject are the routes without a project in the path; any authenticated caller may read them.
var catalogNoProject = map[string]bool{
	"/v2/instances/maintain-windows": true, "/v2/available-zones": true, "/v2/{engine}/products": true,
	"/v2/kafka/products/cores": true, "/v1.0/availableZones": true, "/v1.0/products": true,
	"/v1.0/instances/maintain-windows": true, "/v2/config/features": true, "/v1.0/dms/obs/buckets": true,
}

func TestRouteTableActions(t *testing.T) {
	for _, r := range routeTable {
		name := r.Section + " " + r.Method + " " + r.Pattern
		if strings.Contains(r.Pattern, "{project_id}") {
			if !strings.HasPrefix(r.Action, "dms:") || len(r.Action) <= len("dms:") {
				t.Errorf("%s: project route needs an Action starting with dms:, got %q", name, r.Action)
			}
			continue
		}
		if !catalogNoProject[r.Pattern] {
			t.Errorf("%s: route without {project_id} that is not a known catalog API", name)
		}
		if r.Action != "" {
			t.Errorf("%s: catalog route should have Action \"\", got %q", name, r.Action)
		}
	}
}

// TestRouteTablePermissionsTSV checks the actions of seed/permissions.tsv (chapter 6), hard-coded here
// because tests must not read files outside the repository.
func TestRouteTablePermissionsTSV(t *testing.T) {
	tests := []struct {
		section, method, pattern, action string
	}{
		{"5.1.1", "POST", "/v2/{engine}/{project_id}/instances", "dms:instance:create"},
		{"5.1.2", "GET", "/v2/{project_id}/instances", "dms:instance:list"},
		{"5.1.3", "GET", "/v2/{project_id}/instances/{instance_id}", "dms:instance:get"},
		{"5.1.4", "DELETE", "/v2/{project_id}/instances/{instance_id}", "dms:instance:delete"},
		{"5.1.5", "PUT", "/v2/{project_id}/instances/{instance_id}", "dms:instance:modify"},
		// TSV: "Restart: dms:instance:modifyStatus; Delete: dms:instance:delete" (delete checked by the handler).
		{"5.1.6", "POST", "/v2/{project_id}/instances/action", "dms:instance:modifyStatus"},
		{"5.2.1", "POST", "/v2/{project_id}/instances/{instance_id}/password", "dms:instance:resetAuthInfo"},
		{"5.2.2", "PUT", "/v2/{project_id}/instances/{instance_id}/kafka-manager-password", "dms:instance:resetAuthInfo"},
		{"5.2.3", "PUT", "/v2/{project_id}/instances/{instance_id}/restart-kafka-manager", "dms:instance:modifyStatus"},
		{"5.2.4", "POST", "/v2/{project_id}/instances/{instance_id}/autotopic", "dms:instance:modify"},
		{"5.2.5", "POST", "/v2/{project_id}/instances/{instance_id}/crossvpc/modify", "dms:instance:modify"},
		{"7.2.3.1", "POST", "/v2/{project_id}/instances/{instance_id}/management/groups/{group}/reset-message-offset", "dms:instance:modify"},
		{"5.3.1", "POST", "/v2/{project_id}/instances/{instance_id}/connector", "dms:instance:connector"},
		{"5.3.2", "POST", "/v2/{project_id}/kafka/instances/{instance_id}/delete-connector", "dms:instance:connector"},
		{"5.3.3", "POST", "/v2/{project_id}/instances/{instance_id}/connector/tasks", "dms:instance:createConnectorSinkTask"},
		{"5.3.4", "GET", "/v2/{project_id}/instances/{instance_id}/connector/tasks", "dms:instance:listConnectorSinkTask"},
		{"5.3.5", "GET", "/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}", "dms:instance:getConnectorSinkTask"},
		{"5.3.6", "DELETE", "/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}", "dms:instance:deleteConnectorSinkTask"},
		{"5.3.7", "PUT", "/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}/pause", "dms:instance:updateConnectorTask"},
		{"5.3.8", "PUT", "/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}/resume", "dms:instance:updateConnectorTask"},
		{"5.3.9", "PUT", "/v2/{project_id}/kafka/instances/{instance_id}/connector/tasks/{task_id}/restart", "dms:instance:updateConnectorTask"},
		// The TSV prints ".../extends"; the API (and this table) uses ".../extend".
		{"5.4.1", "POST", "/v2/{engine}/{project_id}/instances/{instance_id}/extend", "dms:instance:scale"},
		{"5.5.2", "POST", "/v2/{project_id}/instances/{instance_id}/topics", "dms:instance:modify"},
		{"5.5.3", "GET", "/v2/{project_id}/instances/{instance_id}/topics", "dms:instance:get"},
		{"5.5.4", "PUT", "/v2/{project_id}/instances/{instance_id}/topics", "dms:instance:modify"},
		{"5.5.5", "POST", "/v2/{project_id}/instances/{instance_id}/topics/delete", "dms:instance:modify"},
		{"5.7.1", "GET", "/v2/{project_id}/instances/{instance_id}/users", "dms:instance:get"},
		{"5.7.2", "POST", "/v2/{project_id}/instances/{instance_id}/users", "dms:instance:modify"},
		{"5.7.3", "PUT", "/v2/{project_id}/instances/{instance_id}/users", "dms:instance:modify"},
		// A write mapped to the read action, as printed.
		// permissions.tsv says dms:instance:get; OpenDMS deliberately requires modify (see routes_table.go).
		{"5.7.4", "PUT", "/v2/{project_id}/instances/{instance_id}/users/{user_name}", "dms:instance:modify"},
		{"5.7.6", "GET", "/v1/{project_id}/instances/{instance_id}/topics/{topic_name}/accesspolicy", "dms:instance:get"},
		{"5.7.7", "POST", "/v1/{project_id}/instances/{instance_id}/topics/accesspolicy", "dms:instance:modify"},
		{"5.8.1", "GET", "/v2/{project_id}/instances/{instance_id}/messages", "dms:instance:get"},
		{"5.9.1", "GET", "/v2/{project_id}/instances/{instance_id}/tasks", "dms:instance:getBackgroundTask"},
		{"5.9.2", "GET", "/v2/{project_id}/instances/{instance_id}/tasks/{task_id}", "dms:instance:getBackgroundTask"},
		{"5.9.3", "DELETE", "/v2/{project_id}/instances/{instance_id}/tasks/{task_id}", "dms:instance:deleteBackgroundTask"},
		{"5.10.1", "POST", "/v2/{project_id}/kafka/{instance_id}/tags/action", "dms:instance:modify"},
		{"5.10.2", "GET", "/v2/{project_id}/kafka/{instance_id}/tags", "dms:instance:get"},
		{"5.10.3", "GET", "/v2/{project_id}/kafka/tags", "dms:instance:get"},
	}
	if len(tests) != 39 {
		t.Fatalf("permissions.tsv has 39 rows, the test lists %d", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.section, func(t *testing.T) {
			found := false
			for _, r := range routeTable {
				if r.Section != tt.section || r.Variant != "" {
					continue
				}
				found = true
				if r.Method != tt.method || r.Pattern != tt.pattern {
					t.Errorf("route = %s %s, want %s %s", r.Method, r.Pattern, tt.method, tt.pattern)
				}
				if r.Action != tt.action {
					t.Errorf("Action = %q, want %q", r.Action, tt.action)
				}
			}
			if !found {
				t.Errorf("no entry with Variant \"\" for section %s", tt.section)
			}
		})
	}
}

// TestRouteTableSDKOperations checks that each of the 123 Go SDK operations (sdk-compat.md §1.1) is
// registered exactly once, and that the SDK-only and variant routes are the ones sdk-compat.md §1.2 names.
func TestRouteTableSDKOperations(t *testing.T) {
	ops := map[string]int{}
	sdkOnly := 0
	for _, r := range routeTable {
		if r.Op != "" {
			ops[r.Op]++
		}
		if r.Section == "sdk" {
			sdkOnly++
		}
	}
	for op, n := range ops {
		if n != 1 {
			t.Errorf("SDK operation %s registered %d times", op, n)
		}
	}
	if len(ops) != 123 {
		t.Errorf("distinct SDK operations = %d, want 123", len(ops))
	}
	if sdkOnly != 37 {
		t.Errorf("SDK-only routes (Section \"sdk\") = %d, want 37 (40 minus the variants of 5.2.11, 5.4.2, 5.8.6)", sdkOnly)
	}
	variants := []struct {
		section, op, method, pattern string
	}{
		{"5.2.11", "CreateKafkaReassignmentTask", "POST", "/v2/{project_id}/kafka/instances/{instance_id}/reassign"},
		{"5.4.2", "ShowKafkaInstanceExtendProductInfo", "GET", "/v2/{project_id}/kafka/instances/{instance_id}/extend"},
		{"5.8.6", "DeleteKafkaTopicMessages", "POST", "/v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/messages/delete"},
	}
	for _, v := range variants {
		found := false
		for _, r := range routeTable {
			if r.Op == v.op {
				found = true
				if r.Section != v.section || r.Variant != "sdk" || r.Method != v.method || r.Pattern != v.pattern {
					t.Errorf("%s = %s %s %s (%q), want %s %s %s (\"sdk\")", v.op, r.Section, r.Method, r.Pattern, r.Variant, v.section, v.method, v.pattern)
				}
			}
		}
		if !found {
			t.Errorf("SDK variant %s missing", v.op)
		}
	}
	// 5.6.5: the table's PUT is the main entry, the examples' POST is accepted too.
	var put, post bool
	for _, r := range routeTable {
		if r.Section == "5.6.5" && r.Pattern == "/v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset" {
			put = put || (r.Method == "PUT" && r.Variant == "")
			post = post || (r.Method == "POST" && r.Variant != "")
		}
	}
	if !put || !post {
		t.Errorf("5.6.5: PUT main entry %v, POST variant %v; want both", put, post)
	}
}

// sampleValues are realistic values for each parameter: {engine} is always "kafka", project ids are
// 32 hex digits, instance ids are UUIDs.
var sampleValues = map[string]string{
	"engine": "kafka", "project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
	"instance_id": "6b1f3a52-8c0e-4d7a-9f21-3e5b7c9d1a24", "topic": "orders", "group": "billing",
	"task_id": "8a2f4c6e0b1d3f5a7c9e1b3d5f7a9c0e", "partition": "0", "user_name": "alice",
	"topic_name": "orders", "report_id": "3c5e7a9b1d2f4a6c", "connector_id": "0d2e4f6a8b1c3e5f",
	"log_type": "SERVER_LOG",
}

// matchPattern reports whether a concrete path matches a pattern.
// TestRouteTableSpecificity checks that the router sends a realistic request for every route to that
// same route.
func TestRouteTableSpecificity(t *testing.T) {
	rt := newRouter()
	for _, s := range routeTable {
		rt.add(s, authSigned, nil)
	}
	for _, r := range routeTable {
		segs := strings.Split(r.Pattern, "/")
		for i, s := range segs {
			if isParam(s) {
				segs[i] = sampleValues[s[1:len(s)-1]]
			}
		}
		path := strings.Join(segs, "/")
		got, _, _ := rt.match(r.Method, path)
		if got == nil || got.spec.Pattern != r.Pattern {
			t.Errorf("%s %s (sample %s) resolves to %v", r.Method, r.Pattern, path, got)
		}
	}
}
