// Package dump is Smart Connect's object-storage sink (sink_type OBS_SINK): it consumes topics of an
// instance as a consumer group and writes the records as TEXT objects to an S3-compatible endpoint
// (OBS speaks S3).
//
// Delivery guarantee: offsets are committed only after the object holding the records is stored, so a
// re-run never loses data; it re-reads at most what was buffered and not yet stored (one deliver
// interval). Object names are deterministic per (topic, partition, offset range) (see ObjectKey), so a
// range that is stored again (stored, then the process died before the commit) overwrites the same
// object whenever the range is cut the same way (always when objects are cut by FlushSize or
// MaxBufferBytes alone). Cuts by the interval or by MaxTotalBufferBytes depend on timing: a re-run can
// then cut differently and store the same records a second time under another name (at most what was
// stored and not committed).
//
// Memory: a runner holds at most MaxBufferBytes per partition and MaxTotalBufferBytes in all between
// polls (plus one fetch being buffered), whatever the interval and the topic's rate; records are copied
// out of the fetch batches, and only offsets are kept for the commit.
//
// S3 client: github.com/minio/minio-go/v7, chosen over aws-sdk-go-v2 because it is one stable module
// (v7), while the SDK's multipart helper feature/s3/manager is deprecated in favour of the pre-1.0
// feature/s3/transfermanager; minio-go's PutObject sends a single PUT up to the part size and a
// (parallel) multipart upload above it, aborts a failed multipart upload, and retries every request
// with exponential backoff and jitter (Options.MaxRetries), which is the retry the runner relies on.
package dump

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Defaults, as the DMS reference states them.
const (
	DefaultDeliverInterval = 300 * time.Second
	DefaultPartSize        = 5 << 20 // obs_part_size default 5242880, also the S3 minimum part size
	DefaultKVDelimiter     = ":"
	DefaultRegion          = "us-east-1"
	// MinPartSize is S3's smallest part of a multipart upload (other than the last); versitygw enforces
	// it as well, so it cannot be lowered for tests.
	MinPartSize = 5 << 20
	// MaxPartSize is S3's largest part.
	MaxPartSize = 5 << 30
	// DefaultMaxBufferBytes is the default per-partition buffer cap (see Config.MaxBufferBytes).
	DefaultMaxBufferBytes = 64 << 20
	// DefaultMaxTotalBufferBytes is the default buffer cap across a runner's partitions.
	DefaultMaxTotalBufferBytes = 256 << 20
)

// Config describes one dump task.
type Config struct {
	// KafkaOpts reach the instance (seed brokers, TLS, SASL); the runner adds the group options.
	KafkaOpts []kgo.Opt
	// Group is the consumer group id (one per task).
	Group string
	// Topics to consume, or TopicsRegex (a Go regexp matched against whole topic names).
	Topics      []string
	TopicsRegex string
	// ConsumerStrategy is where a group with no committed offset starts: "latest" (default) or "earliest".
	ConsumerStrategy string

	// Endpoint is the S3 endpoint URL (http://host:port or https://host); Region defaults to us-east-1.
	Endpoint, Region string
	// PathStyle addresses buckets as endpoint/bucket; otherwise as bucket.endpoint (virtual host).
	PathStyle bool
	Bucket    string
	AccessKey string
	SecretKey string
	// Path is obs_path: "" or a/b/c (a trailing "/" is ignored).
	Path string
	// PartitionFormat is the time directory layout: yyyy | yyyy/MM | yyyy/MM/dd | yyyy/MM/dd/HH |
	// yyyy/MM/dd/HH/mm (the DMS values). Empty means no time directories.
	PartitionFormat string
	// Location is the time zone of the time directories; nil means GMT+08:00 (Asia/Shanghai, the
	// reference's default; China has no daylight saving time, so a fixed zone is exact and needs no tzdata).
	Location *time.Location
	// DeliverInterval is how often buffered records become objects: default 300 s, at least 1 s here
	// (the DMS range 30-900 s is the caller's to enforce).
	DeliverInterval time.Duration
	// RecordDelimiter separates records in an object, literally: "\n", ",", ";", "|", or "" for the DMS
	// value NULL (no delimiter). Use ParseRecordDelimiter for the DMS field (which defaults to "\n").
	RecordDelimiter string
	// StoreKeys writes key<KVDelimiter>value instead of the value alone; KVDelimiter defaults to ":".
	StoreKeys   bool
	KVDelimiter string
	// PartSize is the multipart part size (default and minimum 5 MiB): an object larger than it is
	// uploaded in parts of this size.
	PartSize int64
	// FlushSize is the most records in one object (0: no limit within an interval). An object that
	// reaches it is stored at once, without waiting for the interval.
	FlushSize int
	// MaxBufferBytes caps one partition's buffered content (default 64 MiB): an object that would grow
	// past it is cut and stored at once, like FlushSize, so memory does not depend on the interval and
	// the topic's rate (300 s at 20 MB/s would otherwise be 6 GB). A single record larger than the cap
	// is an object of its own.
	MaxBufferBytes int64
	// MaxTotalBufferBytes caps the runner's buffered content across partitions (default 256 MiB): past
	// it, the largest partitions' objects are cut and stored early, and while uploads cannot bring it
	// below the cap (object storage down) fetching is paused.
	MaxTotalBufferBytes int64
	// Logger gets the runner's warnings (upload retries, commit failures); nil discards.
	Logger *slog.Logger

	// onHeld, for tests, is called after each poll's uploads with the bytes held until the next poll
	// and the records stored or buffered so far (stored counted from offset 0), under the runner's lock.
	onHeld func(held, records int64)
	// onBackoff, for tests, is called before each pause after fetch errors with its length.
	onBackoff func(time.Duration)
}

