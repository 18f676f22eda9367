package instances

import (
	"context"
	"slices"
	"sort"

	"github.com/opendms/opendms/internal/dms"
)

// Tags returns an instance's tags (5.10.2).
func (s *Service) Tags(ctx context.Context, projectID, id string) ([]dms.Tag, error) {
	in, err := s.Get(ctx, projectID, id)
	if err != nil {
		return nil, err
	}
	return in.Tags, nil
}

// ChangeTags adds or deletes tags (5.10.1). Creating a tag whose key exists replaces its value;
// deleting matches the key (and the value, when given).
func (s *Service) ChangeTags(ctx context.Context, projectID, id, action string, tags []dms.Tag) error {
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return err
	}
	if action != "create" && action != "delete" {
		return dms.Errorf(dms.CodeTagActionInvalid, "You can only create or delete tags: action must be create or delete.")
	}
	if action == "create" {
		if err := validTags(tags); err != nil {
			return err
		}
	}
	_, err := s.update(ctx, id, func(in *dms.Instance) error {
		for _, t := range tags {
			i := slices.IndexFunc(in.Tags, func(x dms.Tag) bool { return x.Key == t.Key })
			switch {
			case action == "create" && i >= 0:
				in.Tags[i].Value = t.Value
			case action == "create":
				in.Tags = append(in.Tags, t)
			case i >= 0 && (t.Value == "" || in.Tags[i].Value == t.Value):
				in.Tags = slices.Delete(in.Tags, i, i+1)
			}
		}
		return validTags(in.Tags) // the per-instance limit
	})
	return asAPIError(err)
}

// ProjectTag is a tag key with every value used in a project (5.10.3).
type ProjectTag struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// ProjectTags lists the tags used by a project's instances.
func (s *Service) ProjectTags(ctx context.Context, projectID string) ([]ProjectTag, error) {
	all, err := s.store.ListInstances(ctx, projectID)
	if err != nil {
		return nil, dms.Internal(err)
	}
	values := map[string][]string{}
	for _, in := range all {
		for _, t := range in.Tags {
			if !slices.Contains(values[t.Key], t.Value) {
				values[t.Key] = append(values[t.Key], t.Value)
			}
		}
	}
	out := make([]ProjectTag, 0, len(values))
	for k, vs := range values {
		sort.Strings(vs)
		out = append(out, ProjectTag{Key: k, Values: vs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
