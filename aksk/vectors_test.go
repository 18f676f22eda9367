package aksk

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Common inputs of sdk-compat.md §2.4.
const (
	testAK   = "HPUAEXAMPLEAK0000001"
	testSK   = "exampleSecretKey0123456789abcdefghijklmno"
	testPID  = "0123456789abcdef0123456789abcdef"
	testDate = "20240416T095341Z"

	goUA     = "huaweicloud-usdk-go/3.0; conformance"
	goHost   = "127.0.0.1:18080"
	nodeHost = "127.0.0.1:18081"

	goSigned   = "user-agent;x-project-id;x-sdk-date"
	nodeSigned = "content-type;host;x-project-id;x-sdk-date"

	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

var testNow = time.Date(2024, 4, 16, 9, 53, 41, 0, time.UTC)

// goHeaders are the headers the Go SDK sends (§2.2); only the first,
// third and fourth are signed.
var goHeaders = []string{
	"User-Agent: " + goUA,
	"Content-Type: application/json",
	"X-Project-Id: " + testPID,
	"X-Sdk-Date: " + testDate,
	"Accept-Encoding: gzip",
}

// nodeHeaders are the headers the Node SDK sends; User-Agent is added after
// signing and so is not signed.
var nodeHeaders = []string{
	"content-type: application/json",
	"X-Project-Id: " + testPID,
	"X-Sdk-Date: " + testDate,
	"User-Agent: huaweicloud-usdk-js/3.0",
}

// wireRequest parses an HTTP/1.1 request exactly as a Go server receives it
// (r.Host set, Host not in r.Header, body readable) and returns it with its
// body bytes. The request line is "method target HTTP/1.1".
func wireRequest(t testing.TB, method, target, host string, headers []string, body string) (*http.Request, []byte) {
	t.Helper()
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	if body != "" {
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	b.WriteString("\r\n" + body)
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		t.Fatalf("ReadRequest: %v", err)
	}
	got, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return r, got
}

func sha256HexString(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

type vector struct {
	name          string
	method        string
	target        string // wire request-target
	host          string
	headers       []string
	body          string
	authorization string
	// Optional expectations; empty means "not documented".
	canonical     string // the whole CanonicalRequest (decoded-path form)
	canonicalURI  string
	canonicalHash string // hex sha256 of the CanonicalRequest that was signed
	stringToSign  string
	legacyOnly    bool // only the legacy Node path form reproduces the signature
}

const topicsPath = "/v2/" + testPID + "/instances/inst-1/topics"

var messagesPath = "/v2/" + testPID + "/instances/inst-1/management/topics/my%20topic+%C3%BC/messages"

const messagesQuery = "end_time=1700000360000&partition=0&start_time=1700000000000"

func goAuth(sig string) string {
	return "SDK-HMAC-SHA256 Access=" + testAK + ", SignedHeaders=" + goSigned + ", Signature=" + sig
}

func nodeAuth(sig string) string {
	return "SDK-HMAC-SHA256 Access=" + testAK + ", SignedHeaders=" + nodeSigned + ", Signature=" + sig
}

// vectors are every example of §2.4 and §2.5, captured from the real SDKs.
var vectors = []vector{
	{
		name:          "A Go CreateInstanceTopic",
		method:        "POST",
		target:        topicsPath,
		host:          goHost,
		headers:       goHeaders,
		body:          "{\"id\":\"topic-a\",\"replication\":3,\"partition\":3}\n",
		authorization: goAuth("f809a0be1d2dd1dadc0bf279de4b455609366f213d5a113e657ae3f2f861eca6"),
		canonical: "POST\n" +
			"/v2/0123456789abcdef0123456789abcdef/instances/inst-1/topics/\n" +
			"\n" +
			"user-agent:huaweicloud-usdk-go/3.0; conformance\n" +
			"x-project-id:0123456789abcdef0123456789abcdef\n" +
			"x-sdk-date:20240416T095341Z\n" +
			"\n" +
			"user-agent;x-project-id;x-sdk-date\n" +
			"cbdeded617f7fc6916ae1fa36fe969186901c262d3103398bbfe0f5308ba11d9",
		stringToSign: "SDK-HMAC-SHA256\n" +
			"20240416T095341Z\n" +
			"92375373b31d91104bc2e33549c4a60433910fb959b372fd27e59378511628a5",
	},
	{
		name:          "B Go ListInstanceTopics",
		method:        "GET",
		target:        topicsPath + "?limit=10&offset=0",
		host:          goHost,
		headers:       goHeaders,
		authorization: goAuth("1c8c7da0ca80afcb05ded2be82cf8ce482104895cc17c87547560fcbda862a78"),
		canonical: "GET\n" +
			"/v2/0123456789abcdef0123456789abcdef/instances/inst-1/topics/\n" +
			"limit=10&offset=0\n" +
			"user-agent:huaweicloud-usdk-go/3.0; conformance\n" +
			"x-project-id:0123456789abcdef0123456789abcdef\n" +
			"x-sdk-date:20240416T095341Z\n" +
			"\n" +
			"user-agent;x-project-id;x-sdk-date\n" +
			emptySHA256,
		canonicalHash: "b4a98eff1ce6f33441ddd3ee99e561eba6a96c5592ef846ba945334ab86ac2d0",
	},
	{
		name:          "C Go ShowMessages special path",
		method:        "GET",
		target:        messagesPath + "?" + messagesQuery,
		host:          goHost,
		headers:       goHeaders,
		authorization: goAuth("32eb9778cc3aa0640818c822949294430a14c7b5863927499e94830f6d79387d"),
		canonicalURI:  "/v2/0123456789abcdef0123456789abcdef/instances/inst-1/management/topics/my%20topic%2B%C3%BC/messages/",
	},
	{
		name:          "C Node ShowMessages special path (legacy form)",
		method:        "GET",
		target:        messagesPath + "?" + messagesQuery,
		host:          nodeHost,
		headers:       nodeHeaders,
		authorization: nodeAuth("74a7916e3e28c9fa840d85419f6834d500834019cb1298a5350e59cc7b4bccac"),
		canonicalURI:  "/v2/0123456789abcdef0123456789abcdef/instances/inst-1/management/topics/my%20topic%2B%C3%BC/messages/",
		legacyOnly:    true,
	},
	{
		name:          "D Node createInstanceTopic",
		method:        "POST",
		target:        topicsPath,
		host:          nodeHost,
		headers:       nodeHeaders,
		body:          `{"id":"topic-a","partition":3,"replication":3}`,
		authorization: nodeAuth("f2717002dc13f7121a02f4600a7baf4ed3ec58d6b8be38ea1d9f2f0452371773"),
		canonical: "POST\n" +
			"/v2/0123456789abcdef0123456789abcdef/instances/inst-1/topics/\n" +
			"\n" +
			"content-type:application/json\n" +
			"host:127.0.0.1:18081\n" +
			"x-project-id:0123456789abcdef0123456789abcdef\n" +
			"x-sdk-date:20240416T095341Z\n" +
			"\n" +
			"content-type;host;x-project-id;x-sdk-date\n" +
			"e68e3a876d15d3681dbcc7a1dee278f6aade27ac6d6499cb5ceead3ca7488583",
	},
	{
		name:          "Node listInstanceTopics",
		method:        "GET",
		target:        topicsPath + "?offset=0&limit=10",
		host:          nodeHost,
		headers:       nodeHeaders,
		authorization: nodeAuth("54db5f452364337c20bbdeab5e64a1730f546a2e887deaab4aedf486e1e1634e"),
	},
	{
		name:          "Node deleteInstance",
		method:        "DELETE",
		target:        "/v2/" + testPID + "/instances/inst-1",
		host:          nodeHost,
		headers:       nodeHeaders,
		authorization: nodeAuth("69fc79b22959ac818f902b7f05079f18ef3a05632f18503262bdbf85afe00cc2"),
	},
	{
		name:          "Node showInstance",
		method:        "GET",
		target:        "/v2/" + testPID + "/instances/inst-x",
		host:          nodeHost,
		headers:       nodeHeaders,
		authorization: nodeAuth("a423f6b9bcafbaeea4122e49cde44c9164078af00f2e14641e28284de188906a"),
	},
	{
		name:    "V11 ShowInstance",
		method:  "GET",
		target:  "/v2/" + testPID + "/instances/inst-1",
		host:    goHost,
		headers: []string{"X-Project-Id: " + testPID, "X-Sdk-Date: " + testDate},
		authorization: "V11-HMAC-SHA256 Credential=" + testAK + "/20240416/cn-north-4/dms, " +
			"SignedHeaders=x-project-id;x-sdk-date, " +
			"Signature=d34d3d5f6fd4ad64dc5c391a5c6c1df05eab956bf28e3587dab66993eaa89c43",
	},
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			headers := append(slices.Clone(v.headers), "Authorization: "+v.authorization)
			r, body := wireRequest(t, v.method, v.target, v.host, headers, v.body)
			auth, err := ParseAuthorization(r.Header.Get("Authorization"))
			if err != nil {
				t.Fatalf("ParseAuthorization: %v", err)
			}
			if auth.AccessKey != testAK {
				t.Errorf("AccessKey = %q", auth.AccessKey)
			}
			if got := auth.String(); got != v.authorization {
				t.Errorf("String() = %q, want %q", got, v.authorization)
			}
			if err := Verify(r, body, auth, testSK); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := Verify(r, body, auth, testSK+"x"); err == nil {
				t.Fatal("Verify with a wrong SK succeeded")
			}

			cr, err := CanonicalRequest(r, auth.SignedHeaders, body)
			if err != nil {
				t.Fatalf("CanonicalRequest: %v", err)
			}
			if v.canonical != "" && cr != v.canonical {
				t.Errorf("CanonicalRequest =\n%s\nwant\n%s", cr, v.canonical)
			}
			if v.canonicalURI != "" {
				if got := strings.Split(cr, "\n")[1]; got != v.canonicalURI {
					t.Errorf("canonical URI = %q, want %q", got, v.canonicalURI)
				}
			}
			signedCR := cr
			if v.legacyOnly {
				legacy, changed := legacyNodePath(r.URL.Path)
				if !changed {
					t.Fatal("legacy Node form equals the decoded form")
				}
				signedCR = strings.Replace(cr, canonicalURI(r.URL.Path), canonicalURI(legacy), 1)
				// Node's decoded path form must not verify on its own.
				sig, err := signature(r, body, auth, testSK, testDate)
				if err != nil || sig == auth.Signature {
					t.Errorf("decoded-path form reproduces the Node signature (err %v)", err)
				}
			}
			if v.canonicalHash != "" {
				if got := sha256HexString(signedCR); got != v.canonicalHash {
					t.Errorf("hash(CanonicalRequest) = %s, want %s", got, v.canonicalHash)
				}
			}
			sts := stringToSign(auth, testDate, signedCR)
			if v.stringToSign != "" && sts != v.stringToSign {
				t.Errorf("StringToSign =\n%s\nwant\n%s", sts, v.stringToSign)
			}
			key, err := signingKey(auth, testSK, testDate)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(mac(key, sts)); got != auth.Signature {
				t.Errorf("signature = %s, want %s", got, auth.Signature)
			}
		})
	}
}

