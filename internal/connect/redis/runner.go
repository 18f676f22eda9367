package redis

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Phases a Runner reports in Stats.
const (
	PhaseRunning     = "RUNNING"     // sink: consuming
	PhaseFullSync    = "FULL_SYNC"   // source: reading the keyspace
	PhaseIncremental = "INCREMENTAL" // source: following the replication stream
	PhaseDone        = "DONE"        // stopped, finished (RDB_ONLY) or failed (Err says)
)

// Stats is a snapshot of a Runner's progress.
type Stats struct {
	Records   int64  // records written to Redis (sink) or produced to Kafka (source)
	Bytes     int64  // their key+value bytes
	Skipped   int64  // records (sink) or keys (source) left out; LastError says why
	LastError string // the last error met, "" if none
	Phase     string
	Offset    int64 // source: the replication offset reached; sink: unused
}

// Runner is a running sink or source. It lives until Stop (the ctx given to StartSink/StartSource
// bounds only the start: the connection checks); Stop ends it; Done closes when it has ended, and Err then
// says why it ended (nil after Stop or a finished RDB_ONLY sync).
type Runner struct {
	cancel context.CancelFunc
	kind   string // "sink" | "source", for messages
	log    *slog.Logger
	done   chan struct{}
	stop   sync.Once

	records, bytes, skipped, offset atomic.Int64
	mu                              sync.Mutex
	lastErr, phase                  string
	err                             error
}

func newRunner(ctx context.Context, kind, phase string, log *slog.Logger) (*Runner, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &Runner{cancel: cancel, kind: kind, log: log, done: make(chan struct{}), phase: phase}, ctx
}

// run runs work in its goroutine; its error (nil when stopped) becomes Err.
func (r *Runner) run(ctx context.Context, work func(context.Context) error) {
	go func() {
		err := r.protect(ctx, work)
		if ctx.Err() != nil {
			err = nil // stopped: not a failure
		}
		r.mu.Lock()
		r.err = err
		if err != nil {
			r.lastErr = err.Error()
		}
		r.phase = PhaseDone
		r.mu.Unlock()
		r.cancel()
		close(r.done)
	}()
}

// protect runs work and turns a panic into its error: a parser fed by a remote peer (the master's
// stream, the RDB, topic records) must never take the whole dmsd down.
func (r *Runner) protect(ctx context.Context, work func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("redis %s: internal error: %v", r.kind, p)
			r.log.Error("redis runner panicked", "kind", r.kind, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	return work(ctx)
}

// Stop ends the runner and waits until it has ended. It is safe to call more than once.
func (r *Runner) Stop() {
	r.stop.Do(func() {
		r.cancel() // the work's connections close on it (context.AfterFunc, PollFetches)
	})
	<-r.done
}

// Done is closed when the runner has ended.
func (r *Runner) Done() <-chan struct{} { return r.done }

// Err is why the runner ended: nil while running, after Stop, or after a finished RDB_ONLY sync.
func (r *Runner) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Stats returns the runner's counters.
func (r *Runner) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Stats{Records: r.records.Load(), Bytes: r.bytes.Load(), Skipped: r.skipped.Load(),
		LastError: r.lastErr, Phase: r.phase, Offset: r.offset.Load()}
}

func (r *Runner) setPhase(p string) {
	r.mu.Lock()
	if r.phase != PhaseDone {
		r.phase = p
	}
	r.mu.Unlock()
}

func (r *Runner) noteErr(err error) {
	r.mu.Lock()
	r.lastErr = err.Error()
	r.mu.Unlock()
}
