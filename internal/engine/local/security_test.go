package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/engine"
)

func saslSpec(dataDir string) engine.Spec {
	spec := testSpec(3)
	spec.DataDir = dataDir
	spec.Listeners = []engine.Listener{
		{Name: "PLAINTEXT", Port: engine.PortPlaintext, Protocol: engine.ProtocolPlaintext},
		{Name: "SASL_SSL", Port: engine.PortSASLPrivate, Protocol: engine.ProtocolSASLSSL},
	}
	spec.Security = engine.Security{
		Mechanisms: []string{engine.MechanismPLAIN, engine.MechanismSCRAMSHA512},
		SuperUsers: []string{"root1"},
		TLS:        &engine.TLS{CACertPEM: []byte("ca"), Keystores: map[int32][]byte{0: []byte("k0"), 1: []byte("k1"), 2: []byte("k2")}},
	}
	spec.BrokerConfigs = map[string]string{"allow.everyone.if.no.acl.found": "true"}
	return spec
}

func TestServerPropertiesSASL(t *testing.T) {
	spec := saslSpec("/inst")
	data, err := serverProperties(spec, spec.Brokers[1], "/inst/broker-1", 256)
	if err != nil {
		t.Fatal(err)
	}
	got := string(data)
	for _, want := range []string{
		"listeners=PLAINTEXT://127.0.0.2:9092,SASL_SSL://127.0.0.2:9093,INTERNAL://127.0.0.2:9090,CONTROLLER://127.0.0.2:9091\n",
		"advertised.listeners=PLAINTEXT://127.0.0.2:9092,SASL_SSL://127.0.0.2:9093,INTERNAL://127.0.0.2:9090\n",
		"listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL\n",
		"authorizer.class.name=io.opendms.kafka.ProduceGateAuthorizer\n",
		"opendms.produce.gate.file=/inst/produce-reject\n",
		"super.users=User:ANONYMOUS;User:root1\n",
		"allow.everyone.if.no.acl.found=true\n", // DMS's static config wins over the engine's default
		"listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512\n",
		"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n",
		`listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required credentialsFile="/inst/plain-users.properties";` + "\n",
		"listener.name.sasl_ssl.plain.sasl.server.callback.handler.class=io.opendms.kafka.FilePlainServerCallbackHandler\n",
		"listener.name.sasl_ssl.ssl.keystore.type=PEM\n",
		"listener.name.sasl_ssl.ssl.keystore.location=/inst/broker-1/tls/keystore.pem\n",
		"listener.name.sasl_ssl.ssl.truststore.location=/inst/broker-1/tls/ca.pem\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Count(got, "allow.everyone.if.no.acl.found=") != 1 {
		t.Errorf("allow.everyone.if.no.acl.found twice:\n%s", got)
	}
	// No SASL listener: no SASL entries, and the produce gate's authorizer open to everyone
	// (ANONYMOUS is a super user; a resource without ACLs is open).
	plain := testSpec(1)
	data, _ = serverProperties(plain, plain.Brokers[0], "/d", 256)
	if strings.Contains(string(data), "sasl") {
		t.Errorf("a PLAINTEXT-only broker has SASL entries:\n%s", data)
	}
	for _, want := range []string{
		"authorizer.class.name=io.opendms.kafka.ProduceGateAuthorizer\n",
		"opendms.produce.gate.file=" + plain.DataDir + "/produce-reject\n",
		"super.users=User:ANONYMOUS\n",
		"allow.everyone.if.no.acl.found=true\n",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("a PLAINTEXT-only broker lacks %q:\n%s", want, data)
		}
	}
}

