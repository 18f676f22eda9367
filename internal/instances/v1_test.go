package instances

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/dms"
)

func testCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.New(catalog.Config{}, "cn-north-4")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// v1Req is a valid 7.1.1.1 request of the given specification at its minimum storage.
func v1Req(cat *catalog.Catalog, productID string) V1CreateRequest {
	lp, _, _ := cat.LegacyProduct(productID)
	return V1CreateRequest{
		Name: "kafka-v1", Engine: "kafka", EngineVersion: "2.3.0", Specification: lp.Bandwidth, StorageSpace: lp.MinStorage,
		PartitionNum: lp.PartitionNum, VpcID: "vpc", SecurityGroupID: "sg", SubnetID: "subnet",
		AvailableZones: []string{cat.AZs()[0].ID}, ProductID: productID, KafkaManagerUser: "root",
		KafkaManagerPassword: "Mgr-pass1", StorageSpecCode: catalog.StorageUltra,
	}
}

func TestV1ProductMapping(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct {
		product string
		storage int
		flavor  string
		brokers int
	}{
		{"00300-30308-0--0", 600, "c6.2u4g.cluster", 3},    // 100MB: 200 GB per broker
		{"00300-30308-0--0", 30000, "c6.2u4g.cluster", 3},  // 10,000 GB per broker: still 2u4g's
		{"00300-30308-0--0", 30001, "c6.4u8g.cluster", 3},  // above 2u4g's maximum
		{"00300-30308-0--0", 60001, "c6.8u16g.cluster", 3}, // above 4u8g's too
		{"00300-30310-0--0", 1200, "c6.4u8g.cluster", 3},   // 300MB
		{"00300-30310-0--0", 60000, "c6.4u8g.cluster", 3},
		{"00300-30310-0--0", 90000, "c6.8u16g.cluster", 3},
		{"00300-30312-0--0", 2400, "c6.8u16g.cluster", 4},  // 600MB
		{"00300-30312-0--0", 90000, "c6.8u16g.cluster", 4}, // 22,500 GB per broker
		{"00300-30314-0--0", 4800, "c6.8u16g.cluster", 8},  // 1200MB
		{"00300-30314-0--0", 90000, "c6.8u16g.cluster", 8},
	}
	for _, tt := range tests {
		req := v1Req(cat, tt.product)
		req.StorageSpace = tt.storage
		plan, err := validateV1Create(cat, req)
		if err != nil {
			t.Errorf("%s with %d GB: %v", tt.product, tt.storage, err)
			continue
		}
		if plan.product.ID != tt.flavor || plan.legacy.BrokerNum != tt.brokers {
			t.Errorf("%s with %d GB runs on %d x %s, want %d x %s", tt.product, tt.storage, plan.legacy.BrokerNum, plan.product.ID, tt.brokers, tt.flavor)
		}
		if plan.engineVersion != "2.7" || plan.storageSpecCode != catalog.StorageUltraV2 {
			t.Errorf("%s: engine_version %s, storage spec %s", tt.product, plan.engineVersion, plan.storageSpecCode)
		}
	}
}

func TestV1ProductMappingNoFlavor(t *testing.T) {
	// A catalog whose only flavor cannot hold 90,000 GB on 3 brokers.
	cat, err := catalog.New(catalog.Config{Products: []catalog.Product{{ID: "c6.2u4g.cluster"}}}, "cn-north-4")
	if err != nil {
		t.Fatal(err)
	}
	req := v1Req(cat, "00300-30308-0--0")
	req.StorageSpace = 90000
	_, err = validateV1Create(cat, req)
	var de *dms.Error
	if !errors.As(err, &de) || de.Code != dms.CodeAdvancedProductNotFound {
		t.Fatalf("got %v, want %s", err, dms.CodeAdvancedProductNotFound)
	}
}

