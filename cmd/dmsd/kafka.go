package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/internal/engine/local"
)

// newKafkaCmd is `dmsd kafka`: the Apache Kafka builds of the local engine.
func newKafkaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kafka",
		Short: "Manage the Apache Kafka builds the local engine runs",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newKafkaFetchCmd())
	return cmd
}

func newKafkaFetchCmd() *cobra.Command {
	var opts local.FetchOptions
	var verbose, tools bool
	cmd := &cobra.Command{
		Use:   "fetch",
		Short: "Resolve the Kafka broker jars (or with --tools the command-line tools) into the cache with Maven and print their directory",
		Long: `Resolve the jars of an Apache Kafka version for the local engine ahead of time, so the first
instance does not wait for Maven. The jars come from the pinned POM built into dmsd (kafka_2.13 and the
log4j2 SLF4J binding), resolved with mvn from Maven Central into <cache-dir>/kafka-<version>/libs, or from
KAFKA_HOME when it is an install of that version. Beside them it compiles (javac, from a JDK 17+) the
brokers' PLAIN login handler, opendms-plainauth.jar, which SASL instances need. It also resolves the
Kafka Connect worker jars of Smart Connect (connect-runtime, connect-mirror, connect-mirror-client,
connect-json, connect-transforms, connect-file: the pinned Connect POM) into
<cache-dir>/kafka-<version>-connect/libs, with OpenDMS's MirrorMaker 2 topic-mapping policy
(opendms-connect.jar, compiled with javac), and names that directory on stderr. Prints the directory of
the broker jars.

With --tools it fetches instead the Apache Kafka command-line tools of the same build, which the broker
jars lack: org.apache.kafka:kafka-tools and its dependencies (the pinned tools POM built into dmsd),
resolved with mvn into <cache-dir>/kafka-<version>-tools/libs, and wrapper scripts in
<cache-dir>/kafka-<version>-tools/bin (kafka-console-producer.sh, kafka-console-consumer.sh,
kafka-topics.sh, kafka-consumer-groups.sh, kafka-producer-perf-test.sh, kafka-consumer-perf-test.sh)
that run them with the java of JAVA_HOME or PATH. With KAFKA_HOME an install of that version, its bin/
is used as it is. Prints the bin directory: put it on PATH, or run the scripts from there, with the
file of ` + "`dmsctl instance connect --format properties`" + ` as --command-config
(Kafka 4.3's console producer and consumer take it there too).`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if verbose {
				opts.Log = cmd.ErrOrStderr()
			} else {
				opts.Log = io.Discard
			}
			fetch := local.Fetch
			if tools {
				fetch = local.FetchTools
			}
			libs, err := fetch(cmd.Context(), opts)
			if err != nil {
				return fail(err)
			}
			if !tools {
				// Smart Connect's workers run from their own classpath, resolved beside the brokers'.
				connect, err := local.FetchConnect(cmd.Context(), opts)
				if err != nil {
					return fail(err)
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "kafka connect jars:", connect)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), libs)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Version, "version", local.DefaultKafkaVersion, "Kafka version")
	f.StringVar(&opts.CacheDir, "cache-dir", "", "jar cache directory (default "+local.DefaultCacheDir()+")")
	f.StringVar(&opts.KafkaHome, "kafka-home", os.Getenv("KAFKA_HOME"), "an Apache Kafka install to use when it is this version [KAFKA_HOME]")
	f.BoolVarP(&verbose, "verbose", "v", false, "show Maven's output")
	f.BoolVar(&tools, "tools", false, "fetch the Kafka command-line tools (console producer/consumer, topics, consumer groups) instead of the broker jars, and print their bin directory")
	return cmd
}
