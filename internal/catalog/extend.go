package catalog

import (
	"slices"
	"strconv"
)

// ExtendProductsResponse is the body of 5.4.2 (SDK ShowKafkaInstanceExtendProductInfoResponse).
type ExtendProductsResponse struct {
	Engine   string               `json:"engine"`
	Versions []string             `json:"versions"`
	Products []ExtendProductEntry `json:"products"`
}

// ExtendProductEntry is SDK ExtendProductInfoEntity: ListEngineProductsEntity's fields (without the
// billing code) plus the product's AZs; every limit is a string.
type ExtendProductEntry struct {
	Type             string               `json:"type"`
	ProductID        string               `json:"product_id"`
	ECSFlavorID      string               `json:"ecs_flavor_id"`
	ArchTypes        []string             `json:"arch_types"`
	ChargingMode     []string             `json:"charging_mode"`
	Ios              []IOEntry            `json:"ios"`
	SupportFeatures  []ExtendFeature      `json:"support_features"`
	Properties       ProductPropertyEntry `json:"properties"`
	AvailableZones   []string             `json:"available_zones"`
	UnavailableZones []string             `json:"unavailable_zones"`
}

// ExtendFeature is SDK ExtendProductSupportFeaturesEntity: its properties are a string map.
type ExtendFeature struct {
	Name       string            `json:"name"`
	Properties map[string]string `json:"properties"`
}

// Bigger reports whether p is a bigger flavor of the same kind as cur: the same type and
// architectures, at least as many vCPUs and as much memory, and more of one of them.
func (p Product) Bigger(cur Product) bool {
	return p.Type == cur.Type && slices.Equal(p.ArchTypes, cur.ArchTypes) &&
		p.VCPUs >= cur.VCPUs && p.MemoryGB >= cur.MemoryGB && (p.VCPUs > cur.VCPUs || p.MemoryGB > cur.MemoryGB)
}

// ExtendProducts answers 5.4.2 for an instance of product cur: cur itself (more brokers or storage
// keep the flavor) and every bigger flavor of the same kind (vertical), in catalog order.
func (c *Catalog) ExtendProducts(cur Product) ExtendProductsResponse {
	out := ExtendProductsResponse{Engine: "kafka", Versions: c.Versions(), Products: []ExtendProductEntry{}}
	for _, p := range c.products {
		if p.ID != cur.ID && !p.Bigger(cur) {
			continue
		}
		e := c.productEntry(p)
		avail, unavail := c.zoneSplit(p.UnavailableZones)
		x := ExtendProductEntry{
			Type: e.Type, ProductID: e.ProductID, ECSFlavorID: e.ECSFlavorID, ArchTypes: e.ArchTypes,
			ChargingMode: e.ChargingMode, Ios: e.Ios, Properties: e.Properties, SupportFeatures: []ExtendFeature{},
			AvailableZones: avail, UnavailableZones: unavail,
		}
		for _, f := range p.SupportFeatures {
			x.SupportFeatures = append(x.SupportFeatures, ExtendFeature{Name: f.Name, Properties: map[string]string{
				"max_task": strconv.Itoa(f.MaxTask), "min_task": strconv.Itoa(f.MinTask),
				"max_node": strconv.Itoa(f.MaxNode), "min_node": strconv.Itoa(f.MinNode),
			}})
		}
		out.Products = append(out.Products, x)
	}
	return out
}
