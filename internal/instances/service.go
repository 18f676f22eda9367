// Package instances is the service behind the instance APIs (5.1, 5.2.6, 5.2.7, 5.9, 5.10 and the
// V1 forms): it validates requests, keeps instances in the store, runs their clusters through an
// engine, and does every long operation as a durable background task.
package instances

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/keyed"
	"github.com/opendms/opendms/internal/schedule"
	"github.com/opendms/opendms/internal/store"
	"github.com/opendms/opendms/internal/tasks"
)

// Config tunes the service.
type Config struct {
	// DataDir holds one directory per instance (the engines' data).
	DataDir string
	// IPPool is the prefix broker IPs come from (default 127.20.0.0/16).
	IPPool string
	// KafkaBuilds maps engine_version (1.1.0, 2.7, 3.x) to the Kafka build that serves it. Every
	// version defaults to DefaultKafkaBuild: Kafka 4.x serves clients of all of them.
	KafkaBuilds map[string]string
	// HeapMB is the JVM heap of a broker of the local engine (default: the engine's);
	// HeapMBByProduct overrides it per product_id (bigger flavors, bigger heaps).
	HeapMB          int
	HeapMBByProduct map[string]int
	// ReadyTimeout bounds waiting for all brokers to register after a start (default 5 min).
	ReadyTimeout time.Duration
	// SyncTimeout bounds waiting, after a broker of a rolling restart is back, until every
	// partition is in sync again (default 30 min: a broker catches up on what it missed).
	SyncTimeout time.Duration
	// MaxInstancesPerProject is the instance quota of a project (default 20).
	MaxInstancesPerProject int
	// MonitorInterval is how often running instances are health-checked (default 10 s).
	MonitorInterval time.Duration
	// BytesPerStorageGB is how many bytes one GB of storage_space is (default 1 GiB): a testing
	// knob, so that an instance of 300 "GB" fills with a few MB (storage.go).
	BytesPerStorageGB int64
}

// DefaultKafkaBuild is the Kafka build every engine_version maps to unless configured.
const DefaultKafkaBuild = "4.3.1"

// Service is the instance service.
type Service struct {
	cfg     Config
	store   store.Store
	engines map[string]engine.Engine
	engine  string // the engine of new instances
	cat     *catalog.Catalog
	runner  *tasks.Runner
	sched   *schedule.Service // nil: no scheduled work (SetScheduler)
	sealer  *iam.Sealer
	log     *slog.Logger
	pool    ipPool
	now     func() time.Time

	// mu serializes read-modify-write of instance records (handlers and tasks both change them).
	mu sync.Mutex

	records *records // instance records by id, written through

	clientsMu   sync.Mutex
	clients     map[string]*kafkaops.Client
	dataClients map[string]dataClient // the data path's, where it differs (dataclient.go)
	gone        map[string]bool       // ids of deleted instances: no client for them (forgetClient)
	plainLocks  keyed.Mutex           // by instance id: writes of its PLAIN users file

	// retryDelays are the pauses between attempts of the idempotent steps a task takes against a
	// cluster that has just (re)started (default configs, the SASL administrator).
	retryDelays []time.Duration
	// adminStep gives a SASL instance's administrator its credential (ensureAdmin; tests replace it
	// to inject failures).
	adminStep func(ctx context.Context, in dms.Instance) error

	usage sync.Map // instance id -> int64 bytes on disk, refreshed by the monitor

	brokersAdded BrokersAddedHook // told about brokers a horizontal extension added (nil: none)
	deletionHook DeletionHook     // told about an instance being deleted (nil: none)
	connectCerts sync.Map         // instance id -> connectCert: the Connect workers' keystore
	// connectorAtCreation enables Smart Connect on instances created with connector_enable (nil: none)
	connectorAtCreation CreatedHook

	stop chan struct{}
	wg   sync.WaitGroup
}

