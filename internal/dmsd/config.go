// Package dmsd assembles the OpenDMS server from its configuration: the metadata store, IAM, the
// catalog and the HTTP API, and runs it until its context ends.
package dmsd

import (
	"fmt"
	"os"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/connect"
)

// Config is the server's configuration. Each field is a flag and an environment variable of dmsd; the
// optional config file (YAML or JSON) can set them too and holds the catalogs.
type Config struct {
	Listen  string `json:"listen"`   // --listen, DMS_LISTEN
	DataDir string `json:"data_dir"` // --data-dir, DMS_DATA_DIR
	Engine  string `json:"engine"`   // --engine auto|local|embedded, DMS_ENGINE
	TLSCert string `json:"tls_cert"` // --tls-cert, DMS_TLS_CERT
	TLSKey  string `json:"tls_key"`  // --tls-key, DMS_TLS_KEY
	Region  string `json:"region"`   // --region, DMS_REGION
	// ClockSkew bounds how far a signature's X-Sdk-Date may be from the server clock.
	ClockSkew Duration `json:"clock_skew"`
	// LogFormat is "text" or "json".
	LogFormat string `json:"log_format"`
	// Catalog overrides the default AZs, products and maintenance windows.
	Catalog catalog.Config `json:"catalog"`
	// IPPool is the prefix broker IPs are taken from (each broker gets its own IP and the DMS ports).
	IPPool string `json:"ip_pool"`
	// KafkaBuilds maps engine_version (1.1.0, 2.7, 3.x) to the Kafka build serving it.
	KafkaBuilds map[string]string `json:"kafka_builds"`
	// BrokerHeapMB is the JVM heap of each broker of the local engine; ProductHeapMB overrides it
	// per product_id.
	BrokerHeapMB  int            `json:"broker_heap_mb"`
	ProductHeapMB map[string]int `json:"product_heap_mb"`
	// MaxInstancesPerProject is the instance quota of a project.
	MaxInstancesPerProject int `json:"max_instances_per_project"`
	// KafkaCacheDir is where the local engine keeps resolved Kafka jars (default ~/.cache/opendms).
	KafkaCacheDir string `json:"kafka_cache_dir"`
	// MessageQuery bounds message searches (5.8.x); zero fields keep the defaults.
	MessageQuery MessageQuery `json:"message_query"`
	// Diagnosis tunes message backlog diagnosis (5.11.x); zero fields keep the defaults.
	Diagnosis Diagnosis `json:"diagnosis"`
	// HTTP bounds what a client can hold of the server; zero fields keep the defaults.
	HTTP HTTPLimits `json:"http"`
	// DmsctlProfile is the profile of dmsctl's config file (internal/cliconfig: $DMSCTL_CONFIG or
	// ($XDG_CONFIG_HOME or ~/.config)/opendms/config.yaml) that the first start fills with the administrator's
	// credentials, so dmsctl works from any directory; an existing profile of that name is kept.
	// "" or "none": none is written (the zero Config writes none; the dmsd command's default is
	// DefaultDmsctlProfile). --dmsctl-profile, DMS_DMSCTL_PROFILE.
	DmsctlProfile string `json:"dmsctl_profile"`
	// Capacity tunes the capacity watcher (retention_policy, automatic volume expansion).
	Capacity Capacity `json:"capacity"`
	// StorageBytesPerGB is how many bytes one GB of storage_space is (default 1 GiB): a testing
	// knob, so that an instance of 300 "GB" is full after a few MB.
	StorageBytesPerGB int64 `json:"storage_bytes_per_gb"`
	// Connect tunes Smart Connect: the object store dump tasks write to.
	Connect Connect `json:"connect"`
}

// Connect tunes Smart Connect (internal/connect).
type Connect struct {
	// ObjectStorage is the S3-compatible endpoint of dump tasks (OBS_SINK): endpoint, region,
	// path_style. Without an endpoint, dump tasks cannot start.
	ObjectStorage connect.ObjectStorage `json:"object_storage"`
	// DeliverIntervalUnit is what one second of deliver_time_interval lasts (default 1s): a testing
	// knob, like storage_bytes_per_gb.
	DeliverIntervalUnit Duration `json:"deliver_interval_unit"`
}

// Capacity tunes the capacity watcher (internal/capacity).
type Capacity struct {
	Interval Duration `json:"interval"` // how often every running instance's usage is read; default 30s
}

