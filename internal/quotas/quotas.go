// Package quotas is the service behind the user and client quota APIs (5.2.13 delete, 5.2.14
// query, 5.2.15 create, 5.2.16 modify). A DMS quota is a Kafka client quota of the instance's
// cluster: the producer_byte_rate and consumer_byte_rate of a user, a client id, or a user and a
// client id, each named or the default entity (user-default, client-default). The cluster holds
// them (nothing is stored beside it), so quotas set with Kafka's own tools show here too.
//
// Writes are asynchronous as in the reference: the request is checked at once (the body, and
// whether the entity has a quota already), then a durable task applies it with AlterClientQuotas,
// which sets or removes values and so can run again after a dmsd restart with the same outcome,
// and succeeds once every broker that answers has applied it (Kafka's brokers apply a quota from
// the metadata log a moment after the controller accepted it).
// The check sees the cluster as its accepted tasks will leave it: requests of one instance are
// checked one at a time, and a quota whose create (modify, delete) was accepted exists (does not)
// from then on, before its task has run, so two creates of one quota sent together are one 201
// and one 409.
//
// Apache Kafka enforces quotas (by throttling clients over their rate); the embedded engine's kfake
// stores and lists them but enforces nothing, as the instance's opendms.capabilities.quotas says.
package quotas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
	"github.com/opendms/opendms/internal/keyed"
	"github.com/opendms/opendms/internal/tasks"
)

// The tasks of 5.2.15, 5.2.16 and 5.2.13, as 5.9 shows them.
const (
	taskCreate = "createUserClientQuota"
	taskModify = "modifyUserClientQuota"
	taskDelete = "deleteUserClientQuota"
)

// Op is what a request does with a quota.
type Op int

// The operations of 5.2.15, 5.2.16 and 5.2.13.
const (
	OpCreate Op = iota
	OpModify
	OpDelete
)

func (o Op) task() string { return [...]string{taskCreate, taskModify, taskDelete}[o] }

// MaxNameLength bounds user names and client ids. The reference gives no bound and Kafka none that
// matters; this keeps a request from storing a name of megabytes in the cluster's metadata.
const MaxNameLength = 255

// Service is the user and client quota service.
type Service struct {
	instances *instances.Service
	runner    *tasks.Runner
	// retryFor is how long a task retries an AlterClientQuotas the cluster did not answer (a
	// resumed task may start before the brokers are back).
	retryFor   time.Duration
	retryEvery time.Duration

	// locks serializes the check and submission of one instance's quota requests.
	locks keyed.Mutex
	// pending is what accepted tasks that have not ended will leave: whether the entity has a
	// quota. A resumed task (after a restart) is not in it; its check had passed before.
	pendingMu sync.Mutex
	pending   map[pendingKey]pendingQuota
}

type pendingKey struct {
	instanceID string
	entity     kafkaops.QuotaEntity
}

type pendingQuota struct {
	taskID string
	exists bool
}

// expected says whether the entity will have a quota once the accepted tasks have run, if one of
// them changes it.
func (s *Service) expected(k pendingKey) (exists, known bool) {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	p, ok := s.pending[k]
	return p.exists, ok
}

// settle forgets what a task was to do once it ended (unless a later task of the entity replaced it).
func (s *Service) settle(k pendingKey, taskID string) {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	if p, ok := s.pending[k]; ok && p.taskID == taskID {
		delete(s.pending, k)
	}
}

// New makes the service over the instances (which give each instance's Kafka client) and the task
// runner. It registers its tasks with the runner, so it must be made before the instances
// service's Start resumes the tasks a restart interrupted.
func New(inst *instances.Service, runner *tasks.Runner) *Service {
	s := &Service{instances: inst, runner: runner, retryFor: 2 * time.Minute, retryEvery: 2 * time.Second, pending: map[pendingKey]pendingQuota{}}
	runner.Register(taskCreate, s.runTask)
	runner.Register(taskModify, s.runTask)
	runner.Register(taskDelete, s.runTask)
	return s
}

