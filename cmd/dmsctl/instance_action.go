package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// instanceActionRow is one instance's outcome of delete or restart.
type instanceActionRow struct {
	Instance string `json:"instance"`
	Result   string `json:"result"` // success | failed
	Error    string `json:"error,omitempty"`
}

// atLeastOneArg requires one or more positional arguments, named name in the message.
func atLeastOneArg(name string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErrorf("%s needs at least one %s", cmd.CommandPath(), name)
		}
		return nil
	}
}

// actionOutcome collects the outcomes of an action on instances and reports them: one instance's
// failure is the command's error (as any API error); several instances get a table of results and a
// summary error when any failed.
type actionOutcome struct {
	rows []instanceActionRow
	errs []error
}

func (o *actionOutcome) add(id string, err error) {
	r := instanceActionRow{Instance: id, Result: "success"}
	if err != nil {
		r.Result, r.Error = "failed", err.Error()
		o.errs = append(o.errs, err)
	}
	o.rows = append(o.rows, r)
}

func (o *actionOutcome) report(a *app, cmd *cobra.Command, verb string) error {
	if len(o.rows) == 1 && len(o.errs) == 1 {
		return o.errs[0]
	}
	err := a.printer(cmd).print(o.rows, func(t *table) {
		t.row("INSTANCE", "RESULT", "ERROR")
		for _, r := range o.rows {
			t.row(r.Instance, r.Result, r.Error)
		}
	})
	if err != nil {
		return err
	}
	if len(o.errs) > 0 {
		return fmt.Errorf("%s failed for %d of %d instances", verb, len(o.errs), len(o.rows))
	}
	return nil
}

func newInstanceDeleteCmd(a *app) *cobra.Command {
	var wait asyncWait
	cmd := &cobra.Command{
		Use:   "delete ID|NAME...",
		Short: "Delete instances with all their data (--wait until they are gone)",
		Example: `  dmsctl instance delete kafka-demo --wait
  dmsctl instance delete $ID1 $ID2`,
		Args: atLeastOneArg("instance id or name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			start := time.Now()
			var out actionOutcome
			for _, ref := range args {
				id, err := resolveInstanceID(cmd.Context(), c, ref)
				if err != nil {
					out.add(ref, err)
					continue
				}
				err = c.DeleteInstance(cmd.Context(), id)
				if err == nil && wait.wait {
					err = waitInstanceGone(cmd, c, &wait, id, start, instanceLabel(ref))
				}
				out.add(id, err)
			}
			return out.report(a, cmd, "delete")
		},
	}
	wait.bind(cmd, "wait until the instances are gone")
	return cmd
}

// waitInstanceGone follows a deleted instance until the server no longer knows it.
func waitInstanceGone(cmd *cobra.Command, c *client.Client, w *asyncWait, id string, start time.Time, label string) error {
	ctx, cancel := w.context(cmd)
	defer cancel()
	p := newProgress(cmd, label, start)
	err := c.WaitInstanceDeleted(ctx, id, func(in client.Instance) { p.showIn(ctx, instanceProgress(ctx, c, in)) })
	if err != nil {
		return w.gaveUp(ctx, err, fmt.Sprintf("%s (%s) still exists", label, id))
	}
	p.show("DELETED")
	return nil
}

func newInstanceRestartCmd(a *app) *cobra.Command {
	var wait asyncWait
	cmd := &cobra.Command{
		Use:   "restart ID|NAME...",
		Short: "Restart instances, broker by broker (--wait until they run again)",
		Long: `restart asks for a rolling restart of instances (POST /v2/{project_id}/instances/action).
Producers and consumers may be refused while a broker restarts. With --wait dmsctl follows each
instance's restartInstance task and then the instance until it is RUNNING.`,
		Example: `  dmsctl instance restart kafka-demo --wait`,
		Args:    atLeastOneArg("instance id or name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			start := time.Now()
			var out actionOutcome
			var ids, refs []string
			for _, ref := range args {
				id, err := resolveInstanceID(ctx, c, ref)
				if err != nil {
					out.add(ref, err)
					continue
				}
				ids, refs = append(ids, id), append(refs, ref)
			}
			if len(ids) == 0 {
				return out.report(a, cmd, "restart")
			}
			results, err := c.RestartInstances(ctx, ids)
			if err != nil {
				return err
			}
			ok := map[string]bool{}
			for _, r := range results {
				ok[r.Instance] = r.OK()
			}
			for i, id := range ids {
				var err error
				switch {
				case !ok[id]:
					err = restartRefused(cmd, c, id)
				case wait.wait:
					err = waitRestarted(cmd, c, &wait, id, start, instanceLabel(refs[i]))
				}
				out.add(id, err)
			}
			return out.report(a, cmd, "restart")
		},
	}
	wait.bind(cmd, "wait until the instances are RUNNING again")
	return cmd
}

// restartRefused explains why the server refused to restart an instance (5.1.6 says only "failed"):
// the instance's status, or why it cannot be read.
func restartRefused(cmd *cobra.Command, c *client.Client, id string) error {
	in, err := c.GetInstance(cmd.Context(), id)
	if err != nil {
		return fmt.Errorf("restart refused: %w", err)
	}
	return fmt.Errorf("restart refused: the instance is %s (an instance restarts when RUNNING or ERROR with no task running)", in.Status)
}

// waitRestarted follows an instance's newest restartInstance task to its end, then the instance until
// it is RUNNING (without such a task, only the instance).
func waitRestarted(cmd *cobra.Command, c *client.Client, w *asyncWait, id string, start time.Time, label string) error {
	ctx, cancel := w.context(cmd)
	defer cancel()
	p := newProgress(cmd, label, start)
	if tasks, err := c.ListTasks(ctx, id, client.TaskFilter{Limit: 20}); err == nil {
		for _, t := range tasks { // newest first
			if t.Name != "restartInstance" {
				continue
			}
			done, err := c.WaitTask(ctx, id, t.ID, func(t client.Task) { p.show("restart task " + t.Status) })
			if err != nil {
				return w.gaveUp(ctx, err, fmt.Sprintf("the restart task of %s is still %s", label, p.last))
			}
			if done.Status == client.TaskFailed {
				return fmt.Errorf("the restart of %s failed (task %s): %s", label, done.ID, orNoReason(done.Error))
			}
			break
		}
	}
	in, err := c.WaitInstance(ctx, id, func(in client.Instance) bool {
		return in.Status == client.InstanceRunning || in.Status == client.InstanceError
	}, func(in client.Instance) { p.show(in.Status) })
	if err != nil {
		return w.gaveUp(ctx, err, fmt.Sprintf("%s (%s) is still %s", label, id, p.last))
	}
	if in.Status != client.InstanceRunning {
		return fmt.Errorf("%s (%s) is %s after the restart: %s", label, id, in.Status, orNoReason(in.OpenDMS.StatusReason))
	}
	return nil
}

func orNoReason(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}
