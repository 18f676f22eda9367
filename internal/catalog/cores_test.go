package catalog

import (
	"errors"
	"testing"

	"github.com/opendms/opendms/internal/dms"
)

func TestCatalogCores(t *testing.T) {
	c := mustNew(t, Config{})
	i32 := func(v int32) *int32 { return &v }
	tests := []struct {
		name      string
		q         CoresQuery
		wantCores int32
		wantExt   *int32
		wantCode  string
	}{
		{"2u4g x 3", CoresQuery{ProductID: "c6.2u4g.cluster", BrokerNum: 3}, 6, nil, ""},
		{"4u8g x 30 (max)", CoresQuery{ProductID: "c6.4u8g.cluster", BrokerNum: 30}, 120, nil, ""},
		{"16u32g x 50", CoresQuery{ProductID: "c6.16u32g.cluster", BrokerNum: 50}, 800, nil, ""},
		{"12u24g x 4", CoresQuery{ProductID: "c6.12u24g.cluster", BrokerNum: 4}, 48, nil, ""},
		{"no product", CoresQuery{BrokerNum: 3}, 0, nil, dms.CodeInvalidProductID},
		{"unknown product", CoresQuery{ProductID: "c6.1u1g.cluster", BrokerNum: 3}, 0, nil, dms.CodeInvalidProductID},
		{"no broker_num", CoresQuery{ProductID: "c6.2u4g.cluster"}, 0, nil, dms.CodeInvalidParameter},
		{"below min brokers", CoresQuery{ProductID: "c6.2u4g.cluster", BrokerNum: 2}, 0, nil, dms.CodeInvalidParameter},
		{"above max brokers", CoresQuery{ProductID: "c6.2u4g.cluster", BrokerNum: 31}, 0, nil, dms.CodeInvalidParameter},
		// With an instance (wired when instances exist): its flavor and brokers by default, and the storage
		// after growing to broker_num at the same storage per broker.
		{"instance as is", CoresQuery{Instance: &InstanceSize{ProductID: "c6.4u8g.cluster", BrokerNum: 3, StorageSpace: 600}}, 12, i32(600), ""},
		{"instance grown", CoresQuery{BrokerNum: 6, Instance: &InstanceSize{ProductID: "c6.4u8g.cluster", BrokerNum: 3, StorageSpace: 600}}, 24, i32(1200), ""},
		{"instance fewer brokers", CoresQuery{BrokerNum: 3, Instance: &InstanceSize{ProductID: "c6.2u4g.cluster", BrokerNum: 5, StorageSpace: 1000}}, 6, i32(1000), ""},
		{"instance other flavor", CoresQuery{ProductID: "c6.8u16g.cluster", Instance: &InstanceSize{ProductID: "c6.2u4g.cluster", BrokerNum: 3, StorageSpace: 300}}, 24, i32(300), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Cores(tt.q)
			if tt.wantCode != "" {
				var de *dms.Error
				if !errors.As(err, &de) || de.Code != tt.wantCode || de.Status != 400 {
					t.Fatalf("Cores() error = %v, want %s", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.CoreNum != tt.wantCores {
				t.Errorf("core_num = %d, want %d", got.CoreNum, tt.wantCores)
			}
			switch {
			case tt.wantExt == nil && got.TotalExtendStorageSpace != nil:
				t.Errorf("total_extend_storage_space = %d, want none", *got.TotalExtendStorageSpace)
			case tt.wantExt != nil && (got.TotalExtendStorageSpace == nil || *got.TotalExtendStorageSpace != *tt.wantExt):
				t.Errorf("total_extend_storage_space = %v, want %d", got.TotalExtendStorageSpace, *tt.wantExt)
			}
		})
	}
}
