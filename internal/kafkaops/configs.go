package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Value types of ConfigSpec, as the reference names them.
const (
	ValueTypeInteger = "integer"
	ValueTypeEnum    = "enum"
)

// ConfigSpec describes one broker config that DMS exposes (APIs 5.1.7 and 5.1.8).
type ConfigSpec struct {
	Name string
	// ValidValues is the reference's form: "min~max" for integers, "a,b" for enums.
	ValidValues string
	// Default is DMS's default: what an instance is created with (BrokerDefaults).
	Default   string
	ValueType string // ValueTypeInteger or ValueTypeEnum
	// Dynamic says whether Kafka 4.x accepts the config in IncrementalAlterConfigs as a
	// cluster-wide default (it takes effect without a restart). Static configs need a rolling
	// restart with the new server.properties.
	Dynamic bool
	// KafkaDefault is Apache Kafka's own default: what a broker runs with when nothing sets the
	// config, so the value DescribeConfigs reports when the broker does not report the config.
	KafkaDefault string

	validate func(string) error
	// synonyms are the broker configs that carry the same setting, highest Kafka precedence first,
	// the config itself included, each with the conversion of its value into this config's unit.
	synonyms []synonym
}

type synonym struct {
	name    string
	convert func(string) (string, bool)
}

// ConfigType is the reference's config_type: "dynamic" or "static".
func (s ConfigSpec) ConfigType() string {
	if s.Dynamic {
		return "dynamic"
	}
	return "static"
}

// Validate checks value against the spec's valid values; the error wraps ErrInvalidConfigValue.
func (s ConfigSpec) Validate(value string) error {
	if err := s.validate(strings.TrimSpace(value)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfigValue, err)
	}
	return nil
}

// normalize returns the canonical form of a valid value: trimmed, integers without leading zeros
// or sign, enum values lower-cased (Kafka parses booleans case-insensitively).
func (s ConfigSpec) normalize(value string) string {
	value = strings.TrimSpace(value)
	switch s.ValueType {
	case ValueTypeInteger:
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			return strconv.FormatInt(n, 10)
		}
	case ValueTypeEnum:
		return strings.ToLower(value)
	}
	return value
}

func intSpec(name string, lo, hi int64, def, kafkaDef string, dynamic bool, syns ...synonym) ConfigSpec {
	s := ConfigSpec{
		Name:         name,
		ValidValues:  fmt.Sprintf("%d~%d", lo, hi),
		Default:      def,
		ValueType:    ValueTypeInteger,
		Dynamic:      dynamic,
		KafkaDefault: kafkaDef,
		validate: func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not an integer, valid values are %d~%d", v, lo, hi)
			}
			if n < lo || n > hi {
				return fmt.Errorf("%d is out of range %d~%d", n, lo, hi)
			}
			return nil
		},
		synonyms: syns,
	}
	if len(s.synonyms) == 0 {
		s.synonyms = []synonym{{name: name, convert: identity}}
	}
	return s
}

func enumSpec(name string, values []string, def, kafkaDef string, dynamic bool) ConfigSpec {
	return ConfigSpec{
		Name:         name,
		ValidValues:  strings.Join(values, ","),
		Default:      def,
		ValueType:    ValueTypeEnum,
		Dynamic:      dynamic,
		KafkaDefault: kafkaDef,
		validate: func(v string) error {
			for _, ok := range values {
				if strings.EqualFold(v, ok) {
					return nil
				}
			}
			return fmt.Errorf("%q is not one of %s", v, strings.Join(values, ","))
		},
		synonyms: []synonym{{name: name, convert: identity}},
	}
}

func identity(v string) (string, bool) { return v, true }

// divide converts a value in a smaller unit into this config's (milliseconds to hours: 3600000),
// rounding down; -1 (unlimited) stays -1.
func divide(by int64) func(string) (string, bool) {
	return func(v string) (string, bool) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return "", false
		}
		if n < 0 {
			return strconv.FormatInt(n, 10), true
		}
		return strconv.FormatInt(n/by, 10), true
	}
}

var boolValues = []string{"true", "false"}

