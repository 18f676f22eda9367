package reassign

import (
	"cmp"
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
	CancelPartitionAssignments(ctx context.Context, parts map[string][]int32) ([]kafkaops.PartitionResult, error)
	MovingPartitions(ctx context.Context, parts map[string][]int32) ([]kafkaops.Moving, error)
	ReplicaLogs(ctx context.Context, topics ...string) ([]kafkaops.ReplicaLog, error)
	ElectPreferredLeaders(ctx context.Context, parts map[string][]int32) ([]kafkaops.PartitionResult, error)
	ReadThrottleConfigs(ctx context.Context, brokers []int32, topics []string) (kafkaops.ThrottleConfigs, error)
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
	// Stall is how long a batch may make no progress before the task fails (0: DefaultStall): a
	// target broker down keeps Kafka's reassignment pending for ever. Progress is any of: a
	// partition of the batch reaching its target; the adding or removing replicas of a moving
	// partition changing (ListPartitionReassignments, read every Poll anyway); the log of a replica
	// being added growing (DescribeLogDirs of the batch's topics, read every Stall/5 only, as it
	// asks every broker). A copy held back by a throttle still grows, so a slow move is not a stall.
	Stall time.Duration
	// Grace is how long a partition of a submitted batch may be neither moving (not listed by
	// ListPartitionReassignments) nor at its target in every broker's metadata before the task
	// fails (0: DefaultGrace): the brokers apply a completed move a moment after the controller,
	// but a move cancelled or overridden outside OpenDMS never arrives.
	Grace time.Duration

	now func() time.Time // the clock of the stall and grace deadlines (nil: time.Now); tests set it
}

// Defaults of Executor.Stall and Executor.Grace.
const (
	DefaultStall = 10 * time.Minute
	DefaultGrace = 30 * time.Second
)

func (x Executor) clock() time.Time {
	if x.now != nil {
		return x.now()
	}
	return time.Now()
}

