package mm2

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// PeerCheck is how to reach a peer Kafka cluster.
type PeerCheck struct {
	Bootstrap          string // "host:port,host:port"
	SecurityProtocol   string // PLAINTEXT | SASL_PLAINTEXT | SASL_SSL
	Mechanism          string // PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512 (SASL_* only)
	User, Password     string
	CACertPEM          []byte // SASL_SSL: CA certificates to trust; nil = system roots
	InsecureSkipVerify bool
	// Topics, when given, must be describable by the user: a topic the peer denies answers PeerPermission.
	// A topic that does not exist is not an error (a push creates it).
	Topics []string
}

// PeerErrorKind says which step of reaching the peer failed.
type PeerErrorKind string

const (
	PeerConfig      PeerErrorKind = "config"      // the check's own settings are wrong (bad address, unknown mechanism, bad CA PEM)
	PeerUnreachable PeerErrorKind = "unreachable" // no TCP connection, or no answer before the deadline
	PeerTLS         PeerErrorKind = "tls"         // TLS handshake or certificate verification failed
	PeerAuth        PeerErrorKind = "sasl"        // SASL authentication failed or the mechanism is not enabled
	PeerProtocol    PeerErrorKind = "protocol"    // the peer speaks something else (TLS vs plain, SASL vs none)
	PeerPermission  PeerErrorKind = "permission"  // authenticated, but denied metadata
)

// PeerError is what CheckPeer returns on failure. Its text says what failed in words a user can act on and
// never holds the password.
type PeerError struct {
	Kind PeerErrorKind
	Addr string // the address concerned, when one is
	Msg  string
	Err  error // the underlying error, when there is one
}

func (e *PeerError) Error() string {
	s := e.Msg
	if e.Err != nil && !strings.Contains(s, e.Err.Error()) {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *PeerError) Unwrap() error { return e.Err }

// PeerInfo is what a successful probe learned.
type PeerInfo struct {
	ClusterID string
	Brokers   []string // advertised host:port of every broker, by node id
}

// CheckPeer connects to the peer as MirrorMaker 2 would and returns nil or a *PeerError.
func CheckPeer(ctx context.Context, c PeerCheck) error {
	_, err := ProbePeer(ctx, c)
	return err
}

// ProbePeer is CheckPeer that also returns what it learned (the broker count bounds replication_factor on
// the peer). Steps, each with its own error: TCP to a bootstrap address; TLS handshake (SASL_SSL); a Metadata
// request with SASL authentication; a request to every advertised broker (MM2 talks to all of them, and a
// peer advertising addresses we cannot reach is a common misconfiguration); Metadata for c.Topics.
// Every step honours ctx.
func ProbePeer(ctx context.Context, c PeerCheck) (PeerInfo, error) {
	seeds, err := SplitBootstrap(c.Bootstrap)
	if strings.TrimSpace(c.Bootstrap) == "" || err != nil {
		return PeerInfo{}, &PeerError{Kind: PeerConfig, Msg: "bad bootstrap address list " + strconv.Quote(c.Bootstrap), Err: err}
	}
	var mech sasl.Mechanism
	switch c.SecurityProtocol {
	case "PLAINTEXT":
	case "SASL_PLAINTEXT", "SASL_SSL":
		if c.User == "" || c.Password == "" {
			return PeerInfo{}, &PeerError{Kind: PeerConfig, Msg: c.SecurityProtocol + " needs a user name and a password"}
		}
		switch c.Mechanism {
		case "PLAIN":
			mech = plain.Auth{User: c.User, Pass: c.Password}.AsMechanism()
		case "SCRAM-SHA-256":
			mech = scram.Auth{User: c.User, Pass: c.Password}.AsSha256Mechanism()
		case "SCRAM-SHA-512":
			mech = scram.Auth{User: c.User, Pass: c.Password}.AsSha512Mechanism()
		default:
			return PeerInfo{}, &PeerError{Kind: PeerConfig, Msg: fmt.Sprintf("SASL mechanism %q is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512", c.Mechanism)}
		}
	default:
		return PeerInfo{}, &PeerError{Kind: PeerConfig, Msg: fmt.Sprintf("security protocol %q is not one of PLAINTEXT, SASL_PLAINTEXT, SASL_SSL", c.SecurityProtocol)}
	}
	var tlsCfg *tls.Config
	if c.SecurityProtocol == "SASL_SSL" {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // the user's explicit choice
		if c.CACertPEM != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(c.CACertPEM) {
				return PeerInfo{}, &PeerError{Kind: PeerConfig, Msg: "the CA certificate is not a PEM certificate"}
			}
			tlsCfg.RootCAs = pool
		}
	}

	addr, err := dialAny(ctx, seeds)
	if err != nil {
		return PeerInfo{}, err
	}
	if tlsCfg != nil {
		if err := tlsHandshake(ctx, addr, tlsCfg); err != nil {
			return PeerInfo{}, err
		}
	}

	meta, err := request(ctx, addr, tlsCfg, mech, metadataRequest(c.Topics))
	if err != nil {
		return PeerInfo{}, explain(ctx, addr, c, tlsCfg, err)
	}
	resp := meta.(*kmsg.MetadataResponse)
	info := PeerInfo{}
	if resp.ClusterID != nil {
		info.ClusterID = *resp.ClusterID
	}
	for _, b := range resp.Brokers {
		info.Brokers = append(info.Brokers, net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))))
	}
	for i, b := range resp.Brokers {
		ba := info.Brokers[i]
		if _, err := request(ctx, ba, tlsCfg, mech, kmsg.NewPtrApiVersionsRequest()); err != nil {
			pe := explain(ctx, ba, c, tlsCfg, err)
			pe.Msg = fmt.Sprintf("broker %d advertises %s: %s", b.NodeID, ba, pe.Msg)
			return info, pe
		}
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); errors.Is(err, kerr.TopicAuthorizationFailed) {
			return info, &PeerError{Kind: PeerPermission, Addr: addr,
				Msg: fmt.Sprintf("user %q may not describe topic %q on the peer (grant it access to the topic)", c.User, deref(t.Topic))}
		}
	}
	return info, nil
}

