package aksk

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// transmit sends a client request through the HTTP/1.1 wire format and
// returns it as a Go server receives it, with its body bytes.
func transmit(t testing.TB, r *http.Request) (*http.Request, []byte, error) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		return nil, nil, err
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(sr.Body)
	return sr, body, err
}

// newClientRequest builds an outgoing request with a body the way our
// client does it.
func newClientRequest(t testing.TB, method string, u *url.URL, headers http.Header, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, "http://placeholder/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.URL = u
	r.Host = ""
	for k, v := range headers {
		r.Header[k] = slices.Clone(v)
	}
	return r
}

// verifyAsServer is the server's auth flow.
func verifyAsServer(r *http.Request, body []byte, sk string) error {
	auth, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	return Verify(r, body, auth, sk)
}

func TestSignVerifyRoundTrip(t *testing.T) {
	goLike := http.Header{
		"User-Agent":   {goUA},
		"Content-Type": {"application/json"},
		"X-Project-Id": {testPID},
	}
	tests := []struct {
		name       string
		method     string
		path       string // decoded
		rawQuery   string
		headers    http.Header
		body       string
		wantSigned string // expected SignedHeaders; empty means goSigned
	}{
		{name: "repeated keys", method: "GET", path: "/v2/p/instances", rawQuery: "b=2&a=3&a=1&a=2&b=1"},
		{name: "empty value keys", method: "GET", path: "/v2/p/instances", rawQuery: "flag&x=&y=1&=v"},
		{name: "plus and encoded plus", method: "GET", path: "/v2/p/topics", rawQuery: "q=a+b&r=c%2Bd&s=%20%26%3D"},
		{name: "unicode path segments", method: "GET", path: "/v2/p/topics/тема/日本語/messages"},
		{name: "special path", method: "GET", path: "/v2/p/topics/my topic+ü/a%b?#\"'<>\\^`{|}"},
		{name: "trailing slash", method: "GET", path: "/v2/p/instances/"},
		{name: "root", method: "GET", path: "/"},
		{name: "double slash", method: "GET", path: "//v2//p/"},
		{name: "empty body POST", method: "POST", path: "/v2/p/instances"},
		{name: "JSON body", method: "POST", path: "/v2/p/instances/i/topics",
			body: "{\"id\":\"topic-a\",\"replication\":3,\"partition\":3}\n"},
		{name: "JSON body PUT with query", method: "PUT", path: "/v2/p/instances/i", rawQuery: "action=restart",
			body: `{"name":"ü"}`},
		{name: "DELETE", method: "DELETE", path: "/v2/p/instances/i"},
		{name: "multi-valued and underscore headers", method: "GET", path: "/v2/p/x",
			headers:    http.Header{"X-Multi": {"b", " a "}, "X_under": {"not signed"}, "Content-Type-Extra": {"x"}},
			wantSigned: "user-agent;x-multi;x-project-id;x-sdk-date"},
		{name: "security token", method: "GET", path: "/v2/p/x",
			headers:    http.Header{"X-Security-Token": {"tok"}},
			wantSigned: "user-agent;x-project-id;x-sdk-date;x-security-token"},
		{name: "non-canonical header key", method: "GET", path: "/v2/p/x",
			headers:    http.Header{"x-lower": {"v"}},
			wantSigned: "user-agent;x-lower;x-project-id;x-sdk-date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := goLike.Clone()
			for k, v := range tt.headers {
				h[k] = v
			}
			u := &url.URL{Scheme: "http", Host: "127.0.0.1:18080", Path: tt.path, RawQuery: tt.rawQuery}
			r := newClientRequest(t, tt.method, u, h, []byte(tt.body))
			if err := Sign(r, []byte(tt.body), testAK, testSK, testNow); err != nil {
				t.Fatalf("Sign: %v", err)
			}
			auth, err := ParseAuthorization(r.Header.Get("Authorization"))
			if err != nil {
				t.Fatalf("ParseAuthorization(%q): %v", r.Header.Get("Authorization"), err)
			}
			want := tt.wantSigned
			if want == "" {
				want = goSigned
			}
			if got := strings.Join(auth.SignedHeaders, ";"); got != want {
				t.Errorf("SignedHeaders = %q, want %q", got, want)
			}
			// Verifiable on the client side object as well as after the wire.
			if err := Verify(r, []byte(tt.body), auth, testSK); err != nil {
				t.Errorf("Verify(client request): %v", err)
			}
			sr, body, err := transmit(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if sr.URL.Path != tt.path || sr.URL.RawQuery != tt.rawQuery {
				t.Fatalf("wire changed the URL: %q %q", sr.URL.Path, sr.URL.RawQuery)
			}
			if err := verifyAsServer(sr, body, testSK); err != nil {
				t.Errorf("Verify(server request): %v", err)
			}
			if err := verifyAsServer(sr, body, "other"+testSK); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify with wrong SK: %v, want ErrBadSignature", err)
			}
		})
	}
}

