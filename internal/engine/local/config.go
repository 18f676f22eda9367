package local

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/opendms/opendms/internal/engine"
)

// reservedConfigs are the server.properties keys the engine owns: overriding them would break
// formatting, adoption or the quorum, so Spec.BrokerConfigs may not set them.
var reservedConfigs = map[string]bool{
	"node.id":                             true,
	"process.roles":                       true,
	"log.dirs":                            true,
	"log.dir":                             true,
	"metadata.log.dir":                    true,
	"controller.quorum.voters":            true,
	"controller.quorum.bootstrap.servers": true,
	"controller.listener.names":           true,
	// Listeners and their security are the spec's (Listeners, Security).
	"listeners":                      true,
	"advertised.listeners":           true,
	"listener.security.protocol.map": true,
	"inter.broker.listener.name":     true,
	"authorizer.class.name":          true,
	"super.users":                    true,
	// The produce gate of the capacity policy (capacity.go).
	"opendms.produce.gate.file": true,
}

type kv struct{ k, v string }

// replication returns the replication factor and min ISR for a cluster of n brokers.
func replication(n int) (rf, minISR int) {
	rf = min(3, n)
	minISR = 1
	if n >= 3 {
		minISR = 2
	}
	return rf, minISR
}

// serverProperties renders broker b's server.properties for spec. dir is the broker's directory.
func serverProperties(spec engine.Spec, b engine.Broker, dir string, heapMB int) ([]byte, error) {
	// The voters are the controller nodes only, a static quorum fixed when they were formatted:
	// broker-only nodes added later do not change this line, so the controllers' files (rewritten
	// at every start) stay the same. Never turn it into a dynamic quorum (kafka-features upgrade
	// with --release-version does: KAFKA-21426).
	controllers := spec.Controllers()
	voters := make([]string, len(controllers))
	for i, x := range controllers {
		voters[i] = fmt.Sprintf("%d@%s", x.ID, net.JoinHostPort(x.Host, strconv.Itoa(engine.PortController)))
	}
	roles := "broker,controller"
	if b.BrokerOnly {
		roles = "broker"
	}
	rf, minISR := replication(len(spec.Brokers))
	// The log cleaner's dedupe buffer lives on the heap (128 MiB by default): keep it to an eighth.
	dedupe := max(16, heapMB/8) << 20
	props := []kv{
		{"process.roles", roles},
		{"node.id", strconv.Itoa(int(b.ID))},
		{"controller.quorum.voters", strings.Join(voters, ",")},
		{"log.dirs", filepath.Join(dir, "data")},
		{"auto.create.topics.enable", strconv.FormatBool(spec.AutoCreateTopics)},
		{"default.replication.factor", strconv.Itoa(rf)},
		{"min.insync.replicas", strconv.Itoa(minISR)},
		{"offsets.topic.replication.factor", strconv.Itoa(rf)},
		{"transaction.state.log.replication.factor", strconv.Itoa(rf)},
		{"transaction.state.log.min.isr", strconv.Itoa(minISR)},
		{"share.coordinator.state.topic.replication.factor", strconv.Itoa(rf)},
		{"share.coordinator.state.topic.min.isr", strconv.Itoa(minISR)},
		{"group.initial.rebalance.delay.ms", "0"},
		{"num.network.threads", "2"},
		{"num.io.threads", "2"},
		{"background.threads", "4"},
		{"num.recovery.threads.per.data.dir", "1"},
		// The kernel sizes the sockets' buffers (autotuning) instead of Kafka's fixed 100 KiB send
		// buffer: a TLS answer of a megabyte otherwise goes out in ten waits for the reader.
		{"socket.send.buffer.bytes", "-1"},
		{"socket.receive.buffer.bytes", "-1"},
		{"log.cleaner.threads", "1"},
		{"log.cleaner.dedupe.buffer.size", strconv.Itoa(dedupe)},
		// Segments below a log start moved by DeleteRecords (and expired ones) are removed by this
		// check: every 10 s instead of Kafka's 5 minutes, so the capacity policy time_base frees
		// disk soon after it trims (a check walks the broker's segment list in memory: cheap).
		{"log.retention.check.interval.ms", "10000"},
	}
	props = append(props, listenerProps(spec, b, dir, spec.DataDir)...)
	idx := make(map[string]int, len(props))
	for i, p := range props {
		idx[p.k] = i
	}
	extra := make([]string, 0, len(spec.BrokerConfigs))
	for k := range spec.BrokerConfigs {
		if reservedConfigs[k] {
			return nil, fmt.Errorf("local engine: broker config %q is managed by the engine and cannot be set", k)
		}
		if strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("local engine: empty broker config name")
		}
		if i, ok := idx[k]; ok {
			props[i].v = spec.BrokerConfigs[k]
		} else {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		props = append(props, kv{k, spec.BrokerConfigs[k]})
	}

	var sb strings.Builder
	fmt.Fprintf(&sb, "# Written by OpenDMS (local engine) for instance %s, broker %d.\n", escapeComment(spec.InstanceID), b.ID)
	sb.WriteString("# Rewritten on every start of this broker: change the instance's broker configs instead.\n")
	for _, p := range props {
		sb.WriteString(escapeProp(p.k, true))
		sb.WriteByte('=')
		sb.WriteString(escapeProp(p.v, false))
		sb.WriteByte('\n')
	}
	return []byte(sb.String()), nil
}

