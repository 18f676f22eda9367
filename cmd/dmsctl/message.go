package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// newMessageCmd is the messages of an instance's topics (API reference 5.5.1, 5.8.1-5.8.6).
func newMessageCmd(a *app) *cobra.Command {
	return groupCmd("message", "Produce, consume, query and delete the messages of a topic",
		newMessageProduceCmd(a),
		newMessageConsumeCmd(a, false),
		newMessageConsumeCmd(a, true),
		newMessageQueryCmd(a),
		newMessageOffsetsCmd(a),
		newMessageDeleteCmd(a),
	)
}

func newMessageProduceCmd(a *app) *cobra.Command {
	var (
		key, file string
		records   bool
		partition int
		headers   []string
	)
	cmd := &cobra.Command{
		Use:   "produce INSTANCE TOPIC [VALUE]",
		Short: "Produce one message to a topic (the value from the argument, --file or stdin)",
		Long: `produce writes one message (POST .../messages/action?action_id=send) and shows where it was
written. The value is VALUE, else the content of --file (- for stdin), else stdin; a file or stdin
is sent as it is, a final newline included (use printf, or echo -n, to leave it out). The value
must be text (UTF-8): the API carries it in a JSON string.

Without --partition the partition is chosen by the key's hash, or spread when there is no key.

size is the message's size as 'message query' shows it: the bytes of the value, key and headers
not counted.

With --records, or a --file named *.jsonl or *.ndjson, the file (or stdin) holds records: one JSON
object a line (or a JSON array of them), each
  {"key":"k1","value":"text","headers":[{"name":"h","value":"v"}],"partition":0,"timestamp":1735787045046}
where key, value and header values are text, or {"type":"binary","data":"<base64>"}; partition and
timestamp (Unix ms or RFC 3339) are optional. They are sent through OpenDMS's batched produce API
(POST /opendms/v1/{project_id}/instances/{instance_id}/topics/{topic}/records), up to 10,000 records
a request, and each record's partition and offset, or its error, is shown in order.`,
		Example: `  dmsctl message produce kafka-demo orders '{"id":1}' --key order-1 --header source=cli
  dmsctl message produce kafka-demo orders --file records.jsonl
  dmsctl message produce kafka-demo orders --partition 2 --file order.json
  printf 'hello' | dmsctl message produce kafka-demo orders`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 || len(args) > 3 {
				return usageErrorf("%s needs INSTANCE TOPIC [VALUE] (got %d arguments)", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if records || isRecordsFile(file) {
				if len(args) == 3 || fl.Changed("key") || fl.Changed("partition") || len(headers) > 0 {
					return usageErrorf("a file of records gives each record's key, partition and headers: VALUE, --key, --partition and --header do not apply")
				}
				return a.produceRecordsFile(cmd, args[0], args[1], file)
			}
			req := client.ProduceMessageRequest{Topic: args[1], PropertyList: []client.MessageProperty{}}
			if fl.Changed("key") {
				req.PropertyList = append(req.PropertyList, client.MessageProperty{Name: client.PropertyKey, Value: key})
			}
			if fl.Changed("partition") {
				if partition < 0 {
					return usageErrorf("--partition must be a partition number (>= 0)")
				}
				req.PropertyList = append(req.PropertyList, client.MessageProperty{Name: client.PropertyPartition, Value: itoa(partition)})
			}
			seen := map[string]bool{}
			for _, h := range headers {
				k, v, ok := strings.Cut(h, "=")
				if !ok || k == "" {
					return usageErrorf("--header %q: want name=value", h)
				}
				if strings.EqualFold(k, client.PropertyKey) || strings.EqualFold(k, client.PropertyPartition) {
					return usageErrorf("--header %s: the API reads a property named %s as the message's %s; use --%s", k, strings.ToUpper(k),
						strings.ToLower(k), strings.ToLower(k))
				}
				if seen[k] {
					return usageErrorf("--header names %s twice", k)
				}
				seen[k] = true
				req.PropertyList = append(req.PropertyList, client.MessageProperty{Name: k, Value: v})
			}
			var value []byte
			switch {
			case len(args) == 3 && file != "":
				return usageErrorf("give the value as an argument or with --file, not both")
			case len(args) == 3:
				value = []byte(args[2])
			case file != "" && file != "-":
				b, err := os.ReadFile(file)
				if err != nil {
					return &usageError{err}
				}
				value = b
			default:
				b, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return fmt.Errorf("reading the value from stdin: %w", err)
				}
				value = b
			}
			if !utf8.Valid(value) {
				return usageErrorf("the value is not text (UTF-8): the API cannot carry binary messages")
			}
			req.Body = string(value)
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			out, err := c.ProduceMessage(cmd.Context(), id, req)
			if err != nil {
				return err
			}
			return a.printer(cmd).print(out, func(t *table) {
				ts := ""
				if out.Timestamp != nil {
					ts = fmtMillis(*out.Timestamp)
				}
				// The server's size when it tells one (OpenDMS does): the same number 'message query'
				// shows. Else the value's bytes, which is what it means.
				size := int64(len(value))
				if out.Size != nil {
					size = *out.Size
				}
				t.keyValues("topic", req.Topic, "partition", optInt(out.Partition), "offset", optInt64(out.MessageOffset), "timestamp", ts,
					"size", i64toa(size))
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "the message's key (none by default)")
	f.IntVar(&partition, "partition", 0, "the partition to write to (default: chosen by the key's hash)")
	f.StringArrayVar(&headers, "header", nil, "a record header: name=value (repeatable)")
	f.StringVar(&file, "file", "", "read the value from this file (- for stdin); a .jsonl or .ndjson file holds records (see --records)")
	f.BoolVar(&records, "records", false, "--file (or stdin) holds records, one JSON object a line or a JSON array, sent through the batched produce API")
	return cmd
}

// parseTime reads a time of a flag: RFC 3339 (2025-01-02T03:04:05Z, with an optional fraction) or
// Unix milliseconds.
func parseTime(flag, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return time.Time{}, usageErrorf("--%s %s: a time cannot be negative", flag, v)
		}
		return time.UnixMilli(n).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, usageErrorf("--%s %q: want an RFC 3339 time (2025-01-02T03:04:05Z) or Unix milliseconds", flag, v)
	}
	return t, nil
}

// displayCut is how many characters of a value the table of a search shows.
const displayCut = 80

// cut shortens s to n characters, marking the cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "..."
}

