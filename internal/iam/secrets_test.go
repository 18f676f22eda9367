package iam

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadOrCreateMasterKey: the key file is created whole and 0600 (a temp file left by a crash at
// an earlier first start does not matter and is removed), an existing key is kept (and tightened to
// 0600), and a truncated or invalid key file is a clear error, never silently replaced.
func TestLoadOrCreateMasterKey(t *testing.T) {
	valid := strings.Repeat("0f", 32)
	for _, c := range []struct {
		name     string
		file     *string     // existing master.key content; nil: none
		mode     os.FileMode // of the existing file
		leftover bool        // a temp file of an interrupted write is there
		env      string
		wantKey  string // hex; "" with wantErr
		wantErr  string
	}{
		{name: "first start", wantKey: "*"},
		{name: "first start after a crash during the first write", leftover: true, wantKey: "*"},
		{name: "existing key", file: ptr(valid + "\n"), mode: 0o600, wantKey: valid},
		{name: "existing key, mode 0644", file: ptr(valid), mode: 0o644, wantKey: valid},
		{name: "empty file", file: ptr(""), mode: 0o600, wantErr: "not a valid master key"},
		{name: "truncated key", file: ptr(valid[:30]), mode: 0o600, wantErr: "not a valid master key"},
		{name: "not hex", file: ptr(strings.Repeat("zz", 32)), mode: 0o600, wantErr: "not a valid master key"},
		{name: "from the environment", file: ptr(""), mode: 0o600, env: valid, wantKey: valid},
		{name: "bad environment", env: "abc", wantErr: "DMS_MASTER_KEY"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "master.key")
			if c.file != nil {
				if err := os.WriteFile(path, []byte(*c.file), c.mode); err != nil {
					t.Fatal(err)
				}
				os.Chmod(path, c.mode)
			}
			leftover := filepath.Join(dir, "master.key.tmp-1234")
			if c.leftover {
				if err := os.WriteFile(leftover, []byte("0f0f"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			k, err := LoadOrCreateMasterKey(path, c.env)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one with %q", err, c.wantErr)
				}
				if c.file != nil { // never replaced
					if b, _ := os.ReadFile(path); string(b) != *c.file {
						t.Fatalf("the invalid key file was changed to %q", b)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.wantKey != "*" && hex.EncodeToString(k) != c.wantKey {
				t.Fatalf("key %x, want %s", k, c.wantKey)
			}
			if c.env != "" {
				return
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := hex.DecodeString(strings.TrimSpace(string(b))); !bytes.Equal(got, k) {
				t.Fatalf("file holds %q, key %x", b, k)
			}
			if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", st.Mode().Perm())
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("files left beside the key: %v", ents)
			}
			// The next start reads the same key.
			k2, err := LoadOrCreateMasterKey(path, "")
			if err != nil || !bytes.Equal(k2, k) {
				t.Fatalf("reload: %x %v, want %x", k2, err, k)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestMasterKeyWriteInterrupted: a first start whose key write fails before the file is complete
// (a crash, here a failing fsync) leaves no master.key at all, not a truncated one, so the next
// start makes a key and starts.
func TestMasterKeyWriteInterrupted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	syncFile = func(*os.File) error { return errors.New("crash") }
	_, err := LoadOrCreateMasterKey(path, "")
	syncFile = (*os.File).Sync
	if err == nil {
		t.Fatal("the interrupted write succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("an interrupted write left %v", ents)
	}
	k, err := LoadOrCreateMasterKey(path, "")
	if err != nil || len(k) != 32 {
		t.Fatalf("next start: %x %v", k, err)
	}
}

// TestDummyPasswordHash: the hash checked for unknown IAM users and instances has the form,
// iterations and sizes of a real one, so that CheckPassword runs the whole KDF on it (a malformed
// one would be refused at once, and the answer's time would tell an unknown name from a wrong
// password); no password matches it.
func TestDummyPasswordHash(t *testing.T) {
	genuine, err := HashPassword("Some-pass1")
	if err != nil {
		t.Fatal(err)
	}
	dummy, want := strings.Split(dummyPasswordHash, "$"), strings.Split(genuine, "$")
	if len(dummy) != 4 || dummy[0] != want[0] || dummy[1] != want[1] {
		t.Fatalf("dummy hash %q is not of the form and iterations of %q", dummyPasswordHash, genuine)
	}
	for i, name := range map[int]string{2: "salt", 3: "key"} {
		d, err := base64.RawStdEncoding.DecodeString(dummy[i])
		w, _ := base64.RawStdEncoding.DecodeString(want[i])
		if err != nil || len(d) != len(w) {
			t.Errorf("dummy %s: %d bytes (%v), a real one has %d", name, len(d), err, len(w))
		}
	}
	for _, pw := range []string{"", "Some-pass1", "AAAAAAAA"} {
		if CheckPassword(dummyPasswordHash, pw) {
			t.Errorf("%q matches the dummy hash", pw)
		}
	}
}
