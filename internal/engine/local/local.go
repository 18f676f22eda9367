// Package local is the local engine: each instance is a real Apache Kafka cluster in KRaft mode, one
// JVM per broker (combined broker+controller nodes forming a static quorum, and broker-only nodes
// added later), started and supervised by dmsd.
//
// Layout of an instance (Spec.DataDir):
//
//	broker-<id>/server.properties   rewritten on every start from the Spec
//	broker-<id>/log4j2.properties   logging: server.log (rolling, 5 MB + 2 old files) in broker-<id>/
//	broker-<id>/stdout.log          the JVM's own stdout/stderr (previous start: stdout.log.1)
//	broker-<id>/data/               log.dirs (formatted once with kafka.tools.StorageTool)
//	broker-<id>/pid                 the JVM's pid
//	broker-<id>/tmp/                the JVM's java.io.tmpdir (native compression libraries), emptied at each start
//	connect/                        Smart Connect's Kafka Connect workers (connect.go, connect_config.go)
//
// Directories are 0700 and files 0600: dmsd's user only. The JVMs get a minimal environment (never
// dmsd's own: it holds secrets) and write nothing outside the instance's directory.
//
// Every broker binds its own IP (Spec.Brokers[i].Host, e.g. 127.20.0.5: any 127.x address works on
// Linux): PLAINTEXT clients on :9092, INTERNAL (inter-broker) on :9090, CONTROLLER on :9091. Systems
// without a loopback /8 (macOS, BSD) need the addresses configured on an interface first; a
// port-per-broker fallback is not implemented.
//
// Processes: each JVM runs in its own process group with a pid file and is never found or killed by
// name. A goroutine per broker restarts it after an unexpected exit (backoff 1 s doubling to 30 s,
// reset after 60 s of uptime). Close stops supervising and leaves the JVMs running; the next Ensure
// (in this or a new dmsd) adopts every broker whose pid file names a live java process running
// kafka.Kafka with that broker's server.properties, and starts the others.
//
// Jars: Kafka's Maven artifacts resolved from the pinned POM in kafka/pom.xml into a cache dir (see
// Fetch), or an install named by KAFKA_HOME.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/opendms/opendms/internal/engine"
)

// DefaultJVMFlags are the brokers' JVM flags besides the heap.
//
// The JIT is the JVM's default (tiered, up to C2): -XX:TieredStopAtLevel=1 starts a little faster but
// leaves AES-GCM without its intrinsics (C2's), and every byte on the TLS listeners (the internal one
// dmsd reads messages through, inter-broker replication, SSL instances' clients) then costs about ten
// times as much: a message search read 25 MB/s where a plaintext consumer read 150 MB/s (issue 11).
// Short-lived tool JVMs (kafka-storage format) keep it.
var DefaultJVMFlags = []string{
	"-XX:+UseSerialGC",
	"-Xshare:auto",
	"-XX:+ExitOnOutOfMemoryError",
	"-Djava.awt.headless=true",
}

// Defaults of Options.
const (
	DefaultHeapMB       = 256
	DefaultStopTimeout  = 30 * time.Second
	DefaultBackoffMin   = time.Second
	DefaultBackoffMax   = 30 * time.Second
	DefaultBackoffReset = 60 * time.Second
	DefaultPollInterval = 500 * time.Millisecond
)

// Options configure the engine. The zero value is usable.
type Options struct {
	// CacheDir is the jar cache (kafka-<version>/libs); empty means DefaultCacheDir().
	CacheDir string
	// KafkaHome is an existing Kafka install whose libs/ is used for its version; empty means $KAFKA_HOME.
	KafkaHome string
	// JavaHome selects the JVM ($JavaHome/bin/java); empty means $JAVA_HOME, else java on PATH.
	JavaHome string
	// Maven is the mvn executable; empty means mvn on PATH.
	Maven string
	// JVMFlags replace DefaultJVMFlags when non-nil (the heap flags and the engine's -D flags are
	// added separately).
	JVMFlags []string
	// DefaultHeapMB is the heap of a broker whose Spec.Resources.HeapMB is 0 (default DefaultHeapMB).
	DefaultHeapMB int
	// StopTimeout is how long a graceful stop waits before SIGKILL (default 30 s).
	StopTimeout time.Duration
	// BackoffMin, BackoffMax and BackoffReset shape crash restarts: the first restart waits BackoffMin,
	// each further one twice as long up to BackoffMax, and BackoffReset of uptime starts over.
	BackoffMin, BackoffMax, BackoffReset time.Duration
	// PollInterval is how often the liveness of an adopted (not child) process is checked.
	PollInterval time.Duration
	// Logger receives the engine's events; nil means slog.Default().
	Logger *slog.Logger
	// FetchLog receives Maven's output while resolving jars; nil discards it.
	FetchLog io.Writer
}

