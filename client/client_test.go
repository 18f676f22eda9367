package client

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"http", Config{Endpoint: "http://127.0.0.1:9780"}, true},
		{"https with path", Config{Endpoint: "https://dms.example.com/base", AccessKey: "a", SecretKey: "b"}, true},
		{"empty", Config{}, false},
		{"no scheme", Config{Endpoint: "127.0.0.1:9780"}, false},
		{"host only", Config{Endpoint: "localhost"}, false},
		{"ftp", Config{Endpoint: "ftp://h"}, false},
		{"query", Config{Endpoint: "http://h/?x=1"}, false},
		{"ak without sk", Config{Endpoint: "http://h", AccessKey: "a"}, false},
		{"sk without ak", Config{Endpoint: "http://h", SecretKey: "b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New(%+v) error = %v, want ok=%v", tt.cfg, err, tt.ok)
			}
		})
	}
}

func TestDoSignsAndSubstitutesProjectID(t *testing.T) {
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{
		"GET /v2/" + testPID + "/instances": {Status: 200, Body: `{"instances":[],"instance_num":0}`},
	})
	c := newTestClient(t, f, testPID)
	resp, err := c.Do(context.Background(), "get", "/v2/{project_id}/instances?engine=kafka", url.Values{"limit": {"10"}, "offset": {"0"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Last()
	assertSigned(t, s)
	if s.Method != "GET" || s.Path != "/v2/"+testPID+"/instances" {
		t.Errorf("request = %s %s", s.Method, s.Path)
	}
	if s.RawQuery != "engine=kafka&limit=10&offset=0" {
		t.Errorf("query = %q", s.RawQuery)
	}
	if got := s.Header.Get("X-Project-Id"); got != testPID || !slices.Contains(s.SignedHeaders, "x-project-id") {
		t.Errorf("X-Project-Id = %q (signed headers %v), want it set and signed", got, s.SignedHeaders)
	}
	if len(s.Body) != 0 {
		t.Errorf("GET sent a body: %q", s.Body)
	}
	if resp.Status != 200 || resp.Header.Get(RequestIDHeader) != "req-GET" {
		t.Errorf("response = %d %v", resp.Status, resp.Header)
	}
	var out struct {
		InstanceNum int `json:"instance_num"`
	}
	if err := resp.Decode(&out); err != nil {
		t.Fatal(err)
	}
}

func TestDoWithoutProjectID(t *testing.T) {
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{"GET /v2/available-zones": {Status: 200, Body: `{}`}})
	c := newTestClient(t, f, "")
	if _, err := c.Do(context.Background(), "GET", "/v2/{project_id}/instances", nil, nil); !errors.Is(err, ErrNoProjectID) {
		t.Fatalf("err = %v, want ErrNoProjectID", err)
	}
	if _, err := c.Do(context.Background(), "GET", "/v2/available-zones", nil, nil); err != nil {
		t.Fatal(err)
	}
	s := f.Last()
	assertSigned(t, s)
	if _, ok := s.Header["X-Project-Id"]; ok {
		t.Errorf("X-Project-Id sent without a project id")
	}
}

func TestDoBodies(t *testing.T) {
	path := "/v2/" + testPID + "/instances/i1/topics"
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{"POST " + path: {Status: 200, Body: `{"name":"t"}`}})
	c := newTestClient(t, f, testPID)
	tests := []struct {
		name string
		body any
		want string
	}{
		{"struct", struct {
			ID        string `json:"id"`
			Partition int    `json:"partition"`
		}{"topic<a>", 3}, `{"id":"topic<a>","partition":3}`},
		{"map", map[string]any{"id": "t", "replication": 3}, `{"id":"t","replication":3}`},
		{"bytes", []byte(`{"id": "raw"}`), `{"id": "raw"}`},
		{"raw message", json.RawMessage(`{"id":"rm"}`), `{"id":"rm"}`},
		{"reader", strings.NewReader(`{"id":"rd"}`), `{"id":"rd"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Do(context.Background(), "POST", "/v2/{project_id}/instances/i1/topics", nil, tt.body); err != nil {
				t.Fatal(err)
			}
			s := f.Last()
			assertSigned(t, s)
			if string(s.Body) != tt.want {
				t.Errorf("body = %q, want %q (byte for byte)", s.Body, tt.want)
			}
		})
	}
}

func TestDoEscapedPathAndBasePath(t *testing.T) {
	topic := "my topic/ü+%"
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{
		"DELETE /base/v2/" + testPID + "/instances/i1/topics/" + topic: {Status: 204},
	})
	c, err := New(Config{Endpoint: f.URL + "/base/", AccessKey: testAK, SecretKey: testSK, ProjectID: testPID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), "DELETE", "/v2/{project_id}/instances/i1/topics/"+url.PathEscape(topic), nil, nil); err != nil {
		t.Fatal(err)
	}
	s := f.Last()
	assertSigned(t, s)
	if want := "/base/v2/" + testPID + "/instances/i1/topics/" + url.PathEscape(topic); s.RawPath != want {
		t.Errorf("wire path = %q, want %q", s.RawPath, want)
	}
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name  string
		reply clienttest.Reply
		want  APIError
	}{
		{"dms body", clienttest.Reply{Status: 400, Body: `{"error_code":"DMS.00400002","error_msg":"Invalid request parameter: x"}`},
			APIError{Status: 400, Code: "DMS.00400002", Message: "Invalid request parameter: x", RequestID: "req-GET"}},
		{"iam body", clienttest.Reply{Status: 401, Body: `{"error":{"code":"1101","message":"bad token","title":"Unauthorized"}}`},
			APIError{Status: 401, Code: "1101", Message: "bad token", RequestID: "req-GET"}},
		{"plain text", clienttest.Reply{Status: 502, Body: "upstream down\n", Header: map[string]string{"Content-Type": "text/plain"}},
			APIError{Status: 502, Message: "upstream down", RequestID: "req-GET"}},
		{"empty", clienttest.Reply{Status: 503},
			APIError{Status: 503, Message: "Service Unavailable", RequestID: "req-GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{"GET /x": tt.reply})
			c := newTestClient(t, f, "")
			resp, err := c.Do(context.Background(), "GET", "/x", nil, nil)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if *apiErr != tt.want {
				t.Errorf("APIError = %+v, want %+v", *apiErr, tt.want)
			}
			if resp == nil || resp.Status != tt.want.Status {
				t.Errorf("the response is not returned with the error: %+v", resp)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want.Message) || !strings.Contains(msg, "req-GET") {
				t.Errorf("Error() = %q", msg)
			}
		})
	}
}

func TestBadSignatureIsAnAPIError(t *testing.T) {
	f := clienttest.New(t, testAK, testSK, nil)
	c, err := New(Config{Endpoint: f.URL, AccessKey: testAK, SecretKey: "wrong" + testSK})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.WhoAmI(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != "APIGW.0301" {
		t.Fatalf("err = %v, want the 401 APIGW.0301", err)
	}
}

func TestTransportErrorIsNotAnAPIError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Config{Endpoint: "http://" + addr, AccessKey: testAK, SecretKey: testSK})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(context.Background(), "GET", "/healthz", nil, nil)
	var apiErr *APIError
	if err == nil || errors.As(err, &apiErr) || resp != nil {
		t.Fatalf("Do = %v, %v; want a plain transport error", resp, err)
	}
}

func TestOneHTTPClientReusesConnections(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, AccessKey: testAK, SecretKey: testSK})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := c.Do(context.Background(), "GET", "/healthz", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 sequential calls, want 1", n)
	}
}

func TestInsecureTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	strict, _ := New(Config{Endpoint: srv.URL})
	if _, err := strict.Do(context.Background(), "GET", "/healthz", nil, nil); err == nil {
		t.Fatal("a self-signed certificate was accepted without Insecure")
	}
	insecure, _ := New(Config{Endpoint: srv.URL, Insecure: true})
	if _, err := insecure.Do(context.Background(), "GET", "/healthz", nil, nil); err != nil {
		t.Fatalf("Insecure: %v", err)
	}
}
