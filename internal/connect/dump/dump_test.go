package dump

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// genRecords makes n records per partition of topic, keyed k<p>-<i>, timestamps from base every step.
func genRecords(topic string, partitions, n int, base time.Time, step time.Duration) []*kgo.Record {
	var recs []*kgo.Record
	for p := range partitions {
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(p),
				Key:       fmt.Appendf(nil, "k%d-%d", p, i),
				Value:     fmt.Appendf(nil, "value %d of partition %d {\"n\":%d}", i, p, i),
				Timestamp: base.Add(time.Duration(i) * step)})
		}
	}
	return recs
}

func baseConfig(s *s3Server, kafka []kgo.Opt, bucket, group string) Config {
	return Config{KafkaOpts: kafka, Group: group, ConsumerStrategy: "earliest",
		Endpoint: s.Endpoint(), Region: testRegion, PathStyle: true, Bucket: bucket, AccessKey: s.AK, SecretKey: s.SK,
		DeliverInterval: time.Second, RecordDelimiter: "\n"}
}

// TestDumpObjects: objects read back match the produced records, for each delimiter (NULL included),
// with and without keys, time directories in the configured zone, and the obs_path prefix.
func TestDumpObjects(t *testing.T) {
	s := startS3(t)
	ny := time.FixedZone("-05:00", -5*3600)
	// 15:58 UTC on 31 Dec: 23:58 in GMT+08:00, so the records cross an hour, a day and (at +8) a year.
	base := time.Date(2025, 12, 31, 15, 58, 0, 0, time.UTC)
	cases := []struct {
		name       string
		mod        func(*Config)
		dirLayout  string
		partitions int
		step       time.Duration
	}{
		{"newline, obs_path, hourly dirs in GMT+08:00", func(c *Config) {
			c.Path, c.PartitionFormat = "a/b/c", "yyyy/MM/dd/HH"
		}, "2006/01/02/15", 2, 20 * time.Second},
		{"NULL delimiter, keys with default kv delimiter, daily dirs", func(c *Config) {
			c.RecordDelimiter, c.StoreKeys, c.PartitionFormat = "", true, "yyyy/MM/dd"
		}, "2006/01/02", 2, time.Minute},
		{"pipe, keys with =, yearly dirs in UTC, no path", func(c *Config) {
			c.RecordDelimiter, c.StoreKeys, c.KVDelimiter, c.PartitionFormat, c.Location = "|", true, "=", "yyyy", time.UTC
		}, "2006", 1, 10 * time.Minute},
		{"comma, minute dirs in UTC-5, trailing slash on obs_path", func(c *Config) {
			c.RecordDelimiter, c.PartitionFormat, c.Location, c.Path = ",", "yyyy/MM/dd/HH/mm", ny, "dumps/"
		}, "2006/01/02/15/04", 3, 15 * time.Second},
		{"semicolon, no time dirs, monthly format absent", func(c *Config) {
			c.RecordDelimiter = ";"
		}, "", 1, time.Hour},
		{"newline, topics regex", func(c *Config) {
			c.Topics, c.TopicsRegex, c.PartitionFormat = nil, "dump-[a-z]+", "yyyy/MM"
		}, "2006/01", 2, time.Hour},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			topic := fmt.Sprintf("dump-%c", 'a'+i)
			kafka := newKafka(t, tc.partitions, topic, "other")
			recs := genRecords(topic, tc.partitions, 30, base, tc.step)
			produce(t, kafka, recs)
			// Records of a topic the regex or list does not name stay out of the dump.
			produce(t, kafka, genRecords("other", 1, 3, base, time.Second))
			bucket := fmt.Sprintf("objects-%d", i)
			s.MakeBucket(bucket)
			cfg := baseConfig(s, kafka, bucket, "g")
			cfg.Topics = []string{topic}
			tc.mod(&cfg)
			r := startRunner(t, cfg)
			waitStored(t, r, lastOffsets(recs))
			r.Stop()
			if r.Err() != nil {
				t.Fatal(r.Err())
			}
			objs := s.Objects(bucket)
			if len(objs) == 0 {
				t.Fatal("no objects")
			}
			checkObjects(t, cfg, tc.dirLayout, recs, objs)
		})
	}
}

