package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Topics and partitions (the DMS topic APIs 5.5.2-5.5.8 and 5.2.10). Every call here asks the cluster
// afresh (a Metadata request of its own, never kgo's cached metadata, which can be seconds old right
// after a topic or partition is created), and the calls that change topics return only once the
// metadata shows the change, so a caller can use what it created at once.
//
// Errors from the cluster stay matchable: errors.Is(err, kerr.TopicAlreadyExists),
// kerr.UnknownTopicOrPartition (a topic that does not exist), kerr.InvalidReplicationFactor, ...

// topicPollInterval is how often a change is looked for in the metadata.
const topicPollInterval = 50 * time.Millisecond

// Topic is one topic as the cluster's metadata describes it.
type Topic struct {
	Name string
	// Internal is set for the topics the brokers flag internal (__consumer_offsets,
	// __transaction_state, __share_group_state).
	Internal   bool
	Partitions []Partition // sorted by ID
}

// Partition is one partition of a Topic.
type Partition struct {
	ID       int32
	Leader   int32   // -1 when the partition has no leader
	Replicas []int32 // in the assignment's order (the first is the preferred leader)
	ISR      []int32
	Err      error // the metadata's error for this partition (LeaderNotAvailable, ...), nil if none
}

// ReplicationFactor is the largest replica count of the topic's partitions.
func (t Topic) ReplicationFactor() int {
	rf := 0
	for _, p := range t.Partitions {
		rf = max(rf, len(p.Replicas))
	}
	return rf
}

func topicOf(td kadm.TopicDetail) Topic {
	t := Topic{Name: td.Topic, Internal: td.IsInternal}
	for _, p := range td.Partitions {
		t.Partitions = append(t.Partitions, Partition{ID: p.Partition, Leader: p.Leader, Replicas: p.Replicas, ISR: p.ISR, Err: p.Err})
	}
	slices.SortFunc(t.Partitions, func(a, b Partition) int { return int(a.ID) - int(b.ID) })
	return t
}

// Topics returns every topic of the cluster, internal ones included (flagged), sorted by name.
func (c *Client) Topics(ctx context.Context) ([]Topic, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	m, err := c.metadata(ctx)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: metadata: %w", err)
	}
	out := make([]Topic, 0, len(m.Topics))
	for _, td := range m.Topics {
		if td.Err != nil {
			continue // a topic being deleted, or one this client may not describe
		}
		out = append(out, topicOf(td))
	}
	slices.SortFunc(out, func(a, b Topic) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// DescribeTopic returns one topic. A topic that does not exist is an error wrapping
// kerr.UnknownTopicOrPartition.
func (c *Client) DescribeTopic(ctx context.Context, name string) (Topic, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	t, _, err := c.describeTopic(ctx, name)
	return t, err
}

// describeTopic asks for one topic's metadata (never creating it: auto-creation is off in the
// request) and returns it with the brokers.
func (c *Client) describeTopic(ctx context.Context, name string) (Topic, kadm.BrokerDetails, error) {
	return describeTopicAt(ctx, c.cl, name)
}

// describeTopicAt is describeTopic as r (the client, or one broker) sees it.
func describeTopicAt(ctx context.Context, r kmsg.Requestor, name string) (Topic, kadm.BrokerDetails, error) {
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(name)
	m, err := metadataFrom(ctx, r, []kmsg.MetadataRequestTopic{rt})
	if err != nil {
		return Topic{}, nil, fmt.Errorf("kafkaops: metadata of topic %s: %w", name, err)
	}
	td, ok := m.Topics[name]
	if !ok {
		return Topic{}, m.Brokers, fmt.Errorf("kafkaops: topic %s: %w", name, kerr.UnknownTopicOrPartition)
	}
	if td.Err != nil {
		return Topic{}, m.Brokers, fmt.Errorf("kafkaops: topic %s: %w", name, td.Err)
	}
	return topicOf(td), m.Brokers, nil
}

// waitTopic polls the topic's metadata until done says the change is visible on every broker, or
// ctx ends. Every broker, not one: a client asks any broker for metadata, and one that has not
// caught up yet answers that a topic just created does not exist (or one just deleted does).
func (c *Client) waitTopic(ctx context.Context, name string, done func(Topic, error) bool) error {
	for {
		ok, err := c.topicDoneEverywhere(ctx, name, done)
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafkaops: waiting for topic %s in the metadata: %w (last: %v)", name, ctx.Err(), err)
		case <-time.After(topicPollInterval):
		}
	}
}

