package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newTokenCmd(a *app) *cobra.Command {
	var domain, user, project string
	cmd := &cobra.Command{
		Use:   "token --user USER --password-stdin [--domain ACCOUNT] [--project NAME]",
		Short: "Obtain an IAM token with a password and print it (send it as X-Auth-Token)",
		Long: `token obtains a project-scoped token (POST /v3/auth/tokens) with a password read from stdin,
and prints it. The request is not signed: no access key is needed.

--domain, --user and --project default to the admin credentials file's account, user and project;
--project then defaults to the region (projects are named after regions).`,
		Example: `  TOKEN=$(printf '%s\n' "$PASSWORD" | dmsctl token --domain admin --user alice --password-stdin --project cn-north-4)
  curl -H "X-Auth-Token: $TOKEN" http://127.0.0.1:9780/v2/$PROJECT_ID/instances`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "password-stdin"); err != nil {
				return usageErrorf("--password-stdin is required: the password is read from stdin")
			}
			c, s, err := a.newClient(cmd, false)
			if err != nil {
				return err
			}
			domain, user, project := or(domain, s.DomainName), or(user, s.UserName), or(project, s.ProjectName, s.Region)
			switch {
			case user == "":
				return usageErrorf("--user is required")
			case domain == "":
				return usageErrorf("--domain (the account name) is required")
			case project == "":
				return usageErrorf("--project (a project name) is required")
			}
			password, err := readPassword(cmd, "password")
			if err != nil {
				return err
			}
			tok, err := c.IssueToken(cmd.Context(), domain, user, password, project)
			if err != nil {
				return err
			}
			out := a.printer(cmd)
			if out.format == formatTable {
				_, err := fmt.Fprintln(out.w, tok.Value)
				return err
			}
			return out.print(tok, nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&domain, "domain", "", "account (domain) name of the user")
	f.StringVar(&user, "user", "", "IAM user name")
	f.Bool("password-stdin", false, "read the password from stdin, first line (required)")
	f.StringVar(&project, "project", "", "name of the project to scope the token to")
	return cmd
}

// or returns the first non-empty value.
func or(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
