package connect

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/opendms/opendms/internal/connect/connectrest"
	"github.com/opendms/opendms/internal/connect/mm2"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
)

// Replication tasks: MirrorMaker 2 connectors named "<task id>-g<generation>-..." on the
// instance's workers. A restart (5.3.9) deletes them and creates the next generation: Connect
// keeps source offsets by connector name, so the new connectors start afresh.

// workers is the instance's Connect runner, spec and REST client.
func (s *Service) workers(in dms.Instance) (engine.ConnectRunner, engine.ConnectSpec, *connectrest.Client, error) {
	r, ok := s.inst.ConnectRunner(in)
	if !ok || in.Connector == nil || len(in.Connector.Nodes) == 0 {
		return nil, engine.ConnectSpec{}, nil, dms.Errorf(dms.CodeUnsupportedType, "Kafka replication tasks run on Kafka Connect workers, which the %s engine of this instance does not run.", in.Runtime)
	}
	spec, err := s.inst.ConnectSpec(in)
	if err != nil {
		return nil, spec, nil, err
	}
	return r, spec, s.rest(r, spec), nil
}

// mirrorConnectors writes the peer's files beside the workers and returns t's connectors.
func (s *Service) mirrorConnectors(ctx context.Context, in dms.Instance, t dms.ConnectTask, r engine.ConnectRunner, spec engine.ConnectSpec) ([]mm2.Connector, error) {
	sec, err := s.secrets(t)
	if err != nil {
		return nil, err
	}
	p, err := s.peer(ctx, in, t, sec)
	if err != nil {
		return nil, err
	}
	sp := mm2.Security{Protocol: t.Source.SecurityProtocol, Mechanism: t.Source.SASLMechanism}
	if p.jaas != "" {
		path, err := r.WriteConnectProps(spec, t.ID+".properties", map[string]string{"sasl.jaas.config": p.jaas})
		if err != nil {
			return nil, err
		}
		sp.JAASConfig = "${file:" + path + ":sasl.jaas.config}"
	}
	if p.caPEM != nil {
		if sp.TruststorePEM, err = r.WriteConnectFile(spec, t.ID+"-ca.pem", p.caPEM); err != nil {
			return nil, err
		}
	}
	peerProps, err := mm2.ClientProps(sp)
	if err != nil {
		return nil, bad("source_task: %v", err)
	}
	local := maps.Clone(r.ConnectClientProps(spec))
	bootstrap := local["bootstrap.servers"]
	delete(local, "bootstrap.servers")
	params, err := mirrorParams(t, mm2.Cluster{Alias: t.Source.CurrentClusterName, Bootstrap: bootstrap, Props: local},
		mm2.Cluster{Alias: t.Source.ClusterName, Bootstrap: p.bootstrap, Props: peerProps})
	if err != nil {
		return nil, err
	}
	cs, err := mm2.Connectors(params)
	if err != nil {
		return nil, bad("source_task: %v", err)
	}
	return cs, nil
}

// mirrorParams is t as MirrorMaker 2 parameters between the clusters local and peer.
func mirrorParams(t dms.ConnectTask, local, peer mm2.Cluster) (mm2.Params, error) {
	src := t.Source
	mapping, err := mm2.ParseTopicsMapping(src.TopicsMapping)
	if err != nil {
		return mm2.Params{}, bad("source_task.topics_mapping: %v", err)
	}
	return mm2.Params{Name: t.ID + "-g" + strconv.Itoa(t.Generation), Local: local, Peer: peer,
		Direction: src.Direction, Topics: SplitTopics(t.Topics), TopicsRegex: t.TopicsRegex,
		TaskNum: intOr(src.TaskNum, defaultTaskNum), ReplicationFactor: intOr(src.ReplicationFactor, 0),
		RenameTopics: src.RenameTopicEnabled != nil && *src.RenameTopicEnabled, TopicsMapping: mapping,
		ConsumerStrategy: src.ConsumerStrategy, CompressionType: src.CompressionType,
		SyncGroupOffsets: src.SyncConsumerOffsetsEnabled != nil && *src.SyncConsumerOffsetsEnabled,
		ProvenanceHeader: src.ProvenanceHeaderEnabled != nil && *src.ProvenanceHeaderEnabled}, nil
}

// checkMirror runs MirrorMaker 2's checks on t before it is stored (placeholders for what only
// its start writes: the clusters' client settings).
func (s *Service) checkMirror(ctx context.Context, in dms.Instance, t dms.ConnectTask) error {
	p, err := s.peer(ctx, in, t, dms.ConnectSecrets{})
	if err != nil {
		return err
	}
	sp := mm2.Security{Protocol: t.Source.SecurityProtocol, Mechanism: t.Source.SASLMechanism, JAASConfig: "${file:check}"}
	peerProps, err := mm2.ClientProps(sp)
	if err != nil {
		return bad("source_task: %v", err)
	}
	params, err := mirrorParams(t, mm2.Cluster{Alias: t.Source.CurrentClusterName, Bootstrap: "127.0.0.1:9090", Props: map[string]string{"security.protocol": "PLAINTEXT"}},
		mm2.Cluster{Alias: t.Source.ClusterName, Bootstrap: p.bootstrap, Props: peerProps})
	if err != nil {
		return err
	}
	if err := mm2.Validate(params); err != nil {
		return bad("source_task: %v", err)
	}
	return nil
}

