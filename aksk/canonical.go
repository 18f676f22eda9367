package aksk

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
)

// CanonicalRequest builds the canonical request string of §2.3 for r, as
// the Go SDK builds it, using the decoded path (r.URL.Path). body is the
// request body; r.Body is never read, so a verifier reads the body once and
// passes the bytes in.
//
// Differences from the SDK, all of which only turn an unverifiable request
// into an explicit error: a signed header absent from r is
// ErrMissingSignedHeader (the SDK would silently emit no line), and a query
// string that url.ParseQuery rejects is ErrMalformedRequest.
func CanonicalRequest(r *http.Request, signedHeaders []string, body []byte) (string, error) {
	c, err := newCanonicalParts(r, newHeaderLookup(r.Header), signedHeaders, body)
	if err != nil {
		return "", err
	}
	return c.request(canonicalURI(r.URL.Path)), nil
}

// canonicalParts is the canonical request minus its path line. Verify may
// try two path forms; this way it hashes the body and sorts the query once.
type canonicalParts struct {
	method, query, headers, signedHeaders, payloadHash string
	payloadFromHeader                                  bool // payloadHash is X-Sdk-Content-Sha256, not the body's hash
}

func newCanonicalParts(r *http.Request, hl headerLookup, signedHeaders []string, body []byte) (canonicalParts, error) {
	var c canonicalParts
	if r.URL == nil {
		return c, fmt.Errorf("%w: no URL", ErrMalformedRequest)
	}
	// The method is used as sent (the SDKs always send upper case). An
	// empty Method means GET to net/http, so it is signed as GET.
	c.method = r.Method
	if c.method == "" {
		c.method = http.MethodGet
	}
	var err error
	if c.query, err = canonicalQuery(r.URL.RawQuery); err != nil {
		return c, err
	}
	if c.headers, err = canonicalHeaders(r, hl, signedHeaders); err != nil {
		return c, err
	}
	c.signedHeaders = strings.Join(signedHeaders, ";")
	if v := hl.values(ContentSHA256Header); len(v) > 0 {
		c.payloadHash, c.payloadFromHeader = v[0], true // used literally, as the SDKs do
	} else {
		c.payloadHash = sha256Hex(body)
	}
	return c, nil
}

// request joins the six parts with '\n'. headers already ends with '\n',
// which is what leaves the empty line before the SignedHeaders line.
func (c canonicalParts) request(uri string) string {
	return string(c.appendRequest(nil, uri, false))
}

// appendRequest appends the canonical request to dst; with encodeURI, uri is
// a decoded path that is appended as canonicalURI would make it.
func (c canonicalParts) appendRequest(dst []byte, uri string, encodeURI bool) []byte {
	dst = append(dst, c.method...)
	dst = append(dst, '\n')
	if encodeURI {
		dst = appendCanonicalURI(dst, uri)
	} else {
		dst = append(dst, uri...)
	}
	dst = append(dst, '\n')
	dst = append(dst, c.query...)
	dst = append(dst, '\n')
	dst = append(dst, c.headers...)
	dst = append(dst, '\n')
	dst = append(dst, c.signedHeaders...)
	dst = append(dst, '\n')
	return append(dst, c.payloadHash...)
}

// sum is the SHA-256 of the canonical request for the decoded path, built in
// a buffer on the stack (the request path signs or verifies on every call).
func (c canonicalParts) sum(path string) [sha256.Size]byte {
	var buf [1024]byte
	return sha256.Sum256(c.appendRequest(buf[:0], path, true))
}

// canonicalURI is §2.3 step 2: split the decoded path on '/', percent-encode
// every segment byte-wise, join with '/', and make sure it ends in '/'.
// Keeping '/' while encoding everything else is the same thing in one pass.
func canonicalURI(path string) string {
	return string(appendCanonicalURI(make([]byte, 0, len(path)+8), path))
}

func appendCanonicalURI(dst []byte, path string) []byte {
	dst = appendEscaped(dst, path, true)
	if !strings.HasSuffix(path, "/") {
		dst = append(dst, '/')
	}
	return dst
}

