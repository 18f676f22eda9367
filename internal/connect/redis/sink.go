package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"
)

// SinkConfig configures a Redis sink: records of Topics (or TopicsRegex) of the instance become
// Redis writes.
type SinkConfig struct {
	KafkaOpts        []kgo.Opt // how to reach the instance (seed brokers, SASL, TLS)
	Group            string    // consumer group whose committed offsets are the sink's position
	Topics           []string
	TopicsRegex      string // used when Topics is empty
	ConsumerStrategy string // "latest" | "earliest" (default): where a group without offsets starts
	Redis            Conn
	TargetDB         int // -1: the record's "db" (plain records: Redis.DB); >= 0: every record to this DB
	Logger           *slog.Logger
}

// How long a failing Redis write is retried before the sink stops with the error.
const (
	sinkRetries    = 5
	sinkRetryPause = time.Second
	sinkPipeMax    = 1000 // commands per pipelined round trip
)

// StartSink checks the Redis connection (Check) and starts consuming. Offsets are committed only
// after the records' writes succeeded (at-least-once; every write is idempotent or replaces).
func StartSink(ctx context.Context, cfg SinkConfig) (*Runner, error) {
	if cfg.Group == "" {
		return nil, fmt.Errorf("%w: sink needs a consumer group", ErrInvalid)
	}
	if len(cfg.Topics) == 0 && cfg.TopicsRegex == "" {
		return nil, fmt.Errorf("%w: sink needs topics or topics_regex", ErrInvalid)
	}
	if cfg.TargetDB < -1 {
		return nil, fmt.Errorf("%w: target_db %d", ErrInvalid, cfg.TargetDB)
	}
	if cfg.Redis.Type == TypeCluster && cfg.TargetDB > 0 {
		return nil, fmt.Errorf("%w: target_db %d: a Redis Cluster has DB 0 only", ErrInvalid, cfg.TargetDB)
	}
	chk := cfg.Redis
	if cfg.TargetDB > 0 {
		chk.DB = cfg.TargetDB // Check says whether the server has that DB
	}
	if err := Check(ctx, chk); err != nil {
		return nil, err
	}
	reset := kgo.NewOffset().AtStart()
	switch cfg.ConsumerStrategy {
	case "latest":
		reset = kgo.NewOffset().AtEnd()
	case "earliest", "":
	default:
		return nil, fmt.Errorf("%w: consumer_strategy %q is not latest or earliest", ErrInvalid, cfg.ConsumerStrategy)
	}
	opts := append([]kgo.Opt{}, cfg.KafkaOpts...)
	opts = append(opts, kgo.ConsumerGroup(cfg.Group), kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(reset),
		kgo.BlockRebalanceOnPoll())
	if len(cfg.Topics) > 0 {
		opts = append(opts, kgo.ConsumeTopics(cfg.Topics...))
	} else {
		// Internal topics (Connect's own, read here as a super user) are never a task's.
		include, exclude := topicPatterns(cfg.TopicsRegex)
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics(include), kgo.ConsumeExcludeTopics(exclude))
	}
	kc, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &sink{cfg: cfg, kc: kc, log: log, clients: map[int]goredis.UniversalClient{}}
	r, rctx := newRunner(context.WithoutCancel(ctx), "sink", PhaseRunning, log)
	s.r = r
	r.run(rctx, s.loop)
	return r, nil
}

type sink struct {
	cfg     SinkConfig
	kc      *kgo.Client
	log     *slog.Logger
	r       *Runner
	clients map[int]goredis.UniversalClient
}

func (s *sink) client(db int) goredis.UniversalClient {
	if s.cfg.Redis.Type == TypeCluster {
		db = 0
	}
	c, ok := s.clients[db]
	if !ok {
		c = s.cfg.Redis.client(db, 4)
		s.clients[db] = c
	}
	return c
}

