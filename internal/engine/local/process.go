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

	serverLog string // its server.log (a child), where a fatal error at start is logged
	logFrom   int64  // the size of serverLog when it started: what it wrote comes after

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

// exitReason is how p ended, with the cause of a failure to bind a listener when its server.log
// tells one (Kafka exits with status 1 and logs "Socket server failed to bind to <addr>: Address
// already in use", which the exit status alone does not say).
func (p *proc) exitReason() string {
	if p.serverLog == "" {
		return p.exitMsg
	}
	if why := bindFailure(p.serverLog, p.logFrom); why != "" {
		return p.exitMsg + ": " + why
	}
	return p.exitMsg
}

// bindFailure returns Kafka's "failed to bind" message from what path has logged after offset
// (its last 64 KiB at most; from the start if the file rolled over since), or "".
func bindFailure(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	if st.Size() < offset { // rolled over
		offset = 0
	}
	offset = max(offset, st.Size()-64<<10)
	buf := make([]byte, st.Size()-offset)
	n, _ := f.ReadAt(buf, offset)
	for _, line := range strings.Split(string(buf[:n]), "\n") {
		// "... KafkaException: Socket server failed to bind to 127.20.0.1:9092: Address already in use."
		if i := strings.Index(line, "Socket server failed to bind to "); i >= 0 {
			return strings.TrimSuffix(strings.TrimSpace(line[i:]), ".")
		}
	}
	return ""
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
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

// childEnvKeys are the only variables of dmsd's environment a broker or tool JVM inherits. dmsd's
// environment holds secrets (DMS_ADMIN_SK, DMS_ADMIN_PASSWORD, DMS_MASTER_KEY, ...) that any process
// of the same user could read from /proc/<pid>/environ of a child for as long as it runs. Nothing else
// is needed: the JVM finds its home from its own path and user.home from the password database, and
// the engine passes everything Kafka needs on the command line. JAVA_TOOL_OPTIONS, _JAVA_OPTIONS,
// JDK_JAVA_OPTIONS and KAFKA_* are deliberately left out too: they would change the brokers behind
// the engine's back (the scripts that read KAFKA_* are not used).
var childEnvKeys = []string{"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ"}

// childEnv is the environment of a JVM started by the engine: childEnvKeys from dmsd's environment,
// and JAVA_HOME when the engine runs Java from one.
func childEnv(javaHome string) []string {
	env := make([]string, 0, len(childEnvKeys)+1)
	for _, k := range childEnvKeys {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if javaHome != "" {
		env = append(env, "JAVA_HOME="+javaHome)
	}
	return env
}

// toolEnv is the environment of Maven, which needs much of the user's (HOME for ~/.m2, proxies,
// MAVEN_OPTS, ...): dmsd's own variables (DMS_*, where its secrets are) are removed.
func toolEnv(javaHome string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "DMS_") || (javaHome != "" && k == "JAVA_HOME") {
			continue
		}
		env = append(env, kv)
	}
	if javaHome != "" {
		env = append(env, "JAVA_HOME="+javaHome)
	}
	return env
}

// procCmdline returns the arguments of pid from /proc (nil if it is gone or a zombie).
func procCmdline(pid int) []string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}

// procMatches reports whether pid is alive and is a broker JVM of marker (its server.properties):
// the executable is java and its main class kafka.Kafka runs with marker as its argument. The
// command line alone is not enough: any process naming the file (a `tail -f server.properties`)
// would be adopted as the broker and, on delete, killed with its whole process group; nor is a pid
// reused by another process ever taken for a broker.
func procMatches(pid int, marker string) bool {
	if pid <= 0 {
		return false
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return false // gone, a zombie, or another user's process: not ours to adopt
	}
	return isBrokerCommand(exe, procCmdline(pid), marker)
}

// isBrokerCommand reports whether a process running exe with args is a broker JVM of marker.
func isBrokerCommand(exe string, args []string, marker string) bool {
	// A JVM replaced by a package upgrade while it runs shows as ".../java (deleted)".
	if filepath.Base(strings.TrimSuffix(exe, " (deleted)")) != "java" || len(args) < 3 {
		return false
	}
	// The engine's command line ends in "kafka.Kafka <server.properties>" (startJVM), or for a
	// Connect worker "<ConnectDistributed> <worker.properties>" (startWorker).
	return args[len(args)-2] == mainClassOf(marker) && args[len(args)-1] == marker
}

// mainClassOf is the main class of the JVM whose marker (last argument) is marker: a Connect
// worker's for its worker.properties, else a broker's.
func mainClassOf(marker string) string {
	if filepath.Base(marker) == workerPropsFile {
		return connectMainClass
	}
	return "kafka.Kafka"
}

// findProcByMarker scans /proc for the broker JVM of marker (see procMatches): a broker whose pid
// file was lost, e.g. dmsd died between starting it and writing the file.
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
	return writeFileAtomic(path, []byte(strconv.Itoa(pid)+"\n"), 0o600)
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
	return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
}

var errClosed = errors.New("local engine: closed")
