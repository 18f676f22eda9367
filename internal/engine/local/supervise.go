package local

import (
	"sync"
	"time"

	"github.com/opendms/opendms/internal/engine"
)

// broker is one node of an instance and its supervisor.
type broker struct {
	id      int32
	inst    *instance
	dir     string
	props   string // server.properties: also the marker on the JVM's command line
	pidFile string
	// restart, when set, starts the process again after a crash (Connect workers); nil means
	// restartJVM (a broker).
	restart func() (*proc, error)
	kind    string // what it is in log messages: "broker" or "connect worker"

	mu       sync.Mutex
	cur      *proc // the running process, nil while none
	restarts int
	lastExit string
	sup      *supervisor // nil when not supervised
}

// supervisor is the goroutine that watches and restarts one broker.
type supervisor struct {
	quit      chan struct{} // closed to end it
	terminate bool          // on quit: stop the process (true) or leave it running (false); set before quit closes
	timeout   time.Duration // with terminate: the graceful-stop bound before SIGKILL (0: SIGKILL at once)
	done      chan struct{} // closed when it has ended
}

func (b *broker) kindName() string {
	if b.kind == "" {
		return "broker"
	}
	return b.kind
}

func (b *broker) supervised() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sup != nil
}

func (b *broker) state() engine.BrokerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := engine.BrokerState{ID: b.id, Restarts: b.restarts, LastExit: b.lastExit}
	if b.cur != nil && b.cur.alive() {
		st.Running, st.PID, st.Since = true, b.cur.pid, b.cur.started
	}
	return st
}

// stopSupervising ends b's supervisor; with terminate it also stops the process gracefully (SIGKILL
// after timeout), else the process is left running. It returns once the supervisor has ended.
func (b *broker) stopSupervising(terminate bool, timeout time.Duration) {
	b.mu.Lock()
	s := b.sup
	if s == nil {
		b.mu.Unlock()
		return
	}
	select {
	case <-s.quit: // already being stopped; a terminate request wins over a detach
	default:
		s.terminate, s.timeout = terminate, timeout
		close(s.quit)
	}
	b.mu.Unlock()
	<-s.done
}

// supervise starts the supervisor of b, which runs p. After Close it only releases p (left running).
func (e *Engine) supervise(b *broker, p *proc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		p.release()
		return
	}
	s := &supervisor{quit: make(chan struct{}), done: make(chan struct{})}
	b.mu.Lock()
	b.cur, b.sup = p, s
	b.mu.Unlock()
	go e.superviseLoop(b, s, p)
}

func (e *Engine) superviseLoop(b *broker, s *supervisor, p *proc) {
	defer close(s.done)
	defer func() {
		b.mu.Lock()
		b.sup = nil
		b.mu.Unlock()
	}()
	inst := b.inst.id
	kind := b.kindName()
	key := "broker"
	if b.kind != "" {
		key = "worker"
	}
	delay := e.opts.BackoffMin
	for {
		// Running: wait for the process to exit or to be told to stop.
		select {
		case <-s.quit:
			b.mu.Lock()
			term, timeout := s.terminate, s.timeout
			b.mu.Unlock()
			if term {
				how := p.terminate(timeout)
				b.mu.Lock()
				b.cur, b.lastExit = nil, "stopped: "+how
				b.mu.Unlock()
				e.log.Info("stopped "+kind, "instance", inst, key, b.id, "pid", p.pid, "exit", how)
			}
			p.release()
			return
		case <-p.exited:
		}
		uptime := time.Since(p.started)
		p.release()
		exit := p.exitReason()
		b.mu.Lock()
		b.cur, b.lastExit = nil, exit
		b.mu.Unlock()
		if uptime >= e.opts.BackoffReset {
			delay = e.opts.BackoffMin
		}
		e.log.Warn(kind+" exited unexpectedly", "instance", inst, key, b.id, "pid", p.pid, "exit", exit, "uptime", uptime.Round(time.Second), "restart_in", delay)

		// Backoff, then restart; a failed start backs off again.
		for {
			t := time.NewTimer(delay)
			select {
			case <-s.quit:
				t.Stop()
				return
			case <-t.C:
			}
			delay = min(2*delay, e.opts.BackoffMax)
			var np *proc
			var err error
			if b.restart != nil {
				np, err = b.restart()
			} else {
				np, err = e.restartJVM(b)
			}
			b.mu.Lock()
			b.restarts++
			if err != nil {
				b.lastExit = "restart failed: " + err.Error()
				b.mu.Unlock()
				e.log.Error("restarting "+kind+" failed", "instance", inst, key, b.id, "err", err, "retry_in", delay)
				continue
			}
			b.cur = np
			b.mu.Unlock()
			e.log.Info("restarted "+kind+" after a crash", "instance", inst, key, b.id, "pid", np.pid)
			p = np
			break
		}
	}
}
