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
	c, err := newCanonicalParts(r, signedHeaders, body)
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

func newCanonicalParts(r *http.Request, signedHeaders []string, body []byte) (canonicalParts, error) {
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
	if c.headers, err = canonicalHeaders(r, signedHeaders); err != nil {
		return c, err
	}
	c.signedHeaders = strings.Join(signedHeaders, ";")
	if v := headerValues(r.Header, ContentSHA256Header); len(v) > 0 {
		c.payloadHash, c.payloadFromHeader = v[0], true // used literally, as the SDKs do
	} else {
		c.payloadHash = sha256Hex(body)
	}
	return c, nil
}

// request joins the six parts with '\n'. headers already ends with '\n',
// which is what leaves the empty line before the SignedHeaders line.
func (c canonicalParts) request(uri string) string {
	var b strings.Builder
	b.Grow(len(c.method) + len(uri) + len(c.query) + len(c.headers) + len(c.signedHeaders) + len(c.payloadHash) + 5)
	for i, s := range [...]string{c.method, uri, c.query, c.headers, c.signedHeaders, c.payloadHash} {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	}
	return b.String()
}

// canonicalURI is §2.3 step 2: split the decoded path on '/', percent-encode
// every segment byte-wise, join with '/', and make sure it ends in '/'.
// Keeping '/' while encoding everything else is the same thing in one pass.
func canonicalURI(path string) string {
	var b strings.Builder
	b.Grow(len(path) + 8)
	writeEscaped(&b, path, true)
	if !strings.HasSuffix(path, "/") {
		b.WriteByte('/')
	}
	return b.String()
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
	var b strings.Builder
	b.Grow(len(path) + 16)
	for i := 0; i < len(path); i++ {
		c := path[i]
		if strings.IndexByte(legacyNodeChars, c) >= 0 {
			writePercent(&b, c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String(), true
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
	var b strings.Builder
	b.Grow(len(rawQuery) + 8)
	first := true
	for _, key := range slices.Sorted(maps.Keys(values)) {
		vs := values[key] // ours: ParseQuery built it, sorting in place is fine
		slices.Sort(vs)
		for _, v := range vs {
			if !first {
				b.WriteByte('&')
			}
			first = false
			writeEscaped(&b, key, false)
			b.WriteByte('=')
			writeEscaped(&b, v, false)
		}
	}
	return b.String(), nil
}

// canonicalHeaders is §2.3 step 4: for each signed name, in the given
// order, one "name:value" line per value (values sorted, then trimmed), each
// line ending in '\n'. "host" is r.Host (or r.URL.Host on a client request
// that leaves Host empty): that is what goes on the wire, and Go servers
// keep it out of r.Header.
func canonicalHeaders(r *http.Request, signedHeaders []string) (string, error) {
	var b strings.Builder
	for _, name := range signedHeaders {
		var values []string
		if name == "host" {
			host := r.Host
			if host == "" && r.URL != nil {
				host = r.URL.Host
			}
			if host != "" {
				values = []string{host}
			}
		} else {
			values = headerValues(r.Header, name)
		}
		if len(values) == 0 {
			return "", fmt.Errorf("%w: %q", ErrMissingSignedHeader, name)
		}
		if len(values) > 1 {
			values = slices.Sorted(slices.Values(values)) // a copy: values may alias r.Header
		}
		for _, v := range values {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(strings.TrimSpace(v))
		}
	}
	b.WriteByte('\n')
	return b.String(), nil
}

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

// writeEscaped writes s with every byte that shouldEscape encoded as %XX
// (upper-case hex), optionally keeping '/'.
func writeEscaped(b *strings.Builder, s string, keepSlash bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if shouldEscape(c) && !(keepSlash && c == '/') {
			writePercent(b, c)
		} else {
			b.WriteByte(c)
		}
	}
}

func writePercent(b *strings.Builder, c byte) {
	const upperHex = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(upperHex[c>>4])
	b.WriteByte(upperHex[c&15])
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// lowerASCII lower-cases ASCII letters only, so that no Unicode folding
// (e.g. KELVIN SIGN to 'k') can turn a bogus header name into a valid one.
func lowerASCII(s string) string {
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
