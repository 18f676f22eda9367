// Package capacity enforces an instance's storage: its capacity policy (retention_policy) when a
// broker's data reaches 95 % of its share of storage_space, and the automatic volume expansion of
// the SDK's auto-volume-expand APIs. One watcher goroutine reads, every Config.Interval, the
// replica sizes (DescribeLogDirs) of each instance whose brokers serve (RUNNING, also while a task
// that keeps it RUNNING runs, such as a reassignment, or EXTENDEDFAILED; not while a task owns a
// transitional status), records the usage (used_storage_space), grows the storage when
// auto-expansion says so, and applies the policy. A broker's share is storage_space over broker_num
// (the serving brokers; those a failed horizontal extension recorded have none). What it acts on is
// the instance read from the store after the readings (and again before deleting records), not the
// copy the pass listed:
//
//   - time_base: on each broker at or over the threshold, the oldest data of the largest partitions
//     goes (PlanTrim) with DeleteRecords up to a segment boundary, until the broker is under the
//     threshold. Kafka frees disk only by deleting whole segments, and only those wholly below the
//     log start; the protocol does not carry segment boundaries, so the engine lists them
//     (engine.SegmentLister: the local engine reads the partition's log dir, whose .log files are
//     named by base offset). The active segment is never deleted, so the newest data stays; segments
//     already below the log start count as pending (Kafka's retention check removes them, every
//     10 s on the local engine) and are not trimmed twice. Internal topics (names starting with
//     "__") are never trimmed, nor are compacted-only topics (Kafka refuses DeleteRecords on them:
//     the plan is made again without them). The embedded engine (kfake) has no segments and frees batches as soon
//     as the log start passes them: there the trim is estimated from offsets and sizes, and the next
//     reading corrects it.
//   - produce_reject: while a broker is at or over the threshold, the brokers refuse produce
//     requests (engine.ProduceGate), and accept them again once every broker is under it (a topic
//     or records deleted, the storage extended, the policy changed). Clients get
//     TOPIC_AUTHORIZATION_FAILED, a non-retriable error (Java: TopicAuthorizationException), not a
//     silent throttle. On the local engine every broker runs Kafka's StandardAuthorizer extended
//     with a gate (kafka/plainauth: ProduceGateAuthorizer) that denies WRITE on every topic, to
//     super users too, while a file in the instance's directory exists; everything else is the
//     StandardAuthorizer's decision as before (PLAINTEXT-only instances get it with ANONYMOUS as a
//     super user and allow.everyone.if.no.acl.found, so nothing else changes for them). Brokers
//     started by an older OpenDMS (without the gate) refuse nothing until restarted; the instance's
//     opendms.capacity says so. On the embedded engine a kfake control function answers produce
//     requests with the same error and the reason as its message.
//
// Alternatives considered for produce_reject and not taken: a DENY WRITE ACL for User:* on all
// topics (super users bypass ACLs, and PLAINTEXT clients are the super user ANONYMOUS; worse, any
// ACL on a topic turns allow.everyone.if.no.acl.found off for it, so PLAINTEXT-only instances
// would lose reads too), a producer_byte_rate quota of 0 (a silent throttle: clients time out
// without an error), max.message.bytes of 0 or min.insync.replicas above the replicas (misleading
// errors, and the latter stops only acks=all).
//
// What the watcher did goes to the log at Info (instance, broker, bytes freed, produce refused or
// accepted again, storage grown) and onto the instance: dms.Instance.Capacity, shown as
// opendms.capacity by show/list, says why produce requests fail; an automatic expansion is
// recorded as a finished autoExpandVolume task in 5.9 (done at once under the instances lock:
// instances.AutoExpandStorage says why it is not queued).
package capacity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/tasks"
)

// DefaultInterval is how often the watcher reads every running instance.
const DefaultInterval = 30 * time.Second

// Config tunes the watcher.
type Config struct {
	// Interval between readings of each instance (default DefaultInterval).
	Interval time.Duration
}

