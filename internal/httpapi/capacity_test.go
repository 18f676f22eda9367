package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/dms"
)

// capEnv is one instance of a server whose storage GB is small, with a franz-go client on it.
type capEnv struct {
	*testEnv
	t      *testing.T
	id     string
	kcl    *kgo.Client
	adm    *kadm.Client
	seeds  []string
	bytesP int64 // bytes per storage GB
	// sdk is one SDK client for the test: a call repeated within a second carries the same
	// signature, which dmsd serves again on the same connection only (replay protection).
	sdk *kafka.KafkaClient
}

func newCapEnv(t *testing.T, engineName string, bytesPerGB int64) *capEnv {
	t.Helper()
	return newCapEnvOpts(t, engineName, testEnvOptions{BytesPerStorageGB: bytesPerGB})
}

func newCapEnvOpts(t *testing.T, engineName string, opts testEnvOptions) *capEnv {
	t.Helper()
	bytesPerGB := opts.BytesPerStorageGB
	e := newTestEnvOpts(t, engineName, opts)
	c := e.kafkaClient(t)
	created, err := c.CreateInstanceByEngine(createReq(e, t, "capacity-"+engineName))
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	in := waitRunningLocal(t, e, id)
	var seeds []string
	for _, h := range strings.Split(deref(in.ConnectAddress), ",") {
		seeds = append(seeds, net.JoinHostPort(h, strconv.Itoa(int(deref(in.Port)))))
	}
	kcl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ProducerLinger(0), kgo.RecordRetries(3),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RetryTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kcl.Close)
	return &capEnv{testEnv: e, t: t, id: id, kcl: kcl, adm: kadm.NewClient(kcl), seeds: seeds, bytesP: bytesPerGB, sdk: c}
}

func (ce *capEnv) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	ce.t.Cleanup(cancel)
	return ctx
}

// instance is the instance as stored.
func (ce *capEnv) instance() dms.Instance {
	ce.t.Helper()
	in, err := ce.Instances.Get(context.Background(), ce.ProjectID, ce.id)
	if err != nil {
		ce.t.Fatal(err)
	}
	return in
}

// check runs one pass of the capacity watcher.
func (ce *capEnv) check() { ce.Capacity.CheckAll(context.Background()) }

// createTopic makes a 1-partition topic on every broker with the given configs.
func (ce *capEnv) createTopic(topic string, rf int16, configs map[string]*string) {
	ce.t.Helper()
	resp, err := ce.adm.CreateTopic(ce.ctx(), 1, rf, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		ce.t.Fatalf("create topic %s: %v", topic, err)
	}
}

// produce writes n records of size bytes to partition 0 of topic, the i-th value starting with
// "<first+i>:"; it returns the first error.
func (ce *capEnv) produce(topic string, first, n, size int) error {
	return ce.produceKeyed(topic, false, first, n, size)
}

// produceKeyed is produce with, if keyed, the key "k<first+i>" (compacted topics want keys).
func (ce *capEnv) produceKeyed(topic string, keyed bool, first, n, size int) error {
	for i := range n {
		// Random bytes: franz-go compresses batches (snappy), and a padding of one letter would
		// take no room.
		v := []byte(strconv.Itoa(first+i) + ":")
		for len(v) < size {
			v = append(v, byte('a'+rand.IntN(26)))
		}
		r := &kgo.Record{Topic: topic, Partition: 0, Value: v[:max(size, len(v))]}
		if keyed {
			r.Key = []byte("k" + strconv.Itoa(first+i))
		}
		if err := ce.kcl.ProduceSync(ce.ctx(), r).FirstErr(); err != nil {
			return err
		}
	}
	return nil
}

// brokerUsage is each broker's bytes on disk (DescribeLogDirs, internal topics included).
func (ce *capEnv) brokerUsage() map[int32]int64 {
	ce.t.Helper()
	in := ce.instance()
	c, err := ce.Instances.Client(in)
	if err != nil {
		ce.t.Fatal(err)
	}
	logs, err := c.ReplicaLogs(ce.ctx())
	if err != nil {
		ce.t.Fatal(err)
	}
	out := map[int32]int64{}
	for _, b := range in.Brokers {
		out[b.ID] = 0
	}
	for _, l := range logs {
		out[l.Broker] += l.Size
	}
	return out
}