// Request is the body of 5.2.13, 5.2.15 and 5.2.16: the entity and, but for a delete, the rates.
// An empty User (Client) is no user (client id): the reference's examples send "" beside
// user-default / client-default.
type Request struct {
	User, Client               string
	UserDefault, ClientDefault bool
	ProducerByteRate           *int64 // bytes/s; nil: not given
	ConsumerByteRate           *int64
}

func (r Request) entity() kafkaops.QuotaEntity {
	return kafkaops.QuotaEntity{User: r.User, UserDefault: r.UserDefault, ClientID: r.Client, ClientDefault: r.ClientDefault}
}

// Validate checks a request of op and returns its entity. Every failure is 400 DMS.00400062 with a
// message naming the field (the reference's hyphenated names):
//   - an entity: user or user-default, client or client-default, at least one of the two;
//   - user and user-default (client and client-default) are exclusive;
//   - names of at most MaxNameLength characters, and not "<default>" (kafkaops.DefaultEntityName);
//   - for a create or a modify, at least one of producer-byte-rate and consumer-byte-rate, each
//     1..kafkaops.MaxByteRate bytes/s. A modify changes the rates given and keeps the other one.
//
// Rates given to a delete are ignored (the SDK's delete body has none; the whole quota goes).
func Validate(op Op, r Request) (kafkaops.QuotaEntity, error) {
	e := r.entity()
	switch {
	case r.UserDefault && r.User != "":
		return e, invalid("user and user-default are exclusive: give user for one user, or user-default true for every user")
	case r.ClientDefault && r.Client != "":
		return e, invalid("client and client-default are exclusive: give client for one client ID, or client-default true for every client")
	case !e.HasUser() && !e.HasClient():
		return e, invalid("give the quota's user (user or user-default) or client (client or client-default), or both")
	}
	for _, n := range []struct{ field, name string }{{"user", r.User}, {"client", r.Client}} {
		switch {
		case utf8.RuneCountInString(n.name) > MaxNameLength:
			return e, invalid("%s is longer than %d characters", n.field, MaxNameLength)
		case n.name == kafkaops.DefaultEntityName:
			return e, invalid("%s %q is how Kafka writes the default entity: set %s-default true instead", n.field, n.name, n.field)
		}
	}
	if op == OpDelete {
		return e, nil
	}
	if r.ProducerByteRate == nil && r.ConsumerByteRate == nil {
		return e, invalid("give producer-byte-rate or consumer-byte-rate, or both")
	}
	for _, v := range []struct {
		field string
		rate  *int64
	}{{"producer-byte-rate", r.ProducerByteRate}, {"consumer-byte-rate", r.ConsumerByteRate}} {
		if v.rate != nil && (*v.rate < 1 || *v.rate > kafkaops.MaxByteRate) {
			return e, invalid("%s must be from 1 to %d bytes/s, got %d", v.field, int64(kafkaops.MaxByteRate), *v.rate)
		}
	}
	return e, nil
}

func invalid(format string, args ...any) error {
	return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s.", fmt.Sprintf(format, args...))
}

// List returns every quota of the instance's cluster (kafkaops.ClientQuotas: user and client-id
// entities with a byte rate), sorted by user then client id.
func (s *Service) List(ctx context.Context, projectID, instanceID string) ([]kafkaops.ClientQuota, error) {
	_, c, err := s.instances.ClusterClient(ctx, projectID, instanceID)
	if err != nil {
		return nil, err
	}
	qs, err := c.ClientQuotas(ctx)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	return qs, nil
}

