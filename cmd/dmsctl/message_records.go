package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// 'message produce --file records.jsonl': a file of records sent through the batched produce API
// (POST /opendms/v1/{project_id}/instances/{instance_id}/topics/{topic}/records).

// The most records and bytes of one request: the server takes at most client.MaxBatchRecords
// records and 16 MiB per request. Variables so that tests can split small files.
var (
	recordsChunkRecords = client.MaxBatchRecords
	recordsChunkBytes   = 8 << 20
)

// isRecordsFile says whether a --file name is one of records (newline-delimited JSON).
func isRecordsFile(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".jsonl") || strings.HasSuffix(n, ".ndjson")
}

// recordChunks splits a records body into the bodies of requests. A JSON array is sent as it is;
// newline-delimited JSON is cut at line ends, blank lines left out. counts[i] is the number of
// records of chunk i (-1 when not known: an array).
func recordChunks(body []byte) (chunks [][]byte, counts []int) {
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' {
		return [][]byte{t}, []int{-1}
	}
	var cur []byte
	n := 0
	flush := func() {
		if n > 0 {
			chunks, counts = append(chunks, cur), append(counts, n)
		}
		cur, n = nil, 0
	}
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i+1], body[i+1:]
		} else {
			body = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if n > 0 && (n >= recordsChunkRecords || len(cur)+len(line) > recordsChunkBytes) {
			flush()
		}
		cur = append(cur, line...)
		if line[len(line)-1] != '\n' {
			cur = append(cur, '\n')
		}
		n++
	}
	flush()
	return chunks, counts
}

// produceRecordsFile sends the records of file (- for stdin) to topic and shows each record's
// result. Any record that failed makes the command fail after the table.
func (a *app) produceRecordsFile(cmd *cobra.Command, instance, topic, file string) error {
	var body []byte
	var err error
	if file == "" || file == "-" {
		body, err = io.ReadAll(cmd.InOrStdin())
	} else {
		body, err = os.ReadFile(file)
	}
	if err != nil {
		return &usageError{err}
	}
	chunks, counts := recordChunks(body)
	if len(chunks) == 0 {
		return usageErrorf("%s has no records", displayName(file))
	}
	c, id, err := a.instanceClient(cmd, instance)
	if err != nil {
		return err
	}
	all := &client.ProducedRecords{Topic: topic, Records: []client.RecordResult{}}
	for i, ch := range chunks {
		out, err := c.ProduceRecordsBody(cmd.Context(), id, topic, ch)
		if err != nil {
			if i > 0 {
				return fmt.Errorf("records from %d on: %w (the %d records before were written)", len(all.Records), err, len(all.Records))
			}
			return err
		}
		if counts[i] >= 0 && len(out.Records) != counts[i] {
			return fmt.Errorf("the server answered %d results for %d records", len(out.Records), counts[i])
		}
		all.Succeeded += out.Succeeded
		all.Failed += out.Failed
		all.Records = append(all.Records, out.Records...)
	}
	err = a.printer(cmd).print(all, func(t *table) {
		t.row("RECORD", "PARTITION", "OFFSET", "TIMESTAMP", "ERROR")
		for i, r := range all.Records {
			ts := ""
			if r.Timestamp != nil {
				ts = fmtMillis(*r.Timestamp)
			}
			e := ""
			if r.ErrorCode != "" {
				e = r.ErrorCode + ": " + r.ErrorMsg
			}
			p := ""
			if r.Partition != nil {
				p = itoa(int(*r.Partition))
			}
			t.row(itoa(i), p, optInt64(r.Offset), ts, e)
		}
	})
	if err != nil {
		return err
	}
	if all.Failed > 0 {
		return fmt.Errorf("%d of %d records failed (the others were written)", all.Failed, len(all.Records))
	}
	return nil
}

func displayName(file string) string {
	if file == "" || file == "-" {
		return "stdin"
	}
	return file
}
