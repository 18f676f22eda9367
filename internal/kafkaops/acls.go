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
	return foldAccess(pub, sub), nil
}

// foldAccess is each user's access policy from the users with WRITE (pub) and READ (sub).
func foldAccess(pub, sub map[string]bool) map[string]Access {
	out := map[string]Access{}
	for u := range pub {
		out[u] = accessOf(true, sub[u])
	}
	for u := range sub {
		out[u] = accessOf(pub[u], true)
	}
	return out
}

// SetTopicAccess makes the users' access policies on topic exactly want: ACLs are added for what
// want grants and removed for what it does not (users absent from want lose their access). Group
// READ follows each affected user's sub permissions over all topics, decided from the ACLs read
// before the change (a broker may answer a describe with metadata a moment older than the change).
// Callers serialize the changes of one cluster.
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
	reads := map[string]bool{} // user -> may read some topic once want is applied
	for u := range users {
		h, w := have[u], want[u]
		if h == w {
			continue
		}
		if h.sub() != w.sub() {
			elsewhere, err := c.readsOtherTopics(ctx, u, topic)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			reads[u] = elsewhere || w.sub()
		}
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
	for _, u := range sortedUsers(reads) {
		if err := c.setGroupRead(ctx, u, reads[u]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kafkaops: setting the ACLs of %s: %w", topic, err)
	}
	state := aclState{topic: topic, access: map[string]Access{}, groupRead: reads}
	for u, a := range want {
		if a != AccessNone {
			state.access[u] = a
		}
	}
	return c.waitACLsEverywhere(ctx, state)
}

// readsOtherTopics reports whether user has READ on some topic other than topic.
func (c *Client) readsOtherTopics(ctx context.Context, user, topic string) (bool, error) {
	res, err := c.adm.DescribeACLs(ctx, kadm.NewACLs().Allow(userPrefix+user).AllowHosts().Topics().
		ResourcePatternType(kadm.ACLPatternAny).Operations(kadm.OpRead))
	if err != nil {
		return false, fmt.Errorf("kafkaops: describing the ACLs of %s: %w", user, err)
	}
	for _, r := range res {
		if r.Err != nil {
			return false, fmt.Errorf("kafkaops: describing the ACLs of %s: %w", user, r.Err)
		}
		for _, d := range r.Described {
			if d.Name != topic || d.Pattern != kadm.ACLPatternLiteral {
				return true, nil
			}
		}
	}
	return false, nil
}

// setGroupRead gives user READ on every group (GROUP "*"), or takes it away.
func (c *Client) setGroupRead(ctx context.Context, user string, on bool) error {
	groups := kadm.NewACLs().Allow(userPrefix + user).AllowHosts("*").Groups("*").ResourcePatternType(kadm.ACLPatternLiteral).Operations(kadm.OpRead)
	var err error
	if on {
		err = c.createACLs(ctx, groups)
	} else {
		err = c.deleteACLs(ctx, groups)
	}
	if err != nil {
		return fmt.Errorf("kafkaops: group ACLs of %s: %w", user, err)
	}
	return nil
}

// OpenGroups lets every user use every group (ALLOW User:* READ on GROUP "*"). With
// allow.everyone.if.no.acl.found=true (DMS's default) groups are open to all until some group has
// an ACL; the per-user group ACLs of SetTopicAccess would close them to the users consuming topics
// nobody has ACLs on. Idempotent.
func (c *Client) OpenGroups(ctx context.Context) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if err := c.createACLs(ctx, kadm.NewACLs().Allow("User:*").AllowHosts("*").Groups("*").
		ResourcePatternType(kadm.ACLPatternLiteral).Operations(kadm.OpRead)); err != nil {
		return fmt.Errorf("kafkaops: opening the groups: %w", err)
	}
	return nil
}

// ProtectCluster gives admin every right on the CLUSTER resource. With
// allow.everyone.if.no.acl.found (DMS's default true) a cluster without ACLs lets every
// authenticated user do every cluster operation, among them changing other users' credentials and
// ACLs: one ACL makes the cluster "have ACLs", so that only super users and admin keep those rights.
// Idempotent.
func (c *Client) ProtectCluster(ctx context.Context, admin string) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if err := c.createACLs(ctx, kadm.NewACLs().Allow(userPrefix+admin).AllowHosts("*").Clusters().
		ResourcePatternType(kadm.ACLPatternLiteral).Operations(kadm.OpAll)); err != nil {
		return fmt.Errorf("kafkaops: the cluster ACL: %w", err)
	}
	return nil
}

// DeleteTopicACLs removes the access policies of a deleted topic (Kafka keeps ACLs of deleted
// topics: a new topic of the same name would be open to the old users at once), and group READ of
// users who may then read no topic.
func (c *Client) DeleteTopicACLs(ctx context.Context, topic string) error {
	acc, err := c.TopicAccess(ctx, topic)
	if err != nil || len(acc) == 0 {
		return err
	}
	return c.SetTopicAccess(ctx, topic, map[string]Access{})
}

func sortedUsers(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
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
