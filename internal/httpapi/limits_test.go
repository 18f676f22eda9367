package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/aksk"
)

// unimplementedPOST is a POST route without a handler (5.2.5, cross-VPC addresses; issue 16 implements it,
// and then these tests need another): a 501 from it proves authentication passed, without side effects.
func unimplementedPOST(projectID string) string {
	return instancesPath(projectID) + "/6ac4d5b4-8cd7-4b8b-9a83-31a8f9e3e4b1/crossvpc/modify"
}

// countingBody is a request body of n zero bytes that records how much of it was read, and blocks
// before its first byte until release is closed (nil: it does not block).
type countingBody struct {
	n       int64
	read    atomic.Int64
	started chan struct{} // closed at the first Read
	once    sync.Once
	release chan struct{}
}

func newCountingBody(n int64, block bool) *countingBody {
	b := &countingBody{n: n, started: make(chan struct{})}
	if block {
		b.release = make(chan struct{})
	}
	return b
}

func (b *countingBody) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.started) })
	if b.release != nil {
		<-b.release
	}
	left := b.n - b.read.Load()
	if left <= 0 {
		return 0, io.EOF
	}
	m := int(min(int64(len(p)), left))
	clear(p[:m])
	b.read.Add(int64(m))
	return m, nil
}

func (b *countingBody) Close() error { return nil }

// Issue 9, defect 2: a request whose headers do not authenticate it is refused before any of its
// body is read, whatever it announces; a valid AK with a bad signature is read (only the signature
// over the body can tell), and an unauthenticated route takes small bodies only.
func TestBodyNotReadBeforeAuthentication(t *testing.T) {
	e := newTestEnv(t)
	h := e.Server.Handler()
	const announced = 16 << 20
	type req struct {
		method, path string
		auth         func(r *http.Request)
	}
	sign := func(ak, sk string, at time.Time) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("X-Project-Id", e.ProjectID)
			if err := aksk.Sign(r, []byte("x"), ak, sk, at); err != nil { // a signature over another body
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name     string
		req      req
		wantHTTP int
		wantCode string
		wantRead bool
	}{
		{"no credentials", req{"POST", unimplementedPOST(e.ProjectID), func(*http.Request) {}}, 401, "DMS.10240103", false},
		{"unknown AK", req{"POST", unimplementedPOST(e.ProjectID), sign("NOSUCHAK000000000000", e.SK, time.Now())}, 401, "DMS.10240105", false},
		{"date outside the skew", req{"POST", unimplementedPOST(e.ProjectID), sign(e.AK, e.SK, time.Now().Add(-time.Hour))}, 401, "DMS.10240106", false},
		{"malformed Authorization", req{"POST", unimplementedPOST(e.ProjectID), func(r *http.Request) { r.Header.Set("Authorization", "SDK-HMAC-SHA256 x") }}, 401, "DMS.10240105", false},
		{"unknown token", req{"POST", unimplementedPOST(e.ProjectID), func(r *http.Request) { r.Header.Set("X-Auth-Token", "MIInotatoken") }}, 401, "DMS.10240101", false},
		{"admin API without credentials", req{"POST", adminPrefix + "/users", func(*http.Request) {}}, 401, "DMS.10240103", false},
		{"token issuance: 16 MB is over its limit", req{"POST", "/v3/auth/tokens", func(*http.Request) {}}, 413, "DMS.00413001", false},
		{"valid AK, bad signature: read, then refused", req{"POST", unimplementedPOST(e.ProjectID), sign(e.AK, e.SK, time.Now())}, 401, "DMS.10240105", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := newCountingBody(announced, false)
			r := httptest.NewRequest(tt.req.method, tt.req.path, body)
			r.ContentLength = announced
			r.Header.Set("Content-Type", "application/json")
			tt.req.auth(r)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantHTTP || decodeError(t, w.Body.Bytes()).ErrorCode != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", w.Code, w.Body, tt.wantHTTP, tt.wantCode)
			}
			if got := body.read.Load(); (got > 0) != tt.wantRead {
				t.Fatalf("%d bytes of the body were read, want read=%v", got, tt.wantRead)
			}
			if !tt.wantRead && w.Header().Get("Connection") != "close" {
				t.Error("an unread body must close the connection")
			}
		})
	}
}

