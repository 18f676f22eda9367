package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
)

func TestCreateInstanceValidation(t *testing.T) {
	e := newTestEnv(t)
	c := e.kafkaClient(t)
	if _, err := c.CreateInstanceByEngine(createReq(e, t, "kafka-taken")); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	yes := true
	tests := []struct {
		name   string
		mutate func(*model.CreateInstanceByEngineReq)
		code   string
	}{
		{"name too short", func(r *model.CreateInstanceByEngineReq) { r.Name = "abc" }, "DMS.00400010"},
		{"name with a dot", func(r *model.CreateInstanceByEngineReq) { r.Name = "kafka.1" }, "DMS.00400010"},
		{"name taken", func(r *model.CreateInstanceByEngineReq) { r.Name = "kafka-taken" }, "DMS.00400060"},
		{"description too long", func(r *model.CreateInstanceByEngineReq) { r.Description = str(strings.Repeat("d", 1025)) }, "DMS.00400011"},
		{"unknown version", func(r *model.CreateInstanceByEngineReq) { r.EngineVersion = "0.8" }, "DMS.00400008"},
		{"unknown product", func(r *model.CreateInstanceByEngineReq) { r.ProductId = "c6.1u1g.cluster" }, "DMS.00400009"},
		{"too few brokers", func(r *model.CreateInstanceByEngineReq) { r.BrokerNum = 2 }, "DMS.00400062"},
		{"too many brokers", func(r *model.CreateInstanceByEngineReq) { r.BrokerNum = 31 }, "DMS.00400062"},
		{"storage below range", func(r *model.CreateInstanceByEngineReq) { r.StorageSpace = 200 }, "DMS.00400500"},
		{"storage not a multiple of 100", func(r *model.CreateInstanceByEngineReq) { r.StorageSpace = 350 }, "DMS.00400500"},
		{"storage above range", func(r *model.CreateInstanceByEngineReq) { r.StorageSpace = 300100 }, "DMS.00400500"},
		{"two AZs", func(r *model.CreateInstanceByEngineReq) { r.AvailableZones = r.AvailableZones[:2] }, "DMS.00400062"},
		{"no AZ", func(r *model.CreateInstanceByEngineReq) { r.AvailableZones = []string{} }, "DMS.00400062"},
		{"unknown AZ", func(r *model.CreateInstanceByEngineReq) { r.AvailableZones = []string{"nowhere"} }, "DMS.00400042"},
		{"empty vpc", func(r *model.CreateInstanceByEngineReq) { r.VpcId = "" }, "DMS.00400013"},
		{"empty security group", func(r *model.CreateInstanceByEngineReq) { r.SecurityGroupId = " " }, "DMS.00400014"},
		{"empty subnet", func(r *model.CreateInstanceByEngineReq) { r.SubnetId = "" }, "DMS.00400016"},
		{"unknown storage spec", func(r *model.CreateInstanceByEngineReq) {
			r.StorageSpecCode = model.GetCreateInstanceByEngineReqStorageSpecCodeEnum().DMS_PHYSICAL_STORAGE_GENERAL_TAGHWSHWS_HKDTAX
		}, "DMS.00400125"},
		{"maintenance window not offered", func(r *model.CreateInstanceByEngineReq) { r.MaintainBegin, r.MaintainEnd = str("03:00"), str("07:00") }, "DMS.00400106"},
		{"SASL without a user", func(r *model.CreateInstanceByEngineReq) { r.SslEnable = &yes }, "DMS.00400015"},
		{"SASL with a weak password", func(r *model.CreateInstanceByEngineReq) {
			r.SslEnable, r.AccessUser, r.Password = &yes, str("root1"), str("password")
		}, "DMS.00400012"},
		{"both private SASL modes", func(r *model.CreateInstanceByEngineReq) {
			r.AccessUser, r.Password = str("root1"), str("Passw0rd!x")
			r.PortProtocol = &model.PortProtocol{PrivateSaslSslEnable: &yes, PrivateSaslPlaintextEnable: &yes}
		}, "DMS.00400062"},
		{"public mode without public access", func(r *model.CreateInstanceByEngineReq) {
			r.PortProtocol = &model.PortProtocol{PrivatePlainEnable: &yes, PublicPlainEnable: &yes}
		}, "DMS.00400128"},
		{"more tenant IPs than brokers", func(r *model.CreateInstanceByEngineReq) {
			r.TenantIps = &[]string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}
		}, "DMS.00400062"},
		{"tenant IP outside the pool", func(r *model.CreateInstanceByEngineReq) { r.TenantIps = &[]string{"10.1.2.3"} }, "DMS.00400062"},
		{"tag key starting with sys", func(r *model.CreateInstanceByEngineReq) {
			r.Tags = &[]model.TagEntity{{Key: str("sys-owner"), Value: str("x")}}
		}, "DMS.10240035"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := createReq(e, t, "kafka-valid")
			tt.mutate(req.Body)
			_, err := c.CreateInstanceByEngine(req)
			sdkErr(t, err, 400, tt.code)
		})
	}
	// Several bad fields: one 400 that lists them all, with the first field's code (issue 10).
	req := createReq(e, t, "k")
	req.Body.StorageSpace, req.Body.VpcId, req.Body.SslEnable = 350, "", &yes
	_, err := c.CreateInstanceByEngine(req)
	sdkErr(t, err, 400, "DMS.00400010")
	for _, w := range []string{"5 invalid fields", "DMS.00400010", "DMS.00400500", "DMS.00400013", "DMS.00400015", "DMS.00400012"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("several bad fields: %v lacks %s", err, w)
		}
	}
	// None of the refused requests left an instance behind.
	list, err := c.ListInstances(&model.ListInstancesRequest{})
	if err != nil || deref(list.InstanceNum) != 1 {
		t.Fatalf("instances after refusals: %v, %v", deref(list.InstanceNum), err)
	}
	// Malformed JSON and wrong types are 400 too (raw requests: the SDK cannot send them).
	resp, b := e.do(t, "POST", "/v2/kafka/"+e.ProjectID+"/instances", []byte(`{"name":"kafka-x","broker_num":"three"}`))
	if resp.StatusCode != 400 || decodeError(t, b).ErrorCode != "DMS.00400085" {
		t.Fatalf("wrong type: %d %s", resp.StatusCode, b)
	}
}