// timeLayouts maps the DMS partition_format values to Go time layouts.
var timeLayouts = map[string]string{
	"":                 "",
	"yyyy":             "2006",
	"yyyy/MM":          "2006/01",
	"yyyy/MM/dd":       "2006/01/02",
	"yyyy/MM/dd/HH":    "2006/01/02/15",
	"yyyy/MM/dd/HH/mm": "2006/01/02/15/04",
}

var recordDelimiters = map[string]bool{"\n": true, ",": true, ";": true, "|": true, "": true}

// ParseRecordDelimiter maps the DMS record_delimiter value to the literal delimiter: "," ";" "|" as
// they are, "\n" (a newline, or the two characters backslash-n as the reference's JSON example spells
// it) to a newline, "NULL" to none, and an absent value ("") to the default newline.
func ParseRecordDelimiter(v string) (string, error) {
	switch v {
	case "", "\n", `\n`:
		return "\n", nil
	case ",", ";", "|":
		return v, nil
	case "NULL":
		return "", nil
	}
	return "", fmt.Errorf("record_delimiter %q is not one of \",\", \";\", \"|\", \"\\n\", \"NULL\"", v)
}

// PartitionFormats lists the accepted PartitionFormat values (for callers' validation messages).
func PartitionFormats() []string {
	return []string{"yyyy", "yyyy/MM", "yyyy/MM/dd", "yyyy/MM/dd/HH", "yyyy/MM/dd/HH/mm"}
}

