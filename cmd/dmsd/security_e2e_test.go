package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/opendms/opendms/client"
)

const (
	e2eAdmin    = "root1"
	e2ePassword = "Passw0rd-e2e!"
)

// saslInstance is the creation request of an instance with plaintext and SASL_SSL private access,
// both mechanisms.
var saslInstance = map[string]any{
	"port_protocol":           map[string]bool{"private_plain_enable": true, "private_sasl_ssl_enable": true},
	"access_user":             e2eAdmin,
	"password":                e2ePassword,
	"sasl_enabled_mechanisms": []string{"PLAIN", "SCRAM-SHA-512"},
}

// saslClient is a franz-go client of the SASL_SSL listeners trusting only the instance's CA.
func saslClient(t *testing.T, seeds []string, ca []byte, m sasl.Mechanism) *kgo.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatalf("the CA certificate does not parse:\n%s", ca)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.SASL(m), kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}),
		kgo.RequestRetries(1), kgo.RetryTimeout(5*time.Second))
	must(t, err)
	t.Cleanup(cl.Close)
	return cl
}

// TestLocalSASL: an instance with plaintext and SASL_SSL access. The administrator connects with
// SCRAM-SHA-512 and with PLAIN over TLS verified against the instance's CA (downloaded from the
// API); a wrong password and an unknown user are refused; plaintext access needs no credentials.
func TestLocalSASL(t *testing.T) {
	e := newE2EWith(t, "local", "127.65", "kafka-sasl-e2e", 4*time.Minute, saslInstance)
	defer func() { e.p.stop(t) }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var show struct {
		SSLEnable     bool `json:"ssl_enable"`
		PortProtocols struct {
			PrivateSASLSSLAddress string `json:"private_sasl_ssl_address"`
			PrivatePlainAddress   string `json:"private_plain_address"`
		} `json:"port_protocols"`
	}
	must(t, call(ctx, e.c, "GET", e.base(), nil, &show))
	saslSeeds := strings.Split(show.PortProtocols.PrivateSASLSSLAddress, ",")
	if !show.SSLEnable || len(saslSeeds) != 3 || !strings.HasSuffix(saslSeeds[0], ":9093") {
		t.Fatalf("show: %+v", show)
	}
	resp, err := e.c.Do(ctx, "GET", "/opendms/v1/{project_id}/instances/"+e.id+"/ca-certificate", nil, nil)
	must(t, err)
	ca := resp.Body

	// The administrator, with each mechanism: creates a topic, produces, consumes.
	scramAdmin := saslClient(t, saslSeeds, ca, scram.Auth{User: e2eAdmin, Pass: e2ePassword}.AsSha512Mechanism())
	if _, err := kadm.NewClient(scramAdmin).CreateTopic(ctx, 3, 3, nil, "sasl-topic"); err != nil {
		t.Fatalf("SCRAM-SHA-512 administrator: create topic: %v", err)
	}
	must(t, scramAdmin.ProduceSync(ctx, &kgo.Record{Topic: "sasl-topic", Value: []byte("scram")}).FirstErr())
	plainAdmin := saslClient(t, saslSeeds, ca, plain.Auth{User: e2eAdmin, Pass: e2ePassword}.AsMechanism())
	must(t, plainAdmin.ProduceSync(ctx, &kgo.Record{Topic: "sasl-topic", Value: []byte("plain")}).FirstErr())

	// Refused: a wrong password (each mechanism) and an unknown user.
	for name, m := range map[string]sasl.Mechanism{
		"SCRAM wrong password": scram.Auth{User: e2eAdmin, Pass: "wrong-Passw0rd"}.AsSha512Mechanism(),
		"PLAIN wrong password": plain.Auth{User: e2eAdmin, Pass: "wrong-Passw0rd"}.AsMechanism(),
		"SCRAM unknown user":   scram.Auth{User: "nobody", Pass: e2ePassword}.AsSha512Mechanism(),
		"PLAIN unknown user":   plain.Auth{User: "nobody", Pass: e2ePassword}.AsMechanism(),
	} {
		cl := saslClient(t, saslSeeds, ca, m)
		pctx, pcancel := context.WithTimeout(ctx, 20*time.Second)
		err := cl.Ping(pctx)
		pcancel()
		if err == nil || !isAuthFailure(err) {
			t.Errorf("%s: ping = %v, want an authentication failure", name, err)
		} else {
			t.Logf("%s: refused: %v", name, err)
		}
	}
	// A client that does not trust the instance's CA fails the TLS handshake.
	other, err := kgo.NewClient(kgo.SeedBrokers(saslSeeds...), kgo.SASL(scram.Auth{User: e2eAdmin, Pass: e2ePassword}.AsSha512Mechanism()),
		kgo.DialTLSConfig(&tls.Config{RootCAs: x509.NewCertPool()}), kgo.RequestRetries(0))
	must(t, err)
	defer other.Close()
	pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
	if err := other.Ping(pctx); err == nil {
		t.Error("a client that does not trust the CA connected")
	}
	pcancel()

	// Plaintext access: no credentials, every right (DMS's plaintext semantics).
	if got := consumeAll(t, strings.Split(show.PortProtocols.PrivatePlainAddress, ","), "sasl-topic", 2); got != 2 {
		t.Errorf("plaintext consumer read %d of 2 records", got)
	}

	// dmsd's own listener (INTERNAL, 9090) is mutual TLS: neither an anonymous plaintext client nor a
	// TLS client without the instance's client certificate gets in.
	internal := make([]string, len(saslSeeds))
	for i, s := range saslSeeds {
		internal[i] = strings.TrimSuffix(s, ":9093") + ":9090"
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	for name, opts := range map[string][]kgo.Opt{
		"plaintext":                        nil,
		"TLS without a client certificate": {kgo.DialTLSConfig(&tls.Config{RootCAs: pool})},
	} {
		cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(internal...), kgo.RequestRetries(0)}, opts...)...)
		must(t, err)
		pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = kadm.NewClient(cl).ListTopics(pctx)
		pcancel()
		cl.Close()
		if err == nil {
			t.Errorf("a %s client listed the topics on the internal listener", name)
		} else {
			t.Logf("internal listener, %s client: refused: %v", name, err)
		}
	}

	// The cluster's brokers are shown at the clients' port, not at dmsd's own listener.
	var cluster struct {
		Cluster struct {
			Brokers []struct {
				Port int `json:"port"`
			} `json:"brokers"`
		} `json:"cluster"`
	}
	must(t, call(ctx, e.c, "GET", e.base()+"/management/cluster", nil, &cluster))
	if len(cluster.Cluster.Brokers) != 3 || cluster.Cluster.Brokers[0].Port != 9092 {
		t.Errorf("cluster brokers: %+v", cluster.Cluster.Brokers)
	}

	// The password is nowhere: not in dmsd's log, the brokers' files and logs, nor the API's answers.
	resp, err = e.c.Do(ctx, "GET", e.base(), nil, nil)
	must(t, err)
	if strings.Contains(string(resp.Body), e2ePassword) {
		t.Error("the instance password is in the show-instance response")
	}
	if strings.Contains(e.p.log.String(), e2ePassword) {
		t.Error("the instance password is in dmsd's log")
	}
	filepath.WalkDir(e.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".log.gz") {
			return nil
		}
		if st, err := d.Info(); err == nil && st.Size() < 64<<20 {
			if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte(e2ePassword)) {
				t.Errorf("the instance password is in %s", path)
			}
		}
		return nil
	})
}

