// Package store defines the metadata store OpenDMS keeps its state in. Implementations live in
// sub-packages, one per database (sqlite now, postgres later); callers depend on these interfaces only.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/opendms/opendms/internal/dms"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a create would violate a uniqueness rule (same name, same key).
var ErrConflict = errors.New("store: already exists")

// Store is the whole metadata store.
type Store interface {
	IAM
	Instances
	Tasks
	Topics
	Groups
	Diagnoses
	KafkaUsers
	Schedules
	ConnectTasks
	Close() error
}

// KafkaUsers holds the SASL users of instances (rows go with their instance).
type KafkaUsers interface {
	// CreateKafkaUser adds a user; ErrConflict if the instance has one of that name.
	CreateKafkaUser(ctx context.Context, u dms.KafkaUser) error
	// GetKafkaUser returns a user (ErrNotFound if there is none).
	GetKafkaUser(ctx context.Context, instanceID, name string) (dms.KafkaUser, error)
	// ListKafkaUsers lists an instance's users by name.
	ListKafkaUsers(ctx context.Context, instanceID string) ([]dms.KafkaUser, error)
	// UpdateKafkaUser replaces a user (ErrNotFound if it is gone).
	UpdateKafkaUser(ctx context.Context, u dms.KafkaUser) error
	// DeleteKafkaUser removes a user (no error if there is none).
	DeleteKafkaUser(ctx context.Context, instanceID, name string) error
}

// Groups holds what OpenDMS keeps about consumer groups beside the cluster (rows go with their
// instance).
type Groups interface {
	// CreateGroupMeta adds a group's record; ErrConflict if the instance has one of that name.
	CreateGroupMeta(ctx context.Context, m dms.GroupMeta) error
	// PutGroupMeta adds or replaces a group's record.
	PutGroupMeta(ctx context.Context, m dms.GroupMeta) error
	// ListGroupMeta lists an instance's group records, by name.
	ListGroupMeta(ctx context.Context, instanceID string) ([]dms.GroupMeta, error)
	// DeleteGroupMeta removes a group's record (no error if there is none).
	DeleteGroupMeta(ctx context.Context, instanceID, name string) error
}

// Diagnoses holds message backlog diagnosis reports (rows go with their instance).
type Diagnoses interface {
	CreateDiagnosis(ctx context.Context, r dms.DiagnosisReport) error
	// GetDiagnosis returns a report by id (ErrNotFound if there is none).
	GetDiagnosis(ctx context.Context, id string) (dms.DiagnosisReport, error)
	// UpdateDiagnosis replaces a report (ErrNotFound if it is gone).
	UpdateDiagnosis(ctx context.Context, r dms.DiagnosisReport) error
	// ListDiagnoses lists an instance's reports, newest first; with instanceID empty, every
	// instance's (to resume the diagnosing ones after a restart).
	ListDiagnoses(ctx context.Context, instanceID string) ([]dms.DiagnosisReport, error)
}

// Topics holds what OpenDMS keeps about topics beside the cluster (rows go with their instance).
type Topics interface {
	// PutTopicMeta adds or replaces a topic's record.
	PutTopicMeta(ctx context.Context, m dms.TopicMeta) error
	// ListTopicMeta lists an instance's topic records.
	ListTopicMeta(ctx context.Context, instanceID string) ([]dms.TopicMeta, error)
	// DeleteTopicMeta removes a topic's record (no error if there is none).
	DeleteTopicMeta(ctx context.Context, instanceID, name string) error
}

// Instances holds Kafka instances.
type Instances interface {
	// CreateInstance adds an instance; ErrConflict if its name is taken in the project.
	CreateInstance(ctx context.Context, in dms.Instance) error
	// GetInstance returns an instance by id (including one being deleted).
	GetInstance(ctx context.Context, id string) (dms.Instance, error)
	// ListInstances lists a project's instances (not being deleted), oldest first; with projectID
	// empty, every instance of every project, including those being deleted (for the engines'
	// start-up and the task runner).
	ListInstances(ctx context.Context, projectID string) ([]dms.Instance, error)
	// UpdateInstance replaces an instance; ErrConflict on a name clash, ErrNotFound if it is gone.
	UpdateInstance(ctx context.Context, in dms.Instance) error
	DeleteInstance(ctx context.Context, id string) error
}

// Tasks holds background tasks.
type Tasks interface {
	CreateTask(ctx context.Context, t dms.Task) error
	GetTask(ctx context.Context, id string) (dms.Task, error)
	UpdateTask(ctx context.Context, t dms.Task) error
	// UpdateTaskProgress replaces a task's progress (ErrNotFound if it is gone).
	UpdateTaskProgress(ctx context.Context, id string, p dms.TaskProgress) error
	DeleteTask(ctx context.Context, id string) error
	// ListTasks lists an instance's tasks, newest first.
	ListTasks(ctx context.Context, instanceID string) ([]dms.Task, error)
	// ListUnfinishedTasks lists tasks that were CREATED or EXECUTING (to resume after a restart), oldest first.
	ListUnfinishedTasks(ctx context.Context) ([]dms.Task, error)
	// DeleteInstanceTasks removes the tasks of a deleted instance.
	DeleteInstanceTasks(ctx context.Context, instanceID string) error
}

// NewAccount is what CreateAccount stores together.
type NewAccount struct {
	Domain  dms.Domain
	Admin   dms.User
	Project dms.Project
	Key     *dms.AccessKey // nil: no access key
}

