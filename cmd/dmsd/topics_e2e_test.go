package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/client"
)

// topicsE2E drives the topic APIs through dmsd on one engine and checks each effect with a franz-go
// client at the instance's brokers: create with settings, list, produce and read offsets, details,
// producers, modify (configs and partitions), disk usage, delete, and automatic topic creation (a
// rolling restart with the static auto.create.topics.enable).
func topicsE2E(t *testing.T, engine string, readyTimeout time.Duration) {
	e := newE2E(t, engine, "127.62", "kafka-topics-e2e", readyTimeout)
	defer e.p.stop(t)
	c, id, seeds, ctx := e.c, e.id, e.seeds, context.Background()
	kcl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()))
	must(t, err)
	defer kcl.Close()
	adm := kadm.NewClient(kcl)
	base := "/v2/{project_id}/instances/" + id

	// Create with settings: the cluster has them as topic configs.
	var name struct {
		Name string `json:"name"`
	}
	must(t, call(ctx, c, "POST", base+"/topics", map[string]any{"id": "e2e-orders", "partition": 3, "replication": 3, "retention_time": 24,
		"sync_replication": true, "topic_other_configs": []map[string]any{{"name": "max.message.bytes", "value": 2097152}}}, &name))
	if name.Name != "e2e-orders" {
		t.Fatalf("create answered %q", name.Name)
	}
	// The create answered once every broker knows the topic: a client asking any of them finds it.
	topicMetadata(t, kcl, "e2e-orders") // (the client learns the brokers from a metadata answer)
	for b := range seeds {
		if md := topicMetadataAt(t, kcl.Broker(b), "e2e-orders"); md.Err != nil || len(md.Partitions) != 3 {
			t.Errorf("broker %d right after the create: %v, %d partitions", b, md.Err, len(md.Partitions))
		}
	}
	own := topicConfigs(t, adm, "e2e-orders")
	for k, v := range map[string]string{"retention.ms": "86400000", "min.insync.replicas": "2", "max.message.bytes": "2097152"} {
		if own[k] != v {
			t.Errorf("e2e-orders: %s = %q, want %q (own configs %v)", k, own[k], v, own)
		}
	}
	// A topic made by a Kafka client, with no configs of its own: the broker's values show.
	if _, err := adm.CreateTopic(context.Background(), 2, 3, nil, "e2e-plain"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) { // every broker learns of it
		ok := true
		topicMetadata(t, kcl, "e2e-plain") // (the client learns the brokers from a metadata answer)
		for b := range seeds {             // each broker, not any: dmsd's client asks any of them
			md := topicMetadataAt(t, kcl.Broker(b), "e2e-plain")
			ok = ok && md.Err == nil && len(md.Partitions) == 2
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("e2e-plain is not in the metadata")
		}
	}
	var conflict *client.APIError
	if err := call(ctx, c, "POST", base+"/topics", map[string]any{"id": "e2e-plain"}, nil); !errors.As(err, &conflict) || conflict.Code != "DMS.00409001" {
		t.Fatalf("creating an existing topic: %v", err)
	}

	type topic struct {
		Name            string `json:"name"`
		Partition       int    `json:"partition"`
		Replication     int    `json:"replication"`
		RetentionTime   int    `json:"retention_time"`
		SyncReplication bool   `json:"sync_replication"`
		Others          []struct {
			Name, Value string
			Default     string `json:"default_value"`
		} `json:"topic_other_configs"`
	}
	list := func() map[string]topic {
		var l struct {
			Total  int     `json:"total"`
			Topics []topic `json:"topics"`
		}
		must(t, call(ctx, c, "GET", base+"/topics?limit=50", nil, &l))
		out := map[string]topic{}
		for _, tp := range l.Topics {
			if strings.HasPrefix(tp.Name, "__") {
				t.Errorf("internal topic %s listed", tp.Name)
			}
			out[tp.Name] = tp
		}
		if l.Total != len(out) {
			t.Errorf("total %d, %d topics listed", l.Total, len(out))
		}
		return out
	}
	ts := list()
	o, plain := ts["e2e-orders"], ts["e2e-plain"]
	if o.Partition != 3 || o.Replication != 3 || o.RetentionTime != 24 || !o.SyncReplication {
		t.Errorf("e2e-orders listed as %+v", o)
	}
	// log.retention.hours=72 is in Kafka's server.properties; kfake knows no such setting and keeps
	// its own default of 7 days. message.max.bytes=10485760 is the instance's dynamic default on both.
	wantRetention := map[string]int{"local": 72, "embedded": 168}[engine]
	if plain.Partition != 2 || plain.RetentionTime != wantRetention || plain.SyncReplication {
		t.Errorf("e2e-plain listed as %+v, want retention %d", plain, wantRetention)
	}
	for _, x := range []struct {
		tp          topic
		value, def  string
		description string
	}{{o, "2097152", "10485760", "e2e-orders"}, {plain, "10485760", "10485760", "e2e-plain"}} {
		i := slices.IndexFunc(x.tp.Others, func(c struct {
			Name, Value string
			Default     string `json:"default_value"`
		}) bool {
			return c.Name == "max.message.bytes"
		})
		if i < 0 || x.tp.Others[i].Value != x.value || x.tp.Others[i].Default != x.def {
			t.Errorf("%s: max.message.bytes %+v, want %s (default %s)", x.description, x.tp.Others, x.value, x.def)
		}
	}

	// Produce with an idempotent producer (franz-go's default), acks=all: offsets and sizes show.
	var rs []*kgo.Record
	for i := range 10 {
		rs = append(rs, &kgo.Record{Topic: "e2e-orders", Partition: 0, Value: []byte(fmt.Sprintf("record-%d", i))})
	}
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	must(t, kcl.ProduceSync(pctx, rs...).FirstErr())

	var parts struct {
		Total      int `json:"total"`
		Partitions []struct {
			Partition    int   `json:"partition"`
			LastOffset   int64 `json:"last_offset"`
			MessageCount int64 `json:"message_count"`
			LastUpdate   int64 `json:"last_update_time"`
		} `json:"partitions"`
	}
	must(t, call(ctx, c, "GET", "/v2/{project_id}/kafka/instances/"+id+"/topics/e2e-orders/partitions", nil, &parts))
	if parts.Total != 3 || parts.Partitions[0].LastOffset != 10 || parts.Partitions[0].MessageCount != 10 || parts.Partitions[0].LastUpdate == 0 {
		t.Errorf("partitions: %+v", parts)
	}

	var detail struct {
		Partitions []struct {
			Partition int   `json:"partition"`
			Leader    int32 `json:"leader"`
			HW        int   `json:"hw"`
			Replicas  []struct {
				Broker int32 `json:"broker"`
				InSync bool  `json:"in_sync"`
				Size   int   `json:"size"`
			} `json:"replicas"`
		} `json:"partitions"`
	}
	// The followers' copies may take a moment to reach the disk of every replica.
	deadline := time.Now().Add(30 * time.Second)
	for {
		must(t, call(ctx, c, "GET", base+"/management/topics/e2e-orders", nil, &detail))
		p0 := detail.Partitions[0]
		ok := p0.HW == 10 && len(p0.Replicas) == 3
		for _, r := range p0.Replicas {
			ok = ok && r.InSync && r.Size > 0
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("partition 0 in detail: %+v", p0)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Producers: Apache Kafka keeps every idempotent producer's state; kfake only transactional ones.
	var prods struct {
		Total     int `json:"total"`
		Producers []struct {
			BrokerAddress string `json:"broker_address"`
			ProducerID    int64  `json:"producer_id"`
		} `json:"producers"`
	}
	must(t, call(ctx, c, "GET", "/v2/{project_id}/kafka/instances/"+id+"/topics/e2e-orders/producers", nil, &prods))
	wantProducers := map[string]int{"local": 1, "embedded": 0}[engine]
	if prods.Total != wantProducers {
		t.Errorf("%s engine: %d producers, want %d: %+v", engine, prods.Total, wantProducers, prods)
	}
	if prods.Total > 0 && prods.Producers[0].BrokerAddress != seeds[detail.Partitions[0].Leader] {
		t.Errorf("producer at broker %s, the leader is %s", prods.Producers[0].BrokerAddress, seeds[detail.Partitions[0].Leader])
	}

	// Modify: two more partitions, configs.
	must(t, call(ctx, c, "PUT", base+"/topics", map[string]any{"topics": []map[string]any{{"id": "e2e-orders", "new_partition_numbers": 5,
		"retention_time": 12, "sync_replication": false, "topic_other_configs": []map[string]any{{"name": "message.timestamp.type", "value": "LogAppendTime"}}}}}, nil))
	md := topicMetadata(t, kcl, "e2e-orders")
	if len(md.Partitions) != 5 {
		t.Errorf("e2e-orders has %d partitions after the change", len(md.Partitions))
	}
	own = topicConfigs(t, adm, "e2e-orders")
	for k, v := range map[string]string{"retention.ms": "43200000", "min.insync.replicas": "1", "message.timestamp.type": "LogAppendTime"} {
		if own[k] != v {
			t.Errorf("after the change e2e-orders: %s = %q, want %q", k, own[k], v)
		}
	}

	var du struct {
		BrokerList []struct {
			BrokerName string `json:"broker_name"`
			TopicList  []struct {
				TopicName string `json:"topic_name"`
			} `json:"topic_list"`
		} `json:"broker_list"`
	}
	must(t, call(ctx, c, "GET", base+"/topics/diskusage", nil, &du))
	if len(du.BrokerList) != 3 {
		t.Errorf("disk usage: %+v", du)
	}
	for _, b := range du.BrokerList {
		if !slices.ContainsFunc(b.TopicList, func(x struct {
			TopicName string `json:"topic_name"`
		}) bool {
			return x.TopicName == "e2e-orders"
		}) {
			t.Errorf("%s does not list e2e-orders: %+v", b.BrokerName, b.TopicList)
		}
	}

	// Delete: gone from the cluster.
	var del struct {
		Topics []struct {
			ID      string `json:"id"`
			Success bool   `json:"success"`
		} `json:"topics"`
	}
	must(t, call(ctx, c, "POST", base+"/topics/delete", map[string]any{"topics": []string{"e2e-plain", "e2e-nope"}}, &del))
	if len(del.Topics) != 2 || !del.Topics[0].Success || del.Topics[1].Success {
		t.Errorf("delete: %+v", del)
	}
	if md := topicMetadata(t, kcl, "e2e-plain"); !errors.Is(md.Err, kerr.UnknownTopicOrPartition) {
		t.Errorf("e2e-plain after delete: %+v", md)
	}

	// Automatic topic creation: a static broker config, applied by a rolling restart.
	must(t, call(ctx, c, "POST", base+"/autotopic", map[string]any{"enable_auto_topic": true}, nil))
	waitRunning(t, c, id, readyTimeout)
	auto, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.AllowAutoTopicCreation())
	must(t, err)
	defer auto.Close()
	actx, acancel := context.WithTimeout(ctx, 60*time.Second)
	defer acancel()
	must(t, auto.ProduceSync(actx, &kgo.Record{Topic: "e2e-auto", Value: []byte("v")}).FirstErr())
	if _, ok := list()["e2e-auto"]; !ok {
		t.Error("e2e-auto was not created automatically")
	}
	if got := consumeAll(t, seeds, "e2e-orders", 10); got != 10 {
		t.Errorf("after the rolling restart %d of 10 records of e2e-orders are readable", got)
	}
	must(t, call(ctx, c, "DELETE", base, nil, nil))
}

