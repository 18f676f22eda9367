package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Messages of a Kafka instance: producing (5.5.1), querying (5.8.1-5.8.5) and deleting (5.8.6).
// Field names and types are the Go SDK's (SendKafkaMessage, ShowInstanceMessages,
// ShowPartitionMessage, ShowMessages, ShowPartitionBeginningMessage, ShowPartitionEndMessage,
// DeleteKafkaTopicMessages).

// The properties of 5.5.1's property_list that place a message; any other property is a header.
const (
	PropertyKey       = "KEY"
	PropertyPartition = "PARTITION"
)

// MessageProperty is one entry of 5.5.1's property_list.
type MessageProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ProduceMessageRequest is the body of 5.5.1: the message Body (text) to Topic, with its key
// (PropertyKey), its partition (PropertyPartition) and headers (any other name) in PropertyList.
type ProduceMessageRequest struct {
	Topic        string            `json:"topic"`
	Body         string            `json:"body"`
	PropertyList []MessageProperty `json:"property_list"`
}

// ProducedMessage is the answer of 5.5.1. Partition, MessageOffset, Timestamp and Size are OpenDMS's
// additions (nil from other servers): where the message was written, and its size as 5.8.x report
// it (the value's bytes).
type ProducedMessage struct {
	Topic         string            `json:"topic"`
	Body          string            `json:"body"`
	PropertyList  []json.RawMessage `json:"property_list"`
	Partition     *int              `json:"partition,omitempty"`
	MessageOffset *int64            `json:"message_offset,omitempty"`
	Timestamp     *int64            `json:"timestamp,omitempty"` // Unix ms
	Size          *int64            `json:"size,omitempty"`      // bytes of the value (key and headers not counted)
}

