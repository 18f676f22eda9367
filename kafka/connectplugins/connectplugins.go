// Package connectplugins carries the Java source of OpenDMS's own Kafka Connect plugins, which the
// local engine compiles with javac into a jar on the Connect workers' classpath
// (internal/engine/local, connect_fetch.go), as it does the brokers' PLAIN handler (kafka/plainauth).
//
// io.opendms.connect.MappingReplicationPolicy is a MirrorMaker 2 ReplicationPolicy that renames the
// topics of a "src:dst,src2:dst2" mapping (the DMS task field topics_mapping) and keeps every other
// name: set replication.policy.class=PolicyClass and MappingConfig=<mapping> on the
// MirrorSourceConnector and the MirrorCheckpointConnector alike.
package connectplugins

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// PolicySource is src/io/opendms/connect/MappingReplicationPolicy.java.
//
//go:embed src/io/opendms/connect/MappingReplicationPolicy.java
var PolicySource []byte

const (
	// PolicySourcePath is PolicySource's path under a source root.
	PolicySourcePath = "io/opendms/connect/MappingReplicationPolicy.java"
	// PolicyClass is the value of MM2's replication.policy.class.
	PolicyClass = "io.opendms.connect.MappingReplicationPolicy"
	// MappingConfig is the connector config key of the mapping.
	MappingConfig = "opendms.topics.mapping"
	// JarName is the jar the local engine builds beside the Connect jars.
	JarName = "opendms-connect.jar"
)

// SourceSHA256 is the hex SHA-256 of the sources: the jar's stamp changes with them.
func SourceSHA256() string {
	h := sha256.New()
	h.Write(PolicySource)
	return hex.EncodeToString(h.Sum(nil))
}

// Sources are the Java sources of the jar by their path under a source root.
func Sources() map[string][]byte {
	return map[string][]byte{PolicySourcePath: PolicySource}
}

// topicRE is a legal Kafka topic name (what the policy may be given).
var topicRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

// Mapping renders pairs (source topic -> target topic, in the order given) as MappingConfig's value
// and checks what the policy checks, so a bad mapping fails in dmsd with a clear message instead of
// in the connector: legal topic names, no source twice, no target twice.
func Mapping(pairs [][2]string) (string, error) {
	src, dst := map[string]bool{}, map[string]bool{}
	parts := make([]string, 0, len(pairs))
	for _, p := range pairs {
		for _, t := range p {
			if !topicRE.MatchString(t) || t == "." || t == ".." {
				return "", fmt.Errorf("topics mapping: %q is not a topic name", t)
			}
		}
		if src[p[0]] {
			return "", fmt.Errorf("topics mapping: topic %s is mapped twice", p[0])
		}
		if dst[p[1]] {
			return "", fmt.Errorf("topics mapping: two topics are mapped to %s", p[1])
		}
		src[p[0]], dst[p[1]] = true, true
		parts = append(parts, p[0]+":"+p[1])
	}
	return strings.Join(parts, ","), nil
}
