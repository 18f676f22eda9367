package instances

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
)

// holdEngine holds broker restarts and deletions until released, so that a test sees an instance
// in the state such an operation puts it in while it runs.
type holdEngine struct {
	engine.Engine
	release chan struct{}
	once    sync.Once
}

func (h *holdEngine) wait(ctx context.Context) error {
	select {
	case <-h.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *holdEngine) RestartBroker(ctx context.Context, spec engine.Spec, brokerID int32) error {
	if err := h.wait(ctx); err != nil {
		return err
	}
	return h.Engine.RestartBroker(ctx, spec, brokerID)
}

func (h *holdEngine) Delete(ctx context.Context, spec engine.Spec) error {
	if err := h.wait(ctx); err != nil {
		return err
	}
	return h.Engine.Delete(ctx, spec)
}

func (h *holdEngine) open() { h.once.Do(func() { close(h.release) }) }

// The cached instance records follow every change made through the service at once: a status
// change, a deletion, a modification. The cache's TTL is raised for the test, so only the
// invalidation can make a change visible; the data plane's lookups (ClusterRef, ClusterClient)
// must refuse an instance that stopped RUNNING or is deleted on the next call.
func TestRecordsFollowEveryChange(t *testing.T) {
	e := newServiceEnv(t)
	held := &holdEngine{Engine: e.engine, release: make(chan struct{})}
	e.engine = held
	ctx := context.Background()
	who := Actor{UserID: "u", UserName: "tester"}
	s, closeSvc := e.open(nil)
	defer closeSvc()
	defer held.open() // before closeSvc: the held tasks end
	refused := func(code string) func(t *testing.T, id string) {
		return func(t *testing.T, id string) {
			if _, _, err := s.ClusterRef(ctx, "p", id); dms.AsError(err).Code != code {
				t.Errorf("ClusterRef: %v, want %s", err, code)
			}
			if _, _, err := s.ClusterClient(ctx, "p", id); dms.AsError(err).Code != code {
				t.Errorf("ClusterClient: %v, want %s", err, code)
			}
		}
	}
	renamed := "kafka-renamed"
	tests := []struct {
		name   string
		change func(id string) error
		check  func(t *testing.T, id string)
	}{
		{"restart: RESTARTING", func(id string) error { _, err := s.Restart(ctx, "p", id, who); return err },
			refused(dms.CodeInstanceStatusForbids)},
		{"status set by a task or the monitor", func(id string) error {
			_, err := s.update(ctx, id, func(in *dms.Instance) error { in.Status = dms.StatusError; return nil })
			return err
		}, refused(dms.CodeInstanceStatusForbids)},
		{"deletion accepted", func(id string) error { return s.Delete(ctx, "p", id, who) }, func(t *testing.T, id string) {
			refused(dms.CodeInstanceNotFound)(t, id)
			if _, err := s.Get(ctx, "p", id); dms.AsError(err).Code != dms.CodeInstanceNotFound {
				t.Errorf("Get: %v", err)
			}
		}},
		{"modification", func(id string) error { return s.Update(ctx, "p", id, UpdateRequest{Name: &renamed}) }, func(t *testing.T, id string) {
			in, _, err := s.ClusterRef(ctx, "p", id)
			if err != nil || in.Name != renamed {
				t.Errorf("ClusterRef: %+v, %v", in, err)
			}
			if got, err := s.Get(ctx, "p", id); err != nil || got.Name != renamed {
				t.Errorf("Get: %+v, %v", got, err)
			}
		}},
	}
	ids := make([]string, len(tests))
	for i := range tests {
		req := validRequest(e.cat)
		req.Name = "kafka-cache-" + string(rune('a'+i))
		in, err := s.Create(ctx, "p", who, req)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = in.ID
	}
	for _, id := range ids {
		e.waitStatus(s, id, dms.StatusRunning)
	}
	s.records.mu.Lock()
	s.records.ttl = time.Hour
	s.records.mu.Unlock()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := ids[i]
			if _, _, err := s.ClusterRef(ctx, "p", id); err != nil { // cached from here
				t.Fatal(err)
			}
			if _, _, err := s.ClusterRef(ctx, "q", id); dms.AsError(err).Code != dms.CodeInstanceNotFound {
				t.Fatalf("another project's instance: %v", err)
			}
			if err := tt.change(id); err != nil {
				t.Fatal(err)
			}
			tt.check(t, id)
		})
	}
}
