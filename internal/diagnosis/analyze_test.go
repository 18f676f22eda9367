package diagnosis

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
)

// part is one partition of a sample: its log offsets, the group's commit (-1: none) and the member
// assigned ("" for none).
type part struct {
	start, end, committed int64
	member                string
}

func mkSample(at time.Duration, state string, parts ...part) sample {
	s := sample{at: time.Unix(0, 0).Add(at), state: state, assigned: map[int32]string{}, committed: map[int32]int64{}, start: map[int32]int64{}, end: map[int32]int64{}}
	members := map[string]bool{}
	for i, p := range parts {
		id := int32(i)
		s.start[id], s.end[id] = p.start, p.end
		if p.committed >= 0 {
			s.committed[id] = p.committed
		}
		if p.member != "" {
			s.assigned[id] = p.member
			members[p.member] = true
		}
	}
	for m := range members {
		s.members = append(s.members, m)
	}
	slices.Sort(s.members)
	return s
}

// healthyTopic is n partitions led by their preferred leader, all in sync, on brokers 0-2.
func healthyTopic(n int) []kafkaops.Partition {
	ps := make([]kafkaops.Partition, n)
	for i := range ps {
		r := []int32{int32(i % 3), int32((i + 1) % 3), int32((i + 2) % 3)}
		ps[i] = kafkaops.Partition{ID: int32(i), Leader: r[0], Replicas: r, ISR: r}
	}
	return ps
}

func obs(samples ...sample) observation {
	n := len(samples[0].end)
	return observation{group: "g", topic: "t", samples: samples, partitions: healthyTopic(n),
		expected: []int32{0, 1, 2}, online: map[int32]bool{0: true, 1: true, 2: true}}
}

// result finds an item of the dimensions.
func result(t *testing.T, dims []dms.DiagnosisDimension, name string) dms.DiagnosisItem {
	t.Helper()
	for _, d := range dims {
		for _, it := range d.Items {
			if it.Name == name {
				return it
			}
		}
	}
	t.Fatalf("no item %s in %+v", name, dims)
	return dms.DiagnosisItem{}
}