// ProduceMessage writes one message (5.5.1: POST .../messages/action?action_id=send).
func (c *Client) ProduceMessage(ctx context.Context, instanceID string, req ProduceMessageRequest) (*ProducedMessage, error) {
	if req.PropertyList == nil {
		req.PropertyList = []MessageProperty{} // the SDK always sends it
	}
	resp, err := c.Do(ctx, http.MethodPost, instancePath(instanceID, "messages", "action"), url.Values{"action_id": {"send"}}, req)
	if err != nil {
		return nil, err
	}
	var out ProducedMessage
	if len(strings.TrimSpace(string(resp.Body))) > 0 {
		if err := resp.Decode(&out); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

// Message is a message as 5.8.1 (MessagesEntity) and 5.8.2 (ShowPartitionMessageEntity) show it;
// 5.8.3 fills only its position (topic, partition, offset, size, timestamp). Key is nil for a
// message without a key.
//
// KeyEncoding, ValueEncoding and Headers are OpenDMS's additions: a key or value that is not UTF-8
// is sent in base64 with its encoding "base64".
type Message struct {
	Topic         string          `json:"topic"`
	Partition     int             `json:"partition"`
	MessageOffset int64           `json:"message_offset"`
	Key           *string         `json:"key"`
	Value         string          `json:"value"`
	Size          int             `json:"size"`
	Timestamp     int64           `json:"timestamp"` // Unix ms
	HugeMessage   bool            `json:"huge_message,omitempty"`
	MessageID     string          `json:"message_id,omitempty"`
	AppID         string          `json:"app_id,omitempty"`
	Tag           string          `json:"tag,omitempty"`
	KeyEncoding   string          `json:"key_encoding,omitempty"`
	ValueEncoding string          `json:"value_encoding,omitempty"`
	Headers       []MessageHeader `json:"headers,omitempty"`
}

// MessageHeader is a record header of a message (an OpenDMS addition).
type MessageHeader struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Encoding string `json:"encoding,omitempty"` // "base64" when the value is not UTF-8
}

// Time returns the message's timestamp as a time (the zero time for none).
func (m Message) Time() time.Time { return msTime(m.Timestamp) }

// msTime is a Unix ms timestamp as a time; zero and negative ones (none) are the zero time.
func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// MessageQuery selects the messages of 5.8.1. It has two modes:
//
//   - a search by time: Start and End (either may be zero: from the start, to now), optionally
//     narrowed to one Partition and filtered by Keyword (in the key or the value), Key (the whole
//     key), Include/Exclude (words of the value); paged by Limit (messages per page) and Page
//     (a page number from 1), newest first unless Asc;
//   - the message at Partition and MessageOffset (no Start or End).
//
// Download asks for the whole values (a search shows long ones cut, flagged HugeMessage).
type MessageQuery struct {
	Topic         string
	Start, End    time.Time
	Partition     *int
	MessageOffset *int64
	Keyword       string
	Key           *string
	Include       []string
	Exclude       []string
	Asc           bool
	Limit         int
	Page          int
	Download      bool
}

// MessagePage is the answer of 5.8.1. Page, Pages and Truncated are OpenDMS's additions: the page
// shown, the number of pages, and whether a search stopped at a bound before the end of the range.
type MessagePage struct {
	Messages  []Message `json:"messages"`
	Total     int64     `json:"total"`
	Size      int64     `json:"size"`
	Page      int       `json:"page,omitempty"`
	Pages     int       `json:"pages,omitempty"`
	Truncated bool      `json:"truncated,omitempty"`
}

// ms is t as a Unix ms query value.
func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// QueryMessages queries an instance's messages (5.8.1). Messages is never nil.
func (c *Client) QueryMessages(ctx context.Context, instanceID string, mq MessageQuery) (*MessagePage, error) {
	q := url.Values{"topic": {mq.Topic}}
	if !mq.Start.IsZero() {
		q.Set("start_time", ms(mq.Start))
	}
	if !mq.End.IsZero() {
		q.Set("end_time", ms(mq.End))
	}
	if mq.Partition != nil {
		q.Set("partition", strconv.Itoa(*mq.Partition))
	}
	if mq.MessageOffset != nil {
		q.Set("message_offset", strconv.FormatInt(*mq.MessageOffset, 10))
	}
	if mq.Keyword != "" {
		q.Set("keyword", mq.Keyword)
	}
	if mq.Key != nil {
		q.Set("key", *mq.Key)
	}
	if len(mq.Include) > 0 {
		q.Set("include", strings.Join(mq.Include, ","))
	}
	if len(mq.Exclude) > 0 {
		q.Set("exclude", strings.Join(mq.Exclude, ","))
	}
	if mq.Asc {
		q.Set("asc", "true")
	}
	if mq.Limit > 0 {
		q.Set("limit", strconv.Itoa(mq.Limit))
	}
	if mq.Page > 0 {
		q.Set("offset", strconv.Itoa(mq.Page))
	}
	if mq.Download {
		q.Set("download", "true")
	}
	resp, err := c.Do(ctx, http.MethodGet, instancePath(instanceID, "messages"), q, nil)
	if err != nil {
		return nil, err
	}
	var out MessagePage
	if err := resp.Decode(&out); err != nil {
		return nil, err
	}
	if out.Messages == nil {
		out.Messages = []Message{}
	}
	return &out, nil
}

// topicPath is /v2/{project_id}/instances/{id}/management/topics/{topic}/elems...
func topicPath(instanceID, topic string, elems ...string) string {
	return instancePath(instanceID, append([]string{"management", "topics", topic}, elems...)...)
}

// MessageAt returns the whole message at offset in a partition (5.8.2). found is false when the
// server answers no message there (an offset left by compaction or a transaction marker); an offset
// outside the partition is an API error.
func (c *Client) MessageAt(ctx context.Context, instanceID, topic string, partition int, offset int64) (m Message, found bool, err error) {
	q := url.Values{"message_offset": {strconv.FormatInt(offset, 10)}}
	resp, err := c.Do(ctx, http.MethodGet, topicPath(instanceID, topic, "partitions", strconv.Itoa(partition), "message"), q, nil)
	if err != nil {
		return m, false, err
	}
	var out struct {
		Message []Message `json:"message"`
	}
	if err := resp.Decode(&out); err != nil {
		return m, false, err
	}
	if len(out.Message) == 0 {
		return m, false, nil
	}
	return out.Message[0], true, nil
}

// TimeQuery selects the messages of 5.8.3: those written between Start and End (zero: from the
// start, to now) in one Partition (nil: all), paged by Limit (messages per page) and Page (a page
// number from 1).
type TimeQuery struct {
	Start, End time.Time
	Partition  *int
	Limit      int
	Page       int
}

// MessagePositions is the answer of 5.8.3: where the messages are (no keys or values). Truncated is
// an OpenDMS addition (the search stopped at a bound before the end of the range).
type MessagePositions struct {
	Messages      []Message `json:"messages"`
	MessagesCount int       `json:"messages_count"`
	OffsetsCount  int       `json:"offsets_count"` // pages
	Offset        int       `json:"offset"`        // the page shown
	Truncated     bool      `json:"truncated,omitempty"`
}

// MessagesByTime lists the positions of a topic's messages written in a time period (5.8.3).
// Messages is never nil.
func (c *Client) MessagesByTime(ctx context.Context, instanceID, topic string, tq TimeQuery) (*MessagePositions, error) {
	q := url.Values{}
	if !tq.Start.IsZero() {
		q.Set("start_time", ms(tq.Start))
	}
	if !tq.End.IsZero() {
		q.Set("end_time", ms(tq.End))
	}
	if tq.Partition != nil {
		q.Set("partition", strconv.Itoa(*tq.Partition))
	}
	if tq.Limit > 0 {
		q.Set("limit", strconv.Itoa(tq.Limit))
	}
	if tq.Page > 0 {
		q.Set("offset", strconv.Itoa(tq.Page))
	}
	resp, err := c.Do(ctx, http.MethodGet, topicPath(instanceID, topic, "messages"), q, nil)
	if err != nil {
		return nil, err
	}
	var out MessagePositions
	if err := resp.Decode(&out); err != nil {
		return nil, err
	}
	if out.Messages == nil {
		out.Messages = []Message{}
	}
	return &out, nil
}

// MessagePosition is the answer of 5.8.4 or 5.8.5: a message's offset and timestamp. For an empty
// partition OpenDMS answers the offset the next message gets and the timestamp -1.
type MessagePosition struct {
	Offset    int64 `json:"offset"`    // -1: the partition holds no message (OpenDMS; see None)
	Timestamp int64 `json:"timestamp"` // Unix ms; -1 when the partition holds no message
}

// None says the partition holds no message. OpenDMS answers offset -1; older servers answered the
// partition's end offset with timestamp -1, which None also recognizes.
func (p MessagePosition) None() bool { return p.Offset < 0 || p.Timestamp < 0 }

// PartitionOffsets is where a partition's messages begin and end (5.8.4 and 5.8.5).
type PartitionOffsets struct {
	Topic     string          `json:"topic"`
	Partition int             `json:"partition"`
	Earliest  MessagePosition `json:"earliest"` // the first message (5.8.4)
	Latest    MessagePosition `json:"latest"`   // the last message (5.8.5)
}

// PartitionOffsets returns the offsets and timestamps of the first (5.8.4) and last (5.8.5) messages
// of a partition.
func (c *Client) PartitionOffsets(ctx context.Context, instanceID, topic string, partition int) (*PartitionOffsets, error) {
	out := PartitionOffsets{Topic: topic, Partition: partition}
	for _, e := range []struct {
		elem string
		dst  *MessagePosition
	}{{"beginning-message", &out.Earliest}, {"end-message", &out.Latest}} {
		if err := c.call(ctx, http.MethodGet, topicPath(instanceID, topic, "partitions", strconv.Itoa(partition), e.elem), nil, e.dst); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

// PartitionOffset is one partition of 5.8.6's body: its messages before Offset are deleted (-1:
// every message, on OpenDMS).
type PartitionOffset struct {
	Partition int   `json:"partition"`
	Offset    int64 `json:"offset"`
}

// MessageDeleteResult is one partition's result of 5.8.6. ErrorMsg and StartOffset are OpenDMS's
// additions: why the partition failed, and its first offset after the deletion.
type MessageDeleteResult struct {
	Partition   int    `json:"partition"`
	Result      string `json:"result"`     // success | failed
	ErrorCode   string `json:"error_code"` // "0" on success (the reference's example sends the number 0)
	ErrorMsg    string `json:"error_msg,omitempty"`
	StartOffset *int64 `json:"start_offset,omitempty"`
}

// OK reports whether the partition's messages were deleted.
func (r MessageDeleteResult) OK() bool { return r.Result == "success" }

// UnmarshalJSON accepts error_code as a string (the SDK's type) or a number (the reference's example).
func (r *MessageDeleteResult) UnmarshalJSON(b []byte) error {
	type plain MessageDeleteResult
	var v struct {
		plain
		ErrorCode json.RawMessage `json:"error_code"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = MessageDeleteResult(v.plain)
	if len(v.ErrorCode) > 0 && string(v.ErrorCode) != "null" {
		var s string
		if json.Unmarshal(v.ErrorCode, &s) != nil {
			var n json.Number
			if err := json.Unmarshal(v.ErrorCode, &n); err != nil {
				return fmt.Errorf("client: error_code %s is neither a string nor a number", v.ErrorCode)
			}
			s = n.String()
		}
		r.ErrorCode = s
	}
	return nil
}

// DeleteMessages deletes, in each partition given, the messages before the offset given (5.8.6, in
// the SDK's form POST .../topics/{topic}/messages/delete), and returns each partition's result.
func (c *Client) DeleteMessages(ctx context.Context, instanceID, topic string, parts []PartitionOffset) ([]MessageDeleteResult, error) {
	in := struct {
		Partitions []PartitionOffset `json:"partitions"`
	}{parts}
	var out struct {
		Partitions []MessageDeleteResult `json:"partitions"`
	}
	if err := c.call(ctx, http.MethodPost, kafkaInstancePath(instanceID, "topics", topic, "messages", "delete"), in, &out); err != nil {
		return nil, err
	}
	if out.Partitions == nil {
		out.Partitions = []MessageDeleteResult{}
	}
	return out.Partitions, nil
}

// The batched produce API (OpenDMS's own: POST /opendms/v1/{project_id}/instances/{instance_id}/
// topics/{topic}/records): many records per request, produced together, answered per record.

// MaxBatchRecords is the most records one ProduceRecords request may carry (the server's bound).
const MaxBatchRecords = 10_000

// RecordData is a key, value or header value of ProduceRecords: Type "string" (Data is the text)
// or "binary" (Data is base64). A nil *RecordData is none (no key; a null value).
type RecordData struct {
	Type string `json:"type"`
	Data string `json:"data"`
}

// Text is data given as text.
func Text(s string) *RecordData { return &RecordData{Type: "string", Data: s} }

// Binary is data given as bytes (sent in base64).
func Binary(b []byte) *RecordData {
	return &RecordData{Type: "binary", Data: base64.StdEncoding.EncodeToString(b)}
}

// RecordHeader is one header of a Record.
type RecordHeader struct {
	Name  string      `json:"name"`
	Value *RecordData `json:"value"`
}

// Record is one record of ProduceRecords. Partition nil: chosen by the key's hash (spread when
// there is no key). Timestamp 0: the time it is produced (else Unix ms).
type Record struct {
	Key       *RecordData    `json:"key,omitempty"`
	Value     *RecordData    `json:"value"`
	Headers   []RecordHeader `json:"headers,omitempty"`
	Partition *int32         `json:"partition,omitempty"`
	Timestamp int64          `json:"timestamp,omitempty"`
}

// RecordResult is the answer for one record: where it was written, or its error (ErrorCode set,
// the others nil).
type RecordResult struct {
	Partition *int32 `json:"partition,omitempty"`
	Offset    *int64 `json:"offset,omitempty"`
	Timestamp *int64 `json:"timestamp,omitempty"` // Unix ms
	ErrorCode string `json:"error_code,omitempty"`
	ErrorMsg  string `json:"error_msg,omitempty"`
}

// ProducedRecords is the answer of ProduceRecords: one result per record, in the order sent.
type ProducedRecords struct {
	Topic     string         `json:"topic"`
	Succeeded int            `json:"succeeded"`
	Failed    int            `json:"failed"`
	Records   []RecordResult `json:"records"`
}

// ProduceRecords writes records to topic in one request (at most MaxBatchRecords). A bad record, a
// topic or partition that does not exist fail the whole request (an *APIError, nothing written); a
// record the cluster refuses has its error in its result, and the others are written.
func (c *Client) ProduceRecords(ctx context.Context, instanceID, topic string, records []Record) (*ProducedRecords, error) {
	if records == nil {
		records = []Record{}
	}
	return c.produceRecords(ctx, instanceID, topic, records)
}

// ProduceRecordsBody is ProduceRecords with the body as it is sent: a JSON array of records, or
// newline-delimited JSON (one record a line). Keys, values and header values may be plain JSON
// strings there as well as RecordData objects; timestamps may also be RFC 3339 strings.
func (c *Client) ProduceRecordsBody(ctx context.Context, instanceID, topic string, body []byte) (*ProducedRecords, error) {
	return c.produceRecords(ctx, instanceID, topic, body)
}

func (c *Client) produceRecords(ctx context.Context, instanceID, topic string, body any) (*ProducedRecords, error) {
	resp, err := c.Do(ctx, http.MethodPost, AdminPrefix+"/{project_id}/instances/"+url.PathEscape(instanceID)+"/topics/"+url.PathEscape(topic)+"/records", nil, body)
	if err != nil {
		return nil, err
	}
	var out ProducedRecords
	if err := resp.Decode(&out); err != nil {
		return nil, err
	}
	return &out, nil
}
