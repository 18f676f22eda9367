package iam

import (
	"sync"
	"time"

	"github.com/opendms/opendms/internal/dms"
)

// credCache keeps recently used access keys with their opened secret and user for a few seconds, so
// an authenticated request does not cost two database reads and a decryption. Deletions through the
// Service invalidate entries at once; the TTL bounds staleness for changes made elsewhere (another
// dmsd on a shared database, later).
type credCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[string]credEntry
}

type credEntry struct {
	key     dms.AccessKey
	secret  string
	user    dms.User
	expires time.Time
}

// maxCredEntries bounds the cache; past it the cache starts over rather than tracking recency.
const maxCredEntries = 10_000

func newCredCache(ttl time.Duration) *credCache {
	return &credCache{ttl: ttl, entries: make(map[string]credEntry)}
}

func (c *credCache) get(ak string, now time.Time) (credEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[ak]
	if !ok || now.After(e.expires) {
		return credEntry{}, false
	}
	return e, true
}

func (c *credCache) put(e credEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCredEntries {
		c.entries = make(map[string]credEntry)
	}
	e.expires = now.Add(c.ttl)
	c.entries[e.key.AccessKey] = e
}

// forget drops the entries of an access key, or of every key of a user when userID is set.
func (c *credCache) forget(ak, userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ak != "" {
		delete(c.entries, ak)
	}
	if userID != "" {
		for k, e := range c.entries {
			if e.user.ID == userID {
				delete(c.entries, k)
			}
		}
	}
}
