package messages

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"slices"
	"unicode/utf8"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
)

// Query is a search of one topic's messages by time (5.8.1's offset search, 5.8.3).
type Query struct {
	Topic     string
	StartMs   int64 // first timestamp included (>= 0)
	EndMs     int64 // last timestamp included; < 0: no end
	Partition int32 // -1: every partition
	Asc       bool  // oldest first; newest first otherwise
	Page      int   // page number, from 1
	Limit     int   // messages per page

	// Filters; any of them makes the query a search that reads the whole time range (within the
	// scan bounds). Keyword matches the key or the value; Key the whole key; every Include word and
	// no Exclude word must be in the value.
	Keyword          string
	Key              *string
	Include, Exclude []string

	Download bool // whole keys and values instead of cut ones
	NoValues bool // messages without key, value and headers (5.8.3)
}

// Message is one message of a page.
type Message struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp int64 // Unix ms
	Size      int64 // the value's bytes: see ValueSize
	Key       []byte
	HasKey    bool
	Value     []byte
	Huge      bool // the key or value is longer than DisplayBytes and was cut (unless downloaded)
	Headers   []kafkaops.Header
}

// ScanInfo says how much a query read and whether a bound stopped it.
type ScanInfo struct {
	Records, Bytes int64 // records (and their bytes) read
	Search         bool  // a filter made the query read the whole range, not only the page's window
	// StoppedBy is "bytes", "records" or "time" when the read stopped at a bound before covering
	// the range: the page holds what was found in the part read (the newest part with newest-first
	// order), and Total counts only that part.
	StoppedBy string
}

// Truncated says whether a bound stopped the query's read.
func (si ScanInfo) Truncated() bool { return si.StoppedBy != "" }

// Page is the answer to a Query.
type Page struct {
	Messages []Message
	// Total is the number of messages in the time range (that pass the filters). Without filters it
	// is counted from offsets (transaction markers and compacted-away records included).
	Total int64
	Page  int
	Limit int
	Pages int64 // pages of Limit messages in Total
	Scan  ScanInfo
}

const (
	maxKeywordChars = 50 // the reference's bound on keyword
	maxFilterWords  = 20 // include + exclude words (the SDK's bound)
)

// Search answers a Query.
func (s *Service) Search(ctx context.Context, projectID, instanceID string, q Query) (Page, error) {
	lim := s.Limits()
	if err := validateQuery(q, lim); err != nil {
		return Page{}, err
	}
	_, c, err := s.instances.DataClient(ctx, projectID, instanceID)
	if err != nil {
		return Page{}, err
	}
	release, lim, err := s.acquire(ctx)
	if err != nil {
		return Page{}, err
	}
	defer release()

	ranges, err := c.TimeRange(ctx, q.Topic, q.StartMs, q.EndMs)
	if err != nil {
		return Page{}, kafkaerr.ToDMS(kafkaerr.Topic(q.Topic), err)
	}
	if q.Partition >= 0 {
		i := slices.IndexFunc(ranges, func(r kafkaops.OffsetRange) bool { return r.Partition == q.Partition })
		if i < 0 {
			return Page{}, invalid("topic %s has no partition %d (it has %d)", q.Topic, q.Partition, len(ranges))
		}
		ranges = ranges[i : i+1]
	}

	depth := q.Page * q.Limit
	f := newFilter(q)
	top := newTopK(depth, q.Asc)
	var total int64
	opts := kafkaops.ScanOptions{MaxBytes: lim.MaxScanBytes, MaxRecords: lim.MaxScanRecords, MaxTime: lim.MaxScanTime}
	read := ranges
	if f == nil {
		// The page is among the depth newest (oldest) offsets of each partition: read only those.
		read = make([]kafkaops.OffsetRange, len(ranges))
		opts.Chunk = int64(depth)
		for i, r := range ranges {
			total += r.Len()
			if q.Asc {
				r.End = min(r.End, r.Start+int64(depth))
			} else {
				r.Start = max(r.Start, r.End-int64(depth))
			}
			read[i] = r
		}
	} else {
		opts.Backward = !q.Asc
		opts.Chunk = max(int64(depth), 1024) // then growing: see kafkaops.ScanOptions
	}
	res, err := c.Scan(ctx, q.Topic, read, opts, func(r *kafkaops.Record) bool {
		if r.Timestamp < q.StartMs || (q.EndMs >= 0 && r.Timestamp > q.EndMs) {
			return true // out of order timestamps inside the located range
		}
		if f != nil {
			if !f.match(r) {
				return true
			}
			total++
		}
		if top.wants(r) {
			top.add(messageOf(q.Topic, r, lim.DisplayBytes, q.NoValues))
		}
		return true
	})
	if err != nil {
		if ctx.Err() != nil {
			return Page{}, ctx.Err()
		}
		return Page{}, kafkaerr.ToDMS(kafkaerr.Topic(q.Topic), err)
	}

	all := top.sorted()
	from := min((q.Page-1)*q.Limit, len(all))
	msgs := all[from:min(from+q.Limit, len(all))]
	info := ScanInfo{Records: res.Records, Bytes: res.Bytes, Search: f != nil, StoppedBy: res.Stopped}
	if info.Truncated() && len(msgs) == 0 {
		return Page{}, boundErr(info, lim)
	}
	if q.Download && !q.NoValues {
		for i := range msgs {
			if msgs[i].Huge {
				if err := s.whole(ctx, c, &msgs[i]); err != nil {
					return Page{}, err
				}
			}
		}
	}
	return Page{Messages: msgs, Total: total, Page: q.Page, Limit: q.Limit, Pages: (total + int64(q.Limit) - 1) / int64(q.Limit), Scan: info}, nil
}

