package kafkaops

import (
	"errors"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestTopicLifecycle(t *testing.T) {
	c, cl := newCluster(t, 3, []kfake.Opt{kfake.BrokerConfigs(map[string]string{"message.max.bytes": "2097152"})})
	ctx := testCtx(t)

	if err := cl.CreateTopic(ctx, NewTopic{Name: "t1", Partitions: 2, ReplicationFactor: 3, Configs: map[string]string{"retention.ms": "3600000"}}); err != nil {
		t.Fatal(err)
	}
	err := cl.CreateTopic(ctx, NewTopic{Name: "t1", Partitions: 1, ReplicationFactor: 1})
	if !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Fatalf("second create: %v", err)
	}
	if err := cl.CreateTopic(ctx, NewTopic{Name: "t2", Partitions: 1, ReplicationFactor: 4}); !errors.Is(err, kerr.InvalidReplicationFactor) {
		t.Fatalf("create with 4 replicas on 3 brokers: %v", err)
	}

	// Configs: the topic's own, else the broker-level setting under the broker config's name.
	cfgs, err := cl.DescribeTopicConfigs(ctx, []string{"retention.ms", "max.message.bytes", "min.insync.replicas"}, "t1", "missing")
	if err != nil {
		t.Fatal(err)
	}
	got := cfgs["t1"].Configs
	if r := got["retention.ms"]; r.Value != "3600000" || !r.Override || r.Default != "604800000" {
		t.Errorf("retention.ms %+v", r)
	}
	if m := got["max.message.bytes"]; m.Value != "2097152" || m.Override || m.Default != "2097152" {
		t.Errorf("max.message.bytes %+v", m)
	}
	if !errors.Is(cfgs["missing"].Err, kerr.UnknownTopicOrPartition) {
		t.Errorf("configs of a missing topic: %+v", cfgs["missing"])
	}
	if _, err := cl.DescribeTopicConfigs(ctx, []string{"no.such.config"}, "t1"); !errors.Is(err, ErrUnknownConfig) {
		t.Errorf("unknown config name: %v", err)
	}
	if err := cl.AlterTopicConfigs(ctx, "t1", map[string]string{"min.insync.replicas": "2"}, []string{"retention.ms"}); err != nil {
		t.Fatal(err)
	}
	cfgs, _ = cl.DescribeTopicConfigs(ctx, []string{"retention.ms", "min.insync.replicas"}, "t1")
	if r, m := cfgs["t1"].Configs["retention.ms"], cfgs["t1"].Configs["min.insync.replicas"]; r.Override || r.Value != "604800000" || m.Value != "2" {
		t.Errorf("after alter: retention.ms %+v min.insync.replicas %+v", r, m)
	}

	// Partitions placed as asked.
	if err := cl.AddPartitions(ctx, "t1", 4, [][]int32{{2, 0, 1}, {1, 2, 0}}); err != nil {
		t.Fatal(err)
	}
	tp, err := cl.DescribeTopic(ctx, "t1")
	if err != nil || len(tp.Partitions) != 4 || !slices.Equal(tp.Partitions[2].Replicas, []int32{2, 0, 1}) || tp.Partitions[3].Leader != 1 || tp.ReplicationFactor() != 3 {
		t.Fatalf("t1 after adding partitions: %+v %v", tp, err)
	}
	if err := cl.AddPartitions(ctx, "t1", 2, nil); !errors.Is(err, kerr.InvalidPartitions) {
		t.Fatalf("fewer partitions: %v", err)
	}

	// Offsets, replica logs (kfake reports each partition on every broker: only replicas count).
	produce(t, c.ListenAddrs(), "t1", 20, 100)
	offs, err := cl.TopicOffsets(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, o := range offs {
		if o.Err != nil || o.Start != 0 {
			t.Fatalf("offsets %+v", o)
		}
		total += o.End
		if o.End > 0 && (o.MaxTimestamp <= 0 || o.MaxTimestampOffset < 0 || o.MaxTimestampOffset >= o.End) { // ties: the first record
			t.Errorf("partition %d: max timestamp %d at %d, end %d", o.Partition, o.MaxTimestamp, o.MaxTimestampOffset, o.End)
		}
	}
	if total != 20 {
		t.Fatalf("%d records by the offsets, 20 produced", total)
	}
	createTopic(t, cl, "one-replica", 1, 1)
	logs, err := cl.ReplicaLogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var t1, single int
	for _, l := range logs {
		switch l.Topic {
		case "t1":
			t1++
		case "one-replica":
			single++
		}
	}
	if t1 != 4*3 || single != 1 {
		t.Fatalf("replica logs: %d of t1 (want 12), %d of one-replica (want 1)", t1, single)
	}

	// Details: groups with committed offsets on the topic.
	commitGroups(t, cl, "t1", "g-b", "g-a")
	commitGroups(t, cl, "one-replica", "g-other")
	d, err := cl.DescribeTopicDetail(ctx, "t1")
	if err != nil || d.Incomplete != nil || !slices.Equal(d.Groups, []string{"g-a", "g-b"}) || len(d.Offsets) != 4 || len(d.Logs) != 12 {
		t.Fatalf("detail: groups %v, %d offsets, %d logs, %v %v", d.Groups, len(d.Offsets), len(d.Logs), d.Incomplete, err)
	}
	if _, err := cl.DescribeTopicDetail(ctx, "missing"); !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("detail of a missing topic: %v", err)
	}
	if ps, err := cl.TopicProducers(ctx, "t1"); err != nil || len(ps) != 0 {
		t.Fatalf("producers (kfake: transactional only): %+v %v", ps, err)
	}

	// Delete: per-topic results, gone from the metadata.
	res, err := cl.DeleteTopics(ctx, "t1", "missing")
	if err != nil || len(res) != 2 || res[0].Err != nil || !errors.Is(res[1].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("delete: %+v %v", res, err)
	}
	if _, err := cl.DescribeTopic(ctx, "t1"); !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("t1 after delete: %v", err)
	}
	all, err := cl.Topics(ctx)
	if err != nil || slices.ContainsFunc(all, func(x Topic) bool { return x.Name == "t1" }) {
		t.Fatalf("topics after delete: %+v %v", all, err)
	}
}

