package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/testlock"
)

// alivePid reports whether pid runs (a zombie waiting for its reaper counts as gone).
func alivePid(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// dmsd leaves the local engine's brokers running on exit and says how many; `dmsd stop-brokers`
// refuses while a dmsd holds the data dir, then stops them cleanly; the next start brings the
// instance back. One instance of one broker (a catalog flavor that allows it): the JVMs are few.
func TestStopBrokers(t *testing.T) {
	testlock.JVM(t)
	dir := t.TempDir()
	t.Cleanup(func() {
		for _, pid := range processesUnder(dir) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	cfg := fmt.Sprintf("ip_pool: 127.67.%d.0/24\ncatalog:\n  products:\n    - id: c6.2u4g.cluster\n      min_broker: 1\n", rand.IntN(250))
	e := &e2eEnv{dir: dir, args: []string{"--engine", "local"}, env: []string{"DMS_CONFIG=" + writeConfig(t, cfg)}}
	e.start(t)
	ctx := context.Background()
	var zones struct {
		AvailableZones []struct {
			ID string `json:"id"`
		} `json:"available_zones"`
	}
	must(t, call(ctx, e.c, "GET", "/v2/available-zones", nil, &zones))
	var created struct {
		InstanceID string `json:"instance_id"`
	}
	must(t, call(ctx, e.c, "POST", "/v2/kafka/{project_id}/instances", map[string]any{
		"name": "kafka-stop", "engine": "kafka", "engine_version": "3.x", "broker_num": 1, "storage_space": 100,
		"product_id": "c6.2u4g.cluster", "vpc_id": "v", "security_group_id": "s", "subnet_id": "n",
		"available_zones": []string{zones.AvailableZones[0].ID}, "storage_spec_code": "dms.physical.storage.ultra.v2",
	}, &created))
	waitRunning(t, e.c, created.InstanceID, 4*time.Minute)
	pidFile := filepath.Join(dir, "instances", created.InstanceID, "broker-0", "pid")
	b, err := os.ReadFile(pidFile)
	must(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	must(t, err)

	stopBrokers := func() (string, error) {
		out, err := exec.Command(dmsdBinary(t), "stop-brokers", "--data-dir", dir).CombinedOutput()
		return string(out), err
	}
	// While dmsd runs: refused, nothing stopped.
	out, err := stopBrokers()
	if err == nil || !strings.Contains(out, "in use by another dmsd") || !strings.Contains(out, "stop that dmsd first") {
		t.Fatalf("stop-brokers beside a running dmsd: %v\n%s", err, out)
	}
	if !alivePid(pid) {
		t.Fatal("the refused stop-brokers stopped the broker")
	}
	// dmsd's exit leaves the broker running and says so.
	e.p.stop(t)
	if log := e.p.log.String(); !strings.Contains(log, "brokers_left_running=1") || !strings.Contains(log, "dmsd stop-brokers") {
		t.Fatalf("exit log does not say a broker is left running:\n%s", log)
	}
	if !alivePid(pid) {
		t.Fatal("the broker stopped with dmsd")
	}
	// stop-brokers stops it, by its pid file.
	out, err = stopBrokers()
	if err != nil || !strings.Contains(out, "instance kafka-stop ("+created.InstanceID+"): stopped 1 broker(s)") {
		t.Fatalf("stop-brokers: %v\n%s", err, out)
	}
	t.Logf("stop-brokers:\n%s", out)
	for range 100 { // the JVM has exited; its new parent may take a moment to reap it
		if !alivePid(pid) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if alivePid(pid) {
		t.Fatalf("broker pid %d still runs after stop-brokers", pid)
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	// Nothing left to stop.
	if out, err := stopBrokers(); err != nil || !strings.Contains(out, "stopped 0 broker(s) of 1 local-engine instance(s)") {
		t.Fatalf("second stop-brokers: %v\n%s", err, out)
	}
	// The next start brings the broker back (a new JVM, with its pid file).
	e.start(t)
	deadline := time.Now().Add(4 * time.Minute)
	for {
		b, err := os.ReadFile(pidFile)
		if np, _ := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && np != pid && alivePid(np) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the broker did not start again after the restart:\n%s", e.p.log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitRunning(t, e.c, created.InstanceID, 4*time.Minute)
}
