package httpapi

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/topics"
)

// Topics and partitions: 5.5.2-5.5.8, 5.2.4, 5.2.10, 7.1.1.7-7.1.1.9, 7.2.2.1, and the SDK's
// ShowKafkaTopicDetail. JSON names and types are the Go SDK's (sdk-compat.md 4.3): created_at int64,
// the booleans as booleans, partitions' leo/hw/lso and replica sizes int32 (clamped: the SDK cannot
// decode more), offsets of 5.5.6 int64, disk sizes as strings.
func (s *Server) implementTopics() {
	if s.topics != nil && s.log != nil { // nil in `dmsd routes`, which only lists the routes
		s.topics.SetLogger(s.log)
	}
	s.router.implement("POST", "/v2/{project_id}/instances/{instance_id}/topics", http.HandlerFunc(s.createTopic))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/topics", http.HandlerFunc(s.listTopics))
	s.router.implement("PUT", "/v2/{project_id}/instances/{instance_id}/topics", http.HandlerFunc(s.updateTopics))
	s.router.implement("POST", "/v2/{project_id}/instances/{instance_id}/topics/delete", http.HandlerFunc(s.deleteTopics))
	s.router.implement("GET", "/v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/partitions", http.HandlerFunc(s.listTopicPartitions))
	s.router.implement("GET", "/v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/producers", http.HandlerFunc(s.listTopicProducers))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}", http.HandlerFunc(s.showTopicDetail))
	s.router.implement("GET", "/v2/kafka/{project_id}/instances/{instance_id}/topics-detail/{topic}", http.HandlerFunc(s.showKafkaTopicDetail))
	s.router.implement("POST", "/v2/{project_id}/instances/{instance_id}/autotopic", http.HandlerFunc(s.setAutoTopic))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/topics/diskusage", http.HandlerFunc(s.topicDiskUsage))
	s.router.implement("POST", "/v1.0/{project_id}/instances/{instance_id}/topics", http.HandlerFunc(s.createTopicV1))
	s.router.implement("GET", "/v1.0/{project_id}/instances/{instance_id}/topics", http.HandlerFunc(s.listTopicsV1))
	s.router.implement("POST", "/v1.0/{project_id}/instances/{instance_id}/topics/delete", http.HandlerFunc(s.deleteTopicsV1))
	s.router.implement("POST", "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/partitions-reassignment", http.HandlerFunc(s.addTopicPartitions))
}

func (s *Server) createTopic(w http.ResponseWriter, r *http.Request) {
	var req topics.CreateRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	name, err := s.topics.Create(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req, false)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": name})
}

