package mm2

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const absent = "<absent>"

var (
	localCluster = Cluster{Alias: "A", Bootstrap: "127.0.0.1:19092,127.0.0.1:19093", Props: map[string]string{
		"security.protocol": "SASL_PLAINTEXT",
		"sasl.mechanism":    "SCRAM-SHA-512",
		"sasl.jaas.config":  "${file:/w/local.properties:sasl.jaas.config}",
	}}
	peerCluster = Cluster{Alias: "B", Bootstrap: "10.0.0.2:9093,10.0.0.3:9093", Props: map[string]string{
		"security.protocol":       "SASL_SSL",
		"sasl.mechanism":          "PLAIN",
		"sasl.jaas.config":        "${file:/w/peer.properties:sasl.jaas.config}",
		"ssl.truststore.type":     "PEM",
		"ssl.truststore.location": "/w/peer-ca.pem",
	}}
)

func baseParams() Params {
	return Params{Name: "task-1", Local: localCluster, Peer: peerCluster, Direction: DirectionPull, Topics: []string{"orders", "pay.v1"}}
}

func TestConnectors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Params)
		names  []string
		want   map[string]map[string]string // connector name -> key -> value (absent = key must not be set)
	}{
		{
			name:  "pull identity",
			names: []string{"task-1-pull-source"},
			want: map[string]map[string]string{"task-1-pull-source": {
				"connector.class":                           SourceConnectorClass,
				"tasks.max":                                 "2",
				"source.cluster.alias":                      "B",
				"target.cluster.alias":                      "A",
				"source.cluster.bootstrap.servers":          peerCluster.Bootstrap,
				"target.cluster.bootstrap.servers":          localCluster.Bootstrap,
				"source.cluster.security.protocol":          "SASL_SSL",
				"source.cluster.sasl.mechanism":             "PLAIN",
				"source.cluster.sasl.jaas.config":           "${file:/w/peer.properties:sasl.jaas.config}",
				"source.cluster.ssl.truststore.type":        "PEM",
				"source.cluster.ssl.truststore.location":    "/w/peer-ca.pem",
				"target.cluster.security.protocol":          "SASL_PLAINTEXT",
				"target.cluster.sasl.jaas.config":           "${file:/w/local.properties:sasl.jaas.config}",
				"replication.policy.class":                  IdentityPolicyClass,
				MappingConfigKey:                            absent,
				"topics":                                    `orders,pay\.v1`,
				"offset-syncs.topic.location":               absent,
				"offset-syncs.topic.replication.factor":     absent,
				"replication.factor":                        "-1",
				"source.consumer.auto.offset.reset":         "latest",
				"consumer.auto.offset.reset":                absent,
				"emit.offset-syncs.enabled":                 "false",
				"sync.topic.acls.enabled":                   "false",
				"heartbeats.replication.enabled":            "false",
				"producer.override.bootstrap.servers":       absent,
				"producer.override.compression.type":        absent,
				"producer.override.sasl.jaas.config":        absent,
				"transforms":                                absent,
				"predicates":                                absent,
				"source.cluster.ssl.truststore.password":    absent,
				"target.cluster.ssl.truststore.location":    absent,
				"target.cluster.ssl.truststore.type":        absent,
				"producer.override.ssl.truststore.type":     absent,
				"producer.override.security.protocol":       absent,
				"producer.override.ssl.truststore.location": absent,
			}},
		},
		{
			name:   "push overrides the producer with the peer's address and security",
			mutate: func(p *Params) { p.Direction = DirectionPush },
			names:  []string{"task-1-push-source"},
			want: map[string]map[string]string{"task-1-push-source": {
				"source.cluster.alias":                      "A",
				"target.cluster.alias":                      "B",
				"source.cluster.bootstrap.servers":          localCluster.Bootstrap,
				"target.cluster.bootstrap.servers":          peerCluster.Bootstrap,
				"target.cluster.security.protocol":          "SASL_SSL",
				"source.cluster.security.protocol":          "SASL_PLAINTEXT",
				"producer.override.bootstrap.servers":       peerCluster.Bootstrap,
				"producer.override.security.protocol":       "SASL_SSL",
				"producer.override.sasl.mechanism":          "PLAIN",
				"producer.override.sasl.jaas.config":        "${file:/w/peer.properties:sasl.jaas.config}",
				"producer.override.ssl.truststore.type":     "PEM",
				"producer.override.ssl.truststore.location": "/w/peer-ca.pem",
				"offset-syncs.topic.location":               absent,
				"transforms":                                absent,
			}},
		},
		{
			name:   "two-way identity forces the loop guard; task_num per connector",
			mutate: func(p *Params) { p.Direction = DirectionTwoWay; p.TaskNum = 3 },
			names:  []string{"task-1-pull-source", "task-1-push-source"},
			want: map[string]map[string]string{
				"task-1-pull-source": {
					"tasks.max":                           "3",
					"transforms":                          "dropFromTarget,markOrigin",
					"transforms.dropFromTarget.type":      FilterTransform,
					"transforms.dropFromTarget.predicate": "fromTarget",
					"transforms.markOrigin.type":          InsertHeaderSMT,
					"transforms.markOrigin.header":        "dms.origin.B",
					"transforms.markOrigin.value.literal": "null",
					"predicates":                          "fromTarget",
					"predicates.fromTarget.type":          HasHeaderKeyPred,
					"predicates.fromTarget.name":          "dms.origin.A",
					"replication.policy.class":            IdentityPolicyClass,
				},
				"task-1-push-source": {
					"tasks.max":                           "3",
					"transforms":                          "dropFromTarget,markOrigin",
					"transforms.markOrigin.header":        "dms.origin.A",
					"predicates.fromTarget.name":          "dms.origin.B",
					"producer.override.bootstrap.servers": peerCluster.Bootstrap,
				},
			},
		},
		{
			name:   "two-way renamed relies on the alias prefix",
			mutate: func(p *Params) { p.Direction = DirectionTwoWay; p.RenameTopics = true },
			names:  []string{"task-1-pull-source", "task-1-push-source"},
			want: map[string]map[string]string{
				"task-1-pull-source": {"replication.policy.class": DefaultPolicyClass, "transforms": absent, "predicates": absent},
				"task-1-push-source": {"replication.policy.class": DefaultPolicyClass, "transforms": absent, "predicates": absent},
			},
		},
		{
			name:   "two-way renamed with provenance header",
			mutate: func(p *Params) { p.Direction = DirectionTwoWay; p.RenameTopics = true; p.ProvenanceHeader = true },
			names:  []string{"task-1-pull-source", "task-1-push-source"},
			want: map[string]map[string]string{
				"task-1-pull-source": {"transforms": "dropFromTarget,markOrigin", "transforms.markOrigin.header": "dms.origin.B"},
				"task-1-push-source": {"transforms": "dropFromTarget,markOrigin", "transforms.markOrigin.header": "dms.origin.A"},
			},
		},
		{
			name:   "one-way pull with provenance header",
			mutate: func(p *Params) { p.ProvenanceHeader = true },
			names:  []string{"task-1-pull-source"},
			want: map[string]map[string]string{"task-1-pull-source": {
				"transforms.markOrigin.header": "dms.origin.B", "predicates.fromTarget.name": "dms.origin.A",
			}},
		},
		{
			name: "mapping without topics replicates the mapped sources",
			mutate: func(p *Params) {
				p.Topics = nil
				p.TopicsMapping = map[string]string{"b.c": "y", "a": "x"}
			},
			names: []string{"task-1-pull-source"},
			want: map[string]map[string]string{"task-1-pull-source": {
				"replication.policy.class": MappingPolicyClass,
				MappingConfigKey:           "a:x,b.c:y",
				"topics":                   `a,b\.c`,
			}},
		},
		{
			name: "mapping with topics keeps unmapped names",
			mutate: func(p *Params) {
				p.TopicsMapping = map[string]string{"orders": "orders-copy"}
			},
			names: []string{"task-1-pull-source"},
			want: map[string]map[string]string{"task-1-pull-source": {
				"replication.policy.class": MappingPolicyClass,
				MappingConfigKey:           "orders:orders-copy",
				"topics":                   `orders,pay\.v1`,
			}},
		},
		{
			name:   "regex",
			mutate: func(p *Params) { p.Topics = nil; p.TopicsRegex = `orders-.*` },
			names:  []string{"task-1-pull-source"},
			want:   map[string]map[string]string{"task-1-pull-source": {"topics": `orders-.*`}},
		},
		{
			name: "compression, strategy, replication factor",
			mutate: func(p *Params) {
				p.CompressionType = "zstd"
				p.ConsumerStrategy = "earliest"
				p.ReplicationFactor = 3
			},
			names: []string{"task-1-pull-source"},
			want: map[string]map[string]string{"task-1-pull-source": {
				"producer.override.compression.type": "zstd",
				"source.consumer.auto.offset.reset":  "earliest",
				"replication.factor":                 "3",
			}},
		},
		{
			name:   "explicit none compression is passed on",
			mutate: func(p *Params) { p.Direction = DirectionPush; p.CompressionType = "none" },
			names:  []string{"task-1-push-source"},
			want:   map[string]map[string]string{"task-1-push-source": {"producer.override.compression.type": "none"}},
		},
		{
			name:   "pull with offset sync adds the checkpoint connector",
			mutate: func(p *Params) { p.SyncGroupOffsets = true; p.RenameTopics = true },
			names:  []string{"task-1-pull-source", "task-1-pull-checkpoint"},
			want: map[string]map[string]string{
				"task-1-pull-source": {"emit.offset-syncs.enabled": "true", "offset-syncs.topic.location": "target",
					"offset-syncs.topic.replication.factor": "-1"},
				"task-1-pull-checkpoint": {
					"connector.class":                      CheckpointConnectorClass,
					"tasks.max":                            "1",
					"source.cluster.alias":                 "B",
					"target.cluster.alias":                 "A",
					"replication.policy.class":             DefaultPolicyClass,
					"topics":                               `orders,pay\.v1`,
					"offset-syncs.topic.location":          "target",
					"groups":                               ".*",
					"groups.exclude":                       GroupsExclude,
					"sync.group.offsets.enabled":           "true",
					"sync.group.offsets.interval.seconds":  "5",
					"emit.checkpoints.enabled":             "true",
					"emit.checkpoints.interval.seconds":    "5",
					"checkpoints.topic.replication.factor": "-1",
					"source.cluster.sasl.jaas.config":      "${file:/w/peer.properties:sasl.jaas.config}",
					"transforms":                           absent,
					"producer.override.bootstrap.servers":  absent,
					"replication.factor":                   absent,
				},
			},
		},
		{
			name: "push with offset sync: the checkpoint connector produces to the peer too",
			mutate: func(p *Params) {
				p.Direction = DirectionPush
				p.SyncGroupOffsets = true
				p.TopicsMapping = map[string]string{"orders": "o2"}
			},
			names: []string{"task-1-push-source", "task-1-push-checkpoint"},
			want: map[string]map[string]string{
				"task-1-push-checkpoint": {
					"producer.override.bootstrap.servers": peerCluster.Bootstrap,
					"producer.override.sasl.jaas.config":  "${file:/w/peer.properties:sasl.jaas.config}",
					"replication.policy.class":            MappingPolicyClass,
					MappingConfigKey:                      "orders:o2",
					"offset-syncs.topic.location":         "target",
				},
			},
		},
		{
			name:   "two-way with offset sync: four connectors",
			mutate: func(p *Params) { p.Direction = DirectionTwoWay; p.SyncGroupOffsets = true },
			names:  []string{"task-1-pull-source", "task-1-pull-checkpoint", "task-1-push-source", "task-1-push-checkpoint"},
			want: map[string]map[string]string{
				"task-1-pull-source":     {"offset-syncs.topic.location": "target"},
				"task-1-pull-checkpoint": {"offset-syncs.topic.location": "target"},
				"task-1-push-source":     {"offset-syncs.topic.location": "target"},
				"task-1-push-checkpoint": {"offset-syncs.topic.location": "target"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := baseParams()
			if tt.mutate != nil {
				tt.mutate(&p)
			}
			cs, err := Connectors(p)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			byName := map[string]map[string]string{}
			for _, c := range cs {
				names = append(names, c.Name)
				byName[c.Name] = c.Config
			}
			if !slices.Equal(names, tt.names) {
				t.Fatalf("connectors %v, want %v", names, tt.names)
			}
			for name, want := range tt.want {
				cfg := byName[name]
				for k, v := range want {
					got, ok := cfg[k]
					if v == absent {
						if ok {
							t.Errorf("%s: %s = %q, want it unset", name, k, got)
						}
						continue
					}
					if !ok || got != v {
						t.Errorf("%s: %s = %q (set %v), want %q", name, k, got, ok, v)
					}
				}
			}
			checkInvariants(t, p, cs)
			again, _ := Connectors(p)
			if !reflect.DeepEqual(cs, again) {
				t.Error("Connectors is not deterministic")
			}
		})
	}
}

