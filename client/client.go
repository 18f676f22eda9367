// Package client is a Go client of an OpenDMS server: the Huawei Cloud "DMS for Kafka" REST API, the
// IAM endpoints an SDK needs, and OpenDMS's own admin API (/opendms/v1).
//
// Every request is signed with the account's AK/SK exactly as the official Huawei Cloud Go SDK signs it
// (SDK-HMAC-SHA256), so anything this client can call, an SDK can call too, and the other way round.
//
//	c, err := client.New(client.Config{Endpoint: "http://127.0.0.1:9780", AccessKey: ak, SecretKey: sk, ProjectID: pid})
//	resp, err := c.Do(ctx, "GET", "/v2/{project_id}/instances", nil, nil)
//	users, err := c.ListUsers(ctx)
//
// A non-2xx answer is returned as an *APIError; transport failures are ordinary errors.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opendms/opendms/aksk"
)

// DefaultTimeout bounds a whole call (connection, request, response body) when Config.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// UserAgent is sent (and signed, as the SDK signs its own) with every request.
const UserAgent = "opendms-client/1"

// ProjectIDPlaceholder is replaced in request paths by Config.ProjectID.
const ProjectIDPlaceholder = "{project_id}"

// maxResponseBytes bounds the response bodies read into memory.
const maxResponseBytes = 64 << 20

// ErrNoProjectID is returned when a path contains {project_id} but the client has no project id.
var ErrNoProjectID = errors.New("client: the path contains {project_id} but no project id is configured")

// Config configures a Client.
type Config struct {
	// Endpoint is the server's base URL, e.g. "http://127.0.0.1:9780" or "https://dms.example.com".
	Endpoint string
	// AccessKey and SecretKey sign every request. Both empty means unsigned requests, which only the
	// unauthenticated endpoints (POST /v3/auth/tokens, /healthz) accept.
	AccessKey string
	SecretKey string
	// ProjectID is sent (and signed) as X-Project-Id, as the SDKs do, and replaces {project_id} in paths.
	ProjectID string
	// Region is informational for callers (the SDKs resolve a project by region name); it is not sent.
	Region string
	// Insecure skips TLS certificate verification (for self-signed https endpoints).
	Insecure bool
	// Timeout bounds each call; zero means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient, when set, is used as is for every call; Insecure and Timeout are then ignored.
	HTTPClient *http.Client
}

// Client calls an OpenDMS server. It is safe for concurrent use and reuses one *http.Client (and so
// its connections) for every call.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
}

// Response is a raw HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the JSON body into v.
func (r *Response) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("client: decoding the response body: %w", err)
	}
	return nil
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	base, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return nil, errors.New("client: AccessKey and SecretKey must be set together")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if cfg.Insecure {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for explicitly
		}
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		hc = &http.Client{Transport: tr, Timeout: timeout}
	}
	return &Client{cfg: cfg, base: base, hc: hc}, nil
}

// parseEndpoint accepts an absolute http or https URL without query or fragment.
func parseEndpoint(endpoint string) (*url.URL, error) {
	if endpoint == "" {
		return nil, errors.New("client: Endpoint is required")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("client: bad endpoint %q: %w", endpoint, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: bad endpoint %q: want http://host[:port] or https://host[:port]", endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("client: bad endpoint %q: no user info, query or fragment allowed", endpoint)
	}
	return u, nil
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// Do sends a signed request and returns the answer.
//
// path is absolute ("/v2/{project_id}/instances"); {project_id} is replaced by Config.ProjectID, and a
// query string in path is kept and followed by query. Path segments that are user data must be
// escaped by the caller (url.PathEscape). body is sent as is when it is []byte, json.RawMessage or an
// io.Reader, nothing when nil, and JSON-encoded otherwise; Content-Type is application/json in every
// case, as the SDKs send it.
//
// For a non-2xx status Do returns the Response and an *APIError; for a transport failure, a nil
// Response and the error.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any) (*Response, error) {
	req, err := c.newRequest(ctx, method, path, query, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("client: reading the response of %s %s: %w", method, req.URL.Path, err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, newAPIError(out)
	}
	return out, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body any) (*http.Request, error) {
	if method == "" {
		method = http.MethodGet
	}
	u, err := c.url(path, query)
	if err != nil {
		return nil, err
	}
	payload, err := encodeBody(body)
	if err != nil {
		return nil, err
	}
	var rd io.Reader = http.NoBody
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, strings.ToUpper(method), u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	// The parsed URL is the one signed: keep it rather than a re-parse of its string.
	req.URL = u
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Content-Type", "application/json")
	if c.cfg.ProjectID != "" {
		req.Header.Set("X-Project-Id", c.cfg.ProjectID)
	}
	if c.cfg.AccessKey != "" {
		if err := aksk.Sign(req, payload, c.cfg.AccessKey, c.cfg.SecretKey, time.Now()); err != nil {
			return nil, fmt.Errorf("client: signing: %w", err)
		}
	}
	return req, nil
}

// url joins the endpoint and path, with {project_id} replaced and query appended.
func (c *Client) url(path string, query url.Values) (*url.URL, error) {
	if strings.Contains(path, ProjectIDPlaceholder) {
		if c.cfg.ProjectID == "" {
			return nil, ErrNoProjectID
		}
		path = strings.ReplaceAll(path, ProjectIDPlaceholder, url.PathEscape(c.cfg.ProjectID))
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	// ParseRequestURI reads "//x" as a path (not a host) and keeps '#' in it.
	ref, err := url.ParseRequestURI(path)
	if err != nil {
		return nil, fmt.Errorf("client: bad path %q: %w", path, err)
	}
	u := *c.base
	u.Path = strings.TrimSuffix(c.base.Path, "/") + ref.Path
	u.RawPath = strings.TrimSuffix(c.base.EscapedPath(), "/") + ref.EscapedPath()
	u.RawQuery = ref.RawQuery
	if q := query.Encode(); q != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += q
	}
	return &u, nil
}

// encodeBody returns the bytes to send for body (nil for no body).
func encodeBody(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case []byte:
		return b, nil
	case json.RawMessage:
		return b, nil
	case io.Reader:
		data, err := io.ReadAll(b)
		if err != nil {
			return nil, fmt.Errorf("client: reading the request body: %w", err)
		}
		return data, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return nil, fmt.Errorf("client: encoding the request body: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// call is Do followed by decoding a 2xx JSON body into out (when out is not nil).
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.Do(ctx, method, path, nil, in)
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(resp.Body)) == 0 {
		return nil
	}
	return resp.Decode(out)
}
