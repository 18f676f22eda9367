package local

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one broker JVM: a child started by this engine or a process adopted from its pid file.
type proc struct {
	pid     int
	started time.Time
	adopted bool
	marker  string // the server.properties path on its command line

	exited  chan struct{} // closed when the process is gone
	exitMsg string        // how it ended; set before exited is closed

	quitOnce sync.Once
	quit     chan struct{} // stops the liveness poller of an adopted process
}

// startProc starts cmd in its own process group and watches it.
func startProc(cmd *exec.Cmd, marker string) (*proc, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{pid: cmd.Process.Pid, started: time.Now(), marker: marker, exited: make(chan struct{}), quit: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		p.exitMsg = describeExit(cmd.ProcessState, err)
		close(p.exited)
	}()
	return p, nil
}

func describeExit(st *os.ProcessState, err error) string {
	if st == nil {
		if err != nil {
			return err.Error()
		}
		return "exited"
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by signal " + ws.Signal().String()
	}
	return fmt.Sprintf("exit status %d", st.ExitCode())
}

// adoptProc watches a running process that is not our child, by polling its liveness.
func adoptProc(pid int, marker string, every time.Duration) *proc {
	p := &proc{pid: pid, started: procStartTime(pid), adopted: true, marker: marker, exited: make(chan struct{}), quit: make(chan struct{})}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-t.C:
				if !procMatches(pid, marker) {
					p.exitMsg = "exited (adopted process; exit status unknown)"
					close(p.exited)
					return
				}
			}
		}
	}()
	return p
}

// release stops watching an adopted process (the process itself is left alone).
func (p *proc) release() { p.quitOnce.Do(func() { close(p.quit) }) }

func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// signal sends sig to p's process group when p leads one (every broker we start does), else to p.
func (p *proc) signal(sig syscall.Signal) error {
	if !p.alive() {
		return nil
	}
	if pgid, err := syscall.Getpgid(p.pid); err == nil && pgid == p.pid {
		return syscall.Kill(-p.pid, sig)
	}
	return syscall.Kill(p.pid, sig)
}

// terminate stops p gracefully: SIGTERM to its group (Kafka's controlled shutdown), SIGKILL after
// timeout; a timeout <= 0 kills it at once. It returns once the process is gone (or gives up after
// a further 10 s).
func (p *proc) terminate(timeout time.Duration) string {
	if !p.alive() {
		return p.exitMsg
	}
	if timeout <= 0 {
		_ = p.signal(syscall.SIGKILL)
		select {
		case <-p.exited:
			return "killed"
		case <-time.After(10 * time.Second):
			return "did not exit after SIGKILL"
		}
	}
	_ = p.signal(syscall.SIGTERM)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.exited:
		return p.exitMsg
	case <-t.C:
	}
	_ = p.signal(syscall.SIGKILL)
	select {
	case <-p.exited:
		return "killed after a graceful-stop timeout of " + timeout.String()
	case <-time.After(10 * time.Second):
		return "did not exit after SIGKILL"
	}
}

// procCmdline returns the arguments of pid from /proc (nil if it is gone or a zombie).
func procCmdline(pid int) []string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}

// procMatches reports whether pid is alive and has marker as one of its arguments (so a pid reused by
// another process is never taken for a broker).
func procMatches(pid int, marker string) bool {
	if pid <= 0 {
		return false
	}
	for _, a := range procCmdline(pid) {
		if a == marker {
			return true
		}
	}
	return false
}

// findProcByMarker scans /proc for a process that has marker as an argument (a broker whose pid file
// was lost, e.g. dmsd died between starting it and writing the file).
func findProcByMarker(marker string) int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if procMatches(pid, marker) {
			return pid
		}
	}
	return 0
}

func readPidFile(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0
	}
	return pid
}

func writePidFile(path string, pid int) error {
	return writeFileAtomic(path, []byte(strconv.Itoa(pid)+"\n"), 0o644)
}

// procStartTime reads when pid started from /proc (field 22 of stat, in clock ticks after boot);
// now if it cannot.
func procStartTime(pid int) time.Time {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Now()
	}
	// The command name (field 2) may hold spaces; fields after it follow the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return time.Now()
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 { // f[0] is field 3
		return time.Now()
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64)
	if err != nil {
		return time.Now()
	}
	bt := bootTime()
	if bt.IsZero() {
		return time.Now()
	}
	const clkTck = 100 // USER_HZ on every Linux architecture Go supports
	return bt.Add(time.Duration(ticks) * time.Second / clkTck)
}

func bootTime() time.Time {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return time.Unix(s, 0)
			}
		}
	}
	return time.Time{}
}

// rotateFile moves path to path.1 (replacing it), so each start has a fresh file and the previous
// one is kept.
func rotateFile(path string) {
	if _, err := os.Stat(path); err == nil {
		_ = os.Rename(path, path+".1")
	}
}

// openLog opens dir/name for a child's stdout/stderr after rotating it.
func openLog(dir, name string) (*os.File, error) {
	p := filepath.Join(dir, name)
	rotateFile(p)
	return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
}

var errClosed = errors.New("local engine: closed")
