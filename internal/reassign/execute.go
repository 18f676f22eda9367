package reassign

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
)

// Cluster is what executing a plan needs of a cluster (*kafkaops.Client).
type Cluster interface {
	LayoutEverywhere(ctx context.Context, topics ...string) (map[int32]kafkaops.Layout, error)
	AlterPartitionAssignments(ctx context.Context, rs []kafkaops.Reassignment) ([]kafkaops.PartitionResult, error)
	MovingPartitions(ctx context.Context, parts map[string][]int32) ([]kafkaops.Moving, error)
	ElectPreferredLeaders(ctx context.Context, parts map[string][]int32) ([]kafkaops.PartitionResult, error)
	ApplyThrottle(ctx context.Context, th kafkaops.Throttle) error
	RemoveThrottle(ctx context.Context, th kafkaops.Throttle, prior kafkaops.ThrottleConfigs) error
}

// Executor runs plans.
type Executor struct {
	// Poll is how often a batch's state is read while it moves.
	Poll time.Duration
	// Patience is how long the cluster may fail to answer (brokers restarting, a dmsd restart)
	// before the task fails.
	Patience time.Duration
}

// Step names, as ShowBackgroundTaskProgress lists them.
const (
	stepThrottle   = "set replication throttle"
	stepElect      = "elect preferred leaders"
	stepUnthrottle = "remove replication throttle"
)

func batchStep(i, n, parts int) string {
	return fmt.Sprintf("move batch %d of %d (%d partitions)", i+1, n, parts)
}

// Execute carries out plan: throttle, each batch submitted and waited for (a batch whose partitions
// are at their targets already is skipped: a resumed task picks up where the cluster is), the
// preferred leaders of the moved partitions elected, the throttle removed (also when the plan fails;
// not when ctx ends, as the task then resumes at the next start and the moves in flight stay
// throttled meanwhile). Resubmitting a batch that is moving is harmless: Kafka keeps the same
// target. progress gets every change of the progress (Done: partitions at their target).
func (x Executor) Execute(ctx context.Context, c Cluster, plan Plan, th kafkaops.Throttle, prior kafkaops.ThrottleConfigs,
	progress func(dms.TaskProgress)) (err error) {
	pr := dms.TaskProgress{Total: plan.Partitions, Unit: "partitions"}
	throttled := th.Rate > 0 && len(plan.Batches) > 0
	if throttled {
		pr.Steps = append(pr.Steps, dms.TaskStep{Name: stepThrottle, Status: dms.StepWaiting})
	}
	for i, b := range plan.Batches {
		pr.Steps = append(pr.Steps, dms.TaskStep{Name: batchStep(i, len(plan.Batches), len(b)), Status: dms.StepWaiting})
	}
	pr.Steps = append(pr.Steps, dms.TaskStep{Name: stepElect, Status: dms.StepWaiting})
	if throttled {
		pr.Steps = append(pr.Steps, dms.TaskStep{Name: stepUnthrottle, Status: dms.StepWaiting})
	}
	step := 0
	begin := func() {
		pr.Steps[step].Status, pr.Steps[step].Start = dms.StepInProgress, time.Now().UTC()
		progress(pr)
	}
	end := func() {
		pr.Steps[step].Status, pr.Steps[step].End = dms.StepCompleted, time.Now().UTC()
		step++
		progress(pr)
	}
	progress(pr)
	defer func() {
		if err == nil || ctx.Err() != nil {
			return
		}
		if step < len(pr.Steps) {
			pr.Steps[step].Status, pr.Steps[step].End = dms.StepFailed, time.Now().UTC()
		}
		if throttled {
			// A failed plan leaves no throttle behind (a fresh context: ctx is still live here, but
			// the removal must not be cut short by it).
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if rerr := c.RemoveThrottle(rctx, th, prior); rerr != nil {
				err = fmt.Errorf("%w (and removing the replication throttle failed: %v)", err, rerr)
			}
		}
		progress(pr)
	}()

	if throttled {
		begin()
		if err := x.retry(ctx, func() error { return c.ApplyThrottle(ctx, th) }); err != nil {
			return fmt.Errorf("setting the replication throttle: %w", err)
		}
		end()
	}
	for i, b := range plan.Batches {
		begin()
		if err := x.moveBatch(ctx, c, b, func(done int) {
			pr.Done = x.doneBefore(plan, i) + done
			progress(pr)
		}); err != nil {
			return fmt.Errorf("batch %d of %d: %w", i+1, len(plan.Batches), err)
		}
		end()
	}
	begin()
	if err := x.elect(ctx, c, plan); err != nil {
		return err
	}
	end()
	if throttled {
		begin()
		if err := x.retry(ctx, func() error { return c.RemoveThrottle(ctx, th, prior) }); err != nil {
			return fmt.Errorf("removing the replication throttle: %w", err)
		}
		end()
	}
	return nil
}

func (x Executor) doneBefore(plan Plan, batch int) int {
	n := 0
	for _, b := range plan.Batches[:batch] {
		n += len(b)
	}
	return n
}

