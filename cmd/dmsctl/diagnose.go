package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
	"github.com/opendms/opendms/internal/dms"
)

// newDiagnoseCmd is message backlog diagnosis (API reference 5.11.1-5.11.5). `dmsctl diagnose
// INSTANCE GROUP TOPIC` starts one; the subcommands read and delete reports. An instance named
// like a subcommand (list, show, ...) is given by its id.
func newDiagnoseCmd(a *app) *cobra.Command {
	var wait asyncWait
	cmd := &cobra.Command{
		Use:   "diagnose INSTANCE GROUP TOPIC",
		Short: "Diagnose why a consumer group has a backlog on a topic (and read, delete reports)",
		Long: `diagnose starts a message backlog diagnosis of GROUP on TOPIC (POST .../message-diagnosis-tasks):
the server observes the group and the topic for a while (a minute by default) and reports, per
check, whether it is normal or abnormal, with the cause, advice, and the partitions and brokers
concerned. Without --wait it prints the report id; with --wait it waits and prints the report
(exit status 1 if the diagnosis itself failed).

The checks: consumer_online (no active consumer), subscription (partitions no consumer is assigned),
consumer_count (fewer consumers than partitions with backlog), rebalance, consume_rate (consumption
slower than production), commit_progress (committed offsets not moving), backlog_skew (backlog on a
few partitions), broker_status, partition_leader, replica_sync and preferred_leaders.`,
		Example: `  dmsctl diagnose kafka-demo billing orders --wait
  dmsctl diagnose precheck kafka-demo billing orders
  dmsctl diagnose list kafka-demo
  dmsctl diagnose show kafka-demo $REPORT_ID`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil // the help
			}
			return exactArgs("INSTANCE", "GROUP", "TOPIC")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			reportID, err := c.CreateDiagnosis(cmd.Context(), id, args[1], args[2])
			if err != nil {
				return err
			}
			if !wait.wait {
				p := a.printer(cmd)
				return p.print(map[string]string{"report_id": reportID}, func(t *table) {
					t.keyValues("REPORT", reportID)
					fmt.Fprintf(cmd.ErrOrStderr(), "see 'dmsctl diagnose show %s %s' once it has finished\n", args[0], reportID)
				})
			}
			ctx, cancel := wait.context(cmd)
			defer cancel()
			info, err := waitDiagnosis(ctx, c, id, reportID, newProgress(cmd, "diagnosis "+reportID, time.Now()))
			if err != nil {
				return wait.gaveUp(ctx, err, fmt.Sprintf("diagnosis %s is still running; see 'dmsctl diagnose show %s %s'", reportID, args[0], reportID))
			}
			if err := showDiagnosis(cmd, a, c, id, info); err != nil {
				return err
			}
			if info.Status == string(dms.DiagnosisFailed) {
				return fmt.Errorf("diagnosis %s failed", reportID)
			}
			return nil
		},
	}
	wait.bind(cmd, "wait until the diagnosis has finished and print the report")
	cmd.AddCommand(newDiagnosePrecheckCmd(a), newDiagnoseListCmd(a), newDiagnoseShowCmd(a), newDiagnoseDeleteCmd(a))
	return cmd
}

// diagnosisPoll is how often --wait looks at the report list.
const diagnosisPoll = time.Second

// waitDiagnosis polls the report list until the report is no longer diagnosing.
func waitDiagnosis(ctx context.Context, c *client.Client, instanceID, reportID string, p *progressLine) (*client.DiagnosisReportInfo, error) {
	for {
		info, err := c.DiagnosisReportInfoByID(ctx, instanceID, reportID)
		if err != nil {
			return nil, err
		}
		p.show(info.Status)
		if info.Status != string(dms.DiagnosisDiagnosing) {
			return info, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(diagnosisPoll):
		}
	}
}

// diagnosisView is what show prints in json and yaml: the list's entry and the details.
type diagnosisView struct {
	client.DiagnosisReportInfo
	Report *client.DiagnosisReport `json:"report,omitempty"`
}