// shownBytes is a key or value as a table shows it: base64 ones are marked.
func shownBytes(s, encoding string) string {
	if encoding != "" {
		return encoding + ":" + s
	}
	return s
}

func shownKey(m client.Message) string {
	if m.Key == nil {
		return ""
	}
	return shownBytes(*m.Key, m.KeyEncoding)
}

func newMessageQueryCmd(a *app) *cobra.Command {
	var (
		partition, limit, page int
		offset                 int64
		from, to, keyword      string
		asc, download          bool
	)
	cmd := &cobra.Command{
		Use:   "query INSTANCE TOPIC",
		Short: "Query messages: by time range (newest first, paged), by keyword, or the one at a partition and offset",
		Long: `query reads messages (GET /v2/{project_id}/instances/{instance_id}/messages) in one of two modes:

  --partition N --offset O   the message at that offset of that partition;
  otherwise                  the messages written between --from and --to (both optional: from the
                             start, to now), newest first (--asc: oldest first), --limit per page,
                             page --page; --partition narrows it to one partition, --keyword to
                             the messages whose key or value contains the word.

Times are RFC 3339 (2025-01-02T03:04:05Z) or Unix milliseconds. The table shows values cut to
` + strconv.Itoa(displayCut) + ` characters unless --download is given (json and yaml show what the server sent); the
server itself cuts long values (huge_message) unless --download is given. Keys or values that are
not text are shown in base64, marked "base64:". SIZE is the bytes of the value (key and headers not
counted), as 'message produce' reports it.`,
		Example: `  dmsctl message query kafka-demo orders --from 2025-01-02T00:00:00Z --to 2025-01-03T00:00:00Z --limit 20
  dmsctl message query kafka-demo orders --keyword order-1
  dmsctl message query kafka-demo orders --partition 0 --offset 42 --download -o json`,
		Args: exactArgs("INSTANCE", "TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			q := client.MessageQuery{Topic: args[1], Download: download}
			byOffset := fl.Changed("offset")
			if fl.Changed("partition") {
				if partition < 0 {
					return usageErrorf("--partition must be a partition number (>= 0)")
				}
				q.Partition = &partition
			}
			if byOffset {
				switch {
				case q.Partition == nil:
					return usageErrorf("--offset needs --partition")
				case offset < 0:
					return usageErrorf("--offset must be >= 0")
				case from != "" || to != "" || keyword != "" || fl.Changed("limit") || fl.Changed("page") || asc:
					return usageErrorf("--offset reads one message: it goes with neither --from, --to, --keyword, --limit, --page nor --asc")
				}
				q.MessageOffset = &offset
			} else {
				var err error
				if from != "" {
					if q.Start, err = parseTime("from", from); err != nil {
						return err
					}
				}
				if to != "" {
					if q.End, err = parseTime("to", to); err != nil {
						return err
					}
				}
				if !q.Start.IsZero() && !q.End.IsZero() && q.End.Before(q.Start) {
					return usageErrorf("--to is before --from")
				}
				if limit < 1 {
					return usageErrorf("--limit must be at least 1")
				}
				if page < 1 {
					return usageErrorf("--page must be at least 1")
				}
				q.Keyword, q.Asc, q.Limit = keyword, asc, limit
				if fl.Changed("page") {
					q.Page = page
				}
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			res, err := c.QueryMessages(cmd.Context(), id, q)
			if err != nil {
				return err
			}
			p := a.printer(cmd)
			if byOffset {
				if len(res.Messages) == 0 {
					if err := p.print(res, func(*table) {}); err != nil {
						return err
					}
					p.note("No message at offset %d of partition %d (removed by compaction, or a transaction marker).", offset, partition)
					return nil
				}
				return p.print(res, func(t *table) { messageDetails(t, res.Messages[0]) })
			}
			if err := p.print(res, func(t *table) {
				t.row("PARTITION", "OFFSET", "TIMESTAMP", "KEY", "SIZE", "VALUE")
				for _, m := range res.Messages {
					v := shownBytes(m.Value, m.ValueEncoding)
					if !download {
						v = cut(v, displayCut)
					}
					t.row(itoa(m.Partition), i64toa(m.MessageOffset), fmtMillis(m.Timestamp), shownKey(m), itoa(m.Size), v)
				}
			}); err != nil {
				return err
			}
			pages, shown := res.Pages, res.Page
			if pages == 0 && res.Total > 0 {
				pages = int((res.Total + int64(limit) - 1) / int64(limit))
			}
			if shown == 0 {
				shown = max(1, q.Page)
			}
			if res.Total == 0 && len(res.Messages) == 0 {
				p.note("No messages.")
			} else {
				p.note("Page %d of %d (%d messages).", shown, pages, res.Total)
			}
			if res.Truncated {
				fmt.Fprintln(cmd.ErrOrStderr(), "dmsctl: the search stopped at a bound of the server before the end of the time range; "+
					"narrow it (--from, --to, --partition) to see every match")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&partition, "partition", 0, "the partition (with --offset: required; else: only this partition)")
	f.Int64Var(&offset, "offset", 0, "the offset of the message to read (with --partition)")
	f.StringVar(&from, "from", "", "messages written at or after this time (RFC 3339 or Unix ms)")
	f.StringVar(&to, "to", "", "messages written at or before this time (RFC 3339 or Unix ms)")
	f.StringVar(&keyword, "keyword", "", "only messages whose key or value contains this")
	f.IntVar(&limit, "limit", 10, "messages per page")
	f.IntVar(&page, "page", 1, "the page to show, from 1")
	f.BoolVar(&asc, "asc", false, "oldest first")
	f.BoolVar(&download, "download", false, "get whole values (not cut by the server or the table)")
	return cmd
}

// messageDetails writes one message as "key: value" lines.
func messageDetails(t *table, m client.Message) {
	hs := make([]string, 0, len(m.Headers))
	for _, h := range m.Headers {
		hs = append(hs, h.Name+"="+shownBytes(h.Value, h.Encoding))
	}
	t.keyValues(
		"topic", m.Topic,
		"partition", itoa(m.Partition),
		"offset", i64toa(m.MessageOffset),
		"timestamp", fmtMillis(m.Timestamp),
		"key", shownKey(m),
		"size", itoa(m.Size),
		"huge_message", fmtBool(m.HugeMessage),
		"headers", strings.Join(hs, ","),
		"value", shownBytes(m.Value, m.ValueEncoding),
	)
}

func newMessageOffsetsCmd(a *app) *cobra.Command {
	var partition int
	cmd := &cobra.Command{
		Use:   "offsets INSTANCE TOPIC",
		Short: "Show the offsets and times of the first and last messages of each partition",
		Long: `offsets shows, for each partition of a topic (or the one of --partition), the offset and time of its
earliest message (GET .../partitions/{p}/beginning-message) and of its latest one
(.../end-message).

EARLIEST is the offset of the first message: 'topic partitions' START_OFFSET. LATEST is the offset
of the last message: 'topic partitions' END_OFFSET minus one (END_OFFSET is where the next message
goes). A partition without a message shows "-" for both (the API answers offset -1); its
END_OFFSET is in 'topic partitions'.`,
		Example: `  dmsctl message offsets kafka-demo orders
  dmsctl message offsets kafka-demo orders --partition 0 -o json`,
		Args: exactArgs("INSTANCE", "TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("partition") && partition < 0 {
				return usageErrorf("--partition must be a partition number (>= 0)")
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			ctx, topic := cmd.Context(), args[1]
			var parts []int
			if cmd.Flags().Changed("partition") {
				parts = []int{partition}
			} else {
				ps, err := c.TopicPartitions(ctx, id, topic)
				if err != nil {
					return err
				}
				for _, p := range ps {
					parts = append(parts, p.Partition)
				}
			}
			out := []client.PartitionOffsets{}
			for _, p := range parts {
				o, err := c.PartitionOffsets(ctx, id, topic, p)
				if err != nil {
					return err
				}
				out = append(out, *o)
			}
			return a.printer(cmd).print(out, func(t *table) {
				t.row("PARTITION", "EARLIEST", "EARLIEST_TIME", "LATEST", "LATEST_TIME")
				for _, o := range out {
					t.row(itoa(o.Partition), positionOffset(o.Earliest), fmtMillis(o.Earliest.Timestamp), positionOffset(o.Latest),
						fmtMillis(o.Latest.Timestamp))
				}
			})
		},
	}
	cmd.Flags().IntVar(&partition, "partition", 0, "only this partition")
	return cmd
}

// positionOffset is a message's offset in a table: "" (shown "-") when the partition holds no
// message, so that an empty partition does not read as one with a message at offset 0.
func positionOffset(p client.MessagePosition) string {
	if p.None() {
		return ""
	}
	return i64toa(p.Offset)
}

func newMessageDeleteCmd(a *app) *cobra.Command {
	var (
		partitions []int
		before     []int64
	)
	cmd := &cobra.Command{
		Use:   "delete INSTANCE TOPIC --partition N --before OFFSET...",
		Short: "Delete the messages of partitions before an offset",
		Long: `delete removes, in each partition given, every message before the offset given (POST
.../topics/{topic}/messages/delete, Kafka's DeleteRecords): the partition then starts at that offset,
for every consumer. --partition and --before pair up in order; a single --before applies to every
--partition. --before -1 deletes every message of the partition. The exit status is 1 when any
partition failed.`,
		Example: `  dmsctl message delete kafka-demo orders --partition 0 --before 42
  dmsctl message delete kafka-demo orders --partition 0 --before 10 --partition 1 --before 7
  dmsctl message delete kafka-demo orders --partition 0,1,2 --before -1`,
		Args: exactArgs("INSTANCE", "TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(partitions) == 0 || len(before) == 0 {
				return usageErrorf("give --partition N and --before OFFSET")
			}
			if len(before) != 1 && len(before) != len(partitions) {
				return usageErrorf("%d --partition but %d --before: give one --before per --partition, or a single one for all", len(partitions), len(before))
			}
			var parts []client.PartitionOffset
			seen := map[int]bool{}
			for i, p := range partitions {
				o := before[0]
				if len(before) > 1 {
					o = before[i]
				}
				switch {
				case p < 0:
					return usageErrorf("--partition %d is not a partition number", p)
				case o < -1:
					return usageErrorf("--before %d: want an offset >= 0, or -1 for every message", o)
				case seen[p]:
					return usageErrorf("--partition %d is given twice", p)
				}
				seen[p] = true
				parts = append(parts, client.PartitionOffset{Partition: p, Offset: o})
			}
			c, id, err := a.instanceClient(cmd, args[0])
			if err != nil {
				return err
			}
			results, err := c.DeleteMessages(cmd.Context(), id, args[1], parts)
			if err != nil {
				return err
			}
			failed := 0
			for _, r := range results {
				if !r.OK() {
					failed++
				}
			}
			if err := a.printer(cmd).print(results, func(t *table) {
				t.row("PARTITION", "RESULT", "START_OFFSET", "ERROR")
				for _, r := range results {
					msg := ""
					if !r.OK() {
						msg = strings.TrimSpace("error " + r.ErrorCode + " " + r.ErrorMsg)
					}
					t.row(itoa(r.Partition), r.Result, optInt64(r.StartOffset), msg)
				}
			}); err != nil {
				return err
			}
			if failed > 0 {
				return fmt.Errorf("deleting messages failed for %d of %d partitions", failed, len(results))
			}
			return nil
		},
	}
	cmd.Flags().IntSliceVar(&partitions, "partition", nil, "a partition (repeatable, or comma-separated)")
	cmd.Flags().Int64SliceVar(&before, "before", nil, "delete the messages before this offset (-1: all); repeatable, paired with --partition")
	return cmd
}
