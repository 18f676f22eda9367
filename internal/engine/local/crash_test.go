package local

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/engine"
)

const helperEnv = "OPENDMS_LOCAL_ENGINE_HELPER_SPEC"

// TestHelperDmsd is not a test: run by TestAdoptAfterDmsdCrash as a stand-in dmsd process that
// Ensures a cluster, says so, and waits to be killed.
func TestHelperDmsd(t *testing.T) {
	raw := os.Getenv(helperEnv)
	if raw == "" {
		return
	}
	var spec engine.Spec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	e, err := New(Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		err = e.Ensure(context.Background(), spec)
	}
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	fmt.Println("READY")
	time.Sleep(10 * time.Minute)
	os.Exit(3)
}

// TestAdoptAfterDmsdCrash: a dmsd that started a broker is killed with SIGKILL; the broker keeps
// running, a new engine adopts it (same pid, not its child), and restarts it when it dies.
func TestAdoptAfterDmsdCrash(t *testing.T) {
	requireKafka(t)
	spec := newSpec(t, 1)
	raw, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDmsd$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(raw))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "READY" {
		t.Fatalf("helper dmsd: %q %v", line, err)
	}
	pid := readPidFile(brokerDir(spec.DataDir, 0) + "/pid")
	if pid == 0 {
		t.Fatal("no pid file")
	}
	// kill -9 the "dmsd": its broker runs on.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	time.Sleep(500 * time.Millisecond)
	if pidGone(pid) {
		t.Fatal("the broker died with its dmsd")
	}

	e := newEngine(t)
	defer e.Close()
	if err := e.Ensure(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	st := status(t, e, spec.InstanceID)
	if st[0].PID != pid || !st[0].Running {
		t.Fatalf("after the crash: status %+v, want pid %d adopted", st, pid)
	}
	if n := jvmsOf(spec); n != 1 {
		t.Fatalf("%d JVMs, want 1", n)
	}
	cl, adm := newClient(t, spec)
	waitRegistered(t, adm, spec, registerTimeout)
	if _, err := adm.CreateTopic(context.Background(), 1, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	produceSync(t, cl, "t", "a", 50)

	// The adopted broker dies: it is restarted like a child.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	st = waitStatus(t, e, spec.InstanceID, 60*time.Second, func(st []engine.BrokerState) bool {
		return st[0].Running && st[0].PID != pid && st[0].Restarts == 1
	})
	t.Logf("adopted broker %d killed: restarted as pid %d, last exit %q", pid, st[0].PID, st[0].LastExit)
	waitServing(t, adm, 0, registerTimeout)
	if got := consumeAll(t, spec, "t"); len(got) != 50 {
		t.Fatalf("%d records after the restart, want 50", len(got))
	}
	checkDelete(t, e, spec, []int{pid, st[0].PID})
}
