package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Topics of a Kafka instance (API reference 5.5.2-5.5.8). Field names and types are the Go SDK's
// (ListInstanceTopics, CreateInstanceTopic, UpdateInstanceTopic, BatchDeleteInstanceTopic,
// ListTopicPartitions, ListTopicProducers, ShowInstanceTopicDetail).

// Topic types of TopicEntity.topic_type.
const (
	TopicTypeCommon = 0
	TopicTypeSystem = 1 // an internal topic (__consumer_offsets, ...)
)

// Topic is a topic as 5.5.3 lists it (TopicEntity).
type Topic struct {
	Name             string `json:"name"`
	Partition        int    `json:"partition"`
	Replication      int    `json:"replication"`
	RetentionTime    int    `json:"retention_time"` // hours
	SyncReplication  bool   `json:"sync_replication"`
	SyncMessageFlush bool   `json:"sync_message_flush"`
	TopicType        int    `json:"topic_type"` // TopicTypeCommon or TopicTypeSystem
	PoliciesOnly     bool   `json:"policiesOnly"`
	// ExternalConfigs is any JSON (the reference shows {}).
	ExternalConfigs   any           `json:"external_configs,omitempty"`
	TopicOtherConfigs []TopicConfig `json:"topic_other_configs"`
	TopicDesc         string        `json:"topic_desc,omitempty"`
	CreatedAt         int64         `json:"created_at"` // Unix ms; 0 when the server does not know it
}

// TopicConfig is one of a topic's topic_other_configs as 5.5.3 lists them.
type TopicConfig struct {
	Name         string `json:"name"`
	Value        string `json:"value"`
	DefaultValue string `json:"default_value"`
	ConfigType   string `json:"config_type"` // static | dynamic
	ValueType    string `json:"value_type"`
	ValidValues  string `json:"valid_values"`
}

// TopicList is the answer of 5.5.3: topics and the instance's partition quota.
type TopicList struct {
	Total              int     `json:"total"`
	Size               int     `json:"size"`
	RemainPartitions   int     `json:"remain_partitions"`
	MaxPartitions      int     `json:"max_partitions"`
	TopicMaxPartitions int     `json:"topic_max_partitions"`
	Topics             []Topic `json:"topics"`
}

// CreateTopicRequest is the body of 5.5.2. Zero fields are left out, so the server's defaults apply
// (3 partitions, 3 replicas or fewer on a smaller cluster, 72 hours). TopicOtherConfigs are
// name/value pairs such as max.message.bytes or message.timestamp.type.
type CreateTopicRequest struct {
	ID                string         `json:"id"`
	Partition         int            `json:"partition,omitempty"`
	Replication       int            `json:"replication,omitempty"`
	RetentionTime     int            `json:"retention_time,omitempty"` // hours
	SyncReplication   bool           `json:"sync_replication,omitempty"`
	SyncMessageFlush  bool           `json:"sync_message_flush,omitempty"`
	TopicOtherConfigs []ConfigChange `json:"topic_other_configs,omitempty"`
	TopicDesc         string         `json:"topic_desc,omitempty"`
}

// UpdateTopicRequest is one topic of 5.5.4's body: only the fields set (non-nil) change.
// NewPartitionNumbers is the new total number of partitions (partitions can only be added).
type UpdateTopicRequest struct {
	ID                  string         `json:"id"`
	RetentionTime       *int           `json:"retention_time,omitempty"` // hours
	SyncReplication     *bool          `json:"sync_replication,omitempty"`
	SyncMessageFlush    *bool          `json:"sync_message_flush,omitempty"`
	NewPartitionNumbers *int           `json:"new_partition_numbers,omitempty"`
	NewPartitionBrokers []int          `json:"new_partition_brokers,omitempty"`
	TopicOtherConfigs   []ConfigChange `json:"topic_other_configs,omitempty"`
	TopicDesc           *string        `json:"topic_desc,omitempty"`
}

// TopicDeleteResult is one topic's result of 5.5.5.
type TopicDeleteResult struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
}