// TestDumpFlushSize: an object holds at most FlushSize records and is stored as soon as it is full
// (the interval here is an hour), under the exact names of ObjectKey.
func TestDumpFlushSize(t *testing.T) {
	s := startS3(t)
	cases := []struct {
		name      string
		flushSize int
		n         int
		want      []string
	}{
		{"4 per object", 4, 12, []string{"t-0-0000000000000000000-0000000000000000003",
			"t-0-0000000000000000004-0000000000000000007", "t-0-0000000000000000008-0000000000000000011"}},
		{"1 per object", 1, 3, []string{"t-0-0000000000000000000-0000000000000000000",
			"t-0-0000000000000000001-0000000000000000001", "t-0-0000000000000000002-0000000000000000002"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kafka := newKafka(t, 1, "t")
			recs := genRecords("t", 1, tc.n, time.Now(), 0)
			produce(t, kafka, recs)
			bucket := fmt.Sprintf("flush-%d", i)
			s.MakeBucket(bucket)
			cfg := baseConfig(s, kafka, bucket, "g")
			cfg.Topics, cfg.FlushSize, cfg.DeliverInterval, cfg.Path = []string{"t"}, tc.flushSize, time.Hour, "p"
			r := startRunner(t, cfg)
			waitStored(t, r, lastOffsets(recs))
			objs := s.Objects(bucket)
			var want []string
			for _, k := range tc.want {
				want = append(want, "p/"+k)
			}
			if got := slices.Sorted(maps.Keys(objs)); !slices.Equal(got, want) {
				t.Fatalf("objects %q, want %q", got, want)
			}
			checkObjects(t, cfg, "", recs, objs)
		})
	}
}

// TestDumpMultipart: an object larger than PartSize goes up as a multipart upload (its ETag ends in
// -<parts>), a smaller one in a single PUT. versitygw enforces S3's 5 MiB minimum part, so the large
// case stores 12 MiB.
func TestDumpMultipart(t *testing.T) {
	s := startS3(t)
	cases := []struct {
		name      string
		records   int
		valueSize int
		wantParts int // 0: single PUT
	}{
		{"12 MiB in 5 MiB parts", 192, 64 << 10, 3},
		{"1 MiB in one PUT", 16, 64 << 10, 0},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kafka := newKafka(t, 1, "big")
			var recs []*kgo.Record
			for j := range tc.records {
				v := []byte(strings.Repeat(string(rune('a'+j%26)), tc.valueSize))
				recs = append(recs, &kgo.Record{Topic: "big", Value: v, Timestamp: time.Now()})
			}
			produce(t, kafka, recs)
			bucket := fmt.Sprintf("multipart-%d", i)
			s.MakeBucket(bucket)
			cfg := baseConfig(s, kafka, bucket, "g")
			cfg.Topics, cfg.RecordDelimiter, cfg.PartSize = []string{"big"}, "", MinPartSize
			// Kafka fetches may cut the records into several polls; one interval gathers them.
			cfg.DeliverInterval = 3 * time.Second
			r := startRunner(t, cfg)
			waitStored(t, r, lastOffsets(recs))
			objs := s.Objects(bucket)
			checkObjects(t, cfg, "", recs, objs)
			if len(objs) != 1 {
				t.Fatalf("%d objects, want 1 (all records in one interval): %q", len(objs), slices.Sorted(maps.Keys(objs)))
			}
			for key := range objs {
				st, err := s.Client().StatObject(context.Background(), bucket, key, minio.StatObjectOptions{})
				if err != nil {
					t.Fatal(err)
				}
				suffix := ""
				if j := strings.LastIndex(st.ETag, "-"); j >= 0 {
					suffix = st.ETag[j:]
				}
				want := ""
				if tc.wantParts > 0 {
					want = fmt.Sprintf("-%d", tc.wantParts)
				}
				if suffix != want {
					t.Fatalf("object %s of %d bytes has ETag %q, want parts suffix %q", key, st.Size, st.ETag, want)
				}
			}
		})
	}
}

func committed(t *testing.T, kafka []kgo.Opt, group, topic string, partition int32) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kafka...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	offs, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	o, ok := offs.Lookup(topic, partition)
	if !ok {
		return -1
	}
	return o.At
}