// Apache Kafka answers a topic config with its effective value and the synonyms behind it; kfake
// with the topic's value or default, and broker settings under their own names. Both resolve alike.
func TestResolveTopicConfig(t *testing.T) {
	str := func(s string) *string { return &s }
	entry := func(name, value string, src kmsg.ConfigSource, syns ...kmsg.DescribeConfigsResponseResourceConfigConfigSynonym) kmsg.DescribeConfigsResponseResourceConfig {
		e := kmsg.NewDescribeConfigsResponseResourceConfig()
		e.Name, e.Value, e.Source, e.ConfigSynonyms = name, str(value), src, syns
		return e
	}
	syn := func(name, value string, src kmsg.ConfigSource) kmsg.DescribeConfigsResponseResourceConfigConfigSynonym {
		s := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
		s.Name, s.Value, s.Source = name, str(value), src
		return s
	}
	for _, tc := range []struct {
		name    string
		config  string
		entries []kmsg.DescribeConfigsResponseResourceConfig
		want    TopicConfigValue
	}{
		{"kafka: from log.retention.hours in server.properties", "retention.ms", []kmsg.DescribeConfigsResponseResourceConfig{
			entry("retention.ms", "259200000", kmsg.ConfigSourceStaticBrokerConfig,
				syn("log.retention.hours", "72", kmsg.ConfigSourceStaticBrokerConfig), syn("log.retention.hours", "168", kmsg.ConfigSourceDefaultConfig))},
			TopicConfigValue{Name: "retention.ms", Value: "259200000", Default: "259200000"}},
		{"kafka: the topic's own over a dynamic default", "max.message.bytes", []kmsg.DescribeConfigsResponseResourceConfig{
			entry("max.message.bytes", "1000", kmsg.ConfigSourceDynamicTopicConfig,
				syn("max.message.bytes", "1000", kmsg.ConfigSourceDynamicTopicConfig),
				syn("message.max.bytes", "10485760", kmsg.ConfigSourceDynamicDefaultBrokerConfig),
				syn("message.max.bytes", "1048588", kmsg.ConfigSourceDefaultConfig))},
			TopicConfigValue{Name: "max.message.bytes", Value: "1000", Default: "10485760", Override: true}},
		{"kafka: log.retention.ms wins over hours", "retention.ms", []kmsg.DescribeConfigsResponseResourceConfig{
			entry("retention.ms", "60000", kmsg.ConfigSourceDynamicDefaultBrokerConfig,
				syn("log.retention.ms", "60000", kmsg.ConfigSourceDynamicDefaultBrokerConfig),
				syn("log.retention.hours", "72", kmsg.ConfigSourceStaticBrokerConfig))},
			TopicConfigValue{Name: "retention.ms", Value: "60000", Default: "60000"}},
		{"kfake: broker setting under its own name", "max.message.bytes", []kmsg.DescribeConfigsResponseResourceConfig{
			entry("max.message.bytes", "1048588", kmsg.ConfigSourceDefaultConfig),
			entry("message.max.bytes", "10485760", kmsg.ConfigSourceDynamicBrokerConfig)},
			TopicConfigValue{Name: "max.message.bytes", Value: "10485760", Default: "10485760"}},
		{"kfake: nothing set", "flush.messages", nil,
			TopicConfigValue{Name: "flush.messages", Value: "9223372036854775807", Default: "9223372036854775807"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolveTopicConfig(tc.config, tc.entries); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