// Service is the capacity watcher and the auto-volume-expand configuration.
type Service struct {
	cfg       Config
	instances *instances.Service
	runner    *tasks.Runner
	log       *slog.Logger
	now       func() time.Time

	stop chan struct{}
	// ctx is the watcher's: cancelled by Close, so that a pass in progress (a cluster that does not
	// answer holds it up to its deadline) ends at once and Close does not wait for it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New makes the service; runner records its automatic expansions as finished tasks.
func New(cfg Config, in *instances.Service, runner *tasks.Runner, log *slog.Logger) *Service {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	s := &Service{cfg: cfg, instances: in, runner: runner, log: log.With("component", "capacity"), now: time.Now, stop: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Start starts the watcher.
func (s *Service) Start() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.CheckAll(s.ctx)
			}
		}
	}()
}

// Close stops the watcher.
func (s *Service) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.cancel()
	s.wg.Wait()
}

// CheckAll reads and enforces every instance whose brokers serve (instances.Watched: RUNNING or
// EXTENDEDFAILED, also while a task that keeps it RUNNING runs, such as a reassignment) once, a
// few at a time, each with its own deadline (one cluster that does not answer must not hold the
// others up).
func (s *Service) CheckAll(ctx context.Context) {
	all, err := s.instances.Watched(ctx)
	if err != nil {
		s.log.Warn("capacity: list instances", "err", err)
		return
	}
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, in := range all {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cctx, cancel := context.WithTimeout(ctx, max(s.cfg.Interval, 30*time.Second))
			defer cancel()
			if err := s.Check(cctx, in); err != nil {
				s.log.Warn("capacity check failed", "instance_id", in.ID, "err", err)
			}
		}()
	}
	wg.Wait()
}

// Check reads one instance and enforces its storage. listed is the instance as CheckAll listed it,
// which may be stale by now (the pass waited for other clusters, and for this one's readings): what
// is enforced is decided on the instance read from the store after the readings, and read again
// right before records are deleted, so a policy switched (5.1.5) or storage grown meanwhile is
// what counts.
func (s *Service) Check(ctx context.Context, listed dms.Instance) error {
	c, err := s.instances.Client(listed)
	if err != nil {
		return err
	}
	logs, err := c.ReplicaLogs(ctx)
	if err != nil {
		return err
	}
	var total int64
	for _, l := range logs {
		total += l.Size
	}
	s.instances.RecordUsage(listed.ID, total)
	in, err := s.instances.Current(ctx, listed.ID)
	if err != nil {
		return err
	}
	if !instances.Enforceable(in) {
		return nil // deleted, or a task owns it now (restart, extension, ...)
	}
	brokers := usage(in, logs, s.instances.BrokerCapacity(in))

	if s.autoExpand(ctx, in, brokers) {
		return nil // the policy is judged at the next reading, against the grown capacity
	}
	var over []Broker
	for _, b := range brokers {
		if Over(b.Used, b.Capacity, dms.CapacityThresholdPercent) {
			over = append(over, b)
		}
	}
	if in.RetentionPolicy == dms.RetentionProduceReject && len(over) > 0 {
		return s.reject(ctx, in, over)
	}
	// Nothing calls for the gate closed: it opens, at every pass (idempotent, and cheap: a
	// flag on the embedded engine, a file removed on the local one). Opening it only when the
	// instance's state says it was closed would leave it closed for good after a pass that closed
	// it and could not record so.
	if err := s.instances.SetProduceReject(ctx, in, false, ""); err != nil && !errors.Is(err, instances.ErrNoEngineSupport) {
		return err
	}
	if in.Capacity != nil && in.Capacity.ProduceRejected {
		s.log.Info("capacity: produce requests accepted again", "instance_id", in.ID, "policy", in.RetentionPolicy)
	}
	if len(over) == 0 || in.RetentionPolicy != dms.RetentionTimeBase {
		return s.instances.SetCapacityState(context.WithoutCancel(ctx), in.ID, nil)
	}
	return s.trim(ctx, in, c, brokers)
}

// changed reports whether the instance as stored now differs from in in what the watcher's
// decision rests on (so the decision is left to the next pass): it may no longer be enforced, its
// policy or its storage (capacity) changed.
func changed(in, cur dms.Instance) bool {
	return !instances.Enforceable(cur) || cur.RetentionPolicy != in.RetentionPolicy ||
		cur.StorageSpace != in.StorageSpace || cur.BrokerNum != in.BrokerNum
}

