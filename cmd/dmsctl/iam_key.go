package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

func newKeyCmd(a *app) *cobra.Command {
	return groupCmd("key", "Manage the access keys (AK/SK) of IAM users",
		newKeyListCmd(a), newKeyCreateCmd(a), newKeyDeleteCmd(a))
}

// keyUser returns --user, or the caller's own name.
func keyUser(cmd *cobra.Command, c *client.Client, user string) (string, error) {
	if user != "" {
		return user, nil
	}
	return callerName(cmd, c)
}

func newKeyListCmd(a *app) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a user's access keys (never their secret keys)",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			if user, err = keyUser(cmd, c, user); err != nil {
				return err
			}
			keys, err := c.ListAccessKeys(cmd.Context(), user)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(keys, func(t *table) {
				t.row("ACCESS_KEY", "ENABLED", "DESCRIPTION", "CREATED")
				for _, k := range keys {
					t.row(k.AccessKey, fmtBool(k.Enabled), k.Description, fmtTime(k.CreatedAt))
				}
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "IAM user (default: yourself)")
	return cmd
}

func newKeyCreateCmd(a *app) *cobra.Command {
	var user, description string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an access key; its secret key is printed this once",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			if user, err = keyUser(cmd, c, user); err != nil {
				return err
			}
			k, err := c.CreateAccessKey(cmd.Context(), user, description)
			if err != nil {
				return err
			}
			out := a.printer(cmd)
			if out.format == formatTable {
				fmt.Fprintln(cmd.ErrOrStderr(), "The secret key is shown only this once: store it now.")
			}
			return out.print(k, func(t *table) {
				t.keyValues("user", k.User, "access_key", k.AccessKey, "secret_key", k.SecretKey, "created", fmtTime(k.CreatedAt))
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "IAM user (default: yourself)")
	cmd.Flags().StringVar(&description, "description", "", "description of the key")
	return cmd
}

func newKeyDeleteCmd(a *app) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "delete ACCESS_KEY",
		Short: "Delete an access key (not the one you are using)",
		Args:  exactArgs("ACCESS_KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			if user, err = keyUser(cmd, c, user); err != nil {
				return err
			}
			if err := c.DeleteAccessKey(cmd.Context(), user, args[0]); err != nil {
				return err
			}
			a.printer(cmd).note("Deleted access key %s of IAM user %q.", args[0], user)
			return nil
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "IAM user owning the key (default: yourself)")
	return cmd
}
