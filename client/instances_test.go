package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	instID     = "0d7c9f40-3d4c-4f4e-9a5e-5f0e8f3b2a11"
	taskID     = "7e1f0a52-4d0b-4c1e-8f6d-2b7c3a9e0f11"
	instPath   = "/v2/" + testPID + "/instances/" + instID
	instanceJS = `{"instance_id":"` + instID + `","name":"kafka-demo","status":"RUNNING","engine":"kafka","engine_version":"3.x",` +
		`"product_id":"c6.2u4g.cluster","broker_num":3,"storage_space":300,"used_storage_space":1,"connect_address":"10.0.0.1,10.0.0.2",` +
		`"port":9092,"partition_num":"750","created_at":"1735787045000","maintain_begin":"02:00:00","maintain_end":"06:00:00",` +
		`"ssl_enable":false,"kafka_security_protocol":"PLAINTEXT","available_zones":["az1"],"tags":[{"key":"env","value":"dev"}],` +
		`"vpc_client_plain":true,"opendms":{"engine":"embedded","kafka_version":"3.9.0","capabilities":{}}}`
	taskJS = `{"id":"` + taskID + `","name":"restartInstance","user_name":"admin","user_id":"u1","params":"{}","status":"SUCCESS",` +
		`"created_at":"2025-01-02T03:04:05.046Z","updated_at":"2025-01-02T03:04:09.000Z"}`
)

var wantInstance = Instance{
	InstanceID: instID, Name: "kafka-demo", Status: "RUNNING", Engine: "kafka", EngineVersion: "3.x", ProductID: "c6.2u4g.cluster",
	BrokerNum: 3, StorageSpace: 300, UsedStorageSpace: 1, ConnectAddress: "10.0.0.1,10.0.0.2", Port: 9092, PartitionNum: "750",
	CreatedAt: "1735787045000", MaintainBegin: "02:00:00", MaintainEnd: "06:00:00", KafkaSecurityProtocol: "PLAINTEXT",
	AvailableZones: []string{"az1"}, Tags: []InstanceTag{{"env", "dev"}},
	OpenDMS: InstanceRuntime{Engine: "embedded", KafkaVersion: "3.9.0"},
	Raw:     json.RawMessage(instanceJS),
}

var wantTask = Task{ID: taskID, Name: "restartInstance", UserName: "admin", UserID: "u1", Params: "{}", Status: "SUCCESS",
	CreatedAt: "2025-01-02T03:04:05.046Z", UpdatedAt: "2025-01-02T03:04:09.000Z"}

func strp(s string) *string { return &s }

