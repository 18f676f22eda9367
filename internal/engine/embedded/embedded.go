package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/opendms/opendms/internal/engine"
)

// Name is the engine's name.
const Name = "embedded"

// Defaults.
const (
	// DefaultNumPartitions is the partition count of auto-created topics (and of CreateTopics with
	// -1 partitions) unless the spec's BrokerConfigs set num.partitions: DMS's default.
	DefaultNumPartitions = 3
	// DefaultRetentionInterval is how often the engine applies retention and compaction to every
	// topic of a running cluster.
	DefaultRetentionInterval = 30 * time.Second
	// CleanerBackoffMS is the engine's log.cleaner.backoff.ms (kfake's default is one hour): the
	// period of kfake's own retention/compaction ticker. The spec's BrokerConfigs may override it.
	CleanerBackoffMS = "5000"
)

// ErrClosed is returned by every call made after Close.
var ErrClosed = errors.New("embedded engine: closed")

// Options configure an Engine. The zero value is usable.
type Options struct {
	// Logger receives the engine's and kfake's logs (kfake's informational request logs at Debug).
	// nil discards them.
	Logger *slog.Logger
	// RetentionInterval is how often the engine applies retention.ms/retention.bytes (topic or
	// broker level, 7 days by default as in Kafka) and compaction to every topic of every running
	// cluster. 0 means DefaultRetentionInterval; negative disables it (kfake's own ticker then
	// only covers topics with topic-level retention or compact configs, and only until a reload).
	RetentionInterval time.Duration
	// SyncWrites makes kfake fsync every produced batch (Kafka's default, which this engine keeps
	// otherwise, relies on the page cache and fsyncs on segment roll and Close).
	SyncWrites bool
}

// Engine runs one kfake cluster per instance. It is safe for concurrent use: the calls for one
// instance are serialized, calls for different instances run independently.
type Engine struct {
	opts Options
	log  *slog.Logger

	mu        sync.Mutex
	instances map[string]*instance
	closed    atomic.Bool
}

var _ engine.Engine = (*Engine)(nil)

// instance is the engine's record of one instance. sem (capacity 1) serializes the calls for it;
// every field below it is guarded by holding sem.
type instance struct {
	id  string
	sem chan struct{}

	gone bool // removed from Engine.instances by Delete; lockers must look it up again

	cluster  *kfake.Cluster // nil when nothing runs
	spec     engine.Spec    // what cluster runs (opened with, or grown to by AddNode)
	plan     *listenPlan    // the brokers kfake's listen function binds, in node order
	since    time.Time
	lastExit string
	stopTick chan struct{}
	tickDone chan struct{}

	// rejectReason is set while the produce gate is closed (capacity.go); read by kfake's loop.
	rejectReason atomic.Pointer[string]
}

