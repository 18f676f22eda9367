package instances

import (
	"testing"

	"github.com/opendms/opendms/internal/dms"
)

// TestBrokerCapacity: one broker's share of storage_space is of broker_num brokers, whatever a
// failed horizontal extension recorded.
func TestBrokerCapacity(t *testing.T) {
	s := &Service{}
	for _, c := range []struct {
		name    string
		in      dms.Instance
		wantGiB int64
	}{
		{"3 brokers", dms.Instance{BrokerNum: 3, StorageSpace: 300, Brokers: make([]dms.BrokerAddr, 3)}, 100},
		{"5 recorded, broker_num 3 (failed extension)", dms.Instance{BrokerNum: 3, StorageSpace: 300, Brokers: make([]dms.BrokerAddr, 5)}, 100},
		{"no brokers", dms.Instance{StorageSpace: 300}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := s.BrokerCapacity(c.in); got != c.wantGiB<<30 {
				t.Errorf("BrokerCapacity = %d GiB, want %d", got>>30, c.wantGiB)
			}
		})
	}
}

// TestEnforceable: the statuses the capacity watcher acts in.
func TestEnforceable(t *testing.T) {
	for _, c := range []struct {
		in   dms.Instance
		want bool
	}{
		{dms.Instance{Status: dms.StatusRunning}, true},
		{dms.Instance{Status: dms.StatusExtendFailed}, true},
		{dms.Instance{Status: dms.StatusExtending}, false},
		{dms.Instance{Status: dms.StatusRestarting}, false},
		{dms.Instance{Status: dms.StatusCreating}, false},
		{dms.Instance{Status: dms.StatusUpgrading}, false},
		{dms.Instance{Status: dms.StatusError}, false},
		{dms.Instance{Status: dms.StatusRunning, Deleting: true}, false},
		{dms.Instance{Status: dms.StatusRunning, CreateFailed: true}, false},
	} {
		if got := Enforceable(c.in); got != c.want {
			t.Errorf("Enforceable(%s deleting=%v createFailed=%v) = %v, want %v", c.in.Status, c.in.Deleting, c.in.CreateFailed, got, c.want)
		}
	}
}
