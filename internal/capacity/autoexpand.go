package capacity

import (
	"context"

	"github.com/opendms/opendms/internal/dms"
)

// The bounds of the SDK's AlterAutoVolumeExpandConfig (its model's and Huawei's API docs):
// expand_threshold 20-80 %, expand_increment 10-100 %, max_volume_size a multiple of 100 GB, more
// than the instance's storage and less than brokers x 30000 GB. The instance's product bounds it
// too (StorageLimitGB): no more than its max_storage_per_node on each broker.
const (
	MinExpandThreshold    = 20
	MaxExpandThreshold    = 80
	MinExpandIncrement    = 10
	MaxExpandIncrement    = 100
	MaxVolumePerBrokerGB  = 30000
	VolumeSizeMultipleGB  = 100
	autoExpandTaskName    = "autoExpandVolume"
	autoExpandTaskUser    = "opendms"
	autoExpandLogReason   = "automatic volume expansion"
	autoExpandParamsKeyGB = "new_storage_space"
)

// AutoExpandRequest is UpdateVolumeExpansionConfig's body (the SDK's AlterAutoVolumeExpandConfig):
// auto_volume_expand_enable is required, the others optional.
type AutoExpandRequest struct {
	Enable          *bool `json:"auto_volume_expand_enable"`
	ExpandThreshold *int  `json:"expand_threshold"`
	MaxVolumeSize   *int  `json:"max_volume_size"`
	ExpandIncrement *int  `json:"expand_increment"`
}

// merge applies req over the stored configuration and checks the result against the instance.
// A field not given keeps its stored value; enabling with a field neither given nor stored is
// refused (there is no documented default to fall back to). The bounds are checked whenever a
// field is given, and on every field when the result is enabled.
// limitGB is the most storage the instance may have (StorageLimitGB).
func (req AutoExpandRequest) merge(in dms.Instance, limitGB int) (dms.AutoVolumeExpand, error) {
	if req.Enable == nil {
		return dms.AutoVolumeExpand{}, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: auto_volume_expand_enable is required.")
	}
	var cfg dms.AutoVolumeExpand
	if in.AutoVolumeExpand != nil {
		cfg = *in.AutoVolumeExpand
	}
	cfg.Enable = *req.Enable
	if req.ExpandThreshold != nil {
		if v := *req.ExpandThreshold; v < MinExpandThreshold || v > MaxExpandThreshold {
			return cfg, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: expand_threshold must be from %d to %d (percent), got %d.", MinExpandThreshold, MaxExpandThreshold, v)
		}
		cfg.ThresholdPercent = *req.ExpandThreshold
	}
	if req.ExpandIncrement != nil {
		if v := *req.ExpandIncrement; v < MinExpandIncrement || v > MaxExpandIncrement {
			return cfg, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: expand_increment must be from %d to %d (percent), got %d.", MinExpandIncrement, MaxExpandIncrement, v)
		}
		cfg.IncrementPercent = *req.ExpandIncrement
	}
	if req.MaxVolumeSize != nil {
		if err := checkMaxVolume(*req.MaxVolumeSize, in, limitGB); err != nil {
			return cfg, err
		}
		cfg.MaxVolumeSize = *req.MaxVolumeSize
	}
	if !cfg.Enable {
		return cfg, nil
	}
	if in.BrokerNum < 2 {
		return cfg, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: automatic volume expansion is not available for single-node instances.")
	}
	switch {
	case cfg.ThresholdPercent == 0:
		return cfg, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: expand_threshold is required to enable automatic volume expansion.")
	case cfg.IncrementPercent == 0:
		return cfg, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: expand_increment is required to enable automatic volume expansion.")
	case cfg.MaxVolumeSize == 0:
		return cfg, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: max_volume_size is required to enable automatic volume expansion.")
	}
	if req.MaxVolumeSize == nil && cfg.MaxVolumeSize <= in.StorageSpace {
		// A stored limit the instance has reached since: enabling again needs a higher one.
		return cfg, checkMaxVolume(cfg.MaxVolumeSize, in, limitGB)
	}
	return cfg, nil
}