func showDiagnosis(cmd *cobra.Command, a *app, c *client.Client, instanceID string, info *client.DiagnosisReportInfo) error {
	v := diagnosisView{DiagnosisReportInfo: *info}
	if info.Status != string(dms.DiagnosisDiagnosing) {
		rep, err := c.DiagnosisReport(cmd.Context(), instanceID, info.ReportID)
		if err != nil {
			return err
		}
		v.Report = rep
	}
	return a.printer(cmd).print(v, func(t *table) {
		t.keyValues("REPORT", info.ReportID, "STATUS", info.Status, "GROUP", info.GroupName, "TOPIC", info.TopicName,
			"BEGIN", info.BeginTime, "END", info.EndTime, "BACKLOGGED PARTITIONS", itoa(info.AccumulatedPartitions))
		if v.Report != nil {
			t.keyValues("ITEMS", fmt.Sprintf("%d abnormal, %d failed, %d normal", v.Report.AbnormalItemNum, v.Report.FailedItemNum, v.Report.NormalItemNum))
		}
		t.tw.Flush()
		if v.Report != nil {
			writeReport(cmd.OutOrStdout(), v.Report)
		}
	})
}

// writeReport prints the abnormal and failed items with their causes and advice, then the names of
// the normal ones.
func writeReport(w io.Writer, rep *client.DiagnosisReport) {
	var normal []string
	for _, d := range rep.DiagnosisDimensionList {
		for _, it := range d.DiagnosisItemList {
			if it.Result == dms.ItemNormal {
				normal = append(normal, it.Name)
				continue
			}
			fmt.Fprintf(w, "\n[%s] %s: %s\n", d.Name, it.Name, strings.ToUpper(it.Result))
			for _, c := range it.CauseIDs {
				fmt.Fprintf(w, "  cause:  %s\n", conclusionText(c))
			}
			for _, c := range it.AdviceIDs {
				fmt.Fprintf(w, "  advice: %s\n", conclusionText(c))
			}
			if len(it.Partitions) > 0 {
				fmt.Fprintf(w, "  partitions: %s\n", joinInts(it.Partitions))
			}
			if len(it.FailedPartitions) > 0 {
				fmt.Fprintf(w, "  not diagnosed: partitions %s\n", joinInts(it.FailedPartitions))
			}
			if len(it.BrokerIDs) > 0 {
				fmt.Fprintf(w, "  brokers: %s\n", joinInts(it.BrokerIDs))
			}
		}
	}
	if len(normal) > 0 {
		fmt.Fprintf(w, "\nnormal: %s\n", strings.Join(normal, ", "))
	}
}

func conclusionText(c client.DiagnosisConclusion) string {
	return dms.DiagnosisConclusion{ID: c.ID, Params: c.Params}.Text()
}

func newDiagnosePrecheckCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "precheck INSTANCE GROUP TOPIC",
		Short: "Check at once whether GROUP has a backlog on TOPIC and what a diagnosis will look at",
		Long: `precheck (GET .../diagnosis-check) looks once at the group and the topic: BROKER (every broker
answers; the reason lists those that do not), SUBSCRIPTION (every partition is assigned to a
consumer of the group; the reason lists those that are not), LAG (no backlog; the reason gives the
backlog per partition) and PRODUCE (records/s produced over the last minute; not passed when that
production feeds a backlog).`,
		Example: `  dmsctl diagnose precheck kafka-demo billing orders`,
		Args:    exactArgs("INSTANCE", "GROUP", "TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			checks, err := c.DiagnosisPreCheck(cmd.Context(), id, args[1], args[2])
			if err != nil {
				return err
			}
			return a.printer(cmd).print(checks, func(t *table) { precheckTable(t, checks) })
		},
	}
}

