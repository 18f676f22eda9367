package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/opendms/opendms/internal/connect/redis"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// TaskInfo is a task with what really runs for it.
type TaskInfo struct {
	dms.ConnectTask
	// Status is RUNNING, PAUSED, WAITING or ERROR (dms.ConnectTask*).
	Status string
	// Detail says why the task is in ERROR (the first line of the failure) or WAITING.
	Detail string
	// Parts are the task's connectors or runner, each with its state (OpenDMS's addition).
	Parts []PartStatus
	// Progress is a dump task's per-partition progress (7.2.4.5's topics_info), when asked for.
	Progress []PartitionProgress
}

// PartStatus is one connector (and its tasks) of a replication task, or the runner of a task dmsd
// runs itself.
type PartStatus struct {
	Name  string       `json:"name"`
	State string       `json:"state"`
	Trace string       `json:"trace,omitempty"`
	Tasks []PartStatus `json:"tasks,omitempty"`
}

// PartitionProgress is how far a dump task got in one partition.
type PartitionProgress struct {
	Topic              string
	Partition          int32
	LastTransferOffset int64 // -1: nothing stored yet
	LogEndOffset       int64
	Lag                int64
}

// Page is a page of an instance's tasks.
type Page struct {
	Tasks    []TaskInfo
	Total    int
	MaxTasks int
}

// noConnector is the error of an instance without Smart Connect.
func noConnector(id string) error {
	return dms.Errorf(dms.CodeConnectorNotFound, "Connector does not exist: Smart Connect is not enabled on the instance %s (5.3.1 enables it).", id)
}

// connector returns the instance of the project with its connector, refusing an instance without
// one or whose connector is not (yet, or any longer) running.
func (s *Service) connector(ctx context.Context, projectID, instanceID string) (dms.Instance, error) {
	in, err := s.inst.Get(ctx, projectID, instanceID)
	if err != nil {
		return in, err
	}
	switch {
	case in.Connector == nil:
		return in, noConnector(in.ID)
	case in.Connector.Status == dms.ConnectorCreating:
		return in, dms.Errorf(dms.CodeInstanceBusy, "This DMS instance job task is still running: Smart Connect is being enabled on the instance %s.", in.ID)
	case in.Connector.Status == dms.ConnectorDeleting:
		return in, dms.Errorf(dms.CodeConnectorNotFound, "Connector does not exist: Smart Connect is being disabled on the instance %s.", in.ID)
	}
	return in, nil
}

func (s *Service) task(ctx context.Context, in dms.Instance, taskID string) (dms.ConnectTask, error) {
	t, err := s.store.GetConnectTask(ctx, in.ID, taskID)
	if errors.Is(err, store.ErrNotFound) {
		return t, dms.Errorf(dms.CodeConnectTaskNotFound, "The Smart Connect task %s does not exist.", taskID)
	}
	if err != nil {
		return t, dms.Internal(err)
	}
	return t, nil
}

func (s *Service) secrets(t dms.ConnectTask) (dms.ConnectSecrets, error) {
	var sec dms.ConnectSecrets
	if len(t.Sealed) == 0 {
		return sec, nil
	}
	b, err := s.sealer.Open(t.Sealed)
	if err != nil {
		return sec, fmt.Errorf("task %s: secrets: %w", t.ID, err)
	}
	return sec, json.Unmarshal(b, &sec)
}

func (s *Service) seal(sec dms.ConnectSecrets) ([]byte, error) {
	if sec == (dms.ConnectSecrets{}) {
		return nil, nil
	}
	b, err := json.Marshal(sec)
	if err != nil {
		return nil, err
	}
	return s.sealer.Seal(b), nil
}

// CreateTask creates a task (5.3.3) and, unless start_later, starts it. Errors: the request's
// (400 DMS.00400062), no connector (404 DMS.00404024), the quota reached (DMS.00404029), a name
// taken or a start that failed (400 DMS.00400867, nothing kept), a topic another dump task dumps
// (DMS.00400874), a replication task where the engine runs no Connect workers (DMS.00400007).
func (s *Service) CreateTask(ctx context.Context, projectID, instanceID string, req TaskRequest) (TaskInfo, error) {
	t, sec, err := newTask(req)
	if err != nil {
		return TaskInfo{}, err
	}
	return s.create(ctx, projectID, instanceID, t, sec, req.StartLater != nil && bool(*req.StartLater))
}

