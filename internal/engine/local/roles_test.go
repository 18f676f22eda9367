package local

import (
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/engine"
)

// withBrokerOnly appends n broker-only nodes to spec (what a horizontal extension does), with
// keystores when spec has TLS material.
func withBrokerOnly(spec engine.Spec, n int) engine.Spec {
	spec.Brokers = append([]engine.Broker(nil), spec.Brokers...)
	if spec.Security.TLS != nil {
		ks := map[int32][]byte{}
		for k, v := range spec.Security.TLS.Keystores {
			ks[k] = v
		}
		spec.Security.TLS = &engine.TLS{CACertPEM: spec.Security.TLS.CACertPEM, Keystores: ks}
	}
	for range n {
		id := int32(len(spec.Brokers))
		spec.Brokers = append(spec.Brokers, engine.Broker{ID: id, Host: "127.0.0." + string(rune('1'+id)), BrokerOnly: true})
		if spec.Security.TLS != nil {
			spec.Security.TLS.Keystores[id] = []byte("k")
		}
	}
	return spec
}

func props(t *testing.T, spec engine.Spec, id int32) map[string]string {
	t.Helper()
	data, err := serverProperties(spec, spec.Brokers[id], "/inst/broker-x", 256)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

// Adding broker-only nodes changes nothing in the controllers' server.properties (they are
// rewritten at every start: a crash restart after an extension must not change the quorum), and a
// broker-only node has the same listeners and security as the others minus its own controller port.
func TestBrokerOnlyNodes(t *testing.T) {
	plain := testSpec(3)
	internalTLS := saslSpec("/inst")
	internalTLS.InternalTLS = true
	for _, c := range []struct {
		name string
		spec engine.Spec
	}{
		{"plaintext", plain},
		{"sasl_ssl", saslSpec("/inst")},
		{"sasl_ssl internal tls", internalTLS},
	} {
		t.Run(c.name, func(t *testing.T) {
			grown := withBrokerOnly(c.spec, 2)
			if err := validListeners(grown); err != nil {
				t.Fatal(err)
			}
			for id := range int32(3) {
				before, after := props(t, c.spec, id), props(t, grown, id)
				if len(before) != len(after) {
					t.Errorf("controller %d: %d properties before, %d after", id, len(before), len(after))
				}
				for k, v := range before {
					if after[k] != v {
						t.Errorf("controller %d: %s changed from %q to %q when brokers were added", id, k, v, after[k])
					}
				}
				if after["process.roles"] != "broker,controller" {
					t.Errorf("controller %d: process.roles=%q", id, after["process.roles"])
				}
			}
			ctl := props(t, grown, 0)
			for _, id := range []int32{3, 4} {
				b := props(t, grown, id)
				if b["process.roles"] != "broker" {
					t.Errorf("broker %d: process.roles=%q, want broker", id, b["process.roles"])
				}
				if b["controller.quorum.voters"] != ctl["controller.quorum.voters"] || strings.Contains(b["controller.quorum.voters"], "3@") {
					t.Errorf("broker %d: voters %q, controllers' %q", id, b["controller.quorum.voters"], ctl["controller.quorum.voters"])
				}
				if strings.Contains(b["listeners"], "CONTROLLER://") {
					t.Errorf("broker %d listens on a controller port: %s", id, b["listeners"])
				}
				host := grown.Brokers[id].Host
				if !strings.Contains(b["listeners"], "INTERNAL://"+host+":9090") {
					t.Errorf("broker %d: listeners %s", id, b["listeners"])
				}
				// Everything else (security, SASL, TLS client settings towards the controllers,
				// replication defaults) is the controllers' with the node's own id, host and dir.
				for k, v := range ctl {
					switch k {
					case "process.roles", "node.id", "listeners", "advertised.listeners":
						continue
					}
					if b[k] != v {
						t.Errorf("broker %d: %s=%q, controllers have %q", id, k, b[k], v)
					}
				}
				for k := range b {
					if _, ok := ctl[k]; !ok {
						t.Errorf("broker %d: extra property %s", id, k)
					}
				}
				wantAdv := strings.ReplaceAll(ctl["advertised.listeners"], grown.Brokers[0].Host, host)
				if b["advertised.listeners"] != wantAdv {
					t.Errorf("broker %d: advertised %q, want %q", id, b["advertised.listeners"], wantAdv)
				}
			}
		})
	}
	onlyBrokers := testSpec(2)
	for i := range onlyBrokers.Brokers {
		onlyBrokers.Brokers[i].BrokerOnly = true
	}
	if _, err := normalize(onlyBrokers); err == nil {
		t.Error("a spec without a controller was accepted")
	}
}
