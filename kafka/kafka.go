// Package kafka carries the pinned Maven POM of the Apache Kafka broker classpath that the local
// engine (internal/engine/local) resolves into its jar cache. The POM is embedded so dmsd can resolve
// jars wherever it runs, without a checkout of this repository.
package kafka

import _ "embed"

// POM is pom.xml: kafka_2.13 at ${kafka.version} (DefaultVersion unless -Dkafka.version= is given)
// plus the SLF4J 1.7 binding for log4j2 that Kafka's POM leaves out.
//
//go:embed pom.xml
var POM []byte

// DefaultVersion is the Kafka version the POM pins by default.
const DefaultVersion = "4.3.1"

// ToolsPOM is tools-pom.xml: org.apache.kafka:kafka-tools at ${kafka.version} (the command-line
// tools of the same build as the brokers) with the same SLF4J binding and pins as POM.
//
//go:embed tools-pom.xml
var ToolsPOM []byte

// ConnectPOM is connect-pom.xml: the Kafka Connect worker classpath (connect-runtime, MirrorMaker 2's
// connect-mirror and connect-mirror-client, connect-json, connect-transforms, connect-file) at
// ${kafka.version}, with log4j2 and its SLF4J 1.7 binding declared directly.
//
//go:embed connect-pom.xml
var ConnectPOM []byte
