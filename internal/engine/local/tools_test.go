package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FetchTools resolves the command-line tools of the brokers' build and writes wrappers that run.
// The cache path has a space and a quote: the scripts must quote it. The JVMs started here are
// one-shot `--version` runs, not brokers, so the test does not take the JVM-test lock.
func TestFetchToolsWritesRunnableWrappers(t *testing.T) {
	if _, err := checkJava(os.Getenv("JAVA_HOME")); err != nil {
		t.Fatalf("Java 17+ is required: %v", err)
	}
	cache := filepath.Join(t.TempDir(), "it's a cache")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin, err := FetchTools(ctx, FetchOptions{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(ToolsDir(cache, ""), "bin"); bin != want {
		t.Fatalf("bin dir %s, want %s", bin, want)
	}
	for _, tool := range Tools {
		t.Run(tool.Script, func(t *testing.T) {
			script := filepath.Join(bin, tool.Script)
			st, err := os.Stat(script)
			if err != nil || st.Mode().Perm()&0o111 == 0 {
				t.Fatalf("%s: %v %v", script, st, err)
			}
			if tool.Script != "kafka-topics.sh" && tool.Script != "kafka-console-consumer.sh" {
				return // one JVM per tool would be slow on a small machine; two prove the classpath
			}
			out, err := exec.CommandContext(ctx, script, "--version").CombinedOutput()
			if err != nil || !strings.Contains(string(out), DefaultKafkaVersion) {
				t.Fatalf("%s --version: %v\n%s", tool.Script, err, out)
			}
		})
	}
	// A second call finds the resolve complete (no Maven needed) and rewrites the scripts.
	if again, err := FetchTools(ctx, FetchOptions{CacheDir: cache, Maven: "/nonexistent/mvn"}); err != nil || again != bin {
		t.Fatalf("second FetchTools: %q %v", again, err)
	}
}