// legacyNodeChars are the bytes Node's legacy url.parse() percent-encodes
// in a path (its "autoEscape" list). Everything else, including '+', '%'
// and non-ASCII, it leaves alone.
const legacyNodeChars = "\t\n\r \"'<>\\^`{|}"

// legacyNodePath re-creates the pathname the Node SDK signs: the decoded
// path with only legacyNodeChars percent-encoded (upper-case hex, as
// encodeURIComponent/escape produce). canonicalURI of the result then
// double-encodes those '%'s exactly as Node does ("my topic" gives
// "my%2520topic"). changed is false when the legacy form equals the decoded
// form, so Verify does not compute the same signature twice.
func legacyNodePath(path string) (legacy string, changed bool) {
	if !strings.ContainsAny(path, legacyNodeChars) {
		return path, false
	}
	b := make([]byte, 0, len(path)+16)
	for i := 0; i < len(path); i++ {
		c := path[i]
		if strings.IndexByte(legacyNodeChars, c) >= 0 {
			b = appendPercent(b, c)
		} else {
			b = append(b, c)
		}
	}
	return string(b), true
}

// canonicalQuery is §2.3 step 3: decode the raw query, sort keys and each
// key's values bytewise, and emit enc(key)=enc(value) joined with '&'. A bare
// key counts as value "". Decoding uses url.ParseQuery, i.e. exactly what a
// Go handler sees through r.URL.Query(), so the signature covers the
// parameters the handler acts on.
func canonicalQuery(rawQuery string) (string, error) {
	if rawQuery == "" {
		return "", nil
	}
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("%w: query: %v", ErrMalformedRequest, err)
	}
	b := make([]byte, 0, len(rawQuery)+8)
	first := true
	for _, key := range slices.Sorted(maps.Keys(values)) {
		vs := values[key] // ours: ParseQuery built it, sorting in place is fine
		slices.Sort(vs)
		for _, v := range vs {
			if !first {
				b = append(b, '&')
			}
			first = false
			b = appendEscaped(b, key, false)
			b = append(b, '=')
			b = appendEscaped(b, v, false)
		}
	}
	return string(b), nil
}

// canonicalHeaders is §2.3 step 4: for each signed name, in the given
// order, one "name:value" line per value (values sorted, then trimmed), each
// line ending in '\n'. "host" is r.Host (or r.URL.Host on a client request
// that leaves Host empty): that is what goes on the wire, and Go servers
// keep it out of r.Header.
func canonicalHeaders(r *http.Request, hl headerLookup, signedHeaders []string) (string, error) {
	var stack [256]byte
	b := stack[:0]
	var sorted []string
	for _, name := range signedHeaders {
		var values []string
		if name == "host" {
			host := r.Host
			if host == "" && r.URL != nil {
				host = r.URL.Host
			}
			if host != "" {
				if len(b) > 0 {
					b = append(b, '\n')
				}
				b = append(append(append(b, name...), ':'), strings.TrimSpace(host)...)
				continue
			}
		} else {
			values = hl.values(name)
		}
		if len(values) == 0 {
			return "", fmt.Errorf("%w: %q", ErrMissingSignedHeader, name)
		}
		if len(values) > 1 {
			sorted = append(sorted[:0], values...) // a copy: values may alias r.Header
			slices.Sort(sorted)
			values = sorted
		}
		for _, v := range values {
			if len(b) > 0 {
				b = append(b, '\n')
			}
			b = append(append(append(b, name...), ':'), strings.TrimSpace(v)...)
		}
	}
	b = append(b, '\n')
	return string(b), nil
}

// headerLookup finds header values by lower-case name. A server request's
// keys are all canonical (net/http's reader makes them so), and then a value
// is one map lookup; a header map with a key in another spelling (client code
// that assigns r.Header[...] directly) is scanned, as headerValues does.
type headerLookup struct {
	h    http.Header
	scan bool
}

func newHeaderLookup(h http.Header) headerLookup {
	for k := range h {
		if !isCanonicalKey(k) {
			return headerLookup{h: h, scan: true}
		}
	}
	return headerLookup{h: h}
}

