package instances

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/store"
)

// Actor is who asks for an operation (recorded on instances and tasks).
type Actor struct {
	UserID, UserName string
}

// ActorOf is the actor of an authenticated principal.
func ActorOf(p iam.Principal) Actor { return Actor{UserID: p.User.ID, UserName: p.User.Name} }

// Create validates a 5.1.1 request, records the instance (CREATING) with its broker IPs and starts a
// createInstance task that runs the cluster and waits until every broker is registered.
func (s *Service) Create(ctx context.Context, projectID string, who Actor, req CreateRequest) (dms.Instance, error) {
	v, err := validateCreate(s.cat, req)
	if err != nil {
		return dms.Instance{}, err
	}
	if err := s.checkEngineSecurity(v.protocol); err != nil {
		return dms.Instance{}, err
	}
	now := s.now().UTC()
	in := dms.Instance{
		ID: uuid.NewString(), ProjectID: projectID, Name: req.Name, Description: req.Description, Engine: "kafka",
		EngineVer: req.EngineVersion, KafkaVersion: s.cfg.KafkaBuilds[req.EngineVersion], ProductID: v.product.ID,
		BrokerNum: req.BrokerNum, StorageSpace: req.StorageSpace, StorageSpecCode: req.StorageSpecCode,
		Status: dms.StatusCreating, Runtime: s.engine, ClusterID: newClusterID(),
		SSLEnable: v.protocol != "PLAINTEXT", KafkaSecurityProtocol: v.protocol, SASLMechanisms: v.mechs, PortProtocol: req.PortProtocol,
		MaintainBegin: v.window.Begin, MaintainEnd: v.window.End, EnablePublicIP: req.EnablePublicIP, PublicIPID: req.PublicIPID,
		RetentionPolicy: req.RetentionPolicy, EnableAutoTopic: req.EnableAutoTopic, VpcID: req.VpcID, SubnetID: req.SubnetID,
		SecurityGroupID: req.SecurityGroupID, EnterpriseProjectID: req.EnterpriseProjectID, IPv6Enable: req.IPv6Enable,
		DiskEncrypted: req.DiskEncryptedEnable, DiskEncryptedKey: req.DiskEncryptedKey, ConnectorEnable: req.ConnectorEnable,
		VpcClientPlain: req.VpcClientPlain, ArchType: "X86", ChargingMode: 1, Tags: req.Tags,
		CreatedBy: who.UserID, CreatedByName: who.UserName, CreatedAt: now, UpdatedAt: now,
	}
	if in.RetentionPolicy == "" {
		in.RetentionPolicy = "time_base"
	}
	if req.BssParam != nil && req.BssParam.ChargingMode == "prePaid" {
		in.ChargingMode = 0
	}
	if in.Tags == nil {
		in.Tags = []dms.Tag{}
	}
	if in.SSLEnable {
		in.AccessUser = req.AccessUser
		in.SealedPassword = s.sealer.Seal([]byte(req.Password))
	}
	s.secureInternals(&in)
	if needsCA(in) {
		if err := s.newCA(&in); err != nil {
			return dms.Instance{}, dms.Internal(err)
		}
	}
	for _, az := range v.azs {
		in.AvailableZones = append(in.AvailableZones, az.ID)
	}
	if err := s.storeAndSubmit(ctx, &in, v, who, nil); err != nil {
		return dms.Instance{}, err
	}
	return in, nil
}