// withDefaults fills the zero values that have a default.
func (c Config) withDefaults() Config {
	if c.ConsumerStrategy == "" {
		c.ConsumerStrategy = "latest"
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.Location == nil {
		c.Location = time.FixedZone("GMT+08:00", 8*3600)
	}
	if c.DeliverInterval == 0 {
		c.DeliverInterval = DefaultDeliverInterval
	}
	if c.KVDelimiter == "" {
		c.KVDelimiter = DefaultKVDelimiter
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.MaxBufferBytes == 0 {
		c.MaxBufferBytes = DefaultMaxBufferBytes
	}
	if c.MaxTotalBufferBytes == 0 {
		c.MaxTotalBufferBytes = DefaultMaxTotalBufferBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Path = strings.TrimSuffix(c.Path, "/")
	return c
}

// Validate reports the first thing wrong with c (zero values that have a default are fine).
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Group == "" {
		bad("consumer group id is empty")
	}
	switch {
	case len(c.Topics) == 0 && c.TopicsRegex == "":
		bad("no topics: give topics or a topics regex")
	case len(c.Topics) > 0 && c.TopicsRegex != "":
		bad("give topics or a topics regex, not both")
	case c.TopicsRegex != "":
		if _, err := regexp.Compile(c.TopicsRegex); err != nil {
			bad("topics regex %q does not compile: %v", c.TopicsRegex, err)
		}
	}
	for _, t := range c.Topics {
		if t == "" {
			bad("empty topic name")
		}
	}
	if c.ConsumerStrategy != "latest" && c.ConsumerStrategy != "earliest" {
		bad("consumer strategy %q is not latest or earliest", c.ConsumerStrategy)
	}
	if err := validEndpoint(c.Endpoint); err != nil {
		errs = append(errs, err)
	}
	if c.Bucket == "" {
		bad("bucket is empty")
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		bad("access key and secret key are required")
	}
	if c.Path != "" {
		if strings.HasPrefix(c.Path, "/") {
			bad("obs_path %q must not start with /", c.Path)
		}
		for _, seg := range strings.Split(strings.TrimPrefix(c.Path, "/"), "/") {
			if seg == "" || seg == "." || seg == ".." {
				bad("obs_path %q has an empty, . or .. directory", c.Path)
				break
			}
		}
	}
	if _, ok := timeLayouts[c.PartitionFormat]; !ok {
		bad("partition format %q is not one of %s", c.PartitionFormat, strings.Join(PartitionFormats(), ", "))
	}
	if c.DeliverInterval < time.Second {
		bad("deliver interval %s is below 1s", c.DeliverInterval)
	}
	if !recordDelimiters[c.RecordDelimiter] {
		bad("record delimiter %q is not one of \"\\n\", \",\", \";\", \"|\" or none", c.RecordDelimiter)
	}
	if c.PartSize < MinPartSize || c.PartSize > MaxPartSize {
		bad("part size %d is outside the S3 range %d..%d bytes", c.PartSize, MinPartSize, int64(MaxPartSize))
	}
	if c.FlushSize < 0 {
		bad("flush size %d is negative", c.FlushSize)
	}
	if c.MaxBufferBytes < 0 || c.MaxTotalBufferBytes < 0 {
		bad("buffer caps %d and %d must not be negative", c.MaxBufferBytes, c.MaxTotalBufferBytes)
	}
	return errors.Join(errs...)
}

func validEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("object storage endpoint %q must be http://host[:port] or https://host[:port]", endpoint)
	}
	return nil
}

// ObjectKey is the name of the object holding offsets first..last of topic/partition whose records fall
// in time directory dir:
//
//	<path>/<dir>/<topic>-<partition>-<first>-<last>
//
// with first and last zero-padded to 19 digits (an int64's width) so that a listing sorts in offset
// order; path and dir are left out (with their "/") when empty. The name depends only on the range, so
// storing the same range again overwrites rather than duplicates.
func ObjectKey(path, dir, topic string, partition int32, first, last int64) string {
	name := fmt.Sprintf("%s-%d-%019d-%019d", topic, partition, first, last)
	var parts []string
	for _, p := range []string{path, dir, name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// timeDir is the time directory of a record with timestamp ts.
func (c Config) timeDir(ts time.Time) string {
	layout := timeLayouts[c.PartitionFormat]
	if layout == "" {
		return ""
	}
	return ts.In(c.Location).Format(layout)
}

// ParseLocation maps the DMS timezone field to a location: "" is the default GMT+08:00; an IANA name
// (Asia/Chongqing, as the reference's example has it) is loaded from the system's zoneinfo (dmsd may
// embed time/tzdata to not depend on it); GMT+08:00, UTC-05:30, GMT+8 and UTC name fixed offsets.
func ParseLocation(tz string) (*time.Location, error) {
	if tz == "" {
		return time.FixedZone("GMT+08:00", 8*3600), nil
	}
	for _, prefix := range []string{"GMT", "UTC"} {
		rest, ok := strings.CutPrefix(tz, prefix)
		if !ok {
			continue
		}
		if rest == "" {
			return time.UTC, nil
		}
		var sign, h, m int
		switch rest[0] {
		case '+':
			sign = 1
		case '-':
			sign = -1
		default:
			return nil, fmt.Errorf("timezone %q: want GMT+hh:mm, GMT-hh:mm or a zone name like Asia/Shanghai", tz)
		}
		hh, mm, hasMin := strings.Cut(rest[1:], ":")
		if _, err := fmt.Sscanf(hh, "%d", &h); err != nil || len(hh) > 2 || h > 14 {
			return nil, fmt.Errorf("timezone %q: bad hours", tz)
		}
		if hasMin {
			if _, err := fmt.Sscanf(mm, "%d", &m); err != nil || len(mm) != 2 || m > 59 {
				return nil, fmt.Errorf("timezone %q: bad minutes", tz)
			}
		}
		return time.FixedZone(tz, sign*(h*3600+m*60)), nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("timezone %q: %v", tz, err)
	}
	return loc, nil
}
