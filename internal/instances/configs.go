package instances

import (
	"context"
	"encoding/json"
	"maps"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
)

// Configs returns the instance's broker configs (5.1.7), read from the running cluster.
func (s *Service) Configs(ctx context.Context, projectID, id string) ([]kafkaops.ConfigValue, error) {
	_, c, err := s.ClusterClient(ctx, projectID, id)
	if err != nil {
		return nil, err
	}
	vs, err := c.DescribeConfigs(ctx)
	if err != nil {
		return nil, clusterErr(err)
	}
	return vs, nil
}

// ClusterClient returns a project's instance and the Kafka client of its cluster, refusing an
// instance whose cluster is not there to talk to (still creating, or failed to be created).
func (s *Service) ClusterClient(ctx context.Context, projectID, id string) (dms.Instance, *kafkaops.Client, error) {
	in, err := s.Get(ctx, projectID, id)
	if err != nil {
		return in, nil, err
	}
	c, err := s.runningClient(in)
	return in, c, err
}

// runningClient is the Kafka client of an instance whose cluster should be reachable: a RUNNING
// one. Any other status (CREATING, ERROR, RESTARTING, UPGRADING, EXTENDING, or a failed creation)
// is refused at once with the reference's status error, as DMS does: its brokers are down or being
// restarted, and a call would only wait out the client's timeout to fail.
func (s *Service) runningClient(in dms.Instance) (*kafkaops.Client, error) {
	if err := statusForbids(in, dms.StatusRunning); err != nil {
		return nil, err
	}
	c, err := s.client(in)
	if err != nil {
		return nil, dms.Internal(err)
	}
	return c, nil
}

// clusterErr is the DMS error of a Kafka call that failed against the instance's cluster, through
// the one mapper every service uses.
func clusterErr(err error) error {
	return kafkaerr.ToDMS(kafkaerr.About{}, err)
}

// ConfigChange is the outcome of 5.1.8.
type ConfigChange struct {
	Task    dms.Task
	Dynamic int
	Static  int
}

// ModifyConfigs validates config changes (5.1.8) and starts a task that applies the dynamic ones
// live and the static ones through a rolling restart.
func (s *Service) ModifyConfigs(ctx context.Context, projectID, id string, who Actor, changes map[string]string) (ConfigChange, error) {
	in, err := s.Get(ctx, projectID, id)
	if err != nil {
		return ConfigChange{}, err
	}
	if len(changes) == 0 {
		return ConfigChange{}, invalid("kafka_configs must name at least one config")
	}
	dynamic, static, err := kafkaops.ValidateConfigChanges(changes)
	if err != nil {
		return ConfigChange{}, dms.Errorf(dms.CodeConfigInvalid, "Invalid configuration parameter: %v.", err)
	}
	t, err := s.startTask(ctx, projectID, in.ID, who, taskModifyConfigs, configParams{Dynamic: dynamic, Static: static}, func(in *dms.Instance) error {
		if err := statusForbids(*in, dms.StatusRunning); err != nil {
			return err
		}
		if len(static) > 0 {
			in.Status, in.StatusReason = dms.StatusRestarting, "" // the brokers restart to read them
		}
		return nil
	})
	if err != nil {
		return ConfigChange{}, err
	}
	return ConfigChange{Task: t, Dynamic: len(dynamic), Static: len(static)}, nil
}

type configParams struct {
	Dynamic map[string]string `json:"dynamic"`
	Static  map[string]string `json:"static"`
}

func (s *Service) runModifyConfigs(ctx context.Context, t dms.Task) error {
	var p configParams
	if err := json.Unmarshal([]byte(t.Params), &p); err != nil {
		return err
	}
	in, err := s.store.GetInstance(ctx, t.InstanceID)
	if err != nil {
		return err
	}
	if len(p.Dynamic) > 0 {
		c, err := s.client(in)
		if err != nil {
			return err
		}
		if err := c.AlterDynamicConfigs(ctx, p.Dynamic); err != nil {
			return err
		}
	}
	if len(p.Static) == 0 {
		return nil
	}
	return s.rolling(ctx, t, dms.StatusRestarting, func(in *dms.Instance) error {
		if in.StaticConfigs == nil {
			in.StaticConfigs = dms.Configs{}
		}
		maps.Copy(in.StaticConfigs, p.Static)
		return nil
	}) // RUNNING again: settled
}

// Coordinators is 5.2.7: the coordinator of every consumer group 5.6.2 lists, the cluster's and
// those created through the API (5.6.4) that no consumer has used yet.
func (s *Service) Coordinators(ctx context.Context, projectID, id string) ([]kafkaops.Coordinator, error) {
	in, c, err := s.ClusterClient(ctx, projectID, id)
	if err != nil {
		return nil, err
	}
	created, err := s.createdGroups(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	cs, err := c.Coordinators(ctx, created...)
	if err != nil {
		return nil, clusterErr(err)
	}
	for i := range cs {
		cs[i].Port = ClientPort(in)
	}
	return cs, nil
}

// createdGroups names the instance's groups created through the API (5.6.4): Kafka has no place
// for a group before a consumer uses it, so the store's record (one with a creation time) is what
// makes it exist; records without one only describe a group of the cluster (see package groups).
func (s *Service) createdGroups(ctx context.Context, instanceID string) ([]string, error) {
	ms, err := s.store.ListGroupMeta(ctx, instanceID)
	if err != nil {
		return nil, dms.Internal(err)
	}
	var names []string
	for _, m := range ms {
		if !m.CreatedAt.IsZero() {
			names = append(names, m.Name)
		}
	}
	return names, nil
}
