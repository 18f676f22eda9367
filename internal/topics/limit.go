package topics

import (
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/keyed"
)

// The instance's partition limit (partition_num) is checked against the cluster's partitions, and
// the partitions are then created by the cluster: two steps. Requests at once would all count the
// same partitions and all pass (40 creations with room for 3 accepted up to 40). So a change is
// admitted in one step under the instance's lock (list the topics, count, check, claim its
// partitions), and the partitions it admits stay claimed, counted by every later admission, until
// every broker surely shows them. The call and its wait for leaders run outside the lock: the
// admissions of one instance are serialized, never behind a creation.
//
// A claim never counts twice (a topic counts max(listed, claimed)), so one kept after its
// partitions show costs nothing. One kept after its topic is gone refuses room that exists for a
// while: a deletion through the API forgets the claims of the topic; a deletion by a Kafka client
// within the grace of its creation is counted until the grace ends.

// Claim graces: how long the partitions of a change stay claimed after its Kafka call returned.
const (
	// doneGrace, after success: the call returns once one broker's metadata shows the partitions,
	// and the next listing may come from a broker that has not caught up yet (seen on Apache Kafka
	// right after a topic is re-created).
	doneGrace = 5 * time.Second
	// unknownGrace, when the outcome is unknown (a timeout, a retriable error, a wait for leaders
	// cut short): the cluster may still make them.
	unknownGrace = 30 * time.Second
)

// claims are the partitions admitted per instance and not yet surely visible.
type claims struct {
	locks keyed.Mutex // per instance: admissions one at a time (entries pruned when unused)

	mu         sync.Mutex
	byInstance map[string][]*claim // an instance is dropped with its last claim
}

// claim is one admitted change of one topic: the topic's partition count once it is done.
type claim struct {
	topic   string
	total   int
	settled bool // the call returned: the claim waits out its grace
}

// snapshot returns the instance's claims: topic -> the largest claimed partition count.
func (cs *claims) snapshot(instanceID string) map[string]int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := map[string]int{}
	for _, c := range cs.byInstance[instanceID] {
		out[c.topic] = max(out[c.topic], c.total)
	}
	return out
}

// counts returns the partitions of the listed user topics with claims applied: each topic counts
// the larger of what the cluster shows and what a claim on it will make.
func counts(ts []kafkaops.Topic, claimed map[string]int) map[string]int {
	out := map[string]int{}
	for _, t := range ts {
		if !t.Internal {
			out[t.Name] = len(t.Partitions)
		}
	}
	for topic, n := range claimed {
		out[topic] = max(out[topic], n)
	}
	return out
}

// add claims totals (topic -> partitions once done) and returns the function that releases them.
func (cs *claims) add(instanceID string, totals map[string]int) (release func(error)) {
	if len(totals) == 0 {
		return func(error) {}
	}
	var mine []*claim
	cs.mu.Lock()
	if cs.byInstance == nil {
		cs.byInstance = map[string][]*claim{}
	}
	for topic, total := range totals {
		c := &claim{topic: topic, total: total}
		mine = append(mine, c)
		cs.byInstance[instanceID] = append(cs.byInstance[instanceID], c)
	}
	cs.mu.Unlock()
	var once sync.Once
	return func(err error) {
		once.Do(func() {
			if refused(err) { // the partitions will not exist
				cs.drop(instanceID, mine)
				return
			}
			cs.mu.Lock()
			for _, c := range mine {
				c.settled = true
			}
			cs.mu.Unlock()
			grace := unknownGrace
			if err == nil {
				grace = doneGrace
			}
			time.AfterFunc(grace, func() { cs.drop(instanceID, mine) })
		})
	}
}

// refused says whether err is the cluster's answer that it did not make the change. Anything else
// (success, a timeout, a retriable error, a wait for leaders cut short) may have made it.
func refused(err error) bool {
	var ke *kerr.Error
	return err != nil && errors.As(err, &ke) && !ke.Retriable
}

// drop removes claims of an instance (the instance too, with its last claim).
func (cs *claims) drop(instanceID string, gone []*claim) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	kept := cs.byInstance[instanceID][:0]
	for _, c := range cs.byInstance[instanceID] {
		if !containsClaim(gone, c) {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		delete(cs.byInstance, instanceID)
		return
	}
	cs.byInstance[instanceID] = kept
}

// forget drops the settled claims of topics deleted through the API: a topic the cluster no longer
// has must not keep counting through its grace time.
func (cs *claims) forget(instanceID string, topics []string) {
	var gone []*claim
	cs.mu.Lock()
	for _, c := range cs.byInstance[instanceID] {
		for _, t := range topics {
			if c.settled && c.topic == t {
				gone = append(gone, c)
			}
		}
	}
	cs.mu.Unlock()
	if len(gone) > 0 {
		cs.drop(instanceID, gone)
	}
}

func containsClaim(cs []*claim, c *claim) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// admission is one change of an instance's partitions being admitted: it holds the instance's
// lock from lockAdmission until claim (or unlock, for a change refused before). The caller lists
// the cluster's topics and validates its change in between, so the count claim checks is of a
// listing no other admission of the instance can change meanwhile.
type admission struct {
	s       *Service
	in      dms.Instance
	unlock  func()
	claimed map[string]int // the claims when the lock was taken, before the listing
}

// lockAdmission starts the admission of a change of in's partitions. The caller defers unlock,
// which is harmless after claim.
//
// The claims are read before the caller lists the topics: a change that finishes in between drops
// its claim, and its partitions are then in the listing; one that finishes after the listing is in
// the claims read. Read after the listing, such a change would be in neither.
func (s *Service) lockAdmission(in dms.Instance) *admission {
	unlock := s.claims.locks.Lock(in.ID)
	return &admission{s: s, in: in, unlock: unlock, claimed: s.claims.snapshot(in.ID)}
}

// claim ends the admission: it refuses with DMS.111400860 a change that takes the instance beyond
// its partition_num, counting the listing ts and what earlier admissions claimed; else it claims
// totals (topic -> partitions once done: the topics the change creates or grows) and returns
// release, to be called with the change's outcome once the cluster has answered. The instance's
// lock is released either way: the Kafka call runs outside it.
func (a *admission) claim(ts []kafkaops.Topic, totals map[string]int) (release func(error), err error) {
	defer a.unlock()
	cs := &a.s.claims
	if err := a.s.checkQuota(a.in, counts(ts, a.claimed), totals); err != nil {
		return nil, err
	}
	return cs.add(a.in.ID, totals), nil
}

// checkQuota refuses a change that adds partitions beyond the instance's partition_num. counts are
// the partitions of the user topics (internal topics do not count against partition_num), totals
// the counts the change gives topics.
func (s *Service) checkQuota(in dms.Instance, counts map[string]int, totals map[string]int) error {
	used, adding := 0, 0
	for _, n := range counts {
		used += n
	}
	for topic, n := range totals {
		adding += max(0, n-counts[topic])
	}
	limit := s.partitionLimit(in)
	if limit > 0 && adding > 0 && used+adding > limit {
		return dms.Errorf(dms.CodePartitionQuota, "Instance partition is not enough: %d partitions are used of the instance's %d, and %d more were asked for.", used, limit, adding)
	}
	return nil
}