// topicDoneEverywhere says whether done holds for the topic as the cluster's metadata shows it and
// as each broker shows it. A broker that cannot be reached is passed over: it serves no client
// either, and catches up when it is back.
func (c *Client) topicDoneEverywhere(ctx context.Context, name string, done func(Topic, error) bool) (bool, error) {
	t, brokers, err := c.describeTopic(ctx, name)
	if !done(t, err) {
		return false, err
	}
	for _, b := range brokers {
		bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		t, _, err := describeTopicAt(bctx, c.cl.Broker(int(b.NodeID)), name)
		cancel()
		var ke *kerr.Error
		if err != nil && !errors.As(err, &ke) {
			continue // unreachable
		}
		if !done(t, err) {
			return false, fmt.Errorf("broker %d: %w", b.NodeID, err)
		}
	}
	return true, nil
}

// topicReady says whether every partition of t has a leader and t has n partitions.
func topicReady(t Topic, n int) bool {
	if len(t.Partitions) != n {
		return false
	}
	for _, p := range t.Partitions {
		if p.Leader < 0 {
			return false
		}
	}
	return true
}

// NewTopic is a topic to create.
type NewTopic struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16
	Configs           map[string]string // topic configs set on the topic itself
}

// CreateTopic creates a topic and returns once the metadata shows every partition with a leader.
// The cluster's refusal wraps its kerr error (TopicAlreadyExists, InvalidReplicationFactor,
// InvalidPartitions, InvalidTopicException, InvalidConfig, PolicyViolation) with its message.
func (c *Client) CreateTopic(ctx context.Context, t NewTopic) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	configs := make(map[string]*string, len(t.Configs))
	for k, v := range t.Configs {
		configs[k] = &v
	}
	resp, err := c.adm.CreateTopic(ctx, t.Partitions, t.ReplicationFactor, configs, t.Name)
	if err != nil {
		return fmt.Errorf("kafkaops: create topic %s: %w", t.Name, err)
	}
	if resp.Err != nil {
		return fmt.Errorf("kafkaops: create topic %s: %w", t.Name, withMessage(resp.Err, resp.ErrMessage))
	}
	return c.waitTopic(ctx, t.Name, func(got Topic, err error) bool { return err == nil && topicReady(got, int(t.Partitions)) })
}

// DeletedTopic is the outcome of deleting one topic.
type DeletedTopic struct {
	Name string
	Err  error // nil when deleted; wraps kerr.UnknownTopicOrPartition for a topic that did not exist
}

