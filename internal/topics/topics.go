// Package topics is the service behind the topic and partition APIs (5.5.2-5.5.8, 5.2.4, 5.2.10 and
// the V1/legacy forms): every call acts on the instance's real cluster through kafkaops.
//
// A DMS topic's settings are Kafka topic configs, set on the topic itself:
//   - retention_time (hours) is retention.ms;
//   - sync_replication is min.insync.replicas=2: a producer with acks=all (-1) is answered once the
//     leader and at least one follower have the record (false sets 1). It needs 2 replicas or more;
//     a topic reports sync_replication when its min.insync.replicas (its own or the broker's) is 2+;
//   - sync_message_flush is flush.messages=1: the broker flushes every record to disk before
//     answering (false removes it). kfake keeps its data in memory and records the setting only;
//   - topic_other_configs are max.message.bytes, message.timestamp.type and min.insync.replicas.
//
// What Kafka does not keep, the store does: a topic's description and, for topics created through the
// API, its creation time (created_at is 0 for topics made by Kafka clients: nothing is invented).
package topics

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
	"github.com/opendms/opendms/internal/store"
)

// Service is the topic service.
type Service struct {
	instances *instances.Service
	meta      store.Topics // descriptions and creation times, which the cluster has no place for
	log       *slog.Logger
	now       func() time.Time
	claims    claims // partitions admitted under the instances' limits (see admission)
}

// New makes the service over the instances (which give each instance's Kafka client) and the store
// of topic records.
func New(inst *instances.Service, meta store.Topics) *Service {
	return &Service{instances: inst, meta: meta, log: slog.Default(), now: time.Now}
}

// SetLogger sets where the service logs what it cannot return (per-topic failures of a batch).
func (s *Service) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log = l
	}
}

// cluster returns the instance and its cluster's client; write refuses an instance that is not
// RUNNING (a restart in progress, an ERROR).
func (s *Service) cluster(ctx context.Context, projectID, instanceID string, write bool) (dms.Instance, *kafkaops.Client, error) {
	in, c, err := s.instances.ClusterClient(ctx, projectID, instanceID)
	if err != nil {
		return in, nil, err
	}
	if write && in.Status != dms.StatusRunning {
		return in, nil, dms.Errorf(dms.CodeInstanceStatusForbids, "This operation is not allowed due to the instance status %s.", in.Status)
	}
	return in, c, nil
}

// partitionLimit is the instance's partition_num: the flavor's max_partition_per_broker times the
// brokers (a V1 instance's own limit); 0 when unknown.
func (s *Service) partitionLimit(in dms.Instance) int {
	if in.LegacySpecification != "" {
		return in.LegacyPartitionNum
	}
	if p, ok := s.instances.Catalog().Product(in.ProductID); ok {
		return p.MaxPartitionPerBroker * in.BrokerNum
	}
	return 0
}

// userPartitions counts the partitions of user topics (internal topics do not count against
// partition_num).
func userPartitions(ts []kafkaops.Topic) int {
	n := 0
	for _, t := range ts {
		if !t.Internal {
			n += len(t.Partitions)
		}
	}
	return n
}

// internal says whether a topic is Kafka's own (flagged internal by the brokers, or named like one).
func internal(t kafkaops.Topic) bool { return t.Internal || strings.HasPrefix(t.Name, "__") }

// CreateRequest is the body of 5.5.2 (and of 7.1.1.7, which has no topic_other_configs).
type CreateRequest struct {
	ID                string        `json:"id"`
	Partition         *int32        `json:"partition"`
	Replication       *int32        `json:"replication"`
	SyncReplication   *FlexBool     `json:"sync_replication"`
	SyncMessageFlush  *FlexBool     `json:"sync_message_flush"`
	RetentionTime     *int32        `json:"retention_time"`
	TopicOtherConfigs []OtherConfig `json:"topic_other_configs"`
	TopicDesc         *string       `json:"topic_desc"`
}