// usage groups the replica logs by serving broker (broker_num: instances.ServingBrokers) against
// each broker's capacity. The brokers a horizontal extension recorded and did not finish adding
// are not judged: they have no share of the storage.
func usage(in dms.Instance, logs []kafkaops.ReplicaLog, capacity int64) (brokers []Broker) {
	idx := map[int32]int{}
	for _, b := range instances.ServingBrokers(in) {
		idx[b.ID] = len(brokers)
		brokers = append(brokers, Broker{ID: b.ID, Capacity: capacity})
	}
	for _, l := range logs {
		i, ok := idx[l.Broker]
		if !ok {
			continue
		}
		brokers[i].Used += l.Size
		brokers[i].Replicas = append(brokers[i].Replicas, Replica{Topic: l.Topic, Partition: l.Partition, Size: l.Size})
	}
	return brokers
}

// reject records why produce requests are refused, then closes the produce gate (again: it is
// idempotent, and an engine that forgot it, kfake after a dmsd restart, gets it back). The state
// comes first, written with a context no deadline or shutdown cancels, and only if the stored
// instance is still the one judged (policy, storage: a 5.1.5 switch meanwhile wins): a gate is
// never closed without the instance saying so, and whatever pass comes next opens it if nothing
// calls for it any more.
func (s *Service) reject(ctx context.Context, in dms.Instance, over []Broker) error {
	b := over[0]
	reason := fmt.Sprintf("broker %d uses %d of its %d bytes of storage (%d%% or more; retention_policy produce_reject): produce requests are refused until space is freed (delete records or topics, or extend the storage)",
		b.ID, b.Used, b.Capacity, dms.CapacityThresholdPercent)
	since := s.now().UTC()
	if in.Capacity != nil && in.Capacity.ProduceRejected {
		since = in.Capacity.Since
	}
	err := s.instances.RecordCapacityState(context.WithoutCancel(ctx), in.ID, &dms.CapacityState{ProduceRejected: true, Reason: reason, Since: since},
		func(cur dms.Instance) bool { return !changed(in, cur) })
	if errors.Is(err, instances.ErrCapacityStale) {
		return nil // judged again at the next pass, on what is stored then
	}
	if err != nil {
		return err
	}
	err = s.instances.SetProduceReject(ctx, in, true, reason)
	switch {
	case errors.Is(err, instances.ErrNoEngineSupport), errors.Is(err, engine.ErrRestartNeeded):
		// Said on the instance: the policy cannot be enforced as asked.
		reason = fmt.Sprintf("broker %d uses %d of its %d bytes of storage (%d%% or more) but produce requests cannot be refused: %v",
			b.ID, b.Used, b.Capacity, dms.CapacityThresholdPercent, err)
		return s.instances.SetCapacityState(context.WithoutCancel(ctx), in.ID, &dms.CapacityState{Reason: reason, Since: s.now().UTC()})
	case err != nil:
		return err
	}
	if in.Capacity == nil || !in.Capacity.ProduceRejected {
		s.log.Info("capacity: produce requests refused", "instance_id", in.ID, "broker", b.ID, "used_bytes", b.Used, "capacity_bytes", b.Capacity)
	}
	return nil
}