func (s *Service) create(ctx context.Context, projectID, instanceID string, t dms.ConnectTask, sec dms.ConnectSecrets, later bool) (TaskInfo, error) {
	unlock := s.locks.Lock(instanceID)
	defer unlock()
	in, err := s.connector(ctx, projectID, instanceID)
	if err != nil {
		return TaskInfo{}, err
	}
	if err := s.admissible(ctx, in, t); err != nil {
		return TaskInfo{}, err
	}
	now := s.now().UTC()
	t.ID, t.InstanceID, t.ProjectID, t.CreatedAt, t.UpdatedAt = uuid.NewString(), in.ID, in.ProjectID, now, now
	t.State = dms.ConnectTaskRunning
	if later {
		t.State = dms.ConnectTaskWaiting
	}
	if t.Sealed, err = s.seal(sec); err != nil {
		return TaskInfo{}, dms.Internal(err)
	}
	if err := s.store.CreateConnectTask(ctx, t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return TaskInfo{}, dms.Errorf(dms.CodeConnectTaskCreateFailed, "Failed to create the Smart Connect task: the instance already has a task named %s.", t.Name)
		}
		return TaskInfo{}, dms.Internal(err)
	}
	if t.State == dms.ConnectTaskRunning {
		if err := s.start(ctx, in, t, false); err != nil {
			s.stop(context.WithoutCancel(ctx), in, t, true)
			if derr := s.store.DeleteConnectTask(context.WithoutCancel(ctx), t.ID); derr != nil {
				s.log.Error("Smart Connect task record left after its start failed", "task_id", t.ID, "err", derr)
			}
			return TaskInfo{}, failed(dms.CodeConnectTaskCreateFailed, "Failed to create the Smart Connect task", err)
		}
	}
	return s.info(ctx, in, t, false), nil
}

// failed is a task operation's error: a DMS error as it is, anything else under code with the
// first line of what went wrong.
func failed(code, what string, err error) error {
	var de *dms.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, redis.ErrWrongType) {
		return redisTypeMismatch(err)
	}
	return dms.Errorf(code, "%s: %s", what, firstLine(err.Error()))
}

