package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/engine"
)

// TestSegments: a partition's segments come from its log dir's <20-digit base>.log files with
// their sizes, oldest first; indexes and files on their way out are not segments.
func TestSegments(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	spec := testSpec(2)
	spec.DataDir = t.TempDir()
	dir := filepath.Join(spec.DataDir, "broker-1", "data", "orders-3")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]int{
		"00000000000000000120.log": 30, "00000000000000000000.log": 100, "00000000000000000057.log": 70,
		"00000000000000000000.index": 10, "00000000000000000057.timeindex": 10, "00000000000000000010.log.deleted": 5,
		"00000000000000000120.snapshot": 1, "leader-epoch-checkpoint": 1, "partition.metadata": 1,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.Segments(context.Background(), spec, 1, "orders", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.Segment{{Base: 0, Bytes: 100}, {Base: 57, Bytes: 70}, {Base: 120, Bytes: 30}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("segments %+v, want %+v", got, want)
	}
	if got, err := e.Segments(context.Background(), spec, 0, "orders", 3); err != nil || got != nil {
		t.Errorf("a replica the broker does not hold: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "..", "a/b"} {
		if _, err := e.Segments(context.Background(), spec, 1, bad, 0); err == nil {
			t.Errorf("topic %q accepted", bad)
		}
	}
}

// TestSetProduceReject: the gate file is there while rejecting and gone after; brokers whose
// server.properties (what the running JVM read) names no gate file need a restart.
func TestSetProduceReject(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	spec := testSpec(2)
	spec.DataDir = t.TempDir()
	for _, b := range spec.Brokers {
		props, err := serverProperties(spec, b, brokerDir(spec.DataDir, b.ID), 256)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(brokerDir(spec.DataDir, b.ID), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(brokerDir(spec.DataDir, b.ID), "server.properties"), props, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	gate := filepath.Join(spec.DataDir, ProduceGateFile)
	ctx := context.Background()
	if err := e.SetProduceReject(ctx, spec, true, "full"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(gate); err != nil || string(b) != "full\n" {
		t.Fatalf("gate file: %q, %v", b, err)
	}
	if err := e.SetProduceReject(ctx, spec, false, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(gate); !os.IsNotExist(err) {
		t.Fatalf("gate file still there: %v", err)
	}
	if err := e.SetProduceReject(ctx, spec, false, ""); err != nil {
		t.Fatalf("opening an open gate: %v", err)
	}
	// Broker 1 started before the gate existed.
	old := filepath.Join(brokerDir(spec.DataDir, 1), "server.properties")
	props, _ := os.ReadFile(old)
	var kept []string
	for _, l := range strings.Split(string(props), "\n") {
		if !strings.HasPrefix(l, "opendms.produce.gate.file=") {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(old, []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	err = e.SetProduceReject(ctx, spec, true, "full")
	if !errors.Is(err, engine.ErrRestartNeeded) || !strings.Contains(err.Error(), "broker(s) 1 ") {
		t.Fatalf("err = %v, want ErrRestartNeeded naming broker 1", err)
	}
	if _, err := os.Stat(gate); err != nil {
		t.Fatalf("the gate file is written for the restart: %v", err)
	}
}
