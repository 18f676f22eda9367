package instances

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
)

// Increasing an instance's specifications (5.4.1): more brokers (horizontal), more storage, or a
// bigger flavor (vertical), as one extendInstance task. The instance is EXTENDING meanwhile; on
// success it is RUNNING with the new broker_num, storage_space or product_id (which the show/list
// APIs and the partition limit read); on a failure the brokers keep serving and the instance is
// EXTENDEDFAILED with the reason (fallBack), from where the same request can be sent again.

// The oper_type values of 5.4.1.
const (
	OperHorizontal = "horizontal"
	OperStorage    = "storage"
	OperVertical   = "vertical"
)

// maxBrokers is the reference's bound on new_broker_number ("A maximum of 30 brokers are
// supported"), on top of the flavor's own max_broker.
const maxBrokers = 30

// minStorageGrowthGB is how much each broker's storage must grow by in a storage extension.
const minStorageGrowthGB = 100

// ExtendRequest is the body of 5.4.1 (SDK ResizeEngineInstanceReq). The reference's table names the
// broker count new_broker_number, its example and the SDK new_broker_num: both are read.
type ExtendRequest struct {
	OperType             string   `json:"oper_type"`
	NewStorageSpace      *int     `json:"new_storage_space"`
	NewBrokerNum         *int     `json:"new_broker_num"`
	NewBrokerNumber      *int     `json:"new_broker_number"`
	NewProductID         *string  `json:"new_product_id"`
	PublicIPID           *string  `json:"publicip_id"`
	TenantIPs            []string `json:"tenant_ips"`
	SecondTenantSubnetID *string  `json:"second_tenant_subnet_id"`
	// Rebalance (an OpenDMS addition; SDKs do not send it) asks a horizontal extension to move
	// partitions onto the new brokers once they are registered: a reassignment task of its own
	// (5.9 lists it) that runs right after the extension's, planned in Strimzi's add-brokers mode.
	Rebalance *ExtendRebalance `json:"rebalance,omitempty"`
}

// ExtendRebalance is 5.4.1's rebalance option: Throttle is the replication throttle in bytes/s
// per broker (0: none), as 5.2.11's throttle.
type ExtendRebalance struct {
	Throttle int64 `json:"throttle"`
}

// extendParams are an extension task's parameters: the change as validated, and where it started.
type extendParams struct {
	OperType    string `json:"oper_type"`
	FromBrokers int    `json:"from_broker_num"`
	ToBrokers   int    `json:"new_broker_num"`
	FromStorage int    `json:"from_storage_space"`
	ToStorage   int    `json:"new_storage_space"`
	FromProduct string `json:"from_product_id"`
	ToProduct   string `json:"new_product_id"`
	// Added are the ids of the brokers a horizontal extension adds (recorded with the instance
	// when the request was accepted, so their addresses are taken).
	Added []int32 `json:"added_brokers,omitempty"`
	// Rebalance: move partitions onto the added brokers after (ExtendRequest.Rebalance).
	Rebalance *ExtendRebalance `json:"rebalance,omitempty"`
}

