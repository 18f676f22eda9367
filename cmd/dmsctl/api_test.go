package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

func TestAPI(t *testing.T) {
	instances := "/v2/" + testPID + "/instances"
	topics := instances + "/i-1/topics"
	tests := []struct {
		name       string
		args       []string
		stdin      string
		file       string // content of ./body.json
		wantMethod string
		wantPath   string
		wantQuery  string
		wantBody   string // exact bytes sent
		wantOut    string // exact stdout
	}{
		{name: "GET with project id and query",
			args:       []string{"api", "GET", "/v2/{project_id}/instances", "-q", "limit=10", "-q", "engine=kafka"},
			wantMethod: "GET", wantPath: instances, wantQuery: "engine=kafka&limit=10",
			wantOut: "{\n  \"instances\": [],\n  \"instance_num\": 0\n}\n"},
		{name: "method defaults to GET, lower case accepted",
			args:       []string{"api", "/v2/{project_id}/instances?offset=5"},
			wantMethod: "GET", wantPath: instances, wantQuery: "offset=5",
			wantOut: "{\n  \"instances\": [],\n  \"instance_num\": 0\n}\n"},
		{name: "POST literal data",
			args:       []string{"api", "post", "/v2/{project_id}/instances/i-1/topics", "--data", `{"id":"orders","partition":3}`},
			wantMethod: "POST", wantPath: topics, wantBody: `{"id":"orders","partition":3}`,
			wantOut: "{\n  \"name\": \"orders\"\n}\n"},
		{name: "POST data from file",
			args: []string{"api", "POST", "/v2/{project_id}/instances/i-1/topics", "--data", "@body.json"}, file: `{"id":"from-file"}`,
			wantMethod: "POST", wantPath: topics, wantBody: `{"id":"from-file"}`,
			wantOut: "{\n  \"name\": \"orders\"\n}\n"},
		{name: "POST data from stdin, YAML output",
			args: []string{"api", "POST", "/v2/{project_id}/instances/i-1/topics", "-d", "-", "-o", "yaml"}, stdin: `{"id":"from-stdin"}`,
			wantMethod: "POST", wantPath: topics, wantBody: `{"id":"from-stdin"}`,
			wantOut: "name: orders\n"},
		{name: "DELETE with empty answer",
			args:       []string{"api", "DELETE", "/v2/{project_id}/instances/i-1"},
			wantMethod: "DELETE", wantPath: instances + "/i-1",
			wantOut: ""},
		{name: "include status and headers",
			args:       []string{"api", "DELETE", "/v2/{project_id}/instances/i-1", "-i"},
			wantMethod: "DELETE", wantPath: instances + "/i-1",
			wantOut: "HTTP 204\nX-Request-Id: req-1234\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, map[string]clienttest.Reply{
				"GET " + instances:             {Status: 200, Body: `{"instances":[],"instance_num":0}`},
				"POST " + topics:               {Status: 200, Body: "{\"name\":\"orders\"}\n"},
				"DELETE " + instances + "/i-1": {Status: 204},
			})
			useFake(t, f, testPID)
			if tt.file != "" {
				if err := os.WriteFile("body.json", []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := run(t, tt.stdin, tt.args...).wantCode(t, exitOK)
			s := f.Only()
			mustSigned(t, s)
			if s.Method != tt.wantMethod || s.Path != tt.wantPath || s.RawQuery != tt.wantQuery {
				t.Errorf("request = %s %s?%s, want %s %s?%s", s.Method, s.Path, s.RawQuery, tt.wantMethod, tt.wantPath, tt.wantQuery)
			}
			if string(s.Body) != tt.wantBody {
				t.Errorf("body = %q, want %q", s.Body, tt.wantBody)
			}
			if s.Header.Get("X-Project-Id") != testPID {
				t.Errorf("X-Project-Id = %q", s.Header.Get("X-Project-Id"))
			}
			if r.stdout != tt.wantOut {
				t.Errorf("stdout = %q, want %q", r.stdout, tt.wantOut)
			}
		})
	}
}

func TestAPIErrorExitsOne(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{
		"GET /v2/" + testPID + "/instances/nope": {Status: 404, Body: `{"error_code":"DMS.00404022","error_msg":"The instance does not exist."}`},
	})
	useFake(t, f, testPID)
	r := run(t, "", "api", "GET", "/v2/{project_id}/instances/nope").wantCode(t, exitError)
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
	for _, want := range []string{"DMS.00404022", "The instance does not exist.", "HTTP 404", "req-1234"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	// A wrong secret key is an API error too (the server refuses the signature).
	t.Setenv(envSecretKey, "wrong"+testSK)
	r = run(t, "", "api", "GET", "/v2/{project_id}/instances").wantCode(t, exitError)
	if !strings.Contains(r.stderr, "APIGW.0301") {
		t.Errorf("stderr = %q, want the signature error", r.stderr)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	dir := isolate(t)
	f := newFakeDMS(t, nil)
	useFake(t, f, "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"api without path", []string{"api"}, "api needs [METHOD] PATH"},
		{"api with too many args", []string{"api", "GET", "/x", "/y"}, "api needs"},
		{"bad query", []string{"api", "GET", "/x", "-q", "novalue"}, "want key=value"},
		{"missing data file", []string{"api", "POST", "/x", "--data", "@" + filepath.Join(dir, "none.json")}, "--data"},
		{"unknown flag", []string{"api", "GET", "/x", "--bogus"}, "unknown flag: --bogus"},
		{"unknown output", []string{"iam", "user", "list", "-o", "xml"}, "unknown output format"},
		{"unknown command", []string{"iam", "usr"}, `did you mean user?`},
		{"unknown root command", []string{"instances"}, `unknown command "instances"`},
		{"project id placeholder without project id", []string{"api", "/v2/{project_id}/instances"}, "no project id"},
		{"missing required flag", []string{"iam", "role", "bind", "--user", "alice", "--role", "r"}, "--project is required"},
		{"extra argument", []string{"iam", "user", "list", "x"}, "takes no arguments"},
		{"missing argument", []string{"iam", "user", "delete"}, "needs 1 argument(s): NAME"},
		{"bad endpoint", []string{"--endpoint", "localhost:9780", "iam", "whoami"}, "bad endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, "", tt.args...).wantCode(t, exitUsage)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.want)
			}
		})
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}

	t.Run("no credentials", func(t *testing.T) {
		t.Setenv(envAccessKey, "")
		t.Setenv(envSecretKey, "")
		r := run(t, "", "iam", "whoami").wantCode(t, exitUsage)
		if !strings.Contains(r.stderr, "no credentials") {
			t.Errorf("stderr = %q", r.stderr)
		}
	})
}

func TestAPIWithoutCredentialsIsUnsigned(t *testing.T) {
	isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{"GET /healthz": {Status: 200, Body: `{"status":"ok"}`}})
	t.Setenv(envEndpoint, f.URL)
	r := run(t, "", "api", "/healthz").wantCode(t, exitOK)
	if s := f.Only(); s.Header.Get("Authorization") != "" {
		t.Errorf("signed without credentials: %q", s.Header.Get("Authorization"))
	}
	if r.stdout != "{\n  \"status\": \"ok\"\n}\n" || !strings.Contains(r.stderr, "unsigned") {
		t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
}

func TestHelpExitsZero(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{{}, {"--help"}, {"iam"}, {"iam", "user", "--help"}, {"help", "api"}} {
		r := run(t, "", args...).wantCode(t, exitOK)
		if !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("dmsctl %v: no usage in %q", args, r.stdout)
		}
	}
}
