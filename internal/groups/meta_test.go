package groups

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
)

func TestCheckName(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"orders", true}, {"_private", true}, {"a.b-c_d", true}, {"abc", true}, {strings.Repeat("g", 64), true},
		{"", false}, {"ab", false}, {"1abc", false}, {"-abc", false}, {".abc", false}, {"a b c", false}, {"a/b/c", false},
		{"grüppe", false}, {strings.Repeat("g", 65), false},
	} {
		err := checkName(tt.name)
		if tt.ok != (err == nil) {
			t.Errorf("checkName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && dms.AsError(err).Code != dms.CodeGroupIDInvalid {
			t.Errorf("checkName(%q) code %s", tt.name, dms.AsError(err).Code)
		}
	}
	long := strings.Repeat("é", maxDescription)
	if err := checkDescription(&long); err != nil {
		t.Errorf("%d characters: %v", maxDescription, err)
	}
	long += "x"
	if err := checkDescription(&long); dms.AsError(err).Code != dms.CodeInvalidParameter {
		t.Errorf("%d characters: %v", maxDescription+1, err)
	}
}

func TestWithCreated(t *testing.T) {
	now := time.Now()
	listed := []kafkaops.ListedGroup{{Name: "b", State: "Stable"}, {Name: "d", State: "Empty"}}
	recs := map[string]dms.GroupMeta{
		"a": {Name: "a", CreatedAt: now},        // created, not in Kafka: added
		"b": {Name: "b", CreatedAt: now},        // created, now in Kafka: Kafka's
		"c": {Name: "c", Description: "stale"},  // a description of a group Kafka no longer has: not shown
		"d": {Name: "d", Description: "in use"}, // a description of a Kafka group
		"e": {Name: "e", CreatedAt: now.Add(1)}, // created: added
	}
	got, only := withCreated(slices.Clone(listed), recs)
	var names []string
	for _, g := range got {
		names = append(names, g.Name+":"+g.State)
	}
	if want := []string{"a:Empty", "b:Stable", "d:Empty", "e:Empty"}; !slices.Equal(names, want) {
		t.Errorf("groups %v, want %v", names, want)
	}
	if len(only) != 2 || !only["a"] || !only["e"] {
		t.Errorf("only stored %v", only)
	}
	g := onlyCreated(recs["a"], map[string]int32{"a": 2})
	if g.Coordinator != 2 || g.State != "Empty" || g.Members == nil || g.Offsets == nil || !g.CreatedAt.Equal(now) {
		t.Errorf("onlyCreated = %+v", g)
	}
}
