package connectplugins

import (
	"bytes"
	"path"
	"strings"
	"testing"
)

func TestSourceMatchesNames(t *testing.T) {
	pkg, class := path.Split(strings.TrimSuffix(PolicySourcePath, ".java"))
	if want := strings.ReplaceAll(strings.TrimSuffix(pkg, "/"), "/", ".") + "." + class; PolicyClass != want {
		t.Errorf("PolicyClass %s, PolicySourcePath says %s", PolicyClass, want)
	}
	for _, s := range []string{
		"package " + strings.TrimSuffix(PolicyClass, "."+class) + ";",
		"public class " + class + " extends IdentityReplicationPolicy",
		`TOPICS_MAPPING_CONFIG = "` + MappingConfig + `"`,
	} {
		if !bytes.Contains(PolicySource, []byte(s)) {
			t.Errorf("PolicySource lacks %q", s)
		}
	}
	if len(SourceSHA256()) != 64 {
		t.Errorf("SourceSHA256 %q", SourceSHA256())
	}
}

func TestMapping(t *testing.T) {
	for _, c := range []struct {
		pairs [][2]string
		want  string
		ok    bool
	}{
		{nil, "", true},
		{[][2]string{{"a", "b"}}, "a:b", true},
		{[][2]string{{"orders", "orders.copy"}, {"x_1", "y-2"}, {"b", "a"}}, "orders:orders.copy,x_1:y-2,b:a", true},
		{[][2]string{{"a", "a"}}, "a:a", true}, // renaming to itself is the identity
		{[][2]string{{"a", "b"}, {"a", "c"}}, "", false},
		{[][2]string{{"a", "c"}, {"b", "c"}}, "", false},
		{[][2]string{{"a:b", "c"}}, "", false},
		{[][2]string{{"a,b", "c"}}, "", false},
		{[][2]string{{"a", " b"}}, "", false},
		{[][2]string{{"", "b"}}, "", false},
		{[][2]string{{"a", ".."}}, "", false},
		{[][2]string{{strings.Repeat("x", 250), "b"}}, "", false},
	} {
		got, err := Mapping(c.pairs)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Mapping(%q) = %q, %v", c.pairs, got, err)
		}
	}
}
