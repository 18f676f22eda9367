package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/dms"
)

func resizeReq(id string, body model.ResizeEngineInstanceReq) *model.ResizeEngineInstanceRequest {
	return &model.ResizeEngineInstanceRequest{Engine: model.GetResizeEngineInstanceRequestEngineEnum().KAFKA, InstanceId: id, Body: &body}
}

// The extension APIs on the embedded engine, through the official SDK: validation errors, the
// products and the pre-check, then storage, horizontal (kfake adds nodes at runtime) and vertical
// extensions to RUNNING with the new specification, and a failure to EXTENDEDFAILED and its retry.
func TestExtendInstanceAPI(t *testing.T) {
	e := newTestEnv(t)
	c := e.kafkaClient(t)
	created, err := c.CreateInstanceByEngine(createReq(e, t, "extend-api"))
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	waitInstance(t, c, id, "RUNNING")

	// 5.4.2, both path forms.
	prod, err := c.ShowKafkaInstanceExtendProductInfo(&model.ShowKafkaInstanceExtendProductInfoRequest{
		InstanceId: id, Type: model.GetShowKafkaInstanceExtendProductInfoRequestTypeEnum().ADVANCED})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range deref(prod.Products) {
		ids = append(ids, deref(p.ProductId))
	}
	if deref(prod.Engine) != "kafka" || !slices.Equal(ids, []string{"c6.2u4g.cluster", "c6.4u8g.cluster", "c6.8u16g.cluster", "c6.12u24g.cluster", "c6.16u32g.cluster"}) {
		t.Errorf("extend products: engine %q, %v", deref(prod.Engine), ids)
	}
	first := deref(prod.Products)[0]
	if p := deref(first.Properties); deref(p.MaxBroker) != "30" || deref(p.MaxPartitionPerBroker) != "250" || deref(p.ProductAlias) != "kafka.2u4g.cluster" {
		t.Errorf("properties = %+v", p)
	}
	if len(deref(first.AvailableZones)) == 0 || len(deref(first.Ios)) == 0 {
		t.Errorf("product entry %+v: no AZs or ios", first)
	}
	resp, body := e.do(t, "GET", "/v2/kafka/"+e.ProjectID+"/instances/"+id+"/extend?type=advanced", nil)
	var raw map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(body, &raw) != nil || len(raw["products"].([]any)) != 5 {
		t.Errorf("engine path: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(t, "GET", "/v2/kafka/"+e.ProjectID+"/instances/"+id+"/extend", nil)
	if resp.StatusCode != 400 || !strings.Contains(string(body), dms.CodeInvalidParameter) {
		t.Errorf("without type: %d %s", resp.StatusCode, body)
	}

	// The rebalance option (an OpenDMS addition, raw JSON): horizontal only, a throttle >= 0, and an
	// engine that moves replicas (kfake does not).
	for _, tc := range []struct {
		name string
		body map[string]any
		code string
	}{
		{"with storage", map[string]any{"oper_type": "storage", "new_storage_space": 600, "rebalance": map[string]any{"throttle": 0}}, dms.CodeInvalidParameter},
		{"negative throttle", map[string]any{"oper_type": "horizontal", "new_broker_num": 4, "new_storage_space": 400, "rebalance": map[string]any{"throttle": -1}}, dms.CodeUnsupportedType},
		{"on the embedded engine", map[string]any{"oper_type": "horizontal", "new_broker_num": 4, "new_storage_space": 400, "rebalance": map[string]any{}}, dms.CodeUnsupportedType},
	} {
		resp, body := e.do(t, "POST", "/v2/kafka/"+e.ProjectID+"/instances/"+id+"/extend", tc.body)
		if resp.StatusCode != 400 || decodeError(t, body).ErrorCode != tc.code {
			t.Errorf("rebalance option %s: %d %s, want 400 %s", tc.name, resp.StatusCode, body, tc.code)
		}
	}

	pre, err := c.ShowKafkaScalePreCheckInfo(&model.ShowKafkaScalePreCheckInfoRequest{InstanceId: id})
	if err != nil {
		t.Fatal(err)
	}
	if !deref(pre.Success) || deref(pre.Name) == "" || deref(pre.Risk) == "" {
		t.Errorf("pre-check of a healthy instance: %+v", pre)
	}

	// Validation: the reference's codes, nothing started.
	for _, v := range []struct {
		name string
		body model.ResizeEngineInstanceReq
		code string
	}{
		{"bad oper_type", model.ResizeEngineInstanceReq{OperType: "diagonal"}, dms.CodeInvalidParameter},
		{"fewer brokers", model.ResizeEngineInstanceReq{OperType: "horizontal", NewBrokerNum: ptr32(2)}, dms.CodeInvalidParameter},
		{"over 30 brokers", model.ResizeEngineInstanceReq{OperType: "horizontal", NewBrokerNum: ptr32(31)}, dms.CodeInvalidParameter},
		{"horizontal storage mismatch", model.ResizeEngineInstanceReq{OperType: "horizontal", NewBrokerNum: ptr32(4), NewStorageSpace: ptr32(500)}, dms.CodeDiskSpaceInvalid},
		{"tenant ip outside the pool", model.ResizeEngineInstanceReq{OperType: "horizontal", NewBrokerNum: ptr32(4), TenantIps: &[]string{"10.9.9.9"}}, dms.CodeInvalidParameter},
		{"storage under 100 GB a broker", model.ResizeEngineInstanceReq{OperType: "storage", NewStorageSpace: ptr32(450)}, dms.CodeDiskSpaceInvalid},
		{"unknown product", model.ResizeEngineInstanceReq{OperType: "vertical", NewProductId: ptrS("c6.1u1g.cluster")}, dms.CodeInvalidProductID},
		{"same product", model.ResizeEngineInstanceReq{OperType: "vertical", NewProductId: ptrS("c6.2u4g.cluster")}, dms.CodeInvalidProductID},
	} {
		_, err := c.ResizeEngineInstance(resizeReq(id, v.body))
		if err == nil {
			t.Errorf("%s: accepted", v.name)
			continue
		}
		wantSDKError(t, err, 400, v.code)
	}
	_, err = c.ResizeKafkaInstance(&model.ResizeKafkaInstanceRequest{InstanceId: "8f6c0d7e-0000-4000-8000-000000000000", Body: &model.ResizeEngineInstanceReq{OperType: "storage", NewStorageSpace: ptr32(600)}})
	wantSDKError(t, err, 404, dms.CodeInstanceNotFound)

	// storage (the SDK's path): 300 -> 600 GB.
	kjob, err := c.ResizeKafkaInstance(&model.ResizeKafkaInstanceRequest{InstanceId: id, Body: &model.ResizeEngineInstanceReq{OperType: "storage", NewStorageSpace: ptr32(600)}})
	if err != nil {
		t.Fatal(err)
	}
	if task := waitTask(t, c, id, deref(kjob.JobId)); deref(task.Status) != "SUCCESS" || deref(task.Name) != "extendInstance" {
		t.Fatalf("storage task: %+v", task)
	}
	in := waitInstance(t, c, id, "RUNNING")
	if deref(in.StorageSpace) != 600 || deref(in.TotalStorageSpace) != 600 {
		t.Errorf("after storage: storage_space %d total %d", deref(in.StorageSpace), deref(in.TotalStorageSpace))
	}

	// horizontal (5.4.1's path, the SDK's new_broker_num): 3 -> 5 brokers, 200 GB each.
	job, err := c.ResizeEngineInstance(resizeReq(id, model.ResizeEngineInstanceReq{OperType: "horizontal", NewBrokerNum: ptr32(5), NewStorageSpace: ptr32(1000)}))
	if err != nil {
		t.Fatal(err)
	}
	if task := waitTask(t, c, id, deref(job.JobId)); deref(task.Status) != "SUCCESS" {
		t.Fatalf("horizontal task: %+v", task)
	}
	prog, err := c.ShowBackgroundTaskProgress(&model.ShowBackgroundTaskProgressRequest{InstanceId: id, TaskId: deref(job.JobId)})
	if err != nil {
		t.Fatal(err)
	}
	if deref(prog.ProgressPercentage) != 100 || len(deref(prog.StepList)) < 2 {
		t.Errorf("horizontal progress: %+v", prog)
	}
	in = waitInstance(t, c, id, "RUNNING")
	hosts := strings.Split(deref(in.ConnectAddress), ",")
	if deref(in.BrokerNum) != 5 || deref(in.StorageSpace) != 1000 || len(hosts) != 5 || deref(in.PartitionNum) != "1250" {
		t.Errorf("after horizontal: broker_num %d storage %d connect %q partition_num %s", deref(in.BrokerNum), deref(in.StorageSpace), deref(in.ConnectAddress), deref(in.PartitionNum))
	}
	// A client reaches the new brokers at their own addresses.
	cl, err := kgo.NewClient(kgo.SeedBrokers(net.JoinHostPort(hosts[4], strconv.Itoa(int(deref(in.Port))))))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	bs, err := kadm.NewClient(cl).ListBrokers(ctx)
	if err != nil || len(bs) != 5 || bs[4].Host != hosts[4] || bs[3].Host != hosts[3] {
		t.Errorf("brokers seen through a new broker: %+v %v", bs, err)
	}

	// A horizontal extension whose brokers do not start: EXTENDEDFAILED, the new brokers recorded
	// (their addresses taken) but not given to clients, the brokers serving; the same request
	// again adds them.
	startFailure := errors.New("injected start failure")
	e.Gate.fail.Store(&startFailure)
	job, err = c.ResizeEngineInstance(resizeReq(id, model.ResizeEngineInstanceReq{OperType: "horizontal", NewBrokerNum: ptr32(6)}))
	if err != nil {
		t.Fatal(err)
	}
	if task := waitTask(t, c, id, deref(job.JobId)); deref(task.Status) != "FAILED" {
		t.Fatalf("failing horizontal task: %+v", task)
	}
	in = waitInstance(t, c, id, "EXTENDEDFAILED")
	if deref(in.BrokerNum) != 5 || len(strings.Split(deref(in.ConnectAddress), ",")) != 5 {
		t.Errorf("after a failed horizontal extension: broker_num %d, connect_address %q", deref(in.BrokerNum), deref(in.ConnectAddress))
	}
	if stored, err := e.Instances.Get(context.Background(), e.ProjectID, id); err != nil || len(stored.Brokers) != 6 || !strings.Contains(stored.StatusReason, "injected start failure") {
		t.Errorf("stored after the failure: %d brokers, reason %q, %v", len(stored.Brokers), stored.StatusReason, err)
	}
	_, err = c.ResizeEngineInstance(resizeReq(id, model.ResizeEngineInstanceReq{OperType: "horizontal", NewBrokerNum: ptr32(5)}))
	wantSDKError(t, err, 400, dms.CodeInvalidParameter) // below the brokers already recorded
	e.Gate.fail.Store(nil)

	// new_broker_number (the reference's table name) on 5.4.1's path: the retry.
	resp, body = e.do(t, "POST", "/v2/kafka/"+e.ProjectID+"/instances/"+id+"/extend", map[string]any{"oper_type": "horizontal", "new_broker_number": 6})
	if resp.StatusCode != 200 {
		t.Fatalf("new_broker_number: %d %s", resp.StatusCode, body)
	}
	var jr struct {
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal(body, &jr); err != nil || jr.JobID == "" {
		t.Fatalf("new_broker_number answer %s", body)
	}
	waitTask(t, c, id, jr.JobID)
	if in = waitInstance(t, c, id, "RUNNING"); deref(in.BrokerNum) != 6 || deref(in.StorageSpace) != 1200 {
		t.Errorf("after new_broker_number 6: %d brokers, %d GB", deref(in.BrokerNum), deref(in.StorageSpace))
	}

	// vertical, held: EXTENDING, a second request refused, the pre-check says why.
	release := e.Gate.hold()
	job, err = c.ResizeEngineInstance(resizeReq(id, model.ResizeEngineInstanceReq{OperType: "vertical", NewProductId: ptrS("c6.4u8g.cluster")}))
	if err != nil {
		release()
		t.Fatal(err)
	}
	waitInstance(t, c, id, "EXTENDING")
	_, err = c.ResizeEngineInstance(resizeReq(id, model.ResizeEngineInstanceReq{OperType: "storage", NewStorageSpace: ptr32(3000)}))
	if err == nil {
		t.Error("a second extension was accepted while one runs")
	} else {
		wantSDKError(t, err, 400, dms.CodeInstanceBusy)
	}
	if pre, err := c.ShowKafkaScalePreCheckInfo(&model.ShowKafkaScalePreCheckInfoRequest{InstanceId: id}); err != nil || deref(pre.Success) || deref(pre.Reason) == "" {
		t.Errorf("pre-check while EXTENDING: %+v %v", pre, err)
	}
	release()
	if task := waitTask(t, c, id, deref(job.JobId)); deref(task.Status) != "SUCCESS" {
		t.Fatalf("vertical task: %+v", task)
	}
	in = waitInstance(t, c, id, "RUNNING")
	if deref(in.ProductId) != "c6.4u8g.cluster" || deref(in.PartitionNum) != "3000" {
		t.Errorf("after vertical: product %s partition_num %s", deref(in.ProductId), deref(in.PartitionNum))
	}

	// A failed vertical extension: EXTENDEDFAILED with the reason, the task FAILED, the brokers
	// still serving; the same request again finishes it.
	injected := errors.New("injected restart failure")
	e.Gate.fail.Store(&injected)
	job, err = c.ResizeEngineInstance(resizeReq(id, model.ResizeEngineInstanceReq{OperType: "vertical", NewProductId: ptrS("c6.8u16g.cluster")}))
	if err != nil {
		t.Fatal(err)
	}
	if task := waitTask(t, c, id, deref(job.JobId)); deref(task.Status) != "FAILED" {
		t.Fatalf("failing vertical task: %+v", task)
	}
	in = waitInstance(t, c, id, "EXTENDEDFAILED")
	if _, err := kadm.NewClient(cl).ListBrokers(ctx); err != nil {
		t.Errorf("brokers after a failed extension: %v", err)
	}
	stored, err := e.Instances.Get(context.Background(), e.ProjectID, id)
	if err != nil || !strings.Contains(stored.StatusReason, "injected restart failure") {
		t.Errorf("status reason %q %v", stored.StatusReason, err)
	}
	e.Gate.fail.Store(nil)
	job, err = c.ResizeEngineInstance(resizeReq(id, model.ResizeEngineInstanceReq{OperType: "vertical", NewProductId: ptrS("c6.8u16g.cluster")}))
	if err != nil {
		t.Fatal(err)
	}
	if task := waitTask(t, c, id, deref(job.JobId)); deref(task.Status) != "SUCCESS" {
		t.Fatalf("retried vertical task: %+v", task)
	}
	if in = waitInstance(t, c, id, "RUNNING"); deref(in.ProductId) != "c6.8u16g.cluster" {
		t.Errorf("after the retry: product %s", deref(in.ProductId))
	}
	// The body's JSON types are the SDK's: a string broker count is refused as such.
	resp, body = e.do(t, "POST", "/v2/"+e.ProjectID+"/kafka/instances/"+id+"/extend", map[string]any{"oper_type": "horizontal", "new_broker_num": "7"})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), dms.CodeBodyInvalidKey) {
		t.Errorf("string new_broker_num: %d %s", resp.StatusCode, body)
	}
}

func ptr32(v int32) *int32  { return &v }
func ptrS(v string) *string { return &v }