// limitedServer is an API server on e's IAM with cfg's body limits, for what the defaults make slow
// to reach.
func limitedServer(e *testEnv, cfg Config) *Server {
	cfg.Region = e.Region
	return New(cfg, Services{IAM: e.IAM}, slog.New(slog.DiscardHandler))
}

// Past the budget of unverified bodies, a signed request is refused at once with 503 (and its body
// not read); unauthenticated bodies cannot take that budget; once it frees, requests pass again.
func TestUnverifiedBodyBudget(t *testing.T) {
	e := newTestEnv(t)
	h := limitedServer(e, Config{UnverifiedBodies: 2, UnverifiedBodyBytes: 1 << 20}).Handler()
	signed := func(body io.Reader, n int64) *http.Request {
		r := httptest.NewRequest("POST", unimplementedPOST(e.ProjectID), body)
		r.ContentLength = n
		r.Header.Set("Content-Type", "application/json")
		if err := aksk.Sign(r, []byte("x"), e.AK, e.SK, time.Now()); err != nil {
			t.Fatal(err)
		}
		return r
	}
	anonymous := func(body io.Reader, n int64) *http.Request {
		r := httptest.NewRequest("POST", "/v3/auth/tokens", body)
		r.ContentLength = n
		return r
	}
	// hold starts two requests whose bodies block before their first byte; the returned func
	// releases them and waits until they are done.
	hold := func(req func(io.Reader, int64) *http.Request) func() {
		var wg sync.WaitGroup
		var bodies []*countingBody
		for range 2 {
			b := newCountingBody(100, true)
			bodies = append(bodies, b)
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.ServeHTTP(httptest.NewRecorder(), req(b, 100))
			}()
			<-b.started
		}
		return func() {
			for _, b := range bodies {
				close(b.release)
			}
			wg.Wait()
		}
	}
	// try sends a request with a body of n bytes and checks the status and whether the body was read.
	try := func(name string, req func(io.Reader, int64) *http.Request, n int64, wantHTTP int, wantRead bool) {
		t.Helper()
		body := newCountingBody(n, false)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req(body, n))
		if w.Code != wantHTTP || (body.read.Load() > 0) != wantRead {
			t.Fatalf("%s: got %d %s (%d bytes read), want %d read=%v", name, w.Code, w.Body, body.read.Load(), wantHTTP, wantRead)
		}
		if w.Code == 503 && (decodeError(t, w.Body.Bytes()).ErrorCode != "DMS.00503001" || w.Header().Get("Retry-After") == "") {
			t.Fatalf("%s: 503 without its code or Retry-After: %v %s", name, w.Header(), w.Body)
		}
	}
	// 401 below: the bodies are read and verified; the signature is over another body.
	releaseSigned := hold(signed)
	try("a third signed body while two are read", signed, 10, 503, false)
	releaseSigned()
	try("a signed body over the byte budget", signed, 2<<20, 503, false)
	releaseAnon := hold(anonymous)
	try("a third unauthenticated body while two are read", anonymous, 10, 503, false)
	try("a signed body while unauthenticated ones are held", signed, 10, 401, true)
	releaseAnon()
	try("an unauthenticated body after the budget freed", anonymous, 10, 400, true)
}

