package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// Defaults of 'instance create': the smallest instance of the default catalog.
const (
	defaultBrokers     = 3
	defaultStorageGB   = 300
	defaultProduct     = "c6.2u4g.cluster"
	defaultVersion     = "3.x"
	defaultStorageSpec = "dms.physical.storage.ultra.v2"
	defaultNetwork     = "default"
)

func newInstanceCreateCmd(a *app) *cobra.Command {
	var (
		req           client.CreateInstanceRequest
		azs, tags     []string
		autoTopics    bool
		begin, end    string
		wait          asyncWait
		brokers, disk int
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a Kafka instance (--wait follows it until it runs)",
		Long: `create asks for a new instance (POST /v2/kafka/{project_id}/instances) and shows it.

Without --az the instance spans every availability zone with resources when there are at least
three (at most one per broker), else the first one. With --wait dmsctl follows the instance until
it is RUNNING, printing its status on stderr; a creation that fails ends with exit status 1 and
the reason.`,
		Example: `  dmsctl instance create kafka-demo --wait
  dmsctl instance create orders --brokers 3 --storage 600 --product c6.4u8g.cluster --version 3.x \
      --az $AZ1 --tag env=dev --auto-create-topics`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name, req.BrokerNum, req.StorageSpace, req.EnableAutoTopic = args[0], brokers, disk, autoTopics
			if (begin == "") != (end == "") {
				return usageErrorf("--maintain-begin and --maintain-end go together")
			}
			req.MaintainBegin, req.MaintainEnd = begin, end
			for _, kv := range tags {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return usageErrorf("--tag %q: want key=value", kv)
				}
				req.Tags = append(req.Tags, client.InstanceTag{Key: k, Value: v})
			}
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			req.AvailableZones = azs
			if len(azs) == 0 {
				if req.AvailableZones, err = defaultAZs(ctx, c, brokers); err != nil {
					return err
				}
			}
			start := time.Now()
			id, err := c.CreateInstance(ctx, req)
			if err != nil {
				return err
			}
			if !wait.wait {
				in, err := c.GetInstance(ctx, id)
				if err != nil {
					return err
				}
				return a.printInstance(cmd, in)
			}
			in, err := waitInstanceUp(cmd, c, &wait, id, start, instanceLabel(req.Name))
			if err != nil {
				return err
			}
			return a.printInstance(cmd, in)
		},
	}
	f := cmd.Flags()
	f.IntVar(&brokers, "brokers", defaultBrokers, "number of brokers")
	f.IntVar(&disk, "storage", defaultStorageGB, "total storage space in GB: a multiple of 100 within the flavor's per-broker range times --brokers (see 'dmsctl catalog products')")
	f.StringVar(&req.ProductID, "product", defaultProduct, "flavor (product_id, see 'dmsctl catalog products')")
	f.StringVar(&req.EngineVersion, "version", defaultVersion, "engine version: 1.1.0, 2.7 or 3.x")
	f.StringArrayVar(&azs, "az", nil, "availability zone id (repeatable: 1 or at least 3; see 'dmsctl catalog azs')")
	f.StringVar(&req.StorageSpecCode, "storage-spec", defaultStorageSpec, "disk I/O: dms.physical.storage.ultra.v2 or dms.physical.storage.high.v2")
	f.StringVar(&req.VpcID, "vpc", defaultNetwork, "VPC id")
	f.StringVar(&req.SubnetID, "subnet", defaultNetwork, "subnet id")
	f.StringVar(&req.SecurityGroupID, "security-group", defaultNetwork, "security group id")
	f.BoolVar(&autoTopics, "auto-create-topics", false, "let producers and consumers create topics (3 partitions, 3 replicas)")
	f.StringVar(&begin, "maintain-begin", "", "start of the maintenance window, HH:mm (default: the catalog's default window)")
	f.StringVar(&end, "maintain-end", "", "end of the maintenance window, HH:mm")
	f.StringArrayVar(&tags, "tag", nil, "tag key=value (repeatable)")
	f.StringVar(&req.Description, "description", "", "description")
	wait.bind(cmd, "wait until the instance is RUNNING")
	return cmd
}

// defaultAZs picks the AZs of a new instance: every AZ with resources when there are at least three
// (at most one per broker), else the first one.
func defaultAZs(ctx context.Context, c *client.Client, brokers int) ([]string, error) {
	resp, err := c.Do(ctx, http.MethodGet, "/v2/available-zones", nil, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		AvailableZones []availableZone `json:"available_zones"`
	}
	if err := resp.Decode(&out); err != nil {
		return nil, err
	}
	var ids []string
	for _, z := range out.AvailableZones {
		if z.ResourceAvailability != "false" {
			ids = append(ids, z.ID)
		}
	}
	switch {
	case len(ids) == 0:
		return nil, errors.New("no availability zone has resources (GET /v2/available-zones): give --az")
	case len(ids) >= 3 && brokers >= 3:
		return ids[:min(len(ids), brokers)], nil
	}
	return ids[:1], nil
}

// waitInstanceUp follows a new instance until it is RUNNING; ERROR (a failed creation) is an error
// with the instance's status reason.
func waitInstanceUp(cmd *cobra.Command, c *client.Client, w *asyncWait, id string, start time.Time, label string) (*client.Instance, error) {
	ctx, cancel := w.context(cmd)
	defer cancel()
	p := newProgress(cmd, label, start)
	in, err := c.WaitInstance(ctx, id, func(in client.Instance) bool {
		return in.Status == client.InstanceRunning || in.Status == client.InstanceError
	}, func(in client.Instance) { p.show(in.Status) })
	if err != nil {
		return nil, w.gaveUp(ctx, err, fmt.Sprintf("%s (%s) is still %s; see 'dmsctl instance show %s'", label, id, p.last, id))
	}
	if in.Status != client.InstanceRunning {
		return nil, fmt.Errorf("%s (%s) is %s: %s", label, id, in.Status, orNoReason(in.OpenDMS.StatusReason))
	}
	return in, nil
}