// boundErr is the reference's error for a search that reached a bound before finding anything to
// show: shorten the time range (or narrow the search).
func boundErr(info ScanInfo, lim Limits) error {
	switch info.StoppedBy {
	case kafkaops.StopTime:
		return dms.Errorf(dms.CodeQueryTimeout, "Query timed out: the search read %d messages (%d bytes) in %s, the limit, without finding one for this page. Shorten the time range.",
			info.Records, info.Bytes, lim.MaxScanTime)
	case kafkaops.StopRecords:
		return dms.Errorf(dms.CodeQueryMaxBytes, "Query reach maximum: the search read %d messages, the limit, without finding one for this page. Shorten the time range.",
			info.Records)
	default:
		return dms.Errorf(dms.CodeQueryMaxBytes, "Query reach maximum byte: the search read %d bytes, the limit, without finding a message for this page. Shorten the time range.",
			info.Bytes)
	}
}

func validateQuery(q Query, lim Limits) error {
	if q.Topic == "" {
		return invalid("topic is required")
	}
	if q.StartMs < 0 || (q.EndMs >= 0 && q.EndMs < q.StartMs) {
		return dms.Errorf(dms.CodeTimestampInvalid, "Timestamp is invalid: the time range [%d, %d] is empty or negative.", q.StartMs, q.EndMs)
	}
	if q.Limit < 1 {
		return invalid("limit must be at least 1")
	}
	if q.Limit > lim.MaxPageSize {
		return dms.Errorf(dms.CodePageSizeTooLarge, "The number of records on each page (%d) exceeds the upper limit %d.", q.Limit, lim.MaxPageSize)
	}
	if q.Page < 1 {
		return invalid("the page number must be at least 1")
	}
	if q.Page*q.Limit > lim.MaxPageDepth || q.Page > lim.MaxPageDepth {
		return dms.Errorf(dms.CodePageSkipTooLarge, "The page %d of %d records goes beyond the first %d records a query can page through; narrow the time range.",
			q.Page, q.Limit, lim.MaxPageDepth)
	}
	if n := utf8.RuneCountInString(q.Keyword); n > maxKeywordChars {
		return invalid("keyword has %d characters, at most %d are allowed", n, maxKeywordChars)
	}
	if len(q.Include)+len(q.Exclude) > maxFilterWords {
		return invalid("include and exclude name %d words, at most %d are allowed", len(q.Include)+len(q.Exclude), maxFilterWords)
	}
	if q.Partition < -1 {
		return invalid("partition must be a partition number or -1")
	}
	return nil
}

// filter is a query's filters; nil when there are none.
type filter struct {
	keyword          []byte
	key              []byte
	hasKey           bool
	include, exclude [][]byte
}

func newFilter(q Query) *filter {
	f := &filter{keyword: []byte(q.Keyword)}
	if q.Key != nil {
		f.key, f.hasKey = []byte(*q.Key), true
	}
	for _, w := range q.Include {
		if w != "" {
			f.include = append(f.include, []byte(w))
		}
	}
	for _, w := range q.Exclude {
		if w != "" {
			f.exclude = append(f.exclude, []byte(w))
		}
	}
	if len(f.keyword) == 0 && !f.hasKey && len(f.include) == 0 && len(f.exclude) == 0 {
		return nil
	}
	return f
}

