package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// waitPollInterval is how often WaitBrokers asks the cluster again.
const waitPollInterval = 200 * time.Millisecond

// WaitBrokers returns once the cluster's metadata lists at least n brokers and every listed broker
// answers a request of its own (ApiVersions): readiness is "every broker registered and reachable".
// It polls until ctx ends and then returns the last error seen, wrapped with ctx's error.
func (c *Client) WaitBrokers(ctx context.Context, n int) error {
	if n <= 0 {
		return fmt.Errorf("kafkaops: WaitBrokers needs a positive broker count, got %d", n)
	}
	t := time.NewTimer(0)
	defer t.Stop()
	lastErr := errors.New("no answer from the cluster yet")
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafkaops: waiting for %d brokers: %w (last: %w)", n, ctx.Err(), lastErr)
		case <-t.C:
		}
		err := c.brokersReady(ctx, n)
		if err == nil {
			return nil
		}
		if ctx.Err() == nil { // an error caused by ctx's end says nothing about the cluster
			lastErr = err
		}
		t.Reset(waitPollInterval)
	}
}

// brokersReady is one attempt of WaitBrokers.
func (c *Client) brokersReady(ctx context.Context, n int) error {
	actx, cancel := context.WithTimeout(ctx, c.cfg.requestTimeout)
	defer cancel()
	m, err := c.brokerMetadata(actx)
	if err != nil {
		return err
	}
	if len(m.Brokers) < n {
		return fmt.Errorf("%d of %d brokers registered (%v)", len(m.Brokers), n, m.Brokers.NodeIDs())
	}
	var bad []error
	for _, h := range c.probeBrokers(actx, m.Brokers) {
		if h.err != nil {
			bad = append(bad, fmt.Errorf("broker %d: %w", h.id, h.err))
		}
	}
	return errors.Join(bad...)
}

// ClusterInfo is the cluster metadata of API 5.2.6.
//
// Counts cover user topics only: internal topics (__consumer_offsets, __transaction_state,
// __share_group_state: those the brokers flag internal) are left out, as the reference's example
// (3 topics, 9 partitions, 27 replicas on 3 brokers) and DMS's console, which count what users
// created, show.
type ClusterInfo struct {
	ClusterID string
	// ControllerID is the active KRaft controller (the metadata quorum's leader, DescribeQuorum) or,
	// where DescribeQuorum is not served (kfake), the controller the metadata names; -1 if unknown.
	// With dedicated controller nodes it is not among Brokers.
	ControllerID int32
	Brokers      []BrokerInfo // sorted by ID

	Topics           int // user topics
	Partitions       int // their partitions
	OnlinePartitions int // partitions with a leader
	Replicas         int // replicas of those partitions
	ISRReplicas      int // in-sync replicas of those partitions
	ConsumerGroups   int // groups of the consumer protocol (classic and KIP-848), Connect/share/streams not counted, and Cluster's also

	// Incomplete is non-nil when a count is a lower bound because some broker did not answer
	// (ListGroups is answered by each coordinator for its own groups). The rest is still valid.
	Incomplete error
}

// BrokerInfo is one broker of ClusterInfo.
type BrokerInfo struct {
	ID           int32
	Host         string
	Port         int32
	Rack         string
	IsController bool
	// Version is the Kafka version guessed from the broker's ApiVersions (the protocol carries no
	// server version): "4.3" for an exact match of a release's API set, "" otherwise (a newer or
	// custom build, or kfake, whose API set matches no release). VersionGuess is the raw guess.
	// The engine knows the version it runs and may fill Version itself.
	Version      string
	VersionGuess string
	// RegisterTime is the broker's registration time in Unix ms. The Kafka protocol does not expose
	// it (it lives in the KRaft BrokerRegistrationRecord): always 0 here; the engine may fill it
	// with its process start time.
	RegisterTime int64
	// Healthy says whether a request to this broker itself (ApiVersions) succeeded within the health
	// timeout; Err says why not.
	Healthy bool
	Err     error
}

type brokerProbe struct {
	id    int32
	guess string
	err   error
}

// probeBrokers sends ApiVersions to every broker at once, each bounded by the health timeout.
func (c *Client) probeBrokers(ctx context.Context, brokers kadm.BrokerDetails) []brokerProbe {
	out := make([]brokerProbe, len(brokers))
	var wg sync.WaitGroup
	for i, b := range brokers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hctx, cancel := context.WithTimeout(ctx, c.cfg.healthTimeout)
			defer cancel()
			out[i].id = b.NodeID
			req := kmsg.NewPtrApiVersionsRequest()
			req.ClientSoftwareName = "opendms"
			req.ClientSoftwareVersion = "1"
			resp, err := req.RequestWith(hctx, c.cl.Broker(int(b.NodeID)))
			if err == nil {
				err = kerr.ErrorForCode(resp.ErrorCode)
			}
			if err != nil {
				out[i].err = err
				return
			}
			out[i].guess = kversion.FromApiVersionsResponse(resp).VersionGuess()
		}()
	}
	wg.Wait()
	return out
}

