package kafkaops

import (
	"errors"
	"maps"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestCatalog(t *testing.T) {
	seen := make(map[string]bool)
	for _, s := range Catalog() {
		if seen[s.Name] {
			t.Errorf("%s twice", s.Name)
		}
		seen[s.Name] = true
		if err := s.Validate(s.Default); err != nil {
			t.Errorf("%s: DMS default %q invalid: %v", s.Name, s.Default, err)
		}
		if s.KafkaDefault == "" || s.ValidValues == "" {
			t.Errorf("%s: incomplete spec %+v", s.Name, s)
		}
		if s.ValueType != ValueTypeInteger && s.ValueType != ValueTypeEnum {
			t.Errorf("%s: value type %q", s.Name, s.ValueType)
		}
		if got, ok := LookupConfig(s.Name); !ok || got.Name != s.Name {
			t.Errorf("LookupConfig(%s) = %v", s.Name, ok)
		}
	}
	// Kafka 4.x's dynamic set, not the reference's (offsets.retention.minutes differs).
	dynamic := map[string]bool{
		"min.insync.replicas": true, "message.max.bytes": true,
		"max.connections.per.ip": true, "unclean.leader.election.enable": true,
	}
	for _, s := range Catalog() {
		if s.Dynamic != dynamic[s.Name] {
			t.Errorf("%s: Dynamic = %v", s.Name, s.Dynamic)
		}
	}
	if len(seen) != 12 {
		t.Errorf("catalog has %d configs, want the reference's 13 less auto.create.groups.enable", len(seen))
	}
}

func TestValidateConfigChanges(t *testing.T) {
	tests := []struct {
		name        string
		changes     map[string]string
		dynamic     map[string]string
		static      map[string]string
		errs        map[string]error // config name -> sentinel its *ConfigError wraps
		errContains string
	}{
		{
			name:    "empty",
			changes: map[string]string{},
			dynamic: map[string]string{}, static: map[string]string{},
		},
		{
			name: "split and normalized",
			changes: map[string]string{
				"min.insync.replicas":            " 2 ",
				"unclean.leader.election.enable": "TRUE",
				"log.retention.hours":            "066",
				"connections.max.idle.ms":        "500000",
			},
			dynamic: map[string]string{"min.insync.replicas": "2", "unclean.leader.election.enable": "true"},
			static:  map[string]string{"log.retention.hours": "66", "connections.max.idle.ms": "500000"},
		},
		{
			name:    "bounds are inclusive",
			changes: map[string]string{"message.max.bytes": "0", "num.partitions": "200", "max.connections.per.ip": "100"},
			dynamic: map[string]string{"message.max.bytes": "0", "max.connections.per.ip": "100"},
			static:  map[string]string{"num.partitions": "200"},
		},
		{
			name:    "unknown name",
			changes: map[string]string{"log.flush.interval.ms": "1000", "min.insync.replicas": "2"},
			errs:    map[string]error{"log.flush.interval.ms": ErrUnknownConfig},
		},
		{
			name:        "DMS-only config",
			changes:     map[string]string{"auto.create.groups.enable": "false"},
			errs:        map[string]error{"auto.create.groups.enable": ErrUnsupportedConfig},
			errContains: "Huawei DMS extension",
		},
		{
			name: "bad values, every one reported",
			changes: map[string]string{
				"min.insync.replicas":            "4",
				"message.max.bytes":              "10485761",
				"log.retention.hours":            "three",
				"unclean.leader.election.enable": "maybe",
				"num.partitions":                 "",
				"default.replication.factor":     "2",
			},
			errs: map[string]error{
				"min.insync.replicas":            ErrInvalidConfigValue,
				"message.max.bytes":              ErrInvalidConfigValue,
				"log.retention.hours":            ErrInvalidConfigValue,
				"unclean.leader.election.enable": ErrInvalidConfigValue,
				"num.partitions":                 ErrInvalidConfigValue,
			},
			errContains: "out of range 1~3",
		},
		{
			name:        "min session timeout above max",
			changes:     map[string]string{"group.min.session.timeout.ms": "60000", "group.max.session.timeout.ms": "30000"},
			errs:        map[string]error{"group.min.session.timeout.ms": ErrInvalidConfigValue},
			errContains: "above group.max.session.timeout.ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dyn, st, err := ValidateConfigChanges(tt.changes)
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if !maps.Equal(dyn, tt.dynamic) || !maps.Equal(st, tt.static) {
					t.Fatalf("dynamic %v static %v\nwant    %v static %v", dyn, st, tt.dynamic, tt.static)
				}
				return
			}
			if err == nil || dyn != nil || st != nil {
				t.Fatalf("= %v, %v, %v; want an error and nil maps", dyn, st, err)
			}
			got := configErrors(err)
			if len(got) != len(tt.errs) {
				t.Fatalf("errors %v, want one for each of %v", err, tt.errs)
			}
			for name, sentinel := range tt.errs {
				ce, ok := got[name]
				if !ok || !errors.Is(ce, sentinel) || !strings.Contains(ce.Error(), name) {
					t.Errorf("%s: error %v, want one naming it and wrapping %v", name, ce, sentinel)
				}
			}
			if !strings.Contains(err.Error(), tt.errContains) {
				t.Errorf("error %q does not say %q", err, tt.errContains)
			}
		})
	}
}

