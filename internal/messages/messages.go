// Package messages is the service behind the message APIs (5.5.1 produce, 5.8.1-5.8.6 query and
// delete): it produces, searches and deletes records on the instance's real cluster through kafkaops.
//
// Producing goes through the instance's shared Kafka client (acks=all, idempotent). Searching never
// reads a topic from its start to find a time: ListOffsets by timestamp locates the range in each
// partition, and only what a page needs is read, unless a filter (keyword, key, include, exclude)
// asks for a search, which reads the range newest first (oldest first with asc=true) within bounds
// on bytes, records and time (Limits). A search stopped by a bound answers what it found and says
// so (Page.Scan); with nothing found it is the reference's 501/408 error.
package messages

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
)

// Limits bound the work of the message APIs. Zero fields take the defaults.
type Limits struct {
	// MaxScanBytes, MaxScanRecords and MaxScanTime bound every read of a query (key + value +
	// headers bytes, records, wall time). Defaults: 256 MiB, 2,000,000 records, 10 s — the SDK
	// documents the real service's key search as bounded to 10,000 messages and 200 MB; these are
	// larger because searches here read at hundreds of MB/s.
	MaxScanBytes   int64
	MaxScanRecords int64
	MaxScanTime    time.Duration
	// MaxPageSize is the largest limit (records per page), default 50; MaxPageDepth bounds
	// page x limit (the records kept to sort a page), default 2,000.
	MaxPageSize  int
	MaxPageDepth int
	// DisplayBytes is the longest key or value a query shows: longer ones are cut there and flagged
	// huge_message (download=true, 5.8.1 by offset and 5.8.2 give them whole). Default 16 KiB.
	DisplayBytes int
	// MaxConcurrentQueries bounds the searches running at once (each has a consumer client and up to
	// a few fetch buffers); more wait up to QueueWait, then get 503 DMS.111501025. Defaults 4, 2 s.
	MaxConcurrentQueries int
	QueueWait            time.Duration
}

// DefaultLimits are the limits of a service made by New.
func DefaultLimits() Limits {
	return Limits{
		MaxScanBytes:         256 << 20,
		MaxScanRecords:       2_000_000,
		MaxScanTime:          10 * time.Second,
		MaxPageSize:          50,
		MaxPageDepth:         2000,
		DisplayBytes:         16 << 10,
		MaxConcurrentQueries: 4,
		QueueWait:            2 * time.Second,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxScanBytes <= 0 {
		l.MaxScanBytes = d.MaxScanBytes
	}
	if l.MaxScanRecords <= 0 {
		l.MaxScanRecords = d.MaxScanRecords
	}
	if l.MaxScanTime <= 0 {
		l.MaxScanTime = d.MaxScanTime
	}
	if l.MaxPageSize <= 0 {
		l.MaxPageSize = d.MaxPageSize
	}
	if l.MaxPageDepth <= 0 {
		l.MaxPageDepth = d.MaxPageDepth
	}
	if l.DisplayBytes <= 0 {
		l.DisplayBytes = d.DisplayBytes
	}
	if l.MaxConcurrentQueries <= 0 {
		l.MaxConcurrentQueries = d.MaxConcurrentQueries
	}
	if l.QueueWait <= 0 {
		l.QueueWait = d.QueueWait
	}
	return l
}

// Service is the message service.
type Service struct {
	instances *instances.Service

	mu     sync.Mutex
	limits Limits
	slots  chan struct{} // one per running query

	topics topicCache
}

// New makes the service over the instances (which give each instance's Kafka client).
func New(inst *instances.Service) *Service {
	s := &Service{instances: inst}
	s.SetLimits(Limits{})
	return s
}

// SetLimits replaces the limits (zero fields take the defaults). Queries already running keep theirs.
func (s *Service) SetLimits(l Limits) {
	l = l.withDefaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l
	s.slots = make(chan struct{}, l.MaxConcurrentQueries)
}

// Limits returns the limits in force.
func (s *Service) Limits() Limits {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limits
}

// acquire takes a query slot, waiting up to QueueWait; release gives it back.
func (s *Service) acquire(ctx context.Context) (release func(), lim Limits, err error) {
	s.mu.Lock()
	lim, slots := s.limits, s.slots
	s.mu.Unlock()
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, lim, nil
	default:
	}
	t := time.NewTimer(lim.QueueWait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, lim, nil
	case <-t.C:
		return nil, lim, dms.Errorf(dms.CodeQueryBusy, "Query Busy: %d message queries are running. Please try again later.", cap(slots))
	case <-ctx.Done():
		return nil, lim, ctx.Err()
	}
}

// invalid is a 400 for a failed validation without a more specific code.
func invalid(format string, args ...any) error {
	return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s.", fmt.Sprintf(format, args...))
}

// topicCache remembers partition counts of topics produced to for a moment, so that producing does
// not ask the cluster's metadata on every call. Only topics that exist are remembered; a partition
// beyond the remembered count is checked again before it is refused. Every produce reads it: reads
// share the lock and the key is not built (a concatenated key was an allocation per call).
type topicCache struct {
	mu sync.RWMutex
	m  map[topicKey]topicEntry
}

type topicKey struct{ instanceID, topic string }

type topicEntry struct {
	partitions int32
	at         time.Time
}

const topicCacheTTL = 2 * time.Second

func (tc *topicCache) get(instanceID, topic string) (int32, bool) {
	tc.mu.RLock()
	e, ok := tc.m[topicKey{instanceID, topic}]
	tc.mu.RUnlock()
	if !ok || time.Since(e.at) > topicCacheTTL {
		return 0, false
	}
	return e.partitions, true
}

func (tc *topicCache) put(instanceID, topic string, n int32) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.m == nil {
		tc.m = make(map[topicKey]topicEntry)
	}
	if len(tc.m) >= 4096 {
		for k, e := range tc.m {
			if time.Since(e.at) > topicCacheTTL {
				delete(tc.m, k)
			}
		}
	}
	tc.m[topicKey{instanceID, topic}] = topicEntry{partitions: n, at: time.Now()}
}

// partitions returns the partition count of topic, from the cache unless fresh is set.
func (s *Service) partitions(ctx context.Context, c *kafkaops.Client, instanceID, topic string, fresh bool) (int32, error) {
	if !fresh {
		if n, ok := s.topics.get(instanceID, topic); ok {
			return n, nil
		}
	}
	n, err := c.TopicPartitionCount(ctx, topic)
	if err != nil {
		return 0, kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
	}
	s.topics.put(instanceID, topic, n)
	return n, nil
}
