package local

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/engine"
)

// The secrets a dmsd may hold in its environment; TestOneBroker sets them (with these values) before
// starting its broker and checkBrokerEnv looks for them in the running JVM's environment.
var dmsdSecrets = map[string]string{
	"DMS_ADMIN_SK":       "test-secret-key-value-3f9a",
	"DMS_ADMIN_PASSWORD": "test-admin-password-8c21",
	"DMS_MASTER_KEY":     strings.Repeat("ab", 32),
}

func setDmsdSecrets(t *testing.T) {
	for k, v := range dmsdSecrets {
		t.Setenv(k, v)
	}
}

// checkBrokerEnv fails if the environment of the running process pid holds a dmsd variable or the
// value of one of dmsdSecrets.
func checkBrokerEnv(t *testing.T, pid int) {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "DMS_") {
			t.Errorf("broker pid %d has %s in its environment", pid, k)
		}
		for name, secret := range dmsdSecrets {
			if strings.Contains(v, secret) {
				t.Errorf("broker pid %d has the value of %s in its environment (in %s)", pid, name, k)
			}
		}
	}
	t.Logf("broker pid %d environment: %d variables", pid, len(env))
}

// produceCompressed produces a few records with each compression codec whose broker side uses a
// native library extracted at run time (snappy-java, zstd-jni, lz4-java).
func produceCompressed(t *testing.T, spec engine.Spec, topic string) {
	t.Helper()
	for _, c := range []struct {
		name  string
		codec kgo.CompressionCodec
	}{{"snappy", kgo.SnappyCompression()}, {"zstd", kgo.ZstdCompression()}, {"lz4", kgo.Lz4Compression()}} {
		cl, _ := newClient(t, spec, kgo.ProducerBatchCompression(c.codec))
		produceSync(t, cl, topic, c.name+"-", 50)
		cl.Close()
	}
}

// hsperfdataFiles are where HotSpot writes the perf data of pid unless it is turned off.
func hsperfdataFiles(t *testing.T, pid int) []string {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tmp := range []string{"/tmp", os.TempDir()} {
		if f := filepath.Join(tmp, "hsperfdata_"+u.Username, strconv.Itoa(pid)); !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// checkFilesInside fails if broker pid has a file mapped (a native library extracted by a
// compression codec) in the system temp dir outside spec.DataDir, or a perf data file; it returns
// the native libraries it has mapped from below spec.DataDir (which must not be empty: the codecs
// did load theirs).
func checkFilesInside(t *testing.T, spec engine.Spec, pid int) []string {
	t.Helper()
	for _, f := range hsperfdataFiles(t, pid) {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("broker pid %d wrote perf data to %s, outside the instance's directory", pid, f)
		}
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var inside, outside []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		p := strings.TrimSuffix(strings.Join(fields[5:], " "), " (deleted)")
		if !strings.HasPrefix(p, "/") {
			continue
		}
		switch {
		case strings.HasPrefix(p, spec.DataDir+"/"):
			if !slices.Contains(inside, p) && strings.HasSuffix(p, ".so") {
				inside = append(inside, p)
			}
		case strings.HasPrefix(p, "/tmp/") || strings.HasPrefix(p, os.TempDir()+"/"):
			if !slices.Contains(outside, p) {
				outside = append(outside, p)
				t.Errorf("broker pid %d maps %s, in the temp dir outside the instance's directory", pid, p)
			}
		}
	}
	joined := strings.Join(inside, " ")
	for _, codec := range []string{"snappy", "zstd", "lz4"} {
		if !strings.Contains(joined, codec) {
			t.Errorf("no %s native library mapped from the instance's directory (mapped from there: %v)", codec, inside)
		}
	}
	t.Logf("native libraries of broker pid %d: %v", pid, inside)
	return inside
}

// checkNothingLeft fails if any of files (or pid's perf data) still exists (after Delete).
func checkNothingLeft(t *testing.T, pid int, files []string) {
	t.Helper()
	for _, f := range append(files, hsperfdataFiles(t, pid)...) {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s is left after Delete", f)
		}
	}
}

