package diagnosis

import (
	"cmp"
	"maps"
	"slices"
	"strconv"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/groups"
)

// The dimensions of a report.
const (
	DimensionConsumer = "consumer"
	DimensionServer   = "server"
)

// The items of a report, by dimension.
const (
	ItemConsumerOnline   = "consumer_online"   // is anyone consuming?
	ItemSubscription     = "subscription"      // are all partitions of the topic assigned?
	ItemConsumerCount    = "consumer_count"    // enough consumers for the partitions with backlog?
	ItemRebalance        = "rebalance"         // did the group rebalance during the window?
	ItemConsumeRate      = "consume_rate"      // does consumption keep up with production?
	ItemCommitProgress   = "commit_progress"   // do committed offsets move where there is backlog?
	ItemBacklogSkew      = "backlog_skew"      // is the backlog concentrated on a few partitions?
	ItemBrokerStatus     = "broker_status"     // are all brokers up?
	ItemPartitionLeader  = "partition_leader"  // has every partition a leader?
	ItemReplicaSync      = "replica_sync"      // are the replicas in sync?
	ItemPreferredLeaders = "preferred_leaders" // is leadership where the assignment wants it?
)

// skewShare is the share of the backlog (percent) that, held by at most half of the partitions,
// makes the backlog skewed; skewMinLag is the backlog below which skew is not worth reporting.
const (
	skewShare  = 80
	skewMinLag = 100
)

// analyze turns an observation into the report's dimensions, and counts the partitions with
// backlog at the end of the window. Every item is there in every report, normal when the check
// found nothing, failed when its data could not be had.
func analyze(o observation) ([]dms.DiagnosisDimension, int) {
	first, last := o.samples[0], o.samples[len(o.samples)-1]
	parts := o.partitionIDs()
	backlog := map[int32]int64{} // partition -> lag at the end, lag > 0 only; unknown without the group
	for _, p := range parts {
		if l, ok := last.lag(p); ok && l > 0 && last.groupErr == nil {
			backlog[p] = l
		}
	}
	backlogged := sortedKeys(backlog)
	window := strconv.Itoa(int(last.at.Sub(first.at).Seconds() + 0.5))
	a := analysis{o: o, first: first, last: last, parts: parts, backlog: backlog, backlogged: backlogged, window: window}

	consumer := dms.DiagnosisDimension{Name: DimensionConsumer}
	for _, f := range []func() dms.DiagnosisItem{a.consumerOnline, a.subscription, a.consumerCount, a.rebalance, a.consumeRate, a.commitProgress, a.backlogSkew} {
		consumer.Items = append(consumer.Items, f())
	}
	server := dms.DiagnosisDimension{Name: DimensionServer}
	for _, f := range []func() dms.DiagnosisItem{a.brokerStatus, a.partitionLeader, a.replicaSync, a.preferredLeaders} {
		server.Items = append(server.Items, f())
	}
	return []dms.DiagnosisDimension{consumer, server}, len(backlogged)
}

type analysis struct {
	o           observation
	first, last sample
	parts       []int32
	backlog     map[int32]int64
	backlogged  []int32
	window      string // seconds
}

// partitionIDs are the topic's partitions: from its metadata, else from what the samples saw.
func (o observation) partitionIDs() []int32 {
	if len(o.partitions) > 0 {
		ids := make([]int32, len(o.partitions))
		for i, p := range o.partitions {
			ids[i] = p.ID
		}
		return ids
	}
	last := o.samples[len(o.samples)-1]
	ids := append(sortedKeys(last.end), last.unreadable...)
	slices.Sort(ids)
	return ids
}

func normal(name string) dms.DiagnosisItem {
	return dms.DiagnosisItem{Name: name, Result: dms.ItemNormal}
}

func failed(name string, partitions []int32) dms.DiagnosisItem {
	return dms.DiagnosisItem{Name: name, Result: dms.ItemFailed, FailedPartitions: partitions}
}

func abnormal(name string, cause, advice int, params map[string]string, partitions, brokers []int32) dms.DiagnosisItem {
	return dms.DiagnosisItem{
		Name: name, Result: dms.ItemAbnormal,
		Causes:     []dms.DiagnosisConclusion{{ID: cause, Params: params}},
		Advice:     []dms.DiagnosisConclusion{{ID: advice, Params: map[string]string{}}},
		Partitions: partitions, Brokers: brokers,
	}
}

