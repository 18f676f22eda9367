package iam

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
)

// testClock is an injected clock: tests advance it instead of sleeping.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// An attempt of a login scenario: who tries from where, after how long, and what they get.
type attempt struct {
	after  time.Duration // advance the clock first
	user   string        // "" for admin
	source string
	right  bool   // the right password
	want   string // "ok", "bad" (401) or "locked" (429)
}

func TestLoginLimits(t *testing.T) {
	const a, b, c, d = "192.0.2.1:40000", "198.51.100.7:50000", "203.0.113.1:1", "[2001:db8::1]:1"
	limits := LoginLimits{UserFailures: 3, SourceFailures: 5, Window: 15 * time.Minute, LockBase: time.Minute, LockMax: 4 * time.Minute}
	fails := func(n int, user, source string) []attempt {
		var out []attempt
		for i := 0; i < n; i++ {
			out = append(out, attempt{user: user, source: source, want: "bad"})
		}
		return out
	}
	seq := func(parts ...[]attempt) []attempt {
		var out []attempt
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name     string
		attempts []attempt
	}{
		{"user locked after 3 failures: the right password from that source is refused, then works when the lock expires", seq(
			fails(3, "", a),
			[]attempt{{source: a, right: true, want: "locked"}, {after: 61 * time.Second, source: a, right: true, want: "ok"}})},
		{"the same source's port does not matter", seq(
			fails(3, "", a),
			[]attempt{{source: "192.0.2.1:40001", right: true, want: "locked"}})},
		{"a clean source still gets in while the user is locked", seq(
			fails(3, "", a),
			[]attempt{{source: b, right: true, want: "ok"}})},
		{"a guess from a clean source during the lock is checked once, then that source is refused", seq(
			fails(3, "", a),
			[]attempt{{source: b, want: "bad"}, {source: b, right: true, want: "locked"}})},
		{"attempts during a lock do not extend it", seq(
			fails(3, "", a),
			[]attempt{{after: 30 * time.Second, source: a, want: "locked"}, {after: 31 * time.Second, source: a, right: true, want: "ok"}})},
		// Each round from another source, so that only the user's lock is at work.
		{"locks double and are capped", seq(
			fails(3, "", a), // locked 1 min
			[]attempt{{after: 61 * time.Second, source: b, want: "bad"}}, fails(2, "", b), // 2 min
			[]attempt{{after: 61 * time.Second, source: b, right: true, want: "locked"}},
			[]attempt{{after: 60 * time.Second, source: c, want: "bad"}}, fails(2, "", c), // 4 min
			[]attempt{{after: 4*time.Minute + time.Second, source: d, want: "bad"}}, fails(2, "", d), // 8 min, capped at 4
			[]attempt{{after: 4*time.Minute - time.Second, source: d, right: true, want: "locked"}},
			[]attempt{{after: 2 * time.Second, source: d, right: true, want: "ok"}})},
		{"a source guessing many users is locked for all of them", seq(
			fails(1, "u1", a), fails(1, "u2", a), fails(1, "u3", a), fails(1, "u4", a), fails(1, "u5", a),
			[]attempt{{source: a, right: true, want: "locked"}, {source: b, right: true, want: "ok"}})},
		{"an unknown user is locked like a known one", seq(
			fails(3, "nobody", a),
			[]attempt{{user: "nobody", source: a, want: "locked"}})},
		{"failures older than the window are forgotten", seq(
			fails(2, "", a),
			[]attempt{{after: 15 * time.Minute, source: a, want: "bad"}, {source: a, want: "bad"}, {source: a, right: true, want: "ok"}})},
		{"a success from a clean source does not lift the lock for the others", seq(
			fails(3, "", a),
			[]attempt{{source: b, right: true, want: "ok"}, {source: a, right: true, want: "locked"}})},
		{"a success clears the user's failures", seq(
			fails(2, "", a),
			[]attempt{{source: a, right: true, want: "ok"}}, fails(2, "", a),
			[]attempt{{source: a, right: true, want: "ok"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			l := limits
			l.Now = clock.now
			s, creds := newTestService(t, Config{Login: l})
			for i, at := range tt.attempts {
				clock.advance(at.after)
				user, password := at.user, "wrong-Passw0rd"
				if user == "" {
					user = "admin"
				}
				if at.right {
					password = creds.Password
				}
				_, err := s.IssueToken(context.Background(), PasswordAuth{DomainName: "admin", UserName: user, Password: password,
					ProjectName: "cn-north-4", Source: at.source})
				got := "ok"
				var locked *LockedError
				switch {
				case errors.As(err, &locked):
					got = "locked"
					if de := dms.AsError(err); de.Status != 429 || de.Code != dms.CodeLoginLocked || locked.RetryAfter <= 0 {
						t.Fatalf("attempt %d: lock error %+v, retry after %v", i, de, locked.RetryAfter)
					}
				case code(err) == dms.CodeTokenInvalid:
					got = "bad"
				case err != nil:
					t.Fatalf("attempt %d: %v", i, err)
				}
				if got != at.want {
					t.Fatalf("attempt %d (%+v): %s, want %s", i, at, got, at.want)
				}
			}
		})
	}
}

// The limiter's memory is bounded however many sources and users fail.
func TestLoginLimiterBounded(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLoginLimiter(LoginLimits{MaxEntries: 100, Now: clock.now})
	fail := func(user, source string) {
		if _, ok := l.begin(user, source); ok {
			l.end(user, source, false)
		}
	}
	fail(userKey("admin-id", ""), "src:192.0.2.1")
	for i := 0; i < 10_000; i++ {
		fail(userKey("", fmt.Sprint("user", i)), fmt.Sprintf("src:10.%d.%d.%d", i>>16, i>>8&255, i&255))
		if n := l.size(); n > 100 {
			t.Fatalf("after %d failures: %d entries, want at most 100", i+1, n)
		}
	}
	// Entries nothing depends on go away by themselves.
	clock.advance(time.Hour)
	fail("user:x", "src:x")
	if n := l.size(); n > 2 {
		t.Errorf("an hour later: %d entries, want 2", n)
	}
}

// Guesses sent in parallel cannot all be checked before the first one fails: attempts in flight
// count against the limits.
func TestLoginLimitsParallel(t *testing.T) {
	s, _ := newTestService(t, Config{})
	const n = 40
	results := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := s.IssueToken(context.Background(), PasswordAuth{DomainName: "admin", UserName: "admin", Password: "wrong-Passw0rd",
				ProjectName: "cn-north-4", Source: "192.0.2.9:1234"})
			results <- err
		}()
	}
	checked := 0
	for i := 0; i < n; i++ {
		err := <-results
		var locked *LockedError
		switch {
		case errors.As(err, &locked):
		case code(err) == dms.CodeTokenInvalid:
			checked++
		default:
			t.Fatalf("attempt: %v", err)
		}
	}
	if checked > 5 {
		t.Fatalf("%d of %d parallel wrong passwords were checked, want at most 5", checked, n)
	}
}
