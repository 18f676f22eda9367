package pki

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendms/opendms/kafka"
)

// keystore is an IssueServer result taken apart.
type keystore struct {
	keyDER []byte
	leaf   *x509.Certificate
	ca     *x509.Certificate
	// certPEM is the certificate blocks only and keyPEM the key block, the
	// two halves tls.X509KeyPair wants.
	certPEM, keyPEM []byte
}

// parseKeystore checks the layout Kafka's PemStore expects: exactly a
// "PRIVATE KEY" block, then the leaf, then the CA certificate.
func parseKeystore(t *testing.T, data []byte) keystore {
	t.Helper()
	var blocks []*pem.Block
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			if len(bytes.TrimSpace(rest)) != 0 {
				t.Fatalf("keystore has trailing non-PEM data: %q", rest)
			}
			break
		}
		blocks = append(blocks, b)
	}
	want := []string{"PRIVATE KEY", "CERTIFICATE", "CERTIFICATE"}
	if len(blocks) != len(want) {
		t.Fatalf("keystore has %d PEM blocks, want %d (%v)", len(blocks), len(want), want)
	}
	for i, b := range blocks {
		if b.Type != want[i] {
			t.Fatalf("keystore block %d is %q, want %q", i, b.Type, want[i])
		}
		if len(b.Headers) != 0 {
			t.Fatalf("keystore block %d has headers %v (an encrypted key?)", i, b.Headers)
		}
	}
	var ks keystore
	ks.keyDER = blocks[0].Bytes
	var err error
	if ks.leaf, err = x509.ParseCertificate(blocks[1].Bytes); err != nil {
		t.Fatalf("leaf: %v", err)
	}
	if ks.ca, err = x509.ParseCertificate(blocks[2].Bytes); err != nil {
		t.Fatalf("chain CA: %v", err)
	}
	ks.keyPEM = pem.EncodeToMemory(blocks[0])
	ks.certPEM = append(pem.EncodeToMemory(blocks[1]), pem.EncodeToMemory(blocks[2])...)
	return ks
}

// caPool is a pool holding only the given PEM certificate.
func caPool(t *testing.T, certPEM []byte) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("CA PEM did not parse into a pool")
	}
	return pool
}

func mustCA(t *testing.T) *CA {
	t.Helper()
	ca, err := NewCA("OpenDMS instance test CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func ips(ss ...string) []net.IP {
	out := make([]net.IP, len(ss))
	for i, s := range ss {
		out[i] = net.ParseIP(s)
	}
	return out
}

func TestNewCA(t *testing.T) {
	before := time.Now()
	ca := mustCA(t)
	c := ca.cert
	if !c.IsCA || !c.BasicConstraintsValid {
		t.Error("not a CA")
	}
	if c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("key usage %v", c.KeyUsage)
	}
	if c.Subject.CommonName != "OpenDMS instance test CA" || c.Issuer.CommonName != c.Subject.CommonName {
		t.Errorf("subject %q issuer %q", c.Subject, c.Issuer)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("public key is %T, want ECDSA", c.PublicKey)
	}
	if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 {
		t.Errorf("serial %v", c.SerialNumber)
	}
	if !c.NotBefore.Before(before.Add(-30 * time.Second)) {
		t.Errorf("NotBefore %v is not backdated for clock skew", c.NotBefore)
	}
	if got := ca.NotAfter(); got.Before(before.Add(24*time.Hour-time.Second)) || got.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("NotAfter %v, want now+24h", got)
	}
	fp := ca.Fingerprint()
	if len(fp) != 32*3-1 || strings.Count(fp, ":") != 31 {
		t.Errorf("fingerprint %q", fp)
	}
	if other := mustCA(t); other.Fingerprint() == fp || other.cert.SerialNumber.Cmp(c.SerialNumber) == 0 {
		t.Error("two CAs share a fingerprint or serial")
	}
}

