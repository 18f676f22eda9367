package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opendms/opendms/client"
	"github.com/opendms/opendms/internal/dmsd"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/testlock"
)

// realDMS is an OpenDMS server running in the test's process (dmsd.Open, as dmsd runs it), on its own
// data dir and its own random /24 of broker IPs. dmsctl is pointed at it with the administrator's
// key in the environment.
type realDMS struct {
	URL   string
	Dir   string
	Creds iam.AdminCredentials
	C     *client.Client
}

// newRealDMS starts a server whose instances run on engineName ("embedded" or "local"). The local
// engine takes the machine-wide JVM lock first; the brokers a test started are stopped when it ends.
func newRealDMS(t *testing.T, engineName string) *realDMS {
	t.Helper()
	if engineName == "local" {
		testlock.JVM(t)
	}
	dir := t.TempDir()
	cfg := dmsd.Defaults()
	cfg.DataDir, cfg.Engine = dir, engineName
	cfg.IPPool = fmt.Sprintf("127.%d.%d.0/24", 100+rand.IntN(100), rand.IntN(250))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := dmsd.Open(ctx, cfg, log, url)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
		if engineName == "local" {
			killBrokers(t, filepath.Join(dir, "instances"))
		}
	})
	creds, err := iam.ReadCredentials(filepath.Join(dir, dmsd.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{Endpoint: url, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, ProjectID: creds.ProjectID})
	if err != nil {
		t.Fatal(err)
	}
	return &realDMS{URL: url, Dir: dir, Creds: creds, C: c}
}

// use points dmsctl at the server with the administrator's key (call it after isolate).
func (s *realDMS) use(t *testing.T) {
	t.Setenv(envEndpoint, s.URL)
	t.Setenv(envAccessKey, s.Creds.AccessKey)
	t.Setenv(envSecretKey, s.Creds.SecretKey)
	t.Setenv(envProjectID, s.Creds.ProjectID)
}

// killBrokers kills the broker processes of this test's instances (the local engine leaves brokers
// running when dmsd closes, by design): the processes whose command line names the instances dir.
func killBrokers(t *testing.T, dir string) {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(dir)) {
			t.Logf("killing broker process %d", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// runCtx is run with a context that ends after timeout, so that a consumer that would wait for
// messages that never come fails the test instead of hanging it.
func runCtx(t *testing.T, timeout time.Duration, stdin string, args ...string) result {
	t.Helper()
	r, timedOut := runWithin(timeout, stdin, args...)
	if timedOut {
		t.Fatalf("dmsctl %s did not end within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), timeout, r.stdout, r.stderr)
	}
	return r
}

// runWithin runs dmsctl with a context that ends after timeout and reports whether it had to end
// it (it does not fail the test: goroutines may call it).
func runWithin(timeout time.Duration, stdin string, args ...string) (result, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errb)
	cmd, err := root.ExecuteContextC(ctx)
	code := exitCode(cmd, err, &errb)
	return result{out.String(), errb.String(), code}, ctx.Err() != nil
}

// embeddedTopic starts a real dmsd (embedded engine) for t, isolated, and creates an instance with a
// topic through dmsctl.
func embeddedTopic(t *testing.T, instance, topic string, partitions int) {
	t.Helper()
	isolate(t)
	s := newRealDMS(t, "embedded")
	s.use(t)
	runCtx(t, 2*time.Minute, "", "instance", "create", instance, "--wait").wantCode(t, exitOK)
	runCtx(t, 2*time.Minute, "", "topic", "create", instance, topic, "--partitions", strconv.Itoa(partitions)).wantCode(t, exitOK)
}
