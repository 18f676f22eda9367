package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// RequestIDHeader carries the server's id of a request (the SDKs read it into their errors' RequestId).
const RequestIDHeader = "X-Request-Id"

// APIError is a non-2xx answer of the server.
type APIError struct {
	Status    int    // HTTP status
	Code      string // error_code, e.g. "DMS.00400002" or "APIGW.0301"; empty if the body had none
	Message   string // error_msg (or the body's text, or the status text)
	RequestID string // X-Request-Id of the answer
}

func (e *APIError) Error() string {
	var b strings.Builder
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	fmt.Fprintf(&b, " (HTTP %d", e.Status)
	if e.RequestID != "" {
		b.WriteString(", request id ")
		b.WriteString(e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// newAPIError decodes the DMS error body {"error_code","error_msg"}, and for robustness the IAM shape
// {"error":{"code","message"}} and a bare {"code","message"}; anything else becomes the message.
func newAPIError(r *Response) *APIError {
	e := &APIError{Status: r.Status, RequestID: r.Header.Get(RequestIDHeader)}
	var body struct {
		ErrorCode string          `json:"error_code"`
		ErrorMsg  string          `json:"error_msg"`
		Error     json.RawMessage `json:"error"`
		Code      string          `json:"code"`
		Message   string          `json:"message"`
	}
	if json.Unmarshal(r.Body, &body) == nil {
		var nested struct {
			Code    any    `json:"code"`
			Message string `json:"message"`
		}
		switch {
		case body.ErrorCode != "" || body.ErrorMsg != "":
			e.Code, e.Message = body.ErrorCode, body.ErrorMsg
		case len(body.Error) > 0 && json.Unmarshal(body.Error, &nested) == nil && (nested.Code != nil || nested.Message != ""):
			if nested.Code != nil {
				e.Code = fmt.Sprint(nested.Code)
			}
			e.Message = nested.Message
		case body.Code != "" || body.Message != "":
			e.Code, e.Message = body.Code, body.Message
		}
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(r.Body))
		if len(e.Message) > 512 {
			cut := 512
			for cut > 0 && !utf8.RuneStart(e.Message[cut]) {
				cut--
			}
			e.Message = e.Message[:cut] + "..."
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(r.Status)
	}
	return e
}