// TopicPartition is a partition as 5.5.6 lists it.
type TopicPartition struct {
	Partition      int   `json:"partition"`
	StartOffset    int64 `json:"start_offset"`
	LastOffset     int64 `json:"last_offset"`
	MessageCount   int64 `json:"message_count"`
	LastUpdateTime int64 `json:"last_update_time"` // Unix ms
}

// TopicProducer is a producer as 5.5.7 lists it. ProducerID, ProducerEpoch, Partition and
// LastSequence are OpenDMS's additions (nil from other servers): OpenDMS lists one entry per
// producer and partition, from the brokers' producer state.
type TopicProducer struct {
	ProducerAddress string `json:"producer_address"`
	BrokerAddress   string `json:"broker_address"`
	JoinTime        int64  `json:"join_time"` // Unix ms
	ProducerID      *int64 `json:"producer_id,omitempty"`
	ProducerEpoch   *int   `json:"producer_epoch,omitempty"`
	Partition       *int   `json:"partition,omitempty"`
	LastSequence    *int   `json:"last_sequence,omitempty"`
}

// TopicDetail is the answer of 5.5.8: where each partition lives and how far it goes.
type TopicDetail struct {
	Topic           string            `json:"topic"`
	Partitions      []PartitionDetail `json:"partitions"`
	GroupSubscribed []string          `json:"group_subscribed"`
}

// PartitionDetail is one partition of 5.5.8. LEO, HW and LSO are int32 in the SDK's model.
type PartitionDetail struct {
	Partition           int                `json:"partition"`
	Leader              int                `json:"leader"`
	LEO                 int64              `json:"leo"`
	HW                  int64              `json:"hw"`
	LSO                 int64              `json:"lso"`
	LastUpdateTimestamp int64              `json:"last_update_timestamp"` // Unix ms
	Replicas            []PartitionReplica `json:"replicas"`
}

// PartitionReplica is one replica of a partition of 5.5.8.
type PartitionReplica struct {
	Broker int   `json:"broker"`
	Leader bool  `json:"leader"`
	InSync bool  `json:"in_sync"`
	Size   int64 `json:"size"` // bytes
	Lag    int64 `json:"lag"`  // messages behind the high watermark
}

// ISR returns the brokers of the in-sync replicas, in the order of Replicas.
func (p PartitionDetail) ISR() []int {
	out := []int{}
	for _, r := range p.Replicas {
		if r.InSync {
			out = append(out, r.Broker)
		}
	}
	return out
}

// kafkaInstancePath is /v2/{project_id}/kafka/instances/{id}/elems..., the form of 5.5.6, 5.5.7 and 5.8.6.
func kafkaInstancePath(id string, elems ...string) string {
	p := "/v2/{project_id}/kafka/instances/" + url.PathEscape(id)
	for _, e := range elems {
		p += "/" + url.PathEscape(e)
	}
	return p
}

// CreateTopic creates a topic (5.5.2) and returns its name as the server answers it.
func (c *Client) CreateTopic(ctx context.Context, instanceID string, req CreateTopicRequest) (string, error) {
	var out struct {
		Name string `json:"name"`
	}
	if err := c.call(ctx, http.MethodPost, instancePath(instanceID, "topics"), req, &out); err != nil {
		return "", err
	}
	if out.Name == "" {
		out.Name = req.ID
	}
	return out.Name, nil
}

// TopicPage is a page of 5.5.3. A zero Limit lists every topic (paging through them).
type TopicPage struct {
	Offset, Limit int
}

// maxTopicPage is the largest limit 5.5.3 accepts.
const maxTopicPage = 50

// ListTopics lists an instance's topics (5.5.3), with its partition quota. Topics is never nil.
func (c *Client) ListTopics(ctx context.Context, instanceID string, p TopicPage) (*TopicList, error) {
	all := p.Limit <= 0
	offset, limit := p.Offset, p.Limit
	if all {
		limit = maxTopicPage
	}
	var out *TopicList
	for {
		q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
		resp, err := c.Do(ctx, http.MethodGet, instancePath(instanceID, "topics"), q, nil)
		if err != nil {
			return nil, err
		}
		var page TopicList
		if err := resp.Decode(&page); err != nil {
			return nil, err
		}
		if out == nil {
			out = &page
			out.Topics = append([]Topic{}, page.Topics...)
		} else {
			out.Topics = append(out.Topics, page.Topics...)
			out.Total = page.Total
		}
		offset += len(page.Topics)
		if !all || len(page.Topics) == 0 || offset >= page.Total {
			return out, nil
		}
	}
}