// A body that stops arriving is cut off with 408 and the connection closed; the same body sent at
// once passes. The deadline is short here (300 ms plus 1 s per MiB) so the test does not wait long;
// nothing is asserted about time.
func TestSlowBodyIsCutOff(t *testing.T) {
	e := newTestEnv(t)
	hs := httptest.NewServer(limitedServer(e, Config{BodyTimeout: 300 * time.Millisecond, BodyMinRate: 1 << 20}).Handler())
	t.Cleanup(hs.Close)
	body := bytes.Repeat([]byte("a"), 64<<10)
	signedHead := func() []byte {
		r, _ := http.NewRequest("POST", hs.URL+unimplementedPOST(e.ProjectID), nil)
		r.Header.Set("Content-Type", "application/json")
		if err := aksk.Sign(r, body, e.AK, e.SK, time.Now()); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", r.URL.RequestURI(), r.URL.Host, len(body))
		r.Header.Write(&b)
		b.WriteString("\r\n")
		return b.Bytes()
	}
	tests := []struct {
		name     string
		send     int // bytes of the body sent before waiting
		wantHTTP int
		wantCode string
	}{
		{"body stops after 10 bytes", 10, 408, "DMS.00408001"},
		{"whole body at once", len(body), 501, "DMS.00501900"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(hs.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(time.Minute)) // a hang fails the test instead of blocking it
			if _, err := conn.Write(append(signedHead(), body[:tt.send]...)); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no response: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantHTTP || decodeError(t, b).ErrorCode != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tt.wantHTTP, tt.wantCode)
			}
			if tt.wantHTTP == 408 && !resp.Close {
				t.Error("the connection of a cut-off body must be closed")
			}
		})
	}
}

// Issue 9, defect 13: a signed mutating request replayed on another connection inside the skew
// window is refused; the client repeating it on its own connection is not (see iam.checkReplay).
func TestReplayRefused(t *testing.T) {
	e := newTestEnv(t)
	body := []byte(`{"a":1}`)
	signed, _ := http.NewRequest("POST", e.URL+unimplementedPOST(e.ProjectID), nil)
	signed.Header.Set("Content-Type", "application/json")
	signed.Header.Set("X-Project-Id", e.ProjectID)
	if err := aksk.Sign(signed, body, e.AK, e.SK, time.Now()); err != nil {
		t.Fatal(err)
	}
	getSigned, _ := http.NewRequest("GET", e.URL+instancesPath(e.ProjectID), nil)
	if err := aksk.Sign(getSigned, nil, e.AK, e.SK, time.Now()); err != nil {
		t.Fatal(err)
	}
	// send sends a copy of r on client c and reports whether it used a connection used before.
	send := func(c *http.Client, r *http.Request, body []byte) (*http.Response, []byte, bool) {
		cp, _ := http.NewRequest(r.Method, r.URL.String(), bytes.NewReader(body))
		cp.Header = r.Header.Clone()
		var reused bool
		cp = cp.WithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
		}))
		resp, err := c.Do(cp)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b, reused
	}
	client := func() *http.Client { return &http.Client{Transport: &http.Transport{}} }
	victim, attacker := client(), client()
	steps := []struct {
		name      string
		c         *http.Client
		r         *http.Request
		body      []byte
		wantHTTP  int
		wantCode  string
		wantReuse bool
	}{
		{"first", victim, signed, body, 501, "DMS.00501900", false},
		{"the client repeating it on its connection", victim, signed, body, 501, "DMS.00501900", true},
		{"replayed on another connection", attacker, signed, body, 401, "DMS.10240110", false},
		{"replayed again", attacker, signed, body, 401, "DMS.10240110", true},
		{"a GET replayed on another connection passes", victim, getSigned, nil, 200, "", true},
		{"(the GET again)", attacker, getSigned, nil, 200, "", true},
	}
	for _, s := range steps {
		resp, b, reused := send(s.c, s.r, s.body)
		code := ""
		if resp.StatusCode >= 400 {
			code = decodeError(t, b).ErrorCode
		}
		if resp.StatusCode != s.wantHTTP || code != s.wantCode {
			t.Fatalf("%s: got %d %s, want %d %s", s.name, resp.StatusCode, b, s.wantHTTP, s.wantCode)
		}
		if reused != s.wantReuse {
			t.Fatalf("%s: connection reused = %v, want %v", s.name, reused, s.wantReuse)
		}
	}
}

