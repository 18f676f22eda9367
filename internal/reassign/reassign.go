// Package reassign is the service behind partition reassignment: 5.2.8 (one topic, manual plan)
// and 5.2.11 (several topics, manual plans or automatic ones from brokers + replication_factor,
// with a throttle, a time estimate, or a schedule), and the rebalance of a whole instance onto a set
// of brokers.
//
// Start checks a request against the cluster as it is (the topics and partitions exist, the brokers
// are live, replica lists are sound), computes the plan (every partition's target replicas, their
// sizes from DescribeLogDirs, the batches) and either answers the estimated time or stores a durable
// task whose parameters are the whole plan, so a task resumed after a dmsd restart carries on with
// the same targets and never plans again. The task (Execute) sets the replication throttle, submits
// the moves a batch at a time (largest first) and waits for each, elects the preferred leaders of
// the moved partitions (the first replica leads, as 5.2.8 says) and removes the throttle, recording
// its progress (partitions moved of total) for ShowBackgroundTaskProgress. The instance stays
// RUNNING throughout: its brokers keep serving.
//
// The embedded engine (kfake) accepts reassignments and moves nothing
// (engine.Capabilities.Reassignment is false): such instances get a 400 for a move, and their
// estimate is still answered.
package reassign

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
	"github.com/opendms/opendms/internal/rebalance"
	"github.com/opendms/opendms/internal/tasks"
)

// TaskName is the task of a reassignment, as 5.9 lists it.
const TaskName = "reassignPartitions"

// Request is a reassignment (5.2.11's body; 5.2.8's becomes one entry with an assignment). It is
// plain JSON with the reference's names, so a scheduled reassignment can store it and Start it at
// its time.
type Request struct {
	Reassignments []Entry `json:"reassignments"`
	// Throttle is the replication throttle in bytes/s per broker (0: none).
	Throttle     int64 `json:"throttle,omitempty"`
	IsSchedule   bool  `json:"is_schedule,omitempty"`
	ExecuteAt    int64 `json:"execute_at,omitempty"` // Unix ms
	TimeEstimate bool  `json:"time_estimate,omitempty"`
}

// Entry is one topic's reassignment: a manual Assignment, or automatic placement on Brokers with
// ReplicationFactor replicas (0: the topic's current one). When both are given the assignment is the
// plan (the reference's own example sends both).
type Entry struct {
	Topic             string       `json:"topic"`
	Brokers           []int32      `json:"brokers,omitempty"`
	ReplicationFactor int          `json:"replication_factor,omitempty"`
	Assignment        []Assignment `json:"assignment,omitempty"`
}

// Assignment is one partition's replicas in a manual plan (the first one the leader).
type Assignment struct {
	Partition *int32  `json:"partition"`
	Brokers   []int32 `json:"partition_brokers"`
}

// Result is Start's answer: the task started, or the estimate.
type Result struct {
	Task             dms.Task
	Estimated        bool
	ReassignmentTime int // seconds (when Estimated)
	// Scheduled is the scheduled task stored for is_schedule (its id is the answer's job_id).
	Scheduled *dms.ScheduledTask
	Plan      Plan
}

// Service starts and runs reassignments.
type Service struct {
	instances *instances.Service
	runner    *tasks.Runner
	log       *slog.Logger
	exec      Executor
}

// New makes the service and registers its task with the runner, its start function with the
// instances service's scheduler (5.2.11's is_schedule), and itself as the instances service's
// BrokersAddedHook (5.4.1's rebalance option): make it after SetScheduler and before the instances
// service's Start resumes the tasks a restart interrupted.
func New(inst *instances.Service, runner *tasks.Runner, log *slog.Logger) *Service {
	s := &Service{instances: inst, runner: runner, log: log, exec: Executor{Poll: time.Second, Patience: 3 * time.Minute}}
	runner.Register(TaskName, s.run)
	if sc := inst.Scheduler(); sc != nil { // 5.2.11 with is_schedule
		sc.Register(TaskName, s.startScheduled)
	}
	inst.SetBrokersAddedHook(s) // 5.4.1's rebalance option
	return s
}

// params are the task's parameters: the request as received and the plan computed from it, and
// the throttle configs the task found before setting its own (given back when it removes it).
type params struct {
	Request Request `json:"request"`
	Plan    Plan    `json:"plan"`
	// PriorAtStart are the throttle configs in place that the task read itself, right before it
	// set its throttle (nil: not read yet).
	PriorAtStart *kafkaops.ThrottleConfigs `json:"prior_throttle_at_start,omitempty"`
}

