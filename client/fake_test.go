package client

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opendms/opendms/aksk"
)

const (
	testAK  = "TESTAKEXAMPLE0000001"
	testSK  = "testSecretKeyExample000000000000000000001"
	testPID = "0123456789abcdef0123456789abcdef"
)

// seen is a request as the fake server received it.
type seen struct {
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

// reply is a canned answer.
type reply struct {
	status int
	body   string
	header map[string]string
}

// fakeServer verifies every signed request like dmsd does (ParseAuthorization + Verify) and answers
// from a table keyed by "METHOD /decoded/path".
type fakeServer struct {
	*httptest.Server
	t *testing.T

	mu      sync.Mutex
	replies map[string]reply
	reqs    []seen
}

func newFakeServer(t *testing.T, replies map[string]reply) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t, replies: replies}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s := seen{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	w.Header().Set(RequestIDHeader, "req-"+r.Method)
	if h := r.Header.Get("Authorization"); h != "" {
		auth, err := aksk.ParseAuthorization(h)
		if err == nil {
			sk := map[string]string{testAK: testSK}[auth.AccessKey]
			if sk == "" {
				err = aksk.ErrBadSignature
			} else {
				err = aksk.Verify(r, body, auth, sk)
			}
		}
		if err != nil {
			f.record(s)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information: " + err.Error()})
			return
		}
		s.AK, s.SignedHeaders = auth.AccessKey, auth.SignedHeaders
	}
	f.record(s)
	rep, ok := f.replies[r.Method+" "+r.URL.Path]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error_code": "APIGW.0101", "error_msg": "The API does not exist or has not been published in the environment."})
		return
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (f *fakeServer) record(s seen) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, s)
}

// last returns the last request received, failing the test if there was none.
func (f *fakeServer) last() seen {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		f.t.Fatal("the server received no request")
	}
	return f.reqs[len(f.reqs)-1]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// newTestClient returns a client of f signed with the test key.
func newTestClient(t *testing.T, f *fakeServer, projectID string) *Client {
	t.Helper()
	c, err := New(Config{Endpoint: f.URL, AccessKey: testAK, SecretKey: testSK, ProjectID: projectID})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// assertSigned checks that s was signed with the test key and covers the headers the SDK signs.
func assertSigned(t *testing.T, s seen) {
	t.Helper()
	if s.AK != testAK {
		t.Fatalf("%s %s: not signed with %s (Authorization %q)", s.Method, s.Path, testAK, s.Header.Get("Authorization"))
	}
	for _, h := range []string{"x-sdk-date", "user-agent"} {
		if !slices.Contains(s.SignedHeaders, h) {
			t.Errorf("SignedHeaders %v lacks %s", s.SignedHeaders, h)
		}
	}
	if ct := s.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

// jsonEqual compares two JSON texts structurally.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("body = %s, want %s", strings.TrimSpace(string(got)), want)
	}
}
