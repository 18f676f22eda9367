package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

func newGroupCreateCmd(a *app) *cobra.Command {
	var desc string
	cmd := &cobra.Command{
		Use:   "create INSTANCE GROUP",
		Short: "Create a consumer group",
		Long: `create makes a consumer group (POST /v2/{project_id}/kafka/instances/{instance_id}/group). The group
exists from then on, EMPTY and without offsets until consumers use it. Its name is 3 to 64
characters long and starts with a letter or an underscore; letters, digits, '.', '_' and '-'.`,
		Example: `  dmsctl group create kafka-demo billing
  dmsctl group create kafka-demo billing --description "invoices from the shop"`,
		Args: exactArgs("INSTANCE", "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.CreateGroup(cmd.Context(), id, args[1], desc); err != nil {
				return err
			}
			out := struct {
				Name string `json:"name"`
			}{args[1]}
			return a.printer(cmd).print(out, func(t *table) { t.row("Created consumer group " + args[1] + ".") })
		},
	}
	cmd.Flags().StringVar(&desc, "description", "", "what the group is for")
	return cmd
}

func newGroupUpdateCmd(a *app) *cobra.Command {
	var desc string
	cmd := &cobra.Command{
		Use:   "update INSTANCE GROUP --description TEXT",
		Short: "Change a consumer group's description",
		Long: `update sets the description of a consumer group (PUT /v2/kafka/{project_id}/instances/{instance_id}/groups/{group});
--description "" clears it. A group cannot be renamed.`,
		Example: `  dmsctl group update kafka-demo billing --description "invoices and refunds"`,
		Args:    exactArgs("INSTANCE", "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("description") {
				return usageErrorf("--description is required")
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.UpdateGroup(cmd.Context(), id, args[1], desc); err != nil {
				return err
			}
			a.printer(cmd).note("Updated consumer group %s.", args[1])
			return nil
		},
	}
	cmd.Flags().StringVar(&desc, "description", "", "the group's new description")
	return cmd
}

// groupDeleteResult is one group's line of group delete.
type groupDeleteResult struct {
	Group   string `json:"group_id"`
	Deleted bool   `json:"deleted"`
	Error   string `json:"error_message,omitempty"`
}

func newGroupDeleteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "delete INSTANCE GROUP...",
		Short: "Delete consumer groups with their committed offsets",
		Long: `delete deletes consumer groups: one with DELETE /v2/kafka/{project_id}/instances/{instance_id}/groups/{group},
several with POST .../groups/batch-delete, which shows each one's result; the exit status is 1
when any was not deleted. A group with active consumers is not deleted: stop them first.`,
		Example: `  dmsctl group delete kafka-demo billing
  dmsctl group delete kafka-demo billing audit old-reports`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageErrorf("%s needs an instance and at least one consumer group", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			names := args[1:]
			if len(names) == 1 {
				if err := c.DeleteGroup(cmd.Context(), id, names[0]); err != nil {
					return err
				}
				a.printer(cmd).note("Deleted consumer group %s.", names[0])
				return nil
			}
			failures, err := c.DeleteGroups(cmd.Context(), id, names)
			if err != nil {
				return err
			}
			why := map[string]string{}
			for _, f := range failures {
				why[f.GroupID] = f.ErrorMessage
			}
			results := []groupDeleteResult{}
			seen := map[string]bool{}
			for _, n := range names {
				if !seen[n] {
					seen[n] = true
					msg, failed := why[n]
					results = append(results, groupDeleteResult{Group: n, Deleted: !failed, Error: msg})
				}
			}
			if err := a.printer(cmd).print(results, func(t *table) {
				t.row("GROUP", "RESULT", "ERROR")
				for _, r := range results {
					res := "deleted"
					if !r.Deleted {
						res = "failed"
					}
					t.row(r.Group, res, r.Error)
				}
			}); err != nil {
				return err
			}
			if len(failures) > 0 {
				return fmt.Errorf("%d of %d consumer groups were not deleted", len(failures), len(results))
			}
			return nil
		},
	}
}

func newGroupResetOffsetCmd(a *app) *cobra.Command {
	var (
		topic, timestamp     string
		partition            int
		offset               int64
		toEarliest, toLatest bool
	)
	cmd := &cobra.Command{
		Use:   "reset-offset INSTANCE GROUP --topic TOPIC (--offset N | --timestamp MS | --to-earliest | --to-latest)",
		Short: "Move a consumer group's committed offsets on a topic",
		Long: `reset-offset moves where a consumer group resumes on a topic (PUT /v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset),
on every partition or on --partition only: to an offset, to the first message at or after a time
(RFC 3339 or Unix ms), or to the start or the end of each partition. Offsets are clamped to what each
partition holds. The group must have no active consumers: stop them first.`,
		Example: `  dmsctl group reset-offset kafka-demo billing --topic orders --to-earliest
  dmsctl group reset-offset kafka-demo billing --topic orders --partition 2 --offset 1500
  dmsctl group reset-offset kafka-demo billing --topic orders --timestamp 2025-01-01T00:00:00Z
  dmsctl group reset-offset kafka-demo billing --topic orders --timestamp 1735689600000`,
		Args: exactArgs("INSTANCE", "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if topic == "" {
				return usageErrorf("--topic is required")
			}
			if partition < -1 {
				return usageErrorf("--partition must be a partition number (or -1 for all), got %d", partition)
			}
			req := client.ResetOffsetsRequest{Topic: topic, Partition: partition}
			var to string
			given := 0
			if fl.Changed("offset") {
				given++
				req.MessageOffset, to = &offset, "offset "+i64toa(offset)
			}
			if fl.Changed("timestamp") {
				t, err := parseTime("timestamp", timestamp)
				if err != nil {
					return err
				}
				ms := t.UnixMilli()
				given++
				req.Timestamp, to = &ms, "the first message at or after "+fmtMillis(ms)
			}
			// 5.6.5 knows offsets and times only: the start and the end are the smallest and largest
			// offsets, which the server clamps to each partition's.
			if toEarliest {
				given++
				req.MessageOffset, to = ptr(client.OffsetEarliest), "the earliest offset"
			}
			if toLatest {
				given++
				req.MessageOffset, to = ptr(client.OffsetLatest), "the latest offset"
			}
			if given != 1 {
				return usageErrorf("give exactly one of --offset, --timestamp, --to-earliest and --to-latest")
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.ResetGroupOffsets(cmd.Context(), id, args[1], req); err != nil {
				return err
			}
			where := "every partition"
			if partition >= 0 {
				where = "partition " + itoa(partition)
			}
			a.printer(cmd).note("Reset consumer group %s on topic %s (%s) to %s.", args[1], topic, where, to)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&topic, "topic", "", "the topic whose offsets move (required)")
	f.IntVar(&partition, "partition", -1, "only this partition (-1: every partition)")
	f.Int64Var(&offset, "offset", 0, "move to this offset")
	f.StringVar(&timestamp, "timestamp", "", "move to the first message at or after this time (RFC 3339 or Unix ms)")
	f.BoolVar(&toEarliest, "to-earliest", false, "move to the start of each partition")
	f.BoolVar(&toLatest, "to-latest", false, "move to the end of each partition (skip every message not consumed yet)")
	return cmd
}

func ptr[T any](v T) *T { return &v }