// TestDumpRestartNoLoss: offsets are committed only after their object is stored. A runner stopped
// mid-interval leaves its buffer uncommitted; the next run stores it, nothing lost or doubled. After
// ResetOffsets a run from the earliest offset writes the very same objects (deterministic names).
func TestDumpRestartNoLoss(t *testing.T) {
	s := startS3(t)
	kafka := newKafka(t, 1, "t")
	s.MakeBucket("restart")
	cfg := baseConfig(s, kafka, "restart", "connect-task1")
	cfg.Topics, cfg.FlushSize, cfg.DeliverInterval, cfg.PartitionFormat = []string{"t"}, 10, time.Hour, "yyyy/MM/dd"
	recs := genRecords("t", 1, 25, time.Now(), 0)
	produce(t, kafka, recs)

	// Run A: stores 0-9 and 10-19 (full), buffers 20-24, is stopped mid-interval.
	a := startRunner(t, cfg)
	waitStored(t, a, map[tp]int64{{"t", 0}: 19})
	waitFor(t, "5 buffered records", func() bool { p := a.Progress(); return len(p) == 1 && p[0].Buffered == 5 })
	if err := ResetOffsets(context.Background(), kafka, cfg.Group); err == nil || !strings.Contains(err.Error(), "still has members") {
		t.Fatalf("ResetOffsets with a running member: %v, want a 'still has members' error", err)
	}
	a.Stop()
	a.Stop() // idempotent
	if got := len(s.Objects("restart")); got != 2 {
		t.Fatalf("after stop: %d objects, want 2", got)
	}
	if got := committed(t, kafka, cfg.Group, "t", 0); got != 20 {
		t.Fatalf("after stop: committed %d, want 20 (the buffered records stay uncommitted)", got)
	}

	// Run B: resumes at 20 and stores 20-29 once 5 more records arrive.
	more := genRecords("t", 1, 5, time.Now(), 0)
	for i, r := range more {
		r.Value = fmt.Appendf(nil, "late %d", i)
	}
	produce(t, kafka, more)
	recs = append(recs, more...)
	b := startRunner(t, cfg)
	waitStored(t, b, map[tp]int64{{"t", 0}: 29})
	if p := b.Progress(); len(p) != 1 || p[0].LastTransferOffset != 29 || p[0].LogEndOffset != 30 || p[0].Lag != 0 || p[0].Buffered != 0 {
		t.Fatalf("progress %+v, want last 29, end 30, lag 0, nothing buffered", p)
	}
	b.Stop()
	got, err := CommittedProgress(context.Background(), kafka, cfg.Group, nil)
	if want := []PartitionProgress{{Topic: "t", Partition: 0, LastTransferOffset: 29, LogEndOffset: 30}}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("CommittedProgress = %+v, %v; want %+v", got, err, want)
	}
	objs := s.Objects("restart")
	checkObjects(t, cfg, "2006/01/02", recs, objs)
	if len(objs) != 3 {
		t.Fatalf("%d objects, want 3: %q", len(objs), slices.Sorted(maps.Keys(objs)))
	}

	// Reset, empty the bucket, run C from the earliest offset: the same objects again.
	if err := ResetOffsets(context.Background(), kafka, cfg.Group); err != nil {
		t.Fatal(err)
	}
	if got := committed(t, kafka, cfg.Group, "t", 0); got != -1 {
		t.Fatalf("after reset: committed %d, want none", got)
	}
	// Through a client the caller keeps (CommittedProgressOf), as well as one per call.
	admCl, err := kgo.NewClient(kafka...)
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	got, err = CommittedProgressOf(context.Background(), kadm.NewClient(admCl), cfg.Group, []string{"t"})
	if want := []PartitionProgress{{Topic: "t", Partition: 0, LastTransferOffset: -1, LogEndOffset: 30, Lag: 30}}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("CommittedProgress after reset = %+v, %v; want %+v", got, err, want)
	}
	if err := ResetOffsets(context.Background(), kafka, "no-such-group"); err != nil {
		t.Fatalf("reset of an unknown group: %v", err)
	}
	for key := range objs {
		if err := s.Client().RemoveObject(context.Background(), "restart", key, minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c := startRunner(t, cfg)
	waitStored(t, c, map[tp]int64{{"t", 0}: 29})
	c.Stop()
	if again := s.Objects("restart"); !maps.Equal(again, objs) {
		t.Fatalf("objects after reset differ:\n%q\nwant\n%q", slices.Sorted(maps.Keys(again)), slices.Sorted(maps.Keys(objs)))
	}
}

// TestDumpS3Outage: while the object storage is down nothing is committed and the records stay
// buffered; once it is back they are stored, none lost.
func TestDumpS3Outage(t *testing.T) {
	s := startS3(t)
	kafka := newKafka(t, 1, "t")
	s.MakeBucket("outage")
	cfg := baseConfig(s, kafka, "outage", "g")
	cfg.Topics = []string{"t"}
	first := genRecords("t", 1, 5, time.Now(), 0)
	produce(t, kafka, first)
	r := startRunner(t, cfg)
	waitStored(t, r, lastOffsets(first))

	s.Stop()
	second := genRecords("t", 1, 5, time.Now(), 0)
	produce(t, kafka, second)
	waitFor(t, "an upload error", func() bool { p := r.Progress(); return len(p) == 1 && p[0].UploadError != "" })
	if got := committed(t, kafka, "g", "t", 0); got != 5 {
		t.Fatalf("during the outage: committed %d, want 5", got)
	}
	s.Start()
	waitStored(t, r, lastOffsets(second))
	r.Stop()
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	checkObjects(t, cfg, "", append(first, second...), s.Objects("outage"))
	if got := committed(t, kafka, "g", "t", 0); got != 10 {
		t.Fatalf("after the outage: committed %d, want 10", got)
	}
}

// TestDumpFatal: wrong keys or a missing bucket end the runner with an error that says so.
func TestDumpFatal(t *testing.T) {
	s := startS3(t)
	kafka := newKafka(t, 1, "t")
	s.MakeBucket("fatal")
	cases := []struct {
		name string
		mod  func(*Config)
		kind CheckKind
		msg  string
	}{
		{"wrong secret", func(c *Config) { c.SecretKey = "wrong" }, CheckBadKeys, "secret key does not match"},
		{"unknown access key", func(c *Config) { c.AccessKey = "nobody" }, CheckBadKeys, "access key is not known"},
		{"missing bucket", func(c *Config) { c.Bucket = "absent" }, CheckNoBucket, `bucket "absent" does not exist`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(s, kafka, "fatal", "g")
			cfg.Topics = []string{"t"}
			tc.mod(&cfg)
			r := startRunner(t, cfg)
			<-r.Done()
			var ce *CheckError
			if !errors.As(r.Err(), &ce) || ce.Kind != tc.kind || !strings.Contains(ce.Error(), tc.msg) {
				t.Fatalf("Err() = %v, want kind %d with %q", r.Err(), tc.kind, tc.msg)
			}
		})
	}
}