// UpdateTopics changes topics (5.5.4): configurations, and partitions added up to a new total.
func (c *Client) UpdateTopics(ctx context.Context, instanceID string, topics []UpdateTopicRequest) error {
	in := struct {
		Topics []UpdateTopicRequest `json:"topics"`
	}{topics}
	return c.call(ctx, http.MethodPut, instancePath(instanceID, "topics"), in, nil)
}

// DeleteTopics deletes topics (5.5.5) and returns each one's result: the call succeeds even when
// some topics were not deleted.
func (c *Client) DeleteTopics(ctx context.Context, instanceID string, names []string) ([]TopicDeleteResult, error) {
	in := struct {
		Topics []string `json:"topics"`
	}{names}
	var out struct {
		Topics []TopicDeleteResult `json:"topics"`
	}
	if err := c.call(ctx, http.MethodPost, instancePath(instanceID, "topics", "delete"), in, &out); err != nil {
		return nil, err
	}
	if out.Topics == nil {
		out.Topics = []TopicDeleteResult{}
	}
	return out.Topics, nil
}

// pageAll fetches every item of a list paged by offset/limit integers that answers
// {"total":n,key:[...]}: first without paging (OpenDMS then answers everything), then from where
// the last page ended while the server has more.
func pageAll[T any](ctx context.Context, c *Client, path, key string) ([]T, error) {
	out := []T{}
	q := url.Values{}
	for {
		resp, err := c.Do(ctx, http.MethodGet, path, q, nil)
		if err != nil {
			return nil, err
		}
		var page map[string]json.RawMessage
		if err := resp.Decode(&page); err != nil {
			return nil, err
		}
		var items []T
		if err := decodeField(page, key, &items); err != nil {
			return nil, err
		}
		var total int
		if err := decodeField(page, "total", &total); err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) == 0 || len(out) >= total {
			return out, nil
		}
		q = url.Values{"offset": {strconv.Itoa(len(out))}, "limit": {strconv.Itoa(len(items))}}
	}
}

// TopicPartitions lists a topic's partitions with their offsets (5.5.6).
func (c *Client) TopicPartitions(ctx context.Context, instanceID, topic string) ([]TopicPartition, error) {
	return pageAll[TopicPartition](ctx, c, kafkaInstancePath(instanceID, "topics", topic, "partitions"), "partitions")
}

// TopicProducers lists the producers writing to a topic (5.5.7).
func (c *Client) TopicProducers(ctx context.Context, instanceID, topic string) ([]TopicProducer, error) {
	return pageAll[TopicProducer](ctx, c, kafkaInstancePath(instanceID, "topics", topic, "producers"), "producers")
}

// TopicDetail shows a topic's partitions: leaders, replicas, in-sync replicas, offsets (5.5.8).
func (c *Client) TopicDetail(ctx context.Context, instanceID, topic string) (*TopicDetail, error) {
	var out TopicDetail
	if err := c.call(ctx, http.MethodGet, instancePath(instanceID, "management", "topics", topic), nil, &out); err != nil {
		return nil, err
	}
	if out.Partitions == nil {
		out.Partitions = []PartitionDetail{}
	}
	if out.GroupSubscribed == nil {
		out.GroupSubscribed = []string{}
	}
	for i := range out.Partitions {
		if out.Partitions[i].Replicas == nil {
			out.Partitions[i].Replicas = []PartitionReplica{}
		}
	}
	return &out, nil
}

// decodeField decodes m[key] into v; a missing or null field leaves v as it is.
func decodeField(m map[string]json.RawMessage, key string, v any) error {
	raw, ok := m[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("client: decoding %q: %w", key, err)
	}
	return nil
}
