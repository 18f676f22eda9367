package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/engine"
)

func connectSpec(dataDir string) engine.ConnectSpec {
	return engine.ConnectSpec{
		InstanceID: "i1", DataDir: dataDir,
		Workers:   []engine.ConnectWorker{{ID: 0, Host: "127.20.0.101"}, {ID: 1, Host: "127.20.0.102"}},
		Bootstrap: []string{"127.20.0.1:9090", "127.20.0.2:9090"},
		TLS:       &engine.ConnectTLS{CACertPEM: []byte("ca"), KeystorePEM: []byte("ks")},
	}
}

func parseProps(data []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

// TestWorkerProperties: the worker.properties of a TLS and of a PLAINTEXT instance, entry by entry.
func TestWorkerProperties(t *testing.T) {
	tlsSpec := connectSpec("/inst")
	plain := connectSpec("/inst")
	plain.TLS = nil
	common := map[string]string{
		"group.id":                                  "__dms_connect",
		"config.storage.topic":                      "__dms_connect_configs",
		"offset.storage.topic":                      "__dms_connect_offsets",
		"status.storage.topic":                      "__dms_connect_status",
		"config.storage.replication.factor":         "-1",
		"offset.storage.replication.factor":         "-1",
		"status.storage.replication.factor":         "-1",
		"key.converter":                             "org.apache.kafka.connect.converters.ByteArrayConverter",
		"value.converter":                           "org.apache.kafka.connect.converters.ByteArrayConverter",
		"header.converter":                          "org.apache.kafka.connect.converters.ByteArrayConverter",
		"connector.client.config.override.policy":   "All",
		"config.providers":                          "file",
		"config.providers.file.class":               "org.apache.kafka.common.config.provider.FileConfigProvider",
		"config.providers.file.param.allowed.paths": "/inst/connect/files",
		"listeners":                                 "http://127.20.0.102:8083",
		"rest.advertised.host.name":                 "127.20.0.102",
		"rest.advertised.port":                      "8083",
		"offset.flush.interval.ms":                  "5000",
		"plugin.discovery":                          "service_load",
		"rest.extension.classes":                    "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
		"bootstrap.servers":                         "127.20.0.1:9090,127.20.0.2:9090",
	}
	for _, c := range []struct {
		name   string
		spec   engine.ConnectSpec
		want   map[string]string
		absent []string
	}{
		{"tls", tlsSpec, map[string]string{
			"security.protocol":                "SSL",
			"ssl.keystore.type":                "PEM",
			"ssl.keystore.location":            "/inst/connect/tls/keystore.pem",
			"ssl.truststore.type":              "PEM",
			"ssl.truststore.location":          "/inst/connect/tls/ca.pem",
			"producer.security.protocol":       "SSL",
			"producer.ssl.keystore.location":   "/inst/connect/tls/keystore.pem",
			"consumer.ssl.truststore.location": "/inst/connect/tls/ca.pem",
			"admin.security.protocol":          "SSL",
			"admin.ssl.keystore.type":          "PEM",
		}, []string{"producer.bootstrap.servers", "ssl.key.password", "ssl.keystore.password"}},
		{"plaintext", plain, map[string]string{
			"security.protocol":          "PLAINTEXT",
			"producer.security.protocol": "PLAINTEXT",
			"consumer.security.protocol": "PLAINTEXT",
			"admin.security.protocol":    "PLAINTEXT",
		}, []string{"ssl.keystore.location", "producer.ssl.keystore.location"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := workerProperties(c.spec, c.spec.Workers[1])
			t.Logf("worker.properties:\n%s", data)
			got := parseProps(data)
			for k, v := range common {
				if got[k] != v {
					t.Errorf("%s=%q, want %q", k, got[k], v)
				}
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s=%q, want %q", k, got[k], v)
				}
			}
			for _, k := range c.absent {
				if _, ok := got[k]; ok {
					t.Errorf("%s is set", k)
				}
			}
		})
	}
	// ConnectClientProps is what the workers use to reach the instance.
	e := &Engine{}
	p := e.ConnectClientProps(tlsSpec)
	if p["security.protocol"] != "SSL" || p["bootstrap.servers"] != "127.20.0.1:9090,127.20.0.2:9090" || p["ssl.truststore.location"] != "/inst/connect/tls/ca.pem" || len(p) != 6 {
		t.Errorf("ConnectClientProps: %v", p)
	}
}

