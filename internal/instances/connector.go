package instances

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
)

// The parts of an instance's Smart Connect (5.3.1, 5.3.2) that belong to its lifecycle: the
// connector record, the workers' addresses from the pool, the workers' certificate and the
// engine that runs them. What runs on the workers is internal/connect's.

// DefaultConnectorMaxTasks is the task quota of a connector (5.3.4's example max_tasks).
const DefaultConnectorMaxTasks = 18

// DeletionHook is told about an instance being deleted, before its cluster is stopped: what runs
// beside the cluster (Smart Connect workers and tasks) goes first.
type DeletionHook func(ctx context.Context, in dms.Instance) error

// SetDeletionHook installs the hook the deletion task calls (nil: none).
func (s *Service) SetDeletionHook(h DeletionHook) { s.deletionHook = h }

// CreatedHook enables Smart Connect on a new instance created with connector_enable, at the end of
// its creation task (the instance is up; a failure fails the creation).
type CreatedHook func(ctx context.Context, in dms.Instance) error

// SetConnectorAtCreation installs the hook (nil: connector_enable at creation is only recorded).
func (s *Service) SetConnectorAtCreation(h CreatedHook) { s.connectorAtCreation = h }

// AttachConnector records a connector in CREATING with nodes workers on addresses of the pool on
// an instance whose creation task runs (connector_enable at creation): EnableConnector without a
// task of its own.
func (s *Service) AttachConnector(ctx context.Context, id string, nodes int) (dms.Instance, error) {
	return s.update(ctx, id, func(in *dms.Instance) error {
		if in.Connector != nil {
			return nil
		}
		return s.newConnector(ctx, in, nodes)
	})
}

