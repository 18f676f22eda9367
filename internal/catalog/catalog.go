// Package catalog holds what a DMS region offers before any instance exists: its availability zones,
// the Kafka flavors (products) with their limits, the engine versions and the maintenance time windows.
// It serves the catalog APIs (reference 5.12.x and 7.1.2.x) as typed responses whose JSON names and
// types are those of the official Go SDK models, and gives the rest of the server typed lookups
// (Product, AZ, Versions, FindMaintainWindow) to validate instance requests against.
//
// Everything here is read-only after New; a *Catalog is safe for concurrent use.
package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Config overrides the defaults. Every list is optional: an empty list means the defaults. A non-empty
// list replaces the default list as a whole; within it, an entry whose key (product id, legacy hourly
// product id) is one of the defaults inherits the default's values for the fields it leaves unset, so
// `products: [{id: c6.2u4g.cluster, max_broker: 5}]` offers that one flavor with five brokers at most.
type Config struct {
	// AvailableZones are the region's AZs (5.12.2, 7.1.2.1). Default: <region>a, <region>b, <region>c.
	AvailableZones []AZ `json:"available_zones,omitempty"`
	// Products are the flavors of 5.12.3 (the product_id of 5.1.1). Default: the five c6 cluster flavors.
	Products []Product `json:"products,omitempty"`
	// LegacyProducts are the bandwidth-based products of the V1 APIs (7.1.2.2, 7.1.1.1).
	LegacyProducts []LegacyProduct `json:"legacy_products,omitempty"`
	// MaintainWindows are the supported maintenance windows (5.12.1, 7.1.2.3); exactly one is the default.
	MaintainWindows []MaintainWindow `json:"maintain_windows,omitempty"`
	// Versions are the supported Kafka engine versions. Default: 1.1.0, 2.7, 3.x (5.1.1 engine_version).
	Versions []string `json:"versions,omitempty"`
}

// AZ is one availability zone.
type AZ struct {
	// ID is what instance requests carry in available_zones. Empty: 32 hex digits derived from Code, stable
	// across restarts (Huawei's AZ ids have the same shape).
	ID string `json:"id,omitempty"`
	// Code is the AZ code, e.g. "cn-north-4a". Required.
	Code string `json:"code"`
	// Name is the display name. Empty: "AZ<n>" by position.
	Name string `json:"name,omitempty"`
	// Port is the AZ's "port" (a string in the API; it has no meaning for OpenDMS). Empty: "443".
	Port string `json:"port,omitempty"`
	// SoldOut marks an AZ without resources: listed, but with resource_availability "false", and every
	// product lists it in unavailable_zones.
	SoldOut bool `json:"sold_out,omitempty"`
	// Default marks the default AZ (default_az). At most one; none given: the first AZ.
	Default bool `json:"default,omitempty"`
	// IPv6Enable is reported as ipv6_enable.
	IPv6Enable bool `json:"ipv6_enable,omitempty"`
}

// Product is one flavor (5.12.3 ListEngineProductsEntity) with its limits as numbers.
type Product struct {
	// ID is the product_id, e.g. "c6.2u4g.cluster". Required.
	ID string `json:"id"`
	// Alias is product_alias, e.g. "kafka.2u4g.cluster" (the flavor name the console shows).
	Alias string `json:"alias,omitempty"`
	// Type is "cluster" or "single". Default "cluster".
	Type string `json:"type,omitempty"`
	// ECSFlavorID is the ECS flavor a broker runs on, e.g. "c6.large.2".
	ECSFlavorID string `json:"ecs_flavor_id,omitempty"`
	// BillingCode, e.g. "dms.platinum.c6".
	BillingCode string `json:"billing_code,omitempty"`
	// ArchTypes, e.g. ["X86"].
	ArchTypes []string `json:"arch_types,omitempty"`
	// ChargingModes are "monthly" and/or "hourly". Default both.
	ChargingModes []string `json:"charging_modes,omitempty"`
	// VCPUs and MemoryGB size one broker.
	VCPUs    int `json:"vcpus,omitempty"`
	MemoryGB int `json:"memory_gb,omitempty"`
	// MinBroker and MaxBroker bound broker_num.
	MinBroker int `json:"min_broker,omitempty"`
	MaxBroker int `json:"max_broker,omitempty"`
	// MinStoragePerNode and MaxStoragePerNode bound the storage of one broker, in GB.
	MinStoragePerNode int `json:"min_storage_per_node,omitempty"`
	MaxStoragePerNode int `json:"max_storage_per_node,omitempty"`
	// Per-broker capacity figures.
	MaxPartitionPerBroker int `json:"max_partition_per_broker,omitempty"`
	MaxConsumerPerBroker  int `json:"max_consumer_per_broker,omitempty"`
	MaxTPSPerBroker       int `json:"max_tps_per_broker,omitempty"`
	MaxBandwidthPerBroker int `json:"max_bandwidth_per_broker,omitempty"` // MB/s
	// StorageSpecCodes are the disk I/O specs (storage_spec_code of 5.1.1), e.g. dms.physical.storage.high.v2.
	StorageSpecCodes []string `json:"storage_spec_codes,omitempty"`
	// UnavailableZones are AZs (code or id) where this flavor is sold out.
	UnavailableZones []string `json:"unavailable_zones,omitempty"`
	// SupportFeatures are the features of the flavor (5.12.3 support_features).
	SupportFeatures []Feature `json:"support_features,omitempty"`
}

