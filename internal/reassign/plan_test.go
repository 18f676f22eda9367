package reassign

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
)

func p32(v int32) *int32 { return &v }

// testView is a cluster of brokers 0-3: topic "a" of 4 partitions and "b" of 2, both rf 2, all on
// brokers 0 and 1 (skewed), 1 MiB per partition of "a", 3 MiB per partition of "b".
func testView() layoutView {
	v := layoutView{brokers: []int32{0, 1, 2, 3}, topics: map[string]kafkaops.Topic{}, sizes: map[tp]int64{}}
	for _, t := range []struct {
		name string
		n    int32
		size int64
	}{{"a", 4, 1 << 20}, {"b", 2, 3 << 20}} {
		top := kafkaops.Topic{Name: t.name}
		for p := range t.n {
			top.Partitions = append(top.Partitions, kafkaops.Partition{ID: p, Leader: p % 2, Replicas: []int32{p % 2, 1 - p%2}})
			v.sizes[tp{t.name, p}] = t.size
		}
		v.topics[t.name] = top
	}
	return v
}

func manualEntry(topic string, plan ...[]int32) Entry {
	e := Entry{Topic: topic}
	for p, rs := range plan {
		if rs != nil {
			e.Assignment = append(e.Assignment, Assignment{Partition: p32(int32(p)), Brokers: rs})
		}
	}
	return e
}

func TestBuildPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  Request
		code string
	}{
		{"no reassignments", Request{}, dms.CodeInvalidParameter},
		{"no topic name", Request{Reassignments: []Entry{{Brokers: []int32{0}}}}, dms.CodeInvalidParameter},
		{"unknown topic", Request{Reassignments: []Entry{manualEntry("zz", []int32{0, 1})}}, dms.CodeTopicNotExist},
		{"topic twice", Request{Reassignments: []Entry{manualEntry("a", []int32{0, 1}), manualEntry("a", []int32{1, 0})}}, dms.CodeInvalidParameter},
		{"neither brokers nor assignment", Request{Reassignments: []Entry{{Topic: "a"}}}, dms.CodeInvalidParameter},
		{"assignment without partition", Request{Reassignments: []Entry{{Topic: "a", Assignment: []Assignment{{Brokers: []int32{0, 1}}}}}}, dms.CodeInvalidParameter},
		{"partition twice", Request{Reassignments: []Entry{{Topic: "a", Assignment: []Assignment{{p32(0), []int32{0, 1}}, {p32(0), []int32{2, 3}}}}}}, dms.CodeInvalidParameter},
		{"no such partition", Request{Reassignments: []Entry{manualEntry("b", nil, nil, []int32{0, 1})}}, dms.CodeInvalidParameter},
		{"empty replicas", Request{Reassignments: []Entry{manualEntry("a", []int32{})}}, dms.CodeInvalidParameter},
		{"replicas over brokers", Request{Reassignments: []Entry{manualEntry("b", []int32{0, 1, 2, 3, 0}, []int32{1, 2, 3, 0, 1})}}, dms.CodeTopicReplicaTooMany},
		{"unknown broker", Request{Reassignments: []Entry{manualEntry("a", []int32{0, 9})}}, dms.CodeInvalidParameter},
		{"broker twice", Request{Reassignments: []Entry{manualEntry("a", []int32{2, 2})}}, dms.CodeInvalidParameter},
		{"uneven", Request{Reassignments: []Entry{manualEntry("b", []int32{0, 1, 2})}}, dms.CodeInvalidParameter},
		{"automatic rf over brokers", Request{Reassignments: []Entry{{Topic: "a", Brokers: []int32{2, 3}, ReplicationFactor: 3}}}, dms.CodeTopicReplicaTooMany},
		{"automatic current rf over brokers", Request{Reassignments: []Entry{{Topic: "a", Brokers: []int32{3}}}}, dms.CodeTopicReplicaTooMany},
		{"automatic negative rf", Request{Reassignments: []Entry{{Topic: "a", Brokers: []int32{2, 3}, ReplicationFactor: -1}}}, dms.CodeTopicReplicaInvalid},
		{"automatic unknown broker", Request{Reassignments: []Entry{{Topic: "a", Brokers: []int32{2, 8}}}}, dms.CodeInvalidParameter},
		{"automatic broker twice", Request{Reassignments: []Entry{{Topic: "a", Brokers: []int32{2, 2, 3}}}}, dms.CodeInvalidParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildPlan(tc.req, testView())
			var de *dms.Error
			if !errors.As(err, &de) || de.Code != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			t.Log(err)
		})
	}
}