// TestCheck: the connectivity check says exactly what failed.
func TestCheck(t *testing.T) {
	s := startS3(t)
	s.MakeBucket("check")
	cases := []struct {
		name             string
		endpoint, ak, sk string
		bucket           string
		kind             CheckKind // 0: no error
		msg              string
	}{
		{"ok", s.Endpoint(), s.AK, s.SK, "check", 0, ""},
		{"wrong secret", s.Endpoint(), s.AK, "wrong", "check", CheckBadKeys, "secret key does not match"},
		{"unknown access key", s.Endpoint(), "nobody", s.SK, "check", CheckBadKeys, "access key is not known"},
		{"missing bucket", s.Endpoint(), s.AK, s.SK, "absent", CheckNoBucket, `bucket "absent" does not exist`},
		{"unreachable endpoint", "http://" + freeAddr(t), s.AK, s.SK, "check", CheckUnreachable, "is unreachable"},
		{"bad endpoint", "ftp://x", s.AK, s.SK, "check", CheckUnreachable, "must be http://host[:port]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(context.Background(), tc.endpoint, testRegion, true, tc.ak, tc.sk, tc.bucket)
			if tc.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if objs := s.Objects(tc.bucket); len(objs) != 0 {
					t.Fatalf("check left objects behind: %v", objs)
				}
				return
			}
			var ce *CheckError
			if !errors.As(err, &ce) || ce.Kind != tc.kind || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Check = %v, want kind %d with %q", err, tc.kind, tc.msg)
			}
		})
	}
}

// TestListBuckets lists what the keys see, with creation dates and the region as location.
func TestListBuckets(t *testing.T) {
	s := startS3(t)
	before := time.Now().Add(-time.Minute)
	s.MakeBucket("bucket-a")
	s.MakeBucket("bucket-b")
	bs, err := ListBuckets(context.Background(), s.Endpoint(), testRegion, true, s.AK, s.SK)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range bs {
		names = append(names, b.Name)
		if b.CreationDate.Before(before) || b.Location != testRegion {
			t.Errorf("bucket %+v: want a recent creation date and location %s", b, testRegion)
		}
	}
	if !slices.Equal(names, []string{"bucket-a", "bucket-b"}) {
		t.Fatalf("buckets %q", names)
	}
	if _, err := ListBuckets(context.Background(), s.Endpoint(), testRegion, true, s.AK, "wrong"); err == nil ||
		!strings.Contains(err.Error(), "secret key does not match") {
		t.Fatalf("ListBuckets with a wrong secret: %v", err)
	}
}

