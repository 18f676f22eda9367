package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// extendResult is what `instance extend` prints.
type extendResult struct {
	InstanceID string `json:"instance_id"`
	JobID      string `json:"job_id"`
	OperType   string `json:"oper_type"`
	Status     string `json:"status,omitempty"` // with --wait: the instance's status after the task
	BrokerNum  int    `json:"broker_num,omitempty"`
	Storage    int    `json:"storage_space,omitempty"`
	ProductID  string `json:"product_id,omitempty"`
}

func newInstanceExtendCmd(a *app) *cobra.Command {
	var wait asyncWait
	var brokers, storage int
	var flavor string
	var tenantIPs []string
	var rebalance bool
	var throttle string
	cmd := &cobra.Command{
		Use:   "extend ID|NAME (--brokers N | --storage GB | --flavor PRODUCT)",
		Short: "Add brokers, storage or a bigger flavor to an instance (--wait until it is done)",
		Long: `extend increases an instance's specifications (POST /v2/kafka/{project_id}/instances/{id}/extend):
  --brokers N      horizontal: N brokers in all, each with the storage the brokers have now
                   (the new ones are broker-only KRaft nodes; --tenant-ips picks their addresses;
                   --rebalance then moves partitions onto them in a reassignment task of its own,
                   under --throttle, as 'dmsctl instance rebalance' would, but only onto the new)
  --storage GB     storage: the instance's new total storage; each broker grows by at least 100 GB
  --flavor PRODUCT vertical: a bigger flavor (see the products the instance can move to with
                   'dmsctl api GET .../extend?type=advanced'); the brokers restart one at a time
The instance is EXTENDING meanwhile, RUNNING after; a failure leaves it EXTENDEDFAILED with its
brokers serving, and the same command can be run again. With --wait dmsctl follows the task's
progress (brokers added or restarted) until the instance is RUNNING.`,
		Example: `  dmsctl instance extend kafka-demo --brokers 5 --wait
  dmsctl instance extend kafka-demo --brokers 5 --rebalance --throttle 20MB
  dmsctl instance extend kafka-demo --storage 900
  dmsctl instance extend kafka-demo --flavor c6.4u8g.cluster --wait`,
		Args: exactArgs("ID|NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := extendRequest(cmd, brokers, storage, flavor, tenantIPs)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("throttle") && !rebalance {
				return usageErrorf("--throttle goes with --rebalance")
			}
			if rebalance {
				if req.OperType != client.ExtendHorizontal {
					return usageErrorf("--rebalance goes with --brokers")
				}
				req.Rebalance = &client.ExtendRebalance{}
				if throttle != "" {
					if req.Rebalance.Throttle, err = parseByteRate("throttle", throttle); err != nil {
						return err
					}
				}
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			start := time.Now()
			if req.OperType == client.ExtendHorizontal {
				// The storage of each broker stays: send the new total the reference asks for.
				in, err := c.GetInstance(ctx, id)
				if err != nil {
					return err
				}
				if in.BrokerNum > 0 {
					req.NewStorageSpace = in.StorageSpace / in.BrokerNum * req.NewBrokerNum
				}
			}
			job, err := c.ExtendInstance(ctx, id, req)
			if err != nil {
				return err
			}
			res := extendResult{InstanceID: id, JobID: job, OperType: req.OperType}
			if wait.wait {
				in, err := waitExtended(cmd, c, &wait, id, job, start, instanceLabel(args[0]))
				if err != nil {
					return err
				}
				res.Status, res.BrokerNum, res.Storage, res.ProductID = in.Status, in.BrokerNum, in.StorageSpace, in.ProductID
			}
			return a.printer(cmd).print(res, func(t *table) {
				if res.Status == "" {
					t.row("INSTANCE", "JOB", "OPERATION")
					t.row(res.InstanceID, res.JobID, res.OperType)
					return
				}
				t.row("INSTANCE", "JOB", "OPERATION", "STATUS", "BROKERS", "STORAGE_GB", "FLAVOR")
				t.row(res.InstanceID, res.JobID, res.OperType, res.Status, strconv.Itoa(res.BrokerNum), strconv.Itoa(res.Storage), res.ProductID)
			})
		},
	}
	cmd.Flags().IntVar(&brokers, "brokers", 0, "horizontal: the new broker count")
	cmd.Flags().IntVar(&storage, "storage", 0, "storage: the instance's new total storage in GB")
	cmd.Flags().StringVar(&flavor, "flavor", "", "vertical: the new product id (flavor), e.g. c6.4u8g.cluster")
	cmd.Flags().StringSliceVar(&tenantIPs, "tenant-ips", nil, "with --brokers: addresses for the new brokers (the rest are picked)")
	cmd.Flags().BoolVar(&rebalance, "rebalance", false, "with --brokers: move partitions onto the new brokers after (a task of its own)")
	cmd.Flags().StringVar(&throttle, "throttle", "", "with --rebalance: replication throttle per broker while data moves, in bytes/s (10MB, 8MiB)")
	wait.bind(cmd, "wait until the extension is done and the instance RUNNING")
	return cmd
}

