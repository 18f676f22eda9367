package httpapi

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
)

// An instance whose brokers stop running becomes ERROR with the reason; a restart brings it back.
func TestInstanceErrorAndRecovery(t *testing.T) {
	e := newTestEnv(t)
	c := e.kafkaClient(t)
	created, err := c.CreateInstanceByEngine(createReq(e, t, "kafka-err"))
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	waitInstance(t, c, id, "RUNNING")
	if err := e.Engine.Stop(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	waitInstance(t, c, id, "ERROR")
	resp, b := e.do(t, "GET", "/v2/"+e.ProjectID+"/instances/"+id, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"status_reason":"the cluster is not running`) {
		t.Fatalf("ERROR without its reason: %s", b)
	}
	res, err := c.BatchRestartOrDeleteInstances(&model.BatchRestartOrDeleteInstancesRequest{Body: &model.BatchRestartOrDeleteInstanceReq{
		Instances: &[]string{id}, Action: model.GetBatchRestartOrDeleteInstanceReqActionEnum().RESTART}})
	if err != nil || deref((*res.Results)[0].Result) != "success" {
		t.Fatalf("restart: %+v, %v", res, err)
	}
	in := waitInstance(t, c, id, "RUNNING")
	produceConsume(t, deref(in.ConnectAddress), 9092, "after-recovery", 5, 5)
}

// A creation that cannot run its brokers ends in ERROR with a FAILED task; include_failure lists it and
// all_failure=kafka deletes every such instance (204).
func TestFailedCreation(t *testing.T) {
	e := newTestEnv(t)
	c := e.kafkaClient(t)
	// The instances' data dir cannot be created: the engine cannot start any broker. (A busy broker
	// port no longer makes a creation fail: allocation skips such addresses.)
	instancesDir := filepath.Join(e.Dir, "instances")
	if err := os.RemoveAll(instancesDir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(instancesDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateInstanceByEngine(createReq(e, t, "kafka-doomed"))
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	waitInstance(t, c, id, "ERROR")
	tasks, err := c.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: id})
	if err != nil || deref((*tasks.Tasks)[0].Status) != "FAILED" {
		t.Fatalf("creation task: %+v, %v", tasks, err)
	}
	resp, b := e.do(t, "GET", "/v2/"+e.ProjectID+"/instances/"+id+"/tasks", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "not a directory") {
		t.Fatalf("the failed task does not say why: %s", b)
	}
	os.Remove(instancesDir) // the deletion below can remove what there is
	failures := model.GetListInstancesRequestIncludeFailureEnum().TRUE
	list, err := c.ListInstances(&model.ListInstancesRequest{})
	withFailures, err2 := c.ListInstances(&model.ListInstancesRequest{IncludeFailure: &failures})
	if err != nil || err2 != nil || deref(list.InstanceNum) != 0 || deref(withFailures.InstanceNum) != 1 {
		t.Fatalf("list %v / include_failure %v (%v %v)", deref(list.InstanceNum), deref(withFailures.InstanceNum), err, err2)
	}
	kafkaAll := model.GetBatchRestartOrDeleteInstanceReqAllFailureEnum().KAFKA
	if _, err := c.BatchRestartOrDeleteInstances(&model.BatchRestartOrDeleteInstancesRequest{Body: &model.BatchRestartOrDeleteInstanceReq{
		Action: model.GetBatchRestartOrDeleteInstanceReqActionEnum().DELETE, AllFailure: &kafkaAll}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ShowInstance(&model.ShowInstanceRequest{InstanceId: id})
	sdkErr(t, err, 404, "DMS.00404022")
}
