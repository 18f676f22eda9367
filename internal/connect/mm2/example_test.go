package mm2_test

import (
	"fmt"
	"maps"
	"slices"

	"github.com/opendms/opendms/internal/connect/mm2"
)

func printConnectors(cs []mm2.Connector) {
	for _, c := range cs {
		fmt.Println("#", c.Name)
		for _, k := range slices.Sorted(maps.Keys(c.Config)) {
			fmt.Printf("%s=%s\n", k, c.Config[k])
		}
	}
}

// A pull from a SASL_SSL peer "B" into the local instance "A", topics renamed B.<topic>, with consumer
// offsets synced. The secrets are config-provider references to files the worker reads.
func ExampleConnectors_pull() {
	peerJAAS := "${file:/var/lib/dms/connect/t1/peer.properties:sasl.jaas.config}"
	peerProps, _ := mm2.ClientProps(mm2.Security{Protocol: "SASL_SSL", Mechanism: "SCRAM-SHA-512",
		JAASConfig: peerJAAS, TruststorePEM: "/var/lib/dms/connect/t1/peer-ca.pem"})
	cs, err := mm2.Connectors(mm2.Params{
		Name:             "t1",
		Local:            mm2.Cluster{Alias: "A", Bootstrap: "127.0.0.1:19092", Props: map[string]string{"security.protocol": "PLAINTEXT"}},
		Peer:             mm2.Cluster{Alias: "B", Bootstrap: "10.0.0.2:9093", Props: peerProps},
		Direction:        mm2.DirectionPull,
		Topics:           []string{"orders", "pay.v1"},
		RenameTopics:     true,
		ConsumerStrategy: "earliest",
		SyncGroupOffsets: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	printConnectors(cs)
	// Output:
	// # t1-pull-source
	// connector.class=org.apache.kafka.connect.mirror.MirrorSourceConnector
	// emit.offset-syncs.enabled=true
	// header.converter=org.apache.kafka.connect.converters.ByteArrayConverter
	// heartbeats.replication.enabled=false
	// key.converter=org.apache.kafka.connect.converters.ByteArrayConverter
	// offset-syncs.topic.location=target
	// offset-syncs.topic.replication.factor=-1
	// refresh.topics.interval.seconds=10
	// replication.factor=-1
	// replication.policy.class=org.apache.kafka.connect.mirror.DefaultReplicationPolicy
	// source.cluster.alias=B
	// source.cluster.bootstrap.servers=10.0.0.2:9093
	// source.cluster.sasl.jaas.config=${file:/var/lib/dms/connect/t1/peer.properties:sasl.jaas.config}
	// source.cluster.sasl.mechanism=SCRAM-SHA-512
	// source.cluster.security.protocol=SASL_SSL
	// source.cluster.ssl.truststore.location=/var/lib/dms/connect/t1/peer-ca.pem
	// source.cluster.ssl.truststore.type=PEM
	// source.consumer.auto.offset.reset=earliest
	// sync.topic.acls.enabled=false
	// sync.topic.configs.enabled=true
	// target.cluster.alias=A
	// target.cluster.bootstrap.servers=127.0.0.1:19092
	// target.cluster.security.protocol=PLAINTEXT
	// tasks.max=2
	// topics=orders,pay\.v1
	// topics.exclude=__.*,.*\.internal,.*-internal,\..*,heartbeats,.*\.heartbeats
	// value.converter=org.apache.kafka.connect.converters.ByteArrayConverter
	// # t1-pull-checkpoint
	// checkpoints.topic.replication.factor=-1
	// connector.class=org.apache.kafka.connect.mirror.MirrorCheckpointConnector
	// emit.checkpoints.enabled=true
	// emit.checkpoints.interval.seconds=5
	// groups=.*
	// groups.exclude=console-consumer-.*,connect-.*,__.*,dms-connect-.*
	// header.converter=org.apache.kafka.connect.converters.ByteArrayConverter
	// key.converter=org.apache.kafka.connect.converters.ByteArrayConverter
	// offset-syncs.topic.location=target
	// refresh.groups.interval.seconds=10
	// replication.policy.class=org.apache.kafka.connect.mirror.DefaultReplicationPolicy
	// source.cluster.alias=B
	// source.cluster.bootstrap.servers=10.0.0.2:9093
	// source.cluster.sasl.jaas.config=${file:/var/lib/dms/connect/t1/peer.properties:sasl.jaas.config}
	// source.cluster.sasl.mechanism=SCRAM-SHA-512
	// source.cluster.security.protocol=SASL_SSL
	// source.cluster.ssl.truststore.location=/var/lib/dms/connect/t1/peer-ca.pem
	// source.cluster.ssl.truststore.type=PEM
	// sync.group.offsets.enabled=true
	// sync.group.offsets.interval.seconds=5
	// target.cluster.alias=A
	// target.cluster.bootstrap.servers=127.0.0.1:19092
	// target.cluster.security.protocol=PLAINTEXT
	// tasks.max=1
	// topics=orders,pay\.v1
	// topics.exclude=__.*,.*\.internal,.*-internal,\..*,heartbeats,.*\.heartbeats
	// value.converter=org.apache.kafka.connect.converters.ByteArrayConverter
}

// A push from the local instance "A" to a SASL_PLAINTEXT peer "B" with mapped topic names, the provenance
// header and zstd compression: the producer of the worker is pointed at the peer.
func ExampleConnectors_push() {
	peerProps, _ := mm2.ClientProps(mm2.Security{Protocol: "SASL_PLAINTEXT", Mechanism: "PLAIN",
		JAASConfig: "${file:/var/lib/dms/connect/t2/peer.properties:sasl.jaas.config}"})
	mapping, _ := mm2.ParseTopicsMapping("topic-sc-1:topic-sc-3,topic-sc-2:topic-sc-4")
	cs, err := mm2.Connectors(mm2.Params{
		Name:             "t2",
		Local:            mm2.Cluster{Alias: "A", Bootstrap: "127.0.0.1:19092", Props: map[string]string{"security.protocol": "PLAINTEXT"}},
		Peer:             mm2.Cluster{Alias: "B", Bootstrap: "10.0.0.2:9092,10.0.0.3:9092", Props: peerProps},
		Direction:        mm2.DirectionPush,
		TopicsMapping:    mapping,
		TaskNum:          4,
		CompressionType:  "zstd",
		ProvenanceHeader: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	printConnectors(cs)
	// Output:
	// # t2-push-source
	// connector.class=org.apache.kafka.connect.mirror.MirrorSourceConnector
	// emit.offset-syncs.enabled=false
	// header.converter=org.apache.kafka.connect.converters.ByteArrayConverter
	// heartbeats.replication.enabled=false
	// key.converter=org.apache.kafka.connect.converters.ByteArrayConverter
	// opendms.topics.mapping=topic-sc-1:topic-sc-3,topic-sc-2:topic-sc-4
	// predicates=fromTarget
	// predicates.fromTarget.name=dms.origin.B
	// predicates.fromTarget.type=org.apache.kafka.connect.transforms.predicates.HasHeaderKey
	// producer.override.bootstrap.servers=10.0.0.2:9092,10.0.0.3:9092
	// producer.override.compression.type=zstd
	// producer.override.sasl.jaas.config=${file:/var/lib/dms/connect/t2/peer.properties:sasl.jaas.config}
	// producer.override.sasl.mechanism=PLAIN
	// producer.override.security.protocol=SASL_PLAINTEXT
	// refresh.topics.interval.seconds=10
	// replication.factor=-1
	// replication.policy.class=io.opendms.connect.MappingReplicationPolicy
	// source.cluster.alias=A
	// source.cluster.bootstrap.servers=127.0.0.1:19092
	// source.cluster.security.protocol=PLAINTEXT
	// source.consumer.auto.offset.reset=latest
	// sync.topic.acls.enabled=false
	// sync.topic.configs.enabled=true
	// target.cluster.alias=B
	// target.cluster.bootstrap.servers=10.0.0.2:9092,10.0.0.3:9092
	// target.cluster.sasl.jaas.config=${file:/var/lib/dms/connect/t2/peer.properties:sasl.jaas.config}
	// target.cluster.sasl.mechanism=PLAIN
	// target.cluster.security.protocol=SASL_PLAINTEXT
	// tasks.max=4
	// topics=topic-sc-1,topic-sc-2
	// topics.exclude=__.*,.*\.internal,.*-internal,\..*,heartbeats,.*\.heartbeats
	// transforms=dropFromTarget,markOrigin
	// transforms.dropFromTarget.predicate=fromTarget
	// transforms.dropFromTarget.type=org.apache.kafka.connect.transforms.Filter
	// transforms.markOrigin.header=dms.origin.A
	// transforms.markOrigin.type=org.apache.kafka.connect.transforms.InsertHeader
	// transforms.markOrigin.value.literal=null
	// value.converter=org.apache.kafka.connect.converters.ByteArrayConverter
}
