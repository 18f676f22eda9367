package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Topic permissions of Kafka users (5.7.6, 5.7.7) as Kafka ACLs. A DMS access policy on a topic is
// a set of ALLOW ACLs of User:<name> on that topic (literal), from any host:
//
//	pub: WRITE and DESCRIBE   (producing; WRITE also allows idempotent producers, KIP-679)
//	sub: READ and DESCRIBE    (consuming)
//	all: both
//
// and a consumer needs READ on its consumer group too: a user with sub on any topic gets READ on
// every group (GROUP "*", literal), removed when its last sub goes. Reading permissions back looks
// at the cluster's ACLs only, so ACLs made by other tools show too.

// Access is a DMS access policy: what a user may do on a topic.
type Access string

// The access policies of the reference.
const (
	AccessNone Access = ""
	AccessPub  Access = "pub"
	AccessSub  Access = "sub"
	AccessAll  Access = "all"
)

func (a Access) pub() bool { return a == AccessPub || a == AccessAll }
func (a Access) sub() bool { return a == AccessSub || a == AccessAll }

func accessOf(pub, sub bool) Access {
	switch {
	case pub && sub:
		return AccessAll
	case pub:
		return AccessPub
	case sub:
		return AccessSub
	}
	return AccessNone
}

const userPrefix = "User:"

// TopicAccess returns each user's access policy on topic, from the topic's literal ALLOW ACLs.
func (c *Client) TopicAccess(ctx context.Context, topic string) (map[string]Access, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	b := kadm.NewACLs().Topics(topic).ResourcePatternType(kadm.ACLPatternLiteral).Allow().Operations(kadm.OpWrite, kadm.OpRead).AllowHosts()
	res, err := c.adm.DescribeACLs(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: describing the ACLs of %s: %w", topic, err)
	}
	pub, sub := map[string]bool{}, map[string]bool{}
	for _, r := range res {
		if r.Err != nil {
			return nil, fmt.Errorf("kafkaops: describing the ACLs of %s: %w", topic, r.Err)
		}
		for _, d := range r.Described {
			user, ok := strings.CutPrefix(d.Principal, userPrefix)
			if !ok || d.Name != topic || d.Permission != kmsg.ACLPermissionTypeAllow {
				continue
			}
			switch d.Operation {
			case kadm.OpWrite:
				pub[user] = true
			case kadm.OpRead:
				sub[user] = true
			}
		}
	}
	out := map[string]Access{}
	for u := range pub {
		out[u] = accessOf(true, sub[u])
	}
	for u := range sub {
		out[u] = accessOf(pub[u], true)
	}
	return out, nil
}

// SetTopicAccess makes the users' access policies on topic exactly want: ACLs are added for what
// want grants and removed for what it does not (users absent from want lose their access). Group
// READ follows each affected user's sub permissions over all topics.
func (c *Client) SetTopicAccess(ctx context.Context, topic string, want map[string]Access) error {
	have, err := c.TopicAccess(ctx, topic)
	if err != nil {
		return err
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()
	users := map[string]bool{}
	for u := range have {
		users[u] = true
	}
	for u := range want {
		users[u] = true
	}
	var errs []error
	changed := make([]string, 0, len(users))
	for u := range users {
		h, w := have[u], want[u]
		if h == w {
			continue
		}
		changed = append(changed, u)
		var add, del []kadm.ACLOperation
		switch {
		case w.pub() && !h.pub():
			add = append(add, kadm.OpWrite)
		case !w.pub() && h.pub():
			del = append(del, kadm.OpWrite)
		}
		switch {
		case w.sub() && !h.sub():
			add = append(add, kadm.OpRead)
		case !w.sub() && h.sub():
			del = append(del, kadm.OpRead)
		}
		if w != AccessNone && h == AccessNone {
			add = append(add, kadm.OpDescribe)
		}
		if w == AccessNone && h != AccessNone {
			del = append(del, kadm.OpDescribe)
		}
		if len(add) > 0 {
			if err := c.createACLs(ctx, kadm.NewACLs().Allow(userPrefix+u).AllowHosts("*").Topics(topic).
				ResourcePatternType(kadm.ACLPatternLiteral).Operations(add...)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", u, err))
			}
		}
		if len(del) > 0 {
			if err := c.deleteACLs(ctx, kadm.NewACLs().Allow(userPrefix+u).AllowHosts("*").Topics(topic).
				ResourcePatternType(kadm.ACLPatternLiteral).Operations(del...)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", u, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kafkaops: setting the ACLs of %s: %w", topic, err)
	}
	sort.Strings(changed)
	return c.syncGroupRead(ctx, changed)
}

// syncGroupRead gives each user READ on every group while it may read some topic, and takes it
// away when it may read none.
func (c *Client) syncGroupRead(ctx context.Context, users []string) error {
	for _, u := range users {
		res, err := c.adm.DescribeACLs(ctx, kadm.NewACLs().Allow(userPrefix+u).AllowHosts().Topics().
			ResourcePatternType(kadm.ACLPatternAny).Operations(kadm.OpRead))
		if err != nil {
			return fmt.Errorf("kafkaops: describing the ACLs of %s: %w", u, err)
		}
		reads := false
		for _, r := range res {
			if r.Err != nil {
				return fmt.Errorf("kafkaops: describing the ACLs of %s: %w", u, r.Err)
			}
			reads = reads || len(r.Described) > 0
		}
		groups := kadm.NewACLs().Allow(userPrefix + u).AllowHosts("*").Groups("*").ResourcePatternType(kadm.ACLPatternLiteral).Operations(kadm.OpRead)
		if reads {
			err = c.createACLs(ctx, groups)
		} else {
			err = c.deleteACLs(ctx, groups)
		}
		if err != nil {
			return fmt.Errorf("kafkaops: group ACLs of %s: %w", u, err)
		}
	}
	return nil
}

// DeleteUserACLs removes every ACL of user (when the user is deleted).
func (c *Client) DeleteUserACLs(ctx context.Context, user string) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	b := kadm.NewACLs().Allow(userPrefix + user).Deny(userPrefix + user).AllowHosts().DenyHosts().AnyResource().
		ResourcePatternType(kadm.ACLPatternAny).Operations()
	if err := c.deleteACLs(ctx, b); err != nil {
		return fmt.Errorf("kafkaops: deleting the ACLs of %s: %w", user, err)
	}
	return nil
}

func (c *Client) createACLs(ctx context.Context, b *kadm.ACLBuilder) error {
	res, err := c.adm.CreateACLs(ctx, b)
	return joinErrs(res, err, func(r kadm.CreateACLsResult) error { return r.Err })
}

func (c *Client) deleteACLs(ctx context.Context, b *kadm.ACLBuilder) error {
	res, err := c.adm.DeleteACLs(ctx, b)
	return joinErrs(res, err, func(r kadm.DeleteACLsResult) error { return r.Err })
}

// joinErrs is err, else the errors of kadm's per-item results.
func joinErrs[R any](res []R, err error, errOf func(R) error) error {
	if err != nil {
		return err
	}
	errs := make([]error, 0, len(res))
	for _, r := range res {
		errs = append(errs, errOf(r))
	}
	return errors.Join(errs...)
}
