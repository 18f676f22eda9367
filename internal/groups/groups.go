// Package groups is the service behind the consumer group APIs: the reads (5.6.1, 5.6.2, 5.6.6,
// 5.6.8, 5.6.11, 5.6.12, 7.2.3.2 and the SDK's ShowGroup), in write.go the writes on the cluster's
// groups (5.6.3, 5.6.5, 5.6.9, 7.2.3.1, DeleteGroup, DeleteConsumerGroupOffsets) and, in meta.go,
// what Kafka has no place for: groups created through the API (5.6.4) and descriptions (5.6.7,
// 5.6.10). Every call works on the instance's real cluster through kafkaops, classic and KIP-848
// consumer groups alike.
//
// Lag is log end offset - committed offset per partition (0 when the commit is past the end; end -
// log start for a partition assigned but never committed), summed per topic and per group. Lists
// cost a fixed number of requests whatever the number of groups: ListGroups, then for the groups
// shown DescribeGroups / ConsumerGroupDescribe and OffsetFetch batched per coordinator, and one
// ListOffsets round for every partition involved.
//
// Kafka keeps no creation time nor description for a group, and cannot hold a group that has neither
// members nor committed offsets: the store keeps a record (dms.GroupMeta) per group that has a
// description or was created through the API. A group created through the API exists from then on,
// shown EMPTY without members until consumers use it; createdAt is 0 for groups made by Kafka
// clients (nothing is invented).
package groups

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
	"github.com/opendms/opendms/internal/store"
	"github.com/opendms/opendms/internal/tasks"
)

// Service is the consumer group service.
type Service struct {
	instances *instances.Service
	meta      store.Groups // descriptions and the groups created through the API
	runner    *tasks.Runner
	log       *slog.Logger
	now       func() time.Time
}

// New makes the service over the instances (which give each instance's Kafka client), the store of
// group records and the task runner. It registers the task of 5.6.7 with the runner, so it must be
// made before the instances service's Start resumes the tasks a restart interrupted.
func New(inst *instances.Service, meta store.Groups, runner *tasks.Runner) *Service {
	s := &Service{instances: inst, meta: meta, runner: runner, log: slog.Default(), now: time.Now}
	runner.Register(taskModifyGroups, s.runModifyGroups)
	return s
}

// SetLogger sets where the service logs what it cannot return (groups described partially).
func (s *Service) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log = l
	}
}

// Group is a consumer group as the APIs show it: the cluster's view and OpenDMS's record of it.
type Group struct {
	kafkaops.Group
	Description string
	CreatedAt   time.Time // when it was created through the API; zero for groups made by Kafka clients
}

// State is the group state as DMS spells it: Kafka's state in upper case (STABLE, EMPTY,
// PREPARINGREBALANCE, COMPLETINGREBALANCE, DEAD), as the reference's examples show. KIP-848's
// ASSIGNING and RECONCILING are what PREPARINGREBALANCE and COMPLETINGREBALANCE are to a classic
// group, and are shown as those.
func State(kafkaState string) string {
	switch s := strings.ToUpper(kafkaState); s {
	case "ASSIGNING":
		return "PREPARINGREBALANCE"
	case "RECONCILING":
		return "COMPLETINGREBALANCE"
	default:
		return s
	}
}

func (s *Service) client(ctx context.Context, projectID, instanceID string) (*kafkaops.Client, error) {
	_, c, err := s.instances.ClusterClient(ctx, projectID, instanceID)
	return c, err
}

// cluster returns the instance (whose ID keys the records) and its cluster's client.
func (s *Service) cluster(ctx context.Context, projectID, instanceID string) (dms.Instance, *kafkaops.Client, error) {
	return s.instances.ClusterClient(ctx, projectID, instanceID)
}

// ListFilter selects the groups of a list.
type ListFilter struct {
	Group string // a substring of the group's name ("" for all)
	Topic string // only groups with a committed offset on, or a member assigned, this topic (7.2.3.2)
	Desc  bool   // by name descending (the console's sort, an OpenDMS extension)
}

// List returns the total number of groups the filter selects and the page [offset, offset+limit)
// of them, sorted by name, described with their lag (5.6.2, 7.2.3.2): the cluster's groups and the
// groups created through the API that no consumer has used yet (EMPTY, lag 0). Only the page is
// described, unless a topic filter needs every group's topics (a group only created has none).
func (s *Service) List(ctx context.Context, projectID, instanceID string, f ListFilter, offset, limit int) (int, []Group, error) {
	in, c, err := s.cluster(ctx, projectID, instanceID)
	if err != nil {
		return 0, nil, err
	}
	listed, listErr := c.ListConsumerGroups(ctx)
	if listErr != nil {
		if listed == nil {
			return 0, nil, kafkaerr.ToDMS(kafkaerr.About{}, listErr)
		}
		s.log.Warn("listing consumer groups: some brokers did not answer", "instance", instanceID, "err", listErr)
	}
	recs, err := s.records(ctx, in.ID)
	if err != nil {
		return 0, nil, err
	}
	listed, onlyStored := withCreated(listed, recs)
	listed = slices.DeleteFunc(listed, func(g kafkaops.ListedGroup) bool { return !strings.Contains(g.Name, f.Group) })
	if f.Desc {
		slices.Reverse(listed)
	}
	if f.Topic == "" {
		shown := page(listed, offset, limit)
		gs, err := s.describe(ctx, c, shown, onlyStored, recs)
		if err != nil {
			return 0, nil, err
		}
		s.logPartial(instanceID, gs)
		return len(listed), gs, nil
	}
	listed = slices.DeleteFunc(listed, func(g kafkaops.ListedGroup) bool { return onlyStored[g.Name] })
	all, err := s.describe(ctx, c, listed, nil, recs)
	if err != nil {
		return 0, nil, err
	}
	all = slices.DeleteFunc(all, func(g Group) bool {
		return !slices.ContainsFunc(g.Offsets, func(o kafkaops.GroupOffset) bool { return o.Topic == f.Topic })
	})
	gs := page(all, offset, limit)
	s.logPartial(instanceID, gs)
	return len(all), gs, nil
}

