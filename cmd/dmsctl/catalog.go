package main

import (
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

// The catalogs: what a region offers. Only the fields dmsctl shows are decoded, with the API's names.

type availableZone struct {
	ID                   string `json:"id"`
	Code                 string `json:"code"`
	Name                 string `json:"name"`
	Port                 string `json:"port"`
	ResourceAvailability string `json:"resource_availability"`
	DefaultAZ            bool   `json:"default_az"`
}

type product struct {
	ProductID  string            `json:"product_id"`
	Type       string            `json:"type"`
	ArchTypes  []string          `json:"arch_types,omitempty"`
	Properties map[string]string `json:"properties"`
}

type maintainWindow struct {
	Seq     int    `json:"seq"`
	Begin   string `json:"begin"`
	End     string `json:"end"`
	Default bool   `json:"default"`
}

func newCatalogCmd(a *app) *cobra.Command {
	return groupCmd("catalog", "Show the region's availability zones, Kafka flavors and maintenance windows",
		&cobra.Command{
			Use:   "azs",
			Short: "List the availability zones (GET /v2/available-zones)",
			Args:  exactArgs(),
			RunE: func(cmd *cobra.Command, _ []string) error {
				var out struct {
					AvailableZones []availableZone `json:"available_zones"`
				}
				if err := a.getCatalog(cmd, "/v2/available-zones", &out); err != nil {
					return err
				}
				azs := nonNil(out.AvailableZones)
				return a.printer(cmd).print(azs, func(t *table) {
					t.row("ID", "CODE", "NAME", "PORT", "AVAILABLE", "DEFAULT")
					for _, z := range azs {
						t.row(z.ID, z.Code, z.Name, z.Port, z.ResourceAvailability, fmtBool(z.DefaultAZ))
					}
				})
			},
		},
		&cobra.Command{
			Use:   "products",
			Short: "List the Kafka flavors (GET /v2/kafka/products)",
			Args:  exactArgs(),
			RunE: func(cmd *cobra.Command, _ []string) error {
				var out struct {
					Products []product `json:"products"`
				}
				if err := a.getCatalog(cmd, "/v2/kafka/products", &out); err != nil {
					return err
				}
				ps := nonNil(out.Products)
				return a.printer(cmd).print(ps, func(t *table) {
					t.row("PRODUCT_ID", "TYPE", "ARCH", "BROKERS", "PARTITIONS/BROKER", "TPS/BROKER", "BANDWIDTH/BROKER", "STORAGE/NODE_GB")
					for _, p := range ps {
						pr := p.Properties
						brokers := pr["min_broker"] + "-" + pr["max_broker"]
						if pr["min_broker"] == "" && pr["max_broker"] == "" {
							brokers = ""
						}
						storage := pr["min_storage_per_node"] + "-" + pr["max_storage_per_node"]
						if pr["min_storage_per_node"] == "" && pr["max_storage_per_node"] == "" {
							storage = ""
						}
						t.row(p.ProductID, p.Type, strings.Join(p.ArchTypes, ","), brokers, pr["max_partition_per_broker"],
							pr["max_tps_per_broker"], pr["max_bandwidth_per_broker"], storage)
					}
				})
			},
		},
		&cobra.Command{
			Use:   "windows",
			Short: "List the maintenance time windows (GET /v2/instances/maintain-windows)",
			Args:  exactArgs(),
			RunE: func(cmd *cobra.Command, _ []string) error {
				var out struct {
					MaintainWindows []maintainWindow `json:"maintain_windows"`
				}
				if err := a.getCatalog(cmd, "/v2/instances/maintain-windows", &out); err != nil {
					return err
				}
				ws := nonNil(out.MaintainWindows)
				return a.printer(cmd).print(ws, func(t *table) {
					t.row("SEQ", "BEGIN", "END", "DEFAULT")
					for _, w := range ws {
						t.row(itoa(w.Seq), w.Begin, w.End, fmtBool(w.Default))
					}
				})
			},
		},
	)
}

// getCatalog GETs a catalog and decodes it into out.
func (a *app) getCatalog(cmd *cobra.Command, path string, out any) error {
	c, _, err := a.newClient(cmd, true)
	if err != nil {
		return err
	}
	resp, err := c.Do(cmd.Context(), http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	return resp.Decode(out)
}

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
