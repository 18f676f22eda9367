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

	"github.com/opendms/opendms/internal/dms"
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
	if cfg.ObjectStorage.Region == "" {
		cfg.ObjectStorage.Region = "us-east-1"
	}
	s := &Service{inst: inst, store: st, sealer: sealer, runner: runner, cfg: cfg, log: log, now: time.Now,
		running: map[string]*procRun{}}
	runner.Register(TaskEnable, s.runEnable)
	runner.Register(TaskDisable, s.runDisable)
	inst.SetDeletionHook(s.instanceDeleted)
	return s
}

// Start re-attaches to the workers of every instance with a connector and starts the tasks dmsd
// runs itself that were running when it stopped.
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
			spec, err := s.inst.ConnectSpec(in)
			if err == nil {
				err = r.EnsureConnect(ctx, spec)
			}
			if err != nil {
				s.log.Error("Smart Connect workers not started", "instance_id", in.ID, "err", err)
			}
		}
		ts, err := s.store.ListConnectTasks(ctx, in.ID)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.State != dms.ConnectTaskRunning || !inProcess(t) {
				continue
			}
			if err := s.startProc(ctx, in, t); err != nil {
				s.log.Error("Smart Connect task not started", "instance_id", in.ID, "task_id", t.ID, "err", err)
			}
		}
	}
	return nil
}

// Close stops the tasks dmsd runs itself (their committed positions stay: they go on at the next
// Start). Connect workers keep running, as brokers do.
func (s *Service) Close() {
	s.mu.Lock()
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
	if in.Connector == nil {
		return "", dms.Errorf(dms.CodeConnectorNotFound, "Connector does not exist: Smart Connect is not enabled on the instance %s.", in.ID)
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
	if in.Deleting || in.Connector == nil {
		return nil
	}
	if err := s.startWorkers(ctx, in); err != nil {
		s.removeWorkers(context.WithoutCancel(ctx), in)
		if _, rerr := s.inst.SetConnector(context.WithoutCancel(ctx), in.ID, func(c **dms.SmartConnect) error { *c = nil; return nil }); rerr != nil {
			s.log.Error("connector record left after its workers failed", "instance_id", in.ID, "err", rerr)
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

// removeWorkers stops the instance's workers and removes their files (best effort: logged).
func (s *Service) removeWorkers(ctx context.Context, in dms.Instance) {
	r, ok := s.inst.ConnectRunner(in)
	if !ok || in.Connector == nil || len(in.Connector.Nodes) == 0 {
		return
	}
	spec, err := s.inst.ConnectSpec(in)
	if err == nil {
		err = r.DeleteConnect(ctx, spec)
	}
	if err != nil {
		s.log.Error("Smart Connect workers not removed", "instance_id", in.ID, "err", err)
	}
}

// internalTopic reports whether a topic is one of the connector's own: the workers' (configs,
// offsets, status) and MirrorMaker 2's (offset syncs, checkpoints, heartbeats).
func internalTopic(name string) bool {
	return strings.HasPrefix(name, workerTopicPrefix) || strings.HasPrefix(name, "mm2-offset-syncs.") ||
		strings.HasSuffix(name, ".checkpoints.internal") || name == "heartbeats" || strings.HasSuffix(name, ".heartbeats")
}

// workerTopicPrefix starts the names of the workers' own topics (engine/local's worker config).
const workerTopicPrefix = "__dms_connect_"

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
	s.removeWorkers(ctx, in)
	if c, err := s.inst.Client(in); err == nil {
		if ts, err := c.Topics(ctx); err == nil {
			var names []string
			for _, tp := range ts {
				if internalTopic(tp.Name) {
					names = append(names, tp.Name)
				}
			}
			if len(names) > 0 {
				if _, err := c.DeleteTopics(ctx, names...); err != nil {
					s.log.Warn("Smart Connect topics not deleted", "instance_id", in.ID, "topics", names, "err", err)
				}
			}
		}
	}
	_, err = s.inst.SetConnector(ctx, in.ID, func(c **dms.SmartConnect) error { *c = nil; return nil })
	return err
}

// instanceDeleted stops everything Smart Connect runs for a deleted instance and forgets its tasks.
func (s *Service) instanceDeleted(ctx context.Context, in dms.Instance) error {
	ts, err := s.store.ListConnectTasks(ctx, in.ID)
	if err != nil {
		return err
	}
	for _, t := range ts {
		s.stopProc(t.ID)
	}
	s.removeWorkers(ctx, in)
	return s.store.DeleteInstanceConnectTasks(ctx, in.ID)
}