// New makes the service. engines holds every engine that can run clusters here (an instance keeps
// the engine it was created with); defaultEngine names the one new instances get.
func New(cfg Config, st store.Store, engines map[string]engine.Engine, defaultEngine string, cat *catalog.Catalog,
	runner *tasks.Runner, sealer *iam.Sealer, log *slog.Logger) (*Service, error) {
	if cfg.IPPool == "" {
		cfg.IPPool = "127.20.0.0/16"
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 5 * time.Minute
	}
	if cfg.SyncTimeout == 0 {
		cfg.SyncTimeout = 30 * time.Minute
	}
	if cfg.MaxInstancesPerProject == 0 {
		cfg.MaxInstancesPerProject = 20
	}
	if cfg.MonitorInterval == 0 {
		cfg.MonitorInterval = 10 * time.Second
	}
	if cfg.KafkaBuilds == nil {
		cfg.KafkaBuilds = map[string]string{}
	}
	for _, v := range cat.Versions() {
		if cfg.KafkaBuilds[v] == "" {
			cfg.KafkaBuilds[v] = DefaultKafkaBuild
		}
	}
	if _, ok := engines[defaultEngine]; !ok {
		return nil, fmt.Errorf("instances: default engine %q is not configured", defaultEngine)
	}
	pool, err := newIPPool(cfg.IPPool)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, store: st, engines: engines, engine: defaultEngine, cat: cat, runner: runner, sealer: sealer,
		log: log, pool: pool, now: time.Now, records: newRecords(2 * time.Second), clients: map[string]*kafkaops.Client{}, dataClients: map[string]dataClient{}, gone: map[string]bool{}, stop: make(chan struct{})}
	s.retryDelays = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	s.adminStep = s.ensureAdmin
	runner.Register(taskCreate, s.settled(s.runCreate))
	runner.Register(taskDelete, s.runDelete)
	runner.Register(taskRestart, s.settled(s.runRestart))
	runner.Register(taskModifyConfigs, s.settled(s.runModifyConfigs))
	runner.Register(taskAccessMode, s.settled(s.runAccessMode))
	runner.Register(taskUpgrade, s.settled(s.runUpgrade))
	runner.Register(taskExtend, s.settled(s.runExtend))
	return s, nil
}

// Task names, as 5.9 shows them.
const (
	taskCreate        = "createInstance"
	taskDelete        = "deleteInstance"
	taskRestart       = "restartInstance"
	taskModifyConfigs = "modifyInstanceConfigs"
	taskUpgrade       = "upgradeInstance"
	taskAccessMode    = "modifyAccessMode"
	taskExtend        = "extendInstance"
)

// Catalog returns the catalog the service validates against.
func (s *Service) Catalog() *catalog.Catalog { return s.cat }

// Start brings every instance's cluster back after a dmsd start (re-attaching to running brokers or
// starting them, in the background so the API is served at once), resumes unfinished tasks and
// starts the health monitor.
func (s *Service) Start(ctx context.Context) error {
	if err := s.MigrateManagerPasswords(ctx); err != nil {
		return err
	}
	all, err := s.store.ListInstances(ctx, "")
	if err != nil {
		return err
	}
	for _, in := range all {
		if in.Deleting || in.CreateFailed || in.Status == dms.StatusCreating {
			continue // their tasks are resumed below
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.ensure(ctx, in); err != nil {
				s.log.Warn("instance did not come back after the restart", "instance_id", in.ID, "err", err)
			}
		}()
	}
	if err := s.runner.Resume(ctx); err != nil {
		return err
	}
	s.settleStuck(ctx, all)
	// A deletion whose task failed (a broker that would not stop, a disk error) is tried again at
	// every start, so an accepted deletion always ends with the cluster gone and its IPs free.
	for _, in := range all {
		if in.Deleting && !s.runner.Busy(in.ID) {
			if _, err := s.submit(ctx, in, Actor{UserName: "opendms"}, taskDelete, map[string]any{"name": in.Name, "retry": true}); err != nil {
				return err
			}
		}
	}
	s.wg.Add(1)
	go s.monitor()
	return nil
}