func TestChildEnv(t *testing.T) {
	setDmsdSecrets(t)
	t.Setenv("KAFKA_OPTS", "-Dx=y")
	t.Setenv("JAVA_TOOL_OPTIONS", "-Dx=y")
	t.Setenv("PATH", "/usr/bin:/bin")
	t.Setenv("HOME", "/home/x")
	for _, c := range []struct {
		name     string
		env      []string
		want     []string // variables that must be there
		wantNone []string // prefixes that must not
	}{
		{"jvm", childEnv("/opt/jdk"), []string{"PATH=/usr/bin:/bin", "JAVA_HOME=/opt/jdk"}, []string{"DMS_", "KAFKA_", "JAVA_TOOL_OPTIONS", "HOME"}},
		{"jvm without JAVA_HOME", childEnv(""), []string{"PATH=/usr/bin:/bin"}, []string{"DMS_", "JAVA_HOME"}},
		{"maven", toolEnv("/opt/jdk"), []string{"PATH=/usr/bin:/bin", "HOME=/home/x", "JAVA_HOME=/opt/jdk"}, []string{"DMS_"}},
	} {
		for _, w := range c.want {
			if !slices.Contains(c.env, w) {
				t.Errorf("%s: %q missing from %v", c.name, w, c.env)
			}
		}
		for _, kv := range c.env {
			for _, p := range c.wantNone {
				if strings.HasPrefix(kv, p) {
					t.Errorf("%s: %q in the environment", c.name, kv)
				}
			}
		}
	}
}

