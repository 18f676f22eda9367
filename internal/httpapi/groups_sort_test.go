package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/dms"
)

// TestGroupsListSort: 5.6.2 lists groups by name; sort_dir=desc (the console's sort, an OpenDMS
// extension) reverses that before paging; other keys and directions are refused.
func TestGroupsListSort(t *testing.T) {
	ce := newClusterEnv(t, "groups-sort")
	for _, g := range []string{"bravo", "alpha", "charlie"} {
		if _, err := ce.sdk.CreateKafkaConsumerGroup(&model.CreateKafkaConsumerGroupRequest{InstanceId: ce.id,
			Body: &model.CreateGroupReq{GroupName: g}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		query  string
		status int
		total  int
		want   []string
	}{
		{"", 200, 3, []string{"alpha", "bravo", "charlie"}},
		{"sort_key=name&sort_dir=asc", 200, 3, []string{"alpha", "bravo", "charlie"}},
		{"sort_dir=desc&limit=2", 200, 3, []string{"charlie", "bravo"}},
		{"sort_key=name&sort_dir=desc&offset=2&limit=2", 200, 3, []string{"alpha"}},
		{"sort_key=lag", 400, 0, nil},
		{"sort_dir=down", 400, 0, nil},
	} {
		t.Run(c.query, func(t *testing.T) {
			resp, body := ce.do(t, "GET", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/groups?"+c.query, nil)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if c.status != http.StatusOK {
				if code := decodeError(t, body).ErrorCode; code != dms.CodeInvalidParameter {
					t.Fatalf("code %s", code)
				}
				return
			}
			var out struct {
				Total  int `json:"total"`
				Groups []struct {
					GroupID string `json:"group_id"`
				} `json:"groups"`
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range out.Groups {
				names = append(names, g.GroupID)
			}
			if out.Total != c.total || !slices.Equal(names, c.want) {
				t.Fatalf("total %d %v, want %d %v", out.Total, names, c.total, c.want)
			}
		})
	}
}
