package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendms/opendms/client"
)

// SASL mechanisms of DMS instances.
const (
	mechanismSCRAM = "SCRAM-SHA-512"
	mechanismPlain = "PLAIN"
)

// passwordPlaceholder stands for the password in settings printed without one: the server never
// returns a password, so the user fills it in.
const passwordPlaceholder = "<PASSWORD>"

// connFlags are the flags that say how to reach an instance's brokers: which listener, as whom.
type connFlags struct {
	listener, user, mechanism string
	passwordStdin             bool
}

func (f *connFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.listener, "listener", "", "the listener to connect to: "+strings.Join(client.ListenerNames, ", ")+
		" (default: the first the instance has of sasl-ssl, sasl-plaintext, plaintext)")
	fl.StringVar(&f.user, "user", "", "the SASL user (default: the instance's administrator, its access_user)")
	fl.StringVar(&f.mechanism, "mechanism", "", "the SASL mechanism: SCRAM-SHA-512 or PLAIN (default: SCRAM-SHA-512 when the instance enables it)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the SASL user's password from the first line of stdin")
}

// kafkaConn is how a Kafka client reaches an instance's brokers: the listener, and for SASL the
// mechanism, the user and the CA of SASL_SSL. Password is "" when not given.
type kafkaConn struct {
	Instance  string          `json:"instance"` // its name
	Listener  client.Listener `json:"listener"`
	Mechanism string          `json:"sasl_mechanism,omitempty"`
	User      string          `json:"sasl_username,omitempty"`
	Password  string          `json:"-"`
	CAFile    string          `json:"ssl_ca_location,omitempty"` // where the CA PEM is (written), absolute
	CA        []byte          `json:"-"`
}

func (k *kafkaConn) sasl() bool { return k.Listener.Protocol != client.ProtocolPlaintext }
func (k *kafkaConn) tls() bool  { return k.Listener.Protocol == client.ProtocolSASLSSL }

// resolveConn shows the instance and picks the listener, the mechanism and the user of f. The CA of
// a SASL_SSL listener is downloaded; the password is read when --password-stdin is given.
func (a *app) resolveConn(cmd *cobra.Command, ref string, f connFlags) (*kafkaConn, error) {
	if f.listener != "" && !slices.Contains(client.ListenerNames, f.listener) {
		return nil, usageErrorf("--listener %q: want one of %s", f.listener, strings.Join(client.ListenerNames, ", "))
	}
	mech := strings.ToUpper(f.mechanism)
	if mech != "" && mech != mechanismSCRAM && mech != mechanismPlain {
		return nil, usageErrorf("--mechanism %q: want SCRAM-SHA-512 or PLAIN", f.mechanism)
	}
	var password string
	if f.passwordStdin {
		var err error
		if password, err = readPassword(cmd, "password"); err != nil {
			return nil, err
		}
	}
	c, id, err := a.instanceClient(cmd, ref)
	if err != nil {
		return nil, err
	}
	ctx := cmd.Context()
	in, err := c.GetInstance(ctx, id)
	if err != nil {
		return nil, err
	}
	l, err := in.Listener(f.listener)
	if err != nil {
		return nil, err
	}
	if len(l.Addresses) == 0 {
		return nil, fmt.Errorf("instance %s publishes no address for its %s listener", in.Name, l.Name)
	}
	k := &kafkaConn{Instance: in.Name, Listener: l}
	if !k.sasl() {
		return k, nil
	}
	k.Mechanism, err = pickMechanism(mech, in.SASLEnabledMechanisms)
	if err != nil {
		return nil, err
	}
	k.User, k.Password = f.user, password
	if k.User == "" {
		k.User = in.AccessUser
	}
	if k.User == "" {
		return nil, usageErrorf("instance %s has no administrator (access_user): give --user", in.Name)
	}
	if k.tls() {
		if k.CA, err = c.InstanceCACertificate(ctx, id); err != nil {
			return nil, fmt.Errorf("the CA certificate of instance %s: %w", in.Name, err)
		}
		if _, err := pemFingerprints(k.CA); err != nil {
			return nil, fmt.Errorf("the server's CA certificate of %s: %w", in.Name, err)
		}
	}
	return k, nil
}

// pickMechanism returns the mechanism asked for if the instance enables it, else the one to use:
// SCRAM-SHA-512 when enabled (the password never crosses the wire), else PLAIN. An instance that
// lists none takes PLAIN (DMS's default).
func pickMechanism(asked string, enabled []string) (string, error) {
	on := func(m string) bool {
		return slices.ContainsFunc(enabled, func(e string) bool { return strings.EqualFold(e, m) })
	}
	switch {
	case asked != "" && (on(asked) || (len(enabled) == 0 && asked == mechanismPlain)):
		return asked, nil
	case asked != "":
		return "", usageErrorf("--mechanism %s: the instance enables %s", asked, strings.Join(enabled, ", "))
	case on(mechanismSCRAM):
		return mechanismSCRAM, nil
	}
	return mechanismPlain, nil
}

