package iam

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// LoginLimits bounds password guessing on POST /v3/auth/tokens. Failed attempts are counted per
// user and per source address over Window; past a threshold the user or the source is locked for a
// while, and attempts it covers are refused (429) without the password being checked. A lock lasts
// LockBase and doubles with each lock that follows within Window of the last, up to LockMax, so it
// always expires: an attacker can slow the admin's password logins down, never shut them off.
//
// A locked user still gets in from a clean source: one with no failure, lock or attempt in flight in
// Window, so the administrator at their own machine is not locked out by someone guessing from
// elsewhere. While the user is locked a guess from a clean source is checked once; its failure makes
// the source unclean. Access-key (AK/SK) requests are never limited here. The zero value takes the
// defaults.
type LoginLimits struct {
	UserFailures   int           // failures of one user in Window that lock it (default 5)
	SourceFailures int           // failures from one source in Window that lock it (default 20)
	Window         time.Duration // how long a failure counts (default 15 min)
	LockBase       time.Duration // the first lock (default 1 min)
	LockMax        time.Duration // the longest lock (default 15 min)
	// MaxEntries bounds the memory: users and sources tracked at once (default 50,000, a few MB).
	MaxEntries int
	// Now is the limiter's clock (tests); time.Now when nil.
	Now func() time.Time
}

func (l LoginLimits) withDefaults() LoginLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.UserFailures, 5)
	def(&l.SourceFailures, 20)
	def(&l.MaxEntries, 50_000)
	defD(&l.Window, 15*time.Minute)
	defD(&l.LockBase, time.Minute)
	defD(&l.LockMax, 15*time.Minute)
	if l.LockMax < l.LockBase {
		l.LockMax = l.LockBase
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	return l
}

// loginLimiter keeps the failure counts. Entries are dropped once nothing about them matters any
// more (no failure in Window, no lock); at MaxEntries the stalest are evicted first.
type loginLimiter struct {
	cfg     LoginLimits
	mu      sync.Mutex
	entries map[string]*loginEntry
}

type loginEntry struct {
	failures    []time.Time // within Window, oldest first; at most the key's threshold are kept
	inflight    int         // attempts begun and not ended: counted as failures until they end
	lockedUntil time.Time
	locks       int // consecutive locks: each doubles the next one's length
	last        time.Time
}

func newLoginLimiter(cfg LoginLimits) *loginLimiter {
	return &loginLimiter{cfg: cfg.withDefaults(), entries: make(map[string]*loginEntry)}
}

// sourceKey is the limiter's key of a client address: the IP (the port varies per connection), and
// for IPv6 its /64, which one host usually holds whole.
func sourceKey(remote string) string {
	ap, err := netip.ParseAddrPort(remote)
	var ip netip.Addr
	if err == nil {
		ip = ap.Addr()
	} else if ip, err = netip.ParseAddr(remote); err != nil {
		return "src:" + remote // not an address (a test's or a proxy's): as given
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "src:" + p.String()
	}
	return "src:" + ip.String()
}

// userKey names a user for the limiter: its id when it exists, else the name as given (an unknown
// user is limited the same way, so locks do not tell which users exist).
func userKey(id, given string) string {
	if id != "" {
		return "user:" + id
	}
	return "user?" + strings.ToLower(given)
}

// begin decides whether an attempt for user from source may have its password checked; if not it
// returns how long until it may. An allowed attempt counts as a failure in advance until end says
// how it went, so that guesses sent in parallel cannot all pass before the first one fails.
func (l *loginLimiter) begin(user, source string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	src, u := l.live(source, now), l.live(user, now)
	if src != nil && now.Before(src.lockedUntil) {
		return src.lockedUntil.Sub(now), false
	}
	if u != nil && now.Before(u.lockedUntil) && unclean(src) {
		return u.lockedUntil.Sub(now), false
	}
	// Attempts still being checked could reach a threshold: wait for them (a second is plenty for
	// a password hash).
	if full(src, l.cfg.SourceFailures) || (full(u, l.cfg.UserFailures) && unclean(src)) {
		return time.Second, false
	}
	l.entry(source, now).inflight++
	l.entry(user, now).inflight++
	return 0, true
}

