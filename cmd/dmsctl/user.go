package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// newKafkaUserCmd is the Kafka (SASL) users of an instance and their topic permissions (API
// reference 5.7). They are not IAM users (dmsctl iam user): Kafka clients log in as them.
func newKafkaUserCmd(a *app) *cobra.Command {
	cmd := groupCmd("user", "Manage the Kafka (SASL) users of an instance and their topic permissions",
		newKafkaUserListCmd(a),
		newKafkaUserCreateCmd(a),
		newKafkaUserDeleteCmd(a),
		newKafkaUserResetPasswordCmd(a),
		newKafkaUserUpdateCmd(a),
		newKafkaUserGrantCmd(a),
		newKafkaUserRevokeCmd(a),
		newKafkaUserPermissionsCmd(a),
	)
	cmd.Long = `user manages the users Kafka clients of a SASL instance log in as (SASL/SCRAM-SHA-512 or PLAIN),
and what each may do on each topic. These are not IAM users: see 'dmsctl iam user' for those.

Passwords are read from stdin only (--password-stdin, the first line), never from arguments.`
	return cmd
}

// bindPasswordStdin adds --password-stdin to cmd.
func bindPasswordStdin(cmd *cobra.Command, stdin *bool, what string) {
	cmd.Flags().BoolVar(stdin, "password-stdin", false, "read the "+what+" from the first line of stdin (required)")
}

// newPassword reads the new password of a command from stdin. dmsctl takes no password as an
// argument (it would show in the process list) and has no terminal prompt: without --password-stdin
// this is a usage error.
func newPassword(cmd *cobra.Command, stdin bool, what string) (string, error) {
	if !stdin {
		return "", usageErrorf("--password-stdin is required: pipe the %s to dmsctl, e.g. printf '%%s\\n' \"$PASSWORD\" | %s ... --password-stdin", what, cmd.CommandPath())
	}
	return readPassword(cmd, what)
}

func newKafkaUserListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list INSTANCE",
		Short:   "List the Kafka users of an instance",
		Long:    `list shows an instance's Kafka users (GET /v2/{project_id}/instances/{instance_id}/users); DEFAULT marks the instance's administrator.`,
		Example: `  dmsctl user list kafka-demo`,
		Args:    exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			users, err := c.ListKafkaUsers(cmd.Context(), id)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(users, func(t *table) {
				t.row("USER", "DEFAULT", "ROLE", "CREATED", "DESCRIPTION")
				for _, u := range users {
					t.row(u.UserName, fmtBool(u.DefaultApp), u.Role, fmtUnixMilli(u.CreatedTime), u.UserDesc)
				}
			})
		},
	}
}

// fmtUnixMilli shows a Unix ms time as RFC 3339 UTC ("" for none).
func fmtUnixMilli(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return fmtTime(time.UnixMilli(ms))
}

func newKafkaUserCreateCmd(a *app) *cobra.Command {
	var (
		desc  string
		stdin bool
	)
	cmd := &cobra.Command{
		Use:   "create INSTANCE NAME --password-stdin [--description TEXT]",
		Short: "Create a Kafka user (the password is read from stdin)",
		Long: `create makes a Kafka user (POST /v2/{project_id}/instances/{instance_id}/users) with the password on the
first line of stdin. The user may use no topic until 'dmsctl user grant' allows it.`,
		Example: `  printf '%s\n' "$PASSWORD" | dmsctl user create kafka-demo shop --password-stdin --description "the web shop"`,
		Args:    exactArgs("INSTANCE", "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := newPassword(cmd, stdin, "password")
			if err != nil {
				return err
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.CreateKafkaUser(cmd.Context(), id, args[1], password, desc); err != nil {
				return err
			}
			out := struct {
				Name string `json:"name"`
			}{args[1]}
			return a.printer(cmd).print(out, func(t *table) { t.row("Created Kafka user " + args[1] + ".") })
		},
	}
	cmd.Flags().StringVar(&desc, "description", "", "what the user is for")
	bindPasswordStdin(cmd, &stdin, "password")
	return cmd
}

func newKafkaUserDeleteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "delete INSTANCE NAME...",
		Short:   "Delete Kafka users with their permissions",
		Long:    `delete deletes Kafka users (PUT /v2/{project_id}/instances/{instance_id}/users, action delete) and their permissions.`,
		Example: `  dmsctl user delete kafka-demo shop audit`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageErrorf("%s needs an instance and at least one user", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			names := args[1:]
			if err := c.DeleteKafkaUsers(cmd.Context(), id, names); err != nil {
				return err
			}
			what := "Kafka user "
			if len(names) > 1 {
				what = "Kafka users "
			}
			a.printer(cmd).note("Deleted %s%s.", what, strings.Join(names, ", "))
			return nil
		},
	}
}

