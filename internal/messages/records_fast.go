package messages

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
)

// Decoding a body of records one record at a time. The body is in memory already (the HTTP layer
// buffers it to verify its signature), so records are framed by a byte scanner (valueEnd) and each
// is decoded on its own: by fastRecord when it has the common shape (keys and values as plain
// strings, an integer partition, a timestamp), else by encoding/json, which also gives the errors.
// Through encoding/json alone (json.Decoder: a scan to frame each record, a second to decode it
// by reflection) decoding was a third of the request's CPU; fastRecord does one pass without
// reflection. It accepts only what encoding/json accepts with the same meaning and leaves anything
// else (escapes, other key spellings, objects, unknown fields, ...) to it: FuzzFastRecord checks
// that the two agree.
//
// Libraries were measured against it (issue 11; Go 1.26, median of 8-10 runs, the 100-record body
// of BenchmarkMessagesRecords): this decoder 31-37 µs and 8 allocations; encoding/json one record
// at a time 142-184 µs, 904 allocations; with the same per-record framing, segmentio/encoding
// 49-55 µs (504), goccy/go-json 53-65 µs (704), bytedance/sonic 59-63 µs (704), and whole-array
// decoding (no NDJSON, no per-record errors) 41-50 µs at best. sonic and json-iterator also differ
// from encoding/json (no "ſ"/"K" case folding; they accept "\x" or raw control characters). None
// came within 1.3 times, so the decoder stays; a 5.5.1 body (one message) is left to
// encoding/json, where a parser saved 2 µs of the ~140 µs of CPU a message costs.

// DecodeRecords reads a request body of records (which the records returned refer to: the caller
// must not change it while they are in use), one record at a time: a JSON
// array of records, or records one after another (newline-delimited JSON; any whitespace separates
// them). The form is told by the first byte that is not whitespace ('[': an array). Any bad record
// refuses the whole body (400, naming the record), as does a body of more than MaxBatchRecords
// records or of none.
func DecodeRecords(b []byte) ([]kafkaops.BatchInput, error) {
	// encoding/json replaces invalid UTF-8 where fastRecord would keep it: the HTTP layer refuses
	// such bodies already (checkText); this keeps the two paths the same for any caller.
	if !utf8.Valid(b) {
		return nil, dms.Errorf(dms.CodeBodyNotJSON, "The message body is not in JSON format or contains invalid characters: invalid UTF-8.")
	}
	i := skipSpace(b, 0)
	if i == len(b) {
		return nil, dms.E(dms.CodeBodyEmpty)
	}
	array := b[i] == '['
	if array {
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			if i = skipSpace(b, i+1); i != len(b) {
				return nil, dms.Errorf(dms.CodeBodyNotJSON, "The message body is not in JSON format: unexpected data after the array of records.")
			}
			return nil, invalid("the body has no records")
		}
	}
	var out []kafkaops.BatchInput
	for n := 0; ; n++ {
		if !array && i == len(b) {
			break
		}
		end, err := valueEnd(b, i)
		if err != nil {
			return nil, bodyError(n, err)
		}
		if b[i] != '{' {
			return nil, bodyError(n, errors.New("a record must be a JSON object"))
		}
		if n >= MaxBatchRecords {
			return nil, invalid("a request may carry at most %d records", MaxBatchRecords)
		}
		in, ok := fastRecord(b[i:end])
		if !ok {
			var rec RecordIn
			if err := json.Unmarshal(b[i:end], &rec); err != nil {
				return nil, bodyError(n, err)
			}
			if in, err = batchInput(rec); err != nil {
				return nil, invalid("records[%d]: %v", n, err)
			}
		}
		out = append(out, in)
		i = skipSpace(b, end)
		if !array {
			continue
		}
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
			continue
		case i < len(b) && b[i] == ']':
			if i = skipSpace(b, i+1); i != len(b) {
				return nil, dms.Errorf(dms.CodeBodyNotJSON, "The message body is not in JSON format: unexpected data after the array of records.")
			}
		case i == len(b):
			return nil, bodyError(n+1, errUnexpectedEnd)
		default:
			return nil, bodyError(n, errors.New("invalid character "+strconv.QuoteRune(rune(b[i]))+" after a record: want , or ]"))
		}
		break
	}
	if len(out) == 0 {
		return nil, invalid("the body has no records")
	}
	return out, nil
}

var errUnexpectedEnd = errors.New("unexpected end of the body")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// valueEnd returns the end of the JSON value that starts at b[i]: of an object or array by its
// brackets (strings skipped), of a string by its closing quote, of anything else at the next
// delimiter. It frames and does not validate: the value is decoded (and judged) after.
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errUnexpectedEnd
	}
	switch b[i] {
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			case '"':
				end, err := stringEnd(b, i)
				if err != nil {
					return 0, err
				}
				i = end - 1
			}
		}
		return 0, errUnexpectedEnd
	case '"':
		return stringEnd(b, i)
	}
	j := i
	for j < len(b) && !isSpace(b[j]) && b[j] != ',' && b[j] != ']' && b[j] != '}' && b[j] != '[' && b[j] != '{' && b[j] != '"' {
		j++
	}
	if j == i {
		return 0, errors.New("invalid character " + strconv.QuoteRune(rune(b[i])) + " looking for the beginning of a record")
	}
	return j, nil
}