// DefaultDmsctlProfile is the dmsctl profile the dmsd command writes on first start: dmsctl's default
// profile, so plain `dmsctl` commands use it.
const DefaultDmsctlProfile = "default"

// HTTPLimits are the timeouts and request body limits of the API (see internal/httpapi/bodies.go).
type HTTPLimits struct {
	ReadHeaderTimeout   Duration `json:"read_header_timeout"`   // default 10s
	IdleTimeout         Duration `json:"idle_timeout"`          // keep-alive connections; default 2m
	WriteTimeout        Duration `json:"write_timeout"`         // a response, from the end of its request body; default 2m
	BodyTimeout         Duration `json:"body_timeout"`          // a body may take this plus 1 s per body_min_rate bytes; default 30s
	BodyMinRate         int64    `json:"body_min_rate"`         // bytes per second; default 128 KiB
	MaxHeaderBytes      int      `json:"max_header_bytes"`      // default 64 KiB
	UnverifiedBodyBytes int64    `json:"unverified_body_bytes"` // bodies read before their signature is verified, in all; default 64 MiB
	UnverifiedBodies    int      `json:"unverified_bodies"`     // how many such bodies at once; default 64
}

// Diagnosis tunes message backlog diagnosis.
type Diagnosis struct {
	Window     Duration `json:"window"`      // how long a diagnosis observes the group; default 60s
	Samples    int      `json:"samples"`     // looks over the window, first and last included; default 7
	MaxRunning int      `json:"max_running"` // diagnoses running at once per instance; default 5
}

// MessageQuery bounds every message search: what one search may read and how many run at once.
type MessageQuery struct {
	MaxScanBytes         int64    `json:"max_scan_bytes"`         // default 256 MiB
	MaxScanRecords       int64    `json:"max_scan_records"`       // default 2,000,000
	MaxScanTime          Duration `json:"max_scan_time"`          // default 10s
	DisplayBytes         int      `json:"display_bytes"`          // longer keys/values are cut and flagged huge_message; default 16 KiB
	MaxConcurrentQueries int      `json:"max_concurrent_queries"` // default 4
}

// Duration is a time.Duration written as "15m" in config files.
type Duration struct{ time.Duration }

func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %s: %w", b, err)
	}
	d.Duration = v
	return nil
}

// Defaults returns the configuration without flags, environment or file.
func Defaults() Config {
	return Config{
		Listen:    "127.0.0.1:9780",
		DataDir:   "./data",
		Engine:    "auto",
		Region:    "cn-north-4",
		IPPool:    "127.20.0.0/16",
		ClockSkew: Duration{15 * time.Minute},
		LogFormat: "text",
	}
}

// LoadFile merges a YAML/JSON config file over cfg (fields the file does not set keep their values).
func LoadFile(cfg *Config, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	if err := yaml.UnmarshalStrict(b, cfg); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch c.Engine {
	case "auto", "local", "embedded":
	default:
		return fmt.Errorf("engine %q: must be auto, local or embedded", c.Engine)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key must be given together")
	}
	if c.DataDir == "" {
		return fmt.Errorf("data dir must not be empty")
	}
	if c.ClockSkew.Duration <= 0 {
		return fmt.Errorf("clock_skew must be positive")
	}
	if c.Diagnosis.Window.Duration < 0 || c.Diagnosis.Samples < 0 || c.Diagnosis.Samples == 1 || c.Diagnosis.MaxRunning < 0 {
		return fmt.Errorf("diagnosis: window, max_running must not be negative and samples must be 0 (default) or at least 2")
	}
	if c.Capacity.Interval.Duration < 0 || c.StorageBytesPerGB < 0 {
		return fmt.Errorf("capacity.interval and storage_bytes_per_gb must not be negative (0 keeps the default)")
	}
	h := c.HTTP
	if h.ReadHeaderTimeout.Duration < 0 || h.IdleTimeout.Duration < 0 || h.WriteTimeout.Duration < 0 || h.BodyTimeout.Duration < 0 ||
		h.BodyMinRate < 0 || h.MaxHeaderBytes < 0 || h.UnverifiedBodyBytes < 0 || h.UnverifiedBodies < 0 {
		return fmt.Errorf("http: limits must not be negative (0 keeps the default)")
	}
	if h.UnverifiedBodyBytes > 0 && h.UnverifiedBodyBytes < 16<<20 {
		return fmt.Errorf("http: unverified_body_bytes must be at least 16 MiB (the largest request body)")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log_format %q: must be text or json", c.LogFormat)
	}
	return nil
}