// checkInvariants holds for every task: byte-array converters, internal topics excluded, the checkpoint
// connector agreeing with its source connector on everything that names topics and offsets.
func checkInvariants(t *testing.T, p Params, cs []Connector) {
	t.Helper()
	sources := map[string]map[string]string{}
	for _, c := range cs {
		for _, k := range []string{"key.converter", "value.converter", "header.converter"} {
			if c.Config[k] != ByteArrayConverter {
				t.Errorf("%s: %s = %q", c.Name, k, c.Config[k])
			}
		}
		// MirrorSourceConnector.validate: no offset-syncs.* or offset-syncs-* key when offset syncs are off.
		if c.Config["emit.offset-syncs.enabled"] == "false" {
			for k := range c.Config {
				if strings.HasPrefix(k, "offset-syncs.") || strings.HasPrefix(k, "offset-syncs-") {
					t.Errorf("%s: %s is set while emit.offset-syncs.enabled=false", c.Name, k)
				}
			}
		}
		if c.Config["topics.exclude"] != TopicsExclude {
			t.Errorf("%s: topics.exclude = %q", c.Name, c.Config["topics.exclude"])
		}
		if !strings.HasPrefix(c.Name, p.Name+"-") {
			t.Errorf("connector name %q does not start with the task name", c.Name)
		}
		dir, kind, _ := strings.Cut(strings.TrimPrefix(c.Name, p.Name+"-"), "-")
		if kind == "source" {
			sources[dir] = c.Config
		}
	}
	// Each flow's offset-syncs topic must be its own: MM2 names it mm2-offset-syncs.<alias of the cluster it
	// is NOT on>.internal (MirrorSourceConfig.offsetSyncsTopic), so two flows writing syncs to the same
	// cluster under the same name would mix their records.
	syncTopics := map[string]string{}
	for dir, cfg := range sources {
		if cfg["emit.offset-syncs.enabled"] != "true" {
			continue
		}
		cluster, other := cfg["target.cluster.bootstrap.servers"], cfg["source.cluster.alias"]
		if cfg["offset-syncs.topic.location"] != "target" {
			cluster, other = cfg["source.cluster.bootstrap.servers"], cfg["target.cluster.alias"]
		}
		key := cluster + "/mm2-offset-syncs." + other + ".internal"
		if prev, dup := syncTopics[key]; dup {
			t.Errorf("flows %s and %s share the offset-syncs topic %s", prev, dir, key)
		}
		syncTopics[key] = dir
	}
	for _, c := range cs {
		dir, kind, _ := strings.Cut(strings.TrimPrefix(c.Name, p.Name+"-"), "-")
		if kind != "checkpoint" {
			continue
		}
		src := sources[dir]
		for _, k := range []string{"replication.policy.class", MappingConfigKey, "topics", "topics.exclude",
			"offset-syncs.topic.location", "source.cluster.alias", "target.cluster.alias",
			"source.cluster.bootstrap.servers", "target.cluster.bootstrap.servers", "producer.override.bootstrap.servers"} {
			if c.Config[k] != src[k] {
				t.Errorf("%s: %s = %q, its source connector has %q", c.Name, k, c.Config[k], src[k])
			}
		}
	}
}

