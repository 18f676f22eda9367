package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/kafka"
)

// DefaultKafkaVersion is the Kafka build used when a Spec names none.
const DefaultKafkaVersion = kafka.DefaultVersion

// MinJavaVersion is the oldest Java that runs Kafka 4.x brokers.
const MinJavaVersion = 17

// completeMarker is written into <cache>/kafka-<v>/ once libs/ holds a complete resolve.
const completeMarker = ".complete"

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[A-Za-z0-9.]+)?$`)

// FetchOptions say where Kafka jars come from and go to.
type FetchOptions struct {
	// Version is the Kafka version ("4.3.1"); empty means DefaultKafkaVersion.
	Version string
	// CacheDir holds kafka-<version>/libs; empty means DefaultCacheDir().
	CacheDir string
	// KafkaHome is an existing Apache Kafka install (the official tarball layout, jars in libs/). It is
	// used when it holds this version (libs/kafka_2.13-<version>.jar). Empty means $KAFKA_HOME.
	KafkaHome string
	// Maven is the mvn executable; empty means "mvn" on PATH.
	Maven string
	// JavaHome is given to Maven as JAVA_HOME when set; empty means $JAVA_HOME (or java on PATH).
	JavaHome string
	// Log receives Maven's output (it is also quoted in the error when Maven fails). Nil discards it.
	Log io.Writer
}

func (o FetchOptions) withDefaults() FetchOptions {
	if o.Version == "" {
		o.Version = DefaultKafkaVersion
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.KafkaHome == "" {
		o.KafkaHome = os.Getenv("KAFKA_HOME")
	}
	if o.JavaHome == "" {
		o.JavaHome = os.Getenv("JAVA_HOME")
	}
	return o
}

// DefaultCacheDir is $XDG_CACHE_HOME/opendms, else ~/.cache/opendms (os.UserCacheDir), else a
// directory under the system temp dir.
func DefaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil && d != "" {
		return filepath.Join(d, "opendms")
	}
	return filepath.Join(os.TempDir(), "opendms-cache")
}

// CachedLibsDir is where Fetch puts the jars of version under cacheDir ("" means the defaults).
func CachedLibsDir(cacheDir, version string) string {
	o := FetchOptions{CacheDir: cacheDir, Version: version}.withDefaults()
	return filepath.Join(o.CacheDir, "kafka-"+o.Version, "libs")
}

// ValidVersion reports whether v looks like a Kafka release version (it becomes a path and a Maven
// property).
func ValidVersion(v string) bool { return versionRE.MatchString(v) }

// Fetch returns a directory holding the broker jars of opts.Version: KAFKA_HOME/libs if that install is
// this version, else the cache, resolving it with Maven from the embedded pinned POM when missing or
// half-done. A cache directory also gets the brokers' PLAIN handler jar, compiled with javac when
// missing or stale (plainauth.go). Concurrent Fetches (also from other processes) of one version
// resolve once. An error that wraps engine.ErrUnavailable says what to install or set.
func Fetch(ctx context.Context, opts FetchOptions) (string, error) {
	opts = opts.withDefaults()
	if !ValidVersion(opts.Version) {
		return "", fmt.Errorf("local engine: invalid Kafka version %q", opts.Version)
	}
	if dir, ok := kafkaHomeLibs(opts.KafkaHome, opts.Version); ok {
		// Not written to: the PLAIN handler jar goes to the cache (kafkaHomePlainAuthJar).
		if err := ensurePlainAuthJar(ctx, opts, dir, kafkaHomePlainAuthJar(opts)); err != nil {
			return "", err
		}
		return dir, nil
	}
	verDir := filepath.Join(opts.CacheDir, "kafka-"+opts.Version)
	libs := filepath.Join(verDir, "libs")
	if complete(verDir) {
		return withPlainAuth(ctx, opts, libs)
	}
	mvn, err := findMaven(opts.Maven)
	if err != nil {
		return "", unavailableJars(opts, err)
	}
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("local engine: kafka jar cache: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(opts.CacheDir, "kafka-"+opts.Version+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if complete(verDir) { // another process resolved it while we waited
		return withPlainAuth(ctx, opts, libs)
	}
	if err := resolve(ctx, opts, mvn, verDir); err != nil {
		return "", err
	}
	return withPlainAuth(ctx, opts, libs)
}

// withPlainAuth returns libs once it holds a current PLAIN handler jar (plainauth.go).
func withPlainAuth(ctx context.Context, opts FetchOptions, libs string) (string, error) {
	if err := ensurePlainAuth(ctx, opts, libs); err != nil {
		return "", err
	}
	return libs, nil
}

func complete(verDir string) bool {
	_, err := os.Stat(filepath.Join(verDir, completeMarker))
	return err == nil
}

// kafkaHomeLibs returns home/libs when it holds the broker jar of version.
func kafkaHomeLibs(home, version string) (string, bool) {
	if home == "" {
		return "", false
	}
	libs := filepath.Join(home, "libs")
	if _, err := os.Stat(filepath.Join(libs, "kafka_2.13-"+version+".jar")); err != nil {
		return "", false
	}
	abs, err := filepath.Abs(libs)
	if err != nil {
		return "", false
	}
	return abs, true
}

func findMaven(mvn string) (string, error) {
	if mvn == "" {
		mvn = "mvn"
	}
	p, err := exec.LookPath(mvn)
	if err != nil {
		return "", fmt.Errorf("%s is not on PATH", mvn)
	}
	return p, nil
}

func unavailableJars(opts FetchOptions, cause error) error {
	home := "KAFKA_HOME is not set"
	if opts.KafkaHome != "" {
		home = fmt.Sprintf("KAFKA_HOME=%s has no libs/kafka_2.13-%s.jar", opts.KafkaHome, opts.Version)
	}
	return fmt.Errorf("%w: Apache Kafka %s jars are not in %s, %s, and %v: install Maven (mvn, e.g. `apt-get install maven`) with access to Maven Central and run `dmsd kafka fetch --version %s`, or set KAFKA_HOME to an Apache Kafka %s install (the official tarball)",
		engine.ErrUnavailable, opts.Version, filepath.Join(opts.CacheDir, "kafka-"+opts.Version), home, cause, opts.Version, opts.Version)
}

// resolve runs Maven on the broker POM into verDir/libs.tmp, then moves it to verDir/libs and writes
// the marker.
func resolve(ctx context.Context, opts FetchOptions, mvn, verDir string) error {
	return resolvePOM(ctx, opts, mvn, verDir, "Kafka", kafka.POM, "kafka_2.13-"+opts.Version+".jar")
}

// resolvePOM clears dir, resolves the runtime dependencies of pom (what: "Kafka", "Kafka tools") into
// dir/libs through dir/libs.tmp, checks that wantJar is among them and writes dir's complete marker.
func resolvePOM(ctx context.Context, opts FetchOptions, mvn, dir, what string, pom []byte, wantJar string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("local engine: clearing a half-done resolve: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	pomPath := filepath.Join(dir, "pom.xml")
	if err := os.WriteFile(pomPath, pom, 0o644); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "libs.tmp")
	var out bytes.Buffer
	var w io.Writer = &out
	if opts.Log != nil {
		w = io.MultiWriter(&out, opts.Log)
	}
	quiet := "-q" // only errors, which the error quotes
	if opts.Log != nil {
		quiet = "-ntp" // what Maven does, without download progress
	}
	cmd := exec.CommandContext(ctx, mvn, quiet, "-B", "-Dstyle.color=never", "-f", pomPath,
		"dependency:copy-dependencies", "-DincludeScope=runtime", "-DoutputDirectory="+tmp,
		"-Dkafka.version="+opts.Version)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = toolEnv(opts.JavaHome)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("local engine: resolving %s %s jars: %w", what, opts.Version, ctx.Err())
		}
		return fmt.Errorf("%w: resolving Apache %s %s jars with %s failed (%v); Maven Central must be reachable (or set KAFKA_HOME to an Apache Kafka %s install): %s",
			engine.ErrUnavailable, what, opts.Version, mvn, err, opts.Version, tail(out.String(), 2000))
	}
	if _, err := os.Stat(filepath.Join(tmp, wantJar)); err != nil {
		return fmt.Errorf("local engine: Maven finished but %s has no %s", tmp, wantJar)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "libs")); err != nil {
		return err
	}
	marker := fmt.Sprintf("%s %s resolved %s\n", strings.ToLower(what), opts.Version, time.Now().UTC().Format(time.RFC3339))
	return writeFileAtomic(filepath.Join(dir, completeMarker), []byte(marker), 0o644)
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// tail is the last n bytes of a tool's output, without terminal escapes.
func tail(s string, n int) string {
	s = strings.TrimSpace(ansiRE.ReplaceAllString(s, ""))
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// lockFile takes an exclusive flock on path, polling so ctx can cancel the wait.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("local engine: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// writeFileAtomic replaces path with data: a temporary file of its own (two writers of one path,
// e.g. two workers' supervisors restarting at once, never share one), then a rename.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // gone after the rename
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), perm)
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// ---- Java ----

// javaBinary returns the java executable: $javaHome/bin/java when javaHome is set, else java on PATH.
func javaBinary(javaHome string) (string, error) {
	if javaHome != "" {
		p := filepath.Join(javaHome, "bin", "java")
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("%w: JAVA_HOME=%s has no bin/java: set JAVA_HOME to a Java %d+ install (JDK or JRE)", engine.ErrUnavailable, javaHome, MinJavaVersion)
		}
		return p, nil
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("%w: Java %d+ is needed to run Kafka brokers and java is not on PATH: install a JDK (e.g. `apt-get install openjdk-17-jdk-headless`: its javac also builds the brokers' PLAIN handler) or set JAVA_HOME", engine.ErrUnavailable, MinJavaVersion)
	}
	return p, nil
}

var javaVersions sync.Map // java path -> int (major version)

var javaVersionRE = regexp.MustCompile(`version "([0-9]+)(?:\.([0-9]+))?`)