// setPolicy changes retention_policy with 5.1.5.
func (ce *capEnv) setPolicy(policy string) {
	ce.t.Helper()
	p := model.GetUpdateInstanceReqRetentionPolicyEnum().TIME_BASE
	if policy == dms.RetentionProduceReject {
		p = model.GetUpdateInstanceReqRetentionPolicyEnum().PRODUCE_REJECT
	}
	if _, err := ce.sdk.UpdateInstance(&model.UpdateInstanceRequest{InstanceId: ce.id, Body: &model.UpdateInstanceReq{RetentionPolicy: &p}}); err != nil {
		ce.t.Fatal(err)
	}
}

// waitFor runs check and then cond until cond holds, for up to a minute (Kafka's retention check
// removes trimmed segments every 10 s; the brokers look at the produce gate every 500 ms).
func (ce *capEnv) waitFor(what string, cond func() bool) {
	ce.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ce.check()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			ce.t.Fatalf("%s: not within a minute (instance capacity state %+v, usage %v)", what, ce.instance().Capacity, ce.brokerUsage())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestAutoVolumeExpandAPI: the SDK's ShowVolumeExpandConfig and UpdateVolumeExpansionConfig with
// their validation, and an automatic expansion by the capacity watcher that 5.9 lists.
func TestAutoVolumeExpandAPI(t *testing.T) {
	ce := newCapEnv(t, "embedded", 1000) // 300 GB on 3 brokers: 100,000 bytes a broker
	c := ce.sdk
	show := func() *model.ShowVolumeExpandConfigResponse {
		t.Helper()
		resp, err := c.ShowVolumeExpandConfig(&model.ShowVolumeExpandConfigRequest{InstanceId: ce.id})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if got := show(); deref(got.AutoVolumeExpandEnable) || got.ExpandThreshold != nil || got.MaxVolumeSize != nil || got.ExpandIncrement != nil {
		t.Fatalf("never configured: %+v", got)
	}
	i32 := func(v int32) *int32 { return &v }
	update := func(b model.AlterAutoVolumeExpandConfig) error {
		_, err := c.UpdateVolumeExpansionConfig(&model.UpdateVolumeExpansionConfigRequest{InstanceId: ce.id, Body: &b})
		return err
	}
	valid := model.AlterAutoVolumeExpandConfig{AutoVolumeExpandEnable: true, ExpandThreshold: i32(50), MaxVolumeSize: i32(600), ExpandIncrement: i32(10)}
	with := func(f func(*model.AlterAutoVolumeExpandConfig)) model.AlterAutoVolumeExpandConfig {
		b := valid
		f(&b)
		return b
	}
	for _, tc := range []struct {
		name string
		body model.AlterAutoVolumeExpandConfig
		code string
	}{
		{"threshold below 20", with(func(b *model.AlterAutoVolumeExpandConfig) { b.ExpandThreshold = i32(10) }), dms.CodeInvalidParameter},
		{"threshold above 80", with(func(b *model.AlterAutoVolumeExpandConfig) { b.ExpandThreshold = i32(90) }), dms.CodeInvalidParameter},
		{"increment below 10", with(func(b *model.AlterAutoVolumeExpandConfig) { b.ExpandIncrement = i32(5) }), dms.CodeInvalidParameter},
		{"increment above 100", with(func(b *model.AlterAutoVolumeExpandConfig) { b.ExpandIncrement = i32(150) }), dms.CodeInvalidParameter},
		{"max not a multiple of 100", with(func(b *model.AlterAutoVolumeExpandConfig) { b.MaxVolumeSize = i32(650) }), dms.CodeDiskSpaceInvalid},
		{"max not above the storage", with(func(b *model.AlterAutoVolumeExpandConfig) { b.MaxVolumeSize = i32(300) }), dms.CodeDiskSpaceInvalid},
		{"max not below brokers x 30000", with(func(b *model.AlterAutoVolumeExpandConfig) { b.MaxVolumeSize = i32(90000) }), dms.CodeDiskSpaceInvalid},
		// c6.2u4g.cluster takes at most 10,000 GB a broker (catalog max_storage_per_node).
		{"max over the product's max_storage_per_node x brokers", with(func(b *model.AlterAutoVolumeExpandConfig) { b.MaxVolumeSize = i32(30100) }), dms.CodeDiskSpaceInvalid},
		{"enabled without a threshold", with(func(b *model.AlterAutoVolumeExpandConfig) { b.ExpandThreshold = nil }), dms.CodeInvalidParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantSDKError(t, update(tc.body), http.StatusBadRequest, tc.code)
		})
	}
	// The SDK always sends auto_volume_expand_enable; without it the body is refused.
	if hr, out := ce.do(t, "PUT", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/auto-volume-expand", map[string]any{"expand_threshold": 50}); hr.StatusCode != 400 || !strings.Contains(string(out), dms.CodeInvalidParameter) {
		t.Fatalf("no auto_volume_expand_enable: %d %s", hr.StatusCode, out)
	}
	if hr, out := ce.do(t, "PUT", "/v2/"+ce.ProjectID+"/instances/nope/auto-volume-expand", map[string]any{"auto_volume_expand_enable": false}); hr.StatusCode != 404 {
		t.Fatalf("unknown instance: %d %s", hr.StatusCode, out)
	}
	if got := show(); deref(got.AutoVolumeExpandEnable) || got.ExpandThreshold != nil {
		t.Fatalf("after refused updates: %+v", got)
	}
	if err := update(valid); err != nil {
		t.Fatal(err)
	}
	if got := show(); !deref(got.AutoVolumeExpandEnable) || deref(got.ExpandThreshold) != 50 || deref(got.MaxVolumeSize) != 600 || deref(got.ExpandIncrement) != 10 {
		t.Fatalf("after the update: %+v", got)
	}

	// Under 50 %: nothing grows.
	ce.createTopic("fill", 3, nil)
	ce.check()
	if in := ce.instance(); in.StorageSpace != 300 {
		t.Fatalf("grown while empty: %d GB", in.StorageSpace)
	}
	// 60 KB of 100,000 bytes on every broker: over 50 %, grown by 10 % to 330 GB, as a task.
	if err := ce.produce("fill", 0, 60, 1000); err != nil {
		t.Fatal(err)
	}
	ce.check()
	tasks, err := c.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: ce.id})
	if err != nil {
		t.Fatal(err)
	}
	var taskID string
	for _, tk := range deref(tasks.Tasks) {
		if deref(tk.Name) == "autoExpandVolume" {
			taskID = deref(tk.Id)
		}
	}
	if taskID == "" {
		t.Fatalf("no autoExpandVolume task in %+v", deref(tasks.Tasks))
	}
	if tk := waitTask(t, c, ce.id, taskID); deref(tk.Status) != "SUCCESS" || !strings.Contains(deref(tk.Params), `"new_storage_space":330`) {
		t.Fatalf("task %+v", tk)
	}
	shown, err := c.ShowInstance(&model.ShowInstanceRequest{InstanceId: ce.id})
	if err != nil {
		t.Fatal(err)
	}
	if deref(shown.StorageSpace) != 330 || deref(shown.UsedStorageSpace) < 60 {
		// used_storage_space is in storage GB of 1000 bytes: 60 KB on each of 3 brokers.
		t.Fatalf("storage_space %d used_storage_space %d, want 330 and at least 60", deref(shown.StorageSpace), deref(shown.UsedStorageSpace))
	}
	// Disabled: the values stay, nothing grows any more.
	if err := update(model.AlterAutoVolumeExpandConfig{AutoVolumeExpandEnable: false}); err != nil {
		t.Fatal(err)
	}
	if got := show(); deref(got.AutoVolumeExpandEnable) || deref(got.ExpandThreshold) != 50 {
		t.Fatalf("disabled: %+v", got)
	}
	ce.check()
	if in := ce.instance(); in.StorageSpace != 330 {
		t.Fatalf("grown while disabled: %d GB", in.StorageSpace)
	}
}