// Prior is where a task keeps the throttle configs that were in place before its own throttle:
// what removing the throttle gives back. Configs nil means not read yet: ExecuteTask reads them
// right before it applies the throttle (inside the task, so under the runner's one-task-per-
// instance lock: a task that ran before has removed its throttle by then, or kept it on and said
// so) and hands them to Save before it applies anything, so a run resumed after a restart, given
// them back in Configs, does not take its own throttle for the one before.
type Prior struct {
	Configs *kafkaops.ThrottleConfigs
	Save    func(ctx context.Context, tc kafkaops.ThrottleConfigs) error // nil: not kept
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
// target. progress gets every change of the progress (Done: partitions at their target). prior
// are the throttle configs found before th was applied (ExecuteTask reads them itself).
func (x Executor) Execute(ctx context.Context, c Cluster, plan Plan, th kafkaops.Throttle, prior kafkaops.ThrottleConfigs,
	progress func(dms.TaskProgress)) error {
	return x.ExecuteTask(ctx, c, plan, th, Prior{Configs: &prior}, progress)
}

// ExecuteTask is Execute with the throttle configs in place read by the run itself when
// prior.Configs is nil (see Prior).
//
// A failure (not ctx ending) while a batch is submitted cancels the reassignments of that batch
// that are still moving to the plan's targets before the throttle is removed: the moves the
// cluster accepted would otherwise go on at full speed after the task failed. If cancelling
// fails, the throttle stays on and the error says so.
func (x Executor) ExecuteTask(ctx context.Context, c Cluster, plan Plan, th kafkaops.Throttle, prior Prior,
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
	var inflight []Move // the batch submitted (or maybe submitted by a run before a restart)
	defer func() {
		if err == nil || ctx.Err() != nil {
			return // done, or dmsd is stopping: the task resumes at the next start, moves and throttle as they are
		}
		if step < len(pr.Steps) {
			pr.Steps[step].Status, pr.Steps[step].End = dms.StepFailed, time.Now().UTC()
		}
		defer progress(pr)
		// Fresh contexts: ctx is still live here, but the clean-up must not be cut short by it.
		applied := throttled && prior.Configs != nil // nil: not read, so not applied either
		if len(inflight) > 0 {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			cerr := x.cancelMoves(cctx, c, inflight)
			cancel()
			if cerr != nil {
				if applied {
					err = fmt.Errorf("%w (and cancelling the batch's moves in flight failed: %v; the replication throttle stays on so "+
						"that they do not go on unthrottled: remove it once they have ended)", err, cerr)
				} else {
					err = fmt.Errorf("%w (and cancelling the batch's moves in flight failed: %v; they go on)", err, cerr)
				}
				return
			}
		}
		if applied { // a failed plan leaves no throttle behind
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if rerr := c.RemoveThrottle(rctx, th, *prior.Configs); rerr != nil {
				err = fmt.Errorf("%w (and removing the replication throttle failed: %v)", err, rerr)
			}
		}
	}()

	if throttled && prior.Configs == nil {
		var tc kafkaops.ThrottleConfigs
		if err := x.retry(ctx, func() error {
			var err error
			tc, err = c.ReadThrottleConfigs(ctx, th.Brokers, th.Topics())
			return err
		}); err != nil {
			return fmt.Errorf("reading the replication throttle in place: %w", err)
		}
		if prior.Save != nil {
			if err := prior.Save(ctx, tc); err != nil {
				return fmt.Errorf("recording the replication throttle in place: %w", err)
			}
		}
		prior.Configs = &tc
	}
	if throttled {
		begin()
		if err := x.retry(ctx, func() error { return c.ApplyThrottle(ctx, th) }); err != nil {
			return fmt.Errorf("setting the replication throttle: %w", err)
		}
		end()
	}
	for i, b := range plan.Batches {
		begin()
		inflight = b
		if err := x.moveBatch(ctx, c, b, func(done int) {
			pr.Done = x.doneBefore(plan, i) + done
			progress(pr)
		}); err != nil {
			return fmt.Errorf("batch %d of %d: %w", i+1, len(plan.Batches), err)
		}
		inflight = nil
		end()
	}
	begin()
	if err := x.elect(ctx, c, plan); err != nil {
		return err
	}
	end()
	if throttled {
		begin()
		if err := x.retry(ctx, func() error { return c.RemoveThrottle(ctx, th, *prior.Configs) }); err != nil {
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
// It fails once the batch makes no progress for Stall, once a partition has been neither moving nor
// at its target for Grace after the submission (its move was cancelled, or overridden and
// completed, outside OpenDMS), and at once when a partition is moving to other replicas than the
// plan's (overridden outside OpenDMS).
func (x Executor) moveBatch(ctx context.Context, c Cluster, b []Move, done func(int)) error {
	parts := partsOf(b)
	var topics []string
	for _, m := range b {
		if !slices.Contains(topics, m.Topic) {
			topics = append(topics, m.Topic)
		}
	}
	// read tells the partitions at their targets (in every broker's metadata) and those moving.
	read := func() (int, map[tp]kafkaops.Moving, map[tp][]int32, error) {
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
			return 0, nil, nil, err
		}
		mv := map[tp]kafkaops.Moving{}
		for _, m := range moving {
			mv[tp{m.Topic, m.Partition}] = m
		}
		away := map[tp][]int32{} // not moving, not at the target: the replicas a broker shows
		n := 0
		for _, m := range b {
			k := tp{m.Topic, m.Partition}
			if _, ok := mv[k]; ok {
				continue
			}
			there := true
			for _, l := range views {
				t, ok := l.Topics[m.Topic]
				if !ok {
					return 0, nil, nil, fmt.Errorf("the topic %s was deleted during the reassignment", m.Topic)
				}
				p, ok := partitionOf(t, m.Partition)
				if there && !(ok && slices.Equal(p.Replicas, m.To)) {
					there, away[k] = false, p.Replicas
				}
			}
			if there {
				n++
			}
		}
		return n, mv, away, nil
	}
	n, _, _, err := read()
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

	stall, grace := cmp.Or(x.Stall, DefaultStall), cmp.Or(x.Grace, DefaultGrace)
	lastProgress, lastDone, lastSets := x.clock(), n, ""
	var lastSample time.Time
	logs := map[replicaKey]int64{} // the largest size seen of each adding replica's log
	awaySince := map[tp]time.Time{}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(x.Poll):
		}
		n, moving, away, err := read()
		if err != nil {
			return err
		}
		done(n)
		if n == len(b) {
			return nil
		}
		now := x.clock()
		for _, m := range b {
			k := tp{m.Topic, m.Partition}
			if mv, ok := moving[k]; ok {
				delete(awaySince, k)
				if target := targetOf(mv); !sameSet(target, m.To) {
					return fmt.Errorf("%s partition %d is being moved to brokers %v, not to the plan's %v: the reassignment was changed outside OpenDMS",
						m.Topic, m.Partition, target, m.To)
				}
				continue
			}
			rs, ok := away[k]
			if !ok {
				delete(awaySince, k)
				continue
			}
			since, seen := awaySince[k]
			if !seen {
				awaySince[k] = now
			} else if now.Sub(since) > grace {
				return fmt.Errorf("%s partition %d is no longer being moved and its replicas are %v, not the plan's %v: "+
					"the reassignment was cancelled or changed outside OpenDMS", m.Topic, m.Partition, rs, m.To)
			}
		}
		sets := movingSets(moving)
		progressed := n > lastDone || sets != lastSets
		if now.Sub(lastSample) >= stall/5 {
			lastSample = now
			progressed = x.logsGrew(ctx, c, topics, moving, logs) || progressed
		}
		if progressed {
			lastProgress, lastDone, lastSets = now, n, sets
		} else if now.Sub(lastProgress) > stall {
			var waiting []string
			for _, m := range b {
				if mv, ok := moving[tp{m.Topic, m.Partition}]; ok {
					waiting = append(waiting, fmt.Sprintf("%s partition %d adding brokers %v", m.Topic, m.Partition, mv.Adding))
				}
			}
			return fmt.Errorf("no progress for %v: %d of %d partitions at their targets and no log of a replica being added grew (%s); "+
				"a broker the partitions move to may be down", stall, n, len(b), strings.Join(waiting, "; "))
		}
	}
}

// replicaKey is one replica of a partition.
type replicaKey struct {
	broker int32
	tp
}

// logsGrew samples the logs of the replicas being added (the batch's topics' replica logs) into
// largest and reports whether one grew since the last sample. A failed read tells nothing: no growth.
func (x Executor) logsGrew(ctx context.Context, c Cluster, topics []string, moving map[tp]kafkaops.Moving, largest map[replicaKey]int64) bool {
	if len(moving) == 0 {
		return false
	}
	rl, err := c.ReplicaLogs(ctx, topics...)
	if err != nil {
		return false
	}
	grew := false
	for _, l := range rl {
		k := replicaKey{l.Broker, tp{l.Topic, l.Partition}}
		mv, ok := moving[k.tp]
		if !ok || !slices.Contains(mv.Adding, l.Broker) {
			continue
		}
		if was, seen := largest[k]; !seen || l.Size > was {
			grew = grew || seen
			largest[k] = l.Size
		}
	}
	return grew
}

// cancelMoves cancels the reassignments of the batch b that are still moving to b's targets (not
// those someone else moved elsewhere meanwhile).
func (x Executor) cancelMoves(ctx context.Context, c Cluster, b []Move) error {
	var moving []kafkaops.Moving
	if err := x.retry(ctx, func() error {
		var err error
		moving, err = c.MovingPartitions(ctx, partsOf(b))
		return err
	}); err != nil {
		return fmt.Errorf("listing the moves: %w", err)
	}
	ours := map[string][]int32{}
	for _, mv := range moving {
		i := slices.IndexFunc(b, func(m Move) bool { return m.Topic == mv.Topic && m.Partition == mv.Partition })
		if i >= 0 && sameSet(targetOf(mv), b[i].To) {
			ours[mv.Topic] = append(ours[mv.Topic], mv.Partition)
		}
	}
	if len(ours) == 0 {
		return nil
	}
	var results []kafkaops.PartitionResult
	if err := x.retry(ctx, func() error {
		var err error
		results, err = c.CancelPartitionAssignments(ctx, ours)
		return err
	}); err != nil {
		return err
	}
	var failed []error
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, fmt.Errorf("%s partition %d: %w", r.Topic, r.Partition, r.Err))
		}
	}
	return errors.Join(failed...)
}

func partsOf(b []Move) map[string][]int32 {
	parts := map[string][]int32{}
	for _, m := range b {
		parts[m.Topic] = append(parts[m.Topic], m.Partition)
	}
	return parts
}

// targetOf is where a moving partition is going: its replicas but those being removed.
func targetOf(mv kafkaops.Moving) []int32 {
	var out []int32
	for _, r := range mv.Replicas {
		if !slices.Contains(mv.Removing, r) {
			out = append(out, r)
		}
	}
	return out
}

func sameSet(a, b []int32) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// movingSets is the adding and removing replicas of the moving partitions, in a comparable form.
func movingSets(moving map[tp]kafkaops.Moving) string {
	var out []string
	for k, mv := range moving {
		out = append(out, fmt.Sprintf("%s/%d+%v-%v", k.topic, k.p, mv.Adding, mv.Removing))
	}
	slices.Sort(out)
	return strings.Join(out, ",")
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
