package instances

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/iam"
)

// The brokers' configuration names the internal principals by the subjects of the certificates
// the instance's CA issues: they must agree, or the brokers cannot even form their quorum.
func TestInternalCertificatesMatchThePrincipals(t *testing.T) {
	sealer, err := iam.NewSealer(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{sealer: sealer}
	in := dms.Instance{ID: "i1", InternalTLS: true, Brokers: []dms.BrokerAddr{{ID: 0, Host: "127.0.0.1"}}}
	if err := s.newCA(&in); err != nil {
		t.Fatal(err)
	}
	cfg, err := s.controlTLS(in)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := "User:"+leaf.Subject.String(), engine.CertPrincipal(engine.ControlCertName); got != want {
		t.Errorf("dmsd's certificate is %s, the brokers' super user %s", got, want)
	}
	spec, err := s.withTLS(in, engine.Spec{Brokers: []engine.Broker{{ID: 0, Host: "127.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pemBlocks(t, spec.Security.TLS.Keystores[0])[1])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := "User:"+cert.Subject.String(), engine.CertPrincipal(engine.BrokerCertName); got != want {
		t.Errorf("the brokers' certificate is %s, their super user %s", got, want)
	}
}

// pemBlocks returns the DER of every PEM block of data.
func pemBlocks(t *testing.T, data []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		b, rest := pem.Decode(data)
		if b == nil {
			return out
		}
		out = append(out, b.Bytes)
		data = rest
	}
}
