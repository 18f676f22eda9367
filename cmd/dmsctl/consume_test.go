package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// clientFromProperties builds a franz-go client from the settings of 'instance connect' in the
// properties format, read as a Java client reads them: an independent check that they are enough
// to connect.
func clientFromProperties(t *testing.T, text string, extra ...kgo.Opt) *kgo.Client {
	t.Helper()
	props := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("not a property: %q", line)
		}
		// The values written hold no escapes but the JAAS config's doubled backslashes.
		props[k] = strings.ReplaceAll(v, `\\`, `\`)
	}
	opts := []kgo.Opt{kgo.SeedBrokers(strings.Split(props["bootstrap.servers"], ",")...)}
	proto := props["security.protocol"]
	if proto == "SASL_SSL" {
		if props["ssl.truststore.type"] != "PEM" {
			t.Fatalf("truststore type %q", props["ssl.truststore.type"])
		}
		ca, err := os.ReadFile(props["ssl.truststore.location"])
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			t.Fatalf("no certificate in %s", props["ssl.truststore.location"])
		}
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{RootCAs: pool}))
	}
	if strings.HasPrefix(proto, "SASL_") {
		var user, pass string
		jaas := props["sasl.jaas.config"]
		if _, err := fmt.Sscanf(jaas[strings.Index(jaas, "username="):], "username=%q password=%q;", &user, &pass); err != nil {
			t.Fatalf("sasl.jaas.config %q: %v", jaas, err)
		}
		switch props["sasl.mechanism"] {
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
		case "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
		default:
			t.Fatalf("sasl.mechanism %q", props["sasl.mechanism"])
		}
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// consumed parses the output of 'message consume --format json'.
func consumed(t *testing.T, out string) []consumedRecord {
	t.Helper()
	var recs []consumedRecord
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r consumedRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func values(recs []consumedRecord) string {
	var vs []string
	for _, r := range recs {
		vs = append(vs, r.Value)
	}
	return strings.Join(vs, ",")
}

// TestMessageConsumeEmbedded: on a real server (embedded engine), an instance created by dmsctl,
// messages produced through the API and by a client configured by 'instance connect', read back by
// 'message consume' (whole topic, one partition, from a time, as a group that commits) and 'tail'.
func TestMessageConsumeEmbedded(t *testing.T) {
	embeddedTopic(t, "kafka-cli", "orders", 1)
	const long = 2 * time.Minute
	runCtx(t, long, "", "message", "produce", "kafka-cli", "orders", "one", "--key", "k1", "--header", "trace=abc").wantCode(t, exitOK)
	before := time.Now()
	runCtx(t, long, "", "message", "produce", "kafka-cli", "orders", "two words").wantCode(t, exitOK)

	// The settings of 'instance connect' are enough for a franz-go producer.
	r := runCtx(t, long, "", "instance", "connect", "kafka-cli").wantCode(t, exitOK)
	mustContain(t, "connect", r.stdout, "security.protocol=PLAINTEXT\n")
	cl := clientFromProperties(t, r.stdout)
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("three\n")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	r = runCtx(t, long, "", "message", "consume", "kafka-cli", "orders", "--max", "3").wantCode(t, exitOK)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "partition=0 offset=0 timestamp=") ||
		!strings.HasSuffix(lines[0], " key=k1 header:trace=abc value=one") || !strings.HasSuffix(lines[1], " value=two words") ||
		!strings.HasSuffix(lines[2], ` value="three\n"`) {
		t.Errorf("text output:\n%s", r.stdout)
	}
	mustContain(t, "stderr", r.stderr, "Consumed 3 messages.")

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"json", []string{"--max", "3"}, "one,two words,three\n"},
		{"one partition", []string{"--partition", "0", "--max", "2"}, "one,two words"},
		{"from a time", []string{"--from", before.UTC().Format(time.RFC3339Nano), "--max", "2"}, "two words,three\n"},
		{"from Unix ms", []string{"--from", fmt.Sprint(before.UnixMilli()), "--max", "1"}, "two words"},
		{"a group: part", []string{"--group", "g1", "--max", "2"}, "one,two words"},
		{"a group: the rest, where it committed", []string{"--group", "g1", "--max", "1"}, "three\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCtx(t, long, "", append([]string{"message", "consume", "kafka-cli", "orders", "--format", "json"}, tt.args...)...).wantCode(t, exitOK)
			recs := consumed(t, r.stdout)
			if got := values(recs); got != tt.want {
				t.Errorf("values %q, want %q\n%s", got, tt.want, r.stdout)
			}
			if tt.name == "json" {
				k := recs[0]
				if k.Topic != "orders" || k.Key == nil || *k.Key != "k1" || len(k.Headers) != 1 || k.Headers[0].Name != "trace" ||
					k.Headers[0].Value != "abc" || k.Timestamp <= 0 || recs[2].Offset != 2 || recs[1].Key != nil {
					t.Errorf("records: %s", r.stdout)
				}
			}
		})
	}

	// tail prints what is written after it started: produce until it has seen a message.
	tailed := make(chan result, 1)
	go func() {
		r, timedOut := runWithin(long, "", "message", "tail", "kafka-cli", "orders", "--max", "1", "--format", "json")
		if timedOut {
			r.code = -1
		}
		tailed <- r
	}()
	var tr result
	for done := false; !done; {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("tailed")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		select {
		case tr = <-tailed:
			done = true
		case <-time.After(200 * time.Millisecond):
		}
	}
	if tr.code != exitOK || values(consumed(t, tr.stdout)) != "tailed" || consumed(t, tr.stdout)[0].Offset < 3 {
		t.Errorf("tail: %+v", tr)
	}
}

func TestMessageConsumeErrors(t *testing.T) {
	embeddedTopic(t, "kafka-cli", "orders", 2)
	const long = 2 * time.Minute
	for _, tt := range []struct {
		args    []string
		code    int
		wantErr string
	}{
		{[]string{"orders", "--from-beginning", "--from", "0"}, exitUsage, "--from-beginning and --from are mutually exclusive"},
		{[]string{"orders", "--partition", "0", "--group", "g"}, exitUsage, "--partition reads one partition directly: it does not go with --group"},
		{[]string{"orders", "--format", "yaml"}, exitUsage, `--format "yaml": want text or json`},
		{[]string{"orders", "--from", "yesterday"}, exitUsage, `--from "yesterday": want an RFC 3339 time`},
		{[]string{"orders", "--max", "-1"}, exitUsage, "--max must be >= 0"},
		{[]string{"orders", "--listener", "sasl-ssl"}, exitError, "instance kafka-cli has no sasl-ssl listener; it has plaintext"},
		{[]string{"nope"}, exitError, "topic nope of instance kafka-cli: "},
		{[]string{"orders", "--partition", "2"}, exitError, "topic orders has 2 partitions: there is no partition 2"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCtx(t, long, "", append([]string{"message", "consume", "kafka-cli"}, tt.args...)...).wantCode(t, tt.code)
			mustContain(t, "stderr", r.stderr, tt.wantErr)
		})
	}
}

// Each command's help shows its own examples.
func TestConsumeAndTailHelp(t *testing.T) {
	isolate(t)
	for _, tt := range []struct{ cmd, want, not string }{
		{"consume", "dmsctl message consume kafka-demo", "dmsctl message tail kafka-demo"},
		{"tail", "dmsctl message tail kafka-demo", "dmsctl message consume kafka-demo"},
	} {
		r := runCtx(t, time.Minute, "", "message", tt.cmd, "--help").wantCode(t, exitOK)
		if !strings.Contains(r.stdout, tt.want) || strings.Contains(r.stdout, tt.not) {
			t.Errorf("message %s --help:\n%s", tt.cmd, r.stdout)
		}
	}
}
