package instances

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
	"github.com/opendms/opendms/internal/store"
)

// records caches instance records for the hot read path: every data-plane call (produce, message
// query, topic APIs) looks its instance up, and a store read plus JSON decode was a seventh of an
// HTTP produce's CPU. This process writes every change through the cache (update, startTask, Delete,
// runDelete: put or drop right after the store write, under the service lock), so a status change or
// a deletion is seen by the next call; the TTL bounds staleness should another process share the
// store one day. TestRecordsFollowEveryChange checks each kind of change.
//
// An entry is a snapshot that is never modified (a change puts a new one), so readers share it
// without copying: the record is 800 bytes, and copies of it through every frame of the path grew
// the handlers' stacks.
type records struct {
	mu  sync.RWMutex
	ttl time.Duration
	m   map[string]cachedRecord
}

type cachedRecord struct {
	in *dms.Instance
	at time.Time
}

func newRecords(ttl time.Duration) *records {
	return &records{ttl: ttl, m: make(map[string]cachedRecord)}
}

func (r *records) get(id string, now time.Time) (*dms.Instance, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.m[id]
	if !ok || now.Sub(c.at) > r.ttl {
		return nil, false
	}
	return c.in, true
}

func (r *records) put(in dms.Instance, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[in.ID] = cachedRecord{in: &in, at: now}
}

func (r *records) drop(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, id)
}

// load reads an instance through the cache. Callers must not modify the slices of the result.
func (s *Service) load(ctx context.Context, id string) (dms.Instance, error) {
	in, err := s.loadRef(ctx, id)
	if err != nil {
		return dms.Instance{}, err
	}
	return *in, nil
}

// loadRef is load without the copy: the result is shared and must not be modified.
func (s *Service) loadRef(ctx context.Context, id string) (*dms.Instance, error) {
	now := s.now()
	if in, ok := s.records.get(id, now); ok {
		return in, nil
	}
	in, err := s.store.GetInstance(ctx, id)
	if err != nil {
		return nil, err
	}
	s.records.put(in, now)
	return &in, nil
}

// ClusterRef is ClusterClient for the data plane's hot path (5.5.1, the records API): the instance
// it returns is the cached snapshot, shared, and must not be modified. The same checks refuse the
// same instances at once: unknown, of another project or being deleted (404), not RUNNING (the
// status error).
func (s *Service) ClusterRef(ctx context.Context, projectID, id string) (*dms.Instance, *kafkaops.Client, error) {
	in, err := s.loadRef(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (in.ProjectID != projectID || in.Deleting)) {
		return nil, nil, dms.Errorf(dms.CodeInstanceNotFound, "This instance does not exist: %s.", id)
	}
	if err != nil {
		return nil, nil, dms.Internal(err)
	}
	// runningClient's checks, without copying the record where nothing is refused.
	if in.CreateFailed || in.Status != dms.StatusRunning {
		return nil, nil, statusForbids(*in, dms.StatusRunning)
	}
	if c := s.existingClient(id); c != nil {
		return in, c, nil
	}
	c, err := s.runningClient(*in)
	if err != nil {
		return nil, nil, err
	}
	return in, c, nil
}

// existingClient is the instance's client if it has one already (s.client makes one).
func (s *Service) existingClient(id string) *kafkaops.Client {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	return s.clients[id]
}