// extendRequest builds the request from the flags: exactly one of --brokers, --storage, --flavor.
func extendRequest(cmd *cobra.Command, brokers, storage int, flavor string, tenantIPs []string) (client.ExtendRequest, error) {
	var set []string
	for _, f := range []string{"brokers", "storage", "flavor"} {
		if cmd.Flags().Changed(f) {
			set = append(set, "--"+f)
		}
	}
	if len(set) != 1 {
		return client.ExtendRequest{}, usageErrorf("give exactly one of --brokers, --storage and --flavor (got %s)", strings.Join(append(set, "none")[:max(1, len(set))], ", "))
	}
	if len(tenantIPs) > 0 && !cmd.Flags().Changed("brokers") {
		return client.ExtendRequest{}, usageErrorf("--tenant-ips goes with --brokers")
	}
	switch set[0] {
	case "--brokers":
		if brokers <= 0 {
			return client.ExtendRequest{}, usageErrorf("--brokers must be a positive broker count, got %d", brokers)
		}
		return client.ExtendRequest{OperType: client.ExtendHorizontal, NewBrokerNum: brokers, TenantIPs: tenantIPs}, nil
	case "--storage":
		if storage <= 0 {
			return client.ExtendRequest{}, usageErrorf("--storage must be a positive number of GB, got %d", storage)
		}
		return client.ExtendRequest{OperType: client.ExtendStorage, NewStorageSpace: storage}, nil
	default:
		if strings.TrimSpace(flavor) == "" {
			return client.ExtendRequest{}, usageErrorf("--flavor needs a product id, e.g. c6.4u8g.cluster")
		}
		return client.ExtendRequest{OperType: client.ExtendVertical, NewProductID: flavor}, nil
	}
}

// waitExtended follows the extension task, showing its progress, then the instance until it is
// RUNNING (or EXTENDEDFAILED, an error with the reason).
func waitExtended(cmd *cobra.Command, c *client.Client, w *asyncWait, id, job string, start time.Time, label string) (*client.Instance, error) {
	ctx, cancel := w.context(cmd)
	defer cancel()
	p := newProgress(cmd, label, start)
	done, err := c.WaitTask(ctx, id, job, func(t client.Task) {
		line := "extend task " + t.Status
		if pr, err := c.GetTaskProgress(ctx, id, job); err == nil {
			line += fmt.Sprintf(" %d%%", pr.Percentage)
			for _, s := range pr.Steps {
				if s.Status == "IN_PROGRESS" {
					line += ": " + s.Name
				}
			}
		}
		p.showIn(ctx, line)
	})
	if err != nil {
		return nil, w.gaveUp(ctx, err, fmt.Sprintf("the extension of %s is still %s", label, p.last))
	}
	if done.Status == client.TaskFailed {
		return nil, fmt.Errorf("the extension of %s failed (task %s): %s", label, done.ID, orNoReason(done.Error))
	}
	in, err := c.WaitInstance(ctx, id, func(in client.Instance) bool {
		return in.Status == client.InstanceRunning || in.Status == client.InstanceExtendFailed || in.Status == client.InstanceError
	}, func(in client.Instance) { p.showIn(ctx, in.Status) })
	if err != nil {
		return nil, w.gaveUp(ctx, err, fmt.Sprintf("%s (%s) is still %s", label, id, p.last))
	}
	if in.Status != client.InstanceRunning {
		return nil, fmt.Errorf("%s (%s) is %s after the extension: %s", label, id, in.Status, orNoReason(in.OpenDMS.StatusReason))
	}
	return in, nil
}
