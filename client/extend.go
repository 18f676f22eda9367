package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// InstanceExtendFailed is the status of an instance whose specification change failed: its brokers
// keep serving; the same change can be asked for again.
const InstanceExtendFailed = "EXTENDEDFAILED"

// The oper_type values of ExtendRequest.
const (
	ExtendHorizontal = "horizontal" // more brokers, each with the same storage
	ExtendStorage    = "storage"    // more storage, the same brokers
	ExtendVertical   = "vertical"   // a bigger flavor, the same brokers and storage
)

// ExtendRequest is the body of 5.4.1: one of NewBrokerNum (horizontal), NewStorageSpace (storage,
// the instance's new total in GB) or NewProductID (vertical).
type ExtendRequest struct {
	OperType        string   `json:"oper_type"`
	NewStorageSpace int      `json:"new_storage_space,omitempty"`
	NewBrokerNum    int      `json:"new_broker_num,omitempty"`
	NewProductID    string   `json:"new_product_id,omitempty"`
	TenantIPs       []string `json:"tenant_ips,omitempty"`
	// Rebalance (horizontal, an OpenDMS addition) moves partitions onto the new brokers after, in a
	// reassignment task of its own.
	Rebalance *ExtendRebalance `json:"rebalance,omitempty"`
}

// ExtendRebalance is ExtendRequest's rebalance: Throttle in bytes/s per broker (0: none).
type ExtendRebalance struct {
	Throttle int64 `json:"throttle"`
}

func extendPath(id string, elems ...string) string {
	p := "/v2/kafka/{project_id}/instances/" + url.PathEscape(id) + "/extend"
	for _, e := range elems {
		p += "/" + url.PathEscape(e)
	}
	return p
}

// ExtendInstance asks for a specification change (5.4.1) and returns its task id (an
// extendInstance task; the instance is EXTENDING until it ends).
func (c *Client) ExtendInstance(ctx context.Context, id string, req ExtendRequest) (string, error) {
	var out struct {
		JobID string `json:"job_id"`
	}
	if err := c.call(ctx, http.MethodPost, extendPath(id), req, &out); err != nil {
		return "", err
	}
	if out.JobID == "" {
		return "", errors.New("client: the server accepted the extension but sent no job_id")
	}
	return out.JobID, nil
}

// ExtendProduct is a flavor an instance may move to (5.4.2), with its limits.
type ExtendProduct struct {
	Type       string `json:"type"`
	ProductID  string `json:"product_id"`
	Properties struct {
		MaxPartitionPerBroker string `json:"max_partition_per_broker"`
		MaxBroker             string `json:"max_broker"`
		MinBroker             string `json:"min_broker"`
		MaxStoragePerNode     string `json:"max_storage_per_node"`
		MinStoragePerNode     string `json:"min_storage_per_node"`
		MaxTPSPerBroker       string `json:"max_tps_per_broker"`
		ProductAlias          string `json:"product_alias"`
	} `json:"properties"`
}

// ExtendProducts lists the flavors the instance may move to (5.4.2): its own and the bigger ones.
func (c *Client) ExtendProducts(ctx context.Context, id string) ([]ExtendProduct, error) {
	var out struct {
		Products []ExtendProduct `json:"products"`
	}
	if err := c.call(ctx, http.MethodGet, extendPath(id)+"?type=advanced", nil, &out); err != nil {
		return nil, err
	}
	return out.Products, nil
}

// ScalePreCheck is the SDK's ShowKafkaScalePreCheckInfo answer.
type ScalePreCheck struct {
	Name    string `json:"name"`
	Success bool   `json:"success"`
	Reason  string `json:"reason"`
	Risk    string `json:"risk"`
}

// ExtendPreCheck checks whether the instance can be extended now.
func (c *Client) ExtendPreCheck(ctx context.Context, id string) (*ScalePreCheck, error) {
	var out ScalePreCheck
	if err := c.call(ctx, http.MethodGet, "/v2/{project_id}/kafka/instances/"+url.PathEscape(id)+"/extend-check", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TaskProgress is the SDK's ShowBackgroundTaskProgress answer. RemainTime (seconds) is nil while
// the server cannot tell.
type TaskProgress struct {
	Percentage int        `json:"progress_percentage"`
	RemainTime *int       `json:"remain_time,omitempty"`
	Steps      []TaskStep `json:"step_list"`
}

// TaskStep is one step of a task's progress.
type TaskStep struct {
	Name      string `json:"name"`
	Status    string `json:"statue"` // sic: the SDK's field name
	StartTime string `json:"start_time,omitempty"`
	EndTime   string `json:"end_time,omitempty"`
}

// GetTaskProgress shows a background task's progress.
func (c *Client) GetTaskProgress(ctx context.Context, instanceID, taskID string) (*TaskProgress, error) {
	var out TaskProgress
	if err := c.call(ctx, http.MethodGet, instancePath(instanceID, "tasks", taskID, "progress"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
