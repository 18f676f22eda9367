package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/opendms/opendms/internal/scram"
)

// Kafka users: SCRAM-SHA-512 credentials in the cluster's metadata (AlterUserScramCredentials,
// forwarded to the controller; new connections see them at once). PLAIN logins are verified by the
// engine from a file of stored keys (engine.PlainUsers), which the caller keeps beside.

// UpsertUser creates a user or sets its credential (derived by the caller, who writes the same
// credential's stored key for PLAIN: one secret for both mechanisms).
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
	return nil
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
	for _, u := range users {
		if r, ok := res[u]; ok && r.Err != nil {
			out[u] = r.Err
		} else {
			out[u] = nil
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
