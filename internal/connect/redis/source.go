package redis

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/time/rate"
)

// Sync modes of a source.
const (
	SyncRDBOnly      = "RDB_ONLY"      // a full sync of the keyspace, then the runner is done
	SyncCustomOffset = "CUSTOM_OFFSET" // a full sync, then the replication stream until stopped
)

// SourceConfig configures a Redis source: the keyspace (and with CUSTOM_OFFSET its changes)
// become records of Topic.
type SourceConfig struct {
	KafkaOpts        []kgo.Opt // how to reach the instance
	Topic            string    // records go to this topic
	Redis            Conn      // standalone only; Redis.DB is ignored (every DB is read)
	SyncMode         string    // SyncRDBOnly | SyncCustomOffset
	FullSyncWait     time.Duration
	FullSyncMaxRetry int // retries after a failed sync (or a lost replication link), FullSyncWait apart
	RateLimitKBps    int // KB/s of produced key+value bytes; <= 0 (the API's -1) is unlimited
	Logger           *slog.Logger
}

const ackEvery = time.Second

const rdbEOFMarkSize = 40 // the diskless payload's end mark (Redis's RDB_EOF_MARK_SIZE)

// replTimeout is how long the replica link may stay silent (Redis's repl-timeout default): the
// master PINGs its replicas every 10 s (repl-ping-replica-period) and sends newlines while it
// prepares the RDB, so a longer silence is a dead or wedged link, retried like a lost one.
// A variable for the tests.
var replTimeout = 60 * time.Second

// deadlineReader sets the connection's read deadline before every read: silence longer than
// timeout fails the read.
type deadlineReader struct {
	c       net.Conn
	timeout time.Duration // dialTimeout during the handshake, then replTimeout
}

func (d *deadlineReader) Read(b []byte) (int, error) {
	d.c.SetReadDeadline(time.Now().Add(d.timeout))
	return d.c.Read(b)
}

// errFatal marks failures that a retry cannot mend (refused password, unsupported data).
var errFatal = errors.New("fatal")

// StartSource checks the Redis connection (Check) and starts the sync as a replica of the Redis:
// PSYNC, the RDB payload turned into one record per key, then (CUSTOM_OFFSET) the command stream.
func StartSource(ctx context.Context, cfg SourceConfig) (*Runner, error) {
	if cfg.Topic == "" {
		return nil, fmt.Errorf("%w: source needs a topic", ErrInvalid)
	}
	switch cfg.SyncMode {
	case SyncRDBOnly, SyncCustomOffset:
	default:
		return nil, fmt.Errorf("%w: sync_mode %q is not RDB_ONLY or CUSTOM_OFFSET", ErrInvalid, cfg.SyncMode)
	}
	if cfg.Redis.Type == TypeCluster {
		return nil, fmt.Errorf("%w: a Redis Cluster as source is not supported (standalone only)", ErrInvalid)
	}
	if cfg.FullSyncMaxRetry < 0 || cfg.FullSyncWait < 0 {
		return nil, fmt.Errorf("%w: full_sync_max_retry and full_sync_wait_ms must not be negative", ErrInvalid)
	}
	src := cfg.Redis
	src.DB = 0
	if err := Check(ctx, src); err != nil {
		return nil, err
	}
	opts := append([]kgo.Opt{}, cfg.KafkaOpts...)
	// Buffered records are bounded in bytes too (the default bounds only their number, 10,000).
	opts = append(opts, kgo.DefaultProduceTopic(cfg.Topic), kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedBytes(64<<20))
	kc, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &source{cfg: cfg, kc: kc, log: log, offset: -1}
	if cfg.RateLimitKBps > 0 {
		// A tenth of a second of burst: the rate holds over short syncs too (larger records wait
		// for several tokens in turn, see produce).
		bps := cfg.RateLimitKBps * 1024
		s.lim = rate.NewLimiter(rate.Limit(bps), max(bps/10, 1024))
	}
	r, rctx := newRunner(context.WithoutCancel(ctx), "source", PhaseFullSync, log)
	s.r = r
	r.run(rctx, s.loop)
	return r, nil
}

