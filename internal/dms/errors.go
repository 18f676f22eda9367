// Package dms is the shared vocabulary of OpenDMS: the domain types every other package speaks in and
// the one error type that carries a DMS error code to the HTTP layer.
package dms

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errorCodesTSV is chapter 8.2 of the reference, verbatim from shared/seed (status, code, message, ...),
// plus the OpenDMS rows of extraCodes below. Codes are looked up here, never written into handlers
// with their status and message.
//
//go:embed error-codes.tsv
var errorCodesTSV []byte

// CodeInfo is one row of the error code table.
type CodeInfo struct {
	Status  int
	Code    string
	Message string
}

var codeTable = mustParseCodes(errorCodesTSV)

// extraCodes are the codes OpenDMS needs that chapter 8.2 does not define. They keep the DMS format so
// clients parse them like any other.
var extraCodes = []CodeInfo{
	// The reference has no code for an API a server does not implement (501).
	{Status: 501, Code: "DMS.00501900", Message: "This API is not implemented by OpenDMS yet."},
	// The reference's 401 codes are all about tokens; AK/SK failures get their own.
	{Status: 401, Code: "DMS.10240105", Message: "Incorrect IAM authentication information: verify aksk signature fail."},
	{Status: 401, Code: "DMS.10240106", Message: "The request time is outside the allowed clock skew."},
	// A well-formed request that conflicts with existing state (e.g. an IAM user that already exists).
	{Status: 409, Code: "DMS.00409001", Message: "The resource already exists."},
	// Objects of OpenDMS's own namespace that do not exist (IAM users, access keys, policies).
	{Status: 404, Code: "DMS.00404900", Message: "The requested resource does not exist."},
	// Request bodies above the server's limit.
	{Status: 413, Code: "DMS.00413001", Message: "The request body is too large."},
	// Password logins of a user or from an address locked after repeated failures (POST /v3/auth/tokens).
	{Status: 429, Code: "DMS.00429001", Message: "Too many failed login attempts: try again later."},
	// A Kafka cluster that cannot serve for now (brokers down or restarting, no leader, too few
	// in-sync replicas, a timeout): not an internal error of the control plane.
	{Status: 503, Code: "DMS.00503900", Message: "The instance's Kafka cluster is unavailable. Please try again later."},
	// A signed non-GET request seen before inside the clock-skew window (replay protection).
	{Status: 401, Code: "DMS.10240110", Message: "Incorrect IAM authentication information: this signed request was already received."},
	// A body slower than the server's minimum rate (a slow client holding a connection).
	{Status: 408, Code: "DMS.00408001", Message: "The request body was not received in time."},
	// Too many bodies being received before their signature can be checked (memory bound).
	{Status: 503, Code: "DMS.00503001", Message: "The server is busy. Please try again later."},
}

func mustParseCodes(tsv []byte) map[string]CodeInfo {
	m := make(map[string]CodeInfo)
	sc := bufio.NewScanner(bytes.NewReader(tsv))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	first := true
	for sc.Scan() {
		if first { // header row
			first = false
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 {
			continue
		}
		status, err := strconv.Atoi(f[0])
		if err != nil {
			panic(fmt.Sprintf("error-codes.tsv: bad status %q", f[0]))
		}
		m[f[1]] = CodeInfo{Status: status, Code: f[1], Message: f[2]}
	}
	for _, c := range extraCodes {
		if _, dup := m[c.Code]; dup {
			panic("extra code duplicates the reference: " + c.Code)
		}
		m[c.Code] = c
	}
	return m
}

// LookupCode returns the table row of a DMS code.
func LookupCode(code string) (CodeInfo, bool) {
	c, ok := codeTable[code]
	return c, ok
}

// Error is the one error type that crosses from services to the HTTP layer: a DMS code, its HTTP
// status and a message for the caller. Internal causes are wrapped, logged, and never shown.
type Error struct {
	Status  int
	Code    string
	Message string
	cause   error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.cause }

// E builds the error of a code with the table's status and message. An unknown code is a programming
// error caught by tests (see codes_test.go), so it panics.
func E(code string) *Error {
	c, ok := codeTable[code]
	if !ok {
		panic("unknown DMS error code " + code)
	}
	return &Error{Status: c.Status, Code: c.Code, Message: c.Message}
}

// Errorf builds the error of a code with a specific message (the table's one is often generic).
func Errorf(code string, format string, args ...any) *Error {
	e := E(code)
	e.Message = fmt.Sprintf(format, args...)
	return e
}

// Wrap attaches an internal cause to a DMS error; the cause is logged, not returned to the caller.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// Internal turns an unexpected error into the generic 500 while keeping it for the log.
func Internal(cause error) *Error { return E(CodeInternal).Wrap(cause) }

// AsError finds the *Error in err's chain, or makes a 500 of err.
func AsError(err error) *Error {
	var de *Error
	if errors.As(err, &de) {
		return de
	}
	return Internal(err)
}
