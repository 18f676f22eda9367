package instances

import (
	"fmt"
	"net/netip"

	"github.com/opendms/opendms/internal/dms"
)

// ipPool hands out broker IPs: every broker gets its own address from a prefix (default a /16 inside
// 127.0.0.0/8, which Linux routes to the loopback interface without configuration), so every broker
// can listen on the DMS ports and connect_address is "ip1,ip2,ip3" with port 9092.
type ipPool struct {
	prefix netip.Prefix
}

func newIPPool(cidr string) (ipPool, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return ipPool{}, fmt.Errorf("ip pool %q: %w", cidr, err)
	}
	if !p.Addr().Is4() || p.Bits() > 30 {
		return ipPool{}, fmt.Errorf("ip pool %q: need an IPv4 prefix of at least 4 addresses", cidr)
	}
	return ipPool{prefix: p.Masked()}, nil
}

// allocate picks n addresses: the requested ones first (each must be in the pool and free), then the
// lowest free ones. The network and broadcast addresses are never used.
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
		out = append(out, a)
	}
	for a := p.prefix.Addr().Next(); len(out) < n && p.usable(a); a = a.Next() {
		if !taken(a) {
			out = append(out, a)
		}
	}
	if len(out) < n {
		return nil, dms.Errorf(dms.CodeInsufficientIPs, "Insufficient IPs in the address pool %s for %d brokers.", p.prefix, n)
	}
	return out, nil
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