type source struct {
	cfg SourceConfig
	kc  *kgo.Client
	log *slog.Logger
	r   *Runner
	lim *rate.Limiter

	replid string
	offset int64 // replication offset processed; -1 before the first full sync
	db     int   // the DB the stream's commands apply to (the last SELECT)

	prodErr atomic.Pointer[error]
}

func (s *source) loop(ctx context.Context) error {
	defer s.kc.Close()
	failures := 0
	for {
		progressed, err := s.session(ctx)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errFatal) {
			return err
		}
		if progressed {
			failures = 0
		}
		if s.prodErr.Swap(nil) != nil {
			s.offset = -1 // records of this link may be lost: the next link starts with a full sync
		}
		failures++
		if failures > s.cfg.FullSyncMaxRetry {
			if s.cfg.FullSyncMaxRetry > 0 {
				return fmt.Errorf("%w (gave up after %d retries)", err, s.cfg.FullSyncMaxRetry)
			}
			return err
		}
		s.log.Warn("redis source: sync failed, retrying", "attempt", failures, "of", s.cfg.FullSyncMaxRetry, "err", err)
		s.r.noteErr(err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.cfg.FullSyncWait):
		}
	}
}

// replConn is one replication link.
type replConn struct {
	c  net.Conn
	br *bufio.Reader
	mu sync.Mutex // writes: handshake, ACKs, GETACK answers
}

func (rc *replConn) send(args ...string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.c.SetWriteDeadline(time.Now().Add(dialTimeout))
	_, err := rc.c.Write(b.Bytes())
	return err
}

// line reads one reply line, skipping the bare newlines a master sends as keepalives while it
// prepares the RDB.
func (rc *replConn) line() (string, error) {
	for {
		l, err := rc.br.ReadString('\n')
		if err != nil {
			return "", err
		}
		if l = strings.TrimRight(l, "\r\n"); l != "" {
			return l, nil
		}
	}
}

func (rc *replConn) call(args ...string) (string, error) {
	if err := rc.send(args...); err != nil {
		return "", err
	}
	return rc.line()
}

// session runs one replication link until it fails, ctx ends, or (RDB_ONLY) the full sync is
// done (nil). progressed says it got past the full sync (a later failure is a fresh one).
func (s *source) session(ctx context.Context) (progressed bool, err error) {
	addr := s.cfg.Redis.Addrs[0]
	d := net.Dialer{Timeout: dialTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, fmt.Errorf("%w: %s: %v", ErrUnreachable, addr, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() }) // Stop unblocks any read at once
	defer stop()
	// The handshake must answer quickly; the RDB may take long to arrive (the master forks first,
	// sending newlines meanwhile), but never silently for longer than replTimeout.
	dr := &deadlineReader{c: c, timeout: dialTimeout}
	rc := &replConn{c: c, br: bufio.NewReaderSize(dr, 256<<10)}
	if s.cfg.Redis.Password != "" {
		l, err := rc.call("AUTH", s.cfg.Redis.Password)
		if err != nil {
			return false, fmt.Errorf("%w: %s: %v", ErrUnreachable, addr, err)
		}
		if l != "+OK" {
			return false, fmt.Errorf("%w %w at %s: %s", errFatal, ErrAuth, addr, strings.TrimPrefix(l, "-"))
		}
	}
	_, port, _ := net.SplitHostPort(c.LocalAddr().String())
	for _, cmd := range [][]string{{"REPLCONF", "listening-port", port}, {"REPLCONF", "capa", "eof", "capa", "psync2"}} {
		l, err := rc.call(cmd...)
		if err != nil {
			return false, fmt.Errorf("redis %s: %s: %w", addr, cmd[0], err)
		}
		if strings.HasPrefix(l, "-") {
			if isAuthErr(l) {
				return false, fmt.Errorf("%w %w at %s: %s", errFatal, ErrAuth, addr, l[1:])
			}
			return false, fmt.Errorf("redis %s: %s %s: %s", addr, cmd[0], cmd[1], l[1:])
		}
	}
	id, off := "?", "-1"
	if s.offset >= 0 && s.cfg.SyncMode == SyncCustomOffset {
		id, off = s.replid, strconv.FormatInt(s.offset+1, 10)
	}
	dr.timeout = replTimeout
	l, err := rc.call("PSYNC", id, off)
	if err != nil {
		return false, fmt.Errorf("redis %s: PSYNC: %w", addr, err)
	}
	switch f := strings.Fields(l); {
	case len(f) == 3 && f[0] == "+FULLRESYNC":
		s.r.setPhase(PhaseFullSync)
		start, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return false, fmt.Errorf("redis %s: bad reply to PSYNC: %q", addr, l)
		}
		if err := s.fullSync(ctx, rc); err != nil {
			return false, err
		}
		s.replid, s.offset, s.db = f[1], start, 0
		s.r.offset.Store(start)
		if s.cfg.SyncMode == SyncRDBOnly {
			return true, nil
		}
		progressed = true
	case len(f) >= 1 && f[0] == "+CONTINUE":
		if len(f) == 2 {
			s.replid = f[1]
		}
		progressed = true
	case strings.HasPrefix(l, "-"):
		if isAuthErr(l) {
			return false, fmt.Errorf("%w %w at %s: %s", errFatal, ErrAuth, addr, l[1:])
		}
		return false, fmt.Errorf("redis %s: PSYNC refused: %s", addr, l[1:])
	default:
		return false, fmt.Errorf("redis %s: unexpected reply to PSYNC: %q", addr, l)
	}
	s.r.setPhase(PhaseIncremental)
	return true, s.stream(ctx, rc)
}