// validateExtend checks a 5.4.1 request against the instance as stored, the catalog and what the
// instance's engine can do. It returns the change and the requested tenant IPs.
func validateExtend(cat *catalog.Catalog, caps engine.Capabilities, in dms.Instance, req ExtendRequest) (extendParams, []netip.Addr, error) {
	if in.LegacySpecification != "" {
		return extendParams{}, nil, invalid("instances of the V1 bandwidth specifications (%s) cannot be extended", in.LegacySpecification)
	}
	cur, ok := cat.Product(in.ProductID)
	if !ok {
		return extendParams{}, nil, dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id: the instance's product %q is not in this region's catalog.", in.ProductID)
	}
	p := extendParams{
		OperType: req.OperType, FromBrokers: in.BrokerNum, ToBrokers: in.BrokerNum, FromStorage: in.StorageSpace,
		ToStorage: in.StorageSpace, FromProduct: in.ProductID, ToProduct: in.ProductID,
	}
	n := req.NewBrokerNum
	if req.NewBrokerNumber != nil {
		if n != nil && *n != *req.NewBrokerNumber {
			return p, nil, invalid("new_broker_num %d and new_broker_number %d differ: give one", *n, *req.NewBrokerNumber)
		}
		n = req.NewBrokerNumber
	}
	perBroker := in.StorageSpace / max(1, in.BrokerNum)
	// A failed extension that is retried finishes what the first attempt changed: the product it
	// moved to is not "bigger" than itself any more, and the brokers it added are recorded.
	retry := in.Status == dms.StatusExtendFailed
	switch req.OperType {
	case OperHorizontal:
		if !caps.AddBrokers {
			return p, nil, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: this instance's engine cannot add brokers to a running cluster (opendms.capabilities.add_brokers is false).")
		}
		if n == nil {
			return p, nil, invalid("new_broker_num is required when oper_type is horizontal")
		}
		limit := min(maxBrokers, cur.MaxBroker)
		if *n <= in.BrokerNum || *n > limit {
			return p, nil, invalid("new_broker_num %d must be more than the instance's %d brokers and at most %d (%s)", *n, in.BrokerNum, limit, cur.ID)
		}
		if *n < len(in.Brokers) {
			return p, nil, invalid("new_broker_num %d: the instance already has %d brokers from a failed extension; ask for at least that many", *n, len(in.Brokers))
		}
		want := perBroker * *n
		if req.NewStorageSpace != nil && *req.NewStorageSpace != want {
			return p, nil, dms.Errorf(dms.CodeDiskSpaceInvalid, "Invalid disk space: new_storage_space %d GB must be %d brokers x %d GB (each broker's storage does not change when brokers are added).", *req.NewStorageSpace, *n, perBroker)
		}
		if len(req.TenantIPs) > *n-len(in.Brokers) {
			return p, nil, invalid("tenant_ips: %d addresses for %d new brokers", len(req.TenantIPs), *n-len(in.Brokers))
		}
		ips := make([]netip.Addr, 0, len(req.TenantIPs))
		for _, s := range req.TenantIPs {
			a, err := netip.ParseAddr(s)
			if err != nil || !a.Is4() {
				return p, nil, invalid("tenant_ips: %q is not an IPv4 address", s)
			}
			if slices.Contains(ips, a) {
				return p, nil, invalid("tenant_ips: %s is given twice", a)
			}
			ips = append(ips, a)
		}
		if req.NewProductID != nil && *req.NewProductID != in.ProductID {
			return p, nil, invalid("new_product_id is only valid when oper_type is vertical")
		}
		if r := req.Rebalance; r != nil {
			if !caps.Reassignment {
				return p, nil, dms.Errorf(dms.CodeUnsupportedType, "Unsupported type: rebalance needs partition reassignment, which this instance's engine does not do (opendms.capabilities.reassignment is false); extend without rebalance.")
			}
			if r.Throttle < 0 {
				return p, nil, invalid("rebalance.throttle must be a positive rate in bytes/s, or 0 for none")
			}
			p.Rebalance = r
		}
		p.ToBrokers, p.ToStorage = *n, want
		return p, ips, nil
	case OperStorage:
		if req.NewStorageSpace == nil {
			return p, nil, dms.Errorf(dms.CodeDiskSpaceInvalid, "Invalid disk space: new_storage_space is required when oper_type is storage.")
		}
		if err := onlyFor(req, n, in, OperStorage); err != nil {
			return p, nil, err
		}
		total, b := *req.NewStorageSpace, in.BrokerNum
		maxGB := cur.MaxStoragePerNode * b
		if total%b != 0 || total/b-perBroker < minStorageGrowthGB || total > maxGB {
			return p, nil, dms.Errorf(dms.CodeDiskSpaceInvalid, "Invalid disk space: new_storage_space %d GB must be a multiple of the %d brokers, give each broker at least %d GB more than its %d GB (at least %d GB in all), and be at most %d GB (%s).",
				total, b, minStorageGrowthGB, perBroker, (perBroker+minStorageGrowthGB)*b, maxGB, cur.ID)
		}
		p.ToStorage = total
		return p, nil, nil
	case OperVertical:
		if req.NewProductID == nil || *req.NewProductID == "" {
			return p, nil, dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id: new_product_id is required when oper_type is vertical.")
		}
		if err := onlyFor(req, n, in, OperVertical); err != nil {
			return p, nil, err
		}
		np, ok := cat.Product(*req.NewProductID)
		if !ok {
			return p, nil, dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id %q: it is not a product of this region (see GET .../extend).", *req.NewProductID)
		}
		if !np.Bigger(cur) && !(retry && np.ID == cur.ID) {
			return p, nil, dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id %q: it is not a bigger flavor of the same kind than the instance's %s (see GET .../extend).", np.ID, cur.ID)
		}
		if in.BrokerNum < np.MinBroker || in.BrokerNum > np.MaxBroker {
			return p, nil, dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id %q: it takes %d-%d brokers, the instance has %d.", np.ID, np.MinBroker, np.MaxBroker, in.BrokerNum)
		}
		if perBroker > np.MaxStoragePerNode {
			return p, nil, dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id %q: it takes at most %d GB per broker, the instance's brokers have %d GB.", np.ID, np.MaxStoragePerNode, perBroker)
		}
		if in.StorageSpecCode != "" && !np.HasStorageSpec(in.StorageSpecCode) {
			return p, nil, dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id %q: it does not offer the instance's disk type %s.", np.ID, in.StorageSpecCode)
		}
		p.ToProduct = np.ID
		return p, nil, nil
	case "":
		return p, nil, invalid("oper_type is required: horizontal, storage or vertical")
	default:
		return p, nil, invalid("oper_type %q must be horizontal, storage or vertical", req.OperType)
	}
}