// Create creates a topic (5.5.2; v1 applies 7.1.1.7's rules: names of 4-64 characters without
// periods, 1-100 partitions) on the instance's cluster, returning once every partition has a
// leader. Defaults: 3 partitions, 3 replicas (fewer on a smaller cluster), 72 hours.
func (s *Service) Create(ctx context.Context, projectID, instanceID string, req CreateRequest, v1 bool) (string, error) {
	in, c, err := s.cluster(ctx, projectID, instanceID, true)
	if err != nil {
		return "", err
	}
	rule, partLimit := nameV2, MaxPartitions
	if v1 {
		rule, partLimit = nameV1, maxPartitionsV1
	}
	if err := rule.check(req.ID); err != nil {
		return "", err
	}
	partitions := int32(defaultPartitions)
	if req.Partition != nil {
		partitions = *req.Partition
	}
	if err := checkPartitions(partitions, partLimit); err != nil {
		return "", err
	}
	rf := int32(min(maxReplicas, len(in.Brokers)))
	if req.Replication != nil {
		rf = *req.Replication
	}
	if err := checkReplication(rf, len(in.Brokers)); err != nil {
		return "", err
	}
	retention := int32(defaultRetentionHours)
	if req.RetentionTime != nil {
		retention = *req.RetentionTime
	}
	if err := checkRetention(retention); err != nil {
		return "", err
	}
	if err := checkDescription(req.TopicDesc); err != nil {
		return "", err
	}
	configs, err := otherConfigValues(req.TopicOtherConfigs, int(rf))
	if err != nil {
		return "", err
	}
	configs[cfgRetentionMS] = strconv.FormatInt(int64(retention)*hourMS, 10)
	if req.SyncReplication != nil {
		isr, err := syncReplicationConfig(bool(*req.SyncReplication), int(rf), configs)
		if err != nil {
			return "", err
		}
		configs[cfgMinISR] = isr
	}
	if req.SyncMessageFlush != nil && bool(*req.SyncMessageFlush) {
		configs[cfgFlush] = "1"
	}

	adm := s.lockAdmission(in) // listing, check and claim in one step
	defer adm.unlock()
	existing, err := c.Topics(ctx)
	if err != nil {
		return "", kafkaerr.ToDMS(kafkaerr.Topic(req.ID), err)
	}
	for _, t := range existing {
		if t.Name == req.ID {
			return "", dms.Errorf(dms.CodeConflict, "The topic %s already exists.", req.ID)
		}
	}
	release, err := adm.claim(existing, map[string]int{req.ID: int(partitions)})
	if err != nil {
		return "", err
	}
	err = c.CreateTopic(ctx, kafkaops.NewTopic{Name: req.ID, Partitions: partitions, ReplicationFactor: int16(rf), Configs: configs})
	release(err)
	if err != nil {
		return req.ID, kafkaerr.ToDMS(kafkaerr.Topic(req.ID), err)
	}
	meta := dms.TopicMeta{InstanceID: in.ID, Name: req.ID, CreatedAt: s.now().UTC()}
	if req.TopicDesc != nil {
		meta.Description = *req.TopicDesc
	}
	if err := s.meta.PutTopicMeta(ctx, meta); err != nil {
		return req.ID, dms.Internal(err)
	}
	return req.ID, nil
}

// Topic is one user topic with its DMS settings, as 5.5.3 lists it.
type Topic struct {
	Name        string
	Partitions  int
	Replication int
	// RetentionHours is retention.ms in whole hours, -1 for unlimited.
	RetentionHours   int64
	SyncReplication  bool
	SyncMessageFlush bool
	OtherConfigs     []ConfigValue
	// Description and CreatedAt come from the store; CreatedAt is zero for topics made by Kafka clients.
	Description string
	CreatedAt   time.Time
}

// ConfigValue is one topic_other_configs entry of a topic.
type ConfigValue struct {
	Name, Value, Default, ValidValues, ValueType string
}

// TopicList is a page of 5.5.3.
type TopicList struct {
	Total  int     // user topics
	Topics []Topic // the page, sorted by name
	// MaxPartitions is the instance's partition_num (0 if unknown); RemainPartitions what is left.
	MaxPartitions, RemainPartitions int
}