// moveBatch submits a batch (unless every partition is at its target already) and waits until every
// partition is: no reassignment in progress, and the metadata's replicas are the target, in order.
func (x Executor) moveBatch(ctx context.Context, c Cluster, b []Move, done func(int)) error {
	parts := map[string][]int32{}
	var topics []string
	for _, m := range b {
		if _, ok := parts[m.Topic]; !ok {
			topics = append(topics, m.Topic)
		}
		parts[m.Topic] = append(parts[m.Topic], m.Partition)
	}
	arrived := func() (int, error) {
		var moving []kafkaops.Moving
		var views map[int32]kafkaops.Layout
		err := x.retry(ctx, func() error {
			var err error
			if moving, err = c.MovingPartitions(ctx, parts); err != nil {
				return err
			}
			views, err = c.LayoutEverywhere(ctx, topics...)
			return err
		})
		if err != nil {
			return 0, err
		}
		n := 0
		for _, m := range b {
			if slices.ContainsFunc(moving, func(mv kafkaops.Moving) bool { return mv.Topic == m.Topic && mv.Partition == m.Partition }) {
				continue
			}
			there := true
			for _, l := range views {
				t, ok := l.Topics[m.Topic]
				if !ok {
					return 0, fmt.Errorf("the topic %s was deleted during the reassignment", m.Topic)
				}
				p, ok := partitionOf(t, m.Partition)
				there = there && ok && slices.Equal(p.Replicas, m.To)
			}
			if there {
				n++
			}
		}
		return n, nil
	}
	n, err := arrived()
	if err != nil {
		return err
	}
	done(n)
	if n == len(b) {
		return nil // moved before a restart
	}
	var rs []kafkaops.Reassignment
	for _, m := range b {
		rs = append(rs, kafkaops.Reassignment{Topic: m.Topic, Partition: m.Partition, Replicas: m.To})
	}
	var results []kafkaops.PartitionResult
	if err := x.retry(ctx, func() error {
		var err error
		results, err = c.AlterPartitionAssignments(ctx, rs)
		return err
	}); err != nil {
		return err
	}
	var refused []error
	for _, r := range results {
		if r.Err != nil {
			refused = append(refused, fmt.Errorf("%s partition %d: %w", r.Topic, r.Partition, r.Err))
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("the cluster refused the reassignment: %w", errors.Join(refused...))
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(x.Poll):
		}
		n, err := arrived()
		if err != nil {
			return err
		}
		done(n)
		if n == len(b) {
			return nil
		}
	}
}

// elect makes the first replica of each moved partition its leader. Right after a move the new
// preferred leader may not be in sync yet (PREFERRED_LEADER_NOT_AVAILABLE): retried until Patience.
func (x Executor) elect(ctx context.Context, c Cluster, plan Plan) error {
	parts := map[string][]int32{}
	for _, m := range plan.Moves() {
		parts[m.Topic] = append(parts[m.Topic], m.Partition)
	}
	if len(parts) == 0 {
		return nil
	}
	deadline := time.Now().Add(x.Patience)
	for {
		var results []kafkaops.PartitionResult
		err := x.retry(ctx, func() error {
			var err error
			results, err = c.ElectPreferredLeaders(ctx, parts)
			return err
		})
		if err != nil {
			return fmt.Errorf("electing the preferred leaders: %w", err)
		}
		var failed []error
		next := map[string][]int32{}
		for _, r := range results {
			if r.Err != nil {
				failed = append(failed, fmt.Errorf("%s partition %d: %w", r.Topic, r.Partition, r.Err))
				next[r.Topic] = append(next[r.Topic], r.Partition)
			}
		}
		if len(failed) == 0 {
			// The controller answers once the election is in the metadata log; the brokers apply it a
			// moment later. Done when the metadata shows every first replica leading.
			if err := x.waitLeaders(ctx, c, plan); err != nil {
				return err
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("electing the preferred leaders: %w", errors.Join(failed...))
		}
		parts = next
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(x.Poll):
		}
	}
}

// retry calls f until it succeeds, fails for good, or the cluster has not answered for Patience:
// errors of a cluster that cannot answer for now (retriable Kafka errors, network errors, a
// request timing out) are retried.
func (x Executor) retry(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(x.Patience)
	for {
		err := f()
		if err == nil || ctx.Err() != nil || !transient(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(x.Poll):
		}
	}
}

func transient(err error) bool {
	var ke *kerr.Error
	if errors.As(err, &ke) && ke.Retriable {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "EOF")
}

// waitLeaders waits until the metadata shows the first target replica of every move leading its
// partition (until Patience).
func (x Executor) waitLeaders(ctx context.Context, c Cluster, plan Plan) error {
	var topics []string
	for _, m := range plan.Moves() {
		if !slices.Contains(topics, m.Topic) {
			topics = append(topics, m.Topic)
		}
	}
	deadline := time.Now().Add(x.Patience)
	for {
		var views map[int32]kafkaops.Layout
		if err := x.retry(ctx, func() error {
			var err error
			views, err = c.LayoutEverywhere(ctx, topics...)
			return err
		}); err != nil {
			return fmt.Errorf("reading the leaders: %w", err)
		}
		var wrong []string
		for _, m := range plan.Moves() {
			for b, l := range views {
				p, ok := partitionOf(l.Topics[m.Topic], m.Partition)
				if !ok || p.Leader != m.To[0] {
					wrong = append(wrong, fmt.Sprintf("%s partition %d led by %d, not %d (broker %d's metadata)", m.Topic, m.Partition, p.Leader, m.To[0], b))
					break
				}
			}
		}
		if len(wrong) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the preferred leaders did not take over: %s", strings.Join(wrong, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(x.Poll):
		}
	}
}

// partitionOf finds a partition of t (its partitions are sorted by ID).
func partitionOf(t kafkaops.Topic, id int32) (kafkaops.Partition, bool) {
	i, ok := slices.BinarySearchFunc(t.Partitions, id, func(p kafkaops.Partition, id int32) int { return int(p.ID - id) })
	if !ok {
		return kafkaops.Partition{Leader: -1}, false
	}
	return t.Partitions[i], true
}