func TestIsBrokerCommand(t *testing.T) {
	const marker = "/data/instances/i1/broker-0/server.properties"
	java := []string{"java", "-Xmx256m", "-cp", "/libs/*", "kafka.Kafka", marker}
	for _, c := range []struct {
		name string
		exe  string
		args []string
		want bool
	}{
		{"broker JVM", "/usr/lib/jvm/java-17/bin/java", java, true},
		{"broker JVM after a java upgrade", "/usr/lib/jvm/java-17/bin/java (deleted)", java, true},
		{"tail of the file", "/usr/bin/tail", []string{"tail", "-f", marker}, false},
		{"tail named java", "/usr/bin/tail", []string{"java", "-f", "kafka.Kafka", marker}, false},
		{"java viewing the file", "/usr/bin/java", []string{"java", "-jar", "viewer.jar", marker}, false},
		{"StorageTool", "/usr/bin/java", []string{"java", "-cp", "x", "kafka.tools.StorageTool", "format", "-c", marker, "-g"}, false},
		{"another broker", "/usr/bin/java", []string{"java", "kafka.Kafka", "/other/server.properties"}, false},
		{"no arguments", "/usr/bin/java", nil, false},
	} {
		if got := isBrokerCommand(c.exe, c.args, marker); got != c.want {
			t.Errorf("%s: isBrokerCommand = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestStalePidFileNotAdopted: a stale pid file names a process that only has the broker's
// server.properties on its command line (a `tail -f` of it, also one whose argv[0] says java and
// names kafka.Kafka); it is neither adopted nor found by a /proc scan, and Delete leaves it (and its
// process group) alone.
func TestStalePidFileNotAdopted(t *testing.T) {
	tail, err := exec.LookPath("tail")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args func(props string) []string
	}{
		{"tail -f", func(props string) []string { return []string{"tail", "-f", props} }},
		{"tail posing as java", func(props string) []string { return []string{"java", "-f", "kafka.Kafka", props} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := engine.Spec{InstanceID: "stale", DataDir: t.TempDir(), ClusterID: newClusterID(),
				Brokers: []engine.Broker{{ID: 0, Host: "127.0.0.1"}}}
			dir := brokerDir(spec.DataDir, 0)
			props := filepath.Join(dir, "server.properties")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{props, filepath.Join(dir, "kafka.Kafka")} {
				if err := os.WriteFile(f, []byte("node.id=0\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// Its own process group, like a broker: adopting it would kill the whole group.
			cmd := &exec.Cmd{Path: tail, Args: c.args(props), Dir: dir, SysProcAttr: &syscall.SysProcAttr{Setpgid: true}}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			pid := cmd.Process.Pid
			if err := writePidFile(filepath.Join(dir, "pid"), pid); err != nil {
				t.Fatal(err)
			}
			e := newEngine(t)
			defer e.Close()
			if p := e.adopt(&broker{id: 0, dir: dir, props: props, pidFile: filepath.Join(dir, "pid")}); p != nil {
				p.release()
				t.Errorf("pid %d (%v) adopted as the broker", pid, c.args(props))
			}
			if got := findProcByMarker(props); got != 0 {
				t.Errorf("the /proc scan found pid %d as the broker", got)
			}
			if err := e.Delete(context.Background(), spec); err != nil {
				t.Fatal(err)
			}
			if pidGone(pid) {
				t.Fatalf("Delete killed pid %d (%v)", pid, c.args(props))
			}
		})
	}
}

// TestBrokerFileModes: the instance and broker directories are 0700 (also ones an older version made
// 0755) and the files written for a broker 0600.
func TestBrokerFileModes(t *testing.T) {
	spec := testSpec(1)
	spec.DataDir = filepath.Join(t.TempDir(), "instance")
	dir := brokerDir(spec.DataDir, 0)
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil { // as an older version left it
		t.Fatal(err)
	}
	os.Chmod(spec.DataDir, 0o755)
	if err := privateDir(spec.DataDir); err != nil {
		t.Fatal(err)
	}
	if err := writeBrokerFiles(spec, spec.Brokers[0], dir, 256); err != nil {
		t.Fatal(err)
	}
	if _, err := jvmSandbox(dir); err != nil {
		t.Fatal(err)
	}
	if err := writePidFile(filepath.Join(dir, "pid"), 1); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want os.FileMode
	}{
		{spec.DataDir, 0o700 | os.ModeDir},
		{dir, 0o700 | os.ModeDir},
		{filepath.Join(dir, "data"), 0o700 | os.ModeDir},
		{filepath.Join(dir, "tmp"), 0o700 | os.ModeDir},
		{filepath.Join(dir, "server.properties"), 0o600},
		{filepath.Join(dir, "log4j2.properties"), 0o600},
		{filepath.Join(dir, "pid"), 0o600},
	} {
		st, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode() & (os.ModeDir | os.ModePerm); got != c.want {
			t.Errorf("%s: mode %v, want %v", c.path, got, c.want)
		}
	}
}

// TestBindFailureReason: a broker that exits because a port of its address is taken says which
// address (from Kafka's own message in server.log, only what this start wrote), and the supervisor
// does not start it again while the port is taken: the restart fails naming the address.
func TestBindFailureReason(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "server.log")
	old := "[2026-01-01 00:00:00,000] ERROR Exiting Kafka due to fatal exception (kafka.Kafka$)\norg.apache.kafka.common.KafkaException: Socket server failed to bind to 127.20.0.9:9092: Address already in use.\n"
	if err := os.WriteFile(log, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	from := fileSize(log)
	for _, c := range []struct {
		name   string
		append string
		want   string
	}{
		{"other failure", "[x] ERROR Exiting Kafka due to fatal exception (kafka.Kafka$)\njava.lang.OutOfMemoryError\n", "exit status 1"},
		{"bind failure", "[x] ERROR Exiting Kafka due to fatal exception (kafka.Kafka$)\norg.apache.kafka.common.KafkaException: Socket server failed to bind to 127.20.0.1:9092: Address already in use.\n\tat org.apache.kafka.server.ServerSocketFactory\n",
			"exit status 1: Socket server failed to bind to 127.20.0.1:9092: Address already in use"},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.WriteFile(log, []byte(old+c.append), 0o600)
			p := &proc{exitMsg: "exit status 1", serverLog: log, logFrom: from}
			if got := p.exitReason(); got != c.want {
				t.Errorf("exit reason %q, want %q", got, c.want)
			}
		})
	}

	// The supervisor's restart checks the ports first.
	spec := testSpec(1)
	spec.Brokers[0].Host = fmt.Sprintf("127.77.%d.1", freeSubnet(t, 1))
	spec.DataDir = t.TempDir()
	busy := net.JoinHostPort(spec.Brokers[0].Host, "9092")
	ln, err := net.Listen("tcp", busy)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	e := newEngine(t)
	defer e.Close()
	inst := &instance{id: spec.InstanceID, spec: spec, brokers: map[int32]*broker{}}
	b := inst.brokerOf(0, spec.DataDir)
	if _, err := e.restartJVM(b); err == nil || !strings.Contains(err.Error(), busy+" is in use") {
		t.Fatalf("restart with %s taken: %v", busy, err)
	}
}
