package iam

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Sealer encrypts the secrets that must be recoverable (secret access keys: HMAC verification needs
// them) with AES-256-GCM under the server's master key, so the metadata store never holds them in
// plain text. The master key lives outside the database (a 0600 file or DMS_MASTER_KEY).
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer makes a sealer from a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("master key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// LoadOrCreateMasterKey reads the hex master key from envValue if set, else from path, creating the
// file (mode 0600) with a random key on first start. The caller holds the data dir (one process).
//
// The file is created atomically (a temp file written and fsynced, renamed into place, the directory
// fsynced): a crash at first start leaves either no key file (a new key is made at the next start:
// nothing was sealed yet) or a whole one, never a truncated one. Leftover temp files of such a crash
// are removed. An existing file that is not a valid key is an error, never replaced by a new key:
// the store's secrets are sealed with the key it once held, and a silent new key would make them
// unreadable for good.
func LoadOrCreateMasterKey(path, envValue string) ([]byte, error) {
	if envValue != "" {
		k, err := hex.DecodeString(strings.TrimSpace(envValue))
		if err != nil || len(k) != 32 {
			return nil, errors.New("DMS_MASTER_KEY must be 64 hex characters (32 bytes)")
		}
		return k, nil
	}
	removeKeyTemps(path)
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("%s is not a valid master key (64 hex characters; the file has %d bytes), e.g. truncated by a crash of an older dmsd at its first start. "+
				"The secrets in the store are sealed with the key: restore the file from a backup (or give the key in DMS_MASTER_KEY); "+
				"only if this data dir never held a secret, remove the file to have a new key made", path, len(b))
		}
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return nil, fmt.Errorf("master key %s is readable by other users (mode %v) and cannot be restricted: %w", path, st.Mode().Perm(), err)
			}
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, 32)
	rand.Read(k)
	if err := writeFileSynced(path, []byte(hex.EncodeToString(k)+"\n")); err != nil {
		return nil, fmt.Errorf("write master key: %w", err)
	}
	return k, nil
}

// keyTempPattern names the temp files of writeFileSynced for path.
func keyTempPattern(path string) string { return filepath.Base(path) + ".tmp-*" }

// removeKeyTemps removes the temp files a crash in writeFileSynced left next to path.
func removeKeyTemps(path string) {
	temps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), keyTempPattern(path)))
	for _, t := range temps {
		_ = os.Remove(t)
	}
}

// syncFile is (*os.File).Sync; a test makes it fail to stand for a crash before the rename.
var syncFile = (*os.File).Sync

// writeFileSynced writes data to path (mode 0600) so that after a crash path holds either nothing
// or all of data: a temp file in the same directory, fsynced, renamed over path, and the directory
// fsynced so that the rename itself is durable.
func writeFileSynced(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, keyTempPattern(path)) // mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = syncFile(f); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Seal encrypts plaintext; the nonce is prepended.
func (s *Sealer) Seal(plaintext []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, nil)
}

// Open decrypts what Seal produced.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed secret too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], nil)
}

// Password hashing: PBKDF2-HMAC-SHA256 from the standard library, stored as
// "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>".
const passwordIterations = 210_000

// HashPassword returns the storable hash of a password.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	sum, err := pbkdf2.Key(sha256.New, password, salt, passwordIterations, 32)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", passwordIterations, enc.EncodeToString(salt), enc.EncodeToString(sum)), nil
}

// CheckPassword reports whether password matches a HashPassword result (constant time).
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && hmac.Equal(got, want)
}
