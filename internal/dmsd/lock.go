package dmsd

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// prepareDataDir creates the data dir readable by dmsd's user only (0700), and tightens an existing
// one with a wider mode: it holds the master key, the store (sealed secrets, password hashes), the
// administrator's credentials and every instance's data and keys. A directory dmsd may not chmod
// (another user's, shared through a group) is left as it is, with a warning: the files that hold
// secrets are 0600 themselves.
func prepareDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("data dir %s is not a directory", dir)
	}
	old := st.Mode().Perm()
	if old&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		log.Warn("data dir is accessible to other users and cannot be restricted to its owner", "data_dir", dir, "mode", old.String(), "err", err)
		return nil
	}
	log.Warn("data dir was accessible to other users: restricted it to its owner", "data_dir", dir, "old_mode", old.String(), "mode", os.FileMode(0o700).String())
	return nil
}

// errDataDirInUse is lockDataDir's error when another process (a dmsd) holds the data dir.
var errDataDirInUse = errors.New("in use by another dmsd")

// LockFile is the file in the data dir a running dmsd holds locked (it contains its pid).
const LockFile = "dmsd.lock"

// lockDataDir takes the data dir for this process: two dmsd on one data dir would both supervise
// the same broker JVMs, run the same tasks and write the same store. The lock (flock) goes with the
// process, so a dmsd killed with -9 leaves nothing to clean up.
func lockDataDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, _ := os.ReadFile(path)
			return nil, fmt.Errorf("the data dir %s is %w (pid %s holds %s)", dir, errDataDirInUse, string(pid), path)
		}
		return nil, fmt.Errorf("data dir lock: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	}
	return f, nil
}

// unlockDataDir releases the lock.
func unlockDataDir(f *os.File) {
	if f != nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}
}
