package client

import (
	"slices"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	testAK  = "TESTAKEXAMPLE0000001"
	testSK  = "testSecretKeyExample000000000000000000001"
	testPID = "0123456789abcdef0123456789abcdef"
)

// newTestClient returns a client of f signed with the test key.
func newTestClient(t *testing.T, f *clienttest.Server, projectID string) *Client {
	t.Helper()
	c, err := New(Config{Endpoint: f.URL, AccessKey: testAK, SecretKey: testSK, ProjectID: projectID})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// assertSigned checks that s was signed with the test key and covers the headers the SDK signs.
func assertSigned(t *testing.T, s clienttest.Request) {
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
