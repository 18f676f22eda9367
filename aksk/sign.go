package aksk

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Sign signs an outgoing request exactly as the Go SDK signs it with
// SDK-HMAC-SHA256:
//
//   - X-Sdk-Date is set from now (in UTC); any earlier X-Sdk-Date and
//     Authorization are dropped first, so re-signing a request is safe.
//   - If Content-Type is present and contains neither "application/json"
//     nor "application/bson", X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD is set
//     and the body is not covered (Go SDK behaviour; JSON bodies always are).
//   - Every header present in r.Header is signed except names starting with
//     "content-type" (case-insensitively) and names containing '_'. Headers
//     net/http adds later (Host, User-Agent if unset, Content-Length,
//     Accept-Encoding) are not in r.Header and so are not signed; put
//     User-Agent in r.Header if it should be, as the SDK does.
//   - Authorization is set.
//
// body must be the bytes the caller sends as r.Body; Sign does not read or
// set r.Body. Bad arguments (empty or unformattable AK, empty SK, a year
// outside 0-9999, no URL, an unparsable query) are reported before r is
// touched; a header name that is not a token is reported after.
func Sign(r *http.Request, body []byte, ak, sk string, now time.Time) error {
	return sign(r, body, Authorization{Algorithm: AlgHMACSHA256, AccessKey: ak}, sk, now)
}

// SignV11 signs r like Sign but with V11-HMAC-SHA256, the key derived for
// region and service (the Go SDK's derived signer, used when a client sets
// WithDerivedPredicate and WithDerivedAuthServiceName). Servers check the
// scope with CheckScope.
func SignV11(r *http.Request, body []byte, ak, sk, region, service string, now time.Time) error {
	scope := now.UTC().Format("20060102") + "/" + region + "/" + service
	if !validCredentialScope(scope) {
		return fmt.Errorf("aksk: region %q or service %q cannot be put in a credential scope", region, service)
	}
	return sign(r, body, Authorization{Algorithm: AlgV11HMACSHA256, AccessKey: ak, CredentialScope: scope}, sk, now)
}