// Start checks r against the instance's cluster and answers its estimate (r.TimeEstimate) or starts
// its task. Errors (all 4xx but the cluster's own failures):
//   - is_schedule: execute_at missing, past or too far ahead: 400 DMS.00400142 (the schedule
//     service's CheckTime); execute_at without is_schedule: 400 DMS.00400062; otherwise checked as
//     now and stored to start at its time (Result.Scheduled);
//   - no reassignments, a topic empty or named twice, an entry with neither brokers nor
//     assignment, a partition missing, unknown or assigned twice, an empty replica list, a broker
//     named twice or not a live broker of the instance, partitions of one topic left with different
//     replica counts, a negative throttle: 400 DMS.00400062 naming the field;
//   - a topic that does not exist: 400 DMS.00400876;
//   - more replicas than live brokers (manual), or a replication_factor above the brokers given
//     (automatic): 400 DMS.00400861; a replication_factor below 1: 400 DMS.00400103;
//   - a move on the embedded engine: 400 DMS.00400007 (it does not move replicas);
//   - an instance not RUNNING, or busy with another task: the instances service's errors.
func (s *Service) Start(ctx context.Context, projectID, instanceID string, who instances.Actor, r Request) (Result, error) {
	scheduled := r.IsSchedule && !r.TimeEstimate
	var at time.Time
	switch {
	case scheduled:
		sc := s.instances.Scheduler()
		if sc == nil {
			return Result{}, dms.Errorf(dms.CodeNotImplemented, "Scheduled tasks are not enabled on this server: submit the reassignment without is_schedule at its time.")
		}
		if r.ExecuteAt != 0 {
			at = time.UnixMilli(r.ExecuteAt)
		}
		if err := sc.CheckTime(at); err != nil {
			return Result{}, err
		}
	case r.ExecuteAt != 0 && !r.IsSchedule:
		return Result{}, invalid("execute_at is taken only with is_schedule true")
	}
	if r.Throttle < 0 {
		return Result{}, invalid("throttle must be a positive rate in bytes/s, or 0 for none")
	}
	in, c, err := s.instances.ClusterClient(ctx, projectID, instanceID)
	if err != nil {
		return Result{}, err
	}
	plan, err := planRequest(ctx, c, r)
	if err != nil {
		return Result{}, err
	}
	if r.TimeEstimate {
		return Result{Estimated: true, ReassignmentTime: EstimateSeconds(plan, r.Throttle), Plan: plan}, nil
	}
	if !s.instances.Capabilities(in).Reassignment {
		return Result{}, notSupported()
	}
	if scheduled {
		return s.scheduleLater(ctx, projectID, instanceID, who, r, at)
	}
	return s.submit(ctx, projectID, instanceID, who, r, plan)
}

// scheduleLater stores r (checked against the cluster as it is now) to start at at (5.2.11 with
// is_schedule). At its time the request is checked and planned again against the cluster as it is
// then (topics and brokers may have changed), exactly as if it were sent then: startScheduled.
func (s *Service) scheduleLater(ctx context.Context, projectID, instanceID string, who instances.Actor, r Request, at time.Time) (Result, error) {
	r.IsSchedule, r.ExecuteAt = false, 0
	body, err := json.Marshal(r)
	if err != nil {
		return Result{}, dms.Internal(err)
	}
	st, err := s.instances.Scheduler().Add(ctx, dms.ScheduledTask{InstanceID: instanceID, ProjectID: projectID, Name: TaskName,
		Params: string(body), UserID: who.UserID, UserName: who.UserName, ScheduleAt: at})
	if err != nil {
		return Result{}, err
	}
	return Result{Scheduled: &st}, nil
}

// startScheduled starts a scheduled reassignment at its time (the schedule service's start
// function for TaskName).
func (s *Service) startScheduled(ctx context.Context, st dms.ScheduledTask) (dms.Task, error) {
	var r Request
	if err := json.Unmarshal([]byte(st.Params), &r); err != nil {
		return dms.Task{}, dms.Internal(fmt.Errorf("scheduled reassignment %s: %w", st.ID, err))
	}
	r.IsSchedule, r.ExecuteAt = false, 0
	res, err := s.Start(ctx, st.ProjectID, st.InstanceID, instances.Actor{UserID: st.UserID, UserName: st.UserName}, r)
	return res.Task, err
}

