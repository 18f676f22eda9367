package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func newPolicyCmd(a *app) *cobra.Command {
	return groupCmd("policy", "List system roles and manage custom policies",
		newPolicyListCmd(a), newPolicyCreateCmd(a), newPolicyDeleteCmd(a))
}

func newPolicyListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the system roles and the account's custom policies",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			ps, err := c.ListPolicies(cmd.Context())
			if err != nil {
				return err
			}
			return a.printer(cmd).print(ps, func(t *table) {
				t.row("NAME", "TYPE", "DESCRIPTION")
				for _, p := range ps {
					kind := "custom"
					if p.System {
						kind = "system"
					}
					t.row(p.Name, kind, p.Description)
				}
			})
		},
	}
}

func newPolicyCreateCmd(a *app) *cobra.Command {
	var file, name, description string
	cmd := &cobra.Command{
		Use:   "create --file FILE [--name NAME]",
		Short: "Create a custom policy from a JSON file",
		Long: `create reads FILE (- for stdin), either a policy document
  {"Version":"1.1","Statement":[{"Effect":"Allow","Action":["dms:instance:get"]}]}
with --name, or a whole request {"name":"...","description":"...","policy":{...}}; --name and
--description override the file's.`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "file"); err != nil {
				return err
			}
			var data []byte
			var err error
			if file == "-" {
				data, err = io.ReadAll(cmd.InOrStdin())
			} else {
				data, err = os.ReadFile(file)
			}
			if err != nil {
				return usageErrorf("--file: %v", err)
			}
			req, err := parsePolicyFile(data)
			if err != nil {
				return err
			}
			if name != "" {
				req.Name = name
			}
			if description != "" {
				req.Description = description
			}
			if req.Name == "" {
				return usageErrorf("--name is required (the file is a bare policy document)")
			}
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			p, err := c.CreatePolicy(cmd.Context(), req.Name, req.Description, req.Policy)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(p, func(t *table) {
				t.keyValues("name", p.Name, "id", p.ID, "description", p.Description, "policy", p.Document)
			})
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "policy JSON file, - for stdin (required)")
	cmd.Flags().StringVar(&name, "name", "", "policy name")
	cmd.Flags().StringVar(&description, "description", "", "policy description")
	return cmd
}

type policyRequest struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Policy      json.RawMessage `json:"policy"`
}

// parsePolicyFile accepts a bare policy document or a whole create request.
func parsePolicyFile(data []byte) (policyRequest, error) {
	var req policyRequest
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return req, usageErrorf("--file is not a JSON object: %v", err)
	}
	if _, ok := keys["policy"]; ok {
		if err := json.Unmarshal(data, &req); err != nil {
			return req, usageErrorf("--file: %v", err)
		}
		return req, nil
	}
	if _, ok := keys["Statement"]; !ok {
		return req, usageErrorf(`--file has neither "Statement" (a policy document) nor "policy" (a create request)`)
	}
	req.Policy = json.RawMessage(bytes.TrimSpace(data))
	return req, nil
}

func newPolicyDeleteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a custom policy",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.newClient(cmd, true)
			if err != nil {
				return err
			}
			if err := c.DeletePolicy(cmd.Context(), args[0]); err != nil {
				return err
			}
			a.printer(cmd).note("Deleted policy %q.", args[0])
			return nil
		},
	}
}
