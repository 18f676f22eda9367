package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opendms/opendms/client/clienttest"
)

const caPath = "/opendms/v1/" + testPID + "/instances/" + iid + "/ca-certificate"

// testCA returns a self-signed CA certificate as PEM and its SHA-256 fingerprint, computed here
// independently of dmsctl's.
func testCA(t *testing.T, name string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var pairs []string
	for i := 0; i < len(h); i += 2 {
		pairs = append(pairs, h[i:i+2])
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), strings.Join(pairs, ":")
}

func pemReply(body string) clienttest.Reply {
	return clienttest.Reply{Status: 200, Body: body, Header: map[string]string{"Content-Type": "application/x-pem-file"}}
}

func TestInstanceCert(t *testing.T) {
	ca, fp := testCA(t, "kafka-demo CA")
	if len(fp) != 95 {
		t.Fatalf("fingerprint %q", fp)
	}
	replies := map[string]clienttest.Reply{"GET " + instances: demoInstances, "GET " + caPath: pemReply(ca)}

	t.Run("stdout", func(t *testing.T) {
		r, _ := runCase(t, replies, exitOK, []string{"GET " + caPath}, "instance", "cert", iid)
		if r.stdout != ca || r.stderr != "SHA-256 fingerprint: "+fp+"\n" {
			t.Errorf("stdout =\n%s\nstderr = %q; want the PEM and the fingerprint %s", r.stdout, r.stderr, fp)
		}
	})
	t.Run("-o -, by instance name", func(t *testing.T) {
		r, _ := runCase(t, replies, exitOK, []string{"GET " + byNameList, "GET " + caPath}, "instance", "cert", "kafka-demo", "-o", "-")
		if r.stdout != ca || r.stderr != "SHA-256 fingerprint: "+fp+"\n" {
			t.Errorf("stdout =\n%s\nstderr = %q", r.stdout, r.stderr)
		}
	})
	for _, args := range [][]string{{"-o", "ca.pem"}, {"--output", "ca.pem"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r, _ := runCase(t, replies, exitOK, []string{"GET " + caPath}, append([]string{"instance", "cert", iid}, args...)...)
			want := "SHA-256 fingerprint: " + fp + "\nWrote the CA certificate of instance " + iid + " to ca.pem.\n"
			if r.stdout != "" || r.stderr != want {
				t.Errorf("stdout = %q, stderr = %q; want stderr %q", r.stdout, r.stderr, want)
			}
			checkFile(t, "ca.pem", ca)
		})
	}
	t.Run("-o replaces a file and makes it 0644", func(t *testing.T) {
		isolate(t)
		if err := os.WriteFile("ca.pem", []byte("old and longer than nothing"), 0o600); err != nil {
			t.Fatal(err)
		}
		f := newFakeDMS(t, replies)
		useFake(t, f, testPID)
		run(t, "", "instance", "cert", iid, "-o", "ca.pem").wantCode(t, exitOK)
		checkFile(t, "ca.pem", ca)
	})
}

// checkFile fails the test unless path holds want with mode 0644.
func checkFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s =\n%s\nwant\n%s", path, got, want)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Mode().Perm(); m != 0o644 {
		t.Errorf("mode of %s = %v, want 0644", path, m)
	}
}

func TestInstanceCertChain(t *testing.T) {
	// Every certificate of the PEM gets its fingerprint; other blocks are passed through.
	ca1, fp1 := testCA(t, "one")
	ca2, fp2 := testCA(t, "two")
	body := ca1 + "-----BEGIN NOTE-----\naGk=\n-----END NOTE-----\n" + ca2
	r, _ := runCase(t, map[string]clienttest.Reply{"GET " + caPath: pemReply(body)}, exitOK, nil, "instance", "cert", iid)
	if want := "SHA-256 fingerprint: " + fp1 + "\nSHA-256 fingerprint: " + fp2 + "\n"; r.stdout != body || r.stderr != want {
		t.Errorf("stdout =\n%s\nstderr = %q; want %q", r.stdout, r.stderr, want)
	}
}

