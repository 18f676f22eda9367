// Package keylock is a mutex per key (an instance id, say) whose entries live only while someone
// holds or waits for them: a map of one mutex per key that ever was would grow with every instance
// ever created, this one holds only the keys in use.
package keylock

import "sync"

// Map is a set of mutexes by key. The zero value is ready to use; a Map must not be copied.
type Map struct {
	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	mu   sync.Mutex
	refs int // holders and waiters: the entry is dropped when it falls to 0
}

// Lock locks key's mutex and returns its unlock function, which must be called exactly once.
func (m *Map) Lock(key string) (unlock func()) {
	m.mu.Lock()
	if m.entries == nil {
		m.entries = map[string]*entry{}
	}
	e := m.entries[key]
	if e == nil {
		e = &entry{}
		m.entries[key] = e
	}
	e.refs++
	m.mu.Unlock()

	e.mu.Lock()
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Unlock()
			m.mu.Lock()
			if e.refs--; e.refs == 0 {
				delete(m.entries, key)
			}
			m.mu.Unlock()
		})
	}
}

// Len is the number of keys held or waited for.
func (m *Map) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
