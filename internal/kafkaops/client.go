package kafkaops

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Defaults of the options.
const (
	// DefaultRequestTimeout bounds every call of a Client whose context has no earlier deadline.
	DefaultRequestTimeout = 15 * time.Second
	// DefaultDialTimeout bounds opening one connection to a broker.
	DefaultDialTimeout = 5 * time.Second
	// DefaultHealthTimeout bounds the per-broker request that decides a broker's health.
	DefaultHealthTimeout = 3 * time.Second
	// DefaultClientID is the client.id the control plane shows up as in broker logs and quotas.
	DefaultClientID = "opendms-control-plane"
)

// Client speaks the Kafka protocol to one instance's cluster. It wraps one kgo client (and the kadm
// admin client over it), which keeps one connection per broker and reuses it across calls: the
// control plane keeps one Client per instance, never one per request. A Client is safe for
// concurrent use.
type Client struct {
	cl  *kgo.Client
	adm *kadm.Client
	cfg config
}

type config struct {
	logger         *slog.Logger
	requestTimeout time.Duration
	dialTimeout    time.Duration
	healthTimeout  time.Duration
	clientID       string
	extra          []kgo.Opt
}

// Option configures a Client.
type Option func(*config)

// WithLogger sends franz-go's logs to l: warnings and errors, plus its informational logs when l
// is enabled at Debug. Without it the client logs nothing.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithRequestTimeout bounds every call of the Client (a call may issue several requests) whose
// context has no earlier deadline, and is the timeout the brokers are given for admin requests
// that carry one. WaitBrokers is bounded by its context alone.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.requestTimeout = d
		}
	}
}

// WithDialTimeout bounds opening one connection to a broker.
func WithDialTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.dialTimeout = d
		}
	}
}

// WithHealthTimeout bounds the request to each broker that decides whether it is healthy
// (ClusterInfo's Brokers[].Healthy, WaitBrokers).
func WithHealthTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.healthTimeout = d
		}
	}
}

// WithClientID sets the client.id sent to the brokers.
func WithClientID(id string) Option { return func(c *config) { c.clientID = id } }

// WithTLS makes the client speak TLS with cfg (dmsd's client certificate and the instance's CA on
// the brokers' internal listener, engine.Spec.InternalTLS).
func WithTLS(cfg *tls.Config) Option {
	return func(c *config) {
		if cfg != nil {
			c.extra = append(c.extra, kgo.DialTLSConfig(cfg))
		}
	}
}

// Dial creates the Client of the cluster reachable at seeds ("host:port"). It does not wait for
// the cluster: connections are opened lazily; use WaitBrokers for readiness.
func Dial(seeds []string, opts ...Option) (*Client, error) {
	if len(seeds) == 0 {
		return nil, errors.New("kafkaops: no seed brokers")
	}
	cfg := config{
		requestTimeout: DefaultRequestTimeout,
		dialTimeout:    DefaultDialTimeout,
		healthTimeout:  DefaultHealthTimeout,
		clientID:       DefaultClientID,
	}
	for _, o := range opts {
		o(&cfg)
	}
	kopts := []kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.ClientID(cfg.clientID),
		kgo.DialTimeout(cfg.dialTimeout),
		// Requests are bounded by the call's context; kgo's own retry budget matches it.
		kgo.RetryTimeout(cfg.requestTimeout),
		// Produce (5.5.1) may name the partition; other records keep kgo's default placement.
		kgo.RecordPartitioner(producePartitioner()),
		// A record as large as DMS's message.max.bytes (10 MiB) must fit a batch; kgo's default
		// batch limit (1 MB) would refuse it before the broker could judge it.
		kgo.ProducerBatchMaxBytes(maxProduceBatchBytes),
	}
	if cfg.logger != nil {
		kopts = append(kopts, kgo.WithLogger(newSlogAdapter(cfg.logger)))
	}
	kopts = append(kopts, cfg.extra...)
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: %w", err)
	}
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(int32(cfg.requestTimeout / time.Millisecond))
	return &Client{cl: cl, adm: adm, cfg: cfg}, nil
}

// maxProduceBatchBytes is DMS's largest message.max.bytes (10485760) plus room for the batch header.
const maxProduceBatchBytes = 10<<20 + 1024

// Close closes every connection of the client. Calls after Close fail.
func (c *Client) Close() { c.cl.Close() }

// bound gives ctx the client's request timeout unless it already ends sooner.
func (c *Client) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= c.cfg.requestTimeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.cfg.requestTimeout)
}

// slogAdapter makes a *slog.Logger a kgo.Logger.
type slogAdapter struct {
	l     *slog.Logger
	level kgo.LogLevel
}

func newSlogAdapter(l *slog.Logger) slogAdapter {
	level := kgo.LogLevelWarn
	if l.Enabled(context.Background(), slog.LevelDebug) {
		level = kgo.LogLevelInfo // kgo's Debug level logs every request: never useful here
	}
	return slogAdapter{l: l.With("component", "franz-go"), level: level}
}

func (a slogAdapter) Level() kgo.LogLevel { return a.level }

func (a slogAdapter) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	sl := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		sl = slog.LevelError
	case kgo.LogLevelWarn:
		sl = slog.LevelWarn
	case kgo.LogLevelInfo:
		sl = slog.LevelDebug // kgo's Info (connections, metadata) is debugging detail for dmsd
	}
	a.l.Log(context.Background(), sl, msg, keyvals...)
}