// checkJava finds java and checks that it is MinJavaVersion or newer; the version is cached per path.
func checkJava(javaHome string) (string, error) {
	p, err := javaBinary(javaHome)
	if err != nil {
		return "", err
	}
	if v, ok := javaVersions.Load(p); ok {
		if v.(int) < MinJavaVersion {
			return "", oldJava(p, v.(int))
		}
		return p, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, "-XX:-UsePerfData", "-version") // no /tmp/hsperfdata_<user> file
	cmd.Env = childEnv(javaHome)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w: %s -version failed (%v): install Java %d+ or set JAVA_HOME to one", engine.ErrUnavailable, p, err, MinJavaVersion)
	}
	m := javaVersionRE.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%w: cannot read the version of %s (%q): install Java %d+ or set JAVA_HOME to one", engine.ErrUnavailable, p, tail(string(out), 200), MinJavaVersion)
	}
	major, _ := strconv.Atoi(string(m[1]))
	if major == 1 && len(m[2]) > 0 { // 1.8 -> 8
		major, _ = strconv.Atoi(string(m[2]))
	}
	javaVersions.Store(p, major)
	if major < MinJavaVersion {
		return "", oldJava(p, major)
	}
	return p, nil
}

func oldJava(p string, v int) error {
	return fmt.Errorf("%w: %s is Java %d; Kafka 4.x brokers need Java %d+: install it and set JAVA_HOME to it (or put it first on PATH)", engine.ErrUnavailable, p, v, MinJavaVersion)
}

// Available is a cheap check that the local engine can run clusters here (for `--engine auto`): Java
// 17+ is present, and the jars of DefaultKafkaVersion are cached, or KAFKA_HOME holds them, or Maven
// is installed to resolve them, and for the cache the PLAIN handler jar is built or javac can build
// it. It does not resolve anything. The error wraps engine.ErrUnavailable.
func Available(opts Options) error {
	opts = opts.withDefaults()
	if _, err := checkJava(opts.JavaHome); err != nil {
		return err
	}
	fo := opts.fetchOptions(DefaultKafkaVersion)
	if _, ok := kafkaHomeLibs(fo.KafkaHome, fo.Version); ok {
		return nil
	}
	if complete(filepath.Join(fo.CacheDir, "kafka-"+fo.Version)) {
		return plainAuthAvailable(fo)
	}
	if _, err := findMaven(fo.Maven); err != nil {
		return unavailableJars(fo, err)
	}
	return plainAuthAvailable(fo)
}
