package plainauth

import (
	"bytes"
	"path"
	"strings"
	"testing"
)

func TestSourceMatchesNames(t *testing.T) {
	pkg, class := path.Split(strings.TrimSuffix(SourcePath, ".java"))
	if want := strings.ReplaceAll(strings.TrimSuffix(pkg, "/"), "/", ".") + "." + class; HandlerClass != want {
		t.Errorf("HandlerClass %s, SourcePath says %s", HandlerClass, want)
	}
	for _, s := range []string{
		"package " + strings.TrimSuffix(HandlerClass, "."+class) + ";",
		"public final class " + class + " implements AuthenticateCallbackHandler",
		`CREDENTIALS_FILE_OPTION = "` + CredentialsFileOption + `"`,
	} {
		if !bytes.Contains(Source, []byte(s)) {
			t.Errorf("Source lacks %q", s)
		}
	}
	if len(SourceSHA256()) != 64 {
		t.Errorf("SourceSHA256 %q", SourceSHA256())
	}
}

func TestJAASConfig(t *testing.T) {
	got := JAASConfig(`/data/a "b"\c/plain-users.properties`)
	want := `org.apache.kafka.common.security.plain.PlainLoginModule required credentialsFile="/data/a \"b\"\\c/plain-users.properties";`
	if got != want {
		t.Errorf("JAASConfig:\n got %s\nwant %s", got, want)
	}
}