// TestConnectRESTCredentials: ConnectRESTURLs carry the password of rest-users.properties (made once,
// 0600, kept), which the JAAS file of the workers points at.
func TestConnectRESTCredentials(t *testing.T) {
	e := newEngine(t)
	defer e.Close()
	spec := connectSpec(t.TempDir())
	urls := e.ConnectRESTURLs(spec)
	if len(urls) != 2 || !strings.HasPrefix(urls[0], "http://opendms:") || !strings.HasSuffix(urls[0], "@127.20.0.101:8083") {
		t.Fatalf("ConnectRESTURLs: %v", urls)
	}
	pw := strings.TrimSuffix(strings.TrimPrefix(urls[0], "http://opendms:"), "@127.20.0.101:8083")
	if len(pw) != 48 {
		t.Errorf("password %q", pw)
	}
	if again := e.ConnectRESTURLs(spec); again[0] != urls[0] {
		t.Errorf("the password changed: %s then %s", urls[0], again[0])
	}
	users := filepath.Join(spec.DataDir, "connect", restUsersFile)
	fi, err := os.Stat(users)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v", users, fi, err)
	}
	if data, _ := os.ReadFile(users); !strings.Contains(string(data), "\nopendms="+pw+"\n") {
		t.Errorf("%s: %q", users, data)
	}
	if err := writeConnectShared(spec); err != nil {
		t.Fatal(err)
	}
	jaas, _ := os.ReadFile(filepath.Join(spec.DataDir, "connect", restJAASFile))
	if want := "KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"" + users + "\";\n};\n"; string(jaas) != want {
		t.Errorf("JAAS file:\n%s\nwant\n%s", jaas, want)
	}
	if got := restJAAS(`/a "b"\c`); !strings.Contains(got, `file="/a \"b\"\\c";`) {
		t.Errorf("restJAAS quoting: %s", got)
	}
	if u := e.ConnectRESTURLs(spec); u[0] != urls[0] {
		t.Errorf("writeConnectShared changed the password")
	}
}

func TestNormalizeConnect(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*engine.ConnectSpec)
		ok     bool
	}{
		{"valid", func(*engine.ConnectSpec) {}, true},
		{"plaintext", func(s *engine.ConnectSpec) { s.TLS = nil }, true},
		{"no instance", func(s *engine.ConnectSpec) { s.InstanceID = "" }, false},
		{"no data dir", func(s *engine.ConnectSpec) { s.DataDir = "" }, false},
		{"root data dir", func(s *engine.ConnectSpec) { s.DataDir = "/" }, false},
		{"no workers", func(s *engine.ConnectSpec) { s.Workers = nil }, false},
		{"id twice", func(s *engine.ConnectSpec) { s.Workers[1].ID = 0 }, false},
		{"negative id", func(s *engine.ConnectSpec) { s.Workers[1].ID = -1 }, false},
		{"host twice", func(s *engine.ConnectSpec) { s.Workers[1].Host = s.Workers[0].Host }, false},
		{"public IP", func(s *engine.ConnectSpec) { s.Workers[1].Host = "192.168.1.5" }, false},
		{"any address", func(s *engine.ConnectSpec) { s.Workers[1].Host = "0.0.0.0" }, false},
		{"host name", func(s *engine.ConnectSpec) { s.Workers[1].Host = "localhost" }, false},
		{"no bootstrap", func(s *engine.ConnectSpec) { s.Bootstrap = nil }, false},
		{"bad bootstrap", func(s *engine.ConnectSpec) { s.Bootstrap = []string{"127.0.0.1:9090,x:1"} }, false},
		{"TLS without keystore", func(s *engine.ConnectSpec) { s.TLS.KeystorePEM = nil }, false},
		{"bad version", func(s *engine.ConnectSpec) { s.KafkaVersion = "../4" }, false},
	} {
		s := connectSpec("/inst")
		c.change(&s)
		got, err := normalizeConnect(s)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v", c.name, err)
		}
		if err == nil && got.KafkaVersion != DefaultKafkaVersion {
			t.Errorf("%s: version %q", c.name, got.KafkaVersion)
		}
	}
}

