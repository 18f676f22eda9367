package instances

import (
	"context"
	"strconv"

	"github.com/opendms/opendms/internal/catalog"
)

// CesHierarchy returns the instance's monitoring dimensions (5.12.4): its brokers, topics with
// their partitions and consumer groups with the partitions they consume, read from the cluster.
func (s *Service) CesHierarchy(ctx context.Context, projectID, id string) (catalog.CesHierarchyResponse, error) {
	in, c, err := s.ClusterClient(ctx, projectID, id)
	if err != nil {
		return catalog.CesHierarchyResponse{}, err
	}
	topics, groups, err := c.Hierarchy(ctx)
	if err != nil {
		return catalog.CesHierarchyResponse{}, clusterErr(err)
	}
	input := catalog.CesInput{InstanceID: in.ID}
	for _, b := range in.Brokers {
		input.Brokers = append(input.Brokers, "broker-"+strconv.Itoa(int(b.ID)))
	}
	for _, t := range topics {
		input.Topics = append(input.Topics, catalog.CesTopic{Name: t.Topic, Partitions: t.Partitions})
	}
	for _, g := range groups {
		cg := catalog.CesGroup{Name: g.Group}
		for _, t := range g.Topics {
			cg.Topics = append(cg.Topics, catalog.CesTopic{Name: t.Topic, Partitions: t.Partitions})
		}
		input.Groups = append(input.Groups, cg)
	}
	return catalog.CesHierarchy(input), nil
}