// IAM holds accounts, projects, users, keys, roles and tokens.
type IAM interface {
	CreateDomain(ctx context.Context, d dms.Domain) error
	// CreateAccount stores a new account with its administrator, its first project and (if Key is
	// set) an access key in one transaction: either the tenant is usable or nothing was stored.
	CreateAccount(ctx context.Context, a NewAccount) error
	GetDomain(ctx context.Context, id string) (dms.Domain, error)
	GetDomainByName(ctx context.Context, name string) (dms.Domain, error)
	ListDomains(ctx context.Context) ([]dms.Domain, error)

	CreateProject(ctx context.Context, p dms.Project) error
	GetProject(ctx context.Context, id string) (dms.Project, error)
	ListProjects(ctx context.Context, domainID string) ([]dms.Project, error)

	CreateUser(ctx context.Context, u dms.User) error
	GetUser(ctx context.Context, id string) (dms.User, error)
	GetUserByName(ctx context.Context, domainID, name string) (dms.User, error)
	ListUsers(ctx context.Context, domainID string) ([]dms.User, error)
	UpdateUser(ctx context.Context, u dms.User) error
	DeleteUser(ctx context.Context, id string) error

	CreateAccessKey(ctx context.Context, k dms.AccessKey) error
	GetAccessKey(ctx context.Context, ak string) (dms.AccessKey, error)
	ListAccessKeys(ctx context.Context, userID string) ([]dms.AccessKey, error)
	DeleteAccessKey(ctx context.Context, ak string) error

	// CreatePolicy adds a custom policy or (DomainID empty) upserts a system role by name.
	CreatePolicy(ctx context.Context, p dms.Policy) error
	GetPolicy(ctx context.Context, id string) (dms.Policy, error)
	// GetPolicyByName finds a system role or a domain's custom policy (domainID ignored for system
	// roles). A system role wins over a custom policy of the same name, which only a database from
	// before names were reserved can hold.
	GetPolicyByName(ctx context.Context, domainID, name string) (dms.Policy, error)
	ListPolicies(ctx context.Context, domainID string) ([]dms.Policy, error)
	DeletePolicy(ctx context.Context, id string) error

	CreateRoleBinding(ctx context.Context, b dms.RoleBinding) error
	DeleteRoleBinding(ctx context.Context, b dms.RoleBinding) error
	// ListRoleBindings lists a user's bindings; with projectID non-empty, those of that project only.
	ListRoleBindings(ctx context.Context, userID, projectID string) ([]dms.RoleBinding, error)
	ListDomainRoleBindings(ctx context.Context, domainID string) ([]dms.RoleBinding, error)

	CreateToken(ctx context.Context, t dms.Token) error
	GetToken(ctx context.Context, hash string) (dms.Token, error)
	DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error)
	// DeleteUserTokens revokes every token of a user (a password change, a disabled user).
	DeleteUserTokens(ctx context.Context, userID string) (int, error)

	// GetSetting/PutSetting keep small server-wide values (e.g. the bootstrap marker).
	GetSetting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error

	// Kafka Manager sign-ins (tokens scoped to one instance). DeleteExpiredTokens prunes them too.
	CreateManagerToken(ctx context.Context, t dms.ManagerToken) error
	GetManagerToken(ctx context.Context, hash string) (dms.ManagerToken, error)
	// DeleteManagerTokens removes an instance's scoped tokens issued before epoch (5.2.2, 5.2.3,
	// 5.2.12 end them); those of epoch and later are sign-ins made since, which stay.
	DeleteManagerTokens(ctx context.Context, instanceID string, epoch int64) (int, error)
}

// Schedules holds scheduled tasks (rows go with their instance).
type Schedules interface {
	CreateScheduledTask(ctx context.Context, t dms.ScheduledTask) error
	// GetScheduledTask returns a scheduled task by id (ErrNotFound if there is none).
	GetScheduledTask(ctx context.Context, id string) (dms.ScheduledTask, error)
	// UpdateScheduledTask replaces a scheduled task (ErrNotFound if it is gone).
	UpdateScheduledTask(ctx context.Context, t dms.ScheduledTask) error
	// DeleteScheduledTask removes a scheduled task (ErrNotFound if there is none).
	DeleteScheduledTask(ctx context.Context, id string) error
	// ListScheduledTasks lists an instance's scheduled tasks, newest first.
	ListScheduledTasks(ctx context.Context, instanceID string) ([]dms.ScheduledTask, error)
	// ListScheduledTasksByStatus lists every instance's scheduled tasks in one of statuses, earliest
	// schedule_at first (what the schedule service fires and checks after a restart).
	ListScheduledTasksByStatus(ctx context.Context, statuses ...string) ([]dms.ScheduledTask, error)
	// DeleteInstanceScheduledTasks removes the scheduled tasks of a deleted instance.
	DeleteInstanceScheduledTasks(ctx context.Context, instanceID string) error
}

// ConnectTasks holds Smart Connect tasks (rows go with their instance).
type ConnectTasks interface {
	// CreateConnectTask adds a task; ErrConflict if the instance has one of that name.
	CreateConnectTask(ctx context.Context, t dms.ConnectTask) error
	// GetConnectTask returns an instance's task (ErrNotFound if there is none).
	GetConnectTask(ctx context.Context, instanceID, id string) (dms.ConnectTask, error)
	// UpdateConnectTask replaces a task (ErrNotFound if it is gone; ErrConflict on a name taken).
	UpdateConnectTask(ctx context.Context, t dms.ConnectTask) error
	// DeleteConnectTask removes a task (ErrNotFound if there is none).
	DeleteConnectTask(ctx context.Context, id string) error
	// ListConnectTasks lists an instance's tasks ("": every instance's), oldest first.
	ListConnectTasks(ctx context.Context, instanceID string) ([]dms.ConnectTask, error)
	// DeleteInstanceConnectTasks removes the tasks of an instance.
	DeleteInstanceConnectTasks(ctx context.Context, instanceID string) error
}
