package groups

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
	"github.com/opendms/opendms/internal/store"
)

// What Kafka has no place for: groups created through the API before any consumer uses them
// (5.6.4) and group descriptions (5.6.7, 5.6.10). Both are a dms.GroupMeta record beside the
// cluster. A record with a CreatedAt is a group created through the API: it exists (EMPTY, no
// members) whether or not Kafka has it. A record without one only describes a group of the
// cluster, and shows nowhere once Kafka no longer has that group (5.6.4 then replaces it).

// taskModifyGroups is the task of 5.6.7, as 5.9 shows it.
const taskModifyGroups = "modifyConsumerGroups"

// groupNameRule is the rule for names of groups created through the API. The reference gives none
// for 5.6.4; this is the DMS console's (3-64 characters, starting with a letter or '_'; letters,
// digits, '.', '_' and '-'), which also keeps names safe in the URL paths of the other group APIs.
// Groups that Kafka clients make are served whatever their names.
var groupNameRule = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]{2,63}$`)

// maxDescription bounds group_desc. The reference gives no limit; 1024 is its limit for instance
// descriptions, which OpenDMS applies to topic descriptions too.
const maxDescription = 1024

func checkName(name string) error {
	if name == "" {
		return dms.Errorf(dms.CodeGroupIDInvalid, "Invalid consumer group name: group_name is required.")
	}
	if !groupNameRule.MatchString(name) {
		return dms.Errorf(dms.CodeGroupIDInvalid, "Invalid consumer group name %q: the name must be 3 to 64 characters long and start with a letter or an underscore (_). Only letters, digits, periods (.), underscores (_), and hyphens (-) are allowed.", name)
	}
	return nil
}

func checkDescription(desc *string) error {
	if desc != nil && utf8.RuneCountInString(*desc) > maxDescription {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: group_desc is longer than %d characters.", maxDescription)
	}
	return nil
}

// created reports whether a record is of a group created through the API.
func created(m dms.GroupMeta) bool { return !m.CreatedAt.IsZero() }

// records returns the instance's group records by name.
func (s *Service) records(ctx context.Context, instanceID string) (map[string]dms.GroupMeta, error) {
	ms, err := s.meta.ListGroupMeta(ctx, instanceID)
	if err != nil {
		return nil, dms.Internal(err)
	}
	out := make(map[string]dms.GroupMeta, len(ms))
	for _, m := range ms {
		out[m.Name] = m
	}
	return out, nil
}

func byName(g kafkaops.ListedGroup, name string) int { return cmp.Compare(g.Name, name) }

// listedHas reports whether the cluster's groups (sorted by name) include name.
func listedHas(listed []kafkaops.ListedGroup, name string) bool {
	_, found := slices.BinarySearchFunc(listed, name, byName)
	return found
}

// withCreated adds to the cluster's groups (sorted by name) the groups created through the API that
// the cluster does not have, as EMPTY groups, and returns them all sorted by name with the set of
// those added.
func withCreated(listed []kafkaops.ListedGroup, recs map[string]dms.GroupMeta) ([]kafkaops.ListedGroup, map[string]bool) {
	only := map[string]bool{}
	for name, m := range recs {
		if created(m) && !listedHas(listed, name) {
			only[name] = true
			listed = append(listed, kafkaops.ListedGroup{Name: name, State: "Empty"})
		}
	}
	if len(only) > 0 {
		slices.SortFunc(listed, func(a, b kafkaops.ListedGroup) int { return cmp.Compare(a.Name, b.Name) })
	}
	return listed, only
}

// withRecord is a group of the cluster with its record's description and creation time.
func withRecord(g kafkaops.Group, recs map[string]dms.GroupMeta) Group {
	m := recs[g.Name]
	return Group{Group: g, Description: m.Description, CreatedAt: m.CreatedAt}
}

// onlyCreated is a group created through the API that the cluster does not have yet: EMPTY, no
// members, no offsets, coordinated by the broker Kafka will place it on (0 if unknown).
func onlyCreated(m dms.GroupMeta, coordinators map[string]int32) Group {
	g := kafkaops.Group{
		ListedGroup:     kafkaops.ListedGroup{Name: m.Name, State: "Empty", Coordinator: coordinators[m.Name]},
		Members:         []kafkaops.GroupMember{},
		Offsets:         []kafkaops.GroupOffset{},
		TopicPartitions: map[string]int{},
	}
	return Group{Group: g, Description: m.Description, CreatedAt: m.CreatedAt}
}

// describe describes the groups shown, in their order: the cluster's with DescribeGroups, those only
// created (onlyStored) from their records with one FindCoordinator for all of them, so a page costs
// a fixed number of requests whatever it holds.
func (s *Service) describe(ctx context.Context, c *kafkaops.Client, shown []kafkaops.ListedGroup, onlyStored map[string]bool,
	recs map[string]dms.GroupMeta) ([]Group, error) {
	var inKafka []kafkaops.ListedGroup
	var stored []string
	for _, g := range shown {
		if onlyStored[g.Name] {
			stored = append(stored, g.Name)
		} else {
			inKafka = append(inKafka, g)
		}
	}
	described, err := c.DescribeGroups(ctx, inKafka)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	coordinators := c.GroupCoordinators(ctx, stored...)
	out := make([]Group, 0, len(shown))
	for _, g := range shown {
		if onlyStored[g.Name] {
			out = append(out, onlyCreated(recs[g.Name], coordinators))
			continue
		}
		out = append(out, withRecord(described[0], recs))
		described = described[1:]
	}
	return out, nil
}

// Create creates a consumer group (5.6.4): a record in the store, since Kafka cannot hold a group
// without members or offsets; consumers joining it later make it the cluster's. A name that breaks
// the rule is DMS.10240016; a group that the cluster has, or that was created already, DMS.10240018.
func (s *Service) Create(ctx context.Context, projectID, instanceID, name string, desc *string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := checkDescription(desc); err != nil {
		return err
	}
	in, c, err := s.cluster(ctx, projectID, instanceID)
	if err != nil {
		return err
	}
	listed, err := c.ListConsumerGroups(ctx)
	if err != nil { // a broker that did not answer may coordinate a group of that name
		return kafkaerr.ToDMS(kafkaerr.Group(name), err)
	}
	exists := dms.Errorf(dms.CodeGroupExists, "The consumer group %s already exists.", name)
	if listedHas(listed, name) {
		return exists
	}
	recs, err := s.records(ctx, in.ID)
	if err != nil {
		return err
	}
	m := dms.GroupMeta{InstanceID: in.ID, Name: name, CreatedAt: s.now().UTC()}
	if desc != nil {
		m.Description = *desc
	}
	if old, ok := recs[name]; ok && !created(old) {
		// The description of a group Kafka no longer has: the new group replaces it.
		err = s.meta.PutGroupMeta(ctx, m)
	} else {
		err = s.meta.CreateGroupMeta(ctx, m)
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		return exists
	case err != nil:
		return dms.Internal(err)
	}
	return nil
}

// checkExist fails with DMS.10240405 for the first of names that is neither a group of the cluster
// nor a group created through the API, and returns the instance and its records otherwise.
func (s *Service) checkExist(ctx context.Context, projectID, instanceID string, names []string) (dms.Instance, map[string]dms.GroupMeta, error) {
	in, c, err := s.cluster(ctx, projectID, instanceID)
	if err != nil {
		return in, nil, err
	}
	listed, listErr := c.ListConsumerGroups(ctx)
	if listErr != nil && listed == nil {
		return in, nil, kafkaerr.ToDMS(kafkaerr.About{}, listErr)
	}
	recs, err := s.records(ctx, in.ID)
	if err != nil {
		return in, nil, err
	}
	for _, n := range names {
		if created(recs[n]) || listedHas(listed, n) {
			continue
		}
		if listErr != nil { // its coordinator may be the broker that did not answer
			return in, nil, kafkaerr.ToDMS(kafkaerr.Group(n), listErr)
		}
		return in, nil, dms.Errorf(dms.CodeGroupNotFound, "The consumer group %s does not exist.", n)
	}
	return in, recs, nil
}

// setDescription stores a group's description, keeping its record's creation time.
func (s *Service) setDescription(ctx context.Context, instanceID, group, desc string, recs map[string]dms.GroupMeta) error {
	m := recs[group]
	m.InstanceID, m.Name, m.Description = instanceID, group, desc
	if err := s.meta.PutGroupMeta(ctx, m); err != nil {
		return dms.Internal(err)
	}
	return nil
}

// UpdateRequest is 5.6.10's body (and an entry of 5.6.7's).
type UpdateRequest struct {
	// Name, when given and not empty, must be the group's own: Kafka groups cannot be renamed. The
	// SDK samples send the Go SDK's CreateGroupReq, whose group_name is always there, so "" is as
	// good as absent.
	Name *string
	// Description is the new description; absent changes nothing.
	Description *string
}

// Update sets the description of a group of the cluster or created through the API (5.6.10).
func (s *Service) Update(ctx context.Context, projectID, instanceID, group string, r UpdateRequest) error {
	if r.Name != nil && *r.Name != "" && *r.Name != group {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: group_name %q is not the group's name %q: a consumer group cannot be renamed.", *r.Name, group)
	}
	if err := checkDescription(r.Description); err != nil {
		return err
	}
	in, recs, err := s.checkExist(ctx, projectID, instanceID, []string{group})
	if err != nil || r.Description == nil {
		return err
	}
	return s.setDescription(ctx, in.ID, group, *r.Description, recs)
}

// DescriptionChange is an entry of 5.6.7.
type DescriptionChange struct {
	Group       string  `json:"group_name"`
	Description *string `json:"group_desc,omitempty"` // absent changes nothing
}

// modifyGroupsParams is the input of the task of 5.6.7, shown as is by 5.9.
type modifyGroupsParams struct {
	Groups []DescriptionChange `json:"groups"`
}

// UpdateAll sets the descriptions of several groups (5.6.7) in a background task, which it
// returns. Every entry is checked first: an empty list, an entry without a name, a group named
// twice or a description too long is 400; a group that does not exist is DMS.10240405.
func (s *Service) UpdateAll(ctx context.Context, projectID, instanceID string, who instances.Actor, changes []DescriptionChange) (dms.Task, error) {
	if len(changes) == 0 {
		return dms.Task{}, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: groups must name at least one consumer group.")
	}
	names := make([]string, 0, len(changes))
	for _, ch := range changes {
		switch {
		case ch.Group == "":
			return dms.Task{}, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: every entry of groups needs a group_name.")
		case slices.Contains(names, ch.Group):
			return dms.Task{}, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: groups names %s twice.", ch.Group)
		}
		if err := checkDescription(ch.Description); err != nil {
			return dms.Task{}, err
		}
		names = append(names, ch.Group)
	}
	in, _, err := s.checkExist(ctx, projectID, instanceID, names)
	if err != nil {
		return dms.Task{}, err
	}
	p, err := json.Marshal(modifyGroupsParams{Groups: changes})
	if err != nil {
		return dms.Task{}, dms.Internal(err)
	}
	t, err := s.runner.Submit(ctx, dms.Task{InstanceID: in.ID, ProjectID: in.ProjectID, Name: taskModifyGroups, Params: string(p),
		UserID: who.UserID, UserName: who.UserName})
	if err != nil {
		return dms.Task{}, dms.Internal(err)
	}
	return t, nil
}

// runModifyGroups is the task of 5.6.7. It only writes the store, so it can run at once after a
// dmsd restart, before the cluster is back, and running it twice changes nothing. A group deleted
// since the request gets a record without a creation time, which shows nowhere.
func (s *Service) runModifyGroups(ctx context.Context, t dms.Task) error {
	var p modifyGroupsParams
	if err := json.Unmarshal([]byte(t.Params), &p); err != nil {
		return fmt.Errorf("task parameters: %w", err)
	}
	recs, err := s.records(ctx, t.InstanceID)
	if err != nil {
		return err
	}
	for _, ch := range p.Groups {
		if ch.Description == nil {
			continue
		}
		if err := s.setDescription(ctx, t.InstanceID, ch.Group, *ch.Description, recs); err != nil {
			return fmt.Errorf("consumer group %s: %w", ch.Group, err)
		}
	}
	return nil
}

// settleDelete accounts for a group's record once Kafka answered its deletion (kafkaErr): a group
// Kafka deleted loses its record; a group Kafka does not have is deleted when it was created
// through the API (it existed as its record only); anything else is Kafka's answer. The record of a
// group that no longer exists anywhere is dropped too.
func (s *Service) settleDelete(ctx context.Context, instanceID, group string, kafkaErr error, recs map[string]dms.GroupMeta) error {
	m, ok := recs[group]
	notFound := errors.Is(kafkaErr, kafkaops.ErrGroupNotFound)
	if kafkaErr != nil && !notFound {
		return kafkaErr
	}
	if ok {
		if err := s.meta.DeleteGroupMeta(ctx, instanceID, group); err != nil {
			return dms.Internal(err)
		}
	}
	if notFound && !(ok && created(m)) {
		return kafkaErr
	}
	return nil
}
