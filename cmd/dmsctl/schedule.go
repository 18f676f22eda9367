package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// newScheduleCmd is the scheduled tasks of instances (the SDK's ListScheduledTasks,
// UpdateScheduledTask, DeleteScheduledTask): work such as an upgrade started later.
func newScheduleCmd(a *app) *cobra.Command {
	return groupCmd("schedule", "List, move, cancel and delete the scheduled tasks of an instance (upgrades, reassignments started later)",
		newScheduleListCmd(a), newScheduleUpdateCmd(a), newScheduleDeleteCmd(a))
}

func scheduleTable(t *table, ts ...client.ScheduledTask) {
	t.row("ID", "NAME", "STATUS", "SCHEDULED", "CREATED", "TASK", "ERROR")
	for _, k := range ts {
		t.row(k.ID, k.Name, k.Status, fmtTaskTime(k.ScheduleAt), fmtTaskTime(k.CreatedAt), k.TaskID, k.Error)
	}
}

func newScheduleListCmd(a *app) *cobra.Command {
	var w listWindow
	cmd := &cobra.Command{
		Use:   "list INSTANCE",
		Short: "List an instance's scheduled tasks, newest first",
		Example: `  dmsctl schedule list kafka-demo
  dmsctl schedule list kafka-demo --from 2025-01-02T00:00:00Z --to 1735862400000`,
		Args: exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			begin, end, err := w.parse()
			if err != nil {
				return err
			}
			f := client.ScheduledTaskFilter{Limit: w.limit, Begin: begin, End: end}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			ts, err := c.ListScheduledTasks(cmd.Context(), id, f)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(ts, func(t *table) { scheduleTable(t, ts...) })
		},
	}
	w.bind(cmd, "scheduled")
	return cmd
}

func newScheduleUpdateCmd(a *app) *cobra.Command {
	var (
		at             string
		cancel, resume bool
	)
	cmd := &cobra.Command{
		Use:   "update INSTANCE ID",
		Short: "Move a scheduled task to another time, cancel it, or let a cancelled one wait again (before it starts)",
		Example: `  dmsctl schedule update kafka-demo $ID --at 2025-01-02T03:00:00Z
  dmsctl schedule update kafka-demo $ID --cancel
  dmsctl schedule update kafka-demo $ID --resume --at 1735786800000`,
		Args: exactArgs("INSTANCE", "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ch client.ScheduledTaskChange
			switch {
			case cancel && resume:
				return usageErrorf("--cancel and --resume exclude each other")
			case cancel:
				ch.Status = client.ScheduleCancelled
			case resume:
				ch.Status = client.ScheduleCreated
			}
			if at != "" {
				t, err := parseTime("at", at)
				if err != nil {
					return err
				}
				ch.At = t
			}
			if ch.At.IsZero() && ch.Status == "" {
				return usageErrorf("give --at TIME, --cancel or --resume")
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.UpdateScheduledTask(cmd.Context(), id, args[1], ch); err != nil {
				return err
			}
			t, err := c.GetScheduledTask(cmd.Context(), id, args[1])
			if err != nil {
				return err
			}
			return a.printer(cmd).print(t, func(tb *table) { scheduleTable(tb, *t) })
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "the new time (RFC 3339 or Unix ms)")
	cmd.Flags().BoolVar(&cancel, "cancel", false, "cancel the task (it stays listed as CANCELLED)")
	cmd.Flags().BoolVar(&resume, "resume", false, "let a cancelled task wait for its time again")
	return cmd
}

func newScheduleDeleteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "delete INSTANCE ID",
		Short:   "Delete a scheduled task: cancels it if it has not started, or removes an ended one's record",
		Example: `  dmsctl schedule delete kafka-demo $ID`,
		Args:    exactArgs("INSTANCE", "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.DeleteScheduledTask(cmd.Context(), id, args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "deleted scheduled task %s\n", args[1])
			return nil
		},
	}
}

// upgradeView is what `instance upgrade` reports.
type upgradeView struct {
	CurrentVersion  string `json:"current_version"`
	LatestVersion   string `json:"latest_version"`
	TaskID          string `json:"task_id,omitempty"`
	ScheduledTaskID string `json:"scheduled_task_id,omitempty"`
	ScheduleAt      string `json:"schedule_at,omitempty"`
	Status          string `json:"status,omitempty"`
	Error           string `json:"error,omitempty"`
}