// List returns the user topics of the instance (internal topics are not listed), sorted by name,
// the page from offset of at most limit topics (all with limit 0), with their settings as the
// cluster applies them.
func (s *Service) List(ctx context.Context, projectID, instanceID string, offset, limit int) (TopicList, error) {
	return s.ListMatching(ctx, projectID, instanceID, ListQuery{}, offset, limit)
}

// ListQuery selects and orders the topics of ListMatching (OpenDMS extensions of 5.5.3 for the
// console's topic list; the SDK sends none of them).
type ListQuery struct {
	Name     string // a part of the topic name, ignoring case ("" for every topic)
	SortKey  string // one of SortKeys, or "" for the cluster's order
	SortDesc bool
}

// SortKeys are the orders ListQuery.SortKey takes: both are known from the metadata before the
// page is described, so sorting costs nothing per topic.
var SortKeys = []string{"name", "partitions"}

// ListMatching is List of the topics whose name contains q.Name, ignoring case, in q's order: the
// filter and sort of the console's topic list (5.5.3's name, sort_key and sort_dir, OpenDMS
// extensions). It filters and sorts before paging, so total and the pages count the matching
// topics only.
func (s *Service) ListMatching(ctx context.Context, projectID, instanceID string, q ListQuery, offset, limit int) (TopicList, error) {
	in, c, err := s.cluster(ctx, projectID, instanceID, false)
	if err != nil {
		return TopicList{}, err
	}
	all, err := c.Topics(ctx)
	if err != nil {
		return TopicList{}, kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	var user []kafkaops.Topic
	name := strings.ToLower(q.Name)
	for _, t := range all {
		if !internal(t) && strings.Contains(strings.ToLower(t.Name), name) {
			user = append(user, t)
		}
	}
	sortTopics(user, q.SortKey, q.SortDesc)
	out := TopicList{Total: len(user), MaxPartitions: s.partitionLimit(in), Topics: []Topic{}}
	if out.MaxPartitions > 0 {
		out.RemainPartitions = max(0, out.MaxPartitions-userPartitions(all))
	}
	if offset >= len(user) {
		return out, nil
	}
	page := user[offset:]
	if limit > 0 {
		page = page[:min(limit, len(page))]
	}
	names := make([]string, len(page))
	for i, t := range page {
		names[i] = t.Name
	}
	configs, err := c.DescribeTopicConfigs(ctx, configNames(), names...)
	if err != nil {
		return TopicList{}, kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	metas, err := s.meta.ListTopicMeta(ctx, in.ID)
	if err != nil {
		return TopicList{}, dms.Internal(err)
	}
	meta := map[string]dms.TopicMeta{}
	for _, m := range metas {
		meta[m.Name] = m
	}
	for _, t := range page {
		tc := configs[t.Name]
		if tc.Err != nil {
			if errors.Is(tc.Err, kerr.UnknownTopicOrPartition) {
				out.Total-- // deleted since the metadata was read
				continue
			}
			return TopicList{}, kafkaerr.ToDMS(kafkaerr.Topic(t.Name), tc.Err)
		}
		topic := topicOf(t, tc)
		topic.Description, topic.CreatedAt = meta[t.Name].Description, meta[t.Name].CreatedAt
		out.Topics = append(out.Topics, topic)
	}
	return out, nil
}

// configNames are the topic configs a listing reads.
func configNames() []string {
	names := []string{cfgRetentionMS, cfgMinISR, cfgFlush}
	for _, o := range otherConfigs {
		if !slices.Contains(names, o.Name) {
			names = append(names, o.Name)
		}
	}
	return names
}

func topicOf(t kafkaops.Topic, tc kafkaops.TopicConfigs) Topic {
	out := Topic{Name: t.Name, Partitions: len(t.Partitions), Replication: t.ReplicationFactor(), RetentionHours: -1}
	if ms, err := strconv.ParseInt(tc.Configs[cfgRetentionMS].Value, 10, 64); err == nil && ms >= 0 {
		out.RetentionHours = ms / hourMS
	}
	isr, _ := strconv.Atoi(tc.Configs[cfgMinISR].Value)
	out.SyncReplication = isr >= syncReplicationISR
	out.SyncMessageFlush = tc.Configs[cfgFlush].Value == "1"
	for _, o := range otherConfigs {
		v := tc.Configs[o.Name]
		out.OtherConfigs = append(out.OtherConfigs, ConfigValue{Name: o.Name, Value: v.Value, Default: v.Default, ValidValues: o.ValidValues, ValueType: o.ValueType})
	}
	return out
}

// UpdateTopic is one entry of 5.5.4's topics: only the fields given change.
type UpdateTopic struct {
	ID                  string        `json:"id"`
	RetentionTime       *int32        `json:"retention_time"`
	SyncReplication     *FlexBool     `json:"sync_replication"`
	SyncMessageFlush    *FlexBool     `json:"sync_message_flush"`
	NewPartitionNumbers *int32        `json:"new_partition_numbers"`
	NewPartitionBrokers []int32       `json:"new_partition_brokers"`
	TopicOtherConfigs   []OtherConfig `json:"topic_other_configs"`
	TopicDesc           *string       `json:"topic_desc"`
}

// topicChange is what one UpdateTopic does to the cluster.
type topicChange struct {
	topic      string
	desc       *string // a new description
	set        map[string]string
	remove     []string
	partitions int32     // the new total, 0 for no change
	assignment [][]int32 // replicas of the new partitions, empty to let the cluster place them
}

// Update modifies topics (5.5.4): configs, and more partitions with new_partition_numbers (the new
// total; new_partition_brokers places the new partitions' replicas on those brokers, round-robin).
// Every entry is validated before any is applied; they are then applied in order, and the first the
// cluster refuses ends the call (the ones before it are applied).
func (s *Service) Update(ctx context.Context, projectID, instanceID string, topics []UpdateTopic) error {
	in, c, err := s.cluster(ctx, projectID, instanceID, true)
	if err != nil {
		return err
	}
	if len(topics) == 0 {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: topics must name at least one topic.")
	}
	adm := s.lockAdmission(in) // listing, check and claim in one step
	defer adm.unlock()
	all, err := c.Topics(ctx)
	if err != nil {
		return kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	byName := map[string]kafkaops.Topic{}
	for _, t := range all {
		byName[t.Name] = t
	}
	var changes []topicChange
	totals := map[string]int{}
	seen := map[string]bool{}
	for _, u := range topics {
		if seen[u.ID] {
			return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: topic %s is named twice.", u.ID)
		}
		seen[u.ID] = true
		t, ok := byName[u.ID]
		if !ok {
			return dms.Errorf(dms.CodeTopicNotExist, "The topic does not exist: %s.", u.ID)
		}
		if internal(t) {
			return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s is an internal topic of Kafka and cannot be modified.", u.ID)
		}
		ch, err := planUpdate(u, t, in)
		if err != nil {
			return err
		}
		if ch.partitions > 0 {
			totals[ch.topic] = int(ch.partitions)
		}
		changes = append(changes, ch)
	}
	release, err := adm.claim(all, totals)
	if err != nil {
		return err
	}
	// The claims are released with the outcome: a refusal drops them at once, unless partitions
	// were added before it (those exist: the claims wait out their grace).
	var outcome error
	added := false
	defer func() {
		if added {
			outcome = nil
		}
		release(outcome)
	}()
	for _, ch := range changes {
		if err := c.AlterTopicConfigs(ctx, ch.topic, ch.set, ch.remove); err != nil {
			outcome = err
			return kafkaerr.ToDMS(kafkaerr.Topic(ch.topic), err)
		}
		if ch.partitions > 0 {
			if err := c.AddPartitions(ctx, ch.topic, ch.partitions, ch.assignment); err != nil {
				outcome = err
				return kafkaerr.ToDMS(kafkaerr.Topic(ch.topic), err)
			}
			added = true
		}
		if ch.desc != nil {
			if err := s.setDescription(ctx, in.ID, ch.topic, *ch.desc); err != nil {
				return err
			}
		}
	}
	return nil
}

// setDescription changes a topic's description, keeping the creation time the store has.
func (s *Service) setDescription(ctx context.Context, instanceID, topic, desc string) error {
	metas, err := s.meta.ListTopicMeta(ctx, instanceID)
	if err != nil {
		return dms.Internal(err)
	}
	m := dms.TopicMeta{InstanceID: instanceID, Name: topic, Description: desc}
	for _, x := range metas {
		if x.Name == topic {
			m.CreatedAt = x.CreatedAt
		}
	}
	if err := s.meta.PutTopicMeta(ctx, m); err != nil {
		return dms.Internal(err)
	}
	return nil
}

// planUpdate validates one UpdateTopic of topic t.
func planUpdate(u UpdateTopic, t kafkaops.Topic, in dms.Instance) (topicChange, error) {
	ch := topicChange{topic: u.ID, set: map[string]string{}}
	rf := t.ReplicationFactor()
	if err := checkDescription(u.TopicDesc); err != nil {
		return ch, err
	}
	ch.desc = u.TopicDesc
	others, err := otherConfigValues(u.TopicOtherConfigs, rf)
	if err != nil {
		return ch, err
	}
	for k, v := range others {
		ch.set[k] = v
	}
	if u.RetentionTime != nil {
		if err := checkRetention(*u.RetentionTime); err != nil {
			return ch, err
		}
		ch.set[cfgRetentionMS] = strconv.FormatInt(int64(*u.RetentionTime)*hourMS, 10)
	}
	if u.SyncReplication != nil {
		isr, err := syncReplicationConfig(bool(*u.SyncReplication), rf, others)
		if err != nil {
			return ch, err
		}
		ch.set[cfgMinISR] = isr
	}
	if u.SyncMessageFlush != nil {
		if *u.SyncMessageFlush {
			ch.set[cfgFlush] = "1"
		} else {
			ch.remove = append(ch.remove, cfgFlush)
		}
	}
	if u.NewPartitionNumbers != nil {
		n := *u.NewPartitionNumbers
		if err := checkPartitions(n, MaxPartitions); err != nil {
			return ch, err
		}
		current := int32(len(t.Partitions))
		if n < current {
			return ch, dms.Errorf(dms.CodeTopicPartitionInvalid, "The partitions of topic %s can only be increased: it has %d, new_partition_numbers is %d.", u.ID, current, n)
		}
		if n > current {
			ch.partitions = n
			a, err := assign(u.NewPartitionBrokers, int(n-current), rf, in)
			if err != nil {
				return ch, err
			}
			ch.assignment = a
		}
	}
	return ch, nil
}

// assign places n new partitions of rf replicas on brokers, round-robin (partition i's replicas are
// brokers[i], brokers[i+1], ... modulo their count; its leader the first). No brokers: the cluster
// places them.
func assign(brokers []int32, n, rf int, in dms.Instance) ([][]int32, error) {
	if len(brokers) == 0 {
		return nil, nil
	}
	seen := map[int32]bool{}
	for _, b := range brokers {
		if !slices.ContainsFunc(in.Brokers, func(x dms.BrokerAddr) bool { return x.ID == b }) {
			return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: new_partition_brokers names broker %d, which the instance does not have (its brokers are 0-%d).", b, len(in.Brokers)-1)
		}
		if seen[b] {
			return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: new_partition_brokers names broker %d twice.", b)
		}
		seen[b] = true
	}
	if len(brokers) < rf {
		return nil, dms.Errorf(dms.CodeTopicReplicaTooMany, "Replication factor larger than available brokers: the topic has %d replicas, new_partition_brokers names %d brokers.", rf, len(brokers))
	}
	out := make([][]int32, n)
	for i := range out {
		for j := range rf {
			out[i] = append(out[i], brokers[(i+j)%len(brokers)])
		}
	}
	return out, nil
}

// AddPartitions is 7.2.2.1: the topic's new total partition count, above the current one and at
// most 100 (the reference's limit for this API).
func (s *Service) AddPartitions(ctx context.Context, projectID, instanceID, topic string, total *int32) error {
	in, c, err := s.cluster(ctx, projectID, instanceID, true)
	if err != nil {
		return err
	}
	if total == nil {
		return dms.Errorf(dms.CodeTopicPartitionInvalid, "The total number of partitions (partition) is required.")
	}
	if err := checkPartitions(*total, maxPartitionsV1); err != nil {
		return err
	}
	adm := s.lockAdmission(in) // listing, check and claim in one step
	defer adm.unlock()
	all, err := c.Topics(ctx)
	if err != nil {
		return kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
	}
	i := slices.IndexFunc(all, func(t kafkaops.Topic) bool { return t.Name == topic })
	if i < 0 {
		return dms.Errorf(dms.CodeTopicNotExist, "The topic does not exist: %s.", topic)
	}
	if internal(all[i]) {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s is an internal topic of Kafka and cannot be modified.", topic)
	}
	current := int32(len(all[i].Partitions))
	if *total <= current {
		return dms.Errorf(dms.CodeTopicPartitionInvalid, "The number of partitions must be larger than the current %d of topic %s, got %d.", current, topic, *total)
	}
	release, err := adm.claim(all, map[string]int{topic: int(*total)})
	if err != nil {
		return err
	}
	err = c.AddPartitions(ctx, topic, *total, nil)
	release(err)
	return kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
}

// DeleteResult is one topic of 5.5.5's answer.
type DeleteResult struct {
	Name    string
	Success bool
}

// Delete deletes topics (5.5.5, 7.1.1.9), each on its own: one result per distinct name, in the
// order given. A topic that does not exist, or an internal topic, is not deleted (Success false).
func (s *Service) Delete(ctx context.Context, projectID, instanceID string, names []string) ([]DeleteResult, error) {
	in, c, err := s.cluster(ctx, projectID, instanceID, true)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: topics must name at least one topic.")
	}
	all, err := c.Topics(ctx)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	byName := map[string]kafkaops.Topic{}
	for _, t := range all {
		byName[t.Name] = t
	}
	var out []DeleteResult
	var deletable []string
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, DeleteResult{Name: n})
		t, ok := byName[n]
		switch {
		case !ok:
			s.log.Info("topic not deleted: it does not exist", "instance_id", instanceID, "topic", n)
		case internal(t):
			s.log.Info("topic not deleted: internal topic", "instance_id", instanceID, "topic", n)
		default:
			deletable = append(deletable, n)
		}
	}
	deleted, err := c.DeleteTopics(ctx, deletable...)
	if err != nil && deleted == nil {
		return nil, kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	if err != nil { // deleted, but not yet gone from the metadata: reported as deleted
		s.log.Warn("deleted topics still in the metadata", "instance_id", instanceID, "err", err)
	}
	for _, d := range deleted {
		i := slices.IndexFunc(out, func(r DeleteResult) bool { return r.Name == d.Name })
		out[i].Success = d.Err == nil
		if d.Err == nil {
			s.claims.forget(in.ID, []string{d.Name})
			if err := s.meta.DeleteTopicMeta(ctx, in.ID, d.Name); err != nil {
				return nil, dms.Internal(err)
			}
			// Kafka keeps a deleted topic's ACLs: a new topic of the name would be open to the old
			// users at once. The topic is gone either way: a failure is logged, not answered.
			if in.SSLEnable {
				if err := c.DeleteTopicACLs(ctx, d.Name); err != nil {
					s.log.Warn("deleted topic: its ACLs remain", "instance_id", instanceID, "topic", d.Name, "err", err)
				}
			}
		}
		if d.Err != nil {
			s.log.Info("topic not deleted", "instance_id", instanceID, "topic", d.Name, "err", d.Err)
		}
	}
	return out, nil
}

// topic describes an existing topic (internal ones too: they can be looked at).
func (s *Service) topic(ctx context.Context, c *kafkaops.Client, name string) (kafkaops.Topic, error) {
	t, err := c.DescribeTopic(ctx, name)
	return t, kafkaerr.ToDMS(kafkaerr.Topic(name), err)
}

// Partitions returns the offsets of every partition of a topic (5.5.6), sorted by partition: Start
// is start_offset (the log start offset, the first message's offset when there is one), End is
// last_offset and End-Start is message_count.
//
// The reference calls last_offset only "last offset"; its example (start_offset 0, last_offset
// 1216303, message_count 1216303) makes it the log end offset: the offset the next message gets,
// one past the last message's (which 5.8.5 answers). So an empty partition has last_offset ==
// start_offset and message_count 0, and a partition with one message at 0 has last_offset 1.
func (s *Service) Partitions(ctx context.Context, projectID, instanceID, topic string) ([]kafkaops.PartitionOffsets, error) {
	_, c, err := s.cluster(ctx, projectID, instanceID, false)
	if err != nil {
		return nil, err
	}
	ps, err := c.TopicOffsets(ctx, topic)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
	}
	for _, p := range ps {
		if p.Err != nil {
			return nil, kafkaerr.ToDMS(kafkaerr.Topic(topic), fmt.Errorf("partition %d of %s: %w", p.Partition, topic, p.Err))
		}
	}
	return ps, nil
}

