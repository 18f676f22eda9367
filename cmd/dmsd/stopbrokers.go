package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/internal/dmsd"
)

// newStopBrokersCmd is `dmsd stop-brokers`: what stops the clusters dmsd leaves running on exit.
func newStopBrokersCmd(configPath *string) *cobra.Command {
	return &cobra.Command{
		Use:   "stop-brokers",
		Short: "Stop every broker JVM of this data dir's instances (dmsd leaves them running on exit); refuses while a dmsd runs on it",
		Long: `dmsd leaves the local engine's broker JVMs running when it exits, by design: restarting or upgrading
dmsd does not stop the Kafka clusters, and the next start adopts them. stop-brokers stops them cleanly
(Kafka's controlled shutdown; SIGKILL only after 30 s) for every instance of the data dir (--data-dir,
--config as for dmsd), and prints how many brokers of each it stopped.

It refuses while a dmsd runs on the data dir: that dmsd supervises the brokers and would restart them.
Stop it first (Ctrl-C or SIGTERM), then run stop-brokers; it holds the data dir meanwhile, so no dmsd
starts in between. Instances and their brokers are found from the store and from the pid files in each
instance's directory (checked against the broker's command line), never by process name. The data is
kept: the next dmsd start starts the brokers again.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := resolveConfig(cmd.Flags(), *configPath)
			if err != nil {
				return fail(err)
			}
			log := newLogger(cfg.LogFormat, cmd.ErrOrStderr())
			res, err := dmsd.StopBrokers(cmd.Context(), cfg, log)
			if err != nil {
				return fail(err)
			}
			w := cmd.OutOrStdout()
			total, failed := 0, 0
			for _, r := range res {
				if r.Err != nil {
					failed++
					fmt.Fprintf(w, "instance %s (%s): %v\n", r.Name, r.ID, r.Err)
					continue
				}
				total += r.Brokers
				fmt.Fprintf(w, "instance %s (%s): stopped %d broker(s)\n", r.Name, r.ID, r.Brokers)
			}
			fmt.Fprintf(w, "stopped %d broker(s) of %d local-engine instance(s) in %s\n", total, len(res), cfg.DataDir)
			if failed > 0 {
				return fail(errors.New("some instances' brokers could not be stopped (above)"))
			}
			return nil
		},
	}
}