func TestInstanceHelpers(t *testing.T) {
	runClientCases(t, []clientCase{
		{"CreateInstance", func(c *Client) (any, error) {
			return c.CreateInstance(ctx(), CreateInstanceRequest{Name: "kafka-demo", EngineVersion: "3.x", BrokerNum: 3, StorageSpace: 300,
				VpcID: "v", SecurityGroupID: "g", SubnetID: "s", AvailableZones: []string{"az1"}, ProductID: "c6.2u4g.cluster",
				StorageSpecCode: "dms.physical.storage.ultra.v2", EnableAutoTopic: true, Tags: []InstanceTag{{"env", "dev"}}})
		}, "POST", "/v2/kafka/" + testPID + "/instances", clienttest.Reply{Status: 200, Body: `{"instance_id":"` + instID + `"}`}, "",
			`{"name":"kafka-demo","engine":"kafka","engine_version":"3.x","broker_num":3,"storage_space":300,"vpc_id":"v",` +
				`"security_group_id":"g","subnet_id":"s","available_zones":["az1"],"product_id":"c6.2u4g.cluster",` +
				`"enable_auto_topic":true,"storage_spec_code":"dms.physical.storage.ultra.v2","tags":[{"key":"env","value":"dev"}]}`,
			instID},
		{"ListInstances filtered page", func(c *Client) (any, error) {
			return c.ListInstances(ctx(), InstanceFilter{Name: "kafka-demo", ExactName: true, Status: "RUNNING", IncludeFailure: true, Offset: 5, Limit: 10})
		}, "GET", "/v2/" + testPID + "/instances", clienttest.Reply{Status: 200, Body: `{"instances":[` + instanceJS + `],"instance_num":9}`},
			"engine=kafka&exact_match_name=true&include_failure=true&limit=10&name=kafka-demo&offset=5&status=RUNNING", "",
			[]Instance{wantInstance}},
		{"ListInstances empty", func(c *Client) (any, error) { return c.ListInstances(ctx(), InstanceFilter{}) },
			"GET", "/v2/" + testPID + "/instances", clienttest.Reply{Status: 200, Body: `{"instances":[],"instance_num":0}`},
			"engine=kafka&limit=50&offset=0", "", []Instance{}},
		{"GetInstance", func(c *Client) (any, error) { return c.GetInstance(ctx(), instID) },
			"GET", instPath, clienttest.Reply{Status: 200, Body: instanceJS}, "", "", &wantInstance},
		{"GetInstance escapes", func(c *Client) (any, error) { return c.GetInstance(ctx(), "a/b") },
			"GET", "/v2/" + testPID + "/instances/a/b", clienttest.Reply{Status: 200, Body: instanceJS}, "", "", &wantInstance},
		{"UpdateInstance", func(c *Client) (any, error) {
			return nil, c.UpdateInstance(ctx(), instID, UpdateInstanceRequest{Name: strp("kafka-prod"), Description: strp("")})
		}, "PUT", instPath, clienttest.Reply{Status: 204}, "", `{"name":"kafka-prod","description":""}`, nil},
		{"DeleteInstance", func(c *Client) (any, error) { return nil, c.DeleteInstance(ctx(), instID) },
			"DELETE", instPath, clienttest.Reply{Status: 204}, "", "", nil},
		{"RestartInstances", func(c *Client) (any, error) { return c.RestartInstances(ctx(), []string{instID, "x"}) },
			"POST", "/v2/" + testPID + "/instances/action",
			clienttest.Reply{Status: 200, Body: `{"results":[{"instance":"` + instID + `","result":"success"},{"instance":"x","result":"failed"}]}`}, "",
			`{"action":"restart","instances":["` + instID + `","x"]}`,
			[]InstanceActionResult{{instID, "success"}, {"x", "failed"}}},
		{"DeleteInstances", func(c *Client) (any, error) { return c.DeleteInstances(ctx(), []string{instID}) },
			"POST", "/v2/" + testPID + "/instances/action",
			clienttest.Reply{Status: 200, Body: `{"results":[{"instance":"` + instID + `","result":"success"}]}`}, "",
			`{"action":"delete","instances":["` + instID + `"]}`, []InstanceActionResult{{instID, "success"}}},
		{"DeleteFailedInstances", func(c *Client) (any, error) { return nil, c.DeleteFailedInstances(ctx()) },
			"POST", "/v2/" + testPID + "/instances/action", clienttest.Reply{Status: 204}, "",
			`{"action":"delete","all_failure":"kafka"}`, nil},
		{"InstanceConfigs", func(c *Client) (any, error) { return c.InstanceConfigs(ctx(), instID) },
			"GET", instPath + "/configs", clienttest.Reply{Status: 200, Body: `{"kafka_configs":[{"name":"min.insync.replicas","valid_values":"1~3",` +
				`"default_value":"1","config_type":"dynamic","value":"2","value_type":"integer"}]}`}, "", "",
			[]InstanceConfig{{Name: "min.insync.replicas", Value: "2", DefaultValue: "1", ConfigType: "dynamic", ValueType: "integer", ValidValues: "1~3"}}},
		{"ModifyInstanceConfigs", func(c *Client) (any, error) {
			return c.ModifyInstanceConfigs(ctx(), instID, []ConfigChange{{"min.insync.replicas", "2"}, {"log.retention.hours", "48"}})
		}, "PUT", instPath + "/configs", clienttest.Reply{Status: 200, Body: `{"job_id":"` + taskID + `","dynamic_config":1,"static_config":1}`}, "",
			`{"kafka_configs":[{"name":"min.insync.replicas","value":"2"},{"name":"log.retention.hours","value":"48"}]}`,
			&ConfigJob{JobID: taskID, DynamicConfig: 1, StaticConfig: 1}},
		{"ListTasks", func(c *Client) (any, error) {
			return c.ListTasks(ctx(), instID, TaskFilter{Limit: 5, Begin: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)})
		}, "GET", instPath + "/tasks", clienttest.Reply{Status: 200, Body: `{"task_count":"1","tasks":[` + taskJS + `]}`},
			"begin_time=20250102030405&limit=5", "", []Task{wantTask}},
		{"ListTasks none", func(c *Client) (any, error) { return c.ListTasks(ctx(), instID, TaskFilter{}) },
			"GET", instPath + "/tasks", clienttest.Reply{Status: 200, Body: `{"task_count":"0","tasks":[]}`}, "", "", []Task{}},
		{"GetTask", func(c *Client) (any, error) { return c.GetTask(ctx(), instID, taskID) },
			"GET", instPath + "/tasks/" + taskID, clienttest.Reply{Status: 200, Body: `{"task_count":"1","tasks":[` + taskJS + `]}`}, "", "", &wantTask},
	})
}

