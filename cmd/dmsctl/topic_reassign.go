package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// reassignResult is what `topic reassign` and `instance rebalance` print.
type reassignResult struct {
	InstanceID string `json:"instance_id"`
	Topics     int    `json:"topics,omitempty"` // 0: every topic (instance rebalance)
	JobID      string `json:"job_id,omitempty"`
	Estimate   *int   `json:"reassignment_time,omitempty"` // seconds (--estimate)
	Status     string `json:"status,omitempty"`            // with --wait: how the task ended
}

// reassignFlags are the flags `topic reassign` and `instance rebalance` share.
type reassignFlags struct {
	brokers  []int
	throttle string
	estimate bool
	at       string
	wait     asyncWait
}

func (f *reassignFlags) bind(cmd *cobra.Command) {
	cmd.Flags().IntSliceVar(&f.brokers, "brokers", nil, "automatic placement on these broker ids (e.g. 3,4,5)")
	cmd.Flags().StringVar(&f.throttle, "throttle", "", "replication throttle per broker while data moves, in bytes/s (10MB, 8MiB, 10485760)")
	cmd.Flags().BoolVar(&f.estimate, "estimate", false, "only estimate the time (seconds), moving nothing")
	cmd.Flags().StringVar(&f.at, "at", "", "run it later: an RFC 3339 time or Unix milliseconds (is_schedule + execute_at)")
	f.wait.bind(cmd, "wait until the reassignment task ends")
}

// request fills the throttle, estimate and schedule of req from the flags.
func (f *reassignFlags) request(req *client.ReassignRequest) error {
	if f.throttle != "" {
		n, err := parseByteRate("throttle", f.throttle)
		if err != nil {
			return err
		}
		req.Throttle = n
	}
	req.TimeEstimate = f.estimate
	if f.at != "" {
		if f.estimate {
			return usageErrorf("--at and --estimate do not go together")
		}
		if f.wait.wait {
			// The answer is the scheduled task's id; it starts its reassignment at its time.
			return usageErrorf("--at and --wait do not go together: follow it with 'dmsctl schedule list' and, once started, 'dmsctl task show --wait'")
		}
		t, err := parseTime("at", f.at)
		if err != nil {
			return err
		}
		req.IsSchedule, req.ExecuteAt = true, t.UnixMilli()
	}
	if f.wait.wait && f.estimate {
		return usageErrorf("--wait and --estimate do not go together: an estimate starts no task")
	}
	return nil
}

func (f *reassignFlags) brokerIDs() []int32 {
	var ids []int32
	for _, b := range f.brokers {
		ids = append(ids, int32(b))
	}
	return ids
}

