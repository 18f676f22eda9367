package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// kgoOpts are the franz-go options of the connection: the listener's brokers, TLS trusting only the
// instance's CA for SASL_SSL, and the SASL mechanism with the user and password.
func (k *kafkaConn) kgoOpts() ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(k.Listener.Addresses...)}
	if k.tls() {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(k.CA) {
			return nil, fmt.Errorf("the CA certificate of instance %s does not parse", k.Instance)
		}
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	}
	if k.sasl() {
		if k.Mechanism == mechanismPlain {
			opts = append(opts, kgo.SASL(plain.Auth{User: k.User, Pass: k.Password}.AsMechanism()))
		} else {
			opts = append(opts, kgo.SASL(scram.Auth{User: k.User, Pass: k.Password}.AsSha512Mechanism()))
		}
	}
	return opts, nil
}

// connectTimeout bounds the first look at the cluster (the topic's metadata), so that a wrong
// listener, password or CA fails with an error instead of a consumer waiting forever.
const connectTimeout = 30 * time.Second

// The formats of 'message consume'.
const (
	recordText = "text"
	recordJSON = "json"
)

func newMessageConsumeCmd(a *app, tail bool) *cobra.Command {
	var (
		cf            connFlags
		group, from   string
		format        string
		fromBeginning bool
		partition     int
		maxRecords    int
	)
	use, short, long := "consume INSTANCE TOPIC", "Consume a topic's messages with a Kafka consumer (franz-go), from the beginning",
		`consume reads a topic with a real Kafka consumer (franz-go) connected to the instance's brokers, as any
client would: the listener of --listener (default: the first of sasl-ssl, sasl-plaintext,
plaintext), TLS trusting the instance's CA for SASL_SSL, SASL as --user (default: the instance's
administrator) with SCRAM-SHA-512 or PLAIN, the password from --password-stdin or a prompt.

It starts at the START of each partition (--from TIME: at the first message written at or after
TIME; times are RFC 3339 or Unix milliseconds) and prints each message: partition, offset,
timestamp, key, headers, value. Without --group it reads every partition (or the one of
--partition) without committing anything; with --group it joins that consumer group, starts where
the group committed (the start above applies when the group has no commit) and commits what it
printed. It runs until Ctrl-C, or until --max messages.

Text keys, values and headers are shown as they are (quoted when they hold spaces or control
characters); others in base64, marked "base64:". --format json prints one JSON object per message.`
	example := `  dmsctl message consume kafka-demo orders --max 10
  printf '%s\n' "$PASSWORD" | dmsctl message consume kafka-demo orders --user app --password-stdin --group billing
  dmsctl message consume kafka-demo orders --from 2025-01-02T00:00:00Z --partition 0 --format json`
	if tail {
		use, short = "tail INSTANCE TOPIC", "Follow a topic: print the messages written from now on (a Kafka consumer)"
		long = strings.Replace(strings.Replace(long, "consume reads", "tail reads", 1), "the START of each partition", "the end of each partition", 1)
		example = `  dmsctl message tail kafka-demo orders
  dmsctl message tail kafka-demo orders --group watcher --format json`
	} else {
		long = strings.Replace(long, "the START of each partition", "the beginning of each partition", 1)
	}
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		Args: exactArgs("INSTANCE", "TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			start := kgo.NewOffset().AtStart()
			if tail {
				start = kgo.NewOffset().AtEnd()
			}
			switch {
			case format != recordText && format != recordJSON:
				return usageErrorf("--format %q: want text or json", format)
			case fromBeginning && from != "":
				return usageErrorf("--from-beginning and --from are mutually exclusive")
			case fl.Changed("partition") && partition < 0:
				return usageErrorf("--partition must be a partition number (>= 0)")
			case fl.Changed("partition") && group != "":
				return usageErrorf("--partition reads one partition directly: it does not go with --group")
			case maxRecords < 0:
				return usageErrorf("--max must be >= 0 (0: no limit)")
			case fromBeginning:
				start = kgo.NewOffset().AtStart()
			case from != "":
				t, err := parseTime("from", from)
				if err != nil {
					return err
				}
				start = kgo.NewOffset().AfterMilli(t.UnixMilli())
			}
			k, err := a.resolveConn(cmd, args[0], cf)
			if err != nil {
				return err
			}
			if k.sasl() && k.Password == "" {
				if k.Password, err = promptPassword(cmd, "password of "+k.User); err != nil {
					return err
				}
			}
			opts, err := k.kgoOpts()
			if err != nil {
				return err
			}
			topic := args[1]
			if fl.Changed("partition") {
				opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {int32(partition): start}}))
			} else {
				opts = append(opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(start))
			}
			if group != "" {
				// Commit only what was printed: --max or Ctrl-C may stop in the middle of a poll.
				opts = append(opts, kgo.ConsumerGroup(group), kgo.AutoCommitMarks())
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cl, err := kgo.NewClient(opts...)
			if err != nil {
				return err
			}
			defer cl.Close()
			if err := checkTopic(ctx, cl, k, topic, partition, fl.Changed("partition")); err != nil {
				return err
			}
			n, err := consume(ctx, cl, cmd.OutOrStdout(), format, maxRecords, group != "")
			if group != "" {
				// Ctrl-C cancelled ctx: commit with a context of its own.
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				if cerr := cl.CommitMarkedOffsets(cctx); cerr != nil && err == nil {
					err = fmt.Errorf("committing the offsets of group %s: %w", group, cerr)
				}
				cancel()
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Consumed %d messages.\n", n)
			return err
		},
	}
	cf.bind(cmd)
	f := cmd.Flags()
	f.StringVar(&group, "group", "", "consume as this consumer group, committing the offsets of the messages printed")
	if !tail {
		f.BoolVar(&fromBeginning, "from-beginning", false, "start at the beginning of each partition (the default of consume)")
	}
	f.StringVar(&from, "from", "", "start at the first message written at or after this time (RFC 3339 or Unix ms)")
	f.IntVar(&partition, "partition", 0, "read only this partition")
	f.StringVar(&format, "format", recordText, "output: text (a line per message) or json (an object per line)")
	f.IntVar(&maxRecords, "max", 0, "stop after this many messages (0: run until Ctrl-C)")
	return cmd
}

