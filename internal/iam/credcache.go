package iam

import (
	"context"
	"sync"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

// Every authenticated request needs its caller's access key (with the opened secret and the user)
// or token, and every project-scoped request of a non-administrator the user's role bindings and
// their policies. Reading those from the store on each request costs more than the rest of the
// request path (issue 11), so the Service keeps them in ttlCaches:
//
//   - Changes made through this process are seen at once: every IAM write goes through
//     invalidatingStore, which drops what the write may have changed after it is stored (a deleted
//     or disabled key or user is refused by the next request; a removed role binding or policy
//     denies the next request).
//   - The TTL bounds how long a change made elsewhere (another dmsd on a shared database, later)
//     can go unseen.
//   - A read that raced with a write cannot put back what the write invalidated: entries are put
//     with the generation read before the store was, and a put after an invalidation is dropped.
//   - Nothing is cached for a failed lookup, so an unknown key or token still reaches the store.

// cacheTTL bounds the staleness of cached IAM reads against changes made outside this process.
const cacheTTL = 10 * time.Second

// maxCacheEntries bounds each cache; past it the cache starts over rather than tracking recency.
const maxCacheEntries = 10_000

// ttlCache is a map with expiring entries and generation-checked puts. Reads take no lock (every
// authenticated request reads, and a reader preempted inside a mutex held up the others: the
// contention profile of BenchmarkRequestPath showed it); writes are serialised by mu.
type ttlCache[V any] struct {
	ttl     time.Duration
	entries sync.Map // string -> *ttlEntry[V]
	mu      sync.Mutex
	gen     uint64 // under mu
	n       int    // entries stored, under mu
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

func newTTLCache[V any](ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl}
}

// generation is read before the store is, and given to put.
func (c *ttlCache[V]) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *ttlCache[V]) get(key string, now time.Time) (V, bool) {
	e, ok := c.entries.Load(key)
	if !ok || now.After(e.(*ttlEntry[V]).expires) {
		var zero V
		return zero, false
	}
	return e.(*ttlEntry[V]).v, true
}

// put stores v unless the cache was invalidated since gen was read: v may predate that write.
func (c *ttlCache[V]) put(key string, v V, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.n >= maxCacheEntries {
		c.entries.Clear()
		c.n = 0
	}
	if _, loaded := c.entries.Swap(key, &ttlEntry[V]{v: v, expires: now.Add(c.ttl)}); !loaded {
		c.n++
	}
}

// invalidate drops the entries drop selects (all of them when drop is nil) and fails every put of
// a read that started before.
func (c *ttlCache[V]) invalidate(drop func(key string, v V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if drop == nil {
		c.entries.Clear()
		c.n = 0
		return
	}
	c.entries.Range(func(k, e any) bool {
		if drop(k.(string), e.(*ttlEntry[V]).v) {
			c.entries.Delete(k)
			c.n--
		}
		return true
	})
}

// credEntry is an enabled access key with its opened secret and its active user.
type credEntry struct {
	key    dms.AccessKey
	secret string
	user   dms.User
}

// tokenEntry is a token with its active user.
type tokenEntry struct {
	token dms.Token
	user  dms.User
}

// authCaches are the Service's caches of IAM reads (see above).
type authCaches struct {
	creds    *ttlCache[credEntry]         // by access key
	tokens   *ttlCache[tokenEntry]        // by token hash
	bindings *ttlCache[[]dms.RoleBinding] // by bindingsKey(user, project)
	policies *ttlCache[PolicyDocument]    // parsed, by policy id
	projects *ttlCache[[]dms.Project]     // a domain's projects, by domain id
}

func newAuthCaches(ttl time.Duration) authCaches {
	return authCaches{
		creds: newTTLCache[credEntry](ttl), tokens: newTTLCache[tokenEntry](ttl),
		bindings: newTTLCache[[]dms.RoleBinding](ttl), policies: newTTLCache[PolicyDocument](ttl),
		projects: newTTLCache[[]dms.Project](ttl),
	}
}

func bindingsKey(userID, projectID string) string { return userID + "/" + projectID }

// userChanged drops what depends on a user: its keys and tokens (the cached user is the old one)
// and its role bindings.
func (c authCaches) userChanged(userID string) {
	c.creds.invalidate(func(_ string, e credEntry) bool { return e.user.ID == userID })
	c.tokens.invalidate(func(_ string, e tokenEntry) bool { return e.user.ID == userID })
	c.bindings.invalidate(nil)
}

// permissionsChanged drops every role binding and policy: a binding or policy was added, changed
// or deleted (rare, and a policy may be bound to any number of users).
func (c authCaches) permissionsChanged() {
	c.bindings.invalidate(nil)
	c.policies.invalidate(nil)
}

// invalidatingStore is the IAM store as the Service uses it (and hands out in Store()): each write
// invalidates the caches it affects once it is stored, or failed (a failed write may have done
// part of its work, and dropping entries is always safe).
type invalidatingStore struct {
	store.IAM
	c authCaches
}

func (s invalidatingStore) CreateAccount(ctx context.Context, a store.NewAccount) error {
	defer s.c.projects.invalidate(nil)
	return s.IAM.CreateAccount(ctx, a)
}

func (s invalidatingStore) CreateProject(ctx context.Context, p dms.Project) error {
	defer s.c.projects.invalidate(nil)
	return s.IAM.CreateProject(ctx, p)
}

func (s invalidatingStore) UpdateUser(ctx context.Context, u dms.User) error {
	defer s.c.userChanged(u.ID)
	return s.IAM.UpdateUser(ctx, u)
}

// DeleteUser also deletes the user's keys, tokens and bindings.
func (s invalidatingStore) DeleteUser(ctx context.Context, id string) error {
	defer s.c.userChanged(id)
	return s.IAM.DeleteUser(ctx, id)
}

func (s invalidatingStore) DeleteAccessKey(ctx context.Context, ak string) error {
	defer s.c.creds.invalidate(func(k string, _ credEntry) bool { return k == ak })
	return s.IAM.DeleteAccessKey(ctx, ak)
}

// CreatePolicy also replaces a system role's document (at start-up).
func (s invalidatingStore) CreatePolicy(ctx context.Context, p dms.Policy) error {
	defer s.c.permissionsChanged()
	return s.IAM.CreatePolicy(ctx, p)
}

// DeletePolicy also deletes the policy's bindings.
func (s invalidatingStore) DeletePolicy(ctx context.Context, id string) error {
	defer s.c.permissionsChanged()
	return s.IAM.DeletePolicy(ctx, id)
}

func (s invalidatingStore) CreateRoleBinding(ctx context.Context, b dms.RoleBinding) error {
	defer s.c.permissionsChanged()
	return s.IAM.CreateRoleBinding(ctx, b)
}

func (s invalidatingStore) DeleteRoleBinding(ctx context.Context, b dms.RoleBinding) error {
	defer s.c.permissionsChanged()
	return s.IAM.DeleteRoleBinding(ctx, b)
}

func (s invalidatingStore) DeleteUserTokens(ctx context.Context, userID string) (int, error) {
	defer s.c.tokens.invalidate(func(_ string, e tokenEntry) bool { return e.user.ID == userID })
	return s.IAM.DeleteUserTokens(ctx, userID)
}
