package main

import (
	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

func newUserCmd(a *app) *cobra.Command {
	return groupCmd("user", "Manage the IAM users of the account",
		newUserListCmd(a), newUserCreateCmd(a), newUserDeleteCmd(a), newUserPasswdCmd(a),
		newUserEnableCmd(a, true), newUserEnableCmd(a, false))
}

func userTable(t *table, us ...client.User) {
	t.row("NAME", "ID", "ADMIN", "ENABLED", "CREATED")
	for _, u := range us {
		t.row(u.Name, u.ID, fmtBool(u.Admin), fmtBool(u.Enabled), fmtTime(u.CreatedAt))
	}
}

func newUserListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the IAM users",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			us, err := c.ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			return a.printer(cmd).print(us, func(t *table) { userTable(t, us...) })
		},
	}
}

func newUserCreateCmd(a *app) *cobra.Command {
	var admin bool
	var name string
	var pw passwordFlags
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an IAM user (without a password it can only use access keys)",
		Example: `  dmsctl iam user create alice
  printf '%s\n' "$PASSWORD" | dmsctl iam user create bob --password-stdin --admin`,
		Args: nameArg(&name),
		RunE: func(cmd *cobra.Command, _ []string) error {
			password, err := pw.get(cmd)
			if err != nil {
				return err
			}
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			u, err := c.CreateUser(cmd.Context(), name, password, admin)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(u, func(t *table) { userTable(t, *u) })
		},
	}
	cmd.Flags().BoolVar(&admin, "admin", false, "make the user an administrator of the account")
	cmd.Flags().StringVar(&name, "name", "", "the user name (instead of the NAME argument)")
	pw.bind(cmd, "read the user's password from stdin (first line)")
	return cmd
}

// nameArg takes NAME as the one argument or from --name (set into *name).
func nameArg(name *string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == 1 && *name == "":
			*name = args[0]
		case len(args) == 0 && *name != "":
		case len(args) == 0:
			return usageErrorf("%s needs the user name: NAME or --name", cmd.CommandPath())
		default:
			return usageErrorf("%s takes one user name, as NAME or --name (got %q and --name %q)", cmd.CommandPath(), args, *name)
		}
		return nil
	}
}

func newUserDeleteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an IAM user with its access keys and role bindings",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			if err := c.DeleteUser(cmd.Context(), args[0]); err != nil {
				return err
			}
			a.printer(cmd).note("Deleted IAM user %q.", args[0])
			return nil
		},
	}
}

// newUserEnableCmd is 'user enable' or 'user disable'.
func newUserEnableCmd(a *app, enable bool) *cobra.Command {
	use, short, done := "disable NAME", "Disable an IAM user: its tokens are revoked and its access keys stop working", "Disabled"
	if enable {
		use, short, done = "enable NAME", "Enable a disabled IAM user (its revoked tokens stay revoked)", "Enabled"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			if _, err := c.SetUserEnabled(cmd.Context(), args[0], enable); err != nil {
				return err
			}
			a.printer(cmd).note("%s IAM user %q.", done, args[0])
			return nil
		},
	}
}

func newUserPasswdCmd(a *app) *cobra.Command {
	var pw passwordFlags
	cmd := &cobra.Command{
		Use:     "passwd NAME",
		Short:   "Set an IAM user's password (read from stdin unless --password is given); the user's tokens are revoked",
		Example: `  printf '%s\n' "$NEW_PASSWORD" | dmsctl iam user passwd alice`,
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := pw.get(cmd)
			if err != nil {
				return err
			}
			if password == "" { // stdin is the default source
				if password, err = readPassword(cmd, "password"); err != nil {
					return err
				}
			}
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			if err := c.SetUserPassword(cmd.Context(), args[0], password); err != nil {
				return err
			}
			a.printer(cmd).note("Set the password of IAM user %q.", args[0])
			return nil
		},
	}
	pw.bind(cmd, "read the password from stdin, first line (the default)")
	return cmd
}
