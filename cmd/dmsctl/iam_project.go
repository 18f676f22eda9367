package main

import (
	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

func newProjectCmd(a *app) *cobra.Command {
	return groupCmd("project", "List and create projects of the account",
		newProjectListCmd(a), newProjectCreateCmd(a))
}

func projectTable(t *table, ps ...client.Project) {
	t.row("ID", "NAME", "DESCRIPTION", "CREATED")
	for _, p := range ps {
		t.row(p.ID, p.Name, p.Description, fmtTime(p.CreatedAt))
	}
}

func newProjectListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the projects of the account",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			ps, err := c.ListProjects(cmd.Context())
			if err != nil {
				return err
			}
			return a.printer(cmd).print(ps, func(t *table) { projectTable(t, ps...) })
		},
	}
}

func newProjectCreateCmd(a *app) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a project (its name is usually a region name, e.g. cn-north-4)",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			p, err := c.CreateProject(cmd.Context(), args[0], description)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(p, func(t *table) { projectTable(t, *p) })
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "description of the project")
	return cmd
}
