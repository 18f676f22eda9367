package httpapi

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/catalog"
)

func strp(s string) *string { return &s }

// wantSDKError asserts err is the SDK's ServiceResponseError with the status and DMS code.
func wantSDKError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want *sdkerr.ServiceResponseError", err, err)
	}
	if se.StatusCode != status || se.ErrorCode != code || se.ErrorMessage == "" || se.RequestId == "" {
		t.Fatalf("error = status %d code %q msg %q request id %q; want %d %s", se.StatusCode, se.ErrorCode, se.ErrorMessage, se.RequestId, status, code)
	}
}

func TestCatalogAPIAvailableZones(t *testing.T) {
	e := newTestEnv(t)
	resp, err := e.kafkaClient(t).ListAvailableZones(&model.ListAvailableZonesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.HttpStatusCode != 200 || resp.RegionId == nil || *resp.RegionId != e.Region || resp.AvailableZones == nil {
		t.Fatalf("response = %v", resp)
	}
	azs := *resp.AvailableZones
	if len(azs) != 3 {
		t.Fatalf("AZs = %d, want 3", len(azs))
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for i, suffix := range []string{"a", "b", "c"} {
		a := azs[i]
		if *a.Code != e.Region+suffix || !hex32.MatchString(*a.Id) || seen[*a.Id] || *a.SoldOut || *a.ResourceAvailability != "true" ||
			*a.DefaultAz != (i == 0) || *a.RemainTime != math.MaxInt64 || *a.Ipv6Enable || *a.Port == "" || *a.Name == "" {
			t.Errorf("AZ %d = %v", i, a)
		}
		seen[*a.Id] = true
		// The id is what instance creation takes, and the catalog resolves it.
		if got, ok := e.Server.catalog.AZ(*a.Id); !ok || got.Code != *a.Code {
			t.Errorf("catalog.AZ(%s) = %+v, %v", *a.Id, got, ok)
		}
	}
}

func TestCatalogAPIEngineProducts(t *testing.T) {
	e := newTestEnv(t)
	client := e.kafkaClient(t)
	engine := model.GetListEngineProductsRequestEngineEnum().KAFKA

	resp, err := client.ListEngineProducts(&model.ListEngineProductsRequest{Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	if *resp.Engine != "kafka" || !slices.Equal(*resp.Versions, []string{"1.1.0", "2.7", "3.x"}) {
		t.Errorf("engine/versions = %s %v", *resp.Engine, *resp.Versions)
	}
	type want struct {
		ecs                                                string
		maxBroker, maxStorage, partitions, tps, minStorage int
	}
	wants := map[string]want{
		"c6.2u4g.cluster":   {"c6.large.2", 30, 10000, 250, 30000, 100},
		"c6.4u8g.cluster":   {"c6.xlarge.2", 30, 20000, 500, 100000, 100},
		"c6.8u16g.cluster":  {"c6.2xlarge.2", 50, 30000, 1000, 150000, 100},
		"c6.12u24g.cluster": {"c6.3xlarge.2", 50, 30000, 1500, 200000, 100},
		"c6.16u32g.cluster": {"c6.4xlarge.2", 50, 30000, 2000, 250000, 100},
	}
	products := *resp.Products
	if len(products) != 5 {
		t.Fatalf("products = %d, want 5", len(products))
	}
	atoi := func(s *string) int {
		n, err := strconv.Atoi(*s)
		if err != nil {
			t.Fatalf("limit %q is not a number", *s)
		}
		return n
	}
	azCodes := []string{e.Region + "a", e.Region + "b", e.Region + "c"}
	for _, p := range products {
		w, ok := wants[*p.ProductId]
		if !ok {
			t.Errorf("unexpected product %s", *p.ProductId)
			continue
		}
		pr := p.Properties
		got := want{*p.EcsFlavorId, atoi(pr.MaxBroker), atoi(pr.MaxStoragePerNode), atoi(pr.MaxPartitionPerBroker), atoi(pr.MaxTpsPerBroker), atoi(pr.MinStoragePerNode)}
		if got != w || atoi(pr.MinBroker) != 3 || atoi(pr.MaxConsumerPerBroker) != 4000 || atoi(pr.MaxBandwidthPerBroker) != 100 {
			t.Errorf("%s: %+v, want %+v (%v)", *p.ProductId, got, w, pr)
		}
		if *p.Type != "cluster" || *p.BillingCode != "dms.platinum.c6" || !slices.Equal(*p.ArchTypes, []string{"X86"}) ||
			!slices.Equal(*p.ChargingMode, []string{"monthly", "hourly"}) || *pr.ProductAlias != "kafka."+(*p.ProductId)[3:] {
			t.Errorf("%s: %v", *p.ProductId, p)
		}
		ios := *p.Ios
		if len(ios) != 2 || *ios[0].IoSpec != "dms.physical.storage.high.v2" || *ios[1].IoSpec != "dms.physical.storage.ultra.v2" ||
			*ios[0].Type != "evs" || !slices.Equal(*ios[0].AvailableZones, azCodes) || len(*ios[0].UnavailableZones) != 0 {
			t.Errorf("%s ios: %v", *p.ProductId, ios)
		}
		f := *p.SupportFeatures
		if len(f) != 1 || *f[0].Name != "connector_obs" || *f[0].Properties.MaxTask != "10" || *f[0].Properties.MinNode != "2" {
			t.Errorf("%s features: %v", *p.ProductId, f)
		}
	}

	// Filtered by product_id.
	one, err := client.ListEngineProducts(&model.ListEngineProductsRequest{Engine: engine, ProductId: strp("c6.8u16g.cluster")})
	if err != nil {
		t.Fatal(err)
	}
	if len(*one.Products) != 1 || *(*one.Products)[0].ProductId != "c6.8u16g.cluster" || *(*one.Products)[0].Properties.MaxTpsPerBroker != "150000" {
		t.Errorf("filtered products = %v", one.Products)
	}

	// An unknown product_id is 400 DMS.00400009.
	_, err = client.ListEngineProducts(&model.ListEngineProductsRequest{Engine: engine, ProductId: strp("c6.99u99g.cluster")})
	wantSDKError(t, err, http.StatusBadRequest, "DMS.00400009")

	// Another engine is rejected by the router.
	r, b := e.do(t, "GET", "/v2/rabbitmq/products", nil)
	if r.StatusCode != http.StatusBadRequest || decodeError(t, b).ErrorCode != "DMS.00400007" {
		t.Errorf("rabbitmq products: %d %s", r.StatusCode, b)
	}
}

func TestCatalogAPIMaintainWindows(t *testing.T) {
	e := newTestEnv(t)
	resp, err := e.kafkaClient(t).ShowMaintainWindows(&model.ShowMaintainWindowsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ws := *resp.MaintainWindows
	if len(ws) != 6 {
		t.Fatalf("windows = %d, want 6", len(ws))
	}
	begins := []string{"22", "02", "06", "10", "14", "18"}
	defaults := 0
	for i, w := range ws {
		next := begins[(i+1)%len(begins)]
		if *w.Seq != int32(i+1) || *w.Begin != begins[i] || *w.End != next {
			t.Errorf("window %d = %v", i, w)
		}
		if *w.Default {
			defaults++
			if *w.Begin != "02" || *w.End != "06" {
				t.Errorf("default window = %v", w)
			}
		}
	}
	if defaults != 1 {
		t.Errorf("%d default windows, want exactly 1", defaults)
	}
}

func TestCatalogAPIProductCores(t *testing.T) {
	e := newTestEnv(t)
	client := e.kafkaClient(t)
	tests := []struct {
		product, brokers string
		want             int32
	}{
		{"c6.2u4g.cluster", "3", 6},
		{"c6.4u8g.cluster", "5", 20},
		{"c6.16u32g.cluster", "50", 800},
	}
	for _, tt := range tests {
		resp, err := client.ShowKafkaProductCores(&model.ShowKafkaProductCoresRequest{ProductId: tt.product, BrokerNum: tt.brokers})
		if err != nil {
			t.Fatalf("%s x %s: %v", tt.product, tt.brokers, err)
		}
		if resp.CoreNum == nil || *resp.CoreNum != tt.want || resp.TotalExtendStorageSpace != nil {
			t.Errorf("%s x %s: %v, want core_num %d", tt.product, tt.brokers, resp, tt.want)
		}
	}

	_, err := client.ShowKafkaProductCores(&model.ShowKafkaProductCoresRequest{ProductId: "nope", BrokerNum: "3"})
	wantSDKError(t, err, http.StatusBadRequest, "DMS.00400009")
	_, err = client.ShowKafkaProductCores(&model.ShowKafkaProductCoresRequest{ProductId: "c6.2u4g.cluster", BrokerNum: "three"})
	wantSDKError(t, err, http.StatusBadRequest, "DMS.00400062")
	_, err = client.ShowKafkaProductCores(&model.ShowKafkaProductCoresRequest{ProductId: "c6.2u4g.cluster", BrokerNum: "31"})
	wantSDKError(t, err, http.StatusBadRequest, "DMS.00400062")
	_, err = client.ShowKafkaProductCores(&model.ShowKafkaProductCoresRequest{ProductId: "c6.2u4g.cluster"})
	wantSDKError(t, err, http.StatusBadRequest, "DMS.00400062")
	// An unknown instance is 404.
	_, err = client.ShowKafkaProductCores(&model.ShowKafkaProductCoresRequest{InstanceId: strp("6ac4d5b4-8cd7-4b8b-9a83-31a8f9e3e4b1"), ProductId: "c6.2u4g.cluster", BrokerNum: "3"})
	wantSDKError(t, err, http.StatusNotFound, "DMS.00404022")

	// For an instance: its flavor's vCPUs for the asked broker count, and the storage that count takes
	// at the instance's storage per broker (300 GB / 3 brokers -> 100 GB each, 5 brokers -> 500 GB).
	created, err := client.CreateInstanceByEngine(createReq(e, t, "kafka-cores"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.ShowKafkaProductCores(&model.ShowKafkaProductCoresRequest{InstanceId: created.InstanceId, BrokerNum: "5"})
	if err != nil || deref(resp.CoreNum) != 10 || deref(resp.TotalExtendStorageSpace) != 500 {
		t.Fatalf("cores of the instance: %+v, %v", resp, err)
	}
	// A user of another project does not see it.
	other := e.newProject(t, "cn-west-1")
	ak, sk := e.newUser(t, "stranger", "DMS FullAccess", other)
	_, err = e.sdkClient(t, ak, sk, other).ShowKafkaProductCores(&model.ShowKafkaProductCoresRequest{InstanceId: created.InstanceId, BrokerNum: "5"})
	wantSDKError(t, err, http.StatusNotFound, "DMS.00404022")
}

func TestCatalogAPIV1(t *testing.T) {
	e := newTestEnv(t)

	// 7.1.2.1
	r, b := e.do(t, "GET", "/v1.0/availableZones", nil)
	if r.StatusCode != 200 {
		t.Fatalf("availableZones: %d %s", r.StatusCode, b)
	}
	var zones catalog.V1AvailableZonesResponse
	if err := json.Unmarshal(b, &zones); err != nil {
		t.Fatal(err)
	}
	if zones.RegionID != e.Region || len(zones.AvailableZones) != 3 || zones.AvailableZones[2].Code != e.Region+"c" ||
		zones.AvailableZones[0].ResourceAvailability != "true" || zones.AvailableZones[0].ID != catalog.DeriveAZID(e.Region+"a") {
		t.Errorf("V1 zones = %+v", zones)
	}
	var raw map[string][]map[string]any
	json.Unmarshal(b, &raw)
	if _, ok := raw["available_zones"][0]["soldOut"].(bool); !ok {
		t.Errorf("soldOut is not a JSON boolean: %s", b)
	}

	// 7.1.2.2
	r, b = e.do(t, "GET", "/v1.0/products?engine=kafka", nil)
	if r.StatusCode != 200 {
		t.Fatalf("products: %d %s", r.StatusCode, b)
	}
	var products catalog.V1ProductsResponse
	if err := json.Unmarshal(b, &products); err != nil {
		t.Fatal(err)
	}
	if len(products.Hourly) != 3 || len(products.Monthly) != 3 {
		t.Fatalf("V1 products = %s", b)
	}
	var bandwidths, hourlyIDs []string
	for _, d := range products.Hourly[0].Values[0].Detail {
		bandwidths = append(bandwidths, d.Bandwidth)
		hourlyIDs = append(hourlyIDs, d.ProductID)
	}
	if !slices.Equal(bandwidths, []string{"100MB", "300MB", "600MB", "1200MB"}) ||
		!slices.Equal(hourlyIDs, []string{"00300-30308-0--0", "00300-30310-0--0", "00300-30312-0--0", "00300-30314-0--0"}) {
		t.Errorf("V1 hourly = %v %v", bandwidths, hourlyIDs)
	}
	if d := products.Monthly[0].Values[0].Detail[0]; d.ProductID != "00300-30309-0--0" || d.PartitionNum != "300" || d.IO[0].StorageSpecCode != "dms.physical.storage.high" {
		t.Errorf("V1 monthly 100MB = %+v", d)
	}
	r, b = e.do(t, "GET", "/v1.0/products", nil)
	if r.StatusCode != http.StatusBadRequest || decodeError(t, b).ErrorCode != "DMS.00400062" {
		t.Errorf("products without engine: %d %s", r.StatusCode, b)
	}
	r, b = e.do(t, "GET", "/v1.0/products?engine=rabbitmq", nil)
	if r.StatusCode != http.StatusBadRequest || decodeError(t, b).ErrorCode != "DMS.00400007" {
		t.Errorf("products?engine=rabbitmq: %d %s", r.StatusCode, b)
	}

	// 7.1.2.3
	r, b = e.do(t, "GET", "/v1.0/instances/maintain-windows", nil)
	if r.StatusCode != 200 {
		t.Fatalf("maintain-windows: %d %s", r.StatusCode, b)
	}
	var windows catalog.MaintainWindowsResponse
	if err := json.Unmarshal(b, &windows); err != nil {
		t.Fatal(err)
	}
	ws := windows.MaintainWindows
	if len(ws) != 6 || ws[0].Begin != "22:00:00" || ws[0].End != "02:00:00" || !ws[1].Default || ws[1].Begin != "02:00:00" || ws[5].Seq != 6 {
		t.Errorf("V1 windows = %+v", ws)
	}
}

func TestCatalogAPIRequiresAuthentication(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/v2/available-zones", "/v2/kafka/products", "/v2/instances/maintain-windows",
		"/v2/kafka/products/cores?product_id=c6.2u4g.cluster&broker_num=3", "/v1.0/availableZones", "/v1.0/products?engine=kafka",
		"/v1.0/instances/maintain-windows"} {
		r, b := e.doAs(t, "", "", "GET", path, nil)
		if r.StatusCode != http.StatusUnauthorized {
			t.Errorf("unsigned GET %s: %d %s", path, r.StatusCode, b)
		}
		r, b = e.do(t, "GET", path, nil)
		if r.StatusCode != http.StatusOK {
			t.Errorf("signed GET %s: %d %s", path, r.StatusCode, b)
		}
	}
}