// onlyFor refuses the fields of the other operations when they ask for a change (the same value as
// the instance's is accepted).
func onlyFor(req ExtendRequest, n *int, in dms.Instance, op string) error {
	if n != nil && *n != in.BrokerNum {
		return invalid("new_broker_num is only valid when oper_type is horizontal")
	}
	if len(req.TenantIPs) > 0 {
		return invalid("tenant_ips is only valid when oper_type is horizontal")
	}
	if req.Rebalance != nil {
		return invalid("rebalance is only valid when oper_type is horizontal")
	}
	if op != OperVertical && req.NewProductID != nil && *req.NewProductID != in.ProductID {
		return invalid("new_product_id is only valid when oper_type is vertical")
	}
	if op != OperStorage && req.NewStorageSpace != nil && *req.NewStorageSpace != in.StorageSpace {
		return invalid("new_storage_space is only valid when oper_type is storage or horizontal")
	}
	return nil
}

// Extend starts an extension (5.4.1) of a RUNNING instance, or again of an EXTENDEDFAILED one, and
// returns its task. A horizontal extension's new brokers get their addresses here, under the lock
// (from tenant_ips, then the lowest free ones of the pool), and are recorded with the instance as
// broker-only nodes.
func (s *Service) Extend(ctx context.Context, projectID, id string, who Actor, req ExtendRequest) (dms.Task, error) {
	p := &extendParams{}
	return s.startTask(ctx, projectID, id, who, taskExtend, p, func(in *dms.Instance) error {
		if err := statusForbids(*in, dms.StatusRunning, dms.StatusExtendFailed); err != nil {
			return err
		}
		v, ips, err := validateExtend(s.cat, s.Capabilities(*in), *in, req)
		if err != nil {
			return err
		}
		if v.OperType == OperHorizontal {
			if err := s.addBrokerRecords(ctx, in, v.ToBrokers, ips); err != nil {
				return err
			}
			for _, b := range in.Brokers[v.FromBrokers:] {
				v.Added = append(v.Added, b.ID)
			}
		}
		*p = v
		in.Status, in.StatusReason = dms.StatusExtending, ""
		return nil
	})
}

