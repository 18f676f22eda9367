package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// newQuotaCmd is the user and client quotas of an instance (API reference 5.2.13-5.2.16): Kafka
// client quotas, byte rates per user, client id, or both.
func newQuotaCmd(a *app) *cobra.Command {
	return groupCmd("quota", "List, create, change and delete the user and client quotas (byte rates) of an instance",
		newQuotaListCmd(a),
		newQuotaWriteCmd(a, "create"),
		newQuotaWriteCmd(a, "update"),
		newQuotaWriteCmd(a, "set"),
		newQuotaDeleteCmd(a),
	)
}

// quotaName is a quota entity's user or client column: the name, "<default>" (Kafka's notation)
// for the default entity, "" (shown "-") for none.
func quotaName(name string, def bool) string {
	if def {
		return "<default>"
	}
	return name
}

// quotaRate shows a rate with its unit, in the largest binary unit that divides it ("3 MiB/s",
// "1500 B/s"); 0 is no limit ("-").
func quotaRate(r int64) string {
	if r == 0 {
		return ""
	}
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if r%u.size == 0 {
			return i64toa(r/u.size) + " " + u.name + "/s"
		}
	}
	return i64toa(r) + " B/s"
}

func newQuotaListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list INSTANCE",
		Short: "List the quotas of an instance",
		Long: `list shows every user and client quota of an instance (GET /v2/kafka/{project_id}/instances/{instance_id}/kafka-user-client-quota):
whom each applies to, a user, a client id or both, "<default>" standing for every user (client id)
without a quota of its own, and its produce and consume rates ("-": no limit). Kafka applies a
quota on each broker: the rates are per broker, so a client writing to partitions led by three
brokers may produce up to three times the rate in all.`,
		Example: `  dmsctl quota list kafka-demo
  dmsctl quota list kafka-demo -o json`,
		Args: exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			qs, err := c.ListQuotas(cmd.Context(), id)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(qs, func(t *table) {
				t.row("USER", "CLIENT", "PRODUCE_RATE_PER_BROKER", "CONSUME_RATE_PER_BROKER")
				for _, q := range qs {
					t.row(quotaName(q.User, q.UserDefault), quotaName(q.Client, q.ClientDefault), quotaRate(q.ProducerByteRate), quotaRate(q.ConsumerByteRate))
				}
			})
		},
	}
}

// quotaEntityFlags are the flags that name a quota's entity.
type quotaEntityFlags struct {
	user, client               string
	userDefault, clientDefault bool
}

func (f *quotaEntityFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.user, "user", "", "the quota of this user")
	fl.BoolVar(&f.userDefault, "user-default", false, "the quota of every user without one of its own")
	fl.StringVar(&f.client, "client", "", "the quota of this client id (with --user: of that user's clients with this id)")
	fl.BoolVar(&f.clientDefault, "client-default", false, "the quota of every client id without one of its own")
}

// entity checks the flags: a user or the default user, a client id or the default one, at least one.
func (f *quotaEntityFlags) entity(cmd *cobra.Command) (client.QuotaEntity, error) {
	fl := cmd.Flags()
	switch {
	case fl.Changed("user") && f.user == "":
		return client.QuotaEntity{}, usageErrorf("--user needs a name (--user-default for every user)")
	case fl.Changed("client") && f.client == "":
		return client.QuotaEntity{}, usageErrorf("--client needs a client id (--client-default for every client)")
	case f.user != "" && f.userDefault:
		return client.QuotaEntity{}, usageErrorf("give --user or --user-default, not both")
	case f.client != "" && f.clientDefault:
		return client.QuotaEntity{}, usageErrorf("give --client or --client-default, not both")
	case f.user == "" && !f.userDefault && f.client == "" && !f.clientDefault:
		return client.QuotaEntity{}, usageErrorf("say whose quota: --user NAME or --user-default, and/or --client ID or --client-default")
	}
	return client.QuotaEntity{User: f.user, UserDefault: f.userDefault, Client: f.client, ClientDefault: f.clientDefault}, nil
}

// entityLabel is "user alice, client <default>".
func entityLabel(e client.QuotaEntity) string {
	var parts []string
	if e.User != "" || e.UserDefault {
		parts = append(parts, "user "+quotaName(e.User, e.UserDefault))
	}
	if e.Client != "" || e.ClientDefault {
		parts = append(parts, "client "+quotaName(e.Client, e.ClientDefault))
	}
	return strings.Join(parts, ", ")
}

// parseByteRate reads a rate in bytes/s: an integer, optionally with a unit, binary (KiB, MiB,
// GiB: 1024) or decimal (KB, MB, GB: 1000); "256KiB" is 262144.
func parseByteRate(flag, s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n > math.MaxInt64/mult {
		return 0, usageErrorf("--%s %q: want a positive number of bytes/s, e.g. 1048576 or 256KiB", flag, s)
	}
	return n * mult, nil
}

