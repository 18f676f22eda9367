package httpapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
)

// v1CreateBody is a valid 7.1.1.1 request for a 100MB (3-broker) instance in the first AZ.
func v1CreateBody(e *testEnv, name string) map[string]any {
	return map[string]any{
		"name": name, "engine": "kafka", "engine_version": "2.3.0", "specification": "100MB",
		"storage_space": 600, "partition_num": 300, "vpc_id": "vpc-1", "security_group_id": "sg-1", "subnet_id": "subnet-1",
		"available_zones": []string{e.Server.catalog.AZs()[0].ID}, "product_id": "00300-30308-0--0",
		"kafka_manager_user": "manager_1", "kafka_manager_password": "Mgr-pass1x", "storage_spec_code": "dms.physical.storage.high",
	}
}

// v1Path is /v1.0/{project_id}/instances followed by rest.
func (e *testEnv) v1Path(rest string) string { return "/v1.0/" + e.ProjectID + "/instances" + rest }

// v1Show answers GET /v1.0/{project_id}/instances/{id} decoded into a map (to see the JSON types).
func v1Show(t *testing.T, e *testEnv, id string) (int, map[string]any, []byte) {
	t.Helper()
	resp, b := e.do(t, "GET", e.v1Path("/"+id), nil)
	var m map[string]any
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("show: %v: %s", err, b)
		}
	}
	return resp.StatusCode, m, b
}

