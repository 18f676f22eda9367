package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// configJobView is the answer of 'instance configs --set': the task applying the changes and, after
// --wait, how it ended.
type configJobView struct {
	client.ConfigJob
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

func newInstanceConfigsCmd(a *app) *cobra.Command {
	var sets []string
	var wait asyncWait
	cmd := &cobra.Command{
		Use:   "configs ID|NAME",
		Short: "Show an instance's Kafka configurations, or change them with --set",
		Long: `configs lists the instance's Kafka configurations (GET .../configs). With --set it changes them
(PUT .../configs): dynamic ones are applied live, static ones through a rolling restart, both by a
background task whose id is printed; --wait follows that task until it ends (exit status 1 if it
FAILED).`,
		Example: `  dmsctl instance configs kafka-demo
  dmsctl instance configs kafka-demo --set log.retention.hours=72 --set auto.create.groups.enable=false --wait`,
		Args: exactArgs("ID|NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var changes []client.ConfigChange
			seen := map[string]bool{}
			for _, kv := range sets {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return usageErrorf("--set %q: want name=value", kv)
				}
				if seen[k] {
					return usageErrorf("--set names %s twice", k)
				}
				seen[k] = true
				changes = append(changes, client.ConfigChange{Name: k, Value: v})
			}
			if wait.wait && len(changes) == 0 {
				return usageErrorf("--wait follows a change: give --set name=value")
			}
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			id, err := resolveInstanceID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if len(changes) == 0 {
				cfgs, err := c.InstanceConfigs(cmd.Context(), id)
				if err != nil {
					return err
				}
				cfgs = nonNil(cfgs)
				return a.printer(cmd).print(cfgs, func(t *table) {
					t.row("NAME", "VALUE", "DEFAULT", "TYPE", "VALID")
					for _, cf := range cfgs {
						t.row(cf.Name, cf.Value, cf.DefaultValue, cf.ConfigType, cf.ValidValues)
					}
				})
			}
			start := time.Now()
			job, err := c.ModifyInstanceConfigs(cmd.Context(), id, changes)
			if err != nil {
				return err
			}
			view := configJobView{ConfigJob: *job}
			var failed error
			if wait.wait {
				t, err := followTask(cmd, c, &wait, id, job.JobID, start, "configuration task "+job.JobID)
				if err != nil {
					return err
				}
				view.Status, view.Error = t.Status, t.Error
				if t.Status == client.TaskFailed {
					failed = fmt.Errorf("the configuration change of %s failed (task %s): %s", args[0], t.ID, orNoReason(t.Error))
				}
			}
			if err := a.printer(cmd).print(view, func(t *table) {
				t.keyValues("job_id", view.JobID, "dynamic_config", itoa(view.DynamicConfig), "static_config", itoa(view.StaticConfig))
				if view.Status != "" {
					t.keyValues("status", view.Status, "error", view.Error)
				}
			}); err != nil {
				return err
			}
			return failed
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "change a configuration: name=value (repeatable)")
	wait.bind(cmd, "wait until the configuration task has ended")
	return cmd
}

// followTask follows a background task until it ends; a FAILED task is returned, not an error.
func followTask(cmd *cobra.Command, c *client.Client, w *asyncWait, instanceID, taskID string, start time.Time, label string) (*client.Task, error) {
	ctx, cancel := w.context(cmd)
	defer cancel()
	p := newProgress(cmd, label, start)
	t, err := c.WaitTask(ctx, instanceID, taskID, func(t client.Task) { p.show(t.Status) })
	if err != nil {
		return nil, w.gaveUp(ctx, err, fmt.Sprintf("%s is still %s; see 'dmsctl task show %s %s'", label, p.last, instanceID, taskID))
	}
	return t, nil
}
