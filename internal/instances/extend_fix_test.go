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
