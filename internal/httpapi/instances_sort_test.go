package httpapi

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
)

// TestListInstancesSort covers 5.1.2's OpenDMS extension sort_key/sort_dir (the console sorts its
// instance list on the server): each order with paging, the default order (oldest first, as the
// reference has it), and bad values refused with a 400.
func TestListInstancesSort(t *testing.T) {
	e := newTestEnv(t)
	c := e.kafkaClient(t)
	created := []string{"sort-bbb", "sort-ccc", "sort-aaa"} // creation order differs from name order
	for _, name := range created {
		if _, err := c.CreateInstanceByEngine(createReq(e, t, name)); err != nil {
			t.Fatal(err)
		}
	}
	list := func(query string) (names []string, total int) {
		t.Helper()
		resp, b := e.do(t, "GET", instancesPath(e.ProjectID)+"?"+query, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("list ?%s: %d %s", query, resp.StatusCode, b)
		}
		var out struct {
			Instances []struct {
				Name string `json:"name"`
			} `json:"instances"`
			InstanceNum int `json:"instance_num"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		for _, in := range out.Instances {
			names = append(names, in.Name)
		}
		return names, out.InstanceNum
	}
	cases := []struct {
		query string
		want  []string
	}{
		{"", created},
		{"sort_key=created_at", created},
		{"sort_key=created_at&sort_dir=desc", []string{"sort-aaa", "sort-ccc", "sort-bbb"}},
		{"sort_key=name", []string{"sort-aaa", "sort-bbb", "sort-ccc"}},
		{"sort_key=name&sort_dir=asc", []string{"sort-aaa", "sort-bbb", "sort-ccc"}},
		{"sort_key=name&sort_dir=desc", []string{"sort-ccc", "sort-bbb", "sort-aaa"}},
		// Paging applies after sorting: the second page of the name order.
		{"sort_key=name&offset=1&limit=2", []string{"sort-bbb", "sort-ccc"}},
		{"sort_key=name&sort_dir=desc&offset=2&limit=1", []string{"sort-aaa"}},
		// Sorting and filtering together: the fuzzy name filter keeps two.
		{"sort_key=name&sort_dir=desc&name=sort-b", []string{"sort-bbb"}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			got, total := list(tc.query)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("?%s: %v, want %v", tc.query, got, tc.want)
			}
			if tc.query != "sort_key=name&sort_dir=desc&name=sort-b" && total != 3 {
				t.Fatalf("?%s: instance_num %d, want 3", tc.query, total)
			}
		})
	}
	// status: one instance RESTARTING (its restart held), the others RUNNING. RESTARTING sorts
	// before RUNNING; equal statuses keep the creation order (bbb before aaa).
	ids := map[string]string{}
	resp, b := e.do(t, "GET", instancesPath(e.ProjectID), nil)
	var all struct {
		Instances []struct {
			Name string `json:"name"`
			ID   string `json:"instance_id"`
		} `json:"instances"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &all) != nil {
		t.Fatalf("list: %d %s", resp.StatusCode, b)
	}
	for _, in := range all.Instances {
		ids[in.Name] = in.ID
		waitInstance(t, c, in.ID, "RUNNING")
	}
	var once sync.Once
	hold := e.Gate.hold()
	release := func() { once.Do(hold) } // also on a failure below, once
	defer release()
	if resp, b := e.do(t, "POST", instancesPath(e.ProjectID)+"/action", map[string]any{"action": "restart", "instances": []string{ids["sort-ccc"]}}); resp.StatusCode != 200 {
		t.Fatalf("restart: %d %s", resp.StatusCode, b)
	}
	waitInstance(t, c, ids["sort-ccc"], "RESTARTING")
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"sort_key=status", []string{"sort-ccc", "sort-bbb", "sort-aaa"}},
		{"sort_key=status&sort_dir=desc", []string{"sort-bbb", "sort-aaa", "sort-ccc"}},
	} {
		if got, _ := list(tc.query); !slices.Equal(got, tc.want) {
			t.Fatalf("?%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	release()
	waitInstance(t, c, ids["sort-ccc"], "RUNNING")
	for _, bad := range []string{"sort_key=size", "sort_key=NAME", "sort_dir=up", "sort_key=name&sort_dir=DESC"} {
		resp, b := e.do(t, "GET", instancesPath(e.ProjectID)+"?"+bad, nil)
		if resp.StatusCode != 400 || decodeError(t, b).ErrorCode != "DMS.00400062" {
			t.Fatalf("?%s: %d %s, want 400 DMS.00400062", bad, resp.StatusCode, b)
		}
	}
}