// topicConfigs returns the configs a topic sets itself.
func topicConfigs(t *testing.T, adm *kadm.Client, topic string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	must(t, err)
	rc, err := rcs.On(topic, nil)
	if err == nil {
		err = rc.Err
	}
	must(t, err)
	out := map[string]string{}
	for _, c := range rc.Configs {
		if c.Source == kmsg.ConfigSourceDynamicTopicConfig {
			out[c.Key] = c.MaybeValue()
		}
	}
	return out
}

// topicMetadata asks the cluster for a topic's metadata (a fresh request).
func topicMetadata(t *testing.T, cl *kgo.Client, topic string) kadm.TopicDetail {
	return topicMetadataAt(t, cl, topic)
}

// topicMetadataAt is a topic's metadata as r (a client: any broker; or one broker) answers it.
func topicMetadataAt(t *testing.T, r kmsg.Requestor, topic string) kadm.TopicDetail {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, r)
	must(t, err)
	td := kadm.TopicDetail{Topic: topic, Partitions: kadm.PartitionDetails{}}
	for _, r := range resp.Topics {
		td.Err = kerr.ErrorForCode(r.ErrorCode)
		for _, p := range r.Partitions {
			td.Partitions[p.Partition] = kadm.PartitionDetail{Topic: topic, Partition: p.Partition, Leader: p.Leader, Replicas: p.Replicas, ISR: p.ISR}
		}
	}
	return td
}

func TestEmbeddedTopics(t *testing.T) { topicsE2E(t, "embedded", time.Minute) }

// The same on real Apache Kafka (Java 17+ and the Kafka jars; fails, not skips, without them).
func TestLocalTopics(t *testing.T) { topicsE2E(t, "local", 4*time.Minute) }
