package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The DMS path set cannot be served by http.ServeMux: patterns such as
// GET /v2/{engine}/{project_id}/instances/{instance_id}/groups/{group} and
// GET /v2/{project_id}/instances/{instance_id}/management/groups/{group} overlap and ServeMux panics at
// registration. Router matches by specificity instead: of the routes whose pattern matches the path and
// whose method matches, the one with a literal at the first segment where they differ wins. Matching
// the method first matters: a consumer group named "batch-delete" must reach GET .../groups/{group},
// not the POST .../groups/batch-delete route.

// authMode says what a route requires of its caller.
type authMode int

const (
	authSigned authMode = iota // AK/SK or token, then the route's action in the path's project
	authNone                   // health, token issuance, spec
	authAdmin                  // an account administrator (the OpenDMS admin API)
)

type route struct {
	spec    RouteSpec
	segs    []string // pattern segments; "{name}" for parameters
	params  []string // params[i] is the name of the parameter segs[i], "" for a literal
	auth    authMode
	handler http.Handler // nil: not implemented yet (501)
	// rest: the last parameter, written {name...}, takes one or more segments, the rest of the path
	// (the console's files, at any depth).
	rest bool
}

// Router is an ordered-by-specificity router over RouteSpecs.
type Router struct {
	routes []*route
	byKey  map[string]*route
	// bySegments lists the routes by their number of segments (in registration order): only those
	// can match a path, so a request compares a few dozen routes, not all of them.
	bySegments map[int][]*route
	// withRest lists the routes ending in {name...}: they are tried when no other route matches.
	withRest []*route
}

func newRouter() *Router {
	return &Router{byKey: make(map[string]*route), bySegments: make(map[int][]*route)}
}

func routeKey(method, pattern string) string { return method + " " + pattern }

// add registers a route (its handler may be nil until implemented).
func (rt *Router) add(spec RouteSpec, auth authMode, h http.Handler) {
	key := routeKey(spec.Method, spec.Pattern)
	if _, dup := rt.byKey[key]; dup {
		panic("duplicate route " + key)
	}
	r := &route{spec: spec, segs: splitPattern(spec.Pattern), auth: auth, handler: h}
	r.params = make([]string, len(r.segs))
	for i, s := range r.segs {
		if isParam(s) {
			r.params[i] = s[1 : len(s)-1]
		}
	}
	if last := len(r.params) - 1; strings.HasSuffix(r.params[last], "...") {
		r.params[last] = strings.TrimSuffix(r.params[last], "...")
		r.rest = true
	}
	rt.routes = append(rt.routes, r)
	rt.byKey[key] = r
	if r.rest {
		rt.withRest = append(rt.withRest, r)
		return
	}
	rt.bySegments[len(r.segs)] = append(rt.bySegments[len(r.segs)], r)
}

// implement attaches a handler to a route of the table. Implementing a route that is not in the table
// is a programming error.
func (rt *Router) implement(method, pattern string, h http.Handler) {
	r, ok := rt.byKey[routeKey(method, pattern)]
	if !ok {
		panic("implement: no route " + routeKey(method, pattern))
	}
	r.handler = h
}

func splitPattern(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// match finds the route for method and escaped path. It returns the route and its decoded path
// parameters; with no route, pathKnown says whether some other method serves the path (405 vs 404).
func (rt *Router) match(method, escapedPath string) (best *route, params map[string]string, pathKnown bool) {
	best, segs, pathKnown := rt.matchSegments(method, escapedPath, nil)
	if best == nil {
		return nil, nil, pathKnown
	}
	params = make(map[string]string, 4)
	for i, name := range best.params {
		if name != "" {
			params[name] = best.paramValue(segs, i)
		}
	}
	return best, params, true
}

// matchSegments is match without the map: it returns the decoded path segments (appended to buf),
// of which the route's params name the parameters. The request path uses it with a buffer on its
// stack.
func (rt *Router) matchSegments(method, escapedPath string, buf []string) (best *route, segs []string, pathKnown bool) {
	rest := strings.Trim(escapedPath, "/")
	segs = buf[:0]
	for {
		seg, tail, more := strings.Cut(rest, "/")
		if strings.IndexByte(seg, '%') >= 0 { // without one, decoding changes nothing
			d, err := url.PathUnescape(seg)
			if err != nil {
				return nil, nil, false
			}
			seg = d
		}
		segs = append(segs, seg)
		if !more {
			break
		}
		rest = tail
	}
	for _, r := range rt.bySegments[len(segs)] {
		if !r.matches(segs) {
			continue
		}
		pathKnown = true
		if r.spec.Method != method {
			continue
		}
		if best == nil || moreSpecific(r, best) {
			best = r
		}
	}
	if best == nil {
		for _, r := range rt.withRest {
			if !r.matchesRest(segs) {
				continue
			}
			pathKnown = true
			// Of two, the one with more literal segments before the rest wins.
			if r.spec.Method == method && (best == nil || len(r.segs) > len(best.segs)) {
				best = r
			}
		}
	}
	if best == nil {
		return nil, nil, pathKnown
	}
	return best, segs, true
}

// paramValue is the value of the parameter params[i] in the decoded segments: the rest of the path,
// its segments joined by "/", for a {name...} parameter.
func (r *route) paramValue(segs []string, i int) string {
	if r.rest && i == len(r.params)-1 {
		return strings.Join(segs[i:], "/")
	}
	return segs[i]
}

// matchesRest is matches for a route ending in {name...}: the segments before it match and at least
// one segment is left for it.
func (r *route) matchesRest(segs []string) bool {
	if len(segs) < len(r.segs) {
		return false
	}
	return r.matches(segs[:len(r.segs)])
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

func (r *route) matches(segs []string) bool {
	if len(segs) != len(r.segs) {
		return false
	}
	for i, s := range r.segs {
		if r.params[i] != "" {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if s != segs[i] {
			return false
		}
	}
	return true
}

// moreSpecific reports whether a beats b: at the first segment where one has a literal and the other a
// parameter, the literal wins.
func moreSpecific(a, b *route) bool {
	for i := range a.segs {
		pa, pb := a.params[i] != "", b.params[i] != ""
		if pa != pb {
			return !pa
		}
	}
	return false
}

// String describes a route for logs and `dmsd routes`.
func (r *route) String() string {
	return fmt.Sprintf("%s %s", r.spec.Method, r.spec.Pattern)
}