// addBrokerRecords records broker-only nodes on addresses of the pool until in has n. Callers hold
// s.mu (as allocateAndStore).
func (s *Service) addBrokerRecords(ctx context.Context, in *dms.Instance, n int, requested []netip.Addr) error {
	need := n - len(in.Brokers)
	if need <= 0 {
		return nil
	}
	used, err := s.usedAddrs(ctx)
	if err != nil {
		return dms.Internal(err)
	}
	ips, err := s.pool.allocate(need, requested, used)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		i := len(in.Brokers)
		az := ""
		if len(in.AvailableZones) > 0 {
			az = in.AvailableZones[i%len(in.AvailableZones)]
		}
		in.Brokers = append(in.Brokers, dms.BrokerAddr{ID: int32(i), Host: ip.String(), AZ: az, Role: dms.RoleBroker})
	}
	return nil
}

// ServingBrokers are the brokers of in that clients are given: those of its broker_num. While a
// horizontal extension runs (or after it failed) the brokers it adds are recorded (their addresses
// are taken) but not yet part of the instance.
func ServingBrokers(in dms.Instance) []dms.BrokerAddr {
	if in.BrokerNum > 0 && in.BrokerNum < len(in.Brokers) {
		return in.Brokers[:in.BrokerNum]
	}
	return in.Brokers
}

// BrokersAddedHook moves partitions onto the brokers a horizontal extension added when the request
// asked for it (ExtendRequest.Rebalance), once they are registered: internal/reassign. It starts a
// task of its own, queued behind the extension's (tasks of an instance run one at a time), and
// returns its id; called again for the same extension (a resumed task), it starts none twice. Its
// failure is recorded in the extension's steps and logged; the extension itself has succeeded.
type BrokersAddedHook interface {
	BrokersAdded(ctx context.Context, in dms.Instance, extension dms.Task, added []int32, throttle int64) (taskID string, err error)
}

// SetBrokersAddedHook installs the hook called after horizontal extensions (nil: none).
func (s *Service) SetBrokersAddedHook(h BrokersAddedHook) { s.brokersAdded = h }

func (s *Service) runExtend(ctx context.Context, t dms.Task) error {
	var p extendParams
	if err := json.Unmarshal([]byte(t.Params), &p); err != nil {
		return err
	}
	switch p.OperType {
	case OperHorizontal:
		return s.extendHorizontal(ctx, t, p)
	case OperStorage:
		return s.extendStorage(ctx, t, p)
	case OperVertical:
		return s.extendVertical(ctx, t, p)
	}
	return fmt.Errorf("unknown oper_type %q", p.OperType)
}

// steps is a task's progress as named steps, stored at every change.
type steps struct {
	s *Service
	t dms.Task
	p dms.TaskProgress
}

func (s *Service) newSteps(t dms.Task, total int, unit string, names ...string) *steps {
	st := &steps{s: s, t: t, p: dms.TaskProgress{Total: total, Unit: unit}}
	for _, n := range names {
		st.p.Steps = append(st.p.Steps, dms.TaskStep{Name: n, Status: dms.StepWaiting})
	}
	return st
}

func (st *steps) mark(ctx context.Context, name, status string) {
	now := st.s.now().UTC()
	for i := range st.p.Steps {
		if st.p.Steps[i].Name != name {
			continue
		}
		st.p.Steps[i].Status = status
		if status == dms.StepInProgress {
			st.p.Steps[i].Start = now
		} else if st.p.Steps[i].Start.IsZero() {
			st.p.Steps[i].Start = now
		}
		if status == dms.StepCompleted || status == dms.StepFailed {
			st.p.Steps[i].End = now
		}
	}
	st.s.progress(ctx, st.t, st.p)
}

