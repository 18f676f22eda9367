// Package diagnosis is the message backlog diagnosis of 5.11: a pre-check (5.11.1) and reports
// (5.11.2-5.11.5). A report observes one consumer group on one topic for a window on the
// instance's real cluster (samples of the group's members, assignment and committed offsets and of
// the topic's log end offsets, then the topic's partitions and the brokers) and analyses what it
// saw into items per dimension, each normal, abnormal (with causes, advice, and the partitions and
// brokers concerned) or failed. Reports are kept in the store: one still diagnosing when dmsd stops
// is observed afresh when it starts again.
package diagnosis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/groups"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
	"github.com/opendms/opendms/internal/store"
)

// Config tunes the diagnosis.
type Config struct {
	// Window is how long a report observes the group (default 60 s): long enough to see commits
	// move and production outpace consumption, short enough to wait for.
	Window time.Duration
	// Samples is how many looks the window takes, the first at its start and the last at its end
	// (default 7; at least 2).
	Samples int
	// MaxRunning bounds the reports diagnosing at once per instance (default 5).
	MaxRunning int
}

func (c *Config) defaults() {
	if c.Window <= 0 {
		c.Window = time.Minute
	}
	if c.Samples < 2 {
		c.Samples = 7
	}
	if c.MaxRunning <= 0 {
		c.MaxRunning = 5
	}
}

// readyTimeout bounds how long a report resumed at start-up waits for its instance to run again.
const readyTimeout = 3 * time.Minute

// Service runs diagnoses and keeps their reports.
type Service struct {
	instances *instances.Service
	groups    *groups.Service
	store     store.Diagnoses
	cfg       Config
	log       *slog.Logger

	ctx     context.Context // cancelled by Close
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex               // guards running and the final write of a report against its deletion
	running map[string]runningReport // by report id
}

type runningReport struct {
	instanceID, group, topic string
	cancel                   context.CancelFunc
}

// New makes the service; Start resumes the reports left diagnosing.
func New(inst *instances.Service, grp *groups.Service, st store.Diagnoses, cfg Config, log *slog.Logger) *Service {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{instances: inst, groups: grp, store: st, cfg: cfg, log: log, ctx: ctx, cancel: cancel, running: map[string]runningReport{}}
}

// Start observes afresh every report that was diagnosing when dmsd stopped.
func (s *Service) Start(ctx context.Context) error {
	rs, err := s.store.ListDiagnoses(ctx, "")
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Status == dms.DiagnosisDiagnosing {
			s.log.Info("resuming message backlog diagnosis", "instance", r.InstanceID, "report", r.ID, "group", r.Group, "topic", r.Topic)
			s.launch(r)
		}
	}
	return nil
}

// Close stops the running diagnoses (they stay diagnosing and resume at the next Start).
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