func (o Options) withDefaults() Options {
	if o.KafkaHome == "" {
		o.KafkaHome = os.Getenv("KAFKA_HOME")
	}
	if o.JavaHome == "" {
		o.JavaHome = os.Getenv("JAVA_HOME")
	}
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.JVMFlags == nil {
		o.JVMFlags = DefaultJVMFlags
	}
	if o.DefaultHeapMB <= 0 {
		o.DefaultHeapMB = DefaultHeapMB
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = DefaultBackoffMin
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.BackoffReset <= 0 {
		o.BackoffReset = DefaultBackoffReset
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

func (o Options) fetchOptions(version string) FetchOptions {
	return FetchOptions{Version: version, CacheDir: o.CacheDir, KafkaHome: o.KafkaHome, Maven: o.Maven, JavaHome: o.JavaHome, Log: o.FetchLog}.withDefaults()
}

// Engine is the local engine. It implements engine.Engine.
type Engine struct {
	opts   Options
	log    *slog.Logger
	ctx    context.Context // cancelled by Close: background fetches, restarts
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	instances map[string]*instance
	fetches   map[string]*fetchCall // by Kafka version
}

var (
	_ engine.Engine     = (*Engine)(nil)
	_ engine.PlainUsers = (*Engine)(nil)
)

type fetchCall struct {
	done chan struct{}
	libs string
	err  error
}

// instance is what the engine runs for one InstanceID.
type instance struct {
	id   string
	op   chan struct{} // a one-slot semaphore serializing Ensure/RestartBroker/Stop/Delete
	gone bool          // deleted; guarded by op

	mu      sync.Mutex // guards spec, brokers, connect and workers
	spec    engine.Spec
	brokers map[int32]*broker
	connect engine.ConnectSpec // the last EnsureConnect's (connect.go)
	workers map[int32]*broker  // Connect workers by id (connect.go)
}

// New returns an engine. It does not check Java or resolve jars: Ensure fetches jars in the
// background when needed, and Available is the cheap check.
func New(opts Options) (*Engine, error) {
	opts = opts.withDefaults()
	if opts.BackoffMax < opts.BackoffMin {
		return nil, fmt.Errorf("local engine: BackoffMax %v < BackoffMin %v", opts.BackoffMax, opts.BackoffMin)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{
		opts: opts, log: opts.Logger.With("engine", "local"), ctx: ctx, cancel: cancel,
		instances: map[string]*instance{}, fetches: map[string]*fetchCall{},
	}, nil
}

// Name is "local".
func (e *Engine) Name() string { return "local" }

// Capabilities of real Kafka clusters.
func (e *Engine) Capabilities() engine.Capabilities {
	return engine.Capabilities{
		Replication:     true,
		Reassignment:    true,
		Quotas:          true,
		ProducerStates:  true,
		ListenerMix:     true,
		RuntimePLAIN:    true, // the users file read by the PLAIN callback handler (kafka/plainauth)
		SASL:            true,
		InternalTLS:     true,
		ProcessRestarts: true,
		AddBrokers:      true, // Ensure formats and starts only the new (broker-only) nodes
		ProduceReject:   true, // the produce gate of the brokers' authorizer (capacity.go)
		LogSegments:     true,
		Connect:         true, // Kafka Connect workers as supervised JVMs (connect.go)
	}
}

// libs returns the jar dir of version, fetching it in the background (once at a time per version)
// and waiting for it or ctx.
func (e *Engine) libs(ctx context.Context, version string) (string, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return "", errClosed
	}
	fc, ok := e.fetches[version]
	if ok {
		select {
		case <-fc.done:
			if fc.err != nil { // retry a failed fetch
				ok = false
			}
		default:
		}
	}
	if !ok {
		fc = &fetchCall{done: make(chan struct{})}
		e.fetches[version] = fc
		go func() {
			fc.libs, fc.err = Fetch(e.ctx, e.opts.fetchOptions(version))
			if fc.err == nil {
				e.log.Info("kafka jars ready", "version", version, "libs", fc.libs)
			}
			close(fc.done)
		}()
	}
	e.mu.Unlock()
	select {
	case <-fc.done:
		if fc.err == nil {
			// a cache cleared under us is fetched again next time
			if _, err := os.Stat(fc.libs); err != nil {
				e.mu.Lock()
				if e.fetches[version] == fc {
					delete(e.fetches, version)
				}
				e.mu.Unlock()
				return "", fmt.Errorf("local engine: kafka jars %s vanished; retry", fc.libs)
			}
		}
		return fc.libs, fc.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// absDataDir is an instance's data dir, absolute: never "" nor a file system root (everything an
// engine writes for the instance, and removes with it, is below it).
func absDataDir(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("local engine: spec has no DataDir")
	}
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if d == "/" || d == filepath.Dir(d) {
		return "", fmt.Errorf("local engine: refusing DataDir %q", dir)
	}
	return d, nil
}

// normalizeDirVersion is an instance's data dir made absolute and its Kafka version (default
// DefaultKafkaVersion), both checked: the part of normalize and normalizeConnect they share.
func normalizeDirVersion(dir, version string) (string, string, error) {
	d, err := absDataDir(dir)
	if err != nil {
		return "", "", err
	}
	if version == "" {
		version = DefaultKafkaVersion
	}
	if !ValidVersion(version) {
		return "", "", fmt.Errorf("local engine: invalid Kafka version %q", version)
	}
	return d, version, nil
}

// normalize validates spec and fills the defaults (absolute DataDir, Kafka version).
func normalize(spec engine.Spec) (engine.Spec, error) {
	if spec.InstanceID == "" {
		return spec, errors.New("local engine: spec has no InstanceID")
	}
	var err error
	if spec.DataDir, spec.KafkaVersion, err = normalizeDirVersion(spec.DataDir, spec.KafkaVersion); err != nil {
		return spec, err
	}
	if len(spec.Brokers) == 0 {
		return spec, errors.New("local engine: spec has no brokers")
	}
	for i, b := range spec.Brokers {
		if b.ID != int32(i) {
			return spec, fmt.Errorf("local engine: broker %d has id %d; ids must be 0..n-1 in order", i, b.ID)
		}
		if net.ParseIP(b.Host) == nil {
			return spec, fmt.Errorf("local engine: broker %d host %q is not an IP address", b.ID, b.Host)
		}
	}
	if len(spec.Controllers()) == 0 {
		return spec, errors.New("local engine: spec has no controller node (every broker is broker-only)")
	}
	if len(spec.ClusterID) != 22 || strings.Trim(spec.ClusterID, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" || spec.ClusterID[0] == '-' {
		return spec, fmt.Errorf("local engine: cluster id %q is not a Kafka Uuid (22 base64url characters)", spec.ClusterID)
	}
	return spec, nil
}

// acquire returns the instance for spec locked for one operation.
func (e *Engine) acquire(ctx context.Context, id, dataDir string, create bool) (*instance, func(), error) {
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return nil, nil, errClosed
		}
		inst := e.instances[id]
		if inst == nil {
			if !create {
				e.mu.Unlock()
				return nil, nil, nil
			}
			inst = &instance{id: id, op: make(chan struct{}, 1), brokers: map[int32]*broker{}, workers: map[int32]*broker{}}
			e.instances[id] = inst
		}
		e.mu.Unlock()
		select {
		case inst.op <- struct{}{}:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		release := func() { <-inst.op }
		if inst.gone { // deleted while we waited: start over with a fresh entry
			release()
			continue
		}
		inst.mu.Lock()
		prev := inst.spec.DataDir
		inst.mu.Unlock()
		if dataDir != "" && prev != "" && prev != dataDir {
			release()
			return nil, nil, fmt.Errorf("local engine: instance %s runs in %s, not %s", id, prev, dataDir)
		}
		return inst, release, nil
	}
}

func brokerDir(dataDir string, id int32) string {
	return filepath.Join(dataDir, "broker-"+strconv.Itoa(int(id)))
}

// brokerOf returns (creating) the broker entry of id.
func (inst *instance) brokerOf(id int32, dataDir string) *broker {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	b := inst.brokers[id]
	if b == nil {
		dir := brokerDir(dataDir, id)
		b = &broker{id: id, inst: inst, dir: dir, props: filepath.Join(dir, "server.properties"), pidFile: filepath.Join(dir, "pid")}
		inst.brokers[id] = b
	}
	return b
}

func (inst *instance) currentSpec() engine.Spec {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	return inst.spec
}

// Ensure makes every broker of spec run: brokers already supervised are left alone, brokers whose JVM
// still runs (after a dmsd restart) are adopted, the others are configured, formatted if new, and
// started. It returns once the processes are started.
func (e *Engine) Ensure(ctx context.Context, spec engine.Spec) error {
	spec, err := normalize(spec)
	if err != nil {
		return err
	}
	inst, release, err := e.acquire(ctx, spec.InstanceID, spec.DataDir, true)
	if err != nil {
		return err
	}
	defer release()
	inst.mu.Lock()
	inst.spec = spec
	inst.mu.Unlock()
	if err := privateDir(spec.DataDir); err != nil {
		return fmt.Errorf("local engine: %w", err)
	}

	var toStart []*broker
	for _, sb := range spec.Brokers {
		b := inst.brokerOf(sb.ID, spec.DataDir)
		if b.supervised() {
			continue
		}
		if p := e.adopt(b); p != nil {
			e.log.Info("adopted running broker", "instance", spec.InstanceID, "broker", b.id, "pid", p.pid)
			e.supervise(b, p)
			continue
		}
		toStart = append(toStart, b)
	}
	if len(toStart) == 0 {
		return nil
	}
	for _, b := range toStart {
		if err := checkPortsFree(spec.Brokers[b.id].Host, brokerPorts(spec)); err != nil {
			return fmt.Errorf("local engine: instance %s broker %d: %w", spec.InstanceID, b.id, err)
		}
	}
	rt, err := e.runtime(ctx, spec.KafkaVersion)
	if err != nil {
		return err
	}
	// Write configs and format new brokers in parallel (each format is a JVM of ~1-3 s).
	errs := make([]error, len(toStart))
	var wg sync.WaitGroup
	for i, b := range toStart {
		wg.Go(func() { errs[i] = e.prepare(ctx, rt, spec, b) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, b := range toStart {
		p, err := e.startJVM(rt, spec, b)
		if err != nil {
			return err
		}
		e.log.Info("started broker", "instance", spec.InstanceID, "broker", b.id, "pid", p.pid, "host", spec.Brokers[b.id].Host)
		e.supervise(b, p)
	}
	return nil
}

// runtime is what starting a JVM takes: java and the jars of one Kafka version.
// runtime is what runs a broker: java, the Kafka jars, and the PLAIN handler jar when it is not
// among them.
type runtime struct{ java, libs, plainAuthJar string }

func (e *Engine) runtime(ctx context.Context, version string) (runtime, error) {
	java, err := checkJava(e.opts.JavaHome)
	if err != nil {
		return runtime{}, err
	}
	libs, err := e.libs(ctx, version)
	if err != nil {
		return runtime{}, err
	}
	rt := runtime{java: java, libs: libs}
	if _, err := os.Stat(filepath.Join(libs, PlainAuthJar)); err != nil {
		if jar := kafkaHomePlainAuthJar(e.opts.fetchOptions(version).withDefaults()); plainAuthCurrent(jar) {
			rt.plainAuthJar = jar
		}
	}
	return rt, nil
}

// adopt returns the live JVM of b from its pid file (or, if the file was lost, from /proc), or nil.
func (e *Engine) adopt(b *broker) *proc {
	pid := readPidFile(b.pidFile)
	if !procMatches(pid, b.props) {
		pid = findProcByMarker(b.props)
		if pid == 0 {
			return nil
		}
		_ = writePidFile(b.pidFile, pid)
	}
	return adoptProc(pid, b.props, e.opts.PollInterval)
}

func (e *Engine) heapMB(spec engine.Spec) int {
	if spec.Resources.HeapMB > 0 {
		return spec.Resources.HeapMB
	}
	return e.opts.DefaultHeapMB
}

// prepare writes b's files from spec and formats its storage if it is not formatted yet.
func (e *Engine) prepare(ctx context.Context, rt runtime, spec engine.Spec, b *broker) error {
	sb := spec.Brokers[b.id]
	if err := writeBrokerFiles(spec, sb, b.dir, e.heapMB(spec)); err != nil {
		return fmt.Errorf("local engine: broker %d: %w", b.id, err)
	}
	cid, err := formattedClusterID(b.dir)
	if err != nil {
		return err
	}
	if cid != "" {
		if cid != spec.ClusterID {
			return fmt.Errorf("local engine: broker %d storage belongs to cluster %s, not %s", b.id, cid, spec.ClusterID)
		}
		return nil
	}
	sandbox, err := jvmSandbox(b.dir)
	if err != nil {
		return fmt.Errorf("local engine: broker %d: %w", b.id, err)
	}
	args := append([]string{"-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"}, sandbox...)
	args = append(args, "-Dlog4j2.configurationFile="+filepath.Join(b.dir, "log4j2.properties"), "-Dkafka.logs.dir="+b.dir,
		"-cp", rt.classpath(), "kafka.tools.StorageTool",
		"format", "-t", spec.ClusterID, "-c", b.props, "-g")
	cmd := exec.CommandContext(ctx, rt.java, args...)
	cmd.Dir = b.dir
	cmd.Env = childEnv(e.opts.JavaHome)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("local engine: formatting broker %d storage (kafka.tools.StorageTool): %v: %s", b.id, err, tail(string(out), 2000))
	}
	if cid, _ := formattedClusterID(b.dir); cid != spec.ClusterID {
		return fmt.Errorf("local engine: broker %d storage is not formatted after StorageTool: %s", b.id, tail(string(out), 2000))
	}
	return nil
}

// startJVM starts b's broker JVM from its written files and records its pid.
func (e *Engine) startJVM(rt runtime, spec engine.Spec, b *broker) (*proc, error) {
	heap := e.heapMB(spec)
	args := []string{fmt.Sprintf("-Xms%dm", heap), fmt.Sprintf("-Xmx%dm", heap)}
	args = append(args, e.opts.JVMFlags...)
	sandbox, err := jvmSandbox(b.dir)
	if err != nil {
		return nil, fmt.Errorf("local engine: broker %d: %w", b.id, err)
	}
	args = append(args, sandbox...)
	args = append(args,
		"-Dlog4j2.configurationFile="+filepath.Join(b.dir, "log4j2.properties"),
		"-Dkafka.logs.dir="+b.dir,
		"-Dopendms.instance="+spec.InstanceID,
		"-cp", rt.classpath(),
		"kafka.Kafka", b.props)
	out, err := openLog(b.dir, "stdout.log")
	if err != nil {
		return nil, fmt.Errorf("local engine: broker %d: %w", b.id, err)
	}
	defer out.Close() // the child has its own descriptor
	cmd := exec.Command(rt.java, args...)
	cmd.Dir = b.dir
	cmd.Env = childEnv(e.opts.JavaHome)
	cmd.Stdout, cmd.Stderr = out, out
	logFrom := fileSize(filepath.Join(b.dir, "server.log"))
	p, err := startProc(cmd, b.props)
	if err != nil {
		return nil, fmt.Errorf("local engine: starting broker %d: %w", b.id, err)
	}
	p.serverLog, p.logFrom = filepath.Join(b.dir, "server.log"), logFrom
	if err := writePidFile(b.pidFile, p.pid); err != nil {
		p.terminate(e.opts.StopTimeout)
		return nil, fmt.Errorf("local engine: broker %d pid file: %w", b.id, err)
	}
	return p, nil
}

// restartJVM is the supervisor's way to start b again: files rewritten from the instance's current
// spec, jars fetched if needed. A port taken by another process fails it with the address named
// (the broker's last exit says so) rather than starting a JVM bound to fail.
func (e *Engine) restartJVM(b *broker) (*proc, error) {
	spec := b.inst.currentSpec()
	if int(b.id) < len(spec.Brokers) {
		if err := checkPortsFree(spec.Brokers[b.id].Host, brokerPorts(spec)); err != nil {
			return nil, fmt.Errorf("local engine: broker %d: %w", b.id, err)
		}
	}
	rt, err := e.runtime(e.ctx, spec.KafkaVersion)
	if err != nil {
		return nil, err
	}
	if err := e.prepare(e.ctx, rt, spec, b); err != nil {
		return nil, err
	}
	return e.startJVM(rt, spec, b)
}

// jvmSandbox returns the flags that keep a JVM's files inside dir (a broker's directory, removed
// with the instance): java.io.tmpdir is dir/tmp, emptied first, where snappy-java, zstd-jni and
// lz4-java extract their native libraries (they would otherwise pile up in /tmp, one set per start:
// a killed JVM never removes them); perf data is off, as HotSpot always writes it to
// /tmp/hsperfdata_<user>/<pid> whatever java.io.tmpdir says (jps and jstat do not list the brokers;
// `jcmd <pid>` still works).
func jvmSandbox(dir string) ([]string, error) {
	tmp := filepath.Join(dir, "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, err
	}
	return []string{"-XX:-UsePerfData", "-Djava.io.tmpdir=" + tmp, "-Dorg.xerial.snappy.tempdir=" + tmp}, nil
}

// privateDir creates dir (and its parents) readable by dmsd's user only, and tightens it when it
// exists with a wider mode (created by an older version): broker directories hold the cluster's
// data, TLS keys and the PLAIN users file.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// brokerPorts are the ports every broker of spec listens on (on its own IP).
func brokerPorts(spec engine.Spec) []int {
	ports := []int{engine.PortInternal, engine.PortController}
	for _, l := range spec.ClientListeners() {
		ports = append(ports, l.Port)
	}
	return ports
}

// checkPortsFree fails when another process listens on one of ports of host.
func checkPortsFree(host string, ports []int) error {
	err := engine.ListenFree(host, ports)
	if err == nil {
		return nil
	}
	addr := host
	if op := (*net.OpError)(nil); errors.As(err, &op) && op.Addr != nil {
		addr = op.Addr.String()
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s is in use by a process that is not this broker: %w", addr, err)
	}
	return fmt.Errorf("cannot listen on %s (without a loopback /8, as on macOS, the address must be configured on an interface first): %w", addr, err)
}

// RestartBroker stops one broker gracefully (controlled shutdown), rewrites its configuration from
// spec and starts it again.
func (e *Engine) RestartBroker(ctx context.Context, spec engine.Spec, brokerID int32) error {
	spec, err := normalize(spec)
	if err != nil {
		return err
	}
	if brokerID < 0 || int(brokerID) >= len(spec.Brokers) {
		return fmt.Errorf("local engine: instance %s has no broker %d", spec.InstanceID, brokerID)
	}
	inst, release, err := e.acquire(ctx, spec.InstanceID, spec.DataDir, true)
	if err != nil {
		return err
	}
	defer release()
	inst.mu.Lock()
	inst.spec = spec
	inst.mu.Unlock()
	b := inst.brokerOf(brokerID, spec.DataDir)
	// Have the runtime before stopping anything, so a missing Java or jars leaves the broker running.
	rt, err := e.runtime(ctx, spec.KafkaVersion)
	if err != nil {
		return err
	}
	if b.supervised() {
		b.stopSupervising(true, e.opts.StopTimeout)
	} else if p := e.adopt(b); p != nil {
		p.terminate(e.opts.StopTimeout)
		p.release()
	}
	if err := e.prepare(ctx, rt, spec, b); err != nil {
		return err
	}
	p, err := e.startJVM(rt, spec, b)
	if err != nil {
		return err
	}
	e.log.Info("restarted broker", "instance", spec.InstanceID, "broker", b.id, "pid", p.pid)
	e.supervise(b, p)
	return nil
}

// acquireKnown is acquire of an instance this engine has ensured since it started
// (ErrUnknownInstance otherwise: its data dir is not known from the id alone).
func (e *Engine) acquireKnown(ctx context.Context, instanceID string) (*instance, func(), error) {
	inst, release, err := e.acquire(ctx, instanceID, "", false)
	if err != nil {
		return nil, nil, err
	}
	if inst == nil {
		return nil, nil, fmt.Errorf("%w: %s (not ensured since the engine started)", engine.ErrUnknownInstance, instanceID)
	}
	return inst, release, nil
}

// Stop stops every broker of the instance gracefully (all at once), and its Connect workers, and
// keeps the data. The instance stays known (Status shows its brokers stopped). An instance not Ensured since this engine started
// is ErrUnknownInstance: its data dir is not known from the id alone.
func (e *Engine) Stop(ctx context.Context, instanceID string) error {
	inst, release, err := e.acquireKnown(ctx, instanceID)
	if err != nil {
		return err
	}
	defer release()
	e.stopAll(inst, e.opts.StopTimeout)
	return nil
}

// stopAll stops every broker of inst at once, each with timeout as its graceful-stop bound, and
// returns how many were running.
func (e *Engine) stopAll(inst *instance, timeout time.Duration) int {
	inst.mu.Lock()
	bs := make([]*broker, 0, len(inst.brokers))
	for _, b := range inst.brokers {
		bs = append(bs, b)
	}
	inst.mu.Unlock()
	// The instance's Connect workers stop first (not counted: they are not brokers): their last
	// offset flush needs the brokers, or up to a flush interval of records is replicated twice.
	e.stopWorkers(inst, nil, timeout)
	var wg sync.WaitGroup
	var running atomic.Int32
	for _, b := range bs {
		wg.Go(func() {
			if b.supervised() {
				if b.state().Running {
					running.Add(1)
				}
				b.stopSupervising(true, timeout)
			} else if p := e.adopt(b); p != nil {
				running.Add(1)
				p.terminate(timeout)
				p.release()
			}
			_ = os.Remove(b.pidFile)
		})
	}
	wg.Wait()
	return int(running.Load())
}

// acquireDir acquires an instance to stop or delete by its data dir d: also one this engine never
// started, whose brokers it then knows from their broker-<id> directories.
func (e *Engine) acquireDir(ctx context.Context, id, d string) (*instance, func(), error) {
	inst, release, err := e.acquire(ctx, id, d, true)
	if err != nil {
		return nil, nil, err
	}
	inst.mu.Lock()
	if inst.spec.DataDir == "" {
		inst.spec.DataDir = d
	}
	inst.mu.Unlock()
	registerBrokerDirs(inst, d)
	registerWorkerDirs(inst, d)
	return inst, release, nil
}

// registerBrokerDirs makes inst know every broker-<id> directory under dir, not only the brokers of
// a spec: a shrunk spec leaves none behind.
func registerBrokerDirs(inst *instance, dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, ent := range ents {
		if n, ok := strings.CutPrefix(ent.Name(), "broker-"); ok && ent.IsDir() {
			if id, err := strconv.Atoi(n); err == nil {
				inst.brokerOf(int32(id), dir)
			}
		}
	}
}

// StopInstanceBrokers stops, gracefully (Kafka's controlled shutdown, SIGKILL after StopTimeout),
// every running broker of an instance, also one this engine never supervised: `dmsd stop-brokers`
// runs it on the instances of a data dir no dmsd holds. The JVMs are found from the broker-<id>
// directories under spec.DataDir, each by its pid file (checked to be that broker's kafka.Kafka
// JVM), never by process name. The data stays; a later Ensure starts the brokers again. It returns
// how many brokers were running.
func (e *Engine) StopInstanceBrokers(ctx context.Context, spec engine.Spec) (int, error) {
	if spec.InstanceID == "" || spec.DataDir == "" {
		return 0, errors.New("local engine: StopInstanceBrokers needs InstanceID and DataDir")
	}
	d, err := filepath.Abs(spec.DataDir)
	if err != nil {
		return 0, err
	}
	inst, release, err := e.acquireDir(ctx, spec.InstanceID, d)
	if err != nil {
		return 0, err
	}
	defer release()
	n := e.stopAll(inst, e.opts.StopTimeout)
	if n > 0 {
		e.log.Info("stopped the brokers of an instance", "instance", spec.InstanceID, "brokers", n)
	}
	return n, nil
}

// RunningBrokers counts the broker JVMs this engine supervises that are running: what Close leaves
// running.
func (e *Engine) RunningBrokers() int {
	e.mu.Lock()
	insts := make([]*instance, 0, len(e.instances))
	for _, inst := range e.instances {
		insts = append(insts, inst)
	}
	e.mu.Unlock()
	n := 0
	for _, inst := range insts {
		inst.mu.Lock()
		bs := make([]*broker, 0, len(inst.brokers))
		for _, b := range inst.brokers {
			bs = append(bs, b)
		}
		inst.mu.Unlock()
		for _, b := range bs {
			if b.state().Running {
				n++
			}
		}
	}
	return n
}

// Delete stops every broker and Connect worker of spec's instance (also ones this engine never
// supervised, found by their pid files) and removes spec.DataDir.
func (e *Engine) Delete(ctx context.Context, spec engine.Spec) error {
	if spec.InstanceID == "" {
		return errors.New("local engine: Delete needs InstanceID")
	}
	d, err := absDataDir(spec.DataDir)
	if err != nil {
		return err
	}
	inst, release, err := e.acquireDir(ctx, spec.InstanceID, d)
	if err != nil {
		return err
	}
	defer release()
	// SIGKILL, not a controlled shutdown: the data is removed next, and the last broker of a KRaft
	// quorum whose peers are gone waits out the whole graceful bound (30 s) for nothing.
	e.stopAll(inst, 0)
	inst.gone = true
	e.mu.Lock()
	if e.instances[spec.InstanceID] == inst {
		delete(e.instances, spec.InstanceID)
	}
	e.mu.Unlock()
	if err := os.RemoveAll(d); err != nil {
		return fmt.Errorf("local engine: removing %s: %w", d, err)
	}
	e.log.Info("deleted instance", "instance", spec.InstanceID, "data_dir", d)
	return nil
}

// ControlAddrs are the brokers' INTERNAL listener (PLAINTEXT on 9090, also the inter-broker one):
// dmsd reaches every cluster there whatever its client listeners, without credentials.
func (e *Engine) ControlAddrs(spec engine.Spec) []string {
	return engine.Addrs(spec, engine.PortInternal)
}

// Status reports the brokers of the instance, by id.
func (e *Engine) Status(ctx context.Context, instanceID string) ([]engine.BrokerState, error) {
	e.mu.Lock()
	inst := e.instances[instanceID]
	e.mu.Unlock()
	if inst == nil {
		return nil, fmt.Errorf("%w: %s", engine.ErrUnknownInstance, instanceID)
	}
	inst.mu.Lock()
	bs := make([]*broker, 0, len(inst.brokers))
	for _, b := range inst.brokers {
		bs = append(bs, b)
	}
	inst.mu.Unlock()
	sort.Slice(bs, func(i, j int) bool { return bs[i].id < bs[j].id })
	out := make([]engine.BrokerState, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.state())
	}
	return out, nil
}

// Close stops supervising and leaves every broker JVM running; a later Ensure (from a new Engine)
// adopts them. Background jar fetches are cancelled.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	insts := make([]*instance, 0, len(e.instances))
	for _, inst := range e.instances {
		insts = append(insts, inst)
	}
	e.mu.Unlock()
	e.cancel()
	var wg sync.WaitGroup
	for _, inst := range insts {
		inst.mu.Lock()
		for _, b := range inst.brokers {
			wg.Go(func() { b.stopSupervising(false, 0) })
		}
		for _, w := range inst.workers {
			wg.Go(func() { w.stopSupervising(false, 0) })
		}
		inst.mu.Unlock()
	}
	wg.Wait()
	return nil
}