func metadataRequest(topics []string) *kmsg.MetadataRequest {
	req := kmsg.NewPtrMetadataRequest()
	if len(topics) == 0 {
		req.Topics = nil // all topics: proves the session works without naming any
		return req
	}
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// dialAny returns the first bootstrap address that accepts a TCP connection.
func dialAny(ctx context.Context, seeds []string) (string, error) {
	var errs []string
	var last error
	var d net.Dialer
	for i, a := range seeds {
		// Share what is left of the deadline between the seeds left, so one black-holed address does not
		// eat the time of the others.
		dctx, cancel := context.WithTimeout(ctx, share(ctx, len(seeds)-i, time.Minute))
		conn, err := d.DialContext(dctx, "tcp", a)
		cancel()
		if err == nil {
			conn.Close()
			return a, nil
		}
		last = err
		errs = append(errs, a+": "+shortNetErr(err))
		if ctx.Err() != nil {
			break
		}
	}
	return "", &PeerError{Kind: PeerUnreachable, Addr: strings.Join(seeds, ","),
		Msg: "cannot connect to any bootstrap address (" + strings.Join(errs, "; ") + ")", Err: unwrapOp(last)}
}

func tlsHandshake(ctx context.Context, addr string, cfg *tls.Config) error {
	cfg = cfg.Clone()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		cfg.ServerName = host
	}
	d := tls.Dialer{Config: cfg}
	// A plaintext Kafka listener may wait for the rest of what it takes for a huge request instead of
	// answering the ClientHello; keep half of the time to find that out.
	hsCtx, cancel := context.WithTimeout(ctx, share(ctx, 2, 5*time.Second))
	defer cancel()
	conn, err := d.DialContext(hsCtx, "tcp", addr)
	if err == nil {
		conn.Close()
		return nil
	}
	pe := &PeerError{Kind: PeerTLS, Addr: addr, Err: err}
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &unknownCA):
		pe.Msg = "the certificate of " + addr + " is not signed by a trusted CA (give the peer's CA certificate)"
		pe.Err = nil
	case errors.As(err, &hostErr):
		pe.Msg = "the certificate of " + addr + " is not valid for that address"
	case errors.As(err, &invalid):
		pe.Msg = "the certificate of " + addr + " is not valid"
	case errors.As(err, &recErr), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		pe.Kind = PeerProtocol
		pe.Msg = addr + " does not speak TLS (is the peer's security protocol PLAINTEXT or SASL_PLAINTEXT?)"
		pe.Err = nil
	case hsCtx.Err() != nil:
		if ctx.Err() == nil {
			if _, err := request(ctx, addr, nil, nil, kmsg.NewPtrApiVersionsRequest()); err == nil {
				pe.Kind = PeerProtocol
				pe.Msg = addr + " speaks Kafka without TLS (is the peer's security protocol PLAINTEXT or SASL_PLAINTEXT?)"
				pe.Err = nil
				break
			}
		}
		pe.Kind = PeerUnreachable
		pe.Msg = "no TLS answer from " + addr + " before the deadline"
		pe.Err = context.DeadlineExceeded
	default:
		pe.Msg = "TLS handshake with " + addr + " failed"
	}
	return pe
}

