package iam

import "testing"

func TestEvaluate(t *testing.T) {
	full := mustParse(t, SystemRoles[0].Document)
	ro := mustParse(t, SystemRoles[1].Document)
	denyDelete := mustParse(t, `{"Version":"1.1","Statement":[{"Effect":"Deny","Action":["dms:instance:delete"]}]}`)
	tests := []struct {
		name   string
		docs   []PolicyDocument
		action string
		want   Decision
	}{
		{"full access creates", []PolicyDocument{full}, "dms:instance:create", Allowed},
		{"read-only gets", []PolicyDocument{ro}, "dms:instance:get", Allowed},
		{"read-only lists", []PolicyDocument{ro}, "dms:instance:list", Allowed},
		{"read-only reads tasks", []PolicyDocument{ro}, "dms:instance:getBackgroundTask", Allowed},
		{"read-only cannot modify", []PolicyDocument{ro}, "dms:instance:modify", NoMatch},
		{"read-only cannot create", []PolicyDocument{ro}, "dms:instance:create", NoMatch},
		{"deny wins over allow", []PolicyDocument{full, denyDelete}, "dms:instance:delete", Denied},
		{"deny of another action", []PolicyDocument{full, denyDelete}, "dms:instance:modify", Allowed},
		{"no policies", nil, "dms:instance:get", NoMatch},
		{"case-insensitive", []PolicyDocument{mustParse(t, `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["DMS:Instance:GET"]}]}`)}, "dms:instance:get", Allowed},
	}
	for _, tt := range tests {
		if got := Evaluate(tt.docs, tt.action); got != tt.want {
			t.Errorf("%s: Evaluate(%s) = %v, want %v", tt.name, tt.action, got, tt.want)
		}
	}
}

func TestParsePolicyRejects(t *testing.T) {
	bad := []string{
		``,
		`{}`,
		`{"Version":"1.1","Statement":[]}`,
		`{"Version":"2","Statement":[{"Effect":"Allow","Action":["dms:*:*"]}]}`,
		`{"Version":"1.1","Statement":[{"Effect":"Maybe","Action":["dms:*:*"]}]}`,
		`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":[]}]}`,
		`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms"]}]}`,
		`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:*:*"],"Condition":{}}]}`,
		`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:*:*"],"Resource":["dms:*:*:instance:x"]}]}`,
	}
	for _, doc := range bad {
		if _, err := ParsePolicy(doc); err == nil {
			t.Errorf("ParsePolicy(%q) accepted", doc)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"dms:*:*", "dms:instance:get", true},
		{"dms:*:get*", "dms:instance:getBackgroundTask", true},
		{"dms:*:get*", "dms:instance:list", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"abc", "abcd", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("globMatch(%q,%q) = %v", tt.p, tt.s, got)
		}
	}
}

func TestPasswordAndSealer(t *testing.T) {
	h, err := HashPassword("s3cret-Pass")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "s3cret-Pass") || CheckPassword(h, "s3cret-pass") || CheckPassword("garbage", "x") {
		t.Fatal("CheckPassword wrong")
	}
	s, err := NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("sk-value"))
	if string(sealed) == "sk-value" {
		t.Fatal("not sealed")
	}
	got, err := s.Open(sealed)
	if err != nil || string(got) != "sk-value" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed); err == nil {
		t.Fatal("tampered secret opened")
	}
}

func mustParse(t *testing.T, doc string) PolicyDocument {
	t.Helper()
	p, err := ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
