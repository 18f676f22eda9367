package local

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/opendms/opendms/internal/engine"
)

// Layout of an instance's Connect workers (under Spec.DataDir):
//
//	connect/worker-<id>/worker.properties   rewritten on every start from the ConnectSpec (the marker)
//	connect/worker-<id>/log4j2.properties   logging: connect.log (rolling, 5 MB + 2 old files)
//	connect/worker-<id>/stdout.log          the JVM's stdout/stderr (previous start: stdout.log.1)
//	connect/worker-<id>/pid, tmp/           as a broker's
//	connect/tls/keystore.pem, ca.pem        the workers' client certificate (0600) and the CA
//	connect/files/<name>                    secrets for connectors (FileConfigProvider), 0600
//	connect/rest-users.properties           the REST API's basic-auth user and password (0600),
//	connect/rest-jaas.conf                  and the JAAS file pointing the workers at it
//
// The workers' state is in the cluster (ConnectTopics); their directories hold only what is
// rewritten at each start and the files.

const (
	connectMainClass = "org.apache.kafka.connect.cli.ConnectDistributed"
	workerPropsFile  = "worker.properties"
	// DefaultConnectHeapMB is a worker's -Xmx when ConnectSpec.HeapMB is 0 (-Xms is at most 256).
	DefaultConnectHeapMB = 512
)

func connectDir(dataDir string) string { return filepath.Join(dataDir, "connect") }

func workerDir(dataDir string, id int32) string {
	return filepath.Join(connectDir(dataDir), "worker-"+strconv.Itoa(int(id)))
}

func connectFilesDir(dataDir string) string { return filepath.Join(connectDir(dataDir), "files") }

func connectTLSDir(dataDir string) string { return filepath.Join(connectDir(dataDir), "tls") }

// normalizeConnect validates spec and fills the defaults (absolute DataDir, Kafka version).
func normalizeConnect(spec engine.ConnectSpec) (engine.ConnectSpec, error) {
	if spec.InstanceID == "" {
		return spec, errors.New("local engine: connect spec has no InstanceID")
	}
	var err error
	if spec.DataDir, spec.KafkaVersion, err = normalizeDirVersion(spec.DataDir, spec.KafkaVersion); err != nil {
		return spec, err
	}
	if len(spec.Workers) == 0 {
		return spec, errors.New("local engine: connect spec has no workers")
	}
	ids, hosts := map[int32]bool{}, map[string]bool{}
	for _, w := range spec.Workers {
		if w.ID < 0 || ids[w.ID] {
			return spec, fmt.Errorf("local engine: connect worker id %d is negative or used twice", w.ID)
		}
		ip := net.ParseIP(w.Host)
		// The REST API serves connector configs (secrets resolved by the workers stay in files, but
		// the API also creates connectors): it must never listen beyond this machine.
		if ip == nil || !ip.IsLoopback() {
			return spec, fmt.Errorf("local engine: connect worker %d host %q is not a loopback IP address (the workers' REST API must stay on this machine)", w.ID, w.Host)
		}
		if hosts[ip.String()] {
			return spec, fmt.Errorf("local engine: connect worker %d: host %s used twice", w.ID, w.Host)
		}
		ids[w.ID], hosts[ip.String()] = true, true
	}
	if len(spec.Bootstrap) == 0 {
		return spec, errors.New("local engine: connect spec has no bootstrap servers")
	}
	for _, a := range spec.Bootstrap {
		if _, _, err := net.SplitHostPort(a); err != nil || strings.ContainsAny(a, ", \t\n") {
			return spec, fmt.Errorf("local engine: connect bootstrap address %q is not host:port", a)
		}
	}
	if spec.TLS != nil && (len(spec.TLS.CACertPEM) == 0 || len(spec.TLS.KeystorePEM) == 0) {
		return spec, errors.New("local engine: connect TLS needs the CA certificate and the keystore")
	}
	if spec.HeapMB < 0 {
		return spec, fmt.Errorf("local engine: connect heap %d MB", spec.HeapMB)
	}
	return spec, nil
}

// connectClientProps are the settings of a client of the local instance as the workers are one.
func connectClientProps(spec engine.ConnectSpec) []kv {
	props := []kv{{"bootstrap.servers", strings.Join(spec.Bootstrap, ",")}}
	if spec.TLS == nil {
		return append(props, kv{"security.protocol", "PLAINTEXT"})
	}
	tdir := connectTLSDir(spec.DataDir)
	return append(props,
		kv{"security.protocol", "SSL"},
		kv{"ssl.keystore.type", "PEM"},
		kv{"ssl.keystore.location", filepath.Join(tdir, "keystore.pem")},
		kv{"ssl.truststore.type", "PEM"},
		kv{"ssl.truststore.location", filepath.Join(tdir, "ca.pem")},
	)
}

