package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opendms/opendms/internal/connect/dump"
	"github.com/opendms/opendms/internal/connect/redis"
	"github.com/opendms/opendms/internal/dms"
)

// Tasks dmsd runs itself: dumps to object storage and Redis sinks consume the instance as the
// consumer group "connect-<task id>" and commit only what they delivered; Redis sources produce
// to the task's topic. They run until paused, deleted or dmsd stops, and start again (from their
// committed positions) when dmsd starts.

// runner is what dump.Start, redis.StartSink and redis.StartSource return.
type runner interface {
	Stop()
	Done() <-chan struct{}
	Err() error
}

// procRun is a running task.
type procRun struct {
	r    runner
	dump *dump.Runner // for progress (nil: not a dump)
}

func (p *procRun) stop() { p.r.Stop() }

// groupOf is the consumer group of a sink task.
func groupOf(t dms.ConnectTask) string { return "connect-" + t.ID }

// checkStore checks that a dump task's bucket is there and writable with its keys, so that a
// create, resume, restart or modify that cannot store anything fails with what is wrong instead of
// showing RUNNING until the runner gives up. (Service.Start does not check: a dump whose object
// store is down when dmsd starts keeps its records uncommitted and tries again.) The Redis runners
// check their server when they start.
func (s *Service) checkStore(ctx context.Context, t dms.ConnectTask) error {
	if t.SinkType != dms.ConnectOBSSink || s.cfg.ObjectStorage.Endpoint == "" {
		return nil // no endpoint: startProc says so
	}
	sec, err := s.secrets(t)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, validateTimeout)
	defer cancel()
	o := s.cfg.ObjectStorage
	return dump.Check(ctx, o.Endpoint, o.Region, o.PathStyle, sec.AccessKey, sec.SecretKey, t.Sink.OBSBucketName)
}

