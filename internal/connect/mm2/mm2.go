// Package mm2 maps a DMS "KAFKA_REPLICATOR_SOURCE" Smart Connect task onto Apache Kafka 4.3.1 MirrorMaker 2
// connectors (MirrorSourceConnector, MirrorCheckpointConnector) that run on the Kafka Connect cluster of the
// LOCAL instance, and checks that a peer Kafka cluster can be reached (CheckPeer).
//
// Everything but CheckPeer/ProbePeer is pure: Params in, connector configs out.
//
// Facts from the Kafka sources that shape the configs (connect/mirror, connect/runtime, 4.3.1):
//   - A Connect worker produces a source connector's records to its OWN cluster (the worker's
//     bootstrap.servers) unless the connector overrides the producer: producer.override.bootstrap.servers
//     and the security keys, allowed by the workers' connector.client.config.override.policy=All. So in a
//     push flow (local -> peer) both connectors carry producer.override.* for the peer. Connect keeps the
//     source offsets of such a connector in the worker's own offsets topic (Worker.offsetStoreForRegularSourceTask
//     uses a connector-specific store only when offsets.storage.topic is set; we never set it).
//   - source.cluster.* / target.cluster.* only carry bootstrap, security.protocol, ssl.* and sasl.* keys
//     (MirrorClientConfig.CLIENT_CONFIG_DEF); they feed MM2's own admin/consumer/producer clients.
//   - The start position of a partition without a stored offset is the source consumer's auto.offset.reset;
//     "source.consumer." reaches only that consumer (MirrorConnectorConfig.sourceConsumerConfig), whereas
//     "consumer." would also reach the consumers that read MM2's internal topics.
//   - InsertHeader parses value.literal with Values.parseString; any literal but "null" gives a STRING header
//     that ByteArrayConverter (the header converter every MM2 connector needs, so that replicated headers pass
//     byte-exact) rejects with "Invalid schema type for ByteArrayConverter: STRING" on every record. The
//     literal "null" gives a header with no schema and a null value, which ByteArrayConverter writes as a null
//     header value. So the provenance header carries the origin alias in its KEY (dms.origin.<alias>) and has
//     a null value, which is also all HasHeaderKey looks at.
package mm2

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/opendms/opendms/kafka/connectplugins"
)

// Directions of a replication task (5.3.3 source_task.direction).
const (
	DirectionPull   = "pull"    // peer -> local
	DirectionPush   = "push"    // local -> peer
	DirectionTwoWay = "two-way" // both
)

// Class names and the config contract with the Java replication policy.
const (
	SourceConnectorClass     = "org.apache.kafka.connect.mirror.MirrorSourceConnector"
	CheckpointConnectorClass = "org.apache.kafka.connect.mirror.MirrorCheckpointConnector"
	ByteArrayConverter       = "org.apache.kafka.connect.converters.ByteArrayConverter"

	IdentityPolicyClass = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
	DefaultPolicyClass  = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"
	// MappingPolicyClass is OpenDMS's own ReplicationPolicy (written in Java, on the workers' classpath).
	// It reads MappingConfigKey from the connector config (MM2 configures the policy with the connector's
	// originals): "src:dst,src2:dst2", sorted by source, every name a legal Kafka topic name, targets
	// unique. formatRemoteTopic(alias, t) = mapping[t] or t (identity for unmapped topics); upstreamTopic
	// and originalTopic invert it; topicSource returns null like IdentityReplicationPolicy (no alias in the
	// name, so no cycle detection: the provenance header guards two-way flows).
	MappingPolicyClass = connectplugins.PolicyClass
	MappingConfigKey   = connectplugins.MappingConfig

	FilterTransform     = "org.apache.kafka.connect.transforms.Filter"
	InsertHeaderSMT     = "org.apache.kafka.connect.transforms.InsertHeader"
	HasHeaderKeyPred    = "org.apache.kafka.connect.transforms.predicates.HasHeaderKey"
	ProvenanceHeaderPfx = "dms.origin." // + cluster alias; value null (see the package doc)
)

// TopicsExclude is the topics.exclude of every connector, so internal topics never replicate whatever the
// user's topics/topics_regex say (MM2 matches each entry as a whole-name Java regex):
//   - `__.*`: Kafka's own (__consumer_offsets, __transaction_state) and the Connect workers' __dms_connect.* topics;
//   - `.*\.internal`, `.*-internal`, `\..*`: MM2 internal topics (mm2-offset-syncs.<alias>.internal,
//     <alias>.checkpoints.internal) and what MM2's policies call internal anyway (ReplicationPolicy.isInternalTopic);
//   - `heartbeats`, `.*\.heartbeats`: MM2 heartbeats topics (no heartbeat connector runs, but a peer may have them).
const TopicsExclude = `__.*,.*\.internal,.*-internal,\..*,heartbeats,.*\.heartbeats`

