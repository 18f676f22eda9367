package instances

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/pki"
	"github.com/opendms/opendms/internal/scram"
	"github.com/opendms/opendms/internal/store"
)

// The security of an instance's cluster: its access modes become the brokers' client listeners
// (the DMS ports, on each broker's own IP), its access_user the super user, and for SASL_SSL its own
// CA signs the brokers' certificates.

// CA and broker certificate lifetimes. Broker certificates are issued afresh whenever the engine
// writes a broker's files, but a broker reads them only when it starts, and a broker may run for
// years without a restart: an expired certificate would cut inter-broker TLS. They live as long as
// the CA (pki caps them there); renewing the CA is a rolling restart with a new one (not built).
const (
	caValidity     = 10 * 365 * 24 * time.Hour
	brokerValidity = caValidity
)

// listeners are the client listeners of an instance's access modes: plaintext on 9092, SASL on 9093
// (SSL or not), and where public access is on, 9094 and 9095.
func listeners(in dms.Instance) []engine.Listener {
	pp := in.AccessModes()
	var ls []engine.Listener
	add := func(on bool, name string, port int, protocol string) {
		if on {
			ls = append(ls, engine.Listener{Name: name, Port: port, Protocol: protocol})
		}
	}
	add(pp.PrivatePlainEnable, "PLAINTEXT", engine.PortPlaintext, engine.ProtocolPlaintext)
	add(pp.PrivateSASLSSLEnable, "SASL_SSL", engine.PortSASLPrivate, engine.ProtocolSASLSSL)
	add(pp.PrivateSASLPlaintextEnable, "SASL_PLAINTEXT", engine.PortSASLPrivate, engine.ProtocolSASLPlaintext)
	add(pp.PublicPlainEnable, "PUBLIC_PLAINTEXT", engine.PortPublicPlain, engine.ProtocolPlaintext)
	add(pp.PublicSASLSSLEnable, "PUBLIC_SASL_SSL", engine.PortPublicSASL, engine.ProtocolSASLSSL)
	add(pp.PublicSASLPlaintextEnable, "PUBLIC_SASL_PLAINTEXT", engine.PortPublicSASL, engine.ProtocolSASLPlaintext)
	return ls
}

// ClientPort is the port clients reach an instance's brokers on: its first client listener's
// (PLAINTEXT 9092 when plaintext access is on). dmsd itself talks to the brokers on another listener
// (engine.ControlAddrs), whose port the cluster's metadata shows; the API shows this one instead.
func ClientPort(in dms.Instance) int32 {
	if ls := listeners(in); len(ls) > 0 {
		return int32(ls[0].Port)
	}
	return engine.PortPlaintext
}

// needsCA reports whether an instance's brokers need certificates: SASL_SSL access, or TLS on
// the internal listeners.
func needsCA(in dms.Instance) bool {
	if in.InternalTLS {
		return true
	}
	for _, l := range listeners(in) {
		if l.Protocol == engine.ProtocolSASLSSL {
			return true
		}
	}
	return false
}

// security is the engine's view of an instance's SASL settings (without TLS material).
func security(in dms.Instance) engine.Security {
	if !in.SSLEnable && in.PortProtocol == nil {
		return engine.Security{}
	}
	sec := engine.Security{Mechanisms: in.SASLMechanisms}
	if in.AccessUser != "" {
		sec.SuperUsers = []string{in.AccessUser}
	}
	return sec
}

// newCA makes an instance's CA and stores it in the record, its key sealed.
func (s *Service) newCA(in *dms.Instance) error {
	ca, err := pki.NewCA("OpenDMS instance "+in.ID+" CA", caValidity)
	if err != nil {
		return err
	}
	certPEM, keyPEM, err := ca.MarshalPEM()
	if err != nil {
		return err
	}
	in.CACertPEM, in.SealedCAKey = certPEM, s.sealer.Seal(keyPEM)
	return nil
}

