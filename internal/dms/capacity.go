package dms

import "time"

// The capacity policies of an instance (retention_policy): what happens when a broker's data
// reaches CapacityThresholdPercent of its share of the instance's storage.
const (
	RetentionTimeBase      = "time_base"      // the oldest data of the largest partitions is deleted
	RetentionProduceReject = "produce_reject" // the brokers refuse produce requests until space is freed
)

// CapacityThresholdPercent is the disk usage, in percent of a broker's share of storage_space, at
// which the capacity policy acts (DMS's threshold: 95 %).
const CapacityThresholdPercent = 95

// AutoVolumeExpand is an instance's automatic storage expansion (the SDK's ShowVolumeExpandConfig
// and UpdateVolumeExpansionConfig): when a broker's usage reaches ThresholdPercent of its share,
// storage_space grows by IncrementPercent of itself, up to MaxVolumeSize GB.
type AutoVolumeExpand struct {
	Enable           bool `json:"enable"`
	ThresholdPercent int  `json:"threshold_percent,omitempty"` // 20-80
	MaxVolumeSize    int  `json:"max_volume_size,omitempty"`   // GB, the whole instance
	IncrementPercent int  `json:"increment_percent,omitempty"` // 10-100
}

// CapacityState is what the capacity watcher last did about an instance's policy, for operators
// (show-instance's opendms.capacity): whether produce requests are refused, and why.
type CapacityState struct {
	ProduceRejected bool      `json:"produce_rejected"`
	Reason          string    `json:"reason,omitempty"`
	Since           time.Time `json:"since"`
}
