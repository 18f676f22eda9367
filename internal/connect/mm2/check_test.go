package mm2

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/internal/pki"
)

func testCtx(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}

func newKfake(tb testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	tb.Helper()
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// wantPeerErr checks err is a *PeerError of kind (nil kind = success) whose text holds msg and never the password.
func wantPeerErr(t *testing.T, err error, kind PeerErrorKind, msg, password string) {
	t.Helper()
	if kind == "" {
		if err != nil {
			t.Fatalf("CheckPeer: %v", err)
		}
		return
	}
	var pe *PeerError
	if !errors.As(err, &pe) {
		t.Fatalf("CheckPeer = %v, want a *PeerError of kind %s", err, kind)
	}
	if pe.Kind != kind || !strings.Contains(pe.Error(), msg) {
		t.Errorf("CheckPeer = [%s] %v; want kind %s, text containing %q", pe.Kind, pe, kind, msg)
	}
	if password != "" && strings.Contains(pe.Error(), password) {
		t.Errorf("error text %q holds the password", pe.Error())
	}
}

func TestCheckPeerPlaintext(t *testing.T) {
	c := newKfake(t, kfake.NumBrokers(3))
	info, err := ProbePeer(testCtx(t, 30*time.Second), PeerCheck{Bootstrap: strings.Join(c.ListenAddrs(), ","), SecurityProtocol: "PLAINTEXT"})
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Brokers) != 3 {
		t.Errorf("brokers %v, want 3", info.Brokers)
	}
}

func TestCheckPeerSASL(t *testing.T) {
	c := newKfake(t, kfake.NumBrokers(1), kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plainuser", "plain-secret"),
		kfake.Superuser("SCRAM-SHA-256", "scram256", "s256-secret"),
		kfake.Superuser("SCRAM-SHA-512", "scram512", "s512-secret"),
	)
	addr := c.ListenAddrs()[0]
	tests := []struct {
		name          string
		protocol      string
		mech, u, pass string
		kind          PeerErrorKind
		msg           string
	}{
		{"plain good", "SASL_PLAINTEXT", "PLAIN", "plainuser", "plain-secret", "", ""},
		{"plain bad password", "SASL_PLAINTEXT", "PLAIN", "plainuser", "wrong-pw-1", PeerAuth, `SASL authentication of user "plainuser" with PLAIN failed`},
		{"plain unknown user", "SASL_PLAINTEXT", "PLAIN", "nobody", "wrong-pw-2", PeerAuth, "SASL authentication"},
		{"scram-256 good", "SASL_PLAINTEXT", "SCRAM-SHA-256", "scram256", "s256-secret", "", ""},
		{"scram-256 bad password", "SASL_PLAINTEXT", "SCRAM-SHA-256", "scram256", "wrong-pw-3", PeerAuth, "SASL authentication"},
		{"scram-512 good", "SASL_PLAINTEXT", "SCRAM-SHA-512", "scram512", "s512-secret", "", ""},
		{"scram-512 bad password", "SASL_PLAINTEXT", "SCRAM-SHA-512", "scram512", "wrong-pw-4", PeerAuth, "SASL authentication"},
		{"scram user under the other mechanism", "SASL_PLAINTEXT", "SCRAM-SHA-256", "scram512", "s512-secret", PeerAuth, "SASL authentication"},
		{"plaintext against a SASL listener", "PLAINTEXT", "", "", "", PeerProtocol, "requires SASL"},
		{"missing password", "SASL_PLAINTEXT", "PLAIN", "plainuser", "", PeerConfig, "needs a user name and a password"},
		{"unknown mechanism", "SASL_PLAINTEXT", "GSSAPI", "plainuser", "x", PeerConfig, "not one of PLAIN"},
		{"unknown protocol", "SSL", "", "", "", PeerConfig, "not one of PLAINTEXT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPeer(testCtx(t, 30*time.Second), PeerCheck{Bootstrap: addr, SecurityProtocol: tt.protocol, Mechanism: tt.mech, User: tt.u, Password: tt.pass})
			wantPeerErr(t, err, tt.kind, tt.msg, tt.pass)
		})
	}
}

