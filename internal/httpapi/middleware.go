package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/iam"
)

// requestInfo travels in the request context so the access log can say who called what and how it
// ended, without handlers having to report it. It also holds what every request needs (the status
// writer, the request id header, the context), so that the request path allocates them at once.
type requestInfo struct {
	id        string
	idHeader  [1]string // the X-Request-Id header value
	route     *route
	principal iam.Principal // the caller, once authenticated
	authed    bool          // principal is set
	err       *dms.Error
	body      []byte // the request body, buffered once (bufferedBody)
	sw        statusWriter
	ctx       requestContext
}

type requestInfoKey struct{}

// requestContext is the request's context: it answers for the requestInfo and, once the caller is
// authenticated, for iam.PrincipalFrom, so the request is copied (WithContext) once rather than once
// per value. The principal is set before the handler runs and never changes after.
type requestContext struct {
	context.Context
	info *requestInfo
}

func (c *requestContext) Value(key any) any {
	if _, ok := key.(requestInfoKey); ok {
		return c.info
	}
	if iam.IsPrincipalKey(key) && c.info.authed {
		return c.info.principal
	}
	return c.Context.Value(key)
}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// RequestIDHeader is set on every response; the SDKs read it into their errors' RequestId.
const RequestIDHeader = "X-Request-Id"

// statusWriter records the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (read and write deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// serveHTTP is the whole request path: request id and access log around routing, body buffering,
// authentication, authorization and the handler.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &requestInfo{id: newRequestID()}
	info.idHeader[0] = info.id
	// Assigned, not Set: the key is canonical already, and the value slice is part of info.
	w.Header()[RequestIDHeader] = info.idHeader[:]
	info.sw.ResponseWriter = w
	sw := &info.sw
	info.ctx = requestContext{Context: r.Context(), info: info}
	r = r.WithContext(&info.ctx)
	defer func() {
		if v := recover(); v != nil {
			info.err = dms.Internal(fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
			if sw.status == 0 {
				writeError(sw, nil, info.err)
			}
		}
		s.logRequest(r, info, sw.status, time.Since(start))
	}()
	s.dispatch(sw, r, info)
}

// maxPathSegments is how many path segments dispatch splits without allocating (the longest route
// has 12).
const maxPathSegments = 16

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, info *requestInfo) {
	// A response may take WriteTimeout from here, and again from the end of the body (whose time is
	// bounded on its own). net/http does not reset a deadline set here for the connection's next
	// request, hence both.
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))

	var segBuf [maxPathSegments]string
	rt, segs, known := s.router.matchSegments(r.Method, r.URL.EscapedPath(), segBuf[:0])
	if rt == nil {
		if known {
			writeError(w, r, dms.Errorf(dms.CodeMethodNotAllowed, "This request method (%s) is not allowed for %s.", r.Method, r.URL.Path))
			return
		}
		writeError(w, r, dms.E(dms.CodeURLNotFound))
		return
	}
	info.route = rt
	for i, name := range rt.params {
		if name != "" {
			r.SetPathValue(name, rt.paramValue(segs, i))
		}
	}

	// What the headers alone allow is checked before any of the body is read: a caller without a
	// known access key or a valid token gets its 401 without the server holding its body.
	var pending *iam.PendingAuth
	if rt.auth != authNone {
		p, err := s.iam.AuthenticateHeaders(r.Context(), r)
		if err != nil {
			refuseUnread(w, r, err)
			return
		}
		pending = p
	}
	limit := s.cfg.MaxBodyBytes
	if rt.auth == authNone {
		limit = s.cfg.UnauthBodyBytes
	}
	// Buffer the body once: signatures cover it and handlers decode it.
	body, release, err := s.readRequestBody(w, r, limit, pending == nil || !pending.BodyVerified(), pending == nil)
	if r.ContentLength != 0 {
		rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	}
	if err != nil {
		refuseUnread(w, r, err)
		return
	}
	info.body = body

	if pending != nil {
		p, err := s.iam.AuthenticateBody(r, pending, body)
		if err != nil {
			release()
			writeError(w, r, err)
			return
		}
		info.principal, info.authed = p, true // iam.PrincipalFrom(r.Context()) answers p from here on
		if err := s.authorize(r, rt, p); err != nil {
			release()
			writeError(w, r, err)
			return
		}
	}
	release()
	// Handlers read the buffered body (bufferedBody, readBody, decodeJSON).
	if len(body) == 0 {
		r.Body = http.NoBody
	} else {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if err := checkText(r, body); err != nil {
		writeError(w, r, err)
		return
	}
	if engine := r.PathValue("engine"); engine != "" && engine != "kafka" {
		writeError(w, r, dms.Errorf(dms.CodeUnsupportedType, "Unsupported engine %q: this service serves kafka.", engine))
		return
	}
	if rt.handler == nil {
		section := rt.spec.Section
		if section == "sdk" {
			section = "SDK operation " + rt.spec.Op
		}
		writeError(w, r, dms.Errorf(dms.CodeNotImplemented, "%s %s (%s %s) is not implemented by OpenDMS yet.",
			rt.spec.Method, rt.spec.Pattern, section, rt.spec.Title))
		return
	}
	rt.handler.ServeHTTP(w, r)
}

