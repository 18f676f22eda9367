package local

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/kafka/plainauth"
)

// The brokers' SASL/PLAIN handler (kafka/plainauth: io.opendms.kafka.FilePlainServerCallbackHandler)
// is compiled from its embedded source into <libs>/opendms-plainauth.jar when Fetch has the jars of
// a cached version, so the broker classpath (<libs>/*) holds it. The jar carries a stamp of the
// source it was built from (plainAuthStampEntry); a jar with another stamp (a dmsd with a changed
// handler) is rebuilt. Only javac is needed: the jar is written with archive/zip. An install under
// KAFKA_HOME is not written to, so it has no handler jar.

// PlainAuthJar is the file name of the handler jar in the libs directory.
const PlainAuthJar = plainauth.JarName

// plainAuthStampEntry is the jar entry holding plainAuthStamp().
const plainAuthStampEntry = "META-INF/opendms-plainauth.stamp"

// plainAuthRecipe changes when the way the jar is built changes (it is part of the stamp).
const plainAuthRecipe = "javac --release 17; archive/zip; v1"

// plainAuthMtime is every jar entry's time (the zip format's earliest), so builds are reproducible.
var plainAuthMtime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// javaJar is a jar of OpenDMS's own Java classes that dmsd compiles from embedded sources beside
// Kafka's jars: the brokers' PLAIN handler (plainAuth) and the Connect workers' plugins
// (connectPlugins, connect_fetch.go).
type javaJar struct {
	name       string                   // file name, e.g. opendms-plainauth.jar
	stampEntry string                   // the jar entry holding stamp()
	sourceSHA  func() string            // hex SHA-256 of the sources
	sources    func() map[string][]byte // the sources by path under a source root
	recipe     string                   // changes when the build changes (part of the stamp)
}

// plainAuth is the brokers' SASL/PLAIN handler jar.
var plainAuth = javaJar{name: PlainAuthJar, stampEntry: plainAuthStampEntry, sourceSHA: plainauth.SourceSHA256, sources: plainauth.Sources, recipe: plainAuthRecipe}

func (j javaJar) stamp() string {
	return "source-sha256=" + j.sourceSHA() + "\nrecipe=" + j.recipe + "\n"
}

func plainAuthStamp() string { return plainAuth.stamp() }

// plainAuthCurrent reports whether jar exists and was built from the embedded source.
func plainAuthCurrent(jar string) bool { return plainAuth.current(jar) }

// current reports whether path exists and was built from j's embedded sources.
func (j javaJar) current(path string) bool {
	r, err := zip.OpenReader(path)
	if err != nil {
		return false
	}
	defer r.Close()
	f, err := r.Open(j.stampEntry)
	if err != nil {
		return false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	return err == nil && string(b) == j.stamp()
}

// ensurePlainAuth builds <libs>/opendms-plainauth.jar unless it is current. It takes no lock:
// concurrent builders each write a temp file and rename it over the jar (a running broker keeps the
// jar it opened), and builders of one source write the same jar.
func ensurePlainAuth(ctx context.Context, opts FetchOptions, libs string) error {
	return ensurePlainAuthJar(ctx, opts, libs, filepath.Join(libs, PlainAuthJar))
}

// ensurePlainAuthJar makes jar a current handler jar, compiled against the Kafka jars of libs.
func ensurePlainAuthJar(ctx context.Context, opts FetchOptions, libs, jar string) error {
	if plainAuthCurrent(jar) {
		return nil
	}
	javac, err := findJavac(opts.JavaHome)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(jar), 0o755); err != nil {
		return fmt.Errorf("local engine: %s: %w", PlainAuthJar, err)
	}
	return buildPlainAuth(ctx, javac, libs, jar)
}

// kafkaHomePlainAuthJar is where the handler jar of a KAFKA_HOME install goes: OpenDMS does not
// write into an install, so the jar lives in its cache and joins the brokers' classpath from there.
func kafkaHomePlainAuthJar(opts FetchOptions) string {
	return filepath.Join(opts.CacheDir, "plainauth-"+opts.Version, PlainAuthJar)
}

// classpath is the brokers' classpath: the Kafka jars, and the handler jar where it is not among
// them (a KAFKA_HOME install).
func (rt runtime) classpath() string {
	cp := filepath.Join(rt.libs, "*")
	if rt.plainAuthJar != "" {
		cp += string(os.PathListSeparator) + rt.plainAuthJar
	}
	return cp
}

