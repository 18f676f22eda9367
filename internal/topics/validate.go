package topics

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opendms/opendms/internal/dms"
)

// Limits of the reference.
const (
	// MaxPartitions is a topic's partition limit in the V2 APIs (5.5.2 partition 1-200; 5.5.3's
	// topic_max_partitions).
	MaxPartitions = 200
	// maxPartitionsV1 is the limit of the V1 and legacy APIs (7.1.1.7 partition 1-100; 7.2.2.1
	// "maximum value: 100").
	maxPartitionsV1 = 100
	maxReplicas     = 3
	// Retention in hours: 1-720, default 72 (5.5.2 and 7.1.1.7 retention_time). The table of error
	// codes says 1-168 for DMS.00400105; the APIs' own tables say 1-720, and those are followed.
	minRetentionHours     = 1
	maxRetentionHours     = 720
	defaultRetentionHours = 72
	defaultPartitions     = 3
	hourMS                = int64(3_600_000)
	// syncReplicationISR is min.insync.replicas of a topic with sync_replication: a write with
	// acks=all (-1) is acknowledged once the leader and at least one follower have it.
	syncReplicationISR = 2
)

// Topic configs behind the DMS settings.
const (
	cfgRetentionMS = "retention.ms"
	cfgMinISR      = "min.insync.replicas"
	cfgFlush       = "flush.messages" // sync_message_flush: flush.messages=1 flushes every message
)

// nameRule is the topic name rule of an API.
type nameRule struct {
	re   *regexp.Regexp
	text string
}

var (
	// 5.5.2: 3-200 characters, starting with a letter; letters, digits, '-', '_' and '.'.
	nameV2 = nameRule{regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]{2,199}$`),
		"3 to 200 characters long and start with a letter. Only letters, digits, periods (.), underscores (_), and hyphens (-) are allowed"}
	// 7.1.1.7: 4-64 characters, starting with a letter; letters, digits, '-' and '_'.
	nameV1 = nameRule{regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{3,63}$`),
		"4 to 64 characters long and start with a letter. Only letters, digits, underscores (_), and hyphens (-) are allowed"}
)

func (r nameRule) check(name string) error {
	if !r.re.MatchString(name) {
		return dms.Errorf(dms.CodeTopicNameInvalid, "Invalid topic name %q: the name of a Kafka topic must be %s.", name, r.text)
	}
	return nil
}

func checkPartitions(n int32, limit int) error {
	if n < 1 || int(n) > limit {
		return dms.Errorf(dms.CodeTopicPartitionInvalid, "The number of partitions of a Kafka topic must be within the range of 1-%d, got %d.", limit, n)
	}
	return nil
}

func checkRetention(hours int32) error {
	if hours < minRetentionHours || hours > maxRetentionHours {
		return dms.Errorf(dms.CodeTopicRetentionInvalid, "The message retention period (retention_time) of a Kafka topic must be within the range of %d-%d hours, got %d.",
			minRetentionHours, maxRetentionHours, hours)
	}
	return nil
}

// checkReplication checks a replication factor against the reference's range and the brokers.
func checkReplication(rf int32, brokers int) error {
	if rf < 1 || rf > maxReplicas {
		return dms.Errorf(dms.CodeTopicReplicaInvalid, "The number of replicas of a Kafka topic must be within the range of 1-%d, got %d.", maxReplicas, rf)
	}
	if int(rf) > brokers {
		return dms.Errorf(dms.CodeTopicReplicaTooMany, "Replication factor larger than available brokers: %d replicas, %d brokers.", rf, brokers)
	}
	return nil
}

// maxDescription bounds topic_desc (the reference gives no limit; instance descriptions have 1024).
const maxDescription = 1024

// checkDescription checks a topic description.
func checkDescription(desc *string) error {
	if desc != nil && utf8.RuneCountInString(*desc) > maxDescription {
		return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: topic_desc is longer than %d characters.", maxDescription)
	}
	return nil
}

// otherConfig is a topic config users may set through topic_other_configs, as 5.5.3 lists it.
type otherConfig struct {
	Name        string
	ValidValues string // the reference's form: "[0...10485760]", "[CreateTime, LogAppendTime]"
	ValueType   string // "int" or "string"
	// normalize validates a value and returns the form the cluster gets.
	normalize func(v string) (string, error)
}

// otherConfigs are the topic_other_configs of DMS: the two of the reference's examples (5.5.2-5.5.4)
// and min.insync.replicas (1-3, at most the topic's replicas; sync_replication sets it to 2).
var otherConfigs = []otherConfig{
	{Name: "max.message.bytes", ValidValues: "[0...10485760]", ValueType: "int", normalize: intIn(0, 10485760)},
	{Name: "message.timestamp.type", ValidValues: "[CreateTime, LogAppendTime]", ValueType: "string", normalize: oneOf("CreateTime", "LogAppendTime")},
	{Name: cfgMinISR, ValidValues: "[1...3]", ValueType: "int", normalize: intIn(1, 3)},
}

