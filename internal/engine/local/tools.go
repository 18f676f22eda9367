package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opendms/opendms/kafka"
)

// Tool is one Apache Kafka command-line tool: its script name and main class (as in the official
// tarball's bin/ scripts of Kafka 4.x).
type Tool struct{ Script, MainClass string }

// Tools are the wrapper scripts FetchTools writes: what a user needs to produce, consume and look at
// topics and groups of an instance.
var Tools = []Tool{
	{"kafka-console-producer.sh", "org.apache.kafka.tools.ConsoleProducer"},
	{"kafka-console-consumer.sh", "org.apache.kafka.tools.consumer.ConsoleConsumer"},
	{"kafka-topics.sh", "org.apache.kafka.tools.TopicCommand"},
	{"kafka-consumer-groups.sh", "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"},
	{"kafka-producer-perf-test.sh", "org.apache.kafka.tools.ProducerPerformance"},
	{"kafka-consumer-perf-test.sh", "org.apache.kafka.tools.ConsumerPerformance"},
}

// toolsLog4j is the tools' logging: warnings and errors to stderr only, so the console consumer's
// stdout carries nothing but records (log4j2's own default would log errors to stdout).
const toolsLog4j = `# Written by dmsd kafka fetch --tools: the tools log warnings and errors to stderr.
status = error
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = STDERR
`

// ToolsDir is where FetchTools puts the tools of version under cacheDir ("" means the defaults):
// <cache>/kafka-<version>-tools, beside (not inside) the broker jars' directory, which a broker
// resolve clears.
func ToolsDir(cacheDir, version string) string {
	o := FetchOptions{CacheDir: cacheDir, Version: version}.withDefaults()
	return filepath.Join(o.CacheDir, "kafka-"+o.Version+"-tools")
}

// FetchTools returns a directory of runnable Apache Kafka command-line tools of opts.Version (the
// brokers' build): the bin/ of KAFKA_HOME when that is an install of this version, else
// <cache>/kafka-<version>-tools/bin, whose wrapper scripts run `java -cp <libs>/* <MainClass>` over
// the jars of kafka/tools-pom.xml, resolved with Maven like the broker jars. The scripts are
// rewritten on every call (cheap), so a moved JAVA or cache stays right.
func FetchTools(ctx context.Context, opts FetchOptions) (string, error) {
	opts = opts.withDefaults()
	if !ValidVersion(opts.Version) {
		return "", fmt.Errorf("local engine: invalid Kafka version %q", opts.Version)
	}
	if libs, ok := kafkaHomeLibs(opts.KafkaHome, opts.Version); ok {
		bin := filepath.Join(filepath.Dir(libs), "bin")
		if _, err := os.Stat(filepath.Join(bin, "kafka-topics.sh")); err == nil {
			return bin, nil
		}
	}
	dir := ToolsDir(opts.CacheDir, opts.Version)
	if !complete(dir) {
		mvn, err := findMaven(opts.Maven)
		if err != nil {
			return "", unavailableJars(opts, err)
		}
		if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
			return "", fmt.Errorf("local engine: kafka jar cache: %w", err)
		}
		unlock, err := lockFile(ctx, dir+".lock")
		if err != nil {
			return "", err
		}
		defer unlock()
		if !complete(dir) { // else another process resolved it while we waited
			if err := resolvePOM(ctx, opts, mvn, dir, "Kafka tools", kafka.ToolsPOM, "kafka-tools-"+opts.Version+".jar"); err != nil {
				return "", err
			}
		}
	}
	return writeToolScripts(dir, opts.Version)
}

// writeToolScripts writes dir/log4j2.properties and a wrapper per Tool into dir/bin.
func writeToolScripts(dir, version string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(abs, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	logCfg := filepath.Join(abs, "log4j2.properties")
	if err := writeFileAtomic(logCfg, []byte(toolsLog4j), 0o644); err != nil {
		return "", err
	}
	for _, t := range Tools {
		if err := writeFileAtomic(filepath.Join(bin, t.Script), []byte(toolScript(t, version, filepath.Join(abs, "libs"), logCfg)), 0o755); err != nil {
			return "", err
		}
	}
	return bin, nil
}

// toolScript is a POSIX sh wrapper like the tarball's (kafka-run-class.sh, much reduced): the JVM of
// JAVA_HOME or PATH, KAFKA_HEAP_OPTS (default a small heap) and KAFKA_OPTS as the user sets them.
func toolScript(t Tool, version, libs, logCfg string) string {
	return fmt.Sprintf(`#!/bin/sh
# %s: Apache Kafka %s's %s, written by `+"`dmsd kafka fetch --tools`"+`.
# Java: $JAVA_HOME/bin/java when JAVA_HOME is set, else java on PATH (17+).
# KAFKA_HEAP_OPTS (default -Xmx512m) and KAFKA_OPTS are passed to it.
if [ -n "$JAVA_HOME" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
exec "$JAVA" ${KAFKA_HEAP_OPTS:--Xmx512m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
  -Dlog4j2.configurationFile=%s $KAFKA_OPTS \
  -cp %s %s "$@"
`, t.Script, version, t.MainClass, shellQuote(logCfg), shellQuote(filepath.Join(libs, "*")), t.MainClass)
}

// shellQuote quotes s for sh: inside single quotes, each single quote closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
