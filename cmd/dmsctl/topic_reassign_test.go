package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTopicReassignEmbedded: 'topic reassign' and 'instance rebalance' against a real server on the
// embedded engine: flag errors, estimates from a plan file (5.2.8's and Kafka's format) and from
// brokers, the server's refusals (unknown broker, a move kfake cannot make, a schedule).
func TestTopicReassignEmbedded(t *testing.T) {
	const long = 2 * time.Minute
	isolate(t)
	s := newRealDMS(t, "embedded")
	s.use(t)
	runCtx(t, long, "", "instance", "create", "kafka-ra", "--wait").wantCode(t, exitOK)
	runCtx(t, long, "", "topic", "create", "kafka-ra", "orders", "--partitions", "2", "--replicas", "2").wantCode(t, exitOK)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plan := write("plan.json", `{"partitions":[{"partition":0,"replicas":[2,0]},{"partition":1,"replicas":[0,1]}]}`)
	kafkaPlan := write("kafka.json", `{"version":1,"partitions":[{"topic":"orders","partition":0,"replicas":[2,1],"log_dirs":["any","any"]}]}`)
	otherTopic := write("other.json", `{"version":1,"partitions":[{"topic":"payments","partition":0,"replicas":[2,1]}]}`)
	badBroker := write("bad.json", `{"partitions":[{"partition":0,"replicas":[0,9]}]}`)

	for _, args := range [][]string{
		{"topic", "reassign", "kafka-ra", "orders"},
		{"topic", "reassign", "kafka-ra", "orders", "--plan", plan, "--brokers", "0,1"},
		{"topic", "reassign", "kafka-ra", "orders", "--plan", plan, "--replication-factor", "2"},
		{"topic", "reassign", "kafka-ra", "orders", "--plan", plan, "--estimate", "--wait"},
		{"topic", "reassign", "kafka-ra", "orders", "--plan", plan, "--throttle", "fast"},
		{"topic", "reassign", "kafka-ra", "orders", "--plan", otherTopic},
		{"topic", "reassign", "kafka-ra", "orders", "--plan", write("empty.json", `{}`)},
		{"instance", "rebalance", "kafka-ra", "--estimate", "--at", "2030-01-01T00:00:00Z"},
		{"topic", "reassign", "kafka-ra", "orders", "--brokers", "0,1", "--at", "2030-01-01T00:00:00Z", "--wait"},
	} {
		if r := runCtx(t, long, "", args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want a usage error\n%s", args, r.code, r.stderr)
		}
	}

	estimate := func(args ...string) reassignResult {
		t.Helper()
		r := runCtx(t, long, "", append(args, "--estimate", "-o", "json")...).wantCode(t, exitOK)
		var got reassignResult
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Estimate == nil || got.JobID != "" {
			t.Fatalf("%v: %v\n%s", args, err, r.stdout)
		}
		return got
	}
	for _, args := range [][]string{
		{"topic", "reassign", "kafka-ra", "orders", "--plan", plan, "--throttle", "10MB"},
		{"topic", "reassign", "kafka-ra", "orders", "--plan", kafkaPlan},
		{"topic", "reassign", "kafka-ra", "orders", "--brokers", "0,1,2", "--replication-factor", "2", "--throttle", "8MiB"},
		{"instance", "rebalance", "kafka-ra"},
		{"instance", "rebalance", "kafka-ra", "--brokers", "1,2"},
	} {
		want := 1
		if args[0] == "instance" {
			want = 0 // every topic, planned together
		}
		if got := estimate(args...); got.Topics != want || *got.Estimate < 0 {
			t.Errorf("%v: %+v", args, got)
		}
	}
	// Table output of an estimate.
	if r := runCtx(t, long, "", "topic", "reassign", "kafka-ra", "orders", "--plan", plan, "--estimate").wantCode(t, exitOK); !strings.Contains(r.stdout, "ESTIMATE_SECONDS") {
		t.Errorf("table:\n%s", r.stdout)
	}

	for _, c := range []struct {
		args []string
		code string
	}{
		{[]string{"topic", "reassign", "kafka-ra", "orders", "--plan", badBroker}, "DMS.00400062"},
		{[]string{"topic", "reassign", "kafka-ra", "nope", "--plan", plan}, "DMS.00400876"},
		{[]string{"instance", "rebalance", "kafka-ra", "--brokers", "0,7"}, "DMS.00400062"},
		{[]string{"topic", "reassign", "kafka-ra", "orders", "--plan", plan}, "DMS.00400007"},                          // kfake moves nothing
		{[]string{"instance", "rebalance", "kafka-ra", "--wait"}, "DMS.00400007"},                                      // the same
		{[]string{"topic", "reassign", "kafka-ra", "orders", "--plan", plan, "--at", "4102444800000"}, "DMS.00400142"}, // too far ahead
	} {
		if r := runCtx(t, long, "", c.args...); r.code == exitOK || !strings.Contains(r.stderr, c.code) {
			t.Errorf("%v: exit %d, want %s\n%s", c.args, r.code, c.code, r.stderr)
		}
	}
}

// TestTopicReassignLocal: a real move with 'topic reassign --wait' (progress on stderr) and an
// 'instance rebalance --wait' on Apache Kafka.
func TestTopicReassignLocal(t *testing.T) {
	const long = 5 * time.Minute
	isolate(t)
	s := newRealDMS(t, "local")
	s.use(t)
	runCtx(t, long, "", "instance", "create", "kafka-rl", "--wait").wantCode(t, exitOK)
	runCtx(t, long, "", "topic", "create", "kafka-rl", "orders", "--partitions", "3", "--replicas", "1").wantCode(t, exitOK)

	r := runCtx(t, long, "", "topic", "reassign", "kafka-rl", "orders", "--brokers", "0,1,2", "--replication-factor", "2",
		"--throttle", "10MB", "--wait", "-o", "json").wantCode(t, exitOK)
	var got reassignResult
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Status != "SUCCESS" || got.JobID == "" {
		t.Fatalf("reassign: %v %+v\n%s", err, got, r.stderr)
	}
	if !strings.Contains(r.stderr, "reassignment task") {
		t.Errorf("no progress on stderr:\n%s", r.stderr)
	}
	show := runCtx(t, long, "", "topic", "show", "kafka-rl", "orders", "-o", "json").wantCode(t, exitOK)
	var d struct {
		Partitions []struct {
			Partition int `json:"partition"`
			Leader    int `json:"leader"`
			Replicas  []struct {
				Broker int `json:"broker"`
			} `json:"replicas"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal([]byte(show.stdout), &d); err != nil || len(d.Partitions) != 3 {
		t.Fatalf("topic show: %v\n%s", err, show.stdout)
	}
	for _, p := range d.Partitions {
		if len(p.Replicas) != 2 || p.Replicas[0].Broker == p.Replicas[1].Broker {
			t.Errorf("partition %d: replicas %+v, want 2 on different brokers", p.Partition, p.Replicas)
		}
	}
	r = runCtx(t, long, "", "instance", "rebalance", "kafka-rl", "--wait", "-o", "json").wantCode(t, exitOK)
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Status != "SUCCESS" {
		t.Fatalf("rebalance: %v %+v\n%s", err, got, r.stderr)
	}
}
