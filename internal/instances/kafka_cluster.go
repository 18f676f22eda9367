package instances

import (
	"context"

	"github.com/opendms/opendms/internal/kafkaops"
)

// KafkaCluster is what 5.2.6 (GET .../management/cluster) and the SDK's ShowKafkaCluster
// (GET .../manage/cluster) answer: the live cluster (brokers and their health, the controller, topic and partition counts) and the versions
// involved: the engine_version the instance was created with and the Kafka build that serves it.
type KafkaCluster struct {
	kafkaops.ClusterInfo
	// EngineVersion is the instance's engine_version (1.1.0, 2.7, 3.x): a DMS product version.
	EngineVersion string
	// KafkaVersion is the Kafka build the instance runs (config kafka_builds maps engine_version to
	// it): what the local engine's brokers run.
	KafkaVersion string
}

// KafkaCluster reads the instance's cluster over the Kafka protocol. Ports are the first client
// listener's (what clients connect to), not the control listener the metadata was read from; a
// broker's registration time is when its current process started, as the engine knows it (the
// Kafka protocol does not carry it).
func (s *Service) KafkaCluster(ctx context.Context, projectID, id string) (KafkaCluster, error) {
	in, c, err := s.ClusterClient(ctx, projectID, id)
	if err != nil {
		return KafkaCluster{}, err
	}
	created, err := s.createdGroups(ctx, in.ID)
	if err != nil {
		return KafkaCluster{}, err
	}
	info, err := c.Cluster(ctx, created...) // groups created through 5.6.4 count as 5.6.2 lists them
	if err != nil {
		return KafkaCluster{}, clusterErr(err)
	}
	since := map[int32]int64{}
	if e, err := s.engineOf(in); err == nil {
		// Without the engine's answer register_time stays 0: the rest is still the live cluster.
		if states, err := e.Status(ctx, in.ID); err == nil {
			for _, st := range states {
				if st.Running && !st.Since.IsZero() {
					since[st.ID] = st.Since.UnixMilli()
				}
			}
		}
	}
	for i := range info.Brokers {
		b := &info.Brokers[i]
		b.Port = ClientPort(in)
		if b.RegisterTime == 0 {
			b.RegisterTime = since[b.ID]
		}
	}
	return KafkaCluster{ClusterInfo: info, EngineVersion: in.EngineVer, KafkaVersion: in.KafkaVersion}, nil
}