// workerProperties renders worker w's worker.properties.
func workerProperties(spec engine.ConnectSpec, w engine.ConnectWorker) []byte {
	rest := net.JoinHostPort(w.Host, strconv.Itoa(engine.PortConnectREST))
	props := []kv{
		{"group.id", engine.ConnectGroupID},
		{"config.storage.topic", engine.ConnectConfigsTopic},
		{"offset.storage.topic", engine.ConnectOffsetsTopic},
		{"status.storage.topic", engine.ConnectStatusTopic},
		// -1: the brokers' default.replication.factor (the engine sets min(3, brokers)).
		{"config.storage.replication.factor", "-1"},
		{"offset.storage.replication.factor", "-1"},
		{"status.storage.replication.factor", "-1"},
		// Fewer partitions than Connect's defaults (25 and 5): a handful of connectors per instance.
		{"offset.storage.partitions", "5"},
		{"status.storage.partitions", "3"},
		// Records are bytes end to end (MirrorMaker 2 copies them as they are; OpenDMS's own sinks
		// and sources define their formats themselves).
		{"key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
		{"value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
		{"header.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"},
		// Connectors set their own client settings (MM2's peers, the push direction's producer).
		{"connector.client.config.override.policy", "All"},
		// Secrets reach connectors as ${file:<path>:<key>} from files under connect/files only.
		{"config.providers", "file"},
		{"config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"},
		{"config.providers.file.param.allowed.paths", connectFilesDir(spec.DataDir)},
		// REST on the worker's own loopback IP only, and only for dmsd: HTTP basic authentication
		// against connect/rest-users.properties (the JAAS file is a JVM flag). Other local users could
		// otherwise create connectors that read topics out or write files as dmsd's user. Requests
		// between workers pass: forwarded ones carry the caller's header, internal ones are signed.
		{"listeners", "http://" + rest},
		{"rest.extension.classes", "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"},
		{"rest.advertised.listener", "http"},
		{"rest.advertised.host.name", w.Host},
		{"rest.advertised.port", strconv.Itoa(engine.PortConnectREST)},
		{"offset.flush.interval.ms", "5000"},
		// Every plugin (MM2, the converters, transforms, predicates, config providers,
		// override policies) is on the classpath with a ServiceLoader manifest: no classpath scan,
		// which costs seconds per start. OpenDMS's replication policy is loaded by class name.
		{"plugin.discovery", "service_load"},
		// The connectors and tasks of a worker that vanished (crashed: the supervisor restarts it
		// in about 10 s) wait this long for it before they move to the other workers; Connect's
		// default is 5 minutes, during which they run nowhere (a worker restarted under a new member
		// id does not get them back sooner). Measured: 30 s here left a killed worker's tasks idle
		// for 30 s.
		{"scheduled.rebalance.max.delay.ms", "10000"},
		// Source tasks' producers (MirrorMaker 2 writes with them): Connect's own defaults send one
		// request at a time per broker (max.in.flight 1) in 16 KiB batches, which copied 1 KiB
		// records at about 2.7k/s on three brokers, a tenth of a plain client's copy; with these,
		// about 10k/s (TestSmartConnectLocal). Idempotence (on by default) keeps each partition's
		// order with up to five requests in flight; linger.ms stays the client's 5.
		{"producer.max.in.flight.requests.per.connection", "5"},
		{"producer.batch.size", "262144"},
	}
	client := connectClientProps(spec)
	props = append(props, client...)
	// The producer, consumer and admin clients the worker makes for connectors and tasks take
	// only their prefixed settings (the worker-level ones serve its own group and topics).
	for _, prefix := range []string{"producer.", "consumer.", "admin."} {
		for _, c := range client {
			if c.k == "bootstrap.servers" {
				continue
			}
			props = append(props, kv{prefix + c.k, c.v})
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "# Written by OpenDMS (local engine) for instance %s, Connect worker %d.\n", escapeComment(spec.InstanceID), w.ID)
	sb.WriteString("# Rewritten on every start of this worker.\n")
	for _, p := range props {
		sb.WriteString(escapeProp(p.k, true))
		sb.WriteByte('=')
		sb.WriteString(escapeProp(p.v, false))
		sb.WriteByte('\n')
	}
	return []byte(sb.String())
}

// connectLog4j2 is a worker's logging: a small rolling connect.log in its directory, nothing to
// stdout.
const connectLog4j2 = `# Written by OpenDMS (local engine).
status = warn
name = opendms-connect
shutdownHook = disable
appender.connect.type = RollingFile
appender.connect.name = connect
appender.connect.fileName = ${sys:kafka.logs.dir}/connect.log
appender.connect.filePattern = ${sys:kafka.logs.dir}/connect.log.%i
appender.connect.layout.type = PatternLayout
appender.connect.layout.pattern = [%d] %p %X{connector.context}%m (%c:%L)%n
appender.connect.policies.type = Policies
appender.connect.policies.size.type = SizeBasedTriggeringPolicy
appender.connect.policies.size.size = 5MB
appender.connect.strategy.type = DefaultRolloverStrategy
appender.connect.strategy.max = 2
rootLogger.level = INFO
rootLogger.appenderRef.connect.ref = connect
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.jetty.name = org.eclipse.jetty
logger.jetty.level = WARN
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
`

// ConnectRESTUser is the REST API's basic-auth user name.
const ConnectRESTUser = "opendms"

const (
	restUsersFile = "rest-users.properties"
	restJAASFile  = "rest-jaas.conf"
)

// restJAAS is the workers' JAAS file: the KafkaConnect entry the basic-auth extension reads.
func restJAAS(usersFile string) string {
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(usersFile)
	return "KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"" + q + "\";\n};\n"
}

var connectFileName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,200}$`)

// validConnectFileName refuses names that are not one plain file name of connect/files.
func validConnectFileName(name string) error {
	if !connectFileName.MatchString(name) || name == "." || name == ".." || strings.HasPrefix(name, ".") {
		return fmt.Errorf("local engine: connect file name %q must be [A-Za-z0-9._-]+ and not start with a dot", name)
	}
	return nil
}
