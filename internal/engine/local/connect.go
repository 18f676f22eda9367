package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opendms/opendms/internal/engine"
)

// Smart Connect: each instance may have Apache Kafka Connect workers in distributed mode (one
// Connect cluster per instance, ConnectDistributed JVMs on their own loopback IPs), supervised like
// the brokers: own process group, pid file, the worker.properties path as the marker at the end of
// the command line (never found by name), restarted with backoff after a crash, adopted by the next
// EnsureConnect after a dmsd restart, stopped with the instance (Stop, Delete). Layout and worker
// settings: connect_config.go; jars: connect_fetch.go.

var _ engine.ConnectRunner = (*Engine)(nil)

// workerOf returns (creating) the supervised-process entry of Connect worker id.
func (e *Engine) workerOf(inst *instance, id int32, dataDir string) *broker {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	w := inst.workers[id]
	if w == nil {
		dir := workerDir(dataDir, id)
		w = &broker{id: id, inst: inst, dir: dir, props: filepath.Join(dir, workerPropsFile), pidFile: filepath.Join(dir, "pid"), kind: "connect worker"}
		inst.workers[id] = w
	}
	if w.restart == nil { // set before the worker is supervised, which alone reads it
		w.restart = func() (*proc, error) { return e.restartWorker(w) }
	}
	return w
}

// registerWorkerDirs makes inst know every connect/worker-<id> directory under dataDir (workers of
// an earlier dmsd, or of a spec that had more), so they are stopped with the instance. Such an
// entry gets its restart function when EnsureConnect supervises it (workerOf).
func registerWorkerDirs(inst *instance, dataDir string) {
	ents, err := os.ReadDir(connectDir(dataDir))
	if err != nil {
		return
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	for _, ent := range ents {
		if n, ok := strings.CutPrefix(ent.Name(), "worker-"); ok && ent.IsDir() {
			if id, err := strconv.Atoi(n); err == nil && id >= 0 && inst.workers[int32(id)] == nil {
				dir := workerDir(dataDir, int32(id))
				inst.workers[int32(id)] = &broker{id: int32(id), inst: inst, dir: dir, props: filepath.Join(dir, workerPropsFile), pidFile: filepath.Join(dir, "pid"), kind: "connect worker"}
			}
		}
	}
}

// EnsureConnect starts or adopts every worker of spec and stops the workers no longer in it.
func (e *Engine) EnsureConnect(ctx context.Context, spec engine.ConnectSpec) error {
	spec, err := normalizeConnect(spec)
	if err != nil {
		return err
	}
	inst, release, err := e.acquire(ctx, spec.InstanceID, spec.DataDir, true)
	if err != nil {
		return err
	}
	defer release()
	inst.mu.Lock()
	if inst.spec.DataDir == "" {
		inst.spec.DataDir = spec.DataDir // Stop and Delete find the workers from it
	}
	inst.connect = spec
	inst.mu.Unlock()
	registerWorkerDirs(inst, spec.DataDir)

	// Workers dropped from the spec: stopped and their directories removed.
	keep := map[int32]bool{}
	for _, w := range spec.Workers {
		keep[w.ID] = true
	}
	if gone := e.stopWorkers(inst, keep, e.opts.StopTimeout); len(gone) > 0 {
		inst.mu.Lock()
		for _, id := range gone {
			delete(inst.workers, id)
		}
		inst.mu.Unlock()
		for _, id := range gone {
			_ = os.RemoveAll(workerDir(spec.DataDir, id))
		}
	}

	if err := writeConnectShared(spec); err != nil {
		return fmt.Errorf("local engine: instance %s connect: %w", spec.InstanceID, err)
	}
	var toStart []*broker
	for _, sw := range spec.Workers {
		w := e.workerOf(inst, sw.ID, spec.DataDir)
		if w.supervised() {
			continue
		}
		if p := e.adopt(w); p != nil {
			e.log.Info("adopted running connect worker", "instance", spec.InstanceID, "worker", w.id, "pid", p.pid)
			e.supervise(w, p)
			continue
		}
		if err := checkPortsFree(sw.Host, []int{engine.PortConnectREST}); err != nil {
			return fmt.Errorf("local engine: instance %s connect worker %d: %w", spec.InstanceID, sw.ID, err)
		}
		toStart = append(toStart, w)
	}
	if len(toStart) == 0 {
		return nil
	}
	rt, err := e.connectRuntime(ctx, spec.KafkaVersion)
	if err != nil {
		return err
	}
	for _, w := range toStart {
		p, err := e.startWorker(rt, spec, w)
		if err != nil {
			return err
		}
		e.log.Info("started connect worker", "instance", spec.InstanceID, "worker", w.id, "pid", p.pid, "host", workerHost(spec, w.id))
		e.supervise(w, p)
	}
	return nil
}

func workerHost(spec engine.ConnectSpec, id int32) string {
	for _, w := range spec.Workers {
		if w.ID == id {
			return w.Host
		}
	}
	return ""
}

// writeConnectShared creates connect/ and connect/files (0700) and writes the TLS files.
func writeConnectShared(spec engine.ConnectSpec) error {
	if err := privateDir(spec.DataDir); err != nil {
		return err
	}
	if err := privateDir(connectFilesDir(spec.DataDir)); err != nil {
		return err
	}
	if _, err := restPassword(spec.DataDir); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(connectDir(spec.DataDir), restJAASFile), []byte(restJAAS(filepath.Join(connectDir(spec.DataDir), restUsersFile))), 0o600); err != nil {
		return err
	}
	if spec.TLS == nil {
		return nil
	}
	tdir := connectTLSDir(spec.DataDir)
	if err := privateDir(tdir); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(tdir, "keystore.pem"), spec.TLS.KeystorePEM, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(tdir, "ca.pem"), spec.TLS.CACertPEM, 0o600)
}