func TestNewCARejects(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cn       string
		validity time.Duration
		want     string
	}{
		{"empty name", " ", time.Hour, "common name is empty"},
		{"zero validity", "x", 0, "validity must be positive"},
		{"negative validity", "x", -time.Hour, "validity must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCA(tc.cn, tc.validity)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestPEMRoundTrip: a CA stored with MarshalPEM and reloaded with LoadCA is
// the same CA: it issues certificates that verify against the original's
// CertPEM, as after a control-plane restart.
func TestPEMRoundTrip(t *testing.T) {
	orig := mustCA(t)
	certPEM, keyPEM, err := orig.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(certPEM, orig.CertPEM()) {
		t.Error("MarshalPEM's certificate differs from CertPEM")
	}
	if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "PRIVATE KEY" {
		t.Fatalf("key PEM is not a PKCS#8 PRIVATE KEY block: %s", keyPEM)
	}
	loaded, err := LoadCA(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Fingerprint() != orig.Fingerprint() {
		t.Error("fingerprint changed across the round trip")
	}
	ksPEM, err := loaded.IssueServer(ips("10.0.0.7"), nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ks := parseKeystore(t, ksPEM)
	if _, err := ks.leaf.Verify(x509.VerifyOptions{
		Roots: caPool(t, orig.CertPEM()), DNSName: "10.0.0.7",
	}); err != nil {
		t.Fatalf("cert from reloaded CA does not verify against the original CA: %v", err)
	}
}

func TestLoadCARejects(t *testing.T) {
	a, b := mustCA(t), mustCA(t)
	aCert, aKey, err := a.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	_, bKey, err := b.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	ks, err := a.IssueServer(ips("127.0.0.1"), nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaf := parseKeystore(t, ks)
	leafCertPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.leaf.Raw})
	ecKeyDER, err := x509.MarshalECPrivateKey(a.key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	sec1Key := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecKeyDER})

	for _, tc := range []struct {
		name      string
		cert, key []byte
		want      string
	}{
		{"garbage cert", []byte("not a pem"), aKey, "no PEM \"CERTIFICATE\" block"},
		{"empty key", aCert, nil, "no PEM \"PRIVATE KEY\" block"},
		{"key in cert slot", aKey, aKey, "is \"PRIVATE KEY\", want \"CERTIFICATE\""},
		{"corrupt cert DER", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}), aKey, "CA certificate"},
		{"corrupt key DER", aCert, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("junk")}), "CA key"},
		{"two certs", append(append([]byte{}, aCert...), aCert...), aKey, "unexpected data after"},
		{"SEC1 key", aCert, sec1Key, "is \"EC PRIVATE KEY\", want \"PRIVATE KEY\""},
		{"mismatched key", aCert, bKey, "CA key does not match the CA certificate"},
		{"leaf as CA", leafCertPEM, aKey, "not a CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCA(tc.cert, tc.key)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestIssueServer: the keystore has Kafka's layout, the key is PKCS#8 and
// belongs to the leaf, and the leaf verifies, for each of its addresses,
// against a pool holding only the CA, and for nothing else.
func TestIssueServer(t *testing.T) {
	ca := mustCA(t)
	for _, tc := range []struct {
		name    string
		ips     []net.IP
		names   []string
		good    []string
		bad     []string
		wantCN  string
		leafTTL time.Duration
	}{
		{
			name: "one IPv4", ips: ips("127.0.0.1"),
			good: []string{"127.0.0.1"}, bad: []string{"127.0.0.2", "localhost"},
			wantCN: "127.0.0.1", leafTTL: time.Hour,
		},
		{
			name: "IPs and names", ips: ips("192.0.2.10", "2001:db8::1"), names: []string{"broker-0.example", "localhost"},
			good:   []string{"192.0.2.10", "2001:db8::1", "broker-0.example", "localhost"},
			bad:    []string{"192.0.2.11", "2001:db8::2", "broker-1.example"},
			wantCN: "broker-0.example", leafTTL: time.Hour,
		},
		{
			name: "names only", names: []string{"kafka.internal"},
			good: []string{"kafka.internal"}, bad: []string{"127.0.0.1"},
			wantCN: "kafka.internal", leafTTL: time.Hour,
		},
		{
			// asks for more than the CA's remaining 24 h: capped at the CA's NotAfter
			name: "outlives CA", ips: ips("127.0.0.1"),
			good: []string{"127.0.0.1"}, wantCN: "127.0.0.1", leafTTL: 365 * 24 * time.Hour,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ksPEM, err := ca.IssueServer(tc.ips, tc.names, tc.leafTTL)
			if err != nil {
				t.Fatal(err)
			}
			ks := parseKeystore(t, ksPEM)

			key, err := x509.ParsePKCS8PrivateKey(ks.keyDER)
			if err != nil {
				t.Fatalf("key block is not PKCS#8: %v", err)
			}
			ecKey, ok := key.(*ecdsa.PrivateKey)
			if !ok {
				t.Fatalf("key is %T", key)
			}
			if !ecKey.PublicKey.Equal(ks.leaf.PublicKey) {
				t.Fatal("keystore key does not belong to the leaf")
			}
			if !bytes.Equal(ks.ca.Raw, ca.cert.Raw) {
				t.Fatal("the chain's second certificate is not the CA")
			}

			l := ks.leaf
			if l.IsCA {
				t.Error("leaf is a CA")
			}
			if l.Subject.CommonName != tc.wantCN {
				t.Errorf("CN %q, want %q", l.Subject.CommonName, tc.wantCN)
			}
			if l.KeyUsage != x509.KeyUsageDigitalSignature {
				t.Errorf("key usage %v", l.KeyUsage)
			}
			if len(l.ExtKeyUsage) != 2 || l.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth || l.ExtKeyUsage[1] != x509.ExtKeyUsageClientAuth {
				t.Errorf("ext key usage %v", l.ExtKeyUsage)
			}
			if l.NotAfter.After(ca.NotAfter()) {
				t.Errorf("leaf NotAfter %v outlives the CA's %v", l.NotAfter, ca.NotAfter())
			}
			if tc.leafTTL < 24*time.Hour && l.NotAfter.After(time.Now().Add(tc.leafTTL)) {
				t.Errorf("leaf NotAfter %v beyond the asked %v", l.NotAfter, tc.leafTTL)
			}
			if !l.NotBefore.Before(time.Now().Add(-30 * time.Second)) {
				t.Errorf("leaf NotBefore %v is not backdated", l.NotBefore)
			}

			roots := caPool(t, ca.CertPEM())
			for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
				for _, host := range tc.good {
					if _, err := l.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
						t.Errorf("verify %s (usage %v): %v", host, usage, err)
					}
				}
			}
			for _, host := range tc.bad {
				_, err := l.Verify(x509.VerifyOptions{Roots: roots, DNSName: host})
				var hostErr x509.HostnameError
				if !errors.As(err, &hostErr) {
					t.Errorf("verify %s: err = %v, want a HostnameError", host, err)
				}
			}
			// Another CA's pool does not trust it.
			if _, err := l.Verify(x509.VerifyOptions{Roots: caPool(t, mustCA(t).CertPEM())}); err == nil {
				t.Error("leaf verified against an unrelated CA")
			}
		})
	}
}