// storeAndSubmit checks the project's instance quota, picks the brokers' IPs (round-robin over the
// AZs), stores the instance and submits its creation task, all under the lock: two creations never
// get the same IP, and concurrent creations never pass the quota check against the same count. A
// creation whose task cannot be submitted is removed again (nothing of it runs yet). params add to
// the task's parameters.
func (s *Service) storeAndSubmit(ctx context.Context, in *dms.Instance, v validated, who Actor, params map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkQuota(ctx, in.ProjectID); err != nil {
		return err
	}
	if err := s.allocateAndStore(ctx, in, v); err != nil {
		return err
	}
	p := map[string]any{"name": in.Name, "broker_num": in.BrokerNum, "product_id": in.ProductID}
	maps.Copy(p, params)
	if _, err := s.submit(ctx, *in, who, taskCreate, p); err != nil {
		if derr := s.store.DeleteInstance(context.WithoutCancel(ctx), in.ID); derr != nil {
			s.log.Error("a creation whose task could not be submitted stays recorded; the monitor marks it failed", "instance_id", in.ID, "err", derr)
		}
		s.records.drop(in.ID) // should a lookup have cached it meanwhile
		return dms.Internal(fmt.Errorf("submitting the creation task: %w", err))
	}
	return nil
}

// checkQuota refuses a creation that would exceed the project's instance quota. Callers hold s.mu
// until the new instance is stored.
func (s *Service) checkQuota(ctx context.Context, projectID string) error {
	existing, err := s.store.ListInstances(ctx, projectID)
	if err != nil {
		return dms.Internal(err)
	}
	if len(existing) >= s.cfg.MaxInstancesPerProject {
		return dms.Errorf(dms.CodeInstanceQuota, "DMS instance quota of the tenant is insufficient: a project may have %d instances.", s.cfg.MaxInstancesPerProject)
	}
	return nil
}

// allocateAndStore picks the brokers' IPs and stores the instance. Callers hold s.mu.
func (s *Service) allocateAndStore(ctx context.Context, in *dms.Instance, v validated) error {
	used, err := s.usedAddrs(ctx)
	if err != nil {
		return dms.Internal(err)
	}
	ips, err := s.pool.allocate(in.BrokerNum, v.ips, used)
	if err != nil {
		return err
	}
	for i, ip := range ips {
		in.Brokers = append(in.Brokers, dms.BrokerAddr{ID: int32(i), Host: ip.String(), AZ: v.azs[i%len(v.azs)].ID, Role: newNodeRole(i)})
	}
	if err := s.store.CreateInstance(ctx, *in); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return dms.Errorf(dms.CodeInstanceNameExists, "This instance name already exists: %s.", in.Name)
		}
		return dms.Internal(err)
	}
	return nil
}

// maxControllers is how many nodes of a new instance are KRaft controllers: the first three are
// combined broker+controller nodes, any further ones broker-only. Three voters survive the loss of
// one and every commit waits for only two of them; more voters only slow the metadata log. Instances
// created before roles were recorded keep every node a controller (their quorum is static and is
// never rewritten), and brokers added by an extension are always broker-only.
const maxControllers = 3

func newNodeRole(i int) string {
	if i < maxControllers {
		return dms.RoleCombined
	}
	return dms.RoleBroker
}

// newClusterID returns a Kafka cluster id: 16 random bytes in base64url without padding, never
// starting with '-' (Kafka's Uuid rules).
func newClusterID() string {
	for {
		b := make([]byte, 16)
		rand.Read(b)
		id := base64.RawURLEncoding.EncodeToString(b)
		if !strings.HasPrefix(id, "-") {
			return id
		}
	}
}

func (s *Service) submit(ctx context.Context, in dms.Instance, who Actor, name string, params any) (dms.Task, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return dms.Task{}, err
	}
	return s.runner.Submit(ctx, dms.Task{InstanceID: in.ID, ProjectID: in.ProjectID, Name: name, Params: string(p),
		UserID: who.UserID, UserName: who.UserName})
}

