package reassign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/store/sqlite"
	"github.com/opendms/opendms/internal/tasks"
)

// The methods the plan_test.go fake lacks: nothing moves there, nothing to cancel or measure.
func (f *fakeCluster) CancelPartitionAssignments(context.Context, map[string][]int32) ([]kafkaops.PartitionResult, error) {
	return nil, nil
}

func (f *fakeCluster) ReplicaLogs(context.Context, ...string) ([]kafkaops.ReplicaLog, error) {
	return nil, nil
}

func (f *fakeCluster) ReadThrottleConfigs(context.Context, []int32, []string) (kafkaops.ThrottleConfigs, error) {
	return kafkaops.ThrottleConfigs{}, nil
}

// simCluster is a cluster whose reassignments move only when the test says: testView's topics, a
// reassignment accepted is listed as moving (with Kafka's adding and removing sets) until the
// test's onPoll completes it; the clock advances by tick at every poll of the moves; the calls that
// change something are recorded in order.
type simCluster struct {
	clock    time.Time
	tick     time.Duration
	replicas map[tp][]int32
	moving   map[tp]kafkaops.Moving
	refuse   map[tp]error
	logs     map[replicaKey]int64
	grow     bool  // each ReplicaLogs call grows the log of every replica being added
	cancel   error // CancelPartitionAssignments fails with it
	prior    kafkaops.ThrottleConfigs
	onPoll   func(f *simCluster, poll int)
	polls    int
	calls    []string
	removed  []kafkaops.ThrottleConfigs // the prior of each RemoveThrottle
}

func newSim() *simCluster {
	f := &simCluster{clock: time.Unix(1_800_000_000, 0), tick: time.Minute, replicas: map[tp][]int32{},
		moving: map[tp]kafkaops.Moving{}, refuse: map[tp]error{}, logs: map[replicaKey]int64{}}
	for name, t := range testView().topics {
		for _, p := range t.Partitions {
			f.replicas[tp{name, p.ID}] = p.Replicas
		}
	}
	return f
}

func (f *simCluster) now() time.Time { return f.clock }

// complete ends the move of k at its target.
func (f *simCluster) complete(k tp) {
	f.replicas[k] = targetOf(f.moving[k])
	delete(f.moving, k)
}

func (f *simCluster) LayoutEverywhere(_ context.Context, topics ...string) (map[int32]kafkaops.Layout, error) {
	l := kafkaops.Layout{Brokers: []int32{0, 1, 2, 3}, Topics: map[string]kafkaops.Topic{}}
	for _, k := range slices.SortedFunc(maps.Keys(f.replicas), func(a, b tp) int { return int(a.p - b.p) }) {
		if !slices.Contains(topics, k.topic) {
			continue
		}
		t := l.Topics[k.topic]
		t.Name = k.topic
		t.Partitions = append(t.Partitions, kafkaops.Partition{ID: k.p, Leader: f.replicas[k][0], Replicas: f.replicas[k]})
		l.Topics[k.topic] = t
	}
	return map[int32]kafkaops.Layout{0: l}, nil
}

func (f *simCluster) AlterPartitionAssignments(_ context.Context, rs []kafkaops.Reassignment) ([]kafkaops.PartitionResult, error) {
	var out []kafkaops.PartitionResult
	var names []string
	for _, r := range rs {
		k := tp{r.Topic, r.Partition}
		names = append(names, fmt.Sprintf("%s/%d", r.Topic, r.Partition))
		if err := f.refuse[k]; err != nil {
			out = append(out, kafkaops.PartitionResult{Topic: r.Topic, Partition: r.Partition, Err: err})
			continue
		}
		cur := f.replicas[k]
		mv := kafkaops.Moving{Topic: r.Topic, Partition: r.Partition, Replicas: slices.Clone(r.Replicas)}
		for _, b := range cur {
			if !slices.Contains(r.Replicas, b) {
				mv.Replicas, mv.Removing = append(mv.Replicas, b), append(mv.Removing, b)
			}
		}
		for _, b := range r.Replicas {
			if !slices.Contains(cur, b) {
				mv.Adding = append(mv.Adding, b)
			}
		}
		f.moving[k], f.replicas[k] = mv, mv.Replicas
		if len(mv.Adding) == 0 && len(mv.Removing) == 0 {
			f.complete(k) // a new order only: done at once
		}
		out = append(out, kafkaops.PartitionResult{Topic: r.Topic, Partition: r.Partition})
	}
	slices.Sort(names)
	f.calls = append(f.calls, "alter "+strings.Join(names, ","))
	return out, nil
}