func escapeComment(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// escapeProp escapes s for a java.util.Properties file read as ISO-8859-1 (how Kafka loads it).
func escapeProp(s string, key bool) string {
	var sb strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			sb.WriteString(`\\`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r == '\f':
			sb.WriteString(`\f`)
		case r == ' ' && (key || i == 0):
			sb.WriteString(`\ `)
		case key && (r == '=' || r == ':'):
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case (r == '#' || r == '!') && i == 0:
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			for _, u := range utf16Units(r) {
				fmt.Fprintf(&sb, `\u%04x`, u)
			}
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

func utf16Units(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xd800 + (r>>10)&0x3ff), uint16(0xdc00 + r&0x3ff)}
}

// log4j2Properties is the broker's logging: everything to a small rolling server.log in the broker
// directory (${sys:kafka.logs.dir}), nothing to stdout.
const log4j2Properties = `# Written by OpenDMS (local engine).
status = warn
name = opendms-broker
# Kafka logs its shutdown from its own shutdown hook: keep log4j2's hook from closing the files first.
shutdownHook = disable
appender.server.type = RollingFile
appender.server.name = server
appender.server.fileName = ${sys:kafka.logs.dir}/server.log
appender.server.filePattern = ${sys:kafka.logs.dir}/server.log.%i
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = [%d] %p %m (%c)%n
appender.server.policies.type = Policies
appender.server.policies.size.type = SizeBasedTriggeringPolicy
appender.server.policies.size.size = 5MB
appender.server.strategy.type = DefaultRolloverStrategy
appender.server.strategy.max = 2
rootLogger.level = INFO
rootLogger.appenderRef.server.ref = server
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
`

// writeBrokerFiles writes server.properties and log4j2.properties into dir (creating dir/data).
func writeBrokerFiles(spec engine.Spec, b engine.Broker, dir string, heapMB int) error {
	if err := validListeners(spec); err != nil {
		return err
	}
	props, err := serverProperties(spec, b, dir, heapMB)
	if err != nil {
		return err
	}
	if err := privateDir(dir); err != nil {
		return err
	}
	if err := writeSecurityFiles(spec, b, dir); err != nil {
		return err
	}
	if err := privateDir(filepath.Join(dir, "data")); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, "server.properties"), props, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "log4j2.properties"), []byte(log4j2Properties), 0o600)
}

// formattedClusterID returns the cluster.id of dir/data/meta.properties, "" when not formatted.
func formattedClusterID(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "data", "meta.properties"))
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster.id="); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("local engine: %s/data/meta.properties has no cluster.id", dir)
}
