package local

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/kafka/plainauth"
)

// Listeners and security of a broker (kafka-runtime.md 2.6). The controller and inter-broker
// listeners (CONTROLLER, INTERNAL) stay PLAINTEXT: their principal is User:ANONYMOUS, which must be
// a super user for the brokers to register with the controller. INTERNAL is also where dmsd's own
// client connects (ControlAddrs). Client listeners are the spec's: PLAINTEXT ones need no
// credentials and get every right (DMS's plaintext access); SASL ones authenticate with the spec's
// mechanisms, and with any SASL listener the StandardAuthorizer enforces ACLs for everyone but the
// super users.

// PlainUsersFile is the name, in the instance's data dir, of the PLAIN users file every broker reads.
const PlainUsersFile = "plain-users.properties"

var listenerName = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// validListeners checks the spec's client listeners: distinct names and ports, known protocols,
// no clash with the engine's own listeners, and TLS material for SASL_SSL.
func validListeners(spec engine.Spec) error {
	names, ports := map[string]bool{"INTERNAL": true, "CONTROLLER": true}, map[int]bool{engine.PortInternal: true, engine.PortController: true}
	for _, l := range spec.ClientListeners() {
		if !listenerName.MatchString(l.Name) || names[l.Name] {
			return fmt.Errorf("local engine: listener name %q is invalid or used twice", l.Name)
		}
		if l.Port <= 0 || l.Port > 65535 || ports[l.Port] {
			return fmt.Errorf("local engine: listener %s: port %d is invalid or used twice", l.Name, l.Port)
		}
		names[l.Name], ports[l.Port] = true, true
		switch l.Protocol {
		case engine.ProtocolPlaintext, engine.ProtocolSASLPlaintext:
		case engine.ProtocolSASLSSL:
			if err := hasTLS(spec, "listener "+l.Name+" is SASL_SSL"); err != nil {
				return err
			}
		default:
			return fmt.Errorf("local engine: listener %s: unknown protocol %q", l.Name, l.Protocol)
		}
	}
	if spec.InternalTLS {
		if err := hasTLS(spec, "the internal listeners are TLS"); err != nil {
			return err
		}
	}
	if spec.SASL() {
		if len(spec.Security.Mechanisms) == 0 {
			return fmt.Errorf("local engine: SASL listeners need at least one mechanism")
		}
		for _, m := range spec.Security.Mechanisms {
			if m != engine.MechanismPLAIN && m != engine.MechanismSCRAMSHA512 {
				return fmt.Errorf("local engine: unsupported SASL mechanism %q", m)
			}
		}
		for _, u := range spec.Security.SuperUsers {
			if u == "" || strings.ContainsAny(u, ";,= \t\n") {
				return fmt.Errorf("local engine: super user name %q is invalid", u)
			}
		}
	}
	return nil
}

// hasTLS checks that spec has the CA and every broker's keystore.
func hasTLS(spec engine.Spec, why string) error {
	if spec.Security.TLS == nil || len(spec.Security.TLS.CACertPEM) == 0 {
		return fmt.Errorf("local engine: %s but the spec has no TLS material", why)
	}
	for _, b := range spec.Brokers {
		if len(spec.Security.TLS.Keystores[b.ID]) == 0 {
			return fmt.Errorf("local engine: %s but broker %d has no keystore", why, b.ID)
		}
	}
	return nil
}

