package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/messages"
)

// Messages: 5.5.1 and 5.8.1-5.8.6.
func (s *Server) implementMessages() {
	s.router.implement("POST", "/v2/{project_id}/instances/{instance_id}/messages/action", http.HandlerFunc(s.produceMessage))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/messages", http.HandlerFunc(s.showInstanceMessages))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/partitions/{partition}/message", http.HandlerFunc(s.showPartitionMessage))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/messages", http.HandlerFunc(s.showMessages))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/partitions/{partition}/beginning-message", http.HandlerFunc(s.showPartitionBeginning))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/partitions/{partition}/end-message", http.HandlerFunc(s.showPartitionEnd))
	s.router.implement("DELETE", "/v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/messages", http.HandlerFunc(s.deleteMessages))
	s.router.implement("POST", "/v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/messages/delete", http.HandlerFunc(s.deleteMessages)) // SDK DeleteKafkaTopicMessages
}

// 5.5.1. The response echoes topic and body as the reference does, and adds where the message was
// written (partition, message_offset, timestamp) and its size as 5.8.x report it (messages.ValueSize):
// extra fields the SDKs ignore.
//
// This is the path of every message produced over HTTP, so the common query string is matched
// without parsing and the answer is appended (appendProduced, the bytes writeJSON would write). The
// body goes through decodeJSON as every other: a hand-written decoder (and goccy/go-json, measured
// in issue 11) saved about 2 µs of the ~140 µs of CPU a message costs, not worth a parser of our
// own or a dependency that copies the runtime's type layouts.
func (s *Server) produceMessage(w http.ResponseWriter, r *http.Request) {
	if r.URL.RawQuery != "action_id=send" {
		if a := r.URL.Query().Get("action_id"); a != "send" {
			writeError(w, r, invalidParam("action_id must be send, got %q", a))
			return
		}
	}
	var req messages.ProduceRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	out, err := s.messages.Produce(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(appendProduced(make([]byte, 0, len(req.Topic)+len(req.Body)+160), req, out))
}

// appendProduced appends 5.5.1's answer as writeJSON writes the map
//
//	{"topic": req.Topic, "body": req.Body, "property_list": []any{}, "partition": out.Partition,
//	 "message_offset": out.Offset, "timestamp": out.Timestamp, "size": out.Size}
//
// (keys sorted, as encoding/json writes a map; TestAppendProduced compares the two).
func appendProduced(b []byte, req messages.ProduceRequest, out messages.Produced) []byte {
	b = append(b, `{"body":`...)
	b = appendJSONString(b, req.Body)
	b = append(b, `,"message_offset":`...)
	b = strconv.AppendInt(b, out.Offset, 10)
	b = append(b, `,"partition":`...)
	b = strconv.AppendInt(b, int64(out.Partition), 10)
	b = append(b, `,"property_list":[],"size":`...)
	b = strconv.AppendInt(b, out.Size, 10)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, out.Timestamp, 10)
	b = append(b, `,"topic":`...)
	b = appendJSONString(b, req.Topic)
	return append(b, "}\n"...)
}

// appendJSONString appends s as a JSON string as writeJSON writes it (HTML not escaped): as it is
// when it needs no escape, else through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	if plainJSONText(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// plainJSONText says whether encoding/json writes s between quotes unchanged (with HTML escaping
// off): valid UTF-8 without control characters, quotes, backslashes, U+2028 or U+2029 (which it
// escapes for JavaScript's sake).
func plainJSONText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += n
	}
	return true
}

// messageView is MessagesEntity (5.8.1) and, without huge_message and the ids, ShowPartitionMessageEntity
// (5.8.2). Keys and values are strings; one that is not UTF-8 is sent in base64 and says so in
// key_encoding/value_encoding (extra fields, as are headers).
type messageView struct {
	Topic         string       `json:"topic"`
	Partition     int32        `json:"partition"`
	MessageOffset int64        `json:"message_offset"`
	Key           *string      `json:"key"`
	Value         *string      `json:"value,omitempty"`
	Size          int32        `json:"size"`
	Timestamp     int64        `json:"timestamp"`
	HugeMessage   *bool        `json:"huge_message,omitempty"`
	MessageID     *string      `json:"message_id,omitempty"`
	AppID         *string      `json:"app_id,omitempty"`
	Tag           *string      `json:"tag,omitempty"`
	KeyEncoding   string       `json:"key_encoding,omitempty"`
	ValueEncoding string       `json:"value_encoding,omitempty"`
	Headers       []headerView `json:"headers,omitempty"`
}

