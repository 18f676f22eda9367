package dmsd

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/opendms/opendms/internal/capacity"
	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/cliconfig"
	"github.com/opendms/opendms/internal/connect"
	"github.com/opendms/opendms/internal/diagnosis"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/groups"
	"github.com/opendms/opendms/internal/httpapi"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkausers"
	"github.com/opendms/opendms/internal/messages"
	"github.com/opendms/opendms/internal/quotas"
	"github.com/opendms/opendms/internal/reassign"
	"github.com/opendms/opendms/internal/schedule"
	"github.com/opendms/opendms/internal/store/sqlite"
	"github.com/opendms/opendms/internal/tasks"
	"github.com/opendms/opendms/internal/topics"
)

// CredentialsFile is the name of the bootstrap administrator's credentials in the data dir.
const CredentialsFile = "admin-credentials.json"

// Server is an assembled OpenDMS server.
type Server struct {
	cfg       Config
	log       *slog.Logger
	store     *sqlite.DB
	sealer    *iam.Sealer
	engines   map[string]engine.Engine
	runner    *tasks.Runner
	sched     *schedule.Service
	IAM       *iam.Service
	Instances *instances.Service
	groups    *groups.Service
	diagnosis *diagnosis.Service
	reassign  *reassign.Service
	quotas    *quotas.Service
	capacity  *capacity.Service
	connect   *connect.Service
	API       *httpapi.Server
	lock      *os.File // the data dir's lock, held while open
}