// The official SDK making the same mutating call twice within one second (the same signature: it
// signs nothing unique) is not taken for a replay: both calls get the handler's answer.
func TestSDKRepeatedCallIsNotAReplay(t *testing.T) {
	e := newTestEnv(t)
	var mu sync.Mutex
	var auths []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		e.Server.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	c := (&testEnv{URL: hs.URL}).sdkClient(t, e.AK, e.SK, e.ProjectID)
	del := &model.DeleteInstanceRequest{InstanceId: "6ac4d5b4-8cd7-4b8b-9a83-31a8f9e3e4b1"}
	for attempt := 0; ; attempt++ {
		mu.Lock()
		auths = auths[:0]
		mu.Unlock()
		for range 2 {
			_, err := c.DeleteInstance(del)
			sdkErr(t, err, 404, "DMS.00404022")
		}
		mu.Lock()
		same := len(auths) == 2 && auths[0] == auths[1]
		mu.Unlock()
		if same {
			return
		}
		if attempt == 10 {
			t.Fatal("the two calls never fell in the same second")
		}
	}
}

// Issue 9, defect 21: a V11-HMAC-SHA256 signature must be derived for this server's region and the
// dms service; raw requests and the official SDK with derived auth.
func TestV11CredentialScope(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name, region, service string
		wantHTTP              int
		wantCode              string
	}{
		{"this region, dms", e.Region, "dms", 501, "DMS.00501900"},
		{"another region", "cn-south-1", "dms", 401, "DMS.10240105"},
		{"another service", e.Region, "ecs", 401, "DMS.10240105"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(`{"a":1}`)
			r, _ := http.NewRequest("POST", e.URL+unimplementedPOST(e.ProjectID), bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-Project-Id", e.ProjectID)
			if err := aksk.SignV11(r, body, e.AK, e.SK, tt.region, tt.service, time.Now()); err != nil {
				t.Fatal(err)
			}
			resp, b := send(t, r)
			if resp.StatusCode != tt.wantHTTP || decodeError(t, b).ErrorCode != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tt.wantHTTP, tt.wantCode)
			}
		})
		t.Run("SDK "+tt.name, func(t *testing.T) {
			cred, err := basic.NewCredentialsBuilder().WithAk(e.AK).WithSk(e.SK).WithProjectId(e.ProjectID).
				WithDerivedPredicate(func(*request.DefaultHttpRequest) bool { return true }).SafeBuild()
			if err != nil {
				t.Fatal(err)
			}
			hc, err := kafka.KafkaClientBuilder().WithRegion(region.NewRegion(tt.region, e.URL)).WithDerivedAuthServiceName(tt.service).
				WithCredential(cred).WithHttpConfig(config.DefaultHttpConfig().WithUserAgent("opendms-test")).SafeBuild()
			if err != nil {
				t.Fatal(err)
			}
			_, err = kafka.NewKafkaClient(hc).ListInstances(&model.ListInstancesRequest{})
			if tt.wantHTTP == 501 {
				if err != nil {
					t.Fatalf("derived auth for this region: %v", err)
				}
				return
			}
			sdkErr(t, err, tt.wantHTTP, tt.wantCode)
		})
	}
}