func TestInstanceHelperErrors(t *testing.T) {
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{
		"GET " + instPath:                          {Status: 404, Body: `{"error_code":"DMS.00404022","error_msg":"This instance does not exist."}`},
		"GET " + instPath + "/tasks/" + taskID:     {Status: 200, Body: `{"task_count":"0","tasks":[]}`},
		"POST /v2/kafka/" + testPID + "/instances": {Status: 200, Body: `{}`},
	})
	c := newTestClient(t, f, testPID)
	_, err := c.GetInstance(ctx(), instID)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "DMS.00404022" || !IsNotFound(err) {
		t.Errorf("GetInstance error = %v", err)
	}
	if IsNotFound(errors.New("x")) || IsNotFound(nil) {
		t.Error("IsNotFound is true for a non-API error")
	}
	if _, err := c.GetTask(ctx(), instID, taskID); err == nil {
		t.Error("GetTask of an empty envelope succeeded")
	}
	if _, err := c.CreateInstance(ctx(), CreateInstanceRequest{Name: "x"}); err == nil {
		t.Error("CreateInstance without instance_id succeeded")
	}
}

func TestInstanceDerivedFields(t *testing.T) {
	in := wantInstance
	if got := in.Created(); !got.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("Created = %v", got)
	}
	if got := in.Addresses(); !reflect.DeepEqual(got, []string{"10.0.0.1:9092", "10.0.0.2:9092"}) {
		t.Errorf("Addresses = %v", got)
	}
	in.CreatedAt, in.ConnectAddress = "soon", ""
	if !in.Created().IsZero() || in.Addresses() != nil {
		t.Errorf("Created/Addresses of garbage = %v %v", in.Created(), in.Addresses())
	}
}

// seqServer answers each "METHOD path" from a sequence of replies (the last one repeats), and
// counts the requests, as a server whose state changes between polls.
type seqServer struct {
	*httptest.Server
	mu      sync.Mutex
	replies map[string][]clienttest.Reply
	n       map[string]int
	queries []url.Values
}

