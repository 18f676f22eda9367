package kafkaops

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Topic configs the control plane reads, each with the broker configs that give its value when the
// topic does not set it (Kafka's ServerTopicConfigSynonyms, highest precedence first, converted into
// the topic config's unit) and Apache Kafka's built-in default.
var topicConfigSynonyms = map[string]struct {
	synonyms     []synonym
	kafkaDefault string
}{
	"retention.ms": {[]synonym{
		{name: "log.retention.ms", convert: identity},
		{name: "log.retention.minutes", convert: topicUnit(60_000)},
		{name: "log.retention.hours", convert: topicUnit(3_600_000)},
	}, "604800000"},
	"max.message.bytes":              {[]synonym{{name: "message.max.bytes", convert: identity}}, "1048588"},
	"message.timestamp.type":         {[]synonym{{name: "log.message.timestamp.type", convert: identity}}, "CreateTime"},
	"min.insync.replicas":            {[]synonym{{name: "min.insync.replicas", convert: identity}}, "1"},
	"flush.messages":                 {[]synonym{{name: "log.flush.interval.messages", convert: identity}}, "9223372036854775807"},
	"flush.ms":                       {[]synonym{{name: "log.flush.interval.ms", convert: identity}}, "9223372036854775807"},
	"cleanup.policy":                 {[]synonym{{name: "log.cleanup.policy", convert: identity}}, "delete"},
	"retention.bytes":                {[]synonym{{name: "log.retention.bytes", convert: identity}}, "-1"},
	"unclean.leader.election.enable": {[]synonym{{name: "unclean.leader.election.enable", convert: identity}}, "false"},
	"compression.type":               {[]synonym{{name: "compression.type", convert: identity}}, "producer"},
	"segment.bytes":                  {[]synonym{{name: "log.segment.bytes", convert: identity}}, "1073741824"},
}

// topicUnit converts a value in a larger unit into this config's (hours to milliseconds: 3600000);
// a negative value (unlimited) stays as it is.
func topicUnit(by int64) func(string) (string, bool) {
	return func(v string) (string, bool) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return "", false
		}
		if n < 0 {
			return strconv.FormatInt(n, 10), true
		}
		return strconv.FormatInt(n*by, 10), true
	}
}

// TopicConfigValue is one config of a topic as the cluster applies it.
type TopicConfigValue struct {
	Name string
	// Value is the value in effect: the topic's own, else the broker-level setting (cluster-wide
	// dynamic default, per-broker dynamic, server.properties) of the config or a synonym, else the
	// broker's built-in default.
	Value string
	// Default is what the topic would have without its own setting.
	Default string
	// Override says the topic sets the config itself.
	Override bool
}

// TopicConfigs are the configs of one topic (DescribeTopicConfigs).
type TopicConfigs struct {
	Topic   string
	Configs map[string]TopicConfigValue // by name: every name asked for that the package knows
	Err     error                       // wraps kerr.UnknownTopicOrPartition for a topic that does not exist
}

// DescribeTopicConfigs returns the named configs (see topicConfigSynonyms for those it resolves) of
// each topic, in one DescribeConfigs request with synonyms, by topic name.
//
// The two engines report topic configs differently, and both are resolved the same way: Apache Kafka
// answers a topic config with its effective value and the synonyms behind it (topic, broker-level,
// default); kfake answers the topic's own value or its built-in default under the topic config's
// name, and the broker-level settings under the broker configs' names. Either way a topic's value is
// its own setting, else the highest-precedence broker-level setting among the synonyms, else the
// broker's reported default, else Apache Kafka's default. Each engine's number is what it enforces:
// kfake ignores broker settings it does not know (log.retention.hours, for one), and reports its
// default for them.
func (c *Client) DescribeTopicConfigs(ctx context.Context, names []string, topics ...string) (map[string]TopicConfigs, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	var ask []string
	for _, n := range names {
		s, ok := topicConfigSynonyms[n]
		if !ok {
			return nil, fmt.Errorf("kafkaops: topic config %s: %w", n, ErrUnknownConfig)
		}
		ask = append(ask, n)
		for _, syn := range s.synonyms {
			ask = append(ask, syn.name)
		}
	}
	out := make(map[string]TopicConfigs, len(topics))
	if len(topics) == 0 {
		return out, nil
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = true
	for _, t := range topics {
		rr := kmsg.NewDescribeConfigsRequestResource()
		rr.ResourceType = kmsg.ConfigResourceTypeTopic
		rr.ResourceName = t
		rr.ConfigNames = ask
		req.Resources = append(req.Resources, rr)
	}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, fmt.Errorf("kafkaops: describe topic configs: %w", err)
	}
	for _, r := range resp.Resources {
		tc := TopicConfigs{Topic: r.ResourceName, Configs: map[string]TopicConfigValue{}}
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			msg := ""
			if r.ErrorMessage != nil {
				msg = *r.ErrorMessage
			}
			tc.Err = withMessage(err, msg)
			out[r.ResourceName] = tc
			continue
		}
		for _, n := range names {
			tc.Configs[n] = resolveTopicConfig(n, r.Configs)
		}
		out[r.ResourceName] = tc
	}
	for _, t := range topics {
		if _, ok := out[t]; !ok {
			out[t] = TopicConfigs{Topic: t, Err: errors.New("no DescribeConfigs answer for this topic")}
		}
	}
	return out, nil
}

// resolveTopicConfig finds the value of topic config name among the reported entries (see
// DescribeTopicConfigs).
func resolveTopicConfig(name string, entries []kmsg.DescribeConfigsResponseResourceConfig) TopicConfigValue {
	spec := topicConfigSynonyms[name]
	// Every (name, value, source) reported, the entries' synonyms included.
	type reported struct {
		name   string
		value  *string
		source kmsg.ConfigSource
	}
	var all []reported
	for _, e := range entries {
		all = append(all, reported{e.Name, e.Value, e.Source})
		for _, s := range e.ConfigSynonyms {
			all = append(all, reported{s.Name, s.Value, s.Source})
		}
	}
	find := func(n string, sources ...kmsg.ConfigSource) (string, bool) {
		for _, src := range sources {
			for _, r := range all {
				if r.name == n && r.source == src && r.value != nil {
					return *r.value, true
				}
			}
		}
		return "", false
	}
	v := TopicConfigValue{Name: name, Default: spec.kafkaDefault}
	found := false
	// Broker-level settings: for each synonym in order, its highest-precedence explicit source.
	for _, syn := range spec.synonyms {
		raw, ok := find(syn.name, kmsg.ConfigSourceDynamicBrokerConfig, kmsg.ConfigSourceDynamicDefaultBrokerConfig, kmsg.ConfigSourceStaticBrokerConfig)
		if !ok {
			continue
		}
		if conv, ok := syn.convert(raw); ok {
			v.Default, found = conv, true
			break
		}
	}
	if !found { // the broker's built-in default, as reported under the topic config's name or a synonym's
		if raw, ok := find(name, kmsg.ConfigSourceDefaultConfig); ok {
			v.Default = raw
		} else {
			for _, syn := range spec.synonyms {
				raw, ok := find(syn.name, kmsg.ConfigSourceDefaultConfig)
				if !ok {
					continue
				}
				if conv, ok := syn.convert(raw); ok {
					v.Default = conv
					break
				}
			}
		}
	}
	v.Value = v.Default
	if raw, ok := find(name, kmsg.ConfigSourceDynamicTopicConfig); ok {
		v.Value, v.Override = raw, true
	}
	return v
}
