package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	iamsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
)

// The huaweicloud Terraform provider, pointed at dmsd (endpoints dms and iam), reads instances,
// lists topics, reads the cluster and looks the account up. These tests send what it sends and read
// the answers as it reads them (the provider's own code is not built here: it is not in the module
// registries this project uses).

// flattenCrossVpcInfo reads cross_vpc_info as the provider does: a JSON object keyed by listener IP
// decoded into map[string]interface{}, each entry's "port" set into an integer attribute
// (schema.TypeInt), which takes a JSON number and fails on a string.
func flattenCrossVpcInfo(t *testing.T, s string) map[string]int {
	t.Helper()
	infos := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &infos); err != nil {
		t.Fatalf("cross_vpc_info %q: %v", s, err)
	}
	ports := map[string]int{}
	for ip, v := range infos {
		entry, ok := v.(map[string]interface{})
		if !ok {
			t.Fatalf("cross_vpc_info[%s] is %T, not an object", ip, v)
		}
		port, ok := entry["port"].(float64)
		if !ok || port != math.Trunc(port) {
			t.Fatalf("cross_vpc_info[%s].port is %T %v: the provider's integer attribute refuses it", ip, entry["port"], entry["port"])
		}
		if adv, ok := entry["advertised_ip"].(string); !ok || adv == "" {
			t.Fatalf("cross_vpc_info[%s].advertised_ip is %v", ip, entry["advertised_ip"])
		}
		ports[ip] = int(port)
	}
	return ports
}

// cross_vpc_info names the port clients reach each broker at, whatever the access modes: a
// SASL-only instance has nothing on 9092.
func TestCrossVpcInfoPortFollowsAccessModes(t *testing.T) {
	e := newTestEnv(t)
	brokers := []dms.BrokerAddr{{ID: 0, Host: "10.0.0.1"}, {ID: 1, Host: "10.0.0.2"}}
	for _, c := range []struct {
		name string
		pp   dms.PortProtocol
		want int
	}{
		{"plaintext", dms.PortProtocol{PrivatePlainEnable: true}, 9092},
		{"plaintext and SASL_SSL", dms.PortProtocol{PrivatePlainEnable: true, PrivateSASLSSLEnable: true}, 9092},
		{"SASL_SSL only", dms.PortProtocol{PrivateSASLSSLEnable: true}, 9093},
		{"SASL_PLAINTEXT only", dms.PortProtocol{PrivateSASLPlaintextEnable: true}, 9093},
	} {
		t.Run(c.name, func(t *testing.T) {
			pp := c.pp
			v := e.Server.instanceView(dms.Instance{ID: "i-" + c.name, Brokers: brokers, PortProtocol: &pp, SSLEnable: !pp.PrivatePlainEnable})
			ports := flattenCrossVpcInfo(t, v.CrossVpcInfo)
			for _, b := range brokers {
				if ports[b.Host] != c.want {
					t.Fatalf("cross_vpc_info %s: port %d, want %d", v.CrossVpcInfo, ports[b.Host], c.want)
				}
			}
		})
	}
}

