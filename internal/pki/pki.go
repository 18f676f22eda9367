// Package pki is the certificate authority of one Kafka instance.
//
// Every instance gets its own CA so that a client which trusts one instance's
// brokers trusts nothing else, and so that deleting an instance retires its
// trust anchor with it. The CA signs the brokers' server certificates; clients
// download the CA certificate (CertPEM) and put it in their truststore.
//
// The output formats are the ones Kafka's PEM stores read (kafka-runtime.md
// 2.6, DefaultSslEngineFactory.PemStore): the keystore is ONE file holding an
// unencrypted PKCS#8 "PRIVATE KEY" block followed by the certificate chain,
// and the truststore is the CA certificate alone. Kafka forbids a keystore
// password with PEM, so the keystore file must be protected by file
// permissions, not by encryption.
//
// Keys are ECDSA P-256: PemStore tries RSA, DSA and EC key factories on a
// PKCS#8 key, and the optional Java test (TestKafkaAcceptsPEM) proves that
// Kafka 4.3's own DefaultSslEngineFactory loads these files and serves TLS with
// them. P-256 keys are small and fast to generate, which matters because a
// fresh broker key is made on every issue.
//
// This package only produces bytes; storing them (and encrypting the CA key at
// rest) is the caller's job.
package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// PEM block types. "PRIVATE KEY" (PKCS#8) is the only private key form
// Kafka's PemStore parses: it matches "RSA PRIVATE KEY" too, but cannot
// decode PKCS#1.
const (
	blockCertificate = "CERTIFICATE"
	blockPrivateKey  = "PRIVATE KEY"
)

// clockSkew backdates NotBefore so that a certificate issued now is already
// valid on a client or broker whose clock runs a little behind ours.
const clockSkew = time.Minute

// CA is an instance's certificate authority: its self-signed certificate and
// the private key that signs broker certificates. A CA is immutable and safe
// for concurrent use.
type CA struct {
	cert    *x509.Certificate
	certDER []byte
	key     crypto.Signer
}

// NewCA creates a self-signed CA whose certificate is valid for validity from
// now (backdated by a minute for clock skew). commonName names it in the
// subject, e.g. "OpenDMS instance <id> CA", so that a user who inspects a
// broker's chain can tell which instance it belongs to.
func NewCA(commonName string, validity time.Duration) (*CA, error) {
	if strings.TrimSpace(commonName) == "" {
		return nil, errors.New("pki: CA common name is empty")
	}
	if validity <= 0 {
		return nil, fmt.Errorf("pki: CA validity must be positive, got %v", validity)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generate CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"OpenDMS"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		// MaxPathLenZero: this CA signs leaves only, never intermediates, so
		// a stolen broker key can never be turned into a signing CA.
		MaxPathLen:     0,
		MaxPathLenZero: true,
		KeyUsage:       x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: self-sign CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse new CA certificate: %w", err)
	}
	return &CA{cert: cert, certDER: der, key: key}, nil
}

// LoadCA rebuilds a CA from the two PEM blocks MarshalPEM produced, e.g.
// after a control-plane restart. It checks that the certificate is a CA that
// may sign certificates and that the key is the one the certificate was made
// for, so a mix-up between two instances' stored CAs fails here rather than
// as a TLS error on some client later.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	certDER, err := singleBlock(certPEM, blockCertificate)
	if err != nil {
		return nil, fmt.Errorf("pki: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("pki: CA certificate: %w", err)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return nil, errors.New("pki: CA certificate: not a CA (basic constraints CA:FALSE)")
	}
	if cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, errors.New("pki: CA certificate: key usage lacks certSign")
	}
	keyDER, err := singleBlock(keyPEM, blockPrivateKey)
	if err != nil {
		return nil, fmt.Errorf("pki: CA key: %w", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("pki: CA key: %w", err)
	}
	key, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("pki: CA key: %T cannot sign", parsed)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := key.Public().(equaler)
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, errors.New("pki: CA key does not match the CA certificate")
	}
	return &CA{cert: cert, certDER: certDER, key: key}, nil
}

