package kafkausers

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
)

// Policy is one user's access policy on a topic (5.7.6's PolicyEntity).
type Policy struct {
	User   string
	Access kafkaops.Access
	// Owner: the user selected when the topic was created. OpenDMS's topic creation selects no
	// user, so it is always false.
	Owner bool
}

// TopicPolicies returns the users' access policies on a topic (5.7.6), read from the cluster's
// ACLs, by user name. Super users (the administrator) have every right without ACLs and are not
// listed.
func (s *Service) TopicPolicies(ctx context.Context, projectID, instanceID, topic string) ([]Policy, error) {
	_, c, err := s.saslInstance(ctx, projectID, instanceID)
	if err != nil {
		return nil, err
	}
	if err := topicExists(ctx, c, topic); err != nil {
		return nil, err
	}
	acc, err := c.TopicAccess(ctx, topic)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
	}
	out := make([]Policy, 0, len(acc))
	for u, a := range acc {
		out = append(out, Policy{User: u, Access: a})
	}
	slices.SortFunc(out, func(a, b Policy) int { return strings.Compare(a.User, b.User) })
	return out, nil
}

// TopicGrant is the policies of 5.7.7 for one topic.
type TopicGrant struct {
	Topic    string
	Policies []Policy
}

// Grant sets the access policies of topics (5.7.7). Each topic's policies become exactly those
// given: a user left out loses its access to the topic (the console edits a topic's whole list).
// Every topic and user must exist; all are checked before anything changes.
func (s *Service) Grant(ctx context.Context, projectID, instanceID string, grants []TopicGrant) error {
	in, c, err := s.saslInstance(ctx, projectID, instanceID)
	if err != nil {
		return err
	}
	if len(grants) == 0 {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: topics is required.")
	}
	defer s.lock(in.ID)()
	users, err := s.list(ctx, in, c)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, g := range grants {
		if g.Topic == "" {
			return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: topics[].name is required.")
		}
		if seen[g.Topic] {
			return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: the topic %s is given twice.", g.Topic)
		}
		seen[g.Topic] = true
		if err := topicExists(ctx, c, g.Topic); err != nil {
			return err
		}
		named := map[string]bool{}
		for _, p := range g.Policies {
			switch p.Access {
			case kafkaops.AccessPub, kafkaops.AccessSub, kafkaops.AccessAll:
			default:
				return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: access_policy must be all, pub or sub, got %q.", p.Access)
			}
			if named[p.User] {
				return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: the user %s is given twice for %s.", p.User, g.Topic)
			}
			named[p.User] = true
			if p.User == in.AccessUser {
				return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s is the instance's administrator, which has every permission.", p.User)
			}
			if !slices.ContainsFunc(users, func(u User) bool { return u.Name == p.User }) {
				return dms.Errorf(dms.CodeResourceNotFound, "The user %s does not exist.", p.User)
			}
		}
	}
	if allowEveryone(in) {
		// Groups stay open to every user, as they were before any ACL (see OpenGroups).
		if err := c.OpenGroups(ctx); err != nil {
			return kafkaerr.ToDMS(kafkaerr.About{}, err)
		}
	}
	for _, g := range grants {
		want := make(map[string]kafkaops.Access, len(g.Policies))
		for _, p := range g.Policies {
			want[p.User] = p.Access
		}
		if err := c.SetTopicAccess(ctx, g.Topic, want); err != nil {
			return kafkaerr.ToDMS(kafkaerr.Topic(g.Topic), err)
		}
	}
	return nil
}

// topicExists answers DMS.00400876 for a topic the cluster does not have.
func topicExists(ctx context.Context, c *kafkaops.Client, topic string) error {
	_, err := c.DescribeTopic(ctx, topic)
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		return dms.Errorf(dms.CodeTopicNotExist, "The topic does not exist: %s.", topic)
	}
	if err != nil {
		return kafkaerr.ToDMS(kafkaerr.Topic(topic), err)
	}
	return nil
}

// allowEveryone is the instance's allow.everyone.if.no.acl.found (DMS's static config, default
// true): resources nobody has ACLs on are open to every authenticated user.
func allowEveryone(in dms.Instance) bool {
	return kafkaops.StaticOverrides(in.StaticConfigs)["allow.everyone.if.no.acl.found"] == "true"
}
