package instances

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/opendms/opendms/internal/dms"
)

// A horizontal extension whose second new broker's address is taken by another process after it
// was allocated: the first new broker is already running on its own address (kfake AddNode), and
// its ports look busy because it holds them. Only the broker that does not run moves; the running
// one keeps its address, and the cluster is not reopened (the running brokers are not restarted).
func TestExtendMovesOnlyBrokersNotRunning(t *testing.T) {
	e := newServiceEnv(t)
	s, closeSvc := e.open(nil)
	defer closeSvc()
	ctx := context.Background()
	who := Actor{UserID: "u", UserName: "tester"}
	in, err := s.Create(ctx, "p", who, validRequest(e.cat))
	if err != nil {
		t.Fatal(err)
	}
	in = e.waitStatus(s, in.ID, dms.StatusRunning)
	before, err := e.engine.Status(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The new brokers get the pool's 4th and 5th addresses; the 5th is taken after allocation.
	first := netip.MustParsePrefix(e.pool).Addr().Next()
	fifth := first.Next().Next().Next().Next()
	var probes atomic.Int32
	s.pool.probe = func(a netip.Addr) error {
		if probes.Add(1) <= 2 { // the allocation's probes, before the address is taken
			return nil
		}
		return probePorts(a)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(fifth.String(), "9092"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	n := 5
	if _, err := s.Extend(ctx, "p", in.ID, who, ExtendRequest{OperType: OperHorizontal, NewBrokerNum: &n}); err != nil {
		t.Fatal(err)
	}
	accepted, err := s.Get(ctx, "p", in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if accepted.Brokers[4].Host != fifth.String() {
		t.Fatalf("new brokers allocated on %v, the test expects broker 4 on %s", hosts(accepted), fifth)
	}
	done := e.waitSettled(s, in.ID)
	if done.Status != dms.StatusRunning {
		t.Fatalf("extension ended %s: %s", done.Status, done.StatusReason)
	}
	if done.Brokers[3].Host != accepted.Brokers[3].Host {
		t.Errorf("broker 3 was running on %s (its own ports) but moved to %s", accepted.Brokers[3].Host, done.Brokers[3].Host)
	}
	if done.Brokers[4].Host == fifth.String() {
		t.Errorf("broker 4 stayed on the taken address %s", fifth)
	}
	after, err := e.engine.Status(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 5 || !after[0].Since.Equal(before[0].Since) {
		t.Errorf("the cluster was reopened (broker 0 running since %v, before %v) or has %d brokers", after[0].Since, before[0].Since, len(after))
	}
}

// A horizontal extension whose new broker can never start (its address stays taken, and the probe
// does not see it, so it is not moved) ends EXTENDEDFAILED. A restart, the way out, restarts only
// the serving brokers and ends RUNNING; the monitor finds the instance healthy (the unserved
// broker does not make it ERROR); once the address is free the extension is sent again and
// succeeds.
func TestFailedExtensionRestartClears(t *testing.T) {
	e := newServiceEnv(t)
	s, closeSvc := e.open(nil)
	defer closeSvc()
	ctx := context.Background()
	who := Actor{UserID: "u", UserName: "tester"}
	in, err := s.Create(ctx, "p", who, validRequest(e.cat))
	if err != nil {
		t.Fatal(err)
	}
	in = e.waitStatus(s, in.ID, dms.StatusRunning)
	fourth := netip.MustParsePrefix(e.pool).Addr().Next().Next().Next().Next()
	s.pool.probe = func(netip.Addr) error { return nil } // blind to the taken address: never moved
	ln, err := net.Listen("tcp", net.JoinHostPort(fourth.String(), "9092"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	n := 4
	extend := ExtendRequest{OperType: OperHorizontal, NewBrokerNum: &n}
	if _, err := s.Extend(ctx, "p", in.ID, who, extend); err != nil {
		t.Fatal(err)
	}
	failed := e.waitSettled(s, in.ID)
	if failed.Status != dms.StatusExtendFailed || len(failed.Brokers) != 4 || failed.BrokerNum != 3 || failed.Brokers[3].Host != fourth.String() {
		t.Fatalf("extension onto a taken address: %s (%s), brokers %v, broker_num %d", failed.Status, failed.StatusReason, hosts(failed), failed.BrokerNum)
	}

	if _, err := s.Restart(ctx, "p", in.ID, who); err != nil {
		t.Fatal(err)
	}
	restarted := e.waitSettled(s, in.ID)
	if restarted.Status != dms.StatusRunning {
		t.Fatalf("restart after the failed extension: %s (%s)", restarted.Status, restarted.StatusReason)
	}
	if problem := s.check(ctx, restarted); problem != "" {
		t.Fatalf("the monitor finds the restarted instance unhealthy: %s", problem)
	}
	if pre, err := s.ScalePreCheck(ctx, "p", in.ID); err != nil || !pre.Success {
		t.Fatalf("scale pre-check after the restart: %+v, %v", pre, err)
	}

	ln.Close()
	if _, err := s.Extend(ctx, "p", in.ID, who, extend); err != nil {
		t.Fatalf("extension sent again: %v", err)
	}
	done := e.waitSettled(s, in.ID)
	if done.Status != dms.StatusRunning || done.BrokerNum != 4 {
		t.Fatalf("extension sent again: %s (%s), broker_num %d", done.Status, done.StatusReason, done.BrokerNum)
	}
	if problem := s.check(ctx, done); problem != "" {
		t.Fatalf("after the extension: %s", problem)
	}
}
