package dmsd

import (
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
