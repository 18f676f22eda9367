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
		access        accessFlags
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a Kafka instance (--wait follows it until it runs)",
		Long: `create asks for a new instance (POST /v2/kafka/{project_id}/instances) and shows it.

Without --az the instance spans every availability zone with resources when there are at least
three (at most one per broker), else the first one. The network fields a cloud needs (--vpc,
--subnet, --security-group) default to placeholders OpenDMS accepts. With --wait dmsctl follows
the instance until it is RUNNING, printing its status on stderr; a creation that fails ends with
exit status 1 and the reason.

Access modes: without any, the brokers take plaintext clients only (--plaintext). --sasl-ssl
(SASL over TLS, the instance's own CA; 'dmsctl instance connect' writes it for clients) and
--sasl-plaintext are exclusive, as are their public variants; plaintext can go beside either. SASL
needs the instance's administrator: --access-user, with its password from --password-stdin or,
on a terminal, a prompt (8-32 characters, three of lower case, upper case, digits and specials).
--sasl-mechanisms picks SCRAM-SHA-512 and/or PLAIN (default: PLAIN, the reference's).`,
		Example: `  dmsctl instance create kafka-demo --wait
  dmsctl instance create orders --brokers 3 --storage 600 --product c6.4u8g.cluster --version 3.x \
      --az $AZ1 --tag env=dev --auto-create-topics
  printf '%s\n' "$PASSWORD" | dmsctl instance create kafka-sasl --sasl-ssl --sasl-mechanisms SCRAM-SHA-512,PLAIN \
      --access-user admin1 --password-stdin --wait`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name, req.BrokerNum, req.StorageSpace, req.EnableAutoTopic = args[0], brokers, disk, autoTopics
			// Every mistake in the flags at once, rather than one per try.
			var bad []string
			if (begin == "") != (end == "") {
				bad = append(bad, "--maintain-begin and --maintain-end go together")
			}
			req.MaintainBegin, req.MaintainEnd = begin, end
			for _, kv := range tags {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || strings.TrimSpace(k) == "" {
					bad = append(bad, fmt.Sprintf("--tag %q: want key=value", kv))
					continue
				}
				req.Tags = append(req.Tags, client.InstanceTag{Key: k, Value: v})
			}
			bad = append(bad, access.apply(&req)...)
			if len(bad) > 0 {
				return usageErrorf("%s", strings.Join(bad, "; "))
			}
			if req.AccessUser != "" {
				var err error
				if req.Password, err = access.password(cmd); err != nil {
					return err
				}
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
			in, err := waitInstanceStatus(cmd, c, &wait, id, client.InstanceRunning, instanceLabel(req.Name), start)
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
	access.bind(cmd)
	wait.bind(cmd, "wait until the instance is RUNNING")
	return cmd
}

// accessFlags are the access modes of 'instance create' and the SASL administrator they need.
type accessFlags struct {
	modes         client.AccessModes
	mechanisms    []string
	user          string
	publicIPID    string
	passwordStdin bool
}

func (f *accessFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.modes.PrivatePlainEnable, "plaintext", false, "private plaintext access (port 9092; the default without any access mode)")
	fl.BoolVar(&f.modes.PrivateSASLSSLEnable, "sasl-ssl", false, "private SASL_SSL access (port 9093)")
	fl.BoolVar(&f.modes.PrivateSASLPlaintextEnable, "sasl-plaintext", false, "private SASL_PLAINTEXT access (port 9093)")
	fl.BoolVar(&f.modes.PublicPlainEnable, "public-plaintext", false, "public plaintext access (port 9094; turns public access on)")
	fl.BoolVar(&f.modes.PublicSASLSSLEnable, "public-sasl-ssl", false, "public SASL_SSL access (port 9095; turns public access on)")
	fl.BoolVar(&f.modes.PublicSASLPlaintextEnable, "public-sasl-plaintext", false, "public SASL_PLAINTEXT access (port 9095; turns public access on)")
	fl.StringSliceVar(&f.mechanisms, "sasl-mechanisms", nil, "SASL mechanisms: SCRAM-SHA-512 and/or PLAIN, comma-separated (default: PLAIN)")
	fl.StringVar(&f.user, "access-user", "", "the SASL administrator of the instance (needed by SASL modes)")
	fl.StringVar(&f.publicIPID, "public-ip-id", "", "EIP id(s) of public access (optional on OpenDMS)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the administrator's password from the first line of stdin (else a prompt on a terminal)")
}