func TestValidate(t *testing.T) {
	good := Config{Group: "g", Topics: []string{"t"}, Endpoint: "http://127.0.0.1:9000", Bucket: "b", AccessKey: "a", SecretKey: "s"}
	cases := []struct {
		name string
		mod  func(*Config)
		want string // "" = valid
	}{
		{"minimal", func(*Config) {}, ""},
		{"all formats", func(c *Config) { c.PartitionFormat = "yyyy/MM/dd/HH/mm"; c.Path = "a/b/c/" }, ""},
		{"NULL delimiter", func(c *Config) { c.RecordDelimiter = "" }, ""},
		{"regex", func(c *Config) { c.Topics, c.TopicsRegex = nil, "a.*" }, ""},
		{"no group", func(c *Config) { c.Group = "" }, "consumer group id is empty"},
		{"no topics", func(c *Config) { c.Topics = nil }, "no topics"},
		{"topics and regex", func(c *Config) { c.TopicsRegex = "x" }, "not both"},
		{"bad regex", func(c *Config) { c.Topics, c.TopicsRegex = nil, "(" }, "does not compile"},
		{"strategy", func(c *Config) { c.ConsumerStrategy = "middle" }, `consumer strategy "middle"`},
		{"endpoint scheme", func(c *Config) { c.Endpoint = "127.0.0.1:9000" }, "must be http://host[:port]"},
		{"endpoint path", func(c *Config) { c.Endpoint = "http://h/x" }, "must be http://host[:port]"},
		{"no bucket", func(c *Config) { c.Bucket = "" }, "bucket is empty"},
		{"no secret", func(c *Config) { c.SecretKey = "" }, "secret key are required"},
		{"format", func(c *Config) { c.PartitionFormat = "yyyy-MM" }, `partition format "yyyy-MM"`},
		{"delimiter", func(c *Config) { c.RecordDelimiter = "\t" }, "record delimiter"},
		{"path leading slash", func(c *Config) { c.Path = "/a" }, "must not start with /"},
		{"path empty dir", func(c *Config) { c.Path = "a//b" }, "empty, . or .."},
		{"path dotdot", func(c *Config) { c.Path = "a/../b" }, "empty, . or .."},
		{"interval", func(c *Config) { c.DeliverInterval = time.Millisecond }, "below 1s"},
		{"part size small", func(c *Config) { c.PartSize = 1 << 20 }, "outside the S3 range"},
		{"flush size", func(c *Config) { c.FlushSize = -1 }, "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.mod(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
			if _, serr := Start(context.Background(), c); serr == nil {
				t.Fatal("Start accepted an invalid config")
			}
		})
	}
}

