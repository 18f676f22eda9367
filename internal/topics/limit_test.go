package topics

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
)

// TestPartitionClaims follows an instance of partition_num 10 through admissions and their
// outcomes: claimed partitions count until refused, or through their grace (until a deletion
// through the API), nothing counts twice, and no claim or lock is left at the end.
func TestPartitionClaims(t *testing.T) {
	s := &Service{}
	in := dms.Instance{ID: "i-1", LegacySpecification: "100MB", LegacyPartitionNum: 10} // a V1 instance: its own limit
	topic := func(name string, n int) kafkaops.Topic {
		return kafkaops.Topic{Name: name, Partitions: make([]kafkaops.Partition, n)}
	}
	// The cluster: "a" with 4 partitions and an internal topic, which does not count.
	listed := []kafkaops.Topic{topic("a", 4), {Name: "__consumer_offsets", Internal: true, Partitions: make([]kafkaops.Partition, 50)}}
	releases := map[string]func(error){}
	unknown := fmt.Errorf("waiting for topic c: %w", context.DeadlineExceeded)
	for _, st := range []struct {
		name    string
		claim   map[string]int // admit this change (nil: no admission)
		listed  []kafkaops.Topic
		want    string           // the DMS code of the admission, "" when admitted
		release string           // then release this earlier admission
		outcome error            // with this outcome
		forget  string           // or forget this topic (deleted through the API)
		check   func(*testing.T) // then check
	}{
		{name: "b: 4 + 3 fits", claim: map[string]int{"b": 3}},
		{name: "c: 4 + 3 claimed + 3 fits exactly", claim: map[string]int{"c": 3}},
		{name: "d: one more is refused", claim: map[string]int{"d": 1}, want: dms.CodePartitionQuota},
		{name: "growing a is refused", claim: map[string]int{"a": 5}, want: dms.CodePartitionQuota},
		{name: "b again (Kafka will refuse the duplicate) adds nothing", claim: map[string]int{"b": 3}},
		{name: "b refused by the cluster", release: "b: 4 + 3 fits", outcome: kerr.TopicAlreadyExists},
		{name: "b again, refused too", release: "b again (Kafka will refuse the duplicate) adds nothing", outcome: kerr.TopicAlreadyExists},
		{name: "d fits now", claim: map[string]int{"d": 1}},
		{name: "c's outcome unknown: still claimed", release: "c: 4 + 3 claimed + 3 fits exactly", outcome: unknown},
		{name: "e: 4 + 3 + 1 + 3 is refused", claim: map[string]int{"e": 3}, want: dms.CodePartitionQuota},
		{name: "a retriable error keeps the claim too", claim: map[string]int{"f": 1}},
		{name: "f timed out", release: "a retriable error keeps the claim too", outcome: kerr.RequestTimedOut},
		{name: "c deleted through the API", forget: "c"},
		{name: "f deleted through the API", forget: "f"},
		{name: "e fits now", claim: map[string]int{"e": 3}},
		{name: "d done, claimed and listed: counted once", release: "d fits now", outcome: nil,
			listed: []kafkaops.Topic{topic("a", 4), topic("d", 1)}},
		{name: "g fits: 4 + 1 + 3 (e claimed) + 2", claim: map[string]int{"g": 2}},
		{name: "g done", release: "g fits: 4 + 1 + 3 (e claimed) + 2"},
		{name: "a claim under what is listed counts the listing", claim: map[string]int{"d": 1},
			listed: []kafkaops.Topic{topic("a", 4), topic("d", 2), topic("e", 3)}},
		{name: "h: 4 + 2 + 3 + 2 (g claimed, not listed yet) is refused", claim: map[string]int{"h": 1}, want: dms.CodePartitionQuota},
		{name: "e done", release: "e fits now"},
		{name: "d again done", release: "a claim under what is listed counts the listing"},
		{name: "d, e, g deleted through the API", forget: "d,e,g", check: func(t *testing.T) {
			if n := len(s.claims.byInstance); n != 0 {
				t.Errorf("%d instances with claims left, want 0", n)
			}
			if n := s.claims.locks.Len(); n != 0 {
				t.Errorf("%d locks left, want 0", n)
			}
		}},
	} {
		if st.listed != nil {
			listed = st.listed
		}
		if st.claim != nil {
			adm := s.lockAdmission(in)
			release, err := adm.claim(listed, st.claim)
			adm.unlock()
			if got := code(err); got != st.want {
				t.Fatalf("%s: %q (%v), want %q", st.name, got, err, st.want)
			}
			releases[st.name] = release
		}
		if st.release != "" {
			release := releases[st.release]
			if release == nil {
				t.Fatalf("%s: no admission %q to release", st.name, st.release)
			}
			release(st.outcome)
		}
		if st.forget != "" {
			s.claims.forget(in.ID, strings.Split(st.forget, ","))
		}
		if st.check != nil {
			st.check(t)
		}
	}
}

// TestPartitionClaimsFinishDuringListing: a change whose claim ends while another admission lists
// the topics (after its lock, before its count) counts for that admission, though the listing may
// not show it yet: the admission counts the claims as they were when it took the lock.
func TestPartitionClaimsFinishDuringListing(t *testing.T) {
	s := &Service{}
	in := dms.Instance{ID: "i-1", LegacySpecification: "100MB", LegacyPartitionNum: 10}
	before := []kafkaops.Topic{{Name: "a", Partitions: make([]kafkaops.Partition, 4)}} // b not shown yet
	a := s.lockAdmission(in)
	releaseB, err := a.claim(before, map[string]int{"b": 3})
	if err != nil {
		t.Fatal(err)
	}
	next := s.lockAdmission(in)
	defer next.unlock()
	releaseB(nil)                                                  // b is created
	s.claims.drop(in.ID, slices.Clone(s.claims.byInstance[in.ID])) // and its grace ends while next lists
	if _, err := next.claim(before, map[string]int{"c": 4}); code(err) != dms.CodePartitionQuota {
		t.Errorf("c: %v, want %s (4 listed + 3 of b + 4 > 10)", err, dms.CodePartitionQuota)
	}
}