func lookupOtherConfig(name string) (otherConfig, bool) {
	for _, c := range otherConfigs {
		if c.Name == name {
			return c, true
		}
	}
	return otherConfig{}, false
}

func intIn(lo, hi int64) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return "", fmt.Errorf("%q is not an integer", v)
		}
		if n < lo || n > hi {
			return "", fmt.Errorf("%d is out of range %d-%d", n, lo, hi)
		}
		return strconv.FormatInt(n, 10), nil
	}
}

func oneOf(values ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		for _, ok := range values {
			if strings.EqualFold(strings.TrimSpace(v), ok) {
				return ok, nil
			}
		}
		return "", fmt.Errorf("%q is not one of %s", v, strings.Join(values, ", "))
	}
}

// OtherConfig is one entry of topic_other_configs in a request.
type OtherConfig struct {
	Name  string     `json:"name"`
	Value FlexString `json:"value"`
}

// otherConfigValues validates topic_other_configs against a topic of rf replicas and returns the
// configs to set.
func otherConfigValues(cs []OtherConfig, rf int) (map[string]string, error) {
	out := map[string]string{}
	for _, c := range cs {
		spec, ok := lookupOtherConfig(c.Name)
		if !ok {
			var names []string
			for _, o := range otherConfigs {
				names = append(names, o.Name)
			}
			return nil, dms.Errorf(dms.CodeConfigInvalid, "Invalid configuration parameter %q: the topic configs are %s.", c.Name, strings.Join(names, ", "))
		}
		if _, dup := out[c.Name]; dup {
			return nil, dms.Errorf(dms.CodeConfigInvalid, "Invalid configuration parameter %s: named twice.", c.Name)
		}
		v, err := spec.normalize(string(c.Value))
		if err != nil {
			return nil, dms.Errorf(dms.CodeConfigInvalid, "Invalid configuration parameter %s: %v; valid values are %s.", c.Name, err, spec.ValidValues)
		}
		if c.Name == cfgMinISR {
			if n, _ := strconv.Atoi(v); n > rf {
				return nil, dms.Errorf(dms.CodeConfigInvalid, "Invalid configuration parameter %s: %d is more than the topic's %d replicas (writes with acks=all would always fail).", c.Name, n, rf)
			}
		}
		out[c.Name] = v
	}
	return out, nil
}

// syncReplicationConfig is min.insync.replicas for sync_replication, checked against the topic's
// replicas and a min.insync.replicas also given in topic_other_configs.
func syncReplicationConfig(sync bool, rf int, others map[string]string) (string, error) {
	want := "1"
	if sync {
		if rf < syncReplicationISR {
			return "", dms.Errorf(dms.CodeTopicReplicaInvalid, "Synchronous replication (sync_replication) needs at least %d replicas, the topic has %d.", syncReplicationISR, rf)
		}
		want = strconv.Itoa(syncReplicationISR)
	}
	if v, ok := others[cfgMinISR]; ok {
		n, _ := strconv.Atoi(v)
		if (n >= syncReplicationISR) != sync {
			return "", dms.Errorf(dms.CodeConfigInvalid, "Invalid configuration parameter %s=%s: it contradicts sync_replication=%t (sync_replication sets %s to %s).", cfgMinISR, v, sync, cfgMinISR, want)
		}
		return v, nil
	}
	return want, nil
}

// FlexBool is a JSON boolean that also accepts the strings "true" and "false": the reference's
// examples send sync_replication as "false" (sdk-compat.md 4.1).
type FlexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *FlexBool) UnmarshalJSON(data []byte) error {
	switch strings.ToLower(strings.TrimSpace(string(data))) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`:
		*b = false
	default:
		return &json.UnmarshalTypeError{Value: "value " + string(data), Type: reflect.TypeFor[bool]()}
	}
	return nil
}

// FlexString is a JSON string that also accepts a number or a boolean, kept as written: the
// reference's examples send topic_other_configs values as numbers (sdk-compat.md 4.1).
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *FlexString) UnmarshalJSON(data []byte) error {
	var str string
	if err := json.Unmarshal(data, &str); err == nil {
		*s = FlexString(str)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err == nil {
		*s = FlexString(n.String())
		return nil
	}
	var b bool
	if err := json.Unmarshal(data, &b); err == nil {
		*s = FlexString(strconv.FormatBool(b))
		return nil
	}
	return &json.UnmarshalTypeError{Value: "value " + string(data), Type: reflect.TypeFor[string]()}
}
