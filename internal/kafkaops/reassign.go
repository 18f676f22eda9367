package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Partition reassignment (5.2.8, 5.2.11): moving replicas with AlterPartitionReassignments, watching
// them with ListPartitionReassignments, electing the preferred leaders after, and the replication
// throttles kafka-reassign-partitions applies around a move.

// Replica throttle configs, as Kafka's kafka-reassign-partitions sets them: the rates are dynamic
// per-broker configs (bytes/s), the replica lists dynamic topic configs ("partition:broker,...").
const (
	LeaderThrottledRate       = "leader.replication.throttled.rate"
	FollowerThrottledRate     = "follower.replication.throttled.rate"
	LeaderThrottledReplicas   = "leader.replication.throttled.replicas"
	FollowerThrottledReplicas = "follower.replication.throttled.replicas"
)

// Reassignment is the target replica list of one partition (the first replica is the preferred
// leader).
type Reassignment struct {
	Topic     string
	Partition int32
	Replicas  []int32
}

// PartitionResult is the outcome of a per-partition request: Err is nil when the cluster accepted
// it.
type PartitionResult struct {
	Topic     string
	Partition int32
	Err       error // the cluster's error with its message (matchable with errors.Is on kerr errors)
}

// AlterPartitionAssignments submits the target replicas of each partition. Resubmitting the
// target of a partition that is moving there already (or is there) is accepted and changes nothing,
// so a task can submit a batch again after a restart. The request's own failure is the error; each
// partition's refusal (unknown topic or partition, an invalid assignment, a broker that does not
// exist) is in its result, sorted by topic and partition.
func (c *Client) AlterPartitionAssignments(ctx context.Context, rs []Reassignment) ([]PartitionResult, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	var req kadm.AlterPartitionAssignmentsReq
	for _, r := range rs {
		req.Assign(r.Topic, r.Partition, slices.Clone(r.Replicas))
	}
	resp, err := c.adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: alter partition reassignments: %w", err)
	}
	var out []PartitionResult
	for _, r := range resp.Sorted() {
		var perr error
		if r.Err != nil {
			perr = withMessage(r.Err, r.ErrMessage)
		}
		out = append(out, PartitionResult{Topic: r.Topic, Partition: r.Partition, Err: perr})
	}
	return out, nil
}

// CancelPartitionAssignments cancels the reassignments in progress of the given partitions (topic ->
// partitions): Kafka puts each back on the replicas it had before and drops the replicas it was
// adding. A partition that is not moving (its move ended meanwhile) is a success; each other
// refusal is in its result, sorted by topic and partition.
func (c *Client) CancelPartitionAssignments(ctx context.Context, parts map[string][]int32) ([]PartitionResult, error) {
	if len(parts) == 0 {
		return nil, nil
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	var req kadm.AlterPartitionAssignmentsReq
	for t, ps := range parts {
		for _, p := range ps {
			req.CancelAssign(t, p)
		}
	}
	resp, err := c.adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: cancel partition reassignments: %w", err)
	}
	var out []PartitionResult
	for _, r := range resp.Sorted() {
		var perr error
		if r.Err != nil && !errors.Is(r.Err, kerr.NoReassignmentInProgress) {
			perr = withMessage(r.Err, r.ErrMessage)
		}
		out = append(out, PartitionResult{Topic: r.Topic, Partition: r.Partition, Err: perr})
	}
	return out, nil
}

// Moving is a partition being reassigned now.
type Moving struct {
	Topic     string
	Partition int32
	Replicas  []int32 // current replicas, the adding ones included
	Adding    []int32
	Removing  []int32
}

// MovingPartitions lists the reassignments in progress among the given partitions (topic ->
// partitions; all partitions of a topic when its list is empty). A partition that is not moving
// is not listed.
func (c *Client) MovingPartitions(ctx context.Context, parts map[string][]int32) ([]Moving, error) {
	if len(parts) == 0 {
		return nil, nil
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	set := kadm.TopicsSet{}
	for t, ps := range parts {
		if len(ps) == 0 {
			td, _, err := c.describeTopic(ctx, t)
			if err != nil {
				return nil, err
			}
			for _, p := range td.Partitions {
				set.Add(t, p.ID)
			}
			continue
		}
		set.Add(t, ps...)
	}
	resp, err := c.adm.ListPartitionReassignments(ctx, set)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: list partition reassignments: %w", err)
	}
	var out []Moving
	for _, r := range resp.Sorted() {
		out = append(out, Moving{Topic: r.Topic, Partition: r.Partition, Replicas: r.Replicas, Adding: r.AddingReplicas, Removing: r.RemovingReplicas})
	}
	return out, nil
}

