package capacity

import (
	"reflect"
	"testing"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
)

// segs builds segments of the given sizes with bases 0, 10, 20, ...
func segs(sizes ...int64) []engine.Segment {
	out := make([]engine.Segment, len(sizes))
	for i, s := range sizes {
		out[i] = engine.Segment{Base: int64(i) * 10, Bytes: s}
	}
	return out
}

func sum(xs []engine.Segment) (n int64) {
	for _, x := range xs {
		n += x.Bytes
	}
	return n
}

func rep(topic string, p int32, logStart, end int64, ss []engine.Segment) Replica {
	return Replica{Topic: topic, Partition: p, Size: sum(ss), LogStart: logStart, End: end, Segments: ss}
}

func TestPlanTrim(t *testing.T) {
	for _, c := range []struct {
		name      string
		brokers   []Broker
		want      []Trim
		wantAfter map[int32]int64
	}{
		{
			name: "under the threshold: nothing",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 949, Replicas: []Replica{
				rep("a", 0, 0, 40, segs(300, 300, 300, 49)),
			}}},
			wantAfter: map[int32]int64{0: 949},
		},
		{
			// 950 of 1000 is the threshold itself: one 300-byte segment of the only partition goes.
			name: "at the threshold: the oldest segment",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 950, Replicas: []Replica{
				rep("a", 0, 0, 40, segs(300, 300, 300, 50)),
			}}},
			want:      []Trim{{Topic: "a", Partition: 0, Before: 10, Bytes: 300}},
			wantAfter: map[int32]int64{0: 650},
		},
		{
			// The largest partition gives first, then whichever is largest again.
			name: "largest partition first, re-ranked after each segment",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 990, Replicas: []Replica{
				rep("big", 0, 0, 40, segs(100, 100, 100, 200)), // 500
				rep("mid", 0, 0, 30, segs(150, 150, 90)),       // 390
				rep("small", 0, 0, 20, segs(50, 50)),           // 100
			}}},
			// need < 950: big gives 100 (890 left). Done: only 40 over.
			want:      []Trim{{Topic: "big", Partition: 0, Before: 10, Bytes: 100}},
			wantAfter: map[int32]int64{0: 890},
		},
		{
			name: "several partitions until under",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 1000, Replicas: []Replica{
				rep("big", 0, 0, 40, segs(100, 100, 100, 200)), // 500
				rep("mid", 0, 0, 30, segs(200, 150, 50)),       // 400
				rep("small", 0, 0, 20, segs(50, 50)),           // 100
			}}},
			// big 500 -> 400 (used 900 < 950): one segment is enough.
			want:      []Trim{{Topic: "big", Partition: 0, Before: 10, Bytes: 100}},
			wantAfter: map[int32]int64{0: 900},
		},
		{
			name: "far over: several segments of several partitions, the active ones stay",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 1400, Replicas: []Replica{
				rep("big", 0, 0, 40, segs(200, 200, 200, 100)), // 700
				rep("mid", 0, 0, 30, segs(300, 200, 100)),      // 600
				rep("small", 0, 0, 20, segs(50, 50)),           // 100
			}}},
			// big 700 gives 200 (1200); mid 600 gives 300 (900 < 950).
			want: []Trim{
				{Topic: "big", Partition: 0, Before: 10, Bytes: 200},
				{Topic: "mid", Partition: 0, Before: 10, Bytes: 300},
			},
			wantAfter: map[int32]int64{0: 900},
		},
		{
			name: "internal topics are never trimmed, active segments never deleted",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 1000, Replicas: []Replica{
				rep("__consumer_offsets", 0, 0, 40, segs(300, 300, 300)),
				rep("a", 0, 0, 10, segs(100)),
			}}},
			wantAfter: map[int32]int64{0: 1000},
		},
		{
			name: "segments past the high watermark are not deletable",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 1000, Replicas: []Replica{
				rep("a", 0, 0, 15, segs(400, 400, 200)), // next base of segment 1 is 20 > end 15
			}}},
			want:      []Trim{{Topic: "a", Partition: 0, Before: 10, Bytes: 400}},
			wantAfter: map[int32]int64{0: 600},
		},
		{
			// A previous DeleteRecords moved the log start past segment 0: Kafka is removing it, so
			// it counts as freed and nothing more goes.
			name: "pending segments are not trimmed twice",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 1000, Replicas: []Replica{
				rep("a", 0, 10, 40, segs(300, 300, 300, 100)),
			}}},
			wantAfter: map[int32]int64{0: 700},
		},
		{
			name: "a log start inside a segment: that segment goes whole",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 1000, Replicas: []Replica{
				rep("a", 0, 5, 40, segs(300, 300, 300, 100)),
			}}},
			want:      []Trim{{Topic: "a", Partition: 0, Before: 10, Bytes: 300}},
			wantAfter: map[int32]int64{0: 700},
		},
		{
			name: "ties go to the first topic and partition",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 960, Replicas: []Replica{
				rep("b", 0, 0, 20, segs(240, 240)),
				rep("a", 1, 0, 20, segs(240, 240)),
				rep("a", 0, 0, 20, segs(240, 240)),
			}}},
			want:      []Trim{{Topic: "a", Partition: 0, Before: 10, Bytes: 240}},
			wantAfter: map[int32]int64{0: 720},
		},
		{
			// Broker 0's trim of a-0 moves the log start of a-0 on broker 1 too: broker 1 (with
			// its own segment boundaries) counts that as freed and deletes only what it still needs.
			name: "a trim planned for one broker counts on the others",
			brokers: []Broker{
				{ID: 1, Capacity: 1000, Used: 1000, Replicas: []Replica{
					rep("a", 0, 0, 40, []engine.Segment{{Base: 0, Bytes: 300}, {Base: 10, Bytes: 300}, {Base: 20, Bytes: 300}, {Base: 30, Bytes: 100}}),
				}},
				{ID: 0, Capacity: 1000, Used: 1000, Replicas: []Replica{
					rep("a", 0, 0, 40, []engine.Segment{{Base: 0, Bytes: 300}, {Base: 10, Bytes: 300}, {Base: 20, Bytes: 300}, {Base: 30, Bytes: 100}}),
				}},
			},
			want:      []Trim{{Topic: "a", Partition: 0, Before: 10, Bytes: 300}},
			wantAfter: map[int32]int64{0: 700, 1: 700},
		},
		{
			// kfake: no segments. The offsets are cut in tenths, each a tenth of the size.
			name: "no segments: estimated by offsets",
			brokers: []Broker{{ID: 0, Capacity: 1000, Used: 1000, Replicas: []Replica{
				{Topic: "a", Partition: 0, Size: 1000, LogStart: 100, End: 200},
			}}},
			want:      []Trim{{Topic: "a", Partition: 0, Before: 110, Bytes: 100}},
			wantAfter: map[int32]int64{0: 900},
		},
		{
			name: "no segments: never the newest tenth",
			brokers: []Broker{{ID: 0, Capacity: 100, Used: 1000, Replicas: []Replica{
				{Topic: "a", Partition: 0, Size: 1000, LogStart: 0, End: 100},
			}}},
			want:      []Trim{{Topic: "a", Partition: 0, Before: 90, Bytes: 900}},
			wantAfter: map[int32]int64{0: 100},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, after := PlanTrim(c.brokers, dms.CapacityThresholdPercent)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("trims:\n got %+v\nwant %+v", got, c.want)
			}
			if !reflect.DeepEqual(after, c.wantAfter) {
				t.Errorf("after: got %v, want %v", after, c.wantAfter)
			}
		})
	}
}