func newTopicReassignCmd(a *app) *cobra.Command {
	var f reassignFlags
	var planFile string
	var rf int
	cmd := &cobra.Command{
		Use:   "reassign INSTANCE TOPIC (--plan FILE | --brokers IDS [--replication-factor N])",
		Short: "Move a topic's replicas: a manual plan, or automatic placement on brokers (--estimate: only the time)",
		Long: `reassign moves the replicas of a topic's partitions (POST /v2/kafka/{project_id}/instances/{id}/reassign)
as a background task: the moves run in batches, largest first, under the replication throttle
(--throttle, per broker; removed when done), and the first replica of each partition becomes its
leader.
  --plan FILE   a manual plan: {"partitions":[{"partition":0,"replicas":[2,0]},...]} (the body of
                5.2.8; Kafka's kafka-reassign-partitions JSON, whose partitions also name their
                topic, is read too). Partitions not in it keep their replicas. - reads stdin.
  --brokers IDS automatic placement on these brokers, with --replication-factor replicas each
                (default: the topic's replication factor).
--estimate answers the seconds it would take (from the bytes to copy and the throttle) and moves
nothing. --wait follows the task's progress (partitions moved of total).`,
		Example: `  dmsctl topic reassign kafka-demo orders --brokers 3,4,5 --throttle 10MB --wait
  dmsctl topic reassign kafka-demo orders --plan plan.json --estimate --throttle 8MiB`,
		Args: exactArgs("INSTANCE", "TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			entry := client.ReassignEntry{Topic: args[1]}
			switch {
			case planFile != "" && len(f.brokers) > 0:
				return usageErrorf("give --plan or --brokers, not both")
			case planFile != "":
				if cmd.Flags().Changed("replication-factor") {
					return usageErrorf("--replication-factor goes with --brokers (a plan gives each partition's replicas)")
				}
				as, err := readReassignPlan(cmd, planFile, args[1])
				if err != nil {
					return err
				}
				entry.Assignment = as
			case len(f.brokers) > 0:
				if rf < 0 {
					return usageErrorf("--replication-factor must be positive, got %d", rf)
				}
				entry.Brokers, entry.ReplicationFactor = f.brokerIDs(), rf
			default:
				return usageErrorf("give --plan FILE or --brokers IDS")
			}
			req := client.ReassignRequest{Reassignments: []client.ReassignEntry{entry}}
			if err := f.request(&req); err != nil {
				return err
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			return runReassign(cmd, a, c, id, instanceLabel(args[0]), len(req.Reassignments), func() (*client.ReassignResult, error) {
				return c.Reassign(cmd.Context(), id, req)
			}, &f.wait)
		},
	}
	cmd.Flags().StringVar(&planFile, "plan", "", "a manual plan (JSON file; - for stdin)")
	cmd.Flags().IntVar(&rf, "replication-factor", 0, "with --brokers: replicas per partition (default: the topic's)")
	f.bind(cmd)
	return cmd
}

// readReassignPlan reads a manual plan: {"partitions":[{"partition":0,"replicas":[...]}]}, where
// a partition may name its topic (kafka-reassign-partitions' format; it must be topic) and give its
// brokers as replicas or partition_brokers.
func readReassignPlan(cmd *cobra.Command, file, topic string) ([]client.ReassignAssignment, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(cmd.InOrStdin())
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, err
	}
	var plan struct {
		Partitions []struct {
			Topic            string   `json:"topic"`
			Partition        *int32   `json:"partition"`
			Replicas         []int32  `json:"replicas"`
			PartitionBrokers []int32  `json:"partition_brokers"`
			LogDirs          []string `json:"log_dirs"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(data, &plan); err != nil {
		return nil, usageErrorf("--plan %s: not a plan: %v", file, err)
	}
	if len(plan.Partitions) == 0 {
		return nil, usageErrorf("--plan %s: no partitions (want {\"partitions\":[{\"partition\":0,\"replicas\":[1,2]}]})", file)
	}
	var out []client.ReassignAssignment
	for i, p := range plan.Partitions {
		switch {
		case p.Topic != "" && p.Topic != topic:
			return nil, usageErrorf("--plan %s: partitions[%d] is of topic %s, not %s", file, i, p.Topic, topic)
		case p.Partition == nil:
			return nil, usageErrorf("--plan %s: partitions[%d] has no partition", file, i)
		case len(p.Replicas) > 0 && len(p.PartitionBrokers) > 0 && !slices.Equal(p.Replicas, p.PartitionBrokers):
			return nil, usageErrorf("--plan %s: partitions[%d] gives replicas and partition_brokers that differ", file, i)
		}
		brokers := p.Replicas
		if len(brokers) == 0 {
			brokers = p.PartitionBrokers
		}
		out = append(out, client.ReassignAssignment{Partition: *p.Partition, PartitionBrokers: brokers})
	}
	return out, nil
}

func newInstanceRebalanceCmd(a *app) *cobra.Command {
	var f reassignFlags
	cmd := &cobra.Command{
		Use:   "rebalance INSTANCE [--brokers IDS]",
		Short: "Spread every topic's replicas evenly over brokers (e.g. after adding brokers)",
		Long: `rebalance plans every partition of the instance together (POST /opendms/v1/{project_id}/instances/{id}/rebalance,
an OpenDMS addition): replicas, leaders, each topic's replicas and the bytes even over the brokers
(all of them, or --brokers), each partition keeping its replication factor, as few moves as that
takes. The moves run as one background task in batches, largest first, under the --throttle (per
broker; removed when done). --estimate answers the seconds it would take.`,
		Example: `  dmsctl instance rebalance kafka-demo --throttle 20MB --wait
  dmsctl instance rebalance kafka-demo --brokers 0,1,2,3,4 --estimate`,
		Args: exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r client.ReassignRequest
			if err := f.request(&r); err != nil {
				return err
			}
			if r.IsSchedule {
				return usageErrorf("--at is for topic reassign: a rebalance is planned when it starts")
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			req := client.RebalanceRequest{Brokers: f.brokerIDs(), Throttle: r.Throttle, TimeEstimate: r.TimeEstimate}
			return runReassign(cmd, a, c, id, instanceLabel(args[0]), 0, func() (*client.ReassignResult, error) {
				return c.Rebalance(cmd.Context(), id, req)
			}, &f.wait)
		},
	}
	f.bind(cmd)
	return cmd
}

// runReassign sends a reassignment (topics of them; 0 for all) and prints its task (followed with
// --wait) or its estimate.
func runReassign(cmd *cobra.Command, a *app, c *client.Client, id, label string, topics int, send func() (*client.ReassignResult, error), w *asyncWait) error {
	start := time.Now()
	out, err := send()
	if err != nil {
		return err
	}
	res := reassignResult{InstanceID: id, Topics: topics, JobID: out.JobID, Estimate: out.ReassignmentTime}
	var failed error
	if w.wait && out.JobID != "" {
		ctx, cancel := w.context(cmd)
		defer cancel()
		p := newProgress(cmd, label, start)
		done, err := c.WaitTask(ctx, id, out.JobID, func(t client.Task) { p.showIn(ctx, reassignProgress(cmd, c, id, t)) })
		if err != nil {
			return w.gaveUp(ctx, err, fmt.Sprintf("the reassignment of %s is still %s", label, p.last))
		}
		res.Status = done.Status
		if done.Status == client.TaskFailed {
			failed = fmt.Errorf("the reassignment of %s failed (task %s): %s", label, done.ID, orNoReason(done.Error))
		}
	}
	n := "all"
	if res.Topics > 0 {
		n = strconv.Itoa(res.Topics)
	}
	err = a.printer(cmd).print(res, func(t *table) {
		switch {
		case res.Estimate != nil:
			t.row("INSTANCE", "TOPICS", "ESTIMATE_SECONDS")
			t.row(res.InstanceID, n, strconv.Itoa(*res.Estimate))
		case res.Status != "":
			t.row("INSTANCE", "TOPICS", "JOB", "STATUS")
			t.row(res.InstanceID, n, res.JobID, res.Status)
		default:
			t.row("INSTANCE", "TOPICS", "JOB")
			t.row(res.InstanceID, n, res.JobID)
		}
	})
	if failed != nil {
		return failed
	}
	return err
}

// reassignProgress is a progress line of the task: its status, percentage and the step in progress.
func reassignProgress(cmd *cobra.Command, c *client.Client, id string, t client.Task) string {
	line := "reassignment task " + t.Status
	if pr, err := c.GetTaskProgress(cmd.Context(), id, t.ID); err == nil {
		line += fmt.Sprintf(" %d%%", pr.Percentage)
		var steps []string
		for _, s := range pr.Steps {
			if s.Status == "IN_PROGRESS" {
				steps = append(steps, s.Name)
			}
		}
		if len(steps) > 0 {
			line += ": " + strings.Join(steps, ", ")
		}
	}
	return line
}