func newInstanceUpgradeCmd(a *app) *cobra.Command {
	var (
		at    string
		check bool
		wait  asyncWait
	)
	cmd := &cobra.Command{
		Use:   "upgrade INSTANCE",
		Short: "Upgrade an instance to the newest Kafka version it can go to, now or at a time (--check only shows the versions)",
		Long: `upgrade moves an instance onto the newest Kafka build of its engine version by a rolling restart
(POST /v2/{project_id}/kafka/instances/{instance_id}/upgrade). With --at the upgrade is scheduled
instead (see 'dmsctl schedule'); it is refused at once if it could not be done now. With --wait
dmsctl follows the upgrade (and with --at, first waits for its time) until it has ended.`,
		Example: `  dmsctl instance upgrade kafka-demo --check
  dmsctl instance upgrade kafka-demo --wait
  dmsctl instance upgrade kafka-demo --at 2025-01-02T03:00:00Z`,
		Args: exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var when time.Time
			if at != "" {
				var err error
				if when, err = parseTime("at", at); err != nil {
					return err
				}
			}
			if check && (at != "" || wait.wait) {
				return usageErrorf("--check only shows the versions: it takes neither --at nor --wait")
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			v, err := c.ShowUpgradeVersions(ctx, id)
			if err != nil {
				return err
			}
			view := upgradeView{CurrentVersion: v.CurrentVersion, LatestVersion: v.LatestVersion}
			var failed error
			start := time.Now()
			switch {
			case check:
			case at != "":
				if view.ScheduledTaskID, err = c.ScheduleUpgrade(ctx, id, when); err != nil {
					return err
				}
				view.ScheduleAt, view.Status = fmtTime(when), client.ScheduleCreated
				if wait.wait {
					st, err := followScheduled(cmd, c, &wait, id, view.ScheduledTaskID, start)
					if err != nil {
						return err
					}
					view.Status, view.Error, view.TaskID = st.Status, st.Error, st.TaskID
					if st.Status != client.ScheduleSuccess {
						failed = fmt.Errorf("the scheduled upgrade of %s ended %s: %s", args[0], st.Status, orNoReason(st.Error))
					}
				}
			default:
				if view.TaskID, err = c.UpgradeInstance(ctx, id); err != nil {
					return err
				}
				if wait.wait {
					t, err := followTask(cmd, c, &wait, id, view.TaskID, start, "upgrade task "+view.TaskID)
					if err != nil {
						return err
					}
					view.Status, view.Error = t.Status, t.Error
					if t.Status == client.TaskFailed {
						failed = fmt.Errorf("the upgrade of %s failed (task %s): %s", args[0], t.ID, orNoReason(t.Error))
					}
				}
			}
			if err := a.printer(cmd).print(view, func(t *table) {
				t.keyValues("current_version", view.CurrentVersion, "latest_version", view.LatestVersion)
				if view.ScheduledTaskID != "" {
					t.keyValues("scheduled_task_id", view.ScheduledTaskID, "schedule_at", view.ScheduleAt)
				}
				if view.TaskID != "" {
					t.keyValues("task_id", view.TaskID)
				}
				if view.Status != "" {
					t.keyValues("status", view.Status, "error", view.Error)
				}
			}); err != nil {
				return err
			}
			return failed
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "schedule the upgrade at this time (RFC 3339 or Unix ms) instead of now")
	cmd.Flags().BoolVar(&check, "check", false, "only show the current version and the one an upgrade moves to")
	wait.bind(cmd, "wait until the upgrade has ended")
	return cmd
}

// followScheduled follows a scheduled task until it has ended (its time came and its task ended,
// or it was cancelled).
func followScheduled(cmd *cobra.Command, c *client.Client, w *asyncWait, instanceID, id string, start time.Time) (*client.ScheduledTask, error) {
	ctx, cancel := w.context(cmd)
	defer cancel()
	p := newProgress(cmd, "scheduled task "+id, start)
	for {
		st, err := c.GetScheduledTask(ctx, instanceID, id)
		if err != nil {
			return nil, w.gaveUp(ctx, err, fmt.Sprintf("scheduled task %s is still %s; see 'dmsctl schedule list %s'", id, p.last, instanceID))
		}
		p.show(st.Status)
		if st.Ended() {
			return st, nil
		}
		t := time.NewTimer(client.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, w.gaveUp(ctx, ctx.Err(), fmt.Sprintf("scheduled task %s is still %s; see 'dmsctl schedule list %s'", id, p.last, instanceID))
		case <-t.C:
		}
	}
}