func TestAnalyze(t *testing.T) {
	type want struct {
		result     string
		cause      int
		partitions []int32
		brokers    []int32
	}
	cases := []struct {
		name        string
		o           observation
		item        string
		want        want
		accumulated int
	}{
		{
			name: "stalled group: no member, backlog on partitions 0 and 2",
			o: obs(mkSample(0, "Empty", part{0, 500, 100, ""}, part{0, 100, 100, ""}, part{0, 300, 0, ""}),
				mkSample(10*time.Second, "Empty", part{0, 600, 100, ""}, part{0, 100, 100, ""}, part{0, 300, 0, ""})),
			item: ItemConsumerOnline, want: want{dms.ItemAbnormal, dms.CauseNoActiveConsumer, []int32{0, 2}, nil}, accumulated: 2,
		},
		{
			name: "no member and no backlog is normal",
			o:    obs(mkSample(0, "Empty", part{0, 5, 5, ""}), mkSample(time.Second, "Empty", part{0, 5, 5, ""})),
			item: ItemConsumerOnline, want: want{result: dms.ItemNormal},
		},
		{
			name: "group unknown to Kafka (API-created): all retained records are backlog",
			o:    obs(mkSample(0, "", part{10, 50, -1, ""}, part{0, 0, -1, ""}), mkSample(time.Second, "", part{10, 50, -1, ""}, part{0, 0, -1, ""})),
			item: ItemConsumerOnline, want: want{dms.ItemAbnormal, dms.CauseNoActiveConsumer, []int32{0}, nil}, accumulated: 1,
		},
		{
			name: "members assigned no partition of the topic",
			o:    obs(mkSample(0, "Stable", part{0, 10, 0, ""}, part{0, 10, 0, ""}), withMembers(mkSample(time.Second, "Stable", part{0, 10, 0, ""}, part{0, 10, 0, ""}), "m1")),
			item: ItemSubscription, want: want{dms.ItemAbnormal, dms.CauseNotSubscribed, []int32{0, 1}, nil}, accumulated: 2,
		},
		{
			name: "one partition assigned to nobody",
			o:    obs(mkSample(0, "Stable", part{0, 10, 10, "m1"}, part{0, 10, 0, ""}), mkSample(time.Second, "Stable", part{0, 10, 10, "m1"}, part{0, 10, 0, ""})),
			item: ItemSubscription, want: want{dms.ItemAbnormal, dms.CausePartitionsUnassigned, []int32{1}, nil}, accumulated: 1,
		},
		{
			name: "fewer consumers than partitions, with backlog",
			o: obs(mkSample(0, "Stable", part{0, 10, 5, "m1"}, part{0, 10, 5, "m1"}, part{0, 10, 10, "m2"}),
				mkSample(time.Second, "Stable", part{0, 10, 6, "m1"}, part{0, 10, 6, "m1"}, part{0, 10, 10, "m2"})),
			item: ItemConsumerCount, want: want{dms.ItemAbnormal, dms.CauseFewerConsumers, []int32{0, 1}, nil}, accumulated: 2,
		},
		{
			name: "fewer consumers than partitions, keeping up, is normal",
			o:    obs(mkSample(0, "Stable", part{0, 10, 10, "m1"}, part{0, 10, 10, "m1"}), mkSample(time.Second, "Stable", part{0, 20, 20, "m1"}, part{0, 20, 20, "m1"})),
			item: ItemConsumerCount, want: want{result: dms.ItemNormal},
		},
		{
			name: "rebalancing in a sample",
			o: obs(mkSample(0, "Stable", part{0, 10, 10, "m1"}), mkSample(time.Second, "PreparingRebalance", part{0, 10, 10, "m1"}),
				mkSample(2*time.Second, "Stable", part{0, 10, 10, "m2"})),
			item: ItemRebalance, want: want{dms.ItemAbnormal, dms.CauseRebalancing, nil, nil},
		},
		{
			name: "membership changed between stable samples",
			o:    obs(mkSample(0, "Stable", part{0, 10, 10, "m1"}), mkSample(time.Second, "Stable", part{0, 10, 10, "m2"})),
			item: ItemRebalance, want: want{dms.ItemAbnormal, dms.CauseRebalancing, nil, nil},
		},
		{
			name: "steady membership",
			o:    obs(mkSample(0, "Stable", part{0, 10, 10, "m1"}), mkSample(time.Second, "Stable", part{0, 20, 20, "m1"})),
			item: ItemRebalance, want: want{result: dms.ItemNormal},
		},
		{
			name: "consumption slower than production on partition 1",
			o: obs(mkSample(0, "Stable", part{0, 100, 100, "m1"}, part{0, 100, 90, "m2"}),
				mkSample(10*time.Second, "Stable", part{0, 200, 200, "m1"}, part{0, 300, 150, "m2"})),
			item: ItemConsumeRate, want: want{dms.ItemAbnormal, dms.CauseSlowerThanProduce, []int32{1}, nil}, accumulated: 1,
		},
		{
			name: "committed offsets frozen on assigned partitions with backlog",
			o: obs(mkSample(0, "Stable", part{0, 100, 40, "m1"}, part{0, 100, 100, "m1"}),
				mkSample(10*time.Second, "Stable", part{0, 100, 40, "m1"}, part{0, 100, 100, "m1"})),
			item: ItemCommitProgress, want: want{dms.ItemAbnormal, dms.CauseCommitStalled, []int32{0}, nil}, accumulated: 1,
		},
		{
			name: "assigned but never committed, nothing moves",
			o:    obs(mkSample(0, "Stable", part{0, 100, -1, "m1"}), mkSample(10*time.Second, "Stable", part{0, 100, -1, "m1"})),
			item: ItemCommitProgress, want: want{dms.ItemAbnormal, dms.CauseCommitStalled, []int32{0}, nil}, accumulated: 1,
		},
		{
			name: "commits moving is normal",
			o:    obs(mkSample(0, "Stable", part{0, 100, 40, "m1"}), mkSample(10*time.Second, "Stable", part{0, 100, 60, "m1"})),
			item: ItemCommitProgress, want: want{result: dms.ItemNormal}, accumulated: 1,
		},
		{
			name: "backlog concentrated on 2 of 6 partitions",
			o: obs(mkSample(0, "Empty", part{0, 1000, 0, ""}, part{0, 10, 10, ""}, part{0, 800, 0, ""}, part{0, 10, 5, ""}, part{0, 10, 10, ""}, part{0, 10, 10, ""}),
				mkSample(time.Second, "Empty", part{0, 1000, 0, ""}, part{0, 10, 10, ""}, part{0, 800, 0, ""}, part{0, 10, 5, ""}, part{0, 10, 10, ""}, part{0, 10, 10, ""})),
			item: ItemBacklogSkew, want: want{dms.ItemAbnormal, dms.CauseSkewedBacklog, []int32{0, 2}, []int32{0, 2}}, accumulated: 3,
		},
		{
			name: "even backlog is not skewed",
			o: obs(mkSample(0, "Empty", part{0, 100, 0, ""}, part{0, 100, 0, ""}, part{0, 100, 0, ""}),
				mkSample(time.Second, "Empty", part{0, 100, 0, ""}, part{0, 100, 0, ""}, part{0, 100, 0, ""})),
			item: ItemBacklogSkew, want: want{result: dms.ItemNormal}, accumulated: 3,
		},
		{
			name: "a broker down",
			o:    withBrokerDown(obs(mkSample(0, "Empty", part{0, 0, 0, ""}), mkSample(time.Second, "Empty", part{0, 0, 0, ""})), 2),
			item: ItemBrokerStatus, want: want{dms.ItemAbnormal, dms.CauseBrokersOffline, nil, []int32{2}},
		},
		{
			name: "a partition without leader",
			o: withPartition(obs(mkSample(0, "Empty", part{0, 0, 0, ""}, part{0, 0, 0, ""}), mkSample(time.Second, "Empty", part{0, 0, 0, ""}, part{0, 0, 0, ""})),
				kafkaops.Partition{ID: 1, Leader: -1, Replicas: []int32{1, 2}, ISR: []int32{}}),
			item: ItemPartitionLeader, want: want{dms.ItemAbnormal, dms.CauseNoLeader, []int32{1}, []int32{1, 2}},
		},
		{
			name: "a replica out of sync",
			o: withPartition(obs(mkSample(0, "Empty", part{0, 0, 0, ""}, part{0, 0, 0, ""}), mkSample(time.Second, "Empty", part{0, 0, 0, ""}, part{0, 0, 0, ""})),
				kafkaops.Partition{ID: 1, Leader: 1, Replicas: []int32{1, 2, 0}, ISR: []int32{1, 0}}),
			item: ItemReplicaSync, want: want{dms.ItemAbnormal, dms.CauseUnderReplicated, []int32{1}, []int32{2}},
		},
		{
			name: "leader not the preferred one",
			o: withPartition(obs(mkSample(0, "Empty", part{0, 0, 0, ""}, part{0, 0, 0, ""}), mkSample(time.Second, "Empty", part{0, 0, 0, ""}, part{0, 0, 0, ""})),
				kafkaops.Partition{ID: 1, Leader: 2, Replicas: []int32{1, 2, 0}, ISR: []int32{1, 2, 0}}),
			item: ItemPreferredLeaders, want: want{dms.ItemAbnormal, dms.CauseNotPreferredLeader, []int32{1}, []int32{2}},
		},
		{
			name: "the group could not be described: consumer items fail",
			o:    obs(mkSample(0, "Stable", part{0, 10, 0, "m1"}), withGroupErr(mkSample(time.Second, "Stable", part{0, 10, 0, "m1"}))),
			item: ItemConsumerOnline, want: want{result: dms.ItemFailed},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dims, acc := analyze(tc.o)
			it := result(t, dims, tc.item)
			if it.Result != tc.want.result {
				t.Fatalf("%s = %s, want %s (%+v)", tc.item, it.Result, tc.want.result, it)
			}
			if acc != tc.accumulated {
				t.Errorf("accumulated partitions = %d, want %d", acc, tc.accumulated)
			}
			if tc.want.result != dms.ItemAbnormal {
				if len(it.Causes) != 0 {
					t.Errorf("causes on a %s item: %+v", it.Result, it.Causes)
				}
				return
			}
			if len(it.Causes) != 1 || it.Causes[0].ID != tc.want.cause || len(it.Advice) == 0 {
				t.Errorf("causes = %+v, advice = %+v, want cause %d", it.Causes, it.Advice, tc.want.cause)
			}
			if !slices.Equal(it.Partitions, tc.want.partitions) {
				t.Errorf("partitions = %v, want %v", it.Partitions, tc.want.partitions)
			}
			if !slices.Equal(it.Brokers, tc.want.brokers) {
				t.Errorf("brokers = %v, want %v", it.Brokers, tc.want.brokers)
			}
			// Every parameter a cause's text names is given.
			if text := it.Causes[0].Text(); containsBrace(text) {
				t.Errorf("cause text has an unfilled parameter: %s", text)
			}
		})
	}
}

