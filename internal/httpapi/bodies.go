package httpapi

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/opendms/opendms/internal/dms"
)

// Request body limits (issue 9, defect 2). A body is read only after the headers authenticate the
// caller as far as they can (iam.AuthenticateHeaders); an AK/SK body is still unverified until its
// signature is checked, and anyone who knows an access key (AKs are not secret: they are in logs)
// can send one. So:
//   - bodies read before verification share a budget of bytes and of concurrent reads; past it a
//     request is refused at once with 503 (waiting would let slow senders hold every slot);
//   - a body must arrive at a minimum average rate after a grace period, or the read is cut off
//     (408): the deadline grows with what has arrived, so a 10 MiB produce over a slow link passes
//     while a client trickling bytes is cut off after the grace period;
//   - routes without authentication (token issuance) take small bodies only, from a budget of their
//     own, so unauthenticated senders cannot take the signed requests' reads.
const (
	defaultUnauthBodyBytes     = 64 << 10
	defaultUnverifiedBodyBytes = 64 << 20
	defaultUnverifiedBodies    = 64
	defaultBodyTimeout         = 30 * time.Second
	defaultBodyMinRate         = 128 << 10
	defaultWriteTimeout        = 2 * time.Minute
	// bodyChunk is the most one Read asks for, so the deadline it extends to is at most one chunk
	// ahead of what arrived.
	bodyChunk = 64 << 10
)

// bodyBudget bounds the bytes and the number of request bodies being read before verification.
// Only try-acquire is needed (see above), and bytes and count must be taken together, which is why
// this is not golang.org/x/sync/semaphore (no dependency for a dozen lines).
type bodyBudget struct {
	mu                 sync.Mutex
	bytes, count       int64
	maxBytes, maxCount int64
}

func (b *bodyBudget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.count+1 > b.maxCount || b.bytes+n > b.maxBytes {
		return false
	}
	b.bytes += n
	b.count++
	return true
}

func (b *bodyBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bytes -= n
	b.count--
}

// readRequestBody reads r's body (at most limit bytes) under the read deadline rule and, when
// unverified, the budget (anonymous: the one of routes without authentication). release must be
// called once the body is verified (or refused); it is never nil.
func (s *Server) readRequestBody(w http.ResponseWriter, r *http.Request, limit int64, unverified, anonymous bool) (body []byte, release func(), err error) {
	release = func() {}
	if r.ContentLength > limit {
		return nil, release, dms.Errorf(dms.CodeBodyTooLarge, "The request body is larger than %d bytes.", limit)
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil, release, nil
	}
	charge := r.ContentLength
	if charge < 0 { // chunked: its size is known only at the end
		charge = limit
	}
	if unverified {
		budget := s.bodies
		if anonymous {
			budget = s.anonBodies
		}
		if !budget.tryAcquire(charge) {
			w.Header().Set("Retry-After", "1")
			return nil, release, dms.Errorf(dms.CodeServerBusy, "The server is busy receiving other requests. Please try again later.")
		}
		var once sync.Once
		release = func() { once.Do(func() { budget.release(charge) }) }
	}
	rc := http.NewResponseController(w)
	dr := &deadlineReader{r: r.Body, rc: rc, start: time.Now(), grace: s.cfg.BodyTimeout, rate: s.cfg.BodyMinRate}
	body, err = readAtMost(dr, r.ContentLength, limit)
	// The deadline must not outlive the body: net/http's background read (which watches for the
	// client going away) would fail when it passes and cancel a long handler's context. net/http
	// clears it when the body reaches EOF; clearing it here does not depend on that.
	if dr.set {
		rc.SetReadDeadline(time.Time{})
	}
	if err != nil {
		release()
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return nil, release, dms.Errorf(dms.CodeBodyTooLarge, "The request body is larger than %d bytes.", limit)
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, release, dms.Errorf(dms.CodeBodyTimeout, "The request body did not arrive in time: a body may take %s plus 1 s per %d KiB.",
				s.cfg.BodyTimeout, s.cfg.BodyMinRate>>10)
		}
		return nil, release, dms.Errorf(dms.CodeBodyNotJSON, "The request body could not be read: %v", err)
	}
	return body, release, nil
}

// readAtMost reads a body of n bytes (n < 0: unknown, at most limit). A known length is allocated
// once: the memory is exactly what the budget charged (and its pages become resident only as bytes
// arrive); growing by doubling would leave up to twice that as garbage.
func readAtMost(r io.Reader, n, limit int64) ([]byte, error) {
	if n >= 0 {
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	buf, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(buf)) > limit { // one more byte than the limit tells a chunked body over it
		return nil, &http.MaxBytesError{Limit: limit}
	}
	return buf, nil
}

// deadlineReader lets a body take grace plus the time to arrive at rate: before each read the
// connection's read deadline moves to start + grace + (read so far + one chunk) / rate.
type deadlineReader struct {
	r     io.Reader
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	rate  int64
	n     int64
	at    time.Time // the deadline in force
	set   bool
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if len(p) > bodyChunk {
		p = p[:bodyChunk]
	}
	due := d.start.Add(d.grace + time.Duration(float64(d.n+int64(len(p)))/float64(d.rate)*float64(time.Second)))
	// Moving the deadline costs little, but not on every small read.
	if !d.set || due.Sub(d.at) > time.Second {
		if err := d.rc.SetReadDeadline(due); err == nil {
			d.at, d.set = due, true
		}
	}
	m, err := d.r.Read(p)
	d.n += int64(m)
	return m, err
}
