package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
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

// newFakeDMS starts a fake DMS that knows the test key; its answers carry X-Request-Id: req-1234.
func newFakeDMS(t *testing.T, replies map[string]clienttest.Reply) *clienttest.Server {
	t.Helper()
	f := clienttest.New(t, testAK, testSK, replies)
	f.SetRequestID("req-1234")
	return f
}

// useFake points dmsctl at f with the test key in the environment.
func useFake(t *testing.T, f *clienttest.Server, projectID string) {
	t.Helper()
	t.Setenv(envEndpoint, f.URL)
	t.Setenv(envAccessKey, testAK)
	t.Setenv(envSecretKey, testSK)
	t.Setenv(envProjectID, projectID)
}

// mustSigned fails the test unless s was signed with the test key (and so verified).
func mustSigned(t *testing.T, s clienttest.Request) {
	t.Helper()
	if s.AK != testAK {
		t.Fatalf("%s %s was not signed with the test key (Authorization %q)", s.Method, s.Path, s.Header.Get("Authorization"))
	}
}