func newKafkaUserResetPasswordCmd(a *app) *cobra.Command {
	var stdin bool
	cmd := &cobra.Command{
		Use:     "reset-password INSTANCE NAME --password-stdin",
		Short:   "Set a Kafka user's password (read from stdin)",
		Long:    `reset-password sets a Kafka user's password (PUT /v2/{project_id}/instances/{instance_id}/users/{user_name}) to the first line of stdin.`,
		Example: `  printf '%s\n' "$NEW_PASSWORD" | dmsctl user reset-password kafka-demo shop --password-stdin`,
		Args:    exactArgs("INSTANCE", "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := newPassword(cmd, stdin, "new password")
			if err != nil {
				return err
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.ResetKafkaUserPassword(cmd.Context(), id, args[1], password); err != nil {
				return err
			}
			a.printer(cmd).note("Reset the password of Kafka user %s.", args[1])
			return nil
		},
	}
	bindPasswordStdin(cmd, &stdin, "new password")
	return cmd
}

func newKafkaUserUpdateCmd(a *app) *cobra.Command {
	var desc string
	cmd := &cobra.Command{
		Use:   "update INSTANCE NAME --description TEXT",
		Short: "Change a Kafka user's description",
		Long: `update sets a Kafka user's description (PUT /v2/kafka/{project_id}/instances/{instance_id}/users/{user_name});
--description "" clears it. A user cannot be renamed; see reset-password for its password.`,
		Example: `  dmsctl user update kafka-demo shop --description "the web shop and its back office"`,
		Args:    exactArgs("INSTANCE", "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("description") {
				return usageErrorf("--description is required")
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			if err := c.UpdateKafkaUser(cmd.Context(), id, args[1], desc); err != nil {
				return err
			}
			a.printer(cmd).note("Updated Kafka user %s.", args[1])
			return nil
		},
	}
	cmd.Flags().StringVar(&desc, "description", "", "the user's new description")
	return cmd
}

// topicPolicies is what grant, revoke and permissions print in json and yaml.
type topicPolicies struct {
	Topic    string               `json:"name"`
	Policies []client.TopicPolicy `json:"policies"`
}

func policyTable(t *table, ps []client.TopicPolicy) {
	t.row("USER", "ACCESS", "OWNER")
	for _, p := range ps {
		t.row(p.UserName, p.AccessPolicy, fmtBool(p.Owner))
	}
}

// changeTopicPolicies reads a topic's policies (5.7.6), lets change edit them, and writes the whole
// list back (5.7.7: the list given replaces the topic's, so every other user's entry must be in it).
// The read and the write are two calls: a change made by someone else in between is lost.
func changeTopicPolicies(cmd *cobra.Command, a *app, instance, topic string, change func([]client.TopicPolicy) ([]client.TopicPolicy, error)) ([]client.TopicPolicy, error) {
	c, id, err := a.instanceClient(cmd, instance)
	if err != nil {
		return nil, err
	}
	ps, err := c.TopicAccessPolicies(cmd.Context(), id, topic)
	if err != nil {
		return nil, err
	}
	if ps, err = change(ps); err != nil {
		return nil, err
	}
	if err := c.SetTopicAccessPolicies(cmd.Context(), id, topic, ps); err != nil {
		return nil, err
	}
	return ps, nil
}

func newKafkaUserGrantCmd(a *app) *cobra.Command {
	var access string
	cmd := &cobra.Command{
		Use:   "grant INSTANCE USER TOPIC --access pub|sub|all",
		Short: "Allow a Kafka user to produce to (pub), consume from (sub) or both (all) a topic",
		Long: `grant sets USER's access to TOPIC, replacing the access it had: pub produces, sub consumes (with any
consumer group), all does both. The other users of the topic keep theirs: grant reads the topic's
policies (GET /v1/{project_id}/instances/{instance_id}/topics/{topic}/accesspolicy), changes USER's
and writes the whole list back (POST .../topics/accesspolicy, which replaces the list), so a change
someone else makes to the same topic at the same moment can be lost.`,
		Example: `  dmsctl user grant kafka-demo shop orders --access pub
  dmsctl user grant kafka-demo billing orders --access sub`,
		Args: exactArgs("INSTANCE", "USER", "TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch access {
			case client.AccessPub, client.AccessSub, client.AccessAll:
			case "":
				return usageErrorf("--access is required: pub, sub or all")
			default:
				return usageErrorf("--access must be pub, sub or all, got %q", access)
			}
			user, topic := args[1], args[2]
			ps, err := changeTopicPolicies(cmd, a, args[0], topic, func(ps []client.TopicPolicy) ([]client.TopicPolicy, error) {
				for i := range ps {
					if ps[i].UserName == user {
						ps[i].AccessPolicy = access
						return ps, nil
					}
				}
				return append(ps, client.TopicPolicy{UserName: user, AccessPolicy: access}), nil
			})
			if err != nil {
				return err
			}
			return a.printer(cmd).print(topicPolicies{topic, ps}, func(t *table) {
				t.row(fmt.Sprintf("Granted Kafka user %s %s access to topic %s.", user, access, topic))
			})
		},
	}
	cmd.Flags().StringVar(&access, "access", "", "pub (produce), sub (consume) or all (both) (required)")
	return cmd
}

func newKafkaUserRevokeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke INSTANCE USER TOPIC",
		Short: "Take a Kafka user's access to a topic away",
		Long: `revoke removes USER's access to TOPIC; the other users of the topic keep theirs. As grant, it reads
the topic's policies and writes them back without USER's. A user without access to the topic is an
error, and nothing is written.`,
		Example: `  dmsctl user revoke kafka-demo shop orders`,
		Args:    exactArgs("INSTANCE", "USER", "TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			user, topic := args[1], args[2]
			ps, err := changeTopicPolicies(cmd, a, args[0], topic, func(ps []client.TopicPolicy) ([]client.TopicPolicy, error) {
				kept := make([]client.TopicPolicy, 0, len(ps))
				for _, p := range ps {
					if p.UserName != user {
						kept = append(kept, p)
					}
				}
				if len(kept) == len(ps) {
					return nil, fmt.Errorf("user %s has no access to topic %s: nothing to revoke", user, topic)
				}
				return kept, nil
			})
			if err != nil {
				return err
			}
			return a.printer(cmd).print(topicPolicies{topic, ps}, func(t *table) {
				t.row(fmt.Sprintf("Revoked the access of Kafka user %s to topic %s.", user, topic))
			})
		},
	}
}

func newKafkaUserPermissionsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "permissions INSTANCE TOPIC",
		Short: "Show which Kafka users may use a topic, and how",
		Long: `permissions lists the users with access to TOPIC (GET /v1/{project_id}/instances/{instance_id}/topics/{topic}/accesspolicy):
pub produces, sub consumes, all does both.`,
		Example: `  dmsctl user permissions kafka-demo orders`,
		Args:    exactArgs("INSTANCE", "TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			ps, err := c.TopicAccessPolicies(cmd.Context(), id, args[1])
			if err != nil {
				return err
			}
			return a.printer(cmd).print(topicPolicies{args[1], ps}, func(t *table) { policyTable(t, ps) })
		},
	}
}
