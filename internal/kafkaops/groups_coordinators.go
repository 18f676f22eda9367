package kafkaops

import "context"

// GroupCoordinators returns the broker that coordinates each named group, whether or not the group
// exists yet: Kafka places a group by the hash of its name, so a group created through the API
// (which Kafka does not know before a consumer uses it) has a coordinator too. One batched
// FindCoordinator (KIP-699) for all the names, never one request per group. A group whose
// coordinator could not be found is missing from the map; no names, no request.
func (c *Client) GroupCoordinators(ctx context.Context, names ...string) map[string]int32 {
	out := make(map[string]int32, len(names))
	if len(names) == 0 {
		return out
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	for name, r := range c.adm.FindGroupCoordinators(ctx, names...) {
		if r.Err == nil {
			out[name] = r.NodeID
		}
	}
	return out
}
