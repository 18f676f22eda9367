package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/client"
)

// instanceE2E drives one engine through dmsd as a user would: create an instance over the API,
// wait for RUNNING, produce with acks=all at the returned address, restart dmsd and find the
// instance RUNNING with its data, then delete it and find nothing left.
func instanceE2E(t *testing.T, engine string, readyTimeout time.Duration) {
	e := newE2E(t, engine, "127.61", "kafka-e2e", readyTimeout)
	t.Logf("%s engine: create to RUNNING of 3 brokers took %s", engine, e.create.Round(time.Millisecond))
	p, c, seeds, dir, ctx := e.p, e.c, e.seeds, e.dir, context.Background()
	created := struct{ InstanceID string }{e.id}
	produced := produceAcked(t, seeds, "e2e", 100)
	logRSS(t, engine, p.cmd.Process.Pid, filepath.Join(dir, "instances", created.InstanceID))

	// A dynamic and a static config change both take effect (the static one by a rolling restart).
	var job struct {
		JobID   string `json:"job_id"`
		Dynamic int    `json:"dynamic_config"`
		Static  int    `json:"static_config"`
	}
	must(t, call(ctx, c, "PUT", "/v2/{project_id}/instances/"+created.InstanceID+"/configs", map[string]any{"kafka_configs": []map[string]string{
		{"name": "message.max.bytes", "value": "2097152"}, {"name": "num.partitions", "value": "4"}}}, &job))
	if job.Dynamic != 1 || job.Static != 1 {
		t.Fatalf("config change counted %d dynamic, %d static", job.Dynamic, job.Static)
	}
	waitTask(t, c, created.InstanceID, job.JobID, readyTimeout)
	waitRunning(t, c, created.InstanceID, readyTimeout)
	checkBrokerConfigs(t, seeds, map[string]string{"message.max.bytes": "2097152", "num.partitions": "4"})

	if engine == "local" {
		// kill -9 one broker: it is restarted, and no acknowledged record is lost.
		killBroker(t, filepath.Join(dir, "instances", created.InstanceID, "broker-1", "pid"))
		produced = append(produced, produceAcked(t, seeds, "e2e-after-kill", 20)...)
		waitRunning(t, c, created.InstanceID, readyTimeout)
		if got := consumeAll(t, seeds, "e2e", 100); got != 100 {
			t.Fatalf("after kill -9 of a broker %d of 100 acknowledged records are readable", got)
		}
	}
	p.stop(t)

	// dmsd restarts: the instance is RUNNING again with its data.
	e.start(t)
	p, c = e.p, e.c
	waitRunning(t, c, created.InstanceID, readyTimeout)
	if got := consumeAll(t, seeds, "e2e", 100); got != 100 {
		t.Fatalf("after the dmsd restart %d of 100 acknowledged records are readable", got)
	}

	// Delete: gone from the API, nothing left on disk, the brokers' ports free.
	must(t, call(ctx, c, "DELETE", "/v2/{project_id}/instances/"+created.InstanceID, nil, nil))
	deadline := time.Now().Add(readyTimeout)
	instDir := filepath.Join(dir, "instances", created.InstanceID)
	for {
		if _, err := os.Stat(instDir); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the instance's data dir %s is still there", instDir)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var apiErr *client.APIError
	if err := call(ctx, c, "GET", "/v2/{project_id}/instances/"+created.InstanceID, nil, nil); !errors.As(err, &apiErr) || apiErr.Code != "DMS.00404022" {
		t.Fatalf("show after delete: %v", err)
	}
	if pids := processesUnder(instDir); len(pids) > 0 {
		t.Fatalf("processes of the deleted instance still run: %v", pids)
	}
	for _, s := range seeds {
		ln, err := net.Listen("tcp", s)
		if err != nil {
			t.Fatalf("port %s still in use after delete: %v", s, err)
		}
		ln.Close()
	}
	p.stop(t)
}

func TestEmbeddedInstanceSurvivesRestart(t *testing.T) {
	instanceE2E(t, "embedded", time.Minute)
}

type instanceInfo struct {
	Status         string `json:"status"`
	ConnectAddress string `json:"connect_address"`
	OpenDMS        struct {
		StatusReason string `json:"status_reason"`
	} `json:"opendms"`
}

func waitRunning(t *testing.T, c *client.Client, id string, timeout time.Duration) instanceInfo {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var in instanceInfo
	for time.Now().Before(deadline) {
		if err := call(context.Background(), c, "GET", "/v2/{project_id}/instances/"+id, nil, &in); err != nil {
			t.Fatal(err)
		}
		if in.Status == "RUNNING" {
			return in
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("instance %s is %s (%s), not RUNNING after %s", id, in.Status, in.OpenDMS.StatusReason, timeout)
	return in
}

func call(ctx context.Context, c *client.Client, method, path string, body, out any) error {
	resp, err := c.Do(ctx, method, path, nil, body)
	if err != nil {
		return err
	}
	if out != nil {
		return resp.Decode(out)
	}
	return nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeConfig(t *testing.T, content string) string {
	path := filepath.Join(t.TempDir(), "dmsd.yaml")
	must(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// produceAcked creates topic (3 partitions, RF 3) and produces n records with acks=all; it returns
// the records the cluster acknowledged.
func produceAcked(t *testing.T, seeds []string, topic string, n int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 3, nil, topic); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	var acked []string
	for i := 0; i < n; i++ {
		v := "record-" + time.Now().Format("150405.000000") + "-" + strings.Repeat("x", i%7)
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
		acked = append(acked, v)
	}
	return acked
}

// consumeAll reads topic from the start until want records were read (or 60 s passed) and returns
// how many it read.
func consumeAll(t *testing.T, seeds []string, topic string, want int) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got := 0
	for got < want && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(*kgo.Record) { got++ })
	}
	return got
}

// The same scenario on real Apache Kafka. It needs Java 17+ and Maven Central (or cached jars): it
// fails, not skips, when they cannot be had.
func TestLocalInstanceSurvivesRestart(t *testing.T) {
	instanceE2E(t, "local", 4*time.Minute)
}

func waitTask(t *testing.T, c *client.Client, instanceID, taskID string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var resp struct {
			Tasks []struct {
				Status string `json:"status"`
				Error  string `json:"error"`
			} `json:"tasks"`
		}
		must(t, call(context.Background(), c, "GET", "/v2/{project_id}/instances/"+instanceID+"/tasks/"+taskID, nil, &resp))
		switch resp.Tasks[0].Status {
		case "SUCCESS":
			return
		case "FAILED":
			t.Fatalf("task %s failed: %s", taskID, resp.Tasks[0].Error)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("task %s did not end within %s", taskID, timeout)
}

// checkBrokerConfigs asks every broker for its configs over the Kafka protocol.
func checkBrokerConfigs(t *testing.T, seeds []string, want map[string]string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids := make([]int32, len(seeds))
	for i := range ids {
		ids[i] = int32(i)
	}
	rcs, err := kadm.NewClient(cl).DescribeBrokerConfigs(ctx, ids...)
	if err != nil {
		t.Fatal(err)
	}
	if len(rcs) != len(seeds) {
		t.Fatalf("configs of %d brokers, want %d", len(rcs), len(seeds))
	}
	for _, rc := range rcs {
		for name, v := range want {
			got := ""
			for _, c := range rc.Configs {
				if c.Key == name {
					got = c.MaybeValue()
				}
			}
			if got != v {
				t.Errorf("broker %s: %s = %q, want %q", rc.Name, name, got, v)
			}
		}
	}
}

// killBroker sends SIGKILL to the broker whose pid file is given.
func killBroker(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	must(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	must(t, err)
	must(t, syscall.Kill(pid, syscall.SIGKILL))
	t.Logf("killed broker pid %d with SIGKILL", pid)
}

// processesUnder lists the pids whose command line mentions dir.
func processesUnder(dir string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// logRSS logs the resident memory of dmsd and of the instance's broker processes (if any).
func logRSS(t *testing.T, engine string, dmsdPID int, instDir string) {
	t.Logf("%s engine: dmsd RSS %s", engine, rss(dmsdPID))
	for _, pid := range processesUnder(instDir) {
		t.Logf("%s engine: broker pid %d RSS %s", engine, pid, rss(pid))
	}
}

func rss(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
	}
	return "?"
}
