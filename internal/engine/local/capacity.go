package local

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/opendms/opendms/internal/engine"
	"github.com/opendms/opendms/kafka/plainauth"
)

// ProduceGateFile is the name, in the instance's data dir, of the produce gate: while it exists the
// brokers' authorizer (kafka/plainauth: ProduceGateAuthorizer) refuses every produce request with
// TOPIC_AUTHORIZATION_FAILED.
const ProduceGateFile = "produce-reject"

var (
	_ engine.ProduceGate   = (*Engine)(nil)
	_ engine.SegmentLister = (*Engine)(nil)
)

// SetProduceReject closes (reject) or opens the instance's produce gate. The brokers see the change
// within half a second. Brokers started by an OpenDMS without the gate (their server.properties
// names no gate file) cannot refuse produce requests until restarted: that is an error wrapping
// engine.ErrRestartNeeded, and the file is still written so that a restart applies it.
func (e *Engine) SetProduceReject(ctx context.Context, spec engine.Spec, reject bool, reason string) error {
	spec, err := normalize(spec)
	if err != nil {
		return err
	}
	path := filepath.Join(spec.DataDir, ProduceGateFile)
	if reject {
		if err := writeFileAtomic(path, []byte(reason+"\n"), 0o600); err != nil {
			return fmt.Errorf("local engine: closing the produce gate: %w", err)
		}
	} else if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("local engine: opening the produce gate: %w", err)
	}
	if !reject {
		return nil
	}
	var old []string
	for _, b := range spec.Brokers {
		// server.properties is rewritten at every start of the broker: it is what the running JVM read.
		props, err := os.ReadFile(filepath.Join(brokerDir(spec.DataDir, b.ID), "server.properties"))
		if err == nil && !bytes.Contains(props, []byte("\n"+plainauth.GateFileConfig+"=")) {
			old = append(old, strconv.Itoa(int(b.ID)))
		}
	}
	if len(old) > 0 {
		return fmt.Errorf("local engine: broker(s) %s run without the produce gate (started by an older OpenDMS): %w",
			strings.Join(old, ","), engine.ErrRestartNeeded)
	}
	return nil
}

// Segments lists the log segments of a partition replica on one broker from the names and sizes of
// its log dir's <base offset>.log files (Kafka names every segment by its base offset, 20 digits).
// It is a directory listing, no Kafka call: a segment deleted or rolled meanwhile shows in the next
// listing. A replica the broker does not hold answers no segments.
func (e *Engine) Segments(ctx context.Context, spec engine.Spec, broker int32, topic string, partition int32) ([]engine.Segment, error) {
	spec, err := normalize(spec)
	if err != nil {
		return nil, err
	}
	if topic == "" || topic == "." || topic == ".." || strings.ContainsAny(topic, "/\x00") {
		return nil, fmt.Errorf("local engine: invalid topic name %q", topic)
	}
	dir := filepath.Join(brokerDir(spec.DataDir, broker), "data", topic+"-"+strconv.Itoa(int(partition)))
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("local engine: listing segments: %w", err)
	}
	var out []engine.Segment
	for _, de := range entries {
		name := de.Name()
		base, ok := strings.CutSuffix(name, ".log")
		if !ok || len(base) != 20 || de.IsDir() {
			continue // indexes, snapshots, and .deleted/.cleaned/.swap files of segments on their way out
		}
		off, err := strconv.ParseInt(base, 10, 64)
		if err != nil {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // deleted since the listing
		}
		out = append(out, engine.Segment{Base: off, Bytes: info.Size()})
	}
	slices.SortFunc(out, func(a, b engine.Segment) int { return cmp.Compare(a.Base, b.Base) })
	return out, nil
}