func TestParseRecordDelimiter(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"", "\n", ""}, {`\n`, "\n", ""}, {"\n", "\n", ""}, {",", ",", ""}, {";", ";", ""}, {"|", "|", ""},
		{"NULL", "", ""}, {"\t", "", "not one of"},
	}
	for _, tc := range cases {
		got, err := ParseRecordDelimiter(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseRecordDelimiter(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseRecordDelimiter(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestDumpRebalance: a second member takes over a partition; the first drops that partition's buffer
// uncommitted, the second re-reads it from the committed offset: every record stored exactly once.
func TestDumpRebalance(t *testing.T) {
	s := startS3(t)
	kafka := newKafka(t, 2, "t")
	s.MakeBucket("rebalance")
	cfg := baseConfig(s, kafka, "rebalance", "g")
	cfg.Topics, cfg.FlushSize, cfg.DeliverInterval = []string{"t"}, 5, time.Hour
	recs := genRecords("t", 2, 12, time.Now(), 0)
	produce(t, kafka, recs)

	a := startRunner(t, cfg)
	waitStored(t, a, map[tp]int64{{"t", 0}: 9, {"t", 1}: 9})
	waitFor(t, "2+2 buffered records", func() bool {
		p := a.Progress()
		return len(p) == 2 && p[0].Buffered == 2 && p[1].Buffered == 2
	})
	b := startRunner(t, cfg)
	waitFor(t, "one partition each", func() bool { return len(a.Progress()) == 1 && len(b.Progress()) == 1 })
	// The moved partition's 2 records are buffered again by b (from the committed offset 10), not kept by a.
	waitFor(t, "b buffers the moved partition", func() bool { p := b.Progress(); return len(p) == 1 && p[0].Buffered == 2 })
	more := genRecords("t", 2, 3, time.Now(), 0)
	produce(t, kafka, more)
	recs = append(recs, more...)
	waitFor(t, "both partitions committed to 15", func() bool {
		return committed(t, kafka, "g", "t", 0) == 15 && committed(t, kafka, "g", "t", 1) == 15
	})
	a.Stop()
	b.Stop()
	objs := s.Objects("rebalance")
	checkObjects(t, cfg, "", recs, objs)
	if len(objs) != 6 {
		t.Fatalf("%d objects, want 6: %q", len(objs), slices.Sorted(maps.Keys(objs)))
	}
}

// TestCheckPermissions: keys of a user who may only read the bucket are told they cannot write; keys
// of a user with no grant on it are told they have no access (versitygw with its internal IAM).
func TestCheckPermissions(t *testing.T) {
	s := startS3With(t, true)
	s.MakeBucket("perm")
	s.CreateUser("reader", "readersecret")
	s.CreateUser("stranger", "strangersecret")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["reader"]},` +
		`"Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::perm","arn:aws:s3:::perm/*"]}]}`
	if err := s.Client().SetBucketPolicy(context.Background(), "perm", policy); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, ak, sk string
		kind         CheckKind
		msg          string
	}{
		{"owner", s.AK, s.SK, 0, ""},
		{"read-only user", "reader", "readersecret", CheckNoWrite, `cannot write to bucket "perm"`},
		{"user without grant", "stranger", "strangersecret", CheckAccessDenied, `no access to bucket "perm"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(context.Background(), s.Endpoint(), testRegion, true, tc.ak, tc.sk, "perm")
			if tc.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *CheckError
			if !errors.As(err, &ce) || ce.Kind != tc.kind || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Check = %v, want kind %d with %q", err, tc.kind, tc.msg)
			}
			// A runner with these keys ends with the same finding, nothing committed.
			kafka := newKafka(t, 1, "t")
			produce(t, kafka, genRecords("t", 1, 1, time.Now(), 0))
			cfg := baseConfig(s, kafka, "perm", "g")
			cfg.Topics, cfg.AccessKey, cfg.SecretKey = []string{"t"}, tc.ak, tc.sk
			r := startRunner(t, cfg)
			<-r.Done()
			if !errors.As(r.Err(), &ce) || ce.Kind != tc.kind || !strings.Contains(ce.Error(), tc.msg) {
				t.Fatalf("runner Err() = %v, want kind %d with %q", r.Err(), tc.kind, tc.msg)
			}
			if got := committed(t, kafka, "g", "t", 0); got != -1 {
				t.Fatalf("committed %d, want nothing", got)
			}
		})
	}
}

func TestParseLocation(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in     string
		offset int // seconds east of UTC on 1 Jan 2026
		err    string
	}{
		{"", 8 * 3600, ""}, {"GMT+08:00", 8 * 3600, ""}, {"UTC-05:30", -(5*3600 + 30*60), ""}, {"GMT+8", 8 * 3600, ""},
		{"UTC", 0, ""}, {"Asia/Shanghai", 8 * 3600, ""}, {"GMT*8", 0, "want GMT+hh:mm"}, {"GMT+99", 0, "bad hours"},
		{"GMT+08:7", 0, "bad minutes"}, {"Mars/Olympus", 0, "unknown time zone"},
	}
	for _, tc := range cases {
		loc, err := ParseLocation(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLocation(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseLocation(%q): %v", tc.in, err)
			continue
		}
		if _, off := at.In(loc).Zone(); off != tc.offset {
			t.Errorf("ParseLocation(%q): offset %d, want %d", tc.in, off, tc.offset)
		}
	}
}