func (f *simCluster) CancelPartitionAssignments(_ context.Context, parts map[string][]int32) ([]kafkaops.PartitionResult, error) {
	var names []string
	for t, ps := range parts {
		for _, p := range ps {
			names = append(names, fmt.Sprintf("%s/%d", t, p))
		}
	}
	slices.Sort(names)
	f.calls = append(f.calls, "cancel "+strings.Join(names, ","))
	if f.cancel != nil {
		return nil, f.cancel
	}
	var out []kafkaops.PartitionResult
	for t, ps := range parts {
		for _, p := range ps {
			k := tp{t, p}
			if mv, ok := f.moving[k]; ok {
				var back []int32
				for _, b := range mv.Replicas {
					if !slices.Contains(mv.Adding, b) {
						back = append(back, b)
					}
				}
				f.replicas[k] = back
				delete(f.moving, k)
			}
			out = append(out, kafkaops.PartitionResult{Topic: t, Partition: p})
		}
	}
	return out, nil
}

func (f *simCluster) MovingPartitions(_ context.Context, parts map[string][]int32) ([]kafkaops.Moving, error) {
	f.polls++
	f.clock = f.clock.Add(f.tick)
	if f.onPoll != nil {
		f.onPoll(f, f.polls)
	}
	var out []kafkaops.Moving
	for t, ps := range parts {
		for _, p := range ps {
			if mv, ok := f.moving[tp{t, p}]; ok {
				out = append(out, mv)
			}
		}
	}
	return out, nil
}

func (f *simCluster) ReplicaLogs(context.Context, ...string) ([]kafkaops.ReplicaLog, error) {
	var out []kafkaops.ReplicaLog
	for k, mv := range f.moving {
		for _, b := range mv.Adding {
			rk := replicaKey{b, k}
			if f.grow {
				f.logs[rk] += 1 << 20
			}
			out = append(out, kafkaops.ReplicaLog{Broker: b, Topic: k.topic, Partition: k.p, Size: f.logs[rk]})
		}
	}
	return out, nil
}

func (f *simCluster) ElectPreferredLeaders(context.Context, map[string][]int32) ([]kafkaops.PartitionResult, error) {
	return nil, nil
}

func (f *simCluster) ReadThrottleConfigs(context.Context, []int32, []string) (kafkaops.ThrottleConfigs, error) {
	f.calls = append(f.calls, "read")
	return f.prior, nil
}

func (f *simCluster) ApplyThrottle(context.Context, kafkaops.Throttle) error {
	f.calls = append(f.calls, "apply")
	return nil
}

func (f *simCluster) RemoveThrottle(_ context.Context, _ kafkaops.Throttle, prior kafkaops.ThrottleConfigs) error {
	f.calls = append(f.calls, "remove")
	f.removed = append(f.removed, prior)
	return nil
}