// exactVersion turns an exact kversion guess ("v4.3", "v0.11.0") into a version ("4.3", "0.11.0");
// any other guess ("at least v4.4", "unknown custom version", "between ...") gives "".
func exactVersion(guess string) string {
	v, ok := strings.CutPrefix(guess, "v")
	if !ok || strings.ContainsAny(v, " ") {
		return ""
	}
	return v
}

// Cluster returns the cluster metadata of API 5.2.6. One metadata request of all topics, then at
// once: ApiVersions to every broker (health, version), ListGroups to every broker (group count)
// and DescribeQuorum (the controller). The groups named in also (known to the caller, maybe not
// yet to Kafka: see Coordinators) are counted too, once each.
func (c *Client) Cluster(ctx context.Context, also ...string) (ClusterInfo, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	m, err := c.metadata(ctx)
	if err != nil {
		return ClusterInfo{}, fmt.Errorf("kafkaops: metadata: %w", err)
	}
	info := ClusterInfo{ClusterID: m.Cluster, ControllerID: m.Controller}
	countPartitions(m, &info)

	var (
		wg        sync.WaitGroup
		probes    []brokerProbe
		groups    kadm.ListedGroups
		groupsErr error
		leader    int32
		leaderErr error
	)
	wg.Add(3)
	go func() { defer wg.Done(); probes = c.probeBrokers(ctx, m.Brokers) }()
	go func() { defer wg.Done(); groups, groupsErr = c.adm.ListGroups(ctx) }()
	go func() { defer wg.Done(); leader, leaderErr = c.quorumLeader(ctx) }()
	wg.Wait()
	if err := ctx.Err(); err != nil { // the probes' failures would only say the call ran out of time
		return ClusterInfo{}, fmt.Errorf("kafkaops: cluster: %w", err)
	}

	if leaderErr == nil {
		info.ControllerID = leader
	}
	counted := make(map[string]bool, len(groups)+len(also))
	for _, g := range groups {
		if isConsumerGroup(g) {
			counted[g.Group] = true
		}
	}
	for _, n := range also {
		counted[n] = true
	}
	info.ConsumerGroups = len(counted)
	if groupsErr != nil {
		info.Incomplete = fmt.Errorf("consumer group count: %w", groupsErr)
	}

	byID := make(map[int32]brokerProbe, len(probes))
	for _, p := range probes {
		byID[p.id] = p
	}
	for _, b := range m.Brokers {
		p := byID[b.NodeID]
		bi := BrokerInfo{
			ID:           b.NodeID,
			Host:         b.Host,
			Port:         b.Port,
			IsController: b.NodeID == info.ControllerID,
			Version:      exactVersion(p.guess),
			VersionGuess: p.guess,
			Healthy:      p.err == nil,
			Err:          p.err,
		}
		if b.Rack != nil {
			bi.Rack = *b.Rack
		}
		info.Brokers = append(info.Brokers, bi)
	}
	slices.SortFunc(info.Brokers, func(a, b BrokerInfo) int { return int(a.ID) - int(b.ID) })
	return info, nil
}

// metadata issues a fresh Metadata request for all topics. kadm's Metadata answers from kgo's
// cache, up to MetadataMinAge (5 s) old: too stale right after a topic is created or deleted, or a
// broker registered.
func (c *Client) metadata(ctx context.Context) (kadm.Metadata, error) {
	return c.metadataOf(ctx, nil)
}

// brokerMetadata is metadata without topics.
func (c *Client) brokerMetadata(ctx context.Context) (kadm.Metadata, error) {
	return c.metadataOf(ctx, []kmsg.MetadataRequestTopic{})
}

// metadataOf issues a Metadata request for topics: nil for all, empty for none.
func (c *Client) metadataOf(ctx context.Context, topics []kmsg.MetadataRequestTopic) (kadm.Metadata, error) {
	return metadataFrom(ctx, c.cl, topics)
}

// metadataFrom issues a Metadata request for topics to r: the client (any broker) or one broker.
func metadataFrom(ctx context.Context, r kmsg.Requestor, topics []kmsg.MetadataRequestTopic) (kadm.Metadata, error) {
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = topics
	resp, err := req.RequestWith(ctx, r)
	if err != nil {
		return kadm.Metadata{}, err
	}
	m := kadm.Metadata{Controller: resp.ControllerID, Topics: make(kadm.TopicDetails, len(resp.Topics))}
	if resp.ClusterID != nil {
		m.Cluster = *resp.ClusterID
	}
	for _, b := range resp.Brokers {
		m.Brokers = append(m.Brokers, kadm.BrokerDetail{NodeID: b.NodeID, Host: b.Host, Port: b.Port, Rack: b.Rack})
	}
	slices.SortFunc(m.Brokers, func(a, b kadm.BrokerDetail) int { return int(a.NodeID) - int(b.NodeID) })
	for _, t := range resp.Topics {
		if t.Topic == nil {
			continue
		}
		td := kadm.TopicDetail{
			Topic:      *t.Topic,
			ID:         t.TopicID,
			IsInternal: t.IsInternal,
			Partitions: make(kadm.PartitionDetails, len(t.Partitions)),
			Err:        kerr.ErrorForCode(t.ErrorCode),
		}
		for _, p := range t.Partitions {
			td.Partitions[p.Partition] = kadm.PartitionDetail{
				Topic:           td.Topic,
				Partition:       p.Partition,
				Leader:          p.Leader,
				LeaderEpoch:     p.LeaderEpoch,
				Replicas:        p.Replicas,
				ISR:             p.ISR,
				OfflineReplicas: p.OfflineReplicas,
				Err:             kerr.ErrorForCode(p.ErrorCode),
			}
		}
		m.Topics[td.Topic] = td
	}
	return m, nil
}