// fullSync reads the RDB payload ("$<len>" or, from a diskless master, "$EOF:<mark>" ... <mark>)
// and produces one record per key; it returns once every record is acknowledged by Kafka.
func (s *source) fullSync(ctx context.Context, rc *replConn) error {
	hdr, err := rc.line()
	if err != nil {
		return fmt.Errorf("reading the RDB header: %w", err)
	}
	if !strings.HasPrefix(hdr, "$") {
		return fmt.Errorf("unexpected RDB header %q", hdr)
	}
	var body io.Reader
	var mark string
	if strings.HasPrefix(hdr, "$EOF:") {
		// RDB_EOF_MARK_SIZE: with a shorter (or empty) mark the payload's end could not be found,
		// and the replication stream after it would be read as payload forever.
		if mark = hdr[5:]; len(mark) != rdbEOFMarkSize {
			return fmt.Errorf("RDB header %q: the EOF mark must be %d bytes, not %d", hdr, rdbEOFMarkSize, len(mark))
		}
		body = rc.br
	} else {
		n, err := strconv.ParseInt(hdr[1:], 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("unexpected RDB header %q", hdr)
		}
		body = io.LimitReader(rc.br, n)
	}
	p := &rdbReader{r: bufio.NewReaderSize(body, 64<<10)}
	if mark != "" {
		p.r = rc.br // the payload's end is known only from its content: read it in place
	}
	now := time.Now().UnixMilli()
	err = p.read(func(e *rdbEntry) error {
		ttl := int64(-1)
		if e.ExpireAt > 0 {
			if ttl = e.ExpireAt - now; ttl <= 0 {
				return nil // expired: the master would not serve it either
			}
		}
		v, err := encodeEntry(e, ttl)
		if err != nil {
			return err
		}
		return s.produce(ctx, e.Key, v)
	}, func(db int, key []byte, why string) {
		err := fmt.Errorf("key %q in DB %d skipped: %s", key, db, why)
		s.log.Warn("redis source: key skipped", "err", err)
		s.r.skipped.Add(1)
		s.r.noteErr(err)
	})
	if err != nil {
		if strings.Contains(err.Error(), "not supported") {
			return fmt.Errorf("%w: %v", errFatal, err)
		}
		return err
	}
	if mark != "" {
		got := make([]byte, len(mark))
		if _, err := io.ReadFull(rc.br, got); err != nil || string(got) != mark {
			return fmt.Errorf("RDB payload: end mark missing or wrong (%v)", err)
		}
	} else if _, err := io.Copy(io.Discard, p.r); err != nil {
		return err
	}
	if err := s.kc.Flush(ctx); err != nil {
		return err
	}
	return s.producedErr()
}