// Close stops the monitor and the Kafka clients; the engines are closed by their owner.
func (s *Service) Close() {
	close(s.stop)
	s.wg.Wait()
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	for id := range s.clients {
		s.closeClientLocked(id)
	}
	for id := range s.dataClients {
		s.closeClientLocked(id)
	}
}

// engineOf returns the engine that runs an instance.
func (s *Service) engineOf(in dms.Instance) (engine.Engine, error) {
	e, ok := s.engines[in.Runtime]
	if !ok {
		return nil, fmt.Errorf("instance %s runs on engine %q, which this dmsd does not have", in.ID, in.Runtime)
	}
	return e, nil
}

// Capabilities says what the instance's engine can do.
func (s *Service) Capabilities(in dms.Instance) engine.Capabilities {
	if e, err := s.engineOf(in); err == nil {
		return e.Capabilities()
	}
	return engine.Capabilities{}
}

// spec builds the engine spec of an instance.
func (s *Service) spec(in dms.Instance) engine.Spec {
	brokers := make([]engine.Broker, len(in.Brokers))
	for i, b := range in.Brokers {
		brokers[i] = engine.Broker{ID: b.ID, Host: b.Host, BrokerOnly: !b.Controller()}
	}
	return engine.Spec{
		InstanceID: in.ID, DataDir: filepath.Join(s.cfg.DataDir, in.ID), ClusterID: in.ClusterID, Brokers: brokers,
		KafkaVersion: in.KafkaVersion, BrokerConfigs: staticConfigs(in), AutoCreateTopics: in.EnableAutoTopic,
		Resources: engine.Resources{HeapMB: s.heapMB(in.ProductID)}, Listeners: listeners(in), Security: security(in),
		InternalTLS: in.InternalTLS,
	}
}

func (s *Service) heapMB(productID string) int {
	if mb, ok := s.cfg.HeapMBByProduct[productID]; ok {
		return mb
	}
	return s.cfg.HeapMB
}

// staticConfigs are the server.properties entries of an instance: every static catalog config at the
// value changed through 5.1.8 or else at DMS's default. default.replication.factor never exceeds the
// broker count (topics could not be created otherwise).
func staticConfigs(in dms.Instance) map[string]string {
	cs := kafkaops.StaticOverrides(in.StaticConfigs)
	if rf, err := strconv.Atoi(cs["default.replication.factor"]); err == nil && rf > len(in.Brokers) {
		cs["default.replication.factor"] = strconv.Itoa(len(in.Brokers))
	}
	return cs
}

// dynamicDefaults are DMS's defaults of the dynamic catalog configs, set on a new cluster through the
// Kafka protocol (they then live in the cluster's metadata, where later changes go too).
func dynamicDefaults(brokers int) map[string]string {
	all := kafkaops.BrokerDefaults(brokers)
	for k := range kafkaops.StaticOverrides(nil) {
		delete(all, k)
	}
	return all
}

// ensure runs an instance's cluster and waits until every broker is registered.
func (s *Service) ensure(ctx context.Context, in dms.Instance) error {
	e, err := s.engineOf(in)
	if err != nil {
		return err
	}
	spec, err := s.engineSpec(in)
	if err != nil {
		return err
	}
	if err := e.Ensure(ctx, spec); err != nil {
		return err
	}
	return s.waitReady(ctx, in)
}

func (s *Service) waitReady(ctx context.Context, in dms.Instance) error {
	c, err := s.client(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadyTimeout)
	defer cancel()
	n := len(ServingBrokers(in)) // a failed extension's brokers are not waited for (monitor.go)
	if err := c.WaitBrokers(ctx, n); err != nil {
		return fmt.Errorf("not all %d brokers registered within %s: %w%s", n, s.cfg.ReadyTimeout, err, s.brokerExits(in))
	}
	return nil
}

// Client returns the Kafka client of an instance (one per instance, reused).
func (s *Service) Client(in dms.Instance) (*kafkaops.Client, error) { return s.client(in) }