// New returns an engine that runs nothing yet.
func New(opts Options) *Engine {
	if opts.RetentionInterval == 0 {
		opts.RetentionInterval = DefaultRetentionInterval
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{
		opts:      opts,
		log:       log.With("engine", Name),
		instances: make(map[string]*instance),
	}
}

// Name returns "embedded".
func (*Engine) Name() string { return Name }

// Capabilities of kfake clusters: one copy of the data, no reassignment, no quota enforcement, one
// listener, no runtime PLAIN users, no broker processes; brokers can be added at runtime
// (kfake's AddNode: the running nodes keep serving).
func (*Engine) Capabilities() engine.Capabilities {
	// ProduceReject: kfake answers produce requests through a control function (capacity.go).
	// No LogSegments: kfake keeps no segment files; time_base trims by estimated offsets.
	return engine.Capabilities{AddBrokers: true, ProduceReject: true}
}

// addedBrokers returns the brokers b has beyond a when b only appends brokers to a (everything else
// the same): those a running kfake cluster can add without a reopen.
func addedBrokers(a, b engine.Spec) []engine.Broker {
	if len(b.Brokers) <= len(a.Brokers) || !slices.Equal(a.Brokers, b.Brokers[:len(a.Brokers)]) ||
		a.DataDir != b.DataDir || a.AutoCreateTopics != b.AutoCreateTopics || !maps.Equal(a.BrokerConfigs, b.BrokerConfigs) {
		return nil
	}
	return b.Brokers[len(a.Brokers):]
}

// addNodes adds brokers to inst's running cluster, one kfake node each on its spec host; inst.sem is
// held. A node that cannot listen fails the call and leaves the nodes added before it running (the
// spec records them): a retry adds the rest.
func (e *Engine) addNodes(inst *instance, spec engine.Spec, added []engine.Broker) error {
	for _, b := range added {
		inst.plan.set(spec.Brokers, len(inst.spec.Brokers)) // the next node kfake listens for is b
		if _, _, err := inst.cluster.AddNode(b.ID, 0); err != nil {
			return fmt.Errorf("embedded: instance %s: adding broker %d: %w", spec.InstanceID, b.ID, err)
		}
		grown := cloneSpec(inst.spec)
		grown.Brokers = append(grown.Brokers, b)
		inst.spec = grown
		e.log.Info("broker added", "instance", spec.InstanceID, "broker", b.ID, "host", b.Host)
	}
	inst.spec = cloneSpec(spec)
	return nil
}

// lock returns the instance record of id with its semaphore held, creating the record if create is
// set. It returns (nil, nil) for an unknown id when create is not set.
func (e *Engine) lock(ctx context.Context, id string, create bool) (*instance, error) {
	for {
		if e.closed.Load() {
			return nil, ErrClosed
		}
		e.mu.Lock()
		inst := e.instances[id]
		if inst == nil {
			if !create {
				e.mu.Unlock()
				return nil, nil
			}
			inst = &instance{id: id, sem: make(chan struct{}, 1)}
			e.instances[id] = inst
		}
		e.mu.Unlock()

		select {
		case inst.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if inst.gone {
			<-inst.sem
			continue
		}
		if e.closed.Load() {
			<-inst.sem
			return nil, ErrClosed
		}
		return inst, nil
	}
}

func (inst *instance) unlock() { <-inst.sem }

// Ensure opens the instance's cluster if none runs, or closes and reopens it on the same data if
// the spec changed in a way kfake can only take at creation (broker count or hosts, auto topic
// creation, static broker configs, data dir). It returns once every broker listens.
func (e *Engine) Ensure(ctx context.Context, spec engine.Spec) error {
	if err := validate(spec); err != nil {
		return err
	}
	inst, err := e.lock(ctx, spec.InstanceID, true)
	if err != nil {
		return err
	}
	defer inst.unlock()

	if inst.cluster != nil {
		if !needsReopen(inst.spec, spec) {
			if inst.spec.ClusterID != spec.ClusterID {
				e.log.Warn("cluster id change ignored: kfake keeps the persisted one",
					"instance", spec.InstanceID, "running", inst.spec.ClusterID, "spec", spec.ClusterID)
			}
			inst.spec = cloneSpec(spec)
			return nil
		}
		if added := addedBrokers(inst.spec, spec); len(added) > 0 {
			return e.addNodes(inst, spec, added)
		}
		e.log.Info("spec changed, reopening cluster", "instance", spec.InstanceID)
		e.closeCluster(inst, "closed to apply a changed spec")
	}
	return e.openCluster(inst, spec)
}

// RestartBroker restarts the whole cluster with spec: kfake brokers share one process state and
// cannot restart one by one. The cluster is closed (its full state is written), then reopened on
// the same data dir; clients see every connection of the instance drop once. If nothing ran for
// the instance it is simply started.
func (e *Engine) RestartBroker(ctx context.Context, spec engine.Spec, brokerID int32) error {
	if err := validate(spec); err != nil {
		return err
	}
	if brokerID < 0 || int(brokerID) >= len(spec.Brokers) {
		return fmt.Errorf("embedded: instance %s has no broker %d", spec.InstanceID, brokerID)
	}
	inst, err := e.lock(ctx, spec.InstanceID, true)
	if err != nil {
		return err
	}
	defer inst.unlock()

	if inst.cluster != nil {
		e.closeCluster(inst, fmt.Sprintf("closed to restart broker %d (whole cluster)", brokerID))
	}
	return e.openCluster(inst, spec)
}

// Stop closes the instance's cluster; its data stays for the next Ensure. Stopping an instance the
// engine runs nothing for is not an error.
func (e *Engine) Stop(ctx context.Context, instanceID string) error {
	inst, err := e.lock(ctx, instanceID, false)
	if err != nil || inst == nil {
		return err
	}
	defer inst.unlock()
	if inst.cluster != nil {
		e.closeCluster(inst, "stopped")
		e.log.Info("cluster stopped", "instance", instanceID)
	}
	return nil
}

// Delete closes the instance's cluster if it runs and removes spec.DataDir.
func (e *Engine) Delete(ctx context.Context, spec engine.Spec) error {
	if spec.InstanceID == "" {
		return errors.New("embedded: spec has no instance id")
	}
	if err := checkDataDir(spec.DataDir); err != nil {
		return err
	}
	inst, err := e.lock(ctx, spec.InstanceID, true)
	if err != nil {
		return err
	}
	defer inst.unlock()
	if inst.cluster != nil {
		e.closeCluster(inst, "deleted")
	}
	if err := os.RemoveAll(spec.DataDir); err != nil {
		return fmt.Errorf("embedded: delete instance %s: %w", spec.InstanceID, err)
	}
	e.mu.Lock()
	if e.instances[spec.InstanceID] == inst {
		delete(e.instances, spec.InstanceID)
	}
	inst.gone = true
	e.mu.Unlock()
	e.log.Info("cluster deleted", "instance", spec.InstanceID, "data_dir", spec.DataDir)
	return nil
}

// Status reports every broker Running with PID 0 while the cluster is open; ErrUnknownInstance
// when nothing runs for the instance.
// ControlAddrs are the brokers' only listener, PLAINTEXT on 9092 (kfake has one listener per
// broker, and this engine runs no SASL clusters).
func (e *Engine) ControlAddrs(spec engine.Spec) []string {
	return engine.Addrs(spec, engine.PortPlaintext)
}

func (e *Engine) Status(ctx context.Context, instanceID string) ([]engine.BrokerState, error) {
	inst, err := e.lock(ctx, instanceID, false)
	if err != nil {
		return nil, err
	}
	if inst == nil {
		return nil, engine.ErrUnknownInstance
	}
	defer inst.unlock()
	if inst.cluster == nil {
		return nil, engine.ErrUnknownInstance
	}
	out := make([]engine.BrokerState, len(inst.spec.Brokers))
	for i, b := range inst.spec.Brokers {
		out[i] = engine.BrokerState{ID: b.ID, Running: true, Since: inst.since, LastExit: inst.lastExit}
	}
	return out, nil
}

// Close closes every cluster (their data stays) and makes every later call fail with ErrClosed.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.mu.Lock()
	insts := slices.Collect(maps.Values(e.instances))
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, inst := range insts {
		wg.Go(func() {
			inst.sem <- struct{}{}
			defer inst.unlock()
			if inst.cluster != nil {
				e.closeCluster(inst, "engine closed")
			}
		})
	}
	wg.Wait()
	return nil
}

// openCluster opens spec's cluster on its data dir; inst.sem is held and inst.cluster is nil.
func (e *Engine) openCluster(inst *instance, spec engine.Spec) error {
	start := time.Now()
	c, plan, err := e.newCluster(spec)
	if err != nil {
		return fmt.Errorf("embedded: start instance %s: %w", spec.InstanceID, err)
	}
	gateProduce(c, inst)
	inst.cluster, inst.plan = c, plan
	inst.spec = cloneSpec(spec)
	inst.since = time.Now()
	if e.opts.RetentionInterval > 0 {
		inst.stopTick = make(chan struct{})
		inst.tickDone = make(chan struct{})
		go retentionLoop(c, e.opts.RetentionInterval, inst.stopTick, inst.tickDone)
	}
	e.log.Info("cluster started", "instance", spec.InstanceID, "brokers", len(spec.Brokers),
		"auto_create_topics", spec.AutoCreateTopics, "took", time.Since(start))
	return nil
}

// closeCluster closes inst's running cluster; inst.sem is held. kfake writes its state on Close.
func (e *Engine) closeCluster(inst *instance, why string) {
	if inst.stopTick != nil {
		// The loop must be out of kfake before Close: a kfake admin call on a closed cluster
		// blocks forever.
		close(inst.stopTick)
		<-inst.tickDone
		inst.stopTick, inst.tickDone = nil, nil
	}
	start := time.Now()
	inst.cluster.Close()
	inst.cluster = nil
	inst.lastExit = why
	e.log.Debug("cluster closed", "instance", inst.id, "why", why, "took", time.Since(start))
}

func retentionLoop(c *kfake.Cluster, every time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			c.Compact() // compaction of compact topics and retention of every topic
		}
	}
}

