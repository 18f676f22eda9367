package main

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

// testCAPEM returns a self-signed CA certificate in PEM.
func testCAPEM(t *testing.T) string {
	ca, _ := testCA(t, "test CA")
	return ca
}

// TestInstanceConnect: the settings of each format, for a SASL_SSL listener (with the CA file
// written), a plaintext one, PLAIN, and a password given on stdin.
func TestInstanceConnect(t *testing.T) {
	ca := testCAPEM(t)
	const plainJSON = `{"instance_id":"` + iid + `","name":"kafka-plain","connect_address":"10.0.0.1","port":9092,` +
		`"port_protocols":{"private_plain_enable":true,"private_plain_address":"10.0.0.1:9092"}}`
	const jaasScram = `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="root1" password="<PASSWORD>";`
	tests := []struct {
		name     string
		instance string
		args     []string
		stdin    string
		want     []string // lines of stdout, the CA file's path written as CA
		wantErr  []string // in stderr
		noCA     bool
	}{
		{"properties", saslInstanceJSON, nil, "", []string{
			"# Kafka client settings of instance kafka-sasl, listener sasl-ssl (SASL_SSL), written by dmsctl instance connect.",
			"bootstrap.servers=10.0.0.1:9093,10.0.0.2:9093,10.0.0.3:9093", "security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512",
			jaasScram, "ssl.truststore.type=PEM", "ssl.truststore.location=CA"},
			[]string{"Wrote the CA certificate of instance kafka-sasl to ", "Replace <PASSWORD> with the password of root1"}, false},
		{"properties, PLAIN, another user, password from stdin", saslInstanceJSON, []string{"--mechanism", "plain", "--user", "app", "--password-stdin"},
			"pa\\ss\"w0rd\n", []string{"#", "bootstrap.servers=10.0.0.1:9093,10.0.0.2:9093,10.0.0.3:9093", "security.protocol=SASL_SSL",
				"sasl.mechanism=PLAIN",
				`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="app" password="pa\\\\ss\\"w0rd";`,
				"ssl.truststore.type=PEM", "ssl.truststore.location=CA"}, nil, false},
		{"librdkafka", saslInstanceJSON, []string{"--format", "librdkafka"}, "", []string{"#",
			"bootstrap.servers=10.0.0.1:9093,10.0.0.2:9093,10.0.0.3:9093", "security.protocol=sasl_ssl", "sasl.mechanisms=SCRAM-SHA-512",
			"sasl.username=root1", "sasl.password=<PASSWORD>", "ssl.ca.location=CA"}, nil, false},
		{"env", saslInstanceJSON, []string{"--format", "env"}, "", []string{"#",
			"export KAFKA_BOOTSTRAP_SERVERS='10.0.0.1:9093,10.0.0.2:9093,10.0.0.3:9093'", "export KAFKA_SECURITY_PROTOCOL=SASL_SSL",
			"export KAFKA_SASL_MECHANISM=SCRAM-SHA-512", "export KAFKA_SASL_USERNAME='root1'", "export KAFKA_SASL_PASSWORD='<PASSWORD>'",
			"export KAFKA_SSL_CA_LOCATION='CA'"}, nil, false},
		{"public listener", saslInstanceJSON, []string{"--listener", "public-sasl-ssl", "--format", "librdkafka"}, "", []string{"#",
			"bootstrap.servers=203.0.113.1:9095,203.0.113.2:9095,203.0.113.3:9095", "security.protocol=sasl_ssl", "sasl.mechanisms=SCRAM-SHA-512",
			"sasl.username=root1", "sasl.password=<PASSWORD>", "ssl.ca.location=CA"}, nil, false},
		{"SASL_PLAINTEXT: no CA", `{"instance_id":"` + iid + `","name":"kafka-sp","connect_address":"10.0.0.1","access_user":"root1",` +
			`"sasl_enabled_mechanisms":["PLAIN"],"port_protocols":{"private_sasl_plaintext_enable":true,"private_sasl_plaintext_address":"10.0.0.1:9093"}}`,
			nil, "", []string{"#", "bootstrap.servers=10.0.0.1:9093", "security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN",
				`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="root1" password="<PASSWORD>";`}, nil, true},
		{"plaintext", plainJSON, nil, "", []string{"# Kafka client settings of instance kafka-plain, listener plaintext (PLAINTEXT), written by dmsctl instance connect.",
			"bootstrap.servers=10.0.0.1:9092", "security.protocol=PLAINTEXT"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			f := newFakeDMS(t, map[string]clienttest.Reply{"GET " + ipath: replyOK(tt.instance), "GET " + caPath: {Status: 200, Body: ca,
				Header: map[string]string{"Content-Type": "application/x-pem-file"}}})
			useFake(t, f, testPID)
			r := run(t, tt.stdin, append([]string{"instance", "connect", iid}, tt.args...)...).wantCode(t, exitOK)
			allSigned(t, f)
			caFile := filepath.Join(dir, "kafka-sasl-ca.pem")
			want := strings.ReplaceAll(strings.Join(tt.want, "\n")+"\n", "=CA", "="+caFile)
			want = strings.ReplaceAll(want, "'CA'", "'"+caFile+"'")
			got := r.stdout
			if strings.HasPrefix(tt.want[0], "#") && len(tt.want[0]) == 1 { // the comment line is checked once, above
				_, got, _ = strings.Cut(got, "\n")
				_, want, _ = strings.Cut(want, "\n")
			}
			if got != want {
				t.Errorf("stdout =\n%s\nwant\n%s", got, want)
			}
			mustContain(t, "stderr", r.stderr, tt.wantErr...)
			b, err := os.ReadFile(caFile)
			switch {
			case tt.noCA && err == nil:
				t.Error("a CA file was written for a plaintext listener")
			case !tt.noCA && string(b) != ca:
				t.Errorf("CA file: %v\n%s", err, b)
			}
		})
	}
}