// Create starts a diagnosis of group on topic (5.11.2) and returns its report, diagnosing. The
// instance must be running, the topic and the group must exist. A diagnosis of the same group and
// topic already running is returned rather than started twice.
func (s *Service) Create(ctx context.Context, projectID, instanceID, group, topic string) (dms.DiagnosisReport, error) {
	if err := required(group, topic, "group_name", "topic_name"); err != nil {
		return dms.DiagnosisReport{}, err
	}
	if _, _, err := s.check(ctx, projectID, instanceID, group, topic); err != nil {
		return dms.DiagnosisReport{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, rr := range s.running {
		if rr.instanceID != instanceID {
			continue
		}
		if rr.group == group && rr.topic == topic {
			r, err := s.store.GetDiagnosis(ctx, id)
			if err == nil {
				return r, nil
			}
		}
		n++
	}
	if n >= s.cfg.MaxRunning {
		return dms.DiagnosisReport{}, dms.Errorf(dms.CodeInvalidParameter,
			"Invalid request parameter: %d diagnoses are already running on this instance; wait for one to finish.", n)
	}
	r := dms.DiagnosisReport{ID: uuid.NewString(), InstanceID: instanceID, Group: group, Topic: topic,
		Status: dms.DiagnosisDiagnosing, BeginTime: time.Now().UTC()}
	if err := s.store.CreateDiagnosis(ctx, r); err != nil {
		return dms.DiagnosisReport{}, dms.Internal(err)
	}
	s.launchLocked(r)
	return r, nil
}

// check verifies that the instance runs and that the topic and the group exist, and returns the
// instance and its Kafka client.
func (s *Service) check(ctx context.Context, projectID, instanceID, group, topic string) (dms.Instance, *kafkaops.Client, error) {
	in, c, err := s.instances.ClusterClient(ctx, projectID, instanceID)
	if err != nil {
		return in, nil, err
	}
	if _, err := c.DescribeTopic(ctx, topic); err != nil {
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			return in, nil, dms.Errorf(dms.CodeTopicNotExist, "The topic does not exist: %s.", topic)
		}
		return in, nil, kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
	}
	if _, err := s.groups.Get(ctx, projectID, instanceID, group); err != nil {
		return in, nil, err
	}
	return in, c, nil
}

func required(a, b, nameA, nameB string) error {
	for _, f := range []struct{ v, name string }{{a, nameA}, {b, nameB}} {
		if strings.TrimSpace(f.v) == "" {
			return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s is required.", f.name)
		}
	}
	return nil
}

func (s *Service) launch(r dms.DiagnosisReport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.launchLocked(r)
}

func (s *Service) launchLocked(r dms.DiagnosisReport) {
	ctx, cancel := context.WithCancel(s.ctx)
	s.running[r.ID] = runningReport{instanceID: r.InstanceID, group: r.Group, topic: r.Topic, cancel: cancel}
	s.wg.Go(func() {
		defer cancel()
		s.run(ctx, r)
		s.mu.Lock()
		delete(s.running, r.ID)
		s.mu.Unlock()
	})
}

// run observes and analyses r, then stores the result. Cancelled (dmsd stopping, or the report
// deleted), it stores nothing.
func (s *Service) run(ctx context.Context, r dms.DiagnosisReport) {
	in, c, err := s.waitRunning(ctx, r.InstanceID)
	if err != nil {
		if ctx.Err() == nil {
			s.finish(r, nil, 0, err)
		}
		return
	}
	ob := observer{c: c, group: r.Group, topic: r.Topic}
	o := observation{group: r.Group, topic: r.Topic}
	interval := s.cfg.Window / time.Duration(s.cfg.Samples-1)
	start := time.Now()
	for i := 0; i < s.cfg.Samples; i++ {
		if i > 0 {
			t := time.NewTimer(time.Until(start.Add(time.Duration(i) * interval)))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		o.samples = append(o.samples, ob.take(ctx))
	}
	ob.observeEnd(ctx, &o, brokerIDs(in))
	if ctx.Err() != nil {
		return
	}
	dims, acc := analyze(o)
	s.finish(r, dims, acc, nil)
}

// waitRunning waits for the instance to be running (a report resumed at start-up may come before
// its instance is back).
func (s *Service) waitRunning(ctx context.Context, instanceID string) (dms.Instance, *kafkaops.Client, error) {
	deadline := time.Now().Add(readyTimeout)
	for {
		in, err := s.instances.Lookup(ctx, instanceID)
		if err != nil {
			return in, nil, err
		}
		if in.Status == dms.StatusRunning {
			c, err := s.instances.Client(in)
			return in, c, err
		}
		if time.Now().After(deadline) {
			return in, nil, fmt.Errorf("the instance is %s, not RUNNING", in.Status)
		}
		select {
		case <-ctx.Done():
			return in, nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// finish stores the outcome of r, unless r was deleted meanwhile.
func (s *Service) finish(r dms.DiagnosisReport, dims []dms.DiagnosisDimension, accumulated int, runErr error) {
	r.EndTime = time.Now().UTC()
	r.Dimensions, r.AccumulatedPartitions = dims, accumulated
	r.Status = statusOf(dims)
	if runErr != nil {
		r.Status, r.Error = dms.DiagnosisFailed, runErr.Error()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cur, err := s.store.GetDiagnosis(ctx, r.ID)
	if err != nil || cur.Status == dms.DiagnosisDeleted {
		return
	}
	if err := s.store.UpdateDiagnosis(ctx, r); err != nil {
		s.log.Error("storing a diagnosis report", "instance", r.InstanceID, "report", r.ID, "err", err)
		return
	}
	s.log.Info("message backlog diagnosis finished", "instance", r.InstanceID, "report", r.ID, "group", r.Group, "topic", r.Topic,
		"status", r.Status, "accumulated_partitions", accumulated)
}

// statusOf is the report status of finished dimensions: abnormal if any item is, failed if every
// item failed, finished if some did, normal otherwise.
func statusOf(dims []dms.DiagnosisDimension) dms.DiagnosisStatus {
	var items, bad, failedN int
	for _, d := range dims {
		for _, it := range d.Items {
			items++
			switch it.Result {
			case dms.ItemAbnormal:
				bad++
			case dms.ItemFailed:
				failedN++
			}
		}
	}
	switch {
	case bad > 0:
		return dms.DiagnosisAbnormal
	case items == 0 || failedN == items:
		return dms.DiagnosisFailed
	case failedN > 0:
		return dms.DiagnosisFinished
	}
	return dms.DiagnosisNormal
}

// List returns the instance's reports, newest first, deleted ones left out (5.11.3): the total and
// the page [offset, offset+limit).
func (s *Service) List(ctx context.Context, projectID, instanceID string, offset, limit int) (int, []dms.DiagnosisReport, error) {
	if _, err := s.instances.Get(ctx, projectID, instanceID); err != nil {
		return 0, nil, err
	}
	rs, err := s.store.ListDiagnoses(ctx, instanceID)
	if err != nil {
		return 0, nil, dms.Internal(err)
	}
	kept := rs[:0]
	for _, r := range rs {
		if r.Status != dms.DiagnosisDeleted {
			kept = append(kept, r)
		}
	}
	if offset >= len(kept) {
		return len(kept), []dms.DiagnosisReport{}, nil
	}
	return len(kept), kept[offset:min(offset+limit, len(kept))], nil
}

// Get returns one report of the instance (5.11.5); a deleted or unknown one is DMS.00404900.
func (s *Service) Get(ctx context.Context, projectID, instanceID, id string) (dms.DiagnosisReport, error) {
	if _, err := s.instances.Get(ctx, projectID, instanceID); err != nil {
		return dms.DiagnosisReport{}, err
	}
	r, err := s.store.GetDiagnosis(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (r.InstanceID != instanceID || r.Status == dms.DiagnosisDeleted)) {
		return dms.DiagnosisReport{}, dms.Errorf(dms.CodeResourceNotFound, "The diagnosis report %s does not exist.", id)
	}
	if err != nil {
		return dms.DiagnosisReport{}, dms.Internal(err)
	}
	return r, nil
}

// DeleteResult is the outcome of deleting one report.
type DeleteResult struct {
	ID      string
	Deleted bool
}

// Delete deletes reports (5.11.4): each is marked deleted, and its diagnosis stopped if it still
// runs. An id the instance has no report of is not deleted.
func (s *Service) Delete(ctx context.Context, projectID, instanceID string, ids []string) ([]DeleteResult, error) {
	if len(ids) == 0 {
		return nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: report_id_list is required.")
	}
	if _, err := s.instances.Get(ctx, projectID, instanceID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]DeleteResult, 0, len(ids))
	for _, id := range ids {
		r, err := s.store.GetDiagnosis(ctx, id)
		if err != nil || r.InstanceID != instanceID || r.Status == dms.DiagnosisDeleted {
			out = append(out, DeleteResult{ID: id})
			continue
		}
		if rr, ok := s.running[id]; ok {
			rr.cancel()
		}
		r.Status = dms.DiagnosisDeleted
		if r.EndTime.IsZero() {
			r.EndTime = time.Now().UTC()
		}
		if err := s.store.UpdateDiagnosis(ctx, r); err != nil {
			s.log.Error("deleting a diagnosis report", "instance", instanceID, "report", id, "err", err)
			out = append(out, DeleteResult{ID: id})
			continue
		}
		out = append(out, DeleteResult{ID: id, Deleted: true})
	}
	return out, nil
}

// brokerIDs are the ids of an instance's brokers.
func brokerIDs(in dms.Instance) []int32 {
	ids := make([]int32, len(in.Brokers))
	for i, b := range in.Brokers {
		ids[i] = b.ID
	}
	return ids
}