func (s *Service) client(in dms.Instance) (*kafkaops.Client, error) {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if c, ok := s.clients[in.ID]; ok {
		return c, nil
	}
	// The caller's record may be older than a deletion (the monitor's list, a handler in flight): a
	// client made for a deleted instance would never be closed. The deletion task marks the id gone
	// under this lock (forgetClient) before it stops the brokers.
	if in.Deleting || s.gone[in.ID] {
		return nil, dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", in.ID)
	}
	e, err := s.engineOf(in)
	if err != nil {
		return nil, err
	}
	tlsCfg, err := s.controlTLS(in)
	if err != nil {
		return nil, err
	}
	c, err := kafkaops.Dial(e.ControlAddrs(s.spec(in)), kafkaops.WithLogger(s.log), kafkaops.WithTLS(tlsCfg))
	if err != nil {
		return nil, err
	}
	s.clients[in.ID] = c
	return c, nil
}

// forgetClient closes a deleted instance's client and refuses it a new one (ids are never reused:
// one entry per deleted instance).
func (s *Service) forgetClient(id string) {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	s.gone[id] = true
	s.closeClientLocked(id)
}

func (s *Service) dropClient(id string) {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	s.closeClientLocked(id)
}

func (s *Service) closeClientLocked(id string) {
	if c, ok := s.clients[id]; ok {
		c.Close()
		delete(s.clients, id)
	}
	if dc, ok := s.dataClients[id]; ok {
		dc.c.Close()
		delete(s.dataClients, id)
	}
}

// Get returns an instance of a project; a missing (or deleted) instance is 404 DMS.00404022.
func (s *Service) Get(ctx context.Context, projectID, id string) (dms.Instance, error) {
	in, err := s.load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (in.ProjectID != projectID || in.Deleting)) {
		return dms.Instance{}, dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
	}
	if err != nil {
		return dms.Instance{}, dms.Internal(err)
	}
	return in, nil
}

// Lookup returns an instance by id whatever its project (for the APIs without a project in the
// path; the caller checks the principal may see that project).
func (s *Service) Lookup(ctx context.Context, id string) (dms.Instance, error) {
	in, err := s.load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && in.Deleting) {
		return dms.Instance{}, dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
	}
	if err != nil {
		return dms.Instance{}, dms.Internal(err)
	}
	return in, nil
}

// update applies change to the stored instance under the service lock.
func (s *Service) update(ctx context.Context, id string, change func(*dms.Instance) error) (dms.Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.store.GetInstance(ctx, id)
	if err != nil {
		return in, err
	}
	if err := change(&in); err != nil {
		return in, err
	}
	in.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateInstance(ctx, in); err != nil {
		s.records.drop(id)
		if errors.Is(err, store.ErrConflict) {
			return in, dms.Errorf(dms.CodeInstanceNameExists, "This instance name already exists: %s.", in.Name)
		}
		return in, err
	}
	s.records.put(in, s.now())
	return in, nil
}

// UsedBytes is the instance's bytes on disk as last measured (0 before the first measurement).
func (s *Service) UsedBytes(id string) int64 {
	v, _ := s.usage.Load(id)
	n, _ := v.(int64)
	return n
}

// usedAddrs collects every broker IP in use, by any instance of any project.
func (s *Service) usedAddrs(ctx context.Context) (map[netip.Addr]bool, error) {
	all, err := s.store.ListInstances(ctx, "")
	if err != nil {
		return nil, err
	}
	used := map[netip.Addr]bool{}
	for _, in := range all {
		nodes := in.Brokers
		if in.Connector != nil { // Smart Connect workers take addresses of the pool too
			nodes = append(slices.Clip(nodes), in.Connector.Nodes...)
		}
		for _, b := range nodes {
			if a, err := netip.ParseAddr(b.Host); err == nil {
				used[a] = true
			}
		}
	}
	return used, nil
}

// Busy reports whether a background task of the instance has not ended.
func (s *Service) Busy(id string) bool { return s.runner.Busy(id) }

// IPPool is the prefix broker IPs come from.
func (s *Service) IPPool() string { return s.pool.prefix.String() }
