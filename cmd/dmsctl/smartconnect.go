package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// Smart Connect: 'dmsctl connect enable|disable|show' and 'dmsctl connect task ...'. (The client
// connection settings of an instance are another command: 'dmsctl instance connect'.)

func newSmartConnectCmd(a *app) *cobra.Command {
	cmd := groupCmd("connect", "Smart Connect: an instance's Kafka Connect workers and their tasks (replication, dumps, Redis)",
		newConnectEnableCmd(a),
		newConnectDisableCmd(a),
		newConnectShowCmd(a),
		newConnectTaskCmd(a),
	)
	cmd.Long = `Smart Connect runs tasks next to an instance: Kafka replication with another Kafka (MirrorMaker 2 on
the instance's Kafka Connect workers), dumps of topics to an object store (OBS/S3) and Redis sinks
and sources. Enable it on an instance first ('dmsctl connect enable'), then create tasks
('dmsctl connect task create'). For the settings a Kafka client needs to reach an instance, see
'dmsctl instance connect'.`
	return cmd
}

// connectJobView is what enable and disable print.
type connectJobView struct {
	InstanceID  string `json:"instance_id"`
	JobID       string `json:"job_id"`
	ConnectorID string `json:"connector_id,omitempty"`
	Status      string `json:"status,omitempty"` // with --wait: the connector's status after the job (DISABLED when gone)
}

func printConnectJob(a *app, cmd *cobra.Command, v connectJobView) error {
	return a.printer(cmd).print(v, func(t *table) {
		t.row("INSTANCE", "JOB", "CONNECTOR", "STATUS")
		t.row(v.InstanceID, v.JobID, v.ConnectorID, v.Status)
	})
}

func newConnectEnableCmd(a *app) *cobra.Command {
	var wait asyncWait
	var nodes int
	var spec string
	cmd := &cobra.Command{
		Use:   "enable ID|NAME",
		Short: "Enable Smart Connect on an instance (--wait until its workers serve)",
		Long: `enable starts an instance's Smart Connect (POST /v2/{project_id}/instances/{id}/connector): a
background task starts its Kafka Connect workers, each on an address of its own. With --wait dmsctl
follows the task until the connector is RUNNING.`,
		Example: `  dmsctl connect enable kafka-demo --wait
  dmsctl connect enable kafka-demo --nodes 3`,
		Args: exactArgs("ID|NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := client.EnableConnectorRequest{Specification: spec}
			if cmd.Flags().Changed("nodes") {
				if nodes <= 0 {
					return usageErrorf("--nodes must be a positive number of workers, got %d", nodes)
				}
				req.NodeCnt = strconv.Itoa(nodes)
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			start := time.Now()
			job, connID, err := c.EnableConnector(cmd.Context(), id, req)
			if err != nil {
				return err
			}
			v := connectJobView{InstanceID: id, JobID: job, ConnectorID: connID}
			if wait.wait {
				label := "Smart Connect of " + instanceLabel(args[0])
				info, err := followConnectorJob(cmd, c, &wait, id, job, start, "enabling", label)
				if err != nil {
					return err
				}
				if info.Status != client.ConnectorRunning {
					return fmt.Errorf("%s is %s after the task: %s", label, orNoReason(info.Status), orNoReason(info.StatusReason))
				}
				v.Status = info.Status
			}
			return printConnectJob(a, cmd, v)
		},
	}
	cmd.Flags().IntVar(&nodes, "nodes", 0, "the number of Kafka Connect workers (default: the server's, 2)")
	cmd.Flags().StringVar(&spec, "specification", "", "the bandwidth specification: 100MB, 300MB, 600MB or 1200MB")
	wait.bind(cmd, "wait until the connector is RUNNING")
	return cmd
}

// followConnectorJob follows an enable or disable job (doing says which, for its failure) and
// returns the connector as it is after the job.
func followConnectorJob(cmd *cobra.Command, c *client.Client, wait *asyncWait, id, job string, start time.Time, doing, label string) (*client.ConnectorInfo, error) {
	t, err := followTask(cmd, c, wait, id, job, start, label)
	if err != nil {
		return nil, err
	}
	if t.Status == client.TaskFailed {
		return nil, fmt.Errorf("%s %s failed (task %s): %s", doing, label, t.ID, orNoReason(t.Error))
	}
	return c.GetConnector(cmd.Context(), id)
}

// connectorDisabled is the status --wait prints once the connector is gone.
const connectorDisabled = "DISABLED"

func newConnectDisableCmd(a *app) *cobra.Command {
	var wait asyncWait
	cmd := &cobra.Command{
		Use:   "disable ID|NAME",
		Short: "Disable Smart Connect on an instance (its tasks must be deleted first)",
		Long: `disable stops an instance's Smart Connect (POST /v2/{project_id}/kafka/instances/{id}/delete-connector):
a background task removes its workers. The server refuses while the instance has Smart Connect
tasks: delete them first ('dmsctl connect task delete'). With --wait dmsctl follows the task.`,
		Example: `  dmsctl connect disable kafka-demo --wait`,
		Args:    exactArgs("ID|NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			start := time.Now()
			job, err := c.DisableConnector(cmd.Context(), id)
			if err != nil {
				return err
			}
			v := connectJobView{InstanceID: id, JobID: job}
			if wait.wait {
				label := "Smart Connect of " + instanceLabel(args[0])
				info, err := followConnectorJob(cmd, c, &wait, id, job, start, "disabling", label)
				if err != nil {
					return err
				}
				if info.Enabled {
					return fmt.Errorf("%s is still enabled (%s) after the task", label, orNoReason(info.Status))
				}
				v.Status = connectorDisabled
			}
			return printConnectJob(a, cmd, v)
		},
	}
	wait.bind(cmd, "wait until the connector is gone")
	return cmd
}

// connectorView is what show prints: the connector, and the instance it is of.
type connectorView struct {
	InstanceID string `json:"instance_id"`
	client.ConnectorInfo
}

func newConnectShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID|NAME",
		Short: "Show an instance's Smart Connect: status, workers, task quota",
		Args:  exactArgs("ID|NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			info, err := c.GetConnector(cmd.Context(), id)
			if err != nil {
				return err
			}
			v := connectorView{InstanceID: id, ConnectorInfo: *info}
			return a.printer(cmd).print(v, func(t *table) {
				if !info.Enabled {
					t.keyValues("INSTANCE", id, "ENABLED", "false")
					return
				}
				t.keyValues("INSTANCE", id, "ENABLED", "true", "CONNECTOR", info.ConnectorID, "STATUS", info.Status)
				if info.StatusReason != "" {
					t.keyValues("REASON", info.StatusReason)
				}
				t.keyValues("NODES", itoa(info.NodeCount), "MAX_TASKS", itoa(info.MaxTasks))
				for _, w := range info.Workers {
					state := "stopped"
					if w.Running {
						state = "running"
					}
					t.keyValues(fmt.Sprintf("WORKER %d", w.ID), fmt.Sprintf("%s %s, %d restarts", w.Host, state, w.Restarts))
				}
			})
		},
	}
}