// Producers returns the producers with state on the topic's partitions (5.5.7): idempotent and
// transactional ones on Apache Kafka, transactional ones in a transaction on kfake (see
// kafkaops.Client.TopicProducers).
func (s *Service) Producers(ctx context.Context, projectID, instanceID, topic string) ([]kafkaops.Producer, error) {
	in, c, err := s.cluster(ctx, projectID, instanceID, false)
	if err != nil {
		return nil, err
	}
	ps, err := c.TopicProducers(ctx, topic)
	for i := range ps {
		ps[i].BrokerPort = instances.ClientPort(in)
	}
	return ps, kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
}

// Detail returns a topic's partitions with their replicas, offsets and sizes, and the consumer
// groups subscribed to it (5.5.8).
func (s *Service) Detail(ctx context.Context, projectID, instanceID, topic string) (kafkaops.TopicDetail, error) {
	_, c, err := s.cluster(ctx, projectID, instanceID, false)
	if err != nil {
		return kafkaops.TopicDetail{}, err
	}
	d, err := c.DescribeTopicDetail(ctx, topic)
	if err != nil {
		return d, kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
	}
	if d.Incomplete != nil {
		s.log.Warn("topic detail: groups listed partially", "instance_id", instanceID, "topic", topic, "err", d.Incomplete)
	}
	return d, nil
}

