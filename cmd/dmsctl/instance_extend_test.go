package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestInstanceExtendEmbedded: 'instance extend' against a real server (embedded engine): brokers,
// storage and flavor, each followed with --wait to RUNNING, and the flag errors.
func TestInstanceExtendEmbedded(t *testing.T) {
	isolate(t)
	s := newRealDMS(t, "embedded")
	s.use(t)
	const long = 2 * time.Minute
	runCtx(t, long, "", "instance", "create", "kafka-ext", "--wait").wantCode(t, exitOK)

	for _, args := range [][]string{
		{"instance", "extend", "kafka-ext"},
		{"instance", "extend", "kafka-ext", "--brokers", "5", "--storage", "900"},
		{"instance", "extend", "kafka-ext", "--brokers", "0"},
		{"instance", "extend", "kafka-ext", "--storage", "900", "--tenant-ips", "127.0.0.9"},
		{"instance", "extend", "kafka-ext", "--storage", "900", "--rebalance"},
		{"instance", "extend", "kafka-ext", "--brokers", "5", "--throttle", "10MB"},
		{"instance", "extend", "kafka-ext", "--brokers", "5", "--rebalance", "--throttle", "fast"},
	} {
		r := runCtx(t, long, "", args...)
		if r.code != exitUsage {
			t.Errorf("%v: exit %d, want a usage error\n%s", args, r.code, r.stderr)
		}
	}
	// The server's validation: fewer brokers; a rebalance on kfake, which moves no replicas.
	if r := runCtx(t, long, "", "instance", "extend", "kafka-ext", "--brokers", "2"); r.code == exitOK || !strings.Contains(r.stderr, "DMS.00400062") {
		t.Errorf("--brokers 2: exit %d\n%s", r.code, r.stderr)
	}
	if r := runCtx(t, long, "", "instance", "extend", "kafka-ext", "--brokers", "4", "--rebalance", "--throttle", "10MB"); r.code == exitOK || !strings.Contains(r.stderr, "DMS.00400007") {
		t.Errorf("--rebalance on kfake: exit %d\n%s", r.code, r.stderr)
	}

	for _, c := range []struct {
		args             []string
		op               string
		brokers, storage int
		product          string
	}{
		{[]string{"--brokers", "4"}, "horizontal", 4, 0, "c6.2u4g.cluster"},
		{[]string{"--storage", "1200"}, "storage", 4, 1200, "c6.2u4g.cluster"},
		{[]string{"--flavor", "c6.4u8g.cluster"}, "vertical", 4, 1200, "c6.4u8g.cluster"},
	} {
		r := runCtx(t, long, "", append([]string{"instance", "extend", "kafka-ext", "--wait", "-o", "json"}, c.args...)...).wantCode(t, exitOK)
		var got extendResult
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("%v: %v\n%s", c.args, err, r.stdout)
		}
		if got.OperType != c.op || got.Status != "RUNNING" || got.BrokerNum != c.brokers || got.ProductID != c.product || got.JobID == "" ||
			(c.storage != 0 && got.Storage != c.storage) {
			t.Errorf("%v: %+v", c.args, got)
		}
		if !strings.Contains(r.stderr, "extend task") {
			t.Errorf("%v: no progress on stderr:\n%s", c.args, r.stderr)
		}
	}
}