// TestInstanceConnectOutDir: --out-dir holds the CA and the settings, private when they hold a
// password; -o json shows the settings without the password; franz-go output is Go.
func TestInstanceConnectOutDir(t *testing.T) {
	dir := isolate(t)
	f := newFakeDMS(t, map[string]clienttest.Reply{"GET " + ipath: replyOK(saslInstanceJSON), "GET " + caPath: replyOK(testCAPEM(t))})
	useFake(t, f, testPID)
	out := filepath.Join(dir, "kafka")
	r := run(t, "s3cret-Passw0rd\n", "instance", "connect", iid, "--out-dir", out, "--password-stdin", "--format", "franz-go").wantCode(t, exitOK)
	file := filepath.Join(out, "kafka_client.go")
	b, err := os.ReadFile(file)
	if err != nil || string(b) != r.stdout {
		t.Fatalf("%s: %v\n%s\nstdout:\n%s", file, err, b, r.stdout)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600 (it holds a password)", file, st.Mode().Perm())
	}
	if _, err := parser.ParseFile(token.NewFileSet(), file, b, parser.AllErrors); err != nil {
		t.Errorf("the franz-go output is not Go: %v\n%s", err, b)
	}
	mustContain(t, "franz-go", r.stdout, `kgo.SeedBrokers("10.0.0.1:9093", "10.0.0.2:9093", "10.0.0.3:9093")`,
		`os.ReadFile("`+filepath.Join(out, "kafka-sasl-ca.pem")+`")`, `kgo.SASL(scram.Auth{User: "root1", Pass: "s3cret-Passw0rd"}.AsSha512Mechanism())`)
	mustContain(t, "stderr", r.stderr, "Wrote the franz-go settings to "+file)

	r = run(t, "", "instance", "connect", iid, "-o", "json").wantCode(t, exitOK)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got["sasl_username"] != "root1" || got["ssl_ca_location"] != filepath.Join(dir, "kafka-sasl-ca.pem") {
		t.Errorf("json: %v\n%s", err, r.stdout)
	}
}

