package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/opendms/opendms/internal/dms"
)

// errorBody is the DMS error format (reference §3.3); both members are always non-empty strings, which
// is what the SDKs need to fill ErrorCode/ErrorMessage.
type errorBody struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

// jsonContentType is the Content-Type value of every JSON answer, shared by all responses: assigning
// it to the header map directly skips Header.Set's key canonicalisation and its one-element slice
// per response. Nothing modifies a header value in place (Add appends, which copies a full slice).
var jsonContentType = []string{"application/json"}

// jsonBuffers recycles the buffers answers are encoded into; one larger than maxPooledJSON (a
// message query's page) is left to the collector rather than kept for small answers.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledJSON = 64 << 10

// writeJSON writes v as JSON with status. HTML escaping is off, as the SDKs encode.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledJSON {
			buf.Reset()
			jsonBuffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeError(w, nil, dms.Internal(err))
		return
	}
	writeJSONBytes(w, status, buf.Bytes())
}

// writeJSONBytes writes b, already encoded JSON, with status.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(b)
}

// writeError writes err as a DMS error body; the status and code come from its *dms.Error (a 500 for
// anything else). The internal cause of a 500 is recorded for the access log, never sent.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	de := dms.AsError(err)
	if r != nil {
		if info := requestInfoFrom(r.Context()); info != nil {
			info.err = de
		}
	}
	writeJSON(w, de.Status, errorBody{ErrorCode: de.Code, ErrorMsg: de.Message})
}

// decodeJSON decodes the request body (already buffered by the middleware) into v. An empty body, bad
// JSON and a value of the wrong type are each a 400 with the reference's code and the offending key.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return dms.Internal(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return dms.E(dms.CodeBodyEmpty)
	}
	// Unmarshal checks the whole body is one value before it decodes (a Decoder scans to frame the
	// value, then decodes, then looks for more: a third slower).
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			key := typeErr.Field
			if key == "" {
				key = "(body)"
			}
			return dms.Errorf(dms.CodeBodyInvalidKey, "The message body contains invalid characters or is not in JSON format. The error key is %s: expected %s, got a JSON %s.", key, typeErr.Type, typeErr.Value)
		}
		if strings.Contains(err.Error(), "after top-level value") {
			return dms.Errorf(dms.CodeBodyNotJSON, "The message body is not in JSON format: unexpected data after the JSON value.")
		}
		return dms.Errorf(dms.CodeBodyNotJSON, "The message body is not in JSON format or contains invalid characters: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// invalidParam is a 400 for a failed validation without a more specific code.
func invalidParam(format string, args ...any) error {
	return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s", fmt.Sprintf(format, args...))
}

// readBody returns the buffered request body and rewinds it for a later decode.
func readBody(r *http.Request) []byte {
	b := bufferedBody(r)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// bufferedBody is the request body dispatch buffered (signatures cover it), without another copy;
// a request that did not pass dispatch (a handler called directly) has its body read here.
func bufferedBody(r *http.Request) []byte {
	if info := requestInfoFrom(r.Context()); info != nil && info.body != nil {
		return info.body
	}
	b, _ := io.ReadAll(r.Body)
	return b
}

// marshalCompact encodes v as compact JSON without HTML escaping.
func marshalCompact(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}