func TestIssueServerFreshKeys(t *testing.T) {
	ca := mustCA(t)
	a, err := ca.IssueServer(ips("127.0.0.1"), nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ca.IssueServer(ips("127.0.0.1"), nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ka, kb := parseKeystore(t, a), parseKeystore(t, b)
	if bytes.Equal(ka.keyDER, kb.keyDER) {
		t.Error("two issues share a private key")
	}
	if ka.leaf.SerialNumber.Cmp(kb.leaf.SerialNumber) == 0 {
		t.Error("two issues share a serial")
	}
}

func TestIssueServerRejects(t *testing.T) {
	ca := mustCA(t)
	for _, tc := range []struct {
		name     string
		ips      []net.IP
		names    []string
		validity time.Duration
		want     string
	}{
		{"no addresses", nil, nil, time.Hour, "at least one IP address or DNS name"},
		{"empty slices", []net.IP{}, []string{}, time.Hour, "at least one IP address or DNS name"},
		{"zero validity", ips("127.0.0.1"), nil, 0, "validity must be positive"},
		{"negative validity", ips("127.0.0.1"), nil, -time.Second, "validity must be positive"},
		{"unparsed IP", ips("not-an-ip"), nil, time.Hour, "IP #0 is not an IP address"},
		{"empty name", nil, []string{"ok", ""}, time.Hour, "DNS name #1 is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ca.IssueServer(tc.ips, tc.names, tc.validity)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestTLSHandshake: a Go TLS server using the keystore is trusted by a client
// that knows only the CA certificate and connects by IP, and not by a client
// that trusts another CA.
func TestTLSHandshake(t *testing.T) {
	ca := mustCA(t)
	ksPEM, err := ca.IssueServer(ips("127.0.0.1"), []string{"localhost"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ks := parseKeystore(t, ksPEM)
	pair, err := tls.X509KeyPair(ks.certPEM, ks.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if c.(*tls.Conn).Handshake() == nil {
					_, _ = c.Write([]byte("ok\n"))
				}
			}()
		}
	}()

	for _, tc := range []struct {
		name    string
		roots   []byte
		server  string
		wantErr string
	}{
		{"instance CA, by IP", ca.CertPEM(), "127.0.0.1", ""},
		{"instance CA, by name", ca.CertPEM(), "localhost", ""},
		{"unrelated CA", mustCA(t).CertPEM(), "127.0.0.1", "certificate signed by unknown authority"},
		{"wrong IP", ca.CertPEM(), "127.0.0.2", "valid for 127.0.0.1, not 127.0.0.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &net.Dialer{Timeout: 10 * time.Second}
			conn, err := tls.DialWithDialer(d, "tcp", ln.Addr().String(), &tls.Config{
				RootCAs: caPool(t, tc.roots), ServerName: tc.server, MinVersion: tls.VersionTLS12,
			})
			if tc.wantErr != "" {
				if err == nil {
					conn.Close()
					t.Fatal("handshake succeeded")
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil || line != "ok\n" {
				t.Fatalf("read %q, %v", line, err)
			}
		})
	}
}

// kafkaClasspath is kafka-clients plus slf4j-api (which DefaultSslEngineFactory
// logs through; with no binding SLF4J falls back to a no-op logger) of the
// Kafka version dmsd runs, from $KAFKA_HOME/libs, else from the local engine's
// jar cache (os.UserCacheDir()/opendms/kafka-<v>/libs, see internal/engine/local).
func kafkaClasspath() (string, error) {
	name := "kafka-clients-" + kafka.DefaultVersion + ".jar"
	var dirs []string
	if h := os.Getenv("KAFKA_HOME"); h != "" {
		dirs = append(dirs, filepath.Join(h, "libs"))
	}
	if d, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "opendms", "kafka-"+kafka.DefaultVersion, "libs"))
	}
	for _, dir := range dirs {
		clients := filepath.Join(dir, name)
		if _, err := os.Stat(clients); err != nil {
			continue
		}
		slf4j, _ := filepath.Glob(filepath.Join(dir, "slf4j-api-*.jar"))
		if len(slf4j) == 0 {
			return "", fmt.Errorf("%s has %s but no slf4j-api-*.jar", dir, name)
		}
		return clients + string(os.PathListSeparator) + slf4j[0], nil
	}
	return "", fmt.Errorf("%s not found in %s; start the local engine once so it caches the Kafka jars, or set KAFKA_HOME",
		name, strings.Join(dirs, ", "))
}

// TestKafkaAcceptsPEM runs testdata/KafkaPemCheck.java against Kafka's own
// DefaultSslEngineFactory: Kafka loads the keystore (ssl.keystore.type=PEM)
// and truststore (ssl.truststore.type=PEM) files we write, a Kafka-configured
// Java client verifies the broker certificate by IP with endpoint
// identification on, and a Go client (CA only) verifies the Java server.
// It needs java and the kafka-clients jar: their absence is a failure, not a
// skip (as every real-Kafka test of the project).
func TestKafkaAcceptsPEM(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatalf("java (JDK 11+) is not on PATH; it is needed to check that Kafka accepts the PEM files: %v", err)
	}
	classpath, err := kafkaClasspath()
	if err != nil {
		t.Fatalf("%v", err)
	}
	src, err := filepath.Abs(filepath.Join("testdata", "KafkaPemCheck.java"))
	if err != nil {
		t.Fatal(err)
	}

	ca := mustCA(t)
	ksPEM, err := ca.IssueServer(ips("127.0.0.1"), []string{"localhost"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ksFile, caFile := filepath.Join(dir, "server.pem"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ksFile, ksPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, ca.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, java, "-cp", classpath, src, ksFile, caFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	// The program prints "PORT <n>" once Kafka's factories are configured
	// and the Java client has verified the server.
	sc := bufio.NewScanner(stdout)
	port := ""
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "PORT "); ok {
			port = p
			break
		}
	}
	if port == "" {
		_ = cmd.Wait()
		t.Fatalf("KafkaPemCheck failed before serving:\n%s", stderr.String())
	}

	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", net.JoinHostPort("127.0.0.1", port), &tls.Config{
		RootCAs: caPool(t, ca.CertPEM()), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12,
	})
	if err != nil {
		t.Fatalf("Go client against Kafka-configured Java server: %v\njava stderr:\n%s", err, stderr.String())
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if err != nil || line != "ok\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	_, _ = io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("KafkaPemCheck: %v\n%s", err, stderr.String())
	}
	t.Logf("java: %s", strings.TrimSpace(stderr.String()))
}
