package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Brokers apply ACL changes from the cluster's metadata log a moment after the controller accepted
// them, each at its own pace: a user granted a topic may be refused by a broker that has not caught
// up. The changes of SetTopicAccess therefore return once every broker answers with the new state.

// aclState is what SetTopicAccess changed: users' access to one topic and their group READ.
type aclState struct {
	topic     string
	access    map[string]Access // users with some access (AccessNone left out)
	groupRead map[string]bool   // only the users whose group READ changed
}

// waitACLsEverywhere polls every broker until each describes want, or ctx ends. A broker that
// cannot be reached is passed over (it serves no client; it catches up when back).
func (c *Client) waitACLsEverywhere(ctx context.Context, want aclState) error {
	m, err := c.brokerMetadata(ctx)
	if err != nil {
		return err
	}
	for {
		pending := ""
		for _, b := range m.Brokers {
			bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			ok, err := aclsMatch(bctx, c.cl.Broker(int(b.NodeID)), want)
			cancel()
			var ke *kerr.Error
			if err != nil && !errors.As(err, &ke) {
				continue // unreachable
			}
			if !ok {
				pending = fmt.Sprintf("broker %d (%v)", b.NodeID, err)
				break
			}
		}
		if pending == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafkaops: waiting for the ACLs of %s on %s: %w", want.topic, pending, ctx.Err())
		case <-time.After(topicPollInterval):
		}
	}
}

// aclsMatch says whether broker r describes want.
func aclsMatch(ctx context.Context, r kmsg.Requestor, want aclState) (bool, error) {
	acls, err := describeACLsAt(ctx, r, kmsg.ACLResourceTypeTopic, want.topic)
	if err != nil {
		return false, err
	}
	pub, sub := map[string]bool{}, map[string]bool{}
	for _, a := range acls {
		if a.Operation == kmsg.ACLOperationWrite {
			pub[a.user] = true
		}
		if a.Operation == kmsg.ACLOperationRead {
			sub[a.user] = true
		}
	}
	if !maps.Equal(foldAccess(pub, sub), want.access) {
		return false, nil
	}
	if len(want.groupRead) == 0 {
		return true, nil
	}
	acls, err = describeACLsAt(ctx, r, kmsg.ACLResourceTypeGroup, "*")
	if err != nil {
		return false, err
	}
	reads := map[string]bool{}
	for _, a := range acls {
		if a.Operation == kmsg.ACLOperationRead {
			reads[a.user] = true
		}
	}
	for u, on := range want.groupRead {
		if reads[u] != on {
			return false, nil
		}
	}
	return true, nil
}

type describedACL struct {
	user      string
	Operation kmsg.ACLOperation
}

// describeACLsAt lists the literal ALLOW ACLs of users on one resource, as broker r has them.
func describeACLsAt(ctx context.Context, r kmsg.Requestor, typ kmsg.ACLResourceType, name string) ([]describedACL, error) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType = typ
	req.ResourceName = kmsg.StringPtr(name)
	req.ResourcePatternType = kmsg.ACLResourcePatternTypeLiteral
	req.Operation = kmsg.ACLOperationAny
	req.PermissionType = kmsg.ACLPermissionTypeAllow
	resp, err := req.RequestWith(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, err
	}
	var out []describedACL
	for _, res := range resp.Resources {
		if res.ResourceName != name {
			continue
		}
		for _, a := range res.ACLs {
			if user, ok := strings.CutPrefix(a.Principal, userPrefix); ok && user != "*" {
				out = append(out, describedACL{user: user, Operation: a.Operation})
			}
		}
	}
	return out, nil
}