// Layout is what a reassignment is planned against: the live brokers and the named topics.
type Layout struct {
	Brokers []int32          // the brokers registered now (the metadata's), sorted
	Topics  map[string]Topic // the named topics that exist (all topics when none was named)
}

// Layout returns the live brokers and the named topics (every topic, internal ones included, when
// none is named) in one metadata request. A named topic that does not exist is absent from Topics.
func (c *Client) Layout(ctx context.Context, topics ...string) (Layout, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	var req []kmsg.MetadataRequestTopic
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req = append(req, rt)
	}
	if len(topics) == 0 {
		req = nil // all topics
	}
	m, err := c.metadataOf(ctx, req)
	if err != nil {
		return Layout{}, fmt.Errorf("kafkaops: metadata: %w", err)
	}
	l := Layout{Topics: make(map[string]Topic, len(m.Topics))}
	for _, b := range m.Brokers {
		l.Brokers = append(l.Brokers, b.NodeID)
	}
	for _, td := range m.Topics {
		if td.Err == nil {
			l.Topics[td.Topic] = topicOf(td)
		}
	}
	return l, nil
}

// ElectPreferredLeaders makes the first replica of each partition its leader (ElectLeaders,
// preferred). A partition whose preferred replica leads already is a success (Kafka answers
// ELECTION_NOT_NEEDED); one whose preferred replica is not in sync fails with
// PREFERRED_LEADER_NOT_AVAILABLE in its result.
func (c *Client) ElectPreferredLeaders(ctx context.Context, parts map[string][]int32) ([]PartitionResult, error) {
	if len(parts) == 0 {
		return nil, nil
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	set := kadm.TopicsSet{}
	for t, ps := range parts {
		set.Add(t, ps...)
	}
	rs, err := c.adm.ElectLeaders(ctx, kadm.ElectPreferredReplica, set)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: elect leaders: %w", err)
	}
	var out []PartitionResult
	for _, t := range slices.Sorted(maps.Keys(rs)) {
		for _, p := range slices.Sorted(maps.Keys(rs[t])) {
			r := rs[t][p]
			var perr error
			if r.Err != nil && !errors.Is(r.Err, kerr.ElectionNotNeeded) {
				perr = withMessage(r.Err, r.ErrMessage)
			}
			out = append(out, PartitionResult{Topic: t, Partition: p, Err: perr})
		}
	}
	return out, nil
}

// Throttle is the replication throttle of a reassignment, as kafka-reassign-partitions computes it:
// Rate (bytes/s) as the leader and follower rate of every broker involved (old and new replicas),
// and per moved topic the replicas throttled as leaders (every current replica of a moved partition,
// which may serve the new ones) and as followers (the replicas being added).
type Throttle struct {
	Rate      int64
	Brokers   []int32
	Leaders   map[string][]string // topic -> "partition:broker" entries
	Followers map[string][]string
}

// ThrottleOf computes the throttle of moving each partition from its current replicas to its
// target ones at rate bytes/s.
func ThrottleOf(rate int64, moves []Reassignment, current map[string]map[int32][]int32) Throttle {
	th := Throttle{Rate: rate, Leaders: map[string][]string{}, Followers: map[string][]string{}}
	brokers := map[int32]bool{}
	for _, m := range moves {
		cur := current[m.Topic][m.Partition]
		for _, b := range cur {
			brokers[b] = true
			th.Leaders[m.Topic] = append(th.Leaders[m.Topic], replicaEntry(m.Partition, b))
		}
		for _, b := range m.Replicas {
			brokers[b] = true
			if !slices.Contains(cur, b) {
				th.Followers[m.Topic] = append(th.Followers[m.Topic], replicaEntry(m.Partition, b))
			}
		}
	}
	th.Brokers = slices.Sorted(maps.Keys(brokers))
	for t := range th.Leaders {
		th.Leaders[t] = normalizeEntries(th.Leaders[t])
	}
	for t := range th.Followers {
		th.Followers[t] = normalizeEntries(th.Followers[t])
	}
	return th
}

