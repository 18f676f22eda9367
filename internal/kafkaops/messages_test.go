package kafkaops

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// msgProduceAt writes n records to one partition with timestamps base+i*step ms and values "v<i>".
func msgProduceAt(tb testing.TB, seeds []string, topic string, partition int32, n int, base time.Time, step time.Duration) {
	tb.Helper()
	p, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		tb.Fatal(err)
	}
	defer p.Close()
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Topic: topic, Partition: partition, Timestamp: base.Add(time.Duration(i) * step),
			Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%d", i)}
	}
	if err := p.ProduceSync(testCtx(tb), rs...).FirstErr(); err != nil {
		tb.Fatal(err)
	}
}

func TestProduceExplicitPartitionAndHeaders(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	createTopic(t, cl, "t", 3, 1)
	ctx := testCtx(t)
	for p := range int32(3) {
		for i := range 3 {
			got, err := cl.Produce(ctx, ProduceInput{Topic: "t", Partition: p, Key: []byte("k"), Value: fmt.Appendf(nil, "%d-%d", p, i),
				Headers: []Header{{Key: "h", Value: []byte("x")}}})
			if err != nil {
				t.Fatal(err)
			}
			if got.Partition != p || got.Offset != int64(i) || time.Since(time.UnixMilli(got.Timestamp)) > time.Minute {
				t.Fatalf("produced %+v, want partition %d offset %d", got, p, i)
			}
		}
	}
	// Without a partition, keyed records land where Kafka's hash puts them (all on one partition).
	var where []int32
	for range 5 {
		got, err := cl.Produce(ctx, ProduceInput{Topic: "t", Partition: -1, Key: []byte("same"), Value: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		where = append(where, got.Partition)
	}
	if len(slices.Compact(slices.Clone(where))) != 1 {
		t.Fatalf("keyed records spread over %v", where)
	}
	if _, err := cl.Produce(ctx, ProduceInput{Topic: "t", Partition: 7, Value: []byte("x")}); err == nil {
		t.Fatal("produced to partition 7 of 3")
	}
	// Records up to DMS's 10 MiB message.max.bytes fit a batch; larger ones are refused by the client.
	if _, err := cl.Produce(ctx, ProduceInput{Topic: "t", Partition: 0, Value: make([]byte, 11<<20)}); !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("11 MiB record: %v", err)
	}

	// Read back with headers.
	var got []Record
	_, err := cl.Scan(ctx, "t", []OffsetRange{{Partition: 1, Start: 0, End: 3}}, ScanOptions{}, func(r *Record) bool {
		got = append(got, *r)
		return true
	})
	if err != nil || len(got) != 3 || string(got[2].Value) != "1-2" || string(got[0].Key) != "k" ||
		len(got[0].Headers) != 1 || got[0].Headers[0].Key != "h" || string(got[0].Headers[0].Value) != "x" {
		t.Fatalf("scan: %+v %v", got, err)
	}
	_ = c
}

func TestScanAndTimeRange(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	createTopic(t, cl, "t", 2, 1)
	base := time.UnixMilli(1_700_000_000_000)
	msgProduceAt(t, c.ListenAddrs(), "t", 0, 5000, base, time.Millisecond)
	msgProduceAt(t, c.ListenAddrs(), "t", 1, 100, base, 10*time.Millisecond)
	ctx := testCtx(t)

	rs, err := cl.TimeRange(ctx, "t", base.Add(100*time.Millisecond).UnixMilli(), base.Add(199*time.Millisecond).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	want := []OffsetRange{{0, 100, 200}, {1, 10, 20}}
	if !slices.Equal(rs, want) {
		t.Fatalf("time range %v, want %v", rs, want)
	}
	open, err := cl.TimeRange(ctx, "t", 0, -1)
	if err != nil || !slices.Equal(open, []OffsetRange{{0, 0, 5000}, {1, 0, 100}}) {
		t.Fatalf("open time range %v %v", open, err)
	}
	if _, err := cl.TimeRange(ctx, "nope", 0, -1); !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("unknown topic: %v", err)
	}

	tests := []struct {
		name     string
		o        ScanOptions
		records  int64
		stopped  string
		firstOff int64 // first offset visited in partition 0
	}{
		{"forward", ScanOptions{}, 5100, StopNone, 0},
		{"backward", ScanOptions{Backward: true, Chunk: 100}, 5100, StopNone, 4900},
		{"records bound", ScanOptions{MaxRecords: 1000}, 1000, StopRecords, 0},
		{"bytes bound", ScanOptions{MaxBytes: 100}, 0, StopBytes, 0},
		{"backward bound", ScanOptions{Backward: true, Chunk: 256, MaxRecords: 200}, 200, StopRecords, 4900},
		{"bound at the end", ScanOptions{MaxRecords: 5100}, 5100, StopNone, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[int32][]int64{}
			res, err := cl.Scan(ctx, "t", open, tt.o, func(r *Record) bool {
				if string(r.Value) != fmt.Sprintf("v%d", r.Offset) {
					t.Errorf("offset %d has %q", r.Offset, r.Value)
				}
				seen[r.Partition] = append(seen[r.Partition], r.Offset)
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Stopped != tt.stopped || (tt.records > 0 && res.Records != tt.records) {
				t.Fatalf("result %+v, want %d records stopped %q", res, tt.records, tt.stopped)
			}
			if len(seen[0]) > 0 && seen[0][0] != tt.firstOff {
				t.Fatalf("first offset of partition 0: %d, want %d", seen[0][0], tt.firstOff)
			}
			if tt.stopped == StopNone {
				for p, r := range open {
					got := slices.Sorted(slices.Values(seen[int32(p)]))
					if int64(len(got)) != r.Len() || got[0] != 0 || got[len(got)-1] != r.End-1 {
						t.Fatalf("partition %d: %d offsets", p, len(got))
					}
				}
			}
		})
	}

	// Time bound.
	res, err := cl.Scan(ctx, "t", open, ScanOptions{MaxTime: time.Nanosecond}, func(*Record) bool { return true })
	if err != nil || res.Stopped != StopTime {
		t.Fatalf("time bound: %+v %v", res, err)
	}

	// Point reads, earliest and latest.
	r, found, err := cl.ReadOne(ctx, "t", 0, 4321)
	if err != nil || !found || string(r.Value) != "v4321" || r.Timestamp != base.Add(4321*time.Millisecond).UnixMilli() {
		t.Fatalf("read one: %+v %v %v", r, found, err)
	}
	off, ts, err := cl.EarliestRecord(ctx, "t", 1)
	if err != nil || off != 0 || ts != base.UnixMilli() {
		t.Fatalf("earliest: %d %d %v", off, ts, err)
	}
	last, b, ok, err := cl.LatestRecord(ctx, "t", 1)
	if err != nil || !ok || last.Offset != 99 || b.End != 100 || last.Timestamp != base.Add(990*time.Millisecond).UnixMilli() {
		t.Fatalf("latest: %+v %v %v %v", last, b, ok, err)
	}
	if _, _, _, err := cl.LatestRecord(ctx, "t", 9); !errors.Is(err, ErrUnknownPartition) {
		t.Fatalf("latest of partition 9: %v", err)
	}

	// DeleteRecords moves the start; a read before it starts at the new start.
	dr, err := cl.DeleteRecords(ctx, "t", map[int32]int64{0: 1000, 1: 500})
	if err != nil || len(dr) != 2 || dr[0].Err != nil || dr[0].LowWatermark != 1000 || !errors.Is(dr[1].Err, kerr.OffsetOutOfRange) {
		t.Fatalf("delete records: %+v %v", dr, err)
	}
	off, _, err = cl.EarliestRecord(ctx, "t", 0)
	if err != nil || off != 1000 {
		t.Fatalf("earliest after delete: %d %v", off, err)
	}
	var first int64 = -1
	if _, err := cl.Scan(ctx, "t", []OffsetRange{{0, 0, 5000}}, ScanOptions{}, func(r *Record) bool {
		if first < 0 {
			first = r.Offset
		}
		return true
	}); err != nil || first != 1000 {
		t.Fatalf("scan from a deleted start begins at %d (%v)", first, err)
	}
}

// A scan goes on from where it was when a partition's leader moves under it (a broker answers
// NOT_LEADER_FOR_PARTITION, one request in three here): every record once, in offset order.
func TestScanFollowsMovedLeader(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	createTopic(t, cl, "t", 2, 1)
	base := time.UnixMilli(1_700_000_000_000)
	p, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range 30 { // batches of 100 records: a fetch of 4 KiB reads one
		var rs []*kgo.Record
		for j := range 200 {
			rs = append(rs, &kgo.Record{Topic: "t", Partition: int32(j % 2), Timestamp: base, Value: fmt.Appendf(nil, "v%d", i*100+j/2)})
		}
		if err := p.ProduceSync(testCtx(t), rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var fetches, refused atomic.Int64
	c.ControlKey(kmsg.Fetch.Int16(), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if fetches.Add(1)%3 != 0 {
			return nil, nil, false
		}
		refused.Add(1)
		req := kreq.(*kmsg.FetchRequest)
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewFetchResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewFetchResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, kerr.NotLeaderForPartition.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	ctx := testCtx(t)
	for _, backward := range []bool{false, true} {
		t.Run(fmt.Sprintf("backward=%v", backward), func(t *testing.T) {
			next := map[int32]int64{}
			refused.Store(0)
			res, err := cl.Scan(ctx, "t", []OffsetRange{{0, 0, 3000}, {1, 0, 3000}},
				// Small fetches: many requests, the next one in flight when an answer is refused.
				ScanOptions{Backward: backward, Chunk: 3000, PartitionFetchBytes: 4096, FetchMaxBytes: 4096}, func(r *Record) bool {
					if want := next[r.Partition]; r.Offset != want {
						t.Errorf("partition %d: offset %d after %d", r.Partition, r.Offset, want-1)
					}
					next[r.Partition] = r.Offset + 1
					return true
				})
			if err != nil || res.Records != 6000 || res.Stopped != StopNone || next[0] != 3000 || next[1] != 3000 || refused.Load() < 5 {
				t.Fatalf("scan: %+v %v, read up to %v, %d fetches refused", res, err, next, refused.Load())
			}
		})
	}
}

// nextOffsets reads where the decoding of an answer leaves each partition from its batch headers.
func TestNextOffsets(t *testing.T) {
	batch := func(base int64, n int, magic int8) []byte {
		rb := kmsg.RecordBatch{FirstOffset: base, Magic: magic, LastOffsetDelta: int32(n - 1), NumRecords: int32(n), Records: make([]byte, 10*n)}
		b := rb.AppendTo(nil)
		binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12)) // the length after the length field
		return b
	}
	cat := func(bs ...[]byte) []byte { return slices.Concat(bs...) }
	tests := []struct {
		name string
		raw  []byte
		want int64 // -1: not known
	}{
		{"one batch", batch(10, 5, 2), 15},
		{"two batches", cat(batch(10, 5, 2), batch(15, 20, 2)), 35},
		{"a partial batch at the end", cat(batch(10, 5, 2), batch(15, 20, 2)[:40]), 15},
		{"only a partial batch: where it was asked", batch(10, 5, 2)[:30], 7},
		{"no batch: where it was asked", nil, 7},
		{"an old format", batch(10, 5, 1), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := kmsg.NewFetchResponse()
			rt := kmsg.NewFetchResponseTopic()
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition, rp.RecordBatches = 3, tt.raw
			rt.Partitions = append(rt.Partitions, rp)
			resp.Topics = append(resp.Topics, rt)
			got, ok := nextOffsets(&resp, map[int32]int64{3: 7})
			if tt.want < 0 {
				if ok {
					t.Fatalf("next %v, want none", got)
				}
				return
			}
			if !ok || got[3] != tt.want {
				t.Fatalf("next %v %v, want %d", got, ok, tt.want)
			}
		})
	}
}

// A bound stops a scan with about the same part of every partition read: the newest with
// Backward, the oldest otherwise, whichever partition's fetches come back first.
func TestScanBoundReadsEvenly(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	createTopic(t, cl, "t", 3, 1)
	base := time.UnixMilli(1_700_000_000_000)
	for p := range int32(3) {
		msgProduceAt(t, c.ListenAddrs(), "t", p, 3000, base, time.Millisecond)
	}
	ranges := []OffsetRange{{0, 0, 3000}, {1, 0, 3000}, {2, 0, 3000}}
	tests := []struct {
		name   string
		o      ScanOptions
		lo, hi int64 // the offsets read of each partition, within a few
	}{
		{"records, newest first", ScanOptions{Backward: true, Chunk: 16, MaxRecords: 900}, 2700, 3000},
		{"records, oldest first", ScanOptions{Chunk: 16, MaxRecords: 900}, 0, 300},
		// Values "v<i>" and keys "k<i>" of 2+4 to 2+8 bytes: 900 records are about 9 KB.
		{"bytes, newest first", ScanOptions{Backward: true, Chunk: 16, MaxBytes: 9000}, 2700, 3000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := map[int32]int64{}, map[int32]int64{}
			res, err := cl.Scan(testCtx(t), "t", ranges, tt.o, func(r *Record) bool {
				if l, ok := lo[r.Partition]; !ok || r.Offset < l {
					lo[r.Partition] = r.Offset
				}
				hi[r.Partition] = max(hi[r.Partition], r.Offset+1)
				return true
			})
			if err != nil || res.Stopped == StopNone {
				t.Fatalf("scan: %+v %v", res, err)
			}
			for p := range int32(3) {
				if lo[p] < tt.lo-60 || lo[p] > tt.lo+60 || hi[p] < tt.hi-60 || hi[p] > tt.hi+60 {
					t.Errorf("partition %d: read [%d, %d), want about [%d, %d)", p, lo[p], hi[p], tt.lo, tt.hi)
				}
			}
		})
	}
}

// A bounded scan whose partitions are on two leaders ends by its bound, not its time bound, when
// one leader refuses fetches for a while: the other loop, waiting for the refused partition to
// catch up with its share, is woken to be regrouped.
func TestScanBoundAcrossLeaderMove(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	createTopic(t, cl, "t", 2, 1)
	for p := range int32(2) {
		if err := c.MoveTopicPartition("t", p, p); err != nil {
			t.Fatal(err)
		}
		msgProduceAt(t, c.ListenAddrs(), "t", p, 3000, time.UnixMilli(1_700_000_000_000), time.Millisecond)
	}
	refuseUntil := time.Now().Add(500 * time.Millisecond)
	c.ControlKey(kmsg.Fetch.Int16(), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.FetchRequest)
		if time.Now().After(refuseUntil) || len(req.Topics) == 0 || !slices.ContainsFunc(req.Topics[0].Partitions,
			func(p kmsg.FetchRequestTopicPartition) bool { return p.Partition == 1 }) {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		st := kmsg.NewFetchResponseTopic()
		st.Topic, st.TopicID = req.Topics[0].Topic, req.Topics[0].TopicID
		for _, rp := range req.Topics[0].Partitions {
			sp := kmsg.NewFetchResponseTopicPartition()
			sp.Partition, sp.ErrorCode = rp.Partition, kerr.NotLeaderForPartition.Code
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
		return resp, nil, true
	})
	res, err := cl.Scan(testCtx(t), "t", []OffsetRange{{0, 0, 3000}, {1, 0, 3000}},
		ScanOptions{Chunk: 16, MaxRecords: 900, MaxTime: 20 * time.Second}, func(*Record) bool { return true })
	if err != nil || res.Stopped != StopRecords || res.Records != 900 {
		t.Fatalf("scan: %+v %v, want stopped by records at 900", res, err)
	}
}