// TestDumpBufferCap: whatever the interval (an hour here) and with no FlushSize, a partition's object is
// cut at MaxBufferBytes and stored at once, and the bytes held across partitions between polls stay at
// most MaxTotalBufferBytes (the largest partitions are cut early). Every record is 100 bytes plus a
// newline, so 40 records (4039 bytes) fill a 4096-byte object and 190 records leave 30 (3029 bytes) in
// each partition: 3 partitions would hold 9087 bytes without the total cap.
func TestDumpBufferCap(t *testing.T) {
	s := startS3(t)
	const perPartition, valueSize = 190, 100
	cases := []struct {
		name              string
		partitions        int
		maxPart, maxTotal int64
	}{
		{"per partition cap", 1, 4096, 0},
		{"total cap across partitions", 3, 4096, 6000},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kafka := newKafka(t, tc.partitions, "t")
			var recs []*kgo.Record
			for p := range tc.partitions {
				for j := range perPartition {
					v := fmt.Appendf(nil, "%d-%d-", p, j)
					v = append(v, strings.Repeat("x", valueSize-len(v))...)
					recs = append(recs, &kgo.Record{Topic: "t", Partition: int32(p), Value: v})
				}
			}
			produce(t, kafka, recs)
			bucket := fmt.Sprintf("cap-%d", i)
			s.MakeBucket(bucket)
			cfg := baseConfig(s, kafka, bucket, "g")
			cfg.Topics, cfg.DeliverInterval = []string{"t"}, time.Hour
			cfg.MaxBufferBytes, cfg.MaxTotalBufferBytes = tc.maxPart, tc.maxTotal
			var (
				mu       sync.Mutex
				peak     int64
				accounts bool
			)
			cfg.onHeld = func(held, records int64) {
				mu.Lock()
				defer mu.Unlock()
				peak = max(peak, held)
				accounts = accounts || records == int64(len(recs))
			}
			r := startRunner(t, cfg)
			waitFor(t, "every record stored or buffered", func() bool { mu.Lock(); defer mu.Unlock(); return accounts })
			r.Stop()
			limit := tc.maxPart * int64(tc.partitions)
			if tc.maxTotal > 0 {
				limit = tc.maxTotal
			}
			mu.Lock()
			t.Logf("peak bytes held between polls: %d (limit %d)", peak, limit)
			if peak > limit {
				t.Errorf("held %d bytes between polls, cap %d", peak, limit)
			}
			mu.Unlock()
			objs := s.Objects(bucket)
			if len(objs) == 0 {
				t.Fatal("no object stored before the interval")
			}
			for k, v := range objs {
				if int64(len(v)) > tc.maxPart {
					t.Errorf("object %s: %d bytes, cap %d", k, len(v), tc.maxPart)
				}
			}
			// Stored objects are exact prefixes of each partition (the rest was buffered and dropped).
			var stored []*kgo.Record
			for _, rec := range recs {
				if rec.Offset <= lastStoredOf(objs, rec.Partition) {
					stored = append(stored, rec)
				}
			}
			checkObjects(t, cfg, "", stored, objs)
		})
	}
}

// lastStoredOf is the largest last offset among objects of partition p (-1 if none).
func lastStoredOf(objs map[string]string, p int32) int64 {
	last := int64(-1)
	for k := range objs {
		var part int32
		var first, l int64
		if _, err := fmt.Sscanf(strings.ReplaceAll(strings.TrimPrefix(k, "t-"), "-", " "), "%d %d %d", &part, &first, &l); err == nil && part == p {
			last = max(last, l)
		}
	}
	return last
}

// TestDumpRegexInternalTopics: a topics regex never dumps an internal topic (a name starting with "__",
// like Connect's config topic), even when it matches, but does dump a user topic with "__" inside its
// name.
func TestDumpRegexInternalTopics(t *testing.T) {
	s := startS3(t)
	cases := []struct {
		name, regex string
	}{
		{"match everything", ".*"},
		{"match names containing __", ".*__.*"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kafka := newKafka(t, 1, "orders__v2", "__dms_connect_configs")
			user := genRecords("orders__v2", 1, 5, time.Now(), 0)
			produce(t, kafka, user)
			produce(t, kafka, genRecords("__dms_connect_configs", 1, 5, time.Now(), 0))
			bucket := fmt.Sprintf("internal-%d", i)
			s.MakeBucket(bucket)
			cfg := baseConfig(s, kafka, bucket, "g")
			cfg.TopicsRegex = tc.regex
			r := startRunner(t, cfg)
			waitStored(t, r, lastOffsets(user))
			for _, p := range r.Progress() {
				if strings.HasPrefix(p.Topic, "__") {
					t.Errorf("internal topic %s/%d is assigned to the dump", p.Topic, p.Partition)
				}
			}
			r.Stop()
			objs := s.Objects(bucket)
			for k := range objs {
				if strings.HasPrefix(k, "__") {
					t.Errorf("internal topic dumped: object %s", k)
				}
			}
			checkObjects(t, cfg, "", user, objs)
		})
	}
}