type headerView struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Encoding string `json:"encoding,omitempty"`
}

// entity says which of the reference's message objects a view is.
type entity int

const (
	entityMessages  entity = iota // 5.8.1 MessagesEntity
	entityPartition               // 5.8.2 ShowPartitionMessageEntity
)

func viewOf(m messages.Message, e entity) messageView {
	v := messageView{Topic: m.Topic, Partition: m.Partition, MessageOffset: m.Offset, Size: clampInt32(m.Size), Timestamp: m.Timestamp}
	if m.HasKey {
		var k string
		k, v.KeyEncoding = encodeBytes(m.Key)
		v.Key = &k
	}
	val, enc := encodeBytes(m.Value)
	v.Value, v.ValueEncoding = &val, enc
	for _, h := range m.Headers {
		hv, henc := encodeBytes(h.Value)
		v.Headers = append(v.Headers, headerView{Name: h.Key, Value: hv, Encoding: henc})
	}
	if e == entityMessages {
		empty := ""
		v.HugeMessage, v.MessageID, v.AppID, v.Tag = &m.Huge, &empty, &empty, &empty
	}
	return v
}

// encodeBytes is b as a JSON string: as is when it is UTF-8, else base64 (and "base64").
func encodeBytes(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

func clampInt32(n int64) int32 {
	return int32(max(math.MinInt32, min(n, math.MaxInt32)))
}

// scanView tells how much a query read and whether a bound stopped it (an extra object; SDKs ignore
// it): truncated=true means the answer covers only the part of the time range read.
type scanView struct {
	Records   int64  `json:"records"`
	Bytes     int64  `json:"bytes"`
	Search    bool   `json:"search"`
	StoppedBy string `json:"stopped_by,omitempty"`
	MaxBytes  int64  `json:"max_bytes"`
	MaxRecs   int64  `json:"max_records"`
	MaxTimeMS int64  `json:"max_time_ms"`
}

func (s *Server) scanViewOf(si messages.ScanInfo) scanView {
	lim := s.messages.Limits()
	return scanView{Records: si.Records, Bytes: si.Bytes, Search: si.Search, StoppedBy: si.StoppedBy,
		MaxBytes: lim.MaxScanBytes, MaxRecs: lim.MaxScanRecords, MaxTimeMS: lim.MaxScanTime.Milliseconds()}
}

// 5.8.1. Two modes, as the reference has them: with start_time/end_time (either may be left out:
// from 0, to the end) a paged search by time; without them but with message_offset, the message at
// partition + message_offset. With neither, the whole topic is searched by time. offset is a page
// number from 1 (0 also means the first page); keyword (key or value), key (the whole key),
// include/exclude (comma-separated words of the value) filter, and partition narrows a search to
// one partition.
func (s *Server) showInstanceMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	projectID, instanceID := r.PathValue("project_id"), r.PathValue("instance_id")
	topic := q.Get("topic")
	if topic == "" {
		writeError(w, r, invalidParam("topic is required"))
		return
	}
	download, err := boolParam(q, "download")
	if err != nil {
		writeError(w, r, err)
		return
	}
	start, hasStart, err := timeParam(q, "start_time")
	if err != nil {
		writeError(w, r, err)
		return
	}
	end, hasEnd, err := timeParam(q, "end_time")
	if err != nil {
		writeError(w, r, err)
		return
	}
	partition, hasPartition, err := intParam(q, "partition", -1, math.MaxInt32)
	if err != nil {
		writeError(w, r, err)
		return
	}
	offset, hasOffset, err := intParam(q, "message_offset", 0, math.MaxInt64)
	if err != nil {
		writeError(w, r, err)
		return
	}

	if !hasStart && !hasEnd && hasOffset {
		if !hasPartition || partition < 0 {
			writeError(w, r, invalidParam("partition is required with message_offset"))
			return
		}
		m, found, err := s.messages.Read(r.Context(), projectID, instanceID, topic, int32(partition), offset, download)
		if err != nil {
			writeError(w, r, err)
			return
		}
		views := []messageView{}
		if found {
			views = append(views, viewOf(m, entityMessages))
		}
		writeJSON(w, http.StatusOK, map[string]any{"messages": views, "total": len(views), "size": len(views)})
		return
	}

	query := messages.Query{Topic: topic, StartMs: start, EndMs: -1, Partition: -1, Keyword: q.Get("keyword"), Download: download}
	if hasEnd {
		query.EndMs = end
	}
	if hasPartition {
		query.Partition = int32(partition)
	}
	if query.Asc, err = boolParam(q, "asc"); err != nil {
		writeError(w, r, err)
		return
	}
	if q.Has("key") {
		k := q.Get("key")
		query.Key = &k
	}
	query.Include, query.Exclude = words(q.Get("include")), words(q.Get("exclude"))
	if query.Page, query.Limit, err = pageNumberParams(q); err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.messages.Search(r.Context(), projectID, instanceID, query)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]messageView, len(page.Messages))
	for i, m := range page.Messages {
		views[i] = viewOf(m, entityMessages)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"messages": views, "total": page.Total, "size": len(views),
		"page": page.Page, "pages": page.Pages, "truncated": page.Scan.Truncated(), "scan": s.scanViewOf(page.Scan),
	})
}