func TestInstanceConnectErrors(t *testing.T) {
	const noUser = `{"instance_id":"` + iid + `","name":"k","connect_address":"10.0.0.1","port_protocols":{"private_sasl_plaintext_enable":true}}`
	for _, tt := range []struct {
		name, instance string
		args           []string
		code           int
		wantErr        string
	}{
		{"unknown listener", saslInstanceJSON, []string{"--listener", "ssl"}, exitUsage, `--listener "ssl": want one of sasl-ssl,`},
		{"listener the instance lacks", saslInstanceJSON, []string{"--listener", "plaintext"}, exitError,
			"instance kafka-sasl has no plaintext listener; it has sasl-ssl, public-sasl-ssl"},
		{"unknown mechanism", saslInstanceJSON, []string{"--mechanism", "GSSAPI"}, exitUsage, `--mechanism "GSSAPI": want SCRAM-SHA-512 or PLAIN`},
		{"no administrator", noUser, nil, exitUsage, "instance k has no administrator (access_user): give --user"},
		{"mechanism not enabled", strings.Replace(saslInstanceJSON, `"SCRAM-SHA-512",`, "", 1), []string{"--mechanism", "SCRAM-SHA-512"}, exitUsage,
			"--mechanism SCRAM-SHA-512: the instance enables PLAIN"},
		{"unknown format", saslInstanceJSON, []string{"--format", "yaml"}, exitUsage, `--format "yaml": want one of properties, librdkafka, franz-go, env`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			f := newFakeDMS(t, map[string]clienttest.Reply{"GET " + ipath: replyOK(tt.instance), "GET " + caPath: replyOK(testCAPEM(t))})
			useFake(t, f, testPID)
			r := run(t, "", append([]string{"instance", "connect", iid}, tt.args...)...).wantCode(t, tt.code)
			mustContain(t, "stderr", r.stderr, tt.wantErr)
		})
	}
}

// TestInstanceConnectFranzGoBuilds: the franz-go output compiles (go build in a module of its own,
// against the franz-go of this repository, from the module cache) for SASL_SSL with each mechanism
// and for plaintext.
func TestInstanceConnectFranzGoBuilds(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the franz-go settings: %v", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	goSum, err := os.ReadFile(filepath.Join(wd, "..", "..", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	// isolate moves HOME: keep the user's module and build caches (franz-go is in the former).
	caches, err := exec.Command(goBin, "env", "GOMODCACHE", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	cacheDirs := strings.Fields(string(caches))
	if len(cacheDirs) != 2 {
		t.Fatalf("go env: %q", caches)
	}
	const plainJSON = `{"instance_id":"` + iid + `","name":"kafka-plain","connect_address":"10.0.0.1","port":9092,"port_protocols":{"private_plain_enable":true}}`
	for _, tt := range []struct {
		name, instance string
		args           []string
	}{
		{"SCRAM-SHA-512", saslInstanceJSON, nil},
		{"PLAIN", saslInstanceJSON, []string{"--mechanism", "PLAIN"}},
		{"plaintext", plainJSON, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolate(t)
			f := newFakeDMS(t, map[string]clienttest.Reply{"GET " + ipath: replyOK(tt.instance), "GET " + caPath: replyOK(testCAPEM(t))})
			useFake(t, f, testPID)
			mod := filepath.Join(dir, "mod")
			run(t, "", append([]string{"instance", "connect", iid, "--format", "franz-go", "--out-dir", mod}, tt.args...)...).wantCode(t, exitOK)
			files := map[string]string{
				"go.mod":  "module fgcheck\n\ngo 1.26.0\n\nrequire github.com/twmb/franz-go " + franzGoVersion(t, wd) + "\n",
				"go.sum":  string(goSum),
				"main.go": "package main\n\nfunc main() {\n\tcl, err := newKafkaClient()\n\tif err == nil {\n\t\tcl.Close()\n\t}\n}\n",
			}
			for name, content := range files {
				if err := os.WriteFile(filepath.Join(mod, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(goBin, "build", "-o", os.DevNull, ".")
			cmd.Dir = mod
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOMODCACHE="+cacheDirs[0], "GOCACHE="+cacheDirs[1])
			if out, err := cmd.CombinedOutput(); err != nil {
				src, _ := os.ReadFile(filepath.Join(mod, "kafka_client.go"))
				t.Fatalf("go build: %v\n%s\n%s", err, out, src)
			}
		})
	}
}

// franzGoVersion is the version of franz-go the repository's go.mod requires.
func franzGoVersion(t *testing.T, wd string) string {
	b, err := os.ReadFile(filepath.Join(wd, "..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/twmb/franz-go" {
			return f[1]
		}
	}
	t.Fatal("franz-go is not in go.mod")
	return ""
}