// groupFailed is the failed item of a check that needs the group and the offsets.
func (a analysis) groupFailed(name string) (dms.DiagnosisItem, bool) {
	if a.last.groupErr != nil || a.last.offsetsErr != nil {
		return failed(name, a.parts), true
	}
	return dms.DiagnosisItem{}, false
}

// consumerOnline: backlog and nobody in the group to consume it.
func (a analysis) consumerOnline() dms.DiagnosisItem {
	if it, bad := a.groupFailed(ItemConsumerOnline); bad {
		return it
	}
	if len(a.last.members) > 0 || len(a.backlogged) == 0 {
		return normal(ItemConsumerOnline)
	}
	return abnormal(ItemConsumerOnline, dms.CauseNoActiveConsumer, dms.AdviceStartConsumers,
		map[string]string{"GROUP": a.o.group, "TOPIC": a.o.topic}, a.backlogged, nil)
}

// subscription: the group has members, but partitions of the topic are assigned to none of them
// (judged on a stable group: during a rebalance nothing is assigned).
func (a analysis) subscription() dms.DiagnosisItem {
	if a.last.groupErr != nil {
		return failed(ItemSubscription, a.parts)
	}
	if len(a.last.members) == 0 || !a.last.stable() {
		return normal(ItemSubscription)
	}
	var unassigned []int32
	for _, p := range a.parts {
		if _, ok := a.last.assigned[p]; !ok {
			unassigned = append(unassigned, p)
		}
	}
	switch {
	case len(unassigned) == 0:
		return normal(ItemSubscription)
	case len(unassigned) == len(a.parts):
		return abnormal(ItemSubscription, dms.CauseNotSubscribed, dms.AdviceCheckSubscription,
			map[string]string{"GROUP": a.o.group, "TOPIC": a.o.topic, "MEMBERS": strconv.Itoa(len(a.last.members))}, unassigned, nil)
	default:
		return abnormal(ItemSubscription, dms.CausePartitionsUnassigned, dms.AdviceCheckSubscription,
			map[string]string{"TOPIC": a.o.topic, "COUNT": strconv.Itoa(len(unassigned))}, unassigned, nil)
	}
}

// consumerCount: backlog, and consumers of the topic that each serve several partitions of it.
func (a analysis) consumerCount() dms.DiagnosisItem {
	if it, bad := a.groupFailed(ItemConsumerCount); bad {
		return it
	}
	consumers := map[string]bool{}
	for _, m := range a.last.assigned {
		consumers[m] = true
	}
	if len(consumers) == 0 || len(consumers) >= len(a.parts) || len(a.backlogged) == 0 {
		return normal(ItemConsumerCount)
	}
	return abnormal(ItemConsumerCount, dms.CauseFewerConsumers, dms.AdviceAddConsumers,
		map[string]string{"TOPIC": a.o.topic, "CONSUMERS": strconv.Itoa(len(consumers)), "PARTITIONS": strconv.Itoa(len(a.parts))}, a.backlogged, nil)
}

// rebalance: a group with members that was not stable in some sample, or whose membership changed
// between samples.
func (a analysis) rebalance() dms.DiagnosisItem {
	changes, state := 0, ""
	var prev *sample
	for i := range a.o.samples {
		s := &a.o.samples[i]
		if s.groupErr != nil {
			prev = nil
			continue
		}
		if len(s.members) > 0 && !s.stable() {
			changes++
			state = s.state
		} else if prev != nil && len(prev.members) > 0 && len(s.members) > 0 && !slices.Equal(prev.members, s.members) {
			changes++
		}
		prev = s
	}
	if a.last.groupErr != nil && changes == 0 {
		return failed(ItemRebalance, nil)
	}
	if changes == 0 {
		return normal(ItemRebalance)
	}
	return abnormal(ItemRebalance, dms.CauseRebalancing, dms.AdviceTuneGroupTimeouts,
		map[string]string{"STATE": cmp.Or(groups.State(state), groups.State(a.last.state)), "CHANGES": strconv.Itoa(changes), "WINDOW": a.window}, nil, nil)
}

