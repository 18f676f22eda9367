package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/dms"
)

// TestTopicsListNameFilter: 5.5.3's name (an OpenDMS extension the console's topic list sends)
// keeps the topics whose name contains it, ignoring case, before paging; total counts the matches.
// The SDK, which does not send it, lists every topic as before.
func TestTopicsListNameFilter(t *testing.T) {
	te := newTopicEnv(t, "kafka-topics-name")
	for n, parts := range map[string]int32{"orders-eu": 3, "orders-us": 1, "payments": 2, "ORDERS_archive": 1} {
		te.create(t, &model.CreateInstanceTopicReq{Id: n, Partition: tpI32(parts), Replication: tpI32(1)})
	}
	list := func(t *testing.T, query url.Values) (int, []string, *http.Response, []byte) {
		t.Helper()
		resp, body := te.do(t, "GET", "/v2/"+te.ProjectID+"/instances/"+te.id+"/topics?"+query.Encode(), nil)
		var out struct {
			Total  int `json:"total"`
			Topics []struct {
				Name string `json:"name"`
			} `json:"topics"`
		}
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
		}
		var names []string
		for _, tp := range out.Topics {
			names = append(names, tp.Name)
		}
		return out.Total, names, resp, body
	}
	cases := []struct {
		name, filter, offset, limit string
		sortKey, sortDir            string
		total                       int
		want                        []string
	}{
		// sort_key/sort_dir (OpenDMS extension): ordered before paging; partitions ties by name.
		{"by name descending", "", "", "50", "name", "desc", 4, []string{"payments", "orders-us", "orders-eu", "ORDERS_archive"}},
		{"by partitions", "", "", "50", "partitions", "", 4, []string{"ORDERS_archive", "orders-us", "payments", "orders-eu"}},
		{"by partitions descending, paged", "", "0", "2", "partitions", "desc", 4, []string{"orders-eu", "payments"}},
		{"filtered and sorted", "order", "1", "1", "name", "desc", 3, []string{"orders-eu"}},
		{"no filter", "", "", "50", "", "", 4, []string{"ORDERS_archive", "orders-eu", "orders-us", "payments"}},
		{"part of names, any case", "order", "", "50", "", "", 3, []string{"ORDERS_archive", "orders-eu", "orders-us"}},
		{"paged after filtering", "ORDERS", "1", "1", "", "", 3, []string{"orders-eu"}},
		{"spaces trimmed", "  pay ", "", "", "", "", 1, []string{"payments"}},
		{"no match", "nothing", "", "", "", "", 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range map[string]string{"name": c.filter, "offset": c.offset, "limit": c.limit, "sort_key": c.sortKey, "sort_dir": c.sortDir} {
				if v != "" {
					q.Set(k, v)
				}
			}
			total, names, resp, body := list(t, q)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if total != c.total || !slices.Equal(names, c.want) {
				t.Fatalf("total %d names %v, want %d %v", total, names, c.total, c.want)
			}
		})
	}
	for _, bad := range []url.Values{{"sort_key": {"size"}}, {"sort_dir": {"up"}}} {
		t.Run("bad sort "+bad.Encode(), func(t *testing.T) {
			_, _, resp, body := list(t, bad)
			if resp.StatusCode != http.StatusBadRequest || decodeError(t, body).ErrorCode != dms.CodeInvalidParameter {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
		})
	}
	t.Run("too long", func(t *testing.T) {
		_, _, resp, body := list(t, url.Values{"name": {strings.Repeat("a", 201)}})
		if resp.StatusCode != http.StatusBadRequest || decodeError(t, body).ErrorCode != dms.CodeInvalidParameter {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	})
	t.Run("sdk lists everything", func(t *testing.T) {
		if got := te.list(t); len(got) != 4 {
			t.Fatalf("sdk listed %d topics", len(got))
		}
	})
}