// DeleteTopics deletes topics, each on its own (one DeleteTopics request), and returns one result per
// name in the order given, once the metadata no longer shows the deleted ones. err is for a request
// that failed as a whole.
func (c *Client) DeleteTopics(ctx context.Context, names ...string) ([]DeletedTopic, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if len(names) == 0 {
		return nil, nil
	}
	resps, err := c.adm.DeleteTopics(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: delete topics: %w", err)
	}
	out := make([]DeletedTopic, 0, len(names))
	for _, n := range names {
		d := DeletedTopic{Name: n}
		r, ok := resps[n]
		switch {
		case !ok:
			d.Err = errors.New("no DeleteTopics answer for this topic")
		case r.Err != nil:
			d.Err = withMessage(r.Err, r.ErrMessage)
		}
		out = append(out, d)
	}
	for _, d := range out {
		if d.Err != nil {
			continue
		}
		if err := c.waitTopic(ctx, d.Name, func(_ Topic, err error) bool {
			return errors.Is(err, kerr.UnknownTopicOrPartition)
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// AlterTopicConfigs sets and removes configs of one topic in one IncrementalAlterConfigs request:
// removed configs fall back to the broker's value. The cluster's refusal wraps its kerr error.
func (c *Client) AlterTopicConfigs(ctx context.Context, topic string, set map[string]string, remove []string) error {
	if len(set) == 0 && len(remove) == 0 {
		return nil
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	var alters []kadm.AlterConfig
	for _, k := range slices.Sorted(maps.Keys(set)) {
		v := set[k]
		alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v})
	}
	for _, k := range remove {
		alters = append(alters, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	reqErr, respErr := alterResult(c.adm.AlterTopicConfigs(ctx, alters, topic))
	if reqErr != nil {
		return fmt.Errorf("kafkaops: alter configs of topic %s: %w", topic, reqErr)
	}
	if respErr != nil {
		return fmt.Errorf("kafkaops: alter configs of topic %s: %w", topic, respErr)
	}
	return nil
}

// AddPartitions raises a topic's partition count to total (CreatePartitions). assignment, if not
// empty, gives the replicas of each new partition (len(assignment) == total - current, the first
// replica of each the preferred leader); else the cluster places them. It returns once the metadata
// shows every partition with a leader.
func (c *Client) AddPartitions(ctx context.Context, topic string, total int32, assignment [][]int32) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = int32(c.cfg.requestTimeout / time.Millisecond)
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic = topic
	rt.Count = total
	for _, replicas := range assignment {
		a := kmsg.NewCreatePartitionsRequestTopicAssignment()
		a.Replicas = replicas
		rt.Assignment = append(rt.Assignment, a)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return fmt.Errorf("kafkaops: create partitions of %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			msg := ""
			if t.ErrorMessage != nil {
				msg = *t.ErrorMessage
			}
			return fmt.Errorf("kafkaops: create partitions of %s: %w", topic, withMessage(err, msg))
		}
	}
	return c.waitTopic(ctx, topic, func(got Topic, err error) bool { return err == nil && topicReady(got, int(total)) })
}

// PartitionOffsets are the offsets of one partition, from its leader.
type PartitionOffsets struct {
	Partition int32
	Leader    int32
	Start     int64 // log start offset
	End       int64 // high watermark: the offset the next record gets once replicated
	// MaxTimestamp is the largest record timestamp of the partition (ListOffsets -3, KIP-734) and
	// MaxTimestampOffset that record's offset: the time of the last write for LogAppendTime topics
	// and producers that stamp records with the current time. -1 for an empty partition.
	MaxTimestamp       int64
	MaxTimestampOffset int64
	Err                error // the partition's offsets could not be read (no leader, ...)
}

// TopicOffsets returns the offsets of every partition of a topic, sorted by partition: a fresh
// Metadata request, then ListOffsets to each leader for the log start, the high watermark and the
// max timestamp. A topic that does not exist is an error wrapping kerr.UnknownTopicOrPartition.
func (c *Client) TopicOffsets(ctx context.Context, topic string) ([]PartitionOffsets, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	t, _, err := c.describeTopic(ctx, topic)
	if err != nil {
		return nil, err
	}
	return c.topicOffsets(ctx, t), nil
}

type topicListedOffset struct {
	offset, timestamp int64
	err               error
}

func (c *Client) topicOffsets(ctx context.Context, t Topic) []PartitionOffsets {
	leaders := map[int32][]int32{}
	out := make([]PartitionOffsets, len(t.Partitions))
	for i, p := range t.Partitions {
		out[i] = PartitionOffsets{Partition: p.ID, Leader: p.Leader, Start: -1, End: -1, MaxTimestamp: -1, MaxTimestampOffset: -1}
		if p.Leader < 0 {
			out[i].Err = kerr.LeaderNotAvailable
			continue
		}
		leaders[p.Leader] = append(leaders[p.Leader], p.ID)
	}
	// One request per leader and kind: a ListOffsets request may not name a partition twice.
	kinds := []int64{-2, -1, -3}
	results := make([]map[int32]topicListedOffset, len(kinds))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for k, ts := range kinds {
		results[k] = map[int32]topicListedOffset{}
		for leader, parts := range leaders {
			wg.Go(func() {
				got := c.listTopicOffsets(ctx, leader, t.Name, parts, ts)
				mu.Lock()
				maps.Copy(results[k], got)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	for i := range out {
		if out[i].Err != nil {
			continue
		}
		p := out[i].Partition
		start, end, maxTS := results[0][p], results[1][p], results[2][p]
		if err := errors.Join(start.err, end.err); err != nil {
			out[i].Err = err
			continue
		}
		out[i].Start, out[i].End = start.offset, end.offset
		if maxTS.err == nil && maxTS.offset >= 0 {
			out[i].MaxTimestamp, out[i].MaxTimestampOffset = maxTS.timestamp, maxTS.offset
		}
	}
	return out
}

// listTopicOffsets sends one ListOffsets request for partitions of topic at timestamp to a broker.
func (c *Client) listTopicOffsets(ctx context.Context, broker int32, topic string, partitions []int32, timestamp int64) map[int32]topicListedOffset {
	out := make(map[int32]topicListedOffset, len(partitions))
	fail := func(err error) map[int32]topicListedOffset {
		for _, p := range partitions {
			out[p] = topicListedOffset{offset: -1, timestamp: -1, err: err}
		}
		return out
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = timestamp
		rp.CurrentLeaderEpoch = -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, c.cl.Broker(int(broker)))
	if err != nil {
		return fail(err)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[p.Partition] = topicListedOffset{offset: p.Offset, timestamp: p.Timestamp, err: kerr.ErrorForCode(p.ErrorCode)}
		}
	}
	for _, p := range partitions {
		if _, ok := out[p]; !ok {
			out[p] = topicListedOffset{offset: -1, timestamp: -1, err: fmt.Errorf("broker %d did not answer for partition %d", broker, p)}
		}
	}
	return out
}

// Producer is one producer with state on a partition (DescribeProducers, KIP-664).
type Producer struct {
	Partition  int32
	Broker     int32 // the partition's leader, which answered
	BrokerHost string
	BrokerPort int32
	ProducerID int64
	Epoch      int32
	// LastSequence is the last sequence number written (-1 if none); LastTimestamp the timestamp of the
	// producer's last write (Unix ms); TxnStartOffset the first offset of its open transaction (-1
	// outside a transaction).
	LastSequence   int32
	LastTimestamp  int64
	TxnStartOffset int64
}

// TopicProducers returns the producers with state on the topic's partitions, asking each partition's
// leader (DescribeProducers), sorted by partition then producer id.
//
// What "a producer with state" is differs between the engines: Apache Kafka keeps the state of every
// idempotent producer (every producer of a Kafka 3.0+ client by default) until
// transactional.id.expiration.ms after its last write; kfake reports only transactional producers
// inside an open transaction. Non-idempotent producers are invisible to both: the brokers keep no
// state for them. The protocol carries no client address.
//
// A topic that does not exist is an error wrapping kerr.UnknownTopicOrPartition; a partition whose
// leader does not answer makes the call fail.
func (c *Client) TopicProducers(ctx context.Context, topic string) ([]Producer, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	t, brokers, err := c.describeTopic(ctx, topic)
	if err != nil {
		return nil, err
	}
	leaders := map[int32][]int32{}
	for _, p := range t.Partitions {
		if p.Leader < 0 {
			return nil, fmt.Errorf("kafkaops: partition %d of %s: %w", p.ID, topic, kerr.LeaderNotAvailable)
		}
		leaders[p.Leader] = append(leaders[p.Leader], p.ID)
	}
	hosts := map[int32]kadm.BrokerDetail{}
	for _, b := range brokers {
		hosts[b.NodeID] = b
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  []Producer
		errs []error
	)
	for leader, parts := range leaders {
		wg.Go(func() {
			ps, err := c.describeProducers(ctx, leader, topic, parts)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("broker %d: %w", leader, err))
				return
			}
			for i := range ps {
				ps[i].BrokerHost, ps[i].BrokerPort = hosts[leader].Host, hosts[leader].Port
			}
			out = append(out, ps...)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, fmt.Errorf("kafkaops: describe producers of %s: %w", topic, errors.Join(errs...))
	}
	slices.SortFunc(out, func(a, b Producer) int {
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.ProducerID - b.ProducerID)
	})
	return out, nil
}

func (c *Client) describeProducers(ctx context.Context, broker int32, topic string, partitions []int32) ([]Producer, error) {
	req := kmsg.NewPtrDescribeProducersRequest()
	rt := kmsg.NewDescribeProducersRequestTopic()
	rt.Topic = topic
	rt.Partitions = partitions
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, c.cl.Broker(int(broker)))
	if err != nil {
		return nil, err
	}
	var out []Producer
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				msg := ""
				if p.ErrorMessage != nil {
					msg = *p.ErrorMessage
				}
				return nil, fmt.Errorf("partition %d: %w", p.Partition, withMessage(err, msg))
			}
			for _, ap := range p.ActiveProducers {
				out = append(out, Producer{Partition: p.Partition, Broker: broker, ProducerID: ap.ProducerID, Epoch: ap.ProducerEpoch,
					LastSequence: ap.LastSequence, LastTimestamp: ap.LastTimestamp, TxnStartOffset: ap.CurrentTxnStartOffset})
			}
		}
	}
	return out, nil
}

// ReplicaLog is the log of one partition replica on one broker (DescribeLogDirs).
type ReplicaLog struct {
	Broker    int32
	Topic     string
	Partition int32
	Size      int64 // bytes on disk, summed over the broker's log dirs (a replica being moved counts twice)
	// OffsetLag is how many offsets this replica's log end is behind the partition's high watermark
	// (0 for the leader and in-sync followers; kfake always reports 0).
	OffsetLag int64
}

// ReplicaLogs returns the log of every partition replica of the named topics (all topics, internal
// ones included, when none is named), sorted by broker, topic and partition. A broker's entry is
// kept only when the metadata names that broker a replica of the partition: kfake, which keeps one
// copy of each partition, reports it on every broker, Apache Kafka only on the replicas, so the sum
// of the sizes is what the replicas occupy on either (a topic of replication factor 3 counts three
// times). A broker that does not answer makes the call fail.
func (c *Client) ReplicaLogs(ctx context.Context, topics ...string) ([]ReplicaLog, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	var (
		m   kadm.Metadata
		err error
	)
	if len(topics) == 0 {
		m, err = c.metadata(ctx)
	} else {
		var req []kmsg.MetadataRequestTopic
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req = append(req, rt)
		}
		m, err = c.metadataOf(ctx, req)
	}
	if err != nil {
		return nil, fmt.Errorf("kafkaops: metadata: %w", err)
	}
	var ts []Topic
	for _, td := range m.Topics {
		if td.Err == nil {
			ts = append(ts, topicOf(td))
		}
	}
	return c.replicaLogs(ctx, ts)
}

func (c *Client) replicaLogs(ctx context.Context, topics []Topic) ([]ReplicaLog, error) {
	type tp struct {
		t string
		p int32
	}
	replicas := map[tp][]int32{}
	set := kadm.TopicsSet{}
	for _, t := range topics {
		for _, p := range t.Partitions {
			replicas[tp{t.Name, p.ID}] = p.Replicas
			set.Add(t.Name, p.ID)
		}
	}
	if len(set) == 0 {
		return nil, nil
	}
	dirs, err := c.adm.DescribeAllLogDirs(ctx, set)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: describe log dirs: %w", err)
	}
	type key struct {
		b int32
		tp
	}
	logs := map[key]*ReplicaLog{}
	var dirErrs []error
	for broker, bdirs := range dirs {
		for _, d := range bdirs {
			if d.Err != nil {
				dirErrs = append(dirErrs, fmt.Errorf("broker %d dir %s: %w", broker, d.Dir, d.Err))
				continue
			}
			d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
				k := key{broker, tp{p.Topic, p.Partition}}
				if !slices.Contains(replicas[k.tp], broker) {
					return
				}
				l := logs[k]
				if l == nil {
					l = &ReplicaLog{Broker: broker, Topic: p.Topic, Partition: p.Partition}
					logs[k] = l
				}
				l.Size += p.Size
				if !p.IsFuture {
					l.OffsetLag = p.OffsetLag
				}
			})
		}
	}
	if len(dirErrs) > 0 {
		return nil, fmt.Errorf("kafkaops: describe log dirs: %w", errors.Join(dirErrs...))
	}
	out := make([]ReplicaLog, 0, len(logs))
	for _, l := range logs {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b ReplicaLog) int {
		if a.Broker != b.Broker {
			return int(a.Broker - b.Broker)
		}
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition - b.Partition)
	})
	return out, nil
}