// checkTopic looks the topic up before consuming: a missing topic or partition, a refused login or an
// unreachable listener is an error instead of a consumer that waits for ever.
func checkTopic(ctx context.Context, cl *kgo.Client, k *kafkaConn, topic string, partition int, onePartition bool) error {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	tds, err := kadm.NewClient(cl).ListTopics(cctx, topic)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("connecting to instance %s at %s (%s listener %s): %w", k.Instance, strings.Join(k.Listener.Addresses, ","),
			k.Listener.Protocol, k.Listener.Name, err)
	}
	td, ok := tds[topic]
	if !ok || td.Err != nil {
		return fmt.Errorf("topic %s of instance %s: %w", topic, k.Instance, orNotFound(td.Err))
	}
	if onePartition && partition >= len(td.Partitions) {
		return fmt.Errorf("topic %s has %d partitions: there is no partition %d", topic, len(td.Partitions), partition)
	}
	return nil
}

func orNotFound(err error) error {
	if err == nil {
		return errors.New("no such topic")
	}
	return err
}

// consume prints records until ctx ends or max records (0: no limit) were printed, and returns how
// many it printed. With a group, the records printed are marked for commit.
func consume(ctx context.Context, cl *kgo.Client, w io.Writer, format string, max int, group bool) (int, error) {
	n := 0
	for max == 0 || n < max {
		fs := cl.PollRecords(ctx, max-n) // 0 or less: whatever was fetched
		if ctx.Err() != nil {
			return n, nil // Ctrl-C: a clean stop
		}
		for _, fe := range fs.Errors() {
			if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, kgo.ErrClientClosed) {
				return n, nil
			}
			return n, fmt.Errorf("consuming %s partition %d: %w", fe.Topic, fe.Partition, fe.Err)
		}
		for _, r := range fs.Records() {
			if err := printRecord(w, format, r); err != nil {
				return n, err
			}
			if group {
				cl.MarkCommitRecords(r)
			}
			n++
		}
	}
	return n, nil
}

// consumedRecord is a record as --format json prints it (the names of 'message query -o json').
type consumedRecord struct {
	Topic         string           `json:"topic"`
	Partition     int32            `json:"partition"`
	Offset        int64            `json:"message_offset"`
	Timestamp     int64            `json:"timestamp"` // Unix ms
	Key           *string          `json:"key"`
	KeyEncoding   string           `json:"key_encoding,omitempty"`
	Value         string           `json:"value"`
	ValueEncoding string           `json:"value_encoding,omitempty"`
	Headers       []consumedHeader `json:"headers"`
}

type consumedHeader struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Encoding string `json:"encoding,omitempty"`
}

// encodeBytes returns b as text when it is UTF-8, else in base64 with the encoding "base64".
func encodeBytes(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

func printRecord(w io.Writer, format string, r *kgo.Record) error {
	if format == recordJSON {
		out := consumedRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UnixMilli(), Headers: []consumedHeader{}}
		if r.Key != nil {
			k, enc := encodeBytes(r.Key)
			out.Key, out.KeyEncoding = &k, enc
		}
		out.Value, out.ValueEncoding = encodeBytes(r.Value)
		for _, h := range r.Headers {
			v, enc := encodeBytes(h.Value)
			out.Headers = append(out.Headers, consumedHeader{Name: h.Key, Value: v, Encoding: enc})
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "partition=%d offset=%d timestamp=%s", r.Partition, r.Offset, r.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	if r.Key != nil {
		b.WriteString(" key=" + shownText(r.Key))
	}
	for _, h := range r.Headers {
		b.WriteString(" header:" + shownText([]byte(h.Key)) + "=" + shownText(h.Value))
	}
	b.WriteString(" value=" + shownValue(r.Value) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// shownText is bytes on a line of text output: as they are when they are plain text, quoted when
// they hold spaces, '=', quotes or control characters (so a line stays one message), in base64
// ("base64:...") when they are not UTF-8.
func shownText(b []byte) string {
	if !utf8.Valid(b) {
		return "base64:" + base64.StdEncoding.EncodeToString(b)
	}
	s := string(b)
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '=' || r == '"' }) ||
		strings.HasPrefix(s, "base64:") {
		return strconv.Quote(s)
	}
	return s
}

// shownValue is shownText for the value, the last field of a line: only line breaks and other
// control characters need quoting there, so JSON and sentences show as they are.
func shownValue(b []byte) string {
	if !utf8.Valid(b) {
		return "base64:" + base64.StdEncoding.EncodeToString(b)
	}
	s := string(b)
	if strings.ContainsFunc(s, unicode.IsControl) || strings.HasPrefix(s, "base64:") || strings.HasPrefix(s, `"`) ||
		strings.TrimSpace(s) != s {
		return strconv.Quote(s)
	}
	return s
}
