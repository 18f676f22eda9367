// Package connect is Smart Connect (5.3.x, 7.2.4.x, the SDK's connector operations): enabling an
// instance's connector (Kafka Connect workers run by the engine), and its tasks. Kafka-to-Kafka
// replication tasks are MirrorMaker 2 connectors on those workers (mm2/, through the workers' REST
// API: connectrest/); dumps to object storage (dump/) and Redis sinks and sources (redis/) run
// inside dmsd as consumers and producers of the instance.
//
// A task's settings are stored (secrets sealed apart), with its desired state (WAITING, RUNNING,
// PAUSED); what the API shows as its status is what really runs: the connectors' and their tasks'
// states on the workers, or the in-process runner's.
package connect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // dump tasks' time zones (timezone) must not depend on the host's zoneinfo

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/keyed"
	"github.com/opendms/opendms/internal/store"
	"github.com/opendms/opendms/internal/tasks"
)

// Background task names (5.3.1, 5.3.2).
const (
	TaskEnable  = "createConnector"
	TaskDisable = "deleteConnector"
)

// DefaultNodes is 5.3.1's node_cnt default and minimum.
const DefaultNodes = 2

// maxNodes bounds node_cnt: each worker is a JVM on this machine.
const maxNodes = 16

// ObjectStorage is where dump tasks write: an S3-compatible endpoint (OBS speaks S3).
type ObjectStorage struct {
	Endpoint  string `json:"endpoint"`   // e.g. http://127.0.0.1:7070
	Region    string `json:"region"`     // default us-east-1
	PathStyle bool   `json:"path_style"` // bucket in the path, not the host name
}

// Config tunes the service.
type Config struct {
	ObjectStorage ObjectStorage
	// DeliverIntervalUnit is what one second of deliver_time_interval lasts (default one second):
	// a test knob, so dump tests need not wait the reference's 30 s minimum.
	DeliverIntervalUnit time.Duration
	// ReadyTimeout bounds the wait for new workers to serve their REST API (default 5 minutes).
	ReadyTimeout time.Duration
	// RetryInterval is how often tasks dmsd runs itself that should run but do not (their start
	// failed: Redis or the cluster not up yet) are started again (default 30 s).
	RetryInterval time.Duration
}

// Service is Smart Connect.
type Service struct {
	inst   *instances.Service
	store  store.Store
	sealer *iam.Sealer
	runner *tasks.Runner
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	locks  keyed.Mutex // by instance id: the task changes of one instance, one at a time

	mu      sync.Mutex
	running map[string]*procRun // task id -> the runner dmsd runs for it (dump, Redis)
	closed  bool
	stopped chan struct{} // closed by Close: ends the background starts and retries
	bg      sync.WaitGroup
}

// New makes the service, registers its background tasks with runner and itself as the instances
// service's deletion hook. Make it before the instances service's Start resumes interrupted tasks.
func New(inst *instances.Service, st store.Store, sealer *iam.Sealer, runner *tasks.Runner, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	if cfg.DeliverIntervalUnit <= 0 {
		cfg.DeliverIntervalUnit = time.Second
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 5 * time.Minute
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 30 * time.Second
	}
	if cfg.ObjectStorage.Region == "" {
		cfg.ObjectStorage.Region = "us-east-1"
	}
	s := &Service{inst: inst, store: st, sealer: sealer, runner: runner, cfg: cfg, log: log, now: time.Now,
		running: map[string]*procRun{}, stopped: make(chan struct{})}
	runner.Register(TaskEnable, s.runEnable)
	runner.Register(TaskDisable, s.runDisable)
	inst.SetDeletionHook(s.instanceDeleted)
	inst.SetConnectorAtCreation(s.enableAtCreation)
	return s
}

