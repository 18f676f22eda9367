package aksk

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"testing"
	"time"
)

// referenceParseDate is what signedDate did before parseDate: time.Parse and the round trip.
func referenceParseDate(v string) (time.Time, bool) {
	t, err := time.Parse(DateLayout, v)
	if err != nil || t.Format(DateLayout) != v {
		return time.Time{}, false
	}
	return t, true
}

// parseDate accepts exactly what time.Parse and the round trip accept, with the same time.
func TestParseDateMatchesTimeParse(t *testing.T) {
	inputs := []string{
		"20240416T101500Z", "00000101T000000Z", "99991231T235959Z", "20240229T120000Z", "20230229T120000Z",
		"20240431T000000Z", "20241301T000000Z", "20240001T000000Z", "20240100T000000Z", "20240101T240000Z",
		"20240101T006000Z", "20240101T000060Z", "+0240101T000000Z", "-0240101T000000Z", "2024011T000000ZZ",
		"20240101 000000Z", "20240101T000000z", "20240101T000000", "20240101T0000000Z", "", "2024-01-01T00:00:00Z",
		"20240101T 00000Z", "2024010aT000000Z", "20240101T1:0000Z", "20240101T+10000Z",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const chars = "0123456789TZ+- "
	for range 20000 {
		b := []byte("20240416T101500Z")
		for range 1 + rng.IntN(3) {
			b[rng.IntN(len(b))] = chars[rng.IntN(len(chars))]
		}
		inputs = append(inputs, string(b))
	}
	for d := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2025; d = d.Add(7 * time.Hour) {
		inputs = append(inputs, d.Format(DateLayout))
	}
	for _, v := range inputs {
		got, ok := parseDate(v)
		want, wantOK := referenceParseDate(v)
		if ok != wantOK || !got.Equal(want) || (ok && got.Location() != want.Location()) {
			t.Errorf("parseDate(%q) = %v, %v; time.Parse says %v, %v", v, got, ok, want, wantOK)
		}
	}
}

// headerLookup.values agrees with headerValues on server-like maps (canonical keys) and on client
// maps with keys in other spellings.
func TestHeaderLookup(t *testing.T) {
	maps := []http.Header{
		{"X-Sdk-Date": {"d"}, "X-Project-Id": {"p"}, "Content-Type": {"application/json"}, "User-Agent": {"ua"}},
		{"x-sdk-date": {"d1"}, "X-Sdk-Date": {"d2"}, "X-PROJECT-ID": {"p"}},
		{"X-Multi": {"b", "a"}, "x-multi": {"c"}, "Bad Key": {"v"}, "X_under": {"u"}},
		{"Bad Key": {"v"}, "X-Sdk-Date": {"d"}},
	}
	names := []string{"x-sdk-date", "x-project-id", "content-type", "user-agent", "x-multi", "x_under", "bad key", "missing", "X-Sdk-Date"}
	for _, h := range maps {
		hl := newHeaderLookup(h)
		for _, name := range names {
			got, want := hl.values(name), headerValues(h, name)
			if len(got) != len(want) {
				t.Errorf("%v: values(%q) = %q, headerValues says %q", h, name, got, want)
				continue
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%v: values(%q) = %q, headerValues says %q", h, name, got, want)
				}
			}
		}
	}
	for _, k := range []string{"X-Sdk-Date", "Content-Type", "X_under", "X-Ab-1", "Bad Key"} {
		if !isCanonicalKey(k) {
			t.Errorf("isCanonicalKey(%q) = false", k)
		}
	}
	for _, k := range []string{"x-sdk-date", "X-SDK-Date", "content-Type"} {
		if isCanonicalKey(k) {
			t.Errorf("isCanonicalKey(%q) = true", k)
		}
	}
	for _, name := range names[:6] {
		key, ok := appendCanonicalKey(nil, name)
		if !ok || string(key) != textproto.CanonicalMIMEHeaderKey(name) {
			t.Errorf("appendCanonicalKey(%q) = %q, %v", name, key, ok)
		}
	}
}

// signatureMatchesStrings checks that the signature Sign put in r (computed in buffers) is the one
// the string path computes: CanonicalRequest, stringToSign and mac.
func signatureMatchesStrings(t *testing.T, r *http.Request, body []byte, sk string) {
	t.Helper()
	auth, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	date := r.Header.Get(DateHeader)
	key, err := signingKey(auth, sk, date)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := CanonicalRequest(r, auth.SignedHeaders, body)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(mac(key, stringToSign(auth, date, cr))); want != auth.Signature {
		t.Fatalf("Sign's signature %s, the string path's %s (canonical request %q)", auth.Signature, want, cr)
	}
	if sha256.Sum256([]byte(cr)) != mustParts(t, r, auth, body).sum(r.URL.Path) {
		t.Fatalf("canonicalParts.sum differs from the hash of CanonicalRequest %q", cr)
	}
}

func mustParts(t *testing.T, r *http.Request, auth Authorization, body []byte) canonicalParts {
	p, err := newCanonicalParts(r, newHeaderLookup(r.Header), auth.SignedHeaders, body)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// BenchmarkSign signs a GET as the request-path benchmark's client does (the SDK's headers).
func BenchmarkSign(b *testing.B) {
	b.ReportAllocs()
	now := time.Now()
	for b.Loop() {
		r, _ := http.NewRequest("GET", "http://127.0.0.1:8080/v2/available-zones", nil)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Project-Id", testPID)
		r.Header.Set("User-Agent", goUA)
		if err := Sign(r, nil, testAK, testSK, now); err != nil {
			b.Fatal(err)
		}
	}
}
