package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/kafka"
	"github.com/opendms/opendms/kafka/connectplugins"
)

// Connect jars. The workers' classpath is <cache>/kafka-<v>-connect/libs (kafka/connect-pom.xml
// resolved with Maven, beside the broker jars like the tools: a broker resolve clears only its own
// dir) plus OpenDMS's plugin jar (kafka/connectplugins: MappingReplicationPolicy), compiled with
// javac into that libs dir like the brokers' PLAIN handler. With KAFKA_HOME an install of the
// version, its libs/ (the tarball has the Connect jars) is used as it is and the plugin jar lives in
// the cache.

// ConnectPluginJar is the file name of OpenDMS's Connect plugin jar.
const ConnectPluginJar = connectplugins.JarName

// connectPlugins is the workers' plugin jar.
var connectPlugins = javaJar{
	name:       ConnectPluginJar,
	stampEntry: "META-INF/opendms-connect.stamp",
	sourceSHA:  connectplugins.SourceSHA256,
	sources:    connectplugins.Sources,
	recipe:     plainAuthRecipe,
}

// ConnectDir is where FetchConnect puts the Connect jars of version under cacheDir ("" means the
// defaults): <cache>/kafka-<version>-connect, its jars in libs/.
func ConnectDir(cacheDir, version string) string {
	o := FetchOptions{CacheDir: cacheDir, Version: version}.withDefaults()
	return filepath.Join(o.CacheDir, "kafka-"+o.Version+"-connect")
}

// connectClasspath is what runs a worker: the Connect jars and the plugin jar.
type connectClasspath struct{ libs, pluginJar string }

func (c connectClasspath) String() string {
	cp := filepath.Join(c.libs, "*")
	if filepath.Dir(c.pluginJar) != c.libs {
		cp += string(os.PathListSeparator) + c.pluginJar
	}
	return cp
}

// FetchConnect returns the directory of the Kafka Connect worker jars of opts.Version, resolving
// kafka/connect-pom.xml with Maven into ConnectDir when missing or half-done (a lock and a complete
// marker as for the broker jars), with OpenDMS's plugin jar (ConnectPluginJar) built in it. With
// KAFKA_HOME an install of this version, its libs/ is returned (the plugin jar is then in the cache:
// connectPluginJarPath).
func FetchConnect(ctx context.Context, opts FetchOptions) (string, error) {
	cp, err := fetchConnect(ctx, opts)
	return cp.libs, err
}

func fetchConnect(ctx context.Context, opts FetchOptions) (connectClasspath, error) {
	opts = opts.withDefaults()
	if !ValidVersion(opts.Version) {
		return connectClasspath{}, fmt.Errorf("local engine: invalid Kafka version %q", opts.Version)
	}
	if libs, ok := kafkaHomeLibs(opts.KafkaHome, opts.Version); ok {
		if _, err := os.Stat(filepath.Join(libs, "connect-runtime-"+opts.Version+".jar")); err == nil {
			cp := connectClasspath{libs: libs, pluginJar: filepath.Join(opts.CacheDir, "connectplugins-"+opts.Version, ConnectPluginJar)}
			return cp, ensureConnectPlugins(ctx, opts, cp)
		}
	}
	dir := ConnectDir(opts.CacheDir, opts.Version)
	cp := connectClasspath{libs: filepath.Join(dir, "libs"), pluginJar: filepath.Join(dir, "libs", ConnectPluginJar)}
	if !connectComplete(dir) {
		mvn, err := findMaven(opts.Maven)
		if err != nil {
			return cp, unavailableJars(opts, err)
		}
		if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
			return cp, fmt.Errorf("local engine: kafka jar cache: %w", err)
		}
		unlock, err := lockFile(ctx, dir+".lock")
		if err != nil {
			return cp, err
		}
		defer unlock()
		if !connectComplete(dir) { // else another process resolved it while we waited
			if err := resolvePOM(ctx, opts, mvn, dir, "Kafka Connect", kafka.ConnectPOM, "connect-runtime-"+opts.Version+".jar"); err != nil {
				return cp, err
			}
			if err := writeFileAtomic(filepath.Join(dir, connectPOMStamp), []byte(connectPOMSHA()), 0o644); err != nil {
				return cp, err
			}
		}
	}
	return cp, ensureConnectPlugins(ctx, opts, cp)
}