// Feature is a supported feature of a flavor with its task/node limits (e.g. connector_obs, message
// dumping).
type Feature struct {
	Name    string `json:"name"`
	MinTask int    `json:"min_task"`
	MaxTask int    `json:"max_task"`
	MinNode int    `json:"min_node"`
	MaxNode int    `json:"max_node"`
}

// LegacyProduct is a bandwidth-based product of the V1 APIs (7.1.2.2, created by 7.1.1.1). Each has a
// pay-per-use (Hourly) and a yearly/monthly product id.
type LegacyProduct struct {
	// Bandwidth is the specification: "100MB", "300MB", "600MB" or "1200MB". Required.
	Bandwidth string `json:"bandwidth"`
	// HourlyProductID is the pay-per-use product id, e.g. "00300-30308-0--0". Required.
	HourlyProductID string `json:"hourly_product_id"`
	// MonthlyProductID is the yearly/monthly product id (listed; not creatable through the API).
	MonthlyProductID string `json:"monthly_product_id,omitempty"`
	// SpecCode, e.g. "dms.instance.kafka.cluster.c3.mini" (the instance's resource_spec_code).
	SpecCode string `json:"spec_code,omitempty"`
	// ECSFlavorID, e.g. "c3.large.2".
	ECSFlavorID string `json:"ecs_flavor_id,omitempty"`
	// BrokerNum is the fixed broker count of the specification.
	BrokerNum int `json:"broker_num,omitempty"`
	// TPS is the maximum messages per second of the instance.
	TPS int `json:"tps,omitempty"`
	// MinStorage and MaxStorage bound the instance's storage_space, in GB.
	MinStorage int `json:"min_storage,omitempty"`
	MaxStorage int `json:"max_storage,omitempty"`
	// PartitionNum is the instance's (fixed) maximum number of partitions.
	PartitionNum int `json:"partition_num,omitempty"`
	// StorageSpecCodes: dms.physical.storage.high and/or dms.physical.storage.ultra.
	StorageSpecCodes []string `json:"storage_spec_codes,omitempty"`
	// UnavailableZones are AZs (code or id) where this product is sold out.
	UnavailableZones []string `json:"unavailable_zones,omitempty"`
}

// MaintainWindow is a supported maintenance time window.
type MaintainWindow struct {
	// Seq is the sequence number. Zero: the position (1-based).
	Seq int32 `json:"seq,omitempty"`
	// Begin and End are times of day, written "HH", "HH:mm" or "HH:mm:ss"; New normalises them to
	// "HH:mm:ss". End is before Begin for a window across midnight (22:00:00–02:00:00).
	Begin string `json:"begin"`
	End   string `json:"end"`
	// Default marks the window used when a request sets none. Exactly one window is the default.
	Default bool `json:"default,omitempty"`
}

// Catalog is the validated catalog of one region.
type Catalog struct {
	region   string
	azs      []AZ
	products []Product
	legacy   []LegacyProduct
	windows  []MaintainWindow
	versions []string

	azByKey     map[string]int // id and code -> index in azs
	productByID map[string]int
	legacyByID  map[string]int // hourly and monthly ids -> index in legacy
}

