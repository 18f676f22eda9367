package instances

import (
	"net/netip"
	"testing"
)

func TestIPPool(t *testing.T) {
	p, err := newIPPool("127.20.0.0/29") // .1-.6 usable
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	used := map[netip.Addr]bool{a("127.20.0.1"): true}
	tests := []struct {
		name      string
		n         int
		requested []netip.Addr
		want      []string
		wantErr   bool
	}{
		{"lowest free", 3, nil, []string{"127.20.0.2", "127.20.0.3", "127.20.0.4"}, false},
		{"requested first", 2, []netip.Addr{a("127.20.0.6")}, []string{"127.20.0.6", "127.20.0.2"}, false},
		{"requested in use", 1, []netip.Addr{a("127.20.0.1")}, nil, true},
		{"requested outside pool", 1, []netip.Addr{a("10.0.0.1")}, nil, true},
		{"broadcast refused", 1, []netip.Addr{a("127.20.0.7")}, nil, true},
		{"pool exhausted", 6, nil, nil, true},
		{"exactly the rest", 5, nil, []string{"127.20.0.2", "127.20.0.3", "127.20.0.4", "127.20.0.5", "127.20.0.6"}, false},
	}
	for _, tt := range tests {
		got, err := p.allocate(tt.n, tt.requested, used)
		if (err != nil) != tt.wantErr {
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
