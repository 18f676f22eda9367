// Package scram derives SCRAM-SHA-512 credentials (RFC 5802 with SHA-512) and writes the
// plain-users.properties file that the brokers' PLAIN handler (kafka/plainauth) checks logins against.
//
// One secret serves both mechanisms without storing it: the control plane upserts Salt, Iterations
// and SaltedPassword with AlterUserScramCredentials (the broker derives StoredKey and ServerKey from
// them) and writes Salt, Iterations and StoredKey into every broker's plain-users.properties. A PLAIN
// login is accepted when SHA-512(HMAC-SHA512(PBKDF2-HMAC-SHA512(password, salt, iterations),
// "Client Key")) equals the StoredKey.
//
// It is its own package, not part of internal/kafkaops, because both the control plane (the SCRAM
// upsert, through kafkaops) and the local engine (the file next to each broker) need it, and it
// needs nothing but the standard library.
package scram

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// Mechanism is the SASL mechanism these credentials are for.
	Mechanism = "SCRAM-SHA-512"
	// MinIterations and MaxIterations are Kafka's bounds for SCRAM-SHA-512 (ScramMechanism): the
	// broker refuses other counts in AlterUserScramCredentials, and the PLAIN handler refuses lines
	// with other counts.
	MinIterations = 4096
	MaxIterations = 16384
	// DefaultIterations is Kafka's default (kafka-configs --add-config 'SCRAM-SHA-512=[password=…]').
	// A PLAIN login costs the broker one PBKDF2 of this many iterations.
	DefaultIterations = 4096
	// SaltSize is the length of the random salt NewCredential draws.
	SaltSize = 32
	// KeySize is the length of SaltedPassword, StoredKey and ServerKey (the SHA-512 output).
	KeySize = sha512.Size
	// PlainUsersFile is the file name the PLAIN handler is pointed at in each broker's directory.
	PlainUsersFile = "plain-users.properties"
)

// Credential is a user's SCRAM-SHA-512 credential.
//
// SaltedPassword is password-equivalent for SCRAM (it yields the ClientKey): hand it to
// AlterUserScramCredentials and do not store it. Salt, Iterations, StoredKey and ServerKey are what a
// SCRAM server keeps.
type Credential struct {
	Salt           []byte
	Iterations     int
	SaltedPassword []byte
	StoredKey      []byte
	ServerKey      []byte
}

// NewCredential derives the credential of password with a fresh random salt of SaltSize bytes.
func NewCredential(password string, iterations int) (Credential, error) {
	salt := make([]byte, SaltSize)
	rand.Read(salt) // never fails (crypto/rand)
	return DeriveCredential(password, salt, iterations)
}

// DeriveCredential derives the credential of password with the given salt:
//
//	SaltedPassword = PBKDF2-HMAC-SHA512(password as UTF-8, salt, iterations, 64 bytes)
//	StoredKey      = SHA-512(HMAC-SHA512(SaltedPassword, "Client Key"))
//	ServerKey      = HMAC-SHA512(SaltedPassword, "Server Key")
//
// The password is used as is (no SASLprep), as Kafka and franz-go do.
func DeriveCredential(password string, salt []byte, iterations int) (Credential, error) {
	switch {
	case password == "":
		return Credential{}, errors.New("scram: empty password")
	case len(salt) == 0:
		return Credential{}, errors.New("scram: empty salt")
	case iterations < MinIterations || iterations > MaxIterations:
		return Credential{}, fmt.Errorf("scram: %d iterations: Kafka accepts %d to %d for %s", iterations, MinIterations, MaxIterations, Mechanism)
	}
	salted, err := pbkdf2.Key(sha512.New, password, salt, iterations, KeySize)
	if err != nil {
		return Credential{}, fmt.Errorf("scram: pbkdf2: %w", err)
	}
	clientKey := hmacSHA512(salted, "Client Key")
	storedKey := sha512.Sum512(clientKey)
	return Credential{
		Salt:           bytes.Clone(salt),
		Iterations:     iterations,
		SaltedPassword: salted,
		StoredKey:      storedKey[:],
		ServerKey:      hmacSHA512(salted, "Server Key"),
	}, nil
}

func hmacSHA512(key []byte, msg string) []byte {
	m := hmac.New(sha512.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func (c Credential) check() error {
	switch {
	case len(c.Salt) == 0:
		return errors.New("empty salt")
	case c.Iterations < MinIterations || c.Iterations > MaxIterations:
		return fmt.Errorf("%d iterations (want %d to %d)", c.Iterations, MinIterations, MaxIterations)
	case len(c.StoredKey) != KeySize:
		return fmt.Errorf("StoredKey of %d bytes (want %d)", len(c.StoredKey), KeySize)
	}
	return nil
}

// PlainUsersLine is user's line of plain-users.properties, without the newline:
//
//	<user>=<saltBase64>:<iterations>:<storedKeyBase64>
//
// (standard Base64 with padding). The file is a java.util.Properties file read as UTF-8, so the user
// name is escaped as Properties keys are (\ = : # ! space and control characters).
func PlainUsersLine(user string, c Credential) string {
	return escapeKey(user) + "=" + base64.StdEncoding.EncodeToString(c.Salt) + ":" +
		strconv.Itoa(c.Iterations) + ":" + base64.StdEncoding.EncodeToString(c.StoredKey)
}

// escapeKey escapes s as java.util.Properties.store escapes keys.
func escapeKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '=', ':', '#', '!', ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// PlainUsers is the content of plain-users.properties for users (sorted by name).
func PlainUsers(users map[string]Credential) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# OpenDMS SASL/PLAIN users: <user>=<saltBase64>:<iterations>:<storedKeyBase64> (SCRAM-SHA-512 StoredKey). Written by dmsd; do not edit.\n")
	for _, u := range slices.Sorted(maps.Keys(users)) {
		if u == "" || !utf8.ValidString(u) {
			return nil, fmt.Errorf("scram: user name %q: empty or not UTF-8", u)
		}
		if err := users[u].check(); err != nil {
			return nil, fmt.Errorf("scram: user %q: %v", u, err)
		}
		b.WriteString(PlainUsersLine(u, users[u]))
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// WritePlainUsers replaces path with the plain-users.properties of users, atomically (a temp file in
// the same directory, synced, then renamed over path) and with mode 0600. A broker's handler sees
// either the old or the new file, and re-reads it on the next PLAIN login.
func WritePlainUsers(path string, users map[string]Credential) error {
	data, err := PlainUsers(users)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("scram: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename it no longer exists
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("scram: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("scram: writing %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("scram: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("scram: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("scram: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // persist the rename (best effort)
		d.Sync()
		d.Close()
	}
	return nil
}