// catalog is the set of configs DMS exposes, in the reference's order. Names, valid values, DMS
// defaults and value types are those of the reference's 5.1.7 example (lines 3762-4085), which
// lists the same thirteen parameters as DMS's user guide ("Modifying Kafka Instance Configuration
// Parameters"), less auto.create.groups.enable (see unsupportedConfigs). Dynamic is Kafka 4.x's
// truth, not the reference's: a config is dynamic when DynamicBrokerConfig.AllDynamicConfigs holds
// it at cluster-default level (log configs via ServerTopicConfigSynonyms' primary names, the
// SocketServer connection quotas, ...). Where they differ from DMS: offsets.retention.minutes is
// dynamic in DMS but static in Kafka (GroupCoordinatorConfig.RECONFIGURABLE_CONFIGS does not hold
// it), and log.retention.hours is static in both (only log.retention.ms is reconfigurable).
var catalog = []ConfigSpec{
	intSpec("min.insync.replicas", 1, 3, "1", "1", true),
	intSpec("message.max.bytes", 0, 10485760, "10485760", "1048588", true),
	intSpec("connections.max.idle.ms", 5000, 600000, "600000", "600000", false),
	intSpec("log.retention.hours", 1, 168, "72", "168", false,
		synonym{name: "log.retention.ms", convert: divide(3600000)},
		synonym{name: "log.retention.minutes", convert: divide(60)},
		synonym{name: "log.retention.hours", convert: identity}),
	intSpec("max.connections.per.ip", 100, 20000, "1000", "2147483647", true),
	intSpec("group.max.session.timeout.ms", 6000, 1800000, "1800000", "1800000", false),
	enumSpec("unclean.leader.election.enable", boolValues, "false", "false", true),
	intSpec("default.replication.factor", 1, 3, "3", "1", false),
	intSpec("offsets.retention.minutes", 1440, 30240, "20160", "10080", false),
	intSpec("num.partitions", 1, 200, "3", "1", false),
	intSpec("group.min.session.timeout.ms", 6000, 300000, "6000", "6000", false),
	enumSpec("allow.everyone.if.no.acl.found", boolValues, "true", "false", false),
}

// unsupportedConfigs are configs DMS documents that Apache Kafka cannot honour, with the reason.
var unsupportedConfigs = map[string]string{
	"auto.create.groups.enable": "a Huawei DMS extension: Apache Kafka always creates a consumer group on first use and has no setting to refuse it",
}

var catalogIndex = func() map[string]int {
	m := make(map[string]int, len(catalog))
	for i, s := range catalog {
		m[s.Name] = i
	}
	return m
}()

// Catalog returns the configs DMS exposes, in the reference's order.
func Catalog() []ConfigSpec { return slices.Clone(catalog) }

// LookupConfig returns the spec of a catalog config.
func LookupConfig(name string) (ConfigSpec, bool) {
	i, ok := catalogIndex[name]
	if !ok {
		return ConfigSpec{}, false
	}
	return catalog[i], true
}

// Errors of one config of a change set; a *ConfigError wraps one of them or a kerr error.
var (
	ErrUnknownConfig      = errors.New("not a configurable parameter")
	ErrUnsupportedConfig  = errors.New("not supported by Apache Kafka")
	ErrInvalidConfigValue = errors.New("invalid value")
	ErrNotDynamic         = errors.New("static parameter: applied by a rolling restart")
)

