package instances

import (
	"context"
	"errors"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/store"
)

// An instance's Kafka Manager (issue 14) is the OpenDMS console signed in to with the instance's
// kafka_manager_user and its password, scoped to that instance, as DMS's CMAK is. This file keeps
// its state on the instance (dms.Instance.KafkaManager*): 5.2.2 sets the password, 5.2.3 restarts
// it (ends its sign-ins), 5.2.12 disables it. The sign-ins themselves are iam's (iam/manager.go),
// which reads the state through ManagerCredentials.

// DefaultManagerUser is the Kafka Manager user of an instance created without one (every V2
// creation: 5.1.1 has no kafka_manager_user), set by its first 5.2.2. A fixed, documented name
// rather than the instance's SASL access_user: the two credentials are reset by different APIs
// (5.2.1 and 5.2.2) and one must not look like it signs in with the other, and instances without
// SASL have no access_user at all. "admin" is the name DMS's Kafka Manager login shows by default.
const DefaultManagerUser = "admin"

// managerPasswordSpecials are the special characters 5.2.2's new_password may hold, as the
// reference prints them (spaces included); 7.1.1.1's set (v1ManagerPasswordSpecials) is smaller.
const managerPasswordSpecials = "`~!@#$%^&*()-_+=\\[]{};:'\",<.>/? "

// ManagerEnabled reports whether the instance's Kafka Manager can be signed in to: it has a
// password and 5.2.12 has not disabled it. management_connect_address is shown only then.
func ManagerEnabled(in dms.Instance) bool {
	return !in.KafkaManagerDisabled && in.KafkaManagerPasswordHash != ""
}

// ResetManagerPassword is 5.2.2: it sets the Kafka Manager password (8 to 32 characters, at least
// three kinds of lower-case, upper-case, digits and the reference's special characters, not starting
// with '-'), gives an instance without a manager user DefaultManagerUser, enables a manager 5.2.12
// disabled, drops a sealed password an older dmsd kept, and ends every sign-in made before. The
// instance must be RUNNING.
func (s *Service) ResetManagerPassword(ctx context.Context, projectID, id, password string) error {
	if password == "" {
		return dms.Errorf(dms.CodeInvalidParameter, "new_password is required.")
	}
	if !v1PasswordOK(password, managerPasswordSpecials) {
		return dms.Errorf(dms.CodePasswordComplexity, "The new_password does not meet the complexity requirements: 8 to 32 characters, at least three of lower-case letters, upper-case letters, digits and the special characters %s (and spaces), not starting with '-'.", managerPasswordSpecials)
	}
	hash, err := iam.HashPassword(password) // slow by design: outside the service lock
	if err != nil {
		return dms.Internal(err)
	}
	return s.changeManager(ctx, projectID, id, func(in *dms.Instance) error {
		if in.KafkaManagerUser == "" {
			in.KafkaManagerUser = DefaultManagerUser
		}
		in.KafkaManagerPasswordHash, in.KafkaManagerDisabled = hash, false
		// A sealed password MigrateManagerPasswords could not unseal is replaced too: kept, it
		// would be a stale secret, and an error at every start.
		in.SealedManagerPassword = nil
		return nil
	})
}

// RestartManager is 5.2.3. The console is part of dmsd and has nothing to restart; what a restart
// of CMAK does to its users, ending their sessions, is what it does. A disabled manager is refused
// (DMS.00400026): there is nothing running to restart until 5.2.2 enables it again.
func (s *Service) RestartManager(ctx context.Context, projectID, id string) error {
	return s.changeManager(ctx, projectID, id, func(in *dms.Instance) error {
		if in.KafkaManagerDisabled {
			return dms.Errorf(dms.CodeInstanceStatusForbids, "Kafka Manager of this instance is disabled (5.2.12): reset its password (5.2.2) to enable it again.")
		}
		return nil
	})
}

// CloseManager is 5.2.12: the manager is disabled (no sign-in, no management_connect_address) and
// its sign-ins end; IAM users keep using the instance. Disabling a disabled manager succeeds and
// changes nothing more. 5.2.2 enables it again.
func (s *Service) CloseManager(ctx context.Context, projectID, id string) error {
	return s.changeManager(ctx, projectID, id, func(in *dms.Instance) error {
		in.KafkaManagerDisabled = true
		return nil
	})
}

// changeManager applies change to a RUNNING instance of the project, raises its manager epoch
// (which ends every scoped sign-in: iam compares it on each use) and drops the ended tokens.
func (s *Service) changeManager(ctx context.Context, projectID, id string, change func(in *dms.Instance) error) error {
	notFound := dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
	changed, err := s.update(ctx, id, func(in *dms.Instance) error {
		if in.ProjectID != projectID || in.Deleting {
			return notFound
		}
		if err := statusForbids(*in, dms.StatusRunning); err != nil {
			return err
		}
		if err := change(in); err != nil {
			return err
		}
		in.KafkaManagerEpoch++
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return asAPIError(err)
	}
	// The tokens no longer work (the epoch moved); deleting them is housekeeping, and what a
	// failure leaves is pruned when it expires. Only those of older epochs: a sign-in with the
	// new password may have stored its token since the lock was released, and it stays valid.
	if _, err := s.store.DeleteManagerTokens(ctx, id, changed.KafkaManagerEpoch); err != nil {
		s.log.Warn("could not delete ended Kafka Manager tokens", "instance_id", id, "err", err)
	}
	return nil
}

// ManagerCredentials implements iam.ManagerSessions: the instance's Kafka Manager state; an unknown
// or deleted instance is 404 DMS.00404022.
func (s *Service) ManagerCredentials(ctx context.Context, instanceID string) (iam.ManagerCredentials, error) {
	in, err := s.loadRef(ctx, instanceID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && in.Deleting) {
		return iam.ManagerCredentials{}, dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", instanceID)
	}
	if err != nil {
		return iam.ManagerCredentials{}, err
	}
	return iam.ManagerCredentials{ProjectID: in.ProjectID, User: in.KafkaManagerUser, PasswordHash: in.KafkaManagerPasswordHash,
		Enabled: !in.KafkaManagerDisabled, Epoch: in.KafkaManagerEpoch}, nil
}

// MigrateManagerPasswords replaces the Kafka Manager passwords that 7.1.1.1 kept sealed with the
// master key (before they were hashed) by their hashes, and drops the sealed copies. It runs at
// every start and does nothing once no instance has a sealed one; a password that cannot be
// unsealed (a changed master key) is left as it was and reported.
func (s *Service) MigrateManagerPasswords(ctx context.Context) error {
	all, err := s.store.ListInstances(ctx, "")
	if err != nil {
		return err
	}
	for _, in := range all {
		if len(in.SealedManagerPassword) == 0 {
			continue
		}
		pw, err := s.sealer.Open(in.SealedManagerPassword)
		if err != nil {
			s.log.Error("cannot unseal a Kafka Manager password to hash it", "instance_id", in.ID, "err", err)
			continue
		}
		hash, err := iam.HashPassword(string(pw))
		if err != nil {
			return err
		}
		if _, err := s.update(ctx, in.ID, func(cur *dms.Instance) error {
			if len(cur.SealedManagerPassword) > 0 && cur.KafkaManagerPasswordHash == "" {
				cur.KafkaManagerPasswordHash = hash
			}
			cur.SealedManagerPassword = nil
			return nil
		}); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}
