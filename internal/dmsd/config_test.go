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
