package catalog

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
)

func TestCatalogCesHierarchy(t *testing.T) {
	tests := []struct {
		name       string
		in         CesInput
		wantNodes  []string
		wantQueues map[string][]string // topic -> partition names, in order
		wantTopics []string            // topic order
		wantGroups []string
	}{
		{
			name: "reference example",
			in: CesInput{
				InstanceID: "68f3f6a0-3741-453b-bda9-a6ff6b5bb6f7",
				Brokers:    []string{"broker-0", "broker-1", "broker-2"},
				Topics: []CesTopic{
					{Name: "topic-84234378", Partitions: Partitions(2)},
					{Name: "mytest", Partitions: Partitions(3)},
					{Name: "aaaa", Partitions: Partitions(1)},
				},
				Groups: []CesGroup{{Name: "test-consumer-group", Topics: []CesTopic{{Name: "mytest", Partitions: []int32{2, 0, 1, 1}}}}},
			},
			wantNodes:  []string{"broker-0", "broker-1", "broker-2"},
			wantTopics: []string{"aaaa", "mytest", "topic-84234378"},
			wantQueues: map[string][]string{"aaaa": {"0"}, "mytest": {"0", "1", "2"}, "topic-84234378": {"0", "1"}},
			wantGroups: []string{"test-consumer-group"},
		},
		{
			name:       "empty instance",
			in:         CesInput{InstanceID: "i-1"},
			wantNodes:  []string{},
			wantTopics: []string{},
			wantQueues: map[string][]string{},
			wantGroups: []string{},
		},
		{
			name: "groups sorted, group without topics",
			in: CesInput{InstanceID: "i-2", Brokers: []string{"broker-1", "broker-0"},
				Groups: []CesGroup{{Name: "zeta"}, {Name: "alpha", Topics: []CesTopic{{Name: "t", Partitions: Partitions(0)}}}}},
			wantNodes:  []string{"broker-1", "broker-0"},
			wantTopics: []string{},
			wantQueues: map[string][]string{},
			wantGroups: []string{"alpha", "zeta"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CesHierarchy(tt.in)

			// The JSON decodes into the SDK's model (strict types), with every key present.
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var sdk model.ShowCesHierarchyResponse
			if err := json.Unmarshal(b, &sdk); err != nil {
				t.Fatalf("SDK model: %v\n%s", err, b)
			}
			if sdk.Dimensions == nil || sdk.InstanceIds == nil || sdk.Nodes == nil || sdk.Queues == nil || sdk.Groups == nil {
				t.Errorf("a list is null: %s", b)
			}

			if len(got.InstanceIDs) != 1 || got.InstanceIDs[0].Name != tt.in.InstanceID {
				t.Errorf("instance_ids = %+v", got.InstanceIDs)
			}
			var nodes []string
			for _, n := range got.Nodes {
				nodes = append(nodes, n.Name)
			}
			if !slices.Equal(nodes, tt.wantNodes) && !(len(nodes) == 0 && len(tt.wantNodes) == 0) {
				t.Errorf("nodes = %v, want %v", nodes, tt.wantNodes)
			}
			var topics []string
			for _, q := range got.Queues {
				topics = append(topics, q.Name)
				var parts []string
				for _, p := range q.Partitions {
					parts = append(parts, p.Name)
				}
				if !slices.Equal(parts, tt.wantQueues[q.Name]) {
					t.Errorf("queue %s partitions = %v, want %v", q.Name, parts, tt.wantQueues[q.Name])
				}
			}
			if !slices.Equal(topics, tt.wantTopics) && !(len(topics) == 0 && len(tt.wantTopics) == 0) {
				t.Errorf("queues = %v, want %v", topics, tt.wantTopics)
			}
			var groups []string
			for _, g := range got.Groups {
				groups = append(groups, g.Name)
				if g.Queues == nil {
					t.Errorf("group %s queues is nil", g.Name)
				}
			}
			if !slices.Equal(groups, tt.wantGroups) && !(len(groups) == 0 && len(tt.wantGroups) == 0) {
				t.Errorf("groups = %v, want %v", groups, tt.wantGroups)
			}
		})
	}

	// The group's partitions are sorted and de-duplicated.
	got := CesHierarchy(tests[0].in)
	g := got.Groups[0].Queues[0]
	if g.Name != "mytest" || len(g.Partitions) != 3 || g.Partitions[0].Name != "0" || g.Partitions[2].Name != "2" {
		t.Errorf("group queue = %+v", g)
	}
}

func TestCatalogCesDimensions(t *testing.T) {
	dims := CesDimensions()
	want := map[string]struct {
		keys    []string
		router  []string
		metrics int
	}{
		"kafka_instance_id":       {[]string{"instance_ids"}, []string{"kafka_instance_id"}, 3},
		"kafka_broker":            {[]string{"nodes"}, []string{"kafka_instance_id", "kafka_broker"}, 6},
		"kafka_rest":              {[]string{"nodes"}, []string{"kafka_instance_id", "kafka_rest"}, 15},
		"kafka_topics":            {[]string{"queues"}, []string{"kafka_instance_id", "kafka_topics"}, 5},
		"kafka_groups_partitions": {[]string{"groups", "queues", "partitions"}, []string{"kafka_instance_id", "kafka_groups", "kafka_groups_topics", "kafka_groups_partitions"}, 2},
	}
	if len(dims) != len(want) {
		t.Fatalf("dimensions = %d, want %d", len(dims), len(want))
	}
	for _, d := range dims {
		w, ok := want[d.Name]
		if !ok {
			t.Errorf("unexpected dimension %s", d.Name)
			continue
		}
		if !slices.Equal(d.KeyName, w.keys) || !slices.Equal(d.DimRouter, w.router) || len(d.Metrics) != w.metrics {
			t.Errorf("dimension %s = %+v", d.Name, d)
		}
	}
	topics := dims[3]
	if len(topics.Children) != 1 || topics.Children[0].Name != "kafka_partitions" ||
		!slices.Equal(topics.Children[0].Metrics, []string{"produced_messages", "partition_messages"}) ||
		!slices.Equal(topics.Children[0].KeyName, []string{"queues", "partitions"}) {
		t.Errorf("kafka_topics children = %+v", topics.Children)
	}
	if !slices.Contains(dims[0].Metrics, "current_partitions") || !slices.Contains(dims[1].Metrics, "broker_fetch_mean") {
		t.Errorf("metrics = %+v", dims[:2])
	}
}