func TestTerraformProviderReads(t *testing.T) {
	ce := newClusterEnv(t, "tf-reads")
	in, err := ce.sdk.ShowInstance(&model.ShowInstanceRequest{InstanceId: ce.id})
	if err != nil {
		t.Fatal(err)
	}
	hosts := strings.Split(deref(in.ConnectAddress), ",")

	t.Run("cross_vpc_info ports are integers", func(t *testing.T) {
		ports := flattenCrossVpcInfo(t, deref(in.CrossVpcInfo))
		if len(ports) != len(hosts) {
			t.Fatalf("cross_vpc_info has %d brokers, want %d: %v", len(ports), len(hosts), ports)
		}
		for _, h := range hosts {
			if ports[h] != int(deref(in.Port)) {
				t.Fatalf("cross_vpc_info[%s].port = %d, want %d", h, ports[h], deref(in.Port))
			}
		}
		// The data source reads the same field from the list (as raw JSON, PathSearch).
		resp, b := ce.do(t, "GET", "/v2/"+ce.ProjectID+"/instances?instance_id="+ce.id, nil)
		var list struct {
			Instances []struct {
				CrossVpcInfo string `json:"cross_vpc_info"`
			} `json:"instances"`
		}
		if err := json.Unmarshal(b, &list); err != nil || resp.StatusCode != 200 || len(list.Instances) != 1 {
			t.Fatalf("list: %d %s", resp.StatusCode, b)
		}
		if got := flattenCrossVpcInfo(t, list.Instances[0].CrossVpcInfo); len(got) != len(hosts) {
			t.Fatalf("listed cross_vpc_info: %v", got)
		}
	})

	t.Run("topic list takes limit=200", func(t *testing.T) {
		// More topics than the reference's old maximum page (50), so one page of 200 proves it.
		var names []string
		for i := range 60 {
			names = append(names, fmt.Sprintf("tf-topic-%02d", i))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := ce.adm.CreateTopics(ctx, 1, 1, nil, names...)
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Error(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			limit     string
			wantCount int // -1: refused
		}{{"200", 60}, {"50", 50}, {"1", 1}, {"201", -1}, {"0", -1}} {
			resp, err := ce.sdk.ListInstanceTopics(&model.ListInstanceTopicsRequest{InstanceId: ce.id, Limit: &c.limit})
			if c.wantCount < 0 {
				sdkErr(t, err, 400, "DMS.00400062")
				continue
			}
			if err != nil {
				t.Fatalf("limit=%s: %v", c.limit, err)
			}
			if deref(resp.Total) != 60 || len(*resp.Topics) != c.wantCount {
				t.Fatalf("limit=%s: total %d, %d topics; want 60, %d", c.limit, deref(resp.Total), len(*resp.Topics), c.wantCount)
			}
		}
		_, b := ce.do(t, "GET", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/topics?limit=201", nil)
		if msg := decodeError(t, b).ErrorMsg; !strings.Contains(msg, "1 to 200") {
			t.Fatalf("limit=201 message: %s", msg)
		}
	})

	t.Run("ShowKafkaCluster", func(t *testing.T) {
		resp, err := ce.sdk.ShowKafkaCluster(&model.ShowKafkaClusterRequest{InstanceId: ce.id})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Cluster == nil || resp.Cluster.Brokers == nil || len(*resp.Cluster.Brokers) != len(hosts) {
			t.Fatalf("cluster: %v", resp)
		}
		var ids, got []string
		for i, b := range *resp.Cluster.Brokers {
			ids = append(ids, strconv.Itoa(i))
			got = append(got, deref(b.BrokerId))
			if !deref(b.Health) || deref(b.Port) != deref(in.Port) || !strings.Contains(deref(in.ConnectAddress), deref(b.Host)) || deref(b.Host) == "" {
				t.Fatalf("broker %d: %v", i, b)
			}
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Fatalf("broker ids %v", got)
		}
		// Beyond the SDK model: the controller, the counts and the versions.
		_, b := ce.do(t, "GET", "/v2/"+ce.ProjectID+"/instances/"+ce.id+"/manage/cluster", nil)
		var raw struct {
			Cluster kafkaClusterView `json:"cluster"`
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		c := raw.Cluster
		if c.Controller == "" || c.Controller == "-1" || c.TopicsCount < 60 || c.PartitionsCount < 60 || c.EngineVersion != deref(in.EngineVersion) ||
			c.KafkaVersion == "" || c.Brokers[0].Version != deref(in.EngineVersion) || c.Brokers[0].KafkaVersion != c.KafkaVersion ||
			c.Brokers[0].RegisterTime == 0 {
			t.Fatalf("manage/cluster: %s", b)
		}
		// 5.2.6 reads the same: the same brokers, versions and registration times.
		meta, err := ce.sdk.ShowCluster(&model.ShowClusterRequest{InstanceId: ce.id})
		if err != nil {
			t.Fatal(err)
		}
		for i, mb := range *meta.Cluster.Brokers {
			if deref(mb.Version) != c.EngineVersion || deref(mb.RegisterTime) != c.Brokers[i].RegisterTime || deref(mb.BrokerId) != c.Brokers[i].BrokerID {
				t.Fatalf("5.2.6 broker %v, manage/cluster broker %+v", mb, c.Brokers[i])
			}
		}
		// The Kafka build next to engine_version: the same in show-instance's opendms object (issue 10
		// bug 6), the build kafka_builds maps engine_version to.
		_, b = ce.do(t, "GET", "/v2/"+ce.ProjectID+"/instances/"+ce.id, nil)
		var shown struct {
			EngineVersion string `json:"engine_version"`
			OpenDMS       struct {
				KafkaVersion string `json:"kafka_version"`
			} `json:"opendms"`
		}
		if err := json.Unmarshal(b, &shown); err != nil || shown.OpenDMS.KafkaVersion != instances.DefaultKafkaBuild ||
			c.KafkaVersion != shown.OpenDMS.KafkaVersion || shown.EngineVersion != c.EngineVersion {
			t.Fatalf("show-instance %s, manage/cluster %s/%s", b, c.EngineVersion, c.KafkaVersion)
		}
	})
}

// GET /v3/auth/domains answers the caller's account, for a token and for AK/SK (signed with and
// without a project), as IAM's KeystoneListAuthDomains does; the SDK's global credentials resolve
// their domain id with it.
func TestAuthDomains(t *testing.T) {
	e := newTestEnv(t)
	d, err := e.IAM.Store().GetDomainByName(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	token := func() string {
		body := map[string]any{"auth": map[string]any{
			"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
				"name": "admin", "password": e.Password, "domain": map[string]any{"name": "admin"}}}},
			"scope": map[string]any{"project": map[string]any{"name": e.Region}},
		}}
		resp, b := e.doAs(t, "", "", "POST", "/v3/auth/tokens", body)
		if resp.StatusCode != 201 {
			t.Fatalf("token: %d %s", resp.StatusCode, b)
		}
		return resp.Header.Get("X-Subject-Token")
	}()
	withHeader := func(k, v string) func() (*http.Response, []byte) {
		return func() (*http.Response, []byte) {
			req, _ := http.NewRequest("GET", e.URL+"/v3/auth/domains", nil)
			if k != "" {
				req.Header.Set(k, v)
			}
			return send(t, req)
		}
	}
	for _, c := range []struct {
		name   string
		call   func() (*http.Response, []byte)
		status int
	}{
		{"token", withHeader("X-Auth-Token", token), 200},
		{"aksk", func() (*http.Response, []byte) { return e.do(t, "GET", "/v3/auth/domains", nil) }, 200},
		{"no credentials", withHeader("", ""), 401},
		{"bad token", withHeader("X-Auth-Token", "not-a-token"), 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, b := c.call()
			if resp.StatusCode != c.status {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			if c.status != 200 {
				return
			}
			var out struct {
				Domains []struct {
					ID      string `json:"id"`
					Name    string `json:"name"`
					Enabled bool   `json:"enabled"`
				} `json:"domains"`
				Links map[string]any `json:"links"`
			}
			if err := json.Unmarshal(b, &out); err != nil || len(out.Domains) != 1 || out.Links["self"] == nil {
				t.Fatalf("body %s (%v)", b, err)
			}
			if got := out.Domains[0]; got.ID != d.ID || got.Name != d.Name || !got.Enabled {
				t.Fatalf("domain %+v, want %s %s", got, d.ID, d.Name)
			}
		})
	}
	t.Run("SDK global credentials", func(t *testing.T) {
		// Without a domain id the global credentials look it up (GET /v3/auth/domains) while the
		// client is built.
		cred, err := global.NewCredentialsBuilder().WithAk(e.AK).WithSk(e.SK).WithIamEndpointOverride(e.URL).SafeBuild()
		if err != nil {
			t.Fatal(err)
		}
		hc, err := iamsdk.IamClientBuilder().WithRegion(region.NewRegion(e.Region, e.URL)).WithCredential(cred).
			WithHttpConfig(config.DefaultHttpConfig().WithUserAgent("opendms-test")).SafeBuild()
		if err != nil {
			t.Fatalf("SafeBuild (IAM domain lookup): %v", err)
		}
		if cred.DomainId != d.ID {
			t.Fatalf("resolved domain id %q, want %q", cred.DomainId, d.ID)
		}
		resp, err := iamsdk.NewIamClient(hc).KeystoneListAuthDomains(&iammodel.KeystoneListAuthDomainsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Domains == nil || len(*resp.Domains) != 1 || (*resp.Domains)[0].Id != d.ID || !(*resp.Domains)[0].Enabled {
			t.Fatalf("KeystoneListAuthDomains: %v", resp)
		}
	})
}

// BenchmarkTerraformReads measures the calls the Terraform provider makes on every refresh of an
// instance that are new here: ShowKafkaCluster (a metadata request, ApiVersions to every broker,
// ListGroups and DescribeQuorum on the embedded engine) and GET /v3/auth/domains.
//
//	go test -run '^$' -bench TerraformReads ./internal/httpapi/
func BenchmarkTerraformReads(b *testing.B) {
	ce := newClusterEnv(b, "tf-bench")
	for _, path := range []string{"/v2/" + ce.ProjectID + "/instances/" + ce.id + "/manage/cluster", "/v3/auth/domains"} {
		b.Run(strings.TrimPrefix(path[strings.LastIndex(path, "/"):], "/"), func(b *testing.B) {
			for b.Loop() {
				if resp, body := ce.do(b, "GET", path, nil); resp.StatusCode != 200 {
					b.Fatalf("%d %s", resp.StatusCode, body)
				}
			}
		})
	}
}