func TestV1CreateAccepts(t *testing.T) {
	cat := testCatalog(t)
	azs := cat.AZs()
	tests := []struct {
		name   string
		mutate func(*V1CreateRequest)
	}{
		{"V2 versions as they are", func(r *V1CreateRequest) { r.EngineVersion = "3.x" }},
		{"underscore in the name", func(r *V1CreateRequest) { r.Name = "kafka_v1" }},
		{"specification with a space", func(r *V1CreateRequest) { r.Specification = "100 MB" }},
		{"high I/O for 100MB", func(r *V1CreateRequest) { r.StorageSpecCode = catalog.StorageHigh }},
		{"three AZs", func(r *V1CreateRequest) { r.AvailableZones = []string{azs[0].ID, azs[1].Code, azs[2].ID} }},
		{"SSL fields ignored without ssl_enable", func(r *V1CreateRequest) { r.AccessUser, r.Password = "x", "y" }},
		{"SSL", func(r *V1CreateRequest) { r.SSLEnable, r.AccessUser, r.Password = true, "user-1", "Pass word1" }},
		{"public fields ignored without enable_publicip", func(r *V1CreateRequest) { r.PublicBandwidth = "fast" }},
		{"public access", func(r *V1CreateRequest) {
			r.EnablePublicIP, r.PublicIPID, r.PublicBandwidth = true, "eip-1,eip-2,eip-3", "900"
		}},
		{"window", func(r *V1CreateRequest) { r.MaintainBegin, r.MaintainEnd = "18:00:00", "22:00:00" }},
		{"Unicode tags", func(r *V1CreateRequest) { r.Tags = []dms.Tag{{Key: "所有者", Value: "团队 a"}} }},
	}
	for _, tt := range tests {
		req := v1Req(cat, "00300-30308-0--0")
		tt.mutate(&req)
		if _, err := validateV1Create(cat, req); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	req := v1Req(cat, "00300-30308-0--0")
	req.EnablePublicIP, req.PublicIPID, req.PublicBandwidth = true, "eip", "300"
	if plan, err := validateV1Create(cat, req); err != nil || plan.publicBandwidth != 300 || plan.window.Begin != "02:00:00" {
		t.Fatalf("plan %+v, %v", plan, err)
	}
}

func TestV1PasswordRule(t *testing.T) {
	for _, tc := range []struct {
		p       string
		manager bool
		ok      bool
	}{
		{"Passw0rd", false, true},
		{"passw0rd!", false, true},
		{"pass word1", false, true}, // space is a special character
		{"Password", false, false},  // two kinds
		{"Pa1!", false, false},      // too short
		{"-Passw0rd", false, false},
		{"Passw0rd|x", false, false}, // '|' is not in V1's set
		{"Passw0rd$x", false, true},
		{"Passw0rd$x", true, false}, // the manager's set has no '$'
		{"Passw0rd%x", true, true},
		{"Pässw0rd!", false, false},
	} {
		specials := v1PasswordSpecials
		if tc.manager {
			specials = v1ManagerPasswordSpecials
		}
		if got := v1PasswordOK(tc.p, specials); got != tc.ok {
			t.Errorf("%q (manager %v): %v, want %v", tc.p, tc.manager, got, tc.ok)
		}
	}
}

func TestStringOrNumber(t *testing.T) {
	for in, want := range map[string]string{`{"b":"300"}`: "300", `{"b":300}`: "300", `{"b":null}`: "", `{}`: ""} {
		var v struct {
			B StringOrNumber `json:"b"`
		}
		if err := json.Unmarshal([]byte(in), &v); err != nil || string(v.B) != want {
			t.Errorf("%s: %q, %v", in, v.B, err)
		}
	}
	for _, in := range []string{`{"b":true}`, `{"b":{}}`, `{"b":[1]}`} {
		var v struct {
			B StringOrNumber `json:"b"`
		}
		var te *json.UnmarshalTypeError
		if err := json.Unmarshal([]byte(in), &v); !errors.As(err, &te) || te.Field != "b" {
			t.Errorf("%s: %v, want a type error on b", in, err)
		}
	}
}

func TestLegacyInfo(t *testing.T) {
	s := &Service{cat: testCatalog(t)}
	info, ok := s.LegacyInfo(dms.Instance{LegacySpecification: "300MB", StorageSpecCode: catalog.StorageHighV2})
	if !ok || info != (LegacyInfo{ProductID: "00300-30310-0--0", ResourceSpecCode: "dms.instance.kafka.cluster.c3.small.2", StorageSpecCode: catalog.StorageHigh}) {
		t.Fatalf("%+v %v", info, ok)
	}
	if _, ok := s.LegacyInfo(dms.Instance{ProductID: "c6.2u4g.cluster"}); ok {
		t.Fatal("a V2 instance has no legacy info")
	}
}