// GroupsExclude is the checkpoint connector's groups.exclude: MM2's default (console consumers, Connect sink
// connector groups connect-*, internal __*) plus the OpenDMS Connect workers' groups.
const GroupsExclude = `console-consumer-.*,connect-.*,__.*,dms-connect-.*`

// Tuning shared by every task; chosen for replication that reacts within seconds on small clusters.
const (
	DefaultTaskNum          = 2
	MaxTaskNum              = 32 // a task is a consumer + producer in a shared worker JVM; MM2 caps at the partition count anyway
	DefaultConsumerStrategy = "latest"
	refreshTopicsSeconds    = "10" // MM2 default 600: new topics matching a regex would wait 10 minutes
	checkpointSeconds       = "5"  // emit.checkpoints and sync.group.offsets intervals (defaults 60)
	refreshGroupsSeconds    = "10" // default 600
)

// Cluster is one side of the replication.
type Cluster struct {
	Alias     string            // current_cluster_name / cluster_name: [A-Za-z0-9_-]{1,64}
	Bootstrap string            // "host:port,host:port"
	Props     map[string]string // client settings (security.protocol, sasl.*, ssl.*); values copied verbatim, e.g. ${file:/p:k}
}

// Params is a KAFKA_REPLICATOR_SOURCE task.
type Params struct {
	Name              string // the task id; connector names derive from it
	Local, Peer       Cluster
	Direction         string // DirectionPull | DirectionPush | DirectionTwoWay
	Topics            []string
	TopicsRegex       string
	TaskNum           int  // tasks.max of each source connector; 0 = DefaultTaskNum
	ReplicationFactor int  // of topics MM2 creates on the target; 0 = broker default
	RenameTopics      bool // DefaultReplicationPolicy: <source alias>.<topic>
	TopicsMapping     map[string]string
	ConsumerStrategy  string // "latest" | "earliest"; "" = DefaultConsumerStrategy
	CompressionType   string // "" (producer default) | none | gzip | snappy | lz4 | zstd
	SyncGroupOffsets  bool
	ProvenanceHeader  bool
}

// Connector is one Connect connector to create (POST /connectors {"name":…,"config":…}).
type Connector struct {
	Name   string
	Config map[string]string
}

// ValidationError names the offending 5.3.3 field (JSON name) so callers can answer a 400 with it.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Msg }