// createTopicV1 is 7.1.1.7: 5.5.2 with V1's rules, answered with "id". Its example spells the key
// "sync_replication " with a trailing space; that spelling is accepted too.
func (s *Server) createTopicV1(w http.ResponseWriter, r *http.Request) {
	var req struct {
		topics.CreateRequest
		SyncReplicationSpaced *topics.FlexBool `json:"sync_replication "`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.SyncReplication == nil {
		req.SyncReplication = req.SyncReplicationSpaced
	}
	req.TopicOtherConfigs = nil // not a V1 field
	name, err := s.topics.Create(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.CreateRequest, true)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": name})
}

// topicOtherConfigView is TopicEntity.topic_other_configs[].
type topicOtherConfigView struct {
	Name         string `json:"name"`
	ValidValues  string `json:"valid_values"`
	DefaultValue string `json:"default_value"`
	ConfigType   string `json:"config_type"`
	Value        string `json:"value"`
	ValueType    string `json:"value_type"`
}

// topicView is 5.5.3's TopicEntity.
type topicView struct {
	PoliciesOnly      bool                   `json:"policiesOnly"`
	Name              string                 `json:"name"`
	Replication       int32                  `json:"replication"`
	Partition         int32                  `json:"partition"`
	RetentionTime     int32                  `json:"retention_time"`
	SyncReplication   bool                   `json:"sync_replication"`
	SyncMessageFlush  bool                   `json:"sync_message_flush"`
	ExternalConfigs   map[string]any         `json:"external_configs"`
	TopicType         int32                  `json:"topic_type"`
	TopicOtherConfigs []topicOtherConfigView `json:"topic_other_configs"`
	TopicDesc         string                 `json:"topic_desc"`
	// CreatedAt (ms) is when the topic was created through the API; 0 for topics made by Kafka
	// clients (Kafka keeps no creation time).
	CreatedAt int64 `json:"created_at"`
}

func viewTopic(t topics.Topic) topicView {
	v := topicView{Name: t.Name, Replication: int32(t.Replication), Partition: int32(t.Partitions), RetentionTime: i32(t.RetentionHours),
		SyncReplication: t.SyncReplication, SyncMessageFlush: t.SyncMessageFlush, ExternalConfigs: map[string]any{},
		TopicOtherConfigs: []topicOtherConfigView{}, TopicDesc: t.Description}
	if !t.CreatedAt.IsZero() {
		v.CreatedAt = t.CreatedAt.UnixMilli()
	}
	for _, c := range t.OtherConfigs {
		v.TopicOtherConfigs = append(v.TopicOtherConfigs, topicOtherConfigView{Name: c.Name, ValidValues: c.ValidValues,
			DefaultValue: c.Default, ConfigType: "dynamic", Value: c.Value, ValueType: c.ValueType})
	}
	return v
}

// maxTopicPageSize is the largest limit of a topic list (5.5.3), as the real service takes it.
const maxTopicPageSize = 200

// maxTopicNameFilter is the longest name filter of a topic list: the longest topic name (5.5.2).
const maxTopicNameFilter = 200

func (s *Server) listTopics(w http.ResponseWriter, r *http.Request) {
	// The reference's table says limit 1-50, but the huaweicloud Terraform provider lists topics with
	// limit=200 and the real service answers it: where the old table and the tools disagree, the tools win.
	offset, limit, err := pageParams(r, 10, maxTopicPageSize)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// name filters by a part of the topic name (ignoring case): an OpenDMS extension the console's
	// topic list uses; the SDK does not send it.
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	if utf8.RuneCountInString(name) > maxTopicNameFilter {
		writeError(w, r, invalidParam("name has %d characters, at most %d are allowed", utf8.RuneCountInString(name), maxTopicNameFilter))
		return
	}
	q := topics.ListQuery{Name: name}
	if q.SortKey, q.SortDesc, err = sortParams(r, topics.SortKeys); err != nil {
		writeError(w, r, err)
		return
	}
	l, err := s.topics.ListMatching(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), q, offset, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]topicView, 0, len(l.Topics))
	for _, t := range l.Topics {
		views = append(views, viewTopic(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": l.Total, "size": limit, "remain_partitions": l.RemainPartitions,
		"max_partitions": l.MaxPartitions, "topic_max_partitions": topics.MaxPartitions, "topics": views})
}

// listTopicsV1 is 7.1.1.8: every topic, no paging, each named by "id".
func (s *Server) listTopicsV1(w http.ResponseWriter, r *http.Request) {
	l, err := s.topics.List(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), 0, 0)
	if err != nil {
		writeError(w, r, err)
		return
	}
	type topicV1 struct {
		PoliciesOnly     bool           `json:"policiesOnly"`
		ID               string         `json:"id"`
		Replication      int32          `json:"replication"`
		Partition        int32          `json:"partition"`
		RetentionTime    int32          `json:"retention_time"`
		SyncReplication  bool           `json:"sync_replication"`
		SyncMessageFlush bool           `json:"sync_message_flush"`
		ExternalConfigs  map[string]any `json:"external_configs"`
		TopicType        int32          `json:"topic_type"`
	}
	views := make([]topicV1, 0, len(l.Topics))
	for _, t := range l.Topics {
		v := viewTopic(t)
		views = append(views, topicV1{ID: v.Name, Replication: v.Replication, Partition: v.Partition, RetentionTime: v.RetentionTime,
			SyncReplication: v.SyncReplication, SyncMessageFlush: v.SyncMessageFlush, ExternalConfigs: v.ExternalConfigs})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": l.Total, "size": len(views), "remain_partitions": l.RemainPartitions,
		"max_partitions": l.MaxPartitions, "topics": views})
}

func (s *Server) updateTopics(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Topics []topics.UpdateTopic `json:"topics"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.topics.Update(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.Topics); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteTopics(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Topics []string `json:"topics"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	results, err := s.topics.Delete(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.Topics)
	if err != nil {
		writeError(w, r, err)
		return
	}
	type result struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
	}
	out := make([]result, 0, len(results))
	for _, res := range results {
		out = append(out, result{ID: res.Name, Success: res.Success})
	}
	writeJSON(w, http.StatusOK, map[string]any{"topics": out})
}

