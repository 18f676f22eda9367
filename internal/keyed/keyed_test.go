package keyed

import (
	"fmt"
	"sync"
	"testing"
)

// The mutex of a key excludes, and no key is kept once nobody holds or waits for it.
func TestMutexExcludesAndForgets(t *testing.T) {
	var k Mutex
	var wg sync.WaitGroup
	counts := make([]int, 8) // counts[i] is guarded by the mutex of key i alone
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock := k.Lock(fmt.Sprintf("instance-%d", i%8))
			defer unlock()
			counts[i%8]++ // a data race (caught by -race) and a lost update if two held one key
		}()
	}
	wg.Wait()
	for i, n := range counts {
		if n != 50 {
			t.Errorf("key %d counted %d, want 50", i, n)
		}
	}
	if n := k.Len(); n != 0 {
		t.Fatalf("%d keys kept after every holder left", n)
	}
}

// Unlocking twice is harmless (the second call does nothing).
func TestUnlockTwice(t *testing.T) {
	var k Mutex
	unlock := k.Lock("a")
	unlock()
	unlock()
	unlock = k.Lock("a")
	unlock()
	if k.Len() != 0 {
		t.Fatal("key kept")
	}
}