// request sends one request to addr with a client of its own (no retries, no background metadata).
func request(ctx context.Context, addr string, tlsCfg *tls.Config, mech sasl.Mechanism, req kmsg.Request) (kmsg.Response, error) {
	dialTimeout := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		dialTimeout = max(time.Until(dl), time.Millisecond)
	}
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.DialTimeout(dialTimeout), kgo.RequestRetries(0)}
	if tlsCfg != nil {
		cfg := tlsCfg.Clone()
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg.ServerName = host
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	var hook saslHook
	if mech != nil {
		opts = append(opts, kgo.SASL(mech), kgo.WithHooks(&hook))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	resp, err := cl.SeedBrokers()[0].Request(ctx, req)
	if err != nil && hook.failed.Load() && !errors.Is(err, kerr.SaslAuthenticationFailed) && ctx.Err() == nil {
		err = &saslClosedError{err}
	}
	return resp, err
}

// saslHook notes a failed read of a SASLAuthenticate response: some brokers (kfake; Kafka before 1.1 on the
// raw protocol) close the connection on bad credentials instead of answering SASL_AUTHENTICATION_FAILED.
type saslHook struct{ failed atomic.Bool }

func (h *saslHook) OnBrokerRead(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err != nil && key == int16(kmsg.SASLAuthenticate) {
		h.failed.Store(true)
	}
}

type saslClosedError struct{ err error }

func (e *saslClosedError) Error() string {
	return "connection closed during SASL authentication: " + e.err.Error()
}
func (e *saslClosedError) Unwrap() error { return e.err }

// share is what each of n steps may spend of ctx's remaining time, at most limit.
func share(ctx context.Context, n int, limit time.Duration) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return limit
	}
	return min(max(time.Until(dl)/time.Duration(n), time.Millisecond), limit)
}

// explain turns a failed Kafka request into a PeerError.
func explain(ctx context.Context, addr string, c PeerCheck, tlsCfg *tls.Config, err error) *PeerError {
	var closed *saslClosedError
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.As(err, &closed):
		return &PeerError{Kind: PeerAuth, Addr: addr, Err: err,
			Msg: fmt.Sprintf("SASL authentication of user %q with %s failed (wrong user name or password, or the user does not exist for this mechanism)", c.User, c.Mechanism)}
	case errors.Is(err, kerr.UnsupportedSaslMechanism):
		return &PeerError{Kind: PeerAuth, Addr: addr, Err: err, Msg: "the peer does not enable the SASL mechanism " + c.Mechanism}
	case errors.Is(err, kerr.IllegalSaslState):
		// What a broker answers a SASL handshake with on a listener without SASL.
		return &PeerError{Kind: PeerProtocol, Addr: addr, Err: err, Msg: addr + " does not use SASL (is the peer's security protocol PLAINTEXT?)"}
	case errors.Is(err, kerr.ClusterAuthorizationFailed), errors.Is(err, kerr.TopicAuthorizationFailed):
		return &PeerError{Kind: PeerPermission, Addr: addr, Err: err, Msg: fmt.Sprintf("user %q may not read metadata from the peer", c.User)}
	case ctx.Err() != nil:
		return &PeerError{Kind: PeerUnreachable, Addr: addr, Err: ctx.Err(), Msg: "no Kafka answer from " + addr + " before the deadline"}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return &PeerError{Kind: PeerUnreachable, Addr: addr, Err: unwrapOp(err), Msg: "cannot connect to " + addr}
	}
	if tlsCfg == nil && closedConn(err) {
		// A broker closes a connection whose first request it cannot take: a TLS listener reading plaintext,
		// or a SASL listener receiving Metadata before authentication. Tell which by trying TLS.
		if speaksTLS(ctx, addr) {
			return &PeerError{Kind: PeerProtocol, Addr: addr, Err: err, Msg: addr + " speaks TLS (is the peer's security protocol SASL_SSL?)"}
		}
		if c.SecurityProtocol == "PLAINTEXT" {
			return &PeerError{Kind: PeerProtocol, Addr: addr, Err: err, Msg: addr + " closed the connection (the peer probably requires SASL authentication)"}
		}
	}
	return &PeerError{Kind: PeerProtocol, Addr: addr, Err: err, Msg: "the Kafka request to " + addr + " failed"}
}

func speaksTLS(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, share(ctx, 2, 2*time.Second))
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // only probing whether TLS is spoken
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func closedConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE) || errors.Is(err, kgo.ErrClientClosed)
}

func shortNetErr(err error) string {
	return unwrapOp(err).Error()
}

// unwrapOp drops net.OpError's "dial tcp a->b:" prefix, which repeats the address we already name.
func unwrapOp(err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err
	}
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
