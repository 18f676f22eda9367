package connectrest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeWorker answers like a Connect worker for the requests the table sends.
func fakeWorker(t *testing.T, conflicts *atomic.Int32, seen *[]string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*seen = append(*seen, r.Method+" "+r.URL.RequestURI())
		writeErr := func(code int, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(map[string]any{"error_code": code, "message": msg})
		}
		switch {
		case r.URL.Path == "/health":
			w.Write([]byte(`{"status":"healthy","message":"Worker has completed startup and is ready to handle requests."}`))
		case r.URL.Path == "/connectors" && r.Method == http.MethodGet:
			w.Write([]byte(`["a","b"]`))
		case r.URL.Path == "/connectors/a/config" && r.Method == http.MethodPut:
			if conflicts.Add(-1) >= 0 {
				writeErr(409, "Cannot complete request because of a conflicting operation (e.g. worker rebalance)")
				return
			}
			var cfg map[string]string
			body, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(body, &cfg); err != nil || cfg["connector.class"] == "" || r.Header.Get("Content-Type") != "application/json" {
				writeErr(400, "bad body")
				return
			}
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"name":"a","config":{},"tasks":[],"type":"source"}`))
		case r.URL.Path == "/connectors/a/status":
			w.Write([]byte(`{"name":"a","connector":{"state":"RUNNING","worker_id":"127.0.0.1:8083"},"tasks":[{"id":0,"state":"FAILED","worker_id":"127.0.0.2:8083","trace":"java.lang.RuntimeException: boom\n\tat x"}],"type":"source"}`))
		case r.URL.Path == "/connectors/a/restart" && r.Method == http.MethodPost:
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte(`{"name":"a","connector":{"state":"RESTARTING","worker_id":"w"},"tasks":[]}`))
		case r.URL.Path == "/connectors/a/offsets" && r.Method == http.MethodDelete:
			writeErr(400, "Connectors must be in the STOPPED state before their offsets can be modified.")
		case (r.URL.Path == "/connectors/a/pause" || r.URL.Path == "/connectors/a/resume" || r.URL.Path == "/connectors/a/stop") && r.Method == http.MethodPut:
			w.WriteHeader(http.StatusAccepted)
		case (r.URL.Path == "/connectors/a" && r.Method == http.MethodDelete) || (r.URL.Path == "/connectors/a/tasks/0/restart" && r.Method == http.MethodPost):
			w.WriteHeader(http.StatusNoContent)
		default:
			writeErr(404, "Connector "+r.URL.Path+" not found")
		}
	}))
}

func TestClient(t *testing.T) {
	var conflicts atomic.Int32
	var seen []string
	srv := fakeWorker(t, &conflicts, &seen)
	defer srv.Close()
	// The first URL is a worker that is down: every call moves on to the next.
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	c := New([]string{downURL, srv.URL}, nil)
	ctx := context.Background()

	conflicts.Store(2) // two 409s, then success
	created, err := c.PutConfig(ctx, "a", map[string]string{"connector.class": "X"})
	if err != nil || !created {
		t.Fatalf("PutConfig: %v %v", created, err)
	}
	st, err := c.Status(ctx, "a")
	if err != nil || st.Connector.State != "RUNNING" || len(st.Tasks) != 1 || st.Tasks[0].State != "FAILED" || st.Tasks[0].WorkerID != "127.0.0.2:8083" || st.Tasks[0].Trace == "" || st.Type != "source" {
		t.Fatalf("Status: %+v %v", st, err)
	}
	if names, err := c.List(ctx); err != nil || len(names) != 2 {
		t.Fatalf("List: %v %v", names, err)
	}
	for name, call := range map[string]func() error{
		"Pause":       func() error { return c.Pause(ctx, "a") },
		"Resume":      func() error { return c.Resume(ctx, "a") },
		"Stop":        func() error { return c.Stop(ctx, "a") },
		"Restart":     func() error { return c.Restart(ctx, "a", true, false) },
		"RestartTask": func() error { return c.RestartTask(ctx, "a", 0) },
		"Delete":      func() error { return c.Delete(ctx, "a") },
		"Ready":       func() error { return New([]string{srv.URL}, nil).Ready(ctx) },
	} {
		if err := call(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Typed errors.
	_, err = c.Status(ctx, "missing")
	var ae *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &ae) || ae.Status != 404 || ae.Message != "Connector /connectors/missing/status not found" {
		t.Errorf("Status of a missing connector: %v", err)
	}
	err = c.ResetOffsets(ctx, "a")
	if !errors.As(err, &ae) || ae.Status != 400 || errors.Is(err, ErrNotFound) {
		t.Errorf("ResetOffsets of a running connector: %v", err)
	}
	// A 409 that lasts is returned once ConflictRetry is spent.
	conflicts.Store(1000)
	c.ConflictRetry = 300 * time.Millisecond
	if _, err := c.PutConfig(ctx, "a", map[string]string{"connector.class": "X"}); !errors.As(err, &ae) || ae.Status != 409 {
		t.Errorf("lasting conflict: %v", err)
	}
	// Every worker down: an error naming the request; Ready names the worker.
	if _, err := New([]string{downURL}, nil).List(ctx); err == nil {
		t.Error("List with every worker down succeeded")
	}
	if err := New([]string{srv.URL, downURL}, nil).Ready(ctx); err == nil {
		t.Error("Ready with a worker down")
	}
	want := map[string]bool{
		"POST /connectors/a/restart?includeTasks=true&onlyFailed=false": false,
		"DELETE /connectors/a/offsets":                                  false,
		"POST /connectors/a/tasks/0/restart":                            false,
		"PUT /connectors/a/stop":                                        false,
	}
	for _, s := range seen {
		if _, ok := want[s]; ok {
			want[s] = true
		}
	}
	for s, ok := range want {
		if !ok {
			t.Errorf("no request %s among %v", s, seen)
		}
	}
}

// TestReadyUnhealthy: a worker still starting answers /health with 503: not ready, with its message.
func TestReadyUnhealthy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"starting","message":"Worker is still starting up."}`))
	}))
	defer srv.Close()
	err := New([]string{srv.URL}, nil).Ready(context.Background())
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != 503 || ae.Message != "Worker is still starting up." {
		t.Errorf("Ready: %v", err)
	}
}

// TestBasicAuth: credentials in the URLs' user info reach the worker as basic authentication, and
// no error shows the password.
func TestBasicAuth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "opendms" || p != "s3cret-pw" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error_code":401,"message":"User cannot access the resource."}`))
			return
		}
		w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	authed := strings.Replace(srv.URL, "http://", "http://opendms:s3cret-pw@", 1)
	if _, err := New([]string{authed}, nil).List(context.Background()); err != nil {
		t.Fatalf("with credentials: %v", err)
	}
	var ae *Error
	if _, err := New([]string{srv.URL}, nil).List(context.Background()); !errors.As(err, &ae) || ae.Status != 401 {
		t.Fatalf("without credentials: %v", err)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := strings.Replace(down.URL, "http://", "http://opendms:s3cret-pw@", 1)
	down.Close()
	for _, err := range []error{
		func() error { _, err := New([]string{downURL}, nil).List(context.Background()); return err }(),
		New([]string{downURL}, nil).Ready(context.Background()),
	} {
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error with a worker down: %v", err)
		}
	}
}