// waitInstanceV1 polls the V1 show API until the status is want.
func waitInstanceV1(t *testing.T, e *testEnv, id, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last map[string]any
	for time.Now().Before(deadline) {
		code, m, b := v1Show(t, e, id)
		if code != 200 {
			t.Fatalf("show %s: %d %s", id, code, b)
		}
		last = m
		if m["status"] == want {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("instance %s is %v, want %s", id, last["status"], want)
	return nil
}

func wantDMSError(t *testing.T, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
	}
	if got := decodeError(t, body).ErrorCode; got != wantCode {
		t.Fatalf("error_code %s, want %s: %s", got, wantCode, body)
	}
}

func TestCreateInstanceV1Validation(t *testing.T) {
	e := newTestEnv(t)
	resp, b := e.do(t, "POST", e.v1Path(""), v1CreateBody(e, "kafka-taken"))
	if resp.StatusCode != 200 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	azs := e.Server.catalog.AZs()
	set := func(kv ...any) func(map[string]any) {
		return func(m map[string]any) {
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
		}
	}
	del := func(keys ...string) func(map[string]any) {
		return func(m map[string]any) {
			for _, k := range keys {
				delete(m, k)
			}
		}
	}
	tag := func(k, v string) []map[string]string { return []map[string]string{{"key": k, "value": v}} }
	ssl := func(kv ...any) func(map[string]any) { return set(append([]any{"ssl_enable", true}, kv...)...) }
	public := func(kv ...any) func(map[string]any) {
		return set(append([]any{"enable_publicip", true, "publicip_id", "eip-1"}, kv...)...)
	}
	tests := []struct {
		name   string
		mutate func(map[string]any)
		status int
		code   string
	}{
		{"name starting with a digit", set("name", "1kafka"), 400, "DMS.00400010"},
		{"name too short", set("name", "kaf"), 400, "DMS.00400010"},
		{"name with a dot", set("name", "kafka.1"), 400, "DMS.00400010"},
		{"name too long", set("name", "k"+strings.Repeat("a", 64)), 400, "DMS.00400010"},
		{"name taken", set("name", "kafka-taken"), 400, "DMS.00400060"},
		{"description too long", set("description", strings.Repeat("d", 1025)), 400, "DMS.00400011"},
		{"no engine", del("engine"), 400, "DMS.00400062"},
		{"other engine", set("engine", "rabbitmq"), 400, "DMS.00400007"},
		{"unknown version", set("engine_version", "0.8"), 400, "DMS.00400008"},
		{"unknown product", set("product_id", "00300-99999-0--0"), 400, "DMS.00400009"},
		{"monthly product", set("product_id", "00300-30309-0--0"), 400, "DMS.00400009"},
		{"V2 product", set("product_id", "c6.2u4g.cluster"), 400, "DMS.00400009"},
		{"unknown specification", set("specification", "250MB"), 400, "DMS.00400062"},
		{"specification of another product", set("specification", "300MB"), 400, "DMS.00400029"},
		{"storage below the specification's range", set("storage_space", 599), 400, "DMS.00400500"},
		{"storage above the range", set("storage_space", 90001), 400, "DMS.00400500"},
		{"partition_num of another specification", set("partition_num", 900), 400, "DMS.00400062"},
		{"V2 storage spec code", set("storage_spec_code", "dms.physical.storage.ultra.v2"), 400, "DMS.00400125"},
		{"high I/O for 600MB", set("product_id", "00300-30312-0--0", "specification", "600MB", "storage_space", 2400, "partition_num", 1800), 400, "DMS.00400125"},
		{"empty vpc", set("vpc_id", ""), 400, "DMS.00400013"},
		{"empty security group", set("security_group_id", " "), 400, "DMS.00400014"},
		{"empty subnet", del("subnet_id"), 400, "DMS.00400016"},
		{"no AZ", set("available_zones", []string{}), 400, "DMS.00400062"},
		{"two AZs", set("available_zones", []string{azs[0].ID, azs[1].ID}), 400, "DMS.00400062"},
		{"unknown AZ", set("available_zones", []string{"nowhere"}), 400, "DMS.00400042"},
		{"no manager user", del("kafka_manager_user"), 400, "DMS.00400015"},
		{"manager user with a dot", set("kafka_manager_user", "root.1"), 400, "DMS.00400015"},
		{"no manager password", del("kafka_manager_password"), 400, "DMS.00400019"},
		{"manager password of one kind", set("kafka_manager_password", "passwordpassword"), 400, "DMS.00400019"},
		{"manager password starting with -", set("kafka_manager_password", "-Passw0rdx"), 400, "DMS.00400019"},
		{"manager password with $", set("kafka_manager_password", "Passw0rd$"), 400, "DMS.00400019"},
		{"window as HH:mm", set("maintain_begin", "02:00", "maintain_end", "06:00"), 400, "DMS.00400106"},
		{"window begin only", set("maintain_begin", "02:00:00"), 400, "DMS.00400106"},
		{"window not offered", set("maintain_begin", "03:00:00", "maintain_end", "07:00:00"), 400, "DMS.00400106"},
		{"SSL without a user", ssl(), 400, "DMS.00400015"},
		{"SSL user with an underscore", ssl("access_user", "root_1", "password", "Passw0rd-x"), 400, "DMS.00400015"},
		{"SSL with a weak password", ssl("access_user", "root-1", "password", "password"), 400, "DMS.00400012"},
		{"public access without an EIP", set("enable_publicip", true), 400, "DMS.00400128"},
		{"public bandwidth not a multiple of the brokers", public("public_bandwidth", "4"), 400, "DMS.00400128"},
		{"public bandwidth above the range", public("public_bandwidth", "903"), 400, "DMS.00400128"},
		{"public bandwidth below the range (a number)", public("public_bandwidth", 0), 400, "DMS.00400128"},
		{"public bandwidth not a number", public("public_bandwidth", "fast"), 400, "DMS.00400128"},
		{"bad retention policy", set("retention_policy", "forever"), 400, "DMS.00400062"},
		{"empty tag key", set("tags", tag("", "v")), 400, "DMS.10240035"},
		{"tag key too long", set("tags", tag(strings.Repeat("k", 37), "v")), 400, "DMS.10240035"},
		{"tag key with =", set("tags", tag("a=b", "v")), 400, "DMS.10240036"},
		{"empty tag value", set("tags", tag("k", "")), 400, "DMS.10240038"},
		{"tag value too long", set("tags", tag("k", strings.Repeat("v", 44))), 400, "DMS.10240038"},
		{"tag value with /", set("tags", tag("k", "a/b")), 400, "DMS.10240039"},
		{"tag key twice", set("tags", []map[string]string{{"key": "k", "value": "1"}, {"key": "k", "value": "2"}}), 400, "DMS.10240045"},
		{"storage_space as a string", set("storage_space", "600"), 400, "DMS.00400085"},
		{"public_bandwidth as a bool", set("public_bandwidth", true), 400, "DMS.00400085"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := v1CreateBody(e, "kafka-valid")
			tt.mutate(body)
			resp, b := e.do(t, "POST", e.v1Path(""), body)
			wantDMSError(t, resp.StatusCode, b, tt.status, tt.code)
		})
	}
	resp, b = e.do(t, "POST", e.v1Path(""), []byte(`{"name":`))
	wantDMSError(t, resp.StatusCode, b, 400, "DMS.00400005")
	resp, b = e.do(t, "POST", e.v1Path(""), nil)
	wantDMSError(t, resp.StatusCode, b, 400, "DMS.00400004")

	// None of the refused requests left an instance behind.
	resp, b = e.do(t, "GET", e.v1Path(""), nil)
	var list struct {
		InstanceNum int `json:"instance_num"`
	}
	if err := json.Unmarshal(b, &list); err != nil || resp.StatusCode != 200 || list.InstanceNum != 1 {
		t.Fatalf("instances after refusals: %d %s", resp.StatusCode, b)
	}
}