func (st *steps) done(ctx context.Context, n int) {
	if n == st.p.Done {
		return
	}
	st.p.Done = n
	st.s.progress(ctx, st.t, st.p)
}

// run marks step name in progress, runs f and marks it completed or failed.
func (st *steps) run(ctx context.Context, name string, f func() error) error {
	st.mark(ctx, name, dms.StepInProgress)
	if err := f(); err != nil {
		st.mark(context.WithoutCancel(ctx), name, dms.StepFailed)
		return err
	}
	st.mark(ctx, name, dms.StepCompleted)
	return nil
}

const (
	stepStartBrokers = "start new brokers"
	stepRegister     = "wait for the new brokers to register"
	stepRebalance    = "rebalance onto the new brokers"
	stepStorage      = "grow storage"
	stepRolling      = "rolling restart with the new flavor"
)

// extendHorizontal starts the new broker-only nodes (the running ones are left alone), waits until
// each is registered at its own address and reachable, and records the new broker count and
// storage. An address found taken when the brokers start moves the new brokers on it to free ones
// (as a creation does).
func (s *Service) extendHorizontal(ctx context.Context, t dms.Task, p extendParams) error {
	names := []string{stepStartBrokers, stepRegister}
	rebalance := p.Rebalance != nil && s.brokersAdded != nil
	if rebalance {
		names = append(names, stepRebalance)
	}
	st := s.newSteps(t, len(p.Added), "brokers", names...)
	in, err := s.store.GetInstance(ctx, t.InstanceID)
	if err != nil {
		return err
	}
	e, err := s.engineOf(in)
	if err != nil {
		return err
	}
	if !e.Capabilities().AddBrokers {
		return fmt.Errorf("the %s engine cannot add brokers to a running cluster", e.Name())
	}
	err = st.run(ctx, stepStartBrokers, func() error {
		for attempt := 1; ; attempt++ {
			spec, err := s.engineSpec(in)
			if err == nil {
				err = e.Ensure(ctx, spec)
			}
			if err == nil || !errors.Is(err, syscall.EADDRINUSE) || ctx.Err() != nil {
				return err
			}
			if attempt > maxAddrRetries {
				return fmt.Errorf("%w (%d attempts; between attempts, new brokers on an address found in use move to a free one)", err, maxAddrRetries+1)
			}
			// Only new brokers the engine does not run move: one that already runs (added by an
			// earlier attempt, or before dmsd restarted) holds its own ports, which look busy to
			// the probe; moving its record would leave it serving on the old address (local) or
			// make the engine reopen the whole cluster (embedded).
			running := s.runningBrokers(ctx, in)
			moved, merr := s.moveBusyBrokers(ctx, in.ID, func(b dms.BrokerAddr) bool {
				return slices.Contains(p.Added, b.ID) && !running[b.ID]
			})
			if merr != nil {
				return fmt.Errorf("%w (moving the new brokers to free addresses failed: %v)", err, merr)
			}
			s.log.Warn("an address of a new broker is in use: moved the new brokers to free addresses", "instance", in.ID, "err", err, "from", hosts(in), "to", hosts(moved))
			in = moved
		}
	})
	if err != nil {
		return fmt.Errorf("starting the new brokers: %w", err)
	}
	err = st.run(ctx, stepRegister, func() error { return s.waitAdded(ctx, in, e, p, st) })
	if err != nil {
		return err
	}
	if rebalance {
		err := st.run(ctx, stepRebalance, func() error {
			id, err := s.brokersAdded.BrokersAdded(ctx, in, t, p.Added, p.Rebalance.Throttle)
			if err == nil {
				s.log.Info("partitions move onto the added brokers in a task of their own", "instance_id", in.ID, "task_id", id)
			}
			return err
		})
		if err != nil {
			s.log.Warn("moving partitions onto the added brokers failed; the brokers are added", "instance_id", in.ID, "err", err)
		}
	}
	_, err = s.update(ctx, in.ID, func(in *dms.Instance) error {
		in.BrokerNum = len(in.Brokers)
		in.StorageSpace = p.FromStorage / max(1, p.FromBrokers) * in.BrokerNum
		return nil
	})
	return err // RUNNING: settled
}

