package main

import (
	"bytes"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opendms/opendms/aksk"
	"github.com/opendms/opendms/internal/iam"
)

// These tests run the real dmsd binary: first start, credentials file, signed requests, graceful
// shutdown on SIGTERM, restart on the same data dir, and that no secret reaches the log.

var buildOnce struct {
	sync.Once
	path string
	err  error
}

func dmsdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dmsd-bin")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "dmsd")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = err
			buildOnce.path = string(out)
		}
	})
	if buildOnce.err != nil {
		t.Fatalf("build dmsd: %v\n%s", buildOnce.err, buildOnce.path)
	}
	return buildOnce.path
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type proc struct {
	cmd    *exec.Cmd
	log    *syncBuffer
	addr   string
	scheme string
}

func startDmsd(t *testing.T, dataDir string, env ...string) *proc {
	t.Helper()
	return startDmsdWith(t, dataDir, nil, false, env...)
}

// startDmsdWith starts dmsd with extra arguments; with https the health check speaks TLS without
// verifying the (self-signed) certificate.
func startDmsdWith(t *testing.T, dataDir string, args []string, https bool, env ...string) *proc {
	t.Helper()
	addr := "127.0.0.1:" + freePort(t)
	cmd := exec.Command(dmsdBinary(t), append([]string{"--listen", addr, "--data-dir", dataDir, "--engine", "embedded"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, log: &syncBuffer{}, addr: addr, scheme: "http"}
	if https {
		p.scheme = "https"
	}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	client := insecureClient()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := client.Get(p.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("dmsd did not become healthy:\n%s", p.log.String())
	return nil
}

func (p *proc) url() string { return p.scheme + "://" + p.addr }

func insecureClient() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dmsd exited with %v after SIGTERM:\n%s", err, p.log.String())
		}
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("dmsd did not stop within 20s of SIGTERM:\n%s", p.log.String())
	}
}

func (p *proc) signedGet(t *testing.T, path, ak, sk, projectID string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", p.url()+path, nil)
	req.Header.Set("Content-Type", "application/json")
	if projectID != "" {
		req.Header.Set("X-Project-Id", projectID)
	}
	if err := aksk.Sign(req, nil, ak, sk, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := insecureClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", path)
	}
	return resp.StatusCode
}

func TestFirstStartRestartAndShutdown(t *testing.T) {
	dir := t.TempDir()
	p := startDmsd(t, dir)
	credsPath := filepath.Join(dir, "admin-credentials.json")
	fi, err := os.Stat(credsPath)
	if err != nil {
		t.Fatalf("no credentials file: %v\n%s", err, p.log.String())
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", fi.Mode().Perm())
	}
	creds, err := iam.ReadCredentials(credsPath)
	if err != nil || creds.AccessKey == "" || creds.SecretKey == "" || !iam.ValidProjectID(creds.ProjectID) || creds.Password == "" ||
		creds.PasswordSource != iam.PasswordGenerated {
		t.Fatalf("credentials %+v, %v", creds, err)
	}
	if !strings.Contains(p.log.String(), credsPath) {
		t.Errorf("the log does not say where the credentials are:\n%s", p.log.String())
	}
	if got := p.signedGet(t, "/v2/available-zones", creds.AccessKey, creds.SecretKey, ""); got != 200 {
		t.Fatalf("signed catalog call: %d", got)
	}
	if got := p.signedGet(t, "/v3/projects?name=cn-north-4", creds.AccessKey, creds.SecretKey, ""); got != 200 {
		t.Fatalf("signed projects call: %d", got)
	}
	if got := p.signedGet(t, "/v2/available-zones", creds.AccessKey, "wrong"+creds.SecretKey, ""); got != 401 {
		t.Fatalf("wrong SK: %d", got)
	}
	p.stop(t)
	log1 := p.log.String()
	if !strings.Contains(log1, "shutting down") {
		t.Errorf("no graceful shutdown in the log:\n%s", log1)
	}

	// Restart on the same data dir: the same credentials still work and the file is not rewritten.
	before, _ := os.ReadFile(credsPath)
	p = startDmsd(t, dir)
	if got := p.signedGet(t, "/v2/"+creds.ProjectID+"/instances", creds.AccessKey, creds.SecretKey, creds.ProjectID); got != 200 {
		t.Fatalf("after restart, a signed call in the project: %d, want 200", got)
	}
	after, _ := os.ReadFile(credsPath)
	if !bytes.Equal(before, after) {
		t.Error("the credentials file changed on restart")
	}
	p.stop(t)

	// No secret in any log line.
	for _, secret := range []string{creds.SecretKey, creds.Password} {
		if strings.Contains(log1+p.log.String(), secret) {
			t.Fatal("a secret appears in the log")
		}
	}
	// Nor in the database file.
	db, _ := os.ReadFile(filepath.Join(dir, "opendms.db"))
	wal, _ := os.ReadFile(filepath.Join(dir, "opendms.db-wal"))
	for _, secret := range []string{creds.SecretKey, creds.Password} {
		if bytes.Contains(db, []byte(secret)) || bytes.Contains(wal, []byte(secret)) {
			t.Fatal("a secret is stored in plain text in the metadata store")
		}
	}
}

func TestFixedAdminCredentialsFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	const (
		ak  = "OPENDMSTESTAK0000001"
		sk  = "opendmsTestSecretKey0123456789abcdefghij"
		pid = "0123456789abcdef0123456789abcdef"
	)
	p := startDmsd(t, dir, "DMS_ADMIN_AK="+ak, "DMS_ADMIN_SK="+sk, "DMS_ADMIN_PROJECT_ID="+pid, "DMS_ADMIN_PASSWORD=Fixed-Passw0rd")
	creds, err := iam.ReadCredentials(filepath.Join(dir, "admin-credentials.json"))
	if err != nil || creds.AccessKey != ak || creds.SecretKey != sk || creds.ProjectID != pid {
		t.Fatalf("credentials %+v, %v", creds, err)
	}
	// A password the operator chose is not written down: the file says where it came from instead.
	raw, _ := os.ReadFile(filepath.Join(dir, "admin-credentials.json"))
	if creds.Password != "" || creds.PasswordSource != iam.PasswordFromEnv || bytes.Contains(raw, []byte("Fixed-Passw0rd")) {
		t.Fatalf("DMS_ADMIN_PASSWORD in the credentials file (source %q):\n%s", creds.PasswordSource, raw)
	}
	if got := p.signedGet(t, "/v2/"+pid+"/instances", ak, sk, pid); got != 200 {
		t.Fatalf("signed call with the fixed AK/SK: %d", got)
	}
	p.stop(t)
	if strings.Contains(p.log.String(), sk) || strings.Contains(p.log.String(), "Fixed-Passw0rd") {
		t.Fatal("a secret appears in the log")
	}
}

func TestRoutesCommand(t *testing.T) {
	out, err := exec.Command(dmsdBinary(t), "routes").CombinedOutput()
	if err != nil {
		t.Fatalf("dmsd routes: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	sections := map[string]bool{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 5 {
			t.Fatalf("short line %q", l)
		}
		if f[3] != "implemented" && f[3] != "not-implemented" {
			t.Fatalf("status %q in %q", f[3], l)
		}
		if !strings.HasPrefix(f[0], "sdk:") {
			sections[f[0]] = true
		}
	}
	if len(sections) != 107 {
		t.Errorf("dmsd routes lists %d reference sections, want 107", len(sections))
	}
	want := map[string]string{ // section+method+path -> status
		"5.12.2 GET /v2/available-zones":                                                                      "implemented",
		"5.5.2 POST /v2/{project_id}/instances/{instance_id}/topics":                                          "implemented",
		"5.8.1 GET /v2/{project_id}/instances/{instance_id}/messages":                                         "implemented",
		"5.6.2 GET /v2/{project_id}/instances/{instance_id}/groups":                                           "implemented",
		"5.1.1 POST /v2/{engine}/{project_id}/instances":                                                      "implemented",
		"5.2.8 POST /v2/{project_id}/instances/{instance_id}/management/topics/{topic}/replicas-reassignment": "implemented",
		"5.3.3 POST /v2/{project_id}/instances/{instance_id}/connector/tasks":                                 "implemented",
		"5.2.5 POST /v2/{project_id}/instances/{instance_id}/crossvpc/modify":                                 "not-implemented",
		"sdk:ShowKafkaCluster GET /v2/{project_id}/instances/{instance_id}/manage/cluster":                    "implemented", // read by the Terraform provider
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if status, ok := want[f[0]+" "+f[1]+" "+f[2]]; ok {
			if f[3] != status {
				t.Errorf("%s: %s, want %s", l, f[3], status)
			}
			delete(want, f[0]+" "+f[1]+" "+f[2])
		}
	}
	for k := range want {
		t.Errorf("dmsd routes lacks %s", k)
	}
}

// TestOneDmsdPerDataDir: a second dmsd on a data dir in use exits at once with an error naming
// the holder, instead of supervising the same brokers twice.
func TestOneDmsdPerDataDir(t *testing.T) {
	dir := t.TempDir()
	p := startDmsd(t, dir)
	defer p.stop(t)
	out, err := exec.Command(dmsdBinary(t), "--listen", "127.0.0.1:"+freePort(t), "--data-dir", dir, "--engine", "embedded").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another dmsd (pid "+strconv.Itoa(p.cmd.Process.Pid)) {
		t.Fatalf("second dmsd: %v\n%s", err, out)
	}
}
