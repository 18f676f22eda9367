package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opendms/opendms/aksk"
	"github.com/opendms/opendms/internal/iam"
)

const (
	testAK  = "TESTAKEXAMPLE0000001"
	testSK  = "testSecretKeyExample000000000000000000001"
	testPID = "0123456789abcdef0123456789abcdef"
)

// settingEnv is every environment variable dmsctl reads.
var settingEnv = []string{envEndpoint, envAccessKey, envSecretKey, envProjectID, envRegion, envInsecure, envProfile, envConfig, envCredentialsFile}

// isolate runs the test in an empty directory with none of dmsctl's environment set and the config
// file in that directory, so that the user's own settings never leak in. It returns the directory.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for _, k := range settingEnv {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", dir)
	t.Setenv(envConfig, filepath.Join(dir, "config.yaml"))
	return dir
}

// writeCredentials writes an admin credentials file as dmsd does.
func writeCredentials(t *testing.T, path string, c iam.AdminCredentials) {
	t.Helper()
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := iam.WriteCredentials(path, c); err != nil {
		t.Fatal(err)
	}
}

// result is the outcome of one dmsctl run.
type result struct {
	stdout, stderr string
	code           int
}

// run executes dmsctl with args and stdin as main would, and returns its output and exit code.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errb)
	cmd, err := root.ExecuteC()
	code := exitCode(cmd, err, &errb)
	return result{out.String(), errb.String(), code}
}

// wantCode fails the test unless r exited with code.
func (r result) wantCode(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

// seen is a request as the fake server received it.
type seen struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
	AK                     string // the verified access key; empty when unsigned
}

type reply struct {
	status int
	body   string
	header map[string]string
}

// fakeDMS answers from a table keyed by "METHOD /decoded/path" and checks every signature like dmsd
// (aksk.ParseAuthorization + aksk.Verify with the SK of the AK).
type fakeDMS struct {
	*httptest.Server
	t       *testing.T
	mu      sync.Mutex
	replies map[string]reply
	reqs    []seen
}

func newFakeDMS(t *testing.T, replies map[string]reply) *fakeDMS {
	t.Helper()
	f := &fakeDMS{t: t, replies: replies}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeDMS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s := seen{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	w.Header().Set("X-Request-Id", "req-1234")
	if h := r.Header.Get("Authorization"); h != "" {
		auth, err := aksk.ParseAuthorization(h)
		if err == nil {
			if auth.AccessKey != testAK {
				err = aksk.ErrBadSignature
			} else {
				err = aksk.Verify(r, body, auth, testSK)
			}
		}
		if err != nil {
			f.record(s)
			f.write(w, reply{401, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: ` + err.Error() + `"}`, nil})
			return
		}
		s.AK = auth.AccessKey
	}
	f.record(s)
	rep, ok := f.replies[r.Method+" "+r.URL.Path]
	if !ok {
		rep = reply{404, `{"error_code":"APIGW.0101","error_msg":"The API does not exist or has not been published in the environment."}`, nil}
	}
	f.write(w, rep)
}

func (f *fakeDMS) write(w http.ResponseWriter, rep reply) {
	w.Header()["Date"] = nil // keep answers byte-stable
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (f *fakeDMS) record(s seen) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, s)
}

// requests returns the requests received so far.
func (f *fakeDMS) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// only returns the single request received, failing the test otherwise.
func (f *fakeDMS) only() seen {
	f.t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		f.t.Fatalf("the server received %d requests, want 1: %+v", len(reqs), reqs)
	}
	return reqs[0]
}

// useFake points dmsctl at f with the test key in the environment.
func useFake(t *testing.T, f *fakeDMS, projectID string) {
	t.Helper()
	t.Setenv(envEndpoint, f.URL)
	t.Setenv(envAccessKey, testAK)
	t.Setenv(envSecretKey, testSK)
	t.Setenv(envProjectID, projectID)
}

// mustSigned fails the test unless s was signed with the test key (and so verified).
func mustSigned(t *testing.T, s seen) {
	t.Helper()
	if s.AK != testAK {
		t.Fatalf("%s %s was not signed with the test key (Authorization %q)", s.Method, s.Path, s.Header.Get("Authorization"))
	}
}

// jsonEqual compares JSON texts structurally.
func jsonEqual(t *testing.T, got []byte, want string) {
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
		t.Errorf("JSON = %s\nwant %s", got, want)
	}
}