// TestTopicsExclude checks the exclusion list against names, with Go's regexp standing in for
// java.util.regex (the patterns use only syntax both agree on) and MM2's whole-name matching.
func TestTopicsExclude(t *testing.T) {
	var res []*regexp.Regexp
	for _, e := range strings.Split(TopicsExclude, ",") {
		res = append(res, regexp.MustCompile(`^(?:`+e+`)$`))
	}
	excluded := func(topic string) bool {
		return slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(topic) })
	}
	for topic, want := range map[string]bool{
		"__consumer_offsets":            true,
		"__transaction_state":           true,
		"__dms_connect-configs-abc":     true,
		"mm2-offset-syncs.B.internal":   true,
		"B.checkpoints.internal":        true,
		"app-KSTREAM-internal":          true,
		"heartbeats":                    true,
		"B.heartbeats":                  true,
		".hidden":                       true,
		"orders":                        false,
		"pay.v1":                        false,
		"internal-orders":               false,
		"heartbeats-dashboard":          false,
		"B.orders":                      false,
		"mm2-offset-syncs.B.internalx":  false,
		"_single_underscore_is_allowed": false,
	} {
		if got := excluded(topic); got != want {
			t.Errorf("excluded(%q) = %v, want %v", topic, got, want)
		}
	}
}

