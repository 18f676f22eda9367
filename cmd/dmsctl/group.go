package main

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// newGroupCmd is the consumer groups of an instance (API reference 5.6.1-5.6.5, 5.6.9-5.6.12).
func newGroupCmd(a *app) *cobra.Command {
	return groupCmd("group", "Create, list, show, change and delete the consumer groups of an instance; reset their offsets",
		newGroupCreateCmd(a),
		newGroupListCmd(a),
		newGroupShowCmd(a),
		newGroupTopicsCmd(a),
		newGroupConsumersCmd(a),
		newGroupUpdateCmd(a),
		newGroupDeleteCmd(a),
		newGroupResetOffsetCmd(a),
	)
}

func newGroupListCmd(a *app) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "list INSTANCE",
		Short: "List the consumer groups of an instance with their state and lag",
		Long: `list shows the consumer groups of an instance (GET /v2/{project_id}/instances/{instance_id}/groups,
every page): each group's state, its lag (messages not consumed yet, over every partition), the
broker coordinating it and its description. --name keeps the groups whose name contains the text.`,
		Example: `  dmsctl group list kafka-demo
  dmsctl group list kafka-demo --name billing -o json`,
		Args: exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			l, err := c.ListGroups(cmd.Context(), id, client.GroupFilter{Group: name})
			if err != nil {
				return err
			}
			return a.printer(cmd).print(l.Groups, func(t *table) {
				t.row("GROUP", "STATE", "LAG", "COORDINATOR", "DESCRIPTION")
				for _, g := range l.Groups {
					t.row(g.GroupID, g.State, i64toa(g.Lag), itoa(g.CoordinatorID), g.GroupDesc)
				}
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "only the groups whose name contains this")
	return cmd
}

// fmtAssignment is "orders:0,1 audit:2".
func fmtAssignment(as []client.GroupAssignment) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.Topic + ":" + joinInts(a.Partitions)
	}
	return strings.Join(s, " ")
}

// notCommitted is how a partition without a committed offset shows.
const notCommitted = "not committed"

// fmtCommitted shows a committed offset, "not committed" for none (-1).
func fmtCommitted(o int64) string {
	if o < 0 {
		return notCommitted
	}
	return i64toa(o)
}

// allPartitions completes a group's offset lines with every partition of the topics it consumes:
// the server lists the partitions committed or assigned only, and a partition missing from the table
// would look consumed. The lines added have neither a committed offset, an end nor a lag ("-": see
// 'topic partitions'). A topic whose partitions cannot be listed keeps the server's lines.
func allPartitions(ctx context.Context, c *client.Client, instanceID string, g *client.GroupDetail) []client.GroupOffset {
	type tp struct {
		topic     string
		partition int
	}
	seen := map[tp]bool{}
	var topics []string
	add := func(t string) {
		if !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	for _, o := range g.GroupMessageOffsets {
		seen[tp{o.Topic, o.Partition}] = true
		add(o.Topic)
	}
	for _, m := range g.Members {
		for _, a := range m.Assignment {
			add(a.Topic)
		}
	}
	out := slices.Clone(g.GroupMessageOffsets)
	for _, t := range topics {
		ps, err := c.TopicPartitions(ctx, instanceID, t)
		if err != nil {
			continue
		}
		for _, p := range ps {
			if !seen[tp{t, p.Partition}] {
				out = append(out, client.GroupOffset{Topic: t, Partition: p.Partition, MessageCurrentOffset: -1, MessageLogEndOffset: -1, Lag: -1})
			}
		}
	}
	slices.SortFunc(out, func(a, b client.GroupOffset) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}

// optOffset shows an offset or a lag, "" (shown as -) for none (-1).
func optOffset(o int64) string {
	if o < 0 {
		return ""
	}
	return i64toa(o)
}

func newGroupShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show INSTANCE GROUP",
		Short: "Show a consumer group: state, members and their partitions, offsets and lag",
		Long: `show describes a consumer group (GET .../management/groups/{group}): its state, coordinator broker and
partition assignment strategy; its members (consumers) with the partitions assigned to each; and,
for each partition of the topics it consumes, the committed offset, the log end offset and the lag
between them. A partition the group has not committed an offset for shows "not committed" (and,
when no member has it either, no end or lag).`,
		Example: `  dmsctl group show kafka-demo billing`,
		Args:    exactArgs("INSTANCE", "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			g, err := c.GroupDetail(cmd.Context(), id, args[1])
			if err != nil {
				return err
			}
			p := a.printer(cmd)
			offsets := g.GroupMessageOffsets
			if p.format == formatTable { // json and yaml show the server's answer
				offsets = allPartitions(cmd.Context(), c, id, g)
			}
			return p.print(g, func(t *table) {
				var lag int64
				for _, o := range g.GroupMessageOffsets {
					lag += o.Lag
				}
				t.keyValues("group", g.GroupID, "state", g.State, "coordinator", itoa(g.CoordinatorID), "strategy", g.AssignmentStrategy,
					"members", itoa(len(g.Members)), "lag", i64toa(lag))
				if len(g.Members) > 0 {
					t.blank()
					t.row("MEMBER", "CLIENT", "HOST", "ASSIGNMENT")
					for _, m := range g.Members {
						t.row(m.MemberID, m.ClientID, m.Host, fmtAssignment(m.Assignment))
					}
				}
				if len(offsets) > 0 {
					t.blank()
					t.row("TOPIC", "PARTITION", "COMMITTED", "END", "LAG")
					for _, o := range offsets {
						t.row(o.Topic, itoa(o.Partition), fmtCommitted(o.MessageCurrentOffset), optOffset(o.MessageLogEndOffset), optOffset(o.Lag))
					}
				}
			})
		},
	}
}

func newGroupTopicsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "topics INSTANCE GROUP",
		Short:   "List the topics a consumer group consumes, with their lag",
		Long:    `topics lists the topics a consumer group has offsets in (GET /v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/topics).`,
		Example: `  dmsctl group topics kafka-demo billing`,
		Args:    exactArgs("INSTANCE", "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			ts, err := c.GroupTopics(cmd.Context(), id, args[1])
			if err != nil {
				return err
			}
			return a.printer(cmd).print(ts, func(t *table) {
				t.row("TOPIC", "PARTITIONS", "LAG")
				for _, tp := range ts {
					t.row(tp.Topic, itoa(tp.Partitions), i64toa(tp.Lag))
				}
			})
		},
	}
}

func newGroupConsumersCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "consumers INSTANCE GROUP",
		Short:   "List the members (consumers) of a consumer group",
		Long:    `consumers lists the members of a consumer group (GET /v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/members).`,
		Example: `  dmsctl group consumers kafka-demo billing`,
		Args:    exactArgs("INSTANCE", "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			ms, err := c.GroupMembers(cmd.Context(), id, args[1])
			if err != nil {
				return err
			}
			return a.printer(cmd).print(ms, func(t *table) {
				t.row("MEMBER", "CLIENT", "HOST")
				for _, m := range ms {
					t.row(m.MemberID, m.ClientID, m.Host)
				}
			})
		},
	}
}
