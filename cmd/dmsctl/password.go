package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// readPassword reads a password from the first line of stdin (as 'docker login --password-stdin').
func readPassword(cmd *cobra.Command, what string) (string, error) {
	// Typed at a terminal (not piped), the secret must not be echoed to the screen.
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return promptPassword(cmd, what)
	}
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

// promptPassword asks for a password on the terminal, without echo. When stdin is not a terminal
// (a pipe, a test) there is nobody to ask: that is a usage error pointing at --password-stdin.
func promptPassword(cmd *cobra.Command, what string) (string, error) {
	f, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usageErrorf("the %s is needed: give it with --password-stdin (stdin is not a terminal to ask on)", what)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Enter the %s: ", what)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return "", fmt.Errorf("reading the %s: %w", what, err)
	}
	if len(b) == 0 {
		return "", usageErrorf("the %s is empty", what)
	}
	return string(b), nil
}