// sign is Sign for auth's algorithm, access key and scope.
func sign(r *http.Request, body []byte, auth Authorization, sk string, now time.Time) error {
	ak := auth.AccessKey
	if !validAccessKey(ak) {
		return errors.New("aksk: access key is empty or has separators, spaces or control bytes")
	}
	if sk == "" {
		return errors.New("aksk: empty secret key")
	}
	date := now.UTC().Format(DateLayout)
	if len(date) != len(DateLayout) {
		return fmt.Errorf("aksk: cannot sign with time %v: year out of range", now)
	}
	if r.URL == nil {
		return fmt.Errorf("%w: no URL", ErrMalformedRequest)
	}
	if _, err := canonicalQuery(r.URL.RawQuery); err != nil {
		return err
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	// One scan tells whether every key is canonical; then each header is one
	// map operation (the keys added below are canonical, so that stays true).
	hl := newHeaderLookup(r.Header)
	hl.delete("Authorization")
	hl.delete(DateHeader)
	r.Header[DateHeader] = []string{date}
	if ct := hl.values("Content-Type"); len(ct) > 0 &&
		!strings.Contains(ct[0], "application/json") && !strings.Contains(ct[0], "application/bson") {
		hl.delete(ContentSHA256Header)
		r.Header[ContentSHA256Header] = []string{UnsignedPayload}
	}
	signed, err := goSDKSignedHeaders(r.Header)
	if err != nil {
		return err
	}
	auth.SignedHeaders = signed
	key, err := signingKey(auth, sk, date)
	if err != nil {
		return err
	}
	parts, err := newCanonicalParts(r, hl, auth.SignedHeaders, body)
	if err != nil {
		return err
	}
	sum := signatureSum(key, auth, date, parts.sum(r.URL.Path))
	auth.Signature = hex.EncodeToString(sum[:])
	r.Header["Authorization"] = []string{auth.String()}
	return nil
}

// goSDKSignedHeaders lists the headers the Go SDK signs: every present one
// except Content-Type* and names containing '_', lower-cased and sorted.
func goSDKSignedHeaders(h http.Header) ([]string, error) {
	names := make([]string, 0, len(h))
	for k, v := range h {
		name := lowerASCII(k)
		if len(v) == 0 || strings.HasPrefix(name, "content-type") || strings.Contains(name, "_") {
			continue
		}
		if !isLowerToken(name) {
			return nil, fmt.Errorf("%w: header name %q is not a token", ErrMalformedRequest, k)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names), nil // "X-A" and "x-a" are one header
}

// deleteHeader deletes name under every spelling of it.
func deleteHeader(h http.Header, name string) {
	for k := range h {
		if equalFoldASCII(k, name) {
			delete(h, k)
		}
	}
}

// Verify checks the signature of an incoming request against sk, the secret
// key the caller looked up by auth.AccessKey. body is the full request body.
// It returns nil, or an error wrapping one of the sentinel errors:
//
//   - ErrUnsupportedAlgorithm for anything but SDK-HMAC-SHA256 and
//     V11-HMAC-SHA256;
//   - ErrMalformedAuthorization if auth is not what ParseAuthorization
//     produces for those (e.g. a signature that is not 64 hex digits), or if
//     x-sdk-date is not a signed header (every SDK signs it);
//   - ErrMissingDate / ErrMalformedDate for X-Sdk-Date;
//   - ErrMissingSignedHeader, ErrMalformedRequest if the request cannot be
//     canonicalised;
//   - ErrBadSignature otherwise.
//
// It tries the canonical URI built from the decoded path first and, if the
// path has characters Node's legacy url.parse() encodes, the legacy Node
// form second (§2.3 "Node edge case"). Both forms, like the SDK algorithm
// itself, leave some paths indistinguishable: "/x" and "/x/" always, and
// with the Node form a decoded "a b" and a decoded "a%20b" (wire "a%2520b").
// Routing must therefore not give such paths different meanings; Kafka
// names ([A-Za-z0-9._-]) never produce them.
//
// X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD is honoured as the SDKs require, so
// such a request's body is not authenticated; callers that only accept JSON
// may reject it. Any other value of that header must equal the body's hash.
//
// Verify does not check clock skew (use SignedDate) and, for V11, does not
// check the region and service of auth.CredentialScope (use CheckScope); it
// does check that the scope's date is the date of X-Sdk-Date.
func Verify(r *http.Request, body []byte, auth Authorization, sk string) error {
	switch auth.Algorithm {
	case AlgHMACSHA256, AlgV11HMACSHA256:
	default:
		return fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, auth.Algorithm)
	}
	if len(auth.Signature) != 2*sha256.Size || !isLowerHex(auth.Signature) {
		return fmt.Errorf("%w: Signature must be %d lower-case hex digits", ErrMalformedAuthorization, 2*sha256.Size)
	}
	for _, name := range auth.SignedHeaders {
		if !isLowerToken(name) {
			return fmt.Errorf("%w: bad signed header name %q", ErrMalformedAuthorization, name)
		}
	}
	if !slices.Contains(auth.SignedHeaders, "x-sdk-date") {
		return fmt.Errorf("%w: x-sdk-date is not a signed header", ErrMalformedAuthorization)
	}
	if sk == "" {
		return fmt.Errorf("%w: empty secret key", ErrBadSignature)
	}
	hl := newHeaderLookup(r.Header)
	date, _, err := signedDate(hl)
	if err != nil {
		return err
	}
	key, err := signingKey(auth, sk, date)
	if err != nil {
		return err
	}
	parts, err := newCanonicalParts(r, hl, auth.SignedHeaders, body)
	if err != nil {
		return err
	}
	if parts.payloadFromHeader && parts.payloadHash != UnsignedPayload && parts.payloadHash != sha256Hex(body) {
		return fmt.Errorf("%w: %s does not match the body", ErrBadSignature, ContentSHA256Header)
	}
	var want [sha256.Size]byte
	decodeLowerHex(want[:], auth.Signature) // checked above
	path := r.URL.Path
	if got := signatureSum(key, auth, date, parts.sum(path)); hmac.Equal(got[:], want[:]) {
		return nil
	}
	if legacy, changed := legacyNodePath(path); changed {
		if got := signatureSum(key, auth, date, parts.sum(legacy)); hmac.Equal(got[:], want[:]) {
			return nil
		}
	}
	return ErrBadSignature
}

// signatureSum is the HMAC-SHA256 with key of the string to sign of a
// canonical request with hash crHash: stringToSign and mac without their
// strings and allocations.
func signatureSum(key []byte, auth Authorization, date string, crHash [sha256.Size]byte) [sha256.Size]byte {
	var buf [maxStringToSign]byte
	sts := append(buf[:0], auth.Algorithm...)
	sts = append(sts, '\n')
	sts = append(sts, date...)
	sts = append(sts, '\n')
	if auth.Algorithm == AlgV11HMACSHA256 {
		sts = append(sts, auth.CredentialScope...)
		sts = append(sts, '\n')
	}
	sts = hex.AppendEncode(sts, crHash[:])
	return hmacSHA256(key, sts)
}

// maxStringToSign fits any string to sign of the algorithms Verify accepts
// with a credential scope of up to about 100 bytes; a longer one is still
// signed right (append grows the buffer onto the heap).
const maxStringToSign = 256

// hmacSHA256 is HMAC-SHA256 of msg with key, into an array (crypto/hmac: an
// HMAC written out over stack buffers saved about a microsecond per request,
// not worth hand-written crypto).
func hmacSHA256(key, msg []byte) [sha256.Size]byte {
	var out [sha256.Size]byte
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	m.Sum(out[:0])
	return out
}

// decodeLowerHex decodes s, lower-case hex of len(dst) bytes, into dst.
func decodeLowerHex(dst []byte, s string) {
	val := func(c byte) byte {
		if c >= 'a' {
			return c - 'a' + 10
		}
		return c - '0'
	}
	for i := range dst {
		dst[i] = val(s[2*i])<<4 | val(s[2*i+1])
	}
}

// SignedDate returns the time in X-Sdk-Date, parsed strictly: exactly one
// value, exactly DateLayout. Callers use it to reject stale requests (Huawei's
// gateway allows about 15 minutes of skew).
func SignedDate(r *http.Request) (time.Time, error) {
	_, t, err := signedDate(newHeaderLookup(r.Header))
	return t, err
}

func signedDate(hl headerLookup) (string, time.Time, error) {
	values := hl.values(DateHeader)
	switch len(values) {
	case 0:
		return "", time.Time{}, ErrMissingDate
	case 1:
	default:
		return "", time.Time{}, fmt.Errorf("%w: %d values", ErrMalformedDate, len(values))
	}
	v := values[0]
	t, ok := parseDate(v)
	if !ok {
		return "", time.Time{}, fmt.Errorf("%w: %q", ErrMalformedDate, v)
	}
	return v, t, nil
}

// parseDate parses v in DateLayout exactly: what time.Parse accepts and
// formats back to v (it tolerates e.g. a signed year, which the round trip
// refuses), so the string in StringToSign is the one the client formatted.
// Written out because every signed request parses its date twice.
func parseDate(v string) (time.Time, bool) {
	if len(v) != len(DateLayout) || v[8] != 'T' || v[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(v[0:4]), num(v[4:6]), num(v[6:8])
	hour, minute, sec := num(v[9:11]), num(v[11:13]), num(v[13:15])
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // past the end of its month (time.Date normalises)
		return time.Time{}, false
	}
	return t, true
}

// signature computes the lower-case hex signature of r for auth (whose
// Signature is ignored). It is the signing half shared by Sign and tests
// of V11, which Sign does not produce.
func signature(r *http.Request, body []byte, auth Authorization, sk, date string) (string, error) {
	key, err := signingKey(auth, sk, date)
	if err != nil {
		return "", err
	}
	cr, err := CanonicalRequest(r, auth.SignedHeaders, body)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(mac(key, stringToSign(auth, date, cr))), nil
}

// signingKey returns the HMAC key: the SK itself for SDK-HMAC-SHA256, and
// for V11 the lower-case hex string (not the raw bytes) of
// HKDF-SHA256(IKM=SK, salt=AK, info=scope, L=32), as in §2.5.
func signingKey(auth Authorization, sk, date string) ([]byte, error) {
	if !validAccessKey(auth.AccessKey) {
		return nil, fmt.Errorf("%w: bad access key", ErrMalformedAuthorization)
	}
	if sk == "" {
		return nil, errors.New("aksk: empty secret key")
	}
	if auth.Algorithm != AlgV11HMACSHA256 {
		if auth.CredentialScope != "" {
			return nil, fmt.Errorf("%w: credential scope with %s", ErrMalformedAuthorization, auth.Algorithm)
		}
		return []byte(sk), nil
	}
	if !validCredentialScope(auth.CredentialScope) {
		return nil, fmt.Errorf("%w: credential scope %q is not yyyymmdd/region/service", ErrMalformedAuthorization, auth.CredentialScope)
	}
	// A derived key is only meant to be good for its day; without this
	// check one leaked derived key would sign requests of any date.
	if auth.CredentialScope[:8] != date[:8] {
		return nil, fmt.Errorf("%w: credential scope date %s is not the date of %s %s",
			ErrBadSignature, auth.CredentialScope[:8], DateHeader, date)
	}
	k, err := hkdf.Key(sha256.New, []byte(sk), []byte(auth.AccessKey), auth.CredentialScope, sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("%w: deriving V11 key: %v", ErrBadSignature, err) // fail closed
	}
	return []byte(hex.EncodeToString(k)), nil
}

// stringToSign is §2.3 step 4 (and §2.5 for V11, which adds the scope line).
func stringToSign(auth Authorization, date, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	head := auth.Algorithm + "\n" + date + "\n"
	if auth.Algorithm == AlgV11HMACSHA256 {
		head += auth.CredentialScope + "\n"
	}
	return head + hex.EncodeToString(sum[:])
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