// Open assembles the server: data dir, store, master key, IAM with its bootstrap, catalog, HTTP API.
// endpoint is the URL clients should use (written into the credentials file on first start).
func Open(ctx context.Context, cfg Config, log *slog.Logger, endpoint string) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := prepareDataDir(cfg.DataDir, log); err != nil {
		return nil, err
	}
	cat, err := catalog.New(cfg.Catalog, cfg.Region)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, cfg.DataDir)
	if err != nil {
		unlockDataDir(lock)
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, store: st, lock: lock}
	if err := s.openIAM(ctx, endpoint); err != nil {
		st.Close()
		unlockDataDir(lock)
		return nil, err
	}
	if err := s.openInstances(ctx, cat); err != nil {
		s.Close()
		return nil, err
	}
	msgs := messages.New(s.Instances)
	mq := cfg.MessageQuery
	msgs.SetLimits(messages.Limits{MaxScanBytes: mq.MaxScanBytes, MaxScanRecords: mq.MaxScanRecords, MaxScanTime: mq.MaxScanTime.Duration,
		DisplayBytes: mq.DisplayBytes, MaxConcurrentQueries: mq.MaxConcurrentQueries}) // zero fields keep the defaults
	dc := cfg.Diagnosis
	s.diagnosis = diagnosis.New(s.Instances, s.groups, s.store, diagnosis.Config{Window: dc.Window.Duration, Samples: dc.Samples, MaxRunning: dc.MaxRunning}, log)
	if err := s.diagnosis.Start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	h := cfg.HTTP
	s.API = httpapi.New(httpapi.Config{Region: cfg.Region, UnverifiedBodyBytes: h.UnverifiedBodyBytes, UnverifiedBodies: h.UnverifiedBodies,
		BodyTimeout: h.BodyTimeout.Duration, BodyMinRate: h.BodyMinRate, WriteTimeout: h.WriteTimeout.Duration, PublicURL: endpoint}, httpapi.Services{
		IAM: s.IAM, Instances: s.Instances, Topics: topics.New(s.Instances, s.store), Groups: s.groups, Messages: msgs, Diagnosis: s.diagnosis, Quotas: s.quotas, Capacity: s.capacity, KafkaUsers: kafkausers.New(s.Instances, s.store, s.sealer, kafkausers.Config{}, log), Catalog: cat,
		Reassign: s.reassign, Connect: s.connect,
	}, log)
	// Last: every service has registered the start functions of its scheduled work, and the task
	// runner has resumed (Instances.Start). Scheduled tasks that came due while dmsd was stopped
	// start now.
	if err := s.sched.Start(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openInstances sets up the engines, the task runner and the instance service, and brings existing
// instances back.
func (s *Server) openInstances(ctx context.Context, cat *catalog.Catalog) error {
	engines, def, err := s.openEngines()
	if err != nil {
		return err
	}
	s.engines = engines
	s.runner = tasks.New(s.store, s.log)
	s.Instances, err = instances.New(instances.Config{
		DataDir: s.cfg.instancesDir(), IPPool: s.cfg.IPPool, KafkaBuilds: s.cfg.KafkaBuilds,
		HeapMB: s.cfg.BrokerHeapMB, HeapMBByProduct: s.cfg.ProductHeapMB, MaxInstancesPerProject: s.cfg.MaxInstancesPerProject,
		BytesPerStorageGB: s.cfg.StorageBytesPerGB,
	}, s.store, engines, def, cat, s.runner, s.sealer, s.log)
	if err != nil {
		return err
	}
	s.groups = groups.New(s.Instances, s.store, s.runner) // registers its task before Start resumes the tasks
	s.quotas = quotas.New(s.Instances, s.runner)          // the same

	// Services that schedule work register their start functions on it before it starts (Open).
	s.sched = schedule.New(s.store, s.log, schedule.Config{})
	s.Instances.SetScheduler(s.sched)
	s.reassign = reassign.New(s.Instances, s.runner, s.log) // it too registers its task (and its scheduled start)
	// The capacity watcher registers its task (autoExpandVolume) too; it starts after the instances.
	s.capacity = capacity.New(capacity.Config{Interval: s.cfg.Capacity.Interval.Duration}, s.Instances, s.runner, s.log)
	// Smart Connect registers its tasks (5.3.1, 5.3.2) and the instances' deletion hook.
	s.connect = connect.New(s.Instances, s.store, s.sealer, s.runner, connect.Config{ObjectStorage: s.cfg.Connect.ObjectStorage,
		DeliverIntervalUnit: s.cfg.Connect.DeliverIntervalUnit.Duration}, s.log)
	if err := s.Instances.Start(ctx); err != nil {
		return err
	}
	s.capacity.Start()
	if err := s.connect.Start(ctx); err != nil {
		return err
	}
	return nil
}

func (s *Server) openIAM(ctx context.Context, endpoint string) error {
	key, err := iam.LoadOrCreateMasterKey(filepath.Join(s.cfg.DataDir, "master.key"), os.Getenv("DMS_MASTER_KEY"))
	if err != nil {
		return err
	}
	sealer, err := iam.NewSealer(key)
	if err != nil {
		return err
	}
	s.sealer = sealer
	s.IAM, err = iam.New(ctx, s.store, sealer, iam.Config{ClockSkew: s.cfg.ClockSkew.Duration, Region: s.cfg.Region}, s.log)
	if err != nil {
		return err
	}
	credsPath := filepath.Join(s.cfg.DataDir, CredentialsFile)
	wrote, err := s.IAM.Bootstrap(ctx, iam.BootstrapConfig{
		AccessKey: os.Getenv("DMS_ADMIN_AK"), SecretKey: os.Getenv("DMS_ADMIN_SK"),
		ProjectID: os.Getenv("DMS_ADMIN_PROJECT_ID"), Password: os.Getenv("DMS_ADMIN_PASSWORD"),
		Region: s.cfg.Region, Endpoint: endpoint,
	}, credsPath)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if wrote {
		s.log.Info("first start: created the administrator (account admin, user admin), a project and an access key",
			"credentials_file", credsPath)
		s.writeDmsctlProfile(credsPath)
	}
	return nil
}

// writeDmsctlProfile adds the administrator's credentials (the SK included: dmsctl signs with it) as
// profile cfg.DmsctlProfile of dmsctl's config file, 0600, so dmsctl works from any directory. An
// existing profile of that name is the user's and is kept. Failing here never stops dmsd: the log
// says how to do it by hand.
func (s *Server) writeDmsctlProfile(credsPath string) {
	name := s.cfg.DmsctlProfile
	if name == "" || name == "none" {
		return
	}
	if abs, err := filepath.Abs(credsPath); err == nil {
		credsPath = abs
	}
	byHand := fmt.Sprintf("dmsctl configure --profile %s --from-credentials %s", name, credsPath)
	creds, err := iam.ReadCredentials(credsPath)
	if err != nil {
		s.log.Warn("no dmsctl profile written", "err", err, "by_hand", byHand)
		return
	}
	path, err := cliconfig.Path()
	if err != nil {
		s.log.Warn("no dmsctl profile written", "err", err, "by_hand", byHand)
		return
	}
	added, err := cliconfig.AddIfAbsent(path, name, cliconfig.Profile{Endpoint: creds.Endpoint, AccessKey: creds.AccessKey,
		SecretKey: creds.SecretKey, ProjectID: creds.ProjectID, Region: creds.Region})
	switch {
	case err != nil:
		s.log.Warn("no dmsctl profile written", "config_file", path, "err", err, "by_hand", byHand)
	case !added:
		s.log.Warn("dmsctl's config file already has this profile: kept it, so dmsctl may point at another server; to use this one's administrator",
			"profile", name, "config_file", path, "by_hand", byHand)
	default:
		s.log.Info("wrote the administrator's dmsctl profile (with its secret key, mode 0600): dmsctl works from any directory",
			"profile", name, "config_file", path)
	}
}

// Close stops the background work (tasks and diagnoses are interrupted and resume at the next
// start), closes the engines (the local engine leaves brokers running, to be re-attached) and the
// store.
func (s *Server) Close() error {
	if s.diagnosis != nil {
		s.diagnosis.Close()
	}
	if s.capacity != nil {
		s.capacity.Close()
	}
	if s.connect != nil {
		s.connect.Close() // its runners, before the engines and the store
	}
	if s.sched != nil {
		s.sched.Close() // before the runner: no start of a scheduled task meets a closed runner
	}
	if s.runner != nil {
		s.runner.Close()
	}
	if s.Instances != nil {
		s.Instances.Close()
	}
	left, local := s.runningBrokers()
	for name, e := range s.engines {
		if err := e.Close(); err != nil {
			s.log.Warn("close engine", "engine", name, "err", err)
		}
	}
	err := s.store.Close()
	unlockDataDir(s.lock)
	if local {
		// Leaving them is deliberate: a dmsd restart (an upgrade, a crash) does not stop the clusters;
		// the next start adopts them.
		s.log.Info("stopped; the local engine's broker JVMs keep running by design (the next dmsd start adopts them; `dmsd stop-brokers` stops them)",
			"brokers_left_running", left)
	} else {
		s.log.Info("stopped")
	}
	return err
}

// Serve serves HTTP(S) on ln until ctx ends, then shuts down gracefully (in-flight requests get up to
// 15 seconds).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// No ReadTimeout or WriteTimeout here: they would count a 10 MiB body over a slow link and a long
	// message query against one fixed bound. The API sets per-request deadlines instead (a body must
	// keep a minimum rate; a response has its own bound), see internal/httpapi/bodies.go.
	h := s.cfg.HTTP
	hs := &http.Server{
		Handler:           s.API.Handler(),
		ReadHeaderTimeout: cmp.Or(h.ReadHeaderTimeout.Duration, 10*time.Second),
		IdleTimeout:       cmp.Or(h.IdleTimeout.Duration, 2*time.Minute),
		MaxHeaderBytes:    cmp.Or(h.MaxHeaderBytes, 64<<10),
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	go s.pruneTokens(ctx)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// pruneTokens deletes expired tokens hourly.
func (s *Server) pruneTokens(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.IAM.PruneTokens(ctx); err != nil {
				s.log.Warn("prune tokens", "err", err)
			} else if n > 0 {
				s.log.Info("pruned expired tokens", "count", n)
			}
		}
	}
}

// Scheme is "https" when TLS is configured, else "http".
func (c Config) Scheme() string {
	if c.TLSCert != "" {
		return "https"
	}
	return "http"
}

// RoutesOnly builds the HTTP API without a store, for listing its routes.
func RoutesOnly(cfg Config) (*httpapi.Server, error) {
	cat, err := catalog.New(cfg.Catalog, cfg.Region)
	if err != nil {
		return nil, err
	}
	return httpapi.New(httpapi.Config{Region: cfg.Region}, httpapi.Services{Catalog: cat}, slog.New(slog.DiscardHandler)), nil
}
