package aksk

import (
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.authorization)
	}
	f.Add("")
	f.Add("SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=ab, Signature=ab")
	f.Add("V11-HMAC-SHA256 Credential=AK/20240416/r/s/t, SignedHeaders=x-sdk-date, Signature=00")
	f.Add("SDK-HMAC-SM3 Access=AK,SignedHeaders=a;b,Signature=00ff")

	// A request for Verify to chew on. No seed's signature matches it (the
	// body is not Example A's), so Verify must never succeed.
	v := vectors[0]
	r, body := wireRequest(f, v.method, v.target, v.host, v.headers, v.body+" ")

	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			if !errors.Is(err, ErrMalformedAuthorization) {
				t.Fatalf("error %v does not wrap ErrMalformedAuthorization", err)
			}
			return
		}
		if !isAlgorithmName(a.Algorithm) || !validAccessKey(a.AccessKey) || !isLowerHex(a.Signature) || len(a.SignedHeaders) == 0 {
			t.Fatalf("accepted a bad header: %+v", a)
		}
		for _, name := range a.SignedHeaders {
			if !isLowerToken(name) {
				t.Fatalf("accepted signed header name %q", name)
			}
		}
		if (a.Algorithm == AlgV11HMACSHA256) != (a.CredentialScope != "") {
			t.Fatalf("credential scope %q with %s", a.CredentialScope, a.Algorithm)
		}
		// Formatting and re-parsing is the identity.
		again, err := ParseAuthorization(a.String())
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Fatalf("re-parse of %q = %+v, %v; want %+v", a.String(), again, err, a)
		}
		// Verify never panics and never accepts a header it cannot have seen.
		if err := Verify(r, body, a, testSK); err == nil {
			t.Fatalf("Verify accepted fuzzed header %q", h)
		}
	})
}

// wireUnsafeHeaders are names whose values net/http writes or drops itself
// (framing, hop-by-hop) or that Sign overwrites; a fuzzed header with one of
// these names tests net/http, not the signer.
var wireUnsafeHeaders = []string{
	"host", "user-agent", "content-length", "transfer-encoding", "trailer", "connection", "te", "upgrade",
	"keep-alive", "proxy-connection", "expect", "authorization", "x-sdk-date", "x-sdk-content-sha256",
}

// validHeaderValue is what net/http's transport accepts as a field value.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// checkEncoded checks that s only has bytes the canonical encoder emits
// (unreserved, %XX with upper-case hex, and the given separators) and
// returns its decoding.
func checkEncoded(t *testing.T, what, s, separators string) string {
	t.Helper()
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || strings.IndexByte("0123456789ABCDEF", s[i+1]) < 0 || strings.IndexByte("0123456789ABCDEF", s[i+2]) < 0 {
				t.Fatalf("%s %q: bad escape at %d", what, s, i)
			}
			i += 2
		case !shouldEscape(c), strings.IndexByte(separators, c) >= 0:
		default:
			t.Fatalf("%s %q: unescaped byte %q", what, s, c)
		}
	}
	dec, err := url.PathUnescape(s)
	if err != nil {
		t.Fatalf("%s %q does not decode: %v", what, s, err)
	}
	return dec
}