// countPartitions fills the topic/partition/replica counts of info from m (user topics only).
func countPartitions(m kadm.Metadata, info *ClusterInfo) {
	for _, t := range m.Topics {
		if t.IsInternal {
			continue
		}
		info.Topics++
		for _, p := range t.Partitions {
			info.Partitions++
			if p.Leader >= 0 {
				info.OnlinePartitions++
			}
			info.Replicas += len(p.Replicas)
			info.ISRReplicas += len(p.ISR)
		}
	}
}

// isConsumerGroup says whether a listed group is a consumer group in DMS's sense: a classic group
// of the consumer protocol, a group that only stores offsets (empty protocol type) or a KIP-848
// consumer group. Connect workers, share and streams groups are not.
func isConsumerGroup(g kadm.ListedGroup) bool {
	switch g.GroupType {
	case "", "classic", "consumer":
	default:
		return false
	}
	return g.ProtocolType == "" || g.ProtocolType == "consumer"
}

// quorumLeader asks the metadata quorum (__cluster_metadata) for its leader: the active controller.
// Brokers forward DescribeQuorum to the controllers; kfake does not serve it.
func (c *Client) quorumLeader(ctx context.Context) (int32, error) {
	req := kmsg.NewPtrDescribeQuorumRequest()
	t := kmsg.NewDescribeQuorumRequestTopic()
	t.Topic = "__cluster_metadata"
	p := kmsg.NewDescribeQuorumRequestTopicPartition()
	p.Partition = 0
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return -1, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return -1, err
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return -1, err
			}
			if p.LeaderID >= 0 {
				return p.LeaderID, nil
			}
		}
	}
	return -1, errors.New("the metadata quorum has no leader")
}

// Coordinator is the coordinator of one consumer group (API 5.2.7).
type Coordinator struct {
	GroupID string
	ID      int32 // broker id of the coordinator
	Host    string
	Port    int32
	Err     error // non-nil when the coordinator of this group could not be found; ID is then -1
}

// Coordinators returns the coordinator of every consumer group (see ClusterInfo.ConsumerGroups for
// which groups count) and of every group named in also, sorted by group id: ListGroups to every
// broker, then one batched FindCoordinator (KIP-699) for all the groups, never one request per
// group. also names groups the caller knows of that Kafka may not have yet (created through the
// API, no consumer has used them): Kafka places a group by its name, so they have a coordinator too.
//
// When some broker does not answer ListGroups the groups it coordinates are missing: the others are
// returned along with a non-nil error (a *kadm.ShardErrors inside), as kadm does.
func (c *Client) Coordinators(ctx context.Context, also ...string) ([]Coordinator, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	names, listErr := c.consumerGroupNames(ctx)
	if listErr != nil && len(names) == 0 {
		return nil, listErr
	}
	if len(also) > 0 {
		names = append(names, also...)
		slices.Sort(names)
		names = slices.Compact(names)
	}
	found := c.adm.FindGroupCoordinators(ctx, names...)
	out := make([]Coordinator, 0, len(names))
	for _, name := range names {
		co := Coordinator{GroupID: name, ID: -1}
		r, ok := found[name]
		switch {
		case !ok:
			co.Err = errors.New("no FindCoordinator answer for this group")
		case r.Err != nil:
			co.Err = withMessage(r.Err, r.ErrMessage)
		default:
			co.ID, co.Host, co.Port = r.NodeID, r.Host, r.Port
		}
		out = append(out, co)
	}
	return out, listErr
}

// withMessage adds the broker's error message to err, keeping err matchable with errors.Is.
func withMessage(err error, msg string) error {
	if msg == "" {
		return err
	}
	return fmt.Errorf("%w: %s", err, msg)
}

// PartitionCount returns the number of partitions of user topics (internal topics excluded, not
// multiplied by the replication factor): the figure DMS compares with an instance's partition_num
// limit, which bounds the partitions users create (__consumer_offsets' 50 would otherwise eat a
// small flavor's quota before any topic exists).
func (c *Client) PartitionCount(ctx context.Context) (int, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	m, err := c.metadata(ctx)
	if err != nil {
		return 0, fmt.Errorf("kafkaops: metadata: %w", err)
	}
	var info ClusterInfo
	countPartitions(m, &info)
	return info.Partitions, nil
}