// loadCA opens an instance's CA.
func (s *Service) loadCA(in dms.Instance) (*pki.CA, error) {
	if len(in.CACertPEM) == 0 {
		return nil, fmt.Errorf("instance %s needs a CA and has none", in.ID)
	}
	keyPEM, err := s.sealer.Open(in.SealedCAKey)
	if err != nil {
		return nil, fmt.Errorf("instance %s: opening the CA key: %w", in.ID, err)
	}
	return pki.LoadCA(in.CACertPEM, keyPEM)
}

// controlTLS is the TLS configuration of dmsd's own client of an instance with internal TLS: a
// client certificate named ControlCertName from the instance's CA, which alone it trusts.
func (s *Service) controlTLS(in dms.Instance) (*tls.Config, error) {
	if !in.InternalTLS {
		return nil, nil
	}
	ca, err := s.loadCA(in)
	if err != nil {
		return nil, err
	}
	ks, err := ca.IssueServer(nil, []string{engine.ControlCertName}, brokerValidity)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(ks, ks) // the PEM holds the key and the chain: each side takes its blocks
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// engineSpec is the spec the engine writes a broker's files from: spec() with the TLS material.
func (s *Service) engineSpec(in dms.Instance) (engine.Spec, error) { return s.withTLS(in, s.spec(in)) }

// withTLS adds to spec what its SASL_SSL listeners serve: the CA certificate and a fresh keystore
// per broker, with the broker's IP in its certificate.
func (s *Service) withTLS(in dms.Instance, spec engine.Spec) (engine.Spec, error) {
	if !needsCA(in) {
		return spec, nil
	}
	ca, err := s.loadCA(in)
	if err != nil {
		return spec, err
	}
	t := &engine.TLS{CACertPEM: ca.CertPEM(), Keystores: map[int32][]byte{}}
	for _, b := range spec.Brokers {
		// The name is the brokers' principal on the internal listeners (User:CN=opendms-broker).
		ks, err := ca.IssueServer([]net.IP{net.ParseIP(b.Host)}, []string{engine.BrokerCertName}, brokerValidity)
		if err != nil {
			return spec, fmt.Errorf("instance %s: broker %d certificate: %w", in.ID, b.ID, err)
		}
		t.Keystores[b.ID] = ks
	}
	spec.Security.TLS = t
	return spec, nil
}

// secureInternals gives a new instance TLS on its internal listeners where its engine can.
func (s *Service) secureInternals(in *dms.Instance) {
	if e, ok := s.engines[s.engine]; ok {
		in.InternalTLS = e.Capabilities().InternalTLS
	}
}

// checkEngineSecurity refuses a SASL instance on an engine whose clusters cannot enforce it
// (kfake: one security protocol per cluster and no runtime PLAIN users), rather than creating an
// instance that only pretends to be secured.
func (s *Service) checkEngineSecurity(protocol string) error {
	if protocol == "" || protocol == "PLAINTEXT" {
		return nil
	}
	e, ok := s.engines[s.engine]
	if !ok || e.Capabilities().SASL {
		return nil
	}
	return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: the %s engine runs PLAINTEXT instances only; "+
		"SASL_PLAINTEXT and SASL_SSL instances need the local engine (dmsd --engine local, with Java 17+).", s.engine)
}

// ensureAdmin makes sure a SASL instance's administrator has its credential and rights, and is in
// the PLAIN users file: idempotent, so a task retries it and the same request can finish it. A
// user kept from before (SASL disabled and enabled again) keeps its credential.
func (s *Service) ensureAdmin(ctx context.Context, in dms.Instance) error {
	c, err := s.client(in)
	if err != nil {
		return err
	}
	if _, err := s.store.GetKafkaUser(ctx, in.ID, in.AccessUser); !errors.Is(err, store.ErrNotFound) {
		if err != nil {
			return err
		}
		if err := c.ProtectCluster(ctx, in.AccessUser); err != nil {
			return err
		}
		return s.SyncPlainUsers(ctx, in) // users kept from before are valid for PLAIN again
	}
	return s.setupAdmin(ctx, in, c)
}