func (f *filter) match(r *kafkaops.Record) bool {
	if len(f.keyword) > 0 && !bytes.Contains(r.Key, f.keyword) && !bytes.Contains(r.Value, f.keyword) {
		return false
	}
	if f.hasKey && (r.Key == nil || !bytes.Equal(r.Key, f.key)) {
		return false
	}
	for _, w := range f.include {
		if !bytes.Contains(r.Value, w) {
			return false
		}
	}
	for _, w := range f.exclude {
		if bytes.Contains(r.Value, w) {
			return false
		}
	}
	return true
}

// messageOf copies a record into a Message, its key and value cut to display bytes. The copies let
// the fetch buffers the record points into be freed.
func messageOf(topic string, r *kafkaops.Record, display int, noValues bool) Message {
	m := Message{Topic: topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp, Size: ValueSize(r.Value), HasKey: r.Key != nil}
	if noValues {
		return m
	}
	var cutK, cutV bool
	m.Key, cutK = cut(r.Key, display)
	m.Value, cutV = cut(r.Value, display)
	m.Huge = cutK || cutV
	for _, h := range r.Headers {
		v, _ := cut(h.Value, display)
		m.Headers = append(m.Headers, kafkaops.Header{Key: h.Key, Value: v})
	}
	return m
}

// cut copies b, cut to at most n bytes at a UTF-8 character boundary.
func cut(b []byte, n int) ([]byte, bool) {
	if b == nil {
		return nil, false
	}
	if len(b) <= n {
		return bytes.Clone(b), false
	}
	end := n
	for end > 0 && end > n-utf8.UTFMax && !utf8.RuneStart(b[end]) {
		end--
	}
	return bytes.Clone(b[:end]), true
}

// whole replaces a cut message's key and value by the whole ones.
func (s *Service) whole(ctx context.Context, c *kafkaops.Client, m *Message) error {
	r, found, err := c.ReadOne(ctx, m.Topic, m.Partition, m.Offset)
	if err != nil {
		return kafkaerr.ToDMS(kafkaerr.Partition(m.Topic, m.Partition), err)
	}
	if found {
		m.Key, m.Value, m.Huge = r.Key, r.Value, true
		m.Headers = r.Headers
	}
	return nil
}

// Read returns the message at offset in a partition (5.8.1 by offset, 5.8.2), cut for display unless
// whole. found is false when the offset is in the partition but holds no message (removed by
// compaction, or a transaction marker). An offset outside the partition is a 400.
func (s *Service) Read(ctx context.Context, projectID, instanceID, topic string, partition int32, offset int64, whole bool) (m Message, found bool, err error) {
	if topic == "" {
		return m, false, invalid("topic is required")
	}
	if partition < 0 {
		return m, false, invalid("partition must be a partition number")
	}
	_, c, err := s.instances.DataClient(ctx, projectID, instanceID)
	if err != nil {
		return m, false, err
	}
	release, lim, err := s.acquire(ctx)
	if err != nil {
		return m, false, err
	}
	defer release()
	b, err := s.bounds(ctx, c, topic, partition)
	if err != nil {
		return m, false, err
	}
	if offset < b.Start || offset >= b.End {
		if b.Len() == 0 {
			return m, false, invalid("message_offset %d is out of range: partition %d of %s holds no message (next offset %d)", offset, partition, topic, b.End)
		}
		return m, false, invalid("message_offset %d is out of range: partition %d of %s holds offsets %d to %d", offset, partition, topic, b.Start, b.End-1)
	}
	r, found, err := c.ReadOne(ctx, topic, partition, offset)
	if err != nil {
		return m, false, kafkaerr.ToDMS(kafkaerr.Partition(topic, partition), err)
	}
	if !found {
		return m, false, nil
	}
	display := lim.DisplayBytes
	if whole {
		display = int(^uint(0) >> 1)
	}
	m = messageOf(topic, &r, display, false)
	if whole && len(r.Value) > lim.DisplayBytes {
		m.Huge = true // still a big message, whole
	}
	return m, true, nil
}

// bounds returns a partition's log start and end offsets.
func (s *Service) bounds(ctx context.Context, c *kafkaops.Client, topic string, partition int32) (kafkaops.OffsetRange, error) {
	all, err := c.PartitionBounds(ctx, topic)
	if err != nil {
		return kafkaops.OffsetRange{}, kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
	}
	for _, b := range all {
		if b.Partition == partition {
			return b, nil
		}
	}
	return kafkaops.OffsetRange{}, invalid("topic %s has no partition %d (it has %d)", topic, partition, len(all))
}

// Position is a message's place: 5.8.4 and 5.8.5's answer.
type Position struct {
	Offset    int64 // -1 when the partition holds no message
	Timestamp int64 // Unix ms; -1 when the partition holds no message
}