// apply fills the request's security fields and returns what is wrong with the flags.
func (f *accessFlags) apply(req *client.CreateInstanceRequest) []string {
	m := f.modes
	var bad []string
	if m.PrivateSASLSSLEnable && m.PrivateSASLPlaintextEnable {
		bad = append(bad, "--sasl-ssl and --sasl-plaintext are exclusive")
	}
	if m.PublicSASLSSLEnable && m.PublicSASLPlaintextEnable {
		bad = append(bad, "--public-sasl-ssl and --public-sasl-plaintext are exclusive")
	}
	public := m.PublicPlainEnable || m.PublicSASLSSLEnable || m.PublicSASLPlaintextEnable
	private := m.PrivatePlainEnable || m.PrivateSASLSSLEnable || m.PrivateSASLPlaintextEnable
	if public && !private {
		bad = append(bad, "public access needs a private access mode too (--plaintext, --sasl-ssl or --sasl-plaintext)")
	}
	sasl := m.PrivateSASLSSLEnable || m.PrivateSASLPlaintextEnable || m.PublicSASLSSLEnable || m.PublicSASLPlaintextEnable
	var mechs []string
	for _, mech := range f.mechanisms {
		switch up := strings.ToUpper(strings.TrimSpace(mech)); up {
		case mechanismSCRAM, mechanismPlain:
			mechs = append(mechs, up)
		default:
			bad = append(bad, fmt.Sprintf("--sasl-mechanisms: %q is not SCRAM-SHA-512 or PLAIN", mech))
		}
	}
	switch {
	case sasl && f.user == "":
		bad = append(bad, "SASL access needs --access-user (the instance's administrator)")
	case !sasl && (f.user != "" || len(f.mechanisms) > 0 || f.passwordStdin):
		bad = append(bad, "--access-user, --sasl-mechanisms and --password-stdin go with a SASL access mode (--sasl-ssl, --sasl-plaintext, ...)")
	case !public && f.publicIPID != "":
		bad = append(bad, "--public-ip-id goes with a public access mode")
	}
	if !private && !public {
		return bad // the server's default: plaintext
	}
	req.PortProtocol = &m
	req.EnablePublicIP, req.PublicIPID = public, f.publicIPID
	if sasl {
		req.SSLEnable, req.AccessUser, req.SASLEnabledMechanisms = true, f.user, mechs
		req.KafkaSecurityProtocol = client.ProtocolSASLSSL
		if m.PrivateSASLPlaintextEnable || m.PublicSASLPlaintextEnable {
			req.KafkaSecurityProtocol = client.ProtocolSASLPlaintext
		}
	}
	return bad
}

// password reads the administrator's password: from stdin, or asked twice on a terminal.
func (f *accessFlags) password(cmd *cobra.Command) (string, error) {
	if f.passwordStdin {
		return readPassword(cmd, "password")
	}
	pw, err := promptPassword(cmd, "password of "+f.user)
	if err != nil {
		return "", err
	}
	again, err := promptPassword(cmd, "password of "+f.user+" again")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", usageErrorf("the passwords differ")
	}
	return pw, nil
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

// instanceProgress is an instance's status for a progress line, with its newest background task
// while that runs ("CREATING, task createInstance EXECUTING"): the task says what the wait is for.
func instanceProgress(ctx context.Context, c *client.Client, in client.Instance) string {
	if in.Status == client.InstanceRunning || in.Status == client.InstanceError {
		return in.Status
	}
	tasks, err := c.ListTasks(ctx, in.InstanceID, client.TaskFilter{Limit: 1})
	if err != nil || len(tasks) == 0 || tasks[0].Finished() {
		return in.Status // the progress line does without the task (e.g. a server without 5.9)
	}
	return in.Status + ", task " + tasks[0].Name + " " + tasks[0].Status
}
