package kafkaops

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDialNeedsSeeds(t *testing.T) {
	if _, err := Dial(nil); err == nil {
		t.Fatal("Dial(nil) succeeded")
	}
}

func TestWaitBrokers(t *testing.T) {
	tests := []struct {
		name    string
		brokers int // brokers of the kfake cluster; 0: dial an address nothing listens on
		want    int // brokers to wait for
		timeout time.Duration
		wantErr string // "" for success, else a substring of the error
	}{
		{name: "all registered", brokers: 3, want: 3, timeout: 10 * time.Second},
		{name: "fewer than the cluster has", brokers: 3, want: 1, timeout: 10 * time.Second},
		{name: "more than the cluster has", brokers: 3, want: 4, timeout: time.Second, wantErr: "3 of 4 brokers registered"},
		{name: "nothing listening", brokers: 0, want: 1, timeout: time.Second, wantErr: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cl *Client
			if tt.brokers > 0 {
				_, cl = newCluster(t, tt.brokers, nil)
			} else {
				var err error
				if cl, err = Dial([]string{closedAddr(t)}); err != nil {
					t.Fatal(err)
				}
				defer cl.Close()
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			err := cl.WaitBrokers(ctx, tt.want)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("WaitBrokers: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatal("WaitBrokers succeeded, want a timeout")
			case tt.wantErr != "":
				if !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("WaitBrokers error %q, want it to contain %q and wrap the deadline", err, tt.wantErr)
				}
			}
		})
	}
}

