package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain points the user config dir of every dmsd these tests start (and of this process) at a
// temp dir: a first start writes a dmsctl profile there, never into the real user's config. HOME
// stays, so the Kafka jar and Maven caches are shared.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dmsd-test-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	os.Unsetenv("DMSCTL_CONFIG")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
