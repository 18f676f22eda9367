package httpapi

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/dms"
)

// TestAccessModeSwitch: 5.2.9 on real Kafka. A plaintext instance gets SASL_SSL (the first time,
// naming its administrator), whose SCRAM login over TLS verified with the instance's CA works; then
// plaintext access is switched off and its port closes.
func TestAccessModeSwitch(t *testing.T) {
	e := newTestEnvOn(t, "local")
	c := e.kafkaClient(t)
	created, err := c.CreateInstanceByEngine(createReq(e, t, "access-modes"))
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	in := waitRunningLocal(t, e, id)
	hosts := strings.Split(deref(in.ConnectAddress), ",")
	addrs := func(port string) []string {
		var out []string
		for _, h := range hosts {
			out = append(out, net.JoinHostPort(h, port))
		}
		return out
	}
	sw := func(protocol string, enable bool, user, pwd string) (*model.UpdateKafkaPortProtocolResponse, error) {
		var p model.PlainSslEnableRequestProtocol
		if err := p.UnmarshalJSON([]byte(`"` + protocol + `"`)); err != nil {
			t.Fatal(err)
		}
		body := &model.PlainSslEnableRequest{Protocol: p, Enable: enable}
		if user != "" {
			body.UserName, body.PassWord = &user, &pwd
			body.SaslEnabledMechanisms = &[]model.PlainSslEnableRequestSaslEnabledMechanisms{model.GetPlainSslEnableRequestSaslEnabledMechanismsEnum().SCRAM_SHA_512}
		}
		var eng model.UpdateKafkaPortProtocolRequestEngine
		_ = eng.UnmarshalJSON([]byte(`"kafka"`))
		return c.UpdateKafkaPortProtocol(&model.UpdateKafkaPortProtocolRequest{Engine: eng, InstanceId: id, Body: body})
	}
	for _, tc := range []struct {
		name      string
		protocol  string
		enable    bool
		user, pwd string
		status    int
		code      string
	}{
		{"unknown mode", "private_ssl_enable", true, "", "", http.StatusBadRequest, dms.CodeInvalidParameter},
		{"already on", "private_plain_enable", true, "", "", http.StatusBadRequest, dms.CodeInvalidParameter},
		{"the last private mode off", "private_plain_enable", false, "", "", http.StatusBadRequest, dms.CodeInvalidParameter},
		{"first SASL without a user", "private_sasl_ssl_enable", true, "", "", http.StatusBadRequest, dms.CodeAccessUserInvalid},
		{"first SASL with a weak password", "private_sasl_ssl_enable", true, "root1", "password", http.StatusBadRequest, dms.CodePasswordWeak},
		{"public mode without public access", "public_plain_enable", true, "", "", http.StatusBadRequest, dms.CodePublicAccessInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sw(tc.protocol, tc.enable, tc.user, tc.pwd)
			sdkErr(t, err, tc.status, tc.code)
		})
	}

	// The data path (5.5.1, message queries) of a plaintext-only instance goes through the plaintext
	// listener; once SASL is on, or plaintext off, through the internal one: it works throughout.
	if hr, out := e.do(t, "POST", "/v2/"+e.ProjectID+"/instances/"+id+"/topics", map[string]any{"id": "data-path", "partition": 1, "replication": 1}); hr.StatusCode != 200 {
		t.Fatalf("topic: %d %s", hr.StatusCode, out)
	}
	produced := 0
	produceHTTP := func(when string) {
		t.Helper()
		hr, out := e.do(t, "POST", "/v2/"+e.ProjectID+"/instances/"+id+"/messages/action?action_id=send", map[string]any{"topic": "data-path", "body": when})
		if hr.StatusCode != 200 {
			t.Fatalf("5.5.1 %s: %d %s", when, hr.StatusCode, out)
		}
		produced++
		hr, out = e.do(t, "GET", "/v2/"+e.ProjectID+"/instances/"+id+"/messages?topic=data-path&start_time=0&end_time="+strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10), nil)
		var page struct {
			Total int `json:"total"`
		}
		if hr.StatusCode != 200 || json.Unmarshal(out, &page) != nil || page.Total != produced {
			t.Fatalf("5.8.1 %s: %d %s, want %d messages", when, hr.StatusCode, out, produced)
		}
	}
	produceHTTP("plaintext only")

	resp, err := sw("private_sasl_ssl_enable", true, "root1", "Sw1tch-Passw0rd")
	if err != nil {
		t.Fatal(err)
	}
	if deref(resp.JobId) == "" || !deref(resp.Enable) || resp.Protocol.Value() != "private_sasl_ssl_enable" {
		t.Fatalf("switch response: %+v", resp)
	}
	if task := waitTask(t, c, id, deref(resp.JobId)); deref(task.Status) != "SUCCESS" {
		t.Fatalf("switch task: %+v", task)
	}
	shown, err := c.ShowInstance(&model.ShowInstanceRequest{InstanceId: id})
	if err != nil {
		t.Fatal(err)
	}
	if !deref(shown.SslEnable) || deref(shown.KafkaSecurityProtocol) != "SASL_SSL" || deref(shown.AccessUser) != "root1" || deref(shown.Status) != "RUNNING" {
		t.Errorf("after the switch: ssl %v protocol %s user %s status %s", deref(shown.SslEnable), deref(shown.KafkaSecurityProtocol), deref(shown.AccessUser), deref(shown.Status))
	}
	hr, ca := e.do(t, "GET", "/opendms/v1/"+e.ProjectID+"/instances/"+id+"/ca-certificate", nil)
	pool := x509.NewCertPool()
	if hr.StatusCode != 200 || !pool.AppendCertsFromPEM(ca) {
		t.Fatalf("CA certificate: %d %s", hr.StatusCode, ca)
	}
	admin := userClient(t, addrs("9093"), scramAuth("root1", "Sw1tch-Passw0rd"), kgo.DialTLSConfig(&tls.Config{RootCAs: pool}))
	if err := produceErr(t, admin, "switched"); err != nil && !strings.Contains(err.Error(), "UNKNOWN_TOPIC") {
		t.Fatalf("administrator over SASL_SSL: %v", err)
	}
	if err := loginErr(t, addrs("9093"), scramAuth("root1", "wrong-Passw0rd"), kgo.DialTLSConfig(&tls.Config{RootCAs: pool})); err == nil {
		t.Error("a wrong password was accepted after the switch")
	}
	produceHTTP("SASL_SSL beside plaintext")

	// Plaintext off: 9092 closes.
	resp, err = sw("private_plain_enable", false, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if task := waitTask(t, c, id, deref(resp.JobId)); deref(task.Status) != "SUCCESS" {
		t.Fatalf("switch task: %+v", task)
	}
	if conn, err := net.DialTimeout("tcp", addrs("9092")[0], 2*time.Second); err == nil {
		conn.Close()
		t.Error("the plaintext port still accepts connections")
	}
	if err := loginErr(t, addrs("9093"), scramAuth("root1", "Sw1tch-Passw0rd"), kgo.DialTLSConfig(&tls.Config{RootCAs: pool})); err != nil {
		t.Errorf("SASL_SSL login after plaintext went off: %v", err)
	}
	produceHTTP("SASL_SSL only")
}
