package catalog

import (
	"slices"
	"strconv"
	"strings"
)

// CesInput is what 5.12.4 (GET /v2/{project_id}/instances/{instance_id}/ces-hierarchy) reports about an
// instance: the caller collects it from the instance and its cluster.
type CesInput struct {
	InstanceID string
	// Brokers are the broker names ("broker-0", ...), in the order to list them.
	Brokers []string
	// Topics are the instance's topics with their partitions (internal topics are the caller's choice).
	Topics []CesTopic
	// Groups are the consumer groups with the topic partitions they consume.
	Groups []CesGroup
}

// CesTopic is a topic with partition numbers; see Partitions for 0..n-1.
type CesTopic struct {
	Name       string
	Partitions []int32
}

// CesGroup is a consumer group and the topics it consumes.
type CesGroup struct {
	Name   string
	Topics []CesTopic
}

// Partitions returns the partition numbers 0..n-1.
func Partitions(n int) []int32 {
	out := make([]int32, max(n, 0))
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// CesHierarchyResponse is SDK ShowCeshierarchyResponse.
type CesHierarchyResponse struct {
	Dimensions  []CesDimension  `json:"dimensions"`
	InstanceIDs []CesName       `json:"instance_ids"`
	Nodes       []CesName       `json:"nodes"`
	Queues      []CesQueue      `json:"queues"`
	Groups      []CesGroupEntry `json:"groups"`
}

// CesDimension is SDK ShowCeshierarchyRespDimensions.
type CesDimension struct {
	Name      string     `json:"name"`
	Metrics   []string   `json:"metrics"`
	KeyName   []string   `json:"key_name"`
	DimRouter []string   `json:"dim_router"`
	Children  []CesChild `json:"children,omitempty"`
}

// CesChild is SDK ShowCeshierarchyRespChildren.
type CesChild struct {
	Name      string   `json:"name"`
	Metrics   []string `json:"metrics"`
	KeyName   []string `json:"key_name"`
	DimRouter []string `json:"dim_router"`
}

// CesName is SDK ShowCeshierarchyRespInstanceIds / ShowCeshierarchyRespNodes / ShowCeshierarchyRespPartitions.
type CesName struct {
	Name string `json:"name"`
}

// CesQueue is a topic with its partitions (partition names are strings: "0").
type CesQueue struct {
	Name       string    `json:"name"`
	Partitions []CesName `json:"partitions"`
}

// CesGroupEntry is a consumer group with the topics it consumes.
type CesGroupEntry struct {
	Name   string     `json:"name"`
	Queues []CesQueue `json:"queues"`
}

// CesDimensions are the monitoring dimensions and metrics of the 5.12.4 example (reference lines
// 24393–24421): instance, broker, REST proxy, topic (with its partitions) and consumer group partition.
func CesDimensions() []CesDimension {
	const inst, topics = "kafka_instance_id", "kafka_topics"
	return []CesDimension{
		{
			Name:      inst,
			Metrics:   []string{"current_partitions", "current_topics", "group_messages"},
			KeyName:   []string{"instance_ids"},
			DimRouter: []string{inst},
		},
		{
			Name: "kafka_broker",
			Metrics: []string{"broker_data_size", "broker_messages_in_rate", "broker_bytes_out_rate",
				"broker_bytes_in_rate", "broker_produce_mean", "broker_fetch_mean"},
			KeyName:   []string{"nodes"},
			DimRouter: []string{inst, "kafka_broker"},
		},
		{
			Name: "kafka_rest",
			Metrics: []string{"rest_produce_success", "rest_produce_failed", "rest_produce_latency",
				"rest_produce_msg_num", "rest_produce_flow", "rest_consume_success", "rest_consume_failed",
				"rest_consume_latency", "rest_consume_msg_num", "rest_consume_flow", "rest_commit_success",
				"rest_commit_failed", "rest_commit_latency", "rest_commit_msg_num", "rest_commit_flow"},
			KeyName:   []string{"nodes"},
			DimRouter: []string{inst, "kafka_rest"},
		},
		{
			Name: topics,
			Metrics: []string{"topic_data_size", "topic_messages_in_rate", "topic_bytes_out_rate",
				"topic_bytes_in_rate", "topic_messages"},
			KeyName:   []string{"queues"},
			DimRouter: []string{inst, topics},
			Children: []CesChild{{
				Name:      "kafka_partitions",
				Metrics:   []string{"produced_messages", "partition_messages"},
				KeyName:   []string{"queues", "partitions"},
				DimRouter: []string{inst, topics, "kafka_partitions"},
			}},
		},
		{
			Name:      "kafka_groups_partitions",
			Metrics:   []string{"messages_consumed", "messages_remained"},
			KeyName:   []string{"groups", "queues", "partitions"},
			DimRouter: []string{inst, "kafka_groups", "kafka_groups_topics", "kafka_groups_partitions"},
		},
	}
}

// CesHierarchy builds the 5.12.4 response. Brokers keep their order; topics, groups and each group's
// topics are sorted by name (as in the reference's example), partitions ascending without duplicates.
// Every list is non-nil, so empty ones encode as [].
func CesHierarchy(in CesInput) CesHierarchyResponse {
	out := CesHierarchyResponse{
		Dimensions:  CesDimensions(),
		InstanceIDs: []CesName{{Name: in.InstanceID}},
		Nodes:       make([]CesName, 0, len(in.Brokers)),
		Queues:      cesQueues(in.Topics),
		Groups:      make([]CesGroupEntry, 0, len(in.Groups)),
	}
	for _, b := range in.Brokers {
		out.Nodes = append(out.Nodes, CesName{Name: b})
	}
	groups := slices.Clone(in.Groups)
	slices.SortStableFunc(groups, func(a, b CesGroup) int { return strings.Compare(a.Name, b.Name) })
	for _, g := range groups {
		out.Groups = append(out.Groups, CesGroupEntry{Name: g.Name, Queues: cesQueues(g.Topics)})
	}
	return out
}

func cesQueues(topics []CesTopic) []CesQueue {
	ts := slices.Clone(topics)
	slices.SortStableFunc(ts, func(a, b CesTopic) int { return strings.Compare(a.Name, b.Name) })
	out := make([]CesQueue, 0, len(ts))
	for _, t := range ts {
		ps := slices.Clone(t.Partitions)
		slices.Sort(ps)
		ps = slices.Compact(ps)
		q := CesQueue{Name: t.Name, Partitions: make([]CesName, 0, len(ps))}
		for _, p := range ps {
			q.Partitions = append(q.Partitions, CesName{Name: strconv.Itoa(int(p))})
		}
		out = append(out, q)
	}
	return out
}