func TestAnalyzeHealthyGroupIsNormal(t *testing.T) {
	o := obs(mkSample(0, "Stable", part{0, 100, 100, "m1"}, part{0, 100, 100, "m2"}),
		mkSample(10*time.Second, "Stable", part{0, 200, 200, "m1"}, part{0, 150, 150, "m2"}))
	dims, acc := analyze(o)
	if got := statusOf(dims); got != dms.DiagnosisNormal || acc != 0 {
		t.Fatalf("status %s, accumulated %d: %+v", got, acc, dims)
	}
	if len(dims) != 2 || dims[0].Name != DimensionConsumer || len(dims[0].Items) != 7 || dims[1].Name != DimensionServer || len(dims[1].Items) != 4 {
		t.Errorf("dimensions: %+v", dims)
	}
}

func TestStatusOf(t *testing.T) {
	item := func(r string) dms.DiagnosisItem { return dms.DiagnosisItem{Name: "x", Result: r} }
	dim := func(items ...dms.DiagnosisItem) []dms.DiagnosisDimension {
		return []dms.DiagnosisDimension{{Name: "d", Items: items}}
	}
	for _, tc := range []struct {
		dims []dms.DiagnosisDimension
		want dms.DiagnosisStatus
	}{
		{dim(item(dms.ItemNormal), item(dms.ItemNormal)), dms.DiagnosisNormal},
		{dim(item(dms.ItemNormal), item(dms.ItemAbnormal), item(dms.ItemFailed)), dms.DiagnosisAbnormal},
		{dim(item(dms.ItemNormal), item(dms.ItemFailed)), dms.DiagnosisFinished},
		{dim(item(dms.ItemFailed)), dms.DiagnosisFailed},
		{nil, dms.DiagnosisFailed},
	} {
		if got := statusOf(tc.dims); got != tc.want {
			t.Errorf("statusOf(%+v) = %s, want %s", tc.dims, got, tc.want)
		}
	}
}

func withMembers(s sample, members ...string) sample {
	s.members = members
	return s
}

func withGroupErr(s sample) sample {
	s.groupErr = errors.New("coordinator not available")
	return s
}

func withBrokerDown(o observation, id int32) observation {
	delete(o.online, id)
	return o
}

func withPartition(o observation, p kafkaops.Partition) observation {
	o.partitions[p.ID] = p
	return o
}

func containsBrace(s string) bool {
	return slices.Contains([]byte(s), '{')
}
