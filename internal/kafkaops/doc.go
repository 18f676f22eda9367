// Package kafkaops is everything the control plane speaks to an instance's cluster over the Kafka
// protocol, the same for every engine (embedded kfake and Apache Kafka): readiness, cluster
// metadata, coordinators, broker configs, disk usage; later topics, groups, users and messages.
//
// A Client wraps one franz-go client (kgo, and kadm over it) per instance; the control plane keeps
// it and reuses it. Results are typed and errors are kept per item, in kadm's style (Coordinator.Err,
// BrokerInfo.Err, one *ConfigError per config). Kafka protocol errors stay wrapped: callers test
// them with errors.Is(err, kerr.X), and services turn them into DMS errors in one place, the
// sub-package kafkaerr (this package knows nothing of DMS codes).
//
// Where kfake and Apache Kafka differ (each method's documentation has the detail):
//   - Broker versions: the protocol carries no server version; BrokerInfo.Version is guessed from
//     the ApiVersions key set, exact for a Kafka release, "" for kfake (VersionGuess keeps the raw
//     guess). Registration times are not exposed at all (0).
//   - Controller: Kafka's active controller comes from DescribeQuorum (brokers forward it to the
//     quorum); kfake does not serve it, and its metadata names a fixed broker instead.
//   - Disk usage: kfake reports every partition on every broker; ReplicaLogs keeps a broker's entry
//     only when the metadata names it a replica, which makes both engines report replica bytes.
//   - Configs: kfake accepts any broker config dynamically and reports few of the catalog's, so
//     this package enforces the catalog (ValidateConfigChanges, static configs refused by
//     AlterDynamicConfigs) itself and reports unreported configs at Kafka's default
//     (SourceUnreported). Configs given to kfake at start (kfake.BrokerConfigs) show as
//     dynamic-broker configs.
package kafkaops