// testCapacityPolicies fills an instance whose brokers each hold every partition of topic "fill"
// (capacity a broker: perBroker bytes): produce_reject refuses a franz-go producer once the watcher
// saw 95 %, and lets it through again after the records are deleted; time_base keeps the newest
// records and brings every broker under 95 %.
func testCapacityPolicies(t *testing.T, ce *capEnv, perBroker int64, recordSize int, topicConfigs map[string]*string) {
	c := ce.sdk
	ce.createTopic("fill", 3, topicConfigs)
	limit := perBroker * dms.CapacityThresholdPercent / 100
	records := int(limit/int64(recordSize)) + 5 // over the threshold on every broker
	maxUsage := func() (m int64) {
		for _, u := range ce.brokerUsage() {
			m = max(m, u)
		}
		return m
	}

	t.Run("produce_reject", func(t *testing.T) {
		ce.t = t
		ce.setPolicy(dms.RetentionProduceReject)
		if err := ce.produce("fill", 0, records, recordSize); err != nil {
			t.Fatal(err)
		}
		ce.waitFor("usage over the threshold seen", func() bool { return maxUsage() >= limit })
		ce.waitFor("produce refused", func() bool {
			in := ce.instance()
			return in.Capacity != nil && in.Capacity.ProduceRejected && errors.Is(ce.produce("fill", records, 1, 100), kerr.TopicAuthorizationFailed)
		})
		if in := ce.instance(); !strings.Contains(in.Capacity.Reason, "produce_reject") {
			t.Errorf("reason %q", in.Capacity.Reason)
		}
		// Shown by show-instance, for the operator.
		if hr, out := ce.do(t, "GET", "/v2/"+ce.ProjectID+"/instances/"+ce.id, nil); hr.StatusCode != 200 || !strings.Contains(string(out), `"produce_rejected":true`) {
			t.Fatalf("show: %d %s", hr.StatusCode, out)
		}
		// Space freed: every record of the topic deleted. Accepted again.
		end, err := ce.adm.ListEndOffsets(ce.ctx(), "fill")
		if err != nil {
			t.Fatal(err)
		}
		o, _ := end.Lookup("fill", 0)
		parts := []model.PartitionOffsetEntity{{Partition: i32p(0), Offset: i32p(int32(o.Offset))}}
		if _, err := c.DeleteKafkaTopicMessages(&model.DeleteKafkaTopicMessagesRequest{InstanceId: ce.id, Topic: "fill",
			Body: &model.DeleteKafkaMessageRequestBody{Partitions: &parts}}); err != nil {
			t.Fatal(err)
		}
		ce.waitFor("produce accepted again", func() bool {
			return ce.instance().Capacity == nil && ce.produce("fill", records, 1, 100) == nil
		})
	})

	t.Run("time_base", func(t *testing.T) {
		ce.t = t
		ce.setPolicy(dms.RetentionTimeBase)
		end, err := ce.adm.ListEndOffsets(ce.ctx(), "fill")
		if err != nil {
			t.Fatal(err)
		}
		first := int(func() int64 { o, _ := end.Lookup("fill", 0); return o.Offset }())
		if err := ce.produce("fill", first, records, recordSize); err != nil {
			t.Fatal(err)
		}
		if m := maxUsage(); m < limit {
			t.Fatalf("filled to %d, under the limit %d", m, limit)
		}
		ce.waitFor("every broker under the threshold", func() bool { return maxUsage() < limit })
		if in := ce.instance(); in.Capacity != nil {
			t.Errorf("capacity state %+v after the trim", in.Capacity)
		}
		// The oldest records went, the newest stayed: the last one is still there.
		starts, err := ce.adm.ListStartOffsets(ce.ctx(), "fill")
		if err != nil {
			t.Fatal(err)
		}
		s, _ := starts.Lookup("fill", 0)
		last := int64(first + records - 1)
		if s.Offset <= int64(first) || s.Offset > last {
			t.Fatalf("log start %d: want the oldest records deleted and the newest (up to %d) kept", s.Offset, last)
		}
		cl, err := kgo.NewClient(kgo.SeedBrokers(ce.seeds...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"fill": {0: kgo.NewOffset().At(last)}}))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		fs := cl.PollFetches(ce.ctx())
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		recs := fs.Records()
		if len(recs) == 0 || recs[0].Offset != last || !strings.HasPrefix(string(recs[0].Value), strconv.Itoa(first+records-1)+":") {
			t.Fatalf("the newest record: %+v", recs)
		}
		// What remains is at least what the threshold needs: nothing more than needed went (the
		// plan stops as soon as a broker is under; one segment/estimate step at most below it).
		if m := maxUsage(); m < limit/2 {
			t.Errorf("trimmed to %d bytes, far below the limit %d", m, limit)
		}
	})
}

