package messages

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
)

// The batched produce API (OpenDMS's own: POST /opendms/v1/{project_id}/instances/{instance_id}/
// topics/{topic}/records), after Confluent REST Proxy v3's records endpoint: many records per
// request, produced together through the instance's shared client, answered per record.

// MaxBatchRecords is the most records one request may carry. With the body size bound (the HTTP
// layer's) it bounds the memory and the time of one request.
const MaxBatchRecords = 10_000

// RecordData is a key, value or header value: plain text (a JSON string), or an object
// {"type":"string","data":"text"} or {"type":"binary","data":"base64"}. null is "none" (no key; a
// null value, Kafka's tombstone).
type RecordData struct {
	Data []byte
	Null bool
}

// UnmarshalJSON reads the three forms.
func (d *RecordData) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*d = RecordData{Null: true}
		return nil
	case b[0] == '"' && len(b) >= 2 && bytes.IndexByte(b, '\\') < 0:
		// The common case, without escapes: the text between the quotes is the data (the decoder
		// has validated the literal, and the HTTP layer the UTF-8). Decoding it again through
		// json.Unmarshal was most of the cost of a batch.
		*d = RecordData{Data: append([]byte(nil), b[1:len(b)-1]...)}
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = RecordData{Data: []byte(s)}
		return nil
	case b[0] != '{':
		return errors.New(`want a string, null or {"type":"string"|"binary","data":"..."}`)
	}
	var o struct {
		Type *string `json:"type"`
		Data *string `json:"data"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	if o.Data == nil {
		*d = RecordData{Null: true}
		return nil
	}
	t := "string"
	if o.Type != nil {
		t = *o.Type
	}
	switch strings.ToLower(t) {
	case "string", "text", "json":
		*d = RecordData{Data: []byte(*o.Data)}
	case "binary", "base64":
		v, err := base64.StdEncoding.DecodeString(*o.Data)
		if err != nil {
			return fmt.Errorf("data is not base64: %v", err)
		}
		*d = RecordData{Data: v}
	default:
		return fmt.Errorf(`type must be "string" or "binary", got %q`, t)
	}
	return nil
}

// bytes is the data, nil for none.
func (d *RecordData) bytes() []byte {
	if d == nil || d.Null {
		return nil
	}
	if d.Data == nil {
		return []byte{}
	}
	return d.Data
}

// RecordHeader is one header of a record.
type RecordHeader struct {
	Name  string      `json:"name"`
	Value *RecordData `json:"value"`
}

// RecordTime is a record's timestamp: Unix ms (a JSON number or a string of digits) or RFC 3339.
type RecordTime struct{ Ms int64 }

// UnmarshalJSON reads the two forms.
func (t *RecordTime) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*t = RecordTime{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			*t = RecordTime{Ms: ts.UnixMilli()}
			if t.Ms <= 0 {
				return fmt.Errorf("timestamp %q is not after 1970", s)
			}
			return nil
		}
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 || ms > math.MaxInt64/int64(time.Millisecond) {
		return fmt.Errorf("timestamp must be RFC 3339 or Unix milliseconds (> 0), got %s", b)
	}
	*t = RecordTime{Ms: ms}
	return nil
}

// RecordIn is one record of the request.
type RecordIn struct {
	Key       *RecordData    `json:"key"`
	Value     *RecordData    `json:"value"`
	Headers   []RecordHeader `json:"headers"`
	Partition *int32         `json:"partition"`
	Timestamp *RecordTime    `json:"timestamp"`
}

// RecordOut is the answer for one record: where it was written, or its error.
type RecordOut struct {
	Partition *int32 `json:"partition,omitempty"`
	Offset    *int64 `json:"offset,omitempty"`
	Timestamp *int64 `json:"timestamp,omitempty"` // Unix ms
	ErrorCode string `json:"error_code,omitempty"`
	ErrorMsg  string `json:"error_msg,omitempty"`
}

// RecordsResult is the answer of the whole request, records in the order sent.
type RecordsResult struct {
	Topic     string      `json:"topic"`
	Succeeded int         `json:"succeeded"`
	Failed    int         `json:"failed"`
	Records   []RecordOut `json:"records"`
}

// bodyError is the 400 of a body that does not decode; i is the record (-1: none in particular).
func bodyError(i int, err error) error {
	where := ""
	if i >= 0 {
		where = fmt.Sprintf(" (records[%d])", i)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return dms.Errorf(dms.CodeBodyInvalidKey, "The message body contains invalid characters or is not in JSON format. The error key is %s%s: expected %s, got a JSON %s.",
			typeErr.Field, where, typeErr.Type, typeErr.Value)
	}
	if err == io.ErrUnexpectedEOF {
		err = errors.New("unexpected end of the body")
	}
	return dms.Errorf(dms.CodeBodyNotJSON, "The message body is not in JSON format or contains invalid characters%s: %s.", where, strings.TrimPrefix(err.Error(), "json: "))
}

func batchInput(rec RecordIn) (kafkaops.BatchInput, error) {
	in := kafkaops.BatchInput{ProduceInput: kafkaops.ProduceInput{Partition: -1, Key: rec.Key.bytes(), Value: rec.Value.bytes()}}
	if rec.Partition != nil {
		if *rec.Partition < 0 {
			return in, fmt.Errorf("partition must be >= 0, got %d", *rec.Partition)
		}
		in.Partition = *rec.Partition
	}
	if rec.Timestamp != nil {
		in.Timestamp = rec.Timestamp.Ms
	}
	for j, h := range rec.Headers {
		if h.Name == "" {
			return in, fmt.Errorf("headers[%d] has no name", j)
		}
		in.Headers = append(in.Headers, kafkaops.Header{Key: h.Name, Value: h.Value.bytes()})
	}
	return in, nil
}

// ProduceRecords writes records (DecodeRecords) to topic and answers per record, in order. The
// topic must exist (or the instance create topics automatically, as 5.5.1), and every partition
// named must exist: else 400 and nothing is written. A record the broker refuses (too large, ...)
// or that cannot be written in time carries its error; the others are written.
func (s *Service) ProduceRecords(ctx context.Context, projectID, instanceID, topic string, recs []kafkaops.BatchInput) (RecordsResult, error) {
	if strings.TrimSpace(topic) == "" {
		return RecordsResult{}, invalid("topic is required")
	}
	top := int32(-1)
	for i := range recs {
		top = max(top, recs[i].Partition)
	}
	_, c, n, err := s.produceTarget(ctx, projectID, instanceID, topic, top)
	if err != nil {
		return RecordsResult{}, err
	}
	for i := range recs {
		if recs[i].Partition >= n {
			return RecordsResult{}, invalid("records[%d]: partition %d does not exist: topic %s has %d partitions", i, recs[i].Partition, topic, n)
		}
	}
	res := c.ProduceBatch(ctx, topic, recs)
	out := RecordsResult{Topic: topic, Records: make([]RecordOut, len(res))}
	for i := range res {
		r := &res[i]
		if r.Err != nil {
			about := kafkaerr.Topic(topic)
			if recs[i].Partition >= 0 {
				about = kafkaerr.Partition(topic, recs[i].Partition)
			}
			de := dms.AsError(kafkaerr.ToDMS(about, r.Err))
			out.Records[i] = RecordOut{ErrorCode: de.Code, ErrorMsg: de.Message}
			out.Failed++
			continue
		}
		out.Records[i] = RecordOut{Partition: &r.Partition, Offset: &r.Offset, Timestamp: &r.Timestamp}
		out.Succeeded++
	}
	return out, nil
}

// AppendJSON appends the result as JSON, the same bytes encoding/json would write (HTML not
// escaped), without its reflection: encoding the answer of a large batch through encoding/json
// was a tenth of the request's CPU.
func (r *RecordsResult) AppendJSON(b []byte) []byte {
	b = append(b, `{"topic":`...)
	b = appendJSONString(b, r.Topic)
	b = append(b, `,"succeeded":`...)
	b = strconv.AppendInt(b, int64(r.Succeeded), 10)
	b = append(b, `,"failed":`...)
	b = strconv.AppendInt(b, int64(r.Failed), 10)
	b = append(b, `,"records":[`...)
	for i := range r.Records {
		o := &r.Records[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		sep := false
		field := func(name string) {
			if sep {
				b = append(b, ',')
			}
			sep = true
			b = append(b, '"')
			b = append(b, name...)
			b = append(b, `":`...)
		}
		if o.Partition != nil {
			field("partition")
			b = strconv.AppendInt(b, int64(*o.Partition), 10)
		}
		if o.Offset != nil {
			field("offset")
			b = strconv.AppendInt(b, *o.Offset, 10)
		}
		if o.Timestamp != nil {
			field("timestamp")
			b = strconv.AppendInt(b, *o.Timestamp, 10)
		}
		if o.ErrorCode != "" {
			field("error_code")
			b = appendJSONString(b, o.ErrorCode)
		}
		if o.ErrorMsg != "" {
			field("error_msg")
			b = appendJSONString(b, o.ErrorMsg)
		}
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

// appendJSONString appends s as a JSON string as encoding/json writes it without HTML escaping
// (only topics and error messages: not on the path of every record).
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