// startWorker writes worker w's files from spec, starts its JVM and records its pid.
func (e *Engine) startWorker(rt connectRuntime, spec engine.ConnectSpec, w *broker) (*proc, error) {
	var sw engine.ConnectWorker
	for _, x := range spec.Workers {
		if x.ID == w.id {
			sw = x
		}
	}
	if err := privateDir(w.dir); err != nil {
		return nil, fmt.Errorf("local engine: connect worker %d: %w", w.id, err)
	}
	if err := writeFileAtomic(w.props, workerProperties(spec, sw), 0o600); err != nil {
		return nil, fmt.Errorf("local engine: connect worker %d: %w", w.id, err)
	}
	logCfg := filepath.Join(w.dir, "log4j2.properties")
	if err := writeFileAtomic(logCfg, []byte(connectLog4j2), 0o600); err != nil {
		return nil, fmt.Errorf("local engine: connect worker %d: %w", w.id, err)
	}
	heap := spec.HeapMB
	if heap <= 0 {
		heap = DefaultConnectHeapMB
	}
	args := []string{fmt.Sprintf("-Xms%dm", min(256, heap)), fmt.Sprintf("-Xmx%dm", heap)}
	args = append(args, e.opts.JVMFlags...)
	sandbox, err := jvmSandbox(w.dir)
	if err != nil {
		return nil, fmt.Errorf("local engine: connect worker %d: %w", w.id, err)
	}
	args = append(args, sandbox...)
	args = append(args,
		"-Dlog4j2.configurationFile="+logCfg,
		"-Dkafka.logs.dir="+w.dir,
		"-Dopendms.instance="+spec.InstanceID,
		"-Djava.security.auth.login.config="+filepath.Join(connectDir(spec.DataDir), restJAASFile),
		"-cp", rt.cp.String(),
		connectMainClass, w.props)
	out, err := openLog(w.dir, "stdout.log")
	if err != nil {
		return nil, fmt.Errorf("local engine: connect worker %d: %w", w.id, err)
	}
	defer out.Close()
	cmd := exec.Command(rt.java, args...)
	cmd.Dir = w.dir
	cmd.Env = childEnv(e.opts.JavaHome)
	cmd.Stdout, cmd.Stderr = out, out
	p, err := startProc(cmd, w.props)
	if err != nil {
		return nil, fmt.Errorf("local engine: starting connect worker %d: %w", w.id, err)
	}
	if err := writePidFile(w.pidFile, p.pid); err != nil {
		p.terminate(e.opts.StopTimeout)
		return nil, fmt.Errorf("local engine: connect worker %d pid file: %w", w.id, err)
	}
	return p, nil
}