// Start re-attaches to the workers of every instance with a connector (in the background: it may
// wait for a fetch of the Connect jars) and starts the tasks dmsd runs itself that were running
// when it stopped; those whose start fails are tried again every RetryInterval.
func (s *Service) Start(ctx context.Context) error {
	all, err := s.store.ListInstances(ctx, "")
	if err != nil {
		return err
	}
	for _, in := range all {
		if in.Deleting || in.Connector == nil || in.Connector.Status != dms.ConnectorRunning {
			continue
		}
		if r, ok := s.inst.ConnectRunner(in); ok && len(in.Connector.Nodes) > 0 {
			s.bg.Go(func() { s.reattach(r, in) })
		}
	}
	s.startMissing(ctx)
	s.bg.Go(s.retryLoop)
	return nil
}

// reattach starts (or adopts) an instance's workers at dmsd's start, trying again every
// RetryInterval until it works or the service closes (the jars may need fetching, a port may still
// be held by a dying JVM).
func (s *Service) reattach(r engine.ConnectRunner, in dms.Instance) {
	ctx := s.background()
	for {
		cur, err := s.store.GetInstance(ctx, in.ID) // deleted or disabled meanwhile: nothing to start
		if err != nil || cur.Deleting || cur.Connector == nil || cur.Connector.Status != dms.ConnectorRunning {
			return
		}
		spec, err := s.inst.ConnectSpec(cur)
		if err == nil {
			err = r.EnsureConnect(ctx, spec)
		}
		if err == nil {
			return
		}
		s.log.Error("Smart Connect workers not started; tried again later", "instance_id", in.ID, "err", err)
		select {
		case <-s.stopped:
			return
		case <-time.After(s.cfg.RetryInterval):
		}
	}
}

// background is a context that ends when the service closes.
func (s *Service) background() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-s.stopped
		cancel()
	}()
	return ctx
}

func (s *Service) retryLoop() {
	t := time.NewTicker(s.cfg.RetryInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopped:
			return
		case <-t.C:
			s.startMissing(context.Background())
		}
	}
}

// startMissing starts the tasks dmsd runs itself that should run and have no runner, or whose
// runner ended with an error (Redis or the object store down longer than the runner's own
// retries, a start that failed): their ERROR shows until then.
func (s *Service) startMissing(ctx context.Context) {
	ts, err := s.store.ListConnectTasks(ctx, "")
	if err != nil {
		s.log.Error("Smart Connect tasks not listed", "err", err)
		return
	}
	for _, t := range ts {
		if t.State != dms.ConnectTaskRunning || t.Completed || !inProcess(t) || s.hasRun(t.ID) {
			continue
		}
		func() {
			unlock := s.locks.Lock(t.InstanceID)
			defer unlock()
			cur, err := s.store.GetConnectTask(ctx, t.InstanceID, t.ID) // as it is now, under the lock
			if err != nil || cur.State != dms.ConnectTaskRunning || cur.Completed || s.hasRun(t.ID) {
				return
			}
			s.stopProc(t.ID) // the ended runner, if any
			in, err := s.store.GetInstance(ctx, t.InstanceID)
			if err != nil || in.Deleting || in.Connector == nil || in.Connector.Status != dms.ConnectorRunning {
				return
			}
			if err := s.startProc(ctx, in, cur); err != nil {
				s.log.Warn("Smart Connect task not started; tried again later", "instance_id", in.ID, "task_id", t.ID, "err", err)
			}
		}()
	}
}

// hasRun reports whether the task has a runner that has not ended.
func (s *Service) hasRun(id string) bool {
	s.mu.Lock()
	run := s.running[id]
	s.mu.Unlock()
	if run == nil {
		return false
	}
	select {
	case <-run.r.Done():
		return false
	default:
		return true
	}
}

// Close stops the tasks dmsd runs itself (their committed positions stay: they go on at the next
// Start). Connect workers keep running, as brokers do.
func (s *Service) Close() {
	s.mu.Lock()
	if !s.closed {
		close(s.stopped)
	}
	s.closed = true
	runs := make([]*procRun, 0, len(s.running))
	for id, r := range s.running {
		runs = append(runs, r)
		delete(s.running, id)
	}
	s.mu.Unlock()
	for _, r := range runs {
		r.stop()
	}
	s.bg.Wait()
}