// consumeRate: partitions being consumed (assigned) whose backlog grew because more was produced
// than committed over the window.
func (a analysis) consumeRate() dms.DiagnosisItem {
	if it, bad := a.groupFailed(ItemConsumeRate); bad {
		return it
	}
	if a.first.groupErr != nil || a.first.offsetsErr != nil {
		return failed(ItemConsumeRate, a.parts)
	}
	secs := a.last.at.Sub(a.first.at).Seconds()
	if secs <= 0 {
		return normal(ItemConsumeRate)
	}
	var slow []int32
	var produced, consumed, growth int64
	for _, p := range a.parts {
		if _, ok := a.last.assigned[p]; !ok {
			continue // nobody consumes it: consumer_online or subscription says so
		}
		l0, ok0 := a.first.lag(p)
		l1, ok1 := a.last.lag(p)
		if !ok0 || !ok1 || l1 <= l0 {
			continue
		}
		prod := a.last.end[p] - a.first.end[p]
		cons := committedOr(a.last, p) - committedOr(a.first, p)
		if prod > cons {
			slow = append(slow, p)
			produced += prod
			consumed += max(0, cons)
			growth += l1 - l0
		}
	}
	if len(slow) == 0 {
		return normal(ItemConsumeRate)
	}
	return abnormal(ItemConsumeRate, dms.CauseSlowerThanProduce, dms.AdviceScaleConsumption, map[string]string{
		"PRODUCE_RATE": rate(produced, secs), "CONSUME_RATE": rate(consumed, secs), "WINDOW": a.window, "GROWTH": strconv.FormatInt(growth, 10),
	}, slow, nil)
}

// commitProgress: partitions assigned to a consumer throughout, with backlog from the start, whose
// committed offset did not move at all.
func (a analysis) commitProgress() dms.DiagnosisItem {
	if it, bad := a.groupFailed(ItemCommitProgress); bad {
		return it
	}
	if len(a.o.samples) < 2 || a.first.groupErr != nil || a.first.offsetsErr != nil {
		return failed(ItemCommitProgress, a.parts)
	}
	var stalled []int32
	for _, p := range a.parts {
		m0, ok0 := a.first.assigned[p]
		m1, ok1 := a.last.assigned[p]
		if !ok0 || !ok1 || m0 != m1 {
			continue
		}
		l0, _ := a.first.lag(p)
		if l0 == 0 || a.backlog[p] == 0 {
			continue
		}
		c0, has0 := a.first.committed[p]
		c1, has1 := a.last.committed[p]
		if has0 == has1 && c0 == c1 {
			stalled = append(stalled, p)
		}
	}
	if len(stalled) == 0 {
		return normal(ItemCommitProgress)
	}
	return abnormal(ItemCommitProgress, dms.CauseCommitStalled, dms.AdviceCheckStuckConsumer, map[string]string{"WINDOW": a.window}, stalled, nil)
}

// backlogSkew: at most half of the partitions hold skewShare% of a backlog of at least skewMinLag
// records. The brokers are the leaders of those partitions.
func (a analysis) backlogSkew() dms.DiagnosisItem {
	if it, bad := a.groupFailed(ItemBacklogSkew); bad {
		return it
	}
	var total int64
	for _, l := range a.backlog {
		total += l
	}
	if len(a.parts) < 2 || total < skewMinLag {
		return normal(ItemBacklogSkew)
	}
	byLag := slices.Clone(a.backlogged)
	slices.SortFunc(byLag, func(x, y int32) int { return cmp.Or(cmp.Compare(a.backlog[y], a.backlog[x]), cmp.Compare(x, y)) })
	var sum int64
	k := 0
	for k < len(byLag) && sum*100 < total*skewShare {
		sum += a.backlog[byLag[k]]
		k++
	}
	if k > len(a.parts)/2 {
		return normal(ItemBacklogSkew)
	}
	hot := slices.Clone(byLag[:k])
	slices.Sort(hot)
	return abnormal(ItemBacklogSkew, dms.CauseSkewedBacklog, dms.AdviceCheckKeys, map[string]string{
		"SHARE": strconv.FormatInt(sum*100/total, 10), "LAG": strconv.FormatInt(total, 10),
		"PARTITIONS": strconv.Itoa(k), "TOTAL": strconv.Itoa(len(a.parts)),
	}, hot, a.leadersOf(hot))
}