func TestListInstancesFiltersAndPaging(t *testing.T) {
	e := newTestEnv(t)
	c := e.kafkaClient(t)
	for _, n := range []string{"kafka-alpha", "kafka-beta", "kafka-alphabet"} {
		if _, err := c.CreateInstanceByEngine(createReq(e, t, n)); err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) *string { return &s }
	exact := model.GetListInstancesRequestExactMatchNameEnum().TRUE
	tests := []struct {
		name  string
		req   model.ListInstancesRequest
		total int32
		names []string
	}{
		{"all", model.ListInstancesRequest{}, 3, []string{"kafka-alpha", "kafka-beta", "kafka-alphabet"}},
		{"fuzzy name", model.ListInstancesRequest{Name: str("alpha")}, 2, []string{"kafka-alpha", "kafka-alphabet"}},
		{"exact name", model.ListInstancesRequest{Name: str("kafka-alpha"), ExactMatchName: &exact}, 1, []string{"kafka-alpha"}},
		{"page 2 of size 2", model.ListInstancesRequest{Offset: str("2"), Limit: str("2")}, 3, []string{"kafka-alphabet"}},
		{"status filter", model.ListInstancesRequest{Status: statusEnum(t, "RESTARTING")}, 0, nil},
	}
	for _, tt := range tests {
		resp, err := c.ListInstances(&tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var names []string
		for _, in := range *resp.Instances {
			names = append(names, deref(in.Name))
		}
		if deref(resp.InstanceNum) != tt.total || strings.Join(names, ",") != strings.Join(tt.names, ",") {
			t.Errorf("%s: %d %v, want %d %v", tt.name, deref(resp.InstanceNum), names, tt.total, tt.names)
		}
	}
	_, err := c.ListInstances(&model.ListInstancesRequest{Limit: str("51")})
	sdkErr(t, err, 400, "DMS.00400062")
}

func statusEnum(t *testing.T, s string) *model.ListInstancesRequestStatus {
	var v model.ListInstancesRequestStatus
	if err := v.UnmarshalJSON([]byte(`"` + s + `"`)); err != nil {
		t.Fatal(err)
	}
	return &v
}

func TestInstanceConfigsTasksTagsAndUpgrade(t *testing.T) {
	e := newTestEnv(t)
	c := e.kafkaClient(t)
	created, err := c.CreateInstanceByEngine(createReq(e, t, "kafka-cfg"))
	if err != nil {
		t.Fatal(err)
	}
	id := deref(created.InstanceId)
	waitInstance(t, c, id, "RUNNING")

	configs := func() map[string]model.InstanceConfig {
		resp, err := c.ShowInstanceConfigs(&model.ShowInstanceConfigsRequest{InstanceId: id})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]model.InstanceConfig{}
		for _, k := range *resp.KafkaConfigs {
			m[deref(k.Name)] = k
		}
		return m
	}
	before := configs()
	if v := deref(before["message.max.bytes"].Value); v != "10485760" {
		t.Fatalf("message.max.bytes = %q, want DMS's default 10485760", v)
	}
	if k := before["num.partitions"]; deref(k.Value) != "3" || k.ConfigType.Value() != "static" {
		t.Fatalf("num.partitions = %+v", k)
	}

	// A dynamic and a static change: the dynamic one live, the static one by a rolling restart.
	name1, val1, name2, val2 := "message.max.bytes", "2097152", "num.partitions", "5"
	mod, err := c.ModifyInstanceConfigs(&model.ModifyInstanceConfigsRequest{InstanceId: id, Body: &model.ModifyInstanceConfigsReq{
		KafkaConfigs: &[]model.ModifyInstanceConfig{{Name: &name1, Value: &val1}, {Name: &name2, Value: &val2}}}})
	if err != nil || deref(mod.DynamicConfig) != 1 || deref(mod.StaticConfig) != 1 {
		t.Fatalf("modify: %+v, %v", mod, err)
	}
	if task := waitTask(t, c, id, deref(mod.JobId)); deref(task.Status) != "SUCCESS" || deref(task.Name) != "modifyInstanceConfigs" {
		t.Fatalf("config task: %+v", task)
	}
	waitInstance(t, c, id, "RUNNING")
	after := configs()
	if deref(after[name1].Value) != val1 || deref(after[name2].Value) != val2 {
		t.Fatalf("after the change: %s=%s %s=%s", name1, deref(after[name1].Value), name2, deref(after[name2].Value))
	}
	badName, badVal := "no.such.config", "1"
	_, err = c.ModifyInstanceConfigs(&model.ModifyInstanceConfigsRequest{InstanceId: id, Body: &model.ModifyInstanceConfigsReq{
		KafkaConfigs: &[]model.ModifyInstanceConfig{{Name: &badName, Value: &badVal}}}})
	sdkErr(t, err, 400, "DMS.00400063")
	outOfRange := "999"
	_, err = c.ModifyInstanceConfigs(&model.ModifyInstanceConfigsRequest{InstanceId: id, Body: &model.ModifyInstanceConfigsReq{
		KafkaConfigs: &[]model.ModifyInstanceConfig{{Name: &name2, Value: &outOfRange}}}})
	sdkErr(t, err, 400, "DMS.00400063")

	// Tasks: listed newest first, deletable once ended.
	tasks, err := c.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: id})
	if err != nil || deref(tasks.TaskCount) != "2" || deref((*tasks.Tasks)[0].Id) != deref(mod.JobId) {
		t.Fatalf("tasks: %+v, %v", tasks, err)
	}
	limit := int32(1)
	one, err := c.ListBackgroundTasks(&model.ListBackgroundTasksRequest{InstanceId: id, Limit: &limit})
	if err != nil || len(*one.Tasks) != 1 || deref(one.TaskCount) != "2" {
		t.Fatalf("tasks limit 1: %+v, %v", one, err)
	}
	// An ended task is 100 % done with nothing left (ShowBackgroundTaskProgress); an unknown one is 404.
	prog, err := c.ShowBackgroundTaskProgress(&model.ShowBackgroundTaskProgressRequest{InstanceId: id, TaskId: deref(mod.JobId)})
	if err != nil || deref(prog.ProgressPercentage) != 100 || prog.RemainTime == nil || *prog.RemainTime != 0 || prog.StepList == nil {
		t.Fatalf("progress: %+v, %v", prog, err)
	}
	_, err = c.ShowBackgroundTaskProgress(&model.ShowBackgroundTaskProgressRequest{InstanceId: id, TaskId: "no-such-task"})
	sdkErr(t, err, 404, "DMS.00404900")
	if _, err := c.DeleteBackgroundTask(&model.DeleteBackgroundTaskRequest{InstanceId: id, TaskId: deref(mod.JobId)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ShowBackgroundTask(&model.ShowBackgroundTaskRequest{InstanceId: id, TaskId: deref(mod.JobId)})
	sdkErr(t, err, 404, "DMS.00404900")

	// Tags: create, replace, list per instance and per project, delete.
	str := func(s string) *string { return &s }
	create := model.GetBatchCreateOrDeleteTagReqActionEnum().CREATE
	if _, err := c.BatchCreateOrDeleteKafkaTag(&model.BatchCreateOrDeleteKafkaTagRequest{InstanceId: id, Body: &model.BatchCreateOrDeleteTagReq{
		Action: &create, Tags: &[]model.TagEntity{{Key: str("env"), Value: str("dev")}, {Key: str("team"), Value: str("a")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BatchCreateOrDeleteKafkaTag(&model.BatchCreateOrDeleteKafkaTagRequest{InstanceId: id, Body: &model.BatchCreateOrDeleteTagReq{
		Action: &create, Tags: &[]model.TagEntity{{Key: str("env"), Value: str("prod")}}}}); err != nil {
		t.Fatal(err)
	}
	del := model.GetBatchCreateOrDeleteTagReqActionEnum().DELETE
	if _, err := c.BatchCreateOrDeleteKafkaTag(&model.BatchCreateOrDeleteKafkaTagRequest{InstanceId: id, Body: &model.BatchCreateOrDeleteTagReq{
		Action: &del, Tags: &[]model.TagEntity{{Key: str("team")}}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ShowKafkaTags(&model.ShowKafkaTagsRequest{InstanceId: id})
	if err != nil || len(*tags.Tags) != 1 || deref((*tags.Tags)[0].Value) != "prod" {
		t.Fatalf("tags: %+v, %v", tags, err)
	}
	ptags, err := c.ShowKafkaProjectTags(&model.ShowKafkaProjectTagsRequest{})
	if err != nil || len(*ptags.Tags) != 1 || deref((*ptags.Tags)[0].Key) != "env" {
		t.Fatalf("project tags: %+v, %v", ptags, err)
	}

	// Upgrade: the instance already runs the build its engine_version maps to.
	_, err = c.UpgradeInstance(&model.UpgradeInstanceRequest{InstanceId: id, Body: &model.UpgradeInstanceReq{}})
	sdkErr(t, err, 400, "DMS.00400053")

	// Unknown instance, and an instance of another project, are 404.
	_, err = c.ShowInstance(&model.ShowInstanceRequest{InstanceId: "00000000-0000-0000-0000-000000000000"})
	sdkErr(t, err, 404, "DMS.00404022")
	other := e.newProject(t, "cn-east-3")
	_, err = e.sdkClient(t, e.AK, e.SK, other).ShowInstance(&model.ShowInstanceRequest{InstanceId: id})
	sdkErr(t, err, 404, "DMS.00404022")

	// Batch delete, then the batch of a deleted instance fails per instance.
	delAct := model.GetBatchRestartOrDeleteInstanceReqActionEnum().DELETE
	res, err := c.BatchRestartOrDeleteInstances(&model.BatchRestartOrDeleteInstancesRequest{Body: &model.BatchRestartOrDeleteInstanceReq{
		Instances: &[]string{id, "00000000-0000-0000-0000-000000000000"}, Action: delAct}})
	if err != nil || deref((*res.Results)[0].Result) != "success" || deref((*res.Results)[1].Result) != "failed" {
		t.Fatalf("batch delete: %+v, %v", res, err)
	}
	resp, b := e.do(t, http.MethodPost, "/v2/"+e.ProjectID+"/instances/action", map[string]any{"action": "explode", "instances": []string{id}})
	if resp.StatusCode != 400 || decodeError(t, b).ErrorCode != "DMS.00400064" {
		t.Fatalf("bad action: %d %s", resp.StatusCode, b)
	}
}