// writeCA writes the CA PEM into dir as NAME-ca.pem (public: mode 0644) and remembers its absolute
// path.
func (k *kafkaConn) writeCA(dir string) error {
	abs, err := filepath.Abs(filepath.Join(dir, k.Instance+"-ca.pem"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(abs, k.CA, 0o644); err != nil {
		return err
	}
	if err := os.Chmod(abs, 0o644); err != nil { // an existing file keeps its mode otherwise
		return err
	}
	k.CAFile = abs
	return nil
}

// The formats of 'instance connect'.
const (
	connProperties = "properties"
	connLibrdkafka = "librdkafka"
	connFranzGo    = "franz-go"
	connEnv        = "env"
)

var connFormats = []string{connProperties, connLibrdkafka, connFranzGo, connEnv}

// connFileNames are the files --out-dir writes the settings to.
var connFileNames = map[string]string{
	connProperties: "client.properties", connLibrdkafka: "librdkafka.conf", connFranzGo: "kafka_client.go", connEnv: "kafka.env",
}

func newInstanceConnectCmd(a *app) *cobra.Command {
	var (
		cf     connFlags
		format string
		outDir string
	)
	cmd := &cobra.Command{
		Use:   "connect INSTANCE",
		Short: "Print ready-to-use Kafka client settings of an instance (and write its CA file)",
		Long: `connect prints the settings a Kafka client needs to reach an instance: the brokers of a listener,
security.protocol, and for SASL the mechanism and the user with its password. For a SASL_SSL
listener it downloads the instance's CA certificate and writes it as INSTANCE-ca.pem into
--out-dir (default: the current directory); the settings point at that file.

Formats (--format):
  properties   Java clients and the Apache Kafka tools (--command-config / --consumer.config /
               --producer.config FILE)
  librdkafka   librdkafka clients and kcat (kcat -F FILE); SCRAM against Kafka 4 brokers needs
               librdkafka 2.6.1 or later (older ones fail to authenticate: use --mechanism PLAIN)
  franz-go     a Go function building a franz-go client
  env          shell exports KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM,
               KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SSL_CA_LOCATION

The server never returns a password: give it with --password-stdin, or replace ` + passwordPlaceholder + `
in the output. With --out-dir the settings are also written there (client.properties,
librdkafka.conf, kafka_client.go or kafka.env; mode 0600 when they hold a password).
-o json or yaml prints the settings as data (without the password).`,
		Example: `  dmsctl instance connect kafka-demo > client.properties
  printf '%s\n' "$PASSWORD" | dmsctl instance connect kafka-demo --password-stdin --out-dir ./kafka
  kafka-console-producer.sh --bootstrap-server 10.0.0.1:9093 --topic orders --producer.config ./kafka/client.properties
  dmsctl instance connect kafka-demo --format librdkafka --out-dir . && kcat -F librdkafka.conf -L`,
		Args: exactArgs("INSTANCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(connFormats, format) {
				return usageErrorf("--format %q: want one of %s", format, strings.Join(connFormats, ", "))
			}
			k, err := a.resolveConn(cmd, args[0], cf)
			if err != nil {
				return err
			}
			dir := outDir
			if dir == "" {
				dir = "."
			} else if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			if k.tls() {
				if err := k.writeCA(dir); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "Wrote the CA certificate of instance %s to %s.\n", k.Instance, k.CAFile)
			}
			var text strings.Builder
			if err := k.render(&text, format); err != nil {
				return err
			}
			if outDir != "" {
				file := filepath.Join(outDir, connFileNames[format])
				mode := os.FileMode(0o644)
				if k.Password != "" {
					mode = 0o600
				}
				if err := os.WriteFile(file, []byte(text.String()), mode); err != nil {
					return err
				}
				if err := os.Chmod(file, mode); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "Wrote the %s settings to %s.\n", format, file)
			}
			if k.sasl() && k.Password == "" {
				fmt.Fprintf(stderr, "Replace %s with the password of %s (or give it with --password-stdin).\n", passwordPlaceholder, k.User)
			}
			if p := a.printer(cmd); p.format != formatTable {
				return p.print(k, nil)
			}
			_, err = io.WriteString(cmd.OutOrStdout(), text.String())
			return err
		},
	}
	cf.bind(cmd)
	cmd.Flags().StringVar(&format, "format", connProperties, "settings format: "+strings.Join(connFormats, ", "))
	cmd.Flags().StringVar(&outDir, "out-dir", "", "write the settings and the CA file into this directory (created if needed)")
	return cmd
}