// listenerProps are the listener and security entries of broker b's server.properties. dir is
// the broker's directory (TLS files), dataDir the instance's (the PLAIN users file).
func listenerProps(spec engine.Spec, b engine.Broker, dir, dataDir string) []kv {
	hp := func(port int) string { return net.JoinHostPort(b.Host, strconv.Itoa(port)) }
	var listeners, advertised []string
	internal := "PLAINTEXT"
	if spec.InternalTLS {
		internal = "SSL"
	}
	protocols := []string{"CONTROLLER:" + internal, "INTERNAL:" + internal}
	for _, l := range spec.ClientListeners() {
		listeners = append(listeners, l.Name+"://"+hp(l.Port))
		advertised = append(advertised, l.Name+"://"+hp(l.Port))
		protocols = append(protocols, l.Name+":"+l.Protocol)
	}
	listeners = append(listeners, "INTERNAL://"+hp(engine.PortInternal))
	if !b.BrokerOnly {
		// A broker-only node reaches the controllers as a client (controller.listener.names and the
		// protocol map below) and listens on no controller port of its own.
		listeners = append(listeners, "CONTROLLER://"+hp(engine.PortController))
	}
	advertised = append(advertised, "INTERNAL://"+hp(engine.PortInternal))
	props := []kv{
		{"controller.listener.names", "CONTROLLER"},
		{"listeners", strings.Join(listeners, ",")},
		{"advertised.listeners", strings.Join(advertised, ",")},
		{"inter.broker.listener.name", "INTERNAL"},
		{"listener.security.protocol.map", strings.Join(protocols, ",")},
	}
	if spec.InternalTLS {
		// Mutual TLS both ways: these listener-prefixed settings serve the broker's server side and
		// its client side (replication, controller connections, the Raft quorum).
		for _, l := range []string{"internal", "controller"} {
			p := "listener.name." + l + "."
			props = append(props,
				kv{p + "ssl.keystore.type", "PEM"},
				kv{p + "ssl.keystore.location", filepath.Join(dir, "tls", "keystore.pem")},
				kv{p + "ssl.truststore.type", "PEM"},
				kv{p + "ssl.truststore.location", filepath.Join(dir, "tls", "ca.pem")},
				kv{p + "ssl.client.auth", "required"},
			)
		}
	}
	var supers []string
	// Without TLS the brokers and dmsd reach each other as User:ANONYMOUS, and plaintext clients
	// are anonymous too: DMS's plaintext access has every right.
	plaintext := slices.ContainsFunc(spec.ClientListeners(), func(l engine.Listener) bool { return l.Protocol == engine.ProtocolPlaintext })
	if !spec.InternalTLS || plaintext {
		supers = append(supers, "User:ANONYMOUS")
	}
	if spec.InternalTLS {
		// The Connect workers (Smart Connect, connect.go) reach the instance as a super user of
		// their own on the INTERNAL listener: SASL users and ACLs on client listeners are unaffected.
		supers = append(supers, engine.CertPrincipal(engine.BrokerCertName), engine.CertPrincipal(engine.ControlCertName), engine.CertPrincipal(engine.ConnectCertName))
	}
	for _, u := range spec.Security.SuperUsers {
		supers = append(supers, "User:"+u)
	}
	// Every broker runs the StandardAuthorizer with OpenDMS's produce gate (kafka/plainauth:
	// ProduceGateAuthorizer; SetProduceReject), PLAINTEXT-only clusters too: there everyone is
	// ANONYMOUS, a super user, so the authorizer allows all as before, except produce requests while
	// the gate is closed (which no ACL and no super user gets past).
	props = append(props,
		kv{"authorizer.class.name", plainauth.GateAuthorizerClass},
		kv{plainauth.GateFileConfig, filepath.Join(dataDir, ProduceGateFile)},
		kv{"super.users", strings.Join(supers, ";")},
	)
	if !spec.SASL() {
		return append(props, kv{"allow.everyone.if.no.acl.found", "true"})
	}
	props = append(props,
		// DMS's static config of that name (default true: a resource nobody has ACLs on is open to
		// every authenticated user) overrides this through Spec.BrokerConfigs.
		kv{"allow.everyone.if.no.acl.found", "false"},
	)
	mechs := strings.Join(spec.Security.Mechanisms, ",")
	for _, l := range spec.ClientListeners() {
		if l.Protocol == engine.ProtocolPlaintext {
			continue
		}
		p := "listener.name." + strings.ToLower(l.Name) + "."
		props = append(props, kv{p + "sasl.enabled.mechanisms", mechs})
		// Each mechanism of a listener needs its own JAAS entry when a listener has several.
		if slices.Contains(spec.Security.Mechanisms, engine.MechanismSCRAMSHA512) {
			props = append(props, kv{p + "scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;"})
		}
		if slices.Contains(spec.Security.Mechanisms, engine.MechanismPLAIN) {
			props = append(props,
				// The handler (kafka/plainauth, a jar beside Kafka's) checks logins against the users file.
				kv{p + "plain.sasl.jaas.config", plainauth.JAASConfig(filepath.Join(dataDir, PlainUsersFile))},
				kv{p + "plain.sasl.server.callback.handler.class", plainauth.HandlerClass},
			)
		}
		if l.Protocol == engine.ProtocolSASLSSL {
			props = append(props,
				kv{p + "ssl.keystore.type", "PEM"},
				kv{p + "ssl.keystore.location", filepath.Join(dir, "tls", "keystore.pem")},
				kv{p + "ssl.truststore.type", "PEM"},
				kv{p + "ssl.truststore.location", filepath.Join(dir, "tls", "ca.pem")},
			)
		}
	}
	return props
}

// writeSecurityFiles writes broker b's TLS files (0600: the key) and creates the instance's PLAIN
// users file empty if it does not exist yet (the handler refuses every login until users are set).
func writeSecurityFiles(spec engine.Spec, b engine.Broker, dir string) error {
	if !spec.SASL() && !spec.InternalTLS {
		return nil
	}
	if tls := spec.Security.TLS; tls != nil && len(tls.Keystores[b.ID]) > 0 {
		tdir := filepath.Join(dir, "tls")
		if err := os.MkdirAll(tdir, 0o700); err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(tdir, "keystore.pem"), tls.Keystores[b.ID], 0o600); err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(tdir, "ca.pem"), tls.CACertPEM, 0o644); err != nil {
			return err
		}
	}
	if spec.SASL() && slices.Contains(spec.Security.Mechanisms, engine.MechanismPLAIN) {
		f, err := os.OpenFile(filepath.Join(spec.DataDir, PlainUsersFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			return f.Close()
		}
		if !os.IsExist(err) {
			return err
		}
	}
	return nil
}

// SetPlainUsers replaces the instance's PLAIN users file (one file in the instance's data dir, which
// every broker's handler reads and reloads when it changes), atomically and readable by dmsd's user
// only.
func (e *Engine) SetPlainUsers(ctx context.Context, spec engine.Spec, content []byte) error {
	spec, err := normalize(spec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(spec.DataDir, 0o700); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(spec.DataDir, PlainUsersFile), content, 0o600)
}
