package iam

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns 32 lower-case hex characters: the shape of Huawei Cloud project, domain and user ids.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ValidProjectID reports whether s has the shape of a project id: 32 lower-case hex characters. (A
// loop rather than a regular expression: every project-scoped request checks its path's.)
func ValidProjectID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

const (
	akAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	skAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// NewAccessKeyPair returns a 20-character AK and a 40-character SK, as Huawei Cloud issues them.
func NewAccessKeyPair() (ak, sk string) {
	return randomString(akAlphabet, 20), randomString(skAlphabet, 40)
}

// NewPassword returns a random password that meets every complexity rule the reference has.
func NewPassword() string {
	return randomString(skAlphabet, 20) + "-Aa1"
}

func randomString(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, n)
	rand.Read(buf)
	for i := range out {
		// 256 is not a multiple of the alphabet sizes; the tiny bias is irrelevant for 160+ bits of key.
		out[i] = alphabet[int(buf[i])%len(alphabet)]
	}
	return string(out)
}