func invalid(field, format string, a ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

var (
	aliasRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,200}$`)
	topicRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
)

func validTopic(t string) bool { return topicRE.MatchString(t) && t != "." && t != ".." }

// LoopGuard reports whether the connectors drop records that came from their target and mark records with
// their origin. It is on when asked (provenance_header_enabled) and always for two-way replication without
// renaming: with identity or mapped names nothing else stops a record from bouncing between the clusters
// forever (MM2's cycle detection needs the alias prefix of DefaultReplicationPolicy), and the reference itself
// says to enable the header for two-way. Renamed two-way flows are safe without it (MirrorSourceConnector.isCycle
// skips <target alias>.* topics), so there it follows the flag.
func LoopGuard(p Params) bool {
	return p.ProvenanceHeader || (p.Direction == DirectionTwoWay && !p.RenameTopics)
}

// Validate checks p; the error is a *ValidationError.
func Validate(p Params) error {
	if !nameRE.MatchString(p.Name) {
		return invalid("task_name", "the task id %q must be 1-200 characters of letters, digits, '.', '_' and '-'", p.Name)
	}
	if err := validateCluster("current_cluster_name", "local", p.Local); err != nil {
		return err
	}
	if err := validateCluster("cluster_name", "peer", p.Peer); err != nil {
		return err
	}
	if p.Local.Alias == p.Peer.Alias {
		return invalid("cluster_name", "the peer alias %q must differ from the current cluster's alias", p.Peer.Alias)
	}
	switch p.Direction {
	case DirectionPull, DirectionPush, DirectionTwoWay:
	default:
		return invalid("direction", "%q is not one of pull, push, two-way", p.Direction)
	}
	if p.TaskNum < 0 || p.TaskNum > MaxTaskNum {
		return invalid("task_num", "%d is out of range 1-%d", p.TaskNum, MaxTaskNum)
	}
	if p.ReplicationFactor < 0 || p.ReplicationFactor > 32767 {
		return invalid("replication_factor", "%d is out of range 0-32767 (0 = the broker default)", p.ReplicationFactor)
	}
	switch p.ConsumerStrategy {
	case "", "latest", "earliest":
	default:
		return invalid("consumer_strategy", "%q is not one of latest, earliest", p.ConsumerStrategy)
	}
	switch p.CompressionType {
	case "", "none", "gzip", "snappy", "lz4", "zstd":
	default:
		return invalid("compression_type", "%q is not one of none, gzip, snappy, lz4, zstd", p.CompressionType)
	}
	if p.RenameTopics && len(p.TopicsMapping) > 0 {
		return invalid("topics_mapping", "cannot be combined with rename_topic_enabled")
	}
	if len(p.Topics) > 0 && p.TopicsRegex != "" {
		return invalid("topics_regex", "give topics or topics_regex, not both")
	}
	if len(p.Topics) == 0 && p.TopicsRegex == "" && len(p.TopicsMapping) == 0 {
		return invalid("topics", "give topics, topics_regex or topics_mapping")
	}
	seen := make(map[string]bool, len(p.Topics))
	for _, t := range p.Topics {
		if !validTopic(t) {
			return invalid("topics", "%q is not a valid topic name", t)
		}
		if seen[t] {
			return invalid("topics", "topic %q is listed twice", t)
		}
		seen[t] = true
	}
	if p.TopicsRegex != "" {
		// MM2's "topics" is a comma-separated list of regexes: a comma would split this one in two.
		if strings.Contains(p.TopicsRegex, ",") {
			return invalid("topics_regex", "must not contain ',' (MirrorMaker 2 splits its topic list on commas)")
		}
		// Go's RE2 is stricter than java.util.regex (no lookaround or backreferences); rejecting here beats a
		// connector that fails in the worker with a Java stack trace.
		if _, err := regexp.Compile(p.TopicsRegex); err != nil {
			return invalid("topics_regex", "%q is not a valid regular expression: %v", p.TopicsRegex, err)
		}
	}
	if err := checkMapping(p.TopicsMapping); err != nil {
		return err
	}
	// Two replicated topics must not land in the same target topic: a listed topic that keeps its name
	// must not be another topic's mapping target.
	targets := make(map[string]string, len(p.TopicsMapping))
	for s, d := range p.TopicsMapping {
		targets[d] = s
	}
	for _, t := range p.Topics {
		if _, mapped := p.TopicsMapping[t]; mapped {
			continue
		}
		if s, ok := targets[t]; ok && s != t {
			return invalid("topics_mapping", "topics %q and %q would both be written to %q", s, t, t)
		}
	}
	return nil
}

func validateCluster(field, side string, c Cluster) error {
	if !aliasRE.MatchString(c.Alias) {
		return invalid(field, "the %s cluster alias %q must be 1-64 characters of letters, digits, '_' and '-'", side, c.Alias)
	}
	if err := checkBootstrap(c.Bootstrap); err != nil {
		return invalid("bootstrap_servers", "%s cluster: %v", side, err)
	}
	for k := range c.Props {
		if k == "" || k == "bootstrap.servers" {
			return invalid("bootstrap_servers", "%s cluster: client property %q is not allowed (Bootstrap carries the addresses)", side, k)
		}
	}
	return nil
}

// SplitBootstrap splits "host:port,host:port" into addresses, checking each.
func SplitBootstrap(s string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		i := strings.LastIndexByte(a, ':')
		if i <= 0 {
			return nil, fmt.Errorf("address %q is not host:port", a)
		}
		port, err := strconv.Atoi(a[i+1:])
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("address %q has no valid port", a)
		}
		out = append(out, a)
	}
	return out, nil
}

func checkBootstrap(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("no bootstrap address")
	}
	_, err := SplitBootstrap(s)
	return err
}

// ParseTopicsMapping parses topics_mapping, "src:dst,src2:dst2" (whitespace around names ignored; "" gives
// an empty map). Errors: a pair that is not src:dst, an invalid topic name, a source mapped twice, or a
// target used twice (the Java policy must be able to invert the mapping).
func ParseTopicsMapping(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	used := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		src, dst, ok := strings.Cut(pair, ":")
		src, dst = strings.TrimSpace(src), strings.TrimSpace(dst)
		if !ok || strings.Contains(dst, ":") || src == "" || dst == "" {
			return nil, invalid("topics_mapping", "%q is not a source:target pair", strings.TrimSpace(pair))
		}
		for _, t := range []string{src, dst} {
			if !validTopic(t) {
				return nil, invalid("topics_mapping", "%q is not a valid topic name", t)
			}
		}
		if _, dup := m[src]; dup {
			return nil, invalid("topics_mapping", "source topic %q is mapped twice", src)
		}
		if prev, dup := used[dst]; dup {
			return nil, invalid("topics_mapping", "target topic %q is used by both %q and %q", dst, prev, src)
		}
		m[src] = dst
		used[dst] = src
	}
	return m, nil
}

// FormatTopicsMapping is the canonical text of a mapping: pairs sorted by source. It is the value of
// MappingConfigKey and what a task shows as topics_mapping.
func FormatTopicsMapping(m map[string]string) string {
	srcs := make([]string, 0, len(m))
	for s := range m {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	pairs := make([]string, len(srcs))
	for i, s := range srcs {
		pairs[i] = s + ":" + m[s]
	}
	return strings.Join(pairs, ",")
}

func checkMapping(m map[string]string) error {
	used := map[string]string{}
	for _, s := range slices.Sorted(maps.Keys(m)) {
		d := m[s]
		if !validTopic(s) || !validTopic(d) {
			return invalid("topics_mapping", "%q:%q is not a pair of valid topic names", s, d)
		}
		if prev, dup := used[d]; dup {
			return invalid("topics_mapping", "target topic %q is used by both %q and %q", d, prev, s)
		}
		used[d] = s
	}
	return nil
}

// Connectors returns the connectors of the task in a fixed order: for each flow (pull, then push; two-way
// has both) the source connector, then its checkpoint connector when SyncGroupOffsets. Names are
// "<Name>-<pull|push>-<source|checkpoint>".
//
// Heartbeat connectors are not created: MM2 heartbeats serve MirrorClient's remote-topic discovery and
// end-to-end latency monitoring, neither of which DMS uses (task status comes from the Connect REST API),
// loops are stopped by the alias prefix or the provenance header, and they would add a "heartbeats" topic
// to the user's clusters.
func Connectors(p Params) ([]Connector, error) {
	if err := Validate(p); err != nil {
		return nil, err
	}
	var out []Connector
	if p.Direction == DirectionPull || p.Direction == DirectionTwoWay {
		out = append(out, flow(p, DirectionPull)...)
	}
	if p.Direction == DirectionPush || p.Direction == DirectionTwoWay {
		out = append(out, flow(p, DirectionPush)...)
	}
	return out, nil
}

// flow builds the connectors of one direction.
func flow(p Params, dir string) []Connector {
	src, tgt := p.Peer, p.Local
	if dir == DirectionPush {
		src, tgt = p.Local, p.Peer
	}
	common := map[string]string{
		"source.cluster.alias":             src.Alias,
		"target.cluster.alias":             tgt.Alias,
		"source.cluster.bootstrap.servers": src.Bootstrap,
		"target.cluster.bootstrap.servers": tgt.Bootstrap,
		"key.converter":                    ByteArrayConverter,
		"value.converter":                  ByteArrayConverter,
		"header.converter":                 ByteArrayConverter,
		"topics":                           topicsList(p),
		"topics.exclude":                   TopicsExclude,
	}
	if p.SyncGroupOffsets {
		// The offset-syncs topic lives on the TARGET, the cluster each flow writes to anyway: a pull then needs
		// nothing but read access on the peer (MM2's default, "source", would create and write a topic there).
		// Keeping it on the local instance in both directions is impossible for two-way: its name,
		// mm2-offset-syncs.<other alias>.internal, would be the same for both flows, and with identity topic
		// names their records (keyed by source topic-partition) would collide.
		// Only set with offset sync: MirrorSourceConnector.validate rejects any offset-syncs.* key when
		// emit.offset-syncs.enabled=false, and Connect refuses a connector that fails validation.
		common["offset-syncs.topic.location"] = "target"
	}
	for k, v := range src.Props {
		common["source.cluster."+k] = v
	}
	for k, v := range tgt.Props {
		common["target.cluster."+k] = v
	}
	switch {
	case p.RenameTopics:
		common["replication.policy.class"] = DefaultPolicyClass
	case len(p.TopicsMapping) > 0:
		common["replication.policy.class"] = MappingPolicyClass
		common[MappingConfigKey] = FormatTopicsMapping(p.TopicsMapping)
	default:
		common["replication.policy.class"] = IdentityPolicyClass
	}
	if dir == DirectionPush {
		// The worker's producer writes to the local cluster; point both connectors' producers at the peer.
		common["producer.override.bootstrap.servers"] = tgt.Bootstrap
		for k, v := range tgt.Props {
			common["producer.override."+k] = v
		}
	}

	source := maps.Clone(common)
	taskNum := p.TaskNum
	if taskNum == 0 {
		taskNum = DefaultTaskNum
	}
	rf := p.ReplicationFactor
	if rf == 0 {
		rf = -1 // CreateTopics with -1 = the broker's default.replication.factor (KIP-464)
	}
	strategy := p.ConsumerStrategy
	if strategy == "" {
		strategy = DefaultConsumerStrategy
	}
	for k, v := range map[string]string{
		"connector.class":                   SourceConnectorClass,
		"tasks.max":                         strconv.Itoa(taskNum),
		"replication.factor":                strconv.Itoa(rf),
		"source.consumer.auto.offset.reset": strategy,
		"refresh.topics.interval.seconds":   refreshTopicsSeconds,
		"sync.topic.configs.enabled":        "true",
		// ACL sync needs DescribeAcls on the source and AlterAcls on the target; DMS does not offer it.
		"sync.topic.acls.enabled":        "false",
		"heartbeats.replication.enabled": "false",
		// Offset syncs only feed checkpoints; without offset sync they are writes for nothing.
		"emit.offset-syncs.enabled": strconv.FormatBool(p.SyncGroupOffsets),
	} {
		source[k] = v
	}
	if p.SyncGroupOffsets {
		source["offset-syncs.topic.replication.factor"] = "-1" // MM2's default 3 fails on a single-broker instance
	}
	if p.CompressionType != "" {
		source["producer.override.compression.type"] = p.CompressionType
	}
	if LoopGuard(p) {
		// Order matters: drop what came from the target first, then mark what is left with our origin.
		source["transforms"] = "dropFromTarget,markOrigin"
		source["transforms.dropFromTarget.type"] = FilterTransform
		source["transforms.dropFromTarget.predicate"] = "fromTarget"
		source["transforms.markOrigin.type"] = InsertHeaderSMT
		source["transforms.markOrigin.header"] = ProvenanceHeaderPfx + src.Alias
		source["transforms.markOrigin.value.literal"] = "null"
		source["predicates"] = "fromTarget"
		source["predicates.fromTarget.type"] = HasHeaderKeyPred
		source["predicates.fromTarget.name"] = ProvenanceHeaderPfx + tgt.Alias
	}
	out := []Connector{{Name: p.Name + "-" + dir + "-source", Config: source}}

	if p.SyncGroupOffsets {
		cp := maps.Clone(common)
		for k, v := range map[string]string{
			"connector.class": CheckpointConnectorClass,
			// A checkpoint task only makes a few admin calls per interval; task_num counts replication tasks.
			"tasks.max":                            "1",
			"groups":                               ".*",
			"groups.exclude":                       GroupsExclude,
			"emit.checkpoints.enabled":             "true",
			"emit.checkpoints.interval.seconds":    checkpointSeconds,
			"sync.group.offsets.enabled":           "true",
			"sync.group.offsets.interval.seconds":  checkpointSeconds,
			"refresh.groups.interval.seconds":      refreshGroupsSeconds,
			"checkpoints.topic.replication.factor": "-1",
		} {
			cp[k] = v
		}
		out = append(out, Connector{Name: p.Name + "-" + dir + "-checkpoint", Config: cp})
	}
	return out
}

// topicsList is MM2's "topics": a comma-separated list of whole-name Java regexes. Listed topic names are
// escaped ('.' is the only regex metacharacter a topic name can hold); with neither topics nor a regex the
// mapping's sources are replicated (the reference's own mapping example gives no topics).
func topicsList(p Params) string {
	if p.TopicsRegex != "" {
		return p.TopicsRegex
	}
	names := p.Topics
	if len(names) == 0 {
		names = slices.Sorted(maps.Keys(p.TopicsMapping))
	}
	quoted := make([]string, len(names))
	for i, t := range names {
		quoted[i] = strings.ReplaceAll(t, ".", `\.`)
	}
	return strings.Join(quoted, ",")
}