func replicaEntry(p, b int32) string { return strconv.Itoa(int(p)) + ":" + strconv.Itoa(int(b)) }

// Topics are the topics the throttle names.
func (th Throttle) Topics() []string {
	ts := map[string]bool{}
	for t := range th.Leaders {
		ts[t] = true
	}
	for t := range th.Followers {
		ts[t] = true
	}
	return slices.Sorted(maps.Keys(ts))
}

// ThrottleConfigs are the dynamic throttle configs that were set on brokers and topics before a
// reassignment applied its own: what removing the throttle gives back. An empty value is a config
// that was not set.
type ThrottleConfigs struct {
	BrokerRates map[int32]ThrottlePair  `json:"broker_rates,omitempty"`
	Topics      map[string]ThrottlePair `json:"topics,omitempty"`
}

// ThrottlePair is the leader and follower value of one throttle config pair.
type ThrottlePair struct {
	Leader   string `json:"leader,omitempty"`
	Follower string `json:"follower,omitempty"`
}

// ReadThrottleConfigs returns the dynamic throttle configs of the brokers (per broker, not the
// cluster-wide default) and topics. Defaults and static values are not returned: a throttle is only
// ever a dynamic config. A broker that is not registered now (down: see registered) is left out,
// as ApplyThrottle leaves it out.
func (c *Client) ReadThrottleConfigs(ctx context.Context, brokers []int32, topics []string) (ThrottleConfigs, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	out := ThrottleConfigs{BrokerRates: map[int32]ThrottlePair{}, Topics: map[string]ThrottlePair{}}
	brokers, err := c.registered(ctx, brokers)
	if err != nil {
		return out, err
	}
	for _, b := range brokers {
		cfg, err := c.describeBroker(ctx, b, []string{LeaderThrottledRate, FollowerThrottledRate})
		if err != nil {
			return out, fmt.Errorf("kafkaops: describe configs of broker %d: %w", b, err)
		}
		dyn := func(name string) string {
			if r, ok := cfg[name]; ok && r.source == kmsg.ConfigSourceDynamicBrokerConfig && r.value != nil {
				return *r.value
			}
			return ""
		}
		if p := (ThrottlePair{Leader: dyn(LeaderThrottledRate), Follower: dyn(FollowerThrottledRate)}); p != (ThrottlePair{}) {
			out.BrokerRates[b] = p
		}
	}
	for _, t := range topics {
		p, err := c.topicThrottle(ctx, t)
		if err != nil {
			return out, err
		}
		if p != (ThrottlePair{}) {
			out.Topics[t] = p
		}
	}
	return out, nil
}

// topicThrottle reads the dynamic throttled-replicas configs of one topic.
func (c *Client) topicThrottle(ctx context.Context, topic string) (ThrottlePair, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	rr := kmsg.NewDescribeConfigsRequestResource()
	rr.ResourceType = kmsg.ConfigResourceTypeTopic
	rr.ResourceName = topic
	rr.ConfigNames = []string{LeaderThrottledReplicas, FollowerThrottledReplicas}
	req.Resources = append(req.Resources, rr)
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return ThrottlePair{}, fmt.Errorf("kafkaops: describe configs of topic %s: %w", topic, err)
	}
	if len(resp.Resources) != 1 {
		return ThrottlePair{}, fmt.Errorf("kafkaops: describe configs of topic %s: %d resources answered", topic, len(resp.Resources))
	}
	r := resp.Resources[0]
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		msg := ""
		if r.ErrorMessage != nil {
			msg = *r.ErrorMessage
		}
		return ThrottlePair{}, fmt.Errorf("kafkaops: describe configs of topic %s: %w", topic, withMessage(err, msg))
	}
	var p ThrottlePair
	for _, rc := range r.Configs {
		if rc.Source != kmsg.ConfigSourceDynamicTopicConfig || rc.Value == nil {
			continue
		}
		switch rc.Name {
		case LeaderThrottledReplicas:
			p.Leader = *rc.Value
		case FollowerThrottledReplicas:
			p.Follower = *rc.Value
		}
	}
	return p, nil
}