// testCompactedLeftAlone: time_base on Apache Kafka when the largest partition is of a compacted
// topic (DeleteRecords refuses it: POLICY_VIOLATION): that topic is left whole and the others are
// trimmed instead, in the same pass.
func testCompactedLeftAlone(t *testing.T, ce *capEnv, perBroker int64, recordSize int, segBytes string) {
	ce.t = t
	c := ce.sdk
	limit := perBroker * dms.CapacityThresholdPercent / 100
	// Empty "fill" first (the records deleted, then removed by Kafka's retention check).
	end, err := ce.adm.ListEndOffsets(ce.ctx(), "fill")
	if err != nil {
		t.Fatal(err)
	}
	o, _ := end.Lookup("fill", 0)
	parts := []model.PartitionOffsetEntity{{Partition: i32p(0), Offset: i32p(int32(o.Offset))}}
	if _, err := c.DeleteKafkaTopicMessages(&model.DeleteKafkaTopicMessagesRequest{InstanceId: ce.id, Topic: "fill",
		Body: &model.DeleteKafkaMessageRequestBody{Partitions: &parts}}); err != nil {
		t.Fatal(err)
	}
	ce.waitFor("fill emptied", func() bool {
		for _, u := range ce.brokerUsage() {
			if u > int64(2<<20) {
				return false
			}
		}
		return true
	})
	compact := "compact"
	ce.createTopic("compacted", 3, map[string]*string{"cleanup.policy": &compact, "segment.bytes": &segBytes})
	big := int(limit * 5 / 8 / int64(recordSize)) // 5/8 of the limit: the largest partition
	if err := ce.produceKeyed("compacted", true, 0, big, recordSize); err != nil {
		t.Fatal(err)
	}
	first := int(o.Offset)
	if err := ce.produce("fill", first, big*4/5, recordSize); err != nil { // 1/2 of the limit: over in all
		t.Fatal(err)
	}
	ce.waitFor("every broker under the threshold", func() bool {
		for _, u := range ce.brokerUsage() {
			if u >= limit {
				return false
			}
		}
		return true
	})
	if in := ce.instance(); in.Capacity != nil {
		t.Errorf("capacity state %+v after the trim", in.Capacity)
	}
	starts, err := ce.adm.ListStartOffsets(ce.ctx(), "compacted", "fill")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := starts.Lookup("compacted", 0); s.Offset != 0 {
		t.Errorf("the compacted topic was trimmed: log start %d", s.Offset)
	}
	if s, _ := starts.Lookup("fill", 0); s.Offset <= int64(first) {
		t.Errorf("fill was not trimmed: log start %d, first record of this fill %d", s.Offset, first)
	}
}

