package main

import (
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
	cmd := &cobra.Command{
		Use:     "create NAME --admin-password-stdin",
		Short:   "Create an account with its administrator IAM user",
		Example: `  printf '%s\n' "$PASSWORD" | dmsctl iam account create team-a --admin-password-stdin`,
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
			na, err := c.CreateAccount(cmd.Context(), args[0], adminName, password)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(na, func(t *table) {
				t.keyValues("account", na.Account.Name, "account_id", na.Account.ID, "admin", na.Admin.Name, "admin_id", na.Admin.ID)
			})
		},
	}
	cmd.Flags().StringVar(&adminName, "admin-name", "admin", "name of the account's administrator IAM user")
	cmd.Flags().Bool("admin-password-stdin", false, "read the administrator's password from stdin (required)")
	return cmd
}