// countingHandler counts the warnings a runner logs.
type countingHandler struct {
	mu    *sync.Mutex
	warns *int
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, rec slog.Record) error {
	if rec.Level >= slog.LevelWarn {
		h.mu.Lock()
		*h.warns++
		h.mu.Unlock()
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

// TestDumpFetchErrorBackoff: a fetch error that persists (the broker answers every fetch with
// TOPIC_AUTHORIZATION_FAILED, as after an ACL change) makes the runner pause between polls, doubling
// from fetchBackoffMin up to fetchBackoffMax, with one warning per pause rather than one per poll.
func TestDumpFetchErrorBackoff(t *testing.T) {
	s := startS3(t)
	s.MakeBucket("backoff")
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var (
		mu     sync.Mutex
		fetchN int
	)
	c.ControlKey(int16(kmsg.Fetch), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.FetchRequest)
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewFetchResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewFetchResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, kerr.TopicAuthorizationFailed.Code
				sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = -1, -1, -1
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		mu.Lock()
		fetchN++
		mu.Unlock()
		return resp, nil, true
	})
	cfg := baseConfig(s, []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, "backoff", "g")
	cfg.Topics = []string{"t"}
	var warns int
	cfg.Logger = slog.New(countingHandler{&mu, &warns})
	var steps []time.Duration
	cfg.onBackoff = func(d time.Duration) { mu.Lock(); steps = append(steps, d); mu.Unlock() }
	r := startRunner(t, cfg)
	const wantSteps = 4
	waitFor(t, "four pauses after fetch errors", func() bool { mu.Lock(); defer mu.Unlock(); return len(steps) >= wantSteps })
	r.Stop()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d fetches, %d warnings, pauses %v", fetchN, warns, steps)
	for i, d := range steps[:wantSteps] {
		if want := min(fetchBackoffMin<<i, fetchBackoffMax); d != want {
			t.Errorf("pause %d is %s, want %s", i, d, want)
		}
	}
	// One warning per pause (and per poll that ended in one): the fetches it could not pace would each
	// have logged one per failing partition.
	if warns > len(steps) {
		t.Errorf("%d warnings for %d pauses", warns, len(steps))
	}
	if fetchN > 2*(len(steps)+1) { // each pause allows a fetch per broker, one more in flight
		t.Errorf("%d fetches for %d pauses: the loop does not wait", fetchN, len(steps))
	}
}

// TestDumpBufferCapOutage: while uploads fail, the bytes buffered past MaxTotalBufferBytes pause
// fetching of every assigned topic (not only of the partitions whose upload failed, which pause on
// their own), and fetching resumes once the object storage is back and the uploads free the memory.
// Partitions 0 and 1 get 30 records (3029 bytes each), partition 2 five (505): 6563 bytes pass the 6000
// cap, so partitions 0 and 1 are cut (their uploads fail) and partition 2, never cut, would otherwise
// keep fetching.
func TestDumpBufferCapOutage(t *testing.T) {
	s := startS3(t)
	kafka := newKafka(t, 3, "t")
	s.MakeBucket("capout")
	cfg := baseConfig(s, kafka, "capout", "g")
	cfg.Topics, cfg.DeliverInterval = []string{"t"}, 3*time.Second
	cfg.MaxBufferBytes, cfg.MaxTotalBufferBytes = 4096, 6000
	r := startRunner(t, cfg)
	waitFor(t, "3 partitions assigned", func() bool { return len(r.Progress()) == 3 })
	s.Stop()
	var recs []*kgo.Record
	for p, n := range []int{30, 30, 5} {
		for j := range n {
			v := fmt.Appendf(nil, "%d-%d-", p, j)
			recs = append(recs, &kgo.Record{Topic: "t", Partition: int32(p), Value: append(v, strings.Repeat("x", 100-len(v))...)})
		}
	}
	produce(t, kafka, recs)
	waitFor(t, "fetching paused past the total cap", func() bool { return slices.Equal(r.cl.PauseFetchTopics(), []string{"t"}) })
	s.Start()
	waitStored(t, r, lastOffsets(recs))
	waitFor(t, "fetching resumed", func() bool { return len(r.cl.PauseFetchTopics()) == 0 })
	r.Stop()
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	checkObjects(t, cfg, "", recs, s.Objects("capout"))
}