// Issue 9, defect 9: text that is not valid UTF-8 (or a lone surrogate escape, which encoding/json
// also turns into U+FFFD) is refused with a 400 instead of being stored altered; valid text passes.
func TestInvalidUTF8Refused(t *testing.T) {
	e := newTestEnv(t)
	instanceBody := func(description string) []byte {
		req := createReq(e, t, "kafka-utf8").Body
		req.Description = new(string)
		*req.Description = "DESCRIPTION"
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Replace(b, []byte("DESCRIPTION"), []byte(description), 1)
	}
	tests := []struct {
		name, method, path string
		body               []byte // nil: none
		wantHTTP           int
		wantCode           string
	}{
		{"project description in Latin-1", "POST", adminPrefix + "/projects", []byte("{\"name\":\"p-latin1\",\"description\":\"caf\xe9\"}"), 400, "DMS.00400005"},
		{"project description with a lone surrogate escape", "POST", adminPrefix + "/projects", []byte(`{"name":"p-surrogate","description":"a\ud800b"}`), 400, "DMS.00400005"},
		{"project description with a lone low surrogate", "POST", adminPrefix + "/projects", []byte(`{"name":"p-low","description":"\udc00"}`), 400, "DMS.00400005"},
		{"instance description with a truncated sequence", "POST", "/v2/kafka/" + e.ProjectID + "/instances", instanceBody("d\xe2\x82"), 400, "DMS.00400005"},
		{"token request with an invalid password byte", "POST", "/v3/auth/tokens", []byte("{\"auth\":{\"identity\":{\"password\":{\"user\":{\"name\":\"admin\",\"password\":\"\xff\"}}}}}"), 400, "DMS.00400005"},
		{"instance name filter in the query", "GET", instancesPath(e.ProjectID) + "?name=%FF", nil, 400, "DMS.00400062"},
		{"topic name in the path", "GET", "/v2/" + e.ProjectID + "/kafka/instances/6ac4d5b4-8cd7-4b8b-9a83-31a8f9e3e4b1/topics/%C3/partitions", nil, 400, "DMS.00400062"},
		{"valid text: accents, a surrogate pair", "POST", adminPrefix + "/projects", []byte(`{"name":"p-valid","description":"café \ud83d\ude00 ü"}`), 201, ""},
		{"valid escaped backslash before u", "POST", adminPrefix + "/projects", []byte(`{"name":"p-backslash","description":"a\\ud800"}`), 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != nil {
				body = tt.body
			}
			resp, b := e.do(t, tt.method, tt.path, body)
			if resp.StatusCode != tt.wantHTTP {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tt.wantHTTP, tt.wantCode)
			}
			if tt.wantCode != "" && decodeError(t, b).ErrorCode != tt.wantCode {
				t.Fatalf("got %s, want %s", b, tt.wantCode)
			}
		})
	}
	// The valid description was stored as sent.
	resp, b := e.do(t, "GET", adminPrefix+"/projects", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "café 😀 ü") {
		t.Fatalf("projects: %d %s", resp.StatusCode, b)
	}
}

// The body's read deadline is lifted once the body is read: a handler that runs past it keeps its
// context (net/http's background read would otherwise fail at the deadline and cancel it). A guard
// for message queries, which run up to 10 s.
func TestBodyDeadlineDoesNotCancelLongHandlers(t *testing.T) {
	e := newTestEnv(t)
	srv := limitedServer(e, Config{BodyTimeout: 20 * time.Millisecond, BodyMinRate: 1 << 20})
	canceled := make(chan bool, 1)
	srv.own("POST", "/opendms/test/slow", "a handler that outlives the body deadline", "", authSigned, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			canceled <- true
		case <-time.After(500 * time.Millisecond): // well past the deadline (20 ms + 62.5 ms)
			canceled <- false
		}
		w.WriteHeader(http.StatusNoContent)
	})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	body := []byte(`{"a":1}`)
	r, _ := http.NewRequest("POST", hs.URL+"/opendms/test/slow", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if err := aksk.Sign(r, body, e.AK, e.SK, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, b := send(t, r)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("got %d %s", resp.StatusCode, b)
	}
	if <-canceled {
		t.Fatal("the handler's context was canceled after the body deadline")
	}
}

func TestJSONTextProblem(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`{"a":"plain"}`, true},
		{`{"a":"caf` + "\xc3\xa9" + `"}`, true},
		{`{"a":"\ud83d\ude00"}`, true},
		{`{"a":"\\ud800"}`, true}, // an escaped backslash, then text
		{`{"a":"\u00e9\"\\"}`, true},
		{`{"a":"` + "\xff" + `"}`, false},
		{`{"a":"` + "\xed\xa0\x80" + `"}`, false}, // a surrogate encoded in UTF-8
		{`{"a":"\ud800"}`, false},
		{`{"a":"\\\ud800"}`, false}, // an escaped backslash, then a lone surrogate
		{`{"a":"\ud800\u0041"}`, false},
		{`{"a":"\ud83d`, false},
		{`{"\udc00":1}`, false}, // keys are strings too
	}
	for _, tt := range tests {
		if _, ok := jsonTextProblem([]byte(tt.in)); ok != tt.ok {
			t.Errorf("jsonTextProblem(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
	}
}
