package catalog

import (
	"github.com/opendms/opendms/internal/dms"
)

// CoresQuery is a 5.12.5 query (GET /v2/kafka/products/cores?product_id=&broker_num=&instance_id=).
// The reference marks product_id and instance_id mandatory and documents no broker_num; the SDK model
// (ShowKafkaProductCoresRequest) has product_id and broker_num always sent and instance_id optional,
// "only with instance_id does the response carry total_extend_storage_space". The SDK wins.
type CoresQuery struct {
	// ProductID is the flavor; empty with an Instance means the instance's flavor.
	ProductID string
	// BrokerNum is the broker count to price; 0 (not given) with an Instance means the instance's count.
	BrokerNum int
	// Instance is the instance of instance_id, looked up by the caller; nil without instance_id.
	Instance *InstanceSize
}

// InstanceSize is what 5.12.5 needs of an existing instance.
type InstanceSize struct {
	ProductID    string
	BrokerNum    int
	StorageSpace int // GB, the instance's total
}

// CoresResponse is SDK ShowKafkaProductCoresResponse.
type CoresResponse struct {
	// CoreNum is the vCPUs of BrokerNum brokers of the flavor.
	CoreNum int32 `json:"core_num"`
	// TotalExtendStorageSpace is the instance's storage after growing to BrokerNum brokers at its current
	// storage per broker (its current storage when BrokerNum is not more than its brokers). Only with an
	// instance (SDK model comment).
	TotalExtendStorageSpace *int32 `json:"total_extend_storage_space,omitempty"`
}

// Cores answers 5.12.5: core_num = the flavor's vCPUs x broker_num. Errors are *dms.Error: 400
// DMS.00400009 for a missing or unknown product_id, 400 DMS.00400062 for a missing or out-of-range
// broker_num.
func (c *Catalog) Cores(q CoresQuery) (CoresResponse, error) {
	productID, brokers := q.ProductID, q.BrokerNum
	if q.Instance != nil {
		if productID == "" {
			productID = q.Instance.ProductID
		}
		if brokers == 0 {
			brokers = q.Instance.BrokerNum
		}
	}
	if productID == "" {
		return CoresResponse{}, dms.Errorf(dms.CodeInvalidProductID, "Invalid product_id: the product_id query parameter is required.")
	}
	p, ok := c.Product(productID)
	if !ok {
		return CoresResponse{}, unknownProduct(productID)
	}
	if brokers == 0 {
		return CoresResponse{}, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: broker_num is required when instance_id is not given.")
	}
	if brokers < p.MinBroker || brokers > p.MaxBroker {
		return CoresResponse{}, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: broker_num %d is out of range for %s: %d-%d.", brokers, p.ID, p.MinBroker, p.MaxBroker)
	}
	// New bounds vcpus x max_broker to int32.
	out := CoresResponse{CoreNum: int32(p.VCPUs * brokers)}
	if in := q.Instance; in != nil {
		total := in.StorageSpace
		if brokers > in.BrokerNum && in.BrokerNum > 0 {
			total = int(int64(in.StorageSpace) * int64(brokers) / int64(in.BrokerNum))
		}
		t := int32(min(total, 1<<31-1))
		out.TotalExtendStorageSpace = &t
	}
	return out, nil
}
