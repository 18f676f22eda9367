package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// readPassword reads a password from the first line of stdin (as 'docker login --password-stdin').
func readPassword(cmd *cobra.Command, what string) (string, error) {
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the %s from stdin: %w", what, err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageErrorf("the %s read from stdin is empty", what)
	}
	return pw, nil
}

// passwordFlags are --password-stdin and the discouraged --password.
type passwordFlags struct {
	stdin bool
	value string
}

func (p *passwordFlags) bind(cmd *cobra.Command, stdinUsage string) {
	cmd.Flags().BoolVar(&p.stdin, "password-stdin", false, stdinUsage)
	cmd.Flags().StringVar(&p.value, "password", "", "the password (insecure: it shows in the process list and shell history; prefer --password-stdin)")
}

// get returns the password given, "" if none.
func (p *passwordFlags) get(cmd *cobra.Command) (string, error) {
	switch {
	case p.stdin && p.value != "":
		return "", usageErrorf("--password and --password-stdin are mutually exclusive")
	case p.stdin:
		return readPassword(cmd, "password")
	case p.value != "":
		fmt.Fprintln(cmd.ErrOrStderr(), "dmsctl: warning: --password is insecure, prefer --password-stdin")
	}
	return p.value, nil
}
