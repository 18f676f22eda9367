package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/connect"
	"github.com/opendms/opendms/internal/connect/connecttest"
	"github.com/opendms/opendms/internal/dms"
)

// Smart Connect on the embedded engine (no Connect workers: dumps and Redis tasks run inside
// dmsd; replication tasks are refused), through the official SDK where it has the operation and
// signed raw HTTP for the rest (the legacy 7.2.4.x APIs, ListObsBuckets' headers, the fields of
// 5.3.3 the SDK lacks).

// Secrets the tests send: no response body may contain them.
const (
	connTestAK       = "dumptestak" // versitygw's root keys (connecttest)
	connTestSK       = "dumptestsecretkey"
	connTestPassword = "peer-Pa55word-never-shown"
	connTestRedisPW  = "redis-Pa55word-never-shown"
)

// deliverUnit is what one second of deliver_time_interval lasts here: 30 s (the minimum) is 300 ms.
const deliverUnit = 10 * time.Millisecond

// connEnv is a test server with an object store, one running instance and franz-go clients at it.
type connEnv struct {
	*testEnv
	sdk   *kafka.KafkaClient
	s3    *connecttest.S3
	id    string
	seeds []string
	kcl   *kgo.Client
	adm   *kadm.Client
	cfg   connect.Config
}