func FuzzCanonicalRequest(f *testing.F) {
	for _, v := range vectors {
		path, query, _ := strings.Cut(v.target, "?")
		decoded, _ := url.PathUnescape(path)
		for _, h := range v.headers {
			name, value, _ := strings.Cut(h, ": ")
			f.Add(decoded, query, name, value, []byte(v.body))
		}
	}
	f.Add("/t/my topic+ü/a%b?#\"'<>\\^`{|}", "flag&x=&b=2&a=3&a=1&q=a+b&r=c%2Bd", "x-multi", " a ", []byte(""))
	f.Add("", "=&&=x", "X_under", "v", []byte("\x00\xff"))
	f.Add("//a//b", "k%C3%BC=%E2%82%AC", "Content-Type", "text/plain", []byte("x"))
	f.Add("/a", "a=%zz;b", "Bad Name", "\r\n", []byte(nil))

	f.Fuzz(func(t *testing.T, path, rawQuery, headerName, headerValue string, body []byte) {
		// Pure functions: encoding invariants.
		uri := canonicalURI(path)
		if !strings.HasSuffix(uri, "/") {
			t.Fatalf("canonicalURI(%q) = %q does not end with '/'", path, uri)
		}
		if dec := checkEncoded(t, "canonical URI", uri, "/"); dec != path && dec != path+"/" {
			t.Fatalf("canonicalURI(%q) = %q decodes to %q", path, uri, dec)
		}
		legacy, changed := legacyNodePath(path)
		if changed != (legacy != path) {
			t.Fatalf("legacyNodePath(%q) = %q, %v", path, legacy, changed)
		}
		if !strings.HasSuffix(canonicalURI(legacy), "/") {
			t.Fatalf("legacy canonical URI of %q does not end with '/'", path)
		}
		query, qerr := canonicalQuery(rawQuery)
		if qerr != nil {
			if !errors.Is(qerr, ErrMalformedRequest) {
				t.Fatalf("canonicalQuery error %v", qerr)
			}
		} else if query != "" {
			var prevKey string
			for i, pair := range strings.Split(query, "&") {
				k, v, ok := strings.Cut(pair, "=")
				if !ok {
					t.Fatalf("canonicalQuery(%q) = %q: pair %q without '='", rawQuery, query, pair)
				}
				key := checkEncoded(t, "query key", k, "")
				checkEncoded(t, "query value", v, "")
				if i > 0 && key < prevKey {
					t.Fatalf("canonicalQuery(%q) = %q: keys not sorted", rawQuery, query)
				}
				prevKey = key
			}
		}

		// Sign then Verify, on the client object and after the wire.
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u := &url.URL{Scheme: "http", Host: "127.0.0.1:18080", Path: path, RawQuery: rawQuery}
		r := newClientRequest(t, "POST", u, http.Header{"User-Agent": {goUA}, "X-Project-Id": {testPID}}, body)
		lname := strings.ToLower(headerName)
		// Only names net/http's transport would send (it refuses the rest).
		addHeader := isLowerToken(lowerASCII(headerName)) && validHeaderValue(headerValue) &&
			!slices.Contains(wireUnsafeHeaders, lname)
		if addHeader {
			r.Header[headerName] = []string{headerValue} // raw key: exercises case folding
		}
		err := Sign(r, body, testAK, testSK, testNow)
		if qerr != nil {
			if !errors.Is(err, ErrMalformedRequest) {
				t.Fatalf("Sign with unparsable query %q: %v", rawQuery, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if err := verifyAsServer(r, body, testSK); err != nil {
			t.Fatalf("Verify(client request %q ? %q): %v", path, rawQuery, err)
		}
		signatureMatchesStrings(t, r, body, testSK)

		sr, sbody, err := transmit(t, r)
		if err != nil {
			return // not a request net/http can put on the wire
		}
		if sr.URL.Path != path || sr.URL.RawQuery != rawQuery {
			return // the wire changed the URL (e.g. '#' or space in the query)
		}
		if addHeader && !strings.Contains(headerName, "_") && !strings.HasPrefix(lname, "content-type") {
			got := sr.Header.Values(textproto.CanonicalMIMEHeaderKey(headerName))
			if len(got) != 1 || strings.TrimSpace(got[0]) != strings.TrimSpace(headerValue) {
				return // the wire changed the header
			}
		}
		if err := verifyAsServer(sr, sbody, testSK); err != nil {
			t.Fatalf("Verify(server request %q ? %q): %v", path, rawQuery, err)
		}
		if len(sbody) > 0 && sr.Header.Get(ContentSHA256Header) != UnsignedPayload {
			sbody[len(sbody)/2] ^= 1
			if err := verifyAsServer(sr, sbody, testSK); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify of a tampered body: %v", err)
			}
		}
	})
}
