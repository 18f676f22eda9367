// Package clienttest is a test double of a DMS endpoint for tests of clients: an HTTP server that
// verifies every AK/SK signature as dmsd does, answers from a table and records what it received.
package clienttest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/opendms/opendms/aksk"
)

// Reply is a canned answer.
type Reply struct {
	Status int
	// Body is sent as it is; a non-empty one is labelled application/json unless Header sets a
	// Content-Type of its own.
	Body string
	// Header is set on the answer after the server's own headers, so it can override them.
	Header map[string]string
}

// Request is a request as the server received it.
type Request struct {
	Method   string
	Path     string // decoded
	RawPath  string // escaped, as on the wire
	RawQuery string
	Header   http.Header
	Body     []byte
	// AK is the verified access key, empty for an unsigned request.
	AK            string
	SignedHeaders []string
}

// Server verifies every signed request like dmsd does (aksk.ParseAuthorization + aksk.Verify with
// the SK of its one AK) and answers from a table keyed by "METHOD /decoded/path":
//
//   - a request with a bad signature or an unknown AK gets 401 APIGW.0301;
//   - a request with no Authorization header is served unsigned (AK empty);
//   - a request not in the table gets 404 APIGW.0101.
//
// Every answer carries X-Request-Id ("req-" and the method unless SetRequestID says otherwise) and
// no Date header, so that answers are byte-stable. The server is closed when the test ends.
type Server struct {
	*httptest.Server

	t       testing.TB
	ak, sk  string
	replies map[string]Reply

	mu        sync.Mutex
	requestID string
	reqs      []Request
}

// New starts a Server that knows the key ak/sk and answers from replies (which it only reads; nil
// answers everything with 404).
func New(t testing.TB, ak, sk string, replies map[string]Reply) *Server {
	t.Helper()
	s := &Server{t: t, ak: ak, sk: sk, replies: replies}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// SetRequestID makes every later answer carry X-Request-Id: id.
func (s *Server) SetRequestID(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requestID = id
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	s.mu.Lock()
	id := s.requestID
	s.mu.Unlock()
	if id == "" {
		id = "req-" + r.Method
	}
	w.Header().Set("X-Request-Id", id)
	if h := r.Header.Get("Authorization"); h != "" {
		auth, err := aksk.ParseAuthorization(h)
		if err == nil {
			if auth.AccessKey != s.ak {
				err = aksk.ErrBadSignature
			} else {
				err = aksk.Verify(r, body, auth, s.sk)
			}
		}
		if err != nil {
			s.record(req)
			write(w, errorReply(http.StatusUnauthorized, "APIGW.0301", "Incorrect IAM authentication information: "+err.Error()))
			return
		}
		req.AK, req.SignedHeaders = auth.AccessKey, auth.SignedHeaders
	}
	s.record(req)
	rep, ok := s.replies[r.Method+" "+r.URL.Path]
	if !ok {
		rep = errorReply(http.StatusNotFound, "APIGW.0101", "The API does not exist or has not been published in the environment.")
	}
	write(w, rep)
}

// errorReply is an error answer in the API gateway's shape.
func errorReply(status int, code, msg string) Reply {
	b, _ := json.Marshal(map[string]string{"error_code": code, "error_msg": msg})
	return Reply{Status: status, Body: string(b)}
}

func write(w http.ResponseWriter, rep Reply) {
	w.Header()["Date"] = nil // keep answers byte-stable
	if rep.Body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.Status)
	io.WriteString(w, rep.Body)
}

func (s *Server) record(req Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, req)
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Last returns the last request received, failing the test if there was none.
func (s *Server) Last() Request {
	s.t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		s.t.Fatal("the server received no request")
	}
	return reqs[len(reqs)-1]
}

// Only returns the single request received, failing the test unless there was exactly one.
func (s *Server) Only() Request {
	s.t.Helper()
	reqs := s.Requests()
	if len(reqs) != 1 {
		s.t.Fatalf("the server received %d requests, want 1: %+v", len(reqs), reqs)
	}
	return reqs[0]
}

// JSONEqual fails the test unless got and want are the same JSON value (compared structurally, so
// that key order and spacing do not matter).
func JSONEqual(t testing.TB, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("JSON = %s\nwant %s", bytes.TrimSpace(got), want)
	}
}