func TestValidListeners(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*engine.Spec)
		ok     bool
	}{
		{"valid", func(*engine.Spec) {}, true},
		{"no listeners: PLAINTEXT", func(s *engine.Spec) { s.Listeners, s.Security = nil, engine.Security{} }, true},
		{"SASL_PLAINTEXT only, SCRAM", func(s *engine.Spec) {
			s.Listeners = []engine.Listener{{Name: "SASL_PLAINTEXT", Port: 9093, Protocol: engine.ProtocolSASLPlaintext}}
			s.Security.TLS, s.Security.Mechanisms = nil, []string{engine.MechanismSCRAMSHA512}
		}, true},
		{"name twice", func(s *engine.Spec) { s.Listeners[1].Name = "PLAINTEXT" }, false},
		{"engine's name", func(s *engine.Spec) { s.Listeners[1].Name = "INTERNAL" }, false},
		{"lower-case name", func(s *engine.Spec) { s.Listeners[1].Name = "sasl" }, false},
		{"port twice", func(s *engine.Spec) { s.Listeners[1].Port = 9092 }, false},
		{"engine's port", func(s *engine.Spec) { s.Listeners[1].Port = engine.PortController }, false},
		{"unknown protocol", func(s *engine.Spec) { s.Listeners[1].Protocol = "SSL" }, false},
		{"SASL_SSL without TLS", func(s *engine.Spec) { s.Security.TLS = nil }, false},
		{"SASL_SSL without a broker's keystore", func(s *engine.Spec) { delete(s.Security.TLS.Keystores, 2) }, false},
		{"no mechanism", func(s *engine.Spec) { s.Security.Mechanisms = nil }, false},
		{"unknown mechanism", func(s *engine.Spec) { s.Security.Mechanisms = []string{"GSSAPI"} }, false},
		{"super user with a separator", func(s *engine.Spec) { s.Security.SuperUsers = []string{"a;User:b"} }, false},
	} {
		spec := saslSpec("/inst")
		c.change(&spec)
		if err := validListeners(spec); (err == nil) != c.ok {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
}

func TestWriteSecurityFiles(t *testing.T) {
	dir := t.TempDir()
	spec := saslSpec(dir)
	bdir := filepath.Join(dir, "broker-0")
	if err := writeBrokerFiles(spec, spec.Brokers[0], bdir, 256); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		path, content string
		mode          os.FileMode
	}{
		{filepath.Join(bdir, "tls", "keystore.pem"), "k0", 0o600},
		{filepath.Join(bdir, "tls", "ca.pem"), "ca", 0o644},
		{filepath.Join(dir, PlainUsersFile), "", 0o600},
	} {
		st, err := os.Stat(f.path)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(f.path)
		if string(data) != f.content || st.Mode().Perm() != f.mode {
			t.Errorf("%s: %q mode %v", f.path, data, st.Mode().Perm())
		}
	}
	// The users file is never truncated by a later start.
	if err := os.WriteFile(filepath.Join(dir, PlainUsersFile), []byte("u=x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeBrokerFiles(spec, spec.Brokers[0], bdir, 256); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, PlainUsersFile)); string(data) != "u=x" {
		t.Errorf("users file rewritten: %q", data)
	}
}

func TestServerPropertiesInternalTLS(t *testing.T) {
	spec := saslSpec("/inst")
	spec.InternalTLS = true
	spec.Listeners = spec.Listeners[1:] // SASL_SSL only: no anonymous access anywhere
	data, err := serverProperties(spec, spec.Brokers[0], "/inst/broker-0", 256)
	if err != nil {
		t.Fatal(err)
	}
	got := string(data)
	for _, want := range []string{
		"listener.security.protocol.map=CONTROLLER:SSL,INTERNAL:SSL,SASL_SSL:SASL_SSL\n",
		"listener.name.internal.ssl.client.auth=required\n",
		"listener.name.controller.ssl.client.auth=required\n",
		"listener.name.controller.ssl.keystore.location=/inst/broker-0/tls/keystore.pem\n",
		"super.users=User:CN=opendms-broker,O=OpenDMS;User:CN=opendms-control,O=OpenDMS;User:CN=opendms-connect,O=OpenDMS;User:root1\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	// With plaintext access, anonymous clients keep every right (DMS's plaintext semantics).
	spec = saslSpec("/inst")
	spec.InternalTLS = true
	data, _ = serverProperties(spec, spec.Brokers[0], "/inst/broker-0", 256)
	if !strings.Contains(string(data), "super.users=User:ANONYMOUS;User:CN=opendms-broker,O=OpenDMS;") {
		t.Errorf("plaintext access without User:ANONYMOUS as super user:\n%s", data)
	}
	// Internal TLS needs the certificates.
	spec.Security.TLS = nil
	spec.Listeners = spec.Listeners[:1]
	if err := validListeners(spec); err == nil {
		t.Error("internal TLS without TLS material accepted")
	}
}