// Describe returns a topic's partitions and replicas (the SDK's ShowKafkaTopicDetail).
func (s *Service) Describe(ctx context.Context, projectID, instanceID, topic string) (kafkaops.Topic, error) {
	_, c, err := s.cluster(ctx, projectID, instanceID, false)
	if err != nil {
		return kafkaops.Topic{}, err
	}
	return s.topic(ctx, c, topic)
}

// SetAutoCreate is 5.2.4: automatic topic creation on or off, applied by a rolling restart (see
// instances.Service.SetAutoCreateTopics).
func (s *Service) SetAutoCreate(ctx context.Context, projectID, instanceID string, who instances.Actor, enable bool) error {
	_, _, err := s.instances.SetAutoCreateTopics(ctx, projectID, instanceID, who, enable)
	return err
}

// sortTopics orders topics by key ("name" or "partitions", ties by name); "" keeps their order.
func sortTopics(ts []kafkaops.Topic, key string, desc bool) {
	var by func(a, b kafkaops.Topic) int
	switch key {
	case "name":
		by = func(a, b kafkaops.Topic) int { return strings.Compare(a.Name, b.Name) }
	case "partitions":
		by = func(a, b kafkaops.Topic) int {
			return cmp.Or(cmp.Compare(len(a.Partitions), len(b.Partitions)), strings.Compare(a.Name, b.Name))
		}
	default:
		return
	}
	slices.SortStableFunc(ts, func(a, b kafkaops.Topic) int {
		if desc {
			return by(b, a)
		}
		return by(a, b)
	})
}
