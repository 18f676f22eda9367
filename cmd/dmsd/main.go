// Command dmsd is the OpenDMS server: the DMS for Kafka REST API, IAM-style authentication, and (with
// the engines) a real Kafka cluster per instance.
package main

import (
	"context"
	"fmt"
	"github.com/opendms/opendms/internal/console"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/opendms/opendms/internal/dmsd"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		os.Exit(1)
	}
}

// flagEnv pairs each flag with its environment variable. Precedence: flag, environment, config file,
// default.
var flagEnv = []struct{ flag, env string }{
	{"listen", "DMS_LISTEN"},
	{"data-dir", "DMS_DATA_DIR"},
	{"engine", "DMS_ENGINE"},
	{"tls-cert", "DMS_TLS_CERT"},
	{"tls-key", "DMS_TLS_KEY"},
	{"region", "DMS_REGION"},
	{"log-format", "DMS_LOG_FORMAT"},
	{"dmsctl-profile", "DMS_DMSCTL_PROFILE"},
}

func newRootCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:           "dmsd",
		Short:         "OpenDMS server: the DMS for Kafka API over real Kafka clusters",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := resolveConfig(cmd.Flags(), configPath)
			if err != nil {
				return fail(err)
			}
			return fail(serve(cmd.Context(), cfg))
		},
	}
	d := dmsd.Defaults()
	f := cmd.PersistentFlags()
	f.StringVar(&configPath, "config", os.Getenv("DMS_CONFIG"), "config file (YAML or JSON; catalogs and any flag) [DMS_CONFIG]")
	f.String("listen", d.Listen, "address to serve the API on [DMS_LISTEN]")
	f.String("data-dir", d.DataDir, "directory of the metadata store, keys and instance data [DMS_DATA_DIR]")
	f.String("engine", d.Engine, "Kafka engine: auto|local|embedded [DMS_ENGINE]")
	f.String("tls-cert", "", "TLS certificate (PEM) to serve HTTPS [DMS_TLS_CERT]")
	f.String("tls-key", "", "TLS private key (PEM) [DMS_TLS_KEY]")
	f.String("region", d.Region, "region name: the bootstrap project's name and the catalog's region [DMS_REGION]")
	f.String("log-format", d.LogFormat, "log format: text|json [DMS_LOG_FORMAT]")
	f.String("dmsctl-profile", dmsd.DefaultDmsctlProfile, "on first start, write the administrator's credentials (secret key included, mode 0600) as this profile of dmsctl's config file ($DMSCTL_CONFIG or ~/.config/opendms/config.yaml), unless it has one of that name; \"none\": do not [DMS_DMSCTL_PROFILE]")
	cmd.AddCommand(newRoutesCmd(&configPath), newKafkaCmd(), newStopBrokersCmd(&configPath))
	return cmd
}

// resolveConfig applies defaults, then the config file, then the environment, then flags set on the
// command line.
func resolveConfig(flags *pflag.FlagSet, configPath string) (dmsd.Config, error) {
	cfg := dmsd.Defaults()
	cfg.DmsctlProfile = dmsd.DefaultDmsctlProfile // the command writes one; dmsd.Open as a library does not unless asked
	if configPath != "" {
		if err := dmsd.LoadFile(&cfg, configPath); err != nil {
			return cfg, err
		}
	}
	set := map[string]*string{
		"listen": &cfg.Listen, "data-dir": &cfg.DataDir, "engine": &cfg.Engine, "tls-cert": &cfg.TLSCert,
		"tls-key": &cfg.TLSKey, "region": &cfg.Region, "log-format": &cfg.LogFormat, "dmsctl-profile": &cfg.DmsctlProfile,
	}
	for _, fe := range flagEnv {
		if v, ok := os.LookupEnv(fe.env); ok && v != "" {
			*set[fe.flag] = v
		}
		if flags.Changed(fe.flag) {
			v, _ := flags.GetString(fe.flag)
			*set[fe.flag] = v
		}
	}
	return cfg, cfg.Validate()
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func serve(ctx context.Context, cfg dmsd.Config) error {
	log := newLogger(cfg.LogFormat, os.Stderr)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	endpoint := fmt.Sprintf("%s://%s", cfg.Scheme(), ln.Addr())
	srv, err := dmsd.Open(ctx, cfg, log, endpoint)
	if err != nil {
		ln.Close()
		return err
	}
	defer srv.Close()
	log.Info("serving the DMS for Kafka API", "endpoint", endpoint, "console", endpoint+console.Prefix, "data_dir", cfg.DataDir, "region", cfg.Region, "engine", cfg.Engine)
	return srv.Serve(ctx, ln)
}

func newRoutesCmd(configPath *string) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "routes",
		Short: "Print every API of the reference (and the SDK's path variants) with its implementation status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := resolveConfig(cmd.Flags(), *configPath)
			if err != nil {
				return fail(err)
			}
			api, err := dmsd.RoutesOnly(cfg)
			if err != nil {
				return fail(err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SECTION\tMETHOD\tPATH\tSTATUS\tVARIANT\tTITLE")
			rows := api.DMSRoutes()
			if all {
				rows = append(rows, api.OwnRoutes()...)
			}
			for _, r := range rows {
				status := "not-implemented"
				if r.Implemented {
					status = "implemented"
				}
				section := r.Section
				if section == "sdk" {
					section = "sdk:" + r.Op
				}
				variant := r.Variant
				if variant == "" {
					variant = "reference"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", section, r.Method, r.Pattern, status, variant, r.Title)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also list OpenDMS's own routes (IAM, admin, health)")
	return cmd
}

func fail(err error) error {
	if err != nil {
		fmt.Fprintln(os.Stderr, "dmsd:", err)
	}
	return err
}
