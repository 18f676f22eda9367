package instances

import (
	"context"
	"encoding/json"
	"maps"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
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

// runningClient is the Kafka client of an instance whose cluster should be reachable.
func (s *Service) runningClient(in dms.Instance) (*kafkaops.Client, error) {
	if in.CreateFailed || in.Status == dms.StatusCreating {
		return nil, dms.Errorf(dms.CodeInstanceStatusForbids, "This operation is not allowed due to the instance status %s.", in.Status)
	}
	c, err := s.client(in)
	if err != nil {
		return nil, dms.Internal(err)
	}
	return c, nil
}

// clusterErr is a Kafka request that failed against the instance's cluster.
func clusterErr(err error) error {
	return dms.Internal(err)
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
		if in.Status != dms.StatusRunning || in.CreateFailed {
			return dms.Errorf(dms.CodeInstanceStatusForbids, "This operation is not allowed due to the instance status %s.", in.Status)
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
	err = s.rolling(ctx, in.ID, dms.StatusRestarting, func(in *dms.Instance) error {
		if in.StaticConfigs == nil {
			in.StaticConfigs = dms.Configs{}
		}
		maps.Copy(in.StaticConfigs, p.Static)
		return nil
	})
	if err != nil {
		return err
	}
	return s.setStatus(ctx, in.ID, dms.StatusRunning, "")
}

// Coordinators is 5.2.7: the coordinator of every consumer group.
func (s *Service) Coordinators(ctx context.Context, projectID, id string) ([]kafkaops.Coordinator, error) {
	in, c, err := s.ClusterClient(ctx, projectID, id)
	if err != nil {
		return nil, err
	}
	cs, err := c.Coordinators(ctx)
	if err != nil {
		return nil, clusterErr(err)
	}
	for i := range cs {
		cs[i].Port = ClientPort(in)
	}
	return cs, nil
}