func TestWaitBrokersUnreachableBroker(t *testing.T) {
	c, cl := newCluster(t, 3, nil, WithHealthTimeout(300*time.Millisecond))
	downBroker(c, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := cl.WaitBrokers(ctx, 3)
	if err == nil || !strings.Contains(err.Error(), "broker 1") {
		t.Fatalf("WaitBrokers = %v, want broker 1 reported unreachable", err)
	}
}

// downBroker makes broker id fail the health probe: it answers the client's own ApiVersions
// (ClientSoftwareName "opendms") with BROKER_NOT_AVAILABLE, while kgo's connection handshake
// (another software name) still succeeds, so the test does not depend on which broker kgo picks
// for metadata.
func downBroker(c *kfake.Cluster, id int32) {
	c.ControlKey(int16(kmsg.ApiVersions), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kr.(*kmsg.ApiVersionsRequest)
		if c.CurrentNode() != id || req.ClientSoftwareName != "opendms" {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
		resp.Version = req.Version
		resp.ErrorCode = kerr.BrokerNotAvailable.Code
		return resp, nil, true
	})
}

func TestCluster(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	ctx := testCtx(t)

	empty, err := cl.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if empty.Topics != 0 || empty.Partitions != 0 || empty.ConsumerGroups != 0 {
		t.Fatalf("empty cluster: %+v", empty)
	}

	createTopic(t, cl, "three-by-three", 3, 3)
	createTopic(t, cl, "two-by-one", 2, 1)
	createTopic(t, cl, "one-by-two", 1, 2)
	commitGroups(t, cl, "two-by-one", "offsets-only-a", "offsets-only-b")

	// A real consumer group: consume what was produced, commit, leave.
	produce(t, c.ListenAddrs(), "three-by-three", 6, 10)
	consumer, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumerGroup("consuming"),
		kgo.ConsumeTopics("three-by-three"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	for got := 0; got < 6; {
		fs := consumer.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("poll: %v", err)
		}
		got += fs.NumRecords()
	}
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	consumer.Close()

	info, err := cl.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := counts{
		Topics: 3, Partitions: 6, OnlinePartitions: 6,
		Replicas: 3*3 + 2*1 + 1*2, ISRReplicas: 3*3 + 2*1 + 1*2, ConsumerGroups: 3,
	}
	if got := countsOf(info); got != want {
		t.Errorf("counts = %+v\nwant     %+v", countsOf(info), want)
	}
	if info.Incomplete != nil {
		t.Errorf("Incomplete = %v", info.Incomplete)
	}
	if len(info.Brokers) != 3 {
		t.Fatalf("brokers = %+v", info.Brokers)
	}
	controllers := 0
	for i, b := range info.Brokers {
		if b.ID != int32(i) || b.Host == "" || b.Port == 0 || !b.Healthy || b.Err != nil {
			t.Errorf("broker %d = %+v", i, b)
		}
		if b.IsController {
			controllers++
			if b.ID != info.ControllerID {
				t.Errorf("broker %d is controller, ControllerID is %d", b.ID, info.ControllerID)
			}
		}
		if b.VersionGuess == "" || b.RegisterTime != 0 {
			t.Errorf("broker %d: VersionGuess %q, RegisterTime %d", b.ID, b.VersionGuess, b.RegisterTime)
		}
	}
	if controllers != 1 {
		t.Errorf("%d brokers are the controller, want 1", controllers)
	}
}

func TestClusterUnhealthyBroker(t *testing.T) {
	c, cl := newCluster(t, 3, nil, WithHealthTimeout(500*time.Millisecond))
	downBroker(c, 2)
	info, err := cl.Cluster(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range info.Brokers {
		if want := b.ID != 2; b.Healthy != want || (b.Err == nil) != want {
			t.Errorf("broker %d: Healthy %v, Err %v; want healthy %v", b.ID, b.Healthy, b.Err, want)
		}
		if b.ID == 2 && !errors.Is(b.Err, kerr.BrokerNotAvailable) {
			t.Errorf("broker 2: Err %v, want BROKER_NOT_AVAILABLE kept", b.Err)
		}
	}
}

func TestCoordinators(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	ctx := testCtx(t)
	createTopic(t, cl, "t", 1, 1)
	groups := []string{"g-e", "g-a", "g-d", "g-c", "g-b", "g-f", "g-g"}
	commitGroups(t, cl, "t", groups...)

	info, err := cl.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	brokers := make(map[int32]BrokerInfo)
	for _, b := range info.Brokers {
		brokers[b.ID] = b
	}

	cos, err := cl.Coordinators(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"g-a", "g-b", "g-c", "g-d", "g-e", "g-f", "g-g"}
	if len(cos) != len(want) {
		t.Fatalf("Coordinators = %+v, want %d groups", cos, len(want))
	}
	used := make(map[int32]bool)
	for i, co := range cos {
		if co.GroupID != want[i] || co.Err != nil {
			t.Errorf("coordinator %d = %+v, want group %s", i, co, want[i])
			continue
		}
		if wantID := c.CoordinatorFor(co.GroupID); co.ID != wantID {
			t.Errorf("group %s: coordinator %d, kfake says %d", co.GroupID, co.ID, wantID)
		}
		b := brokers[co.ID]
		if co.Host != b.Host || co.Port != b.Port {
			t.Errorf("group %s: %s:%d, broker %d is %s:%d", co.GroupID, co.Host, co.Port, co.ID, b.Host, b.Port)
		}
		used[co.ID] = true
	}
	t.Logf("%d groups over %d coordinators", len(cos), len(used))
}

func TestCoordinatorsBatched(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	createTopic(t, cl, "t", 1, 1)
	groups := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	commitGroups(t, cl, "t", groups...)

	var requests, keys atomic.Int32 // the control function runs on kfake's goroutines
	c.ControlKey(int16(kmsg.FindCoordinator), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		requests.Add(1)
		keys.Add(int32(len(kr.(*kmsg.FindCoordinatorRequest).CoordinatorKeys)))
		return nil, nil, false
	})
	cos, err := cl.Coordinators(testCtx(t))
	if err != nil || len(cos) != len(groups) {
		t.Fatalf("Coordinators = %d, %v", len(cos), err)
	}
	if requests.Load() != 1 || int(keys.Load()) != len(groups) {
		t.Fatalf("%d FindCoordinator requests for %d keys, want 1 for %d", requests.Load(), keys.Load(), len(groups))
	}
}

// usedBytes sums the replica logs' sizes: the bytes the cluster's replicas occupy.
func usedBytes(ctx context.Context, cl *Client) (int64, error) {
	logs, err := cl.ReplicaLogs(ctx)
	var n int64
	for _, l := range logs {
		n += l.Size
	}
	return n, err
}

func TestReplicaLogsCountReplicas(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	ctx := testCtx(t)
	createTopic(t, cl, "rf1", 3, 1)
	createTopic(t, cl, "rf3", 2, 3)

	before, err := usedBytes(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if before != 0 {
		t.Fatalf("bytes of empty topics = %d", before)
	}

	produce(t, c.ListenAddrs(), "rf1", 30, 1000)
	after1, err := usedBytes(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	// What one broker reports for the topic: kfake's single copy, which every broker reports.
	oneCopy := func(topic string) int64 {
		dirs, err := cl.adm.DescribeBrokerLogDirs(ctx, 0, kadm.TopicsSet{})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		dirs.EachPartition(func(p kadm.DescribedLogDirPartition) {
			if p.Topic == topic {
				n += p.Size
			}
		})
		return n
	}
	rf1 := oneCopy("rf1")
	if rf1 < 30*1000 {
		t.Fatalf("one copy of rf1 is %d bytes, want at least the 30000 produced", rf1)
	}
	if after1 != rf1 {
		t.Fatalf("bytes after producing to a replication-factor-1 topic = %d, want %d (one copy, not %d brokers' worth)", after1, rf1, 3)
	}

	produce(t, c.ListenAddrs(), "rf3", 10, 1000)
	after3, err := usedBytes(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if want := rf1 + 3*oneCopy("rf3"); after3 != want {
		t.Fatalf("bytes with a replication-factor-3 topic = %d, want %d (its 3 replicas)", after3, want)
	}
}

func TestPartitionCount(t *testing.T) {
	_, cl := newCluster(t, 3, nil)
	ctx := testCtx(t)
	n, err := cl.PartitionCount(ctx)
	if err != nil || n != 0 {
		t.Fatalf("PartitionCount = %d, %v; want 0", n, err)
	}
	createTopic(t, cl, "a", 5, 3)
	createTopic(t, cl, "b", 2, 1)
	if n, err = cl.PartitionCount(ctx); err != nil || n != 7 {
		t.Fatalf("PartitionCount = %d, %v; want 7", n, err)
	}
}

func TestCountPartitionsSkipsInternal(t *testing.T) {
	m := kadm.Metadata{Topics: kadm.TopicDetails{
		"__consumer_offsets": {Topic: "__consumer_offsets", IsInternal: true, Partitions: kadm.PartitionDetails{
			0: {Leader: 0, Replicas: []int32{0, 1, 2}, ISR: []int32{0, 1, 2}},
		}},
		"user": {Topic: "user", Partitions: kadm.PartitionDetails{
			0: {Leader: 1, Replicas: []int32{0, 1, 2}, ISR: []int32{1, 2}},
			1: {Leader: -1, Replicas: []int32{0, 1, 2}, ISR: nil},
		}},
	}}
	var info ClusterInfo
	countPartitions(m, &info)
	want := counts{Topics: 1, Partitions: 2, OnlinePartitions: 1, Replicas: 6, ISRReplicas: 2}
	if countsOf(info) != want {
		t.Fatalf("counts = %+v, want %+v", countsOf(info), want)
	}
}

type counts struct {
	Topics, Partitions, OnlinePartitions, Replicas, ISRReplicas, ConsumerGroups int
}

func countsOf(i ClusterInfo) counts {
	return counts{i.Topics, i.Partitions, i.OnlinePartitions, i.Replicas, i.ISRReplicas, i.ConsumerGroups}
}

func TestIsConsumerGroup(t *testing.T) {
	tests := []struct {
		groupType, protocolType string
		want                    bool
	}{
		{"", "", true},
		{"", "consumer", true},
		{"classic", "consumer", true},
		{"classic", "", true},
		{"consumer", "consumer", true},
		{"classic", "connect", false},
		{"share", "share", false},
		{"streams", "streams", false},
	}
	for _, tt := range tests {
		g := kadm.ListedGroup{GroupType: tt.groupType, ProtocolType: tt.protocolType}
		if got := isConsumerGroup(g); got != tt.want {
			t.Errorf("isConsumerGroup(type %q, protocol %q) = %v", tt.groupType, tt.protocolType, got)
		}
	}
}

func TestExactVersion(t *testing.T) {
	tests := map[string]string{
		"v4.3":                   "4.3",
		"v0.11.0":                "0.11.0",
		"at least v4.4":          "",
		"between v1.0 and v1.1":  "",
		"unknown custom version": "",
		"":                       "",
	}
	for guess, want := range tests {
		if got := exactVersion(guess); got != want {
			t.Errorf("exactVersion(%q) = %q, want %q", guess, got, want)
		}
	}
}

func TestClusterBrokerNotListening(t *testing.T) {
	var lns []net.Listener
	listen := func(network, addr string) (net.Listener, error) {
		ln, err := net.Listen(network, addr)
		if err == nil {
			lns = append(lns, ln)
		}
		return ln, err
	}
	_, cl := newCluster(t, 3, []kfake.Opt{kfake.ListenFn(listen)}, WithHealthTimeout(time.Second))
	lns[1].Close() // broker 1 stays in the metadata but refuses connections
	info, err := cl.Cluster(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range info.Brokers {
		if want := b.ID != 1; b.Healthy != want {
			t.Errorf("broker %d: Healthy %v, Err %v; want healthy %v", b.ID, b.Healthy, b.Err, want)
		}
	}
}
