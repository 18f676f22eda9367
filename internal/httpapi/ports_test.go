package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/dms"
)

// ShowInstance's top-level port is where clients connect (a SASL-only instance has nothing on 9092),
// and port_protocols names the addresses of every enabled mode, public ones included (they listen on
// each broker's own IP: there is no public address pool).
func TestShowInstancePortAndListenerAddresses(t *testing.T) {
	e := newTestEnv(t)
	c := e.kafkaClient(t)
	// The embedded engine runs PLAINTEXT only: the instance is created so, and each case stores a
	// copy of its record (new id, never read before, so not in the service's record cache) with the
	// access modes to show, as the local engine would run them.
	created, err := c.CreateInstanceByEngine(createReq(e, t, "kafka-ports"))
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	waitInstance(t, c, id, "RUNNING")
	for i, tc := range []struct {
		name string
		pp   dms.PortProtocol
		port int32
		// want maps a port_protocols address field to the port each of its entries ends with ("" =
		// the field must be empty).
		want map[string]string
	}{
		{"plaintext", dms.PortProtocol{PrivatePlainEnable: true}, 9092,
			map[string]string{"private_plain": ":9092", "private_sasl_ssl": "", "public_plain": "", "public_sasl_ssl": ""}},
		{"SASL_SSL only", dms.PortProtocol{PrivateSASLSSLEnable: true}, 9093,
			map[string]string{"private_plain": "", "private_sasl_ssl": ":9093", "public_plain": ""}},
		{"SASL_PLAINTEXT only", dms.PortProtocol{PrivateSASLPlaintextEnable: true}, 9093,
			map[string]string{"private_plain": "", "private_sasl_plaintext": ":9093", "public_sasl_plaintext": ""}},
		{"plaintext with public plaintext and public SASL_SSL",
			dms.PortProtocol{PrivatePlainEnable: true, PublicPlainEnable: true, PublicSASLSSLEnable: true}, 9092,
			map[string]string{"private_plain": ":9092", "public_plain": ":9094", "public_sasl_ssl": ":9095", "public_sasl_plaintext": ""}},
		{"SASL_SSL with public SASL_PLAINTEXT",
			dms.PortProtocol{PrivateSASLSSLEnable: true, PublicSASLPlaintextEnable: true}, 9093,
			map[string]string{"private_sasl_ssl": ":9093", "public_sasl_plaintext": ":9095", "public_plain": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rec, err := e.Store.GetInstance(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			pp := tc.pp
			rec.ID, rec.Name = fmt.Sprintf("%s-%d", id, i), fmt.Sprintf("kafka-ports-%d", i)
			rec.PortProtocol = &pp
			rec.SSLEnable = !pp.PrivatePlainEnable
			rec.EnablePublicIP = pp.PublicPlainEnable || pp.PublicSASLSSLEnable || pp.PublicSASLPlaintextEnable
			if err := e.Store.CreateInstance(ctx, rec); err != nil {
				t.Fatal(err)
			}
			in, err := c.ShowInstance(&model.ShowInstanceRequest{InstanceId: rec.ID})
			if err != nil {
				t.Fatal(err)
			}
			if deref(in.Port) != tc.port {
				t.Errorf("port = %d, want %d", deref(in.Port), tc.port)
			}
			hosts := strings.Split(deref(in.ConnectAddress), ",")
			pps := in.PortProtocols
			if pps == nil {
				t.Fatal("no port_protocols")
			}
			got := map[string]string{
				"private_plain": deref(pps.PrivatePlainAddress), "private_sasl_ssl": deref(pps.PrivateSaslSslAddress),
				"private_sasl_plaintext": deref(pps.PrivateSaslPlaintextAddress), "public_plain": deref(pps.PublicPlainAddress),
				"public_sasl_ssl": deref(pps.PublicSaslSslAddress), "public_sasl_plaintext": deref(pps.PublicSaslPlaintextAddress),
			}
			for field, suffix := range tc.want {
				if suffix == "" {
					if got[field] != "" {
						t.Errorf("%s_address = %q, want empty", field, got[field])
					}
					continue
				}
				addrs := strings.Split(got[field], ",")
				if len(addrs) != len(hosts) {
					t.Fatalf("%s_address = %q, want one address per broker %v", field, got[field], hosts)
				}
				for i, a := range addrs {
					if a != hosts[i]+suffix {
						t.Errorf("%s_address[%d] = %q, want %q", field, i, a, hosts[i]+suffix)
					}
				}
			}
		})
	}
}