// render writes the settings in a format.
func (k *kafkaConn) render(w io.Writer, format string) error {
	pw := k.Password
	if pw == "" {
		pw = passwordPlaceholder
	}
	servers := strings.Join(k.Listener.Addresses, ",")
	head := fmt.Sprintf("Kafka client settings of instance %s, listener %s (%s), written by dmsctl instance connect.", k.Instance, k.Listener.Name, k.Listener.Protocol)
	var lines []string
	switch format {
	case connProperties:
		lines = []string{"# " + head, "bootstrap.servers=" + servers, "security.protocol=" + k.Listener.Protocol}
		if k.sasl() {
			module := "org.apache.kafka.common.security.scram.ScramLoginModule"
			if k.Mechanism == mechanismPlain {
				module = "org.apache.kafka.common.security.plain.PlainLoginModule"
			}
			jaas := fmt.Sprintf(`%s required username="%s" password="%s";`, module, jaasEscape(k.User), jaasEscape(pw))
			lines = append(lines, "sasl.mechanism="+k.Mechanism, "sasl.jaas.config="+propertyEscape(jaas))
		}
		if k.tls() {
			lines = append(lines, "ssl.truststore.type=PEM", "ssl.truststore.location="+propertyEscape(k.CAFile))
		}
	case connLibrdkafka:
		lines = []string{"# " + head, "bootstrap.servers=" + servers, "security.protocol=" + strings.ToLower(k.Listener.Protocol)}
		if k.sasl() {
			lines = append(lines, "sasl.mechanisms="+k.Mechanism, "sasl.username="+k.User, "sasl.password="+pw)
		}
		if k.tls() {
			lines = append(lines, "ssl.ca.location="+k.CAFile)
		}
	case connEnv:
		lines = []string{"# " + head, "export KAFKA_BOOTSTRAP_SERVERS=" + shellQuote(servers), "export KAFKA_SECURITY_PROTOCOL=" + k.Listener.Protocol}
		if k.sasl() {
			lines = append(lines, "export KAFKA_SASL_MECHANISM="+k.Mechanism, "export KAFKA_SASL_USERNAME="+shellQuote(k.User),
				"export KAFKA_SASL_PASSWORD="+shellQuote(pw))
		}
		if k.tls() {
			lines = append(lines, "export KAFKA_SSL_CA_LOCATION="+shellQuote(k.CAFile))
		}
	case connFranzGo:
		lines = []string{k.franzGo(head, pw)}
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

// franzGo is a Go file with a function that builds a franz-go client of the settings.
func (k *kafkaConn) franzGo(head, pw string) string {
	var seeds []string
	for _, a := range k.Listener.Addresses {
		seeds = append(seeds, strconv.Quote(a))
	}
	imports := []string{`"github.com/twmb/franz-go/pkg/kgo"`}
	opts := []string{"kgo.SeedBrokers(" + strings.Join(seeds, ", ") + "),"}
	var body []string
	if k.tls() {
		imports = append(imports, `"crypto/tls"`, `"crypto/x509"`, `"errors"`, `"os"`)
		body = append(body,
			"\tca, err := os.ReadFile("+strconv.Quote(k.CAFile)+")",
			"\tif err != nil {", "\t\treturn nil, err", "\t}",
			"\tpool := x509.NewCertPool()",
			"\tif !pool.AppendCertsFromPEM(ca) {", "\t\treturn nil, errors.New(\"no certificate in "+strings.ReplaceAll(k.CAFile, `"`, `\"`)+"\")", "\t}")
		opts = append(opts, "kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}),")
	}
	if k.sasl() {
		auth := fmt.Sprintf("User: %s, Pass: %s", strconv.Quote(k.User), strconv.Quote(pw))
		if k.Mechanism == mechanismPlain {
			imports = append(imports, `"github.com/twmb/franz-go/pkg/sasl/plain"`)
			opts = append(opts, "kgo.SASL(plain.Auth{"+auth+"}.AsMechanism()),")
		} else {
			imports = append(imports, `"github.com/twmb/franz-go/pkg/sasl/scram"`)
			opts = append(opts, "kgo.SASL(scram.Auth{"+auth+"}.AsSha512Mechanism()),")
		}
	}
	slices.Sort(imports)
	var b strings.Builder
	fmt.Fprintf(&b, "// %s\n// go get github.com/twmb/franz-go/pkg/kgo\npackage main\n\nimport (\n", head)
	for _, im := range imports {
		fmt.Fprintf(&b, "\t%s\n", im)
	}
	b.WriteString(")\n\n// newKafkaClient returns a franz-go client of the instance; opts add to (or override) its settings.\n")
	b.WriteString("func newKafkaClient(opts ...kgo.Opt) (*kgo.Client, error) {\n")
	for _, l := range body {
		b.WriteString(l + "\n")
	}
	b.WriteString("\treturn kgo.NewClient(append([]kgo.Opt{\n")
	for _, o := range opts {
		b.WriteString("\t\t" + o + "\n")
	}
	b.WriteString("\t}, opts...)...)\n}")
	return b.String()
}

// jaasEscape escapes a value for a double-quoted string of a JAAS configuration (Kafka reads it with
// a StreamTokenizer, where a backslash escapes the next character).
func jaasEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// propertyEscape escapes a value of a Java properties file: backslashes, line breaks, and leading
// spaces, which the format would drop.
func propertyEscape(s string) string {
	s = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "\f", `\f`).Replace(s)
	if strings.HasPrefix(s, " ") {
		s = `\` + s
	}
	return s
}

// shellQuote quotes a value for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
