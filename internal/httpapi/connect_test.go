package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/minio/minio-go/v7"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/aksk"
	"github.com/opendms/opendms/internal/connect"
	"github.com/opendms/opendms/internal/connect/connecttest"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
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

// deliverUnit is what one second of deliver_time_interval lasts here: 30 s (the minimum) is 1.5 s (the dump runner's floor is 1 s).
const deliverUnit = 50 * time.Millisecond

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
	logs := &lockedBuffer{}
	e := newTestEnvOpts(t, "embedded", testEnvOptions{Connect: cfg, Logs: logs})
	// Secrets never reach the log (checked when the test's services are stopped: cleanups run
	// last-in first-out, so this one runs after newTestEnvOpts's).
	t.Cleanup(func() {
		if !strings.Contains(logs.String(), "/connector") {
			t.Errorf("the server's log has no Smart Connect request: is it captured?")
		}
		for _, sec := range []string{connTestSK, connTestPassword, connTestRedisPW} {
			if strings.Contains(logs.String(), sec) {
				t.Errorf("a secret is in the server's log:\n%s", logs.String())
			}
		}
		// Nor the data dir in clear (the store, its WAL, the instances' files): they are sealed.
		filepath.WalkDir(e.Dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			for _, sec := range []string{connTestSK, connTestPassword, connTestRedisPW} {
				if bytes.Contains(b, []byte(sec)) {
					t.Errorf("a secret is in clear in %s", path)
				}
			}
			return nil
		})
	})
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
	return ce.enableOn(t, ce.id)
}