// setupAdmin gives a SASL instance's access_user its credential: SCRAM-SHA-512 in the cluster, a
// Kafka user record (role admin) and, where PLAIN is enabled, the same credential's stored key in the
// engine's PLAIN users file. The password is unsealed only here, in memory.
func (s *Service) setupAdmin(ctx context.Context, in dms.Instance, c *kafkaops.Client) error {
	if in.AccessUser == "" || len(in.SealedPassword) == 0 {
		return nil
	}
	pw, err := s.sealer.Open(in.SealedPassword)
	if err != nil {
		return err
	}
	cred, err := scram.NewCredential(string(pw), scram.DefaultIterations)
	if err != nil {
		return err
	}
	if err := c.UpsertUser(ctx, in.AccessUser, cred); err != nil {
		return err
	}
	if err := c.ProtectCluster(ctx, in.AccessUser); err != nil {
		return err
	}
	u := dms.KafkaUser{InstanceID: in.ID, Name: in.AccessUser, Role: dms.KafkaUserRoleAdmin, DefaultApp: true, CreatedAt: s.now().UTC(),
		Salt: cred.Salt, Iterations: cred.Iterations, StoredKey: cred.StoredKey}
	// A resumed creation task finds the record already there: the credential is replaced.
	if err := s.store.CreateKafkaUser(ctx, u); errors.Is(err, store.ErrConflict) {
		err = s.store.UpdateKafkaUser(ctx, u)
	} else if err != nil {
		return err
	}
	return s.SyncPlainUsers(ctx, in)
}

// SyncPlainUsers writes the engine's PLAIN users file of an instance from its Kafka user records
// (nothing to do when PLAIN is not enabled). Writes of one instance are serialized.
func (s *Service) SyncPlainUsers(ctx context.Context, in dms.Instance) error {
	if !slices.Contains(in.SASLMechanisms, engine.MechanismPLAIN) {
		return nil
	}
	e, err := s.engineOf(in)
	if err != nil {
		return err
	}
	pu, ok := e.(engine.PlainUsers)
	if !ok {
		return fmt.Errorf("the %s engine cannot take PLAIN users", e.Name())
	}
	defer s.plainLocks.Lock(in.ID)()
	users, err := s.store.ListKafkaUsers(ctx, in.ID)
	if err != nil {
		return err
	}
	creds := make(map[string]scram.Credential, len(users))
	for _, u := range users {
		creds[u.Name] = scram.Credential{Salt: u.Salt, Iterations: u.Iterations, StoredKey: u.StoredKey}
	}
	content, err := scram.PlainUsers(creds)
	if err != nil {
		return err
	}
	return pu.SetPlainUsers(ctx, s.spec(in), content)
}

// CACertificate is the PEM certificate of the CA that signs an instance's brokers: what SASL_SSL
// clients put in their truststore. An instance without SASL_SSL has none (DMS.00404900).
func (s *Service) CACertificate(ctx context.Context, projectID, id string) ([]byte, error) {
	in, err := s.Get(ctx, projectID, id)
	if err != nil {
		return nil, err
	}
	if len(in.CACertPEM) == 0 {
		return nil, dms.Errorf(dms.CodeResourceNotFound, "The instance %s has no SASL_SSL access mode, so no CA certificate.", id)
	}
	return in.CACertPEM, nil
}

// SetSealedPassword replaces the instance password (sealed): its administrator's new password,
// kept for what needs it in clear later (the PLAIN file is written from stored keys, not from it).
func (s *Service) SetSealedPassword(ctx context.Context, id string, sealed []byte) (dms.Instance, error) {
	return s.update(ctx, id, func(in *dms.Instance) error {
		in.SealedPassword = sealed
		return nil
	})
}
