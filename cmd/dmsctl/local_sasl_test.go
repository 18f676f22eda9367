package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/engine/local"
)

// TestLocalSASLSSLRoundTrip (issue 10, getting connected) on the local engine (Apache Kafka brokers:
// one cluster for every case): dmsctl creates a SASL_SSL-only instance with SCRAM-SHA-512 and PLAIN
// from flags; 'instance show' shows its listeners; the settings of 'instance connect' (properties,
// each mechanism) configure a real franz-go producer over SASL_SSL; 'message consume' reads the
// messages back over SASL_SSL, as a group too; a wrong password is an error, not a hang.
func TestLocalSASLSSLRoundTrip(t *testing.T) {
	if err := local.Available(local.Options{}); err != nil {
		t.Fatalf("the local engine is not available here (real-Kafka tests fail, never skip): %v", err)
	}
	dir := isolate(t)
	s := newRealDMS(t, "local")
	s.use(t)
	const (
		long     = 6 * time.Minute
		password = "Passw0rd-cli!\n"
	)
	r := runCtx(t, long, password, "instance", "create", "kafka-sasl", "--sasl-ssl", "--sasl-mechanisms", "SCRAM-SHA-512,PLAIN",
		"--access-user", "root1", "--password-stdin", "--wait", "--wait-timeout", "5m").wantCode(t, exitOK)
	t.Logf("instance create --wait:\n%s", r.stderr)
	defer func() { // stop the brokers cleanly (the cleanup kills what is left)
		runCtx(t, long, "", "instance", "delete", "kafka-sasl", "--wait").wantCode(t, exitOK)
	}()

	r = runCtx(t, long, "", "instance", "show", "kafka-sasl").wantCode(t, exitOK)
	mustContain(t, "show", r.stdout, "listener sasl-ssl:", "SASL_SSL ", ":9093", "sasl_mechanisms:", "SCRAM-SHA-512,PLAIN", "access_user:", "root1")
	if strings.Contains(r.stdout, ":9092") {
		t.Errorf("show lists a plaintext address of a SASL_SSL-only instance:\n%s", r.stdout)
	}
	runCtx(t, long, "", "topic", "create", "kafka-sasl", "orders", "--partitions", "1").wantCode(t, exitOK)
	runCtx(t, long, "", "message", "produce", "kafka-sasl", "orders", "by api", "--key", "k0").wantCode(t, exitOK)

	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	for _, tt := range []struct {
		mechanism, value string
		args             []string
	}{
		{"SCRAM-SHA-512", "by scram", nil},
		{"PLAIN", "by plain", []string{"--mechanism", "PLAIN", "--out-dir", filepath.Join(dir, "plain")}},
	} {
		r := runCtx(t, long, password, append([]string{"instance", "connect", "kafka-sasl", "--password-stdin"}, tt.args...)...).wantCode(t, exitOK)
		mustContain(t, "connect", r.stdout, "security.protocol=SASL_SSL\n", "sasl.mechanism="+tt.mechanism+"\n", "ssl.truststore.location=")
		cl := clientFromProperties(t, r.stdout, kgo.RecordRetries(3))
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Key: []byte(tt.mechanism), Value: []byte(tt.value)}).FirstErr(); err != nil {
			t.Fatalf("a producer configured by 'instance connect' (%s): %v\n%s", tt.mechanism, err, r.stdout)
		}
	}
	props := filepath.Join(dir, "plain", "client.properties")
	if b, err := os.ReadFile(props); err != nil || !strings.Contains(string(b), "PlainLoginModule") {
		t.Errorf("--out-dir: %v\n%s", err, b)
	}
	want := "by api,by scram,by plain"
	// The Java client reads the properties file itself (JAAS, the PEM truststore); the local engine
	// needs a JDK, so one is here.
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatal(err)
	}
	{
		libs := local.CachedLibsDir(local.DefaultCacheDir(), local.DefaultKafkaVersion)
		src := filepath.Join(dir, "Produce.java")
		if err := os.WriteFile(src, []byte(javaProducer), 0o600); err != nil {
			t.Fatal(err)
		}
		jctx, jcancel := context.WithTimeout(ctx, 3*time.Minute)
		out, err := exec.CommandContext(jctx, java, "-cp", filepath.Join(libs, "*"), src, props, "orders", "by java").CombinedOutput()
		jcancel()
		if err != nil {
			t.Fatalf("a Java producer with the properties of 'instance connect': %v\n%s", err, out)
		}
		want += ",by java"
	}

	// kcat (librdkafka) reads the librdkafka settings: it produces, then reads back.
	// PLAIN: librdkafka before 2.6.1 (Debian 12 has 2.0.2) fails SCRAM against Kafka 4 brokers
	// (edenhill/kcat#462), whatever the settings.
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat is needed (Debian's kcat package; .ci/run installs it): %v", err)
	}
	{
		out := filepath.Join(dir, "rd")
		runCtx(t, long, password, "instance", "connect", "kafka-sasl", "--password-stdin", "--mechanism", "PLAIN", "--format", "librdkafka",
			"--out-dir", out).wantCode(t, exitOK)
		conf := filepath.Join(out, "librdkafka.conf")
		kctx, kcancel := context.WithTimeout(ctx, 2*time.Minute)
		defer kcancel()
		produce := exec.CommandContext(kctx, kcat, "-F", conf, "-P", "-t", "orders", "-k", "kcat")
		produce.Stdin = strings.NewReader("by kcat\n")
		if b, err := produce.CombinedOutput(); err != nil {
			t.Fatalf("kcat -P with the librdkafka settings of 'instance connect': %v\n%s", err, b)
		}
		want += ",by kcat"
		n := strconv.Itoa(strings.Count(want, ",") + 1)
		b, err := exec.CommandContext(kctx, kcat, "-F", conf, "-C", "-t", "orders", "-o", "beginning", "-c", n, "-e", "-f", "%s\n").Output()
		if err != nil || strings.Join(strings.Fields(strings.ReplaceAll(string(b), " ", "_")), ",") != strings.ReplaceAll(want, " ", "_") {
			t.Errorf("kcat -C read %q (%v), want %s", b, err, want)
		}
	}
	n := strconv.Itoa(strings.Count(want, ",") + 1)
	for _, args := range [][]string{
		{"--max", n},
		{"--mechanism", "PLAIN", "--group", "cli-group", "--max", n},
	} {
		r := runCtx(t, long, password, append([]string{"message", "consume", "kafka-sasl", "orders", "--password-stdin", "--format", "json"}, args...)...).
			wantCode(t, exitOK)
		if got := values(consumed(t, r.stdout)); got != want {
			t.Errorf("consume %s: values %q\n%s", strings.Join(args, " "), got, r.stdout)
		}
	}
	r = runCtx(t, long, "", "group", "list", "kafka-sasl").wantCode(t, exitOK)
	mustContain(t, "group list", r.stdout, "cli-group")

	r = runCtx(t, long, "Wrong-Passw0rd!\n", "message", "consume", "kafka-sasl", "orders", "--password-stdin", "--max", "1").wantCode(t, exitError)
	mustContain(t, "stderr", r.stderr, "connecting to instance kafka-sasl at ", "SASL_SSL listener sasl-ssl")
	t.Logf("wrong password: %s", r.stderr)
}

// javaProducer sends one record with the Java client configured by a properties file: java
// Produce.java FILE TOPIC VALUE.
const javaProducer = `import java.io.FileReader;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class Produce {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        try (FileReader r = new FileReader(args[0])) { p.load(r); }
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("max.block.ms", "60000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            producer.send(new ProducerRecord<>(args[1], "java", args[2])).get();
        }
    }
}
`