// ApplyThrottle sets th on the cluster: the rates on every broker of th that is registered now,
// and on each topic the union of its current throttled replicas and th's (a user's own entries
// stay). Applying it again changes nothing. The errors of the resources that failed are joined,
// each naming its resource.
//
// A broker of th that is down (a move off a dead broker) is skipped: a broker's config can only be
// read and set through that broker, and a broker that is down serves no replica, so its rate
// limits nothing. Its entries in the topics' throttled-replicas lists stay, harmless. Should it
// come back during the move it runs without the rate (its replicas unthrottled), as it would with
// kafka-reassign-partitions --execute run while it was down.
func (c *Client) ApplyThrottle(ctx context.Context, th Throttle) error {
	if th.Rate <= 0 {
		return nil
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	rate := strconv.FormatInt(th.Rate, 10)
	brokers, err := c.registered(ctx, th.Brokers)
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range brokers {
		errs = append(errs, c.alterBroker(ctx, b, map[string]string{LeaderThrottledRate: rate, FollowerThrottledRate: rate}, nil))
	}
	for _, t := range th.Topics() {
		cur, err := c.topicThrottle(ctx, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		set := map[string]string{}
		if v := unionEntries(cur.Leader, th.Leaders[t]); v != cur.Leader {
			set[LeaderThrottledReplicas] = v
		}
		if v := unionEntries(cur.Follower, th.Followers[t]); v != cur.Follower {
			set[FollowerThrottledReplicas] = v
		}
		errs = append(errs, c.AlterTopicConfigs(ctx, t, set, nil))
	}
	return errors.Join(errs...)
}

// RemoveThrottle takes th off the cluster and gives back what was there before (prior, read with
// ReadThrottleConfigs before th was applied): a broker rate still at th's value goes back to its
// prior value (removed if it had none; a rate someone changed since is left alone), and each topic
// loses the entries th added that were not there before. Removing it again changes nothing; a topic
// deleted meanwhile is no error. A broker that is not registered now (down) is skipped, as in
// ApplyThrottle: if it had the rate, it keeps it in its dynamic config (Kafka stores it with the
// cluster's metadata) until someone removes it, which throttles nothing once the topics' lists no
// longer name its replicas.
func (c *Client) RemoveThrottle(ctx context.Context, th Throttle, prior ThrottleConfigs) error {
	if th.Rate <= 0 {
		return nil
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	rate := strconv.FormatInt(th.Rate, 10)
	brokers, err := c.registered(ctx, th.Brokers)
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range brokers {
		cfg, err := c.describeBroker(ctx, b, []string{LeaderThrottledRate, FollowerThrottledRate})
		if err != nil {
			errs = append(errs, fmt.Errorf("kafkaops: describe configs of broker %d: %w", b, err))
			continue
		}
		set, remove := map[string]string{}, []string(nil)
		for name, was := range map[string]string{LeaderThrottledRate: prior.BrokerRates[b].Leader, FollowerThrottledRate: prior.BrokerRates[b].Follower} {
			r, ok := cfg[name]
			if !ok || r.source != kmsg.ConfigSourceDynamicBrokerConfig || r.value == nil || *r.value != rate || was == rate {
				continue // not ours (any more)
			}
			if was == "" {
				remove = append(remove, name)
			} else {
				set[name] = was
			}
		}
		slices.Sort(remove)
		errs = append(errs, c.alterBroker(ctx, b, set, remove))
	}
	for _, t := range th.Topics() {
		cur, err := c.topicThrottle(ctx, t)
		if err != nil {
			if errors.Is(err, kerr.UnknownTopicOrPartition) {
				continue
			}
			errs = append(errs, err)
			continue
		}
		set, remove := map[string]string{}, []string(nil)
		for _, x := range []struct {
			name, cur, was string
			ours           []string
		}{
			{LeaderThrottledReplicas, cur.Leader, prior.Topics[t].Leader, th.Leaders[t]},
			{FollowerThrottledReplicas, cur.Follower, prior.Topics[t].Follower, th.Followers[t]},
		} {
			v := subtractEntries(x.cur, x.ours, x.was)
			switch {
			case v == x.cur:
			case v == "":
				remove = append(remove, x.name)
			default:
				set[x.name] = v
			}
		}
		if err := c.AlterTopicConfigs(ctx, t, set, remove); err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// registered keeps the brokers of bs that are registered now: those the metadata lists. A broker
// that died is fenced by the controller and leaves the list within broker.session.timeout.ms; until
// then requests to it fail and are retried by the caller.
func (c *Client) registered(ctx context.Context, bs []int32) ([]int32, error) {
	if len(bs) == 0 {
		return nil, nil
	}
	m, err := c.metadataOf(ctx, []kmsg.MetadataRequestTopic{}) // no topics: the brokers alone
	if err != nil {
		return nil, fmt.Errorf("kafkaops: metadata: %w", err)
	}
	var out []int32
	for _, b := range bs {
		if slices.ContainsFunc(m.Brokers, func(d kadm.BrokerDetail) bool { return d.NodeID == b }) {
			out = append(out, b)
		}
	}
	return out, nil
}

// alterBroker sets and removes dynamic configs of one broker (IncrementalAlterConfigs).
func (c *Client) alterBroker(ctx context.Context, b int32, set map[string]string, remove []string) error {
	if len(set) == 0 && len(remove) == 0 {
		return nil
	}
	var alters []kadm.AlterConfig
	for _, k := range slices.Sorted(maps.Keys(set)) {
		v := set[k]
		alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v})
	}
	for _, k := range remove {
		alters = append(alters, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	reqErr, respErr := alterResult(c.adm.AlterBrokerConfigs(ctx, alters, b))
	if err := errors.Join(reqErr, respErr); err != nil {
		return fmt.Errorf("kafkaops: alter configs of broker %d: %w", b, err)
	}
	return nil
}

// splitEntries parses a throttled-replicas value ("0:1,1:2", or "*" for every replica).
func splitEntries(v string) []string {
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// normalizeEntries sorts entries by partition then broker and drops duplicates.
func normalizeEntries(es []string) []string {
	key := func(e string) (int, int, string) {
		p, b, ok := strings.Cut(e, ":")
		pi, err1 := strconv.Atoi(p)
		bi, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil {
			return -1, -1, e
		}
		return pi, bi, e
	}
	slices.SortFunc(es, func(a, b string) int {
		ap, ab, as := key(a)
		bp, bb, bs := key(b)
		if ap != bp {
			return ap - bp
		}
		if ab != bb {
			return ab - bb
		}
		return strings.Compare(as, bs)
	})
	return slices.Compact(es)
}

// unionEntries is cur with ours added ("*" stays "*": every replica is throttled already).
func unionEntries(cur string, ours []string) string {
	es := splitEntries(cur)
	if slices.Contains(es, "*") || len(ours) == 0 {
		return cur
	}
	return strings.Join(normalizeEntries(append(es, ours...)), ",")
}

// subtractEntries is cur without the entries of ours that were not in was (what was there before
// stays, and so do entries someone else added since).
func subtractEntries(cur string, ours []string, was string) string {
	es := splitEntries(cur)
	if slices.Contains(es, "*") {
		return cur
	}
	before := splitEntries(was)
	out := es[:0:0]
	for _, e := range es {
		if slices.Contains(ours, e) && !slices.Contains(before, e) {
			continue
		}
		out = append(out, e)
	}
	if len(out) == len(es) {
		return cur
	}
	return strings.Join(normalizeEntries(out), ",")
}

// LayoutEverywhere is Layout as each broker sees it (broker id -> its layout): a change (a move
// completed, a leader elected) is the cluster's once every broker shows it, as a client may ask any
// of them. A broker that cannot be reached is left out (it serves no client either); the first
// broker asked must answer.
func (c *Client) LayoutEverywhere(ctx context.Context, topics ...string) (map[int32]Layout, error) {
	first, err := c.Layout(ctx, topics...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	var req []kmsg.MetadataRequestTopic
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req = append(req, rt)
	}
	out := map[int32]Layout{}
	for _, b := range first.Brokers {
		bctx, bcancel := context.WithTimeout(ctx, 5*time.Second)
		m, err := metadataFrom(bctx, c.cl.Broker(int(b)), req)
		bcancel()
		if err != nil {
			var ke *kerr.Error
			if errors.As(err, &ke) {
				return nil, fmt.Errorf("kafkaops: metadata of broker %d: %w", b, err)
			}
			continue // unreachable
		}
		l := Layout{Topics: make(map[string]Topic, len(m.Topics))}
		for _, bd := range m.Brokers {
			l.Brokers = append(l.Brokers, bd.NodeID)
		}
		for _, td := range m.Topics {
			if td.Err == nil {
				l.Topics[td.Topic] = topicOf(td)
			}
		}
		out[b] = l
	}
	if len(out) == 0 {
		out[-1] = first
	}
	return out, nil
}