func TestInstanceCertErrors(t *testing.T) {
	tests := []struct {
		name    string
		reply   clienttest.Reply
		wantErr string
	}{
		{"no SASL_SSL", replyError(404, "DMS.00404900", "The instance has no SASL_SSL access mode, so no CA certificate."),
			"dmsctl: DMS.00404900: The instance has no SASL_SSL access mode, so no CA certificate. (HTTP 404, request id req-1234)\n"},
		{"not a PEM", pemReply("hello\n"), "dmsctl: the server's CA certificate of " + iid + ": no certificate in the PEM\n"},
		{"a bad certificate", pemReply("-----BEGIN CERTIFICATE-----\naGk=\n-----END CERTIFICATE-----\n"), "dmsctl: the server's CA certificate of " + iid + ": x509: "},
	}
	for _, tt := range tests {
		for _, out := range [][]string{nil, {"-o", "ca.pem"}} {
			t.Run(tt.name+" "+strings.Join(out, " "), func(t *testing.T) {
				r, _ := runCase(t, map[string]clienttest.Reply{"GET " + caPath: tt.reply}, exitError, []string{"GET " + caPath},
					append([]string{"instance", "cert", iid}, out...)...)
				if r.stdout != "" || !strings.HasPrefix(r.stderr, tt.wantErr) {
					t.Errorf("stdout = %q, stderr = %q; want stderr %q", r.stdout, r.stderr, tt.wantErr)
				}
				if _, err := os.Stat("ca.pem"); !os.IsNotExist(err) {
					t.Errorf("ca.pem was written (%v)", err)
				}
			})
		}
	}
}

func TestInstanceResetPassword(t *testing.T) {
	replies := map[string]clienttest.Reply{"GET " + instances: demoInstances, "POST " + ipath + "/password": {Status: 204}}
	tests := []struct {
		name      string
		args      []string
		wantPaths []string
		wantOut   string
	}{
		{"by id", []string{iid}, []string{"POST " + ipath + "/password"}, "Reset the administrator's password of instance " + iid + ".\n"},
		{"by name", []string{"kafka-demo"}, []string{"GET " + byNameList, "POST " + ipath + "/password"}, "Reset the administrator's password of instance kafka-demo.\n"},
		{"json says nothing", []string{iid, "-o", "json"}, []string{"POST " + ipath + "/password"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := runCaseIn(t, testPassword+"\n", replies, exitOK, tt.wantPaths,
				append([]string{"instance", "reset-password", "--password-stdin"}, tt.args...)...)
			clienttest.JSONEqual(t, bodyOf(t, f, "POST"), `{"new_password":"`+testPassword+`"}`)
			if r.stdout != tt.wantOut || r.stderr != "" {
				t.Errorf("stdout = %q, stderr = %q; want stdout %q", r.stdout, r.stderr, tt.wantOut)
			}
			noSecret(t, r)
		})
	}
}

func TestInstanceResetPasswordErrors(t *testing.T) {
	t.Run("API error", func(t *testing.T) {
		r, _ := runCaseIn(t, testPassword+"\n", map[string]clienttest.Reply{
			"POST " + ipath + "/password": replyError(400, "DMS.00400052", "The instance has no SASL."),
		}, exitError, []string{"POST " + ipath + "/password"}, "instance", "reset-password", iid, "--password-stdin")
		want := fmt.Sprintf("dmsctl: %s: %s (HTTP %d, request id req-1234)\n", "DMS.00400052", "The instance has no SASL.", 400)
		if r.stderr != want || r.stdout != "" {
			t.Errorf("stdout = %q, stderr = %q; want stderr %q", r.stdout, r.stderr, want)
		}
		noSecret(t, r)
	})
	for _, tt := range []struct {
		stdin string
		args  []string
	}{
		{testPassword + "\n", []string{iid}},
		{testPassword + "\n", []string{iid, "--password", testPassword}},
		{testPassword + "\n", []string{"--password-stdin"}},
		{"\r\n", []string{iid, "--password-stdin"}},
		{"", []string{"cert"}},
		{"", []string{"cert", iid, "extra"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"instance", "reset-password"}, tt.args...)
			if tt.args[0] == "cert" {
				args = append([]string{"instance"}, tt.args...)
			}
			r, f := runCaseIn(t, tt.stdin, nil, exitUsage, nil, args...)
			if len(f.Requests()) != 0 {
				t.Errorf("requests were sent: %v", requestLines(f))
			}
			noSecret(t, r)
		})
	}
}