// newCluster builds the kfake cluster of spec.
func (e *Engine) newCluster(spec engine.Spec) (*kfake.Cluster, *listenPlan, error) {
	if err := os.MkdirAll(spec.DataDir, 0o750); err != nil {
		return nil, nil, err
	}
	kdir := filepath.Join(spec.DataDir, kfakeDir)
	log := e.log.With("instance", spec.InstanceID)

	static := staticBrokerConfigs(spec)
	st, err := readState(spec.DataDir)
	if err != nil {
		return nil, nil, err
	}
	var removed []string
	for _, k := range st.StaticBrokerConfigs {
		if _, ok := static[k]; !ok {
			removed = append(removed, k)
		}
	}
	if err := dropPersistedBrokerConfigs(kdir, removed); err != nil {
		return nil, nil, err
	}
	if id, ok := persistedClusterID(kdir); ok && id != spec.ClusterID {
		log.Warn("kfake keeps the persisted cluster id, not the spec's", "persisted", id, "spec", spec.ClusterID)
	}

	nparts := DefaultNumPartitions
	if v, err := strconv.Atoi(spec.BrokerConfigs["num.partitions"]); err == nil && v > 0 {
		nparts = v
	}

	// kfake calls the listen function once per broker, in node order, from NewCluster and from
	// AddNode (addNodes); the address it passes is 127.0.0.1:0 and ignored.
	plan := &listenPlan{brokers: slices.Clone(spec.Brokers)}
	listen := func(network, _ string) (net.Listener, error) {
		b, ok := plan.take()
		if !ok {
			return nil, errors.New("no further broker in the spec")
		}
		addr := net.JoinHostPort(b.Host, strconv.Itoa(engine.PortPlaintext))
		ln, err := net.Listen(network, addr)
		if err != nil {
			return nil, fmt.Errorf("broker %d: %w", b.ID, err)
		}
		return &listener{Listener: ln, addr: advertised(addr), log: log.With("broker", b.ID)}, nil
	}

	opts := []kfake.Opt{
		kfake.NumBrokers(len(spec.Brokers)),
		kfake.ListenFn(listen),
		kfake.DataDir(kdir),
		kfake.ClusterID(spec.ClusterID),
		kfake.DefaultNumPartitions(nparts),
		kfake.BrokerConfigs(static),
		kfake.WithLogger(kfakeLogger{log.With("component", "kfake")}),
	}
	if spec.AutoCreateTopics {
		opts = append(opts, kfake.AllowAutoTopicCreation())
	}
	if e.opts.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, nil, err
	}
	if err := writeState(spec.DataDir, state{StaticBrokerConfigs: slices.Sorted(maps.Keys(static))}); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, plan, nil
}