// TestTopicsListIsLiteral: listed names are matched literally, not as regexes.
func TestTopicsListIsLiteral(t *testing.T) {
	p := baseParams()
	p.Topics = []string{"pay.v1", "a-b"}
	list := topicsList(p)
	for _, e := range strings.Split(list, ",") {
		re := regexp.MustCompile(`^(?:` + e + `)$`)
		if re.MatchString("payXv1") {
			t.Errorf("pattern %q matches payXv1", e)
		}
	}
	if list != `pay\.v1,a-b` {
		t.Errorf("topics = %q", list)
	}
}

func TestLoopGuard(t *testing.T) {
	tests := []struct {
		dir          string
		rename, prov bool
		want         bool
	}{
		{DirectionPull, false, false, false},
		{DirectionPush, false, false, false},
		{DirectionPush, false, true, true},
		{DirectionTwoWay, false, false, true},
		{DirectionTwoWay, true, false, false},
		{DirectionTwoWay, true, true, true},
	}
	for _, tt := range tests {
		p := Params{Direction: tt.dir, RenameTopics: tt.rename, ProvenanceHeader: tt.prov}
		if got := LoopGuard(p); got != tt.want {
			t.Errorf("LoopGuard(%s rename=%v prov=%v) = %v, want %v", tt.dir, tt.rename, tt.prov, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Params)
		field  string // "" = valid
		msg    string
	}{
		{"valid", func(p *Params) {}, "", ""},
		{"valid regex", func(p *Params) { p.Topics = nil; p.TopicsRegex = `^(orders|pay)\..*$` }, "", ""},
		{"valid mapping only", func(p *Params) { p.Topics = nil; p.TopicsMapping = map[string]string{"a": "b"} }, "", ""},
		{"valid max task_num", func(p *Params) { p.TaskNum = MaxTaskNum }, "", ""},
		{"empty name", func(p *Params) { p.Name = "" }, "task_name", "task id"},
		{"name with slash", func(p *Params) { p.Name = "a/b" }, "task_name", "task id"},
		{"bad local alias", func(p *Params) { p.Local.Alias = "a.b" }, "current_cluster_name", "alias"},
		{"empty peer alias", func(p *Params) { p.Peer.Alias = "" }, "cluster_name", "alias"},
		{"same aliases", func(p *Params) { p.Peer.Alias = "A" }, "cluster_name", "must differ"},
		{"no peer bootstrap", func(p *Params) { p.Peer.Bootstrap = " " }, "bootstrap_servers", "no bootstrap address"},
		{"bootstrap without port", func(p *Params) { p.Peer.Bootstrap = "10.0.0.1" }, "bootstrap_servers", "not host:port"},
		{"bootstrap bad port", func(p *Params) { p.Peer.Bootstrap = "10.0.0.1:0" }, "bootstrap_servers", "no valid port"},
		{"bootstrap in props", func(p *Params) { p.Peer.Props = map[string]string{"bootstrap.servers": "x:1"} }, "bootstrap_servers", "not allowed"},
		{"bad direction", func(p *Params) { p.Direction = "both" }, "direction", "pull, push, two-way"},
		{"empty direction", func(p *Params) { p.Direction = "" }, "direction", "pull, push, two-way"},
		{"negative task_num", func(p *Params) { p.TaskNum = -1 }, "task_num", "out of range"},
		{"task_num too big", func(p *Params) { p.TaskNum = MaxTaskNum + 1 }, "task_num", "out of range"},
		{"negative rf", func(p *Params) { p.ReplicationFactor = -1 }, "replication_factor", "out of range"},
		{"bad strategy", func(p *Params) { p.ConsumerStrategy = "newest" }, "consumer_strategy", "latest, earliest"},
		{"bad compression", func(p *Params) { p.CompressionType = "brotli" }, "compression_type", "none, gzip"},
		{"rename and mapping", func(p *Params) { p.RenameTopics = true; p.TopicsMapping = map[string]string{"a": "b"} }, "topics_mapping", "rename_topic_enabled"},
		{"topics and regex", func(p *Params) { p.TopicsRegex = "x.*" }, "topics_regex", "not both"},
		{"no topics at all", func(p *Params) { p.Topics = nil }, "topics", "give topics"},
		{"bad topic name", func(p *Params) { p.Topics = []string{"a b"} }, "topics", "not a valid topic name"},
		{"dot topic", func(p *Params) { p.Topics = []string{".."} }, "topics", "not a valid topic name"},
		{"duplicate topic", func(p *Params) { p.Topics = []string{"a", "a"} }, "topics", "listed twice"},
		{"regex with comma", func(p *Params) { p.Topics = nil; p.TopicsRegex = "a{1,3}" }, "topics_regex", "','"},
		{"bad regex", func(p *Params) { p.Topics = nil; p.TopicsRegex = "(a" }, "topics_regex", "not a valid regular expression"},
		{"mapping target collides with a listed topic", func(p *Params) {
			p.Topics = []string{"a", "b"}
			p.TopicsMapping = map[string]string{"a": "b"}
		}, "topics_mapping", "both be written to \"b\""},
		{"mapping chain is fine", func(p *Params) {
			p.Topics = []string{"a", "b"}
			p.TopicsMapping = map[string]string{"a": "b", "b": "c"}
		}, "", ""},
		{"mapping duplicate target", func(p *Params) { p.TopicsMapping = map[string]string{"a": "x", "b": "x"} }, "topics_mapping", "used by both"},
		{"mapping bad name", func(p *Params) { p.TopicsMapping = map[string]string{"a": "x y"} }, "topics_mapping", "valid topic names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := baseParams()
			tt.mutate(&p)
			err := Validate(p)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError on %s", err, tt.field)
			}
			if ve.Field != tt.field || !strings.Contains(ve.Msg, tt.msg) {
				t.Errorf("Validate = %s: %s; want field %s, message containing %q", ve.Field, ve.Msg, tt.field, tt.msg)
			}
			if _, cerr := Connectors(p); cerr == nil || cerr.Error() != err.Error() {
				t.Errorf("Connectors error %v, want the Validate error", cerr)
			}
		})
	}
}

