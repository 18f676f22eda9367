// Package connecttest starts the services Smart Connect's tests talk to: an S3 server (versitygw
// over a temporary directory) and redis-server, each on a free loopback port and stopped by the
// test's cleanup. A missing binary fails the test under CI=true (.ci/run installs both) and skips
// it elsewhere.
//
// It is not a _test file so that the tests of internal/connect/dump, internal/connect/redis and
// internal/httpapi share one copy; only tests import it.
package connecttest

import (
	"bytes"
	"context"

	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Region is the region the S3 server is started with.
const Region = "us-east-1"

// missing fails tb under CI and skips it elsewhere.
func missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// VersitygwBin finds versitygw in PATH or in $(go env GOPATH)/bin, where `go install` puts it.
func VersitygwBin(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "versitygw")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	missing(tb, "versitygw not found in PATH or $(go env GOPATH)/bin: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	return ""
}

// S3 is a versitygw over a temporary directory (POSIX backend) on 127.0.0.1. AK and SK are its
// root user's keys.
type S3 struct {
	tb             testing.TB
	Bin, Dir, Addr string
	AK, SK         string
	iamDir         string // internal IAM (users besides root) when not ""
	cmd            *exec.Cmd
	exited         chan error
	log            *bytes.Buffer
}

// StartS3 starts versitygw without IAM (root only).
func StartS3(tb testing.TB) *S3 {
	tb.Helper()
	return StartS3With(tb, false)
}

// StartS3With starts versitygw, with its internal IAM when iam (for users other than root).
func StartS3With(tb testing.TB, iam bool) *S3 {
	tb.Helper()
	s := &S3{tb: tb, Bin: VersitygwBin(tb), Dir: tb.TempDir(), Addr: FreeAddr(tb), AK: "dumptestak", SK: "dumptestsecretkey"}
	if iam {
		s.iamDir = tb.TempDir() // kept across Stop and Start, as the data are
	}
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// FreeAddr is a loopback address with a port free at the time of the call.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Endpoint is the server's URL.
func (s *S3) Endpoint() string { return "http://" + s.Addr }

// Start runs versitygw (again, after Stop: same address and data) and waits until it accepts
// connections.
func (s *S3) Start() {
	s.tb.Helper()
	s.log = &bytes.Buffer{}
	args := []string{"--port", s.Addr, "--access", s.AK, "--secret", s.SK, "--region", Region, "--quiet"}
	if s.iamDir != "" {
		args = append(args, "--iam-dir", s.iamDir)
	}
	s.cmd = exec.Command(s.Bin, append(args, "posix", s.Dir)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	for {
		select {
		case err := <-exited:
			s.cmd = nil
			s.tb.Fatalf("versitygw exited: %v\n%s", err, s.log)
		case <-time.After(20 * time.Millisecond):
		}
		if c, err := net.Dial("tcp", s.Addr); err == nil {
			c.Close()
			s.exited = exited
			return
		}
	}
}

// Stop kills the server (Start starts it again).
func (s *S3) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// CreateUser adds an IAM user of role "user" with the versitygw admin CLI (StartS3With iam).
func (s *S3) CreateUser(ak, sk string) {
	s.tb.Helper()
	out, err := exec.Command(s.Bin, "admin", "--access", s.AK, "--secret", s.SK, "--region", Region,
		"--endpoint-url", s.Endpoint(), "create-user", "--access", ak, "--secret", sk, "--role", "user").CombinedOutput()
	if err != nil {
		s.tb.Fatalf("create user: %v: %s", err, out)
	}
}

// Client is a root S3 client (path style).
func (s *S3) Client() *minio.Client {
	s.tb.Helper()
	cl, err := minio.New(s.Addr, &minio.Options{Creds: credentials.NewStaticV4(s.AK, s.SK, ""), Region: Region,
		BucketLookup: minio.BucketLookupPath})
	if err != nil {
		s.tb.Fatal(err)
	}
	return cl
}

// MakeBucket creates a bucket.
func (s *S3) MakeBucket(name string) {
	s.tb.Helper()
	if err := s.Client().MakeBucket(context.Background(), name, minio.MakeBucketOptions{Region: Region}); err != nil {
		s.tb.Fatal(err)
	}
}

// Objects reads back every object in bucket: key -> content.
func (s *S3) Objects(bucket string) map[string]string {
	s.tb.Helper()
	cl := s.Client()
	ctx := context.Background()
	out := map[string]string{}
	for o := range cl.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			s.tb.Fatal(o.Err)
		}
		obj, err := cl.GetObject(ctx, bucket, o.Key, minio.GetObjectOptions{})
		if err != nil {
			s.tb.Fatal(err)
		}
		b, err := io.ReadAll(obj)
		obj.Close()
		if err != nil {
			s.tb.Fatal(err)
		}
		out[o.Key] = string(b)
	}
	return out
}

// Redis is a redis-server process of one test.
type Redis struct {
	Addr, Password string
	Dir            string
	Cmd            *exec.Cmd
}

// StartRedis starts redis-server on a free loopback port in a temp dir, with password (none:
// "") and extra more "--name value" settings.
func StartRedis(tb testing.TB, password string, extra ...string) *Redis {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		missing(tb, "redis-server is not installed (.ci/run installs Debian's redis-server): apt-get install redis-server")
	}
	dir := tb.TempDir()
	for try := 0; ; try++ {
		_, port, _ := net.SplitHostPort(FreeAddr(tb))
		args := []string{"--port", port, "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"),
			"--repl-diskless-sync-delay", "0"}
		if password != "" {
			args = append(args, "--requirepass", password)
		}
		args = append(args, extra...)
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		srv := &Redis{Addr: net.JoinHostPort("127.0.0.1", port), Password: password, Dir: dir, Cmd: cmd}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		tb.Cleanup(func() { cmd.Process.Kill(); <-exited })
		if srv.waitReady(tb, exited) {
			return srv
		}
		if try == 3 {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			tb.Fatalf("redis-server did not start:\n%s", log)
		}
	}
}

// waitReady pings until the server answers (false: it exited, e.g. the port was taken meanwhile).
func (s *Redis) waitReady(tb testing.TB, exited chan struct{}) bool {
	tb.Helper()
	cl := s.Client(0)
	defer cl.Close()
	for range 200 {
		select {
		case <-exited:
			return false
		default:
		}
		if cl.Ping(context.Background()).Err() == nil {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("redis-server at %s did not answer", s.Addr)
	return false
}

// Client is a client of database db (RESP2, no client-side extras the server may not know).
func (s *Redis) Client(db int) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: s.Addr, Password: s.Password, DB: db, Protocol: 2,
		DisableIdentity: true, MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
}

// Do runs commands on db and fails the test on an error.
func (s *Redis) Do(tb testing.TB, db int, cmds ...[]any) {
	tb.Helper()
	cl := s.Client(db)
	defer cl.Close()
	for _, c := range cmds {
		if err := cl.Do(context.Background(), c...).Err(); err != nil {
			tb.Fatalf("%v: %v", c, err)
		}
	}
}

// Port is the server's port.
func (s *Redis) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}