// listenPlan is the brokers kfake's listen function binds, in node order: set grows it before
// AddNode. kfake calls the function from its own goroutine while NewCluster or AddNode waits.
type listenPlan struct {
	mu      sync.Mutex
	brokers []engine.Broker
	next    int
}

func (p *listenPlan) take() (engine.Broker, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= len(p.brokers) {
		return engine.Broker{}, false
	}
	b := p.brokers[p.next]
	p.next++
	return b, true
}

func (p *listenPlan) set(brokers []engine.Broker, next int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.brokers, p.next = slices.Clone(brokers), next
}

// staticBrokerConfigs are the engine's defaults overlaid with the spec's.
func staticBrokerConfigs(spec engine.Spec) map[string]string {
	m := map[string]string{"log.cleaner.backoff.ms": CleanerBackoffMS}
	maps.Copy(m, spec.BrokerConfigs)
	return m
}

// needsReopen says whether going from the running spec a to b takes a new kfake cluster.
func needsReopen(a, b engine.Spec) bool {
	return a.DataDir != b.DataDir ||
		a.AutoCreateTopics != b.AutoCreateTopics ||
		!slices.Equal(a.Brokers, b.Brokers) ||
		!maps.Equal(a.BrokerConfigs, b.BrokerConfigs)
}