func TestCheckPeerTLS(t *testing.T) {
	ca, err := pki.NewCA("mm2 test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := ca.IssueServer([]net.IP{net.IPv4(127, 0, 0, 1)}, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(ks, ks)
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.NewCA("another CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tlsCluster := newKfake(t, kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "u", "tls-secret"),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	plainCluster := newKfake(t, kfake.NumBrokers(1))
	tlsAddr, plainAddr := tlsCluster.ListenAddrs()[0], plainCluster.ListenAddrs()[0]

	tests := []struct {
		name     string
		addr     string
		protocol string
		ca       []byte
		insecure bool
		pass     string
		kind     PeerErrorKind
		msg      string
	}{
		{"trusted CA", tlsAddr, "SASL_SSL", ca.CertPEM(), false, "tls-secret", "", ""},
		{"trusted CA, bad password", tlsAddr, "SASL_SSL", ca.CertPEM(), false, "wrong-tls-pw", PeerAuth, "SASL authentication"},
		{"system roots do not know the CA", tlsAddr, "SASL_SSL", nil, false, "tls-secret", PeerTLS, "not signed by a trusted CA"},
		{"another CA", tlsAddr, "SASL_SSL", other.CertPEM(), false, "tls-secret", PeerTLS, "not signed by a trusted CA"},
		{"insecure skip verify", tlsAddr, "SASL_SSL", nil, true, "tls-secret", "", ""},
		{"CA that is not PEM", tlsAddr, "SASL_SSL", []byte("not a cert"), false, "tls-secret", PeerConfig, "not a PEM certificate"},
		{"plaintext client, TLS listener", tlsAddr, "PLAINTEXT", nil, false, "", PeerProtocol, "speaks TLS"},
		{"SASL_PLAINTEXT client, TLS listener", tlsAddr, "SASL_PLAINTEXT", nil, false, "tls-secret", PeerProtocol, "speaks TLS"},
		{"TLS client, plaintext listener", plainAddr, "SASL_SSL", ca.CertPEM(), false, "tls-secret", PeerProtocol, "speaks Kafka without TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPeer(testCtx(t, 30*time.Second), PeerCheck{Bootstrap: tt.addr, SecurityProtocol: tt.protocol,
				Mechanism: "SCRAM-SHA-512", User: "u", Password: tt.pass, CACertPEM: tt.ca, InsecureSkipVerify: tt.insecure})
			wantPeerErr(t, err, tt.kind, tt.msg, tt.pass)
		})
	}
}

func TestCheckPeerPermission(t *testing.T) {
	c := newKfake(t, kfake.NumBrokers(1), kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser("PLAIN", "admin", "admin-secret"),
		kfake.User("PLAIN", "reader", "reader-secret", kfake.ACL{
			Resource: kmsg.ACLResourceTypeTopic, Name: "visible", Pattern: kmsg.ACLResourcePatternTypeLiteral,
			Operation: kmsg.ACLOperationDescribe, Allow: true,
		}),
		kfake.SeedTopics(1, "visible", "secret"),
	)
	addr := c.ListenAddrs()[0]
	tests := []struct {
		name   string
		user   string
		pass   string
		topics []string
		kind   PeerErrorKind
		msg    string
	}{
		{"allowed topic", "reader", "reader-secret", []string{"visible"}, "", ""},
		{"denied topic", "reader", "reader-secret", []string{"visible", "secret"}, PeerPermission, `may not describe topic "secret"`},
		{"missing topic is not an error", "reader", "reader-secret", []string{"visible"}, "", ""},
		{"superuser sees all", "admin", "admin-secret", []string{"visible", "secret"}, "", ""},
		{"no topics named", "reader", "reader-secret", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPeer(testCtx(t, 30*time.Second), PeerCheck{Bootstrap: addr, SecurityProtocol: "SASL_PLAINTEXT",
				Mechanism: "PLAIN", User: tt.user, Password: tt.pass, Topics: tt.topics})
			wantPeerErr(t, err, tt.kind, tt.msg, tt.pass)
		})
	}
}

// TestCheckPeerUnreachable: addresses that refuse, or accept and never answer, end in PeerUnreachable; the
// silent ones only through the ctx deadline, so the test finishing is the proof that CheckPeer honours it.
func TestCheckPeerUnreachable(t *testing.T) {
	refused := closedPort(t)
	silent := silentListener(t)
	tests := []struct {
		name     string
		addr     string
		protocol string
		msg      string
		deadline bool
	}{
		{"refused", refused, "PLAINTEXT", "cannot connect to any bootstrap address", false},
		{"refused, all seeds", refused + "," + refused, "SASL_SSL", "cannot connect to any bootstrap address", false},
		{"silent plaintext", silent, "PLAINTEXT", "no Kafka answer from " + silent + " before the deadline", true},
		{"silent SASL", silent, "SASL_PLAINTEXT", "before the deadline", true},
		{"silent TLS", silent, "SASL_SSL", "no TLS answer from " + silent, true},
		{"bad address", "no-port", "PLAINTEXT", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPeer(testCtx(t, time.Second), PeerCheck{Bootstrap: tt.addr, SecurityProtocol: tt.protocol,
				Mechanism: "PLAIN", User: "u", Password: "unreach-pw"})
			if tt.addr == "no-port" {
				wantPeerErr(t, err, PeerConfig, "bad bootstrap address", "unreach-pw")
				return
			}
			wantPeerErr(t, err, PeerUnreachable, tt.msg, "unreach-pw")
			if tt.deadline && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
			}
		})
	}
}

// TestCheckPeerAdvertisedUnreachable: the bootstrap broker answers but another broker's advertised address
// refuses connections.
func TestCheckPeerAdvertisedUnreachable(t *testing.T) {
	var lns []net.Listener
	listen := func(network, addr string) (net.Listener, error) {
		ln, err := net.Listen(network, addr)
		if err == nil {
			lns = append(lns, ln)
		}
		return ln, err
	}
	c := newKfake(t, kfake.NumBrokers(2), kfake.ListenFn(listen))
	down := lns[1].Addr().String()
	lns[1].Close()
	err := CheckPeer(testCtx(t, 30*time.Second), PeerCheck{Bootstrap: c.ListenAddrs()[0], SecurityProtocol: "PLAINTEXT"})
	wantPeerErr(t, err, PeerUnreachable, "advertises "+down, "")
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentListener accepts connections and never writes a byte.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				break
			}
			conns = append(conns, conn)
		}
		for _, c := range conns {
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}