// runCreate runs a new instance's cluster, waits until every broker is registered, sets DMS's
// default broker configs and the SASL administrator. Any failure (settled) leaves the instance
// ERROR and marked as a failed creation, which can be deleted.
func (s *Service) runCreate(ctx context.Context, t dms.Task) error {
	in, err := s.store.GetInstance(ctx, t.InstanceID)
	if err != nil {
		return err
	}
	if in.Deleting {
		return nil
	}
	if err := s.ensureNew(ctx, &in); err != nil {
		return err
	}
	err = s.retry(ctx, func() error {
		c, err := s.client(in)
		if err != nil {
			return err
		}
		return c.AlterDynamicConfigs(ctx, dynamicDefaults(len(in.Brokers)))
	})
	if err != nil {
		return fmt.Errorf("setting the default broker configs: %w", err)
	}
	if in.SSLEnable {
		if err := s.retry(ctx, func() error { return s.adminStep(ctx, in) }); err != nil {
			return fmt.Errorf("creating the instance's administrator %s: %w", in.AccessUser, err)
		}
	}
	// A creation resumed after a crash may find its connector recorded and not yet RUNNING.
	if in.ConnectorEnable && (in.Connector == nil || in.Connector.Status == dms.ConnectorCreating) && s.connectorAtCreation != nil {
		if err := s.connectorAtCreation(ctx, in); err != nil {
			return fmt.Errorf("enabling Smart Connect (connector_enable): %w", err)
		}
	}
	return nil // RUNNING: settled
}

// retry calls f until it succeeds, with the service's retry delays between attempts: the steps it
// wraps talk to a cluster that has just (re)started and are idempotent.
func (s *Service) retry(ctx context.Context, f func() error) error {
	err := f()
	for _, d := range s.retryDelays {
		if err == nil || ctx.Err() != nil {
			break
		}
		s.log.Info("retrying a step against the cluster", "after", d, "err", err)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(d):
		}
		err = f()
	}
	return err
}

// Filter selects instances of 5.1.2.
type Filter struct {
	Name           string
	ExactName      bool
	InstanceID     string
	Status         string
	IncludeFailure bool
	// SortKey orders the result (an OpenDMS extension of 5.1.2, for the console's lists): "" or
	// "created_at" (oldest first), "name", "status"; ties keep the creation order. SortDesc reverses.
	SortKey  string
	SortDesc bool
}

// SortKeys are the keys Filter.SortKey takes (besides "").
var SortKeys = []string{"created_at", "name", "status"}

// List returns a project's instances matching f (ordered by f.SortKey) and how many creations failed.
func (s *Service) List(ctx context.Context, projectID string, f Filter) (matched []dms.Instance, failures int, err error) {
	all, err := s.store.ListInstances(ctx, projectID)
	if err != nil {
		return nil, 0, dms.Internal(err)
	}
	for _, in := range all {
		if in.CreateFailed {
			failures++
			if !f.IncludeFailure {
				continue
			}
		}
		switch {
		case f.InstanceID != "" && in.ID != f.InstanceID:
		case f.Status != "" && in.Status != f.Status:
		case f.Name != "" && f.ExactName && in.Name != f.Name:
		case f.Name != "" && !f.ExactName && !strings.Contains(in.Name, f.Name):
		default:
			matched = append(matched, in)
		}
	}
	sortInstances(matched, f.SortKey, f.SortDesc)
	return matched, failures, nil
}

// sortInstances orders instances by key (see Filter.SortKey), stably: the store lists them oldest
// first, and equal names or statuses keep that order (so paging through a sorted list is stable).
func sortInstances(ins []dms.Instance, key string, desc bool) {
	var by func(a, b dms.Instance) int
	switch key {
	case "name":
		by = func(a, b dms.Instance) int { return strings.Compare(a.Name, b.Name) }
	case "status":
		by = func(a, b dms.Instance) int { return strings.Compare(a.Status, b.Status) }
	default:
		by = func(a, b dms.Instance) int { return a.CreatedAt.Compare(b.CreatedAt) }
	}
	slices.SortStableFunc(ins, func(a, b dms.Instance) int {
		if desc {
			return by(b, a)
		}
		return by(a, b)
	})
}

// UpdateRequest is the body of 5.1.5 (and 7.1.1.3): only the fields given change.
type UpdateRequest struct {
	Name                *string `json:"name"`
	Description         *string `json:"description"`
	MaintainBegin       *string `json:"maintain_begin"`
	MaintainEnd         *string `json:"maintain_end"`
	SecurityGroupID     *string `json:"security_group_id"`
	RetentionPolicy     *string `json:"retention_policy"`
	EnterpriseProjectID *string `json:"enterprise_project_id"`
}