// runningBrokers are the ids of in's brokers the engine reports running (none when it runs nothing
// for in or cannot tell).
func (s *Service) runningBrokers(ctx context.Context, in dms.Instance) map[int32]bool {
	out := map[int32]bool{}
	e, err := s.engineOf(in)
	if err != nil {
		return out
	}
	states, err := e.Status(ctx, in.ID)
	if err != nil {
		return out
	}
	for _, b := range states {
		if b.Running {
			out[b.ID] = true
		}
	}
	return out
}

// waitAdded waits, up to ReadyTimeout, until every broker of in is registered, answers requests,
// and the added ones are registered at their own recorded addresses (the listener dmsd's client
// uses: the engine's control address), counting the added brokers registered as progress.
func (s *Service) waitAdded(ctx context.Context, in dms.Instance, e engine.Engine, p extendParams, st *steps) error {
	c, err := s.client(in)
	if err != nil {
		return err
	}
	spec := s.spec(in)
	want := map[int32]string{}
	for i, addr := range e.ControlAddrs(spec) {
		if slices.Contains(p.Added, spec.Brokers[i].ID) {
			want[spec.Brokers[i].ID] = addr
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadyTimeout)
	defer cancel()
	var last error
	for {
		reg, err := c.RegisteredBrokers(ctx)
		if err == nil {
			ok, wrong := 0, ""
			for id, addr := range want {
				switch got, found := reg[id]; {
				case !found:
				case got != addr:
					wrong = fmt.Sprintf("broker %d registered at %s, not %s", id, got, addr)
				default:
					ok++
				}
			}
			st.done(ctx, ok)
			switch {
			case wrong != "":
				return errors.New(wrong) // a listener misconfigured: waiting does not fix it
			case ok == len(want):
				if err := c.WaitBrokers(ctx, len(in.Brokers)); err != nil {
					return fmt.Errorf("the new brokers registered but not every broker answers: %w%s", err, s.brokerExits(in))
				}
				return nil
			}
			last = fmt.Errorf("%d of %d new brokers registered", ok, len(want))
		} else if ctx.Err() == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the new brokers did not all register within %s: %w%s", s.cfg.ReadyTimeout, last, s.brokerExits(in))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// extendStorage records the new storage: what the disk-usage and capacity checks measure against.
// No broker restarts (the local engine's brokers have no disk quota of their own).
func (s *Service) extendStorage(ctx context.Context, t dms.Task, p extendParams) error {
	st := s.newSteps(t, 1, "", stepStorage)
	return st.run(ctx, stepStorage, func() error {
		// The same growth as the capacity watcher's automatic expansion (storage.go).
		_, err := s.GrowStorage(ctx, t.InstanceID, p.ToStorage, "5.4.1 storage extension (task "+t.ID+")")
		if err == nil {
			st.done(ctx, 1)
		}
		return err
	}) // RUNNING: settled
}

// extendVertical moves the instance to the new flavor by a rolling restart with its heap (the
// product's entry of HeapMBByProduct) and limits (the partition limit follows product_id), one
// broker at a time, each waited for until every partition is in sync again.
func (s *Service) extendVertical(ctx context.Context, t dms.Task, p extendParams) error {
	return s.rolling(ctx, t, dms.StatusExtending, func(in *dms.Instance) error {
		in.ProductID = p.ToProduct
		return nil
	}) // RUNNING: settled
}

// ExtendProducts answers 5.4.2: the flavors the instance may move to (its own, and the bigger ones
// of the same kind), with the catalog's limits as strings.
func (s *Service) ExtendProducts(ctx context.Context, projectID, id string) (catalog.ExtendProductsResponse, error) {
	in, err := s.Get(ctx, projectID, id)
	if err != nil {
		return catalog.ExtendProductsResponse{}, err
	}
	cur, ok := s.cat.Product(in.ProductID)
	if !ok {
		return catalog.ExtendProductsResponse{}, dms.Errorf(dms.CodeAdvancedProductNotFound, "Query advanced product failed, can not find product for request: the instance's product %q is not in this region's catalog.", in.ProductID)
	}
	return s.cat.ExtendProducts(cur), nil
}

// ScalePreCheck is the answer of the SDK's ShowKafkaScalePreCheckInfo: whether the instance can be
// extended now, and if not why; risk names what an extension may disturb.
type ScalePreCheck struct {
	Name    string `json:"name"`
	Success bool   `json:"success"`
	Reason  string `json:"reason"`
	Risk    string `json:"risk"`
}

// ScalePreCheck checks, against the running cluster, what an extension needs: the instance RUNNING
// (or EXTENDEDFAILED, to retry) with no task running, every broker registered and answering, no
// under-replicated or offline partition, and a free address in the pool for one more broker. The
// first failed check is the answer.
func (s *Service) ScalePreCheck(ctx context.Context, projectID, id string) (ScalePreCheck, error) {
	in, err := s.Get(ctx, projectID, id)
	if err != nil {
		return ScalePreCheck{}, err
	}
	fail := func(name, reason string) (ScalePreCheck, error) {
		return ScalePreCheck{Name: name, Success: false, Reason: reason, Risk: ""}, nil
	}
	if in.CreateFailed || (in.Status != dms.StatusRunning && in.Status != dms.StatusExtendFailed) {
		return fail("instance_status", fmt.Sprintf("the instance is %s: only a RUNNING (or EXTENDEDFAILED) instance can be extended", in.Status))
	}
	if s.runner.Busy(in.ID) {
		return fail("instance_task", "a background task of the instance is running")
	}
	c, err := s.client(in)
	if err != nil {
		return fail("broker_status", "no connection to the cluster: "+err.Error())
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The serving brokers: a failed extension's recorded brokers are started by its retry.
	if err := c.WaitBrokers(cctx, len(ServingBrokers(in))); err != nil {
		return fail("broker_status", "not every broker is registered and answering: "+err.Error())
	}
	under, err := c.UnderReplicatedPartitions(ctx)
	if err != nil {
		return fail("partition_status", "the partitions' replicas could not be read: "+err.Error())
	}
	if len(under) > 0 {
		return fail("partition_status", fmt.Sprintf("%d partitions are under-replicated or offline (e.g. %s): an extension restarts or adds brokers only once every replica is in sync", len(under), under[0]))
	}
	if limit := s.brokerLimit(in); len(in.Brokers) < limit {
		s.mu.Lock()
		used, err := s.usedAddrs(ctx)
		if err == nil {
			_, err = s.pool.allocate(1, nil, used)
		}
		s.mu.Unlock()
		if err != nil {
			return fail("ip_available", "no free address for another broker: "+dms.AsError(err).Message)
		}
	}
	risk := "vertical: brokers restart one at a time (clients reconnect, leaders move); horizontal: new brokers hold no partitions until partitions are reassigned onto them"
	if !s.Capabilities(in).AddBrokers {
		risk = "this engine cannot add brokers (horizontal); " + risk
	}
	return ScalePreCheck{Name: "extend", Success: true, Reason: "", Risk: risk}, nil
}

// brokerLimit is the most brokers the instance's flavor takes (and the reference's 30).
func (s *Service) brokerLimit(in dms.Instance) int {
	if p, ok := s.cat.Product(in.ProductID); ok {
		return min(maxBrokers, p.MaxBroker)
	}
	return maxBrokers
}