// NoMessage is the Position of 5.8.4 and 5.8.5 for a partition that holds no message.
//
// The reference (5.8.4/5.8.5) defines offset only as "the offset of the earliest/latest message"
// and says nothing of a partition without one. The log start or end offset would read as the
// offset of a message: an empty partition would answer 0 like a partition whose one message is at
// 0. So both answer -1 and timestamp -1, as Kafka's ListOffsets does for a timestamp query that
// finds no record. Where the next message goes is 5.5.6's last_offset (the log end offset).
var NoMessage = Position{Offset: -1, Timestamp: -1}

// Earliest returns the offset and timestamp of the first message of a partition (5.8.4), or
// NoMessage when it holds none.
func (s *Service) Earliest(ctx context.Context, projectID, instanceID, topic string, partition int32) (Position, error) {
	if partition < 0 {
		return Position{}, invalid("partition must be a partition number")
	}
	_, c, err := s.instances.DataClient(ctx, projectID, instanceID)
	if err != nil {
		return Position{}, err
	}
	off, ts, err := c.EarliestRecord(ctx, topic, partition)
	if err != nil {
		return Position{}, kafkaerr.ToDMS(kafkaerr.Partition(topic, partition), err)
	}
	if off < 0 || ts < 0 { // no record has a timestamp >= 0: the partition is empty
		return NoMessage, nil
	}
	return Position{Offset: off, Timestamp: ts}, nil
}

// Latest returns the offset and timestamp of the last message of a partition (5.8.5): when the
// partition holds messages, the log end offset (5.5.6's last_offset) minus one, unless the last
// offsets are transaction markers. NoMessage when it holds none.
func (s *Service) Latest(ctx context.Context, projectID, instanceID, topic string, partition int32) (Position, error) {
	if partition < 0 {
		return Position{}, invalid("partition must be a partition number")
	}
	_, c, err := s.instances.DataClient(ctx, projectID, instanceID)
	if err != nil {
		return Position{}, err
	}
	release, _, err := s.acquire(ctx)
	if err != nil {
		return Position{}, err
	}
	defer release()
	r, _, ok, err := c.LatestRecord(ctx, topic, partition)
	if err != nil {
		return Position{}, kafkaerr.ToDMS(kafkaerr.Partition(topic, partition), err)
	}
	if !ok {
		return NoMessage, nil
	}
	return Position{Offset: r.Offset, Timestamp: r.Timestamp}, nil
}

// topK keeps the k first messages of a query's order (newest first, or oldest first with asc).
type topK struct {
	k   int
	asc bool
	h   msgHeap
}

func newTopK(k int, asc bool) *topK { return &topK{k: k, asc: asc, h: msgHeap{asc: asc}} }

// wants says whether a record would be among the k first, before its key and value are copied.
func (t *topK) wants(r *kafkaops.Record) bool {
	if len(t.h.ms) < t.k {
		return true
	}
	return t.h.precedes(Message{Timestamp: r.Timestamp, Partition: r.Partition, Offset: r.Offset}, t.h.ms[0])
}

func (t *topK) add(m Message) {
	heap.Push(&t.h, m)
	if len(t.h.ms) > t.k {
		heap.Pop(&t.h)
	}
}

// sorted returns the messages in the query's order.
func (t *topK) sorted() []Message {
	out := slices.Clone(t.h.ms)
	slices.SortFunc(out, func(a, b Message) int {
		if t.h.precedes(a, b) {
			return -1
		}
		if t.h.precedes(b, a) {
			return 1
		}
		return 0
	})
	return out
}

// msgHeap has the message that comes last in the query's order at its root.
type msgHeap struct {
	asc bool
	ms  []Message
}

// precedes says whether a comes before b in the query's order: by timestamp, then partition, then
// offset (ascending with asc, descending otherwise).
func (h *msgHeap) precedes(a, b Message) bool {
	c := cmp.Or(cmp.Compare(a.Timestamp, b.Timestamp), cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	if h.asc {
		return c < 0
	}
	return c > 0
}

func (h *msgHeap) Len() int           { return len(h.ms) }
func (h *msgHeap) Less(i, j int) bool { return h.precedes(h.ms[j], h.ms[i]) }
func (h *msgHeap) Swap(i, j int)      { h.ms[i], h.ms[j] = h.ms[j], h.ms[i] }
func (h *msgHeap) Push(x any)         { h.ms = append(h.ms, x.(Message)) }
func (h *msgHeap) Pop() any {
	m := h.ms[len(h.ms)-1]
	h.ms = h.ms[:len(h.ms)-1]
	return m
}