// Update changes an instance's information (5.1.5).
func (s *Service) Update(ctx context.Context, projectID, id string, req UpdateRequest) error {
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return err
	}
	if req.Name != nil {
		if err := validName(*req.Name); err != nil {
			return err
		}
	}
	if req.Description != nil {
		if err := validDescription(*req.Description); err != nil {
			return err
		}
	}
	if req.RetentionPolicy != nil && *req.RetentionPolicy != "produce_reject" && *req.RetentionPolicy != "time_base" {
		return invalid("retention_policy must be produce_reject or time_base")
	}
	if req.SecurityGroupID != nil && strings.TrimSpace(*req.SecurityGroupID) == "" {
		return dms.E(dms.CodeSecurityGroupEmpty)
	}
	var begin, end string
	if req.MaintainBegin != nil || req.MaintainEnd != nil {
		if req.MaintainBegin == nil || req.MaintainEnd == nil {
			return dms.Errorf(dms.CodeMaintainWindowInvalid, "Invalid maintenance time window: set maintain_begin and maintain_end together.")
		}
		w, ok := s.cat.FindMaintainWindow(*req.MaintainBegin, *req.MaintainEnd)
		if !ok {
			return dms.Errorf(dms.CodeMaintainWindowInvalid, "Invalid maintenance time window %q-%q: see GET /v2/instances/maintain-windows.", *req.MaintainBegin, *req.MaintainEnd)
		}
		begin, end = w.Begin, w.End
	}
	_, err := s.update(ctx, id, func(in *dms.Instance) error {
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&in.Name, req.Name)
		set(&in.Description, req.Description)
		set(&in.SecurityGroupID, req.SecurityGroupID)
		set(&in.RetentionPolicy, req.RetentionPolicy)
		set(&in.EnterpriseProjectID, req.EnterpriseProjectID)
		if begin != "" {
			in.MaintainBegin, in.MaintainEnd = begin, end
		}
		return nil
	})
	return asAPIError(err)
}

// asAPIError passes DMS errors through and makes others internal.
func asAPIError(err error) error {
	if err == nil {
		return nil
	}
	var de *dms.Error
	if errors.As(err, &de) {
		return de
	}
	return dms.Internal(err)
}

// Delete accepts an instance's deletion (5.1.4): the instance disappears from the API at once and a
// task stops every broker, frees its IPs and removes its data. An instance whose creation is still
// running cannot be deleted (as the reference says of Creating/Restarting instances).
func (s *Service) Delete(ctx context.Context, projectID, id string, who Actor) error {
	if _, err := s.Get(ctx, projectID, id); err != nil {
		return err
	}
	// Checked and marked under the lock, as tasks are started: a restart accepted meanwhile either
	// came first (and this is refused while it runs) or is refused (the instance is being deleted).
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.store.GetInstance(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && in.Deleting) {
		return dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
	}
	if err != nil {
		return dms.Internal(err)
	}
	if isTransitional(in.Status) && !in.CreateFailed {
		return dms.Errorf(dms.CodeInstanceNotDeletable, "The instance %s is %s and cannot be deleted now.", id, in.Status)
	}
	in.Deleting, in.UpdatedAt = true, s.now().UTC()
	if err := s.store.UpdateInstance(ctx, in); err != nil {
		s.records.drop(id)
		return dms.Internal(err)
	}
	s.records.put(in, s.now())
	// Should the submission fail, the instance stays marked and its deletion is submitted again at
	// the next start (Start), so an accepted deletion always ends with the cluster gone.
	_, err = s.submit(ctx, in, who, taskDelete, map[string]any{"name": in.Name})
	return asAPIError(err)
}