func TestParseTopicsMapping(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
		msg  string // error substring; "" = valid
	}{
		{"", map[string]string{}, ""},
		{"  ", map[string]string{}, ""},
		{"topic-sc-1:topic-sc-3,topic-sc-2:topic-sc-4", map[string]string{"topic-sc-1": "topic-sc-3", "topic-sc-2": "topic-sc-4"}, ""},
		{" a : b , c.d:e_f ", map[string]string{"a": "b", "c.d": "e_f"}, ""},
		{"a:a", map[string]string{"a": "a"}, ""},
		{"a", nil, "not a source:target pair"},
		{"a:", nil, "not a source:target pair"},
		{":b", nil, "not a source:target pair"},
		{"a:b:c", nil, "not a source:target pair"},
		{"a:b,", nil, "not a source:target pair"},
		{"a.b", nil, "not a source:target pair"},
		{"a:b,a:c", nil, "mapped twice"},
		{"a:x,b:x", nil, "used by both"},
		{"a b:c", nil, "not a valid topic name"},
		{"a:..", nil, "not a valid topic name"},
	}
	for _, tt := range tests {
		got, err := ParseTopicsMapping(tt.in)
		if tt.msg != "" {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "topics_mapping" || !strings.Contains(ve.Msg, tt.msg) {
				t.Errorf("ParseTopicsMapping(%q) error = %v, want topics_mapping error containing %q", tt.in, err, tt.msg)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseTopicsMapping(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if round, err := ParseTopicsMapping(FormatTopicsMapping(got)); err != nil || !reflect.DeepEqual(round, got) {
			t.Errorf("FormatTopicsMapping(%v) does not parse back: %v, %v", got, round, err)
		}
	}
}

func TestJAASConfig(t *testing.T) {
	tests := []struct {
		mech, user, pass string
		want             string
		errField         string
	}{
		{"PLAIN", "u", "p", `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`, ""},
		{"SCRAM-SHA-512", `u"x`, `p\n"q;`, `org.apache.kafka.common.security.scram.ScramLoginModule required username="u\"x" password="p\\n\"q;";`, ""},
		{"SCRAM-SHA-256", "u", "p", `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`, ""},
		{"GSSAPI", "u", "p", "", "sasl_mechanism"},
		{"PLAIN", "", "p", "", "user_name"},
		{"PLAIN", "u", "a\nb", "", "password"},
	}
	for _, tt := range tests {
		got, err := JAASConfig(tt.mech, tt.user, tt.pass)
		if tt.errField != "" {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.errField {
				t.Errorf("JAASConfig(%s, %q) error = %v, want on %s", tt.mech, tt.user, err, tt.errField)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("JAASConfig(%s, %q) = %q, %v; want %q", tt.mech, tt.user, got, err, tt.want)
		}
	}
}

func TestClientProps(t *testing.T) {
	tests := []struct {
		name string
		in   Security
		want map[string]string
		err  string
	}{
		{"plaintext", Security{Protocol: "PLAINTEXT", JAASConfig: "ignored"}, map[string]string{"security.protocol": "PLAINTEXT"}, ""},
		{"sasl plaintext", Security{Protocol: "SASL_PLAINTEXT", Mechanism: "PLAIN", JAASConfig: "${file:/p:j}"},
			map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.jaas.config": "${file:/p:j}"}, ""},
		{"sasl ssl with CA", Security{Protocol: "SASL_SSL", Mechanism: "SCRAM-SHA-512", JAASConfig: "j", TruststorePEM: "/ca.pem", SkipHostnameCheck: true},
			map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": "j",
				"ssl.truststore.type": "PEM", "ssl.truststore.location": "/ca.pem", "ssl.endpoint.identification.algorithm": ""}, ""},
		{"sasl ssl system roots", Security{Protocol: "SASL_SSL", Mechanism: "PLAIN", JAASConfig: "j"},
			map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.jaas.config": "j"}, ""},
		{"bad protocol", Security{Protocol: "SSL"}, nil, "security_protocol"},
		{"bad mechanism", Security{Protocol: "SASL_SSL", Mechanism: "OAUTHBEARER", JAASConfig: "j"}, nil, "sasl_mechanism"},
		{"no jaas", Security{Protocol: "SASL_SSL", Mechanism: "PLAIN"}, nil, "password"},
	}
	for _, tt := range tests {
		got, err := ClientProps(tt.in)
		if tt.err != "" {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.err {
				t.Errorf("%s: error = %v, want on %s", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ClientProps = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
