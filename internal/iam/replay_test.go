package iam

import (
	"fmt"
	"testing"
	"time"
)

// The replay cache refuses a key inside its window from another connection, forgets it after, and
// never holds more than max.
func TestReplayCache(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newReplayCache(3)
	k := func(i int) [32]byte { return replayKey("AK", fmt.Sprint(i)) }
	steps := []struct {
		name  string
		key   int
		conn  string
		at    time.Duration // after t0
		fresh bool
	}{
		{"first use", 1, "a:1", 0, true},
		{"repeat on the same connection", 1, "a:1", time.Second, true},
		{"replay on another connection", 1, "b:2", time.Minute, false},
		{"another request", 2, "b:2", time.Minute, true},
		{"replay just before expiry", 1, "b:2", 15*time.Minute - time.Second, false},
		{"after the window the key is forgotten", 1, "b:2", 15 * time.Minute, true},
	}
	for _, s := range steps {
		now := t0.Add(s.at)
		if fresh, _ := c.add(k(s.key), s.conn, now.Add(15*time.Minute), now); fresh != s.fresh {
			t.Fatalf("%s: ok = %v, want %v", s.name, fresh, s.fresh)
		}
	}
	// Full of live entries: the oldest is dropped, the size stays at max.
	now := t0.Add(16 * time.Minute)
	total := 0
	for i := 10; i < 20; i++ {
		_, ev := c.add(k(i), "a:1", now.Add(15*time.Minute), now)
		total += ev
	}
	if n := c.len(); n != 3 {
		t.Fatalf("%d entries, want 3", n)
	}
	if total == 0 {
		t.Fatal("no eviction reported")
	}
	if fresh, _ := c.add(k(19), "b:2", now.Add(15*time.Minute), now); fresh {
		t.Fatal("the newest entry was evicted")
	}
}