// configErrors indexes the *ConfigError joined in err by config name.
func configErrors(err error) map[string]*ConfigError {
	out := make(map[string]*ConfigError)
	var walk func(error)
	walk = func(err error) {
		var ce *ConfigError
		if errors.As(err, &ce) && err == error(ce) {
			out[ce.Name] = ce
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

func TestDefaultsAndOverrides(t *testing.T) {
	d := BrokerDefaults(3)
	if len(d) != len(Catalog()) || d["log.retention.hours"] != "72" || d["default.replication.factor"] != "3" {
		t.Fatalf("BrokerDefaults(3) = %v", d)
	}
	if d := BrokerDefaults(1); d["default.replication.factor"] != "1" {
		t.Fatalf("BrokerDefaults(1) replication factor %s", d["default.replication.factor"])
	}
	o := StaticOverrides(map[string]string{"log.retention.hours": "066", "message.max.bytes": "5", "bogus": "1"})
	if o["log.retention.hours"] != "66" || o["num.partitions"] != "3" {
		t.Fatalf("StaticOverrides = %v", o)
	}
	for name := range o {
		if s, ok := LookupConfig(name); !ok || s.Dynamic {
			t.Errorf("StaticOverrides has %s, not a static catalog config", name)
		}
	}
}

func TestResolveSynonyms(t *testing.T) {
	spec, _ := LookupConfig("log.retention.hours")
	str := func(s string) *string { return &s }
	tests := []struct {
		name     string
		reported map[string]reportedConfig
		value    string
		source   ConfigSource
	}{
		{
			name: "Kafka, hours in server.properties",
			reported: map[string]reportedConfig{
				"log.retention.hours":   {str("72"), kmsg.ConfigSourceStaticBrokerConfig},
				"log.retention.ms":      {nil, kmsg.ConfigSourceDefaultConfig},
				"log.retention.minutes": {nil, kmsg.ConfigSourceDefaultConfig},
			},
			value: "72", source: SourceStatic,
		},
		{
			name: "Kafka, nothing set",
			reported: map[string]reportedConfig{
				"log.retention.hours": {str("168"), kmsg.ConfigSourceDefaultConfig},
				"log.retention.ms":    {nil, kmsg.ConfigSourceDefaultConfig},
			},
			value: "168", source: SourceDefault,
		},
		{
			name: "Kafka, ms set dynamically wins over hours",
			reported: map[string]reportedConfig{
				"log.retention.hours": {str("72"), kmsg.ConfigSourceStaticBrokerConfig},
				"log.retention.ms":    {str("18000000"), kmsg.ConfigSourceDynamicDefaultBrokerConfig},
			},
			value: "5", source: SourceDynamicDefault,
		},
		{
			name: "kfake, hours seeded, ms at its default",
			reported: map[string]reportedConfig{
				"log.retention.hours": {str("72"), kmsg.ConfigSourceDynamicBrokerConfig},
				"log.retention.ms":    {str("604800000"), kmsg.ConfigSourceDefaultConfig},
			},
			value: "72", source: SourceDynamicBroker,
		},
		{
			name: "kfake, only ms",
			reported: map[string]reportedConfig{
				"log.retention.ms": {str("604800000"), kmsg.ConfigSourceDefaultConfig},
			},
			value: "168", source: SourceDefault,
		},
		{
			name: "unlimited",
			reported: map[string]reportedConfig{
				"log.retention.ms": {str("-1"), kmsg.ConfigSourceDynamicDefaultBrokerConfig},
			},
			value: "-1", source: SourceDynamicDefault,
		},
		{name: "nothing reported", reported: nil, value: "168", source: SourceUnreported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolve(spec, tt.reported)
			if got.Value != tt.value || got.Source != tt.source {
				t.Fatalf("= %s (%s), want %s (%s)", got.Value, got.Source, tt.value, tt.source)
			}
		})
	}
}

func TestDescribeConfigs(t *testing.T) {
	t.Run("fresh kfake", func(t *testing.T) {
		_, cl := newCluster(t, 3, nil)
		got, err := cl.DescribeConfigs(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		cat := Catalog()
		if len(got) != len(cat) {
			t.Fatalf("%d configs, want %d", len(got), len(cat))
		}
		for i, cv := range got {
			if cv.Name != cat[i].Name || cv.Value == "" || cv.Source == "" {
				t.Errorf("config %d = %+v, want %s with a value", i, cv, cat[i].Name)
			}
		}
	})
	t.Run("kfake seeded with the DMS defaults", func(t *testing.T) {
		_, cl := newCluster(t, 3, []kfake.Opt{kfake.BrokerConfigs(BrokerDefaults(3))})
		got, err := cl.DescribeConfigs(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, cv := range got {
			if cv.Value != cv.Default {
				t.Errorf("%s = %s (%s), want the DMS default %s", cv.Name, cv.Value, cv.Source, cv.Default)
			}
		}
	})
}

func TestAlterDynamicConfigs(t *testing.T) {
	_, cl := newCluster(t, 3, nil)
	ctx := testCtx(t)
	values := func() map[string]ConfigValue {
		cvs, err := cl.DescribeConfigs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := make(map[string]ConfigValue)
		for _, cv := range cvs {
			m[cv.Name] = cv
		}
		return m
	}

	if err := cl.AlterDynamicConfigs(ctx, map[string]string{
		"message.max.bytes":      "5242880",
		"max.connections.per.ip": " 500",
	}); err != nil {
		t.Fatalf("AlterDynamicConfigs: %v", err)
	}
	after := values()
	for name, want := range map[string]string{"message.max.bytes": "5242880", "max.connections.per.ip": "500"} {
		if cv := after[name]; cv.Value != want || cv.Source == SourceDefault || cv.Source == SourceUnreported {
			t.Errorf("%s = %s (%s), want %s set dynamically", name, cv.Value, cv.Source, want)
		}
	}

	// A static config in the set: nothing is applied.
	err := cl.AlterDynamicConfigs(ctx, map[string]string{"min.insync.replicas": "2", "log.retention.hours": "48"})
	if ce := configErrors(err)["log.retention.hours"]; ce == nil || !errors.Is(ce, ErrNotDynamic) {
		t.Fatalf("static config: error %v, want ErrNotDynamic for log.retention.hours", err)
	}
	if v := values()["min.insync.replicas"].Value; v != "1" {
		t.Fatalf("min.insync.replicas = %s after a refused change set", v)
	}

	// Bad values never reach the cluster.
	err = cl.AlterDynamicConfigs(ctx, map[string]string{"min.insync.replicas": "9"})
	if !errors.Is(err, ErrInvalidConfigValue) {
		t.Fatalf("bad value: error %v", err)
	}
}

func TestAlterDynamicConfigsBrokerRefuses(t *testing.T) {
	c, cl := newCluster(t, 3, nil)
	ctx := testCtx(t)
	// The brokers refuse any change set holding max.connections.per.ip, as Kafka does with
	// INVALID_CONFIG and a message; the first ValidateOnly request carries the whole set.
	var applied, requests atomic.Int32 // the control function runs on kfake's goroutines
	c.ControlKey(int16(kmsg.IncrementalAlterConfigs), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		requests.Add(1)
		req := kr.(*kmsg.IncrementalAlterConfigsRequest)
		refuse := false
		for _, rc := range req.Resources[0].Configs {
			refuse = refuse || rc.Name == "max.connections.per.ip"
		}
		if !refuse {
			if !req.ValidateOnly {
				applied.Add(1)
			}
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
		resp.Version = req.Version
		r := kmsg.NewIncrementalAlterConfigsResponseResource()
		r.ResourceType, r.ResourceName = req.Resources[0].ResourceType, req.Resources[0].ResourceName
		r.ErrorCode = kerr.InvalidConfig.Code
		msg := "refused by the test broker"
		r.ErrorMessage = &msg
		resp.Resources = append(resp.Resources, r)
		return resp, nil, true
	})
	err := cl.AlterDynamicConfigs(ctx, map[string]string{
		"max.connections.per.ip": "500",
		"min.insync.replicas":    "2",
	})
	ces := configErrors(err)
	ce := ces["max.connections.per.ip"]
	if len(ces) != 1 || ce == nil || !errors.Is(err, kerr.InvalidConfig) || !strings.Contains(ce.Error(), "refused by the test broker") {
		t.Fatalf("error %v, want one INVALID_CONFIG for max.connections.per.ip with the broker's message", err)
	}
	if n := applied.Load(); n != 0 {
		t.Fatalf("%d change sets applied after a refusal", n)
	}
	if n := requests.Load(); n != 3 { // the set, then each config alone
		t.Fatalf("%d IncrementalAlterConfigs requests, want 3", n)
	}
}
