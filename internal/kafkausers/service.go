// Package kafkausers is the service behind the Kafka user and permission APIs (5.7.1-5.7.7) and the
// instance password reset (5.2.1). Users exist for real on the cluster: a SCRAM-SHA-512 credential
// (AlterUserScramCredentials) and, where PLAIN is enabled, the same credential's stored key in the
// engine's PLAIN users file; OpenDMS keeps a record beside (description, role, creation time, the
// stored key). Permissions are Kafka ACLs, read back from the cluster.
package kafkausers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
	"github.com/opendms/opendms/internal/keyed"
	"github.com/opendms/opendms/internal/scram"
	"github.com/opendms/opendms/internal/store"
)

// MaxUsers is the reference's limit of users per instance (instances created from 2023-07-15), the
// default of Config.MaxUsers.
const MaxUsers = 500

// Config tunes the service.
type Config struct {
	// MaxUsers bounds the users of an instance, its administrator included (default MaxUsers).
	MaxUsers int
}

// descriptionMax bounds user_desc (the reference gives no limit; topics and groups take 1024).
const descriptionMax = 1024

// namePattern is 5.7.1's rule: a letter first, 4 to 64 letters, digits, '_' and '-' (ANONYMOUS is
// refused besides: see instances.ValidUserName).
var namePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{3,63}$`)

// Service is the Kafka user service.
type Service struct {
	instances *instances.Service
	store     store.Store
	sealer    *iam.Sealer
	cfg       Config
	log       *slog.Logger
	now       func() time.Time
	locks     keyed.Mutex // by instance id: the user and ACL changes of one cluster, one at a time
}

// lock serializes the changes of an instance's users and ACLs: each reads the cluster's state and
// then changes it, which two at once would get wrong (Create counts the users and adds one: the
// users limit holds only if no other creation runs in between). The lock of an instance exists
// only while it is held or waited for: no entry outlives its instance.
func (s *Service) lock(instanceID string) func() {
	return s.locks.Lock(instanceID)
}

// New makes the service.
func New(inst *instances.Service, st store.Store, sealer *iam.Sealer, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	if cfg.MaxUsers <= 0 {
		cfg.MaxUsers = MaxUsers
	}
	return &Service{instances: inst, store: st, sealer: sealer, cfg: cfg, log: log, now: time.Now}
}

// saslInstance returns a running SASL instance of the project and its Kafka client; user
// management needs SASL (the reference: "only when SASL is enabled").
func (s *Service) saslInstance(ctx context.Context, projectID, instanceID string) (dms.Instance, *kafkaops.Client, error) {
	in, c, err := s.instances.ClusterClient(ctx, projectID, instanceID)
	if err != nil {
		return in, nil, err
	}
	if !in.SSLEnable {
		return in, nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: the instance %s has no SASL access mode; Kafka users need SASL.", instanceID)
	}
	return in, c, nil
}

// User is a Kafka user as 5.7.1 shows it.
type User = dms.KafkaUser

// List returns the instance's users (5.7.1): OpenDMS's records, and users with a SCRAM-SHA-512
// credential on the cluster that OpenDMS did not create (created_time 0), by name.
func (s *Service) List(ctx context.Context, projectID, instanceID string) ([]User, error) {
	in, c, err := s.saslInstance(ctx, projectID, instanceID)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, in, c)
}

// list is List for an instance already looked up.
func (s *Service) list(ctx context.Context, in dms.Instance, c *kafkaops.Client) ([]User, error) {
	recs, err := s.store.ListKafkaUsers(ctx, in.ID)
	if err != nil {
		return nil, dms.Internal(err)
	}
	names, err := c.Users(ctx)
	if err != nil && names == nil {
		return nil, kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	if err != nil {
		s.log.Warn("listing SCRAM users: some users could not be described", "instance", in.ID, "err", err)
	}
	out := slices.Clone(recs)
	for _, n := range names {
		if !slices.ContainsFunc(recs, func(u User) bool { return u.Name == n }) {
			out = append(out, User{InstanceID: in.ID, Name: n, Role: dms.KafkaUserRoleGuest})
		}
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Create creates a user (5.7.2): a SCRAM-SHA-512 credential on the cluster, valid for PLAIN too
// where PLAIN is enabled, with no permission until granted.
func (s *Service) Create(ctx context.Context, projectID, instanceID, name, password, desc string) error {
	in, c, err := s.saslInstance(ctx, projectID, instanceID)
	if err != nil {
		return err
	}
	if err := validName(name); err != nil {
		return err
	}
	if err := validPassword(name, password); err != nil {
		return err
	}
	if len(desc) > descriptionMax {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: user_desc is longer than %d characters.", descriptionMax)
	}
	defer s.lock(in.ID)()
	existing, err := s.list(ctx, in, c)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(existing, func(u User) bool { return u.Name == name }) {
		return dms.Errorf(dms.CodeKafkaUserExists, "The user %s already exists.", name)
	}
	if len(existing) >= s.cfg.MaxUsers {
		return dms.Errorf(dms.CodeQuotaReached, "The quota limit has been reached: an instance has at most %d users.", s.cfg.MaxUsers)
	}
	cred, err := scram.NewCredential(password, scram.DefaultIterations)
	if err != nil {
		return dms.Internal(err)
	}
	u := User{InstanceID: in.ID, Name: name, Description: desc, Role: dms.KafkaUserRoleGuest, CreatedAt: s.now().UTC(),
		Salt: cred.Salt, Iterations: cred.Iterations, StoredKey: cred.StoredKey}
	if err := s.store.CreateKafkaUser(ctx, u); errors.Is(err, store.ErrConflict) {
		return dms.Errorf(dms.CodeKafkaUserExists, "The user %s already exists.", name)
	} else if err != nil {
		return dms.Internal(err)
	}
	if err := c.UpsertUser(ctx, name, cred); err != nil {
		_ = s.store.DeleteKafkaUser(context.WithoutCancel(ctx), in.ID, name)
		return kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	if err := s.instances.SyncPlainUsers(ctx, in); err != nil {
		return dms.Internal(fmt.Errorf("writing the PLAIN users file: %w", err))
	}
	return nil
}

// Delete deletes users (5.7.3): their credentials, their ACLs and their records. The instance's
// administrator cannot be deleted; deleting a user that does not exist is an error naming it.
func (s *Service) Delete(ctx context.Context, projectID, instanceID string, names []string) error {
	in, c, err := s.saslInstance(ctx, projectID, instanceID)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: users is required.")
	}
	slices.Sort(names)
	names = slices.Compact(names)
	defer s.lock(in.ID)()
	existing, err := s.list(ctx, in, c)
	if err != nil {
		return err
	}
	for _, n := range names {
		if n == in.AccessUser {
			return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s is the instance's administrator and cannot be deleted.", n)
		}
		if !slices.ContainsFunc(existing, func(u User) bool { return u.Name == n }) {
			return dms.Errorf(dms.CodeResourceNotFound, "The user %s does not exist.", n)
		}
	}
	// ACLs first: a user whose ACLs could not be removed keeps its record, so that a retry finds
	// it and finishes (a user re-created under the name must not inherit old rights).
	var errs []error
	var gone []string
	for _, n := range names {
		if err := c.DeleteUserACLs(ctx, n); err != nil {
			errs = append(errs, err)
			continue
		}
		gone = append(gone, n)
	}
	if len(gone) > 0 {
		res, err := c.DeleteUsers(ctx, gone...)
		if err != nil {
			return dms.Internal(errors.Join(append(errs, err)...))
		}
		for _, n := range gone {
			// A user listed from its record but without a credential on the cluster is deleted all the same.
			if e := res[n]; e != nil && !errors.Is(e, kerr.ResourceNotFound) {
				errs = append(errs, fmt.Errorf("%s: %w", n, e))
				continue
			}
			if err := s.store.DeleteKafkaUser(ctx, in.ID, n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := s.instances.SyncPlainUsers(ctx, in); err != nil {
		errs = append(errs, fmt.Errorf("writing the PLAIN users file: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return dms.Internal(err)
	}
	return nil
}

// Update changes a user's password and/or description (5.7.4, 5.7.5). A new password replaces the
// credential at once: the old one fails on the next login. The administrator's new password is
// also the instance's (5.2.1).
func (s *Service) Update(ctx context.Context, projectID, instanceID, name string, newPassword, desc *string) error {
	in, c, err := s.saslInstance(ctx, projectID, instanceID)
	if err != nil {
		return err
	}
	if newPassword == nil && desc == nil {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: give new_password or user_desc.")
	}
	if desc != nil && len(*desc) > descriptionMax {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: user_desc is longer than %d characters.", descriptionMax)
	}
	if newPassword != nil {
		if err := validPassword(name, *newPassword); err != nil {
			return err
		}
		if reverse(name) == *newPassword {
			return dms.Errorf(dms.CodePasswordWeak, "The password must not be the username reversed.")
		}
	}
	defer s.lock(in.ID)()
	u, err := s.store.GetKafkaUser(ctx, in.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		// A user made outside OpenDMS gets a record when it is changed through the API.
		names, lerr := c.Users(ctx)
		if lerr != nil && names == nil {
			return kafkaerr.ToDMS(kafkaerr.About{}, lerr)
		}
		if !slices.Contains(names, name) {
			return dms.Errorf(dms.CodeResourceNotFound, "The user %s does not exist.", name)
		}
		if newPassword == nil {
			return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: the user %s was not created through this API; set a new_password to adopt it.", name)
		}
		u = User{InstanceID: in.ID, Name: name, Role: dms.KafkaUserRoleGuest, CreatedAt: s.now().UTC()}
		err = nil
	}
	if err != nil {
		return dms.Internal(err)
	}
	if desc != nil {
		u.Description = *desc
	}
	if newPassword == nil {
		if err := s.store.UpdateKafkaUser(ctx, u); err != nil {
			return dms.Internal(err)
		}
		return nil
	}
	// The record first, then the cluster: if the credential cannot be set the record is put back,
	// so that SCRAM (the cluster) and PLAIN (the file written from the records) never disagree.
	old := u
	// Another iteration count than the old credential's, so that UpsertUser sees the brokers have
	// the new one (they show counts, not salts).
	iterations := scram.DefaultIterations
	if u.Iterations == iterations {
		iterations++
	}
	cred, err := scram.NewCredential(*newPassword, iterations)
	if err != nil {
		return dms.Internal(err)
	}
	u.Salt, u.Iterations, u.StoredKey = cred.Salt, cred.Iterations, cred.StoredKey
	err = s.store.UpdateKafkaUser(ctx, u)
	adopted := errors.Is(err, store.ErrNotFound)
	if adopted {
		err = s.store.CreateKafkaUser(ctx, u)
	}
	if err != nil {
		return dms.Internal(err)
	}
	restore := func() {
		bg := context.WithoutCancel(ctx)
		if adopted {
			_ = s.store.DeleteKafkaUser(bg, in.ID, name)
		} else {
			_ = s.store.UpdateKafkaUser(bg, old)
		}
	}
	if err := c.UpsertUser(ctx, name, cred); err != nil {
		restore()
		return kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	if name == in.AccessUser {
		if _, err := s.instances.SetSealedPassword(ctx, in.ID, s.sealer.Seal([]byte(*newPassword))); err != nil {
			return err
		}
	}
	if err := s.instances.SyncPlainUsers(ctx, in); err != nil {
		return dms.Internal(fmt.Errorf("writing the PLAIN users file: %w", err))
	}
	return nil
}

// ResetInstancePassword is 5.2.1: the administrator's (access_user's) password.
func (s *Service) ResetInstancePassword(ctx context.Context, projectID, instanceID, newPassword string) error {
	in, err := s.instances.Get(ctx, projectID, instanceID)
	if err != nil {
		return err
	}
	if !in.SSLEnable || in.AccessUser == "" {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: the instance %s has no SASL access mode, so no password.", instanceID)
	}
	return s.Update(ctx, projectID, instanceID, in.AccessUser, &newPassword, nil)
}

func validName(name string) error {
	if !namePattern.MatchString(name) || !instances.ValidUserName(name) {
		return dms.Errorf(dms.CodeAccessUserInvalid, "Invalid user_name %q: 4 to 64 characters, starting with a letter; letters, digits, '-' and '_'.", name)
	}
	return nil
}

func validPassword(name, password string) error {
	if err := instances.ValidPassword(password); err != nil {
		return err
	}
	if password == name {
		return dms.Errorf(dms.CodePasswordWeak, "The password must differ from the username.")
	}
	return nil
}

func reverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}
