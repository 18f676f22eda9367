// Package aksk implements Huawei Cloud AK/SK request signing the way the
// official Huawei Cloud SDKs do it (design doc sdk-compat.md §2), for both
// sides of the wire:
//
//   - Sign, for our own clients, produces exactly what the Go SDK produces
//     (SDK-HMAC-SHA256).
//   - ParseAuthorization + SignedDate + Verify, for the server, accept what
//     the Go and Node SDKs send: SDK-HMAC-SHA256 (including the Node SDK's
//     legacy path encoding) and V11-HMAC-SHA256 (derived keys).
//
// The server flow is: ParseAuthorization(r.Header.Get("Authorization")),
// look up the SK by Authorization.AccessKey, check SignedDate against the
// clock (this package does not) and, for V11, CheckScope, read the body
// once, then Verify.
package aksk

import (
	"errors"
	"fmt"
	"strings"
)

// Names fixed by the SDKs.
const (
	// AlgHMACSHA256 is the default algorithm of every Huawei SDK.
	AlgHMACSHA256 = "SDK-HMAC-SHA256"
	// AlgV11HMACSHA256 is the derived-key algorithm (§2.5); a client only
	// uses it when derived auth is switched on explicitly.
	AlgV11HMACSHA256 = "V11-HMAC-SHA256"
	// DateHeader carries the signing time; it is always a signed header.
	DateHeader = "X-Sdk-Date"
	// DateLayout is the format of DateHeader (always UTC).
	DateLayout = "20060102T150405Z"
	// ContentSHA256Header, when present, replaces the body hash in the
	// canonical request (the SDKs send "UNSIGNED-PAYLOAD" in it).
	ContentSHA256Header = "X-Sdk-Content-Sha256"
	// UnsignedPayload is the only ContentSHA256Header value the SDKs send.
	// A request carrying it has a body that the signature does not cover.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
)

// Sentinel errors, so that callers can map failures to responses with
// errors.Is. Every error from ParseAuthorization, SignedDate,
// CanonicalRequest and Verify wraps exactly one of them.
var (
	// ErrMalformedAuthorization: the Authorization header (or an
	// Authorization value handed to Verify) cannot be understood.
	ErrMalformedAuthorization = errors.New("aksk: malformed Authorization header")
	// ErrUnsupportedAlgorithm: a well-formed header naming an algorithm we do
	// not verify (SDK-HMAC-SM3, SDK-ECDSA-P256-SHA256, SDK-SM2-SM3, ...).
	ErrUnsupportedAlgorithm = errors.New("aksk: unsupported signing algorithm")
	// ErrMissingDate: no X-Sdk-Date header.
	ErrMissingDate = errors.New("aksk: missing X-Sdk-Date header")
	// ErrMalformedDate: X-Sdk-Date is present but not exactly one value in
	// DateLayout.
	ErrMalformedDate = errors.New("aksk: malformed X-Sdk-Date header")
	// ErrMissingSignedHeader: a header named in SignedHeaders is not in the
	// request.
	ErrMissingSignedHeader = errors.New("aksk: signed header missing from request")
	// ErrMalformedRequest: the request itself cannot be canonicalised (no
	// URL, unparsable query string, header name that is not a token).
	ErrMalformedRequest = errors.New("aksk: request cannot be canonicalised")
	// ErrBadSignature: everything was readable but the signature does not
	// match (wrong SK, tampered request, clock/scope mismatch for V11).
	ErrBadSignature = errors.New("aksk: signature does not match")
)

// Authorization is a parsed Authorization header.
type Authorization struct {
	Algorithm string // SDK-HMAC-SHA256 or V11-HMAC-SHA256 (others parse, but Verify rejects them)
	AccessKey string // Access= (or the AK part of Credential= for V11)
	// CredentialScope is "<yyyymmdd>/<region>/<service>" for V11, empty
	// otherwise. Verify checks the date against X-Sdk-Date; the caller must
	// check region and service, which only it knows.
	CredentialScope string
	SignedHeaders   []string // lower-case, in the order given
	Signature       string   // lower-case hex
}

