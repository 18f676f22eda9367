package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Conn says where a Redis is: the task's redis_address, redis_type and redis_password.
type Conn struct {
	Addrs    []string // host:port each; ParseAddrs splits redis_address
	Type     string   // TypeStandalone | TypeCluster
	Password string
	DB       int // the DB a standalone connection selects (the sink's default DB)
}

const (
	TypeStandalone = "standalone"
	TypeCluster    = "cluster"
)

// The kinds of failure Check and Start report, for errors.Is; the error text says which address
// and what happened (never the password).
var (
	ErrInvalid     = errors.New("invalid redis configuration")
	ErrUnreachable = errors.New("redis unreachable")
	ErrAuth        = errors.New("redis authentication failed")
	ErrWrongType   = errors.New("redis type mismatch")
)

// ParseAddrs splits a comma-separated redis_address into host:port items.
func ParseAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func (c Conn) validate() error {
	if len(c.Addrs) == 0 {
		return fmt.Errorf("%w: no redis address", ErrInvalid)
	}
	for _, a := range c.Addrs {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			return fmt.Errorf("%w: redis address %q is not host:port", ErrInvalid, a)
		}
	}
	switch c.Type {
	case TypeStandalone, "":
		if len(c.Addrs) > 1 {
			return fmt.Errorf("%w: redis_type standalone takes one address, got %d", ErrInvalid, len(c.Addrs))
		}
	case TypeCluster:
	default:
		return fmt.Errorf("%w: redis_type %q is not standalone or cluster", ErrInvalid, c.Type)
	}
	if c.DB < 0 || c.Type == TypeCluster && c.DB != 0 {
		return fmt.Errorf("%w: DB %d (a cluster has DB 0 only)", ErrInvalid, c.DB)
	}
	return nil
}

const dialTimeout = 5 * time.Second

// noMaint turns off go-redis' maintenance notifications (a Redis Enterprise/Cloud feature that
// would otherwise probe each connection with a command our servers do not know).
func noMaint() *maintnotifications.Config {
	return &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// client opens a go-redis client of the Conn's type on db (standalone only; a cluster has DB 0).
func (c Conn) client(db int, poolSize int) goredis.UniversalClient {
	if c.Type == TypeCluster {
		return goredis.NewClusterClient(&goredis.ClusterOptions{
			Addrs: c.Addrs, Password: c.Password, DialTimeout: dialTimeout, Protocol: 2,
			DisableIdentity: true, PoolSize: poolSize, MaintNotificationsConfig: noMaint(),
		})
	}
	return goredis.NewClient(&goredis.Options{
		Addr: c.Addrs[0], Password: c.Password, DB: db, DialTimeout: dialTimeout, Protocol: 2,
		DisableIdentity: true, PoolSize: poolSize, MaintNotificationsConfig: noMaint(),
	})
}

// Check connects to every address of c and says exactly what failed: an address unreachable
// (ErrUnreachable), the password refused (ErrAuth), or a server of another type than c.Type
// (ErrWrongType: a cluster node given as standalone or the other way round).
func Check(ctx context.Context, c Conn) error {
	if err := c.validate(); err != nil {
		return err
	}
	for _, addr := range c.Addrs {
		one := c
		one.Addrs = []string{addr}
		one.Type = TypeStandalone
		cl := one.client(0, 1)
		err := checkOne(ctx, cl, addr, c)
		cl.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func checkOne(ctx context.Context, cl goredis.UniversalClient, addr string, c Conn) error {
	info, err := cl.Info(ctx, "cluster").Result()
	if err != nil {
		return classify(addr, err)
	}
	if c.Password != "" {
		// go-redis lets a password pass on a server that has none; the source's own handshake
		// (and other clients) would not: say so here.
		if err := cl.Do(ctx, "AUTH", c.Password).Err(); err != nil {
			return classify(addr, err)
		}
	}
	cluster := strings.Contains(info, "cluster_enabled:1")
	switch {
	case cluster && c.Type != TypeCluster:
		return fmt.Errorf("%w: %s is a Redis Cluster node, but redis_type is %s", ErrWrongType, addr, typeOr(c.Type))
	case !cluster && c.Type == TypeCluster:
		return fmt.Errorf("%w: %s is not a Redis Cluster node (cluster_enabled is 0), but redis_type is cluster", ErrWrongType, addr)
	}
	if !cluster && c.DB != 0 {
		// SELECT says whether the DB exists (databases is a server setting).
		if err := cl.Do(ctx, "SELECT", c.DB).Err(); err != nil {
			return fmt.Errorf("%w: %s: DB %d: %v", ErrInvalid, addr, c.DB, err)
		}
	}
	return nil
}

func typeOr(t string) string {
	if t == "" {
		return TypeStandalone
	}
	return t
}

// classify names what a failed first command means.
func classify(addr string, err error) error {
	msg := err.Error()
	switch {
	case isAuthErr(msg):
		return fmt.Errorf("%w at %s: %s", ErrAuth, addr, msg)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, addr, err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "i/o timeout") || strings.Contains(msg, "no such host") {
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, addr, err)
	}
	return fmt.Errorf("redis %s: %w", addr, err)
}

func isAuthErr(msg string) bool {
	for _, s := range []string{"NOAUTH", "WRONGPASS", "invalid password", "invalid username-password",
		"without any password configured", "Authentication required", "NOPERM"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// String shows a Conn without its password (for logs and %v).
func (c Conn) String() string {
	pw := ""
	if c.Password != "" {
		pw = " password=***"
	}
	return fmt.Sprintf("redis %s %s db=%d%s", typeOr(c.Type), strings.Join(c.Addrs, ","), c.DB, pw)
}
