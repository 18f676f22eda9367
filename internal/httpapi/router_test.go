package httpapi

import "testing"

// matchCase is a request and the route it must match ("" for none), the parameters it must
// decode (nil: not checked) and whether the path is known (405 rather than 404 without a match).
type matchCase struct {
	method, path string
	wantPattern  string
	wantParams   map[string]string
	wantKnown    bool
}

func checkMatches(t *testing.T, rt *Router, tests []matchCase) {
	t.Helper()
	for _, tt := range tests {
		r, params, known := rt.match(tt.method, tt.path)
		got := ""
		if r != nil {
			got = r.spec.Pattern
		}
		if got != tt.wantPattern || known != tt.wantKnown {
			t.Errorf("%s %s: matched %q known=%v, want %q known=%v", tt.method, tt.path, got, known, tt.wantPattern, tt.wantKnown)
			continue
		}
		for k, v := range tt.wantParams {
			if params[k] != v {
				t.Errorf("%s %s: param %s = %q, want %q", tt.method, tt.path, k, params[k], v)
			}
		}
	}
}

func TestRouterMatch(t *testing.T) {
	rt := newRouter()
	for _, s := range routeTable {
		rt.add(s, authSigned, nil)
	}
	const pid = "0123456789abcdef0123456789abcdef"
	const iid = "6ac4d5b4-8cd7-4b8b-9a83-31a8f9e3e4b1"
	tests := []matchCase{
		{"GET", "/v2/" + pid + "/instances/" + iid, "/v2/{project_id}/instances/{instance_id}", map[string]string{"project_id": pid, "instance_id": iid}, true},
		{"GET", "/v2/" + pid + "/instances/" + iid + "/", "/v2/{project_id}/instances/{instance_id}", nil, true},
		{"POST", "/v2/kafka/" + pid + "/instances", "/v2/{engine}/{project_id}/instances", map[string]string{"engine": "kafka", "project_id": pid}, true},
		{"POST", "/v2/" + pid + "/kafka/instances", "/v2/{project_id}/kafka/instances", nil, true},
		{"GET", "/v2/kafka/" + pid + "/instances/" + iid + "/groups/g1", "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}", map[string]string{"group": "g1"}, true},
		{"GET", "/v2/" + pid + "/instances/" + iid + "/management/groups/g1", "/v2/{project_id}/instances/{instance_id}/management/groups/{group}", nil, true},
		// Method before literal: a group named batch-delete.
		{"GET", "/v2/" + pid + "/instances/" + iid + "/groups/batch-delete", "/v2/{project_id}/instances/{instance_id}/groups/{group}", map[string]string{"group": "batch-delete"}, true},
		{"POST", "/v2/" + pid + "/instances/" + iid + "/groups/batch-delete", "/v2/{project_id}/instances/{instance_id}/groups/batch-delete", nil, true},
		// Escaped segments are decoded into parameters.
		{"GET", "/v2/" + pid + "/instances/" + iid + "/management/topics/my%20topic+%C3%BC/messages", "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/messages", map[string]string{"topic": "my topic+ü"}, true},
		{"GET", "/v2/available-zones", "/v2/available-zones", nil, true},
		{"GET", "/v2/kafka/products", "/v2/{engine}/products", map[string]string{"engine": "kafka"}, true},
		{"GET", "/v2/kafka/products/cores", "/v2/kafka/products/cores", nil, true},
		// Wrong method on a known path, and an unknown path.
		{"PATCH", "/v2/" + pid + "/instances/" + iid, "", nil, true},
		{"GET", "/v2/nope", "", nil, false},
		{"GET", "/", "", nil, false},
	}
	checkMatches(t, rt, tests)
}

func BenchmarkRouterMatch(b *testing.B) {
	rt := newRouter()
	for _, s := range routeTable {
		rt.add(s, authSigned, nil)
	}
	path := "/v2/0123456789abcdef0123456789abcdef/instances/6ac4d5b4-8cd7-4b8b-9a83-31a8f9e3e4b1/management/topics/t1/partitions/0/message"
	for b.Loop() {
		rt.match("GET", path)
	}
}

// TestRouterRest: a route ending in {name...} takes the rest of the path, at any depth, only when
// no fixed route matches, and a wrong method on its paths is a 405 like on any other.
func TestRouterRest(t *testing.T) {
	rt := newRouter()
	for _, p := range []string{"/", "/console", "/console/{file...}", "/console/api/{x}", "/files/{bucket}/{key...}"} {
		rt.add(RouteSpec{Method: "GET", Pattern: p}, authNone, nil)
	}
	rt.add(RouteSpec{Method: "POST", Pattern: "/console/upload"}, authNone, nil)
	tests := []matchCase{
		{"GET", "/", "/", nil, true},
		{"GET", "/console", "/console", nil, true},
		{"GET", "/console/", "/console", nil, true},
		{"GET", "/console/index.html", "/console/{file...}", map[string]string{"file": "index.html"}, true},
		{"GET", "/console/js/pages/login.js", "/console/{file...}", map[string]string{"file": "js/pages/login.js"}, true},
		{"GET", "/console/a%2Fb/c%20d", "/console/{file...}", map[string]string{"file": "a/b/c d"}, true},
		// A fixed route wins over the rest.
		{"GET", "/console/api/v", "/console/api/{x}", map[string]string{"x": "v"}, true},
		{"GET", "/console/api/v/w", "/console/{file...}", map[string]string{"file": "api/v/w"}, true},
		// Parameters before the rest.
		{"GET", "/files/b1/k/e/y", "/files/{bucket}/{key...}", map[string]string{"bucket": "b1", "key": "k/e/y"}, true},
		{"GET", "/files/b1", "", nil, false}, // the rest takes one segment at least
		{"POST", "/console/js/app.js", "", nil, true},
		// A fixed route of another method does not hide the rest route of this one.
		{"GET", "/console/upload", "/console/{file...}", map[string]string{"file": "upload"}, true},
		{"POST", "/console/upload", "/console/upload", nil, true},
		{"GET", "/consoles/x", "", nil, false},
	}
	checkMatches(t, rt, tests)
}
