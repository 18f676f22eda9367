package catalog

import (
	"math"
	"strconv"
	"strings"

	"github.com/opendms/opendms/internal/dms"
)

// Response bodies of the catalog APIs. JSON names and types are those of the SDK models
// (shared/design/sdk-compat.md §4.3 and appendix); all slices are non-nil so they encode as [].

// AvailableZonesResponse is the body of 5.12.2 GET /v2/available-zones (SDK ListAvailableZonesResponse).
type AvailableZonesResponse struct {
	RegionID       string               `json:"region_id"`
	AvailableZones []AvailableZoneEntry `json:"available_zones"`
}

// AvailableZoneEntry is SDK AvailableZonesResp.
type AvailableZoneEntry struct {
	SoldOut              bool   `json:"soldOut"` // camelCase in the SDK model and the reference
	ID                   string `json:"id"`
	Code                 string `json:"code"`
	Name                 string `json:"name"`
	Port                 string `json:"port"`
	ResourceAvailability string `json:"resource_availability"` // "true"/"false", a string
	DefaultAZ            bool   `json:"default_az"`
	RemainTime           int64  `json:"remain_time"`
	IPv6Enable           bool   `json:"ipv6_enable"`
}

// RemainTime is the remain_time of every AZ. The reference's example prints 9223372036854776000 (Java's
// Long.MAX_VALUE through a double), which overflows the SDK's int64 and fails the whole call; the SDK
// wins, so this is Long.MAX_VALUE itself.
const RemainTime int64 = math.MaxInt64

// ListAvailableZones answers 5.12.2.
func (c *Catalog) ListAvailableZones() AvailableZonesResponse {
	out := AvailableZonesResponse{RegionID: c.region, AvailableZones: make([]AvailableZoneEntry, 0, len(c.azs))}
	for _, a := range c.azs {
		out.AvailableZones = append(out.AvailableZones, AvailableZoneEntry{
			SoldOut: a.SoldOut, ID: a.ID, Code: a.Code, Name: a.Name, Port: a.Port,
			ResourceAvailability: strconv.FormatBool(!a.SoldOut),
			DefaultAZ:            a.Default, RemainTime: RemainTime, IPv6Enable: a.IPv6Enable,
		})
	}
	return out
}

// V1AvailableZonesResponse is the body of 7.1.2.1 GET /v1.0/availableZones. The reference's example
// writes "regionId"; its table (7-38) and V2 say region_id, which is used.
type V1AvailableZonesResponse struct {
	RegionID       string                 `json:"region_id"`
	AvailableZones []V1AvailableZoneEntry `json:"available_zones"`
}

// V1AvailableZoneEntry is one AZ of Table 7-39.
type V1AvailableZoneEntry struct {
	SoldOut              bool   `json:"soldOut"`
	ID                   string `json:"id"`
	Code                 string `json:"code"`
	Name                 string `json:"name"`
	Port                 string `json:"port"`
	ResourceAvailability string `json:"resource_availability"`
}

// V1AvailableZones answers 7.1.2.1.
func (c *Catalog) V1AvailableZones() V1AvailableZonesResponse {
	out := V1AvailableZonesResponse{RegionID: c.region, AvailableZones: make([]V1AvailableZoneEntry, 0, len(c.azs))}
	for _, a := range c.azs {
		out.AvailableZones = append(out.AvailableZones, V1AvailableZoneEntry{
			SoldOut: a.SoldOut, ID: a.ID, Code: a.Code, Name: a.Name, Port: a.Port,
			ResourceAvailability: strconv.FormatBool(!a.SoldOut),
		})
	}
	return out
}

// ProductsResponse is the body of 5.12.3 GET /v2/{engine}/products (SDK ListEngineProductsResponse).
type ProductsResponse struct {
	Engine   string         `json:"engine"`
	Versions []string       `json:"versions"`
	Products []ProductEntry `json:"products"`
}