// connectPOMStamp is the file of a Connect jar dir holding the SHA-256 of the POM it was resolved
// from: a dmsd whose Connect POM changed (a new dependency) resolves again.
const connectPOMStamp = ".pom-sha256"

func connectPOMSHA() string {
	h := sha256.Sum256(kafka.ConnectPOM)
	return hex.EncodeToString(h[:])
}

// connectComplete reports whether dir holds a complete resolve of the current Connect POM.
func connectComplete(dir string) bool {
	if !complete(dir) {
		return false
	}
	b, err := os.ReadFile(filepath.Join(dir, connectPOMStamp))
	return err == nil && string(b) == connectPOMSHA()
}

// ensureConnectPlugins builds the plugin jar of cp unless it is current. Like the PLAIN handler it
// takes no lock: builders write a temp file and rename it over the jar.
func ensureConnectPlugins(ctx context.Context, opts FetchOptions, cp connectClasspath) error {
	if connectPlugins.current(cp.pluginJar) {
		return nil
	}
	javac, err := findJavac(opts.JavaHome)
	if err != nil {
		return fmt.Errorf("%w (%s, the Connect workers' MirrorMaker 2 topic-mapping policy, is built with javac too)", err, ConnectPluginJar)
	}
	if err := os.MkdirAll(filepath.Dir(cp.pluginJar), 0o755); err != nil {
		return fmt.Errorf("local engine: %s: %w", ConnectPluginJar, err)
	}
	return connectPlugins.build(ctx, javac, filepath.Join(cp.libs, "*"), cp.pluginJar)
}

// connectRuntime is what starting a worker takes: java and the Connect classpath of one version.
type connectRuntime struct {
	java string
	cp   connectClasspath
}

// connectRuntime fetches (once at a time per version, in the background like the broker jars) the
// Connect jars of version.
func (e *Engine) connectRuntime(ctx context.Context, version string) (connectRuntime, error) {
	java, err := checkJava(e.opts.JavaHome)
	if err != nil {
		return connectRuntime{}, err
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return connectRuntime{}, errClosed
	}
	key := "connect-" + version
	fc, ok := e.fetches[key]
	if ok {
		select {
		case <-fc.done:
			if fc.err != nil {
				ok = false
			} else if _, err := connectClasspathOf(e.opts.fetchOptions(version)); err != nil { // a cache cleared under us
				ok = false
			}
		default:
		}
	}
	if !ok {
		fc = &fetchCall{done: make(chan struct{})}
		e.fetches[key] = fc
		go func() {
			c, err := fetchConnect(e.ctx, e.opts.fetchOptions(version))
			fc.libs, fc.err = c.libs, err
			if err == nil {
				e.log.Info("kafka connect jars ready", "version", version, "libs", c.libs)
			}
			close(fc.done)
		}()
	}
	e.mu.Unlock()
	select {
	case <-fc.done:
	case <-ctx.Done():
		return connectRuntime{}, ctx.Err()
	}
	if fc.err != nil {
		return connectRuntime{}, fc.err
	}
	// The classpath again from the options (a few stats), checked to be in place: a cache cleared
	// since is an error the next call retries.
	c, err := connectClasspathOf(e.opts.fetchOptions(version))
	if err != nil {
		return connectRuntime{}, err
	}
	return connectRuntime{java: java, cp: c}, nil
}

// connectClasspathOf is the classpath fetchConnect returned for opts, when it is in place.
func connectClasspathOf(opts FetchOptions) (connectClasspath, error) {
	opts = opts.withDefaults()
	var cp connectClasspath
	if libs, ok := kafkaHomeLibs(opts.KafkaHome, opts.Version); ok {
		if _, err := os.Stat(filepath.Join(libs, "connect-runtime-"+opts.Version+".jar")); err == nil {
			cp = connectClasspath{libs: libs, pluginJar: filepath.Join(opts.CacheDir, "connectplugins-"+opts.Version, ConnectPluginJar)}
		}
	}
	if cp.libs == "" {
		dir := ConnectDir(opts.CacheDir, opts.Version)
		cp = connectClasspath{libs: filepath.Join(dir, "libs"), pluginJar: filepath.Join(dir, "libs", ConnectPluginJar)}
	}
	if !connectPlugins.current(cp.pluginJar) {
		return cp, fmt.Errorf("%w: the Kafka Connect %s jars in %s vanished or are incomplete; retry", engine.ErrUnavailable, opts.Version, cp.libs)
	}
	return cp, nil
}