// stream follows the master's command stream: every write becomes an "op":"COMMAND" record.
func (s *source) stream(ctx context.Context, rc *replConn) error {
	ackCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ack := func() error { return rc.send("REPLCONF", "ACK", strconv.FormatInt(s.r.offset.Load(), 10)) }
	go func() {
		t := time.NewTicker(ackEvery)
		defer t.Stop()
		for {
			select {
			case <-ackCtx.Done():
				return
			case <-t.C:
				if err := ack(); err != nil {
					// The link is broken: closing it ends the stream's read at once.
					s.log.Warn("redis source: ACK failed, closing the link", "err", err)
					rc.c.Close()
					return
				}
			}
		}
	}()
	rd := &respReader{r: rc.br, limit: maxRecordBytes}
	for {
		cmdArgs, raw, err := rd.readCommand()
		if err != nil {
			return fmt.Errorf("replication stream: %w", err)
		}
		if err := s.producedErr(); err != nil {
			return err
		}
		name := ""
		if len(cmdArgs) > 0 { // none when the first argument alone is over the limit
			name = strings.ToUpper(string(cmdArgs[0]))
		}
		if rd.over { // one huge command must not take dmsd's memory: read past, count and say it
			err := fmt.Errorf("command %.40q in DB %d skipped: larger than %d bytes", name, s.db, maxRecordBytes)
			s.log.Warn("redis source: command skipped", "err", err)
			s.r.skipped.Add(1)
			s.r.noteErr(err)
			name = "" // not produced; the offset still counts it
		}
		switch name {
		case "":
		case "SELECT":
			if len(cmdArgs) == 2 {
				s.db, _ = strconv.Atoi(string(cmdArgs[1]))
			}
		case "PING", "MULTI", "EXEC":
		case "REPLCONF":
			if len(cmdArgs) > 1 && strings.EqualFold(string(cmdArgs[1]), "GETACK") {
				s.offset += raw // the answer counts this command
				s.r.offset.Store(s.offset)
				if err := ack(); err != nil {
					return err
				}
				continue
			}
		default:
			args := cmdArgs // fresh slices: records keep them
			args[0] = []byte(name)
			v, err := encodeCommand(s.db, args)
			if err != nil {
				return err
			}
			var key []byte
			if len(args) > 1 {
				key = args[1]
			}
			if err := s.produce(ctx, key, v); err != nil {
				return err
			}
		}
		s.offset += raw
		s.r.offset.Store(s.offset)
	}
}

// produce sends one record, within the rate limit; failures surface through producedErr.
func (s *source) produce(ctx context.Context, key, value []byte) error {
	n := len(key) + len(value)
	if s.lim != nil {
		for left := n; left > 0; left -= s.lim.Burst() {
			if err := s.lim.WaitN(ctx, min(left, s.lim.Burst())); err != nil {
				return err
			}
		}
	}
	if err := s.producedErr(); err != nil {
		return err
	}
	s.kc.Produce(ctx, &kgo.Record{Key: key, Value: value}, func(r *kgo.Record, err error) {
		switch {
		case err == nil:
			s.r.records.Add(1)
			s.r.bytes.Add(int64(n))
		case errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.RecordListTooLarge):
			// One key too large for the topic must not stop the others: count and say it.
			s.r.skipped.Add(1)
			s.r.noteErr(fmt.Errorf("key %q: record of %d bytes: %w", r.Key, n, err))
		case ctx.Err() == nil:
			s.prodErr.CompareAndSwap(nil, &err)
		}
	})
	return nil
}

func (s *source) producedErr() error {
	if p := s.prodErr.Load(); p != nil {
		return fmt.Errorf("producing to %s: %w", s.cfg.Topic, *p)
	}
	return nil
}