// isAuthFailure reports whether err is a SASL authentication failure (or the broker closing the
// connection during the handshake, which is how it refuses a bad PLAIN login on some versions).
func isAuthFailure(err error) bool {
	var ne net.Error
	return strings.Contains(err.Error(), "SASL_AUTHENTICATION_FAILED") || strings.Contains(err.Error(), "uthentication failed") ||
		errors.As(err, &ne) || strings.Contains(err.Error(), "EOF")
}

// TestEmbeddedSASLRefused: the embedded engine cannot enforce SASL, so such an instance is refused
// with a clear error instead of being created unsecured.
func TestEmbeddedSASLRefused(t *testing.T) {
	e := &e2eEnv{dir: t.TempDir(), args: []string{"--engine", "embedded"}}
	e.start(t)
	defer e.p.stop(t)
	c := e.c
	var zones struct {
		AvailableZones []struct {
			ID string `json:"id"`
		} `json:"available_zones"`
	}
	ctx := context.Background()
	must(t, call(ctx, c, "GET", "/v2/available-zones", nil, &zones))
	body := map[string]any{
		"name": "sasl-on-kfake", "engine": "kafka", "engine_version": "3.x", "broker_num": 3, "storage_space": 300,
		"product_id": "c6.2u4g.cluster", "vpc_id": "v", "security_group_id": "s", "subnet_id": "n",
		"available_zones": []string{zones.AvailableZones[0].ID}, "storage_spec_code": "dms.physical.storage.ultra.v2",
	}
	for k, v := range saslInstance {
		body[k] = v
	}
	err := call(ctx, c, "POST", "/v2/kafka/{project_id}/instances", body, nil)
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || !strings.Contains(apiErr.Message, "local engine") {
		t.Fatalf("SASL instance on the embedded engine: %v", err)
	}
}
