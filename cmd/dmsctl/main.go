// Command dmsctl is the command-line client of OpenDMS: any signed API call (dmsctl api), the IAM
// admin API (dmsctl iam ...), password tokens (dmsctl token) and the catalogs (dmsctl catalog ...).
//
// Exit codes: 0 success, 1 API or transport error, 2 usage or configuration error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

func main() {
	cmd, err := newRootCmd().ExecuteC()
	os.Exit(exitCode(cmd, err, os.Stderr))
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the server answered non-2xx, or the call failed
	exitUsage = 2 // bad flags or arguments, or an unusable configuration
)

// usageError is a mistake of the caller, reported with exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitCode reports err on stderr and returns the process's exit code. cmd is the command that ran.
func exitCode(cmd *cobra.Command, err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "dmsctl:", err)
	var usage *usageError
	switch {
	case errors.As(err, &usage):
		if cmd != nil {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return exitUsage
	case errors.Is(err, client.ErrNoProjectID):
		fmt.Fprintln(stderr, "Set --project-id, CLOUD_SDK_PROJECT_ID or a profile's project_id.")
		return exitUsage
	}
	return exitError
}

func newRootCmd() *cobra.Command {
	root, _ := newRoot()
	return root
}

// newRoot returns the command tree and the app its commands share (tests read settings through it).
func newRoot() (*cobra.Command, *app) {
	a := &app{}
	root := &cobra.Command{
		Use:   "dmsctl",
		Short: "Command-line client of OpenDMS (the DMS for Kafka API and its IAM)",
		Long: `dmsctl calls an OpenDMS server with AK/SK-signed requests.

Settings are taken, each from the first source that has it, from: flags; the environment
(DMS_ENDPOINT, CLOUD_SDK_AK, CLOUD_SDK_SK, CLOUD_SDK_PROJECT_ID, CLOUD_SDK_REGION, DMS_INSECURE);
a profile written by 'dmsctl configure' (~/.config/opendms/config.yaml, or $DMSCTL_CONFIG);
an admin credentials file (--credentials-file, $DMS_CREDENTIALS_FILE, or ./data/admin-credentials.json).
The access key and the secret key always come together from the same source.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Args:              subcommandArgs,
		RunE:              showHelp,
		PersistentPreRunE: func(*cobra.Command, []string) error { return a.checkOutput() },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	a.bindFlags(root)
	root.AddCommand(
		newConfigureCmd(a),
		newAPICmd(a),
		newIAMCmd(a),
		newTokenCmd(a),
		newCatalogCmd(a),
		newInstanceCmd(a),
		newTaskCmd(a),
		newTopicCmd(a),
		newGroupCmd(a),
		newDiagnoseCmd(a),
		newKafkaUserCmd(a),
		newQuotaCmd(a),
		newMessageCmd(a),
		newScheduleCmd(a),
		newSmartConnectCmd(a),
	)
	return root, a
}

// groupCmd is a command that only holds subcommands: it shows its help, and an unknown subcommand is
// a usage error (cobra would otherwise show the help and exit 0).
func groupCmd(use, short string, children ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: subcommandArgs, RunE: showHelp}
	cmd.AddCommand(children...)
	return cmd
}

func showHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }

func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, which it only sets for its own message
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &usageError{errors.New(msg)}
}

// exactArgs requires the positional arguments named in names.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			if len(names) == 0 {
				return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
			}
			return usageErrorf("%s needs %d argument(s): %s (got %d)", cmd.CommandPath(), len(names), strings.Join(names, " "), len(args))
		}
		return nil
	}
}

// requireFlags reports the first of names that was not given.
func requireFlags(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		f := cmd.Flags().Lookup(n)
		if f == nil || !f.Changed || f.Value.String() == "" || (f.Value.Type() == "bool" && f.Value.String() != "true") {
			return usageErrorf("--%s is required", n)
		}
	}
	return nil
}