// New validates cfg over the defaults for region and builds the catalog.
func New(cfg Config, region string) (*Catalog, error) {
	if strings.TrimSpace(region) == "" {
		return nil, fmt.Errorf("catalog: region must not be empty")
	}
	c := &Catalog{region: region}
	var err error
	if c.azs, c.azByKey, err = buildAZs(cfg.AvailableZones, region); err != nil {
		return nil, err
	}
	if c.versions, err = buildVersions(cfg.Versions); err != nil {
		return nil, err
	}
	if c.products, c.productByID, err = buildProducts(cfg.Products, c); err != nil {
		return nil, err
	}
	if c.legacy, c.legacyByID, err = buildLegacy(cfg.LegacyProducts, c); err != nil {
		return nil, err
	}
	if c.windows, err = buildWindows(cfg.MaintainWindows); err != nil {
		return nil, err
	}
	return c, nil
}

// Region is the region the catalog describes (region_id).
func (c *Catalog) Region() string { return c.region }

// AZs returns the AZs in order.
func (c *Catalog) AZs() []AZ { return slices.Clone(c.azs) }

// AZ finds an AZ by its id or its code.
func (c *Catalog) AZ(idOrCode string) (AZ, bool) {
	i, ok := c.azByKey[idOrCode]
	if !ok {
		return AZ{}, false
	}
	return c.azs[i], true
}

// Products returns the flavors in order.
func (c *Catalog) Products() []Product {
	out := make([]Product, len(c.products))
	for i, p := range c.products {
		out[i] = p.clone()
	}
	return out
}

// Product finds a flavor by its product_id.
func (c *Catalog) Product(id string) (Product, bool) {
	i, ok := c.productByID[id]
	if !ok {
		return Product{}, false
	}
	return c.products[i].clone(), true
}

// LegacyProducts returns the V1 products in order.
func (c *Catalog) LegacyProducts() []LegacyProduct {
	out := make([]LegacyProduct, len(c.legacy))
	for i, p := range c.legacy {
		out[i] = p.clone()
	}
	return out
}

// LegacyProduct finds a V1 product by its hourly or monthly product id; hourly says which it was.
func (c *Catalog) LegacyProduct(id string) (p LegacyProduct, hourly bool, ok bool) {
	i, ok := c.legacyByID[id]
	if !ok {
		return LegacyProduct{}, false, false
	}
	p = c.legacy[i].clone()
	return p, p.HourlyProductID == id, true
}

// Versions returns the supported engine versions.
func (c *Catalog) Versions() []string { return slices.Clone(c.versions) }

// HasVersion reports whether v is a supported engine version.
func (c *Catalog) HasVersion(v string) bool { return slices.Contains(c.versions, v) }

// MaintainWindows returns the maintenance windows, times as "HH:mm:ss".
func (c *Catalog) MaintainWindows() []MaintainWindow { return slices.Clone(c.windows) }

// DefaultMaintainWindow is the window used when a request sets none.
func (c *Catalog) DefaultMaintainWindow() MaintainWindow {
	for _, w := range c.windows {
		if w.Default {
			return w
		}
	}
	return c.windows[0] // unreachable: New requires one default
}

// FindMaintainWindow finds the window a request's maintain_begin/maintain_end name. Both empty gives
// the default window; one empty, an unparsable time or a pair that is not a supported window gives
// false. Times may be written "HH", "HH:mm" (5.1.1) or "HH:mm:ss" (5.1.5, V1).
func (c *Catalog) FindMaintainWindow(begin, end string) (MaintainWindow, bool) {
	if begin == "" && end == "" {
		return c.DefaultMaintainWindow(), true
	}
	b, err1 := NormalizeClock(begin)
	e, err2 := NormalizeClock(end)
	if err1 != nil || err2 != nil {
		return MaintainWindow{}, false
	}
	for _, w := range c.windows {
		if w.Begin == b && w.End == e {
			return w, true
		}
	}
	return MaintainWindow{}, false
}

// StorageStepGB is the granularity of an instance's storage_space: the SDK model of 5.1.1
// (CreateInstanceByEngineReq.StorageSpace) says the disk capacity must be a multiple of 100 GB.
const StorageStepGB = 100

// StorageRange is the range of an instance's total storage_space (GB) with brokers brokers.
func (p Product) StorageRange(brokers int) (minGB, maxGB int) {
	return p.MinStoragePerNode * brokers, p.MaxStoragePerNode * brokers
}