// simCtx bounds a test on the simulated cluster: an executor that waits for ever fails it instead
// of hanging (the simulated clock decides the deadlines under test, not this one).
func simCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A batch that stops getting anywhere fails the task, its moves cancelled before the throttle is
// removed; a slow move whose copy grows, and a broker's metadata a poll behind, do not.
func TestExecuteStalledBatch(t *testing.T) {
	a0 := tp{"a", 0}
	for _, tc := range []struct {
		name   string
		onPoll func(f *simCluster, poll int)
		grow   bool
		err    string // "" : success
		calls  []string
	}{
		{name: "target broker down: no progress", err: "no progress for 10m0s",
			calls: []string{"apply", "alter a/0", "cancel a/0", "remove"}},
		{name: "cancelled outside OpenDMS", err: "no longer being moved",
			onPoll: func(f *simCluster, poll int) {
				if poll == 3 {
					delete(f.moving, a0)
					f.replicas[a0] = []int32{0, 1}
				}
			},
			calls: []string{"apply", "alter a/0", "remove"}},
		{name: "overridden outside OpenDMS, moving elsewhere", err: "being moved to brokers [0 3]",
			onPoll: func(f *simCluster, poll int) {
				if poll == 3 {
					f.moving[a0] = kafkaops.Moving{Topic: "a", Partition: 0, Replicas: []int32{0, 3, 1}, Adding: []int32{3}, Removing: []int32{1}}
				}
			},
			calls: []string{"apply", "alter a/0", "remove"}}, // not ours: not cancelled
		{name: "overridden outside OpenDMS, moved elsewhere", err: "replicas are [0 3], not the plan's [2 3]",
			onPoll: func(f *simCluster, poll int) {
				if poll == 3 {
					delete(f.moving, a0)
					f.replicas[a0] = []int32{0, 3}
				}
			},
			calls: []string{"apply", "alter a/0", "remove"}},
		{name: "slow copy that grows: completes", grow: true,
			onPoll: func(f *simCluster, poll int) {
				if poll == 40 { // 20 simulated minutes, twice the stall deadline
					f.complete(a0)
				}
			},
			calls: []string{"apply", "alter a/0", "remove"}},
		{name: "a broker's metadata a poll behind", // not listed as moving, not yet at the target
			onPoll: func(f *simCluster, poll int) {
				switch poll {
				case 3:
					delete(f.moving, a0)
					f.replicas[a0] = []int32{0, 1}
				case 4:
					f.replicas[a0] = []int32{2, 3}
				}
			},
			calls: []string{"apply", "alter a/0", "remove"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := buildPlan(Request{Reassignments: []Entry{manualEntry("a", []int32{2, 3})}, Throttle: 1000}, testView())
			if err != nil {
				t.Fatal(err)
			}
			f := newSim()
			f.onPoll, f.grow = tc.onPoll, tc.grow
			f.tick = 30 * time.Second
			x := Executor{Poll: time.Millisecond, Patience: time.Minute, now: f.now} // Stall and Grace: the defaults
			var last dms.TaskProgress
			err = x.Execute(simCtx(t), f, plan, throttleOf(1000, plan), kafkaops.ThrottleConfigs{}, func(p dms.TaskProgress) { last = p })
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("err %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err %v, want one saying %q", err, tc.err)
			}
			if !slices.Equal(f.calls, tc.calls) {
				t.Errorf("calls %q, want %q", f.calls, tc.calls)
			}
			if tc.err != "" && (len(last.Steps) != 4 || last.Steps[1].Status != dms.StepFailed) {
				t.Errorf("steps %+v", last.Steps)
			}
			t.Logf("%v after %d polls (%v simulated)", err, f.polls, time.Duration(f.polls)*f.tick)
		})
	}
}

// A task that fails while its batch is submitted cancels the moves the cluster accepted before it
// removes the throttle (and keeps the throttle if it cannot cancel them); one interrupted by a
// dmsd shutdown leaves both, as it resumes.
func TestExecuteFailureCancelsMoves(t *testing.T) {
	for _, tc := range []struct {
		name     string
		throttle int64
		cancel   error
		stop     bool // ctx ends while the batch moves
		err      string
		calls    []string
	}{
		{name: "one partition refused", throttle: 1000, err: "UNKNOWN_TOPIC_OR_PARTITION",
			calls: []string{"apply", "alter a/0,b/0", "cancel a/0", "remove"}},
		{name: "not throttled: cancelled all the same", err: "UNKNOWN_TOPIC_OR_PARTITION",
			calls: []string{"alter a/0,b/0", "cancel a/0"}},
		{name: "cancelling fails: the throttle stays", throttle: 1000, cancel: kerr.ClusterAuthorizationFailed, err: "throttle stays on",
			calls: []string{"apply", "alter a/0,b/0", "cancel a/0"}},
		{name: "dmsd stopping: nothing cancelled or removed", throttle: 1000, stop: true, err: context.Canceled.Error(),
			calls: []string{"apply", "alter a/0,b/0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := buildPlan(Request{Reassignments: []Entry{manualEntry("a", []int32{2, 3}), manualEntry("b", []int32{2, 3})}}, testView())
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Batches) != 1 {
				t.Fatalf("batches %v", plan.Batches)
			}
			f := newSim()
			f.cancel = tc.cancel
			ctx, stop := context.WithCancel(simCtx(t))
			defer stop()
			if tc.stop {
				f.onPoll = func(_ *simCluster, poll int) {
					if poll == 2 {
						stop()
					}
				}
			} else {
				f.refuse[tp{"b", 0}] = kerr.UnknownTopicOrPartition // deleted since planning
			}
			x := Executor{Poll: time.Millisecond, Patience: time.Minute, now: f.now}
			err = x.Execute(ctx, f, plan, throttleOf(tc.throttle, plan), kafkaops.ThrottleConfigs{}, func(dms.TaskProgress) {})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want one saying %q", err, tc.err)
			}
			if tc.cancel != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
				t.Errorf("err %v lost the cause", err)
			}
			if !slices.Equal(f.calls, tc.calls) {
				t.Errorf("calls %q, want %q", f.calls, tc.calls)
			}
			t.Log(err)
		})
	}
}