func (ce *connEnv) enableOn(t *testing.T, instanceID string) string {
	t.Helper()
	resp, err := ce.sdk.CreateConnector(&model.CreateConnectorRequest{InstanceId: instanceID, Body: &model.CreateConnectorReq{}})
	if err != nil {
		t.Fatal(err)
	}
	if deref(resp.JobId) == "" || deref(resp.ConnectorId) == "" {
		t.Fatalf("5.3.1 response %+v: want job_id and connector_id", resp)
	}
	if task := waitTask(t, ce.sdk, instanceID, deref(resp.JobId)); deref(task.Status) != "SUCCESS" {
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
	// It can be enabled again, node_cnt a number as the reference's example sends it.
	st, b = ce.raw(t, "POST", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/connector", []byte(`{"node_cnt":3,"specification":"100MB"}`))
	var again struct {
		JobID       string `json:"job_id"`
		ConnectorID string `json:"connector_id"`
	}
	if err := json.Unmarshal(b, &again); err != nil || st != 200 || again.ConnectorID == "" || again.ConnectorID == connID {
		t.Fatalf("5.3.1 again: %d %s (first connector %s)", st, b, connID)
	}
	if task := waitTask(t, c, ce.id, again.JobID); deref(task.Status) != "SUCCESS" {
		t.Fatalf("5.3.1 job: %+v", task)
	}
	st, b = ce.raw(t, "GET", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/connector", nil)
	if st != 200 || !strings.Contains(string(b), `"node_cnt":3`) {
		t.Fatalf("resource info: %d %s, want node_cnt 3", st, b)
	}
	// Another project's or no instance: 404.
	st, b = ce.raw(t, "POST", "/v2/"+ce.ProjectID+"/instances/no-such-instance/connector", nil)
	if st != 404 {
		t.Fatalf("5.3.1 of no instance: %d %s", st, b)
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
		{"a config-provider reference in topics_regex", with(with(base, "", "topics", nil), "", "topics_regex", "${file:/etc/passwd:x}"), bad},
		{"an internal topic", with(base, "", "topics", "orders,__consumer_offsets"), bad},
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
	// A wrong type's error names the key as the body spells it.
	for _, tc := range []struct {
		body map[string]any
		key  string
	}{
		{with(base, "sink_task", "deliver_time_interval", "thirty"), "sink_task.deliver_time_interval"},
		{with(base, "sink_task", "secret_key", 5), "sink_task.secret_key"},
		{with(kafkaBody("v"), "source_task", "task_num", "two"), "source_task.task_num"},
		{with(kafkaBody("v"), "source_task", "password", true), "source_task.password"},
	} {
		st, b := ce.raw(t, "POST", ce.tasksPath(), tc.body)
		if st != 400 || !strings.Contains(decodeError(t, b).ErrorMsg, "key is "+tc.key+":") {
			t.Errorf("want the key %s named: %d %s", tc.key, st, b)
		}
	}
	st, b := ce.raw(t, "POST", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/connector/validate", map[string]any{"type": "OBS_SINK", "task": map[string]any{"secret_key": 1}})
	if st != 400 || !strings.Contains(decodeError(t, b).ErrorMsg, "key is task.secret_key:") {
		t.Errorf("validate: want the key task.secret_key named: %d %s", st, b)
	}
	st, b = ce.raw(t, "POST", ce.tasksPath(), []byte(`{"task_name":`))
	if st != 400 {
		t.Fatalf("truncated JSON: %d %s", st, b)
	}

	// Nothing of the above was created.
	list, err := ce.sdk.ListConnectorTasks(&model.ListConnectorTasksRequest{InstanceId: ce.id})
	if err != nil || deref(list.TotalNumber) != 0 {
		t.Fatalf("tasks after refused requests: %+v %v", list, err)
	}

	// Valid tasks of each kind (start_later: not started); their answers carry no secret.
	ce.createTopic(t, "from-redis", 1) // a Redis source's topic must exist
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

// dumpSpec is how a dump task lays out its objects.
type dumpSpec struct {
	bucket, path string
	layout       string // Go layout of the time directories (in Asia/Shanghai, the default timezone)
	delim        string
	keys         bool // store_keys, with ":" between key and value
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// dumped reads the objects under spec.path and counts the records in them (by value), checking
// each object's name (<path>/<time dir>/<topic>-<partition>-<first>-<last>) and content against
// the records produced (recs: by value).
func dumped(t *testing.T, ce *connEnv, spec dumpSpec, recs map[string]*kgo.Record) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for key, content := range ce.s3.Objects(spec.bucket) {
		rest, ok := strings.CutPrefix(key, spec.path+"/")
		if !ok {
			continue // another task's
		}
		dir, name := "", rest
		if i := strings.LastIndex(rest, "/"); i >= 0 {
			dir, name = rest[:i], rest[i+1:]
		}
		f := strings.Split(name, "-")
		if len(f) < 4 {
			t.Fatalf("object %q: name is not topic-partition-first-last", key)
		}
		topic := strings.Join(f[:len(f)-3], "-")
		part, _ := strconv.Atoi(f[len(f)-3])
		first, _ := strconv.ParseInt(f[len(f)-2], 10, 64)
		last, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
		entries := strings.Split(content, spec.delim)
		if int64(len(entries)) != last-first+1 {
			t.Fatalf("object %q holds %d records, its name says %d: %q", key, len(entries), last-first+1, content)
		}
		for i, e := range entries {
			v := e
			if spec.keys {
				k, val, ok := strings.Cut(e, ":")
				if !ok {
					t.Fatalf("object %q: record %q without key", key, e)
				}
				v = val
				if r := recs[v]; r != nil && string(r.Key) != k {
					t.Fatalf("object %q: record %q has key %q, produced with %q", key, v, k, r.Key)
				}
			}
			r := recs[v]
			if r == nil {
				t.Fatalf("object %q: record %q was not produced", key, e)
			}
			if r.Topic != topic || int(r.Partition) != part || r.Offset != first+int64(i) {
				t.Fatalf("object %q: record %q is %s/%d@%d", key, v, r.Topic, r.Partition, r.Offset)
			}
			if want := r.Timestamp.In(shanghai).Format(spec.layout); dir != want {
				t.Fatalf("object %q: record %q (timestamp %s) belongs in %q", key, v, r.Timestamp, want)
			}
			counts[v]++
		}
	}
	return counts
}

// waitDumped waits until every record of want is in the objects of spec, then checks each is
// there exactly once and nothing else is.
func waitDumped(t *testing.T, ce *connEnv, spec dumpSpec, recs map[string]*kgo.Record, want []string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		counts := dumped(t, ce, spec, recs)
		missing := 0
		for _, v := range want {
			if counts[v] == 0 {
				missing++
			}
		}
		if missing == 0 {
			for v, n := range counts {
				if n != 1 || !slices.Contains(want, v) {
					t.Fatalf("record %q is %d times in %s/%s (want: %d records once each)", v, n, spec.bucket, spec.path, len(want))
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d records not in %s/%s after 60 s", missing, len(want), spec.bucket, spec.path)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// records indexes recs by value into all and returns their values.
func records(all map[string]*kgo.Record, recs []*kgo.Record) []string {
	var vs []string
	for _, r := range recs {
		all[string(r.Value)] = r
		vs = append(vs, string(r.Value))
	}
	return vs
}

// committed is the consumer group's committed offsets (none: an empty map).
func (ce *connEnv) committed(t *testing.T, group string) map[string]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string]int64{}
	offs, err := ce.adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	offs.Each(func(o kadm.OffsetResponse) { out[fmt.Sprintf("%s/%d", o.Topic, o.Partition)] = o.At })
	return out
}

func (ce *connEnv) showTask(t *testing.T, id string) *model.ShowConnectorTaskResponse {
	t.Helper()
	resp, err := ce.sdk.ShowConnectorTask(&model.ShowConnectorTaskRequest{InstanceId: ce.id, TaskId: id})
	if err != nil {
		t.Fatal(err)
	}
	sdkBody(t, resp)
	return resp
}

// waitStatus polls 5.3.5 until the task's status is want.
func (ce *connEnv) waitStatus(t *testing.T, id, want string) *model.ShowConnectorTaskResponse {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp := ce.showTask(t, id)
		if deref(resp.Status) == want {
			return resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s is %s, want %s", id, deref(resp.Status), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func obsSinkReq(path, delim string, keys bool) *model.SmartConnectTaskReqSinkConfig {
	return &model.SmartConnectTaskReqSinkConfig{ConsumerStrategy: ptrTo("earliest"), DestinationFileType: ptrTo("TEXT"),
		DeliverTimeInterval: ptrTo(int32(30)), AccessKey: ptrTo(connTestAK), SecretKey: ptrTo(connTestSK), ObsBucketName: ptrTo("dump-bucket"),
		ObsPath: ptrTo(path), PartitionFormat: ptrTo("yyyy/MM/dd/HH"), RecordDelimiter: ptrTo(delim), StoreKeys: ptrTo(keys)}
}

func TestConnectOBSDump(t *testing.T) {
	ce := newConnEnv(t)
	c := ce.sdk
	ce.enable(t)
	ce.s3.MakeBucket("dump-bucket")
	ce.createTopic(t, "orders", 2)
	ce.createTopic(t, "refunds", 1)
	all := map[string]*kgo.Record{}
	orders := records(all, ce.produceN(t, "orders", 2, "a", 20)) // before the task: earliest reads them

	created, err := c.CreateConnectorTask(&model.CreateConnectorTaskRequest{InstanceId: ce.id, Body: &model.CreateSmartConnectTaskReq{
		TaskName: ptrTo("orders-dump"), Topics: ptrTo("orders"), SourceType: ptrTo(model.GetCreateSmartConnectTaskReqSourceTypeEnum().NONE),
		SinkType: ptrTo(model.GetCreateSmartConnectTaskReqSinkTypeEnum().OBS_SINK), SinkTask: obsSinkReq("base/orders", ";", true)}})
	if err != nil {
		t.Fatal(err)
	}
	sdkBody(t, created)
	id := deref(created.Id)
	if deref(created.Status) != "RUNNING" || deref(created.TaskName) != "orders-dump" || created.SourceTask != nil {
		t.Fatalf("5.3.3 answer: %+v", created)
	}
	spec := dumpSpec{bucket: "dump-bucket", path: "base/orders", layout: "2006/01/02/15", delim: ";", keys: true}
	waitDumped(t, ce, spec, all, orders)

	// 5.3.5 as the SDK model reads it.
	show := ce.showTask(t, id)
	sk := show.SinkTask
	if deref(show.Status) != "RUNNING" || deref(show.SinkType) != "OBS_SINK" || deref(show.SourceType) != "NONE" || sk == nil ||
		deref(show.CreateTime) <= 0 || deref(show.Topics) != "orders" {
		t.Fatalf("5.3.5: %+v", show)
	}
	if deref(sk.ObsBucketName) != "dump-bucket" || deref(sk.ObsPath) != "base/orders" || deref(sk.PartitionFormat) != "yyyy/MM/dd/HH" ||
		deref(sk.RecordDelimiter) != ";" || !deref(sk.StoreKeys) || deref(sk.DeliverTimeInterval) != 30 || deref(sk.ObsPartSize) != 5242880 ||
		deref(sk.KvDelimiter) != ":" || deref(sk.Timezone) == "" || deref(sk.DestinationFileType) != "TEXT" ||
		deref(sk.ConsumerStrategy) != "earliest" || deref(sk.FlushSize) <= 0 || deref(sk.PartitionerClass) == "" {
		t.Fatalf("5.3.5 sink_task: %+v", *sk)
	}

	// A second task, created to start later: WAITING; pause and resume refuse it; 5.3.9 starts it.
	later, err := c.CreateConnectorTask(&model.CreateConnectorTaskRequest{InstanceId: ce.id, Body: &model.CreateSmartConnectTaskReq{
		TaskName: ptrTo("refunds-dump"), Topics: ptrTo("refunds"), StartLater: ptrTo(true),
		SinkType: ptrTo(model.GetCreateSmartConnectTaskReqSinkTypeEnum().OBS_SINK), SinkTask: obsSinkReq("base/later", "\n", false)}})
	if err != nil {
		t.Fatal(err)
	}
	laterID := deref(later.Id)
	if deref(later.Status) != "WAITING" || deref(ce.showTask(t, laterID).Status) != "WAITING" {
		t.Fatalf("start_later task: %+v", later)
	}
	_, err = c.PauseConnectorTask(&model.PauseConnectorTaskRequest{InstanceId: ce.id, TaskId: laterID})
	wantSDKError(t, err, 400, dms.CodeConnectTaskStopFailed)
	_, err = c.ResumeConnectorTask(&model.ResumeConnectorTaskRequest{InstanceId: ce.id, TaskId: laterID})
	wantSDKError(t, err, 400, dms.CodeConnectTaskStartFailed)

	// 5.3.4: pages of one.
	var ids []string
	for off := int32(0); off < 3; off++ {
		page, err := c.ListConnectorTasks(&model.ListConnectorTasksRequest{InstanceId: ce.id, Offset: ptrTo(off), Limit: ptrTo(int32(1))})
		if err != nil {
			t.Fatal(err)
		}
		sdkBody(t, page)
		if deref(page.TotalNumber) != 2 || deref(page.MaxTasks) != 18 || page.Tasks == nil {
			t.Fatalf("5.3.4 offset %d: %+v", off, page)
		}
		if want := min(1, 2-int(off)); len(*page.Tasks) != want {
			t.Fatalf("5.3.4 offset %d: %d tasks, want %d", off, len(*page.Tasks), want)
		}
		for _, tk := range *page.Tasks {
			ids = append(ids, deref(tk.Id))
		}
	}
	slices.Sort(ids)
	want := []string{id, laterID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("5.3.4 pages list %v, want %v", ids, want)
	}

	refunds := records(all, ce.produceN(t, "refunds", 1, "r", 6))
	if _, err := c.RestartSmartConnectorTask(&model.RestartSmartConnectorTaskRequest{InstanceId: ce.id, TaskId: laterID}); err != nil {
		t.Fatal(err)
	}
	ce.waitStatus(t, laterID, "RUNNING")
	waitDumped(t, ce, dumpSpec{bucket: "dump-bucket", path: "base/later", layout: "2006/01/02/15", delim: "\n"}, all, refunds)

	// ModifyConnectorTask: refunds is the other dump's (DMS.00400874) until it is deleted.
	_, err = c.ModifyConnectorTask(&model.ModifyConnectorTaskRequest{InstanceId: ce.id, TaskId: id, Body: &model.SmartConnectTaskEntity{Topics: ptrTo("orders,refunds")}})
	wantSDKError(t, err, 400, dms.CodeConnectTopicInUse)
	if _, err := c.DeleteConnectorTask(&model.DeleteConnectorTaskRequest{InstanceId: ce.id, TaskId: laterID}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ShowConnectorTask(&model.ShowConnectorTaskRequest{InstanceId: ce.id, TaskId: laterID})
	wantSDKError(t, err, 404, dms.CodeConnectTaskNotFound)
	if got := ce.committed(t, "connect-"+laterID); len(got) != 0 {
		t.Fatalf("deleted task's group offsets: %v", got)
	}

	// Pause: PAUSED, nothing more is stored.
	if _, err := c.PauseConnectorTask(&model.PauseConnectorTaskRequest{InstanceId: ce.id, TaskId: id}); err != nil {
		t.Fatal(err)
	}
	ce.waitStatus(t, id, "PAUSED")
	before := ce.s3.Objects("dump-bucket")
	paused := records(all, ce.produceN(t, "orders", 2, "b", 10))
	time.Sleep(3 * 30 * deliverUnit) // three deliver intervals: a running task would have stored them
	if after := ce.s3.Objects("dump-bucket"); len(after) != len(before) {
		t.Fatalf("a paused task stored objects: %d before, %d after", len(before), len(after))
	}
	// Resume: it goes on from its position, nothing lost, nothing twice.
	if _, err := c.ResumeConnectorTask(&model.ResumeConnectorTaskRequest{InstanceId: ce.id, TaskId: id}); err != nil {
		t.Fatal(err)
	}
	ce.waitStatus(t, id, "RUNNING")
	orders = append(orders, paused...)
	waitDumped(t, ce, spec, all, orders)

	// The topics change: refunds is dumped too (from its start: the group has no position there).
	mod, err := c.ModifyConnectorTask(&model.ModifyConnectorTaskRequest{InstanceId: ce.id, TaskId: id, Body: &model.SmartConnectTaskEntity{Topics: ptrTo("orders,refunds")}})
	if err != nil {
		t.Fatal(err)
	}
	if deref(mod.Topics) != "orders,refunds" || deref(ce.showTask(t, id).Topics) != "orders,refunds" {
		t.Fatalf("ModifyConnectorTask: %+v", mod)
	}
	both := append(slices.Clone(orders), refunds...)
	waitDumped(t, ce, spec, all, both)

	// 5.3.9 on a running task: progress is reset, every record is dumped again from the earliest.
	cl := ce.s3.Client()
	for o := range cl.ListObjects(context.Background(), "dump-bucket", minio.ListObjectsOptions{Recursive: true, Prefix: "base/orders/"}) {
		if err := cl.RemoveObject(context.Background(), "dump-bucket", o.Key, minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.RestartConnectorTask(&model.RestartConnectorTaskRequest{InstanceId: ce.id, TaskId: id}); err != nil {
		t.Fatal(err)
	}
	ce.waitStatus(t, id, "RUNNING")
	waitDumped(t, ce, spec, all, both)

	// 5.3.6: gone with its group's offsets.
	if _, err := c.DeleteConnectorTask(&model.DeleteConnectorTaskRequest{InstanceId: ce.id, TaskId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ShowConnectorTask(&model.ShowConnectorTaskRequest{InstanceId: ce.id, TaskId: id})
	wantSDKError(t, err, 404, dms.CodeConnectTaskNotFound)
	if got := ce.committed(t, "connect-"+id); len(got) != 0 {
		t.Fatalf("deleted task's group offsets: %v", got)
	}
	for _, op := range []string{"pause", "resume", "restart"} {
		st, b := ce.raw(t, "PUT", ce.tasksPath()+"/"+id+"/"+op, nil)
		wantDMSError(t, st, b, 404, dms.CodeConnectTaskNotFound)
	}
	st, b := ce.raw(t, "DELETE", ce.tasksPath()+"/"+id, nil)
	wantDMSError(t, st, b, 404, dms.CodeConnectTaskNotFound)
}

func TestConnectLegacyDump(t *testing.T) {
	ce := newConnEnv(t)
	legacy := func(connID string) string { return "/v2/" + ce.ProjectID + "/connectors/" + connID + "/sink-tasks" }
	st, b := ce.raw(t, "GET", legacy("no-such-connector"), nil)
	wantDMSError(t, st, b, 404, dms.CodeConnectorNotFound)
	connID := ce.enable(t)
	ce.s3.MakeBucket("legacy-bucket")
	ce.createTopic(t, "events", 3)
	all := map[string]*kgo.Record{}
	events := records(all, ce.produceN(t, "events", 3, "e", 30))

	body := map[string]any{"source_type": "BLOB", "task_name": "legacy-1", "destination_type": "OBS",
		"obs_destination_descriptor": map[string]any{"topics": "events", "consumer_strategy": "earliest", "destination_file_type": "TEXT",
			"access_key": connTestAK, "secret_key": connTestSK, "obs_bucket_name": "legacy-bucket", "obs_path": "old",
			"partition_format": "yyyy/MM/dd", "record_delimiter": ",", "deliver_time_interval": 30}}
	// 7.2.4.3's own rules, then 5.3.3's.
	for _, tc := range []struct {
		name string
		body map[string]any
	}{
		{"source_type", with(body, "", "source_type", "KAFKA")},
		{"destination_type", with(body, "", "destination_type", "S3")},
		{"no descriptor", with(body, "", "obs_destination_descriptor", nil)},
		{"no consumer_strategy", with(body, "obs_destination_descriptor", "consumer_strategy", nil)},
		{"no partition_format", with(body, "obs_destination_descriptor", "partition_format", nil)},
		{"no deliver_time_interval", with(body, "obs_destination_descriptor", "deliver_time_interval", nil)},
		{"deliver_time_interval 10", with(body, "obs_destination_descriptor", "deliver_time_interval", 10)},
		{"topics_regex .*", with(with(body, "obs_destination_descriptor", "topics", nil), "obs_destination_descriptor", "topics_regex", ".*")},
		{"no task_name", with(body, "", "task_name", nil)},
		{"topics .*", with(body, "obs_destination_descriptor", "topics", ".*")},
		{"topics with .*", with(body, "obs_destination_descriptor", "topics", "events,.*")},
		{"topics bad regex", with(body, "obs_destination_descriptor", "topics", "ev(ents")},
	} {
		st, b := ce.raw(t, "POST", legacy(connID), tc.body)
		if st != 400 || decodeError(t, b).ErrorCode != dms.CodeInvalidParameter {
			t.Fatalf("%s: %d %s", tc.name, st, b)
		}
	}
	st, b = ce.raw(t, "POST", legacy(connID), body)
	var created struct {
		TaskID string `json:"task_id"`
	}
	if err := json.Unmarshal(b, &created); err != nil || st != 200 || created.TaskID == "" {
		t.Fatalf("7.2.4.3: %d %s", st, b)
	}
	waitDumped(t, ce, dumpSpec{bucket: "legacy-bucket", path: "old", layout: "2006/01/02", delim: ","}, all, events)

	// 7.2.4.4 (no paging) and 5.3.4 see the same task.
	st, b = ce.raw(t, "GET", legacy(connID), nil)
	var list struct {
		Tasks []struct {
			TaskID, TaskName, DestinationType, Status, Topics string
			CreateTime                                        int64
		} `json:"tasks"`
		Total      int `json:"total_number"`
		MaxTasks   int `json:"max_tasks"`
		QuotaTasks int `json:"quota_tasks"`
	}
	if err := json.Unmarshal(b, &list); err != nil || st != 200 {
		t.Fatalf("7.2.4.4: %d %s", st, b)
	}
	if list.Total != 1 || list.MaxTasks != 18 || list.QuotaTasks != 18 || len(list.Tasks) != 1 || !strings.Contains(string(b), `"task_id":"`+created.TaskID+`"`) ||
		!strings.Contains(string(b), `"destination_type":"OBS"`) || !strings.Contains(string(b), `"status":"RUNNING"`) || !strings.Contains(string(b), `"topics":"events"`) {
		t.Fatalf("7.2.4.4: %s", b)
	}
	if s := ce.showTask(t, created.TaskID); deref(s.TaskName) != "legacy-1" || deref(s.SinkType) != "OBS_SINK" {
		t.Fatalf("5.3.5 of a 7.2.4.3 task: %+v", s)
	}

	// 7.2.4.5 with topics_info: every partition dumped to its end, numbers as strings.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, b = ce.raw(t, "GET", legacy(connID)+"/"+created.TaskID+"?topic-info=true", nil)
		var show struct {
			TaskName   string         `json:"task_name"`
			Status     string         `json:"status"`
			Descriptor map[string]any `json:"obs_destination_descriptor"`
			TopicsInfo []struct {
				Topic      string `json:"topic"`
				Partitions []struct {
					PartitionID        string `json:"partition_id"`
					Status             string `json:"status"`
					LastTransferOffset string `json:"last_transfer_offset"`
					LogEndOffset       string `json:"log_end_offset"`
					Lag                string `json:"lag"`
				} `json:"partitions"`
			} `json:"topics_info"`
		}
		if err := json.Unmarshal(b, &show); err != nil || st != 200 {
			t.Fatalf("7.2.4.5: %d %s", st, b)
		}
		d := show.Descriptor
		if show.TaskName != "legacy-1" || show.Status != "RUNNING" || d["obs_bucket_name"] != "legacy-bucket" || d["obs_path"] != "old" ||
			d["record_delimiter"] != "," || d["deliver_time_interval"] != float64(30) || d["obs_part_size"] != float64(5242880) ||
			d["partition_format"] != "yyyy/MM/dd" || d["consumer_strategy"] != "earliest" || d["destination_file_type"] != "TEXT" {
			t.Fatalf("7.2.4.5: %s", b)
		}
		done := len(show.TopicsInfo) == 1 && show.TopicsInfo[0].Topic == "events" && len(show.TopicsInfo[0].Partitions) == 3
		if done {
			for i, p := range show.TopicsInfo[0].Partitions {
				if p.PartitionID != strconv.Itoa(i) || p.LogEndOffset != "10" || p.Status != "RUNNING" {
					t.Fatalf("7.2.4.5 partition %d: %+v", i, p)
				}
				done = done && p.LastTransferOffset == "9" && p.Lag == "0"
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("7.2.4.5 progress never reached the end: %s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, b = ce.raw(t, "GET", legacy(connID)+"/"+created.TaskID, nil)
	if st != 200 || strings.Contains(string(b), "topics_info") {
		t.Fatalf("7.2.4.5 without topic-info: %d %s", st, b)
	}

	// Paused: 7.2.4.5's progress is what the group committed.
	if _, err := ce.sdk.PauseConnectorTask(&model.PauseConnectorTaskRequest{InstanceId: ce.id, TaskId: created.TaskID}); err != nil {
		t.Fatal(err)
	}
	st, b = ce.raw(t, "GET", legacy(connID)+"/"+created.TaskID+"?topic-info=true", nil)
	if st != 200 || !strings.Contains(string(b), `"status":"PAUSED"`) ||
		strings.Count(string(b), `"last_transfer_offset":"9","log_end_offset":"10","lag":"0"`) != 3 {
		t.Fatalf("7.2.4.5 of a paused dump: %d %s", st, b)
	}

	// 7.2.4.1: the quota is already the maximum.
	for _, tc := range []struct {
		body       string
		status     int
		code       string
		connectorI string
	}{
		{`{"sink_max_tasks":18}`, 204, "", connID},
		{`{"sink_max_tasks":20}`, 400, dms.CodeConnectorTaskQuotaInvalid, connID},
		{`{"sink_max_tasks":0}`, 400, dms.CodeInvalidParameter, connID},
		{`{}`, 400, dms.CodeInvalidParameter, connID},
		{`{"sink_max_tasks":"18"}`, 400, dms.CodeBodyInvalidKey, connID},
		{`{"sink_max_tasks":18}`, 404, dms.CodeConnectorNotFound, "nope"},
	} {
		st, b := ce.raw(t, "PUT", legacy(tc.connectorI), []byte(tc.body))
		if tc.status == 204 {
			if st != 204 {
				t.Fatalf("7.2.4.1 %s: %d %s", tc.body, st, b)
			}
			continue
		}
		wantDMSError(t, st, b, tc.status, tc.code)
	}

	// 7.2.4.2: refused with tasks and with another instance id; the order is 5.3.2's job.
	order := "/v2/" + ce.ProjectID + "/kafka/instances/" + ce.id + "/delete-connector-order"
	st, b = ce.raw(t, "POST", order, map[string]string{"instance_id": "other"})
	wantDMSError(t, st, b, 400, dms.CodeInvalidParameter)
	st, b = ce.raw(t, "POST", order, map[string]string{"instance_id": ce.id})
	wantDMSError(t, st, b, 500, dms.CodeConnectTasksExist)

	// 7.2.4.6, then the order.
	st, b = ce.raw(t, "DELETE", legacy(connID)+"/"+created.TaskID, nil)
	if st != 204 {
		t.Fatalf("7.2.4.6: %d %s", st, b)
	}
	st, b = ce.raw(t, "GET", legacy(connID)+"/"+created.TaskID, nil)
	wantDMSError(t, st, b, 404, dms.CodeConnectTaskNotFound)
	st, b = ce.raw(t, "DELETE", legacy(connID)+"/"+created.TaskID, nil)
	wantDMSError(t, st, b, 404, dms.CodeConnectTaskNotFound)
	if got := ce.committed(t, "connect-"+created.TaskID); len(got) != 0 {
		t.Fatalf("deleted dump's group offsets: %v", got)
	}
	st, b = ce.raw(t, "POST", order, map[string]string{"instance_id": ce.id, "url": "https://example.com"})
	var ord struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal(b, &ord); err != nil || st != 200 || ord.OrderID == "" {
		t.Fatalf("7.2.4.2: %d %s", st, b)
	}
	if task := waitTask(t, ce.sdk, ce.id, ord.OrderID); deref(task.Status) != "SUCCESS" {
		t.Fatalf("7.2.4.2 order: %+v", task)
	}
	st, b = ce.raw(t, "GET", legacy(connID), nil)
	wantDMSError(t, st, b, 404, dms.CodeConnectorNotFound)
}

// consumeN reads topic from its start until it has n records.
func (ce *connEnv) consumeN(t *testing.T, topic string, n int, more func([]*kgo.Record) bool) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(ce.seeds...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n || more != nil && more(out) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("topic %s: %d records, want %d", topic, len(out), n)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func (ce *connEnv) createRaw(t *testing.T, body map[string]any) string {
	t.Helper()
	st, b := ce.raw(t, "POST", ce.tasksPath(), body)
	var v struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(b, &v); err != nil || st != 200 || v.ID == "" {
		t.Fatalf("5.3.3 %v: %d %s", body["task_name"], st, b)
	}
	return v.ID
}

func TestConnectRedis(t *testing.T) {
	ce := newConnEnv(t)
	ce.enable(t)
	ctx := context.Background()

	t.Run("sink", func(t *testing.T) {
		srv := connecttest.StartRedis(t, connTestRedisPW)
		ce.createTopic(t, "to-redis", 2)
		recs := []*kgo.Record{
			{Topic: "to-redis", Partition: 0, Key: []byte("plain"), Value: []byte("v1")},
			{Topic: "to-redis", Partition: 1, Key: []byte("h"), Value: []byte(`{"key":"h","type":"hash","value":{"f":"x","g":"y"},"ttl_ms":-1,"db":0,"op":"SET"}`)},
			{Topic: "to-redis", Partition: 0, Key: []byte("l"), Value: []byte(`{"key":"l","db":5,"op":"COMMAND","args":["RPUSH","l","a","b"]}`)},
		}
		if err := ce.kcl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		id := ce.createRaw(t, redisSinkBody("redis-sink", srv.Addr))
		ce.waitStatus(t, id, "RUNNING")
		db3 := srv.Client(3)
		defer db3.Close()
		deadline := time.Now().Add(60 * time.Second)
		for db3.Exists(ctx, "plain", "h", "l").Val() != 3 {
			if time.Now().After(deadline) {
				t.Fatalf("keys in db 3: %v", db3.Keys(ctx, "*").Val())
			}
			time.Sleep(50 * time.Millisecond)
		}
		if v := db3.Get(ctx, "plain").Val(); v != "v1" {
			t.Errorf("plain = %q", v)
		}
		if v := db3.HGetAll(ctx, "h").Val(); len(v) != 2 || v["f"] != "x" || v["g"] != "y" {
			t.Errorf("h = %v", v)
		}
		if v := db3.LRange(ctx, "l", 0, -1).Val(); !slices.Equal(v, []string{"a", "b"}) {
			t.Errorf("l = %v", v)
		}
		db0 := srv.Client(0)
		defer db0.Close()
		if n := db0.DBSize(ctx).Val(); n != 0 {
			t.Errorf("target_db 3, yet db 0 has %d keys", n)
		}
		show := ce.showTask(t, id)
		if show.SinkTask == nil || deref(show.SinkType) != "REDIS_REPLICATOR_SINK" {
			t.Fatalf("5.3.5: %+v", show)
		}
		st, b := ce.raw(t, "GET", ce.tasksPath()+"/"+id, nil)
		if st != 200 || !strings.Contains(string(b), `"target_db":3`) || !strings.Contains(string(b), `"redis_address":"`+srv.Addr+`"`) {
			t.Fatalf("5.3.5 raw: %s", b)
		}
		// A wrong password: the create fails and nothing is kept.
		st, b = ce.raw(t, "POST", ce.tasksPath(), with(redisSinkBody("redis-sink-2", srv.Addr), "sink_task", "redis_password", "wrong-"+connTestRedisPW[:3]))
		wantDMSError(t, st, b, 400, dms.CodeConnectTaskCreateFailed)
		// A cluster that is a standalone server: DMS.00400875.
		st, b = ce.raw(t, "POST", ce.tasksPath(), with(with(redisSinkBody("redis-sink-3", srv.Addr), "sink_task", "redis_type", "cluster"), "sink_task", "target_db", 0))
		wantDMSError(t, st, b, 400, dms.CodeConnectRedisTypeMismatch)
		if _, err := ce.sdk.DeleteConnectorTask(&model.DeleteConnectorTaskRequest{InstanceId: ce.id, TaskId: id}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("source", func(t *testing.T) {
		srv := connecttest.StartRedis(t, connTestRedisPW)
		srv.Do(t, 0, []any{"SET", "s1", "one"}, []any{"HSET", "h2", "a", "1"}, []any{"RPUSH", "l2", "x", "y"}, []any{"SADD", "set2", "m"})
		srv.Do(t, 1, []any{"SET", "d1", "x"})
		want := map[string]string{"0/s1": "string", "0/h2": "hash", "0/l2": "list", "0/set2": "set", "1/d1": "string"}
		check := func(recs []*kgo.Record) {
			t.Helper()
			got := map[string]string{}
			for _, r := range recs {
				var v struct {
					Key, Type, Op string
					DB            int
				}
				if err := json.Unmarshal(r.Value, &v); err != nil {
					t.Fatalf("record %q: %v", r.Value, err)
				}
				if v.Op == "SET" {
					got[fmt.Sprintf("%d/%s", v.DB, v.Key)] = v.Type
					if string(r.Key) != v.Key {
						t.Errorf("record of %s has Kafka key %q", v.Key, r.Key)
					}
				}
			}
			for k, typ := range want {
				if got[k] != typ {
					t.Errorf("full sync: %s is %q, want %q (got %v)", k, got[k], typ, got)
				}
			}
		}
		// The topic it writes to must exist.
		st, b := ce.raw(t, "POST", ce.tasksPath(), redisSourceBody("no-topic", srv.Addr, "no-such-topic", "RDB_ONLY"))
		wantDMSError(t, st, b, 400, dms.CodeTopicNotExist)
		for _, mode := range []string{"RDB_ONLY", "CUSTOM_OFFSET"} {
			topic := "from-redis-" + strings.ToLower(strings.ReplaceAll(mode, "_", "-"))
			ce.createTopic(t, topic, 1)
			id := ce.createRaw(t, redisSourceBody("source-"+strings.ToLower(strings.ReplaceAll(mode, "_", "-")), srv.Addr, topic, mode))
			check(ce.consumeN(t, topic, len(want), nil))
			if show := ce.showTask(t, id); deref(show.Status) != "RUNNING" || show.SourceTask == nil || deref(show.SourceType) != "REDIS_REPLICATOR_SOURCE" {
				t.Fatalf("%s: 5.3.5 %+v", mode, show)
			}
			if mode == "CUSTOM_OFFSET" {
				// The replication stream follows the full sync.
				srv.Do(t, 0, []any{"SET", "live", "after"})
				ce.consumeN(t, topic, len(want)+1, func(recs []*kgo.Record) bool {
					for _, r := range recs {
						if strings.Contains(string(r.Value), `"op":"COMMAND"`) && strings.Contains(string(r.Value), `"live"`) {
							return false
						}
					}
					return true
				})
			}
		}
	})
}

func TestConnectValidateConnectivity(t *testing.T) {
	ce := newConnEnv(t)
	ce.enable(t)
	ce.s3.MakeBucket("there")
	peerID, _ := ce.newInstance(t, "kafka-peer")
	validate := func(typ string, task map[string]any) (int, []byte) {
		t.Helper()
		return ce.raw(t, "POST", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/connector/validate", map[string]any{"type": typ, "task": task})
	}

	// Kafka through the SDK: another instance of the project answers; a dead address does not.
	_, err := ce.sdk.ValidateConnectorConnectivity(&model.ValidateConnectorConnectivityRequest{InstanceId: ce.id, Body: &model.SmartConnectValidateEntity{
		Type: "KAFKA_REPLICATOR_SOURCE", Task: &model.SmartConnectTaskRespSourceConfig{InstanceId: ptrTo(peerID), SecurityProtocol: ptrTo("PLAINTEXT")}}})
	if err != nil {
		t.Fatalf("validate the peer instance: %v", err)
	}
	dead := connecttest.FreeAddr(t)
	_, err = ce.sdk.ValidateConnectorConnectivity(&model.ValidateConnectorConnectivityRequest{InstanceId: ce.id, Body: &model.SmartConnectValidateEntity{
		Type: "KAFKA_REPLICATOR_SOURCE", Task: &model.SmartConnectTaskRespSourceConfig{BootstrapServers: ptrTo(dead), SecurityProtocol: ptrTo("PLAINTEXT")}}})
	wantSDKError(t, err, 400, dms.CodeConnectTaskVerifyFailed)
	if !strings.Contains(err.Error(), dead) {
		t.Errorf("the message does not name the address %s: %v", dead, err)
	}

	redisSrv := connecttest.StartRedis(t, connTestRedisPW)
	obs := func(ak, sk, bucket string) map[string]any {
		return map[string]any{"access_key": ak, "secret_key": sk, "obs_bucket_name": bucket}
	}
	cases := []struct {
		name    string
		typ     string
		task    map[string]any
		status  int
		code    string
		message string // in the error message
	}{
		{"kafka peer instance", "KAFKA_REPLICATOR_SOURCE", map[string]any{"instance_id": peerID}, 200, "", ""},
		{"kafka unknown instance", "KAFKA_REPLICATOR_SOURCE", map[string]any{"instance_id": "nope"}, 400, dms.CodeInvalidParameter, "nope"},
		{"kafka this instance", "KAFKA_REPLICATOR_SOURCE", map[string]any{"instance_id": ce.id}, 400, dms.CodeInvalidParameter, "this instance"},
		{"kafka dead", "KAFKA_REPLICATOR_SOURCE", map[string]any{"bootstrap_servers": dead}, 400, dms.CodeConnectTaskVerifyFailed, dead},
		{"kafka bad address", "KAFKA_REPLICATOR_SOURCE", map[string]any{"bootstrap_servers": "no-port"}, 400, dms.CodeInvalidParameter, "bootstrap_servers"},
		{"redis good", "REDIS_REPLICATOR_SINK", map[string]any{"redis_address": redisSrv.Addr, "redis_password": connTestRedisPW}, 200, "", ""},
		{"redis source good", "REDIS_REPLICATOR_SOURCE", map[string]any{"redis_address": redisSrv.Addr, "redis_password": connTestRedisPW}, 200, "", ""},
		{"redis bad password", "REDIS_REPLICATOR_SINK", map[string]any{"redis_address": redisSrv.Addr, "redis_password": "wrong"}, 400, dms.CodeConnectTaskVerifyFailed, "password"},
		{"redis no password", "REDIS_REPLICATOR_SINK", map[string]any{"redis_address": redisSrv.Addr}, 400, dms.CodeConnectTaskVerifyFailed, ""},
		{"redis dead", "REDIS_REPLICATOR_SINK", map[string]any{"redis_address": dead}, 400, dms.CodeConnectTaskVerifyFailed, dead},
		{"redis no address", "REDIS_REPLICATOR_SINK", map[string]any{}, 400, dms.CodeInvalidParameter, "redis_address"},
		{"redis cluster type on a standalone", "REDIS_REPLICATOR_SINK", map[string]any{"redis_address": redisSrv.Addr, "redis_password": connTestRedisPW,
			"redis_type": "cluster"}, 400, dms.CodeConnectRedisTypeMismatch, redisSrv.Addr},
		{"obs good", "OBS_SINK", obs(connTestAK, connTestSK, "there"), 200, "", ""},
		{"obs bad secret key", "OBS_SINK", obs(connTestAK, "wrong-key", "there"), 400, dms.CodeConnectTaskVerifyFailed, ""},
		{"obs unknown access key", "OBS_SINK", obs("nobody", connTestSK, "there"), 400, dms.CodeConnectTaskVerifyFailed, ""},
		{"obs missing bucket", "OBS_SINK", obs(connTestAK, connTestSK, "not-there"), 400, dms.CodeConnectTaskVerifyFailed, "not-there"},
		{"obs no keys", "OBS_SINK", obs("", "", "there"), 400, dms.CodeInvalidParameter, ""},
		{"bad type", "FTP", map[string]any{}, 400, dms.CodeInvalidParameter, "type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, b := validate(tc.typ, tc.task)
			if tc.status == 200 {
				if st != 200 {
					t.Fatalf("%d %s", st, b)
				}
				return
			}
			wantDMSError(t, st, b, tc.status, tc.code)
			if msg := decodeError(t, b).ErrorMsg; !strings.Contains(msg, tc.message) {
				t.Fatalf("message %q does not say %q", msg, tc.message)
			}
		})
	}
	st, b := ce.raw(t, "POST", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/connector/validate", map[string]any{"type": "OBS_SINK"})
	wantDMSError(t, st, b, 400, dms.CodeInvalidParameter)

	// ListObsBuckets: the keys in the X-OBS-* headers; without them 400.
	buckets := func(ak, sk string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest("GET", ce.URL+"/v1.0/dms/obs/buckets", nil)
		if err != nil {
			t.Fatal(err)
		}
		if ak != "" {
			req.Header.Set("X-OBS-Access-Key", ak)
			req.Header.Set("X-OBS-Secret-Key", sk)
		}
		if err := aksk.Sign(req, nil, ce.AK, ce.SK, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, b := send(t, req)
		noSecrets(t, b)
		return resp.StatusCode, b
	}
	st, b = buckets(connTestAK, connTestSK)
	var list []struct {
		BucketName   string `json:"bucketName"`
		CreationDate int64  `json:"creationDate"`
	}
	if err := json.Unmarshal(b, &list); err != nil || st != 200 || len(list) != 1 || list[0].BucketName != "there" || list[0].CreationDate <= 0 {
		t.Fatalf("ListObsBuckets: %d %s", st, b)
	}
	st, b = buckets("", "")
	wantDMSError(t, st, b, 400, dms.CodeInvalidParameter)
	st, b = buckets(connTestAK, "wrong")
	wantDMSError(t, st, b, 400, dms.CodeConnectTaskVerifyFailed)
}

// TestConnectServiceRestart is a dmsd restart in-process: the connect service is closed and a new
// one made over the same store; the running dump task runs again and loses nothing.
func TestConnectServiceRestart(t *testing.T) {
	ce := newConnEnv(t)
	ce.enable(t)
	ce.s3.MakeBucket("dump-bucket")
	ce.createTopic(t, "orders", 2)
	all := map[string]*kgo.Record{}
	orders := records(all, ce.produceN(t, "orders", 2, "a", 20))
	created, err := ce.sdk.CreateConnectorTask(&model.CreateConnectorTaskRequest{InstanceId: ce.id, Body: &model.CreateSmartConnectTaskReq{
		TaskName: ptrTo("orders-dump"), Topics: ptrTo("orders"),
		SinkType: ptrTo(model.GetCreateSmartConnectTaskReqSinkTypeEnum().OBS_SINK), SinkTask: obsSinkReq("base", "\n", true)}})
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.Id)
	spec := dumpSpec{bucket: "dump-bucket", path: "base", layout: "2006/01/02/15", delim: "\n", keys: true}
	waitDumped(t, ce, spec, all, orders)

	// Records that the old service reads but may not have stored when it stops, and records
	// produced while no service runs.
	orders = append(orders, records(all, ce.produceN(t, "orders", 2, "b", 10))...)
	ce.Connect.Close()
	orders = append(orders, records(all, ce.produceN(t, "orders", 2, "c", 10))...)

	sealer, err := iam.NewSealer(bytes.Repeat([]byte{7}, 32)) // the test server's master key
	if err != nil {
		t.Fatal(err)
	}
	svc := connect.New(ce.Instances, ce.Store, sealer, ce.Runner, ce.cfg, nil)
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	waitDumped(t, ce, spec, all, orders)
	// The new service shows it RUNNING with every partition stored to its end (its progress is
	// updated after the objects are stored: polled).
	deadline := time.Now().Add(30 * time.Second)
	for {
		ti, err := svc.Task(context.Background(), ce.ProjectID, ce.id, id, true)
		if err != nil {
			t.Fatal(err)
		}
		if ti.Status != dms.ConnectTaskRunning {
			t.Fatalf("after the restart: status %s (%s)", ti.Status, ti.Detail)
		}
		done := len(ti.Progress) == 2
		for _, p := range ti.Progress {
			done = done && p.LogEndOffset == 20 && p.LastTransferOffset == 19 && p.Lag == 0
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart: progress %+v, want both partitions stored to offset 19", ti.Progress)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConnectLegacyTopicRegexes: 7.2.4.3's topics may hold regular expressions.
func TestConnectLegacyTopicRegexes(t *testing.T) {
	ce := newConnEnv(t)
	connID := ce.enable(t)
	ce.s3.MakeBucket("legacy-bucket")
	ce.createTopic(t, "logs-app", 1)
	ce.createTopic(t, "logs-web", 1)
	ce.createTopic(t, "audit", 1)
	ce.createTopic(t, "other", 1)
	all := map[string]*kgo.Record{}
	want := records(all, ce.produceN(t, "logs-app", 1, "app", 3))
	want = append(want, records(all, ce.produceN(t, "logs-web", 1, "web", 3))...)
	want = append(want, records(all, ce.produceN(t, "audit", 1, "audit", 3))...)
	records(all, ce.produceN(t, "other", 1, "other", 3)) // not dumped
	st, b := ce.raw(t, "POST", "/v2/"+ce.ProjectID+"/connectors/"+connID+"/sink-tasks", map[string]any{"source_type": "BLOB", "task_name": "regexes",
		"destination_type": "OBS", "obs_destination_descriptor": map[string]any{"topics": "logs-.*,audit", "consumer_strategy": "earliest",
			"destination_file_type": "TEXT", "access_key": connTestAK, "secret_key": connTestSK, "obs_bucket_name": "legacy-bucket",
			"obs_path": "rx", "partition_format": "yyyy", "deliver_time_interval": 30}})
	if st != 200 {
		t.Fatalf("7.2.4.3: %d %s", st, b)
	}
	waitDumped(t, ce, dumpSpec{bucket: "legacy-bucket", path: "rx", layout: "2006", delim: "\n"}, all, want)
}

// TestConnectTaskLifecycleEdges: a dump that cannot start is not kept; latest skips what was
// there; a paused task stays paused over a service restart; deleting the instance stops its tasks.
func TestConnectTaskLifecycleEdges(t *testing.T) {
	ce := newConnEnv(t)
	ce.enable(t)
	ce.s3.MakeBucket("dump-bucket")
	ce.createTopic(t, "t1", 1)
	ce.createTopic(t, "t2", 1)
	all := map[string]*kgo.Record{}
	records(all, ce.produceN(t, "t1", 1, "old", 5))

	// A bucket that does not exist: 400 DMS.00400867 naming it, nothing kept.
	body := with(with(obsBody("nobucket", "t1"), "", "start_later", false), "sink_task", "obs_bucket_name", "no-such-bucket")
	st, b := ce.raw(t, "POST", ce.tasksPath(), body)
	wantDMSError(t, st, b, 400, dms.CodeConnectTaskCreateFailed)
	if !strings.Contains(decodeError(t, b).ErrorMsg, "no-such-bucket") {
		t.Errorf("the message does not name the bucket: %s", b)
	}
	if l, err := ce.sdk.ListConnectorTasks(&model.ListConnectorTasksRequest{InstanceId: ce.id}); err != nil || deref(l.TotalNumber) != 0 {
		t.Fatalf("after a failed create: %+v %v", l, err)
	}

	// consumer_strategy latest: only what comes after the start.
	id := ce.createRaw(t, with(with(with(obsBody("latest", "t1"), "", "start_later", false), "sink_task", "consumer_strategy", "latest"), "sink_task", "obs_path", "latest"))
	ce.waitStatus(t, id, "RUNNING")
	// Its start position is taken when its consumer joins: new records are produced until some
	// are stored; none of the records from before the task may be.
	latest := dumpSpec{bucket: "dump-bucket", path: "latest", layout: "2006/01/02", delim: "\n"}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		records(all, ce.produceN(t, "t1", 1, fmt.Sprintf("new%d", i), 1))
		counts := dumped(t, ce, latest, all)
		for v := range counts {
			if strings.HasPrefix(v, "old-") {
				t.Fatalf("a latest task stored %q, produced before it started", v)
			}
		}
		if len(counts) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the latest task stored nothing in 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Paused stays paused over a restart of the service; running runs.
	paused := ce.createRaw(t, with(with(obsBody("paused", "t2"), "", "start_later", false), "sink_task", "obs_path", "paused"))
	if _, err := ce.sdk.PauseConnectorTask(&model.PauseConnectorTaskRequest{InstanceId: ce.id, TaskId: paused}); err != nil {
		t.Fatal(err)
	}
	// Pausing twice and resuming a running task are no-ops.
	if _, err := ce.sdk.PauseConnectorTask(&model.PauseConnectorTaskRequest{InstanceId: ce.id, TaskId: paused}); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.sdk.ResumeConnectorTask(&model.ResumeConnectorTaskRequest{InstanceId: ce.id, TaskId: id}); err != nil {
		t.Fatal(err)
	}
	// ModifyConnectorTask with what 5.3.5 showed (as an SDK user sends it back), topics changed:
	// a paused task takes them and stays paused; other fields changed are refused.
	ce.createTopic(t, "t3", 1)
	shown := ce.showTask(t, paused)
	entity := model.SmartConnectTaskEntity{TaskName: shown.TaskName, Topics: ptrTo("t2,t3"), TopicsRegex: shown.TopicsRegex,
		SourceType: shown.SourceType, SourceTask: shown.SourceTask, SinkType: shown.SinkType, SinkTask: shown.SinkTask,
		Id: shown.Id, Status: shown.Status, CreateTime: shown.CreateTime}
	if _, err := ce.sdk.ModifyConnectorTask(&model.ModifyConnectorTaskRequest{InstanceId: ce.id, TaskId: paused, Body: &entity}); err != nil {
		t.Fatal(err)
	}
	if s := ce.showTask(t, paused); deref(s.Topics) != "t2,t3" || deref(s.Status) != "PAUSED" {
		t.Fatalf("after modifying a paused task: %+v", s)
	}
	for _, tc := range []struct {
		name string
		body model.SmartConnectTaskEntity
	}{
		{"task_name", model.SmartConnectTaskEntity{TaskName: ptrTo("renamed"), Topics: ptrTo("t2")}},
		{"sink_type", model.SmartConnectTaskEntity{SinkType: ptrTo("REDIS_REPLICATOR_SINK"), Topics: ptrTo("t2")}},
		{"no topics", model.SmartConnectTaskEntity{TaskName: shown.TaskName}},
	} {
		_, err := ce.sdk.ModifyConnectorTask(&model.ModifyConnectorTaskRequest{InstanceId: ce.id, TaskId: paused, Body: &tc.body})
		wantSDKError(t, err, 400, dms.CodeConnectTaskModifyFailed)
	}
	_, err := ce.sdk.ModifyConnectorTask(&model.ModifyConnectorTaskRequest{InstanceId: ce.id, TaskId: paused,
		Body: &model.SmartConnectTaskEntity{Topics: ptrTo("t2"), TopicsRegex: ptrTo("t.*")}})
	wantSDKError(t, err, 400, dms.CodeInvalidParameter)

	ce.Connect.Close()
	sealer, err := iam.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := connect.New(ce.Instances, ce.Store, sealer, ce.Runner, ce.cfg, nil)
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	for tid, want := range map[string]string{paused: dms.ConnectTaskPaused, id: dms.ConnectTaskRunning} {
		ti, err := svc.Task(context.Background(), ce.ProjectID, ce.id, tid, false)
		if err != nil || ti.Status != want {
			t.Fatalf("task %s after the restart: %s (%s) %v, want %s", ti.Name, ti.Status, ti.Detail, err, want)
		}
	}

	// Another instance's connector does not reach these tasks.
	otherID, _ := ce.newInstance(t, "kafka-other")
	ce.enableOn(t, otherID)
	other := "/v2/" + ce.ProjectID + "/instances/" + otherID + "/connector/tasks/" + id
	st, b = ce.raw(t, "GET", other, nil)
	wantDMSError(t, st, b, 404, dms.CodeConnectTaskNotFound)
	for _, op := range []string{"/pause", "/resume", "/restart"} {
		st, b := ce.raw(t, "PUT", other+op, nil)
		wantDMSError(t, st, b, 404, dms.CodeConnectTaskNotFound)
	}
	st, b = ce.raw(t, "DELETE", other, nil)
	wantDMSError(t, st, b, 404, dms.CodeConnectTaskNotFound)

	// Deleting the instance stops the running task and forgets the tasks.
	if _, err := ce.sdk.DeleteInstance(&model.DeleteInstanceRequest{InstanceId: ce.id}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(60 * time.Second)
	for {
		ts, err := ce.Store.ListConnectTasks(context.Background(), ce.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks of a deleted instance: %d", len(ts))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConnectDumpError: a dump whose bucket goes away is in ERROR with why; 5.3.8 refuses to
// resume it and 5.3.9 to restart it while the bucket is missing; once it is back, it goes on.
func TestConnectDumpError(t *testing.T) {
	ce := newConnEnv(t)
	ce.enable(t)
	ce.s3.MakeBucket("dump-bucket")
	ce.createTopic(t, "t1", 1)
	all := map[string]*kgo.Record{}
	want := records(all, ce.produceN(t, "t1", 1, "a", 5))
	id := ce.createRaw(t, with(with(obsBody("erring", "t1"), "", "start_later", false), "sink_task", "obs_path", "err"))
	spec := dumpSpec{bucket: "dump-bucket", path: "err", layout: "2006/01/02", delim: "\n"}
	waitDumped(t, ce, spec, all, want)

	cl := ce.s3.Client()
	ctx := context.Background()
	for o := range cl.ListObjects(ctx, "dump-bucket", minio.ListObjectsOptions{Recursive: true}) {
		if err := cl.RemoveObject(ctx, "dump-bucket", o.Key, minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.RemoveBucket(ctx, "dump-bucket"); err != nil {
		t.Fatal(err)
	}
	more := records(all, ce.produceN(t, "t1", 1, "b", 5))
	ce.waitStatus(t, id, "ERROR")
	st, b := ce.raw(t, "GET", ce.tasksPath()+"/"+id, nil)
	var v struct {
		Detail string `json:"status_detail"`
	}
	if err := json.Unmarshal(b, &v); err != nil || st != 200 || !strings.Contains(v.Detail, "dump-bucket") || strings.Contains(v.Detail, "\n") {
		t.Fatalf("5.3.5 of a failed dump: %d %s: want status_detail naming the bucket, one line", st, b)
	}
	_, err := ce.sdk.ResumeConnectorTask(&model.ResumeConnectorTaskRequest{InstanceId: ce.id, TaskId: id})
	wantSDKError(t, err, 400, dms.CodeConnectTaskStartFailed)

	// 5.3.9 resets it (its group's positions go) and cannot start it: it is left PAUSED.
	_, err = ce.sdk.RestartConnectorTask(&model.RestartConnectorTaskRequest{InstanceId: ce.id, TaskId: id})
	wantSDKError(t, err, 400, dms.CodeConnectTaskRestartFailed)
	ce.waitStatus(t, id, "PAUSED")
	if got := ce.committed(t, "connect-"+id); len(got) != 0 {
		t.Fatalf("a reset task's group offsets: %v", got)
	}

	ce.s3.MakeBucket("dump-bucket")
	if _, err := ce.sdk.ResumeConnectorTask(&model.ResumeConnectorTaskRequest{InstanceId: ce.id, TaskId: id}); err != nil {
		t.Fatal(err)
	}
	ce.waitStatus(t, id, "RUNNING")
	waitDumped(t, ce, spec, all, append(want, more...)) // from the earliest again: the reset
}

// TestConnectMalformedBodies: every Smart Connect API answers a malformed body with a 4xx DMS
// error, never a 500.
func TestConnectMalformedBodies(t *testing.T) {
	ce := newConnEnv(t)
	connID := ce.enable(t)
	paths := []struct{ method, path string }{
		{"POST", ce.tasksPath()},
		{"PUT", ce.tasksPath() + "/x"},
		{"POST", "/v2/" + ce.ProjectID + "/instances/" + ce.id + "/connector/validate"},
		{"POST", "/v2/" + ce.ProjectID + "/connectors/" + connID + "/sink-tasks"},
		{"PUT", "/v2/" + ce.ProjectID + "/connectors/" + connID + "/sink-tasks"},
		{"POST", "/v2/" + ce.ProjectID + "/kafka/instances/" + ce.id + "/delete-connector-order"},
		{"POST", "/v2/" + ce.ProjectID + "/instances/" + ce.id + "/connector"},
	}
	bodies := []string{`null`, `[]`, `"x"`, `{"task_name":`, `{} {}`, `{"sink_task":"x"}`, `{"source_task":[1]}`, `{"task":"x"}`,
		`{"obs_destination_descriptor":"x"}`, `{"sink_max_tasks":null}`, `{"instance_id":7}`, `{"node_cnt":[2]}`, `{"type":"OBS_SINK","task":null}`,
		`{"task_name":"n","topics":"t","sink_type":"OBS_SINK","sink_task":null}`, `{"task_name":"n","topics":"t","source_type":"REDIS_REPLICATOR_SOURCE","source_task":null}`}
	for _, p := range paths {
		for _, body := range bodies {
			st, b := ce.raw(t, p.method, p.path, []byte(body))
			if st < 400 || st >= 500 || decodeError(t, b).ErrorCode == "" {
				t.Errorf("%s %s %s: %d %s", p.method, p.path, body, st, b)
			}
		}
	}
}