// HasStorageSpec reports whether the flavor offers the disk I/O spec code.
func (p Product) HasStorageSpec(code string) bool { return slices.Contains(p.StorageSpecCodes, code) }

// HasChargingMode reports whether the flavor can be billed "monthly" or "hourly".
func (p Product) HasChargingMode(mode string) bool { return slices.Contains(p.ChargingModes, mode) }

// AvailableIn reports whether the flavor has resources in the AZ of the given code (the AZ's own
// sold-out flag is not considered here).
func (p Product) AvailableIn(azCode string) bool { return !slices.Contains(p.UnavailableZones, azCode) }

// HasStorageSpec reports whether the V1 product offers the disk I/O spec code.
func (p LegacyProduct) HasStorageSpec(code string) bool {
	return slices.Contains(p.StorageSpecCodes, code)
}

func (p Product) clone() Product {
	p.ArchTypes = slices.Clone(p.ArchTypes)
	p.ChargingModes = slices.Clone(p.ChargingModes)
	p.StorageSpecCodes = slices.Clone(p.StorageSpecCodes)
	p.UnavailableZones = slices.Clone(p.UnavailableZones)
	p.SupportFeatures = slices.Clone(p.SupportFeatures)
	return p
}

func (p LegacyProduct) clone() LegacyProduct {
	p.StorageSpecCodes = slices.Clone(p.StorageSpecCodes)
	p.UnavailableZones = slices.Clone(p.UnavailableZones)
	return p
}

// DeriveAZID is the id given to an AZ configured without one: 32 hex digits of SHA-256 over its code,
// so the same code always gets the same id.
func DeriveAZID(code string) string {
	sum := sha256.Sum256([]byte("opendms/az/" + code))
	return hex.EncodeToString(sum[:16])
}