func checkMaxVolume(v int, in dms.Instance, limitGB int) error {
	if v%VolumeSizeMultipleGB != 0 || v <= in.StorageSpace || v > limitGB {
		return dms.Errorf(dms.CodeDiskSpaceInvalid, "Invalid disk space: max_volume_size must be a multiple of %d GB, more than the instance's storage (%d GB) and at most %d GB (what its product %s allows its %d brokers, and less than brokers x %d), got %d.",
			VolumeSizeMultipleGB, in.StorageSpace, limitGB, in.ProductID, in.BrokerNum, MaxVolumePerBrokerGB, v)
	}
	return nil
}

// StorageLimitGB is the most storage_space an instance of broker_num brokers may grow to: its
// product's max_storage_per_node (the catalog's, what 5.4.1 allows) on each broker, and less than
// brokers x MaxVolumePerBrokerGB (the SDK's bound). maxPerNode is 0 when the product is unknown.
func StorageLimitGB(brokerNum, maxPerNode int) int {
	limit := brokerNum*MaxVolumePerBrokerGB - VolumeSizeMultipleGB
	if maxPerNode > 0 {
		limit = min(limit, brokerNum*maxPerNode)
	}
	return limit
}

// storageLimitGB is StorageLimitGB for the instance's product and broker_num.
func (s *Service) storageLimitGB(in dms.Instance) int {
	var perNode int
	if p, ok := s.instances.Catalog().Product(in.ProductID); ok {
		perNode = p.MaxStoragePerNode
	}
	return StorageLimitGB(in.BrokerNum, perNode)
}

// ExpandTo is the storage_space an automatic expansion grows an instance of storageGB and brokers
// (broker_num) to: by IncrementPercent of itself, rounded up to a multiple of brokers so every
// broker gets whole GB, and never past MaxVolumeSize nor limitGB (StorageLimitGB): at most the
// largest multiple of brokers within both. ok is false when it cannot grow (disabled, or at the
// limit).
func ExpandTo(storageGB, brokers, limitGB int, cfg dms.AutoVolumeExpand) (newGB int, ok bool) {
	if !cfg.Enable || brokers < 1 {
		return storageGB, false
	}
	ceiling := min(cfg.MaxVolumeSize, limitGB)
	ceiling -= ceiling % brokers
	if storageGB >= ceiling {
		return storageGB, false
	}
	inc := (storageGB*cfg.IncrementPercent + 99) / 100
	newGB = storageGB + max(inc, 1)
	if r := newGB % brokers; r != 0 {
		newGB += brokers - r
	}
	return min(newGB, ceiling), true
}

// AutoExpandConfig is ShowVolumeExpandConfig: the instance's configuration (disabled, with no
// values, when never set).
func (s *Service) AutoExpandConfig(ctx context.Context, projectID, id string) (dms.AutoVolumeExpand, error) {
	in, err := s.instances.Get(ctx, projectID, id)
	if err != nil {
		return dms.AutoVolumeExpand{}, err
	}
	if in.AutoVolumeExpand == nil {
		return dms.AutoVolumeExpand{}, nil
	}
	return *in.AutoVolumeExpand, nil
}

// SetAutoExpandConfig is UpdateVolumeExpansionConfig: validated against the instance as stored,
// under its lock.
func (s *Service) SetAutoExpandConfig(ctx context.Context, projectID, id string, req AutoExpandRequest) error {
	if req.Enable == nil {
		_, err := req.merge(dms.Instance{}, 0)
		return err
	}
	var cfg dms.AutoVolumeExpand
	return s.instances.SetAutoVolumeExpand(ctx, projectID, id, func(in dms.Instance) (dms.AutoVolumeExpand, error) {
		var err error
		cfg, err = req.merge(in, s.storageLimitGB(in))
		return cfg, err
	})
}
