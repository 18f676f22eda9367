package httpapi

// RouteSpec is one API of the DMS for Kafka reference (chapters 5 and 7) or one path variant that the
// official SDKs send instead of the reference's form. The table of them (routes_table.go) is the single
// list every route is registered from, so `dmsd routes` and the router can never disagree.
type RouteSpec struct {
	// Section is the reference section ("5.1.1", "7.2.3.2"). SDK-only operations that have no section
	// use "sdk".
	Section string
	// Op is the official Go SDK operation name (kafka/v2), or "" when the SDK has none.
	Op string
	// Title is the reference's heading (or the SDK operation's meaning for SDK-only routes).
	Title string
	// Method is the HTTP method.
	Method string
	// Pattern is the path with {param} segments, e.g. "/v2/{engine}/{project_id}/instances".
	Pattern string
	// Action is the IAM action the caller must be allowed ("dms:instance:create"), from permissions.tsv
	// where listed, else the nearest one.
	Action string
	// Variant says where the form comes from: "" the reference's own form; "sdk" a path the SDK sends
	// instead of (or besides) the reference's; "fixed" a reference path repaired (e.g. a missing "/").
	Variant string
}
