package local

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/scram"
	"github.com/opendms/opendms/kafka/plainauth"
)

// These tests compile the PLAIN handler with javac against the Kafka jars of DefaultKafkaVersion: they
// fail (never skip) when a JDK or the jars are missing.

// kafkaLibsForBuild returns a temp libs dir of symlinks to the cached (or KAFKA_HOME) Kafka jars, so
// a build writes its jar there and not into the shared cache.
func kafkaLibsForBuild(t *testing.T) string {
	t.Helper()
	if _, err := findJavac(os.Getenv("JAVA_HOME")); err != nil {
		t.Fatalf("a JDK is required for these tests: %v", err)
	}
	src := CachedLibsDir("", DefaultKafkaVersion)
	if !complete(filepath.Dir(src)) {
		var ok bool
		if src, ok = kafkaHomeLibs(os.Getenv("KAFKA_HOME"), DefaultKafkaVersion); !ok {
			t.Fatalf("the Kafka %s jars are required for these tests and are neither in %s nor in KAFKA_HOME: run `go run ./cmd/dmsd kafka fetch`",
				DefaultKafkaVersion, CachedLibsDir("", DefaultKafkaVersion))
		}
	}
	jars, err := filepath.Glob(filepath.Join(src, "*.jar"))
	if err != nil || len(jars) == 0 {
		t.Fatalf("no jars in %s: %v", src, err)
	}
	libs := filepath.Join(t.TempDir(), "libs")
	if err := os.Mkdir(libs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, j := range jars {
		if filepath.Base(j) == PlainAuthJar {
			continue
		}
		if err := os.Symlink(j, filepath.Join(libs, filepath.Base(j))); err != nil {
			t.Fatal(err)
		}
	}
	return libs
}

// TestPlainAuthBuild: ensurePlainAuth compiles the jar (a manifest first, the handler class, the
// stamp), does nothing while it is current, rebuilds a stale one, and without javac says to install
// a JDK.
func TestPlainAuthBuild(t *testing.T) {
	libs := kafkaLibsForBuild(t)
	ctx := context.Background()
	jar := filepath.Join(libs, PlainAuthJar)
	opts := FetchOptions{JavaHome: os.Getenv("JAVA_HOME")}

	start := time.Now()
	if err := ensurePlainAuth(ctx, opts, libs); err != nil {
		t.Fatal(err)
	}
	t.Logf("MEASURE %s built in %v", PlainAuthJar, time.Since(start).Round(time.Millisecond))
	r, err := zip.OpenReader(jar)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
	}
	r.Close()
	class := strings.ReplaceAll(plainauth.HandlerClass, ".", "/") + ".class"
	if len(names) < 3 || names[0] != "META-INF/MANIFEST.MF" || !contains(names, class) || !contains(names, plainAuthStampEntry) {
		t.Fatalf("jar entries %v", names)
	}
	if !plainAuthCurrent(jar) {
		t.Fatal("a fresh jar is not current")
	}
	if left, _ := filepath.Glob(filepath.Join(libs, ".*")); len(left) != 0 {
		t.Errorf("temp files left in libs: %v", left)
	}

	// Current: not rebuilt, and javac is not even needed.
	st1, _ := os.Stat(jar)
	if err := ensurePlainAuth(ctx, FetchOptions{JavaHome: t.TempDir()}, libs); err != nil {
		t.Fatalf("a current jar needed javac: %v", err)
	}
	if st2, _ := os.Stat(jar); !os.SameFile(st1, st2) {
		t.Error("a current jar was rebuilt")
	}

	// Stale (built from another source): rebuilt.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(plainAuthStampEntry)
	io.WriteString(w, "source-sha256=0000\n")
	zw.Close()
	if err := os.WriteFile(jar, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if plainAuthCurrent(jar) {
		t.Fatal("a jar with another stamp is current")
	}
	if err := ensurePlainAuth(ctx, opts, libs); err != nil {
		t.Fatal(err)
	}
	if !plainAuthCurrent(jar) {
		t.Fatal("a stale jar was not rebuilt")
	}

	// No javac: a clear error, and Available says so too.
	os.Remove(jar)
	noJDK := t.TempDir()
	err = ensurePlainAuth(ctx, FetchOptions{JavaHome: noJDK}, libs)
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "javac") || !strings.Contains(err.Error(), "install a JDK") {
		t.Fatalf("without javac: %v", err)
	}
	if err := plainAuthAvailable(FetchOptions{JavaHome: noJDK, CacheDir: t.TempDir(), Version: DefaultKafkaVersion}); !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("plainAuthAvailable without javac: %v", err)
	}

	// A compile error is reported with javac's output.
	err = buildPlainAuth(ctx, "false", libs, jar)
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "compiling") {
		t.Fatalf("failing javac: %v", err)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// checker drives testdata/plainauth/Check.java: one FilePlainServerCallbackHandler configured as a
// broker configures it, asked over stdin.
type checker struct {
	t   *testing.T
	in  io.Writer
	out *bufio.Scanner
	log strings.Builder // the JVM's other output (log lines)
}

func (c *checker) ask(cmd string) string {
	c.t.Helper()
	if _, err := io.WriteString(c.in, cmd+"\n"); err != nil {
		c.t.Fatalf("Check.java: %v\n%s", err, c.log.String())
	}
	r := c.result()
	if strings.HasPrefix(r, "error ") {
		c.t.Fatalf("%s: %s", strings.Fields(cmd)[0], r)
	}
	return r
}

// result is the next "RESULT " line's rest; other lines go to c.log.
func (c *checker) result() string {
	c.t.Helper()
	for c.out.Scan() {
		line := c.out.Text()
		if r, ok := strings.CutPrefix(line, "RESULT "); ok {
			return r
		}
		c.log.WriteString(line + "\n")
	}
	c.t.Fatalf("Check.java ended (%v):\n%s", c.out.Err(), c.log.String())
	return ""
}

func b64s(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// login reports whether a PLAIN login of user with password is accepted by Kafka's PlainSaslServer
// with the handler.
func (c *checker) login(user, password string) bool {
	c.t.Helper()
	r := c.ask("login " + b64s(user) + " " + b64s(password))
	switch {
	case r == "accepted":
		return true
	case strings.HasPrefix(r, "refused "):
		return false
	}
	c.t.Fatalf("login %q: %s", user, r)
	return false
}

// TestPlainAuthHandler: the Go side (internal/scram) writes plain-users.properties and the Java
// handler, built by ensurePlainAuth and configured from plainauth.JAASConfig through Kafka's JAAS
// parsing, accepts exactly the right passwords, sees every change of the file without being
// recreated, and agrees with Kafka's own SCRAM-SHA-512 derivation.
func TestPlainAuthHandler(t *testing.T) {
	libs := kafkaLibsForBuild(t)
	java, err := checkJava(os.Getenv("JAVA_HOME"))
	if err != nil {
		t.Fatalf("Java %d+ is required for this test: %v", MinJavaVersion, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := ensurePlainAuth(ctx, FetchOptions{JavaHome: os.Getenv("JAVA_HOME")}, libs); err != nil {
		t.Fatal(err)
	}
	check, err := filepath.Abs(filepath.Join("testdata", "plainauth", "Check.java"))
	if err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), `dir with "quote" and \backslash`)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, scram.PlainUsersFile)
	cred := func(pw string, iters int) scram.Credential {
		c, err := scram.NewCredential(pw, iters)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	const weird = "we=ird user:名#1"
	users := map[string]scram.Credential{
		"alice": cred("alice-secret", scram.DefaultIterations),
		weird:   cred("pässwörd with spaces", scram.MaxIterations),
	}
	if err := scram.WritePlainUsers(file, users); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(ctx, java, "-Dorg.apache.logging.log4j.level=DEBUG",
		"-cp", filepath.Join(libs, "*")+string(os.PathListSeparator)+filepath.Join(libs, PlainAuthJar),
		check, plainauth.JAASConfig(file))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &checker{t: t, in: in, out: bufio.NewScanner(out)}
	defer func() {
		in.Close()
		if err := cmd.Wait(); err != nil && !t.Failed() {
			t.Errorf("Check.java: %v\n%s", err, stderr.String())
		}
		if t.Failed() {
			t.Logf("Check.java output:\n%s\nstderr:\n%s", c.log.String(), stderr.String())
		}
	}()
	if r := c.result(); r != "ready" {
		t.Fatalf("Check.java: %q", r)
	}
	t.Logf("MEASURE Check.java ready in %v", time.Since(start).Round(time.Millisecond))

	// Kafka's ScramFormatter derives the same SaltedPassword, StoredKey and ServerKey as internal/scram.
	for pw, u := range map[string]string{"alice-secret": "alice", "pässwörd with spaces": weird} {
		g := users[u]
		want := strings.Join([]string{base64.StdEncoding.EncodeToString(g.SaltedPassword),
			base64.StdEncoding.EncodeToString(g.StoredKey), base64.StdEncoding.EncodeToString(g.ServerKey)}, " ")
		if got := c.ask("scram " + b64s(pw) + " " + base64.StdEncoding.EncodeToString(g.Salt) + " " + strconv.Itoa(g.Iterations)); got != want {
			t.Errorf("Kafka's SCRAM-SHA-512 keys of %s: %s, internal/scram: %s", u, got, want)
		}
	}

	expect := func(step, user, pw string, want bool) {
		t.Helper()
		if got := c.login(user, pw); got != want {
			t.Errorf("%s: login %q/%q accepted=%v, want %v", step, user, pw, got, want)
		}
	}
	expect("initial", "alice", "alice-secret", true)
	expect("initial", "alice", "alice-secret2", false)
	expect("initial", "alice", "", false)
	expect("initial", "Alice", "alice-secret", false)
	expect("initial", weird, "pässwörd with spaces", true)
	expect("initial", weird, "passwörd with spaces", false)
	expect("initial", "bob", "bob-secret", false)

	// A user added later (atomic rewrite): accepted by the same handler.
	users["bob"] = cred("bob-secret", 8192)
	if err := scram.WritePlainUsers(file, users); err != nil {
		t.Fatal(err)
	}
	expect("bob added", "bob", "bob-secret", true)
	expect("bob added", "alice", "alice-secret", true)

	// A password change that keeps the file's size and mtime: the rename alone (a new inode) is seen.
	before, _ := os.Stat(file)
	users["bob"] = cred("bob-secreT", 8192)
	if err := scram.WritePlainUsers(file, users); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, before.ModTime(), before.ModTime()); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(file); after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("size/mtime differ: %d %v, %d %v", before.Size(), before.ModTime(), after.Size(), after.ModTime())
	}
	expect("bob's password changed", "bob", "bob-secret", false)
	expect("bob's password changed", "bob", "bob-secreT", true)

	// Edited in place (same inode, other size): seen; a malformed line only locks out its user.
	data, _ := os.ReadFile(file)
	bad := []string{
		"carol=not-base64!:4096:" + base64.StdEncoding.EncodeToString(users["alice"].StoredKey),
		"dave=" + base64.StdEncoding.EncodeToString(users["alice"].Salt) + ":4096",
		"erin=" + base64.StdEncoding.EncodeToString(users["alice"].Salt) + ":100:" + base64.StdEncoding.EncodeToString(users["alice"].StoredKey),
		"frank=" + base64.StdEncoding.EncodeToString(users["alice"].Salt) + ":4096:c2hvcnQ=",
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, strings.Join(bad, "\n"))
	f.Close()
	for _, u := range []string{"carol", "dave", "erin", "frank"} {
		expect("malformed lines", u, "alice-secret", false)
	}
	expect("malformed lines", "alice", "alice-secret", true)

	// Removed users are refused; a missing file refuses everyone; a recreated file is read again.
	delete(users, "alice")
	if err := scram.WritePlainUsers(file, users); err != nil {
		t.Fatal(err)
	}
	expect("alice removed", "alice", "alice-secret", false)
	expect("alice removed", "bob", "bob-secreT", true)
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	expect("file removed", "bob", "bob-secreT", false)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	expect("file back", "alice", "alice-secret", true)

	// The handler's log (DEBUG) has no password nor line value, and warns about the malformed lines
	// and the missing file.
	in.Close()
	for c.out.Scan() {
		c.log.WriteString(c.out.Text() + "\n")
	}
	logs := c.log.String() + stderr.String()
	for _, pw := range []string{"alice-secret", "bob-secre", "pässwörd", "c2hvcnQ"} {
		if strings.Contains(logs, pw) {
			t.Errorf("the JVM's output contains %q:\n%s", pw, logs)
		}
	}
	if !strings.Contains(logs, "malformed line for user carol") || !strings.Contains(logs, "does not exist") {
		t.Errorf("missing warnings in the JVM's output:\n%s", logs)
	}
}