// MarshalPEM returns the CA certificate and its private key as PEM, for the
// control plane to store. The key is unencrypted PKCS#8: the caller encrypts
// it before it touches disk.
func (ca *CA) MarshalPEM() (certPEM, keyPEM []byte, err error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: marshal CA key: %w", err)
	}
	return ca.CertPEM(), pem.EncodeToMemory(&pem.Block{Type: blockPrivateKey, Bytes: keyDER}), nil
}

// CertPEM returns the CA certificate as PEM: what clients download to verify
// the brokers, and what the broker's truststore file holds.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: blockCertificate, Bytes: ca.certDER})
}

// Fingerprint returns the SHA-256 of the CA certificate's DER as upper-case
// hex bytes joined by colons, the form openssl and keytool print, so a user
// can compare it with what their tools show.
func (ca *CA) Fingerprint() string {
	sum := sha256.Sum256(ca.certDER)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// NotAfter returns when the CA certificate expires, so the control plane can
// rotate it before brokers and clients stop trusting it.
func (ca *CA) NotAfter() time.Time { return ca.cert.NotAfter }

// IssueServer issues a broker certificate for the given addresses and returns
// Kafka's PEM keystore file: the new unencrypted PKCS#8 private key, then the
// leaf certificate, then the CA certificate. The chain includes the CA so a
// client that only pins the CA can still build the path from what the broker
// sends.
//
// hostIPs become IP SANs and dnsNames DNS SANs; clients that connect by IP
// (the common case for a self-hosted server) verify against the IP SANs, so
// every address a broker is advertised on must be listed. At least one is
// required. The leaf carries both serverAuth and clientAuth so the same
// certificate can later serve inter-broker TLS, where a broker is a client.
//
// Each call makes a fresh key, so reissuing (new address, renewal) never
// reuses key material. The leaf's NotAfter is capped at the CA's: it could not
// be verified past that anyway, and capping keeps the date it shows honest.
func (ca *CA) IssueServer(hostIPs []net.IP, dnsNames []string, validity time.Duration) (keystorePEM []byte, err error) {
	if len(hostIPs) == 0 && len(dnsNames) == 0 {
		return nil, errors.New("pki: server certificate needs at least one IP address or DNS name")
	}
	if validity <= 0 {
		return nil, fmt.Errorf("pki: server certificate validity must be positive, got %v", validity)
	}
	for i, ip := range hostIPs {
		if len(ip) != net.IPv4len && len(ip) != net.IPv6len {
			return nil, fmt.Errorf("pki: server certificate IP #%d is not an IP address", i)
		}
	}
	for i, name := range dnsNames {
		if strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("pki: server certificate DNS name #%d is empty", i)
		}
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generate server key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	notAfter := now.Add(validity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	// The CN is informational only (verifiers use the SANs), but tools show
	// it, so it names the first address.
	cn := ""
	if len(dnsNames) > 0 {
		cn = dnsNames[0]
	} else {
		cn = hostIPs[0].String()
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"OpenDMS"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		IsCA:                  false,
		// ECDSA keys only sign in TLS (no RSA key transport), so
		// digitalSignature is the whole key usage.
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: hostIPs,
		DNSNames:    dnsNames,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("pki: sign server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal server key: %w", err)
	}

	var buf bytes.Buffer
	for _, b := range []*pem.Block{
		{Type: blockPrivateKey, Bytes: keyDER},
		{Type: blockCertificate, Bytes: leafDER},
		{Type: blockCertificate, Bytes: ca.certDER},
	} {
		if err := pem.Encode(&buf, b); err != nil {
			return nil, fmt.Errorf("pki: encode keystore: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// newSerial returns a random positive 128-bit serial number. Random serials
// (RFC 5280 allows up to 20 octets) make two certificates from one CA
// distinguishable without keeping a counter anywhere.
func newSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("pki: serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// singleBlock decodes data as exactly one PEM block of type want, refusing
// trailing data so that a file with two certificates or a key pasted after a
// certificate is an error rather than silently half-read.
func singleBlock(data []byte, want string) ([]byte, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no PEM %q block found", want)
	}
	if block.Type != want {
		return nil, fmt.Errorf("PEM block is %q, want %q", block.Type, want)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("unexpected data after the %q block", want)
	}
	return block.Bytes, nil
}