// ProductEntry is SDK ListEngineProductsEntity.
type ProductEntry struct {
	Type            string               `json:"type"`
	ProductID       string               `json:"product_id"`
	ECSFlavorID     string               `json:"ecs_flavor_id"`
	BillingCode     string               `json:"billing_code"`
	ArchTypes       []string             `json:"arch_types"`
	ChargingMode    []string             `json:"charging_mode"` // []string here, unlike an instance's charging_mode
	Ios             []IOEntry            `json:"ios"`
	SupportFeatures []FeatureEntry       `json:"support_features"`
	Properties      ProductPropertyEntry `json:"properties"`
}

// IOEntry is SDK ListEngineIosEntity.
type IOEntry struct {
	IOSpec           string   `json:"io_spec"`
	Type             string   `json:"type"`
	AvailableZones   []string `json:"available_zones"`
	UnavailableZones []string `json:"unavailable_zones"`
}

// FeatureEntry is SDK ListEngineSupportFeaturesEntity; its limits are strings.
type FeatureEntry struct {
	Name       string                 `json:"name"`
	Properties FeaturePropertiesEntry `json:"properties"`
}

// FeaturePropertiesEntry is SDK ListEngineSupportFeaturesPropertiesEntity.
type FeaturePropertiesEntry struct {
	MaxTask string `json:"max_task"`
	MinTask string `json:"min_task"`
	MaxNode string `json:"max_node"`
	MinNode string `json:"min_node"`
}

// ProductPropertyEntry is SDK ListEnginePropertiesEntity: every limit is a string ("250").
type ProductPropertyEntry struct {
	MaxPartitionPerBroker string `json:"max_partition_per_broker"`
	MaxBroker             string `json:"max_broker"`
	MaxStoragePerNode     string `json:"max_storage_per_node"`
	MaxConsumerPerBroker  string `json:"max_consumer_per_broker"`
	MinBroker             string `json:"min_broker"`
	MaxBandwidthPerBroker string `json:"max_bandwidth_per_broker"`
	MinStoragePerNode     string `json:"min_storage_per_node"`
	MaxTPSPerBroker       string `json:"max_tps_per_broker"`
	ProductAlias          string `json:"product_alias"`
}

// ListProducts answers 5.12.3 for engine kafka. A non-empty productID filters to that flavor; an unknown
// one is 400 DMS.00400009.
func (c *Catalog) ListProducts(productID string) (ProductsResponse, error) {
	out := ProductsResponse{Engine: "kafka", Versions: c.Versions(), Products: []ProductEntry{}}
	if productID != "" {
		i, ok := c.productByID[productID]
		if !ok {
			return ProductsResponse{}, unknownProduct(productID)
		}
		out.Products = append(out.Products, c.productEntry(c.products[i]))
		return out, nil
	}
	for _, p := range c.products {
		out.Products = append(out.Products, c.productEntry(p))
	}
	return out, nil
}

func unknownProduct(id string) error {
	return dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id %q: it is not a product of this region (see GET /v2/kafka/products).", id)
}

// zoneSplit lists the AZ codes where a product with the given sold-out codes has resources, and where not.
func (c *Catalog) zoneSplit(unavailable []string) (avail, unavail []string) {
	avail, unavail = []string{}, []string{}
	for _, a := range c.azs {
		if a.SoldOut || containsString(unavailable, a.Code) {
			unavail = append(unavail, a.Code)
		} else {
			avail = append(avail, a.Code)
		}
	}
	return avail, unavail
}

