package reassign

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/engine/local"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/testlock"
)

// localCluster is a 3-broker Apache Kafka cluster of the local engine for the rest of the test:
// the control client (kafkaops, on the internal listener) and a kgo client for data.
type localCluster struct {
	c    *kafkaops.Client
	kcl  *kgo.Client
	adm  *kadm.Client
	spec engine.Spec
}

func startLocal(t *testing.T, brokers int) *localCluster {
	t.Helper()
	testlock.JVM(t) // one package at a time runs brokers on this machine
	e, err := local.New(local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	cid := base64.RawURLEncoding.EncodeToString(id)
	for cid[0] == '-' {
		rand.Read(id)
		cid = base64.RawURLEncoding.EncodeToString(id)
	}
	a, b := 100+mrand.IntN(100), mrand.IntN(250)
	spec := engine.Spec{InstanceID: fmt.Sprintf("reassign-%d-%d", a, b), DataDir: t.TempDir(), ClusterID: cid}
	for i := range brokers {
		spec.Brokers = append(spec.Brokers, engine.Broker{ID: int32(i), Host: fmt.Sprintf("127.%d.%d.%d", a, b, i+1)})
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := e.Delete(ctx, spec); err != nil {
			t.Errorf("deleting the brokers: %v", err)
		}
		e.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := e.Ensure(ctx, spec); err != nil {
		t.Fatal(err)
	}
	c, err := kafkaops.Dial(engine.Addrs(spec, engine.PortInternal))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.WaitBrokers(ctx, brokers); err != nil {
		t.Fatal(err)
	}
	kcl, err := kgo.NewClient(kgo.SeedBrokers(engine.Addrs(spec, engine.PortPlaintext)...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(800<<10), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kcl.Close)
	return &localCluster{c: c, kcl: kcl, adm: kadm.NewClient(kcl), spec: spec}
}

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// topic creates a topic with explicit replicas per partition and waits until every replica is in sync.
func (lc *localCluster) topic(t *testing.T, name string, replicas [][]int32) {
	t.Helper()
	ctx := tctx(t)
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30_000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, -1, -1
	for p, rs := range replicas {
		ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
		ra.Partition, ra.Replicas = int32(p), rs
		rt.ReplicaAssignment = append(rt.ReplicaAssignment, ra)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, lc.kcl)
	if err == nil {
		err = kerr.ErrorForCode(resp.Topics[0].ErrorCode)
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	lc.waitInSync(t, name)
}

func (lc *localCluster) waitInSync(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		l, err := lc.c.Layout(tctx(t), name)
		if err == nil {
			tp, ok := l.Topics[name]
			done := ok && len(tp.Partitions) > 0
			for _, p := range tp.Partitions {
				done = done && p.Leader >= 0 && len(p.ISR) == len(p.Replicas)
			}
			if done {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s not in sync: %v", name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fill writes mb MiB of incompressible records to each of the topic's partitions.
func (lc *localCluster) fill(t *testing.T, topic string, partitions []int32, mb int) {
	t.Helper()
	ctx := tctx(t)
	value := make([]byte, 256<<10)
	rand.Read(value)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, p := range partitions {
		for range mb * 4 {
			wg.Add(1)
			lc.kcl.Produce(ctx, &kgo.Record{Topic: topic, Partition: p, Value: value}, func(_ *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatalf("produce: %v", firstErr)
	}
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// plan builds the plan of a request against the cluster, as Start does.
func (lc *localCluster) plan(t *testing.T, r Request) Plan {
	t.Helper()
	p, err := planRequest(tctx(t), lc.c, r)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// partitions are a topic's partitions as the metadata shows them now.
func (lc *localCluster) partitions(t *testing.T, topic string) []kafkaops.Partition {
	t.Helper()
	l, err := lc.c.Layout(tctx(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	return l.Topics[topic].Partitions
}

// recorder keeps the last progress reported.
type recorder struct {
	mu   sync.Mutex
	last dms.TaskProgress
	n    int
	on   func(dms.TaskProgress)
}

func (r *recorder) report(p dms.TaskProgress) {
	r.mu.Lock()
	r.last, r.n = p, r.n+1
	r.last.Steps = slices.Clone(p.Steps)
	on := r.on
	r.mu.Unlock()
	if on != nil {
		on(p)
	}
}

func (r *recorder) get() dms.TaskProgress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

func entry(topic string, plan map[int32][]int32) Entry {
	e := Entry{Topic: topic}
	for _, p := range slices.Sorted(maps.Keys(plan)) {
		e.Assignment = append(e.Assignment, Assignment{Partition: &p, Brokers: plan[p]})
	}
	return e
}

var testExec = Executor{Poll: 200 * time.Millisecond, Patience: time.Minute}

// TestLocalReassignment moves replicas on Apache Kafka (one 3-broker cluster shared by the cases):
// a manual plan lands with its first replica leading; the replication throttle is on the brokers
// and topics while data moves and gone after, a user's own throttle entries kept; the move rate
// with and without a throttle is measured; a task interrupted mid-way completes when run again;
// and the cluster's refusals come back per partition.
func TestLocalReassignment(t *testing.T) {
	lc := startLocal(t, 3)

	t.Run("manual plan, first replica leads", func(t *testing.T) {
		const topic = "manual-move"
		lc.topic(t, topic, [][]int32{{0, 1}, {1, 2}, {2, 0}})
		lc.fill(t, topic, []int32{0, 1, 2}, 1)
		// Every partition gets the broker it lacked, as its leader; partition 2 only changes order.
		want := map[int32][]int32{0: {2, 0}, 1: {0, 1}, 2: {0, 2}}
		plan := lc.plan(t, Request{Reassignments: []Entry{entry(topic, want)}})
		if plan.Partitions != 3 || len(plan.Batches) != 1 {
			t.Fatalf("plan %+v", plan)
		}
		var rec recorder
		if err := testExec.Execute(tctx(t), lc.c, plan, throttleOf(0, plan), kafkaops.ThrottleConfigs{}, rec.report); err != nil {
			t.Fatal(err)
		}
		for _, p := range lc.partitions(t, topic) {
			if !slices.Equal(p.Replicas, want[p.ID]) || p.Leader != want[p.ID][0] {
				t.Errorf("partition %d: replicas %v leader %d, want %v led by %d", p.ID, p.Replicas, p.Leader, want[p.ID], want[p.ID][0])
			}
		}
		pr := rec.get()
		if pr.Done != 3 || pr.Total != 3 || pr.Unit != "partitions" {
			t.Errorf("progress %+v", pr)
		}
		for _, s := range pr.Steps {
			if s.Status != dms.StepCompleted || s.Start.IsZero() || s.End.IsZero() {
				t.Errorf("step %+v", s)
			}
		}
		// The records are all there, at the new leaders (the client's metadata may lag behind the
		// move: NOT_LEADER_FOR_PARTITION makes it refresh).
		eventually(t, func() error {
			offs, err := lc.adm.ListEndOffsets(tctx(t), topic)
			if err != nil {
				return err
			}
			var errs []error
			offs.Each(func(o kadm.ListedOffset) {
				if o.Err != nil || o.Offset != 4 {
					errs = append(errs, fmt.Errorf("partition %d: end offset %d %v, want 4", o.Partition, o.Offset, o.Err))
				}
			})
			return errors.Join(errs...)
		})
	})

	t.Run("refusals per partition", func(t *testing.T) {
		rs, err := lc.c.AlterPartitionAssignments(tctx(t), []kafkaops.Reassignment{
			{Topic: "manual-move", Partition: 0, Replicas: []int32{2, 0}}, // where it is: accepted
			{Topic: "manual-move", Partition: 1, Replicas: []int32{0, 7}}, // no broker 7
			{Topic: "manual-move", Partition: 9, Replicas: []int32{0, 1}}, // no partition 9
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 3 || rs[0].Err != nil || rs[1].Err == nil || !errors.Is(rs[2].Err, kerr.UnknownTopicOrPartition) {
			t.Fatalf("results %+v", rs)
		}
		t.Logf("broker 7: %v", rs[1].Err)
	})

	t.Run("throttle during the move, gone after; rates", func(t *testing.T) {
		const topic = "throttled-move"
		const mb = 64
		lc.topic(t, topic, [][]int32{{0, 1}, {1, 2}})
		lc.fill(t, topic, []int32{0}, mb)
		// A user's own throttle on this topic (partition 1, not moved) and on broker 2's leader rate
		// (broker 2 takes part as the new replica).
		if err := lc.c.AlterTopicConfigs(tctx(t), topic, map[string]string{kafkaops.LeaderThrottledReplicas: "1:2"}, nil); err != nil {
			t.Fatal(err)
		}
		const rate = 8 << 20
		move := func(t *testing.T, to []int32, throttle int64) (time.Duration, []kafkaops.ThrottleConfigs) {
			plan := lc.plan(t, Request{Reassignments: []Entry{entry(topic, map[int32][]int32{0: to})}, Throttle: throttle})
			defer func(start time.Time) {
				t.Logf("MEASURE estimate %d s, the task took %.1f s (throttle %d B/s)", EstimateSeconds(plan, throttle), time.Since(start).Seconds(), throttle)
			}(time.Now())
			th := throttleOf(throttle, plan)
			prior, err := lc.c.ReadThrottleConfigs(tctx(t), th.Brokers, th.Topics())
			if err != nil {
				t.Fatal(err)
			}
			var during []kafkaops.ThrottleConfigs
			var rec recorder
			var start, end time.Time
			rec.on = func(p dms.TaskProgress) {
				for _, s := range p.Steps {
					if s.Name == batchStep(0, 1, 1) && s.Status == dms.StepInProgress {
						start = s.Start
						if tc, err := lc.c.ReadThrottleConfigs(tctx(t), []int32{0, 1, 2}, []string{topic}); err == nil {
							during = append(during, tc)
						}
					}
					if s.Name == batchStep(0, 1, 1) && s.Status == dms.StepCompleted {
						end = s.End
					}
				}
			}
			if err := testExec.Execute(tctx(t), lc.c, plan, th, prior, rec.report); err != nil {
				t.Fatal(err)
			}
			return end.Sub(start), during
		}

		// 0: [0 1] -> [2 0]: broker 2 copies the partition from broker 0 at the throttle.
		took, during := move(t, []int32{2, 0}, rate)
		if len(during) == 0 {
			t.Fatal("no throttle reading during the move")
		}
		r := strconv.Itoa(rate)
		d := during[0]
		for _, b := range []int32{0, 1, 2} {
			if d.BrokerRates[b] != (kafkaops.ThrottlePair{Leader: r, Follower: r}) {
				t.Errorf("during: broker %d rates %+v, want %s", b, d.BrokerRates[b], r)
			}
		}
		if got := d.Topics[topic]; got.Leader != "0:0,0:1,1:2" || got.Follower != "0:2" {
			t.Errorf("during: topic throttle %+v, want leader 0:0,0:1,1:2 (the user's 1:2 kept) and follower 0:2", got)
		}
		// Gone once every broker has applied the removal (a broker answering DescribeConfigs may be
		// a moment behind the controller).
		eventually(t, func() error {
			after, err := lc.c.ReadThrottleConfigs(tctx(t), []int32{0, 1, 2}, []string{topic})
			if err == nil && (len(after.BrokerRates) != 0 || after.Topics[topic] != (kafkaops.ThrottlePair{Leader: "1:2"})) {
				err = fmt.Errorf("after: %+v, want no broker rates and the user's leader 1:2 alone", after)
			}
			return err
		})
		throttled := float64(mb) / took.Seconds()

		// 0: [2 0] -> [1 2]: broker 1 copies it again, unthrottled.
		took, _ = move(t, []int32{1, 2}, 0)
		unthrottled := float64(mb) / took.Seconds()
		t.Logf("MEASURE move of %d MiB (one replica added): %.1f MiB/s with a throttle of %d MiB/s, %.1f MiB/s without (3 local brokers, 2 shared cores, other agents running)",
			mb, throttled, rate>>20, unthrottled)
		for _, p := range lc.partitions(t, topic) {
			if p.ID == 0 && (!slices.Equal(p.Replicas, []int32{1, 2}) || p.Leader != 1) {
				t.Errorf("partition 0: %v led by %d", p.Replicas, p.Leader)
			}
		}
	})

	t.Run("rebalance carried out at once", func(t *testing.T) {
		const topic = "crowded"
		var replicas [][]int32
		for p := range int32(6) {
			replicas = append(replicas, []int32{p % 2, 1 - p%2})
		}
		lc.topic(t, topic, replicas)
		s := &Service{exec: testExec}
		var rec recorder
		plan, err := s.rebalanceNow(tctx(t), lc.c, RebalanceRequest{Throttle: 50 << 20}, []int32{0, 1, 2}, rec.report)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Partitions == 0 || rec.get().Done != plan.Partitions {
			t.Errorf("plan of %d partitions, progress %+v", plan.Partitions, rec.get())
		}
		// The topic's replicas even over the brokers; every topic's replicas and preferred leaders
		// even over the cluster (the planner balances leaders cluster-wide).
		perBroker := map[int32]int{}
		for _, p := range lc.partitions(t, topic) {
			for _, b := range p.Replicas {
				perBroker[b]++
			}
		}
		if perBroker[0] != 4 || perBroker[1] != 4 || perBroker[2] != 4 {
			t.Errorf("after: replicas of %s per broker %v", topic, perBroker)
		}
		l, err := lc.c.Layout(tctx(t))
		if err != nil {
			t.Fatal(err)
		}
		all, leaders := map[int32]int{}, map[int32]int{}
		for _, tp := range l.Topics {
			for _, p := range tp.Partitions {
				leaders[p.Replicas[0]]++
				for _, b := range p.Replicas {
					all[b]++
				}
			}
		}
		for _, m := range []map[int32]int{all, leaders} {
			if lo, hi := spread(m, []int32{0, 1, 2}); hi-lo > 1 {
				t.Errorf("after: cluster replicas per broker %v, preferred leaders %v", all, leaders)
			}
		}
		eventually(t, func() error {
			after, err := lc.c.ReadThrottleConfigs(tctx(t), []int32{0, 1, 2}, []string{topic})
			if err == nil && (len(after.BrokerRates) != 0 || len(after.Topics) != 0) {
				err = fmt.Errorf("throttle left: %+v", after)
			}
			return err
		})
	})

	t.Run("interrupted, run again: completes", func(t *testing.T) {
		const topic = "resumed-move"
		lc.topic(t, topic, [][]int32{{0}, {0}, {0}, {0}})
		lc.fill(t, topic, []int32{0, 1, 2, 3}, 8)
		want := map[int32][]int32{0: {1}, 1: {2}, 2: {1}, 3: {2}}
		r := Request{Reassignments: []Entry{entry(topic, want)}, Throttle: 4 << 20}
		plan := lc.plan(t, r)
		plan = planOf(plan.Moves(), 1) // a batch per partition: several to interrupt between
		th := throttleOf(r.Throttle, plan)
		prior, err := lc.c.ReadThrottleConfigs(tctx(t), th.Brokers, th.Topics())
		if err != nil {
			t.Fatal(err)
		}
		// Interrupt once the first batch is done and the second is moving.
		ctx, cancel := context.WithCancel(tctx(t))
		var rec recorder
		var once sync.Once
		rec.on = func(p dms.TaskProgress) {
			if p.Done >= 1 {
				once.Do(func() {
					go func() {
						for ctx.Err() == nil {
							if ms, err := lc.c.MovingPartitions(ctx, map[string][]int32{topic: nil}); err == nil && len(ms) > 0 {
								cancel()
								return
							}
							time.Sleep(50 * time.Millisecond)
						}
					}()
				})
			}
		}
		err = testExec.Execute(ctx, lc.c, plan, th, prior, rec.report)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted run: %v", err)
		}
		stopped := rec.get()
		moving, err := lc.c.MovingPartitions(tctx(t), map[string][]int32{topic: nil})
		if err != nil {
			t.Fatal(err)
		}
		// The throttle stays while the task is interrupted (it resumes).
		mid, err := lc.c.ReadThrottleConfigs(tctx(t), th.Brokers, th.Topics())
		if err != nil {
			t.Fatal(err)
		}
		if len(mid.BrokerRates) == 0 {
			t.Error("the throttle was removed by an interruption")
		}
		t.Logf("interrupted at %d of %d partitions, %d moving", stopped.Done, stopped.Total, len(moving))

		var again recorder
		if err := testExec.Execute(tctx(t), lc.c, plan, th, prior, again.report); err != nil {
			t.Fatal(err)
		}
		for _, p := range lc.partitions(t, topic) {
			if !slices.Equal(p.Replicas, want[p.ID]) || p.Leader != want[p.ID][0] {
				t.Errorf("partition %d: %v led by %d, want %v", p.ID, p.Replicas, p.Leader, want[p.ID])
			}
		}
		if pr := again.get(); pr.Done != 4 || pr.Total != 4 {
			t.Errorf("progress after the resumed run %+v", pr)
		}
		eventually(t, func() error {
			after, err := lc.c.ReadThrottleConfigs(tctx(t), []int32{0, 1, 2}, []string{topic})
			if err == nil && (len(after.BrokerRates) != 0 || len(after.Topics) != 0) {
				err = fmt.Errorf("throttle left after completion: %+v", after)
			}
			return err
		})
	})
}

// eventually retries f until it succeeds, failing the test with its last error after 30 s: for
// what the brokers apply a moment after the controller accepted it.
func eventually(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// rebalanceNow plans a rebalance and carries it out at once, reporting progress to report (nil:
// none): the task's steps without a task, to test the planner with the executor on real Kafka.
func (s *Service) rebalanceNow(ctx context.Context, c *kafkaops.Client, r RebalanceRequest, own []int32, report func(dms.TaskProgress)) (Plan, error) {
	plan, err := planRebalance(ctx, c, r, own)
	if err != nil {
		return Plan{}, err
	}
	if report == nil {
		report = func(dms.TaskProgress) {}
	}
	return plan, s.exec.ExecuteTask(ctx, c, plan, throttleOf(r.Throttle, plan), Prior{}, report)
}