// TestCapacityPoliciesEmbedded: both policies on kfake (produce refused by a kfake control
// function; time_base estimated from offsets, as kfake keeps no segment files).
func TestCapacityPoliciesEmbedded(t *testing.T) {
	ce := newCapEnv(t, "embedded", 1000) // 100,000 bytes a broker
	testCapacityPolicies(t, ce, 100_000, 1000, nil)

	// Refusing, then the policy changes to time_base (5.1.5): the next pass opens the gate and
	// trims instead.
	t.Run("produce_reject to time_base", func(t *testing.T) {
		ce.t = t
		ce.setPolicy(dms.RetentionProduceReject)
		end, err := ce.adm.ListEndOffsets(ce.ctx(), "fill")
		if err != nil {
			t.Fatal(err)
		}
		o, _ := end.Lookup("fill", 0)
		if err := ce.produce("fill", int(o.Offset), 110, 1000); err != nil {
			t.Fatal(err)
		}
		ce.check()
		if in := ce.instance(); in.Capacity == nil || !in.Capacity.ProduceRejected {
			t.Fatalf("not refusing: %+v (usage %v)", in.Capacity, ce.brokerUsage())
		}
		if err := ce.produce("fill", 0, 1, 100); !errors.Is(err, kerr.TopicAuthorizationFailed) {
			t.Fatalf("produce while refusing: %v", err)
		}
		ce.setPolicy(dms.RetentionTimeBase)
		ce.check()
		if in := ce.instance(); in.Capacity != nil {
			t.Fatalf("capacity state %+v after the switch", in.Capacity)
		}
		for b, u := range ce.brokerUsage() {
			if u >= 95_000 {
				t.Errorf("broker %d at %d bytes after the trim", b, u)
			}
		}
		if err := ce.produce("fill", 0, 1, 100); err != nil {
			t.Fatalf("produce after the switch: %v", err)
		}
	})
}

