package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// newInstanceCmd is the Kafka instances of the project (API reference 5.1).
func newInstanceCmd(a *app) *cobra.Command {
	return groupCmd("instance", "Create, list, change, restart and delete Kafka instances",
		newInstanceCreateCmd(a),
		newInstanceListCmd(a),
		newInstanceShowCmd(a),
		newInstanceUpdateCmd(a),
		newInstanceDeleteCmd(a),
		newInstanceRestartCmd(a),
		newInstanceConfigsCmd(a),
		newInstanceCertCmd(a),
		newInstanceConnectCmd(a),
		newInstanceResetPasswordCmd(a),
		newInstanceUpgradeCmd(a),
		newInstanceExtendCmd(a),
		newInstanceRebalanceCmd(a),
	)
}

// instanceIDPattern is the form of the instance ids dmsd (and Huawei Cloud) hands out: a UUID.
var instanceIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// resolveInstanceID returns the id of the instance ref names: ref itself when it has the form of an id,
// else the id of the instance with exactly that name (failed creations included). A name that no
// instance has is returned as is, so the server reports it (404) as an unknown id.
func resolveInstanceID(ctx context.Context, c *client.Client, ref string) (string, error) {
	if ref == "" {
		return "", usageErrorf("the instance id or name is empty")
	}
	if instanceIDPattern.MatchString(ref) {
		return ref, nil
	}
	ins, err := c.ListInstances(ctx, client.InstanceFilter{Name: ref, ExactName: true, IncludeFailure: true})
	if err != nil {
		return "", err
	}
	var ids []string
	for _, in := range ins {
		if in.Name == ref { // servers that ignore exact_match_name answer substring matches
			ids = append(ids, in.InstanceID)
		}
	}
	switch len(ids) {
	case 0:
		return ref, nil
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%d instances are named %q (%s): give an instance id", len(ids), ref, strings.Join(ids, ", "))
}

// asyncWait is --wait and --wait-timeout of the commands that start background work.
type asyncWait struct {
	wait    bool
	timeout time.Duration
}

func (w *asyncWait) bind(cmd *cobra.Command, what string) {
	cmd.Flags().BoolVar(&w.wait, "wait", false, what+", showing progress on stderr")
	cmd.Flags().DurationVar(&w.timeout, "wait-timeout", 30*time.Minute, "give up --wait after this long (0: never)")
}

// context returns the context of the waiting.
func (w *asyncWait) context(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if w.timeout > 0 {
		return context.WithTimeout(ctx, w.timeout)
	}
	return context.WithCancel(ctx)
}

// gaveUp turns the end of a wait's context into a message that says what was still going on.
func (w *asyncWait) gaveUp(ctx context.Context, err error, what string) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("gave up waiting after %s: %s", w.timeout, what)
	}
	return err
}

// progressLine reports a wait on stderr: a line when the status changes, and every progressEvery.
type progressLine struct {
	w      io.Writer
	label  string
	start  time.Time
	last   string
	lastAt time.Time
}

const progressEvery = 15 * time.Second

func newProgress(cmd *cobra.Command, label string, start time.Time) *progressLine {
	return &progressLine{w: cmd.ErrOrStderr(), label: label, start: start}
}

func (p *progressLine) show(status string) {
	now := time.Now()
	if status == p.last && now.Sub(p.lastAt) < progressEvery {
		return
	}
	p.last, p.lastAt = status, now
	fmt.Fprintf(p.w, "%s: %s (%s)\n", p.label, status, now.Sub(p.start).Round(time.Second))
}

// showIn is show unless ctx has ended: a status read as the wait gives up (its task lookup cut
// short) is not progress.
func (p *progressLine) showIn(ctx context.Context, status string) {
	if ctx.Err() == nil {
		p.show(status)
	}
}

// instanceLabel names an instance in progress lines and messages: by the name it was given, else by id.
func instanceLabel(ref string) string { return "instance " + ref }

