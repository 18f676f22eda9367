package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

func newAccountCmd(a *app) *cobra.Command {
	return groupCmd("account", "List and create accounts (administrators of the bootstrap account)",
		newAccountListCmd(a), newAccountCreateCmd(a))
}

func newAccountListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the accounts (your own unless you administer the bootstrap account)",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			as, err := c.ListAccounts(cmd.Context())
			if err != nil {
				return err
			}
			return a.printer(cmd).print(as, func(t *table) { accountTable(t, as...) })
		},
	}
}

func accountTable(t *table, as ...client.Account) {
	t.row("NAME", "ID", "CREATED")
	for _, a := range as {
		t.row(a.Name, a.ID, fmtTime(a.CreatedAt))
	}
}

func newAccountCreateCmd(a *app) *cobra.Command {
	var adminName string
	var withKey bool
	cmd := &cobra.Command{
		Use:   "create NAME --admin-password-stdin [--access-key]",
		Short: "Create a tenant: an account, its administrator IAM user, a project named after the region and optionally an access key",
		Long: `Create a tenant: an account, its administrator IAM user (with the password read from stdin), a
project named after the server's region and, with --access-key, an access key of the administrator
whose secret key is printed this once. The tenant's administrator can then use the SDKs with that
AK/SK, or get a token with 'dmsctl token --domain NAME'.`,
		Example: `  printf '%s\n' "$PASSWORD" | dmsctl iam account create team-a --admin-password-stdin --access-key`,
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "admin-password-stdin"); err != nil {
				return err
			}
			password, err := readPassword(cmd, "administrator's password")
			if err != nil {
				return err
			}
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			na, err := c.CreateAccount(cmd.Context(), client.AccountRequest{Name: args[0], AdminName: adminName, AdminPassword: password, CreateAccessKey: withKey})
			if err != nil {
				return err
			}
			out := a.printer(cmd)
			if na.AccessKey != nil && out.format == formatTable {
				fmt.Fprintln(cmd.ErrOrStderr(), "The secret key is shown only this once: store it now.")
			}
			return out.print(na, func(t *table) {
				kv := []string{"account", na.Account.Name, "account_id", na.Account.ID, "admin", na.Admin.Name, "admin_id", na.Admin.ID,
					"project", na.Project.Name, "project_id", na.Project.ID}
				if k := na.AccessKey; k != nil {
					kv = append(kv, "access_key", k.AccessKey, "secret_key", k.SecretKey)
				}
				t.keyValues(kv...)
			})
		},
	}
	cmd.Flags().StringVar(&adminName, "admin-name", "admin", "name of the account's administrator IAM user")
	cmd.Flags().Bool("admin-password-stdin", false, "read the administrator's password from stdin (required)")
	cmd.Flags().BoolVar(&withKey, "access-key", false, "also create an access key of the administrator (its secret key is printed this once)")
	return cmd
}
