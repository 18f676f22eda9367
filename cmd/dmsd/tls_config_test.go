package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	kafka "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/iam"
)

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and its key.
func writeSelfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "opendms-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certPath, keyPath
}

// HTTPS with a config file that overrides the region and the AZ catalog: the official SDK, told to
// skip verification of the self-signed certificate, sees the configured zones.
func TestHTTPSAndConfigFile(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := writeSelfSigned(t, t.TempDir())
	cfgPath := filepath.Join(t.TempDir(), "dmsd.yaml")
	os.WriteFile(cfgPath, []byte(`region: eu-west-101
catalog:
  available_zones:
    - {code: eu-west-101a, name: Zone-A}
    - {code: eu-west-101b, name: Zone-B}
    - {code: eu-west-101c, name: Zone-C}
    - {code: eu-west-101d, name: Zone-D}
`), 0o600)
	p := startDmsdWith(t, dir, []string{"--tls-cert", certPath, "--tls-key", keyPath, "--config", cfgPath}, true)
	creds, err := iam.ReadCredentials(filepath.Join(dir, "admin-credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	if creds.Endpoint != p.url() || creds.ProjectName != "eu-west-101" {
		t.Fatalf("credentials endpoint %q project %q, want %q eu-west-101", creds.Endpoint, creds.ProjectName, p.url())
	}
	cred, _ := basic.NewCredentialsBuilder().WithAk(creds.AccessKey).WithSk(creds.SecretKey).WithProjectId(creds.ProjectID).SafeBuild()
	hc, err := kafka.KafkaClientBuilder().WithEndpoints([]string{p.url()}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithIgnoreSSLVerification(true).WithUserAgent("opendms-test")).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := kafka.NewKafkaClient(hc).ListAvailableZones(&model.ListAvailableZonesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.RegionId == nil || *resp.RegionId != "eu-west-101" || resp.AvailableZones == nil || len(*resp.AvailableZones) != 4 {
		t.Fatalf("zones over HTTPS: %+v", resp)
	}
	if code := (*resp.AvailableZones)[3].Code; code == nil || *code != "eu-west-101d" {
		t.Fatalf("fourth zone %v", code)
	}
	// Plain HTTP to the TLS port is refused rather than served.
	if r, err := insecureClient().Get("http://" + p.addr + "/healthz"); err == nil && r.StatusCode == 200 {
		t.Fatal("plain HTTP served on the HTTPS listener")
	}
	p.stop(t)
}

func TestConfigPrecedence(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfgPath, []byte("listen: 127.0.0.1:1111\nregion: from-file\ndata_dir: /from/file\n"), 0o600)
	t.Setenv("DMS_REGION", "from-env")
	t.Setenv("DMS_DATA_DIR", "/from/env")
	cmd := newRootCmd()
	if err := cmd.ParseFlags([]string{"--data-dir", "/from/flag"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := resolveConfig(cmd.Flags(), cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:1111" || cfg.Region != "from-env" || cfg.DataDir != "/from/flag" || cfg.Engine != "auto" {
		t.Fatalf("precedence wrong: %+v", cfg)
	}
	os.WriteFile(cfgPath, []byte("engine: quantum\n"), 0o600)
	if _, err := resolveConfig(newRootCmd().Flags(), cfgPath); err == nil {
		t.Fatal("invalid engine accepted")
	}
	os.WriteFile(cfgPath, []byte("no_such_key: 1\n"), 0o600)
	if _, err := resolveConfig(newRootCmd().Flags(), cfgPath); err == nil {
		t.Fatal("unknown config key accepted")
	}
}