// refuseUnread answers a request whose body was not (fully) read. The connection is closed after the
// answer: net/http would otherwise read up to 256 KiB of what remains, from a client that may be
// sending it slowly, before the next request.
func refuseUnread(w http.ResponseWriter, r *http.Request, err error) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
	writeError(w, r, err)
}

func (s *Server) authorize(r *http.Request, rt *route, p iam.Principal) error {
	if p.ScopeInstanceID != "" {
		return managerScope(r, rt, p) // a Kafka Manager sign-in: its scope, never IAM policies
	}
	if rt.auth == authAdmin {
		if !p.User.Admin {
			return dms.Errorf(dms.CodeRoleForbidden, "Only account administrators may use the OpenDMS admin API.")
		}
		return nil
	}
	projectID := r.PathValue("project_id")
	if projectID != "" && !iam.ValidProjectID(projectID) {
		return dms.Errorf(dms.CodeProjectIDInvalid, "The project ID format is invalid: %q is not 32 lower-case hex characters.", projectID)
	}
	return s.iam.Authorize(r.Context(), p, projectID, rt.spec.Action)
}

func (s *Server) logRequest(r *http.Request, info *requestInfo, status int, d time.Duration) {
	level := slog.LevelInfo
	if info.err != nil && info.err.Status >= 500 {
		level = slog.LevelError
	}
	h := s.log.Handler()
	if !h.Enabled(r.Context(), level) {
		return
	}
	var buf [10]slog.Attr // on the stack: the attributes are copied into the record
	attrs := append(buf[:0],
		slog.String("request_id", info.id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", d),
	)
	if info.route != nil {
		attrs = append(attrs, slog.String("route", info.route.spec.Pattern))
	}
	if p := &info.principal; info.authed {
		// The user and the AK identify the caller; the SK and tokens are never logged.
		attrs = append(attrs, slog.String("user", p.User.Name), slog.String("auth", p.Method))
		if p.AccessKey != "" {
			attrs = append(attrs, slog.String("ak", p.AccessKey))
		}
	}
	if info.err != nil {
		attrs = append(attrs, slog.String("error_code", info.err.Code))
		if info.err.Status >= 500 {
			if cause := errors.Unwrap(info.err); cause != nil {
				attrs = append(attrs, slog.String("cause", cause.Error()))
			}
		}
	}
	// The record goes to the handler directly: Logger.LogAttrs would also capture the caller's
	// program counter (runtime.Callers) for a source attribute that no handler here adds, and
	// which would name this function on every line anyway.
	rec := slog.NewRecord(time.Now(), level, "request", 0)
	rec.AddAttrs(attrs...)
	h.Handle(r.Context(), rec)
}

// Request ids are 32 lower-case hex characters, as before: 16 random ones drawn when the process
// starts, then a counter. They only need to be unique (they name a request in logs and in the SDKs'
// errors; nothing trusts them), and this costs no random read per request.
var (
	requestIDPrefix = func() string {
		var b [8]byte
		rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}()
	requestIDSeq atomic.Uint64
)

func newRequestID() string {
	var b [32]byte
	copy(b[:16], requestIDPrefix)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], requestIDSeq.Add(1))
	hex.Encode(b[16:], n[:])
	return string(b[:])
}
