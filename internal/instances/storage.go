package instances

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/store"
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
// The share is of the serving brokers (broker_num, ServingBrokers): the brokers a horizontal
// extension recorded and did not finish adding (EXTENDING, EXTENDEDFAILED, or cleared by a
// restart since) hold no share of storage_space.
func (s *Service) BrokerCapacity(in dms.Instance) int64 {
	n := len(ServingBrokers(in))
	if n == 0 {
		return 0
	}
	return int64(in.StorageSpace) * s.BytesPerStorageGB() / int64(n)
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
	return s.RecordCapacityState(ctx, id, st, nil)
}

// ErrCapacityStale is RecordCapacityState's answer when the stored instance is no longer the one
// the watcher judged.
var ErrCapacityStale = errors.New("the instance changed since it was read")

// RecordCapacityState is SetCapacityState written only if still (may be nil) holds for the
// instance as stored, checked under the service lock: a 5.1.5 policy switch or a storage growth is
// either before it (ErrCapacityStale) or after it.
func (s *Service) RecordCapacityState(ctx context.Context, id string, st *dms.CapacityState, still func(dms.Instance) bool) error {
	_, err := s.update(ctx, id, func(in *dms.Instance) error {
		if in.Deleting {
			return errUnchanged
		}
		if still != nil && !still(*in) {
			return ErrCapacityStale
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

// Watched lists the instances whose storage the capacity watcher reads and enforces (internal/
// capacity), of every project, from the store: those whose brokers serve and no task owns
// (Enforceable).
func (s *Service) Watched(ctx context.Context) ([]dms.Instance, error) {
	all, err := s.store.ListInstances(ctx, "")
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, in := range all {
		if Enforceable(in) {
			out = append(out, in)
		}
	}
	return out, nil
}

// Enforceable reports whether the capacity watcher may act on the instance as given: not being
// deleted nor a failed creation, and RUNNING or EXTENDEDFAILED (a failed extension leaves the
// brokers serving, and their disks keep filling). A task that keeps the instance RUNNING (a
// partition reassignment, for hours) does not stop it; one that owns a transitional status
// (creation, restart, upgrade, extension: isTransitional) does, as its brokers come and go.
func Enforceable(in dms.Instance) bool {
	return !in.Deleting && !in.CreateFailed && !isTransitional(in.Status) &&
		(in.Status == dms.StatusRunning || in.Status == dms.StatusExtendFailed)
}

// Current reads the instance from the store (not the cache of show/list), for the capacity
// watcher to act on what is stored right now: a policy switched (5.1.5) or storage grown since it
// listed the instances.
func (s *Service) Current(ctx context.Context, id string) (dms.Instance, error) {
	return s.store.GetInstance(ctx, id)
}

// AutoExpandStorage grows an instance's storage automatically (the SDK's auto-volume-expand; the
// capacity watcher decides). It follows startTask's rule: under the service lock it reads the
// instance as stored, refuses one being deleted, a failed creation, or one whose status a task owns
// (Enforceable: a user's 5.4.1 extension in progress is EXTENDING, so an automatic growth never
// overtakes it, and a 5.4.1 request after it is validated against the grown storage), and decide
// gets that stored instance: it answers the new storage_space in GB, or ok false to leave it
// (under the threshold now, or at the limit).
//
// Unlike startTask, nothing is queued on the task runner and the status does not change: growing
// the storage is a record change (the brokers' disk is the host's), so it is done at once, under the
// lock, and recorded as a finished task (name, params) that 5.9 lists. Queued, it would wait behind
// the instance's running task, and a partition reassignment (5.2.11) keeps an instance busy, and
// RUNNING, for hours while its disks fill: the growth must not wait for it.
func (s *Service) AutoExpandStorage(ctx context.Context, id string, who Actor, name, reason string,
	decide func(in dms.Instance) (newGB int, params any, ok bool)) (dms.Task, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.store.GetInstance(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && in.Deleting) {
		return dms.Task{}, false, dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
	}
	if err != nil {
		return dms.Task{}, false, err
	}
	if !Enforceable(in) {
		return dms.Task{}, false, dms.Errorf(dms.CodeInstanceStatusForbids, "This operation is not allowed due to the instance status %s.", in.Status)
	}
	newGB, params, ok := decide(in)
	if !ok || newGB <= in.StorageSpace {
		return dms.Task{}, false, nil
	}
	p, err := json.Marshal(params)
	if err != nil {
		return dms.Task{}, false, err
	}
	from := in.StorageSpace
	in.StorageSpace, in.UpdatedAt = newGB, s.now().UTC()
	if err := s.store.UpdateInstance(ctx, in); err != nil {
		s.records.drop(id)
		return dms.Task{}, false, err
	}
	s.records.put(in, s.now())
	s.log.Info("instance storage grown", "instance_id", id, "from_gb", from, "to_gb", newGB, "reason", reason)
	t, err := s.runner.Record(context.WithoutCancel(ctx), dms.Task{InstanceID: in.ID, ProjectID: in.ProjectID, Name: name,
		Params: string(p), UserID: who.UserID, UserName: who.UserName}, nil)
	if err != nil {
		// The storage grew; only its entry in 5.9 is missing.
		s.log.Warn("automatic storage expansion not recorded as a task", "instance_id", id, "err", err)
	}
	return t, true, nil
}
