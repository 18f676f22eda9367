package dmsd

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	first, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pid, _ := os.ReadFile(filepath.Join(dir, LockFile)); string(pid) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want the pid", pid)
	}
	// A second dmsd (here: a second open of the file, which flock treats alike) is refused.
	if _, err := lockDataDir(dir); err == nil || !strings.Contains(err.Error(), "in use by another dmsd") {
		t.Fatalf("second lock: %v", err)
	}
	unlockDataDir(first)
	again, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	unlockDataDir(again)
}

// TestPrepareDataDir: the data dir is created 0700, and an existing one with a wider mode is
// restricted to 0700 with a warning in the log.
func TestPrepareDataDir(t *testing.T) {
	for _, c := range []struct {
		name     string
		existing os.FileMode // 0: not there yet
		wantWarn bool
	}{
		{"new", 0, false},
		{"existing 0700", 0o700, false},
		{"existing 0755", 0o755, true},
		{"existing 0777", 0o777, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if c.existing != 0 {
				if err := os.Mkdir(dir, c.existing); err != nil {
					t.Fatal(err)
				}
				os.Chmod(dir, c.existing)
			}
			var logs bytes.Buffer
			if err := prepareDataDir(dir, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o700 {
				t.Errorf("mode %v, want 0700", st.Mode().Perm())
			}
			if warned := strings.Contains(logs.String(), "level=WARN"); warned != c.wantWarn {
				t.Errorf("warned %v, want %v: %s", warned, c.wantWarn, logs.String())
			}
		})
	}
}
