// Package testlock serializes the tests that run Apache Kafka JVMs across test packages. `go test
// ./...` runs packages in parallel; on a 2-core machine two packages each starting three brokers
// starve each other's KRaft quorum until readiness timeouts. A test calls JVM(t) first and holds the
// machine-wide lock until it ends.
package testlock

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// JVM takes the machine-wide lock of JVM tests for the rest of t (released by t.Cleanup).
func JVM(t testing.TB) {
	t.Helper()
	path := filepath.Join(os.TempDir(), "opendms-jvm-tests.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("testlock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("testlock: %v", err)
	}
	t.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