// startProc starts t's runner (none must be running).
func (s *Service) startProc(ctx context.Context, in dms.Instance, t dms.ConnectTask) error {
	sec, err := s.secrets(t)
	if err != nil {
		return err
	}
	opts, err := s.inst.ControlClientOpts(in)
	if err != nil {
		return err
	}
	// The runner outlives the request that starts it.
	rctx := context.WithoutCancel(ctx)
	log := s.log.With("instance_id", in.ID, "connect_task", t.ID)
	var topics []string
	if t.Topics != "" {
		topics = SplitTopics(t.Topics)
	}
	var run procRun
	switch {
	case t.SinkType == dms.ConnectOBSSink:
		k := t.Sink
		loc, err := dump.ParseLocation(k.Timezone)
		if err != nil {
			return err
		}
		delim, err := dump.ParseRecordDelimiter(*k.RecordDelimiter)
		if err != nil {
			return err
		}
		if s.cfg.ObjectStorage.Endpoint == "" {
			return dms.Errorf(dms.CodeConnectTaskStartFailed, "Failed to start the Smart Connect task: this server has no object storage endpoint (object_storage.endpoint in dmsd's config).")
		}
		cfg := dump.Config{KafkaOpts: opts, Group: groupOf(t), Topics: topics, TopicsRegex: t.TopicsRegex,
			ConsumerStrategy: k.ConsumerStrategy, Endpoint: s.cfg.ObjectStorage.Endpoint, Region: s.cfg.ObjectStorage.Region,
			PathStyle: s.cfg.ObjectStorage.PathStyle, Bucket: k.OBSBucketName, AccessKey: sec.AccessKey, SecretKey: sec.SecretKey,
			Path: k.OBSPath, PartitionFormat: k.PartitionFormat, Location: loc,
			DeliverInterval: time.Duration(intOr(k.DeliverTimeInterval, defaultDeliverInterval)) * s.cfg.DeliverIntervalUnit,
			RecordDelimiter: delim, StoreKeys: *k.StoreKeys, KVDelimiter: k.KVDelimiter,
			PartSize: int64(intOr(k.OBSPartSize, defaultPartSize)), FlushSize: intOr(k.FlushSize, defaultFlushSize), Logger: log}
		r, err := dump.Start(rctx, cfg)
		if err != nil {
			return err
		}
		run = procRun{r: r, dump: r}
	case t.SinkType == dms.ConnectRedisSink:
		k := t.Sink
		r, err := redis.StartSink(rctx, redis.SinkConfig{KafkaOpts: opts, Group: groupOf(t), Topics: topics, TopicsRegex: t.TopicsRegex,
			ConsumerStrategy: k.ConsumerStrategy, Redis: redisConnOf(k.RedisAddress, k.RedisType, sec.RedisPassword),
			TargetDB: intOr(k.TargetDB, -1), Logger: log})
		if err != nil {
			return err
		}
		run = procRun{r: r}
	case t.SourceType == dms.ConnectRedisSource:
		k := t.Source
		r, err := redis.StartSource(rctx, redis.SourceConfig{KafkaOpts: opts, Topic: topics[0],
			Redis: redisConnOf(k.RedisAddress, k.RedisType, sec.RedisPassword), SyncMode: k.SyncMode,
			FullSyncWait:     time.Duration(intOr(k.FullSyncWaitMS, defaultFullSyncWaitMS)) * time.Millisecond,
			FullSyncMaxRetry: intOr(k.FullSyncMaxRetry, defaultFullSyncMaxRetry), RateLimitKBps: intOr(k.RateLimit, -1), Logger: log})
		if err != nil {
			return err
		}
		run = procRun{r: r}
	default:
		return fmt.Errorf("task %s: no runner for %s -> %s", t.ID, t.SourceType, t.SinkType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		run.stop()
		return errors.New("Smart Connect is shutting down")
	}
	s.running[t.ID] = &run
	if t.SourceType == dms.ConnectRedisSource && t.Source.SyncMode == redis.SyncRDBOnly {
		s.bg.Go(func() { s.recordCompletion(t, &run) })
	}
	return nil
}

// recordCompletion marks an RDB_ONLY Redis source Completed once its full synchronization is done,
// so that no dmsd start copies the keyspace again.
func (s *Service) recordCompletion(t dms.ConnectTask, run *procRun) {
	<-run.r.Done()
	src, ok := run.r.(*redis.Runner)
	if !ok || run.r.Err() != nil || src.Stats().Phase != redis.PhaseDone {
		return
	}
	// A run that was stopped (pause, delete, restart, dmsd stopping) was taken out of running
	// first: only one still in it ended by itself.
	s.mu.Lock()
	finished := s.running[t.ID] == run
	s.mu.Unlock()
	if !finished {
		return
	}
	unlock := s.locks.Lock(t.InstanceID)
	defer unlock()
	ctx := context.Background()
	cur, err := s.store.GetConnectTask(ctx, t.InstanceID, t.ID)
	if err != nil || cur.Generation != t.Generation || cur.State != dms.ConnectTaskRunning {
		return
	}
	cur.Completed, cur.UpdatedAt = true, s.now().UTC()
	if err := s.store.UpdateConnectTask(ctx, cur); err != nil {
		s.log.Warn("Smart Connect task's completion not recorded", "task_id", t.ID, "err", err)
	}
}

func redisConnOf(addr, typ, password string) redis.Conn {
	var addrs []string
	for _, a := range strings.Split(addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return redis.Conn{Addrs: addrs, Type: typ, Password: password}
}

// stopProc stops t's runner, if one runs.
func (s *Service) stopProc(id string) {
	s.mu.Lock()
	run := s.running[id]
	delete(s.running, id)
	s.mu.Unlock()
	if run != nil {
		run.stop()
	}
}

// forgetProc deletes what a sink task committed, so it starts again per its consumer_strategy.
func (s *Service) forgetProc(ctx context.Context, in dms.Instance, t dms.ConnectTask) error {
	if t.SinkType == dms.ConnectNone {
		return nil // a Redis source starts with a full sync every time
	}
	opts, err := s.inst.ControlClientOpts(in)
	if err != nil {
		return err
	}
	return dump.ResetOffsets(ctx, opts, groupOf(t))
}

// procStatus is the state of t's runner.
func (s *Service) procStatus(t dms.ConnectTask) (string, string, []PartStatus) {
	if t.State == dms.ConnectTaskPaused {
		return dms.ConnectTaskPaused, t.Error, nil
	}
	if t.Completed {
		return dms.ConnectTaskRunning, "full synchronization done", nil
	}
	s.mu.Lock()
	run := s.running[t.ID]
	s.mu.Unlock()
	if run == nil {
		return dms.ConnectTaskWaiting, "not running yet: its start is tried again every " + s.cfg.RetryInterval.String(), nil
	}
	select {
	case <-run.r.Done():
		if err := run.r.Err(); err != nil {
			return dms.ConnectTaskError, firstLine(err.Error()), nil
		}
		if t.SourceType == dms.ConnectRedisSource {
			return dms.ConnectTaskRunning, "full synchronization done", nil // RDB_ONLY ends when the keyspace is copied
		}
		return dms.ConnectTaskError, "stopped", nil
	default:
		return dms.ConnectTaskRunning, "", nil
	}
}

// dumpProgress is a dump task's per-partition progress (empty while it does not run).
func (s *Service) dumpProgress(ctx context.Context, in dms.Instance, t dms.ConnectTask) []PartitionProgress {
	s.mu.Lock()
	run := s.running[t.ID]
	s.mu.Unlock()
	var ps []dump.PartitionProgress
	if run != nil && run.dump != nil {
		ps = run.dump.Progress()
	} else if opts, err := s.inst.ControlClientOpts(in); err == nil { // paused or failed: what it committed
		var topics []string
		if t.Topics != "" {
			topics = SplitTopics(t.Topics)
		}
		if ps, err = dump.CommittedProgress(ctx, opts, groupOf(t), topics); err != nil {
			s.log.Warn("dump progress not read", "task_id", t.ID, "err", err)
		}
	}
	var out []PartitionProgress
	for _, p := range ps {
		out = append(out, PartitionProgress{Topic: p.Topic, Partition: p.Partition, LastTransferOffset: p.LastTransferOffset,
			LogEndOffset: p.LogEndOffset, Lag: p.Lag})
	}
	return out
}
