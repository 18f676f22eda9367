package iam

import (
	"crypto/sha256"
	"sync"
	"time"
)

// replayCache remembers the signatures of accepted mutating AK/SK requests, with the connection
// that carried them, until their X-Sdk-Date leaves the clock-skew window (issue 9, defect 13; see
// Service.checkReplay for why the connection). After the window the skew check refuses the request
// anyway, so that is all the memory replay protection needs.
//
// Memory is bounded by max entries (about 100 bytes each). When full, the oldest entry is dropped
// rather than refusing every new request: refusing would let any authenticated caller that sends
// enough mutating requests lock everyone out. Dropping means a request older than the last max
// mutating requests may be replayed; at the default (200,000 entries, 15 minutes) that takes a
// sustained ~220 mutating requests a second, and the eviction is logged.
type replayCache struct {
	mu      sync.Mutex
	max     int
	entries map[[sha256.Size]byte]replaySeen // key -> where it came from and when it leaves the window
	order   []replayEntry                    // insertion order (a queue), for pruning and eviction
	head    int                              // first live element of order
}

type replaySeen struct {
	conn    string // the client's address: one TCP connection while it is open
	expires time.Time
}

type replayEntry struct {
	key     [sha256.Size]byte
	expires time.Time
}

// defaultReplayEntries bounds the cache (about 20 MB at most).
const defaultReplayEntries = 200_000

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, entries: make(map[[sha256.Size]byte]replaySeen)}
}

// replayKey identifies a signed request: its access key and signature (the signature covers the
// method, path, query, signed headers, X-Sdk-Date and body).
func replayKey(ak, signature string) [sha256.Size]byte {
	return sha256.Sum256([]byte(ak + "\n" + signature))
}

// add records key, received on conn, until expires. It reports false for a replay: key seen inside
// its window on another connection. evicted is how many live entries were dropped to make room
// (for the log).
func (c *replayCache) add(key [sha256.Size]byte, conn string, expires, now time.Time) (ok bool, evicted int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seen, found := c.entries[key]; found && now.Before(seen.expires) {
		return seen.conn == conn, 0
	}
	c.pruneLocked(now)
	for len(c.entries) >= c.max && c.head < len(c.order) {
		e := c.order[c.head]
		c.head++
		if seen, ok := c.entries[e.key]; ok && seen.expires.Equal(e.expires) {
			delete(c.entries, e.key)
			evicted++
		}
	}
	c.entries[key] = replaySeen{conn: conn, expires: expires}
	c.order = append(c.order, replayEntry{key: key, expires: expires})
	c.compactLocked()
	return true, evicted
}

// pruneLocked drops expired entries from the front of the queue. Entries expire roughly in insertion
// order (X-Sdk-Date is close to the arrival time); one that expires later than those behind it only
// delays their removal, and max still bounds the total.
func (c *replayCache) pruneLocked(now time.Time) {
	for c.head < len(c.order) {
		e := c.order[c.head]
		if now.Before(e.expires) {
			return
		}
		if seen, ok := c.entries[e.key]; ok && seen.expires.Equal(e.expires) {
			delete(c.entries, e.key)
		}
		c.head++
	}
}

// compactLocked reclaims the consumed front of the queue once it is half of it.
func (c *replayCache) compactLocked() {
	if c.head > 1024 && c.head*2 >= len(c.order) {
		n := copy(c.order, c.order[c.head:])
		clear(c.order[n:])
		c.order = c.order[:n]
		c.head = 0
	}
}

// len is the number of entries (tests).
func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