// trim applies time_base: it completes the readings of the brokers over the threshold (segments,
// log start and end offsets), plans (PlanTrim) and deletes.
func (s *Service) trim(ctx context.Context, in dms.Instance, c *kafkaops.Client, brokers []Broker) error {
	topics := map[string]bool{}
	for _, b := range brokers {
		for _, r := range b.Replicas {
			if !Internal(r.Topic) {
				topics[r.Topic] = true
			}
		}
	}
	bounds := map[string]map[int32]kafkaops.OffsetRange{}
	for t := range topics {
		rs, err := c.PartitionBounds(ctx, t)
		if err != nil {
			s.log.Warn("capacity: offsets of a topic", "instance_id", in.ID, "topic", t, "err", err)
			continue // deleted meanwhile, most likely: its replicas are left out
		}
		m := map[int32]kafkaops.OffsetRange{}
		for _, r := range rs {
			m[r.Partition] = r
		}
		bounds[t] = m
	}
	for bi := range brokers {
		b := &brokers[bi]
		var keep []Replica
		for _, r := range b.Replicas {
			if Internal(r.Topic) {
				continue
			}
			o, ok := bounds[r.Topic][r.Partition]
			if !ok {
				continue
			}
			r.LogStart, r.End = o.Start, o.End
			segs, err := s.instances.Segments(ctx, in, b.ID, r.Topic, r.Partition)
			switch {
			case errors.Is(err, instances.ErrNoEngineSupport):
				r.Segments = nil // estimated (see chunks)
			case err != nil:
				s.log.Warn("capacity: segments of a replica", "instance_id", in.ID, "broker", b.ID, "topic", r.Topic, "partition", r.Partition, "err", err)
				continue
			case segs == nil:
				r.Segments = []engine.Segment{} // none on disk: nothing to delete here
			default:
				r.Segments = segs
			}
			keep = append(keep, r)
		}
		b.Replicas = keep
	}
	// A topic whose cleanup.policy lacks "delete" (compact only) refuses DeleteRecords with
	// POLICY_VIOLATION: it is left out and the plan made again, counting what this pass deleted
	// already (those log starts moved; their segments count as pending).
	excluded := map[string]bool{}
	var (
		after  map[int32]int64
		failed []string
		done   int
	)
	for round := 0; round < 3; round++ {
		var trims []Trim
		trims, after = PlanTrim(withoutTopics(brokers, excluded), dms.CapacityThresholdPercent)
		byTopic := map[string]map[int32]int64{}
		planned := map[string]map[int32]Trim{}
		for _, t := range trims {
			if byTopic[t.Topic] == nil {
				byTopic[t.Topic], planned[t.Topic] = map[int32]int64{}, map[int32]Trim{}
			}
			byTopic[t.Topic][t.Partition], planned[t.Topic][t.Partition] = t.Before, t
		}
		again := false
		for topic, before := range byTopic {
			// Read again right before deleting (the readings above took a while): records are
			// deleted only if the stored instance still says time_base on the same storage.
			cur, err := s.instances.Current(ctx, in.ID)
			if err != nil {
				return err
			}
			if changed(in, cur) || cur.RetentionPolicy != dms.RetentionTimeBase {
				s.log.Info("capacity: the instance changed during the pass; nothing more is deleted until the next one", "instance_id", in.ID,
					"status", cur.Status, "policy", cur.RetentionPolicy, "storage_gb", cur.StorageSpace)
				return nil
			}
			res, err := c.DeleteRecords(ctx, topic, before)
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", topic, err))
				continue
			}
			for _, r := range res {
				switch {
				case errors.Is(r.Err, kerr.PolicyViolation):
					s.log.Info("capacity: a topic without the delete cleanup policy is not trimmed (time_base)", "instance_id", in.ID, "topic", topic)
					excluded[topic], again = true, true
				case r.Err != nil:
					failed = append(failed, fmt.Sprintf("%s-%d: %v", topic, r.Partition, r.Err))
				default:
					t := planned[topic][r.Partition]
					done++
					s.log.Info("capacity: deleted the oldest records (time_base)", "instance_id", in.ID, "topic", t.Topic, "partition", t.Partition,
						"before_offset", t.Before, "bytes_freed", t.Bytes)
					moveLogStart(brokers, t)
				}
			}
		}
		if !again {
			break
		}
	}
	var short []string
	for _, b := range brokers {
		if Over(b.Used, b.Capacity, dms.CapacityThresholdPercent) {
			// Bytes deleted now or by an earlier pass and not yet removed by Kafka's retention
			// check (the brokers' readings lag behind by up to its interval).
			freed := b.Used - after[b.ID]
			if done > 0 {
				s.log.Info("capacity: broker over the threshold trimmed (time_base)", "instance_id", in.ID, "broker", b.ID,
					"used_bytes", b.Used, "capacity_bytes", b.Capacity, "bytes_freed", freed, "expected_bytes", after[b.ID])
			} else {
				s.log.Debug("capacity: broker over the threshold, waiting for Kafka to remove deleted segments (time_base)", "instance_id", in.ID,
					"broker", b.ID, "used_bytes", b.Used, "pending_bytes", freed)
			}
			if Over(after[b.ID], b.Capacity, dms.CapacityThresholdPercent) {
				short = append(short, fmt.Sprintf("broker %d stays at %d of %d bytes (only active segments and internal topics are left)", b.ID, after[b.ID], b.Capacity))
			}
		}
	}
	if len(failed) > 0 {
		s.log.Warn("capacity: some records could not be deleted (time_base)", "instance_id", in.ID, "errors", failed)
		short = append(short, "deleting records failed: "+fmt.Sprint(failed))
	}
	if len(short) == 0 {
		return s.instances.SetCapacityState(context.WithoutCancel(ctx), in.ID, nil)
	}
	return s.instances.SetCapacityState(context.WithoutCancel(ctx), in.ID, &dms.CapacityState{
		Reason: fmt.Sprintf("retention_policy time_base cannot bring the storage under %d%%: %v", dms.CapacityThresholdPercent, short), Since: s.now().UTC()})
}

