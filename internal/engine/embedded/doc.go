// Package embedded is the engine that runs each instance's cluster in-process, as a franz-go kfake
// cluster (github.com/twmb/franz-go/pkg/kfake) inside dmsd.
//
// One kfake.Cluster per instance, one simulated broker per spec.Brokers entry: broker i binds
// spec.Brokers[i].Host:9092 and advertises exactly that address. State is persisted under
// <spec.DataDir>/kfake (kfake's DataDir option) and reloaded by the next Ensure, also after a dmsd
// restart. The engine's own bookkeeping is <spec.DataDir>/embedded.json.
//
// # What an embedded cluster is not
//
// All brokers share one in-process state and one event loop: there is one copy of each partition
// (replication factor and ISR are cosmetic), reassignment is accepted and ignored, quotas are stored
// and not enforced, there is one listener per broker (PLAINTEXT only here), PLAIN users cannot be
// added at runtime, and brokers are not processes. Capabilities says so.
//
// # Lifecycle
//
//   - A kfake cluster cannot restart one broker: RestartBroker closes the whole cluster (kfake
//     writes its full state on Close) and reopens it on the same DataDir with the new spec. Every
//     client connection of the instance is dropped once.
//   - Options fixed at kfake.NewCluster (auto topic creation, broker count and hosts, the static
//     broker configs) need such a reopen; Ensure does it when the spec differs from the one the
//     running cluster was opened with.
//   - Partition leaders are drawn at random when a partition is created and again on every reopen.
//     The controller is always the last broker.
//   - A kfake panic would take dmsd down with it: it runs on dmsd's goroutines.
//
// # Notes for internal/kafkaops and the control plane (kfake behaviours)
//
//   - DescribeLogDirs: every broker reports every partition (kfake keeps one copy and answers for
//     all of them), under the fake dir "/mem/kfake" with 32 GiB usable. Sum sizes per partition
//     once, not per broker.
//   - DescribeProducers lists only producers inside an open transaction.
//   - Persisted state wins over options on reload: the cluster id comes from meta.json (the spec's
//     ClusterID only counts on the first open), SCRAM users (and PLAIN users, if any were saved)
//     come from sasl.json and replace whatever the options say, seed topics and seed ACLs are
//     skipped. Superuser names still come from options only.
//   - Broker configs have one layer in kfake: the static configs of the spec (and this engine's
//     defaults) are applied over the persisted dynamic ones on every open, so a dynamic override
//     (IncrementalAlterConfigs) of a key that the spec also sets statically is lost at the next
//     reopen. Keys removed from the spec are reset to kfake's default on the next reopen (this
//     engine remembers which keys it set in embedded.json).
//   - kfake's own retention/compaction ticker (period log.cleaner.backoff.ms, 5 s here) only runs
//     once some topic has a topic-level retention.* or cleanup.policy=compact config, and is not
//     restarted when a cluster is reloaded from disk. The engine therefore applies retention and
//     compaction to every topic itself every Options.RetentionInterval.
//   - Auto-created topics and CreateTopics with -1 partitions get 3 partitions (DMS's default), or
//     num.partitions from the spec's BrokerConfigs.
//   - The produce gate (engine.ProduceGate, capacity.go) is a kfake control function on Produce:
//     while closed, every partition answers TOPIC_AUTHORIZATION_FAILED with the reason as message.
//     kfake keeps segment files of its own but the engine does not list them (no LogSegments):
//     kfake frees each batch as soon as DeleteRecords passes it, so trims need no boundaries.
package embedded
