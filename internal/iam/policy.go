package iam

import (
	"encoding/json"
	"fmt"
	"strings"
)

// PolicyDocument is the IAM JSON policy form: Allow/Deny statements over actions with '*' wildcards.
// Deny wins over Allow; no matching Allow means deny.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of a policy.
type PolicyStatement struct {
	Effect string   `json:"Effect"`
	Action []string `json:"Action"`
	// Resource is accepted only as absent or "*": OpenDMS does not scope policies to single
	// instances yet, and silently ignoring a narrower Resource would grant more than was written.
	Resource []string `json:"Resource,omitempty"`
}

// ParsePolicy parses and validates a policy document.
func ParsePolicy(doc string) (PolicyDocument, error) {
	var p PolicyDocument
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields() // a Condition we do not evaluate must not be accepted silently
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("policy: %w", err)
	}
	if p.Version != "1.1" && p.Version != "1.0" {
		return p, fmt.Errorf("policy: Version must be \"1.1\"")
	}
	if len(p.Statement) == 0 {
		return p, fmt.Errorf("policy: no Statement")
	}
	for i, s := range p.Statement {
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return p, fmt.Errorf("policy: Statement[%d].Effect must be Allow or Deny", i)
		}
		if len(s.Action) == 0 {
			return p, fmt.Errorf("policy: Statement[%d] has no Action", i)
		}
		for _, a := range s.Action {
			if len(strings.Split(a, ":")) != 3 {
				return p, fmt.Errorf("policy: Statement[%d].Action %q must be service:resource:action", i, a)
			}
		}
		for _, r := range s.Resource {
			if r != "*" {
				return p, fmt.Errorf("policy: Statement[%d].Resource %q: only \"*\" is supported", i, r)
			}
		}
	}
	return p, nil
}

// Decision is the outcome of evaluating policies for one action.
type Decision int

const (
	NoMatch Decision = iota // nothing allows it: denied
	Allowed
	Denied // an explicit Deny
)

// Evaluate applies the documents to an action: any matching Deny denies, else any matching Allow allows.
func Evaluate(docs []PolicyDocument, action string) Decision {
	d := NoMatch
	for _, doc := range docs {
		for _, s := range doc.Statement {
			if !anyMatch(s.Action, action) {
				continue
			}
			if s.Effect == "Deny" {
				return Denied
			}
			d = Allowed
		}
	}
	return d
}

func anyMatch(patterns []string, action string) bool {
	for _, p := range patterns {
		if globMatch(strings.ToLower(p), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// globMatch matches s against p where '*' matches any run of characters (IAM action wildcards).
func globMatch(p, s string) bool {
	// Iterative wildcard matching with backtracking to the last '*'.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == s[si]:
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// SystemRole is a built-in role.
type SystemRole struct {
	Name        string
	Description string
	Document    string
}

// SystemRoles are the built-in DMS roles, with the actions Huawei Cloud's roles of the same names grant.
var SystemRoles = []SystemRole{
	{
		Name:        "DMS FullAccess",
		Description: "All permissions for DMS.",
		Document:    `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:*:*"]}]}`,
	},
	{
		Name:        "DMS ReadOnlyAccess",
		Description: "Read-only permissions for DMS.",
		Document:    `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:*:get*","dms:*:list*"]}]}`,
	},
	{
		Name:        "DMS UserAccess",
		Description: "Common user permissions for DMS, excluding creating, modifying, deleting and scaling instances.",
		Document: `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:*:*"]},` +
			`{"Effect":"Deny","Action":["dms:instance:create","dms:instance:modify","dms:instance:delete","dms:instance:scale"]}]}`,
	},
}