// TestSignUnsignedPayload: like the Go SDK, a non-JSON Content-Type makes
// the body unsigned, and the verifier honours that.
func TestSignUnsignedPayload(t *testing.T) {
	u := &url.URL{Scheme: "http", Host: "h:1", Path: "/upload"}
	r := newClientRequest(t, "POST", u, http.Header{"Content-Type": {"application/octet-stream"}}, []byte("abc"))
	if err := Sign(r, []byte("abc"), testAK, testSK, testNow); err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get(ContentSHA256Header); got != UnsignedPayload {
		t.Fatalf("%s = %q", ContentSHA256Header, got)
	}
	auth, _ := ParseAuthorization(r.Header.Get("Authorization"))
	if !slices.Contains(auth.SignedHeaders, "x-sdk-content-sha256") {
		t.Errorf("x-sdk-content-sha256 not signed: %v", auth.SignedHeaders)
	}
	if err := Verify(r, []byte("anything"), auth, testSK); err != nil {
		t.Errorf("Verify with UNSIGNED-PAYLOAD and another body: %v", err)
	}
}

// TestV11RoundTrip signs with the V11 half and verifies.
func TestV11RoundTrip(t *testing.T) {
	u := &url.URL{Scheme: "http", Host: "h", Path: "/v2/p/topics/a b", RawQuery: "x=1&x=0"}
	body := []byte(`{"a":1}`)
	r := newClientRequest(t, "POST", u, http.Header{"X-Project-Id": {testPID}, DateHeader: {testDate}}, body)
	auth := Authorization{Algorithm: AlgV11HMACSHA256, AccessKey: testAK, CredentialScope: "20240416/cn-north-4/dms",
		SignedHeaders: []string{"x-project-id", "x-sdk-date"}}
	var err error
	if auth.Signature, err = signature(r, body, auth, testSK, testDate); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", auth.String())
	sr, sbody, err := transmit(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyAsServer(sr, sbody, testSK); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	sbody[0] ^= 1
	if err := verifyAsServer(sr, sbody, testSK); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify tampered: %v", err)
	}
}

