package kafkausers

import (
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/dms"
)

func TestValidation(t *testing.T) {
	for _, c := range []struct {
		name, user, password string
		code                 string // "" when valid
	}{
		{"valid", "app1-user", "Passw0rd-x", ""},
		{"underscore and digits", "a_1b", "Passw0rd-x", ""},
		{"64 characters", "a" + strings.Repeat("b", 63), "Passw0rd-x", ""},
		{"too short", "abc", "Passw0rd-x", dms.CodeAccessUserInvalid},
		{"65 characters", "a" + strings.Repeat("b", 64), "Passw0rd-x", dms.CodeAccessUserInvalid},
		{"starts with a digit", "1abc", "Passw0rd-x", dms.CodeAccessUserInvalid},
		{"a dot", "ab.cd", "Passw0rd-x", dms.CodeAccessUserInvalid},
		{"two kinds only", "app1-user", "password1", dms.CodePasswordWeak},
		{"starts with -", "app1-user", "-Passw0rd", dms.CodePasswordWeak},
		{"too short password", "app1-user", "Pa0-", dms.CodePasswordWeak},
		{"33 characters", "app1-user", "Pa0-" + strings.Repeat("x", 29), dms.CodePasswordWeak},
		{"the user name", "Passw0rd-x", "Passw0rd-x", dms.CodePasswordWeak},
	} {
		err := validName(c.user)
		if err == nil {
			err = validPassword(c.user, c.password)
		}
		got := ""
		if err != nil {
			got = dms.AsError(err).Code
		}
		if got != c.code {
			t.Errorf("%s: code %q (%v), want %q", c.name, got, err, c.code)
		}
	}
	if reverse("app1-ü") != "ü-1ppa" {
		t.Errorf("reverse = %q", reverse("app1-ü"))
	}
}
