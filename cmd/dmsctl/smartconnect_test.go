package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opendms/opendms/client/clienttest"
)

// Secrets the tests give on stdin: no output of dmsctl may show them.
const (
	testOBSSecret   = "obs-Secret-Key-0123456789abcdef"
	testRedisSecret = "redis-Passw0rd-secret"
	testPeerSecret  = "peer-Passw0rd-secret"
)

func mustNotLeak(t *testing.T, what string, r result) {
	t.Helper()
	for _, s := range []string{testOBSSecret, testRedisSecret, testPeerSecret} {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Errorf("%s shows a secret:\nstdout:\n%s\nstderr:\n%s", what, r.stdout, r.stderr)
		}
	}
}

// TestSmartConnectEmbedded: 'dmsctl connect' against a real server (embedded engine): enable
// --wait, show, an OBS_SINK and a REDIS_REPLICATOR_SINK task created with --start-later, list,
// show by name and by id, the server's refusals (pause and resume of tasks never started, an
// unknown task, disabling with tasks, enabling twice), delete, disable --wait.
func TestSmartConnectEmbedded(t *testing.T) {
	isolate(t)
	s := newRealDMS(t, "embedded")
	s.use(t)
	const long = 2 * time.Minute
	runCtx(t, long, "", "instance", "create", "kafka-sc", "--wait").wantCode(t, exitOK)

	// Not enabled yet: show says so, tasks cannot be listed.
	r := runCtx(t, long, "", "connect", "show", "kafka-sc", "-o", "json").wantCode(t, exitOK)
	var info connectorView
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || info.Enabled || info.InstanceID == "" {
		t.Fatalf("show before enable: %v %+v\n%s", err, info, r.stdout)
	}
	iid := info.InstanceID
	r = runCtx(t, long, "", "connect", "task", "list", "kafka-sc").wantCode(t, exitError)
	mustContain(t, "list before enable", r.stderr, "DMS.00404024")

	r = runCtx(t, long, "", "connect", "enable", "kafka-sc", "--wait", "-o", "json").wantCode(t, exitOK)
	var job connectJobView
	if err := json.Unmarshal([]byte(r.stdout), &job); err != nil {
		t.Fatalf("enable: %v\n%s", err, r.stdout)
	}
	if job.InstanceID != iid || job.JobID == "" || job.ConnectorID == "" || job.Status != "RUNNING" {
		t.Errorf("enable --wait: %+v", job)
	}
	mustContain(t, "enable --wait progress", r.stderr, "Smart Connect of instance kafka-sc")
	r = runCtx(t, long, "", "connect", "enable", "kafka-sc", "--nodes", "2").wantCode(t, exitError)
	mustContain(t, "enable twice", r.stderr, "DMS.00404027")

	r = runCtx(t, long, "", "connect", "show", "kafka-sc").wantCode(t, exitOK)
	mustContain(t, "show", r.stdout, "ENABLED:", "true", "STATUS:", "RUNNING", job.ConnectorID, "MAX_TASKS:")

	// An OBS dump that is never started: nothing reaches the (unreachable) object store.
	r = runCtx(t, long, testOBSSecret+"\n", "connect", "task", "create", "kafka-sc", "dump-orders", "--bucket", "dump-bucket",
		"--obs-path", "kafka/dumps", "--partition-format", "yyyy/MM/dd/HH", "--obs-ak", "AKEXAMPLE000000000001", "--obs-sk-stdin",
		"--topics", "orders,payments", "--start-later", "-o", "json").wantCode(t, exitOK)
	mustNotLeak(t, "create OBS_SINK", r)
	var dump connectTaskView
	if err := json.Unmarshal([]byte(r.stdout), &dump); err != nil {
		t.Fatalf("create OBS_SINK: %v\n%s", err, r.stdout)
	}
	if dump.ID == "" || dump.TaskName != "dump-orders" || dump.SinkType != "OBS_SINK" || dump.SourceType != "NONE" || dump.Status != "WAITING" ||
		dump.Topics != "orders,payments" || dump.SinkTask == nil || dump.SinkTask.OBSBucketName != "dump-bucket" ||
		dump.SinkTask.OBSPath != "kafka/dumps" || dump.SinkTask.PartitionFormat != "yyyy/MM/dd/HH" || dump.SinkTask.AccessKey != "" {
		t.Errorf("create OBS_SINK: %+v %+v", dump, dump.SinkTask)
	}

	r = runCtx(t, long, testRedisSecret+"\n", "connect", "task", "create", "kafka-sc", "to-redis", "--redis", "127.0.0.1:1",
		"--redis-password-stdin", "--target-db", "3", "--topics", "cache", "--start-later").wantCode(t, exitOK)
	mustNotLeak(t, "create REDIS_REPLICATOR_SINK", r)
	mustContain(t, "create REDIS_REPLICATOR_SINK", r.stdout, "REDIS_REPLICATOR_SINK", "WAITING", "SINK.redis_address:", "127.0.0.1:1", "SINK.target_db:", "3")
	// The same name again: the server refuses.
	r = runCtx(t, long, "", "connect", "task", "create", "kafka-sc", "to-redis", "--redis", "127.0.0.1:1", "--topics", "cache2", "--start-later").wantCode(t, exitError)
	mustContain(t, "create twice", r.stderr, "DMS.00400867")

	r = runCtx(t, long, "", "connect", "task", "list", "kafka-sc").wantCode(t, exitOK)
	mustContain(t, "list", r.stdout, "NAME", "STATUS", "dump-orders", "OBS_SINK", "orders,payments", "to-redis", "REDIS_REPLICATOR_SINK", "WAITING")
	r = runCtx(t, long, "", "connect", "task", "list", "kafka-sc", "-o", "json").wantCode(t, exitOK)
	var list connectTaskListView
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || list.Total != 2 || len(list.Tasks) != 2 || list.MaxTasks == 0 {
		t.Errorf("list -o json: %v %+v", err, list)
	}
	mustNotLeak(t, "list", r)

	var redisID string
	for _, k := range list.Tasks {
		if k.TaskName == "to-redis" {
			redisID = k.ID
		}
	}
	for _, ref := range []string{"dump-orders", dump.ID} {
		r = runCtx(t, long, "", "connect", "task", "show", "kafka-sc", ref).wantCode(t, exitOK)
		mustContain(t, "show "+ref, r.stdout, "ID:", dump.ID, "OBS_SINK", "WAITING", "SINK.obs_bucket_name:", "dump-bucket", "SINK.obs_part_size:", "5242880")
		mustNotLeak(t, "show", r)
	}

	// Refusals of the server, reported with their DMS codes (exit 1).
	for _, c := range []struct {
		args []string
		code string
	}{
		{[]string{"connect", "task", "pause", "kafka-sc", "dump-orders"}, "DMS.00400868"},
		{[]string{"connect", "task", "resume", "kafka-sc", "to-redis"}, "DMS.00400869"},
		{[]string{"connect", "task", "show", "kafka-sc", "no-such-task"}, "DMS.00404026"},
		{[]string{"connect", "task", "delete", "kafka-sc", "no-such-task"}, "DMS.00404026"},
		{[]string{"connect", "disable", "kafka-sc"}, "DMS.00501012"},
		// A replication task needs Kafka Connect workers, which the embedded engine does not run.
		{[]string{"connect", "task", "create", "kafka-sc", "mirror", "--bootstrap-servers", "127.0.0.1:9092", "--topics", "orders"}, "DMS.00400007"},
	} {
		r := runCtx(t, long, "", c.args...)
		if r.code != exitError || !strings.Contains(r.stderr, c.code) {
			t.Errorf("%v: exit %d, want 1 with %s\n%s", c.args, r.code, c.code, r.stderr)
		}
	}

	r = runCtx(t, long, "", "connect", "task", "delete", "kafka-sc", "dump-orders").wantCode(t, exitOK)
	mustContain(t, "delete by name", r.stdout, "Deleted Smart Connect task dump-orders ("+dump.ID+")")
	runCtx(t, long, "", "connect", "task", "delete", "kafka-sc", redisID).wantCode(t, exitOK)
	r = runCtx(t, long, "", "connect", "task", "list", "kafka-sc", "-o", "json").wantCode(t, exitOK)
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || list.Total != 0 || len(list.Tasks) != 0 {
		t.Errorf("list after delete: %v %+v", err, list)
	}

	// The refused disable above was the same signed POST: sent again in the same second on a new
	// connection, the server would refuse it as a replay.
	nextSecond()
	r = runCtx(t, long, "", "connect", "disable", iid, "--wait", "-o", "json").wantCode(t, exitOK)
	if err := json.Unmarshal([]byte(r.stdout), &job); err != nil || job.JobID == "" || job.Status != connectorDisabled {
		t.Errorf("disable --wait: %v %+v", err, job)
	}
	r = runCtx(t, long, "", "connect", "show", "kafka-sc").wantCode(t, exitOK)
	mustContain(t, "show after disable", r.stdout, "ENABLED:", "false")
}