// Submit checks a create, modify or delete (Validate, then the cluster's quotas: a create of an
// entity that has a quota is 409 DMS.00409001, a modify or delete of one without 404
// DMS.00404900) and starts the task that applies it, which it returns.
func (s *Service) Submit(ctx context.Context, projectID, instanceID string, who instances.Actor, op Op, r Request) (dms.Task, error) {
	e, err := Validate(op, r)
	if err != nil {
		return dms.Task{}, err
	}
	in, c, err := s.instances.ClusterClient(ctx, projectID, instanceID)
	if err != nil {
		return dms.Task{}, err
	}
	defer s.locks.Lock(in.ID)()
	key := pendingKey{instanceID: in.ID, entity: e}
	exists, known := s.expected(key)
	if !known {
		qs, err := c.ClientQuotas(ctx)
		if err != nil {
			return dms.Task{}, kafkaerr.ToDMS(kafkaerr.About{}, err)
		}
		for _, q := range qs {
			if q.Entity == e {
				exists = true
				break
			}
		}
	}
	switch {
	case op == OpCreate && exists:
		return dms.Task{}, dms.Errorf(dms.CodeQuotaExists, "The quota of %s already exists: modify it (PUT) instead.", e)
	case op != OpCreate && !exists:
		return dms.Task{}, dms.Errorf(dms.CodeQuotaNotFound, "%s has no quota.", e)
	}
	p := taskParams{User: r.User, Client: r.Client, UserDefault: r.UserDefault, ClientDefault: r.ClientDefault}
	if op != OpDelete {
		p.ProducerByteRate, p.ConsumerByteRate = r.ProducerByteRate, r.ConsumerByteRate
	}
	b, err := json.Marshal(p)
	if err != nil {
		return dms.Task{}, dms.Internal(err)
	}
	// Recorded before the task can end (Submit starts it), under the pending lock it settles with.
	// (This holds the lock over one store write: quota requests are rare, and recording after the
	// submission could keep an entry of a task that had ended already.)
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	t, err := s.runner.Submit(ctx, dms.Task{InstanceID: in.ID, ProjectID: in.ProjectID, Name: op.task(), Params: string(b),
		UserID: who.UserID, UserName: who.UserName})
	if err != nil {
		return dms.Task{}, dms.Internal(err)
	}
	s.pending[key] = pendingQuota{taskID: t.ID, exists: op != OpDelete}
	return t, nil
}

// taskParams is the input of a quota task, shown as is by 5.9: the request's body, with the
// reference's names.
type taskParams struct {
	User             string `json:"user,omitempty"`
	Client           string `json:"client,omitempty"`
	UserDefault      bool   `json:"user-default,omitempty"`
	ClientDefault    bool   `json:"client-default,omitempty"`
	ProducerByteRate *int64 `json:"producer-byte-rate,omitempty"`
	ConsumerByteRate *int64 `json:"consumer-byte-rate,omitempty"`
}

// runTask applies a quota task with AlterClientQuotas: a create or a modify sets the rates given,
// a delete removes both rates. Running it again gives the same quota, so a task a restart
// interrupted is simply run again. The quota is not checked again here: the request was checked,
// and a resumed create must not fail on the quota its first run set.
func (s *Service) runTask(ctx context.Context, t dms.Task) error {
	var p taskParams
	if err := json.Unmarshal([]byte(t.Params), &p); err != nil {
		return fmt.Errorf("task parameters: %w", err)
	}
	alt := kafkaops.QuotaAlteration{
		Entity:           kafkaops.QuotaEntity{User: p.User, UserDefault: p.UserDefault, ClientID: p.Client, ClientDefault: p.ClientDefault},
		ProducerByteRate: p.ProducerByteRate, ConsumerByteRate: p.ConsumerByteRate,
		Remove: t.Name == taskDelete,
	}
	// Once it ends (either way) the cluster says again whether the entity has a quota.
	defer s.settle(pendingKey{instanceID: t.InstanceID, entity: alt.Entity}, t.ID)
	deadline := time.Now().Add(s.retryFor)
	for {
		// The instance is looked up at every attempt: one deleted meanwhile fails the task.
		_, c, err := s.instances.ClusterClient(ctx, t.ProjectID, t.InstanceID)
		if err != nil {
			return err
		}
		err = alter(ctx, c, alt)
		if err == nil {
			// Done when the brokers apply it (and so throttle by it), not merely when the
			// controller has it: the task's SUCCESS means the quota is in force.
			err = c.WaitQuotaApplied(ctx, alt)
		}
		if err == nil || !kafkaops.QuotaRetriable(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.retryEvery):
		}
	}
}

// alter applies one alteration and returns its error.
func alter(ctx context.Context, c *kafkaops.Client, alt kafkaops.QuotaAlteration) error {
	res, err := c.AlterClientQuotas(ctx, []kafkaops.QuotaAlteration{alt})
	if err != nil {
		return err
	}
	if len(res) != 1 {
		return errors.New("quotas: no result of the alteration")
	}
	return res[0].Err
}