func TestExpandTo(t *testing.T) {
	on := func(inc, maxGB int) dms.AutoVolumeExpand {
		return dms.AutoVolumeExpand{Enable: true, ThresholdPercent: 50, IncrementPercent: inc, MaxVolumeSize: maxGB}
	}
	const noLimit = 3*MaxVolumePerBrokerGB - 100
	for _, c := range []struct {
		name           string
		storage, nodes int
		limit          int // StorageLimitGB
		cfg            dms.AutoVolumeExpand
		want           int
		ok             bool
	}{
		{"10 percent of 300 on 3 brokers", 300, 3, noLimit, on(10, 1000), 330, true},
		{"rounded up to whole GB per broker", 300, 3, noLimit, on(15, 1000), 345, true},
		{"rounded up to the broker count", 100, 3, noLimit, on(10, 1000), 111, true},
		// Capped at the largest multiple of the brokers within the maximum: every broker the same.
		{"capped at the maximum", 900, 3, noLimit, on(50, 1000), 999, true},
		{"at the maximum: no growth", 999, 3, noLimit, on(50, 1000), 999, false},
		{"disabled", 300, 3, noLimit, dms.AutoVolumeExpand{IncrementPercent: 10, MaxVolumeSize: 1000}, 300, false},
		// The product's bound (c6.2u4g: 10,000 GB a broker) below max_volume_size.
		{"capped at the product's max_storage_per_node x brokers", 28000, 3, StorageLimitGB(3, 10000), on(20, 60000), 30000, true},
		{"at the product's limit: no growth", 30000, 3, StorageLimitGB(3, 10000), on(20, 60000), 30000, false},
		// 5 recorded brokers after a failed horizontal extension, broker_num 3: rounded to 3.
		{"rounded to broker_num", 300, 3, noLimit, on(12, 1000), 336, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ExpandTo(c.storage, c.nodes, c.limit, c.cfg)
			if got != c.want || ok != c.ok {
				t.Errorf("ExpandTo(%d, %d, %d) = %d, %v; want %d, %v", c.storage, c.nodes, c.limit, got, ok, c.want, c.ok)
			}
			if ok && got%c.nodes != 0 {
				t.Errorf("%d GB is not a multiple of %d brokers", got, c.nodes)
			}
		})
	}
}

