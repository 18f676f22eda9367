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

const (
	// SourcePath is Source's path under a source root (javac wants the package's directories).
	SourcePath = "io/opendms/kafka/FilePlainServerCallbackHandler.java"
	// HandlerClass is the value of listener.name.<listener>.plain.sasl.server.callback.handler.class.
	HandlerClass = "io.opendms.kafka.FilePlainServerCallbackHandler"
	// JarName is the jar the local engine builds into the broker's libs directory.
	JarName = "opendms-plainauth.jar"
	// CredentialsFileOption is the PlainLoginModule JAAS option naming the credentials file.
	CredentialsFileOption = "credentialsFile"
)

// SourceSHA256 is the hex SHA-256 of Source.
func SourceSHA256() string {
	sum := sha256.Sum256(Source)
	return hex.EncodeToString(sum[:])
}

// JAASConfig is the value of listener.name.<listener>.plain.sasl.jaas.config that points the handler
// at credentialsFile (the file internal/scram.WritePlainUsers writes).
func JAASConfig(credentialsFile string) string {
	// Kafka parses JAAS values with java.io.StreamTokenizer: in a quoted string, \ escapes.
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(credentialsFile)
	return `org.apache.kafka.common.security.plain.PlainLoginModule required ` + CredentialsFileOption + `="` + q + `";`
}
