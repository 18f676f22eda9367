package dump

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/connect/connecttest"
)

// The S3 server of the tests is connecttest's (shared with internal/httpapi's tests).
type s3Server = connecttest.S3

const testRegion = connecttest.Region

func startS3(tb testing.TB) *s3Server { tb.Helper(); return connecttest.StartS3(tb) }

// startS3With starts versitygw, with its internal IAM when iam (for users other than root).
func startS3With(tb testing.TB, iam bool) *s3Server {
	tb.Helper()
	return connecttest.StartS3With(tb, iam)
}

func freeAddr(tb testing.TB) string { tb.Helper(); return connecttest.FreeAddr(tb) }

// newKafka starts a kfake cluster with the topics (each of `partitions` partitions) and returns the
// client options that reach it.
func newKafka(tb testing.TB, partitions int, topics ...string) []kgo.Opt {
	tb.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(partitions), topics...))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}
}

// produce writes recs to the partitions they name and sets their offsets.
func produce(tb testing.TB, opts []kgo.Opt, recs []*kgo.Record) {
	tb.Helper()
	cl, err := kgo.NewClient(append(slices.Clone(opts), kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		tb.Fatal(err)
	}
}

// waitStored waits until the runner reports every partition of want stored up to its offset (a
// readiness wait bounded by the test's deadline, not a timed assertion). It fails on a runner's end.
func waitStored(tb testing.TB, r *Runner, want map[tp]int64) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := map[tp]int64{}
		for _, p := range r.Progress() {
			got[tp{p.Topic, p.Partition}] = p.LastTransferOffset
		}
		ok := true
		for k, off := range want {
			if got[k] < off {
				ok = false
			}
		}
		if ok {
			return
		}
		select {
		case <-r.Done():
			tb.Fatalf("runner ended: %v", r.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not stored after 60s: progress %+v, want %v", r.Progress(), want)
		}
	}
}

// waitFor polls cond until true (a readiness wait; fails after 60 s).
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startRunner(tb testing.TB, cfg Config) *Runner {
	tb.Helper()
	r, err := Start(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.Stop)
	return r
}

// lastOffsets is, per partition, the last offset among recs.
func lastOffsets(recs []*kgo.Record) map[tp]int64 {
	out := map[tp]int64{}
	for _, r := range recs {
		k := tp{r.Topic, r.Partition}
		if off, ok := out[k]; !ok || r.Offset > off {
			out[k] = r.Offset
		}
	}
	return out
}

// checkObjects verifies objects against the produced records by an independent reading of the layout:
// every key parses as <path>/<dir>/<topic>-<partition>-<first>-<last>; each partition's objects cover its
// offsets exactly once, in contiguous ranges; an object holds exactly its records (key<kv>value when
// StoreKeys) joined by the delimiter, all with its time directory (the record timestamp in cfg.Location
// formatted per want dirLayout); no object holds more than FlushSize records.
func checkObjects(tb testing.TB, cfg Config, dirLayout string, recs []*kgo.Record, objects map[string]string) {
	tb.Helper()
	byOffset := map[tp]map[int64]*kgo.Record{}
	for _, r := range recs {
		k := tp{r.Topic, r.Partition}
		if byOffset[k] == nil {
			byOffset[k] = map[int64]*kgo.Record{}
		}
		byOffset[k][r.Offset] = r
	}
	seen := map[tp]map[int64]bool{}
	prefix := ""
	if cfg.Path != "" {
		prefix = strings.TrimSuffix(cfg.Path, "/") + "/"
	}
	loc := cfg.Location
	if loc == nil {
		loc = time.FixedZone("+8", 8*3600)
	}
	for key, content := range objects {
		if !strings.HasPrefix(key, prefix) {
			tb.Errorf("object %q is not under obs_path %q", key, prefix)
			continue
		}
		rest := strings.TrimPrefix(key, prefix)
		dir, name := "", rest
		if i := strings.LastIndex(rest, "/"); i >= 0 {
			dir, name = rest[:i], rest[i+1:]
		}
		f := strings.Split(name, "-")
		if len(f) < 4 {
			tb.Errorf("object %q: name is not topic-partition-first-last", key)
			continue
		}
		var part int32
		var first, last int64
		topic := strings.Join(f[:len(f)-3], "-")
		if _, err := fmt.Sscanf(strings.Join(f[len(f)-3:], " "), "%d %d %d", &part, &first, &last); err != nil {
			tb.Errorf("object %q: %v", key, err)
			continue
		}
		k := tp{topic, part}
		var want []string
		for off := first; off <= last; off++ {
			r := byOffset[k][off]
			if r == nil {
				tb.Errorf("object %q: offset %d was not produced", key, off)
				continue
			}
			if seen[k] == nil {
				seen[k] = map[int64]bool{}
			}
			if seen[k][off] {
				tb.Errorf("object %q: offset %d stored twice", key, off)
			}
			seen[k][off] = true
			wantDir := ""
			if dirLayout != "" {
				wantDir = r.Timestamp.In(loc).Format(dirLayout)
			}
			if dir != wantDir {
				tb.Errorf("object %q: offset %d (timestamp %s) belongs in directory %q", key, off, r.Timestamp.UTC(), wantDir)
			}
			if cfg.StoreKeys {
				kv := cfg.KVDelimiter
				if kv == "" {
					kv = ":"
				}
				want = append(want, string(r.Key)+kv+string(r.Value))
			} else {
				want = append(want, string(r.Value))
			}
		}
		if cfg.FlushSize > 0 && len(want) > cfg.FlushSize {
			tb.Errorf("object %q holds %d records, flush size %d", key, len(want), cfg.FlushSize)
		}
		if w := strings.Join(want, cfg.RecordDelimiter); content != w {
			tb.Errorf("object %q: content %.200q, want %.200q", key, content, w)
		}
	}
	for k, offs := range byOffset {
		for off := range offs {
			if !seen[k][off] {
				tb.Errorf("%s/%d offset %d is in no object", k.topic, k.partition, off)
			}
		}
	}
}