// TestVerifyRejects starts from valid captured requests and breaks one thing
// at a time.
func TestVerifyRejects(t *testing.T) {
	type mutation func(r *http.Request, body *[]byte, auth *Authorization, sk *string)
	tests := []struct {
		name   string
		vector int // index into vectors
		mutate mutation
		want   error
	}{
		{"wrong SK", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { *sk = "wrong" }, ErrBadSignature},
		{"empty SK", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { *sk = "" }, ErrBadSignature},
		{"SK with a trailing space", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { *sk += " " }, ErrBadSignature},
		{"tampered body byte", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { (*b)[10] ^= 0x20 }, ErrBadSignature},
		{"body newline dropped", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { *b = (*b)[:len(*b)-1] }, ErrBadSignature},
		{"body dropped", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { *b = nil }, ErrBadSignature},
		{"tampered query value", 1, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.URL.RawQuery = "limit=11&offset=0" }, ErrBadSignature},
		{"added query param", 1, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.URL.RawQuery += "&x=1" }, ErrBadSignature},
		{"repeated query key", 1, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.URL.RawQuery += "&limit=10" }, ErrBadSignature},
		{"dropped query", 1, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.URL.RawQuery = "" }, ErrBadSignature},
		{"unparsable query", 1, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.URL.RawQuery = "limit=%zz" }, ErrMalformedRequest},
		{"tampered path", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.URL.Path += "x" }, ErrBadSignature},
		{"tampered special path", 2, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			r.URL.Path = strings.Replace(r.URL.Path, "my topic", "my+topic", 1)
		}, ErrBadSignature},
		{"tampered Node special path", 3, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			r.URL.Path = strings.Replace(r.URL.Path, "my topic", "my  topic", 1)
		}, ErrBadSignature},
		{"tampered method", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.Method = "PUT" }, ErrBadSignature},
		{"lower-case method", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.Method = "post" }, ErrBadSignature},
		{"signed header changed", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.Header.Set("X-Project-Id", "other") }, ErrBadSignature},
		{"signed header gets a second value", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.Header.Add("X-Project-Id", "other") }, ErrBadSignature},
		{"user-agent changed", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.Header.Set("User-Agent", "proxy") }, ErrBadSignature},
		{"signed header missing", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.Header.Del("X-Project-Id") }, ErrMissingSignedHeader},
		{"Node host changed", 4, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.Host = "127.0.0.1:18082" }, ErrBadSignature},
		{"Node host missing", 4, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.Host = "" }, ErrMissingSignedHeader},
		{"Node content-type changed", 4, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			r.Header.Set("Content-Type", "text/json")
		}, ErrBadSignature},
		{"missing X-Sdk-Date", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.Header.Del(DateHeader) }, ErrMissingDate},
		{"malformed X-Sdk-Date", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			r.Header.Set(DateHeader, "2024-04-16T09:53:41Z")
		}, ErrMalformedDate},
		{"other X-Sdk-Date", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			r.Header.Set(DateHeader, "20240416T095342Z")
		}, ErrBadSignature},
		{"two X-Sdk-Date", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { r.Header.Add(DateHeader, testDate) }, ErrMalformedDate},
		{"x-sdk-date not signed", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			a.SignedHeaders = []string{"user-agent", "x-project-id"}
		}, ErrMalformedAuthorization},
		{"signed header list changed", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			a.SignedHeaders = []string{"x-project-id", "x-sdk-date"}
		}, ErrBadSignature},
		{"upper-case signed header", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			a.SignedHeaders[0] = "User-Agent"
		}, ErrMalformedAuthorization},
		{"unknown algorithm", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { a.Algorithm = "AWS4-HMAC-SHA256" }, ErrUnsupportedAlgorithm},
		{"SM3", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { a.Algorithm = "SDK-HMAC-SM3" }, ErrUnsupportedAlgorithm},
		{"ECDSA", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { a.Algorithm = "SDK-ECDSA-P256-SHA256" }, ErrUnsupportedAlgorithm},
		{"algorithm switched to V11", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			a.Algorithm, a.CredentialScope = AlgV11HMACSHA256, "20240416/cn-north-4/dms"
		}, ErrBadSignature},
		{"signature one digit changed", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { a.Signature = "e" + a.Signature[1:] }, ErrBadSignature},
		{"signature too short", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { a.Signature = a.Signature[:62] }, ErrMalformedAuthorization},
		{"signature too long", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { a.Signature += "00" }, ErrMalformedAuthorization},
		{"signature upper-case", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			a.Signature = strings.ToUpper(a.Signature)
		}, ErrMalformedAuthorization},
		{"signature empty", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { a.Signature = "" }, ErrMalformedAuthorization},
		{"UNSIGNED-PAYLOAD added", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			r.Header.Set(ContentSHA256Header, UnsignedPayload)
		}, ErrBadSignature},
		{"content hash header not the body's", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			r.Header.Set(ContentSHA256Header, emptySHA256)
		}, ErrBadSignature},
		{"V11 wrong SK", 8, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { *sk = "wrong" }, ErrBadSignature},
		{"V11 other AK", 8, func(r *http.Request, b *[]byte, a *Authorization, sk *string) { a.AccessKey = "HPUAEXAMPLEAK0000002" }, ErrBadSignature},
		{"V11 other region", 8, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			a.CredentialScope = "20240416/cn-north-1/dms"
		}, ErrBadSignature},
		{"V11 scope date is not X-Sdk-Date's", 8, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			a.CredentialScope = "20240417/cn-north-4/dms"
		}, ErrBadSignature},
		{"V11 bad scope", 8, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			a.CredentialScope = "20240416/cn-north-4"
		}, ErrMalformedAuthorization},
		{"V11 downgraded to SDK-HMAC-SHA256", 8, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			a.Algorithm, a.CredentialScope = AlgHMACSHA256, ""
		}, ErrBadSignature},
		{"scope on SDK-HMAC-SHA256", 0, func(r *http.Request, b *[]byte, a *Authorization, sk *string) {
			a.CredentialScope = "20240416/cn-north-4/dms"
		}, ErrMalformedAuthorization},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vectors[tt.vector]
			headers := append(slices.Clone(v.headers), "Authorization: "+v.authorization)
			r, body := wireRequest(t, v.method, v.target, v.host, headers, v.body)
			auth, err := ParseAuthorization(r.Header.Get("Authorization"))
			if err != nil {
				t.Fatal(err)
			}
			sk := testSK
			if err := Verify(r, body, auth, sk); err != nil {
				t.Fatalf("unmodified request does not verify: %v", err)
			}
			tt.mutate(r, &body, &auth, &sk)
			err = Verify(r, body, auth, sk)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseAuthorization(t *testing.T) {
	const sig = "f809a0be1d2dd1dadc0bf279de4b455609366f213d5a113e657ae3f2f861eca6"
	good := []struct {
		in   string
		want Authorization
	}{
		{goAuth(sig), Authorization{Algorithm: AlgHMACSHA256, AccessKey: testAK,
			SignedHeaders: []string{"user-agent", "x-project-id", "x-sdk-date"}, Signature: sig}},
		{"  SDK-HMAC-SHA256   Signature=" + sig + ",SignedHeaders=x-sdk-date ,  Access=AK  ",
			Authorization{Algorithm: AlgHMACSHA256, AccessKey: "AK", SignedHeaders: []string{"x-sdk-date"}, Signature: sig}},
		{"V11-HMAC-SHA256 Credential=AK/20240416/cn-north-4/dms, SignedHeaders=x-project-id;x-sdk-date, Signature=" + sig,
			Authorization{Algorithm: AlgV11HMACSHA256, AccessKey: "AK", CredentialScope: "20240416/cn-north-4/dms",
				SignedHeaders: []string{"x-project-id", "x-sdk-date"}, Signature: sig}},
		// Well-formed but unsupported: parses, so the server can log the AK; Verify rejects.
		{"SDK-HMAC-SM3 Access=AK, SignedHeaders=x-sdk-date, Signature=" + sig,
			Authorization{Algorithm: "SDK-HMAC-SM3", AccessKey: "AK", SignedHeaders: []string{"x-sdk-date"}, Signature: sig}},
		{"SDK-ECDSA-P256-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=3045022100ab",
			Authorization{Algorithm: "SDK-ECDSA-P256-SHA256", AccessKey: "AK", SignedHeaders: []string{"x-sdk-date"}, Signature: "3045022100ab"}},
	}
	for _, tt := range good {
		got, err := ParseAuthorization(tt.in)
		if err != nil {
			t.Errorf("ParseAuthorization(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseAuthorization(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}

	bad := []string{
		"",
		"garbage",
		"SDK-HMAC-SHA256",
		"SDK-HMAC-SHA256 ",
		"Basic dXNlcjpwYXNz",
		"Bearer eyJhbGciOi.x.y",
		"sdk-hmac-sha256 Access=AK, SignedHeaders=x-sdk-date, Signature=" + sig,
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date",
		"SDK-HMAC-SHA256 Access=AK, Signature=" + sig,
		"SDK-HMAC-SHA256 SignedHeaders=x-sdk-date, Signature=" + sig,
		"SDK-HMAC-SHA256 Access=, SignedHeaders=x-sdk-date, Signature=" + sig,
		"SDK-HMAC-SHA256 Access=A K, SignedHeaders=x-sdk-date, Signature=" + sig,
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=",
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=" + strings.ToUpper(sig),
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=xyz",
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=abc",
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=" + sig + ", Signature=" + sig,
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=" + sig + ", Extra=1",
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=" + sig + ",",
		"SDK-HMAC-SHA256 Access=AK SignedHeaders=x-sdk-date Signature=" + sig,
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=, Signature=" + sig,
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;;x-sdk-date, Signature=" + sig,
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date;, Signature=" + sig,
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=X-Sdk-Date, Signature=" + sig,
		"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x sdk, Signature=" + sig,
		"SDK-HMAC-SHA256 Credential=AK/20240416/r/s, SignedHeaders=x-sdk-date, Signature=" + sig,
		"V11-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=" + sig,
		"V11-HMAC-SHA256 Credential=AK, SignedHeaders=x-sdk-date, Signature=" + sig,
		"V11-HMAC-SHA256 Credential=AK/2024041/r/s, SignedHeaders=x-sdk-date, Signature=" + sig,
		"V11-HMAC-SHA256 Credential=AK/2024041x/r/s, SignedHeaders=x-sdk-date, Signature=" + sig,
		"V11-HMAC-SHA256 Credential=AK/20240416/r, SignedHeaders=x-sdk-date, Signature=" + sig,
		"V11-HMAC-SHA256 Credential=AK/20240416/r/s/t, SignedHeaders=x-sdk-date, Signature=" + sig,
		"V11-HMAC-SHA256 Credential=AK/20240416//s, SignedHeaders=x-sdk-date, Signature=" + sig,
		"V11-HMAC-SHA256 Credential=/20240416/r/s, SignedHeaders=x-sdk-date, Signature=" + sig,
	}
	for _, in := range bad {
		_, err := ParseAuthorization(in)
		if !errors.Is(err, ErrMalformedAuthorization) {
			t.Errorf("ParseAuthorization(%q) = %v, want ErrMalformedAuthorization", in, err)
		}
	}
}

func TestSignedDate(t *testing.T) {
	tests := []struct {
		values []string
		want   error
	}{
		{[]string{testDate}, nil},
		{nil, ErrMissingDate},
		{[]string{""}, ErrMalformedDate},
		{[]string{testDate, testDate}, ErrMalformedDate},
		{[]string{"20240416T095341"}, ErrMalformedDate},
		{[]string{"20240416T095341z"}, ErrMalformedDate},
		{[]string{"2024-04-16T09:53:41Z"}, ErrMalformedDate},
		{[]string{"20240416T95341Z"}, ErrMalformedDate},
		{[]string{"20241316T095341Z"}, ErrMalformedDate},
		{[]string{"20240416T095341Z "}, ErrMalformedDate},
		{[]string{"Tue, 16 Apr 2024 09:53:41 GMT"}, ErrMalformedDate},
	}
	for _, tt := range tests {
		r := httpRequestWithHeader(DateHeader, tt.values)
		got, err := SignedDate(r)
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("SignedDate(%q) error = %v, want %v", tt.values, err, tt.want)
		}
		if err == nil && !got.Equal(testNow) {
			t.Errorf("SignedDate(%q) = %v, want %v", tt.values, got, testNow)
		}
		if err == nil && got.Location() != time.UTC {
			t.Errorf("SignedDate location = %v", got.Location())
		}
	}
}

func httpRequestWithHeader(name string, values []string) *http.Request {
	r, _ := http.NewRequest("GET", "http://h/", nil)
	if values != nil {
		r.Header[name] = values
	}
	return r
}

func TestSignErrors(t *testing.T) {
	newReq := func() *http.Request {
		r, _ := http.NewRequest("GET", "http://h/x", nil)
		return r
	}
	if err := Sign(newReq(), nil, "", testSK, testNow); err == nil {
		t.Error("Sign with empty AK succeeded")
	}
	if err := Sign(newReq(), nil, "A,K", testSK, testNow); err == nil {
		t.Error("Sign with AK containing ',' succeeded")
	}
	if err := Sign(newReq(), nil, testAK, "", testNow); err == nil {
		t.Error("Sign with empty SK succeeded")
	}
	if err := Sign(newReq(), nil, testAK, testSK, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("Sign with year 10000 succeeded")
	}
	r := newReq()
	r.URL.RawQuery = "a=%zz"
	if err := Sign(r, nil, testAK, testSK, testNow); !errors.Is(err, ErrMalformedRequest) {
		t.Errorf("Sign with bad query = %v", err)
	}
	r = newReq()
	r.Header["Bad Name"] = []string{"v"}
	if err := Sign(r, nil, testAK, testSK, testNow); !errors.Is(err, ErrMalformedRequest) {
		t.Errorf("Sign with bad header name = %v", err)
	}
	r = newReq()
	r.Header = nil
	if err := Sign(r, nil, testAK, testSK, testNow); err != nil {
		t.Errorf("Sign with nil Header: %v", err)
	}
	// Re-signing replaces the date and Authorization, under any spelling.
	r = newReq()
	r.Header["x-sdk-date"] = []string{"19990101T000000Z"}
	r.Header["authorization"] = []string{"old"}
	if err := Sign(r, nil, testAK, testSK, testNow); err != nil {
		t.Fatal(err)
	}
	if len(r.Header) != 2 || r.Header.Get(DateHeader) != testDate {
		t.Errorf("headers after re-signing: %v", r.Header)
	}
	if err := verifyAsServer(r, nil, testSK); err != nil {
		t.Errorf("Verify after re-signing: %v", err)
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", ""},
		{"limit=10&offset=0", "limit=10&offset=0"},
		{"offset=0&limit=10", "limit=10&offset=0"},
		{"a=2&b=1&a=1&a=10", "a=1&a=10&a=2&b=1"},
		{"flag&x=", "flag=&x="},
		{"q=a+b&r=a%20b&s=a%2Bb", "q=a%20b&r=a%20b&s=a%2Bb"},
		{"k%C3%BC=%E2%82%AC", "k%C3%BC=%E2%82%AC"},
		{"a=~-_.!*'()", "a=~-_.%21%2A%27%28%29"},
		{"B=1&a=1&_=1", "B=1&_=1&a=1"},
		{"&&a=1&&", "a=1"},
	}
	for _, tt := range tests {
		got, err := canonicalQuery(tt.raw)
		if err != nil || got != tt.want {
			t.Errorf("canonicalQuery(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
		}
	}
	for _, raw := range []string{"a=%zz", "a=1;b=2", "%"} {
		if _, err := canonicalQuery(raw); !errors.Is(err, ErrMalformedRequest) {
			t.Errorf("canonicalQuery(%q) error = %v", raw, err)
		}
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct{ path, want string }{
		{"", "/"},
		{"/", "/"},
		{"/v2/p/instances", "/v2/p/instances/"},
		{"/v2/p/instances/", "/v2/p/instances/"},
		{"/a b/c+d/ü/~-_.", "/a%20b/c%2Bd/%C3%BC/~-_./"},
		{"//x//", "//x//"},
		{"/%41", "/%2541/"},
	}
	for _, tt := range tests {
		if got := canonicalURI(tt.path); got != tt.want {
			t.Errorf("canonicalURI(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestCanonicalRequestLeavesBody: the verifier passes the body in; the
// request body must still be readable afterwards.
func TestCanonicalRequestLeavesBody(t *testing.T) {
	r, _ := http.NewRequest("POST", "http://h/x", strings.NewReader("payload"))
	r.Header.Set(DateHeader, testDate)
	if _, err := CanonicalRequest(r, []string{"x-sdk-date"}, []byte("payload")); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r.Body); string(b) != "payload" {
		t.Errorf("body after CanonicalRequest = %q", b)
	}
	if _, err := CanonicalRequest(&http.Request{Method: "GET"}, nil, nil); !errors.Is(err, ErrMalformedRequest) {
		t.Errorf("CanonicalRequest without URL: %v", err)
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, i := range []int{0, 3} { // Go POST; Node special path (needs the legacy fallback)
		v := vectors[i]
		b.Run(v.name, func(b *testing.B) {
			headers := append(slices.Clone(v.headers), "Authorization: "+v.authorization)
			r, body := wireRequest(b, v.method, v.target, v.host, headers, v.body)
			b.ReportAllocs()
			for b.Loop() {
				auth, err := ParseAuthorization(r.Header.Get("Authorization"))
				if err != nil {
					b.Fatal(err)
				}
				if err := Verify(r, body, auth, testSK); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