// TopicGroups returns the consumer groups (see ClusterInfo.ConsumerGroups for which groups count)
// that subscribe to the topic, sorted: those with committed offsets on it (OffsetFetch) and those
// whose members are assigned its partitions (DescribeGroups, classic consumer protocol). When some
// coordinator does not answer, the groups found are returned with a non-nil error.
func (c *Client) TopicGroups(ctx context.Context, topic string) ([]string, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	names, listErr := c.consumerGroupNames(ctx)
	if listErr != nil && len(names) == 0 {
		return nil, listErr
	}
	if len(names) == 0 {
		return []string{}, listErr
	}
	subscribed := map[string]bool{}
	var errs []error
	if listErr != nil {
		errs = append(errs, fmt.Errorf("list groups: %w", listErr))
	}
	for g, r := range c.adm.FetchManyOffsets(ctx, names...) {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("offsets of group %s: %w", g, r.Err))
			continue
		}
		if _, ok := r.Fetched[topic]; ok {
			subscribed[g] = true
		}
	}
	described, err := c.adm.DescribeGroups(ctx, names...)
	if err != nil {
		errs = append(errs, fmt.Errorf("describe groups: %w", err))
	}
	for g, d := range described {
		if d.Err != nil {
			continue // a KIP-848 group answers the classic DescribeGroups with an error: its offsets count
		}
		if _, ok := d.AssignedPartitions()[topic]; ok {
			subscribed[g] = true
		}
	}
	out := slices.Sorted(maps.Keys(subscribed))
	if out == nil {
		out = []string{}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("kafkaops: groups of topic %s (partial): %w", topic, errors.Join(errs...))
	}
	return out, nil
}