// plainAuthAvailable is nil when the cached libs of fo hold a current handler jar or javac is found
// to build one (for Available).
func plainAuthAvailable(fo FetchOptions) error {
	if plainAuthCurrent(filepath.Join(CachedLibsDir(fo.CacheDir, fo.Version), PlainAuthJar)) {
		return nil
	}
	_, err := findJavac(fo.JavaHome)
	return err
}

// findJavac returns $javaHome/bin/javac when javaHome is set, else javac on PATH, else the javac next
// to the java on PATH (symlinks resolved: a JDK whose bin is not on PATH).
func findJavac(javaHome string) (string, error) {
	if javaHome != "" {
		p := filepath.Join(javaHome, "bin", "javac")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		return "", noJavac(fmt.Sprintf("JAVA_HOME=%s has no bin/javac (a JRE?)", javaHome))
	}
	if p, err := exec.LookPath("javac"); err == nil {
		return p, nil
	}
	if java, err := exec.LookPath("java"); err == nil {
		if real, err := filepath.EvalSymlinks(java); err == nil {
			p := filepath.Join(filepath.Dir(real), "javac")
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
	}
	return "", noJavac("javac is not on PATH")
}

func noJavac(why string) error {
	return fmt.Errorf("%w: building %s (the brokers' SASL/PLAIN login handler and produce gate) needs javac from a JDK %d+ and %s: install a JDK (e.g. `apt-get install openjdk-17-jdk-headless`) or set JAVA_HOME to one",
		engine.ErrUnavailable, PlainAuthJar, MinJavaVersion, why)
}

// buildPlainAuth compiles the embedded handler against the jars in libs and writes jar.
func buildPlainAuth(ctx context.Context, javac, libs, jar string) error {
	return plainAuth.build(ctx, javac, filepath.Join(libs, "*"), jar)
}

// build compiles j's sources against classpath and writes the jar at path (atomically: a temp
// file renamed over it).
func (j javaJar) build(ctx context.Context, javac, classpath, path string) error {
	tmp, err := os.MkdirTemp("", "opendms-javajar-")
	if err != nil {
		return fmt.Errorf("local engine: building %s: %w", j.name, err)
	}
	defer os.RemoveAll(tmp)
	classes := filepath.Join(tmp, "classes")
	args := []string{"-J-XX:-UsePerfData", "--release", "17", "-encoding", "UTF-8", "-Xlint:none",
		"-cp", classpath, "-d", classes}
	var names []string
	for path, code := range j.sources() {
		src := filepath.Join(tmp, "src", filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(src, code, 0o644); err != nil {
			return err
		}
		args = append(args, src)
		names = append(names, path)
	}
	cmd := exec.CommandContext(ctx, javac, args...)
	cmd.Env = childEnv("") // javac finds its JDK from its own path
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("local engine: building %s: %w", j.name, ctx.Err())
		}
		return fmt.Errorf("%w: compiling %s with %s against %s failed (%v); it needs a JDK %d+: %s",
			engine.ErrUnavailable, strings.Join(names, ", "), javac, classpath, err, MinJavaVersion, tail(string(out), 2000))
	}
	data, err := j.jar(classes)
	if err != nil {
		return fmt.Errorf("local engine: building %s: %w", j.name, err)
	}
	// The temp name does not end in .jar: the broker classpath libs/* only matches *.jar.
	f, err := os.CreateTemp(filepath.Dir(path), "."+j.name+".*.tmp")
	if err != nil {
		return fmt.Errorf("local engine: building %s: %w", j.name, err)
	}
	defer os.Remove(f.Name()) // gone after the rename
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("local engine: writing %s: %w", path, err)
	}
	return nil
}

// jar is a jar (a zip whose first entry is META-INF/MANIFEST.MF) of the classes under dir plus the
// stamp entry.
func (j javaJar) jar(dir string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: plainAuthMtime})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	if err := add("META-INF/MANIFEST.MF", []byte("Manifest-Version: 1.0\r\nCreated-By: OpenDMS dmsd\r\n\r\n")); err != nil {
		return nil, err
	}
	if err := add(j.stampEntry, []byte(j.stamp())); err != nil {
		return nil, err
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		return add(filepath.ToSlash(rel), data)
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("javac wrote no classes into %s", dir)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
