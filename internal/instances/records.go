package instances

import (
	"context"
	"sync"
	"time"

	"github.com/opendms/opendms/internal/dms"
)

// records caches instance records for the hot read path: every data-plane call (produce, message
// query, topic APIs) looks its instance up, and a store read plus JSON decode was a seventh of an
// HTTP produce's CPU. This process writes every change through the cache (update, create, delete);
// the TTL bounds staleness should another process share the store one day.
type records struct {
	mu  sync.RWMutex
	ttl time.Duration
	m   map[string]cachedRecord
}

type cachedRecord struct {
	in dms.Instance
	at time.Time
}

func newRecords(ttl time.Duration) *records {
	return &records{ttl: ttl, m: make(map[string]cachedRecord)}
}

func (r *records) get(id string, now time.Time) (dms.Instance, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.m[id]
	if !ok || now.Sub(c.at) > r.ttl {
		return dms.Instance{}, false
	}
	return c.in, true
}

func (r *records) put(in dms.Instance, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[in.ID] = cachedRecord{in: in, at: now}
}

func (r *records) drop(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, id)
}

// load reads an instance through the cache. Callers must not modify the slices of the result.
func (s *Service) load(ctx context.Context, id string) (dms.Instance, error) {
	now := s.now()
	if in, ok := s.records.get(id, now); ok {
		return in, nil
	}
	in, err := s.store.GetInstance(ctx, id)
	if err == nil {
		s.records.put(in, now)
	}
	return in, err
}