// quotaJobView is the answer of a quota write: its task and, after --wait, how it ended.
type quotaJobView struct {
	JobID  string `json:"job_id"`
	Action string `json:"action"` // created, updated, deleted
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// finishQuotaJob prints a write's task, following it with --wait (exit status 1 if it FAILED).
func finishQuotaJob(cmd *cobra.Command, a *app, c *client.Client, w *asyncWait, id, ref string, view quotaJobView, e client.QuotaEntity, start time.Time) error {
	var failed error
	if w.wait {
		t, err := followTask(cmd, c, w, id, view.JobID, start, "quota task "+view.JobID)
		if err != nil {
			return err
		}
		view.Status, view.Error = t.Status, t.Error
		if t.Status == client.TaskFailed {
			failed = fmt.Errorf("the quota of %s on %s was not %s (task %s): %s", entityLabel(e), ref, view.Action, t.ID, orNoReason(t.Error))
		}
	}
	if err := a.printer(cmd).print(view, func(t *table) {
		t.keyValues("quota", entityLabel(e), "action", view.Action, "job_id", view.JobID)
		if view.Status != "" {
			t.keyValues("status", view.Status, "error", view.Error)
		}
	}); err != nil {
		return err
	}
	return failed
}

// newQuotaWriteCmd is create (5.2.15), update (5.2.16) or set (either, as the instance has the
// quota or not).
func newQuotaWriteCmd(a *app, verb string) *cobra.Command {
	var (
		ef                 quotaEntityFlags
		producer, consumer string
		wait               asyncWait
	)
	short := map[string]string{
		"create": "Create a quota (refused if the user or client has one already)",
		"update": "Change a quota's rates (the rates not given stay)",
		"set":    "Create a quota, or change its rates if it exists",
	}[verb]
	long := map[string]string{
		"create": `create sets a quota (POST /v2/kafka/{project_id}/instances/{instance_id}/kafka-user-client-quota).`,
		"update": `update changes the rates given of an existing quota (PUT .../kafka-user-client-quota); the other rate stays.`,
		"set": `set creates the quota (POST .../kafka-user-client-quota) or, when the instance has one for the same user
and client already, changes the rates given (PUT), the other staying.`,
	}[verb] + `

The quota applies to --user NAME or --user-default (every user without a quota of its own), and/or
--client ID or --client-default; with both a user and a client, to that user's connections with that
client id. Rates are bytes/s per broker (Kafka applies a quota on each broker), a number or with a
unit (256KiB, 10MiB, 5MB). A background task applies
it; --wait follows the task (exit status 1 if it FAILED). Apache Kafka clusters (engine local)
enforce quotas by throttling; the embedded engine stores them without enforcing them.`
	cmd := &cobra.Command{
		Use:   verb + " INSTANCE [--user NAME | --user-default] [--client ID | --client-default] [--producer-byte-rate N] [--consumer-byte-rate N]",
		Short: short,
		Long:  long,
		Example: `  dmsctl quota ` + verb + ` kafka-demo --client ingest --producer-byte-rate 10MiB --wait
  dmsctl quota ` + verb + ` kafka-demo --user alice --client-default --consumer-byte-rate 1048576
  dmsctl quota ` + verb + ` kafka-demo --user-default --producer-byte-rate 5MB --consumer-byte-rate 5MB`,
		Args: exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := ef.entity(cmd)
			if err != nil {
				return err
			}
			var rates client.QuotaRates
			for _, r := range []struct {
				flag string
				val  string
				dst  **int64
			}{{"producer-byte-rate", producer, &rates.ProducerByteRate}, {"consumer-byte-rate", consumer, &rates.ConsumerByteRate}} {
				if !cmd.Flags().Changed(r.flag) {
					continue
				}
				n, err := parseByteRate(r.flag, r.val)
				if err != nil {
					return err
				}
				*r.dst = &n
			}
			if rates.ProducerByteRate == nil && rates.ConsumerByteRate == nil {
				return usageErrorf("give --producer-byte-rate or --consumer-byte-rate, or both")
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			update := verb == "update"
			if verb == "set" {
				qs, err := c.ListQuotas(ctx, id)
				if err != nil {
					return err
				}
				for _, q := range qs {
					if q.Entity() == e {
						update = true
						break
					}
				}
			}
			start := time.Now()
			view := quotaJobView{Action: "created"}
			if update {
				view.Action = "updated"
				view.JobID, err = c.UpdateQuota(ctx, id, e, rates)
			} else {
				view.JobID, err = c.CreateQuota(ctx, id, e, rates)
			}
			if err != nil {
				return err
			}
			return finishQuotaJob(cmd, a, c, &wait, id, args[0], view, e, start)
		},
	}
	ef.bind(cmd)
	cmd.Flags().StringVar(&producer, "producer-byte-rate", "", "the most bytes/s the entity's producers send to each broker (e.g. 1048576, 256KiB, 10MB)")
	cmd.Flags().StringVar(&consumer, "consumer-byte-rate", "", "the most bytes/s the entity's consumers fetch from each broker")
	wait.bind(cmd, "wait until the quota task has ended")
	return cmd
}

func newQuotaDeleteCmd(a *app) *cobra.Command {
	var (
		ef   quotaEntityFlags
		wait asyncWait
	)
	cmd := &cobra.Command{
		Use:   "delete INSTANCE [--user NAME | --user-default] [--client ID | --client-default]",
		Short: "Delete a quota",
		Long: `delete removes the quota of a user, a client id or both (DELETE /v2/kafka/{project_id}/instances/{instance_id}/kafka-user-client-quota),
named with the flags that created it. A background task applies it; --wait follows the task.`,
		Example: `  dmsctl quota delete kafka-demo --client ingest --wait
  dmsctl quota delete kafka-demo --user-default --client-default`,
		Args: exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := ef.entity(cmd)
			if err != nil {
				return err
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			start := time.Now()
			job, err := c.DeleteQuota(cmd.Context(), id, e)
			if err != nil {
				return err
			}
			return finishQuotaJob(cmd, a, c, &wait, id, args[0], quotaJobView{JobID: job, Action: "deleted"}, e, start)
		},
	}
	ef.bind(cmd)
	wait.bind(cmd, "wait until the quota task has ended")
	return cmd
}
