package kafkaops

import (
	"context"
	"fmt"
)

// TopicPartitions is a topic and partition ids.
type TopicPartitions struct {
	Topic      string
	Partitions []int32
}

// GroupTopics is a consumer group and the partitions it has committed offsets for.
type GroupTopics struct {
	Group  string
	Topics []TopicPartitions
}

// Hierarchy lists the user topics with their partitions and the consumer groups with the partitions
// they committed offsets for (the monitoring dimensions of 5.12.4), sorted by name. Offsets are
// fetched with one request per coordinator (kadm batches the groups), not one per group.
func (c *Client) Hierarchy(ctx context.Context) ([]TopicPartitions, []GroupTopics, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	md, err := c.metadata(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("kafkaops: metadata: %w", err)
	}
	var topics []TopicPartitions
	for _, td := range md.Topics.Sorted() {
		if td.IsInternal || td.Err != nil {
			continue
		}
		tp := TopicPartitions{Topic: td.Topic}
		for _, p := range td.Partitions.Sorted() {
			tp.Partitions = append(tp.Partitions, p.Partition)
		}
		topics = append(topics, tp)
	}
	names, err := c.consumerGroupNames(ctx)
	if err != nil && len(names) == 0 {
		return nil, nil, err
	}
	fetched := c.adm.FetchManyOffsets(ctx, names...)
	groups := make([]GroupTopics, 0, len(names))
	for _, name := range names {
		g := GroupTopics{Group: name}
		if r, ok := fetched[name]; ok && r.Err == nil {
			for _, topic := range r.Fetched.Sorted() {
				last := len(g.Topics) - 1
				if last < 0 || g.Topics[last].Topic != topic.Topic {
					g.Topics = append(g.Topics, TopicPartitions{Topic: topic.Topic})
					last++
				}
				g.Topics[last].Partitions = append(g.Topics[last].Partitions, topic.Partition)
			}
		}
		groups = append(groups, g)
	}
	return topics, groups, nil
}