// stringEnd returns the end of the string whose opening quote is b[i].
func stringEnd(b []byte, i int) (int, error) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, errUnexpectedEnd
}

// fastRecord decodes a record of the common shape:
//
//	{"key":"k","value":"v","headers":[{"name":"h","value":"v"}],"partition":1,"timestamp":1735787045046}
//
// in any order, each member optional, strings without escapes or control characters, key, value
// and header values also null, timestamp also an RFC 3339 string. Anything else: ok is false, and
// encoding/json decodes the record. A negative partition is returned for the caller to refuse.
func fastRecord(b []byte) (in kafkaops.BatchInput, ok bool) {
	in.Partition = -1
	p := fastParser{b: b}
	if !p.byte('{') {
		return in, false
	}
	if p.peek('}') {
		p.i++
		return in, p.end()
	}
	for {
		name, ok := p.str()
		if !ok || !p.byte(':') {
			return in, false
		}
		switch string(name) {
		case "key":
			if in.Key, ok = p.data(); !ok {
				return in, false
			}
		case "value":
			if in.Value, ok = p.data(); !ok {
				return in, false
			}
		case "partition":
			if p.null() {
				in.Partition = -1
				break
			}
			n, ok := p.int(32)
			if !ok || n < 0 { // a negative one: encoding/json's path gives the error
				return in, false
			}
			in.Partition = int32(n)
		case "timestamp":
			if p.null() {
				in.Timestamp = 0
				break
			}
			start := p.i
			end, err := valueEnd(b, p.i)
			if err != nil || (b[start] != '"' && (b[start] < '0' || b[start] > '9')) {
				return in, false
			}
			var t RecordTime
			if t.UnmarshalJSON(b[start:end]) != nil || (b[start] == '"' && !plainString(b[start:end])) {
				return in, false
			}
			in.Timestamp, p.i = t.Ms, end
		case "headers":
			if in.Headers, ok = p.headers(); !ok {
				return in, false
			}
		default:
			return in, false
		}
		switch {
		case p.byte(','):
			continue
		case p.byte('}'):
			return in, p.end()
		}
		return in, false
	}
}

// plainString says whether a JSON string literal (quotes included) has no escapes or control
// characters: its bytes between the quotes are its text (the body is valid UTF-8: checked before).
func plainString(lit []byte) bool {
	for _, c := range lit[1 : len(lit)-1] {
		if c < 0x20 || c == '\\' || c == '"' {
			return false
		}
	}
	return true
}

type fastParser struct {
	b []byte
	i int
}

// byte consumes c after whitespace.
func (p *fastParser) byte(c byte) bool {
	p.i = skipSpace(p.b, p.i)
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *fastParser) peek(c byte) bool {
	p.i = skipSpace(p.b, p.i)
	return p.i < len(p.b) && p.b[p.i] == c
}

// end says whether only whitespace is left.
func (p *fastParser) end() bool { return skipSpace(p.b, p.i) == len(p.b) }

// str consumes a plain string and returns its text (a part of the body).
func (p *fastParser) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c < 0x20 || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// null consumes a null.
func (p *fastParser) null() bool {
	p.i = skipSpace(p.b, p.i)
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// data consumes a key, value or header value: a plain string or null (nil). The string is not
// copied: the record refers to the body, which the caller owns and does not change (two
// allocations less per record, which the garbage collector felt).
func (p *fastParser) data() ([]byte, bool) {
	if p.null() {
		return nil, true
	}
	s, ok := p.str()
	if !ok {
		return nil, false
	}
	return s[:len(s):len(s)], true
}

// int consumes an integer that fits bits, written as encoding/json reads one: an optional minus,
// and no leading zeros, fraction or exponent.
func (p *fastParser) int(bits int) (int64, bool) {
	p.i = skipSpace(p.b, p.i)
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i == digits || (p.b[digits] == '0' && p.i-digits > 1) {
		return 0, false
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(p.b[start:p.i]), 10, bits)
	return n, err == nil
}

// headers consumes an array of {"name":"...","value":...} (null: none).
func (p *fastParser) headers() ([]kafkaops.Header, bool) {
	if p.null() {
		return nil, true
	}
	if !p.byte('[') {
		return nil, false
	}
	var hs []kafkaops.Header
	if p.byte(']') {
		return hs, true
	}
	for {
		if !p.byte('{') {
			return nil, false
		}
		var h kafkaops.Header
		var sawName bool
		if !p.peek('}') {
			for {
				name, ok := p.str()
				if !ok || !p.byte(':') {
					return nil, false
				}
				switch string(name) {
				case "name":
					s, ok := p.str()
					if !ok {
						return nil, false
					}
					h.Key, sawName = string(s), true
				case "value":
					if h.Value, ok = p.data(); !ok {
						return nil, false
					}
				default:
					return nil, false
				}
				if !p.byte(',') {
					break
				}
			}
		}
		if !p.byte('}') || !sawName || h.Key == "" {
			return nil, false // no name: encoding/json's path gives the error
		}
		hs = append(hs, h)
		if p.byte(',') {
			continue
		}
		if p.byte(']') {
			return hs, true
		}
		return nil, false
	}
}