func (s *Service) runDelete(ctx context.Context, t dms.Task) error {
	in, err := s.store.GetInstance(ctx, t.InstanceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // already gone
	}
	if err != nil {
		return err
	}
	if s.deletionHook != nil { // Smart Connect first: its workers and tasks use the cluster
		if err := s.deletionHook(ctx, in); err != nil {
			return err
		}
	}
	s.forgetClient(in.ID) // and no new one for callers holding an older record
	e, err := s.engineOf(in)
	if err != nil {
		return err
	}
	if err := e.Delete(ctx, s.spec(in)); err != nil {
		return err
	}
	s.usage.Delete(in.ID)
	s.connectCerts.Delete(in.ID)
	if err := s.store.DeleteInstanceTasks(ctx, in.ID); err != nil {
		return err
	}
	if err := s.store.DeleteInstanceScheduledTasks(ctx, in.ID); err != nil {
		return err
	}
	s.records.drop(in.ID)
	return s.store.DeleteInstance(ctx, in.ID)
}

// BatchResult is one entry of 5.1.6's results.
type BatchResult struct {
	Instance string `json:"instance"`
	Result   string `json:"result"` // success | failed
}

// BatchAction restarts or deletes instances (5.1.6). allFailure "kafka" deletes every instance whose
// creation failed; ok reports that case (answered 204).
func (s *Service) BatchAction(ctx context.Context, projectID string, who Actor, action string, ids []string, allFailure string) (results []BatchResult, all bool, err error) {
	if action != "restart" && action != "delete" {
		return nil, false, dms.E(dms.CodeBatchActionInvalid)
	}
	if allFailure != "" {
		if action != "delete" || allFailure != "kafka" {
			return nil, false, invalid("all_failure must be \"kafka\" with action delete")
		}
		failed, _, err := s.List(ctx, projectID, Filter{IncludeFailure: true})
		if err != nil {
			return nil, false, err
		}
		for _, in := range failed {
			if in.CreateFailed {
				if err := s.Delete(ctx, projectID, in.ID, who); err != nil {
					return nil, false, err
				}
			}
		}
		return nil, true, nil
	}
	if len(ids) == 0 {
		return nil, false, dms.E(dms.CodeBatchInstancesEmpty)
	}
	if len(ids) > 50 {
		return nil, false, dms.E(dms.CodeBatchTooMany)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return nil, false, dms.Errorf(dms.CodeInstanceIDRepeated, "Instance id is repeated: %s.", id)
		}
		seen[id] = true
	}
	for _, id := range ids {
		var err error
		if action == "delete" {
			err = s.Delete(ctx, projectID, id, who)
		} else {
			_, err = s.Restart(ctx, projectID, id, who)
		}
		r := BatchResult{Instance: id, Result: "success"}
		if err != nil {
			r.Result = "failed"
			s.log.Info("batch action refused for one instance", "action", action, "instance_id", id, "err", err)
		}
		results = append(results, r)
	}
	return results, false, nil
}

// Restart starts a rolling restart (5.1.6 restart): of a RUNNING instance, or of an ERROR one
// (which may bring it back), or of an EXTENDEDFAILED one. It restarts the serving brokers
// (broker_num) only, and the monitor checks only those: after a failed horizontal extension the
// restart brings the instance back to RUNNING even when a new broker can never start, and the
// extension can be sent again from there (its recorded brokers are kept for it).
func (s *Service) Restart(ctx context.Context, projectID, id string, who Actor) (dms.Task, error) {
	var name string
	return s.startTask(ctx, projectID, id, who, taskRestart, map[string]any{"name": &name}, func(in *dms.Instance) error {
		// EXTENDEDFAILED too: the brokers serve, and a restart may be what clears a failed extension.
		if err := statusForbids(*in, dms.StatusRunning, dms.StatusError, dms.StatusExtendFailed); err != nil {
			return err
		}
		name = in.Name
		in.Status, in.StatusReason = dms.StatusRestarting, ""
		return nil
	})
}

func (s *Service) runRestart(ctx context.Context, t dms.Task) error {
	return s.rolling(ctx, t, dms.StatusRestarting, nil) // RUNNING again: settled
}

