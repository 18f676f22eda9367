package groups

import (
	"slices"
	"testing"

	"github.com/opendms/opendms/internal/dms"
)

func TestState(t *testing.T) {
	for in, want := range map[string]string{
		"Stable": "STABLE", "Empty": "EMPTY", "PreparingRebalance": "PREPARINGREBALANCE",
		"CompletingRebalance": "COMPLETINGREBALANCE", "Dead": "DEAD", "Assigning": "PREPARINGREBALANCE",
		"Reconciling": "COMPLETINGREBALANCE",
	} {
		if got := State(in); got != want {
			t.Errorf("State(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestParseTopicsQuery(t *testing.T) {
	tests := []struct {
		key, dir string
		want     TopicsQuery
		bad      bool
	}{
		{"", "", TopicsQuery{SortKey: "messages", Desc: true}, false},
		{"topic", "asc", TopicsQuery{SortKey: "topic"}, false},
		{"partition", "desc", TopicsQuery{SortKey: "partition", Desc: true}, false},
		{"lag", "", TopicsQuery{}, true},
		{"topic", "up", TopicsQuery{}, true},
	}
	for _, tt := range tests {
		q, err := ParseTopicsQuery("", tt.key, tt.dir)
		if tt.bad {
			if dms.AsError(err).Code != dms.CodeInvalidParameter {
				t.Errorf("%q %q: err %v, want invalid parameter", tt.key, tt.dir, err)
			}
			continue
		}
		if err != nil || q != tt.want {
			t.Errorf("%q %q = %+v %v, want %+v", tt.key, tt.dir, q, err, tt.want)
		}
	}
}

func TestPage(t *testing.T) {
	items := []int{0, 1, 2, 3, 4}
	tests := []struct {
		offset, limit int
		want          []int
	}{
		{0, 2, []int{0, 1}}, {4, 2, []int{4}}, {5, 2, []int{}}, {9, 1, []int{}}, {1, 0, []int{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		if got := page(items, tt.offset, tt.limit); !slices.Equal(got, tt.want) {
			t.Errorf("page(%d, %d) = %v, want %v", tt.offset, tt.limit, got, tt.want)
		}
	}
}