func TestAutoExpandMerge(t *testing.T) {
	b, i := func(v bool) *bool { return &v }, func(v int) *int { return &v }
	in := dms.Instance{BrokerNum: 3, StorageSpace: 300}
	stored := in
	stored.AutoVolumeExpand = &dms.AutoVolumeExpand{Enable: true, ThresholdPercent: 70, MaxVolumeSize: 600, IncrementPercent: 20}
	full := AutoExpandRequest{Enable: b(true), ExpandThreshold: i(50), MaxVolumeSize: i(1000), ExpandIncrement: i(10)}
	with := func(f func(*AutoExpandRequest)) AutoExpandRequest { r := full; f(&r); return r }
	// A product of 10,000 GB a broker at most (c6.2u4g.cluster in the default catalog).
	small := dms.Instance{BrokerNum: 3, StorageSpace: 300, ProductID: "c6.2u4g.cluster"}
	limits := map[string]int{"c6.2u4g.cluster": StorageLimitGB(3, 10000)}
	for _, c := range []struct {
		name     string
		in       dms.Instance
		req      AutoExpandRequest
		want     dms.AutoVolumeExpand
		wantCode string
	}{
		{"all fields", in, full, dms.AutoVolumeExpand{Enable: true, ThresholdPercent: 50, MaxVolumeSize: 1000, IncrementPercent: 10}, ""},
		{"enable missing", in, with(func(r *AutoExpandRequest) { r.Enable = nil }), dms.AutoVolumeExpand{}, dms.CodeInvalidParameter},
		{"threshold 19", in, with(func(r *AutoExpandRequest) { r.ExpandThreshold = i(19) }), dms.AutoVolumeExpand{}, dms.CodeInvalidParameter},
		{"threshold 81", in, with(func(r *AutoExpandRequest) { r.ExpandThreshold = i(81) }), dms.AutoVolumeExpand{}, dms.CodeInvalidParameter},
		{"threshold 20 and 80 are in", in, with(func(r *AutoExpandRequest) { r.ExpandThreshold = i(80) }), dms.AutoVolumeExpand{Enable: true, ThresholdPercent: 80, MaxVolumeSize: 1000, IncrementPercent: 10}, ""},
		{"increment 9", in, with(func(r *AutoExpandRequest) { r.ExpandIncrement = i(9) }), dms.AutoVolumeExpand{}, dms.CodeInvalidParameter},
		{"increment 101", in, with(func(r *AutoExpandRequest) { r.ExpandIncrement = i(101) }), dms.AutoVolumeExpand{}, dms.CodeInvalidParameter},
		{"max not a multiple of 100", in, with(func(r *AutoExpandRequest) { r.MaxVolumeSize = i(950) }), dms.AutoVolumeExpand{}, dms.CodeDiskSpaceInvalid},
		{"max not more than the storage", in, with(func(r *AutoExpandRequest) { r.MaxVolumeSize = i(300) }), dms.AutoVolumeExpand{}, dms.CodeDiskSpaceInvalid},
		{"max not less than brokers x 30000", in, with(func(r *AutoExpandRequest) { r.MaxVolumeSize = i(90000) }), dms.AutoVolumeExpand{}, dms.CodeDiskSpaceInvalid},
		{"max over the product's max_storage_per_node x brokers", small, with(func(r *AutoExpandRequest) { r.MaxVolumeSize = i(30100) }), dms.AutoVolumeExpand{}, dms.CodeDiskSpaceInvalid},
		{"max at the product's max_storage_per_node x brokers", small, with(func(r *AutoExpandRequest) { r.MaxVolumeSize = i(30000) }), dms.AutoVolumeExpand{Enable: true, ThresholdPercent: 50, MaxVolumeSize: 30000, IncrementPercent: 10}, ""},
		{"enable without a threshold", in, AutoExpandRequest{Enable: b(true), MaxVolumeSize: i(1000), ExpandIncrement: i(10)}, dms.AutoVolumeExpand{}, dms.CodeInvalidParameter},
		{"disable alone", in, AutoExpandRequest{Enable: b(false)}, dms.AutoVolumeExpand{}, ""},
		{"single node", dms.Instance{BrokerNum: 1, StorageSpace: 100}, full, dms.AutoVolumeExpand{}, dms.CodeInvalidParameter},
		{"the stored values stay", stored, AutoExpandRequest{Enable: b(false)}, dms.AutoVolumeExpand{ThresholdPercent: 70, MaxVolumeSize: 600, IncrementPercent: 20}, ""},
		{"one field changed", stored, AutoExpandRequest{Enable: b(true), ExpandThreshold: i(40)}, dms.AutoVolumeExpand{Enable: true, ThresholdPercent: 40, MaxVolumeSize: 600, IncrementPercent: 20}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			limit, ok := limits[c.in.ProductID]
			if !ok {
				limit = StorageLimitGB(c.in.BrokerNum, 0)
			}
			got, err := c.req.merge(c.in, limit)
			if c.wantCode != "" {
				if de := dms.AsError(err); err == nil || de.Code != c.wantCode {
					t.Fatalf("err = %v, want %s", err, c.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