// deleteTopicsV1 is 7.1.1.9, where topics is mandatory: the same as 5.5.5.
func (s *Server) deleteTopicsV1(w http.ResponseWriter, r *http.Request) { s.deleteTopics(w, r) }

func (s *Server) addTopicPartitions(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Partition *int32 `json:"partition"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.topics.AddPartitions(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("topic"), req.Partition); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// openPageParams reads offset/limit of the APIs that document no limits (5.5.6, 5.5.7): offset >= 0,
// limit >= 1, everything from offset without a limit.
func openPageParams(r *http.Request) (offset, limit int, err error) {
	q := r.URL.Query()
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, invalidParam("offset must be an integer >= 0")
		}
	}
	limit = math.MaxInt32
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return 0, 0, invalidParam("limit must be an integer >= 1")
		}
	}
	return offset, limit, nil
}

func (s *Server) listTopicPartitions(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := openPageParams(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ps, err := s.topics.Partitions(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("topic"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	type partition struct {
		Partition      int32 `json:"partition"`
		StartOffset    int64 `json:"start_offset"`
		LastOffset     int64 `json:"last_offset"` // the log end offset (high watermark): the offset the next message gets; see topics.Service.Partitions
		MessageCount   int64 `json:"message_count"`
		LastUpdateTime int64 `json:"last_update_time"`
	}
	out := make([]partition, 0, len(ps))
	for _, p := range page(ps, offset, limit) {
		out = append(out, partition{Partition: p.Partition, StartOffset: p.Start, LastOffset: p.End, MessageCount: max(0, p.End-p.Start),
			LastUpdateTime: max(0, p.MaxTimestamp)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(ps), "partitions": out})
}

func (s *Server) listTopicProducers(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := openPageParams(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ps, err := s.topics.Producers(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("topic"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	// One entry per producer and partition. The Kafka protocol carries no client address
	// (producer_address is empty) and no connection time: join_time is the producer's last write on
	// the partition. The producer_id... fields are OpenDMS's (the SDK ignores unknown fields).
	type producer struct {
		ProducerAddress string `json:"producer_address"`
		BrokerAddress   string `json:"broker_address"`
		JoinTime        int64  `json:"join_time"`
		ProducerID      int64  `json:"producer_id"`
		ProducerEpoch   int32  `json:"producer_epoch"`
		Partition       int32  `json:"partition"`
		LastSequence    int32  `json:"last_sequence"`
	}
	out := make([]producer, 0, len(ps))
	for _, p := range page(ps, offset, limit) {
		out = append(out, producer{BrokerAddress: net.JoinHostPort(p.BrokerHost, strconv.Itoa(int(p.BrokerPort))), JoinTime: max(0, p.LastTimestamp),
			ProducerID: p.ProducerID, ProducerEpoch: p.Epoch, Partition: p.Partition, LastSequence: p.LastSequence})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(ps), "producers": out})
}

// i32 clamps n into int32, the type the SDK decodes several offsets and sizes as.
func i32(n int64) int32 {
	return int32(min(max(n, math.MinInt32), math.MaxInt32))
}

func (s *Server) showTopicDetail(w http.ResponseWriter, r *http.Request) {
	d, err := s.topics.Detail(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("topic"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	type replica struct {
		Broker int32 `json:"broker"`
		Leader bool  `json:"leader"`
		InSync bool  `json:"in_sync"`
		Size   int32 `json:"size"`
		Lag    int64 `json:"lag"`
	}
	// leo is the high watermark too: the protocol does not expose the leader's log end offset to
	// clients, and it equals the high watermark once the in-sync replicas have caught up.
	type partition struct {
		Partition           int32     `json:"partition"`
		Leader              int32     `json:"leader"`
		LEO                 int32     `json:"leo"`
		HW                  int32     `json:"hw"`
		LSO                 int32     `json:"lso"`
		LastUpdateTimestamp int64     `json:"last_update_timestamp"`
		Replicas            []replica `json:"replicas"`
	}
	parts := make([]partition, 0, len(d.Partitions))
	for i, p := range d.Partitions {
		o := d.Offsets[i]
		v := partition{Partition: p.ID, Leader: p.Leader, LEO: i32(o.End), HW: i32(o.End), LSO: i32(o.Start),
			LastUpdateTimestamp: max(0, o.MaxTimestamp), Replicas: []replica{}}
		for _, b := range p.Replicas {
			rv := replica{Broker: b, Leader: b == p.Leader, InSync: slices.Contains(p.ISR, b)}
			for _, l := range d.Logs {
				if l.Broker == b && l.Partition == p.ID {
					rv.Size, rv.Lag = i32(l.Size), l.OffsetLag
				}
			}
			v.Replicas = append(v.Replicas, rv)
		}
		parts = append(parts, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"topic": d.Name, "partitions": parts, "group_subscribed": d.Groups})
}

// showKafkaTopicDetail is the SDK's ShowKafkaTopicDetail: the whole body is a JSON array of one topic.
func (s *Server) showKafkaTopicDetail(w http.ResponseWriter, r *http.Request) {
	t, err := s.topics.Describe(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("topic"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	type partition struct {
		Partition int32   `json:"partition"`
		Leader    int32   `json:"leader"`
		Replicas  []int32 `json:"replicas"`
	}
	parts := make([]partition, 0, len(t.Partitions))
	for _, p := range t.Partitions {
		parts = append(parts, partition{Partition: p.ID, Leader: p.Leader, Replicas: nonNil(p.Replicas)})
	}
	// create_time is 0: Kafka keeps no creation time of a topic.
	writeJSON(w, http.StatusOK, []map[string]any{{"topic": t.Name, "create_time": int64(0), "partitions": parts}})
}

func (s *Server) setAutoTopic(w http.ResponseWriter, r *http.Request) {
	var req struct {
		EnableAutoTopic *topics.FlexBool `json:"enable_auto_topic"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if req.EnableAutoTopic == nil {
		writeError(w, r, invalidParam("enable_auto_topic is required"))
		return
	}
	err := s.topics.SetAutoCreate(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)), bool(*req.EnableAutoTopic))
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) topicDiskUsage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := topics.ParseDiskUsageFilter(q.Get("minSize"), q.Get("top"), q.Get("percentage"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	brokers, err := s.topics.DiskUsage(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	type topicUsage struct {
		Size           string  `json:"size"`
		TopicName      string  `json:"topic_name"`
		TopicPartition string  `json:"topic_partition"`
		Percentage     float64 `json:"percentage"` // percent of the broker's disk
	}
	type brokerUsage struct {
		BrokerName            string       `json:"broker_name"`
		DataDiskSize          string       `json:"data_disk_size"`
		DataDiskUse           string       `json:"data_disk_use"`
		DataDiskFree          string       `json:"data_disk_free"`
		DataDiskUsePercentage string       `json:"data_disk_use_percentage"`
		Status                string       `json:"status"`
		TopicList             []topicUsage `json:"topic_list"`
	}
	out := make([]brokerUsage, 0, len(brokers))
	for _, b := range brokers {
		v := brokerUsage{BrokerName: fmt.Sprintf("broker-%d", b.Broker), DataDiskSize: humanSize(b.Capacity), DataDiskUse: humanSize(b.Used),
			DataDiskFree: humanSize(max(0, b.Capacity-b.Used)), DataDiskUsePercentage: strconv.Itoa(int(math.Ceil(b.Percent(b.Used)))),
			Status: "Success get info", TopicList: []topicUsage{}}
		for _, p := range b.Partitions {
			v.TopicList = append(v.TopicList, topicUsage{Size: humanSize(p.Size), TopicName: p.Topic, TopicPartition: strconv.Itoa(int(p.Partition)),
				Percentage: b.Percent(p.Size)})
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"broker_list": out})
}

// humanSize formats bytes as `du -h` does, as the reference's examples show ("8.0K", "12K", "53M",
// "66G"): powers of 1024 rounded up, one decimal below 10, plain bytes below 1 KiB.
func humanSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(max(0, n), 10)
	}
	const units = "KMGTPE"
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 10 {
		if r := math.Ceil(v*10) / 10; r < 10 {
			return fmt.Sprintf("%.1f%c", r, units[i])
		}
	}
	return fmt.Sprintf("%.0f%c", math.Ceil(v), units[i])
}