// TestConnectFiles: WriteConnectFile writes 0600 files atomically under connect/files only, and
// RemoveConnectFile removes them; names that could leave the directory are refused.
func TestConnectFiles(t *testing.T) {
	e := &Engine{}
	spec := connectSpec(t.TempDir())
	path, err := e.WriteConnectFile(spec, "peer-1.properties", []byte("password=s3cret\n"))
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(spec.DataDir, "connect", "files", "peer-1.properties") {
		t.Errorf("path %s", path)
	}
	if _, err := e.WriteConnectFile(spec, "peer-1.properties", []byte("password=other\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", fi, err)
	}
	if data, _ := os.ReadFile(path); string(data) != "password=other\n" {
		t.Errorf("content %q", data)
	}
	for _, d := range []string{filepath.Join(spec.DataDir, "connect"), filepath.Join(spec.DataDir, "connect", "files")} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", d, fi.Mode(), err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("temp files left: %v", ents)
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", ".hidden", "a b", "x\x00"} {
		if _, err := e.WriteConnectFile(spec, bad, nil); err == nil {
			t.Errorf("WriteConnectFile(%q) accepted", bad)
		}
		if err := e.RemoveConnectFile(spec, bad); err == nil {
			t.Errorf("RemoveConnectFile(%q) accepted", bad)
		}
	}
	if err := e.RemoveConnectFile(spec, "peer-1.properties"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after remove: %v", err)
	}
	if err := e.RemoveConnectFile(spec, "peer-1.properties"); err != nil {
		t.Errorf("removing a missing file: %v", err)
	}
}

// TestConnectUnknown: the status and stop of an instance without workers say so; an engine
// reports the capability.
func TestConnectUnknown(t *testing.T) {
	e := newEngine(t)
	defer e.Close()
	if _, err := e.ConnectStatus(context.Background(), "nope"); !errors.Is(err, engine.ErrUnknownInstance) {
		t.Errorf("ConnectStatus: %v", err)
	}
	if err := e.StopConnect(context.Background(), "nope"); !errors.Is(err, engine.ErrUnknownInstance) {
		t.Errorf("StopConnect: %v", err)
	}
	if err := e.DeleteConnect(context.Background(), connectSpec(t.TempDir())); err != nil {
		t.Errorf("DeleteConnect of nothing: %v", err)
	}
	if !e.Capabilities().Connect {
		t.Error("Capabilities().Connect is false")
	}
}

// TestIsWorkerCommand: a worker JVM is recognized by ConnectDistributed and its worker.properties
// at the end of its command line; a broker's marker never matches a worker and vice versa.
func TestIsWorkerCommand(t *testing.T) {
	const marker = "/data/i1/connect/worker-0/worker.properties"
	java := "/usr/lib/jvm/java-17/bin/java"
	for _, c := range []struct {
		name   string
		args   []string
		marker string
		want   bool
	}{
		{"worker", []string{"java", "-cp", "x", connectMainClass, marker}, marker, true},
		{"broker main class", []string{"java", "kafka.Kafka", marker}, marker, false},
		{"another worker", []string{"java", connectMainClass, "/other/worker.properties"}, marker, false},
		{"worker against a broker marker", []string{"java", connectMainClass, "/d/broker-0/server.properties"}, "/d/broker-0/server.properties", false},
		{"tail", []string{"tail", "-f", marker}, marker, false},
	} {
		if got := isBrokerCommand(java, c.args, c.marker); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