func notSupported() error {
	return dms.Errorf(dms.CodeUnsupportedType, "Unsupported type: the instance runs on the embedded engine, which does not move replicas "+
		"(opendms.capabilities.reassignment is false); partition reassignment needs an instance on the local engine. "+
		"A time estimate (time_estimate true) is still answered.")
}

// submit starts the task. The throttle configs in place are not read here but by the task, right
// before it sets its throttle (see execute): read now, outside the instance's lock and before the
// task's turn, they may be the throttle of a task that is ending, which the new one would give back
// for good when it ends.
func (s *Service) submit(ctx context.Context, projectID, instanceID string, who instances.Actor, r Request, plan Plan) (Result, error) {
	t, err := s.instances.StartServingTask(ctx, projectID, instanceID, who, TaskName, params{Request: r, Plan: plan}, nil)
	if err != nil {
		return Result{}, err
	}
	return Result{Task: t, Plan: plan}, nil
}

// planRequest reads the cluster (brokers, the request's topics, their sizes) and builds the plan.
func planRequest(ctx context.Context, c *kafkaops.Client, r Request) (Plan, error) {
	if len(r.Reassignments) == 0 {
		return Plan{}, invalid("reassignments is empty: give at least one topic")
	}
	var names []string
	automatic := false
	for _, e := range r.Reassignments {
		if e.Topic != "" && !slices.Contains(names, e.Topic) {
			names = append(names, e.Topic)
		}
		automatic = automatic || len(e.Assignment) == 0 && len(e.Brokers) > 0
	}
	if automatic {
		names = nil // the other topics' load counts for automatic placement: read every topic
	}
	v, err := view(ctx, c, names...)
	if err != nil {
		return Plan{}, err
	}
	return buildPlan(r, v)
}

