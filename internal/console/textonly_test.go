package console

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// The console renders data as text only (ui.js's h() builds nodes with text nodes and
// setAttribute). This keeps the ways in which a string becomes markup or code out of every asset,
// so that a record value, topic name or error message can never run as script; the browser tests
// check the behaviour with a <script> payload, this checks that no page found another way.
func TestAssetsTextOnly(t *testing.T) {
	forbidden := []struct {
		name string
		re   *regexp.Regexp
	}{
		{"innerHTML/outerHTML", regexp.MustCompile(`\.(inner|outer)HTML\b`)},
		{"insertAdjacentHTML", regexp.MustCompile(`insertAdjacentHTML`)},
		{"document.write", regexp.MustCompile(`document\.write`)},
		{"eval", regexp.MustCompile(`\beval\s*\(`)},
		{"new Function", regexp.MustCompile(`new\s+Function\s*\(`)},
		{"string timers", regexp.MustCompile(`set(Timeout|Interval)\(\s*['"` + "`" + `]`)},
		{"DOMParser / createContextualFragment", regexp.MustCompile(`DOMParser|createContextualFragment`)},
		{"inline event attribute", regexp.MustCompile(`setAttribute\(\s*['"]on`)},
		{"javascript: URL", regexp.MustCompile(`(?i)javascript:`)},
	}
	sub, _ := fs.Sub(embedded, "assets")
	n := 0
	err := fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".js") || strings.HasSuffix(path, ".html")) {
			return err
		}
		n++
		b, _ := fs.ReadFile(sub, path)
		for i, line := range strings.Split(string(b), "\n") {
			trimmed := strings.TrimSpace(line)
			if strings.HasPrefix(trimmed, "//") || strings.HasPrefix(trimmed, "*") {
				continue // comments may name what is not done
			}
			for _, f := range forbidden {
				if f.re.MatchString(line) {
					t.Errorf("%s:%d uses %s: %s", path, i+1, f.name, trimmed)
				}
			}
		}
		if strings.HasSuffix(path, ".html") && regexp.MustCompile(`<script(?:\s[^>]*)?>[^<\s]`).Match(b) {
			t.Errorf("%s has an inline script (the CSP refuses it)", path)
		}
		return nil
	})
	if err != nil || n < 5 {
		t.Fatalf("walked %d files: %v", n, err)
	}
}
