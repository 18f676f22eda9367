package kafkaops

import (
	"slices"
	"testing"
)

// The throttle of a move, as kafka-reassign-partitions computes it: leaders are the current
// replicas of moved partitions, followers the added ones, the brokers all of them.
func TestThrottleOf(t *testing.T) {
	th := ThrottleOf(1000, []Reassignment{
		{Topic: "a", Partition: 0, Replicas: []int32{2, 0}},
		{Topic: "a", Partition: 10, Replicas: []int32{1, 3}},
		{Topic: "b", Partition: 1, Replicas: []int32{1, 0}}, // a new order only
	}, map[string]map[int32][]int32{"a": {0: {0, 1}, 10: {1, 2}}, "b": {1: {0, 1}}})
	if !slices.Equal(th.Brokers, []int32{0, 1, 2, 3}) || th.Rate != 1000 {
		t.Errorf("brokers %v rate %d", th.Brokers, th.Rate)
	}
	if got := th.Leaders["a"]; !slices.Equal(got, []string{"0:0", "0:1", "10:1", "10:2"}) {
		t.Errorf("leaders of a %v", got)
	}
	if got := th.Followers["a"]; !slices.Equal(got, []string{"0:2", "10:3"}) {
		t.Errorf("followers of a %v", got)
	}
	if got := th.Followers["b"]; len(got) != 0 {
		t.Errorf("followers of b %v", got)
	}
	if !slices.Equal(th.Topics(), []string{"a", "b"}) {
		t.Errorf("topics %v", th.Topics())
	}
}

// Adding and taking away a throttle's entries keeps what others set.
func TestThrottleEntries(t *testing.T) {
	for _, tc := range []struct {
		name, cur string
		ours      []string
		was       string
		union     string
		subtract  string // from union, with was as the value before
	}{
		{"nothing before", "", []string{"0:1", "0:2"}, "", "0:1,0:2", ""},
		{"a user's entry kept", "1:2", []string{"0:1"}, "1:2", "0:1,1:2", "1:2"},
		{"an entry ours and the user's", "0:1", []string{"0:1", "0:2"}, "0:1", "0:1,0:2", "0:1"},
		{"every replica throttled already", "*", []string{"0:1"}, "*", "*", "*"},
		{"partitions in number order", "10:0", []string{"2:1"}, "10:0", "2:1,10:0", "10:0"},
		{"again: no change", "0:1,0:2", []string{"0:1"}, "", "0:1,0:2", "0:2"},
	} {
		u := unionEntries(tc.cur, tc.ours)
		if u != tc.union {
			t.Errorf("%s: union %q, want %q", tc.name, u, tc.union)
		}
		if s := subtractEntries(u, tc.ours, tc.was); s != tc.subtract {
			t.Errorf("%s: subtract %q, want %q", tc.name, s, tc.subtract)
		}
	}
}

// A throttle naming a broker that is down (a move off a dead broker) is read, set and removed on
// the brokers registered now: the dead one is skipped, not asked (a broker's config goes through
// that broker, which does not answer).
func TestThrottleSkipsBrokerDown(t *testing.T) {
	kc, cl := newCluster(t, 3, nil)
	createTopic(t, cl, "t", 1, 1)
	if err := kc.RemoveNode(2); err != nil {
		t.Fatal(err)
	}
	th := Throttle{Rate: 1000, Brokers: []int32{0, 1, 2},
		Leaders: map[string][]string{"t": {"0:2"}}, Followers: map[string][]string{"t": {"0:0", "0:1"}}}
	prior, err := cl.ReadThrottleConfigs(testCtx(t), th.Brokers, th.Topics())
	if err != nil {
		t.Fatalf("read before: %v", err)
	}
	if len(prior.BrokerRates) != 0 || len(prior.Topics) != 0 {
		t.Fatalf("before: %+v", prior)
	}
	if err := cl.ApplyThrottle(testCtx(t), th); err != nil {
		t.Fatalf("apply: %v", err)
	}
	during, err := cl.ReadThrottleConfigs(testCtx(t), th.Brokers, th.Topics())
	if err != nil {
		t.Fatalf("read during: %v", err)
	}
	want := ThrottlePair{Leader: "1000", Follower: "1000"}
	if during.BrokerRates[0] != want || during.BrokerRates[1] != want || len(during.BrokerRates) != 2 {
		t.Errorf("during: broker rates %+v, want %+v on 0 and 1", during.BrokerRates, want)
	}
	if got := during.Topics["t"]; got != (ThrottlePair{Leader: "0:2", Follower: "0:0,0:1"}) {
		t.Errorf("during: topic throttle %+v", got)
	}
	if err := cl.RemoveThrottle(testCtx(t), th, prior); err != nil {
		t.Fatalf("remove: %v", err)
	}
	after, err := cl.ReadThrottleConfigs(testCtx(t), th.Brokers, th.Topics())
	if err != nil {
		t.Fatalf("read after: %v", err)
	}
	if len(after.BrokerRates) != 0 || len(after.Topics) != 0 {
		t.Errorf("after: %+v", after)
	}
}
