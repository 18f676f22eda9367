package scram

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	franzscram "github.com/twmb/franz-go/pkg/sasl/scram"
)

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha512.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func xor(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return out
}

// TestSCRAMSHA512Vector checks the derivation against the SCRAM-SHA-512 exchange of user "user",
// password "pencil" that draft-melnikov-scram-sha-512 gives and that Apache Qpid Proton-J/-DotNet and
// the Rust sasl crates test their SCRAM-SHA-512 against (RFC 7677 only has SHA-256). The proof the
// client sends must be ClientKey XOR HMAC(StoredKey, AuthMessage), and the server's signature
// HMAC(ServerKey, AuthMessage).
func TestSCRAMSHA512Vector(t *testing.T) {
	const (
		clientFirstBare  = "n=user,r=rOprNGfwEbeRWgbNEkqO"
		serverFirst      = "r=rOprNGfwEbeRWgbNEkqO02431b08-2f89-4bad-a4e6-80c0564ec865,s=Yin2FuHTt/M0kJWb0t9OI32n2VmOGi3m+JfjOvuDF88=,i=4096"
		clientFinalNoPrf = "c=biws,r=rOprNGfwEbeRWgbNEkqO02431b08-2f89-4bad-a4e6-80c0564ec865"
		proof            = "Hc5yec3NmCD7t+kFRw4/3yD6/F3SQHc7AVYschRja+Bc3sbdjlA0eH1OjJc0DD4ghn1tnXN5/Wr6qm9xmaHt4A=="
		serverSig        = "BQuhnKHqYDwQWS5jAw4sZed+C9KFUALsbrq81bB0mh+bcUUbbMPNNmBIupnS2AmyyDnG5CTBQtkjJ9kyY4kzmw=="
	)
	c, err := DeriveCredential("pencil", b64(t, "Yin2FuHTt/M0kJWb0t9OI32n2VmOGi3m+JfjOvuDF88="), 4096)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SaltedPassword) != 64 || len(c.StoredKey) != 64 || len(c.ServerKey) != 64 {
		t.Fatalf("key sizes %d %d %d, want 64", len(c.SaltedPassword), len(c.StoredKey), len(c.ServerKey))
	}
	authMsg := clientFirstBare + "," + serverFirst + "," + clientFinalNoPrf
	clientKey := mac(c.SaltedPassword, "Client Key")
	if got := base64.StdEncoding.EncodeToString(xor(clientKey, mac(c.StoredKey, authMsg))); got != proof {
		t.Errorf("client proof %s, want %s", got, proof)
	}
	if got := base64.StdEncoding.EncodeToString(mac(c.ServerKey, authMsg)); got != serverSig {
		t.Errorf("server signature %s, want %s", got, serverSig)
	}
	// What a server that only knows StoredKey checks.
	recovered := xor(b64(t, proof), mac(c.StoredKey, authMsg))
	if sum := sha512.Sum512(recovered); !bytes.Equal(sum[:], c.StoredKey) {
		t.Error("SHA-512(ClientProof XOR ClientSignature) != StoredKey")
	}
}

// TestFranzGoClient runs franz-go's SCRAM-SHA-512 client (what OpenDMS's own clients and many users'
// Go clients use) against a SCRAM server that knows only the Credential's Salt, Iterations, StoredKey
// and ServerKey: the server accepts the client's proof, and the client accepts the server's signature.
func TestFranzGoClient(t *testing.T) {
	for _, pw := range []string{"s3cret-Pass", "pässwörd with spaces,=commas", "x"} {
		c, err := NewCredential(pw, 8192)
		if err != nil {
			t.Fatal(err)
		}
		if !scramExchange(t, c, "alice", pw) {
			t.Errorf("password %q: franz-go's proof was refused", pw)
		}
		if scramExchange(t, c, "alice", pw+"!") {
			t.Errorf("password %q: a wrong password was accepted", pw)
		}
	}
}