// TestLegacyNodePath pins the Node form of §2.3: "my topic+ü" is signed as
// "my%2520topic%2B%C3%BC".
func TestLegacyNodePath(t *testing.T) {
	tests := []struct{ path, legacyURI string }{
		{"/t/my topic+ü", "/t/my%2520topic%2B%C3%BC/"},
		{"/a\"b'c<d>e\\f^g`h{i|j}k", "/a%2522b%2527c%253Cd%253Ee%255Cf%255Eg%2560h%257Bi%257Cj%257Dk/"},
		{"/tab\there/", "/tab%2509here/"},
		{"/plain/path", "/plain/path/"},
	}
	for _, tt := range tests {
		legacy, _ := legacyNodePath(tt.path)
		if got := canonicalURI(legacy); got != tt.legacyURI {
			t.Errorf("canonicalURI(legacyNodePath(%q)) = %q, want %q", tt.path, got, tt.legacyURI)
		}
	}
}

// TestGoSignReproducesVectors checks the signer side: Sign on the request
// the Go SDK builds gives the SDK's Authorization header byte for byte.
func TestGoSignReproducesVectors(t *testing.T) {
	for _, v := range vectors {
		if !strings.HasPrefix(v.name, "A ") && !strings.HasPrefix(v.name, "B ") && !strings.HasPrefix(v.name, "C Go") {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			r, err := http.NewRequest(v.method, "http://"+v.host+v.target, strings.NewReader(v.body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("User-Agent", goUA)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-Project-Id", testPID)
			r.Header.Set("Authorization", "stale")
			if err := Sign(r, []byte(v.body), testAK, testSK, testNow.In(time.FixedZone("CST", 8*3600))); err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get("Authorization"); got != v.authorization {
				t.Errorf("Authorization = %q\nwant %q", got, v.authorization)
			}
			if got := r.Header.Get(DateHeader); got != testDate {
				t.Errorf("X-Sdk-Date = %q", got)
			}
		})
	}
}

// TestV11Sign reproduces the V11 vector through the signing half.
func TestV11Sign(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://"+goHost+"/v2/"+testPID+"/instances/inst-1", nil)
	r.Header.Set("X-Project-Id", testPID)
	r.Header.Set(DateHeader, testDate)
	auth := Authorization{Algorithm: AlgV11HMACSHA256, AccessKey: testAK, CredentialScope: "20240416/cn-north-4/dms",
		SignedHeaders: []string{"x-project-id", "x-sdk-date"}}
	sig, err := signature(r, nil, auth, testSK, testDate)
	if err != nil {
		t.Fatal(err)
	}
	if want := "d34d3d5f6fd4ad64dc5c391a5c6c1df05eab956bf28e3587dab66993eaa89c43"; sig != want {
		t.Errorf("V11 signature = %s, want %s", sig, want)
	}
}

// SignV11 reproduces the V11 vector, and CheckScope accepts its scope only for its region and service.
func TestSignV11AndCheckScope(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://"+goHost+"/v2/"+testPID+"/instances/inst-1", nil)
	r.Header.Set("X-Project-Id", testPID)
	if err := SignV11(r, nil, testAK, testSK, "cn-north-4", "dms", testNow); err != nil {
		t.Fatal(err)
	}
	want := "V11-HMAC-SHA256 Credential=" + testAK + "/20240416/cn-north-4/dms, SignedHeaders=x-project-id;x-sdk-date, " +
		"Signature=d34d3d5f6fd4ad64dc5c391a5c6c1df05eab956bf28e3587dab66993eaa89c43"
	if got := r.Header.Get("Authorization"); got != want {
		t.Fatalf("Authorization = %q\nwant %q", got, want)
	}
	auth, err := ParseAuthorization(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(r, nil, auth, testSK); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		region, service string
		ok              bool
	}{
		{"cn-north-4", "dms", true},
		{"cn-south-1", "dms", false},
		{"cn-north-4", "ecs", false},
		{"cn-north-4", "DMS", false},
	}
	for _, tt := range tests {
		err := CheckScope(auth, tt.region, tt.service)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadSignature)) {
			t.Errorf("CheckScope(%s, %s) = %v, want ok=%v", tt.region, tt.service, err, tt.ok)
		}
	}
	if err := CheckScope(Authorization{Algorithm: AlgHMACSHA256}, "x", "y"); err != nil {
		t.Errorf("SDK-HMAC-SHA256 has no scope to check: %v", err)
	}
}
