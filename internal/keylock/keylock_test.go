package keylock

import (
	"sync"
	"testing"
)

// TestExclusionAndPruning: one holder per key at a time, keys independent, and no entry left once
// every holder has unlocked.
func TestExclusionAndPruning(t *testing.T) {
	var m Map
	const keys, workers, rounds = 4, 8, 200
	inside := make([]int, keys) // guarded by the key's lock: a data race here is a failure (-race)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				k := (w + r) % keys
				unlock := m.Lock(string(rune('a' + k)))
				inside[k]++
				if inside[k] != 1 {
					t.Errorf("key %d held %d times at once", k, inside[k])
				}
				inside[k]--
				unlock()
			}
		})
	}
	wg.Wait()
	if n := m.Len(); n != 0 {
		t.Errorf("%d entries left after every unlock, want 0", n)
	}
	unlock := m.Lock("x")
	unlock()
	unlock() // a second call is harmless
	if n := m.Len(); n != 0 {
		t.Errorf("%d entries after a double unlock, want 0", n)
	}
}