func TestInstanceV1Lifecycle(t *testing.T) {
	e := newTestEnv(t)
	const managerPassword = "Mgr-secret-42"
	body := v1CreateBody(e, "kafka_v1-life")
	body["kafka_manager_password"] = managerPassword
	body["maintain_begin"], body["maintain_end"] = "22:00:00", "02:00:00"
	body["enterprise_project_id"] = "ep-1"
	body["tags"] = []map[string]string{{"key": "owner", "value": "team a"}}
	body["description"] = "created through V1"
	resp, b := e.do(t, "POST", e.v1Path(""), body)
	if resp.StatusCode != 200 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var created map[string]any
	if err := json.Unmarshal(b, &created); err != nil || len(created) != 1 || created["instance_id"] == "" {
		t.Fatalf("create response: %s", b)
	}
	id := created["instance_id"].(string)

	in := waitInstanceV1(t, e, id, "RUNNING")
	hosts := strings.Split(in["connect_address"].(string), ",")
	checks := []struct {
		field string
		want  any
	}{
		{"name", "kafka_v1-life"},
		{"description", "created through V1"},
		{"engine", "kafka"},
		{"engine_version", "2.7"}, // 2.3.0 runs as 2.7
		{"specification", "100MB"},
		{"partition_num", "300"}, // a string
		{"storage_space", float64(600)},
		{"total_storage_space", float64(600)},
		{"port", float64(9092)},
		{"product_id", "00300-30308-0--0"},
		{"resource_spec_code", "dms.instance.kafka.cluster.c3.mini"},
		{"storage_spec_code", "dms.physical.storage.high"},
		{"kafka_manager_user", "manager_1"},
		{"maintain_begin", "22:00:00"},
		{"maintain_end", "02:00:00"},
		{"charging_mode", float64(1)},
		{"type", "cluster"},
		{"ssl_enable", false},
		{"enable_publicip", false},
		{"enterprise_project_id", "ep-1"},
		{"connect_addresses", in["connect_address"]},
		{"subnet_id", "subnet-1"},
		{"subnet_name", "subnet-1"},
		{"retention_policy", "time_base"},
	}
	for _, c := range checks {
		if in[c.field] != c.want {
			t.Errorf("%s = %#v, want %#v", c.field, in[c.field], c.want)
		}
	}
	if len(hosts) != 3 {
		t.Errorf("connect_address %q: want 3 brokers", in["connect_address"])
	}
	if _, ok := in["subnet_cidr"].(string); !ok {
		t.Errorf("subnet_cidr missing from the show response")
	}
	if ms, err := strconv.ParseInt(in["created_at"].(string), 10, 64); err != nil || time.Since(time.UnixMilli(ms)) > time.Minute {
		t.Errorf("created_at %v is not a recent ms timestamp", in["created_at"])
	}
	if tags, _ := json.Marshal(in["tags"]); string(tags) != `[{"key":"owner","value":"team a"}]` {
		t.Errorf("tags %s", tags)
	}

	// The manager password is never returned nor kept in clear (the stored record, the tasks).
	_, raw := e.do(t, "GET", e.v1Path("/"+id), nil)
	_, tasks := e.do(t, "GET", "/v2/"+e.ProjectID+"/instances/"+id+"/tasks", nil)
	stored, err := e.Instances.Get(t.Context(), e.ProjectID, id)
	if err != nil {
		t.Fatal(err)
	}
	record, _ := json.Marshal(stored)
	for what, b := range map[string][]byte{"show": raw, "tasks": tasks, "stored instance": record} {
		if bytes.Contains(b, []byte(managerPassword)) || bytes.Contains(b, []byte("kafka_manager_password")) {
			t.Errorf("the manager password shows in the %s: %s", what, b)
		}
	}

	// The same instance through V2 (the official SDK): the V2 flavor that runs it, the V1 specification.
	c := e.kafkaClient(t)
	v2, err := c.ShowInstance(&model.ShowInstanceRequest{InstanceId: id})
	if err != nil {
		t.Fatal(err)
	}
	if deref(v2.ProductId) != "c6.2u4g.cluster" || deref(v2.BrokerNum) != 3 || deref(v2.Specification) != "100MB" ||
		deref(v2.PartitionNum) != "300" || deref(v2.StorageSpecCode) != "dms.physical.storage.high.v2" || deref(v2.EngineVersion) != "2.7" {
		t.Errorf("V2 view: product %s, brokers %d, spec %s, partitions %s, storage %s, version %s", deref(v2.ProductId), deref(v2.BrokerNum),
			deref(v2.Specification), deref(v2.PartitionNum), deref(v2.StorageSpecCode), deref(v2.EngineVersion))
	}

	// It is a real Kafka cluster at the address the V1 API returns.
	produceConsume(t, in["connect_address"].(string), 9092, "v1-smoke", 10, 10)

	// List (7.1.1.6): filters, paging, and items without subnet_name/subnet_cidr.
	list := func(query string) (int, []map[string]any, []byte) {
		t.Helper()
		resp, b := e.do(t, "GET", e.v1Path(query), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("list %s: %d %s", query, resp.StatusCode, b)
		}
		var out struct {
			Instances   []map[string]any `json:"instances"`
			InstanceNum int              `json:"instance_num"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out.InstanceNum, out.Instances, b
	}
	n, items, _ := list("")
	if n != 1 || len(items) != 1 || items[0]["instance_id"] != id || items[0]["partition_num"] != "300" || items[0]["product_id"] != "00300-30308-0--0" {
		t.Fatalf("list: %d %v", n, items)
	}
	if _, ok := items[0]["subnet_name"]; ok {
		t.Errorf("list items carry subnet_name")
	}
	if _, ok := items[0]["subnet_cidr"]; ok {
		t.Errorf("list items carry subnet_cidr")
	}
	delete(in, "subnet_name")
	delete(in, "subnet_cidr")
	if !maps.EqualFunc(items[0], in, func(a, b any) bool { x, _ := json.Marshal(a); y, _ := json.Marshal(b); return bytes.Equal(x, y) }) {
		t.Errorf("list item differs from show:\n%v\n%v", items[0], in)
	}
	for _, tc := range []struct {
		query     string
		num, page int
	}{
		{"?engine=kafka&start=1&limit=10&name=&status=&id=&includeFailure=true&exactMatchName=false", 1, 1}, // the reference's example
		{"?name=v1-li", 1, 1},
		{"?name=v1-li&exactMatchName=true", 0, 0},
		{"?name=kafka_v1-life&exactMatchName=true", 1, 1},
		{"?id=" + id, 1, 1},
		{"?id=other", 0, 0},
		{"?status=RUNNING", 1, 1},
		{"?status=CREATING", 0, 0},
		{"?enterprise_project_id=ep-1", 1, 1},
		{"?enterprise_project_id=ep-2", 0, 0},
		{"?start=2", 1, 0},
		{"?start=1&limit=1", 1, 1},
	} {
		if num, items, b := list(tc.query); num != tc.num || len(items) != tc.page {
			t.Errorf("list%s: instance_num %d with %d items, want %d with %d: %s", tc.query, num, len(items), tc.num, tc.page, b)
		}
	}
	for _, q := range []string{"?start=0", "?limit=0", "?limit=x"} {
		resp, b := e.do(t, "GET", e.v1Path(q), nil)
		wantDMSError(t, resp.StatusCode, b, 400, "DMS.00400062")
	}
	resp, b = e.do(t, "GET", e.v1Path("?engine=rabbitmq"), nil)
	wantDMSError(t, resp.StatusCode, b, 400, "DMS.00400007")

	// Modify (7.1.1.3): 204 without a body; V1's name rule has no '_'; windows are HH:mm:ss.
	resp, b = e.do(t, "PUT", e.v1Path("/"+id), map[string]any{"name": "kafka-v1-renamed", "description": "changed",
		"maintain_begin": "02:00:00", "maintain_end": "06:00:00", "retention_policy": "produce_reject"})
	if resp.StatusCode != 204 || len(b) != 0 {
		t.Fatalf("modify: %d %s", resp.StatusCode, b)
	}
	_, in, _ = v1Show(t, e, id)
	if in["name"] != "kafka-v1-renamed" || in["description"] != "changed" || in["maintain_begin"] != "02:00:00" ||
		in["maintain_end"] != "06:00:00" || in["retention_policy"] != "produce_reject" {
		t.Errorf("after modify: %v", in)
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		code string
	}{
		{"name with an underscore", map[string]any{"name": "kafka_v1"}, "DMS.00400010"},
		{"name starting with a digit", map[string]any{"name": "1kafka"}, "DMS.00400010"},
		{"window as HH:mm", map[string]any{"maintain_begin": "22:00", "maintain_end": "02:00"}, "DMS.00400106"},
		{"window begin only", map[string]any{"maintain_begin": "22:00:00"}, "DMS.00400106"},
		{"description too long", map[string]any{"description": strings.Repeat("d", 1025)}, "DMS.00400011"},
		{"bad retention policy", map[string]any{"retention_policy": "forever"}, "DMS.00400062"},
	} {
		resp, b := e.do(t, "PUT", e.v1Path("/"+id), tc.body)
		if resp.StatusCode != 400 || decodeError(t, b).ErrorCode != tc.code {
			t.Errorf("modify with %s: %d %s, want %s", tc.name, resp.StatusCode, b, tc.code)
		}
	}
	resp, b = e.do(t, "PUT", e.v1Path("/00000000-0000-0000-0000-000000000000"), map[string]any{"description": "x"})
	wantDMSError(t, resp.StatusCode, b, 404, "DMS.00404022")

	// Batch (7.1.1.5): refusals, then a rolling restart.
	for _, tc := range []struct {
		body map[string]any
		code string
	}{
		{map[string]any{"action": "stop", "instances": []string{id}}, "DMS.00400064"},
		{map[string]any{"action": "restart"}, "DMS.00400065"},
		{map[string]any{"action": "restart", "instances": []string{id, id}}, "DMS.00400082"},
	} {
		resp, b := e.do(t, "POST", e.v1Path("/action"), tc.body)
		if resp.StatusCode != 400 || decodeError(t, b).ErrorCode != tc.code {
			t.Errorf("batch %v: %d %s, want %s", tc.body, resp.StatusCode, b, tc.code)
		}
	}
	resp, b = e.do(t, "POST", e.v1Path("/action"), map[string]any{"action": "restart", "instances": []string{id}})
	if resp.StatusCode != 200 || string(bytes.TrimSpace(b)) != `{"results":[{"instance":"`+id+`","result":"success"}]}` {
		t.Fatalf("restart: %d %s", resp.StatusCode, b)
	}
	waitInstanceV1(t, e, id, "RUNNING")
	produceConsume(t, strings.Join(hosts, ","), 9092, "v1-smoke", 10, 20) // the first 10 survived the restart

	// allFailure=kafka deletes the failed creations (none here): an empty 204.
	resp, b = e.do(t, "POST", e.v1Path("/action"), map[string]any{"action": "delete", "allFailure": "kafka"})
	if resp.StatusCode != 204 || len(b) != 0 {
		t.Fatalf("allFailure: %d %s", resp.StatusCode, b)
	}
	resp, b = e.do(t, "POST", e.v1Path("/action"), map[string]any{"action": "delete", "instances": []string{"00000000-0000-0000-0000-000000000000"}})
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"result":"failed"`) {
		t.Fatalf("batch delete of an unknown instance: %d %s", resp.StatusCode, b)
	}

	// Delete (7.1.1.4): 204, then 404 everywhere.
	resp, b = e.do(t, "DELETE", e.v1Path("/"+id), nil)
	if resp.StatusCode != 204 || len(b) != 0 {
		t.Fatalf("delete: %d %s", resp.StatusCode, b)
	}
	code, _, b := v1Show(t, e, id)
	wantDMSError(t, code, b, 404, "DMS.00404022")
	resp, b = e.do(t, "DELETE", e.v1Path("/"+id), nil)
	wantDMSError(t, resp.StatusCode, b, 404, "DMS.00404022")
	if n, _, b := list(""); n != 0 {
		t.Fatalf("list after delete: %s", b)
	}
}

// TestInstanceV1Permissions: the V1 routes carry the V2 actions (a read-only user may show and list,
// not create, modify or delete).
func TestInstanceV1Permissions(t *testing.T) {
	e := newTestEnv(t)
	ak, sk := e.newUser(t, "reader", "DMS ReadOnlyAccess", e.ProjectID)
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", e.v1Path(""), nil, 200},
		{"GET", e.v1Path("/00000000-0000-0000-0000-000000000000"), nil, 404},
		{"POST", e.v1Path(""), v1CreateBody(e, "kafka-denied"), 403},
		{"PUT", e.v1Path("/00000000-0000-0000-0000-000000000000"), map[string]any{"description": "x"}, 403},
		{"DELETE", e.v1Path("/00000000-0000-0000-0000-000000000000"), nil, 403},
		{"POST", e.v1Path("/action"), map[string]any{"action": "delete", "instances": []string{"x"}}, 403},
	} {
		resp, b := e.doAs(t, ak, sk, tc.method, tc.path, tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s as a reader: %d %s, want %d", tc.method, tc.path, resp.StatusCode, b, tc.status)
		}
	}
}