// The task reads the throttle configs in place itself, right before it sets its throttle (not
// those read at submission, which may be a throttle another task removed since), keeps them in its
// parameters before setting it, and a run resumed after a restart gives back those, not its own
// throttle read again.
func TestExecuteReadsPriorThrottleInTask(t *testing.T) {
	ctx := simCtx(t)
	db, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner := tasks.New(db, log)

	plan, err := buildPlan(Request{Reassignments: []Entry{manualEntry("a", []int32{2, 3})}, Throttle: 1000}, testView())
	if err != nil {
		t.Fatal(err)
	}
	now := kafkaops.ThrottleConfigs{Topics: map[string]kafkaops.ThrottlePair{"a": {Leader: "3:1"}}} // a user's own entry
	body, err := json.Marshal(params{Request: Request{Throttle: 1000}, Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	task := dms.Task{ID: "task-1", InstanceID: "inst-1", ProjectID: "p", Name: TaskName, Params: string(body), Status: dms.TaskExecuting,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := db.CreateTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	stored := func() (dms.Task, params) {
		t.Helper()
		st, err := db.GetTask(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		var p params
		if err := json.Unmarshal([]byte(st.Params), &p); err != nil {
			t.Fatal(err)
		}
		return st, p
	}

	// First run: interrupted (dmsd stopping) while the batch moves, its throttle set.
	f := newSim()
	f.prior = now
	s := &Service{runner: runner, log: log, exec: Executor{Poll: time.Millisecond, Patience: time.Minute, now: f.now}}
	rctx, stop := context.WithCancel(ctx)
	var kept *kafkaops.ThrottleConfigs
	f.onPoll = func(_ *simCluster, poll int) {
		if poll == 2 {
			_, p := stored()
			kept = p.PriorAtStart
			stop()
		}
	}
	st, p := stored()
	if err := s.execute(rctx, f, st, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v", err)
	}
	if want := []string{"read", "apply", "alter a/0"}; !slices.Equal(f.calls, want) {
		t.Errorf("first run: calls %q, want %q", f.calls, want)
	}
	if kept == nil || !reflect.DeepEqual(*kept, now) {
		t.Fatalf("kept in the parameters while moving: %+v, want %+v", kept, now)
	}

	// Resumed: the cluster now shows the task's own throttle; the kept configs are given back.
	f.calls = nil
	f.prior = kafkaops.ThrottleConfigs{BrokerRates: map[int32]kafkaops.ThrottlePair{0: {Leader: "1000", Follower: "1000"}}}
	f.onPoll = func(f *simCluster, poll int) {
		if _, ok := f.moving[tp{"a", 0}]; ok && poll > 3 { // 3: the resumed run's first look, before it submits again
			f.complete(tp{"a", 0})
		}
	}
	st, p = stored()
	if err := s.execute(ctx, f, st, p); err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if want := []string{"apply", "alter a/0", "remove"}; !slices.Equal(f.calls, want) {
		t.Errorf("resumed run: calls %q, want %q", f.calls, want)
	}
	if len(f.removed) != 1 || !reflect.DeepEqual(f.removed[0], now) {
		t.Errorf("throttle removed giving back %+v, want %+v (what the first run read and kept)", f.removed, now)
	}
}
