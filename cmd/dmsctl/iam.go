package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// newIAMCmd is the OpenDMS admin API (/opendms/v1): the IAM objects of the caller's account.
func newIAMCmd(a *app) *cobra.Command {
	return groupCmd("iam", "Manage the IAM objects of your account (administrators)",
		newWhoAmICmd(a),
		newProjectCmd(a),
		newUserCmd(a),
		newKeyCmd(a),
		newPolicyCmd(a),
		newRoleCmd(a),
		newAccountCmd(a),
	)
}

func newWhoAmICmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show the caller, its account and the projects it may use",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			id, err := c.WhoAmI(cmd.Context())
			if err != nil {
				return err
			}
			return a.printer(cmd).print(id, func(t *table) {
				projects := make([]string, 0, len(id.Projects))
				for _, p := range id.Projects {
					projects = append(projects, p.Name+" ("+p.ID+")")
				}
				t.keyValues("user", id.User.Name, "user_id", id.User.ID, "admin", fmtBool(id.User.Admin),
					"account", id.Account.Name, "account_id", id.Account.ID, "auth_method", id.AuthMethod,
					"access_key", id.AccessKey, "region", id.Region, "projects", strings.Join(projects, ", "))
			})
		},
	}
}

// callerName is the IAM user name of the caller (the default of --user).
func callerName(cmd *cobra.Command, c *client.Client) (string, error) {
	id, err := c.WhoAmI(cmd.Context())
	if err != nil {
		return "", err
	}
	return id.User.Name, nil
}
