package httpapi

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendms/opendms/aksk"
)

// lockedBuffer is a log destination for a server's goroutines and a test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The access log line of a request says who called what and how it ended (written without
// Logger.LogAttrs since issue 11), and never carries the secret key, the signature or a token.
func TestAccessLog(t *testing.T) {
	var logs lockedBuffer
	e := newTestEnvLogging(t, "embedded", &logs)

	tests := []struct {
		name     string
		path     string
		sign     bool
		wantCode int
		want     []string
	}{
		{"signed catalog request", "/v2/available-zones", true, 200, []string{
			"level=INFO", "msg=request", "method=GET", "path=/v2/available-zones", "status=200", "route=/v2/available-zones",
			"user=admin", "auth=aksk", "ak=" + e.AK}},
		{"unsigned request", "/v2/available-zones", false, 401, []string{"status=401", "error_code=DMS.10240103"}},
		{"unknown path", "/nope", false, 404, []string{"status=404", "path=/nope", "error_code=DMS.00404001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(logs.String())
			req, _ := http.NewRequest("GET", e.URL+tt.path, nil)
			req.Header.Set("Content-Type", "application/json")
			if tt.sign {
				if err := aksk.Sign(req, nil, e.AK, e.SK, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			resp, _ := send(t, req)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantCode)
			}
			id := resp.Header.Get(RequestIDHeader)
			if len(id) != 32 {
				t.Fatalf("request id %q", id)
			}
			var line string
			for l := range strings.Lines(logs.String()[before:]) {
				if strings.Contains(l, "request_id="+id) {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("no access log line for request %s in %q", id, logs.String()[before:])
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("log line %q lacks %q", line, w)
				}
			}
			if auth := req.Header.Get("Authorization"); strings.Contains(line, e.SK) ||
				(auth != "" && strings.Contains(line, auth[strings.LastIndex(auth, "=")+1:])) {
				t.Errorf("log line %q carries the SK or the signature", line)
			}
		})
	}
}