// TopicDetail is a topic with its offsets, replica logs and subscribed groups (API 5.5.8).
type TopicDetail struct {
	Topic
	Offsets []PartitionOffsets // one per partition, in Topic.Partitions' order
	Logs    []ReplicaLog       // one per replica that reported a log, sorted by broker and partition
	Groups  []string           // consumer groups subscribed to the topic, sorted
	// Incomplete is non-nil when Groups is a lower bound: some coordinator did not answer.
	Incomplete error
}

// DescribeTopicDetail returns a topic's metadata, then at once its offsets (TopicOffsets), its
// replicas' logs (ReplicaLogs) and its consumer groups (TopicGroups). A topic that does not exist is
// an error wrapping kerr.UnknownTopicOrPartition.
func (c *Client) DescribeTopicDetail(ctx context.Context, topic string) (TopicDetail, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	t, _, err := c.describeTopic(ctx, topic)
	if err != nil {
		return TopicDetail{}, err
	}
	d := TopicDetail{Topic: t}
	var logsErr, groupsErr error
	var wg sync.WaitGroup
	wg.Go(func() { d.Offsets = c.topicOffsets(ctx, t) })
	wg.Go(func() { d.Logs, logsErr = c.replicaLogs(ctx, []Topic{t}) })
	wg.Go(func() { d.Groups, groupsErr = c.TopicGroups(ctx, topic) })
	wg.Wait()
	if logsErr != nil {
		return TopicDetail{}, logsErr
	}
	if groupsErr != nil && d.Groups == nil {
		return TopicDetail{}, groupsErr
	}
	d.Incomplete = groupsErr
	return d, nil
}
