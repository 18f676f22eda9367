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
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return dms.Task{}, false, err
	}
	unchanged := errors.New("unchanged")
	// The check and the change happen under the service lock: two concurrent calls cannot both start
	// a restart.
	in, err := s.update(ctx, id, func(in *dms.Instance) error {
		if err := s.requireRunning(*in); err != nil {
			return err
		}
		if in.EnableAutoTopic == enable {
			return unchanged
		}
		in.EnableAutoTopic, in.Status, in.StatusReason = enable, dms.StatusRestarting, ""
		return nil
	})
	if errors.Is(err, unchanged) {
		return dms.Task{}, false, nil
	}
	if err != nil {
		return dms.Task{}, false, asAPIError(err)
	}
	t, err = s.submit(ctx, in, who, taskRestart, map[string]any{"name": in.Name, "enable_auto_topic": enable})
	if err != nil {
		// Nothing will restart the brokers: put the instance back as it was.
		_, _ = s.update(context.WithoutCancel(ctx), id, func(in *dms.Instance) error {
			in.EnableAutoTopic, in.Status = !enable, dms.StatusRunning
			return nil
		})
		return dms.Task{}, false, dms.Internal(err)
	}
	return t, true, nil
}