// 5.8.2: the whole message (not cut).
func (s *Server) showPartitionMessage(w http.ResponseWriter, r *http.Request) {
	partition, err := pathPartition(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	if !q.Has("message_offset") {
		writeError(w, r, invalidParam("message_offset is required"))
		return
	}
	offset, _, err := intParam(q, "message_offset", 0, math.MaxInt64)
	if err != nil {
		writeError(w, r, err)
		return
	}
	m, found, err := s.messages.Read(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("topic"), partition, offset, true)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := []messageView{}
	if found {
		views = append(views, viewOf(m, entityPartition))
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": views})
}

// 5.8.3: positions of the messages in a time period, paged (offset is a page number from 1; 0 also
// means the first page), newest first (asc=true: oldest first, an extension).
func (s *Server) showMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, _, err := timeParam(q, "start_time")
	if err != nil {
		writeError(w, r, err)
		return
	}
	end, hasEnd, err := timeParam(q, "end_time")
	if err != nil {
		writeError(w, r, err)
		return
	}
	partition, _, err := intParam(q, "partition", -1, math.MaxInt32)
	if err != nil {
		writeError(w, r, err)
		return
	}
	query := messages.Query{Topic: r.PathValue("topic"), StartMs: start, EndMs: -1, Partition: -1, NoValues: true}
	if q.Has("partition") {
		query.Partition = int32(partition)
	}
	if hasEnd {
		query.EndMs = end
	}
	if query.Asc, err = boolParam(q, "asc"); err != nil {
		writeError(w, r, err)
		return
	}
	if query.Page, query.Limit, err = pageNumberParams(q); err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.messages.Search(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), query)
	if err != nil {
		writeError(w, r, err)
		return
	}
	type positionView struct {
		Topic         string `json:"topic"`
		Partition     int32  `json:"partition"`
		MessageOffset int64  `json:"message_offset"`
		Size          int32  `json:"size"`
		Timestamp     int64  `json:"timestamp"`
	}
	views := make([]positionView, len(page.Messages))
	for i, m := range page.Messages {
		views[i] = positionView{Topic: m.Topic, Partition: m.Partition, MessageOffset: m.Offset, Size: clampInt32(m.Size), Timestamp: m.Timestamp}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"messages": views, "messages_count": clampInt32(page.Total), "offsets_count": clampInt32(page.Pages), "offset": page.Page,
		"truncated": page.Scan.Truncated(), "scan": s.scanViewOf(page.Scan),
	})
}