// rolling restarts the brokers one by one with the instance as change leaves it (change re-validates
// against the stored state and may refuse), showing status meanwhile. After each broker it waits
// until every broker is registered again and every partition is back in sync (no under-replicated
// or offline partition), so the next broker stops only once the one before serves all its replicas
// again: with replication factor 3 and min.insync.replicas 2, acks=all producers never lose their
// quorum. Partitions already behind before the roll are not waited for after each broker, but
// before each broker stops the roll waits until none of them would drop below min.insync.replicas
// (or offline) without it, and fails after SyncTimeout otherwise (waitSafeToStop). The task's progress counts the brokers restarted. The task wrapper (settled) ends the
// status when the task's other steps are done: RUNNING, or ERROR on a failure.
func (s *Service) rolling(ctx context.Context, t dms.Task, status string, change func(*dms.Instance) error) error {
	id := t.InstanceID
	in, err := s.update(ctx, id, func(in *dms.Instance) error {
		if change != nil {
			if err := change(in); err != nil {
				return err
			}
		}
		in.Status = status
		return nil
	})
	if err != nil {
		return err
	}
	e, err := s.engineOf(in)
	if err != nil {
		return err
	}
	// Only the serving brokers (broker_num) restart: brokers a failed horizontal extension recorded
	// are not part of the instance, and one that cannot start would fail every restart (the way
	// out of EXTENDEDFAILED) and leave the instance ERROR. A retried extension starts them.
	brokers := ServingBrokers(in)
	wholeCluster := !e.Capabilities().ProcessRestarts
	if wholeCluster {
		brokers = brokers[:1] // the engine restarts the whole cluster at once
	} else {
		// Brokers that are down restart first: they hold no in-sync replica, and once back
		// their replicas catch up, so the brokers after them can stop without taking a
		// partition below min.insync.replicas (waitSafeToStop).
		running := s.runningBrokers(ctx, in)
		brokers = slices.Clone(brokers)
		slices.SortStableFunc(brokers, func(a, b dms.BrokerAddr) int {
			return cmp.Compare(boolInt(running[a.ID]), boolInt(running[b.ID]))
		})
	}
	s.progress(ctx, t, dms.TaskProgress{Done: 0, Total: len(brokers), Unit: "brokers"})
	behind := s.underReplicated(ctx, in)
	for i, b := range brokers {
		if !wholeCluster {
			// The partitions exempted from the in-sync wait (behind before the roll) must not
			// lose their last in-sync replicas to this restart.
			if err := s.waitSafeToStop(ctx, in, b.ID); err != nil {
				return fmt.Errorf("broker %d was not restarted: %w", b.ID, err)
			}
		}
		spec, err := s.engineSpec(in)
		if err == nil {
			if wholeCluster && len(spec.Brokers) > len(ServingBrokers(in)) {
				// The cluster is opened again with the serving brokers only: a failed
				// extension's broker (whose address may be taken) must not keep it from opening.
				spec.Brokers = spec.Brokers[:len(ServingBrokers(in))]
			}
			err = e.RestartBroker(ctx, spec, b.ID)
		}
		if err == nil {
			err = s.waitReady(ctx, in)
		}
		if err == nil {
			err = s.waitInSync(ctx, in, behind)
		}
		if err != nil {
			return fmt.Errorf("restart of broker %d failed: %w", b.ID, err)
		}
		s.progress(ctx, t, dms.TaskProgress{Done: i + 1, Total: len(brokers), Unit: "brokers"})
	}
	return nil
}

// underReplicated is what is behind in in's cluster before a rolling restart (nil when it cannot
// be read: then everything must be in sync after each broker).
func (s *Service) underReplicated(ctx context.Context, in dms.Instance) []kafkaops.UnderReplicated {
	c, err := s.client(in)
	if err != nil {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second) // a cluster that is down does not answer
	defer cancel()
	under, err := c.UnderReplicatedPartitions(rctx)
	if err != nil {
		s.log.Warn("the partitions' replicas could not be read before a rolling restart", "instance_id", in.ID, "err", err)
		return nil
	}
	if len(under) > 0 {
		s.log.Warn("partitions are behind before a rolling restart; it does not wait for them", "instance_id", in.ID, "partitions", len(under), "e.g.", under[0].String())
	}
	return under
}