// precheckTable writes the pre-check as a table of checks with readable details, then the backlog
// of each partition that has one. The server's reasons are data (5.11.1: the ids of brokers or
// partitions, {"partition": lag}, {"minute start ms": records/s}); a reason of another form (an
// error) is shown as it is.
func precheckTable(t *table, checks []client.DiagnosisCheck) {
	type partLag struct {
		partition int
		lag       int64
	}
	var lags []partLag
	t.row("CHECK", "PASSED", "DETAIL")
	for _, ch := range checks {
		detail := ch.Reason
		switch ch.Name {
		case "BROKER":
			if ch.Success {
				detail = "every broker answers"
			} else if isIntList(ch.Reason) {
				detail = "brokers not answering: " + ch.Reason
			}
		case "SUBSCRIPTION":
			if ch.Success {
				detail = "every partition has a consumer of the group"
			} else if isIntList(ch.Reason) {
				detail = "partitions without a consumer of the group: " + ch.Reason
			}
		case "LAG":
			var m map[string]int64
			if json.Unmarshal([]byte(ch.Reason), &m) != nil {
				break
			}
			var total int64
			for p, l := range m {
				n, err := strconv.Atoi(p)
				if err != nil {
					continue
				}
				lags, total = append(lags, partLag{n, l}), total+l
			}
			detail = "no backlog"
			if len(lags) > 0 {
				detail = fmt.Sprintf("backlog of %d messages on %d partitions (below)", total, len(lags))
			}
		case "PRODUCE":
			var m map[string]float64
			if json.Unmarshal([]byte(ch.Reason), &m) != nil || len(m) != 1 {
				break
			}
			for start, rate := range m {
				ms, err := strconv.ParseInt(start, 10, 64)
				if err != nil {
					break
				}
				detail = fmt.Sprintf("%s messages/s produced over the minute since %s", strconv.FormatFloat(rate, 'f', -1, 64), fmtMillis(ms))
				if !ch.Success {
					detail += ", feeding the backlog"
				}
			}
		}
		t.row(ch.Name, fmtBool(ch.Success), detail)
	}
	if len(lags) == 0 {
		return
	}
	slices.SortFunc(lags, func(a, b partLag) int { return a.partition - b.partition })
	fmt.Fprintln(t.tw) // an empty line: the next table aligns on its own
	t.row("PARTITION", "LAG")
	for _, l := range lags {
		t.row(itoa(l.partition), strconv.FormatInt(l.lag, 10))
	}
}

// isIntList reports whether s is a comma-separated list of numbers.
func isIntList(s string) bool {
	for _, f := range strings.Split(s, ",") {
		if _, err := strconv.Atoi(f); err != nil {
			return false
		}
	}
	return true
}

func newDiagnoseListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list INSTANCE",
		Short:   "List the diagnosis reports of an instance, newest first",
		Example: `  dmsctl diagnose list kafka-demo -o json`,
		Args:    exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			var all []client.DiagnosisReportInfo
			const page = 50
			for offset := 0; ; offset += page {
				rs, total, err := c.ListDiagnoses(cmd.Context(), id, offset, page)
				if err != nil {
					return err
				}
				all = append(all, rs...)
				if len(rs) == 0 || offset+page >= total {
					break
				}
			}
			if all == nil {
				all = []client.DiagnosisReportInfo{}
			}
			return a.printer(cmd).print(all, func(t *table) {
				t.row("REPORT", "STATUS", "GROUP", "TOPIC", "BACKLOGGED", "BEGIN", "END")
				for _, r := range all {
					t.row(r.ReportID, r.Status, r.GroupName, r.TopicName, itoa(r.AccumulatedPartitions), r.BeginTime, r.EndTime)
				}
			})
		},
	}
}

func newDiagnoseShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "show INSTANCE REPORT",
		Short:   "Show a diagnosis report: its status, and each abnormal check with cause, advice, partitions and brokers",
		Example: `  dmsctl diagnose show kafka-demo $REPORT_ID`,
		Args:    exactArgs("INSTANCE", "REPORT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			info, err := c.DiagnosisReportInfoByID(cmd.Context(), id, args[1])
			if err != nil {
				return err
			}
			return showDiagnosis(cmd, a, c, id, info)
		},
	}
}

func newDiagnoseDeleteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "delete INSTANCE REPORT...",
		Short:   "Delete diagnosis reports (a running diagnosis is stopped)",
		Example: `  dmsctl diagnose delete kafka-demo $REPORT_ID`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageErrorf("%s needs INSTANCE and at least one REPORT", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			res, err := c.DeleteDiagnoses(cmd.Context(), id, args[1:])
			if err != nil {
				return err
			}
			var notDeleted []string
			for _, r := range res {
				if !r.Result {
					notDeleted = append(notDeleted, r.ID)
				}
			}
			if err := a.printer(cmd).print(res, func(t *table) {
				t.row("REPORT", "DELETED")
				for _, r := range res {
					t.row(r.ID, fmtBool(r.Result))
				}
			}); err != nil {
				return err
			}
			if len(notDeleted) > 0 {
				return fmt.Errorf("not deleted (no such report): %s", strings.Join(notDeleted, ", "))
			}
			return nil
		},
	}
}
