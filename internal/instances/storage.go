package instances

import (
	"context"
	"errors"
	"fmt"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
)

// Storage of an instance: storage_space in bytes (a testing knob makes a "GB" smaller), its growth,
// the last measured usage, and the engine's part of the capacity policies (internal/capacity).

// DefaultBytesPerStorageGB is how many bytes one GB of storage_space is: 1 GiB.
const DefaultBytesPerStorageGB = int64(1) << 30

// BytesPerStorageGB is how many bytes one GB of storage_space is (Config.BytesPerStorageGB).
func (s *Service) BytesPerStorageGB() int64 {
	if s.cfg.BytesPerStorageGB > 0 {
		return s.cfg.BytesPerStorageGB
	}
	return DefaultBytesPerStorageGB
}

// BrokerCapacity is one broker's share of the instance's storage_space, in bytes: the disk DMS
// gives it (OpenDMS's brokers share the host's disk, whose size says nothing about the instance).
func (s *Service) BrokerCapacity(in dms.Instance) int64 {
	if len(in.Brokers) == 0 {
		return 0
	}
	return int64(in.StorageSpace) * s.BytesPerStorageGB() / int64(len(in.Brokers))
}

// RecordUsage keeps the instance's bytes on disk as measured (shown as used_storage_space).
func (s *Service) RecordUsage(id string, bytes int64) { s.usage.Store(id, bytes) }

// UsedStorageGB is the instance's last measured usage in storage GB, rounded up (0 before the first
// measurement).
func (s *Service) UsedStorageGB(id string) int {
	per := s.BytesPerStorageGB()
	return int((s.UsedBytes(id) + per - 1) / per)
}

// GrowStorage sets the instance's storage_space to newGB, which must be more than it is; reason is
// logged (what grew it: auto-expansion, an extend request). The new capacity is what disk usage
// (5.2.10), the capacity policy and show/list use from then on: the brokers' disk is the host's, so
// nothing changes on them. An instance being deleted, or already at newGB or more, is left alone
// (a task resumed after a restart may ask again).
func (s *Service) GrowStorage(ctx context.Context, id string, newGB int, reason string) (dms.Instance, error) {
	var from int
	in, err := s.update(ctx, id, func(in *dms.Instance) error {
		if in.Deleting {
			return dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
		}
		from = in.StorageSpace
		if newGB <= in.StorageSpace {
			return errUnchanged
		}
		in.StorageSpace = newGB
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return in, nil
	}
	if err != nil {
		return in, err
	}
	s.log.Info("instance storage grown", "instance_id", id, "from_gb", from, "to_gb", newGB, "reason", reason)
	return in, nil
}

var errUnchanged = errors.New("unchanged")

// SetAutoVolumeExpand stores the instance's automatic storage expansion that build makes from (and
// checks against) the instance as stored, under the service lock: a concurrent growth cannot slip
// between the check and the write.
func (s *Service) SetAutoVolumeExpand(ctx context.Context, projectID, id string, build func(dms.Instance) (dms.AutoVolumeExpand, error)) error {
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return err
	}
	_, err := s.update(ctx, id, func(in *dms.Instance) error {
		if in.Deleting {
			return dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
		}
		cfg, err := build(*in)
		if err != nil {
			return err
		}
		in.AutoVolumeExpand = &cfg
		return nil
	})
	return err
}

// SetCapacityState stores the capacity watcher's state of an instance (nil clears it). Nothing is
// written when it did not change.
func (s *Service) SetCapacityState(ctx context.Context, id string, st *dms.CapacityState) error {
	_, err := s.update(ctx, id, func(in *dms.Instance) error {
		if in.Deleting {
			return errUnchanged
		}
		old := in.Capacity
		if (old == nil && st == nil) || (old != nil && st != nil && old.ProduceRejected == st.ProduceRejected && old.Reason == st.Reason) {
			return errUnchanged
		}
		in.Capacity = st
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// ErrNoEngineSupport is wrapped by the errors of engine operations the instance's engine lacks.
var ErrNoEngineSupport = errors.New("the instance's engine cannot do this")

// SetProduceReject makes the instance's brokers refuse (or accept again) produce requests
// (engine.ProduceGate). An engine without a produce gate answers ErrNoEngineSupport; brokers that
// need a restart first, engine.ErrRestartNeeded.
func (s *Service) SetProduceReject(ctx context.Context, in dms.Instance, reject bool, reason string) error {
	e, err := s.engineOf(in)
	if err != nil {
		return err
	}
	g, ok := e.(engine.ProduceGate)
	if !ok || !e.Capabilities().ProduceReject {
		return fmt.Errorf("refusing produce requests on engine %s: %w", e.Name(), ErrNoEngineSupport)
	}
	return g.SetProduceReject(ctx, s.spec(in), reject, reason)
}

// Segments lists a partition replica's log segments on one broker, oldest first
// (engine.SegmentLister); an engine that cannot answers ErrNoEngineSupport.
func (s *Service) Segments(ctx context.Context, in dms.Instance, broker int32, topic string, partition int32) ([]engine.Segment, error) {
	e, err := s.engineOf(in)
	if err != nil {
		return nil, err
	}
	l, ok := e.(engine.SegmentLister)
	if !ok || !e.Capabilities().LogSegments {
		return nil, fmt.Errorf("listing segments on engine %s: %w", e.Name(), ErrNoEngineSupport)
	}
	return l.Segments(ctx, s.spec(in), broker, topic, partition)
}

// Running lists the instances whose clusters should be serving (RUNNING, not being deleted), of every
// project, from the store.
func (s *Service) Running(ctx context.Context) ([]dms.Instance, error) {
	all, err := s.store.ListInstances(ctx, "")
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, in := range all {
		if in.Status == dms.StatusRunning && !in.Deleting && !in.CreateFailed {
			out = append(out, in)
		}
	}
	return out, nil
}
