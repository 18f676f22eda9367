package dmsd

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dmsd.yaml")
	os.WriteFile(path, []byte(`
ip_pool: 127.30.0.0/16
broker_heap_mb: 384
product_heap_mb: {c6.4u8g.cluster: 512}
kafka_builds: {"3.x": "4.3.0"}
message_query: {max_scan_bytes: 1048576, max_scan_time: 3s, max_concurrent_queries: 2}
`), 0o600)
	cfg := Defaults()
	if err := LoadFile(&cfg, path); err != nil {
		t.Fatal(err)
	}
	mq := cfg.MessageQuery
	if cfg.IPPool != "127.30.0.0/16" || cfg.BrokerHeapMB != 384 || cfg.ProductHeapMB["c6.4u8g.cluster"] != 512 ||
		cfg.KafkaBuilds["3.x"] != "4.3.0" || mq.MaxScanBytes != 1<<20 || mq.MaxScanTime.Duration != 3*time.Second ||
		mq.MaxConcurrentQueries != 2 || cfg.Listen != "127.0.0.1:9780" {
		t.Fatalf("loaded %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// The http section of the config file sets the API's limits; bad values are refused at start.
func TestHTTPLimitsConfig(t *testing.T) {
	tests := []struct {
		name, yaml string
		ok         bool
	}{
		{"all set", "http: {read_header_timeout: 5s, idle_timeout: 1m, write_timeout: 30s, body_timeout: 10s, body_min_rate: 65536, max_header_bytes: 32768, unverified_body_bytes: 33554432, unverified_bodies: 8}", true},
		{"empty keeps the defaults", "http: {}", true},
		{"negative timeout", "http: {body_timeout: -1s}", false},
		{"negative count", "http: {unverified_bodies: -1}", false},
		{"budget below the largest body", "http: {unverified_body_bytes: 1048576}", false},
		{"unknown key", "http: {read_timeout: 5s}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dmsd.yaml")
			os.WriteFile(path, []byte(tt.yaml), 0o600)
			cfg := Defaults()
			err := LoadFile(&cfg, path)
			if err == nil {
				err = cfg.Validate()
			}
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.name == "all set" && (cfg.HTTP.BodyTimeout.Duration != 10*time.Second || cfg.HTTP.UnverifiedBodies != 8 || cfg.HTTP.BodyMinRate != 65536) {
				t.Fatalf("loaded %+v", cfg.HTTP)
			}
		})
	}
}