// brokerStatus: brokers of the instance that are not registered or do not answer.
func (a analysis) brokerStatus() dms.DiagnosisItem {
	if a.o.brokersErr != nil {
		return failed(ItemBrokerStatus, nil)
	}
	var down []int32
	for _, id := range a.o.expected {
		if !a.o.online[id] {
			down = append(down, id)
		}
	}
	if len(down) == 0 {
		return normal(ItemBrokerStatus)
	}
	return abnormal(ItemBrokerStatus, dms.CauseBrokersOffline, dms.AdviceCheckBrokers,
		map[string]string{"OFFLINE": strconv.Itoa(len(down)), "EXPECTED": strconv.Itoa(len(a.o.expected))}, nil, down)
}

// partitionLeader: partitions of the topic without a leader; the brokers are their replicas.
func (a analysis) partitionLeader() dms.DiagnosisItem {
	if a.o.topicErr != nil {
		return failed(ItemPartitionLeader, a.parts)
	}
	var parts []int32
	brokers := map[int32]bool{}
	for _, p := range a.o.partitions {
		if p.Leader < 0 {
			parts = append(parts, p.ID)
			for _, r := range p.Replicas {
				brokers[r] = true
			}
		}
	}
	if len(parts) == 0 {
		return normal(ItemPartitionLeader)
	}
	return abnormal(ItemPartitionLeader, dms.CauseNoLeader, dms.AdviceCheckReplicaHosts,
		map[string]string{"TOPIC": a.o.topic, "COUNT": strconv.Itoa(len(parts))}, parts, sortedKeys(brokers))
}

// replicaSync: partitions with replicas out of the ISR; the brokers are those replicas.
func (a analysis) replicaSync() dms.DiagnosisItem {
	if a.o.topicErr != nil {
		return failed(ItemReplicaSync, a.parts)
	}
	var parts []int32
	brokers := map[int32]bool{}
	for _, p := range a.o.partitions {
		out := false
		for _, r := range p.Replicas {
			if !slices.Contains(p.ISR, r) {
				brokers[r], out = true, true
			}
		}
		if out {
			parts = append(parts, p.ID)
		}
	}
	if len(parts) == 0 {
		return normal(ItemReplicaSync)
	}
	return abnormal(ItemReplicaSync, dms.CauseUnderReplicated, dms.AdviceCheckLaggingBroker,
		map[string]string{"TOPIC": a.o.topic, "COUNT": strconv.Itoa(len(parts))}, parts, sortedKeys(brokers))
}

// preferredLeaders: partitions led by a replica other than the first of their assignment; the
// brokers are the current leaders, which carry the extra load.
func (a analysis) preferredLeaders() dms.DiagnosisItem {
	if a.o.topicErr != nil {
		return failed(ItemPreferredLeaders, a.parts)
	}
	var parts []int32
	brokers := map[int32]bool{}
	for _, p := range a.o.partitions {
		if p.Leader >= 0 && len(p.Replicas) > 0 && p.Leader != p.Replicas[0] {
			parts = append(parts, p.ID)
			brokers[p.Leader] = true
		}
	}
	if len(parts) == 0 {
		return normal(ItemPreferredLeaders)
	}
	return abnormal(ItemPreferredLeaders, dms.CauseNotPreferredLeader, dms.AdviceElectLeaders,
		map[string]string{"TOPIC": a.o.topic, "COUNT": strconv.Itoa(len(parts))}, parts, sortedKeys(brokers))
}

func (a analysis) leadersOf(parts []int32) []int32 {
	brokers := map[int32]bool{}
	for _, p := range a.o.partitions {
		if slices.Contains(parts, p.ID) && p.Leader >= 0 {
			brokers[p.Leader] = true
		}
	}
	return sortedKeys(brokers)
}

// committedOr is the committed offset of p, or its log start when there is none.
func committedOr(s sample, p int32) int64 {
	if c, ok := s.committed[p]; ok {
		return c
	}
	return s.start[p]
}

func rate(n int64, secs float64) string { return strconv.FormatFloat(float64(n)/secs, 'f', 2, 64) }

func sortedKeys[V any](m map[int32]V) []int32 {
	ks := slices.Collect(maps.Keys(m))
	slices.Sort(ks)
	return ks
}