// view reads the layout of the named topics (all when none) and their partitions' sizes.
func view(ctx context.Context, c *kafkaops.Client, topics ...string) (layoutView, error) {
	l, err := c.Layout(ctx, topics...)
	if err != nil {
		return layoutView{}, kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	v := layoutView{brokers: l.Brokers, topics: l.Topics, sizes: map[tp]int64{}}
	var existing []string
	for _, t := range topics {
		if _, ok := l.Topics[t]; ok {
			existing = append(existing, t)
		}
	}
	if len(topics) == 0 || len(existing) > 0 { // none named: all topics
		logs, err := c.ReplicaLogs(ctx, existing...)
		if err != nil {
			return layoutView{}, kafkaerr.ToDMS(kafkaerr.About{}, err)
		}
		for _, rl := range logs {
			k := tp{rl.Topic, rl.Partition}
			v.sizes[k] = max(v.sizes[k], rl.Size)
		}
	}
	return v, nil
}

// ReplicaPlacement is 5.2.8's body: each listed partition's new replicas (the first the leader).
type ReplicaPlacement struct {
	Partition *int32  `json:"partition"`
	Replicas  []int32 `json:"replicas"`
}

// ReassignTopic is 5.2.8: one topic's manual plan, started as a task (no throttle).
func (s *Service) ReassignTopic(ctx context.Context, projectID, instanceID string, who instances.Actor, topic string, parts []ReplicaPlacement) (Result, error) {
	if len(parts) == 0 {
		return Result{}, invalid("partitions is empty: give each partition's replicas")
	}
	e := Entry{Topic: topic}
	for _, p := range parts {
		e.Assignment = append(e.Assignment, Assignment{Partition: p.Partition, Brokers: p.Replicas})
	}
	return s.Start(ctx, projectID, instanceID, who, Request{Reassignments: []Entry{e}})
}

// RebalanceRequest is a rebalance of a whole instance (all topics, internal ones included:
// __consumer_offsets should reach new brokers too). Plain JSON, like Request.
type RebalanceRequest struct {
	// Brokers are where replicas may be (none: every live broker).
	Brokers []int32 `json:"brokers,omitempty"`
	// NewBrokers, when given, makes it Strimzi's add-brokers mode: only these brokers receive
	// replicas and leadership (after a horizontal extension). Without it, a full rebalance.
	NewBrokers   []int32 `json:"new_brokers,omitempty"`
	Throttle     int64   `json:"throttle,omitempty"` // bytes/s per broker, 0: none
	TimeEstimate bool    `json:"time_estimate,omitempty"`
}

// Rebalance plans a balanced layout of every partition of the instance with the planner
// (rebalance.Balance: even replicas and leaders per broker and per topic, even bytes, no two
// replicas of a partition on one broker) and runs it as the same task as 5.2.11 (or answers its
// estimate). A balanced instance gives an empty plan: a task that only records it is done. Errors as
// Start's, and 400 DMS.00400062 for a broker that is not live.
func (s *Service) Rebalance(ctx context.Context, projectID, instanceID string, who instances.Actor, r RebalanceRequest) (Result, error) {
	if r.Throttle < 0 {
		return Result{}, invalid("throttle must be a positive rate in bytes/s, or 0 for none")
	}
	in, c, err := s.instances.ClusterClient(ctx, projectID, instanceID)
	if err != nil {
		return Result{}, err
	}
	plan, err := planRebalance(ctx, c, r, brokerIDs(instances.ServingBrokers(in)))
	if err != nil {
		return Result{}, err
	}
	if r.TimeEstimate {
		return Result{Estimated: true, ReassignmentTime: EstimateSeconds(plan, r.Throttle), Plan: plan}, nil
	}
	if !s.instances.Capabilities(in).Reassignment {
		return Result{}, notSupported()
	}
	return s.submit(ctx, projectID, instanceID, who, Request{Throttle: r.Throttle}, plan)
}

// BrokersAdded implements instances.BrokersAddedHook: after a horizontal extension that asked for
// it, the partitions move onto the added brokers (the planner's add-brokers mode: nothing moves
// between the old brokers). The plan and the throttle configs in place are read now, inside the
// extension's task, and stored with a reassignment task of its own, which the runner starts when
// the extension's has ended (an instance's tasks run one at a time): it is durable and shows its
// progress like any 5.2.11 task. A resumed extension task finds the one it submitted before.
func (s *Service) BrokersAdded(ctx context.Context, in dms.Instance, ext dms.Task, added []int32, throttle int64) (string, error) {
	ts, _, err := s.instances.Tasks(ctx, in.ProjectID, in.ID, instances.TaskFilter{})
	if err != nil {
		return "", err
	}
	for _, t := range ts {
		if t.Name == TaskName && !t.CreatedAt.Before(ext.CreatedAt) {
			return t.ID, nil // submitted by this extension before a restart
		}
	}
	c, err := s.instances.Client(in)
	if err != nil {
		return "", err
	}
	r := RebalanceRequest{NewBrokers: added, Throttle: throttle}
	plan, err := planRebalance(ctx, c, r, brokerIDs(in.Brokers)) // the added ones too: registered by now
	if err != nil {
		return "", err
	}
	// The throttle configs in place are read by the task itself, when it runs (execute).
	body, err := json.Marshal(params{Request: Request{Throttle: throttle}, Plan: plan})
	if err != nil {
		return "", err
	}
	t, err := s.runner.Submit(ctx, dms.Task{InstanceID: in.ID, ProjectID: in.ProjectID, Name: TaskName, Params: string(body),
		UserID: ext.UserID, UserName: ext.UserName})
	return t.ID, err
}

func brokerIDs(bs []dms.BrokerAddr) []int32 {
	out := make([]int32, len(bs))
	for i, b := range bs {
		out[i] = b.ID
	}
	return out
}

// planRebalance plans r against the cluster (every topic, their sizes) with rebalance.Balance.
//
// own are the instance's brokers (as its record has them): the default placement, and each must be
// registered now. A broker briefly down (restarting, fenced) is missing from the cluster's metadata;
// planning over the live ones would move every replica off it, so the rebalance is refused until
// it is back.
func planRebalance(ctx context.Context, c *kafkaops.Client, r RebalanceRequest, own []int32) (Plan, error) {
	v, err := view(ctx, c)
	if err != nil {
		return Plan{}, err
	}
	return rebalancePlan(v, r, own)
}

// rebalancePlan is planRebalance's plan from the cluster as read.
func rebalancePlan(v layoutView, r RebalanceRequest, own []int32) (Plan, error) {
	for _, b := range own {
		if !slices.Contains(v.brokers, b) {
			return Plan{}, dms.Errorf(dms.CodeInstanceStatusForbids, "This operation is not allowed due to the instance status: broker %d is not registered now (registered: %v); rebalance once it is back.", b, v.brokers)
		}
	}
	opts := rebalance.Options{Brokers: r.Brokers, MaxBatchPartitions: batchPartitions, BatchBytes: batchBytes}
	if len(opts.Brokers) == 0 {
		opts.Brokers = own
	}
	if len(r.NewBrokers) > 0 {
		opts.Mode, opts.NewBrokers = rebalance.ModeAddBrokers, r.NewBrokers
	}
	for _, b := range append(slices.Clone(opts.Brokers), r.NewBrokers...) {
		if !slices.Contains(own, b) {
			return Plan{}, invalid("broker %d is not a broker of the instance (brokers: %v)", b, own)
		}
	}
	var parts []rebalance.Partition
	for _, name := range slices.Sorted(maps.Keys(v.topics)) {
		parts = append(parts, v.partitions(name)...)
	}
	rp, err := rebalance.Balance(parts, opts)
	if err != nil {
		return Plan{}, planError(err, true, v.brokers, len(opts.Brokers))
	}
	plan := Plan{BytesToMove: rp.BytesToMove, Partitions: len(rp.Moves)}
	for _, b := range rp.Batches {
		plan.Batches = append(plan.Batches, fromPlanner(b))
	}
	return plan, nil
}

// run is the task: it executes the stored plan against the instance's cluster.
func (s *Service) run(ctx context.Context, t dms.Task) error {
	var p params
	if err := json.Unmarshal([]byte(t.Params), &p); err != nil {
		return fmt.Errorf("task parameters: %w", err)
	}
	var c *kafkaops.Client
	var in dms.Instance
	// A resumed task may start before the instance's brokers answer again (or, after a restart,
	// before the extension that submitted it has ended): wait for a RUNNING instance a while.
	deadline := time.Now().Add(s.exec.Patience)
	for {
		var err error
		in, c, err = s.instances.ClusterClient(ctx, t.ProjectID, t.InstanceID)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the instance's cluster is not reachable: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.exec.Poll):
		}
	}
	// Replicas only onto the brokers that serve: an extension that did not finish (its brokers
	// recorded, broker_num not raised) leaves brokers restarts and the monitor do not look after.
	serving := brokerIDs(instances.ServingBrokers(in))
	for _, m := range p.Plan.Moves() {
		for _, b := range m.To {
			if !slices.Contains(serving, b) {
				return fmt.Errorf("broker %d of the plan does not serve the instance (brokers %v): the extension that added it has not finished; extend again, then rebalance", b, serving)
			}
		}
	}
	return s.execute(ctx, c, t, p)
}

