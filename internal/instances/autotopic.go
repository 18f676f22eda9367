package instances

import (
	"context"
	"errors"

	"github.com/opendms/opendms/internal/dms"
)

// SetAutoCreateTopics is 5.2.4: it turns the cluster's automatic topic creation on or off.
// auto.create.topics.enable is a static broker config in Apache Kafka (and an option of a kfake
// cluster), so the change is recorded on the instance, which then goes RESTARTING, and a
// restartInstance task restarts the brokers one by one with the new value (as 5.1.8 applies static
// configs); the instance is RUNNING again once every broker is back. It returns the task, or ok false
// when the instance already has the requested setting (nothing to restart).
//
// Only a RUNNING instance without a running task accepts the change (as 5.1.8).
func (s *Service) SetAutoCreateTopics(ctx context.Context, projectID, id string, who Actor, enable bool) (t dms.Task, ok bool, err error) {
	unchanged := errors.New("unchanged")
	var name string
	t, err = s.startTask(ctx, projectID, id, who, taskRestart, map[string]any{"name": &name, "enable_auto_topic": enable}, func(in *dms.Instance) error {
		if err := statusForbids(*in, dms.StatusRunning); err != nil {
			return err
		}
		if in.EnableAutoTopic == enable {
			return unchanged
		}
		name = in.Name
		in.EnableAutoTopic, in.Status, in.StatusReason = enable, dms.StatusRestarting, ""
		return nil
	})
	if errors.Is(err, unchanged) {
		return dms.Task{}, false, nil
	}
	if err != nil {
		return dms.Task{}, false, err
	}
	return t, true, nil
}