func newConnEnv(t *testing.T) *connEnv {
	t.Helper()
	s3 := connecttest.StartS3(t)
	cfg := connect.Config{ObjectStorage: connect.ObjectStorage{Endpoint: s3.Endpoint(), Region: connecttest.Region, PathStyle: true},
		DeliverIntervalUnit: deliverUnit}
	e := newTestEnvOpts(t, "embedded", testEnvOptions{Connect: cfg})
	ce := &connEnv{testEnv: e, sdk: e.kafkaClient(t), s3: s3, cfg: cfg}
	ce.id, ce.seeds = ce.newInstance(t, "kafka-connect")
	kcl, err := kgo.NewClient(kgo.SeedBrokers(ce.seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kcl.Close)
	ce.kcl, ce.adm = kcl, kadm.NewClient(kcl)
	return ce
}

// newInstance creates a running instance and returns its id and bootstrap addresses.
func (ce *connEnv) newInstance(t *testing.T, name string) (string, []string) {
	t.Helper()
	created, err := ce.sdk.CreateInstanceByEngine(createReq(ce.testEnv, t, name))
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	in := waitInstance(t, ce.sdk, id, "RUNNING")
	var seeds []string
	for _, h := range strings.Split(deref(in.ConnectAddress), ",") {
		seeds = append(seeds, net.JoinHostPort(h, strconv.Itoa(int(deref(in.Port)))))
	}
	return id, seeds
}

// enable enables Smart Connect (5.3.1), waits for its job and returns the connector id.
func (ce *connEnv) enable(t *testing.T) string {
	t.Helper()
	resp, err := ce.sdk.CreateConnector(&model.CreateConnectorRequest{InstanceId: ce.id, Body: &model.CreateConnectorReq{}})
	if err != nil {
		t.Fatal(err)
	}
	if deref(resp.JobId) == "" || deref(resp.ConnectorId) == "" {
		t.Fatalf("5.3.1 response %+v: want job_id and connector_id", resp)
	}
	if task := waitTask(t, ce.sdk, ce.id, deref(resp.JobId)); deref(task.Status) != "SUCCESS" {
		t.Fatalf("5.3.1 job: %+v", task)
	}
	return deref(resp.ConnectorId)
}

func (ce *connEnv) createTopic(t *testing.T, name string, partitions int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := ce.adm.CreateTopic(ctx, partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
}

// produceN writes n keyed records to topic (round robin over partitions), values "<prefix>-<i>",
// keys "k<prefix>-<i>", and returns them with their offsets and timestamps.
func (ce *connEnv) produceN(t *testing.T, topic string, partitions int32, prefix string, n int) []*kgo.Record {
	t.Helper()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i) % partitions,
			Key: fmt.Appendf(nil, "k%s-%d", prefix, i), Value: fmt.Appendf(nil, "%s-%d", prefix, i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ce.kcl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// raw sends a signed request and fails the test if a secret of the tests is in the answer.
func (ce *connEnv) raw(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	resp, b := ce.do(t, method, path, body)
	noSecrets(t, b)
	return resp.StatusCode, b
}

func noSecrets(t *testing.T, b []byte) {
	t.Helper()
	for _, s := range []string{connTestSK, connTestPassword, connTestRedisPW, `"access_key"`, `"secret_key"`, `"password"`, `"redis_password"`} {
		if strings.Contains(string(b), s) {
			t.Fatalf("a secret (%s) is in a response: %s", s, b)
		}
	}
}

// sdkBody is the raw body of the SDK's last response (the SDK drops fields it does not know).
func sdkBody(t *testing.T, resp any) {
	t.Helper()
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, b)
}

func (ce *connEnv) tasksPath() string {
	return "/v2/" + ce.ProjectID + "/instances/" + ce.id + "/connector/tasks"
}

// obsBody is a valid 5.3.3 body of a dump task (raw: with the fields the SDK lacks).
func obsBody(name, topics string) map[string]any {
	return map[string]any{"task_name": name, "topics": topics, "start_later": true, "source_type": "NONE", "sink_type": "OBS_SINK",
		"sink_task": map[string]any{"consumer_strategy": "earliest", "destination_file_type": "TEXT", "deliver_time_interval": 30,
			"access_key": connTestAK, "secret_key": connTestSK, "obs_bucket_name": "dump-bucket", "obs_path": "base/dir",
			"partition_format": "yyyy/MM/dd", "record_delimiter": "\n", "store_keys": false}}
}

func kafkaBody(name string) map[string]any {
	return map[string]any{"task_name": name, "topics": "t1", "source_type": "KAFKA_REPLICATOR_SOURCE", "sink_type": "NONE",
		"source_task": map[string]any{"current_cluster_name": "A", "cluster_name": "B", "bootstrap_servers": "127.0.0.1:9092",
			"security_protocol": "SASL_SSL", "user_name": "u", "password": connTestPassword, "saslm_mechanism": "SCRAM-SHA-512",
			"direction": "pull", "task_num": 2, "replication_factor": 3, "consumer_strategy": "earliest", "compression_type": "lz4",
			"sync_consumer_offsets_enabled": true, "rename_topic_enabled": false, "provenance_header_enabled": true}}
}

func redisSinkBody(name, addr string) map[string]any {
	return map[string]any{"task_name": name, "topics": "to-redis", "source_type": "NONE", "sink_type": "REDIS_REPLICATOR_SINK",
		"sink_task": map[string]any{"redis_address": addr, "redis_type": "standalone", "redis_password": connTestRedisPW,
			"target_db": 3, "consumer_strategy": "earliest"}}
}

func redisSourceBody(name, addr, topic, mode string) map[string]any {
	return map[string]any{"task_name": name, "topics": topic, "source_type": "REDIS_REPLICATOR_SOURCE", "sink_type": "NONE",
		"source_task": map[string]any{"redis_address": addr, "redis_type": "standalone", "redis_password": connTestRedisPW,
			"sync_mode": mode, "full_sync_wait_ms": 100, "full_sync_max_retry": 2, "ratelimit": -1}}
}

// with returns a copy of body with side.field set to v (side "": the top level); v nil deletes it.
func with(body map[string]any, side, field string, v any) map[string]any {
	out := map[string]any{}
	for k, x := range body {
		out[k] = x
	}
	m := out
	if side != "" {
		in := map[string]any{}
		for k, x := range body[side].(map[string]any) {
			in[k] = x
		}
		out[side] = in
		m = in
	}
	if v == nil {
		delete(m, field)
	} else {
		m[field] = v
	}
	return out
}

func TestConnectEnableDisable(t *testing.T) {
	ce := newConnEnv(t)
	c := ce.sdk

	// Without a connector: the task APIs answer DMS.00404024.
	_, err := c.ListConnectorTasks(&model.ListConnectorTasksRequest{InstanceId: ce.id})
	wantSDKError(t, err, 404, dms.CodeConnectorNotFound)
	_, err = c.ShowConnectorTask(&model.ShowConnectorTaskRequest{InstanceId: ce.id, TaskId: "nope"})
	wantSDKError(t, err, 404, dms.CodeConnectorNotFound)
	_, err = c.DeleteConnector(&model.DeleteConnectorRequest{InstanceId: ce.id})
	wantSDKError(t, err, 404, dms.CodeConnectorNotFound)
	st, b := ce.raw(t, "POST", ce.tasksPath(), obsBody("early", "t1"))
	wantDMSError(t, st, b, 404, dms.CodeConnectorNotFound)
	for _, op := range []string{"pause", "resume", "restart"} {
		st, b := ce.raw(t, "PUT", ce.tasksPath()+"/x/"+op, nil)
		wantDMSError(t, st, b, 404, dms.CodeConnectorNotFound)
	}
	res, err := c.ShowConnectorResourceInfo(&model.ShowConnectorResourceInfoRequest{InstanceId: ce.id})
	if err != nil || res.SoldOut == nil || *res.SoldOut {
		t.Fatalf("ShowConnectorResourceInfo before 5.3.1: %+v %v", res, err)
	}

	// Bad 5.3.1 bodies.
	for _, body := range []string{`{"node_cnt":"1"}`, `{"node_cnt":"two"}`, `{"node_cnt":17}`, `{"specification":"50MB"}`} {
		st, b := ce.raw(t, "POST", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/connector", []byte(body))
		wantDMSError(t, st, b, 400, dms.CodeInvalidParameter)
	}

	connID := ce.enable(t)
	_, err = c.CreateConnector(&model.CreateConnectorRequest{InstanceId: ce.id, Body: &model.CreateConnectorReq{}})
	wantSDKError(t, err, 404, dms.CodeConnectorExists)

	res, err = c.ShowConnectorResourceInfo(&model.ShowConnectorResourceInfoRequest{InstanceId: ce.id})
	if err != nil || res.SoldOut == nil || *res.SoldOut {
		t.Fatalf("ShowConnectorResourceInfo: %+v %v", res, err)
	}
	st, b = ce.raw(t, "GET", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/connector", nil)
	var info map[string]any
	if err := json.Unmarshal(b, &info); err != nil || st != 200 {
		t.Fatalf("%d %s", st, b)
	}
	if info["connector_id"] != connID || info["status"] != "RUNNING" || info["max_tasks"] != float64(18) ||
		info["connector_enable"] != true || info["soldOut"] != false {
		t.Fatalf("resource info %s: want connector %s RUNNING, max_tasks 18, enabled", b, connID)
	}

	// 5.3.2 with a task: DMS.00501012; the task stays.
	created, err := c.CreateConnectorTask(&model.CreateConnectorTaskRequest{InstanceId: ce.id, Body: &model.CreateSmartConnectTaskReq{
		TaskName: ptrTo("waiting"), StartLater: ptrTo(true), Topics: ptrTo("t1"),
		SinkType: ptrTo(model.GetCreateSmartConnectTaskReqSinkTypeEnum().OBS_SINK),
		SinkTask: &model.SmartConnectTaskReqSinkConfig{AccessKey: ptrTo(connTestAK), SecretKey: ptrTo(connTestSK), ObsBucketName: ptrTo("dump-bucket"),
			DeliverTimeInterval: ptrTo(int32(30)), PartitionFormat: ptrTo("yyyy/MM/dd"), ConsumerStrategy: ptrTo("earliest")}}})
	if err != nil {
		t.Fatal(err)
	}
	sdkBody(t, created)
	_, err = c.DeleteConnector(&model.DeleteConnectorRequest{InstanceId: ce.id})
	wantSDKError(t, err, 500, dms.CodeConnectTasksExist)
	if _, err := c.DeleteConnectorTask(&model.DeleteConnectorTaskRequest{InstanceId: ce.id, TaskId: deref(created.Id)}); err != nil {
		t.Fatal(err)
	}

	// Without tasks: the job succeeds and the connector is gone.
	del, err := c.DeleteConnector(&model.DeleteConnectorRequest{InstanceId: ce.id})
	if err != nil {
		t.Fatal(err)
	}
	if task := waitTask(t, c, ce.id, deref(del.JobId)); deref(task.Status) != "SUCCESS" {
		t.Fatalf("5.3.2 job: %+v", task)
	}
	_, err = c.ListConnectorTasks(&model.ListConnectorTasksRequest{InstanceId: ce.id})
	wantSDKError(t, err, 404, dms.CodeConnectorNotFound)
	st, b = ce.raw(t, "GET", "/v2/"+ce.ProjectID+"/connectors/"+connID+"/sink-tasks", nil)
	wantDMSError(t, st, b, 404, dms.CodeConnectorNotFound)
	st, b = ce.raw(t, "GET", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/connector", nil)
	if st != 200 || !strings.Contains(string(b), `"connector_enable":false`) || strings.Contains(string(b), connID) {
		t.Fatalf("resource info after 5.3.2: %d %s", st, b)
	}
	// It can be enabled again.
	if again := ce.enable(t); again == connID {
		t.Fatalf("connector id %s reused", again)
	}
}

func TestConnectTaskValidation(t *testing.T) {
	ce := newConnEnv(t)
	ce.enable(t)
	const bad = dms.CodeInvalidParameter
	base := obsBody("v", "t1")
	longPath := strings.Repeat("a", 65)
	cases := []struct {
		name string
		body map[string]any
		code string
	}{
		{"no task_name", with(base, "", "task_name", nil), bad},
		{"task_name with a space", with(base, "", "task_name", "a b"), bad},
		{"task_name too long", with(base, "", "task_name", strings.Repeat("n", 65)), bad},
		{"bad source_type", with(base, "", "source_type", "FTP_SOURCE"), bad},
		{"bad sink_type", with(base, "", "sink_type", "S3"), bad},
		{"both sides", with(kafkaBody("v"), "", "sink_type", "OBS_SINK"), bad},
		{"no side", with(base, "", "sink_type", "NONE"), bad},
		{"topics and topics_regex", with(base, "", "topics_regex", "t.*"), bad},
		{"no topics", with(base, "", "topics", nil), bad},
		{"blank topics", with(base, "", "topics", " , "), bad},
		{"bad topics_regex", with(with(base, "", "topics", nil), "", "topics_regex", "t(["), bad},
		{"topics_regex .* for a dump", with(with(base, "", "topics", nil), "", "topics_regex", ".*"), bad},
		{"no sink_task", with(base, "", "sink_task", nil), bad},
		{"deliver_time_interval 29", with(base, "sink_task", "deliver_time_interval", 29), bad},
		{"deliver_time_interval 901", with(base, "sink_task", "deliver_time_interval", 901), bad},
		{"bucket name upper case", with(base, "sink_task", "obs_bucket_name", "Dump"), bad},
		{"bucket name short", with(base, "sink_task", "obs_bucket_name", "ab"), bad},
		{"no bucket", with(base, "sink_task", "obs_bucket_name", nil), bad},
		{"obs_path with a dot", with(base, "sink_task", "obs_path", "a/../b"), bad},
		{"obs_path too long", with(base, "sink_task", "obs_path", longPath), bad},
		{"partition_format", with(base, "sink_task", "partition_format", "yyyy-MM-dd"), bad},
		{"record_delimiter", with(base, "sink_task", "record_delimiter", "#"), bad},
		{"destination_file_type", with(base, "sink_task", "destination_file_type", "PARQUET"), bad},
		{"consumer_strategy", with(base, "sink_task", "consumer_strategy", "middle"), bad},
		{"obs_part_size small", with(base, "sink_task", "obs_part_size", 1024), bad},
		{"flush_size 0", with(base, "sink_task", "flush_size", 0), bad},
		{"timezone", with(base, "sink_task", "timezone", "Mars/Olympus"), bad},
		{"no access_key", with(base, "sink_task", "access_key", nil), bad},
		{"no secret_key", with(base, "sink_task", "secret_key", ""), bad},
		// Wrong JSON types: the body's key is wrong (DMS.00400085).
		{"deliver_time_interval a string", with(base, "sink_task", "deliver_time_interval", "thirty"), dms.CodeBodyInvalidKey},
		{"store_keys a number", with(base, "sink_task", "store_keys", 7), dms.CodeBodyInvalidKey},
		{"task_num a string", with(kafkaBody("v"), "source_task", "task_num", "two"), dms.CodeBodyInvalidKey},
		{"topics a list", with(base, "", "topics", []string{"t1"}), dms.CodeBodyInvalidKey},
		// Redis sink.
		{"redis sink no address", with(redisSinkBody("v", "127.0.0.1:1"), "sink_task", "redis_address", nil), bad},
		{"redis sink bad type", with(redisSinkBody("v", "127.0.0.1:1"), "sink_task", "redis_type", "sentinel"), bad},
		{"redis sink target_db 256", with(redisSinkBody("v", "127.0.0.1:1"), "sink_task", "target_db", 256), bad},
		{"redis sink cluster db 3", with(redisSinkBody("v", "127.0.0.1:1"), "sink_task", "redis_type", "cluster"), bad},
		{"redis sink consumer_strategy", with(redisSinkBody("v", "127.0.0.1:1"), "sink_task", "consumer_strategy", "x"), bad},
		// Redis source.
		{"redis source two topics", with(redisSourceBody("v", "127.0.0.1:1", "a", "RDB_ONLY"), "", "topics", "a,b"), bad},
		{"redis source sync_mode", with(redisSourceBody("v", "127.0.0.1:1", "a", "RDB_ONLY"), "source_task", "sync_mode", "AOF"), bad},
		{"redis source ratelimit 0", with(redisSourceBody("v", "127.0.0.1:1", "a", "RDB_ONLY"), "source_task", "ratelimit", 0), bad},
		{"redis source wait < 0", with(redisSourceBody("v", "127.0.0.1:1", "a", "RDB_ONLY"), "source_task", "full_sync_wait_ms", -1), bad},
		{"redis source retry < 0", with(redisSourceBody("v", "127.0.0.1:1", "a", "RDB_ONLY"), "source_task", "full_sync_max_retry", -1), bad},
		{"redis source no source_task", with(redisSourceBody("v", "127.0.0.1:1", "a", "RDB_ONLY"), "", "source_task", nil), bad},
		// Kafka source: the rules come before the engine's refusal.
		{"kafka no current_cluster_name", with(kafkaBody("v"), "source_task", "current_cluster_name", nil), bad},
		{"kafka same aliases", with(kafkaBody("v"), "source_task", "cluster_name", "A"), bad},
		{"kafka both peers", with(kafkaBody("v"), "source_task", "instance_id", "x"), bad},
		{"kafka no peer", with(kafkaBody("v"), "source_task", "bootstrap_servers", nil), bad},
		{"kafka direction", with(kafkaBody("v"), "source_task", "direction", "sideways"), bad},
		{"kafka protocol", with(kafkaBody("v"), "source_task", "security_protocol", "SSL"), bad},
		{"kafka misspelt mechanism read", with(kafkaBody("v"), "source_task", "saslm_mechanism", "GSSAPI"), bad},
		{"kafka mechanism", with(kafkaBody("v"), "source_task", "sasl_mechanism", "OAUTHBEARER"), bad},
		{"kafka no password", with(kafkaBody("v"), "source_task", "password", nil), bad},
		{"kafka task_num 0", with(kafkaBody("v"), "source_task", "task_num", 0), bad},
		{"kafka task_num 33", with(kafkaBody("v"), "source_task", "task_num", 33), bad},
		{"kafka replication_factor 0", with(kafkaBody("v"), "source_task", "replication_factor", 0), bad},
		{"kafka consumer_strategy", with(kafkaBody("v"), "source_task", "consumer_strategy", "x"), bad},
		{"kafka compression", with(kafkaBody("v"), "source_task", "compression_type", "brotli"), bad},
		{"kafka rename and mapping", with(with(kafkaBody("v"), "source_task", "rename_topic_enabled", true), "source_task", "topics_mapping", "a:b"), bad},
		{"kafka no source_task", with(kafkaBody("v"), "", "source_task", nil), bad},
		// Valid replication requests (sasl_mechanism misspelt as the reference's examples do): the
		// embedded engine runs no Connect workers.
		{"kafka valid, misspelt mechanism", kafkaBody("v"), dms.CodeUnsupportedType},
		{"kafka valid, mapping", with(kafkaBody("v"), "source_task", "topics_mapping", "t1:t2"), dms.CodeUnsupportedType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, b := ce.raw(t, "POST", ce.tasksPath(), tc.body)
			wantDMSError(t, st, b, 400, tc.code)
		})
	}
	st, b := ce.raw(t, "POST", ce.tasksPath(), []byte(`{"task_name":`))
	if st != 400 {
		t.Fatalf("truncated JSON: %d %s", st, b)
	}

	// Nothing of the above was created.
	list, err := ce.sdk.ListConnectorTasks(&model.ListConnectorTasksRequest{InstanceId: ce.id})
	if err != nil || deref(list.TotalNumber) != 0 {
		t.Fatalf("tasks after refused requests: %+v %v", list, err)
	}

	// Valid tasks of each kind (start_later: not started); their answers carry no secret.
	for _, body := range []map[string]any{obsBody("dump-1", "t1"),
		with(redisSinkBody("redis-sink", "127.0.0.1:1"), "", "start_later", true),
		with(redisSourceBody("redis-source", "127.0.0.1:1", "from-redis", "CUSTOM_OFFSET"), "", "start_later", true)} {
		st, b := ce.raw(t, "POST", ce.tasksPath(), body)
		if st != 200 || !strings.Contains(string(b), `"status":"WAITING"`) {
			t.Fatalf("create %v: %d %s", body["task_name"], st, b)
		}
	}
	// The same name: DMS.00400867; a topic another dump dumps: DMS.00400874.
	st, b = ce.raw(t, "POST", ce.tasksPath(), obsBody("dump-1", "t9"))
	wantDMSError(t, st, b, 400, dms.CodeConnectTaskCreateFailed)
	st, b = ce.raw(t, "POST", ce.tasksPath(), obsBody("dump-2", "t2, t1"))
	wantDMSError(t, st, b, 400, dms.CodeConnectTopicInUse)

	// The quota: 18 tasks, then DMS.00404029.
	for i := 3; i < 18; i++ {
		if st, b := ce.raw(t, "POST", ce.tasksPath(), obsBody(fmt.Sprintf("dump-%d", i), fmt.Sprintf("q%d", i))); st != 200 {
			t.Fatalf("task %d: %d %s", i, st, b)
		}
	}
	st, b = ce.raw(t, "POST", ce.tasksPath(), obsBody("dump-18", "q18"))
	wantDMSError(t, st, b, 404, dms.CodeConnectTaskQuota)

	// 5.3.4 pages, each answer without secrets.
	seen := map[string]bool{}
	for off := 0; off < 20; off += 7 {
		st, b := ce.raw(t, "GET", fmt.Sprintf("%s?offset=%d&limit=7", ce.tasksPath(), off), nil)
		var page struct {
			Tasks []struct {
				ID       string          `json:"id"`
				SinkTask json.RawMessage `json:"sink_task"`
			} `json:"tasks"`
			Total    int `json:"total_number"`
			MaxTasks int `json:"max_tasks"`
		}
		if err := json.Unmarshal(b, &page); err != nil || st != 200 || page.Total != 18 || page.MaxTasks != 18 {
			t.Fatalf("page %d: %d %s", off, st, b)
		}
		if want := min(7, 18-off); len(page.Tasks) != want {
			t.Fatalf("page at %d has %d tasks, want %d", off, len(page.Tasks), want)
		}
		for _, tk := range page.Tasks {
			if seen[tk.ID] {
				t.Fatalf("task %s on two pages", tk.ID)
			}
			seen[tk.ID] = true
		}
	}
	for _, q := range []string{"?limit=0", "?limit=51", "?offset=-1", "?limit=x"} {
		st, b := ce.raw(t, "GET", ce.tasksPath()+q, nil)
		wantDMSError(t, st, b, 400, dms.CodeInvalidParameter)
	}
}
