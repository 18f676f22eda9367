package connect

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/opendms/opendms/internal/connect/connectrest"
	"github.com/opendms/opendms/internal/connect/mm2"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/internal/instances"
)

// How a task runs: replication tasks are MirrorMaker 2 connectors on the instance's workers
// (kept by Connect in its own topics: they survive dmsd); the others are runners inside dmsd
// (started again by Start after a restart).

// inProcess reports whether dmsd runs t itself.
func inProcess(t dms.ConnectTask) bool { return t.SourceType != dms.ConnectKafkaSource }

// start makes t run: a replication task's connectors are created or updated (resume: resumed),
// a runner is started (again, from its committed positions).
func (s *Service) start(ctx context.Context, in dms.Instance, t dms.ConnectTask, resume bool) error {
	if inProcess(t) {
		if err := s.checkStore(ctx, t); err != nil {
			return err // before stopping what runs: a modify that fails leaves the task as it was
		}
		s.stopProc(t.ID)
		return s.startProc(ctx, in, t)
	}
	return s.startMirror(ctx, in, t, resume)
}

// stop makes t stop: forget (delete, restart) also removes its positions (the connectors and
// their offsets; the consumer group's committed offsets) and its files.
func (s *Service) stop(ctx context.Context, in dms.Instance, t dms.ConnectTask, forget bool) error {
	if inProcess(t) {
		s.stopProc(t.ID)
		if forget {
			return s.forgetProc(ctx, in, t)
		}
		return nil
	}
	return s.stopMirror(ctx, in, t, forget)
}

// pause stops t where it is.
func (s *Service) pause(ctx context.Context, in dms.Instance, t dms.ConnectTask) error {
	if inProcess(t) {
		s.stopProc(t.ID)
		return nil
	}
	return s.pauseMirror(ctx, in, t)
}

// healthy reports whether a RUNNING task really runs (resume leaves it alone then).
func (s *Service) healthy(ctx context.Context, in dms.Instance, t dms.ConnectTask) bool {
	st, _, _ := s.status(ctx, in, t)
	return st == dms.ConnectTaskRunning
}

// info is t with its real status.
func (s *Service) info(ctx context.Context, in dms.Instance, t dms.ConnectTask, progress bool) TaskInfo {
	ti := TaskInfo{ConnectTask: t}
	ti.Status, ti.Detail, ti.Parts = s.status(ctx, in, t)
	if progress && t.SinkType == dms.ConnectOBSSink {
		ti.Progress = s.dumpProgress(ctx, in, t)
	}
	return ti
}

// status is what really runs for t.
func (s *Service) status(ctx context.Context, in dms.Instance, t dms.ConnectTask) (string, string, []PartStatus) {
	switch t.State {
	case dms.ConnectTaskWaiting:
		return dms.ConnectTaskWaiting, "not started: 5.3.9 starts it", nil
	}
	if inProcess(t) {
		return s.procStatus(t)
	}
	return s.mirrorStatus(ctx, in, t)
}

// rest is the REST client of an instance's workers.
func (s *Service) rest(r engine.ConnectRunner, spec engine.ConnectSpec) *connectrest.Client {
	return connectrest.New(r.ConnectRESTURLs(spec), nil)
}

// knownCA is the CA of the instance of the project whose SASL_SSL listener one of addrs is (nil:
// none is).
func (s *Service) knownCA(ctx context.Context, projectID string, addrs []string) ([]byte, error) {
	all, err := s.store.ListInstances(ctx, projectID)
	if err != nil {
		return nil, dms.Internal(err)
	}
	for _, other := range all {
		for _, l := range instances.ClientListeners(other) {
			if l.Protocol != engine.ProtocolSASLSSL {
				continue
			}
			for _, b := range instances.ServingBrokers(other) {
				if slices.Contains(addrs, net.JoinHostPort(b.Host, strconv.Itoa(l.Port))) {
					return s.inst.CACertificate(ctx, projectID, other.ID)
				}
			}
		}
	}
	return nil, nil
}

// peerInfo is how the workers reach a replication task's peer cluster.
type peerInfo struct {
	bootstrap string
	jaas      string // sasl.jaas.config with the password ("" for PLAINTEXT): only ever in a file
	caPEM     []byte // the peer instance's CA (SASL_SSL to another instance)
}

// peer resolves a replication task's peer: another instance of the project (its addresses for
// the security protocol asked, its CA) or bootstrap_servers as given.
func (s *Service) peer(ctx context.Context, in dms.Instance, t dms.ConnectTask, sec dms.ConnectSecrets) (peerInfo, error) {
	src := t.Source
	var p peerInfo
	if src.InstanceID != "" {
		if src.InstanceID == in.ID {
			return p, bad("source_task.instance_id is this instance: a replication task needs another instance.")
		}
		peer, err := s.inst.Get(ctx, in.ProjectID, src.InstanceID)
		if err != nil {
			return p, bad("source_task.instance_id %s is not an instance of this project.", src.InstanceID)
		}
		var port int
		for _, l := range instances.ClientListeners(peer) {
			if l.Protocol == src.SecurityProtocol && (port == 0 || l.Port < port) {
				port = l.Port
			}
		}
		if port == 0 {
			return p, bad("source_task.security_protocol %s: the instance %s has no %s listener.", src.SecurityProtocol, peer.ID, src.SecurityProtocol)
		}
		var addrs []string
		for _, b := range instances.ServingBrokers(peer) {
			addrs = append(addrs, net.JoinHostPort(b.Host, strconv.Itoa(port)))
		}
		p.bootstrap = strings.Join(addrs, ",")
		if src.SecurityProtocol == engine.ProtocolSASLSSL {
			if p.caPEM, err = s.inst.CACertificate(ctx, in.ProjectID, peer.ID); err != nil {
				return p, err
			}
		}
	} else {
		addrs, err := mm2.SplitBootstrap(src.BootstrapServers)
		if err != nil {
			return p, bad("source_task.bootstrap_servers: %v", err)
		}
		p.bootstrap = src.BootstrapServers
		if src.SecurityProtocol == engine.ProtocolSASLSSL {
			// Addresses of an instance of the project: its CA is known.
			if p.caPEM, err = s.knownCA(ctx, in.ProjectID, addrs); err != nil {
				return p, err
			}
			// A push producer inherits the workers' truststore (the local instance's CA) unless the
			// peer's own is given: without it the push cannot verify the peer.
			if p.caPEM == nil && src.Direction != "pull" {
				return p, bad("source_task: %s to a SASL_SSL peer given by bootstrap_servers needs its CA: give the peer's instance_id, or replicate in the pull direction.", src.Direction)
			}
		}
	}
	if src.SecurityProtocol != "PLAINTEXT" && sec.Password != "" {
		jaas, err := mm2.JAASConfig(src.SASLMechanism, src.UserName, sec.Password)
		if err != nil {
			return p, bad("source_task: %v", err)
		}
		p.jaas = jaas
	}
	return p, nil
}
