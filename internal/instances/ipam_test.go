package instances

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/tasks"
)

func TestIPPool(t *testing.T) {
	p, err := newIPPool("127.20.0.0/29") // .1-.6 usable
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	used := map[netip.Addr]bool{a("127.20.0.1"): true}
	// 127.20.0.3 has a port held by another process.
	p.probe = func(x netip.Addr) error {
		if x == a("127.20.0.3") {
			return &net.OpError{Op: "listen", Net: "tcp", Addr: &net.TCPAddr{IP: x.AsSlice(), Port: 9092}, Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
		}
		return nil
	}
	tests := []struct {
		name      string
		n         int
		requested []netip.Addr
		want      []string
		wantErr   string
	}{
		{"lowest free, skipping a busy port", 3, nil, []string{"127.20.0.2", "127.20.0.4", "127.20.0.5"}, ""},
		{"requested first", 2, []netip.Addr{a("127.20.0.6")}, []string{"127.20.0.6", "127.20.0.2"}, ""},
		{"requested in use", 1, []netip.Addr{a("127.20.0.1")}, nil, "already used by another instance"},
		{"requested with a busy port", 1, []netip.Addr{a("127.20.0.3")}, nil, "127.20.0.3:9092 is in use by another process"},
		{"requested outside pool", 1, []netip.Addr{a("10.0.0.1")}, nil, "not in the address pool"},
		{"broadcast refused", 1, []netip.Addr{a("127.20.0.7")}, nil, "not in the address pool"},
		{"pool exhausted", 5, nil, nil, "1 addresses skipped: their ports are in use or cannot be listened on, e.g. 127.20.0.3:9092 is in use by another process"},
		{"exactly the rest", 4, nil, []string{"127.20.0.2", "127.20.0.4", "127.20.0.5", "127.20.0.6"}, ""},
	}
	for _, tt := range tests {
		got, err := p.allocate(tt.n, tt.requested, used)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want one with %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		for i, w := range tt.want {
			if got[i].String() != w {
				t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}
	if _, err := newIPPool("::1/128"); err == nil {
		t.Error("IPv6 pool accepted")
	}
}

// TestBusyAddressSkipped: another process (here this test; in the issue a second dmsd sharing the
// pool) holds port 9092 of the pool's first address; a new instance's brokers get other addresses and
// the instance runs.
func TestBusyAddressSkipped(t *testing.T) {
	e := newServiceEnv(t)
	first := netip.MustParsePrefix(e.pool).Addr().Next()
	ln, err := net.Listen("tcp", net.JoinHostPort(first.String(), "9092"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, closeSvc := e.open(nil)
	defer closeSvc()
	in, err := s.Create(context.Background(), "p", Actor{UserID: "u", UserName: "tester"}, validRequest(e.cat))
	if err != nil {
		t.Fatal(err)
	}
	in = e.waitStatus(s, in.ID, dms.StatusRunning)
	for _, b := range in.Brokers {
		if b.Host == first.String() {
			t.Fatalf("broker %d got %s, whose port 9092 is in use", b.ID, b.Host)
		}
	}
}

// TestBusyAddressAtStart: an address free when allocated is taken before its broker starts (the probe
// is made to miss it, as a race with another dmsd would): the creation moves that broker to a free
// address and the instance runs; when the address cannot be told busy (the probe always misses it),
// the creation fails and its reason names the address.
func TestBusyAddressAtStart(t *testing.T) {
	for _, c := range []struct {
		name       string
		misses     int64 // probes that say "free" whatever the truth; -1: all of them
		wantStatus string
	}{
		{"moved to a free address", 3, dms.StatusRunning}, // the 3 probes of the allocation
		{"busy address named", -1, dms.StatusError},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newServiceEnv(t)
			first := netip.MustParsePrefix(e.pool).Addr().Next()
			busy := net.JoinHostPort(first.String(), "9092")
			ln, err := net.Listen("tcp", busy)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			s, closeSvc := e.open(nil)
			defer closeSvc()
			var probes atomic.Int64
			s.pool.probe = func(a netip.Addr) error {
				if n := probes.Add(1); c.misses < 0 || n <= c.misses {
					return nil
				}
				return probePorts(a)
			}
			in, err := s.Create(context.Background(), "p", Actor{UserID: "u", UserName: "tester"}, validRequest(e.cat))
			if err != nil {
				t.Fatal(err)
			}
			if in.Brokers[0].Host != first.String() {
				t.Fatalf("broker 0 allocated %s, want the busy %s (the probe should have missed it)", in.Brokers[0].Host, first)
			}
			in = e.waitStatus(s, in.ID, c.wantStatus)
			switch c.wantStatus {
			case dms.StatusRunning:
				for _, b := range in.Brokers {
					if b.Host == first.String() {
						t.Fatalf("broker %d still on the busy %s", b.ID, b.Host)
					}
				}
			case dms.StatusError:
				if !strings.Contains(in.StatusReason, busy) {
					t.Fatalf("failure reason %q does not name %s", in.StatusReason, busy)
				}
				t.Logf("failure reason: %s", in.StatusReason)
			}
		})
	}
}

// bindFailing is an engine whose brokers start and exit at once, unable to bind their address (as a
// local-engine broker does when another process takes its port between the check and the bind).
type bindFailing struct{ engine.Engine }

func (bindFailing) Ensure(context.Context, engine.Spec) error { return nil }
func (bindFailing) Status(_ context.Context, id string) ([]engine.BrokerState, error) {
	return []engine.BrokerState{{ID: 0, Running: true}, {ID: 1, Restarts: 2,
		LastExit: "restart failed: local engine: broker 1: 127.20.0.2:9092 is in use by a process that is not this broker"}}, nil
}

// TestBrokerExitInFailureReason: a creation whose brokers do not register fails with the brokers'
// last exits in its reason, which name the busy address.
func TestBrokerExitInFailureReason(t *testing.T) {
	e := newServiceEnv(t)
	runner := tasks.New(e.store, e.log)
	defer runner.Close()
	sealer, _ := iam.NewSealer(bytes.Repeat([]byte{1}, 32))
	s, err := New(Config{DataDir: filepath.Join(e.dir, "instances"), IPPool: e.pool, ReadyTimeout: 500 * time.Millisecond},
		e.store, map[string]engine.Engine{"embedded": bindFailing{e.engine}}, "embedded", e.cat, runner, sealer, e.log)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in, err := s.Create(context.Background(), "p", Actor{UserID: "u", UserName: "tester"}, validRequest(e.cat))
	if err != nil {
		t.Fatal(err)
	}
	in = e.waitStatus(s, in.ID, dms.StatusError)
	if want := "127.20.0.2:9092 is in use"; !strings.Contains(in.StatusReason, want) {
		t.Fatalf("failure reason %q does not say %q", in.StatusReason, want)
	}
	t.Logf("failure reason: %s", in.StatusReason)
}

// BenchmarkProbePorts measures the probe of one address (a listen on each broker port), which
// allocation makes for every address it hands out:
// go test -run '^$' -bench ProbePorts ./internal/instances/
func BenchmarkProbePorts(b *testing.B) {
	a := netip.MustParseAddr("127.20.255.254")
	for b.Loop() {
		if err := probePorts(a); err != nil {
			b.Fatal(err)
		}
	}
}