// withoutTopics is brokers without the replicas of the excluded topics.
func withoutTopics(brokers []Broker, excluded map[string]bool) []Broker {
	if len(excluded) == 0 {
		return brokers
	}
	out := make([]Broker, len(brokers))
	for i, b := range brokers {
		b.Replicas = slices.DeleteFunc(slices.Clone(b.Replicas), func(r Replica) bool { return excluded[r.Topic] })
		out[i] = b
	}
	return out
}

// moveLogStart records a done trim in the readings: the partition's log start moved on every broker.
func moveLogStart(brokers []Broker, t Trim) {
	for bi := range brokers {
		for ri := range brokers[bi].Replicas {
			r := &brokers[bi].Replicas[ri]
			if r.Topic != t.Topic || r.Partition != t.Partition || t.Before <= r.LogStart {
				continue
			}
			if r.Segments == nil && r.End > r.LogStart {
				// Estimated (no segments): the engine freed the share of the offsets that went.
				gone := r.Size * (min(t.Before, r.End) - r.LogStart) / (r.End - r.LogStart)
				r.Size -= gone
				brokers[bi].Used -= gone
			}
			r.LogStart = t.Before
		}
	}
}

// autoExpand grows the storage when a broker's usage reaches the configured threshold and the
// storage may still grow (instances.AutoExpandStorage: decided again under the instances lock on
// the stored instance, refused when it is being deleted or a task owns its status); it reports
// whether it did.
func (s *Service) autoExpand(ctx context.Context, in dms.Instance, brokers []Broker) bool {
	if cfg := in.AutoVolumeExpand; cfg == nil || !cfg.Enable {
		return false
	}
	var b Broker
	t, ok, err := s.instances.AutoExpandStorage(ctx, in.ID, instances.Actor{UserName: autoExpandTaskUser}, autoExpandTaskName, autoExpandLogReason,
		func(cur dms.Instance) (int, any, bool) {
			cfg := cur.AutoVolumeExpand
			if cfg == nil || !cfg.Enable || changed(in, cur) {
				return 0, nil, false // the readings were against another capacity: the next pass
			}
			newGB, ok := ExpandTo(cur.StorageSpace, cur.BrokerNum, s.storageLimitGB(cur), *cfg)
			if !ok {
				return 0, nil, false
			}
			i := slices.IndexFunc(brokers, func(b Broker) bool { return Over(b.Used, b.Capacity, cfg.ThresholdPercent) })
			if i < 0 {
				return 0, nil, false
			}
			b = brokers[i]
			return newGB, map[string]any{autoExpandParamsKeyGB: newGB, "origin_storage_space": cur.StorageSpace,
				"broker": b.ID, "used_bytes": b.Used, "expand_threshold": cfg.ThresholdPercent}, true
		})
	if err != nil {
		s.log.Warn("capacity: automatic volume expansion not done", "instance_id", in.ID, "err", err)
		return false
	}
	if ok {
		s.log.Info("capacity: automatic volume expansion", "instance_id", in.ID, "task_id", t.ID, "broker", b.ID, "used_bytes", b.Used,
			"capacity_bytes", b.Capacity, "from_gb", in.StorageSpace)
	}
	return ok
}