// ConfigError is the error of one config of a change set. Err wraps one of the Err*Config*
// sentinels or, for errors from the cluster, the kerr error (errors.Is(err, kerr.InvalidConfig)).
type ConfigError struct {
	Name  string
	Value string
	Err   error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config %s=%q: %v", e.Name, e.Value, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

// ValidateConfigChanges checks a change set (name -> new value) against the catalog and splits it
// into dynamic and static changes, values normalized (trimmed, canonical integers, lower-case
// booleans). On any error both maps are nil and err joins one *ConfigError per bad config, in name
// order: unknown names (ErrUnknownConfig), documented DMS configs Kafka cannot honour
// (ErrUnsupportedConfig), bad values (ErrInvalidConfigValue), and a group.min.session.timeout.ms
// above group.max.session.timeout.ms when both are in the set (comparisons with the current values
// are the caller's: it knows them).
func ValidateConfigChanges(changes map[string]string) (dynamic, static map[string]string, err error) {
	dynamic, static = map[string]string{}, map[string]string{}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(changes)) {
		value := changes[name]
		spec, ok := LookupConfig(name)
		if !ok {
			cause := ErrUnknownConfig
			if why, known := unsupportedConfigs[name]; known {
				cause = fmt.Errorf("%w: %s", ErrUnsupportedConfig, why)
			}
			errs = append(errs, &ConfigError{Name: name, Value: value, Err: cause})
			continue
		}
		if err := spec.Validate(value); err != nil {
			errs = append(errs, &ConfigError{Name: name, Value: value, Err: err})
			continue
		}
		if spec.Dynamic {
			dynamic[name] = spec.normalize(value)
		} else {
			static[name] = spec.normalize(value)
		}
	}
	const minS, maxS = "group.min.session.timeout.ms", "group.max.session.timeout.ms"
	if lo, ok := static[minS]; ok {
		if hi, ok := static[maxS]; ok {
			l, _ := strconv.ParseInt(lo, 10, 64)
			h, _ := strconv.ParseInt(hi, 10, 64)
			if l > h {
				errs = append(errs, &ConfigError{Name: minS, Value: lo,
					Err: fmt.Errorf("%w: above %s (%s)", ErrInvalidConfigValue, maxS, hi)})
			}
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return dynamic, static, nil
}

// BrokerDefaults returns every catalog config at its DMS default: the server.properties entries of
// a new instance of the given broker count (default.replication.factor is capped at it).
func BrokerDefaults(brokers int) map[string]string {
	m := make(map[string]string, len(catalog))
	for _, s := range catalog {
		m[s.Name] = s.Default
	}
	if brokers > 0 && brokers < 3 {
		m["default.replication.factor"] = strconv.Itoa(brokers)
	}
	return m
}

// StaticOverrides returns the static catalog configs, each at its value in values (the instance's
// stored, validated changes) or else at its DMS default: the server.properties entries a rolling
// restart writes. Dynamic configs changed with AlterDynamicConfigs live in the cluster's metadata
// and survive restarts; entries of values that are not static catalog configs are ignored.
func StaticOverrides(values map[string]string) map[string]string {
	m := make(map[string]string)
	for _, s := range catalog {
		if s.Dynamic {
			continue
		}
		m[s.Name] = s.Default
		if v, ok := values[s.Name]; ok {
			m[s.Name] = s.normalize(v)
		}
	}
	return m
}

// ConfigSource says where a ConfigValue's value comes from.
type ConfigSource string

// Sources of ConfigValue.
const (
	// SourceDynamicDefault: a cluster-wide dynamic default (IncrementalAlterConfigs, empty broker).
	SourceDynamicDefault ConfigSource = "dynamic-default"
	// SourceDynamicBroker: a per-broker dynamic config. kfake reports every config set on it, its
	// initial kfake.BrokerConfigs included, this way.
	SourceDynamicBroker ConfigSource = "dynamic-broker"
	// SourceStatic: the broker's server.properties.
	SourceStatic ConfigSource = "static"
	// SourceDefault: Kafka's built-in default, as reported by the broker.
	SourceDefault ConfigSource = "default"
	// SourceUnreported: the broker did not report the config (kfake knows few of them; Kafka omits
	// authorizer configs not in server.properties). The value is KafkaDefault: what Apache Kafka
	// runs with when nothing sets it. The caller may prefer the value it stored.
	SourceUnreported ConfigSource = "unreported"
)

func sourceOf(s kmsg.ConfigSource) ConfigSource {
	switch s {
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return SourceDynamicDefault
	case kmsg.ConfigSourceDynamicBrokerConfig, kmsg.ConfigSourceDynamicBrokerLoggerConfig:
		return SourceDynamicBroker
	case kmsg.ConfigSourceStaticBrokerConfig:
		return SourceStatic
	default:
		return SourceDefault
	}
}

// ConfigValue is a catalog config with its current value on the cluster (API 5.1.7).
type ConfigValue struct {
	ConfigSpec
	Value  string
	Source ConfigSource
}

type reportedConfig struct {
	value  *string
	source kmsg.ConfigSource
}

// DescribeConfigs returns every catalog config, in catalog order, with its current value: the
// effective value of the first broker (by id) that answers DescribeConfigs, which includes the
// cluster-wide dynamic defaults. log.retention.hours follows Kafka's precedence over its synonyms
// (log.retention.ms, then .minutes, then .hours; converted to hours, rounded down).
func (c *Client) DescribeConfigs(ctx context.Context) ([]ConfigValue, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	m, err := c.brokerMetadata(ctx)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: metadata: %w", err)
	}
	var names []string
	for _, s := range catalog {
		for _, syn := range s.synonyms {
			names = append(names, syn.name)
		}
	}
	var reported map[string]reportedConfig
	var errs []error
	for _, id := range m.Brokers.NodeIDs() {
		reported, err = c.describeBroker(ctx, id, names)
		if err == nil {
			break
		}
		errs = append(errs, fmt.Errorf("broker %d: %w", id, err))
	}
	if reported == nil {
		if len(errs) == 0 {
			errs = append(errs, errors.New("the metadata lists no broker"))
		}
		return nil, fmt.Errorf("kafkaops: describe broker configs: %w", errors.Join(errs...))
	}
	out := make([]ConfigValue, 0, len(catalog))
	for _, s := range catalog {
		out = append(out, resolve(s, reported))
	}
	return out, nil
}

// resolve picks a spec's current value among the reported configs: the highest-precedence synonym
// that is explicitly set, else the config's own reported value, else any synonym's (its default),
// else Kafka's default.
func resolve(s ConfigSpec, reported map[string]reportedConfig) ConfigValue {
	cv := ConfigValue{ConfigSpec: s, Value: s.KafkaDefault, Source: SourceUnreported}
	use := func(syn synonym, explicit bool) bool {
		r, ok := reported[syn.name]
		if !ok || r.value == nil || (explicit && sourceOf(r.source) == SourceDefault) {
			return false
		}
		v, ok := syn.convert(*r.value)
		if !ok {
			return false
		}
		cv.Value, cv.Source = v, sourceOf(r.source)
		return true
	}
	for _, syn := range s.synonyms {
		if use(syn, true) {
			return cv
		}
	}
	if use(synonym{name: s.Name, convert: identity}, false) {
		return cv
	}
	for _, syn := range s.synonyms {
		if use(syn, false) {
			return cv
		}
	}
	return cv
}

// describeBroker reads the named configs of one broker.
func (c *Client) describeBroker(ctx context.Context, id int32, names []string) (map[string]reportedConfig, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	rr := kmsg.NewDescribeConfigsRequestResource()
	rr.ResourceType = kmsg.ConfigResourceTypeBroker
	rr.ResourceName = strconv.Itoa(int(id))
	rr.ConfigNames = names
	req.Resources = append(req.Resources, rr)
	resp, err := req.RequestWith(ctx, c.cl.Broker(int(id)))
	if err != nil {
		return nil, err
	}
	if len(resp.Resources) != 1 {
		return nil, fmt.Errorf("DescribeConfigs answered %d resources for 1", len(resp.Resources))
	}
	r := resp.Resources[0]
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		msg := ""
		if r.ErrorMessage != nil {
			msg = *r.ErrorMessage
		}
		return nil, withMessage(err, msg)
	}
	out := make(map[string]reportedConfig, len(r.Configs))
	for _, rc := range r.Configs {
		out[rc.Name] = reportedConfig{value: rc.Value, source: rc.Source}
	}
	return out, nil
}