// waitInSync waits until no partition of in is under-replicated or offline but for those already
// behind, up to SyncTimeout.
func (s *Service) waitInSync(ctx context.Context, in dms.Instance, already []kafkaops.UnderReplicated) error {
	c, err := s.client(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SyncTimeout)
	defer cancel()
	if err := c.WaitInSync(ctx, already); err != nil {
		return fmt.Errorf("not every partition was back in sync within %s: %w", s.cfg.SyncTimeout, err)
	}
	return nil
}

// waitSafeToStop waits, up to SyncTimeout, until stopping broker takes no partition of in below
// its min.insync.replicas or offline (a partition already behind whose ISR holds little more than
// broker); then it fails, so the task ends with the reason rather than taking partitions offline.
func (s *Service) waitSafeToStop(ctx context.Context, in dms.Instance, broker int32) error {
	c, err := s.client(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SyncTimeout)
	defer cancel()
	if err := c.WaitSafeToStop(ctx, broker); err != nil {
		return fmt.Errorf("restarting it would leave partitions already behind with fewer in-sync replicas than min.insync.replicas (acks=all producers would fail) or offline, and their other replicas did not catch up within %s: %w", s.cfg.SyncTimeout, err)
	}
	return nil
}

// progress records a task's progress; a failure to store it is logged, never fails the task.
func (s *Service) progress(ctx context.Context, t dms.Task, p dms.TaskProgress) {
	if t.ID == "" {
		return
	}
	if err := s.runner.SetProgress(ctx, t.ID, p); err != nil && ctx.Err() == nil {
		s.log.Warn("task progress not stored", "task_id", t.ID, "err", err)
	}
}

// upgradeParams are an upgrade task's parameters.
type upgradeParams struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Upgrade moves the instance onto the Kafka build its engine_version maps to, by a rolling restart
// (5.1.9). It returns the task.
func (s *Service) Upgrade(ctx context.Context, projectID, id string, who Actor) (dms.Task, error) {
	p := &upgradeParams{}
	t, err := s.startTask(ctx, projectID, id, who, taskUpgrade, p, func(in *dms.Instance) error {
		target, err := s.upgradeTarget(*in)
		if err != nil {
			return err
		}
		p.From, p.To = in.KafkaVersion, target
		in.Status, in.StatusReason = dms.StatusUpgrading, ""
		return nil
	})
	if err != nil && dms.AsError(err).Code == dms.CodeInstanceBusy {
		err = dms.E(dms.CodeUpgradeNotRunning) // the reference's answer to an upgrade of a busy instance
	}
	return t, err
}

// upgradeTarget is the Kafka build an upgrade of in moves it to (the one its engine_version maps
// to), or why it cannot be upgraded now: it is not RUNNING, or it runs that build already.
func (s *Service) upgradeTarget(in dms.Instance) (string, error) {
	if in.Status != dms.StatusRunning || in.CreateFailed {
		return "", dms.E(dms.CodeUpgradeNotRunning)
	}
	target := s.cfg.KafkaBuilds[in.EngineVer]
	if target == "" || target == in.KafkaVersion {
		return "", dms.Errorf(dms.CodeUpgradeSameVersion, "The upgrade instance version equals to current version: the instance runs Kafka %s, the build configured for engine_version %s.", in.KafkaVersion, in.EngineVer)
	}
	return target, nil
}

func (s *Service) runUpgrade(ctx context.Context, t dms.Task) error {
	var p upgradeParams
	if err := json.Unmarshal([]byte(t.Params), &p); err != nil {
		return err
	}
	return s.rolling(ctx, t, dms.StatusUpgrading, func(in *dms.Instance) error {
		in.KafkaVersion = p.To
		return nil
	}) // RUNNING again: settled
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