func newInstanceListCmd(a *app) *cobra.Command {
	var name, status string
	var exact bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the instances of the project (instances whose creation failed included)",
		Example: `  dmsctl instance list
  dmsctl instance list --status RUNNING -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			ins, err := c.ListInstances(cmd.Context(), client.InstanceFilter{Name: name, ExactName: exact,
				Status: strings.ToUpper(status), IncludeFailure: true})
			if err != nil {
				return err
			}
			return a.printer(cmd).print(ins, func(t *table) { instanceTable(t, ins...) })
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "only instances whose name contains this")
	cmd.Flags().BoolVar(&exact, "exact", false, "--name is the whole name")
	cmd.Flags().StringVar(&status, "status", "", "only instances in this status (CREATING, RUNNING, ERROR, RESTARTING, ...)")
	return cmd
}

func instanceTable(t *table, ins ...client.Instance) {
	t.row("ID", "NAME", "STATUS", "BROKERS", "PROTOCOL", "ADDRESS", "VERSION", "CREATED")
	for _, in := range ins {
		var protocol, addrs string
		if l, err := in.Listener(""); err == nil { // the listener 'instance connect' picks
			protocol, addrs = l.Protocol, strings.Join(l.Addresses, ",")
		}
		t.row(in.InstanceID, in.Name, in.Status, itoa(in.BrokerNum), protocol, addrs, in.EngineVersion, fmtTime(in.Created()))
	}
}

// listenerRows returns a "listener NAME" key and "PROTOCOL addresses" value for every listener of
// an instance, from port_protocols: a SASL-only instance has no plaintext port to show.
func listenerRows(in client.Instance) []string {
	var kv []string
	for _, l := range in.Listeners() {
		addrs := strings.Join(l.Addresses, ",")
		if addrs == "" {
			addrs = "(no address published)"
		}
		kv = append(kv, "listener "+l.Name, l.Protocol+" "+addrs)
	}
	if len(kv) == 0 {
		kv = []string{"listeners", ""}
	}
	return kv
}

// instanceDetails writes one instance as "key: value" lines.
func instanceDetails(t *table, in client.Instance) {
	tags := make([]string, 0, len(in.Tags))
	for _, tg := range in.Tags {
		tags = append(tags, tg.Key+"="+tg.Value)
	}
	kafka := in.OpenDMS.KafkaVersion
	if in.OpenDMS.Engine != "" {
		kafka += " (" + in.OpenDMS.Engine + " engine)"
	}
	maintain := ""
	if in.MaintainBegin != "" || in.MaintainEnd != "" {
		maintain = in.MaintainBegin + "-" + in.MaintainEnd
	}
	kv := []string{
		"id", in.InstanceID,
		"name", in.Name,
		"description", in.Description,
		"status", in.Status,
		"status_reason", in.OpenDMS.StatusReason,
		"engine_version", in.EngineVersion,
		"kafka", kafka,
		"product", in.ProductID,
		"specification", in.Specification,
		"brokers", itoa(in.BrokerNum),
		"storage", fmt.Sprintf("%d/%d GB used (%s)", in.UsedStorageSpace, in.StorageSpace, in.StorageSpecCode),
		"partitions", in.PartitionNum,
	}
	kv = append(kv, listenerRows(in)...)
	kv = append(kv,
		"sasl_mechanisms", strings.Join(in.SASLEnabledMechanisms, ","),
		"access_user", in.AccessUser,
		"auto_create_topics", fmtBool(in.EnableAutoTopic),
		"retention_policy", in.RetentionPolicy,
		"capacity", capacityState(in.OpenDMS.Capacity),
		"maintenance", maintain,
		"available_zones", strings.Join(in.AvailableZones, ","),
		"vpc/subnet/sg", strings.Join([]string{in.VpcID, in.SubnetID, in.SecurityGroupID}, "/"),
		"tags", strings.Join(tags, ","),
		"created", fmtTime(in.Created()),
	)
	t.keyValues(kv...)
}

func (a *app) printInstance(cmd *cobra.Command, in *client.Instance) error {
	return a.printer(cmd).print(in, func(t *table) { instanceDetails(t, *in) })
}

func newInstanceShowCmd(a *app) *cobra.Command {
	var (
		waitFor string
		wait    asyncWait
	)
	cmd := &cobra.Command{
		Use:   "show ID|NAME",
		Short: "Show an instance, by id or by name (--wait-for a status first)",
		Long: `show prints an instance: its listeners (each access mode with its protocol and brokers), SASL
mechanisms and administrator, storage, versions. With --wait-for STATUS it first follows the
instance until it has that status, printing its status and running task on stderr; an instance
that turns ERROR instead (unless ERROR is awaited) ends with exit status 1 and the reason.`,
		Example: `  dmsctl instance show kafka-demo
  dmsctl instance show kafka-demo --wait-for RUNNING -o json`,
		Args: exactArgs("ID|NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			waitFor = strings.ToUpper(strings.TrimSpace(waitFor))
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			id, err := resolveInstanceID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if waitFor != "" {
				in, err := waitInstanceStatus(cmd, c, &wait, id, waitFor, instanceLabel(args[0]), time.Now())
				if err != nil {
					return err
				}
				return a.printInstance(cmd, in)
			}
			in, err := c.GetInstance(cmd.Context(), id)
			if err != nil {
				return err
			}
			return a.printInstance(cmd, in)
		},
	}
	cmd.Flags().StringVar(&waitFor, "wait-for", "", "first wait until the instance has this status (RUNNING, ...), showing progress on stderr")
	cmd.Flags().DurationVar(&wait.timeout, "wait-timeout", 30*time.Minute, "give up --wait-for after this long (0: never)")
	return cmd
}

// waitInstanceStatus follows an instance until it has status; ERROR, when not the status awaited,
// ends the wait with the instance's status reason.
func waitInstanceStatus(cmd *cobra.Command, c *client.Client, w *asyncWait, id, status, label string, start time.Time) (*client.Instance, error) {
	ctx, cancel := w.context(cmd)
	defer cancel()
	p := newProgress(cmd, label, start)
	in, err := c.WaitInstance(ctx, id, func(in client.Instance) bool {
		return in.Status == status || in.Status == client.InstanceError
	}, func(in client.Instance) {
		if in.Name != "" { // an instance given by id is named by its name from now on
			p.label = instanceLabel(in.Name)
		}
		p.showIn(ctx, instanceProgress(ctx, c, in))
	})
	label = p.label
	if err != nil {
		if status == client.InstanceRunning && p.last == client.InstanceCreating {
			// A creation still under way (create --wait).
			return nil, w.gaveUp(ctx, err, fmt.Sprintf("%s (%s) is still %s; see 'dmsctl instance show %s'", label, id, p.last, id))
		}
		return nil, w.gaveUp(ctx, err, fmt.Sprintf("%s (%s) is %s, not %s", label, id, p.last, status))
	}
	if in.Status != status {
		return nil, fmt.Errorf("%s (%s) is %s: %s", label, id, in.Status, orNoReason(in.OpenDMS.StatusReason))
	}
	return in, nil
}

func newInstanceUpdateCmd(a *app) *cobra.Command {
	var name, description, begin, end, securityGroup, retention string
	cmd := &cobra.Command{
		Use:   "update ID|NAME",
		Short: "Change an instance's name, description, maintenance window, security group or retention policy",
		Example: `  dmsctl instance update kafka-demo --name kafka-prod --description "orders"
  dmsctl instance update $ID --maintain-begin 02:00 --maintain-end 06:00`,
		Args: exactArgs("ID|NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req client.UpdateInstanceRequest
			changed := false
			for flag, dst := range map[string]**string{
				"name": &req.Name, "description": &req.Description, "maintain-begin": &req.MaintainBegin,
				"maintain-end": &req.MaintainEnd, "security-group": &req.SecurityGroupID, "retention-policy": &req.RetentionPolicy,
			} {
				if cmd.Flags().Changed(flag) {
					v := cmd.Flags().Lookup(flag).Value.String()
					*dst, changed = &v, true
				}
			}
			if !changed {
				return usageErrorf("nothing to change: give --name, --description, --maintain-begin/--maintain-end, --security-group or --retention-policy")
			}
			if (req.MaintainBegin == nil) != (req.MaintainEnd == nil) {
				return usageErrorf("--maintain-begin and --maintain-end go together")
			}
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			id, err := resolveInstanceID(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if err := c.UpdateInstance(cmd.Context(), id, req); err != nil {
				return err
			}
			a.printer(cmd).note("Updated instance %s.", id)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "new name: 4-64 letters, digits, '_' and '-'")
	f.StringVar(&description, "description", "", "new description (empty clears it)")
	f.StringVar(&begin, "maintain-begin", "", "start of the maintenance window, HH:mm (or HH:mm:ss; see 'dmsctl catalog windows')")
	f.StringVar(&end, "maintain-end", "", "end of the maintenance window, HH:mm (or HH:mm:ss)")
	f.StringVar(&securityGroup, "security-group", "", "new security group id")
	f.StringVar(&retention, "retention-policy", "", "when the disk is full: produce_reject or time_base")
	return cmd
}

// capacityState is the capacity policy's state in one line ("" when nothing is in effect).
func capacityState(c *client.InstanceCapacity) string {
	switch {
	case c == nil:
		return ""
	case c.ProduceRejected:
		return "produce refused since " + c.Since + ": " + c.Reason
	default:
		return c.Reason
	}
}