func TestBuildPlanManual(t *testing.T) {
	// Partition 0 moves to 2,3; partition 1 only changes its leader; partition 2 stays.
	plan, err := buildPlan(Request{Reassignments: []Entry{manualEntry("a", []int32{2, 3}, []int32{0, 1}, []int32{0, 1})}}, testView())
	if err != nil {
		t.Fatal(err)
	}
	moves := plan.Moves()
	if plan.Partitions != 2 || len(moves) != 2 || plan.BytesToMove != 2<<20 {
		t.Fatalf("plan %+v", plan)
	}
	// The copying move first, then the leadership-only one.
	if m := moves[0]; m.Partition != 0 || !slices.Equal(m.From, []int32{0, 1}) || !slices.Equal(m.To, []int32{2, 3}) || m.Size != 1<<20 || m.Bytes() != 2<<20 {
		t.Errorf("first move %+v", m)
	}
	if m := moves[1]; m.Partition != 1 || !slices.Equal(m.To, []int32{0, 1}) || m.Bytes() != 0 {
		t.Errorf("second move %+v", m)
	}
}

// Two automatic topics planned together onto all four brokers: each topic spread evenly, and
// the cluster too (the second is planned against what the first leaves).
func TestBuildPlanAutomatic(t *testing.T) {
	all := []int32{0, 1, 2, 3}
	plan, err := buildPlan(Request{Reassignments: []Entry{{Topic: "a", Brokers: all}, {Topic: "b", Brokers: all, ReplicationFactor: 2}}}, testView())
	if err != nil {
		t.Fatal(err)
	}
	v := testView()
	final := map[string]map[int32][]int32{}
	for name, top := range v.topics {
		final[name] = map[int32][]int32{}
		for _, p := range top.Partitions {
			final[name][p.ID] = p.Replicas
		}
	}
	for _, m := range plan.Moves() {
		if !slices.Equal(final[m.Topic][m.Partition], m.From) {
			t.Errorf("move %+v does not start from the current replicas", m)
		}
		final[m.Topic][m.Partition] = m.To
	}
	total := map[int32]int{}
	for name, parts := range final {
		per := map[int32]int{}
		for p, rs := range parts {
			if len(rs) != 2 || rs[0] == rs[1] {
				t.Errorf("%s-%d: replicas %v", name, p, rs)
			}
			for _, b := range rs {
				per[b]++
				total[b]++
			}
		}
		lo, hi := spread(per, all)
		if hi-lo > 1 {
			t.Errorf("topic %s: replicas per broker %v", name, per)
		}
	}
	if lo, hi := spread(total, all); hi-lo > 1 {
		t.Errorf("cluster: replicas per broker %v", total)
	}
	if plan.Partitions == 0 || plan.BytesToMove == 0 {
		t.Errorf("plan %+v", plan)
	}
	// Largest moves first.
	ms := plan.Moves()
	for i := 1; i < len(ms); i++ {
		if ms[i].Bytes() > 0 && ms[i].Size > ms[i-1].Size {
			t.Errorf("move %d (%d bytes) after a smaller one", i, ms[i].Size)
		}
	}
}

func spread(per map[int32]int, brokers []int32) (lo, hi int) {
	lo = 1 << 30
	for _, b := range brokers {
		lo, hi = min(lo, per[b]), max(hi, per[b])
	}
	return lo, hi
}

func TestEstimateSeconds(t *testing.T) {
	mv := func(size int64, from, to []int32) Move { return Move{Topic: "t", From: from, To: to, Size: size} }
	for _, tc := range []struct {
		name     string
		batches  [][]Move
		throttle int64
		want     int
	}{
		{"nothing", nil, 1000, 0},
		{"leadership only", [][]Move{{mv(1<<30, []int32{0, 1}, []int32{1, 0})}}, 1000, 0},
		{"one replica at the throttle", [][]Move{{mv(10_000, []int32{0}, []int32{1})}}, 1000, 10},
		{"two replicas from one leader", [][]Move{{mv(10_000, []int32{0}, []int32{1, 2})}}, 1000, 20},
		{"parallel leaders", [][]Move{{mv(10_000, []int32{0}, []int32{2}), mv(10_000, []int32{1}, []int32{3})}}, 1000, 10},
		{"batches in series", [][]Move{{mv(10_000, []int32{0}, []int32{2})}, {mv(5_000, []int32{1}, []int32{3})}}, 1000, 15},
		{"unthrottled: 100 MiB/s", [][]Move{{mv(300<<20, []int32{0}, []int32{1})}}, 0, 3},
		{"a throttle above the rate", [][]Move{{mv(300<<20, []int32{0}, []int32{1})}}, 1 << 40, 3},
	} {
		p := Plan{Batches: tc.batches}
		if got := EstimateSeconds(p, tc.throttle); got != tc.want {
			t.Errorf("%s: %d s, want %d", tc.name, got, tc.want)
		}
	}
}