// 5.8.4 and 5.8.5. offset is int32 in the SDK's model: an offset past 2^31-1 is sent as it is (the
// Go SDK cannot decode it; other clients can).
func (s *Server) showPartitionBeginning(w http.ResponseWriter, r *http.Request) {
	s.showPartitionPosition(w, r, s.messages.Earliest)
}

func (s *Server) showPartitionEnd(w http.ResponseWriter, r *http.Request) {
	s.showPartitionPosition(w, r, s.messages.Latest)
}

func (s *Server) showPartitionPosition(w http.ResponseWriter, r *http.Request,
	get func(ctx context.Context, projectID, instanceID, topic string, partition int32) (messages.Position, error)) {
	partition, err := pathPartition(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	topic := r.PathValue("topic")
	pos, err := get(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), topic, partition)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"topic": topic, "partition": partition, "offset": pos.Offset, "timestamp": pos.Timestamp})
}

// 5.8.6, in both forms (the reference's DELETE with a body, the SDK's POST .../messages/delete).
// error_code is a string, as the SDK's model has it: "0" on success, else Kafka's error code of the
// partition, with error_msg (extra) saying what it is.
func (s *Server) deleteMessages(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Partitions []messages.PartitionOffset `json:"partitions"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	out, err := s.messages.Delete(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("topic"), req.Partitions)
	if err != nil {
		writeError(w, r, err)
		return
	}
	type partitionResp struct {
		Partition   int32  `json:"partition"`
		Result      string `json:"result"`
		ErrorCode   string `json:"error_code"`
		ErrorMsg    string `json:"error_msg,omitempty"`
		StartOffset int64  `json:"start_offset"`
	}
	views := make([]partitionResp, len(out))
	for i, o := range out {
		views[i] = partitionResp{Partition: o.Partition, Result: "success", ErrorCode: "0", StartOffset: o.Start}
		if o.Err != nil {
			views[i].Result, views[i].ErrorCode, views[i].ErrorMsg = "failed", strconv.Itoa(int(o.ErrCode)), o.Err.Error()
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"partitions": views})
}

// pathPartition is the {partition} path parameter (Integer).
func pathPartition(r *http.Request) (int32, error) {
	v := r.PathValue("partition")
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		return 0, invalidParam("partition must be a partition number, got %q", v)
	}
	return int32(n), nil
}

// timeParam is a Unix ms timestamp query parameter; a bad one is 400 DMS.00400142.
func timeParam(q url.Values, name string) (int64, bool, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false, dms.Errorf(dms.CodeTimestampInvalid, "Timestamp is invalid: %s must be a Unix timestamp in milliseconds, got %q.", name, v)
	}
	return n, true, nil
}

// intParam is an integer query parameter within [lo, hi].
func intParam(q url.Values, name string, lo, hi int64) (int64, bool, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, false, invalidParam("%s must be an integer from %d to %d, got %q", name, lo, hi, v)
	}
	return n, true, nil
}

// boolParam is a true/false query parameter (false when absent).
func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, invalidParam("%s must be true or false, got %q", name, v)
	}
	return b, nil
}

// pageNumberParams reads 5.8.1/5.8.3's paging: limit (default 10; the maximum is the service's) and
// offset, a page number from 1 (0, the reference's example, is the first page too).
func pageNumberParams(q url.Values) (page, limit int, err error) {
	l, ok, err := intParam(q, "limit", math.MinInt32, math.MaxInt32)
	if err != nil {
		return 0, 0, err
	}
	limit = 10
	if ok {
		limit = int(l)
	}
	if limit < 1 {
		return 0, 0, invalidParam("limit must be at least 1, got %d", limit)
	}
	p, _, err := intParam(q, "offset", 0, math.MaxInt32)
	if err != nil {
		return 0, 0, err
	}
	return max(1, int(p)), limit, nil
}

// words splits a comma-separated list, dropping empty words.
func words(v string) []string {
	var out []string
	for _, w := range strings.Split(v, ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}