func (s *sink) loop(ctx context.Context) error {
	defer func() {
		s.kc.AllowRebalance() // a poll may hold the rebalance: Close leaves the group only after it
		s.kc.Close()
		for _, c := range s.clients {
			c.Close()
		}
	}()
	for {
		fs := s.kc.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if fs.IsClientClosed() {
			return nil
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				s.log.Warn("redis sink: fetch", "topic", t, "partition", p, "err", err)
				s.r.noteErr(fmt.Errorf("fetch %s[%d]: %w", t, p, err))
				ferr = err
			}
		})
		recs := fs.Records()
		if len(recs) > 0 {
			if err := s.apply(ctx, recs); err != nil {
				s.kc.AllowRebalance()
				return err
			}
			if err := s.kc.CommitRecords(ctx, recs...); err != nil && ctx.Err() == nil {
				// Not fatal: the records are written; a later commit or a redelivery covers them.
				s.log.Warn("redis sink: commit", "err", err)
				s.r.noteErr(fmt.Errorf("commit: %w", err))
			}
		} else if ferr != nil {
			select { // a fetch error without records: do not spin
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		s.kc.AllowRebalance()
	}
}

// pending is a command queued for a DB, with the record it came from.
type pending struct {
	rec *kgo.Record
	cmd []any
}

// apply writes recs in order (per DB: pipelined, order kept) and returns only when every write
// succeeded or was refused by Redis for the record itself (counted as skipped); a connection
// failure is retried and then ends the sink.
func (s *sink) apply(ctx context.Context, recs []*kgo.Record) error {
	byDB := map[int][]pending{}
	var order []int
	for _, rec := range recs {
		o, err := decodeRecord(rec.Key, rec.Value)
		if err != nil {
			s.skip(rec, err)
			continue
		}
		db := s.cfg.TargetDB
		if db < 0 {
			db = o.db
			if db < 0 {
				db = s.cfg.Redis.DB
			}
		}
		if _, ok := byDB[db]; !ok {
			order = append(order, db)
		}
		for _, c := range o.cmds {
			byDB[db] = append(byDB[db], pending{rec, c})
		}
	}
	for _, db := range order {
		cmds := byDB[db]
		for start := 0; start < len(cmds); start += sinkPipeMax {
			if err := s.exec(ctx, db, cmds[start:min(start+sinkPipeMax, len(cmds))]); err != nil {
				return err
			}
		}
	}
	for _, rec := range recs {
		s.r.records.Add(1)
		s.r.bytes.Add(int64(len(rec.Key) + len(rec.Value)))
	}
	return nil
}

func (s *sink) exec(ctx context.Context, db int, cmds []pending) error {
	var err error
	for attempt := 0; attempt <= sinkRetries; attempt++ {
		if attempt > 0 {
			s.log.Warn("redis sink: write failed, retrying", "db", db, "attempt", attempt, "err", err)
			s.r.noteErr(err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(sinkRetryPause):
			}
		}
		pipe := s.client(db).Pipeline()
		res := make([]*goredis.Cmd, len(cmds))
		for i, c := range cmds {
			res[i] = pipe.Do(ctx, c.cmd...)
		}
		_, err = pipe.Exec(ctx)
		if err == nil {
			return nil
		}
		// A reply error belongs to its record (wrong type, bad arguments): log it and go on. Any
		// other error is the connection's: retry the whole batch (the writes are idempotent).
		connErr := false
		for i, c := range res {
			e := c.Err()
			if e == nil {
				continue
			}
			var re goredis.Error
			if errors.As(e, &re) && !isAuthErr(e.Error()) && !isRetryable(e.Error()) {
				s.skip(cmds[i].rec, fmt.Errorf("%v: %w", cmds[i].cmd[0], e))
				continue
			}
			connErr, err = true, e
		}
		if !connErr {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("redis sink: DB %d: %w", db, classify(s.cfg.Redis.Addrs[0], err))
}

func isRetryable(msg string) bool {
	for _, p := range []string{"LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "MOVED", "ASK "} {
		if len(msg) >= len(p) && msg[:len(p)] == p {
			return true
		}
	}
	return false
}

func (s *sink) skip(rec *kgo.Record, err error) {
	err = fmt.Errorf("record %s[%d]@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
	s.log.Warn("redis sink: record skipped", "err", err)
	s.r.skipped.Add(1)
	s.r.noteErr(err)
}

// topicPatterns gives the include and exclude regexes of a topics_regex. franz-go matches them
// anywhere in a name (MatchString), so both are anchored: topics_regex matches whole names, as in
// the dump and MirrorMaker 2 ("cache" is not "cache-dlq"), and only names starting with "__" are
// internal ("orders__v2" is a user topic).
func topicPatterns(re string) (include, exclude string) {
	return "^(?:" + re + ")$", `^__`
}
