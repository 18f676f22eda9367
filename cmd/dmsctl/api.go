package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

func newAPICmd(a *app) *cobra.Command {
	var (
		data    string
		query   []string
		include bool
	)
	cmd := &cobra.Command{
		Use:   "api [METHOD] PATH",
		Short: "Call any API with a signed request and print the response body",
		Long: `api sends a signed request (METHOD defaults to GET) and prints the JSON response body,
indented (or as YAML with -o yaml). {project_id} in PATH is replaced by the project id.
Without credentials the request is sent unsigned (for /healthz and POST /v3/auth/tokens).

A non-2xx answer is reported on stderr with its error code, message and request id, and
dmsctl exits with status 1.`,
		Example: `  dmsctl api GET /v2/{project_id}/instances -q limit=10
  dmsctl api POST /v2/{project_id}/instances/$ID/topics --data '{"id":"orders","partition":3,"replication":3}'
  dmsctl api PUT /v2/{project_id}/instances/$ID --data @update.json
  echo '{"name":"x"}' | dmsctl api POST /opendms/v1/projects --data -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageErrorf("api needs [METHOD] PATH (got %d arguments)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			method, path := "GET", args[0]
			if len(args) == 2 {
				method, path = strings.ToUpper(args[0]), args[1]
			}
			q, err := parseQuery(query)
			if err != nil {
				return err
			}
			var body any
			if cmd.Flags().Changed("data") {
				b, err := readData(cmd, data)
				if err != nil {
					return err
				}
				body = b
			}
			// Without credentials the request goes unsigned: /healthz and POST /v3/auth/tokens take it.
			c, s, err := a.newClient(cmd, false)
			if err != nil {
				return err
			}
			if s.AccessKey == "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "dmsctl: no credentials configured: sending an unsigned request")
			}
			resp, err := c.Do(cmd.Context(), method, path, q, body)
			if resp != nil && include {
				printHead(cmd.OutOrStdout(), resp.Status, resp.Header)
			}
			if err != nil {
				return err
			}
			return a.printBody(cmd, resp.Body)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&data, "data", "d", "", "request body: JSON text, @FILE, or - for stdin")
	f.StringArrayVarP(&query, "query", "q", nil, "query parameter key=value (repeatable)")
	f.BoolVarP(&include, "include", "i", false, "print the response status and headers before the body")
	return cmd
}

func parseQuery(pairs []string) (url.Values, error) {
	q := url.Values{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usageErrorf("-q %q: want key=value", p)
		}
		q.Add(k, v)
	}
	return q, nil
}

// readData returns the bytes of --data: literal text, @FILE, or - for stdin.
func readData(cmd *cobra.Command, data string) ([]byte, error) {
	switch {
	case data == "-":
		b, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return b, nil
	case strings.HasPrefix(data, "@"):
		b, err := os.ReadFile(data[1:])
		if err != nil {
			return nil, usageErrorf("--data: %v", err)
		}
		return b, nil
	}
	return []byte(data), nil
}

func printHead(w io.Writer, status int, h map[string][]string) {
	fmt.Fprintf(w, "HTTP %d\n", status)
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintln(w)
}

// printBody prints a raw response body: indented JSON by default, YAML with -o yaml.
func (a *app) printBody(cmd *cobra.Command, body []byte) error {
	w := cmd.OutOrStdout()
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if a.output == formatYAML && json.Valid(body) {
		y, err := yaml.JSONToYAML(body)
		if err != nil {
			return err
		}
		_, err = w.Write(y)
		return err
	}
	_, err := w.Write(prettyJSON(body))
	return err
}