func cloneSpec(s engine.Spec) engine.Spec {
	s.Brokers = slices.Clone(s.Brokers)
	s.BrokerConfigs = maps.Clone(s.BrokerConfigs)
	return s
}

func validate(spec engine.Spec) error {
	if spec.InstanceID == "" {
		return errors.New("embedded: spec has no instance id")
	}
	if err := checkDataDir(spec.DataDir); err != nil {
		return err
	}
	if len(spec.Brokers) == 0 {
		return fmt.Errorf("embedded: instance %s: spec has no brokers", spec.InstanceID)
	}
	for i, b := range spec.Brokers {
		if b.ID != int32(i) {
			return fmt.Errorf("embedded: instance %s: broker %d has id %d: kfake numbers nodes 0..n-1 in order",
				spec.InstanceID, i, b.ID)
		}
		if b.Host == "" {
			return fmt.Errorf("embedded: instance %s: broker %d has no host", spec.InstanceID, b.ID)
		}
	}
	return nil
}

func checkDataDir(dir string) error {
	if dir == "" {
		return errors.New("embedded: spec has no data dir")
	}
	clean := filepath.Clean(dir)
	if clean == "/" || clean == "." || clean == filepath.VolumeName(clean)+string(filepath.Separator) {
		return fmt.Errorf("embedded: refusing data dir %q", dir)
	}
	return nil
}

// advertised is the address a broker advertises: Host:9092 as the spec spells it.
type advertised string

func (advertised) Network() string  { return "tcp" }
func (a advertised) String() string { return string(a) }

// listener advertises the spec's Host:9092 and keeps accepting after transient Accept errors
// (EMFILE and the like): kfake's accept loop returns on the first error, which would leave the
// broker deaf for the rest of the cluster's life.
type listener struct {
	net.Listener
	addr advertised
	log  *slog.Logger
}

func (l *listener) Addr() net.Addr { return l.addr }

func (l *listener) Accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			return c, nil
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
		l.log.Warn("accept failed, retrying", "err", err, "in", backoff)
		time.Sleep(backoff)
	}
}

// kfakeLogger sends kfake's logs to slog; kfake logs every failed request at Info, which is Debug
// for dmsd.
type kfakeLogger struct{ l *slog.Logger }

func (k kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	var lv slog.Level
	switch level {
	case kfake.LogLevelNone:
		return
	case kfake.LogLevelError:
		lv = slog.LevelError
	case kfake.LogLevelWarn:
		lv = slog.LevelWarn
	default:
		lv = slog.LevelDebug
	}
	if !k.l.Enabled(context.Background(), lv) {
		return
	}
	k.l.Log(context.Background(), lv, fmt.Sprintf(format, args...))
}
