package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// Output formats of -o.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatYAML  = "yaml"
)

func (a *app) checkOutput() error {
	switch a.output {
	case "", formatTable, formatJSON, formatYAML:
		return nil
	}
	return usageErrorf("unknown output format %q: want table, json or yaml", a.output)
}

// printer writes a command's result in the format of -o.
type printer struct {
	format string
	w      io.Writer
}

func (a *app) printer(cmd *cobra.Command) printer {
	f := a.output
	if f == "" {
		f = formatTable
	}
	return printer{format: f, w: cmd.OutOrStdout()}
}

// print writes v as JSON or YAML (with its JSON names), or calls fill for the table format.
func (p printer) print(v any, fill func(t *table)) error {
	switch p.format {
	case formatJSON:
		return writeJSON(p.w, v)
	case formatYAML:
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = p.w.Write(b)
		return err
	}
	t := &table{tw: tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)}
	fill(t)
	return t.tw.Flush()
}

// note writes a confirmation of a command without result data; only the table format shows it, so
// that json and yaml output stay machine-readable.
func (p printer) note(format string, args ...any) {
	if p.format == formatTable {
		fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table is a tab-aligned table.
type table struct{ tw *tabwriter.Writer }

// row writes one line of cells; tabs and newlines inside cells are replaced so columns stay aligned.
func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c)
		if cells[i] == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

// keyValues writes "KEY:  value" lines (for single objects).
func (t *table) keyValues(kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		t.row(kv[i]+":", kv[i+1])
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func fmtBool(b bool) string { return strconv.FormatBool(b) }

func itoa(i int) string { return strconv.Itoa(i) }

// prettyJSON indents a JSON body, keeping the server's key order; anything else is returned as is.
func prettyJSON(body []byte) []byte {
	var buf bytes.Buffer
	if json.Indent(&buf, bytes.TrimSpace(body), "", "  ") != nil {
		return body
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

// mask hides a secret, showing at most its last 4 characters (and none of a short one).
func mask(secret string) string {
	if secret == "" {
		return ""
	}
	if len(secret) < 16 {
		return "****"
	}
	return "****" + secret[len(secret)-4:]
}