// redisTypeMismatch is DMS.00400875: redis_type is not what the server is (a cluster node given
// as standalone or the other way round).
func redisTypeMismatch(err error) error {
	return dms.Errorf(dms.CodeConnectRedisTypeMismatch, "Inconsistent source and target Redis instance types in the Smart Connect task: %s",
		strings.TrimPrefix(firstLine(err.Error()), redis.ErrWrongType.Error()+": "))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// admissible checks t against the instance: the quota, the engine, the topics other dump tasks
// dump, the peer. Callers hold the instance's lock.
func (s *Service) admissible(ctx context.Context, in dms.Instance, t dms.ConnectTask) error {
	others, err := s.store.ListConnectTasks(ctx, in.ID)
	if err != nil {
		return dms.Internal(err)
	}
	if len(others) >= in.Connector.MaxTasks {
		return dms.Errorf(dms.CodeConnectTaskQuota, "The dumping task quota has been reached: the instance has %d Smart Connect tasks, its quota.", len(others))
	}
	if t.SourceType == dms.ConnectKafkaSource {
		if _, ok := s.inst.ConnectRunner(in); !ok || len(in.Connector.Nodes) == 0 {
			return dms.Errorf(dms.CodeUnsupportedType, "Kafka replication tasks run on Kafka Connect workers, which the %s engine of this instance does not run.", in.Runtime)
		}
		if err := s.checkMirror(ctx, in, t); err != nil {
			return err
		}
	}
	if t.SourceType == dms.ConnectRedisSource {
		if err := s.sourceTopicExists(ctx, in, t); err != nil {
			return err
		}
	}
	if t.SinkType == dms.ConnectOBSSink && t.Topics != "" {
		mine := SplitTopics(t.Topics)
		for _, o := range others {
			if o.ID == t.ID || o.SinkType != dms.ConnectOBSSink {
				continue
			}
			for _, n := range SplitTopics(o.Topics) {
				if slices.Contains(mine, n) {
					return dms.Errorf(dms.CodeConnectTopicInUse, "The topic has been used in another Smart Connect task: %s is dumped by the task %s.", n, o.Name)
				}
			}
		}
	}
	return nil
}

// sourceTopicExists checks that the topic a Redis source writes to exists (DMS.00400876): its
// producer would otherwise retry an unknown topic while the task shows RUNNING. (Sink tasks may
// name topics created later: their consumers pick them up.)
func (s *Service) sourceTopicExists(ctx context.Context, in dms.Instance, t dms.ConnectTask) error {
	c, err := s.inst.Client(in)
	if err != nil {
		return dms.Internal(err)
	}
	ts, err := c.Topics(ctx)
	if err != nil {
		return failed(dms.CodeConnectTaskCreateFailed, "Failed to create the Smart Connect task: the instance's topics could not be read", err)
	}
	for _, tp := range ts {
		if tp.Name == t.Topics {
			return nil
		}
	}
	return dms.Errorf(dms.CodeTopicNotExist, "The topic does not exist: a Redis source writes to topic %s, which the instance does not have.", t.Topics)
}

// ListTasks is 5.3.4.
func (s *Service) ListTasks(ctx context.Context, projectID, instanceID string, offset, limit int) (Page, error) {
	in, err := s.inst.Get(ctx, projectID, instanceID)
	if err != nil {
		return Page{}, err
	}
	if in.Connector == nil {
		return Page{}, noConnector(in.ID)
	}
	ts, err := s.store.ListConnectTasks(ctx, in.ID)
	if err != nil {
		return Page{}, dms.Internal(err)
	}
	p := Page{Total: len(ts), MaxTasks: in.Connector.MaxTasks, Tasks: []TaskInfo{}}
	if offset < len(ts) {
		for _, t := range ts[offset:min(offset+limit, len(ts))] {
			p.Tasks = append(p.Tasks, s.info(ctx, in, t, false))
		}
	}
	return p, nil
}

// Task is 5.3.5 (with progress: 7.2.4.5's topics_info).
func (s *Service) Task(ctx context.Context, projectID, instanceID, taskID string, progress bool) (TaskInfo, error) {
	in, err := s.inst.Get(ctx, projectID, instanceID)
	if err != nil {
		return TaskInfo{}, err
	}
	if in.Connector == nil {
		return TaskInfo{}, noConnector(in.ID)
	}
	t, err := s.task(ctx, in, taskID)
	if err != nil {
		return TaskInfo{}, err
	}
	return s.info(ctx, in, t, progress), nil
}

// DeleteTask is 5.3.6: the task stops, its connectors (or runner) and their positions go.
func (s *Service) DeleteTask(ctx context.Context, projectID, instanceID, taskID string) error {
	return s.withTask(ctx, projectID, instanceID, taskID, func(in dms.Instance, t dms.ConnectTask) error {
		if err := s.stop(ctx, in, t, true); err != nil {
			return failed(dms.CodeConnectTaskStopFailed, "Failed to stop the Smart Connect task", err)
		}
		if err := s.store.DeleteConnectTask(ctx, t.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return dms.Internal(err)
		}
		return nil
	})
}

// PauseTask is 5.3.7: a running task stops where it is.
func (s *Service) PauseTask(ctx context.Context, projectID, instanceID, taskID string) error {
	return s.change(ctx, projectID, instanceID, taskID, func(in dms.Instance, t *dms.ConnectTask) error {
		switch t.State {
		case dms.ConnectTaskPaused:
			return nil
		case dms.ConnectTaskWaiting:
			return dms.Errorf(dms.CodeConnectTaskStopFailed, "Failed to stop the Smart Connect task: it has not been started (5.3.9 starts it).")
		}
		if err := s.pause(ctx, in, *t); err != nil {
			return failed(dms.CodeConnectTaskStopFailed, "Failed to stop the Smart Connect task", err)
		}
		t.State = dms.ConnectTaskPaused
		return nil
	})
}

// ResumeTask is 5.3.8: a paused task goes on from where it stopped.
func (s *Service) ResumeTask(ctx context.Context, projectID, instanceID, taskID string) error {
	return s.change(ctx, projectID, instanceID, taskID, func(in dms.Instance, t *dms.ConnectTask) error {
		switch t.State {
		case dms.ConnectTaskWaiting:
			return dms.Errorf(dms.CodeConnectTaskStartFailed, "Failed to start the Smart Connect task: it has not been started yet (5.3.9 starts it).")
		case dms.ConnectTaskRunning:
			if s.healthy(ctx, in, *t) {
				return nil
			}
		}
		t.Error = ""
		if err := s.start(ctx, in, *t, true); err != nil {
			return failed(dms.CodeConnectTaskStartFailed, "Failed to start the Smart Connect task", err)
		}
		t.State = dms.ConnectTaskRunning
		return nil
	})
}

// RestartTask is 5.3.9: starts a task created with start_later, or restarts a running or paused
// one from scratch: its positions are reset (new connectors, consumer group positions deleted).
func (s *Service) RestartTask(ctx context.Context, projectID, instanceID, taskID string) error {
	return s.change(ctx, projectID, instanceID, taskID, func(in dms.Instance, t *dms.ConnectTask) error {
		if t.State != dms.ConnectTaskWaiting {
			if err := s.stop(ctx, in, *t, true); err != nil {
				return failed(dms.CodeConnectTaskRestartFailed, "Failed to restart the Smart Connect task", err)
			}
			t.Generation++
		}
		t.Error, t.Completed = "", false
		if err := s.start(ctx, in, *t, false); err != nil {
			t.State = dms.ConnectTaskPaused // stopped and reset: 5.3.9 again starts it
			return failed(dms.CodeConnectTaskRestartFailed, "Failed to restart the Smart Connect task", err)
		}
		t.State = dms.ConnectTaskRunning
		return nil
	})
}

// ModifyTask is the SDK's ModifyConnectorTask: the topics (topics or topics_regex) of a task
// change; the task goes on with the new ones from its positions. Other fields, where given, must
// be the task's own (DMS.00400873 otherwise).
func (s *Service) ModifyTask(ctx context.Context, projectID, instanceID, taskID string, req TaskRequest) (TaskInfo, error) {
	var out TaskInfo
	err := s.change(ctx, projectID, instanceID, taskID, func(in dms.Instance, t *dms.ConnectTask) error {
		if req.TaskName != nil && str(req.TaskName) != t.Name {
			return dms.Errorf(dms.CodeConnectTaskModifyFailed, "Failed to modify the Smart Connect task: task_name cannot be changed.")
		}
		if req.SourceType != nil && !strings.EqualFold(str(req.SourceType), t.SourceType) || req.SinkType != nil && !strings.EqualFold(str(req.SinkType), t.SinkType) {
			return dms.Errorf(dms.CodeConnectTaskModifyFailed, "Failed to modify the Smart Connect task: source_type and sink_type cannot be changed.")
		}
		if req.Topics == nil && req.TopicsRegex == nil {
			return dms.Errorf(dms.CodeConnectTaskModifyFailed, "Failed to modify the Smart Connect task: give the new topics or topics_regex.")
		}
		next := *t
		next.Topics, next.TopicsRegex = str(req.Topics), str(req.TopicsRegex)
		if err := checkTopics(&next); err != nil {
			return err
		}
		if err := s.admissibleTopics(ctx, in, next); err != nil {
			return err
		}
		if next.State == dms.ConnectTaskRunning {
			if err := s.start(ctx, in, next, true); err != nil {
				return failed(dms.CodeConnectTaskModifyFailed, "Failed to modify the Smart Connect task", err)
			}
		}
		*t = next
		return nil
	})
	if err != nil {
		return out, err
	}
	return s.Task(ctx, projectID, instanceID, taskID, false)
}

func (s *Service) admissibleTopics(ctx context.Context, in dms.Instance, t dms.ConnectTask) error {
	c := *in.Connector
	c.MaxTasks = 1 << 30 // the quota counts tasks, and this one exists
	in.Connector = &c
	return s.admissible(ctx, in, t)
}

// withTask runs f on a task of an instance with its connector, under the instance's lock.
func (s *Service) withTask(ctx context.Context, projectID, instanceID, taskID string, f func(in dms.Instance, t dms.ConnectTask) error) error {
	unlock := s.locks.Lock(instanceID)
	defer unlock()
	in, err := s.connector(ctx, projectID, instanceID)
	if err != nil {
		return err
	}
	t, err := s.task(ctx, in, taskID)
	if err != nil {
		return err
	}
	return f(in, t)
}

// change runs f on a task under its instance's lock and stores what f left.
func (s *Service) change(ctx context.Context, projectID, instanceID, taskID string, f func(in dms.Instance, t *dms.ConnectTask) error) error {
	return s.withTask(ctx, projectID, instanceID, taskID, func(in dms.Instance, t dms.ConnectTask) error {
		ferr := f(in, &t)
		t.UpdatedAt = s.now().UTC()
		if err := s.store.UpdateConnectTask(ctx, t); err != nil {
			return dms.Internal(err)
		}
		return ferr
	})
}
