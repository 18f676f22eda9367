package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
	"github.com/opendms/opendms/internal/iam"
)

func newRoleCmd(a *app) *cobra.Command {
	return groupCmd("role", "Grant and revoke roles of users in projects",
		newRoleListCmd(a), newRoleBindCmd(a, true), newRoleBindCmd(a, false))
}

func newRoleListCmd(a *app) *cobra.Command {
	var user, project string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List role bindings (optionally of one user or project)",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			bs, err := c.ListRoleBindings(cmd.Context())
			if err != nil {
				return err
			}
			if project != "" {
				if project, err = resolveProject(cmd.Context(), c, project); err != nil {
					return err
				}
			}
			out := []client.RoleBinding{}
			for _, b := range bs {
				if (user == "" || b.User == user) && (project == "" || b.ProjectID == project) {
					out = append(out, b)
				}
			}
			return a.printer(cmd).print(out, func(t *table) {
				t.row("USER", "PROJECT_ID", "ROLE")
				for _, b := range out {
					t.row(b.User, b.ProjectID, b.Role)
				}
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "only the bindings of this IAM user")
	cmd.Flags().StringVar(&project, "project", "", "only the bindings in this project (id or name)")
	return cmd
}

func newRoleBindCmd(a *app, bind bool) *cobra.Command {
	var b client.RoleBinding
	use, short := "bind", "Grant a role to a user in a project"
	if !bind {
		use, short = "unbind", "Revoke a role of a user in a project"
	}
	cmd := &cobra.Command{
		Use:     use + " --user USER --project PROJECT --role ROLE",
		Short:   short,
		Example: `  dmsctl iam role ` + use + ` --user alice --project cn-north-4 --role "DMS ReadOnlyAccess"`,
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "user", "project", "role"); err != nil {
				return err
			}
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			if b.ProjectID, err = resolveProject(cmd.Context(), c, b.ProjectID); err != nil {
				return err
			}
			out := a.printer(cmd)
			if bind {
				if err := c.Bind(cmd.Context(), b); err != nil {
					return err
				}
				out.note("Granted %q to %q in project %s.", b.Role, b.User, b.ProjectID)
			} else {
				if err := c.Unbind(cmd.Context(), b); err != nil {
					return err
				}
				out.note("Revoked %q of %q in project %s.", b.Role, b.User, b.ProjectID)
			}
			if out.format == formatTable {
				return nil
			}
			return out.print(b, nil)
		},
	}
	cmd.Flags().StringVar(&b.User, "user", "", "IAM user name (required)")
	cmd.Flags().StringVar(&b.ProjectID, "project", "", "project id or name (required)")
	cmd.Flags().StringVar(&b.Role, "role", "", `role or custom policy name, e.g. "DMS ReadOnlyAccess" (required)`)
	return cmd
}

// resolveProject returns a project id for an id or a name of the account's projects.
func resolveProject(ctx context.Context, c *client.Client, idOrName string) (string, error) {
	if iam.ValidProjectID(idOrName) {
		return idOrName, nil
	}
	ps, err := c.ListProjects(ctx)
	if err != nil {
		return "", err
	}
	for _, p := range ps {
		if p.Name == idOrName {
			return p.ID, nil
		}
	}
	return "", fmt.Errorf("no project named %q in this account ('dmsctl iam project list' shows them)", idOrName)
}