// scramExchange is one SCRAM-SHA-512 exchange of franz-go's client against a server holding c; it
// reports whether the server accepted the proof (and then checks that the client accepted the server).
func scramExchange(t *testing.T, c Credential, user, pass string) bool {
	t.Helper()
	sess, clientFirst, err := franzscram.Auth{User: user, Pass: pass}.AsSha512Mechanism().Authenticate(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	bare, ok := strings.CutPrefix(string(clientFirst), "n,,")
	if !ok || !strings.HasPrefix(bare, "n="+user+",r=") {
		t.Fatalf("client-first %q", clientFirst)
	}
	clientNonce := bare[strings.Index(bare, ",r=")+3:]
	serverFirst := "r=" + clientNonce + "0123456789abcdef,s=" + base64.StdEncoding.EncodeToString(c.Salt) + ",i=" + strconv.Itoa(c.Iterations)
	_, clientFinal, err := sess.Challenge([]byte(serverFirst))
	if err != nil {
		t.Fatal(err)
	}
	withoutProof, proofB64, ok := strings.Cut(string(clientFinal), ",p=")
	if !ok {
		t.Fatalf("client-final %q", clientFinal)
	}
	authMsg := bare + "," + serverFirst + "," + withoutProof
	clientKey := xor(b64(t, proofB64), mac(c.StoredKey, authMsg))
	if sum := sha512.Sum512(clientKey); !bytes.Equal(sum[:], c.StoredKey) {
		return false
	}
	done, _, err := sess.Challenge([]byte("v=" + base64.StdEncoding.EncodeToString(mac(c.ServerKey, authMsg))))
	if err != nil || !done {
		t.Fatalf("franz-go refused the server signature: done=%v err=%v", done, err)
	}
	return true
}

func TestNewCredential(t *testing.T) {
	a, err := NewCredential("pw", DefaultIterations)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewCredential("pw", DefaultIterations)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Salt) != SaltSize || bytes.Equal(a.Salt, b.Salt) || bytes.Equal(a.StoredKey, b.StoredKey) {
		t.Errorf("salts are not fresh %d-byte random values: %x %x", SaltSize, a.Salt, b.Salt)
	}
	if a.Iterations != DefaultIterations {
		t.Errorf("Iterations %d", a.Iterations)
	}
	again, err := DeriveCredential("pw", a.Salt, a.Iterations)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.SaltedPassword, a.SaltedPassword) || !bytes.Equal(again.StoredKey, a.StoredKey) || !bytes.Equal(again.ServerKey, a.ServerKey) {
		t.Error("DeriveCredential with the same salt differs")
	}
	for _, tc := range []struct {
		pw    string
		salt  []byte
		iters int
	}{
		{"", []byte("salt"), 4096},
		{"pw", nil, 4096},
		{"pw", []byte("salt"), MinIterations - 1},
		{"pw", []byte("salt"), MaxIterations + 1},
	} {
		if _, err := DeriveCredential(tc.pw, tc.salt, tc.iters); err == nil {
			t.Errorf("DeriveCredential(%q, %q, %d) succeeded", tc.pw, tc.salt, tc.iters)
		}
	}
}

func TestPlainUsersLine(t *testing.T) {
	c := Credential{Salt: []byte{0xfb, 0xff, 0x01}, Iterations: 4096, StoredKey: bytes.Repeat([]byte{0xff}, 64)}
	sk := base64.StdEncoding.EncodeToString(c.StoredKey)
	for user, key := range map[string]string{
		"alice":       "alice",
		"dms-user_01": "dms-user_01",
		"a=b:c d#e!f": `a\=b\:c\ d\#e\!f`,
		`back\slash`:  `back\\slash`,
		"tab\tnl\n":   `tab\tnl\n`,
		"ctl\x01":     `ctl\u0001`,
		"名前":          "名前",
	} {
		want := key + "=+/8B:4096:" + sk
		if got := PlainUsersLine(user, c); got != want {
			t.Errorf("PlainUsersLine(%q) = %s, want %s", user, got, want)
		}
	}
}

func TestWritePlainUsers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, PlainUsersFile)
	alice, _ := NewCredential("a-pass", 4096)
	bob, _ := NewCredential("b-pass", 8192)
	if err := WritePlainUsers(path, map[string]Credential{"bob": bob, "alice": alice}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "# ") || lines[1] != PlainUsersLine("alice", alice) || lines[2] != PlainUsersLine("bob", bob) {
		t.Errorf("file:\n%s", data)
	}
	if strings.Contains(string(data), "a-pass") || strings.Contains(string(data), base64.StdEncoding.EncodeToString(alice.SaltedPassword)) {
		t.Error("the file holds a password or a SaltedPassword")
	}

	// Replacing it: the old inode is not written to (a reader holding it sees the old content).
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := WritePlainUsers(path, map[string]Credential{"bob": bob}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); strings.Contains(string(got), "alice") || !strings.Contains(string(got), "bob=") {
		t.Errorf("rewritten file:\n%s", got)
	}
	var buf bytes.Buffer
	buf.ReadFrom(old)
	if !bytes.Equal(buf.Bytes(), data) {
		t.Error("the previous file was modified in place")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temp files left: %v", ents)
	}

	// Invalid input leaves the file alone.
	for _, users := range []map[string]Credential{
		{"": alice},
		{"bad\xff": alice},
		{"carol": {Salt: []byte("s"), Iterations: 4096, StoredKey: []byte("short")}},
		{"carol": {Salt: []byte("s"), Iterations: 1, StoredKey: alice.StoredKey}},
		{"carol": {Iterations: 4096, StoredKey: alice.StoredKey}},
	} {
		if err := WritePlainUsers(path, users); err == nil {
			t.Errorf("WritePlainUsers(%v) succeeded", users)
		}
	}
	if got, _ := os.ReadFile(path); strings.Contains(string(got), "carol") || !strings.Contains(string(got), "bob=") {
		t.Errorf("file after refused writes:\n%s", got)
	}
	if err := WritePlainUsers(filepath.Join(dir, "missing", "x"), map[string]Credential{"bob": bob}); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
