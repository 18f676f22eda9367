package instances

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
)

// ipPool hands out broker IPs: every broker gets its own address from a prefix (default a /16 inside
// 127.0.0.0/8, which Linux routes to the loopback interface without configuration), so every broker
// can listen on the DMS ports and connect_address is "ip1,ip2,ip3" with port 9092.
type ipPool struct {
	prefix netip.Prefix
	// probe fails when a broker could not listen on addr (probePorts; a test may replace it).
	probe func(addr netip.Addr) error
}

func newIPPool(cidr string) (ipPool, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return ipPool{}, fmt.Errorf("ip pool %q: %w", cidr, err)
	}
	if !p.Addr().Is4() || p.Bits() > 30 {
		return ipPool{}, fmt.Errorf("ip pool %q: need an IPv4 prefix of at least 4 addresses", cidr)
	}
	return ipPool{prefix: p.Masked(), probe: probePorts}, nil
}

// probePorts fails when another process holds one of the broker ports on addr (the metadata store
// only knows this dmsd's instances: another dmsd on the same host and pool, or any program, may
// hold an address), or when addr cannot be listened on at all.
func probePorts(addr netip.Addr) error {
	return engine.ListenFree(addr.String(), engine.AllBrokerPorts)
}

// allocate picks n addresses: the requested ones first (each must be in the pool, not used by an
// instance, and have its ports free), then the lowest free ones. The network and broadcast addresses
// are never used.
func (p ipPool) allocate(n int, requested []netip.Addr, used map[netip.Addr]bool) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, n)
	taken := func(a netip.Addr) bool { return used[a] || containsAddr(out, a) }
	for _, a := range requested {
		if !p.usable(a) {
			return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: tenant_ips: %s is not in the address pool %s.", a, p.prefix)
		}
		if taken(a) {
			return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: tenant_ips: %s is already used by another instance.", a)
		}
		if err := p.probe(a); err != nil {
			return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: tenant_ips: %s cannot be used by a broker: %s.", a, portError(err))
		}
		out = append(out, a)
	}
	var skipped int
	var lastErr error
	for a := p.prefix.Addr().Next(); len(out) < n && p.usable(a); a = a.Next() {
		if taken(a) {
			continue
		}
		if err := p.probe(a); err != nil {
			skipped, lastErr = skipped+1, err
			continue
		}
		out = append(out, a)
	}
	if len(out) < n {
		if lastErr != nil {
			return nil, dms.Errorf(dms.CodeInsufficientIPs, "Insufficient IPs in the address pool %s for %d brokers (%d addresses skipped: their ports are in use or cannot be listened on, e.g. %s).", p.prefix, n, skipped, portError(lastErr))
		}
		return nil, dms.Errorf(dms.CodeInsufficientIPs, "Insufficient IPs in the address pool %s for %d brokers.", p.prefix, n)
	}
	return out, nil
}

// portError says why a probe failed, naming the address and port.
func portError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return op.Addr.String() + " is in use by another process"
		}
		return op.Addr.String() + ": " + op.Err.Error()
	}
	return err.Error()
}

func (p ipPool) usable(a netip.Addr) bool {
	if !p.prefix.Contains(a) || a == p.prefix.Addr() {
		return false
	}
	// The last address of the prefix is its broadcast address.
	last := a.Next()
	return last.IsValid() && p.prefix.Contains(last)
}

func containsAddr(s []netip.Addr, a netip.Addr) bool {
	for _, x := range s {
		if x == a {
			return true
		}
	}
	return false
}

// maxAddrRetries is how many times a creation moves its brokers to other addresses after finding one
// in use when the brokers start.
const maxAddrRetries = 3

// ensureNew runs a new instance's cluster (the creation task). An address that was free when it
// was allocated may be taken before its broker starts (another dmsd sharing the pool allocates the
// same lowest free address at the same time, or any program binds it): the engine then fails with
// "address in use" before starting anything, and the instance's brokers on busy addresses move to
// free ones and the cluster is started again, up to maxAddrRetries times. in is updated to the
// stored instance.
func (s *Service) ensureNew(ctx context.Context, in *dms.Instance) error {
	for attempt := 1; ; attempt++ {
		err := s.ensure(ctx, *in)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || ctx.Err() != nil {
			return err
		}
		if attempt > maxAddrRetries {
			return fmt.Errorf("%w (%d attempts; between attempts, brokers on an address found in use move to a free one)", err, maxAddrRetries+1)
		}
		moved, merr := s.moveBusyBrokers(ctx, in.ID, nil)
		if merr != nil {
			return fmt.Errorf("%w (moving the brokers to free addresses failed: %v)", err, merr)
		}
		s.log.Warn("a broker address of a new instance is in use: moved its brokers to free addresses", "instance", in.ID, "err", err, "from", hosts(*in), "to", hosts(moved))
		s.dropClient(in.ID) // a client made for the old addresses
		*in = moved
	}
}

// moveBusyBrokers gives every broker of the instance (of those only selects, nil: all) whose address
// has a port in use a free address of the pool, and stores the instance. An extension selects its
// new brokers that the engine does not run: running brokers hold their own ports, which the probe
// cannot tell from another process's.
func (s *Service) moveBusyBrokers(ctx context.Context, id string, only func(dms.BrokerAddr) bool) (dms.Instance, error) {
	return s.update(ctx, id, func(in *dms.Instance) error { // under s.mu, like allocateAndStore
		used, err := s.usedAddrs(ctx)
		if err != nil {
			return err
		}
		var busy []int
		for i, b := range in.Brokers {
			if only != nil && !only(b) {
				continue
			}
			if a, err := netip.ParseAddr(b.Host); err != nil || s.pool.probe(a) != nil {
				busy = append(busy, i)
			}
		}
		if len(busy) == 0 {
			return nil // freed meanwhile: start again on the same addresses
		}
		ips, err := s.pool.allocate(len(busy), nil, used)
		if err != nil {
			return err
		}
		for j, i := range busy {
			in.Brokers[i].Host = ips[j].String()
		}
		return nil
	})
}

func hosts(in dms.Instance) []string {
	out := make([]string, len(in.Brokers))
	for i, b := range in.Brokers {
		out[i] = b.Host
	}
	return out
}

// brokerExits says how the brokers of in that are not running last ended (e.g. a broker of the local
// engine that cannot bind its address: "Socket server failed to bind to 127.20.0.1:9092: Address
// already in use"), for the failure reason of an instance whose brokers did not all register; "" if
// the engine tells nothing.
func (s *Service) brokerExits(in dms.Instance) string {
	e, err := s.engineOf(in)
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	states, err := e.Status(ctx, in.ID)
	if err != nil {
		return ""
	}
	var out strings.Builder
	for _, b := range states {
		if b.Running || b.LastExit == "" {
			continue
		}
		host := ""
		if int(b.ID) < len(in.Brokers) {
			host = " (" + in.Brokers[b.ID].Host + ")"
		}
		fmt.Fprintf(&out, "; broker %d%s: %s", b.ID, host, b.LastExit)
	}
	return out.String()
}
