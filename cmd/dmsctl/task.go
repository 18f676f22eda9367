package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// newTaskCmd is the background tasks of instances (API reference 5.9).
func newTaskCmd(a *app) *cobra.Command {
	return groupCmd("task", "Show the background tasks of an instance (creation, restarts, configuration changes, ...)",
		newTaskListCmd(a), newTaskShowCmd(a), newTaskProgressCmd(a))
}

// fmtTaskTime shows a task time (ISO-8601 with milliseconds) like the other times of dmsctl.
func fmtTaskTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return fmtTime(t)
}

func taskTable(t *table, ts ...client.Task) {
	t.row("ID", "NAME", "STATUS", "CREATED", "UPDATED", "ERROR")
	for _, k := range ts {
		t.row(k.ID, k.Name, k.Status, fmtTaskTime(k.CreatedAt), fmtTaskTime(k.UpdatedAt), k.Error)
	}
}

func newTaskListCmd(a *app) *cobra.Command {
	var w listWindow
	cmd := &cobra.Command{
		Use:   "list INSTANCE",
		Short: "List an instance's background tasks, newest first",
		Example: `  dmsctl task list kafka-demo --limit 5
  dmsctl task list kafka-demo --from 2025-01-02T00:00:00Z --to 1735862400000`,
		Args: exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			begin, end, err := w.parse()
			if err != nil {
				return err
			}
			f := client.TaskFilter{Limit: w.limit, Begin: begin, End: end}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			ts, err := c.ListTasks(cmd.Context(), id, f)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(ts, func(t *table) { taskTable(t, ts...) })
		},
	}
	w.bind(cmd, "created")
	return cmd
}

func newTaskShowCmd(a *app) *cobra.Command {
	var wait asyncWait
	cmd := &cobra.Command{
		Use:     "show INSTANCE TASK_ID",
		Short:   "Show a background task (--wait until it has ended; exit status 1 if it FAILED)",
		Example: `  dmsctl task show kafka-demo $TASK_ID --wait`,
		Args:    exactArgs("INSTANCE", "TASK_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			var t *client.Task
			if wait.wait {
				t, err = followTask(cmd, c, &wait, id, args[1], time.Now(), "task "+args[1])
			} else {
				t, err = c.GetTask(cmd.Context(), id, args[1])
			}
			if err != nil {
				return err
			}
			if err := a.printer(cmd).print(t, func(tb *table) {
				tb.keyValues("id", t.ID, "name", t.Name, "status", t.Status, "error", t.Error, "user", t.UserName,
					"created", fmtTaskTime(t.CreatedAt), "updated", fmtTaskTime(t.UpdatedAt), "params", t.Params)
			}); err != nil {
				return err
			}
			if wait.wait && t.Status == client.TaskFailed {
				return fmt.Errorf("task %s (%s) FAILED: %s", t.ID, t.Name, orNoReason(t.Error))
			}
			return nil
		},
	}
	wait.bind(cmd, "wait until the task has ended")
	return cmd
}

func newTaskProgressCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "progress INSTANCE TASK_ID",
		Short: "Show how far a background task has come: percent, seconds left, its steps",
		Long: `progress shows ShowBackgroundTaskProgress: extensions count brokers added or restarted,
reassignments partitions moved; the seconds left are extrapolated from the rate so far ("-" while
unknown). Other tasks are 0 % until they end and 100 % after.`,
		Example: `  dmsctl task progress kafka-demo $TASK_ID`,
		Args:    exactArgs("INSTANCE", "TASK_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			p, err := c.GetTaskProgress(cmd.Context(), id, args[1])
			if err != nil {
				return err
			}
			return a.printer(cmd).print(p, func(t *table) {
				left := "-"
				if p.RemainTime != nil {
					left = fmt.Sprintf("%ds", *p.RemainTime)
				}
				t.keyValues("progress", fmt.Sprintf("%d%%", p.Percentage), "remaining", left)
				if len(p.Steps) > 0 {
					t.row("STEP", "STATUS", "STARTED", "ENDED")
					for _, s := range p.Steps {
						t.row(s.Name, s.Status, fmtTaskTime(s.StartTime), fmtTaskTime(s.EndTime))
					}
				}
			})
		},
	}
}

// listWindow is the --limit, --from and --to of the task lists (background and scheduled).
type listWindow struct {
	limit    int
	from, to string
}

// bind adds the flags; what says which time of a task they bound ("created", "scheduled").
func (w *listWindow) bind(cmd *cobra.Command, what string) {
	cmd.Flags().IntVar(&w.limit, "limit", 0, "at most this many tasks (0: all)")
	cmd.Flags().StringVar(&w.from, "from", "", "tasks "+what+" at or after this time (RFC 3339 or Unix ms)")
	cmd.Flags().StringVar(&w.to, "to", "", "tasks "+what+" at or before this time (RFC 3339 or Unix ms)")
}

// parse checks the flags and returns the times (zero when not given).
func (w *listWindow) parse() (begin, end time.Time, err error) {
	if w.limit < 0 {
		return begin, end, usageErrorf("--limit must be >= 0")
	}
	if w.from != "" {
		if begin, err = parseTime("from", w.from); err != nil {
			return begin, end, err
		}
	}
	if w.to != "" {
		if end, err = parseTime("to", w.to); err != nil {
			return begin, end, err
		}
	}
	if !begin.IsZero() && !end.IsZero() && end.Before(begin) {
		return begin, end, usageErrorf("--to is before --from")
	}
	return begin, end, nil
}