// EnableRequest is 5.3.1's body.
type EnableRequest struct {
	Specification string                   `json:"specification"`
	NodeCnt       instances.StringOrNumber `json:"node_cnt"`
	SpecCode      string                   `json:"spec_code"`
}

// Enable starts 5.3.1: the connector is recorded at once (connector_id) and a task starts its
// workers.
func (s *Service) Enable(ctx context.Context, projectID, instanceID string, who instances.Actor, req EnableRequest) (jobID, connectorID string, err error) {
	nodes := DefaultNodes
	if v := strings.TrimSpace(string(req.NodeCnt)); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &nodes); err != nil || fmt.Sprint(nodes) != v {
			return "", "", bad("node_cnt must be a whole number, not %q.", v)
		}
	}
	if nodes < DefaultNodes || nodes > maxNodes {
		return "", "", bad("node_cnt must be from %d to %d.", DefaultNodes, maxNodes)
	}
	switch req.Specification {
	case "", "100MB", "300MB", "600MB", "1200MB":
	default:
		return "", "", bad("specification must be 100MB, 300MB, 600MB or 1200MB, not %q.", req.Specification)
	}
	t, in, err := s.inst.EnableConnector(ctx, projectID, instanceID, who, nodes, TaskEnable)
	if err != nil {
		return "", "", err
	}
	return t.ID, in.Connector.ID, nil
}