// AlterDynamicConfigs sets cluster-wide dynamic defaults (IncrementalAlterConfigs SET on the BROKER
// resource with an empty name), all or nothing. The change set is first checked with
// ValidateConfigChanges; a static config in it is an error (ErrNotDynamic: the caller applies those
// by a rolling restart with StaticOverrides). The brokers then validate the whole set
// (ValidateOnly); if they refuse it, each config is validated alone so that the returned error
// joins one *ConfigError per refused config, wrapping the broker's kerr error. Only a set the
// brokers accept is applied, in one request.
func (c *Client) AlterDynamicConfigs(ctx context.Context, changes map[string]string) error {
	dynamic, static, err := ValidateConfigChanges(changes)
	if err != nil {
		return err
	}
	if len(static) > 0 {
		var errs []error
		for _, name := range slices.Sorted(maps.Keys(static)) {
			errs = append(errs, &ConfigError{Name: name, Value: changes[name], Err: ErrNotDynamic})
		}
		return errors.Join(errs...)
	}
	if len(dynamic) == 0 {
		return nil
	}
	ctx, cancel := c.bound(ctx)
	defer cancel()

	set := func(names ...string) []kadm.AlterConfig {
		out := make([]kadm.AlterConfig, 0, len(names))
		for _, n := range names {
			v := dynamic[n]
			out = append(out, kadm.AlterConfig{Op: kadm.SetConfig, Name: n, Value: &v})
		}
		return out
	}
	names := slices.Sorted(maps.Keys(dynamic))

	reqErr, respErr := alterResult(c.adm.ValidateAlterBrokerConfigs(ctx, set(names...)))
	if reqErr != nil {
		return fmt.Errorf("kafkaops: validate broker configs: %w", reqErr)
	}
	if respErr != nil {
		var errs []error
		for _, n := range names {
			reqErr, oneErr := alterResult(c.adm.ValidateAlterBrokerConfigs(ctx, set(n)))
			if reqErr != nil {
				return fmt.Errorf("kafkaops: validate broker config %s: %w", n, reqErr)
			}
			if oneErr != nil {
				errs = append(errs, &ConfigError{Name: n, Value: changes[n], Err: oneErr})
			}
		}
		if len(errs) == 0 { // refused together, accepted one by one
			return fmt.Errorf("kafkaops: the brokers refused the change set: %w", respErr)
		}
		return errors.Join(errs...)
	}

	reqErr, respErr = alterResult(c.adm.AlterBrokerConfigs(ctx, set(names...)))
	if reqErr != nil {
		return fmt.Errorf("kafkaops: alter broker configs: %w", reqErr)
	}
	if respErr != nil {
		return fmt.Errorf("kafkaops: alter broker configs: %w", respErr)
	}
	return nil
}

// alterResult separates a failed request from the brokers' answer refusing the resource.
func alterResult(rs kadm.AlterConfigsResponses, err error) (reqErr, respErr error) {
	if err != nil {
		return err, nil
	}
	if len(rs) == 0 {
		return errors.New("no answer for the broker resource"), nil
	}
	for _, r := range rs {
		if r.Err != nil {
			return nil, withMessage(r.Err, r.ErrMessage)
		}
	}
	return nil, nil
}
