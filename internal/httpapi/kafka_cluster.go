package httpapi

import (
	"net/http"
	"strconv"
)

// kafkaClusterBroker is one broker of ShowKafkaCluster: the SDK model's fields (health, host,
// port, broker_id) first, then those of 5.2.6's broker and the Kafka build, which SDKs ignore.
type kafkaClusterBroker struct {
	Health       bool   `json:"health"`
	Host         string `json:"host"`
	Port         int32  `json:"port"`
	BrokerID     string `json:"broker_id"`
	IsController bool   `json:"is_controller"`
	IsHealth     bool   `json:"is_health"`
	// Version is the engine_version (the values the SDK documents: 1.1.0, 2.7, 3.x);
	// KafkaVersion the Kafka build that serves it.
	Version      string `json:"version"`
	KafkaVersion string `json:"kafka_version"`
	RegisterTime int64  `json:"register_time"`
}

type kafkaClusterView struct {
	Brokers               []kafkaClusterBroker `json:"brokers"`
	Controller            string               `json:"controller"`
	TopicsCount           int                  `json:"topics_count"`
	PartitionsCount       int                  `json:"partitions_count"`
	OnlinePartitionsCount int                  `json:"online_partitions_count"`
	ReplicasCount         int                  `json:"replicas_count"`
	ISRReplicasCount      int                  `json:"isr_replicas_count"`
	ConsumersCount        int                  `json:"consumers_count"`
	EngineVersion         string               `json:"engine_version"`
	KafkaVersion          string               `json:"kafka_version"`
}

// showKafkaCluster is the SDK's ShowKafkaCluster (GET .../manage/cluster), read by the huaweicloud
// Terraform provider: {"cluster": {...}} from the live cluster.
func (s *Server) showKafkaCluster(w http.ResponseWriter, r *http.Request) {
	kc, err := s.instances.KafkaCluster(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	v := kafkaClusterView{Brokers: make([]kafkaClusterBroker, 0, len(kc.Brokers)), Controller: strconv.Itoa(int(kc.ControllerID)),
		TopicsCount: kc.Topics, PartitionsCount: kc.Partitions, OnlinePartitionsCount: kc.OnlinePartitions,
		ReplicasCount: kc.Replicas, ISRReplicasCount: kc.ISRReplicas, ConsumersCount: kc.ConsumerGroups,
		EngineVersion: kc.EngineVersion, KafkaVersion: kc.KafkaVersion}
	for _, b := range kc.Brokers {
		v.Brokers = append(v.Brokers, kafkaClusterBroker{Health: b.Healthy, Host: b.Host, Port: b.Port, BrokerID: strconv.Itoa(int(b.ID)),
			IsController: b.IsController, IsHealth: b.Healthy, Version: kc.EngineVersion, KafkaVersion: kc.KafkaVersion,
			RegisterTime: b.RegisterTime})
	}
	writeJSON(w, http.StatusOK, map[string]any{"cluster": v})
}
