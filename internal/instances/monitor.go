package instances

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/opendms/opendms/internal/dms"
)

// monitor health-checks instances that are RUNNING or ERROR and have no task running: an instance
// whose brokers are not all running and registered becomes ERROR (with the reason), and RUNNING again
// once they are. (The disk usage shown as used_storage_space is the capacity watcher's reading:
// RecordUsage.)
func (s *Service) monitor() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.MonitorInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.checkAll()
		}
	}
}

func (s *Service) checkAll() {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.MonitorInterval)
	all, err := s.store.ListInstances(ctx, "")
	cancel()
	if err != nil {
		s.log.Warn("monitor: list instances", "err", err)
		return
	}
	s.settleStuck(context.Background(), all)
	// Each instance gets its own deadline, and a few are checked at once: one unhealthy instance
	// (whose check waits out its timeout) must not make the others look unhealthy too.
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, in := range all {
		if in.Deleting || in.CreateFailed || (in.Status != dms.StatusRunning && in.Status != dms.StatusError) || s.runner.Busy(in.ID) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.checkOne(in)
		}()
	}
	wg.Wait()
}

func (s *Service) checkOne(in dms.Instance) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	problem := s.check(ctx, in)
	switch {
	case problem != "" && (in.Status != dms.StatusError || in.StatusReason != problem):
		if s.setStatusIfIdle(ctx, in.ID, dms.StatusError, problem) {
			s.log.Warn("instance unhealthy", "instance_id", in.ID, "reason", problem)
		}
	case problem == "" && in.Status == dms.StatusError:
		if s.setStatusIfIdle(ctx, in.ID, dms.StatusRunning, "") {
			s.log.Info("instance recovered", "instance_id", in.ID)
		}
	}
}

// check returns "" for a healthy instance, else what is wrong.
func (s *Service) check(ctx context.Context, in dms.Instance) string {
	if in.AdminPending {
		// Healthy brokers, but SASL clients have no working administrator: not RUNNING until the
		// switch is finished.
		return fmt.Sprintf("the access modes are applied but the SASL administrator %s is not set up: send the same access-mode request again to finish", in.AccessUser)
	}
	e, err := s.engineOf(in)
	if err != nil {
		return err.Error()
	}
	states, err := e.Status(ctx, in.ID)
	if err != nil {
		return "the cluster is not running: " + err.Error()
	}
	// Only the serving brokers (broker_num) make the instance healthy or not: a failed horizontal
	// extension's brokers are recorded but not part of it, and one that can never start must not
	// keep the instance ERROR (from where no retry of the extension is accepted).
	serving := ServingBrokers(in)
	isServing := make(map[int32]bool, len(serving))
	for _, b := range serving {
		isServing[b.ID] = true
	}
	for _, st := range states {
		if isServing[st.ID] && !st.Running {
			return fmt.Sprintf("broker %d is not running (%s)", st.ID, st.LastExit)
		}
	}
	c, err := s.client(in)
	if err != nil {
		return err.Error()
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.WaitBrokers(wctx, len(serving)); err != nil {
		return fmt.Sprintf("not all %d brokers are registered: %v", len(serving), err)
	}
	return ""
}

// setStatusIfIdle changes the status unless a task started meanwhile (tasks own the status while
// they run) or the instance is being deleted or gone; it says whether it changed it (so a check of
// an instance deleted meanwhile reports nothing).
func (s *Service) setStatusIfIdle(ctx context.Context, id, status, reason string) (changed bool) {
	_, err := s.update(ctx, id, func(in *dms.Instance) error {
		if s.runner.Busy(id) || in.Deleting || (in.Status != dms.StatusRunning && in.Status != dms.StatusError) {
			return nil
		}
		in.Status, in.StatusReason, changed = status, reason, true
		return nil
	})
	return changed && err == nil
}
