package local

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendms/opendms/kafka/connectplugins"
)

// TestMappingReplicationPolicy builds opendms-connect.jar (into a temp libs dir of links to the
// cached Connect jars) and drives io.opendms.connect.MappingReplicationPolicy, configured the way
// MirrorMaker 2 configures it (MirrorSourceConfig from a connector config), through
// testdata/connectplugins/Check.java: mapped topics are renamed and invert back, unmapped ones keep
// their names, heartbeats and MM2's internal topics behave as with the identity policy, the cycle
// check follows a renamed topic, and bad mappings are refused. It fails (never skips) without a JDK
// or the Connect jars.
func TestMappingReplicationPolicy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	javaHome := os.Getenv("JAVA_HOME")
	java, err := checkJava(javaHome)
	if err != nil {
		t.Fatalf("Java %d+ is required: %v", MinJavaVersion, err)
	}
	javac, err := findJavac(javaHome)
	if err != nil {
		t.Fatalf("a JDK is required: %v", err)
	}
	src, err := FetchConnect(ctx, FetchOptions{})
	if err != nil {
		t.Fatalf("the Kafka Connect jars are required: %v", err)
	}
	libs := filepath.Join(t.TempDir(), "libs")
	if err := os.Mkdir(libs, 0o755); err != nil {
		t.Fatal(err)
	}
	jars, _ := filepath.Glob(filepath.Join(src, "*.jar"))
	for _, j := range jars {
		if filepath.Base(j) != ConnectPluginJar {
			if err := os.Symlink(j, filepath.Join(libs, filepath.Base(j))); err != nil {
				t.Fatal(err)
			}
		}
	}
	jar := filepath.Join(libs, ConnectPluginJar)
	if connectPlugins.current(jar) {
		t.Fatal("a jar is current before it was built")
	}
	start := time.Now()
	if err := connectPlugins.build(ctx, javac, filepath.Join(libs, "*"), jar); err != nil {
		t.Fatal(err)
	}
	t.Logf("MEASURE %s built in %v", ConnectPluginJar, time.Since(start).Round(time.Millisecond))
	if !connectPlugins.current(jar) {
		t.Fatal("the fresh jar is not current")
	}

	check, _ := filepath.Abs(filepath.Join("testdata", "connectplugins", "Check.java"))
	cmd := exec.CommandContext(ctx, java, "-XX:-UsePerfData", "-cp", filepath.Join(libs, "*"), check)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		in.Close()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	ask := func(fields ...string) string {
		t.Helper()
		if _, err := in.Write([]byte(strings.Join(fields, "\t") + "\n")); err != nil {
			t.Fatalf("Check.java: %v: %s", err, stderr.String())
		}
		for sc.Scan() {
			if r, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
				return r
			}
		}
		t.Fatalf("Check.java ended: %s", stderr.String())
		return ""
	}

	mapping, err := connectplugins.Mapping([][2]string{{"orders", "orders-copy"}, {"a.b", "x_y"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := ask("configure", "src", mapping); r != "ok "+connectplugins.PolicyClass {
		t.Fatalf("configure %q: %s", mapping, r)
	}
	for _, c := range []struct{ cmd, arg1, arg2, want string }{
		// source -> target
		{"format", "src", "orders", "orders-copy"},
		{"format", "src", "a.b", "x_y"},
		{"format", "src", "other", "other"},             // unmapped: identity
		{"format", "src", "orders-copy", "orders-copy"}, // a target name is not itself mapped
		{"format", "src", "heartbeats", "src.heartbeats"},
		// target -> source
		{"upstream", "orders-copy", "", "orders"},
		{"upstream", "x_y", "", "a.b"},
		{"upstream", "other", "", "other"},
		{"upstream", "src.heartbeats", "", "heartbeats"},
		{"original", "orders-copy", "", "orders"},
		{"source", "orders-copy", "", "src"},
		{"source", "other", "", "src"},
		{"source", "src.heartbeats", "", "src"},
		// MM2's own topics
		{"heartbeat", "src.heartbeats", "", "true"},
		{"internal", "mm2-offset-syncs.src-target.internal", "", "true"},
		{"internal", "src.checkpoints.internal", "", "true"},
		{"internal", "__consumer_offsets", "", "true"},
		{"internal", "orders-copy", "", "false"},
		// the cycle check follows renamed topics to their origin, which is not the target here
		{"cycle", "orders-copy", "", "false"},
		{"cycle", "orders", "", "false"},
		{"cycle", "src-target.heartbeats", "", "true"}, // came from the target cluster: never copied back
	} {
		args := []string{c.cmd, c.arg1}
		if c.arg2 != "" {
			args = append(args, c.arg2)
		}
		if got := ask(args...); got != c.want {
			t.Errorf("%s %s %s = %q, want %q", c.cmd, c.arg1, c.arg2, got, c.want)
		}
	}
	// An empty mapping is the identity policy.
	if r := ask("configure", "s", ""); !strings.HasPrefix(r, "ok") {
		t.Fatalf("configure empty: %s", r)
	}
	if got := ask("format", "s", "orders"); got != "orders" {
		t.Errorf("empty mapping: format orders = %q", got)
	}
	// Bad mappings are refused (and Mapping refuses them in Go first).
	for _, bad := range []string{"a", "a:", ":b", "a:b:c", "a:b,a:c", "a:c,b:c", "a:b,,c:d"} {
		if r := ask("configure", "s", bad); !strings.HasPrefix(r, "error ") || !strings.Contains(r, "opendms.topics.mapping") {
			t.Errorf("configure %q: %s, want a config error naming opendms.topics.mapping", bad, r)
		}
	}
	for _, pairs := range [][][2]string{{{"a", "b"}, {"a", "c"}}, {{"a", "c"}, {"b", "c"}}, {{"a:x", "b"}}, {{"a", ""}}, {{"..", "b"}}} {
		if m, err := connectplugins.Mapping(pairs); err == nil {
			t.Errorf("Mapping(%v) = %q, want an error", pairs, m)
		}
	}
}
