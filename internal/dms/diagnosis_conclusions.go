package dms

import (
	"sort"
	"strconv"
	"strings"
)

// The conclusion catalog of backlog diagnosis: the ids a report's cause_ids and advice_ids carry
// (5.11.5 gives only ids and parameters; the texts are the service's). Ids are stable: a stored
// report keeps its ids, and clients (dmsctl) render them with Text. Causes are 1xx for the consumer
// side and 2xx for the server side; advice is 5xx and 6xx likewise.
const (
	CauseNoActiveConsumer     = 101
	CauseNotSubscribed        = 102
	CausePartitionsUnassigned = 103
	CauseFewerConsumers       = 104
	CauseRebalancing          = 105
	CauseSlowerThanProduce    = 106
	CauseCommitStalled        = 107
	CauseSkewedBacklog        = 108

	CauseBrokersOffline     = 201
	CauseNoLeader           = 202
	CauseUnderReplicated    = 203
	CauseNotPreferredLeader = 204

	AdviceStartConsumers     = 501
	AdviceCheckSubscription  = 502
	AdviceAddConsumers       = 503
	AdviceTuneGroupTimeouts  = 504
	AdviceScaleConsumption   = 505
	AdviceCheckStuckConsumer = 506
	AdviceCheckKeys          = 507

	AdviceCheckBrokers       = 601
	AdviceCheckReplicaHosts  = 602
	AdviceCheckLaggingBroker = 603
	AdviceElectLeaders       = 604
)

// DiagnosisConclusions are the texts of the catalog; {NAME} is replaced by the parameter NAME.
var DiagnosisConclusions = map[int]string{
	CauseNoActiveConsumer:     "The consumer group {GROUP} has no active consumer: nothing consumes {TOPIC}.",
	CauseNotSubscribed:        "None of the {MEMBERS} consumers of the group {GROUP} is assigned a partition of {TOPIC}: the topic is not subscribed.",
	CausePartitionsUnassigned: "{COUNT} partitions of {TOPIC} are assigned to no consumer of the group.",
	CauseFewerConsumers:       "The group has {CONSUMERS} consumers of {TOPIC} for {PARTITIONS} partitions: some consumers serve several partitions with backlog.",
	CauseRebalancing:          "The group rebalanced during the {WINDOW} s window (last state {STATE}, {CHANGES} changes of state or membership): consumption pauses at each rebalance.",
	CauseSlowerThanProduce:    "Consumption is slower than production: {PRODUCE_RATE} records/s produced and {CONSUME_RATE} records/s consumed over {WINDOW} s; the backlog grew by {GROWTH} records.",
	CauseCommitStalled:        "The committed offsets did not move in {WINDOW} s although the partitions have backlog: the consumers are stuck or do not commit.",
	CauseSkewedBacklog:        "The backlog is concentrated: {SHARE}% of the {LAG} records of backlog are on {PARTITIONS} of {TOTAL} partitions.",

	CauseBrokersOffline:     "{OFFLINE} of the instance's {EXPECTED} brokers are offline or do not answer.",
	CauseNoLeader:           "{COUNT} partitions of {TOPIC} have no leader: they can be neither produced to nor consumed.",
	CauseUnderReplicated:    "{COUNT} partitions of {TOPIC} have replicas out of sync.",
	CauseNotPreferredLeader: "{COUNT} partitions of {TOPIC} are led by a broker other than their preferred leader: leadership is unbalanced.",

	AdviceStartConsumers:     "Start the consumers of the group, or delete the group if it is no longer used.",
	AdviceCheckSubscription:  "Check the consumers' subscription (topic name or pattern) and their logs.",
	AdviceAddConsumers:       "Add consumers to the group, up to the partition count, or make each consumer faster (max.poll.records, processing time).",
	AdviceTuneGroupTimeouts:  "Check session.timeout.ms, heartbeats and max.poll.interval.ms against the processing time; use static membership (group.instance.id) for rolling restarts.",
	AdviceScaleConsumption:   "Scale consumption out (more consumers, and partitions if all are busy) or make processing faster.",
	AdviceCheckStuckConsumer: "Check the consumers for blocked threads and that they commit offsets (enable.auto.commit or explicit commits).",
	AdviceCheckKeys:          "Check the producers' keys and partitioner: a few hot keys send most records to a few partitions.",

	AdviceCheckBrokers:       "Restart the instance or check the logs of the brokers concerned.",
	AdviceCheckReplicaHosts:  "Check the brokers hosting the partitions' replicas and restart them.",
	AdviceCheckLaggingBroker: "Check the disk and network of the brokers out of sync; they rejoin the ISR once caught up.",
	AdviceElectLeaders:       "Run a preferred leader election, or wait for auto.leader.rebalance.enable to do it.",
}

// Text renders the conclusion with its parameters; an id the catalog does not know is shown as such.
func (c DiagnosisConclusion) Text() string {
	t, ok := DiagnosisConclusions[c.ID]
	if !ok {
		keys := make([]string, 0, len(c.Params))
		for k := range c.Params {
			keys = append(keys, k+"="+c.Params[k])
		}
		sort.Strings(keys)
		return "conclusion " + strconv.Itoa(c.ID) + " " + strings.Join(keys, " ")
	}
	for k, v := range c.Params {
		t = strings.ReplaceAll(t, "{"+k+"}", v)
	}
	return t
}