// TestCapacityPoliciesLocal: both policies on Apache Kafka: the brokers' produce gate refuses a
// franz-go producer with TOPIC_AUTHORIZATION_FAILED and accepts it again; time_base deletes whole
// 1 MiB segments (the smallest segment.bytes Kafka takes) until the brokers are under 95 %.
func TestCapacityPoliciesLocal(t *testing.T) {
	const perBroker = 8 << 20 // 300 "GB" on 3 brokers: 8 MiB each
	ce := newCapEnv(t, "local", perBroker*3/300)
	seg := strconv.Itoa(1 << 20)
	testCapacityPolicies(t, ce, perBroker, 8000, map[string]*string{"segment.bytes": &seg})
	t.Run("time_base leaves a compacted topic", func(t *testing.T) { testCompactedLeftAlone(t, ce, perBroker, 8000, seg) })
}

func i32p(v int32) *int32 { return &v }

// TestCapacityWatcher: the watcher's own loop (no CheckAll from the test) refuses produce requests
// once an instance is full, and records the usage as used_storage_space.
func TestCapacityWatcher(t *testing.T) {
	ce := newCapEnvOpts(t, "embedded", testEnvOptions{BytesPerStorageGB: 1000, CapacityInterval: 100 * time.Millisecond})
	ce.setPolicy(dms.RetentionProduceReject)
	ce.createTopic("fill", 3, nil)
	if err := ce.produce("fill", 0, 100, 1000); err != nil { // 100 KB of the 100,000 bytes of each broker
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		in := ce.instance()
		if in.Capacity != nil && in.Capacity.ProduceRejected {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not refusing after 30 s: %+v", in.Capacity)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := ce.produce("fill", 100, 1, 100); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce on a full instance: %v", err)
	}
	shown, err := ce.sdk.ShowInstance(&model.ShowInstanceRequest{InstanceId: ce.id})
	if err != nil {
		t.Fatal(err)
	}
	// 3 brokers x 100 KB, in storage GB of 1000 bytes.
	if u := deref(shown.UsedStorageSpace); u < 300 || u > 330 {
		t.Errorf("used_storage_space %d, want about 300", u)
	}
	// 5.2.10 measures against the same small capacity: every broker over 95 %.
	hr, out := ce.do(t, "GET", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/topics/diskusage", nil)
	var du struct {
		Brokers []struct {
			Name    string `json:"broker_name"`
			Percent string `json:"data_disk_use_percentage"`
		} `json:"broker_list"`
	}
	if hr.StatusCode != 200 || json.Unmarshal(out, &du) != nil || len(du.Brokers) != 3 {
		t.Fatalf("5.2.10: %d %s", hr.StatusCode, out)
	}
	for _, b := range du.Brokers {
		if p, err := strconv.ParseFloat(b.Percent, 64); err != nil || p < 95 {
			t.Errorf("5.2.10 %s: %q percent used, want 95 or more", b.Name, b.Percent)
		}
	}
}
