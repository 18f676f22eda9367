// Package plainauth carries the Java source of the SASL/PLAIN server callback handler that lets Kafka
// brokers check PLAIN logins against the SCRAM-SHA-512 StoredKeys in a file the control plane writes
// (internal/scram), so users are added and changed without a broker restart. It is embedded so dmsd
// can compile it (internal/engine/local, next to the Kafka jars) wherever it runs.
package plainauth

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"strings"
)

// Source is src/io/opendms/kafka/FilePlainServerCallbackHandler.java.
//
//go:embed src/io/opendms/kafka/FilePlainServerCallbackHandler.java
var Source []byte

// GateSource is src/io/opendms/kafka/ProduceGateAuthorizer.java: Kafka's StandardAuthorizer with a
// produce gate (the capacity policy produce_reject), compiled into the same jar.
//
//go:embed src/io/opendms/kafka/ProduceGateAuthorizer.java
var GateSource []byte

const (
	// SourcePath is Source's path under a source root (javac wants the package's directories).
	SourcePath = "io/opendms/kafka/FilePlainServerCallbackHandler.java"
	// HandlerClass is the value of listener.name.<listener>.plain.sasl.server.callback.handler.class.
	HandlerClass = "io.opendms.kafka.FilePlainServerCallbackHandler"
	// JarName is the jar the local engine builds into the broker's libs directory.
	JarName = "opendms-plainauth.jar"
	// CredentialsFileOption is the PlainLoginModule JAAS option naming the credentials file.
	CredentialsFileOption = "credentialsFile"
	// GateSourcePath is GateSource's path under a source root.
	GateSourcePath = "io/opendms/kafka/ProduceGateAuthorizer.java"
	// GateAuthorizerClass is the value of authorizer.class.name for brokers with a produce gate.
	GateAuthorizerClass = "io.opendms.kafka.ProduceGateAuthorizer"
	// GateFileConfig is the broker config naming the gate file: while it exists, produce requests
	// are refused.
	GateFileConfig = "opendms.produce.gate.file"
)

// SourceSHA256 is the hex SHA-256 of the sources (Source, then GateSource): the jar's stamp changes
// with either.
func SourceSHA256() string {
	h := sha256.New()
	h.Write(Source)
	h.Write(GateSource)
	return hex.EncodeToString(h.Sum(nil))
}

// Sources are the Java sources of the jar by their path under a source root.
func Sources() map[string][]byte {
	return map[string][]byte{SourcePath: Source, GateSourcePath: GateSource}
}

// JAASConfig is the value of listener.name.<listener>.plain.sasl.jaas.config that points the handler
// at credentialsFile (the file internal/scram.WritePlainUsers writes).
func JAASConfig(credentialsFile string) string {
	// Kafka parses JAAS values with java.io.StreamTokenizer: in a quoted string, \ escapes.
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(credentialsFile)
	return `org.apache.kafka.common.security.plain.PlainLoginModule required ` + CredentialsFileOption + `="` + q + `";`
}