// newConnector records a connector in CREATING on in. Callers hold s.mu.
func (s *Service) newConnector(ctx context.Context, in *dms.Instance, nodes int) error {
	c := &dms.SmartConnect{ID: uuid.NewString(), NodeCount: nodes, Status: dms.ConnectorCreating,
		CreatedAt: s.now().UTC(), MaxTasks: DefaultConnectorMaxTasks}
	if s.Capabilities(*in).Connect {
		// The workers' REST API must stay on this host: it serves connector configs.
		if !s.pool.prefix.Addr().IsLoopback() {
			return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: Smart Connect needs a loopback ip_pool (the workers' REST API must not leave this host); this dmsd's is %s.", s.pool.prefix)
		}
		used, err := s.usedAddrs(ctx)
		if err != nil {
			return dms.Internal(err)
		}
		ips, err := s.pool.allocate(nodes, nil, used)
		if err != nil {
			return err
		}
		for i, ip := range ips {
			c.Nodes = append(c.Nodes, dms.BrokerAddr{ID: int32(i), Host: ip.String()})
		}
	}
	in.Connector, in.ConnectorEnable = c, true
	return nil
}

// EnableConnector starts 5.3.1 as the task name (whose function the caller registered): under the
// instance's lock it checks the instance is RUNNING with no connector, records one in CREATING
// with nodes workers on addresses of the pool (none when the engine runs no Connect workers) and
// submits the task.
func (s *Service) EnableConnector(ctx context.Context, projectID, id string, who Actor, nodes int, name string) (dms.Task, dms.Instance, error) {
	var out dms.Instance
	t, err := s.startTask(ctx, projectID, id, who, name, map[string]any{"node_cnt": nodes}, func(in *dms.Instance) error {
		if err := statusForbids(*in, dms.StatusRunning); err != nil {
			return err
		}
		if in.Connector != nil {
			return dms.Errorf(dms.CodeConnectorExists, "Connector already exists: Smart Connect is already enabled on the instance %s.", in.ID)
		}
		if err := s.newConnector(ctx, in, nodes); err != nil {
			return err
		}
		out = *in
		return nil
	})
	return t, out, err
}

// DisableConnector starts 5.3.2 as the task name: under the instance's lock it checks the
// instance has a connector, marks it DELETING and submits the task.
func (s *Service) DisableConnector(ctx context.Context, projectID, id string, who Actor, name string) (dms.Task, error) {
	return s.startTask(ctx, projectID, id, who, name, map[string]any{}, func(in *dms.Instance) error {
		if in.Connector == nil {
			return dms.Errorf(dms.CodeConnectorNotFound, "Connector does not exist: Smart Connect is not enabled on the instance %s.", in.ID)
		}
		if err := statusForbids(*in, dms.StatusRunning); err != nil {
			return err
		}
		in.Connector.Status, in.Connector.StatusReason = dms.ConnectorDeleting, ""
		return nil
	})
}

// SetConnector changes the stored connector record of an instance under its lock: change gets
// the record (never nil) and may set *c to nil to remove it. ErrNotFound-like errors: the
// instance is gone (dms.CodeInstanceNotFound) or has no connector (dms.CodeConnectorNotFound).
func (s *Service) SetConnector(ctx context.Context, id string, change func(c **dms.SmartConnect) error) (dms.Instance, error) {
	return s.update(ctx, id, func(in *dms.Instance) error {
		if in.Deleting {
			return dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
		}
		if in.Connector == nil {
			return dms.Errorf(dms.CodeConnectorNotFound, "Connector does not exist: Smart Connect is not enabled on the instance %s.", id)
		}
		c := in.Connector
		if err := change(&c); err != nil {
			return err
		}
		in.Connector, in.ConnectorEnable = c, c != nil
		return nil
	})
}

// ConnectRunner is the engine that runs the instance's Connect workers (false: its engine runs
// none).
func (s *Service) ConnectRunner(in dms.Instance) (engine.ConnectRunner, bool) {
	e, err := s.engineOf(in)
	if err != nil {
		return nil, false
	}
	r, ok := e.(engine.ConnectRunner)
	return r, ok && e.Capabilities().Connect
}

// ConnectSpec is the engine's view of the instance's Connect workers: their addresses, the
// instance's internal listener and, with internal TLS, a certificate of the instance's CA named
// engine.ConnectCertName (the workers' own principal).
func (s *Service) ConnectSpec(in dms.Instance) (engine.ConnectSpec, error) {
	if in.Connector == nil {
		return engine.ConnectSpec{}, errors.New("instance has no connector")
	}
	spec := s.spec(in)
	cs := engine.ConnectSpec{InstanceID: in.ID, DataDir: filepath.Join(s.cfg.DataDir, in.ID), KafkaVersion: in.KafkaVersion,
		Bootstrap: engine.Addrs(spec, engine.PortInternal)}
	for _, n := range in.Connector.Nodes {
		cs.Workers = append(cs.Workers, engine.ConnectWorker{ID: n.ID, Host: n.Host})
	}
	if in.InternalTLS {
		ca, err := s.loadCA(in)
		if err != nil {
			return cs, err
		}
		ips := make([]net.IP, 0, len(cs.Workers))
		hosts := make([]string, 0, len(cs.Workers))
		for _, w := range cs.Workers {
			ips = append(ips, net.ParseIP(w.Host))
			hosts = append(hosts, w.Host)
		}
		// Issued once per CA and set of workers: every task status read builds the spec.
		key := ca.Fingerprint() + "|" + strings.Join(hosts, ",")
		ks, ok := s.connectCerts.Load(in.ID)
		if c, _ := ks.(connectCert); !ok || c.key != key {
			pem, err := ca.IssueServer(ips, []string{engine.ConnectCertName}, brokerValidity)
			if err != nil {
				return cs, fmt.Errorf("instance %s: Connect workers' certificate: %w", in.ID, err)
			}
			ks = connectCert{key: key, pem: pem}
			s.connectCerts.Store(in.ID, ks)
		}
		cs.TLS = &engine.ConnectTLS{CACertPEM: ca.CertPEM(), KeystorePEM: ks.(connectCert).pem}
	}
	return cs, nil
}

// connectCert is the workers' keystore of an instance and what it was issued for (the CA and the
// workers' addresses).
type connectCert struct {
	key string
	pem []byte
}

// ControlClientOpts are the franz-go options that reach the instance's brokers as dmsd does (its
// internal listener, with dmsd's own certificate under internal TLS): for the consumers and
// producers dmsd runs for Smart Connect tasks.
func (s *Service) ControlClientOpts(in dms.Instance) ([]kgo.Opt, error) {
	e, err := s.engineOf(in)
	if err != nil {
		return nil, err
	}
	tlsCfg, err := s.controlTLS(in)
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{kgo.SeedBrokers(e.ControlAddrs(s.spec(in))...)}
	if tlsCfg != nil {
		opts = append(opts, kgo.DialTLSConfig(tlsCfg))
	}
	return opts, nil
}

// ClientListeners are the instance's client listeners (PLAINTEXT, SASL_SSL, ...) with their ports:
// how another instance's connector reaches it.
func ClientListeners(in dms.Instance) []engine.Listener { return listeners(in) }