// values is headerValues(l.h, name).
func (l headerLookup) values(name string) []string {
	var buf [64]byte
	key, ok := appendCanonicalKey(buf[:0], name)
	if l.scan || !ok {
		return headerValues(l.h, name)
	}
	return l.h[string(key)] // no allocation: the conversion only serves the lookup
}

// delete deletes the header name (a canonical spelling of a token) under
// every spelling: deleteHeader without the scan when all keys are canonical.
func (l headerLookup) delete(name string) {
	if l.scan {
		deleteHeader(l.h, name)
		return
	}
	delete(l.h, name)
}

// isCanonicalKey reports whether no token name can equal-fold to k other than
// through textproto's canonical spelling: k is that spelling, or k is not a
// token (textproto leaves such keys alone, and folding only changes letters).
func isCanonicalKey(k string) bool {
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !isTokenByte(c) {
			return true
		}
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = c == '-'
	}
	return true
}

// appendCanonicalKey appends textproto.CanonicalMIMEHeaderKey(name) for a
// token name; ok is false for a name that is not a token.
func appendCanonicalKey(dst []byte, name string) (key []byte, ok bool) {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isTokenByte(c) {
			return nil, false
		}
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst, len(name) > 0
}

// isTokenByte reports whether c may appear in an HTTP token (RFC 9110), the
// bytes textproto accepts in a header name.
func isTokenByte(c byte) bool { return tokenBytes[c] }

var tokenBytes = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0
	}
	return t
}()

// headerValues returns all values of the header name, matching keys
// ASCII-case-insensitively like the SDK's lower-casing map. A server's
// r.Header only has canonical keys; the scan is for client code that assigns
// r.Header[...] directly. The result may alias h and must not be modified.
func headerValues(h http.Header, name string) []string {
	ck := textproto.CanonicalMIMEHeaderKey(name)
	values := h[ck]
	var others []string
	for k := range h {
		if k != ck && equalFoldASCII(k, name) {
			others = append(others, k)
		}
	}
	if len(others) == 0 {
		return values
	}
	slices.Sort(others) // deterministic order
	values = slices.Clone(values)
	for _, k := range others {
		values = append(values, h[k]...)
	}
	return values
}

// shouldEscape reports whether the SDK encoder percent-encodes c: everything
// outside RFC 3986 unreserved (A-Z a-z 0-9 - _ . ~).
func shouldEscape(c byte) bool {
	return !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~')
}

// appendEscaped appends s with every byte that shouldEscape encoded as %XX
// (upper-case hex), optionally keeping '/'.
func appendEscaped(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if shouldEscape(c) && !(keepSlash && c == '/') {
			b = appendPercent(b, c)
		} else {
			b = append(b, c)
		}
	}
	return b
}

func appendPercent(b []byte, c byte) []byte {
	const upperHex = "0123456789ABCDEF"
	return append(b, '%', upperHex[c>>4], upperHex[c&15])
}

// emptyBodySHA256 is the hash of an empty body, the body of every GET.
var emptyBodySHA256 = func() string {
	sum := sha256.Sum256(nil)
	return hex.EncodeToString(sum[:])
}()

func sha256Hex(b []byte) string {
	if len(b) == 0 {
		return emptyBodySHA256
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// commonLower holds the lower-case names of the headers the SDKs sign, so
// that signing (which lower-cases every header name) does not allocate them.
var commonLower = map[string]string{
	"Host": "host", "User-Agent": "user-agent", "X-Project-Id": "x-project-id", "X-Domain-Id": "x-domain-id",
	DateHeader: "x-sdk-date", ContentSHA256Header: "x-sdk-content-sha256", "Content-Type": "content-type",
	"Accept": "accept", "X-Security-Token": "x-security-token",
}

// lowerASCII lower-cases ASCII letters only, so that no Unicode folding
// (e.g. KELVIN SIGN to 'k') can turn a bogus header name into a valid one.
func lowerASCII(s string) string {
	if l, ok := commonLower[s]; ok {
		return l
	}
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
