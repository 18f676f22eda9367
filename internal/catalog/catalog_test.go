package catalog

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/opendms/opendms/internal/dms"
)

func mustNew(t *testing.T, cfg Config) *Catalog {
	t.Helper()
	c, err := New(cfg, "cn-north-4")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestCatalogDefaults(t *testing.T) {
	c := mustNew(t, Config{})

	// AZs: three, named for the region, with stable 32-hex ids; the first is the default.
	azs := c.AZs()
	if len(azs) != 3 {
		t.Fatalf("AZs = %d, want 3", len(azs))
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for i, want := range []string{"cn-north-4a", "cn-north-4b", "cn-north-4c"} {
		a := azs[i]
		if a.Code != want || !hex32.MatchString(a.ID) || a.ID != DeriveAZID(want) || a.Default != (i == 0) || a.SoldOut {
			t.Errorf("AZ %d = %+v", i, a)
		}
		if got, ok := c.AZ(a.ID); !ok || got.Code != want {
			t.Errorf("AZ(id %s) = %+v, %v", a.ID, got, ok)
		}
		if got, ok := c.AZ(want); !ok || got.ID != a.ID {
			t.Errorf("AZ(code %s) = %+v, %v", want, got, ok)
		}
	}
	if DeriveAZID("cn-north-4a") == DeriveAZID("cn-north-4b") {
		t.Error("derived AZ ids collide")
	}
	other, _ := New(Config{}, "eu-west-0")
	if other.AZs()[0].Code != "eu-west-0a" || other.AZs()[0].ID == azs[0].ID {
		t.Errorf("other region's AZ = %+v", other.AZs()[0])
	}
	if _, ok := c.AZ("nope"); ok {
		t.Error("AZ(nope) found")
	}

	// Products: the reference's five flavors with their limits.
	type lim struct {
		vcpus, mem, maxBroker, maxStorage, partitions, tps int
		ecs                                                string
	}
	want := map[string]lim{
		"c6.2u4g.cluster":   {2, 4, 30, 10000, 250, 30000, "c6.large.2"},
		"c6.4u8g.cluster":   {4, 8, 30, 20000, 500, 100000, "c6.xlarge.2"},
		"c6.8u16g.cluster":  {8, 16, 50, 30000, 1000, 150000, "c6.2xlarge.2"},
		"c6.12u24g.cluster": {12, 24, 50, 30000, 1500, 200000, "c6.3xlarge.2"},
		"c6.16u32g.cluster": {16, 32, 50, 30000, 2000, 250000, "c6.4xlarge.2"},
	}
	ps := c.Products()
	if len(ps) != 5 {
		t.Fatalf("products = %d, want 5", len(ps))
	}
	for _, p := range ps {
		w, ok := want[p.ID]
		if !ok {
			t.Errorf("unexpected product %s", p.ID)
			continue
		}
		got := lim{p.VCPUs, p.MemoryGB, p.MaxBroker, p.MaxStoragePerNode, p.MaxPartitionPerBroker, p.MaxTPSPerBroker, p.ECSFlavorID}
		if got != w || p.MinBroker != 3 || p.MinStoragePerNode != 100 || p.MaxConsumerPerBroker != 4000 ||
			p.MaxBandwidthPerBroker != 100 || p.Type != "cluster" || p.Alias != "kafka."+strings.TrimPrefix(p.ID, "c6.") {
			t.Errorf("product %s = %+v", p.ID, p)
		}
		if !p.HasStorageSpec(StorageHighV2) || !p.HasStorageSpec(StorageUltraV2) || p.HasStorageSpec(StorageHigh) {
			t.Errorf("product %s storage specs = %v", p.ID, p.StorageSpecCodes)
		}
		if !p.HasChargingMode("hourly") || !p.HasChargingMode("monthly") {
			t.Errorf("product %s charging modes = %v", p.ID, p.ChargingModes)
		}
	}
	// 5.1.1's storage_space ranges are reproduced: 300 GB at 3 brokers up to max_broker x max per node.
	for id, wantMax := range map[string]int{"c6.2u4g.cluster": 300000, "c6.4u8g.cluster": 600000, "c6.8u16g.cluster": 1500000,
		"c6.12u24g.cluster": 1500000, "c6.16u32g.cluster": 1500000} {
		p, ok := c.Product(id)
		if !ok {
			t.Fatalf("Product(%s) not found", id)
		}
		if lo, _ := p.StorageRange(3); lo != 300 {
			t.Errorf("%s: min storage at 3 brokers = %d, want 300", id, lo)
		}
		if _, hi := p.StorageRange(p.MaxBroker); hi != wantMax {
			t.Errorf("%s: max storage = %d, want %d", id, hi, wantMax)
		}
	}
	if _, ok := c.Product("c6.2u4g.single"); ok {
		t.Error("Product(c6.2u4g.single) found")
	}

	if got := c.Versions(); !slices.Equal(got, []string{"1.1.0", "2.7", "3.x"}) {
		t.Errorf("Versions = %v", got)
	}
	if !c.HasVersion("3.x") || c.HasVersion("2.3.0") {
		t.Error("HasVersion")
	}

	// Windows: six, 02:00-06:00 the default.
	ws := c.MaintainWindows()
	if len(ws) != 6 {
		t.Fatalf("windows = %d", len(ws))
	}
	if d := c.DefaultMaintainWindow(); d.Seq != 2 || d.Begin != "02:00:00" || d.End != "06:00:00" {
		t.Errorf("default window = %+v", d)
	}

	// Legacy products.
	lp, hourly, ok := c.LegacyProduct("00300-30308-0--0")
	if !ok || !hourly || lp.Bandwidth != "100MB" || lp.PartitionNum != 300 || lp.MinStorage != 600 || lp.BrokerNum != 3 {
		t.Errorf("LegacyProduct(hourly 100MB) = %+v, %v, %v", lp, hourly, ok)
	}
	lp, hourly, ok = c.LegacyProduct("00300-30315-0--0")
	if !ok || hourly || lp.Bandwidth != "1200MB" || lp.HasStorageSpec(StorageHigh) || !lp.HasStorageSpec(StorageUltra) {
		t.Errorf("LegacyProduct(monthly 1200MB) = %+v, %v, %v", lp, hourly, ok)
	}
}

func TestCatalogLookupsAreCopies(t *testing.T) {
	c := mustNew(t, Config{})
	p, _ := c.Product("c6.2u4g.cluster")
	p.StorageSpecCodes[0] = "mutated"
	c.Products()[0].ArchTypes[0] = "mutated"
	p2, _ := c.Product("c6.2u4g.cluster")
	if p2.StorageSpecCodes[0] != StorageHighV2 || p2.ArchTypes[0] != "X86" {
		t.Errorf("catalog mutated through a returned product: %+v", p2)
	}
}

func TestCatalogFindMaintainWindow(t *testing.T) {
	c := mustNew(t, Config{})
	tests := []struct {
		begin, end string
		wantSeq    int32
		ok         bool
	}{
		{"", "", 2, true},
		{"22:00", "02:00", 1, true},       // 5.1.1 HH:mm
		{"22:00:00", "02:00:00", 1, true}, // V1/5.1.5 HH:mm:ss
		{"18", "22", 6, true},             // 5.12.1 hours
		{"2", "6", 2, true},
		{"02:00", "", 0, false},
		{"02:00", "10:00", 0, false},
		{"03:00", "07:00", 0, false},
		{"25:00", "02:00", 0, false},
		{"ab", "02:00", 0, false},
	}
	for _, tt := range tests {
		w, ok := c.FindMaintainWindow(tt.begin, tt.end)
		if ok != tt.ok || (ok && w.Seq != tt.wantSeq) {
			t.Errorf("FindMaintainWindow(%q, %q) = %+v, %v; want seq %d, %v", tt.begin, tt.end, w, ok, tt.wantSeq, tt.ok)
		}
	}
}

func TestCatalogNormalizeClock(t *testing.T) {
	good := map[string]string{"22": "22:00:00", "2": "02:00:00", "02:30": "02:30:00", "23:59:59": "23:59:59", "00": "00:00:00"}
	for in, want := range good {
		if got, err := NormalizeClock(in); err != nil || got != want {
			t.Errorf("NormalizeClock(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "24", "12:60", "12:00:60", "1:2", "12:00:00:00", "-1", "+1", "x", "12:"} {
		if got, err := NormalizeClock(in); err == nil {
			t.Errorf("NormalizeClock(%q) = %q, want an error", in, got)
		}
	}
}

func TestCatalogConfigOverrides(t *testing.T) {
	// A YAML config as dmsd reads it (strictly): only the fields given.
	const src = `
available_zones:
  - code: dc1
    name: Rack 1
  - code: dc2
    id: 0123456789abcdef0123456789abcdef
    default: true
    sold_out: true
products:
  - id: c6.2u4g.cluster
    max_broker: 5
    unavailable_zones: [dc1]
  - id: tiny.1u1g.single
    type: single
    vcpus: 1
    memory_gb: 1
    min_broker: 1
    max_broker: 1
    min_storage_per_node: 10
    max_storage_per_node: 100
    max_partition_per_broker: 50
    max_consumer_per_broker: 100
    max_tps_per_broker: 1000
    max_bandwidth_per_broker: 10
    charging_modes: [hourly]
maintain_windows:
  - {begin: "01:00", end: "03:00", default: true}
  - {begin: "13:00", end: "15:00"}
versions: ["3.x"]
legacy_products:
  - hourly_product_id: 00300-30308-0--0
    max_storage: 1000
`
	var cfg Config
	if err := yaml.UnmarshalStrict([]byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	c := mustNew(t, cfg)

	azs := c.AZs()
	if len(azs) != 2 || azs[0].Name != "Rack 1" || azs[0].ID != DeriveAZID("dc1") || azs[0].Default ||
		azs[1].ID != "0123456789abcdef0123456789abcdef" || !azs[1].Default || !azs[1].SoldOut || azs[1].Name != "AZ2" || azs[1].Port != "443" {
		t.Errorf("AZs = %+v", azs)
	}

	ps := c.Products()
	if len(ps) != 2 {
		t.Fatalf("products = %+v", ps)
	}
	p := ps[0]
	// Inherited from the default of the same id, except what was set.
	if p.MaxBroker != 5 || p.MinBroker != 3 || p.VCPUs != 2 || p.MaxStoragePerNode != 10000 || p.ECSFlavorID != "c6.large.2" ||
		p.Alias != "kafka.2u4g.cluster" || len(p.SupportFeatures) != 1 || !slices.Equal(p.UnavailableZones, []string{"dc1"}) {
		t.Errorf("overridden product = %+v", p)
	}
	if p.AvailableIn("dc1") || !p.AvailableIn("dc2") {
		t.Error("AvailableIn")
	}
	q := ps[1]
	if q.ID != "tiny.1u1g.single" || q.Type != "single" || q.Alias != q.ID || !slices.Equal(q.ChargingModes, []string{"hourly"}) ||
		!slices.Equal(q.StorageSpecCodes, []string{StorageHighV2, StorageUltraV2}) || !slices.Equal(q.ArchTypes, []string{"X86"}) {
		t.Errorf("new product = %+v", q)
	}
	if _, ok := c.Product("c6.4u8g.cluster"); ok {
		t.Error("a default product survived a products override")
	}

	if d := c.DefaultMaintainWindow(); d.Seq != 1 || d.Begin != "01:00:00" {
		t.Errorf("default window = %+v", d)
	}
	if w, ok := c.FindMaintainWindow("13", "15"); !ok || w.Seq != 2 {
		t.Errorf("FindMaintainWindow(13,15) = %+v, %v", w, ok)
	}
	if !slices.Equal(c.Versions(), []string{"3.x"}) {
		t.Errorf("versions = %v", c.Versions())
	}
	lps := c.LegacyProducts()
	if len(lps) != 1 || lps[0].MaxStorage != 1000 || lps[0].MinStorage != 600 || lps[0].MonthlyProductID != "00300-30309-0--0" {
		t.Errorf("legacy = %+v", lps)
	}

	// The responses follow the configuration: the sold-out AZ and the product's unavailable AZ.
	zr := c.ListAvailableZones()
	if zr.AvailableZones[1].ResourceAvailability != "false" || !zr.AvailableZones[1].SoldOut || zr.AvailableZones[0].ResourceAvailability != "true" {
		t.Errorf("zones = %+v", zr)
	}
	pr, err := c.ListProducts("c6.2u4g.cluster")
	if err != nil {
		t.Fatal(err)
	}
	io := pr.Products[0].Ios[0]
	if len(io.AvailableZones) != 0 || !slices.Equal(io.UnavailableZones, []string{"dc1", "dc2"}) {
		t.Errorf("ios = %+v", io)
	}
	pr, _ = c.ListProducts("tiny.1u1g.single")
	if io := pr.Products[0].Ios[0]; !slices.Equal(io.AvailableZones, []string{"dc1"}) || !slices.Equal(io.UnavailableZones, []string{"dc2"}) {
		t.Errorf("ios = %+v", io)
	}
}

func TestCatalogConfigInvalid(t *testing.T) {
	product := func(mod func(*Product)) Config {
		p := Product{ID: "x.1u1g.cluster", VCPUs: 1, MemoryGB: 1, MinBroker: 3, MaxBroker: 3, MinStoragePerNode: 1, MaxStoragePerNode: 10,
			MaxPartitionPerBroker: 1, MaxConsumerPerBroker: 1, MaxTPSPerBroker: 1, MaxBandwidthPerBroker: 1}
		mod(&p)
		return Config{Products: []Product{p}}
	}
	tests := []struct {
		name    string
		cfg     Config
		region  string
		wantErr string
	}{
		{"empty region", Config{}, "", "region must not be empty"},
		{"AZ without code", Config{AvailableZones: []AZ{{Name: "x"}}}, "", "available_zones[0]: code is required"},
		{"duplicate AZ code", Config{AvailableZones: []AZ{{Code: "a"}, {Code: "a"}}}, "", "already used by available_zones[0]"},
		{"duplicate AZ id", Config{AvailableZones: []AZ{{Code: "a", ID: "x"}, {Code: "b", ID: "x"}}}, "", `"x" is already used`},
		{"AZ id equals other code", Config{AvailableZones: []AZ{{Code: "a"}, {Code: "b", ID: "a"}}}, "", `"a" is already used`},
		{"AZ code with comma", Config{AvailableZones: []AZ{{Code: "a,b"}}}, "", "without spaces or commas"},
		{"two default AZs", Config{AvailableZones: []AZ{{Code: "a", Default: true}, {Code: "b", Default: true}}}, "", "2 AZs are marked default"},
		{"product without id", product(func(p *Product) { p.ID = "" }), "", "products[0]: id"},
		{"duplicate product", Config{Products: []Product{{ID: "c6.2u4g.cluster"}, {ID: "c6.2u4g.cluster"}}}, "", "duplicate product id"},
		{"min broker > max", product(func(p *Product) { p.MinBroker = 5 }), "", "need 1 <= min_broker <= max_broker"},
		{"inherited max below min", Config{Products: []Product{{ID: "c6.2u4g.cluster", MaxBroker: 2}}}, "", "broker range 3-2"},
		{"min storage > max", product(func(p *Product) { p.MinStoragePerNode = 11 }), "", "min_storage_per_node <= max_storage_per_node"},
		{"no vcpus", product(func(p *Product) { p.VCPUs = 0 }), "", "vcpus and memory_gb must be positive"},
		{"no tps", product(func(p *Product) { p.MaxTPSPerBroker = 0 }), "", "max_tps_per_broker must be positive"},
		{"bad type", product(func(p *Product) { p.Type = "mesh" }), "", `type "mesh"`},
		{"single with 3 brokers", product(func(p *Product) { p.Type = "single" }), "", "exactly one broker"},
		{"bad charging mode", product(func(p *Product) { p.ChargingModes = []string{"daily"} }), "", `"daily" must be monthly or hourly`},
		{"duplicate storage spec", product(func(p *Product) { p.StorageSpecCodes = []string{"a", "a"} }), "", "storage_spec_codes: empty or duplicate"},
		{"unknown unavailable AZ", product(func(p *Product) { p.UnavailableZones = []string{"mars-1a"} }), "", `unknown AZ "mars-1a"`},
		{"bad feature", product(func(p *Product) { p.SupportFeatures = []Feature{{Name: "f", MinTask: 3, MaxTask: 1}} }), "", "support_features f"},
		{"storage overflows int32", product(func(p *Product) { p.MaxBroker = 1000; p.MaxStoragePerNode = 10000000 }), "", "int32 storage_space"},
		{"no default window", Config{MaintainWindows: []MaintainWindow{{Begin: "1", End: "2"}}}, "", "exactly one window must be the default, 0 are"},
		{"two default windows", Config{MaintainWindows: []MaintainWindow{{Begin: "1", End: "2", Default: true}, {Begin: "3", End: "4", Default: true}}}, "", "2 are"},
		{"bad window time", Config{MaintainWindows: []MaintainWindow{{Begin: "25:00", End: "02:00", Default: true}}}, "", "maintain_windows[0]: begin"},
		{"empty window", Config{MaintainWindows: []MaintainWindow{{Begin: "02", End: "02:00", Default: true}}}, "", "begin and end are both 02:00:00"},
		{"duplicate seq", Config{MaintainWindows: []MaintainWindow{{Seq: 1, Begin: "1", End: "2", Default: true}, {Seq: 1, Begin: "3", End: "4"}}}, "", "seq 1 is already used"},
		{"duplicate window", Config{MaintainWindows: []MaintainWindow{{Begin: "1", End: "2", Default: true}, {Begin: "01:00", End: "02:00"}}}, "", "listed twice"},
		{"duplicate version", Config{Versions: []string{"3.x", "3.x"}}, "", "duplicate version"},
		{"blank version", Config{Versions: []string{" "}}, "", "is not a version"},
		{"legacy without id", Config{LegacyProducts: []LegacyProduct{{Bandwidth: "1MB"}}}, "", "hourly_product_id"},
		{"legacy duplicate id", Config{LegacyProducts: []LegacyProduct{{HourlyProductID: "00300-30308-0--0"}, {HourlyProductID: "00300-30309-0--0"}}}, "", "already used by legacy_products[0]"},
		{"legacy incomplete", Config{LegacyProducts: []LegacyProduct{{HourlyProductID: "new", Bandwidth: "1MB"}}}, "", "broker_num, tps and partition_num must be positive"},
		{"legacy storage", Config{LegacyProducts: []LegacyProduct{{HourlyProductID: "00300-30308-0--0", MaxStorage: 10}}}, "", "need 1 <= min_storage <= max_storage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			region := tt.region
			if region == "" && tt.name != "empty region" {
				region = "cn-north-4"
			}
			_, err := New(tt.cfg, region)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCatalogListResponsesJSON(t *testing.T) {
	c := mustNew(t, Config{})

	b, _ := json.Marshal(c.ListAvailableZones())
	var zones map[string]any
	json.Unmarshal(b, &zones)
	az := zones["available_zones"].([]any)[0].(map[string]any)
	for _, k := range []string{"soldOut", "id", "code", "name", "port", "resource_availability", "default_az", "remain_time", "ipv6_enable"} {
		if _, ok := az[k]; !ok {
			t.Errorf("AZ JSON lacks %s: %s", k, b)
		}
	}
	if c.ListAvailableZones().AvailableZones[0].RemainTime != math.MaxInt64 || az["resource_availability"] != "true" || az["port"] != "443" {
		t.Errorf("AZ JSON = %s", b)
	}

	pr, err := c.ListProducts("")
	if err != nil || len(pr.Products) != 5 || pr.Engine != "kafka" {
		t.Fatalf("ListProducts = %+v, %v", pr, err)
	}
	e := pr.Products[0]
	if e.Properties.MaxPartitionPerBroker != "250" || e.Properties.MinBroker != "3" || e.Properties.ProductAlias != "kafka.2u4g.cluster" ||
		e.BillingCode != "dms.platinum.c6" || !slices.Equal(e.ChargingMode, []string{"monthly", "hourly"}) ||
		len(e.Ios) != 2 || e.Ios[1].IOSpec != StorageUltraV2 || e.Ios[0].Type != "evs" ||
		!slices.Equal(e.Ios[0].AvailableZones, []string{"cn-north-4a", "cn-north-4b", "cn-north-4c"}) || e.Ios[0].UnavailableZones == nil ||
		e.SupportFeatures[0].Name != "connector_obs" || e.SupportFeatures[0].Properties.MinNode != "2" {
		t.Errorf("product entry = %+v", e)
	}
	one, err := c.ListProducts("c6.16u32g.cluster")
	if err != nil || len(one.Products) != 1 || one.Products[0].Properties.MaxTPSPerBroker != "250000" {
		t.Errorf("ListProducts(c6.16u32g.cluster) = %+v, %v", one, err)
	}
	_, err = c.ListProducts("c9.nope")
	var de *dms.Error
	if !errors.As(err, &de) || de.Code != dms.CodeInvalidProductID || de.Status != 400 {
		t.Errorf("ListProducts(unknown) error = %v", err)
	}

	v2 := c.ListMaintainWindows().MaintainWindows
	v1 := c.V1MaintainWindows().MaintainWindows
	if len(v2) != 6 || v2[0].Begin != "22" || v2[0].End != "02" || v2[1].Default != true || v2[5].Seq != 6 {
		t.Errorf("V2 windows = %+v", v2)
	}
	if len(v1) != 6 || v1[0].Begin != "22:00:00" || v1[0].End != "02:00:00" || !v1[1].Default {
		t.Errorf("V1 windows = %+v", v1)
	}
	if got := shortClock("02:30:00"); got != "02:30" {
		t.Errorf("shortClock = %q", got)
	}
	if got := shortClock("02:30:15"); got != "02:30:15" {
		t.Errorf("shortClock = %q", got)
	}

	v1p := c.V1Products()
	if len(v1p.Hourly) != 3 || len(v1p.Monthly) != 3 || v1p.Hourly[0].Name != "kafka" || v1p.Hourly[0].Version != "1.1.0" {
		t.Fatalf("V1 products = %+v", v1p)
	}
	d := v1p.Hourly[0].Values[0].Detail
	if len(d) != 4 || d[0].ProductID != "00300-30308-0--0" || d[0].Bandwidth != "100MB" || d[0].TPS != "50000" || d[0].Storage != "600" ||
		d[0].PartitionNum != "300" || len(d[0].IO) != 2 || d[0].IO[0].VolumeType != "SAS" || d[0].IO[1].IOType != "ultra" ||
		len(d[3].IO) != 1 || d[3].ECSFlavorID != "c3ne.2xlarge.2" || d[0].ArchType != "X86" {
		t.Errorf("V1 hourly detail = %+v", d)
	}
	if m := v1p.Monthly[0].Values[0].Detail[0]; m.ProductID != "00300-30309-0--0" {
		t.Errorf("V1 monthly detail = %+v", m)
	}
	b, _ = json.Marshal(v1p)
	if !strings.Contains(string(b), `"Hourly":[`) || !strings.Contains(string(b), `"Monthly":[`) {
		t.Errorf("V1 products JSON keys: %.200s", b)
	}
}
