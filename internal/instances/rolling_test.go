package instances

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
)

// isrEngine is an engine whose brokers restart one by one (ProcessRestarts) over a 3-broker kfake
// cluster whose all-topic metadata can show, while behind is set, partition t-0 (replicas [0 1 2])
// with only brokers 0 and 2 in sync: what a real cluster shows while broker 1's replica is behind.
// RestartBroker records which brokers were restarted and restarts nothing.
type isrEngine struct {
	mu        sync.Mutex
	c         *kfake.Cluster
	behind    atomic.Bool
	down      atomic.Int32 // 1 + the id of a broker Status reports not running; 0: none
	restarted []int32
}

func (e *isrEngine) Name() string { return "embedded" }
func (e *isrEngine) Capabilities() engine.Capabilities {
	return engine.Capabilities{Replication: true, ProcessRestarts: true}
}

func (e *isrEngine) Ensure(context.Context, engine.Spec) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c != nil {
		return nil
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		return err
	}
	c.ControlKey(int16(kmsg.Metadata), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kr.(*kmsg.MetadataRequest)
		if !e.behind.Load() || req.Topics != nil {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.MetadataResponse)
		resp.Version = req.Version
		for i, addr := range c.ListenAddrs() {
			host, port, _ := net.SplitHostPort(addr)
			p, _ := strconv.Atoi(port)
			b := kmsg.NewMetadataResponseBroker()
			b.NodeID, b.Host, b.Port = int32(i), host, int32(p)
			resp.Brokers = append(resp.Brokers, b)
		}
		topic := kmsg.NewMetadataResponseTopic()
		name := "t"
		topic.Topic = &name
		p := kmsg.NewMetadataResponseTopicPartition()
		p.Partition, p.Leader, p.Replicas, p.ISR = 0, 0, []int32{0, 1, 2}, []int32{0, 2}
		topic.Partitions = append(topic.Partitions, p)
		resp.Topics = append(resp.Topics, topic)
		return resp, nil, true
	})
	e.c = c
	return nil
}

func (e *isrEngine) RestartBroker(_ context.Context, _ engine.Spec, id int32) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.restarted = append(e.restarted, id)
	return nil
}

func (e *isrEngine) restarts() []int32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]int32(nil), e.restarted...)
}

func (e *isrEngine) Stop(context.Context, string) error        { return nil }
func (e *isrEngine) Delete(context.Context, engine.Spec) error { return nil }
func (e *isrEngine) ControlAddrs(engine.Spec) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return nil
	}
	return e.c.ListenAddrs()
}

func (e *isrEngine) Status(context.Context, string) ([]engine.BrokerState, error) {
	out := []engine.BrokerState{{ID: 0, Running: true}, {ID: 1, Running: true}, {ID: 2, Running: true}}
	if d := e.down.Load(); d > 0 {
		out[d-1].Running = false
	}
	return out, nil
}

func (e *isrEngine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c != nil {
		e.c.Close()
	}
	return nil
}

// A rolling restart while t-0 (min.insync.replicas 2) has only brokers 0 and 2 in sync: t-0 is
// exempted from the in-sync wait (behind before the roll), but restarting broker 0 or 2 would
// leave it one in-sync replica, below its min.insync.replicas. The restart stops before those
// brokers and fails with the reason once SyncTimeout has passed; once t-0 is in sync again a
// restart restarts every broker, those that are down first.
func TestRollingKeepsMinInSync(t *testing.T) {
	e := newServiceEnv(t)
	fake := &isrEngine{}
	e.engine = fake
	s, closeSvc := e.openWith(Config{SyncTimeout: time.Second})
	defer closeSvc()
	defer fake.Close()
	ctx := context.Background()
	who := Actor{UserID: "u", UserName: "tester"}
	in, err := s.Create(ctx, "p", who, validRequest(e.cat))
	if err != nil {
		t.Fatal(err)
	}
	in = e.waitStatus(s, in.ID, dms.StatusRunning)
	adm, err := kgo.NewClient(kgo.SeedBrokers(fake.ControlAddrs(engine.Spec{})...))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	two := "2"
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, 1, 3, map[string]*string{"min.insync.replicas": &two}, "t"); err != nil {
		t.Fatal(err)
	}

	fake.behind.Store(true)
	task, err := s.Restart(ctx, "p", in.ID, who)
	if err != nil {
		t.Fatal(err)
	}
	e.waitSettled(s, in.ID)
	if got := fake.restarts(); len(got) != 0 {
		t.Errorf("brokers %v restarted while t-0 had only brokers 0 and 2 in sync", got)
	}
	// The task's outcome (the instance's status is the monitor's once the task has ended).
	if task, err = e.store.GetTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	if task.Status != dms.TaskFailed || !strings.Contains(task.Error, "min.insync.replicas") || !strings.Contains(task.Error, "t-0") {
		t.Fatalf("restart while t-0 is behind: task %s (%s)", task.Status, task.Error)
	}

	fake.behind.Store(false)
	if _, err := s.Restart(ctx, "p", in.ID, who); err != nil {
		t.Fatal(err)
	}
	if done := e.waitSettled(s, in.ID); done.Status != dms.StatusRunning {
		t.Fatalf("restart once t-0 is in sync: %s (%s)", done.Status, done.StatusReason)
	}
	if got := fake.restarts(); len(got) != 3 {
		t.Errorf("restarted %v, want every broker", got)
	}

	// A broker that is down restarts first: it holds no in-sync replica.
	fake.down.Store(1 + 2)
	if _, err := s.Restart(ctx, "p", in.ID, who); err != nil {
		t.Fatal(err)
	}
	e.waitSettled(s, in.ID)
	if got := fake.restarts()[3:]; len(got) != 3 || got[0] != 2 {
		t.Errorf("restarted %v with broker 2 down, want broker 2 first", got)
	}
}