func (c *Catalog) productEntry(p Product) ProductEntry {
	itoa := strconv.Itoa
	avail, unavail := c.zoneSplit(p.UnavailableZones)
	e := ProductEntry{
		Type: p.Type, ProductID: p.ID, ECSFlavorID: p.ECSFlavorID, BillingCode: p.BillingCode,
		ArchTypes: cloneOrEmpty(p.ArchTypes), ChargingMode: cloneOrEmpty(p.ChargingModes),
		Ios: make([]IOEntry, 0, len(p.StorageSpecCodes)), SupportFeatures: make([]FeatureEntry, 0, len(p.SupportFeatures)),
		Properties: ProductPropertyEntry{
			MaxPartitionPerBroker: itoa(p.MaxPartitionPerBroker),
			MaxBroker:             itoa(p.MaxBroker),
			MaxStoragePerNode:     itoa(p.MaxStoragePerNode),
			MaxConsumerPerBroker:  itoa(p.MaxConsumerPerBroker),
			MinBroker:             itoa(p.MinBroker),
			MaxBandwidthPerBroker: itoa(p.MaxBandwidthPerBroker),
			MinStoragePerNode:     itoa(p.MinStoragePerNode),
			MaxTPSPerBroker:       itoa(p.MaxTPSPerBroker),
			ProductAlias:          p.Alias,
		},
	}
	for _, code := range p.StorageSpecCodes {
		// AZs are listed by code, as Huawei's own products API does; the reference's example hides them ("xxx").
		e.Ios = append(e.Ios, IOEntry{IOSpec: code, Type: "evs", AvailableZones: cloneOrEmpty(avail), UnavailableZones: cloneOrEmpty(unavail)})
	}
	for _, f := range p.SupportFeatures {
		e.SupportFeatures = append(e.SupportFeatures, FeatureEntry{Name: f.Name, Properties: FeaturePropertiesEntry{
			MaxTask: itoa(f.MaxTask), MinTask: itoa(f.MinTask), MaxNode: itoa(f.MaxNode), MinNode: itoa(f.MinNode),
		}})
	}
	return e
}

// V1ProductsResponse is the body of 7.1.2.2 GET /v1.0/products?engine=kafka: the products by billing
// mode, under the capitalised keys of the reference.
type V1ProductsResponse struct {
	Hourly  []V1EngineProducts `json:"Hourly"`
	Monthly []V1EngineProducts `json:"Monthly"`
}

// V1EngineProducts is Table 7-43: the products of one engine version.
type V1EngineProducts struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	Values  []V1ProductType `json:"values"`
}

// V1ProductType is Table 7-44: the products of one instance type.
type V1ProductType struct {
	Detail           []V1ProductDetail `json:"detail"`
	Name             string            `json:"name"`
	UnavailableZones []string          `json:"unavailable_zones"`
	AvailableZones   []string          `json:"available_zones"`
}

// V1ProductDetail is Table 7-45. Its numbers are strings, as in the reference.
type V1ProductDetail struct {
	TPS              string      `json:"tps"`
	Storage          string      `json:"storage"`
	PartitionNum     string      `json:"partition_num"`
	ProductID        string      `json:"product_id"`
	SpecCode         string      `json:"spec_code"`
	IO               []V1IOEntry `json:"io"`
	Bandwidth        string      `json:"bandwidth"`
	AvailableZones   []string    `json:"available_zones"`
	UnavailableZones []string    `json:"unavailable_zones"` // in the example, not in Table 7-45
	ECSFlavorID      string      `json:"ecs_flavor_id"`
	ArchType         string      `json:"arch_type"`
}

// V1IOEntry is Table 7-46.
type V1IOEntry struct {
	IOType           string   `json:"io_type"`
	StorageSpecCode  string   `json:"storage_spec_code"`
	AvailableZones   []string `json:"available_zones"`
	UnavailableZones []string `json:"unavailable_zones"`
	VolumeType       string   `json:"volume_type"`
}

// V1Products answers 7.1.2.2: one entry per engine version under Hourly (the hourly product ids) and
// under Monthly (the monthly ones), each with the one instance type "cluster".
func (c *Catalog) V1Products() V1ProductsResponse {
	return V1ProductsResponse{Hourly: c.v1Products(true), Monthly: c.v1Products(false)}
}

