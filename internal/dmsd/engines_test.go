package dmsd

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/engine"
)

// duplicateKeys returns the top-level keys that occur more than once in each JSON log line.
func duplicateKeys(t *testing.T, logs string) map[string][]string {
	t.Helper()
	dups := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if line == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("not a JSON log line: %q", line)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			key := tok.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if seen[key] {
				dups[line] = append(dups[line], key)
			}
			seen[key] = true
		}
	}
	return dups
}

// Every engine dmsd opens logs with its name once per line: dmsd's logger and the engine's own
// With("engine", ...) must not both add it (they did: "engine=local engine=local").
func TestEngineLogLinesNameTheEngineOnce(t *testing.T) {
	var buf bytes.Buffer
	s := &Server{cfg: Config{Engine: "embedded", KafkaCacheDir: t.TempDir()}, log: slog.New(slog.NewJSONHandler(&buf, nil))}
	engines, def, err := s.openEngines()
	if err != nil {
		t.Fatal(err)
	}
	if def != "embedded" {
		t.Fatalf("default engine %q", def)
	}
	for name, e := range engines { // local too where this machine can run it
		t.Run(name, func(t *testing.T) {
			buf.Reset()
			// Deleting an instance the engine never ran logs a line without starting a broker.
			spec := engine.Spec{InstanceID: "dup-" + name, DataDir: filepath.Join(t.TempDir(), "inst")}
			if err := e.Delete(context.Background(), spec); err != nil {
				t.Fatal(err)
			}
			e.Close()
			logs := buf.String()
			if !strings.Contains(logs, `"engine":"`+name+`"`) {
				t.Fatalf("no line names the engine:\n%s", logs)
			}
			if d := duplicateKeys(t, logs); len(d) > 0 {
				t.Fatalf("log lines with a key twice: %v", d)
			}
		})
	}
}
