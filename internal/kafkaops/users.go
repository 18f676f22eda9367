package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opendms/opendms/internal/scram"
)

// Kafka users: SCRAM-SHA-512 credentials in the cluster's metadata (AlterUserScramCredentials,
// forwarded to the controller; brokers apply them a moment later: UpsertUser waits for it). PLAIN logins are verified by the
// engine from a file of stored keys (engine.PlainUsers), which the caller keeps beside.

// UpsertUser creates a user or sets its credential (derived by the caller, who writes the same
// credential's stored key for PLAIN: one secret for both mechanisms), and returns once every
// broker has it (or the call's time bound ends: the credential is set then, and a warning logged):
// brokers
// apply credentials from the cluster's metadata log a moment after the controller accepted them,
// and a login on one that has not caught up would still take the old password (or refuse a new
// user). A broker shows a credential's mechanism and iteration count only, so a change is seen when
// the count is new: callers changing a password give the new credential another count than the old
// one (kafkausers alternates two).
func (c *Client) UpsertUser(ctx context.Context, user string, cred scram.Credential) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	res, err := c.adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: user, Mechanism: kadm.ScramSha512,
		Iterations: int32(cred.Iterations), Salt: cred.Salt, SaltedPassword: cred.SaltedPassword}})
	if err != nil {
		return fmt.Errorf("kafkaops: setting the SCRAM credential of %s: %w", user, err)
	}
	if r, ok := res[user]; ok && r.Err != nil {
		return fmt.Errorf("kafkaops: setting the SCRAM credential of %s: %w (%s)", user, r.Err, r.ErrMessage)
	}
	// The credential is set: a broker still behind when the wait ends catches up on its own, and
	// the caller must not undo what the cluster has (its records and the PLAIN file follow it).
	if err := c.waitUsersEverywhere(ctx, []string{user}, func(r kmsg.DescribeUserSCRAMCredentialsResponseResult) bool {
		return hasSCRAM(r, int32(cred.Iterations))
	}); err != nil && c.cfg.logger != nil {
		c.cfg.logger.Warn("a broker has not shown a new SCRAM credential yet", "user", user, "err", err)
	}
	return nil
}

// waitUsersEverywhere polls every broker until each describes every user of users as done says, or
// ctx ends. A broker that cannot be reached is passed over (it serves no client).
func (c *Client) waitUsersEverywhere(ctx context.Context, users []string, done func(kmsg.DescribeUserSCRAMCredentialsResponseResult) bool) error {
	m, err := c.brokerMetadata(ctx)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	for _, u := range users {
		ru := kmsg.NewDescribeUserSCRAMCredentialsRequestUser()
		ru.Name = u
		req.Users = append(req.Users, ru)
	}
	for {
		pending := ""
		for _, b := range m.Brokers {
			bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			resp, err := req.RequestWith(bctx, c.cl.Broker(int(b.NodeID)))
			cancel()
			if err != nil {
				continue // unreachable
			}
			for _, r := range resp.Results {
				if !done(r) {
					pending = fmt.Sprintf("broker %d", b.NodeID)
					break
				}
			}
			if pending != "" {
				break
			}
		}
		if pending == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafkaops: waiting for the SCRAM credentials of %v on %s: %w", users, pending, ctx.Err())
		case <-time.After(topicPollInterval):
		}
	}
}

// hasSCRAM says whether r describes a SCRAM-SHA-512 credential with iterations.
func hasSCRAM(r kmsg.DescribeUserSCRAMCredentialsResponseResult, iterations int32) bool {
	if r.ErrorCode != 0 {
		return false
	}
	for _, ci := range r.CredentialInfos {
		if ci.Mechanism == 2 && ci.Iterations == iterations { // 2: SCRAM-SHA-512
			return true
		}
	}
	return false
}

// hasNoSCRAM says whether r describes no SCRAM-SHA-512 credential (the user is gone).
func hasNoSCRAM(r kmsg.DescribeUserSCRAMCredentialsResponseResult) bool {
	if r.ErrorCode != 0 {
		return true // RESOURCE_NOT_FOUND
	}
	for _, ci := range r.CredentialInfos {
		if ci.Mechanism == 2 {
			return false
		}
	}
	return true
}

// DeleteUsers removes users' credentials and returns each user's error (nil when deleted).
func (c *Client) DeleteUsers(ctx context.Context, users ...string) (map[string]error, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	dels := make([]kadm.DeleteSCRAM, len(users))
	for i, u := range users {
		dels[i] = kadm.DeleteSCRAM{User: u, Mechanism: kadm.ScramSha512}
	}
	res, err := c.adm.AlterUserSCRAMs(ctx, dels, nil)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: deleting SCRAM credentials: %w", err)
	}
	out := make(map[string]error, len(users))
	var gone []string
	for _, u := range users {
		if r, ok := res[u]; ok && r.Err != nil {
			out[u] = r.Err
		} else {
			out[u] = nil
			gone = append(gone, u)
		}
	}
	// As UpsertUser: the deletion is done once every broker shows it (a broker behind would still
	// list the user, and take its password); a broker still behind when the wait ends is logged.
	if len(gone) > 0 {
		if err := c.waitUsersEverywhere(ctx, gone, hasNoSCRAM); err != nil && c.cfg.logger != nil {
			c.cfg.logger.Warn("a broker still shows deleted SCRAM credentials", "users", gone, "err", err)
		}
	}
	return out, nil
}

// Users lists the users that have a SCRAM-SHA-512 credential, sorted.
func (c *Client) Users(ctx context.Context) ([]string, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	ds, err := c.adm.DescribeUserSCRAMs(ctx)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: listing SCRAM users: %w", err)
	}
	var out []string
	var errs []error
	for _, d := range ds {
		if d.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.User, d.Err))
			continue
		}
		for _, ci := range d.CredInfos {
			if ci.Mechanism == kadm.ScramSha512 {
				out = append(out, d.User)
				break
			}
		}
	}
	sort.Strings(out)
	return out, errors.Join(errs...)
}
