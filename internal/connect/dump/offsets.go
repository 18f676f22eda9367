package dump

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ResetOffsets deletes the group's committed offsets ("restart resets progress") by deleting the
// group, so the next Start begins where its ConsumerStrategy says. The task's runner must be stopped
// first: Kafka refuses to delete a group with members. A group that does not exist is already reset.
func ResetOffsets(ctx context.Context, kafkaOpts []kgo.Opt, group string) error {
	cl, err := kgo.NewClient(kafkaOpts...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).DeleteGroup(ctx, group)
	if err == nil {
		err = resp.Err
	}
	switch {
	case err == nil, errors.Is(err, kerr.GroupIDNotFound):
		return nil
	case errors.Is(err, kerr.NonEmptyGroup):
		return fmt.Errorf("consumer group %q still has members: stop the dump task before resetting its offsets", group)
	}
	return fmt.Errorf("delete consumer group %q: %w", group, err)
}