func (s *Service) logPartial(instanceID string, gs []Group) {
	for _, g := range gs {
		if g.Partial != nil {
			s.log.Warn("consumer group described partially", "instance", instanceID, "group", g.Name, "err", g.Partial)
		}
	}
}

// Get returns one group with its members, assignments and offsets (5.6.1, 5.6.8); a group created
// through the API that no consumer has used yet is EMPTY, without members nor offsets. An unknown
// group is DMS.10240405 (404).
func (s *Service) Get(ctx context.Context, projectID, instanceID, group string) (Group, error) {
	in, c, err := s.cluster(ctx, projectID, instanceID)
	if err != nil {
		return Group{}, err
	}
	kg, gerr := c.Group(ctx, group)
	if gerr != nil && !errors.Is(gerr, kafkaops.ErrGroupNotFound) {
		return Group{}, kafkaerr.ToDMS(kafkaerr.Group(group), gerr)
	}
	recs, err := s.records(ctx, in.ID)
	if err != nil {
		return Group{}, err
	}
	rec, ok := recs[group]
	if gerr != nil {
		if !ok || !created(rec) {
			return Group{}, kafkaerr.ToDMS(kafkaerr.Group(group), gerr)
		}
		return onlyCreated(rec, c.GroupCoordinators(ctx, group)), nil
	}
	g := withRecord(kg, recs)
	s.logPartial(instanceID, []Group{g})
	return g, nil
}

// OffsetFilter selects the lines of 5.6.6.
type OffsetFilter struct {
	Topic     string // "" for all
	Partition int32  // -1 for all
}

// Offsets returns the group's offset lines the filter selects (total, and the page), sorted by
// topic and partition (5.6.6).
func (s *Service) Offsets(ctx context.Context, projectID, instanceID, group string, f OffsetFilter, offset, limit int) (int, []kafkaops.GroupOffset, error) {
	g, err := s.Get(ctx, projectID, instanceID, group)
	if err != nil {
		return 0, nil, err
	}
	lines := slices.DeleteFunc(g.Offsets, func(o kafkaops.GroupOffset) bool {
		return (f.Topic != "" && o.Topic != f.Topic) || (f.Partition >= 0 && o.Partition != f.Partition)
	})
	return len(lines), page(lines, offset, limit), nil
}

// TopicsQuery selects and orders the topics of 5.6.11.
type TopicsQuery struct {
	Topic   string // a substring of the topic name ("" for all)
	SortKey string // "topic", "partition" or "messages" (the lag; default)
	Desc    bool
}

// ParseTopicsQuery checks 5.6.11's sort_key (topic, partition, messages; default messages) and
// sort_dir (asc, desc; default desc).
func ParseTopicsQuery(topic, sortKey, sortDir string) (TopicsQuery, error) {
	q := TopicsQuery{Topic: topic, SortKey: cmp.Or(sortKey, "messages"), Desc: true}
	switch q.SortKey {
	case "topic", "partition", "messages":
	default:
		return q, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: sort_key must be topic, partition or messages, got %q.", sortKey)
	}
	switch sortDir {
	case "", "desc":
	case "asc":
		q.Desc = false
	default:
		return q, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: sort_dir must be asc or desc, got %q.", sortDir)
	}
	return q, nil
}

// Topics returns the topics the group consumes with their partition counts and lag (5.6.11).
func (s *Service) Topics(ctx context.Context, projectID, instanceID, group string, q TopicsQuery, offset, limit int) (int, []kafkaops.TopicLag, error) {
	g, err := s.Get(ctx, projectID, instanceID, group)
	if err != nil {
		return 0, nil, err
	}
	ts := slices.DeleteFunc(g.Topics(), func(t kafkaops.TopicLag) bool { return !strings.Contains(t.Topic, q.Topic) })
	slices.SortStableFunc(ts, func(a, b kafkaops.TopicLag) int {
		var c int
		switch q.SortKey {
		case "partition":
			c = cmp.Compare(a.Partitions, b.Partitions)
		case "messages":
			c = cmp.Compare(a.Lag, b.Lag)
		}
		if c == 0 {
			c = cmp.Compare(a.Topic, b.Topic)
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	return len(ts), page(ts, offset, limit), nil
}

// MemberFilter selects the members of 5.6.12.
type MemberFilter struct {
	Host     string // a substring of the member's host
	MemberID string // a substring of the member id
}

// Members returns the group's members the filter selects, sorted by member id (5.6.12).
func (s *Service) Members(ctx context.Context, projectID, instanceID, group string, f MemberFilter, offset, limit int) (int, []kafkaops.GroupMember, error) {
	g, err := s.Get(ctx, projectID, instanceID, group)
	if err != nil {
		return 0, nil, err
	}
	ms := slices.DeleteFunc(g.Members, func(m kafkaops.GroupMember) bool {
		return !strings.Contains(m.Host, f.Host) || !strings.Contains(m.MemberID, f.MemberID)
	})
	return len(ms), page(ms, offset, limit), nil
}

// page returns items [offset, offset+limit); limit 0 is no limit.
func page[T any](items []T, offset, limit int) []T {
	if offset >= len(items) {
		return []T{}
	}
	end := len(items)
	if limit > 0 {
		end = min(offset+limit, end)
	}
	return items[offset:end]
}