func (c *Catalog) v1Products(hourly bool) []V1EngineProducts {
	details := []V1ProductDetail{}
	var typeUnavail []string
	for _, p := range c.legacy {
		id := p.MonthlyProductID
		if hourly {
			id = p.HourlyProductID
		}
		if id == "" {
			continue
		}
		avail, unavail := c.zoneSplit(p.UnavailableZones)
		d := V1ProductDetail{
			TPS: strconv.Itoa(p.TPS), Storage: strconv.Itoa(p.MinStorage), PartitionNum: strconv.Itoa(p.PartitionNum),
			ProductID: id, SpecCode: p.SpecCode, IO: []V1IOEntry{}, Bandwidth: p.Bandwidth,
			AvailableZones: avail, UnavailableZones: unavail, ECSFlavorID: p.ECSFlavorID, ArchType: "X86",
		}
		for _, code := range p.StorageSpecCodes {
			ioType, volume := legacyIO(code)
			d.IO = append(d.IO, V1IOEntry{IOType: ioType, StorageSpecCode: code,
				AvailableZones: cloneOrEmpty(avail), UnavailableZones: cloneOrEmpty(unavail), VolumeType: volume})
		}
		details = append(details, d)
		typeUnavail = append(typeUnavail, unavail...)
	}
	out := make([]V1EngineProducts, 0, len(c.versions))
	if len(details) == 0 {
		return out
	}
	// An AZ is unavailable for the type when no product of it has resources there.
	var typeAvail, typeUnavailOut []string
	for _, a := range c.azs {
		n := 0
		for _, z := range typeUnavail {
			if z == a.Code {
				n++
			}
		}
		if n == len(details) {
			typeUnavailOut = append(typeUnavailOut, a.Code)
		} else {
			typeAvail = append(typeAvail, a.Code)
		}
	}
	for _, v := range c.versions {
		out = append(out, V1EngineProducts{Name: "kafka", Version: v, Values: []V1ProductType{{
			Detail: details, Name: "cluster",
			UnavailableZones: cloneOrEmpty(typeUnavailOut), AvailableZones: cloneOrEmpty(typeAvail),
		}}})
	}
	return out
}

// legacyIO gives io_type and volume_type of a V1 storage spec code (7.1.2.2 example: high/SAS,
// ultra/SSD).
func legacyIO(code string) (ioType, volume string) {
	switch code {
	case StorageHigh, StorageHighV2:
		return "high", "SAS"
	case StorageUltra, StorageUltraV2:
		return "ultra", "SSD"
	}
	name := strings.TrimPrefix(code, "dms.physical.storage.")
	name, _, _ = strings.Cut(name, ".")
	return name, ""
}

// MaintainWindowsResponse is the body of 5.12.1 and 7.1.2.3 (SDK ShowMaintainWindowsResponse).
type MaintainWindowsResponse struct {
	MaintainWindows []MaintainWindowEntry `json:"maintain_windows"`
}

// MaintainWindowEntry is SDK MaintainWindowsEntity: seq int32, begin/end strings, default bool.
type MaintainWindowEntry struct {
	Default bool   `json:"default"`
	End     string `json:"end"`
	Begin   string `json:"begin"`
	Seq     int32  `json:"seq"`
}

// ListMaintainWindows answers 5.12.1. The reference's V2 example gives hours only ("22", "02"), which
// the SDK takes as plain strings; a window not on the hour is written "HH:mm" (or "HH:mm:ss").
func (c *Catalog) ListMaintainWindows() MaintainWindowsResponse {
	return c.maintainWindows(shortClock)
}

// V1MaintainWindows answers 7.1.2.3, whose example writes "HH:mm:ss".
func (c *Catalog) V1MaintainWindows() MaintainWindowsResponse {
	return c.maintainWindows(func(s string) string { return s })
}

func (c *Catalog) maintainWindows(format func(string) string) MaintainWindowsResponse {
	out := MaintainWindowsResponse{MaintainWindows: make([]MaintainWindowEntry, 0, len(c.windows))}
	for _, w := range c.windows {
		out.MaintainWindows = append(out.MaintainWindows, MaintainWindowEntry{
			Default: w.Default, Begin: format(w.Begin), End: format(w.End), Seq: w.Seq,
		})
	}
	return out
}

// shortClock shortens "HH:mm:ss" to "HH" on the hour, "HH:mm" on the minute.
func shortClock(s string) string {
	if rest, ok := strings.CutSuffix(s, ":00:00"); ok {
		return rest
	}
	if rest, ok := strings.CutSuffix(s, ":00"); ok {
		return rest
	}
	return s
}

func cloneOrEmpty(s []string) []string {
	out := make([]string, len(s))
	copy(out, s)
	return out
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