func (s *Service) startMirror(ctx context.Context, in dms.Instance, t dms.ConnectTask, resume bool) error {
	r, spec, rc, err := s.workers(in)
	if err != nil {
		return err
	}
	cs, err := s.mirrorConnectors(ctx, in, t, r, spec)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if _, err := rc.PutConfig(ctx, c.Name, c.Config); err != nil {
			return fmt.Errorf("connector %s: %w", c.Name, err)
		}
		if resume {
			// Resume changes the target state only, and an unchanged config restarts no task:
			// failed tasks are restarted explicitly (from their committed offsets).
			if err := rc.Resume(ctx, c.Name); err != nil {
				return fmt.Errorf("connector %s: %w", c.Name, err)
			}
			if err := rc.Restart(ctx, c.Name, true, true); err != nil && !errors.Is(err, connectrest.ErrNotFound) {
				return fmt.Errorf("connector %s: %w", c.Name, err)
			}
		}
	}
	return nil
}

// mirrorNames are t's connectors on the workers (every generation's).
func mirrorNames(ctx context.Context, rc *connectrest.Client, t dms.ConnectTask) ([]string, error) {
	all, err := rc.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range all {
		if strings.HasPrefix(n, t.ID+"-") {
			out = append(out, n)
		}
	}
	return out, nil
}

func (s *Service) stopMirror(ctx context.Context, in dms.Instance, t dms.ConnectTask, forget bool) error {
	r, spec, rc, err := s.workers(in)
	if err != nil {
		return err
	}
	names, err := mirrorNames(ctx, rc, t)
	if err != nil {
		return err
	}
	for _, n := range names {
		if forget {
			err = rc.Delete(ctx, n)
		} else {
			err = rc.Pause(ctx, n)
		}
		if err != nil && !errors.Is(err, connectrest.ErrNotFound) {
			return fmt.Errorf("connector %s: %w", n, err)
		}
	}
	if forget {
		for _, f := range []string{t.ID + ".properties", t.ID + "-ca.pem"} {
			if err := r.RemoveConnectFile(spec, f); err != nil {
				s.log.Warn("Smart Connect file not removed", "task_id", t.ID, "file", f, "err", err)
			}
		}
	}
	return nil
}

func (s *Service) pauseMirror(ctx context.Context, in dms.Instance, t dms.ConnectTask) error {
	return s.stopMirror(ctx, in, t, false)
}

// mirrorStatus combines the states of t's connectors and their tasks: ERROR if any failed (with
// the first line of its trace), PAUSED if paused or stopped, WAITING while not all run (starting,
// unassigned, rebalancing), else RUNNING.
func (s *Service) mirrorStatus(ctx context.Context, in dms.Instance, t dms.ConnectTask) (string, string, []PartStatus) {
	// Bounded: a hung worker JVM must not hold 5.3.4 for the REST client's timeout per call.
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	_, _, rc, err := s.workers(in)
	if err != nil {
		return dms.ConnectTaskError, firstLine(err.Error()), nil
	}
	names, err := mirrorNames(ctx, rc, t)
	if err != nil {
		return dms.ConnectTaskWaiting, "the Connect workers do not answer: " + firstLine(err.Error()), nil
	}
	if len(names) == 0 {
		if t.State == dms.ConnectTaskPaused {
			return dms.ConnectTaskPaused, "", nil
		}
		return dms.ConnectTaskError, "its connectors are missing on the Connect workers: 5.3.9 creates them again", nil
	}
	var parts []PartStatus
	status, detail := dms.ConnectTaskRunning, ""
	running, paused := 0, 0
	worse := func(st, d string) {
		switch st {
		case dms.ConnectTaskRunning:
			running++
		case dms.ConnectTaskPaused:
			paused++
		}
		rank := map[string]int{dms.ConnectTaskRunning: 0, dms.ConnectTaskPaused: 1, dms.ConnectTaskWaiting: 2, dms.ConnectTaskError: 3}
		if rank[st] > rank[status] {
			status, detail = st, d
		}
	}
	for _, n := range names {
		cst, err := rc.Status(ctx, n)
		if err != nil {
			worse(dms.ConnectTaskWaiting, n+": "+firstLine(err.Error()))
			parts = append(parts, PartStatus{Name: n, State: "UNKNOWN"})
			continue
		}
		p := PartStatus{Name: n, State: cst.Connector.State, Trace: firstLine(cst.Connector.Trace)}
		worse(connectState(cst.Connector.State), n+": "+firstLine(cst.Connector.Trace))
		for _, ts := range cst.Tasks {
			p.Tasks = append(p.Tasks, PartStatus{Name: n + "-" + strconv.Itoa(int(ts.ID)), State: ts.State, Trace: firstLine(ts.Trace)})
			worse(connectState(ts.State), fmt.Sprintf("%s task %d: %s", n, ts.ID, firstLine(ts.Trace)))
		}
		if len(cst.Tasks) == 0 && cst.Connector.State == "RUNNING" {
			worse(dms.ConnectTaskWaiting, n+": no task assigned yet")
		}
		parts = append(parts, p)
	}
	// Connect marks a connector PAUSED at once and its tasks when each has stopped (and the other
	// way round on resume): while some still run, records still flow, so the task is not PAUSED yet.
	if status == dms.ConnectTaskPaused && running > 0 {
		status, detail = dms.ConnectTaskWaiting, fmt.Sprintf("changing state: %d of %d connectors and tasks paused", paused, paused+running)
	}
	if status == dms.ConnectTaskRunning || status == dms.ConnectTaskPaused {
		detail = ""
	}
	return status, detail, parts
}

// statusTimeout bounds the REST calls that read one replication task's status.
const statusTimeout = 10 * time.Second

// connectState maps a Connect state to a task status.
func connectState(st string) string {
	switch st {
	case "RUNNING":
		return dms.ConnectTaskRunning
	case "PAUSED", "STOPPED":
		return dms.ConnectTaskPaused
	case "FAILED":
		return dms.ConnectTaskError
	default: // UNASSIGNED, RESTARTING
		return dms.ConnectTaskWaiting
	}
}