// ParseAuthorization parses the value of an Authorization header:
//
//	SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h1;h2;...>, Signature=<hex>
//	V11-HMAC-SHA256 Credential=<AK>/<yyyymmdd>/<region>/<service>, SignedHeaders=..., Signature=...
//
// As in §2.3, the algorithm is split off at the first space, the rest is
// split on ',' and each part at its first '='. Parsing is strict: unknown or
// repeated fields, empty values, upper-case or empty header names and
// non-hex signatures are errors, because a header we half-understand is one
// we must not half-verify. Unknown algorithms with the common shape parse
// fine (so the server can log the AK); Verify rejects them.
func ParseAuthorization(h string) (Authorization, error) {
	var a Authorization
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !isAlgorithmName(alg) {
		return a, fmt.Errorf("%w: no algorithm", ErrMalformedAuthorization)
	}
	a.Algorithm = alg
	var credential, signedHeaders string
	var haveAccess, haveCredential, haveSigned, haveSignature bool
	for part := range strings.SplitSeq(rest, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, fmt.Errorf("%w: field %q is not key=value", ErrMalformedAuthorization, part)
		}
		var seen *bool
		switch key {
		case "Access":
			seen, a.AccessKey = &haveAccess, value
		case "Credential":
			seen, credential = &haveCredential, value
		case "SignedHeaders":
			seen, signedHeaders = &haveSigned, value
		case "Signature":
			seen, a.Signature = &haveSignature, value
		default:
			return a, fmt.Errorf("%w: unknown field %q", ErrMalformedAuthorization, key)
		}
		if *seen {
			return a, fmt.Errorf("%w: repeated field %q", ErrMalformedAuthorization, key)
		}
		*seen = true
	}

	// V11 names the key with Credential=, every other algorithm with Access=.
	if alg == AlgV11HMACSHA256 {
		if !haveCredential || haveAccess {
			return a, fmt.Errorf("%w: %s needs Credential= and no Access=", ErrMalformedAuthorization, alg)
		}
		ak, scope, _ := strings.Cut(credential, "/")
		a.AccessKey, a.CredentialScope = ak, scope
		if !validCredentialScope(scope) {
			return a, fmt.Errorf("%w: credential scope %q is not yyyymmdd/region/service", ErrMalformedAuthorization, scope)
		}
	} else if !haveAccess || haveCredential {
		return a, fmt.Errorf("%w: %s needs Access= and no Credential=", ErrMalformedAuthorization, alg)
	}
	if !validAccessKey(a.AccessKey) {
		return a, fmt.Errorf("%w: bad access key", ErrMalformedAuthorization)
	}
	if !haveSigned {
		return a, fmt.Errorf("%w: missing SignedHeaders", ErrMalformedAuthorization)
	}
	a.SignedHeaders = strings.Split(signedHeaders, ";")
	for _, name := range a.SignedHeaders {
		if !isLowerToken(name) {
			return a, fmt.Errorf("%w: bad signed header name %q", ErrMalformedAuthorization, name)
		}
	}
	if !haveSignature {
		return a, fmt.Errorf("%w: missing Signature", ErrMalformedAuthorization)
	}
	if !isLowerHex(a.Signature) {
		return a, fmt.Errorf("%w: Signature is not lower-case hex", ErrMalformedAuthorization)
	}
	return a, nil
}

// String formats a as an Authorization header value, byte for byte as the
// Go SDK does.
func (a Authorization) String() string {
	var b strings.Builder
	n := len(a.Algorithm) + len(a.AccessKey) + len(a.CredentialScope) + len(a.Signature) + 48
	for _, h := range a.SignedHeaders {
		n += len(h) + 1
	}
	b.Grow(n) // one allocation: every signed request formats one
	b.WriteString(a.Algorithm)
	if a.Algorithm == AlgV11HMACSHA256 {
		b.WriteString(" Credential=")
		b.WriteString(a.AccessKey)
		b.WriteByte('/')
		b.WriteString(a.CredentialScope)
	} else {
		b.WriteString(" Access=")
		b.WriteString(a.AccessKey)
	}
	b.WriteString(", SignedHeaders=")
	for i, h := range a.SignedHeaders {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(h)
	}
	b.WriteString(", Signature=")
	b.WriteString(a.Signature)
	return b.String()
}

// isAlgorithmName accepts the shape of every SDK algorithm name
// (upper-case letters, digits, '-').
func isAlgorithmName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validAccessKey rejects what would make the header ambiguous when
// formatted or logged: empty keys, separators, spaces and control bytes.
func validAccessKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c == ',' || c == '/' || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

// validCredentialScope checks "<8 digits>/<region>/<service>" with
// non-empty parts that are safe to put back into a header.
func validCredentialScope(s string) bool {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || len(parts[0]) != 8 {
		return false
	}
	for i := 0; i < 8; i++ {
		if parts[0][i] < '0' || parts[0][i] > '9' {
			return false
		}
	}
	return validAccessKey(parts[1]) && validAccessKey(parts[2])
}

// isLowerToken reports whether s is a non-empty HTTP token (RFC 9110) with
// no upper-case letters: the form the SDKs put in SignedHeaders.
func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// isLowerHex reports whether s is non-empty lower-case hex of whole bytes.
func isLowerHex(s string) bool {
	if s == "" || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// V11Service is the service name DMS clients put in a V11 credential scope
// (the Go SDK takes it from WithDerivedAuthServiceName; DMS's endpoints are
// dms.<region>.myhuaweicloud.com and sdk-compat.md §2.5's vector uses it).
const V11Service = "dms"

// CheckScope checks the region and service of a V11 credential scope
// against the server's own; Verify checks only its date. A derived key is
// meant to be good for one region and service: without this check a key
// derived for another region (or another Huawei service, possibly handed
// to a less trusted party) would sign requests here. SDK-HMAC-SHA256
// requests have no scope and pass. The error wraps ErrBadSignature.
func CheckScope(a Authorization, region, service string) error {
	if a.Algorithm != AlgV11HMACSHA256 {
		return nil
	}
	parts := strings.Split(a.CredentialScope, "/")
	if len(parts) != 3 {
		return fmt.Errorf("%w: credential scope %q is not yyyymmdd/region/service", ErrBadSignature, a.CredentialScope)
	}
	if parts[1] != region {
		return fmt.Errorf("%w: credential scope region %q is not this server's region %q", ErrBadSignature, parts[1], region)
	}
	if parts[2] != service {
		return fmt.Errorf("%w: credential scope service %q is not %q", ErrBadSignature, parts[2], service)
	}
	return nil
}