// Disable starts 5.3.2: refused while the connector has tasks (DMS.00501012).
func (s *Service) Disable(ctx context.Context, projectID, instanceID string, who instances.Actor) (jobID string, err error) {
	in, err := s.inst.Get(ctx, projectID, instanceID)
	if err != nil {
		return "", err
	}
	// Under the instance's task lock: no task is created between the check and the connector's
	// DELETING (which refuses new ones).
	unlock := s.locks.Lock(in.ID)
	defer unlock()
	if in.Connector == nil {
		return "", noConnector(in.ID)
	}
	ts, err := s.store.ListConnectTasks(ctx, in.ID)
	if err != nil {
		return "", dms.Internal(err)
	}
	if len(ts) > 0 {
		return "", dms.Errorf(dms.CodeConnectTasksExist, "Smart Connect tasks exist: delete the instance's %d Smart Connect tasks first.", len(ts))
	}
	t, err := s.inst.DisableConnector(ctx, projectID, instanceID, who, TaskDisable)
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

// Resource is what the SDK's ShowConnectorResourceInfo shows (soldOut; the rest are OpenDMS's
// additions, which SDKs ignore).
type Resource struct {
	SoldOut     bool           `json:"soldOut"`
	ConnectorID string         `json:"connector_id,omitempty"`
	Status      string         `json:"status,omitempty"`
	Reason      string         `json:"status_reason,omitempty"`
	NodeCount   int            `json:"node_cnt,omitempty"`
	MaxTasks    int            `json:"max_tasks,omitempty"`
	Workers     []WorkerStatus `json:"workers,omitempty"`
	Enabled     bool           `json:"connector_enable"`
}

// WorkerStatus is one Connect worker's process.
type WorkerStatus struct {
	ID       int32  `json:"id"`
	Host     string `json:"host"`
	Running  bool   `json:"running"`
	Restarts int    `json:"restarts"`
}

// Resource answers ShowConnectorResourceInfo.
func (s *Service) Resource(ctx context.Context, projectID, instanceID string) (Resource, error) {
	in, err := s.inst.Get(ctx, projectID, instanceID)
	if err != nil {
		return Resource{}, err
	}
	c := in.Connector
	if c == nil {
		return Resource{}, nil
	}
	res := Resource{ConnectorID: c.ID, Status: c.Status, Reason: c.StatusReason, NodeCount: c.NodeCount, MaxTasks: c.MaxTasks, Enabled: true}
	if r, ok := s.inst.ConnectRunner(in); ok && len(c.Nodes) > 0 {
		states, _ := r.ConnectStatus(ctx, in.ID)
		for _, n := range c.Nodes {
			w := WorkerStatus{ID: n.ID, Host: n.Host}
			for _, st := range states {
				if st.ID == n.ID {
					w.Running, w.Restarts = st.Running, st.Restarts
				}
			}
			res.Workers = append(res.Workers, w)
		}
	}
	return res, nil
}

// enableAtCreation enables Smart Connect with the default workers at the end of the creation task
// of an instance created with connector_enable.
func (s *Service) enableAtCreation(ctx context.Context, in dms.Instance) error {
	in, err := s.inst.AttachConnector(ctx, in.ID, DefaultNodes)
	if err != nil {
		return err
	}
	return s.runEnable(ctx, dms.Task{InstanceID: in.ID})
}

// runEnable starts the connector's workers and waits until they serve; on failure it removes
// them and the connector record (their addresses go back to the pool), so 5.3.1 can be sent again.
func (s *Service) runEnable(ctx context.Context, t dms.Task) error {
	in, err := s.store.GetInstance(ctx, t.InstanceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if in.Deleting {
		return nil
	}
	if in.Connector == nil {
		// Only a failed run of this task removes the record, and then the task failed.
		return errors.New("the connector was removed after its workers failed to start")
	}
	if err := s.startWorkers(ctx, in); err != nil {
		if ctx.Err() != nil {
			return err // dmsd is stopping: the task resumes at the next start, workers and record kept
		}
		// The record goes only with its workers: workers that could not be removed keep it, in
		// ERROR, for 5.3.2 to remove (they hold the instance's certificate and their addresses).
		bg := context.WithoutCancel(ctx)
		rmErr := s.removeWorkers(bg, in)
		_, rerr := s.inst.SetConnector(bg, in.ID, func(c **dms.SmartConnect) error {
			if rmErr != nil {
				(*c).Status, (*c).StatusReason = dms.ConnectorError, firstLine(err.Error())+"; "+firstLine(rmErr.Error())+" (5.3.2 removes them)"
				return nil
			}
			*c = nil
			return nil
		})
		if rerr != nil {
			s.log.Error("connector record not updated after its workers failed", "instance_id", in.ID, "err", rerr)
		}
		return err
	}
	_, err = s.inst.SetConnector(ctx, in.ID, func(c **dms.SmartConnect) error {
		(*c).Status, (*c).StatusReason = dms.ConnectorRunning, ""
		return nil
	})
	return err
}

// startWorkers starts (or re-attaches to) the instance's workers and waits until their REST API
// answers. Engines without workers have nothing to start.
func (s *Service) startWorkers(ctx context.Context, in dms.Instance) error {
	r, ok := s.inst.ConnectRunner(in)
	if !ok || len(in.Connector.Nodes) == 0 {
		return nil
	}
	spec, err := s.inst.ConnectSpec(in)
	if err != nil {
		return err
	}
	if err := r.EnsureConnect(ctx, spec); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.ReadyTimeout)
	defer cancel()
	// Ready is one look: new JVMs refuse connections for seconds, then answer 503 until they joined
	// the group and read the config topic. Ask again until they serve or the time is up.
	rc := s.rest(r, spec)
	for {
		err := rc.Ready(wctx)
		if err == nil {
			return nil
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("the Connect workers did not become ready in %s: %w", s.cfg.ReadyTimeout, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// removeWorkers stops the instance's workers and removes their files.
func (s *Service) removeWorkers(ctx context.Context, in dms.Instance) error {
	r, ok := s.inst.ConnectRunner(in)
	if !ok || in.Connector == nil || len(in.Connector.Nodes) == 0 {
		return nil
	}
	spec, err := s.inst.ConnectSpec(in)
	if err == nil {
		err = r.DeleteConnect(ctx, spec)
	}
	if err != nil {
		return fmt.Errorf("removing the Smart Connect workers: %w", err)
	}
	return nil
}

// runDisable stops and removes the workers, deletes the connector's topics and its record.
func (s *Service) runDisable(ctx context.Context, t dms.Task) error {
	in, err := s.store.GetInstance(ctx, t.InstanceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if in.Deleting || in.Connector == nil {
		return nil
	}
	ts, err := s.store.ListConnectTasks(ctx, in.ID)
	if err != nil {
		return err
	}
	for _, t := range ts { // none unless one was created while 5.3.2 was accepted
		s.stopProc(t.ID)
	}
	if err := s.removeWorkers(ctx, in); err != nil {
		return err // the connector stays DELETING: 5.3.2 again tries again
	}
	// The workers' own topics (MirrorMaker 2's go with their tasks: 5.3.6). A failure fails the
	// task, so 5.3.2 is sent again rather than a later 5.3.1 joining stale Connect topics.
	if len(in.Connector.Nodes) > 0 {
		c, err := s.inst.Client(in)
		if err != nil {
			return err
		}
		if _, err := c.DeleteTopics(ctx, engine.ConnectTopics...); err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("deleting the Connect topics: %w", err)
		}
	}
	if err := s.store.DeleteInstanceConnectTasks(ctx, in.ID); err != nil {
		return err
	}
	_, err = s.inst.SetConnector(ctx, in.ID, func(c **dms.SmartConnect) error { *c = nil; return nil })
	return err
}

// instanceDeleted stops everything Smart Connect runs for a deleted instance and forgets its tasks.
func (s *Service) instanceDeleted(ctx context.Context, in dms.Instance) error {
	if err := s.peerDeleted(ctx, in); err != nil {
		return err
	}
	unlock := s.locks.Lock(in.ID)
	defer unlock()
	ts, err := s.store.ListConnectTasks(ctx, in.ID)
	if err != nil {
		return err
	}
	for _, t := range ts {
		s.stopProc(t.ID)
	}
	if err := s.removeWorkers(ctx, in); err != nil { // the engine's Delete kills them anyway
		s.log.Warn("Smart Connect workers of a deleted instance not removed; its deletion kills them", "instance_id", in.ID, "err", err)
	}
	return s.store.DeleteInstanceConnectTasks(ctx, in.ID)
}

// peerDeleted pauses the replication tasks of other instances whose peer was the deleted instance:
// its addresses go back to the pool, and connectors still pointed at them would reach whichever
// instance gets them next.
func (s *Service) peerDeleted(ctx context.Context, gone dms.Instance) error {
	all, err := s.store.ListConnectTasks(ctx, "")
	if err != nil {
		return err
	}
	for _, t := range all {
		if t.InstanceID == gone.ID || t.Source == nil || t.Source.InstanceID != gone.ID || t.State == dms.ConnectTaskWaiting {
			continue
		}
		err := func() error {
			unlock := s.locks.Lock(t.InstanceID)
			defer unlock()
			in, err := s.store.GetInstance(ctx, t.InstanceID)
			if err != nil || in.Deleting || in.Connector == nil {
				return nil
			}
			if t.State == dms.ConnectTaskRunning {
				err = s.stopMirror(ctx, in, t, false)
			}
			t.State, t.Error, t.UpdatedAt = dms.ConnectTaskPaused, "its peer instance "+gone.ID+" was deleted", s.now().UTC()
			return errors.Join(err, s.store.UpdateConnectTask(ctx, t))
		}()
		if err != nil { // the deletion goes on: workers that cannot be reached replicate nothing either
			s.log.Error("replication task whose peer is deleted not paused", "instance_id", t.InstanceID, "task_id", t.ID, "peer", gone.ID, "err", err)
		}
	}
	return nil
}