// restartWorker is the supervisor's way to start w again from the instance's current ConnectSpec.
func (e *Engine) restartWorker(w *broker) (*proc, error) {
	w.inst.mu.Lock()
	spec := w.inst.connect
	w.inst.mu.Unlock()
	host := workerHost(spec, w.id)
	if host == "" {
		return nil, fmt.Errorf("local engine: connect worker %d is not in the instance's connect spec", w.id)
	}
	if err := checkPortsFree(host, []int{engine.PortConnectREST}); err != nil {
		return nil, fmt.Errorf("local engine: connect worker %d: %w", w.id, err)
	}
	rt, err := e.connectRuntime(e.ctx, spec.KafkaVersion)
	if err != nil {
		return nil, err
	}
	if err := writeConnectShared(spec); err != nil {
		return nil, err
	}
	return e.startWorker(rt, spec, w)
}

// stopWorkers stops the workers of inst whose id is not in keep (nil: all), supervised or adopted
// from their pid files, each with timeout as its graceful bound, and returns their ids.
func (e *Engine) stopWorkers(inst *instance, keep map[int32]bool, timeout time.Duration) []int32 {
	inst.mu.Lock()
	dataDir := inst.connect.DataDir
	if dataDir == "" {
		dataDir = inst.spec.DataDir
	}
	inst.mu.Unlock()
	if dataDir != "" {
		registerWorkerDirs(inst, dataDir)
	}
	inst.mu.Lock()
	var ws []*broker
	for id, w := range inst.workers {
		if !keep[id] {
			ws = append(ws, w)
		}
	}
	inst.mu.Unlock()
	var wg sync.WaitGroup
	ids := make([]int32, len(ws))
	for i, w := range ws {
		ids[i] = w.id
		wg.Go(func() {
			if w.supervised() {
				w.stopSupervising(true, timeout)
			} else if p := e.adopt(w); p != nil {
				p.terminate(timeout)
				p.release()
			}
			_ = os.Remove(w.pidFile)
		})
	}
	wg.Wait()
	return ids
}

// StopConnect stops the instance's workers gracefully (they leave the group) and keeps their
// directories. Workers of an instance unknown to this engine are ErrUnknownInstance.
func (e *Engine) StopConnect(ctx context.Context, instanceID string) error {
	inst, release, err := e.acquireKnown(ctx, instanceID)
	if err != nil {
		return err
	}
	defer release()
	e.stopWorkers(inst, nil, e.opts.StopTimeout)
	return nil
}

// DeleteConnect kills the workers of spec's instance (also ones this engine never supervised,
// found from connect/worker-<id>/pid) and removes DataDir/connect.
func (e *Engine) DeleteConnect(ctx context.Context, spec engine.ConnectSpec) error {
	if spec.InstanceID == "" {
		return errors.New("local engine: DeleteConnect needs InstanceID")
	}
	d, err := absDataDir(spec.DataDir)
	if err != nil {
		return err
	}
	inst, release, err := e.acquire(ctx, spec.InstanceID, d, true)
	if err != nil {
		return err
	}
	defer release()
	registerWorkerDirs(inst, d)
	// SIGKILL: the workers' state goes with their topics, which the caller deletes.
	e.stopWorkers(inst, nil, 0)
	inst.mu.Lock()
	inst.workers = map[int32]*broker{}
	inst.connect = engine.ConnectSpec{}
	inst.mu.Unlock()
	if err := os.RemoveAll(connectDir(d)); err != nil {
		return fmt.Errorf("local engine: removing %s: %w", connectDir(d), err)
	}
	e.log.Info("deleted connect workers", "instance", spec.InstanceID)
	return nil
}

// ConnectStatus reports the instance's workers by id.
func (e *Engine) ConnectStatus(ctx context.Context, instanceID string) ([]engine.BrokerState, error) {
	e.mu.Lock()
	inst := e.instances[instanceID]
	e.mu.Unlock()
	if inst == nil {
		return nil, fmt.Errorf("%w: %s", engine.ErrUnknownInstance, instanceID)
	}
	inst.mu.Lock()
	ws := make([]*broker, 0, len(inst.workers))
	for _, w := range inst.workers {
		ws = append(ws, w)
	}
	inst.mu.Unlock()
	if len(ws) == 0 {
		return nil, fmt.Errorf("%w: %s has no connect workers", engine.ErrUnknownInstance, instanceID)
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].id < ws[j].id })
	out := make([]engine.BrokerState, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.state())
	}
	return out, nil
}