// full: the failures and the attempts in flight reach the threshold.
func full(e *loginEntry, threshold int) bool {
	return e != nil && len(e.failures)+e.inflight >= threshold
}

// unclean: the source failed or was locked in Window, or has an attempt in flight.
func unclean(src *loginEntry) bool {
	return src != nil && (len(src.failures) > 0 || src.inflight > 0 || !src.lockedUntil.IsZero())
}

// end records how an attempt begun with begin went: a wrong password (or an unknown or disabled user)
// is a failure; a success clears the user's failures but not a lock (a success from a clean source
// must not reopen the user to the sources that caused it). The source's failures stay either way: a
// valid login of one account must not buy more guesses at another.
func (l *loginLimiter) end(user, source string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	for _, k := range []string{user, source} {
		if e := l.entries[k]; e != nil && e.inflight > 0 {
			e.inflight--
		}
	}
	if ok {
		if e := l.entries[user]; e != nil {
			e.failures = nil
		}
		return
	}
	l.fail(user, l.cfg.UserFailures, now)
	l.fail(source, l.cfg.SourceFailures, now)
}

// entry returns key's live entry, making one if there is none.
func (l *loginLimiter) entry(key string, now time.Time) *loginEntry {
	e := l.live(key, now)
	if e == nil {
		l.makeRoom(now)
		e = &loginEntry{}
		l.entries[key] = e
	}
	return e
}

func (l *loginLimiter) fail(key string, threshold int, now time.Time) {
	e := l.entry(key, now)
	e.last = now
	e.failures = append(e.failures, now)
	if len(e.failures) > threshold {
		e.failures = e.failures[len(e.failures)-threshold:]
	}
	if len(e.failures) >= threshold && !now.Before(e.lockedUntil) {
		d := l.cfg.LockBase << min(e.locks, 20)
		if d > l.cfg.LockMax || d <= 0 {
			d = l.cfg.LockMax
		}
		e.lockedUntil = now.Add(d)
		e.locks++
		e.failures = e.failures[:0] // the lock answers for these; counting restarts after it
	}
}

// live returns key's entry with the failures older than Window dropped, or nil if there is none or
// nothing in it matters any more (then it is deleted).
func (l *loginLimiter) live(key string, now time.Time) *loginEntry {
	e := l.entries[key]
	if e == nil {
		return nil
	}
	l.expire(e, now)
	if l.stale(e, now) {
		delete(l.entries, key)
		return nil
	}
	return e
}

func (l *loginLimiter) expire(e *loginEntry, now time.Time) {
	i := 0
	for i < len(e.failures) && now.Sub(e.failures[i]) >= l.cfg.Window {
		i++
	}
	e.failures = e.failures[i:]
}

// stale: no failure counts, no attempt in flight, no lock, and the last lock (if any) is more than
// Window ago, so the next lock would start from LockBase again.
func (l *loginLimiter) stale(e *loginEntry, now time.Time) bool {
	return len(e.failures) == 0 && e.inflight == 0 && !now.Before(e.lockedUntil) && now.Sub(e.lockedUntil) >= l.cfg.Window
}

// makeRoom keeps the table under MaxEntries: first the stale entries go, then the least recently
// failed ones, unlocked before locked. Only a flood from many sources gets here, and the scan is
// cheap next to the password hash every new entry costs (refused attempts make none).
func (l *loginLimiter) makeRoom(now time.Time) {
	if len(l.entries) < l.cfg.MaxEntries {
		return
	}
	for k, e := range l.entries {
		l.expire(e, now)
		if l.stale(e, now) {
			delete(l.entries, k)
		}
	}
	for len(l.entries) >= l.cfg.MaxEntries {
		var oldest string
		var at time.Time
		oldestLocked := true
		for k, e := range l.entries {
			locked := now.Before(e.lockedUntil)
			if oldest == "" || (oldestLocked && !locked) || (locked == oldestLocked && e.last.Before(at)) {
				oldest, at, oldestLocked = k, e.last, locked
			}
		}
		delete(l.entries, oldest)
	}
}

// size is the number of tracked users and sources (tests and measurements).
func (l *loginLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
