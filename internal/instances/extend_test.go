package instances

import (
	"strings"
	"testing"

	"github.com/opendms/opendms/internal/catalog"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/engine"
)

func ptr[T any](v T) *T { return &v }

func TestValidateExtend(t *testing.T) {
	cat, err := catalog.New(catalog.Config{}, "cn-north-4")
	if err != nil {
		t.Fatal(err)
	}
	running := dms.Instance{ID: "i", Status: dms.StatusRunning, ProductID: "c6.2u4g.cluster", BrokerNum: 3, StorageSpace: 600,
		StorageSpecCode: catalog.StorageUltraV2, Brokers: make([]dms.BrokerAddr, 3)}
	failed := running
	failed.Status = dms.StatusExtendFailed
	failed.Brokers = make([]dms.BrokerAddr, 5) // a horizontal extension to 5 failed
	failedVertical := running
	failedVertical.Status, failedVertical.ProductID = dms.StatusExtendFailed, "c6.4u8g.cluster"
	legacy := running
	legacy.LegacySpecification = "100MB"
	add := engine.Capabilities{AddBrokers: true}
	for _, c := range []struct {
		name string
		in   dms.Instance
		caps engine.Capabilities
		req  ExtendRequest
		code string // "" = accepted
		want extendParams
		ips  int
	}{
		{name: "no oper_type", in: running, req: ExtendRequest{}, code: dms.CodeInvalidParameter},
		{name: "unknown oper_type", in: running, req: ExtendRequest{OperType: "diagonal"}, code: dms.CodeInvalidParameter},
		{name: "legacy", in: legacy, req: ExtendRequest{OperType: OperStorage, NewStorageSpace: ptr(900)}, code: dms.CodeInvalidParameter},

		{name: "horizontal new_broker_num", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(5)},
			want: extendParams{OperType: OperHorizontal, FromBrokers: 3, ToBrokers: 5, FromStorage: 600, ToStorage: 1000, FromProduct: "c6.2u4g.cluster", ToProduct: "c6.2u4g.cluster"}},
		{name: "horizontal new_broker_number and storage", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNumber: ptr(4), NewStorageSpace: ptr(800), TenantIPs: []string{"127.1.1.9"}},
			want: extendParams{OperType: OperHorizontal, FromBrokers: 3, ToBrokers: 4, FromStorage: 600, ToStorage: 800, FromProduct: "c6.2u4g.cluster", ToProduct: "c6.2u4g.cluster"}, ips: 1},
		{name: "horizontal both names agree", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(4), NewBrokerNumber: ptr(4)},
			want: extendParams{OperType: OperHorizontal, FromBrokers: 3, ToBrokers: 4, FromStorage: 600, ToStorage: 800, FromProduct: "c6.2u4g.cluster", ToProduct: "c6.2u4g.cluster"}},
		{name: "horizontal both names differ", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(4), NewBrokerNumber: ptr(5)}, code: dms.CodeInvalidParameter},
		{name: "horizontal engine cannot", in: running, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(4)}, code: dms.CodeInvalidParameter},
		{name: "horizontal no count", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal}, code: dms.CodeInvalidParameter},
		{name: "horizontal same count", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(3)}, code: dms.CodeInvalidParameter},
		{name: "horizontal fewer", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(2)}, code: dms.CodeInvalidParameter},
		{name: "horizontal over 30", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(31)}, code: dms.CodeInvalidParameter},
		{name: "horizontal 30", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(30)},
			want: extendParams{OperType: OperHorizontal, FromBrokers: 3, ToBrokers: 30, FromStorage: 600, ToStorage: 6000, FromProduct: "c6.2u4g.cluster", ToProduct: "c6.2u4g.cluster"}},
		{name: "horizontal wrong storage", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(4), NewStorageSpace: ptr(900)}, code: dms.CodeDiskSpaceInvalid},
		{name: "horizontal too many tenant ips", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(4), TenantIPs: []string{"127.1.1.8", "127.1.1.9"}}, code: dms.CodeInvalidParameter},
		{name: "horizontal bad tenant ip", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(4), TenantIPs: []string{"::1"}}, code: dms.CodeInvalidParameter},
		{name: "horizontal repeated tenant ip", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(5), TenantIPs: []string{"127.1.1.8", "127.1.1.8"}}, code: dms.CodeInvalidParameter},
		{name: "horizontal with a product", in: running, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(4), NewProductID: ptr("c6.4u8g.cluster")}, code: dms.CodeInvalidParameter},
		{name: "horizontal retry below the recorded brokers", in: failed, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(4)}, code: dms.CodeInvalidParameter},
		{name: "horizontal retry", in: failed, caps: add, req: ExtendRequest{OperType: OperHorizontal, NewBrokerNum: ptr(5)},
			want: extendParams{OperType: OperHorizontal, FromBrokers: 3, ToBrokers: 5, FromStorage: 600, ToStorage: 1000, FromProduct: "c6.2u4g.cluster", ToProduct: "c6.2u4g.cluster"}},

		{name: "storage", in: running, req: ExtendRequest{OperType: OperStorage, NewStorageSpace: ptr(900)},
			want: extendParams{OperType: OperStorage, FromBrokers: 3, ToBrokers: 3, FromStorage: 600, ToStorage: 900, FromProduct: "c6.2u4g.cluster", ToProduct: "c6.2u4g.cluster"}},
		{name: "storage missing", in: running, req: ExtendRequest{OperType: OperStorage}, code: dms.CodeDiskSpaceInvalid},
		{name: "storage under 100 GB per broker", in: running, req: ExtendRequest{OperType: OperStorage, NewStorageSpace: ptr(840)}, code: dms.CodeDiskSpaceInvalid},
		{name: "storage smaller", in: running, req: ExtendRequest{OperType: OperStorage, NewStorageSpace: ptr(300)}, code: dms.CodeDiskSpaceInvalid},
		{name: "storage not a multiple of the brokers", in: running, req: ExtendRequest{OperType: OperStorage, NewStorageSpace: ptr(1000)}, code: dms.CodeDiskSpaceInvalid},
		{name: "storage over the flavor's", in: running, req: ExtendRequest{OperType: OperStorage, NewStorageSpace: ptr(30003)}, code: dms.CodeDiskSpaceInvalid},
		{name: "storage flavor's maximum", in: running, req: ExtendRequest{OperType: OperStorage, NewStorageSpace: ptr(30000)},
			want: extendParams{OperType: OperStorage, FromBrokers: 3, ToBrokers: 3, FromStorage: 600, ToStorage: 30000, FromProduct: "c6.2u4g.cluster", ToProduct: "c6.2u4g.cluster"}},
		{name: "storage with brokers", in: running, req: ExtendRequest{OperType: OperStorage, NewStorageSpace: ptr(900), NewBrokerNum: ptr(4)}, code: dms.CodeInvalidParameter},

		{name: "vertical", in: running, req: ExtendRequest{OperType: OperVertical, NewProductID: ptr("c6.4u8g.cluster")},
			want: extendParams{OperType: OperVertical, FromBrokers: 3, ToBrokers: 3, FromStorage: 600, ToStorage: 600, FromProduct: "c6.2u4g.cluster", ToProduct: "c6.4u8g.cluster"}},
		{name: "vertical missing", in: running, req: ExtendRequest{OperType: OperVertical}, code: dms.CodeInvalidProductID},
		{name: "vertical unknown", in: running, req: ExtendRequest{OperType: OperVertical, NewProductID: ptr("c9.1u1g.cluster")}, code: dms.CodeInvalidProductID},
		{name: "vertical same", in: running, req: ExtendRequest{OperType: OperVertical, NewProductID: ptr("c6.2u4g.cluster")}, code: dms.CodeInvalidProductID},
		{name: "vertical smaller", in: failedVertical, req: ExtendRequest{OperType: OperVertical, NewProductID: ptr("c6.2u4g.cluster")}, code: dms.CodeInvalidProductID},
		{name: "vertical retry of the same", in: failedVertical, req: ExtendRequest{OperType: OperVertical, NewProductID: ptr("c6.4u8g.cluster")},
			want: extendParams{OperType: OperVertical, FromBrokers: 3, ToBrokers: 3, FromStorage: 600, ToStorage: 600, FromProduct: "c6.4u8g.cluster", ToProduct: "c6.4u8g.cluster"}},
		{name: "vertical with storage", in: running, req: ExtendRequest{OperType: OperVertical, NewProductID: ptr("c6.4u8g.cluster"), NewStorageSpace: ptr(900)}, code: dms.CodeInvalidParameter},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ips, err := validateExtend(cat, c.caps, c.in, c.req)
			if c.code != "" {
				if err == nil || dms.AsError(err).Code != c.code {
					t.Fatalf("err = %v, want %s", err, c.code)
				}
				if dms.AsError(err).Status != 400 || strings.TrimSpace(dms.AsError(err).Message) == "" {
					t.Errorf("error %+v: want a 400 with a message", dms.AsError(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.OperType != c.want.OperType || got.FromBrokers != c.want.FromBrokers || got.ToBrokers != c.want.ToBrokers ||
				got.FromStorage != c.want.FromStorage || got.ToStorage != c.want.ToStorage || got.FromProduct != c.want.FromProduct || got.ToProduct != c.want.ToProduct {
				t.Errorf("params = %+v, want %+v", got, c.want)
			}
			if len(ips) != c.ips {
				t.Errorf("tenant ips = %v, want %d", ips, c.ips)
			}
		})
	}
}

// New instances: the first three nodes are controllers, the rest broker-only; records without a
// role (created before roles were recorded) are controllers.
func TestNodeRoles(t *testing.T) {
	for i, want := range []string{dms.RoleCombined, dms.RoleCombined, dms.RoleCombined, dms.RoleBroker, dms.RoleBroker} {
		if got := newNodeRole(i); got != want {
			t.Errorf("node %d: role %q, want %q", i, got, want)
		}
	}
	s := &Service{}
	in := dms.Instance{ID: "i", ClusterID: "c", Brokers: []dms.BrokerAddr{
		{ID: 0, Host: "127.0.0.1"}, {ID: 1, Host: "127.0.0.2", Role: dms.RoleCombined}, {ID: 2, Host: "127.0.0.3", Role: dms.RoleBroker},
	}}
	spec := s.spec(in)
	if spec.Brokers[0].BrokerOnly || spec.Brokers[1].BrokerOnly || !spec.Brokers[2].BrokerOnly {
		t.Errorf("spec brokers = %+v", spec.Brokers)
	}
	if got := len(spec.Controllers()); got != 2 {
		t.Errorf("controllers = %d, want 2", got)
	}
}