// ConnectRESTURLs are the workers' REST base URLs in spec order, with the REST API's basic-auth
// credentials as their user info ("http://opendms:<password>@127.x.y.z:8083"; net/http sends them).
// They are secrets: never log or return them (url.URL.Redacted hides the password). The password is
// made on first use and kept in DataDir/connect/rest-users.properties; when it cannot be read or
// made, the URLs have no credentials (and the workers answer 401).
func (e *Engine) ConnectRESTURLs(spec engine.ConnectSpec) []string {
	var user *url.Userinfo
	if d, err := filepath.Abs(spec.DataDir); err == nil && spec.DataDir != "" {
		if pw, err := restPassword(d); err == nil {
			user = url.UserPassword(ConnectRESTUser, pw)
		} else {
			e.log.Error("connect REST credentials", "instance", spec.InstanceID, "err", err)
		}
	}
	out := make([]string, len(spec.Workers))
	for i, w := range spec.Workers {
		u := url.URL{Scheme: "http", User: user, Host: net.JoinHostPort(w.Host, strconv.Itoa(engine.PortConnectREST))}
		out[i] = u.String()
	}
	return out
}

// restPassword returns the REST API's password from dataDir/connect/rest-users.properties, making
// the file (a random password, mode 0600) when it does not exist.
func restPassword(dataDir string) (string, error) {
	if err := privateDir(connectDir(dataDir)); err != nil {
		return "", err
	}
	path := filepath.Join(connectDir(dataDir), restUsersFile)
	for range 2 {
		data, err := os.ReadFile(path)
		if err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if pw, ok := strings.CutPrefix(line, ConnectRESTUser+"="); ok && pw != "" {
					return pw, nil
				}
			}
			return "", fmt.Errorf("local engine: %s has no password for %s", path, ConnectRESTUser)
		}
		if !os.IsNotExist(err) {
			return "", err
		}
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		// Written whole under a temp name, then linked: of two callers making it at once, one
		// wins and the other reads its password, never a half-written file.
		f, err := os.CreateTemp(connectDir(dataDir), "."+restUsersFile+".*.tmp")
		if err != nil {
			return "", err
		}
		_, err = fmt.Fprintf(f, "# Written by OpenDMS: the Connect workers' REST API user (basic authentication).\n%s=%s\n", ConnectRESTUser, hex.EncodeToString(b))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			if err = os.Link(f.Name(), path); os.IsExist(err) {
				err = nil
			}
		}
		os.Remove(f.Name())
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("local engine: cannot read %s", path)
}

// ConnectClientProps are bootstrap.servers, security.protocol and the ssl.* file settings with
// which a client reaches the instance as the workers do.
func (e *Engine) ConnectClientProps(spec engine.ConnectSpec) map[string]string {
	if d, err := filepath.Abs(spec.DataDir); err == nil {
		spec.DataDir = d
	}
	out := map[string]string{}
	for _, p := range connectClientProps(spec) {
		out[p.k] = p.v
	}
	return out
}

// WriteConnectProps writes props as a properties file with WriteConnectFile, keys sorted.
func (e *Engine) WriteConnectProps(spec engine.ConnectSpec, name string, props map[string]string) (string, error) {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(props)) {
		b.WriteString(escapeProp(k, true) + "=" + escapeProp(props[k], false) + "\n")
	}
	return e.WriteConnectFile(spec, name, []byte(b.String()))
}

// WriteConnectFile writes DataDir/connect/files/<name> atomically with mode 0600.
func (e *Engine) WriteConnectFile(spec engine.ConnectSpec, name string, data []byte) (string, error) {
	dir, err := connectFilesDirOf(spec)
	if err != nil {
		return "", err
	}
	if err := validConnectFileName(name); err != nil {
		return "", err
	}
	if err := privateDir(dir); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp") // 0600; dot names are never a connect file
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name()) // gone after the rename
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	path := filepath.Join(dir, name)
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("local engine: writing connect file %s: %w", name, err)
	}
	return path, nil
}

// RemoveConnectFile removes DataDir/connect/files/<name>; a missing one is not an error.
func (e *Engine) RemoveConnectFile(spec engine.ConnectSpec, name string) error {
	dir, err := connectFilesDirOf(spec)
	if err != nil {
		return err
	}
	if err := validConnectFileName(name); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func connectFilesDirOf(spec engine.ConnectSpec) (string, error) {
	d, err := absDataDir(spec.DataDir)
	if err != nil {
		return "", err
	}
	if err := privateDir(connectDir(d)); err != nil {
		return "", err
	}
	return connectFilesDir(d), nil
}