// execute carries out the task t's plan on c. The throttle configs in place are read by the run
// itself, inside the task (the runner runs an instance's tasks one at a time, so one that ran before
// has removed its throttle by then), right before it sets its throttle, and kept in the task's
// parameters (PriorAtStart) before it is set: a run resumed after a restart gives back the same
// ones, not its own throttle.
func (s *Service) execute(ctx context.Context, c Cluster, t dms.Task, p params) error {
	prior := Prior{Configs: p.PriorAtStart, Save: func(ctx context.Context, tc kafkaops.ThrottleConfigs) error {
		p.PriorAtStart = &tc
		body, err := json.Marshal(p)
		if err != nil {
			return err
		}
		return s.runner.SetParams(ctx, t.ID, string(body))
	}}
	return s.exec.ExecuteTask(ctx, c, p.Plan, throttleOf(p.Request.Throttle, p.Plan), prior, func(pr dms.TaskProgress) {
		if err := s.runner.SetProgress(context.WithoutCancel(ctx), t.ID, pr); err != nil {
			s.log.Warn("reassignment: recording progress", "task_id", t.ID, "err", err)
		}
	})
}

// throttleOf is the throttle of a plan at rate bytes/s (kafka-reassign-partitions' rule).
func throttleOf(rate int64, p Plan) kafkaops.Throttle {
	var rs []kafkaops.Reassignment
	current := map[string]map[int32][]int32{}
	for _, m := range p.Moves() {
		rs = append(rs, kafkaops.Reassignment{Topic: m.Topic, Partition: m.Partition, Replicas: m.To})
		if current[m.Topic] == nil {
			current[m.Topic] = map[int32][]int32{}
		}
		current[m.Topic][m.Partition] = m.From
	}
	return kafkaops.ThrottleOf(rate, rs, current)
}
