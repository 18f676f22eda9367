package capacity

import (
	"context"

	"github.com/opendms/opendms/internal/dms"
)

// The bounds of the SDK's AlterAutoVolumeExpandConfig (its model's and Huawei's API docs):
// expand_threshold 20-80 %, expand_increment 10-100 %, max_volume_size a multiple of 100 GB, more
// than the instance's storage and less than brokers x 30000 GB.
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
func (req AutoExpandRequest) merge(in dms.Instance) (dms.AutoVolumeExpand, error) {
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
		if err := checkMaxVolume(*req.MaxVolumeSize, in); err != nil {
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
		return cfg, checkMaxVolume(cfg.MaxVolumeSize, in)
	}
	return cfg, nil
}

func checkMaxVolume(v int, in dms.Instance) error {
	limit := in.BrokerNum * MaxVolumePerBrokerGB
	if v%VolumeSizeMultipleGB != 0 || v <= in.StorageSpace || v >= limit {
		return dms.Errorf(dms.CodeDiskSpaceInvalid, "Invalid disk space: max_volume_size must be a multiple of %d GB, more than the instance's storage (%d GB) and less than %d GB (brokers x %d), got %d.",
			VolumeSizeMultipleGB, in.StorageSpace, limit, MaxVolumePerBrokerGB, v)
	}
	return nil
}

// ExpandTo is the storage_space an automatic expansion grows an instance of storageGB and brokers
// to: by IncrementPercent of itself, rounded up so every broker gets whole GB, and never past
// MaxVolumeSize. ok is false when it cannot grow (disabled, or at the limit).
func ExpandTo(storageGB, brokers int, cfg dms.AutoVolumeExpand) (newGB int, ok bool) {
	if !cfg.Enable || brokers < 1 || storageGB >= cfg.MaxVolumeSize {
		return storageGB, false
	}
	inc := (storageGB*cfg.IncrementPercent + 99) / 100
	newGB = storageGB + max(inc, 1)
	if r := newGB % brokers; r != 0 {
		newGB += brokers - r
	}
	return min(newGB, cfg.MaxVolumeSize), true
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
		_, err := req.merge(dms.Instance{})
		return err
	}
	var cfg dms.AutoVolumeExpand
	return s.instances.SetAutoVolumeExpand(ctx, projectID, id, func(in dms.Instance) (dms.AutoVolumeExpand, error) {
		var err error
		cfg, err = req.merge(in)
		return cfg, err
	})
}