// nextSecond waits until the wall clock's second changes: requests are signed with whole seconds
// (X-Sdk-Date), and dmsd refuses a signed POST it already received on another connection.
func nextSecond() {
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second).Sub(now))
}

// TestSmartConnectTaskCreateRequest: the body 'connect task create' sends for each kind of task
// (a fake server records it), the secret read from stdin, and the defaults dmsctl fills in.
func TestSmartConnectTaskCreateRequest(t *testing.T) {
	const (
		iid  = "11111111-2222-3333-4444-555555555555"
		peer = "66666666-7777-8888-9999-000000000000"
	)
	tasksPath := "/v2/" + testPID + "/instances/" + iid + "/connector/tasks"
	instance := func(id, name, pp string) clienttest.Reply {
		return replyOK(`{"instance_id":"` + id + `","name":"` + name + `","status":"RUNNING","connect_address":"10.0.0.1","port_protocols":{` + pp + `}}`)
	}
	const both = `"private_plain_enable":true,"private_sasl_ssl_enable":true`
	created := replyOK(`{"id":"t-1","task_name":"x","status":"RUNNING","source_type":"NONE","sink_type":"NONE","create_time":1}`)
	for _, c := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"kafka pull from a named peer, PLAINTEXT", "",
			[]string{"mirror", "--to-instance", "kafka.b", "--topics", "orders,payments", "--rename"},
			`{"task_name":"mirror","topics":"orders,payments","source_type":"KAFKA_REPLICATOR_SOURCE","sink_type":"NONE",
			  "source_task":{"current_cluster_name":"kafka-a","cluster_name":"kafka-b","instance_id":"` + peer + `",
			  "security_protocol":"PLAINTEXT","rename_topic_enabled":true}}`},
		{"kafka two-way with a SASL user", testPeerSecret + "\n",
			[]string{"mirror", "--to-instance", peer, "--direction", "two-way", "--topics-regex", "orders.*", "--peer-user", "admin",
				"--peer-password-stdin", "--topics-mapping", "a:b", "--sync-offsets", "--provenance-header", "--task-num", "4", "--start-later"},
			`{"task_name":"mirror","start_later":true,"topics_regex":"orders.*","source_type":"KAFKA_REPLICATOR_SOURCE","sink_type":"NONE",
			  "source_task":{"current_cluster_name":"kafka-a","cluster_name":"kafka-b","instance_id":"` + peer + `","security_protocol":"SASL_SSL",
			  "user_name":"admin","password":"` + testPeerSecret + `","direction":"two-way","topics_mapping":"a:b","sync_consumer_offsets_enabled":true,
			  "provenance_header_enabled":true,"task_num":4}}`},
		{"kafka outside the project", testPeerSecret + "\n",
			[]string{"mirror", "--bootstrap-servers", "10.1.1.1:9093", "--security-protocol", "sasl_plaintext", "--sasl-mechanism", "plain",
				"--peer-user", "u", "--peer-password-stdin", "--peer-alias", "dc2", "--topics", "t"},
			`{"task_name":"mirror","topics":"t","source_type":"KAFKA_REPLICATOR_SOURCE","sink_type":"NONE",
			  "source_task":{"current_cluster_name":"kafka-a","cluster_name":"dc2","bootstrap_servers":"10.1.1.1:9093",
			  "security_protocol":"SASL_PLAINTEXT","sasl_mechanism":"PLAIN","user_name":"u","password":"` + testPeerSecret + `"}}`},
		{"dump", testOBSSecret + "\n",
			[]string{"dump", "--bucket", "bkt", "--obs-path", "p", "--obs-ak", "AK1", "--obs-sk-stdin", "--topics", "t", "--store-keys",
				"--deliver-interval", "60", "--record-delimiter", ";", "--consumer-strategy", "earliest"},
			`{"task_name":"dump","topics":"t","source_type":"NONE","sink_type":"OBS_SINK","sink_task":{"obs_bucket_name":"bkt","obs_path":"p",
			  "access_key":"AK1","secret_key":"` + testOBSSecret + `","store_keys":true,"deliver_time_interval":60,"record_delimiter":";",
			  "consumer_strategy":"earliest"}}`},
		{"redis sink", testRedisSecret + "\n",
			[]string{"rs", "--redis", "10.0.0.5:6379", "--redis-type", "cluster", "--redis-password-stdin", "--target-db", "0", "--topics", "t", "--start-later"},
			`{"task_name":"rs","start_later":true,"topics":"t","source_type":"NONE","sink_type":"REDIS_REPLICATOR_SINK",
			  "sink_task":{"redis_address":"10.0.0.5:6379","redis_type":"cluster","redis_password":"` + testRedisSecret + `","target_db":0}}`},
		{"redis source", "",
			[]string{"rsrc", "--redis", "10.0.0.5:6379", "--redis-source", "--topics", "changes"},
			`{"task_name":"rsrc","topics":"changes","source_type":"REDIS_REPLICATOR_SOURCE","sink_type":"NONE",
			  "source_task":{"redis_address":"10.0.0.5:6379"}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, map[string]clienttest.Reply{
				"GET /v2/" + testPID + "/instances":         replyOK(`{"instances":[{"instance_id":"` + iid + `","name":"kafka a"},{"instance_id":"` + peer + `","name":"kafka.b"}],"instance_num":2}`),
				"GET /v2/" + testPID + "/instances/" + iid:  instance(iid, "kafka a", both),
				"GET /v2/" + testPID + "/instances/" + peer: instance(peer, "kafka.b", both),
				"POST " + tasksPath:                         created,
			})
			useFake(t, f, testPID)
			r := run(t, c.stdin, append([]string{"connect", "task", "create", iid}, c.args...)...).wantCode(t, exitOK)
			mustNotLeak(t, "create", r)
			var body []byte
			for _, q := range f.Requests() {
				mustSigned(t, q)
				if q.Method == "POST" && q.Path == tasksPath {
					body = q.Body
				}
			}
			if body == nil {
				t.Fatalf("no POST %s; requests: %v", tasksPath, requestLines(f))
			}
			clienttest.JSONEqual(t, body, c.want)
		})
	}
}

// TestSmartConnectUsage: flag mistakes are usage errors (exit 2), caught before any request.
func TestSmartConnectUsage(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, nil)
	useFake(t, f, testPID)
	const iid = "11111111-2222-3333-4444-555555555555"
	create := []string{"connect", "task", "create", iid, "t"}
	for _, args := range [][]string{
		append(create, "--topics", "a"),
		append(create, "--topics", "a", "--bucket", "b", "--redis", "h:1"),
		append(create, "--bucket", "b", "--obs-ak", "k", "--obs-sk-stdin"),
		append(create, "--bucket", "b", "--obs-ak", "k", "--obs-sk-stdin", "--topics", "a", "--topics-regex", "a.*"),
		append(create, "--bucket", "b", "--topics", "a"),
		append(create, "--bucket", "b", "--obs-ak", "k", "--topics", "a"),
		append(create, "--redis", "h:1", "--obs-sk-stdin", "--topics", "a"),
		append(create, "--redis", "h:1", "--direction", "push", "--topics", "a"),
		append(create, "--redis", "h:1", "--redis-source", "--target-db", "1", "--topics", "a"),
		append(create, "--to-instance", "b", "--obs-path", "p", "--topics", "a"),
		append(create, "--to-instance", "b", "--rename", "--topics-mapping", "a:b", "--topics", "a"),
		append(create, "--to-instance", "b", "--peer-user", "u", "--topics", "a"),
		{"connect", "task", "create", iid},
		{"connect", "task", "show", iid},
		{"connect", "task", "pause", iid},
		{"connect", "enable", iid, "--nodes", "0"},
		{"connect", "enable"},
		{"connect", "nope"},
	} {
		if r := run(t, "", args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("usage errors sent %d requests: %v", n, requestLines(f))
	}
}

// TestSmartConnectWaitFails: enable and disable --wait report a FAILED task with its reason, and a
// connector the task left in ERROR (a fake server answers).
func TestSmartConnectWaitFails(t *testing.T) {
	const (
		iid = "11111111-2222-3333-4444-555555555555"
		tid = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	)
	ipath := "/v2/" + testPID + "/instances/" + iid
	failed := replyOK(`{"tasks":[{"id":"` + tid + `","name":"createConnector","status":"FAILED","error":"workers did not start"}]}`)
	running := replyOK(`{"tasks":[{"id":"` + tid + `","name":"createConnector","status":"EXECUTING"}]}`)
	success := replyOK(`{"tasks":[{"id":"` + tid + `","name":"createConnector","status":"SUCCESS"}]}`)
	for _, c := range []struct {
		name      string
		args      []string
		task      []clienttest.Reply
		connector string
		want      string
	}{
		{"enable, task failed", []string{"enable", iid, "--wait"}, []clienttest.Reply{running, failed}, `{"connector_enable":false}`, "workers did not start"},
		{"enable, connector in ERROR", []string{"enable", iid, "--wait"}, []clienttest.Reply{success},
			`{"connector_enable":true,"status":"ERROR","status_reason":"no address left"}`, "is ERROR after the task: no address left"},
		{"disable, task failed", []string{"disable", iid, "--wait"}, []clienttest.Reply{failed}, `{"connector_enable":true,"status":"RUNNING"}`, "workers did not start"},
		{"disable, still enabled", []string{"disable", iid, "--wait"}, []clienttest.Reply{success}, `{"connector_enable":true,"status":"RUNNING"}`, "still enabled"},
	} {
		t.Run(c.name, func(t *testing.T) {
			isolate(t)
			fastPoll(t)
			f := newSeqFake(t, map[string]clienttest.Reply{
				"POST " + ipath + "/connector":                                          replyOK(`{"job_id":"` + tid + `","connector_id":"c-1"}`),
				"POST /v2/" + testPID + "/kafka/instances/" + iid + "/delete-connector": replyOK(`{"job_id":"` + tid + `"}`),
				"GET " + ipath + "/tasks/" + tid:                                        running,
				"GET " + ipath + "/connector":                                           replyOK(c.connector),
			}, map[string][]clienttest.Reply{"GET " + ipath + "/tasks/" + tid: c.task})
			r := run(t, "", append([]string{"connect"}, c.args...)...).wantCode(t, exitError)
			mustContain(t, c.name, r.stderr, c.want)
			allSigned(t, f)
		})
	}
}
