// Package connectrest is a small client of the Kafka Connect REST API (distributed mode) of an
// instance's Connect workers: create or update, inspect, pause, resume, stop, restart and delete
// connectors, and reset a stopped connector's offsets.
//
// Every call goes to the first worker URL that answers: a worker that is down (connection refused,
// timeout) or not serving yet (503) is skipped for the next. A worker that is not the group's leader
// forwards writes to the leader itself. A 409 (a rebalance in progress, or a config change racing
// ours) is retried for a few seconds. Errors: ErrNotFound (via errors.Is) for an unknown connector or
// task, else *Error with the HTTP status and Connect's message.
//
// The workers' REST API listens on loopback IPs only and serves connector configs: callers must
// never expose it nor return what it says verbatim (configs reference secrets as ${file:...}).
package connectrest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ErrNotFound is matched (errors.Is) by the *Error of a 404: no such connector or task.
var ErrNotFound = errors.New("connect: not found")

// Error is a Connect REST error answer.
type Error struct {
	Status  int    // HTTP status
	Message string // Connect's message
}

func (e *Error) Error() string {
	return fmt.Sprintf("connect REST: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Is makes a 404 match ErrNotFound.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// Client talks to one Connect cluster through any of its workers.
type Client struct {
	urls []string
	hc   *http.Client
	// ConflictRetry bounds the retries of 409 answers and of failed forwards to the leader (default 30 s).
	ConflictRetry time.Duration
}

// New returns a client of the workers at urls ("http://127.x.y.z:8083"; with the workers' basic-auth
// credentials as user info, as the local engine's ConnectRESTURLs gives them: net/http sends them,
// and this package's errors show the URLs with the password redacted); hc nil means a client with a
// 30 s timeout.
func New(urls []string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{urls: append([]string(nil), urls...), hc: hc, ConflictRetry: 30 * time.Second}
}

// ConnectorStatus is GET /connectors/{name}/status.
type ConnectorStatus struct {
	Name      string      `json:"name"`
	Connector State       `json:"connector"`
	Tasks     []TaskState `json:"tasks"`
	Type      string      `json:"type"` // "source" or "sink"
}

// State is a connector's state: RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED (RESTARTING during a
// restart).
type State struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"` // the Java stack trace of a FAILED one
}

// TaskState is one task's state (same states as State).
type TaskState struct {
	ID       int32  `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// ConnectorInfo is a connector's config and tasks as Connect returns them after PUT config.
type ConnectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []struct {
		Connector string `json:"connector"`
		Task      int32  `json:"task"`
	} `json:"tasks"`
	Type string `json:"type"`
}

// PutConfig creates connector name with config or replaces its config (PUT
// /connectors/{name}/config); created reports which. config needs connector.class; "name", if
// present, must be name.
func (c *Client) PutConfig(ctx context.Context, name string, config map[string]string) (created bool, err error) {
	status, err := c.do(ctx, http.MethodPut, "/connectors/"+url.PathEscape(name)+"/config", config, nil)
	return status == http.StatusCreated, err
}

// Config returns connector name's config (GET /connectors/{name}/config).
func (c *Client) Config(ctx context.Context, name string) (map[string]string, error) {
	var out map[string]string
	_, err := c.do(ctx, http.MethodGet, "/connectors/"+url.PathEscape(name)+"/config", nil, &out)
	return out, err
}

// Status returns the state of connector name and of its tasks.
func (c *Client) Status(ctx context.Context, name string) (ConnectorStatus, error) {
	var out ConnectorStatus
	_, err := c.do(ctx, http.MethodGet, "/connectors/"+url.PathEscape(name)+"/status", nil, &out)
	return out, err
}

// Pause pauses the connector and its tasks (PUT /connectors/{name}/pause): they keep their
// assignment and resources and resume from their committed position.
func (c *Client) Pause(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodPut, "/connectors/"+url.PathEscape(name)+"/pause", nil, nil)
	return err
}

// Resume resumes a paused or stopped connector (PUT /connectors/{name}/resume).
func (c *Client) Resume(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodPut, "/connectors/"+url.PathEscape(name)+"/resume", nil, nil)
	return err
}

// Stop stops the connector and shuts its tasks down (PUT /connectors/{name}/stop, state STOPPED):
// the state ResetOffsets needs.
func (c *Client) Stop(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodPut, "/connectors/"+url.PathEscape(name)+"/stop", nil, nil)
	return err
}

// Restart restarts the connector (POST /connectors/{name}/restart), with includeTasks its tasks
// too, with onlyFailed only the failed ones.
func (c *Client) Restart(ctx context.Context, name string, includeTasks, onlyFailed bool) error {
	q := url.Values{"includeTasks": {strconv.FormatBool(includeTasks)}, "onlyFailed": {strconv.FormatBool(onlyFailed)}}
	_, err := c.do(ctx, http.MethodPost, "/connectors/"+url.PathEscape(name)+"/restart?"+q.Encode(), nil, nil)
	return err
}

// RestartTask restarts one task (POST /connectors/{name}/tasks/{task}/restart).
func (c *Client) RestartTask(ctx context.Context, name string, task int32) error {
	_, err := c.do(ctx, http.MethodPost, "/connectors/"+url.PathEscape(name)+"/tasks/"+strconv.Itoa(int(task))+"/restart", nil, nil)
	return err
}

// Delete deletes the connector (DELETE /connectors/{name}); its committed offsets stay in the
// offsets topic (a connector created again with the same name resumes from them: ResetOffsets
// before deleting forgets them).
func (c *Client) Delete(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodDelete, "/connectors/"+url.PathEscape(name), nil, nil)
	return err
}

// List returns the connectors' names (GET /connectors).
func (c *Client) List(ctx context.Context) ([]string, error) {
	var out []string
	_, err := c.do(ctx, http.MethodGet, "/connectors", nil, &out)
	return out, err
}

// ResetOffsets forgets the connector's committed offsets (DELETE /connectors/{name}/offsets: a
// source connector's in the offsets topic, a sink connector's consumer group offsets), so it starts
// over when resumed. Connect requires the connector to be STOPPED (Stop, then wait for Status to
// say STOPPED): otherwise it answers 400, an *Error.
func (c *Client) ResetOffsets(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodDelete, "/connectors/"+url.PathEscape(name)+"/offsets", nil, nil)
	return err
}

// Ready reports nil when every worker answers GET /health with 200: it has started, joined the
// group and read the config topic (Connect's own readiness check, KIP-1017). The error names the
// first worker that is not ready.
func (c *Client) Ready(ctx context.Context) error {
	if len(c.urls) == 0 {
		return errors.New("connect REST: no worker URLs")
	}
	for _, u := range c.urls {
		status, body, err := c.once(ctx, u, http.MethodGet, "/health", nil)
		if err != nil {
			return fmt.Errorf("connect worker %s: %w", redact(u), err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("connect worker %s is not ready: %w", redact(u), apiError(status, body))
		}
	}
	return nil
}

// do sends the request to the first worker that answers, retries 409s for ConflictRetry, decodes a
// 2xx answer into out (when not nil) and returns the status.
func (c *Client) do(ctx context.Context, method, path string, in, out any) (int, error) {
	if len(c.urls) == 0 {
		return 0, errors.New("connect REST: no worker URLs")
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, err
		}
	}
	deadline := time.Now().Add(c.ConflictRetry)
	delay := 100 * time.Millisecond
	for {
		status, resp, err := c.any(ctx, method, path, body)
		if err != nil {
			return 0, err
		}
		switch {
		case status >= 200 && status < 300:
			if out != nil && len(resp) > 0 {
				if err := json.Unmarshal(resp, out); err != nil {
					return status, fmt.Errorf("connect REST: %s %s: decoding the answer: %w", method, path, err)
				}
			}
			return status, nil
		// 409: the workers are rebalancing. A 500 "IO Error trying to forward REST request": the
		// leader is not reachable yet (restarting after a crash, or the group not settled).
		case (status == http.StatusConflict || status == http.StatusInternalServerError && bytes.Contains(resp, []byte("forward REST request"))) &&
			time.Now().Add(delay).Before(deadline):
			select {
			case <-ctx.Done():
				return status, ctx.Err()
			case <-time.After(delay):
			}
			delay = min(2*delay, time.Second)
		default:
			return status, apiError(status, resp)
		}
	}
}

// any tries each worker in turn; a transport error or a 503 moves on to the next one.
func (c *Client) any(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var lastErr error
	for _, u := range c.urls {
		status, resp, err := c.once(ctx, u, method, path, body)
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil, ctx.Err()
			}
			var ue *url.Error
			if errors.As(err, &ue) { // its URL holds the workers' password
				err = &url.Error{Op: ue.Op, URL: redact(ue.URL), Err: ue.Err}
			}
			lastErr = fmt.Errorf("connect worker %s: %w", redact(u), err)
			continue
		}
		// A 404 without Connect's JSON error is a worker whose REST resources are not registered yet
		// (just restarted): like a 503, the next worker is asked.
		if status == http.StatusServiceUnavailable || status == http.StatusNotFound && !bytes.Contains(resp, []byte(`"error_code"`)) {
			lastErr = apiError(status, resp)
			continue
		}
		return status, resp, nil
	}
	return 0, nil, fmt.Errorf("connect REST: no worker answered %s %s: %w", method, path, lastErr)
}

func (c *Client) once(ctx context.Context, base, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, data, nil
}

// redact is u with its password hidden, for messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// apiError is the *Error of a non-2xx answer: Connect's {"error_code":..,"message":..}, or the body.
func apiError(status int, body []byte) error {
	var e struct {
		Code    int    `json:"error_code"`
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		msg = e.Message
	} else {
		msg = string(bytes.TrimSpace(body))
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
	}
	return &Error{Status: status, Message: msg}
}