// fakeCluster refuses the reassignment of every partition and records the throttle calls.
type fakeCluster struct {
	applied, removed int
}

func (f *fakeCluster) LayoutEverywhere(context.Context, ...string) (map[int32]kafkaops.Layout, error) {
	v := testView()
	return map[int32]kafkaops.Layout{0: {Brokers: v.brokers, Topics: v.topics}}, nil
}

func (f *fakeCluster) AlterPartitionAssignments(_ context.Context, rs []kafkaops.Reassignment) ([]kafkaops.PartitionResult, error) {
	var out []kafkaops.PartitionResult
	for _, r := range rs {
		out = append(out, kafkaops.PartitionResult{Topic: r.Topic, Partition: r.Partition, Err: kerr.InvalidReplicaAssignment})
	}
	return out, nil
}

func (f *fakeCluster) MovingPartitions(context.Context, map[string][]int32) ([]kafkaops.Moving, error) {
	return nil, nil
}

func (f *fakeCluster) ElectPreferredLeaders(context.Context, map[string][]int32) ([]kafkaops.PartitionResult, error) {
	return nil, nil
}

func (f *fakeCluster) ApplyThrottle(context.Context, kafkaops.Throttle) error {
	f.applied++
	return nil
}

func (f *fakeCluster) RemoveThrottle(context.Context, kafkaops.Throttle, kafkaops.ThrottleConfigs) error {
	f.removed++
	return nil
}

// A plan the cluster refuses fails the task with the cluster's reason, its step FAILED, and the
// throttle it had set removed.
func TestExecuteFailureRemovesThrottle(t *testing.T) {
	plan, err := buildPlan(Request{Reassignments: []Entry{manualEntry("a", []int32{2, 3})}, Throttle: 1000}, testView())
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeCluster{}
	var last dms.TaskProgress
	err = testExec.Execute(context.Background(), f, plan, throttleOf(1000, plan), kafkaops.ThrottleConfigs{}, func(p dms.TaskProgress) { last = p })
	if !errors.Is(err, kerr.InvalidReplicaAssignment) {
		t.Fatalf("err %v", err)
	}
	if f.applied != 1 || f.removed != 1 {
		t.Errorf("throttle applied %d, removed %d times; want 1 and 1", f.applied, f.removed)
	}
	if len(last.Steps) != 4 || last.Steps[0].Status != dms.StepCompleted || last.Steps[1].Status != dms.StepFailed || last.Steps[2].Status != dms.StepWaiting {
		t.Errorf("steps %+v", last.Steps)
	}
	t.Log(err)
}

func TestRebalancePlan(t *testing.T) {
	own := []int32{0, 1, 2, 3}
	for _, tc := range []struct {
		name string
		v    func() layoutView
		req  RebalanceRequest
		own  []int32
		code string // "" for a plan
	}{
		{"all brokers", testView, RebalanceRequest{}, own, ""},
		{"onto new brokers", testView, RebalanceRequest{NewBrokers: []int32{2, 3}}, own, ""},
		{"a broker of the instance not registered", func() layoutView {
			v := testView()
			v.brokers = []int32{0, 2, 3} // broker 1 restarting: its replicas must not be evacuated
			return v
		}, RebalanceRequest{}, own, dms.CodeInstanceStatusForbids},
		{"a broker not of the instance", testView, RebalanceRequest{Brokers: []int32{0, 1, 9}}, own, dms.CodeInvalidParameter},
		{"fewer brokers than replicas", testView, RebalanceRequest{Brokers: []int32{0}}, own, dms.CodeTopicReplicaTooMany},
		{"new brokers outside the brokers", testView, RebalanceRequest{Brokers: []int32{0, 1, 2}, NewBrokers: []int32{3}}, own, dms.CodeInvalidParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := rebalancePlan(tc.v(), tc.req, tc.own)
			if tc.code == "" {
				if err != nil || plan.Partitions == 0 {
					t.Fatalf("plan %+v, %v", plan, err)
				}
				for _, m := range plan.Moves() {
					for _, b := range m.To {
						if len(tc.req.NewBrokers) > 0 && !slices.Contains(m.From, b) && !slices.Contains(tc.req.NewBrokers, b) {
							t.Errorf("move %+v adds a replica on old broker %d", m, b)
						}
					}
				}
				return
			}
			if got := dms.AsError(err); err == nil || got.Code != tc.code || got.Status >= 500 {
				t.Fatalf("error %v, want %s (a 4xx)", err, tc.code)
			}
		})
	}
}