func newSeqServer(t *testing.T, replies map[string][]clienttest.Reply) *seqServer {
	s := &seqServer{replies: replies, n: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		key := r.Method + " " + r.URL.Path
		seq := s.replies[key]
		i := min(s.n[key], len(seq)-1)
		s.n[key]++
		s.queries = append(s.queries, r.URL.Query())
		s.mu.Unlock()
		if len(seq) == 0 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(seq[i].Status)
		w.Write([]byte(seq[i].Body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *seqServer) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[key]
}

func (s *seqServer) client(t *testing.T) *Client {
	c, err := New(Config{Endpoint: s.URL, AccessKey: testAK, SecretKey: testSK, ProjectID: testPID})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fastPoll(t *testing.T) {
	old := PollInterval
	PollInterval = time.Millisecond
	t.Cleanup(func() { PollInterval = old })
}

func withStatus(status string) string {
	return `{"instance_id":"` + instID + `","name":"kafka-demo","status":"` + status + `"}`
}

func TestListInstancesPagesThroughEverything(t *testing.T) {
	var pages []string
	for i := range 3 {
		body := `{"instance_num":120,"instances":[`
		for j := range min(50, 120-50*i) {
			if j > 0 {
				body += ","
			}
			body += `{"instance_id":"i` + strconv.Itoa(50*i+j) + `"}`
		}
		pages = append(pages, body+`]}`)
	}
	s := newSeqServer(t, map[string][]clienttest.Reply{
		"GET /v2/" + testPID + "/instances": {{Status: 200, Body: pages[0]}, {Status: 200, Body: pages[1]}, {Status: 200, Body: pages[2]}},
	})
	ins, err := s.client(t).ListInstances(ctx(), InstanceFilter{Status: "RUNNING"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 120 || ins[119].InstanceID != "i119" {
		t.Fatalf("got %d instances", len(ins))
	}
	if len(s.queries) != 3 {
		t.Fatalf("%d requests, want 3", len(s.queries))
	}
	for i, q := range s.queries {
		if q.Get("offset") != strconv.Itoa(50*i) || q.Get("limit") != "50" || q.Get("status") != "RUNNING" {
			t.Errorf("page %d query = %v", i, q)
		}
	}
}

func TestWaitInstance(t *testing.T) {
	fastPoll(t)
	s := newSeqServer(t, map[string][]clienttest.Reply{
		"GET " + instPath: {{Status: 200, Body: withStatus("CREATING")}, {Status: 200, Body: withStatus("CREATING")}, {Status: 200, Body: withStatus("RUNNING")}},
	})
	var seen []string
	in, err := s.client(t).WaitInstance(ctx(), instID, func(in Instance) bool { return in.Status == InstanceRunning },
		func(in Instance) { seen = append(seen, in.Status) })
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != "RUNNING" || !reflect.DeepEqual(seen, []string{"CREATING", "CREATING", "RUNNING"}) {
		t.Errorf("instance %s after %v", in.Status, seen)
	}
}

func TestWaitInstanceEnds(t *testing.T) {
	fastPoll(t)
	s := newSeqServer(t, map[string][]clienttest.Reply{
		"GET " + instPath: {{Status: 200, Body: withStatus("CREATING")}, {Status: 500, Body: `{"error_code":"DMS.00500000","error_msg":"boom"}`}},
	})
	_, err := s.client(t).WaitInstance(ctx(), instID, func(Instance) bool { return false }, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "DMS.00500000" {
		t.Errorf("error = %v, want the API error", err)
	}

	s = newSeqServer(t, map[string][]clienttest.Reply{"GET " + instPath: {{Status: 200, Body: withStatus("CREATING")}}})
	PollInterval = time.Hour
	c, cancel := context.WithTimeout(ctx(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.client(t).WaitInstance(c, instID, func(Instance) bool { return false }, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the context's", err)
	}
}

func TestWaitTask(t *testing.T) {
	fastPoll(t)
	task := func(status string) clienttest.Reply {
		return clienttest.Reply{Status: 200, Body: `{"task_count":"1","tasks":[{"id":"` + taskID + `","status":"` + status + `"}]}`}
	}
	s := newSeqServer(t, map[string][]clienttest.Reply{
		"GET " + instPath + "/tasks/" + taskID: {task("CREATED"), task("EXECUTING"), task("FAILED")},
	})
	var seen []string
	got, err := s.client(t).WaitTask(ctx(), instID, taskID, func(t Task) { seen = append(seen, t.Status) })
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != TaskFailed || !got.Finished() || !reflect.DeepEqual(seen, []string{"CREATED", "EXECUTING", "FAILED"}) {
		t.Errorf("task %s after %v", got.Status, seen)
	}
}

func TestWaitInstanceDeleted(t *testing.T) {
	fastPoll(t)
	s := newSeqServer(t, map[string][]clienttest.Reply{
		"GET " + instPath: {{Status: 200, Body: withStatus("RUNNING")}, {Status: 404, Body: `{"error_code":"DMS.00404022","error_msg":"gone"}`}},
	})
	n := 0
	if err := s.client(t).WaitInstanceDeleted(ctx(), instID, func(Instance) { n++ }); err != nil {
		t.Fatal(err)
	}
	if n != 1 || s.count("GET "+instPath) != 2 {
		t.Errorf("progress %d times, %d requests", n, s.count("GET "+instPath))
	}
}

// TestInstanceListeners: the listeners of an instance, from port_protocols or, from a server that
// sends none, from the legacy fields.
func TestInstanceListeners(t *testing.T) {
	tests := []struct {
		name string
		json string
		want string // "name protocol addresses; ..."
	}{
		{"SASL_SSL and public", `{"connect_address":"10.0.0.1,10.0.0.2,10.0.0.3","port":9092,"ssl_enable":true,"port_protocols":{` +
			`"private_plain_enable":false,"private_plain_address":"","private_sasl_ssl_enable":true,` +
			`"private_sasl_ssl_address":"10.0.0.1:9093,10.0.0.2:9093,10.0.0.3:9093","public_sasl_ssl_enable":true,` +
			`"public_sasl_ssl_address":"203.0.113.1:9095,203.0.113.2:9095,203.0.113.3:9095"}}`,
			"sasl-ssl SASL_SSL 10.0.0.1:9093,10.0.0.2:9093,10.0.0.3:9093; public-sasl-ssl SASL_SSL 203.0.113.1:9095,203.0.113.2:9095,203.0.113.3:9095"},
		{"plaintext, its address left out", `{"connect_address":"10.0.0.1,10.0.0.2","port":9092,"port_protocols":{"private_plain_enable":true}}`,
			"plaintext PLAINTEXT 10.0.0.1:9092,10.0.0.2:9092"},
		{"every private mode", `{"connect_address":"10.0.0.1","port_protocols":{"private_plain_enable":true,"private_plain_address":"10.0.0.1:9092",` +
			`"private_sasl_plaintext_enable":true,"private_sasl_plaintext_address":"10.0.0.1:9093","public_plain_enable":true}}`,
			"sasl-plaintext SASL_PLAINTEXT 10.0.0.1:9093; plaintext PLAINTEXT 10.0.0.1:9092; public-plaintext PLAINTEXT "},
		{"legacy SASL_SSL", `{"connect_address":"10.0.0.1,10.0.0.2","port":9092,"ssl_enable":true,"kafka_security_protocol":"SASL_SSL"}`,
			"sasl-ssl SASL_SSL 10.0.0.1:9093,10.0.0.2:9093"},
		{"legacy SASL_PLAINTEXT", `{"connect_address":"10.0.0.1","ssl_enable":true,"kafka_security_protocol":"SASL_PLAINTEXT"}`,
			"sasl-plaintext SASL_PLAINTEXT 10.0.0.1:9093"},
		{"legacy plaintext", `{"connect_address":"10.0.0.1","port":9092}`, "plaintext PLAINTEXT 10.0.0.1:9092"},
		{"no brokers yet", `{"status":"CREATING","connect_address":"","port_protocols":{}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in Instance
			if err := json.Unmarshal([]byte(tt.json), &in); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range in.Listeners() {
				got = append(got, l.Name+" "+l.Protocol+" "+strings.Join(l.Addresses, ","))
			}
			if g := strings.Join(got, "; "); g != tt.want {
				t.Errorf("listeners = %q\nwant        %q", g, tt.want)
			}
		})
	}
}

// TestInstanceListener: the default listener is the first private one, the most secure first; a
// listener the instance lacks is an error naming those it has.
func TestInstanceListener(t *testing.T) {
	var in Instance
	if err := json.Unmarshal([]byte(`{"name":"k","connect_address":"10.0.0.1","port_protocols":{"private_plain_enable":true,`+
		`"private_sasl_ssl_enable":true,"public_sasl_ssl_enable":true,"public_sasl_ssl_address":"203.0.113.1:9095"}}`), &in); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"": "sasl-ssl", "plaintext": "plaintext", "public-sasl-ssl": "public-sasl-ssl",
		"sasl-plaintext": "error: instance k has no sasl-plaintext listener; it has sasl-ssl, plaintext, public-sasl-ssl"} {
		l, err := in.Listener(name)
		got := l.Name
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != want {
			t.Errorf("Listener(%q) = %s, want %s", name, got, want)
		}
	}
	if _, err := (Instance{Name: "k", Status: "CREATING"}).Listener(""); err == nil || err.Error() != "instance k shows no listener (status CREATING)" {
		t.Errorf("no listener: %v", err)
	}
}