// NormalizeClock parses a time of day written "H", "HH", "HH:mm" or "HH:mm:ss" and returns "HH:mm:ss".
func NormalizeClock(s string) (string, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 || s == "" {
		return "", fmt.Errorf("time %q: want HH, HH:mm or HH:mm:ss", s)
	}
	limits := []int{23, 59, 59}
	vals := [3]int{}
	for i, p := range parts {
		if len(p) == 0 || len(p) > 2 || (i > 0 && len(p) != 2) {
			return "", fmt.Errorf("time %q: want HH, HH:mm or HH:mm:ss", s)
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > limits[i] || strings.ContainsAny(p, "+-") {
			return "", fmt.Errorf("time %q: want HH, HH:mm or HH:mm:ss", s)
		}
		vals[i] = n
	}
	return fmt.Sprintf("%02d:%02d:%02d", vals[0], vals[1], vals[2]), nil
}

// ---- building and validation ----

func buildAZs(in []AZ, region string) ([]AZ, map[string]int, error) {
	if len(in) == 0 {
		in = DefaultAZs(region)
	}
	azs := slices.Clone(in)
	byKey := make(map[string]int, 2*len(azs))
	defaults := 0
	for i := range azs {
		a := &azs[i]
		where := fmt.Sprintf("catalog: available_zones[%d]", i)
		a.Code = strings.TrimSpace(a.Code)
		if a.Code == "" {
			return nil, nil, fmt.Errorf("%s: code is required", where)
		}
		if !validKey(a.Code) {
			return nil, nil, fmt.Errorf("%s: code %q must be non-empty without spaces or commas", where, a.Code)
		}
		if a.ID == "" {
			a.ID = DeriveAZID(a.Code)
		}
		if !validKey(a.ID) {
			return nil, nil, fmt.Errorf("%s: id %q must be non-empty without spaces or commas", where, a.ID)
		}
		if a.Name == "" {
			a.Name = fmt.Sprintf("AZ%d", i+1)
		}
		if a.Port == "" {
			a.Port = "443"
		}
		if a.Default {
			defaults++
		}
		for _, k := range []string{a.ID, a.Code} {
			if j, dup := byKey[k]; dup && j != i {
				return nil, nil, fmt.Errorf("%s: id/code %q is already used by available_zones[%d]", where, k, j)
			}
			byKey[k] = i
		}
	}
	if defaults > 1 {
		return nil, nil, fmt.Errorf("catalog: available_zones: %d AZs are marked default, at most one may be", defaults)
	}
	if defaults == 0 {
		azs[0].Default = true
	}
	return azs, byKey, nil
}

func buildVersions(in []string) ([]string, error) {
	if len(in) == 0 {
		return DefaultVersions(), nil
	}
	out := slices.Clone(in)
	seen := map[string]bool{}
	for i, v := range out {
		if strings.TrimSpace(v) == "" || strings.ContainsAny(v, " ,") {
			return nil, fmt.Errorf("catalog: versions[%d]: %q is not a version", i, v)
		}
		if seen[v] {
			return nil, fmt.Errorf("catalog: versions[%d]: duplicate version %q", i, v)
		}
		seen[v] = true
	}
	return out, nil
}

// resolveZones turns AZ ids or codes into codes, rejecting unknown ones.
func (c *Catalog) resolveZones(where string, zones []string) ([]string, error) {
	out := make([]string, 0, len(zones))
	for _, z := range zones {
		a, ok := c.AZ(z)
		if !ok {
			return nil, fmt.Errorf("%s: unavailable_zones: unknown AZ %q", where, z)
		}
		if !slices.Contains(out, a.Code) {
			out = append(out, a.Code)
		}
	}
	return out, nil
}

func buildProducts(in []Product, c *Catalog) ([]Product, map[string]int, error) {
	defs := DefaultProducts()
	if len(in) == 0 {
		in = defs
	}
	out := make([]Product, len(in))
	byID := make(map[string]int, len(in))
	for i, p := range in {
		where := fmt.Sprintf("catalog: products[%d]", i)
		p = p.clone()
		p.ID = strings.TrimSpace(p.ID)
		if !validKey(p.ID) {
			return nil, nil, fmt.Errorf("%s: id %q must be non-empty without spaces or commas", where, p.ID)
		}
		where = fmt.Sprintf("catalog: products[%d] (%s)", i, p.ID)
		if j, dup := byID[p.ID]; dup {
			return nil, nil, fmt.Errorf("%s: duplicate product id, also products[%d]", where, j)
		}
		byID[p.ID] = i
		for _, d := range defs {
			if d.ID == p.ID {
				p = inheritProduct(p, d)
			}
		}
		fillProductDefaults(&p)
		var err error
		if p.UnavailableZones, err = c.resolveZones(where, p.UnavailableZones); err != nil {
			return nil, nil, err
		}
		if err := validateProduct(p); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		out[i] = p
	}
	return out, byID, nil
}

// inheritProduct fills the fields p leaves unset from the default d of the same id.
func inheritProduct(p, d Product) Product {
	str := func(v *string, dv string) {
		if *v == "" {
			*v = dv
		}
	}
	num := func(v *int, dv int) {
		if *v == 0 {
			*v = dv
		}
	}
	strs := func(v *[]string, dv []string) {
		if len(*v) == 0 {
			*v = slices.Clone(dv)
		}
	}
	str(&p.Alias, d.Alias)
	str(&p.Type, d.Type)
	str(&p.ECSFlavorID, d.ECSFlavorID)
	str(&p.BillingCode, d.BillingCode)
	strs(&p.ArchTypes, d.ArchTypes)
	strs(&p.ChargingModes, d.ChargingModes)
	num(&p.VCPUs, d.VCPUs)
	num(&p.MemoryGB, d.MemoryGB)
	num(&p.MinBroker, d.MinBroker)
	num(&p.MaxBroker, d.MaxBroker)
	num(&p.MinStoragePerNode, d.MinStoragePerNode)
	num(&p.MaxStoragePerNode, d.MaxStoragePerNode)
	num(&p.MaxPartitionPerBroker, d.MaxPartitionPerBroker)
	num(&p.MaxConsumerPerBroker, d.MaxConsumerPerBroker)
	num(&p.MaxTPSPerBroker, d.MaxTPSPerBroker)
	num(&p.MaxBandwidthPerBroker, d.MaxBandwidthPerBroker)
	strs(&p.StorageSpecCodes, d.StorageSpecCodes)
	if len(p.SupportFeatures) == 0 {
		p.SupportFeatures = slices.Clone(d.SupportFeatures)
	}
	return p
}

// fillProductDefaults sets the fields every flavor shares unless configured.
func fillProductDefaults(p *Product) {
	if p.Type == "" {
		p.Type = "cluster"
	}
	if p.Alias == "" {
		p.Alias = p.ID
	}
	if len(p.ArchTypes) == 0 {
		p.ArchTypes = []string{"X86"}
	}
	if len(p.ChargingModes) == 0 {
		p.ChargingModes = []string{"monthly", "hourly"}
	}
	if len(p.StorageSpecCodes) == 0 {
		p.StorageSpecCodes = []string{StorageHighV2, StorageUltraV2}
	}
}

func validateProduct(p Product) error {
	switch p.Type {
	case "cluster", "single":
	default:
		return fmt.Errorf("type %q: must be cluster or single", p.Type)
	}
	if p.VCPUs <= 0 || p.MemoryGB <= 0 {
		return fmt.Errorf("vcpus and memory_gb must be positive (got %d and %d)", p.VCPUs, p.MemoryGB)
	}
	if p.MinBroker < 1 || p.MaxBroker < p.MinBroker {
		return fmt.Errorf("broker range %d-%d: need 1 <= min_broker <= max_broker", p.MinBroker, p.MaxBroker)
	}
	if p.Type == "single" && p.MaxBroker != 1 {
		return fmt.Errorf("a single-node flavor has exactly one broker (max_broker %d)", p.MaxBroker)
	}
	if p.MinStoragePerNode < 1 || p.MaxStoragePerNode < p.MinStoragePerNode {
		return fmt.Errorf("storage per node %d-%d GB: need 1 <= min_storage_per_node <= max_storage_per_node", p.MinStoragePerNode, p.MaxStoragePerNode)
	}
	if int64(p.MaxStoragePerNode)*int64(p.MaxBroker) > 1<<31-1 {
		return fmt.Errorf("max_storage_per_node x max_broker exceeds the int32 storage_space of the API")
	}
	if int64(p.VCPUs)*int64(p.MaxBroker) > 1<<31-1 {
		return fmt.Errorf("vcpus x max_broker exceeds the int32 core_num of the API")
	}
	for name, v := range map[string]int{
		"max_partition_per_broker": p.MaxPartitionPerBroker, "max_consumer_per_broker": p.MaxConsumerPerBroker,
		"max_tps_per_broker": p.MaxTPSPerBroker, "max_bandwidth_per_broker": p.MaxBandwidthPerBroker,
	} {
		if v <= 0 {
			return fmt.Errorf("%s must be positive (got %d)", name, v)
		}
	}
	if err := uniqueNonEmpty("arch_types", p.ArchTypes); err != nil {
		return err
	}
	if err := uniqueNonEmpty("charging_modes", p.ChargingModes); err != nil {
		return err
	}
	for _, m := range p.ChargingModes {
		if m != "monthly" && m != "hourly" {
			return fmt.Errorf("charging_modes: %q must be monthly or hourly", m)
		}
	}
	if err := uniqueNonEmpty("storage_spec_codes", p.StorageSpecCodes); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, f := range p.SupportFeatures {
		if f.Name == "" || seen[f.Name] {
			return fmt.Errorf("support_features: empty or duplicate name %q", f.Name)
		}
		seen[f.Name] = true
		if f.MinTask < 0 || f.MaxTask < f.MinTask || f.MinNode < 0 || f.MaxNode < f.MinNode {
			return fmt.Errorf("support_features %s: need 0 <= min_task <= max_task and 0 <= min_node <= max_node", f.Name)
		}
	}
	return nil
}

func buildLegacy(in []LegacyProduct, c *Catalog) ([]LegacyProduct, map[string]int, error) {
	defs := DefaultLegacyProducts()
	if len(in) == 0 {
		in = defs
	}
	out := make([]LegacyProduct, len(in))
	byID := make(map[string]int, 2*len(in))
	for i, p := range in {
		p = p.clone()
		where := fmt.Sprintf("catalog: legacy_products[%d]", i)
		if !validKey(p.HourlyProductID) {
			return nil, nil, fmt.Errorf("%s: hourly_product_id %q must be non-empty without spaces or commas", where, p.HourlyProductID)
		}
		where = fmt.Sprintf("catalog: legacy_products[%d] (%s)", i, p.HourlyProductID)
		for _, d := range defs {
			if d.HourlyProductID == p.HourlyProductID {
				p = inheritLegacy(p, d)
			}
		}
		for _, id := range []string{p.HourlyProductID, p.MonthlyProductID} {
			if id == "" {
				continue
			}
			if !validKey(id) {
				return nil, nil, fmt.Errorf("%s: product id %q must be without spaces or commas", where, id)
			}
			if j, dup := byID[id]; dup {
				return nil, nil, fmt.Errorf("%s: product id %q is already used by legacy_products[%d]", where, id, j)
			}
			byID[id] = i
		}
		if p.Bandwidth == "" {
			return nil, nil, fmt.Errorf("%s: bandwidth is required (e.g. 100MB)", where)
		}
		if p.BrokerNum < 1 || p.TPS < 1 || p.PartitionNum < 1 {
			return nil, nil, fmt.Errorf("%s: broker_num, tps and partition_num must be positive", where)
		}
		if p.MinStorage < 1 || p.MaxStorage < p.MinStorage {
			return nil, nil, fmt.Errorf("%s: storage %d-%d GB: need 1 <= min_storage <= max_storage", where, p.MinStorage, p.MaxStorage)
		}
		if len(p.StorageSpecCodes) == 0 {
			p.StorageSpecCodes = []string{StorageHigh, StorageUltra}
		}
		if err := uniqueNonEmpty("storage_spec_codes", p.StorageSpecCodes); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		var err error
		if p.UnavailableZones, err = c.resolveZones(where, p.UnavailableZones); err != nil {
			return nil, nil, err
		}
		out[i] = p
	}
	return out, byID, nil
}

func inheritLegacy(p, d LegacyProduct) LegacyProduct {
	if p.Bandwidth == "" {
		p.Bandwidth = d.Bandwidth
	}
	if p.MonthlyProductID == "" {
		p.MonthlyProductID = d.MonthlyProductID
	}
	if p.SpecCode == "" {
		p.SpecCode = d.SpecCode
	}
	if p.ECSFlavorID == "" {
		p.ECSFlavorID = d.ECSFlavorID
	}
	for _, f := range []struct {
		v *int
		d int
	}{
		{&p.BrokerNum, d.BrokerNum}, {&p.TPS, d.TPS}, {&p.MinStorage, d.MinStorage},
		{&p.MaxStorage, d.MaxStorage}, {&p.PartitionNum, d.PartitionNum},
	} {
		if *f.v == 0 {
			*f.v = f.d
		}
	}
	if len(p.StorageSpecCodes) == 0 {
		p.StorageSpecCodes = slices.Clone(d.StorageSpecCodes)
	}
	return p
}

func buildWindows(in []MaintainWindow) ([]MaintainWindow, error) {
	if len(in) == 0 {
		in = DefaultMaintainWindows()
	}
	out := slices.Clone(in)
	seqs := map[int32]int{}
	defaults := 0
	for i := range out {
		w := &out[i]
		where := fmt.Sprintf("catalog: maintain_windows[%d]", i)
		var err error
		if w.Begin, err = NormalizeClock(w.Begin); err != nil {
			return nil, fmt.Errorf("%s: begin: %w", where, err)
		}
		if w.End, err = NormalizeClock(w.End); err != nil {
			return nil, fmt.Errorf("%s: end: %w", where, err)
		}
		if w.Begin == w.End {
			return nil, fmt.Errorf("%s: begin and end are both %s", where, w.Begin)
		}
		if w.Seq == 0 {
			w.Seq = int32(i + 1)
		}
		if w.Seq < 0 {
			return nil, fmt.Errorf("%s: seq %d must be positive", where, w.Seq)
		}
		if j, dup := seqs[w.Seq]; dup {
			return nil, fmt.Errorf("%s: seq %d is already used by maintain_windows[%d]", where, w.Seq, j)
		}
		seqs[w.Seq] = i
		for j := range i {
			if out[j].Begin == w.Begin && out[j].End == w.End {
				return nil, fmt.Errorf("%s: window %s-%s is listed twice", where, w.Begin, w.End)
			}
		}
		if w.Default {
			defaults++
		}
	}
	if defaults != 1 {
		return nil, fmt.Errorf("catalog: maintain_windows: exactly one window must be the default, %d are", defaults)
	}
	return out, nil
}

func uniqueNonEmpty(name string, vs []string) error {
	if len(vs) == 0 {
		return fmt.Errorf("%s must not be empty", name)
	}
	seen := map[string]bool{}
	for _, v := range vs {
		if strings.TrimSpace(v) == "" || seen[v] {
			return fmt.Errorf("%s: empty or duplicate value %q", name, v)
		}
		seen[v] = true
	}
	return nil
}

// validKey: ids and codes travel in paths, queries and comma-separated lists.
func validKey(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\r\n,/?#&")
}
