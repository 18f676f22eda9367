package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/diagnosis"
	"github.com/opendms/opendms/internal/dms"
)

// produceTo writes n records to one partition.
func produceTo(t *testing.T, ce *clusterEnv, topic string, partition int32, n int) {
	t.Helper()
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Topic: topic, Partition: partition, Value: []byte("v")}
	}
	if err := ce.kcl.ProduceSync(tctx(t), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// waitReport polls the report list until the report is no longer diagnosing.
func waitReport(t *testing.T, ce *clusterEnv, id string) model.KafkaMessageDiagnosisReportInfoEntity {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := ce.sdk.ListMessageDiagnosisReports(&model.ListMessageDiagnosisReportsRequest{InstanceId: ce.id, Limit: tpI32(50)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range deref(resp.ReportList) {
			if r.ReportId == id && r.Status.Value() != string(dms.DiagnosisDiagnosing) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("report %s still diagnosing: %+v", id, resp)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// reportItems indexes a report's items by name.
func reportItems(t *testing.T, ce *clusterEnv, id string) (*model.ShowMessageDiagnosisReportResponse, map[string]model.KafkaMessageDiagnosisItemEntity) {
	t.Helper()
	rep, err := ce.sdk.ShowMessageDiagnosisReport(&model.ShowMessageDiagnosisReportRequest{InstanceId: ce.id, ReportId: id})
	if err != nil {
		t.Fatal(err)
	}
	items := map[string]model.KafkaMessageDiagnosisItemEntity{}
	for _, d := range deref(rep.DiagnosisDimensionList) {
		for _, it := range d.DiagnosisItemList {
			items[it.Name] = it
		}
	}
	return rep, items
}

func causeIDs(it model.KafkaMessageDiagnosisItemEntity) []int32 {
	var ids []int32
	for _, c := range deref(it.CauseIds) {
		ids = append(ids, c.Id)
	}
	return ids
}

func TestDiagnosisAPI(t *testing.T) {
	ce := newClusterEnv(t, "diagnosis-api")
	ce.create(t, &model.CreateInstanceTopicReq{Id: "orders", Partition: tpI32(6)})
	for p := range int32(6) {
		produceTo(t, ce, "orders", p, 10)
	}
	// "stalled": consumed everything, then its consumers left; new records pile up on partitions 1
	// and 2 only.
	commitAdmin(t, ce, "stalled", "orders", map[int32]int64{0: 10, 1: 10, 2: 10, 3: 10, 4: 10, 5: 10})
	produceTo(t, ce, "orders", 1, 200)
	produceTo(t, ce, "orders", 2, 150)
	// "stuck": one member holds all six partitions, polls, and never commits.
	startMember(t, ce, "stuck", "orders", "stuck-member")
	waitGroup(t, ce, "stuck", "stable with all partitions assigned", func(d kadm.DescribedGroup) bool {
		return d.State == "Stable" && len(d.AssignedPartitions()["orders"]) == 6
	})

	t.Run("pre-check", func(t *testing.T) {
		resp, err := ce.sdk.ShowDiagnosisPreCheck(&model.ShowDiagnosisPreCheckRequest{InstanceId: ce.id, Group: "stalled", Topic: "orders"})
		if err != nil {
			t.Fatal(err)
		}
		checks := map[string]model.KafkaDiagnosisCheckEntity{}
		for _, c := range deref(resp.Body) {
			checks[c.Name] = c
		}
		if c := checks[diagnosis.CheckBroker]; !c.Success {
			t.Errorf("BROKER: %+v", c)
		}
		if c := checks[diagnosis.CheckSubscription]; c.Success || c.Reason != "0,1,2,3,4,5" {
			t.Errorf("SUBSCRIPTION: %+v", c)
		}
		var lags map[string]int64
		if c := checks[diagnosis.CheckLag]; c.Success || json.Unmarshal([]byte(c.Reason), &lags) != nil || lags["1"] != 200 || lags["2"] != 150 || len(lags) != 2 {
			t.Errorf("LAG: %+v", c)
		}
		var rate map[string]float64
		if c := checks[diagnosis.CheckProduce]; c.Success || json.Unmarshal([]byte(c.Reason), &rate) != nil || len(rate) != 1 {
			t.Errorf("PRODUCE (records produced in the last minute onto a backlog): %+v", c)
		}
		for _, v := range rate {
			if v != 6.83 { // 6 x 10 + 200 + 150 records in the last minute
				t.Errorf("PRODUCE rate %v records/s, want 410/60 = 6.83", v)
			}
		}
		// The stuck group is subscribed to every partition.
		resp, err = ce.sdk.ShowDiagnosisPreCheck(&model.ShowDiagnosisPreCheckRequest{InstanceId: ce.id, Group: "stuck", Topic: "orders"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range deref(resp.Body) {
			if c.Name == diagnosis.CheckSubscription && !c.Success {
				t.Errorf("stuck SUBSCRIPTION: %+v", c)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := ce.sdk.ShowDiagnosisPreCheck(&model.ShowDiagnosisPreCheckRequest{InstanceId: ce.id, Group: "nope", Topic: "orders"})
		sdkErr(t, err, http.StatusNotFound, dms.CodeGroupNotFound)
		_, err = ce.sdk.ShowDiagnosisPreCheck(&model.ShowDiagnosisPreCheckRequest{InstanceId: ce.id, Group: "stalled", Topic: "nope"})
		sdkErr(t, err, http.StatusBadRequest, dms.CodeTopicNotExist)
		_, err = ce.sdk.ShowDiagnosisPreCheck(&model.ShowDiagnosisPreCheckRequest{InstanceId: ce.id, Group: "stalled", Topic: ""})
		sdkErr(t, err, http.StatusBadRequest, dms.CodeInvalidParameter)
		for _, body := range []model.CreateMessageDiagnosisTaskReq{{GroupName: "nope", TopicName: "orders"}, {GroupName: "stalled", TopicName: "nope"}, {GroupName: "", TopicName: "orders"}} {
			_, err = ce.sdk.CreateMessageDiagnosisTask(&model.CreateMessageDiagnosisTaskRequest{InstanceId: ce.id, Body: &body})
			switch {
			case body.GroupName == "nope":
				sdkErr(t, err, http.StatusNotFound, dms.CodeGroupNotFound)
			case body.TopicName == "nope":
				sdkErr(t, err, http.StatusBadRequest, dms.CodeTopicNotExist)
			default:
				sdkErr(t, err, http.StatusBadRequest, dms.CodeInvalidParameter)
			}
		}
		_, err = ce.sdk.ShowMessageDiagnosisReport(&model.ShowMessageDiagnosisReportRequest{InstanceId: ce.id, ReportId: "nope"})
		sdkErr(t, err, http.StatusNotFound, dms.CodeResourceNotFound)
		_, err = ce.sdk.BatchDeleteMessageDiagnosisReports(&model.BatchDeleteMessageDiagnosisReportsRequest{InstanceId: ce.id,
			Body: &model.BatchDeleteMessageDiagnosisReportsReq{ReportIdList: []string{}}})
		sdkErr(t, err, http.StatusBadRequest, dms.CodeInvalidParameter)
		_, err = ce.sdk.ListMessageDiagnosisReports(&model.ListMessageDiagnosisReportsRequest{InstanceId: "00000000-0000-0000-0000-000000000000"})
		sdkErr(t, err, http.StatusNotFound, dms.CodeInstanceNotFound)
	})

	create := func(group string) string {
		t.Helper()
		resp, err := ce.sdk.CreateMessageDiagnosisTask(&model.CreateMessageDiagnosisTaskRequest{InstanceId: ce.id,
			Body: &model.CreateMessageDiagnosisTaskReq{GroupName: group, TopicName: "orders"}})
		if err != nil || deref(resp.ReportId) == "" {
			t.Fatalf("create diagnosis of %s: %+v, %v", group, resp, err)
		}
		return deref(resp.ReportId)
	}
	stalled, stuck := create("stalled"), create("stuck")
	if again := create("stalled"); again != stalled {
		t.Errorf("a second diagnosis of a running group/topic = %s, want the running %s", again, stalled)
	}

	// While diagnosing: listed without end_time; details have no items yet.
	list, err := ce.sdk.ListMessageDiagnosisReports(&model.ListMessageDiagnosisReportsRequest{InstanceId: ce.id})
	if err != nil {
		t.Fatal(err)
	}
	if deref(list.TotalNum) != 2 || len(deref(list.ReportList)) != 2 {
		t.Fatalf("list while diagnosing: %+v", list)
	}
	for _, r := range deref(list.ReportList) {
		if r.Status.Value() != "diagnosing" || r.EndTime != nil || r.TopicName != "orders" {
			t.Errorf("diagnosing report: %+v", r)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", r.BeginTime); err != nil {
			t.Errorf("begin_time %q: %v", r.BeginTime, err)
		}
	}

	t.Run("stalled group", func(t *testing.T) {
		r := waitReport(t, ce, stalled)
		if r.Status.Value() != "abnormal" || r.AccumulatedPartitions != 2 || r.EndTime == nil || r.GroupName != "stalled" {
			t.Errorf("report: %+v", r)
		}
		rep, items := reportItems(t, ce, stalled)
		if it := items[diagnosis.ItemConsumerOnline]; it.Result != "abnormal" || !slices.Equal(deref(it.Partitions), []int32{1, 2}) ||
			!slices.Equal(causeIDs(it), []int32{dms.CauseNoActiveConsumer}) || len(deref(it.AdviceIds)) == 0 {
			t.Errorf("consumer_online: %+v", it)
		}
		if it := items[diagnosis.ItemBacklogSkew]; it.Result != "abnormal" || !slices.Equal(deref(it.Partitions), []int32{1, 2}) || len(deref(it.BrokerIds)) == 0 {
			t.Errorf("backlog_skew: %+v", it)
		}
		for _, name := range []string{diagnosis.ItemBrokerStatus, diagnosis.ItemPartitionLeader, diagnosis.ItemReplicaSync, diagnosis.ItemRebalance} {
			if it := items[name]; it.Result != "normal" {
				t.Errorf("%s: %+v", name, it)
			}
		}
		if deref(rep.AbnormalItemNum) != 2 || deref(rep.FailedItemNum) != 0 || deref(rep.NormalItemNum) != 9 {
			t.Errorf("counts: abnormal %d failed %d normal %d", deref(rep.AbnormalItemNum), deref(rep.FailedItemNum), deref(rep.NormalItemNum))
		}
	})

	t.Run("member that never commits", func(t *testing.T) {
		r := waitReport(t, ce, stuck)
		if r.Status.Value() != "abnormal" || r.AccumulatedPartitions != 6 {
			t.Errorf("report: %+v", r)
		}
		_, items := reportItems(t, ce, stuck)
		all := []int32{0, 1, 2, 3, 4, 5}
		if it := items[diagnosis.ItemCommitProgress]; it.Result != "abnormal" || !slices.Equal(deref(it.Partitions), all) {
			t.Errorf("commit_progress: %+v", it)
		}
		if it := items[diagnosis.ItemConsumerCount]; it.Result != "abnormal" || !slices.Equal(causeIDs(it), []int32{dms.CauseFewerConsumers}) {
			t.Errorf("consumer_count: %+v", it)
		}
		for _, name := range []string{diagnosis.ItemConsumerOnline, diagnosis.ItemSubscription} {
			if it := items[name]; it.Result != "normal" {
				t.Errorf("%s: %+v", name, it)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		resp, err := ce.sdk.BatchDeleteMessageDiagnosisReports(&model.BatchDeleteMessageDiagnosisReportsRequest{InstanceId: ce.id,
			Body: &model.BatchDeleteMessageDiagnosisReportsReq{ReportIdList: []string{stuck, "nope"}}})
		if err != nil {
			t.Fatal(err)
		}
		res := deref(resp.Results)
		if len(res) != 2 || res[0].Id != stuck || !res[0].Result || res[1].Id != "nope" || res[1].Result {
			t.Errorf("delete results: %+v", res)
		}
		list, err := ce.sdk.ListMessageDiagnosisReports(&model.ListMessageDiagnosisReportsRequest{InstanceId: ce.id})
		if err != nil {
			t.Fatal(err)
		}
		if deref(list.TotalNum) != 1 || deref(list.ReportList)[0].ReportId != stalled {
			t.Errorf("list after delete: %+v", list)
		}
		_, err = ce.sdk.ShowMessageDiagnosisReport(&model.ShowMessageDiagnosisReportRequest{InstanceId: ce.id, ReportId: stuck})
		sdkErr(t, err, http.StatusNotFound, dms.CodeResourceNotFound)
	})

	t.Run("a diagnosis survives a restart of the service", func(t *testing.T) {
		id := create("stalled")
		ce.Diagnosis.Close() // dmsd stopping mid-diagnosis: the report stays diagnosing
		if r, err := ce.Store.GetDiagnosis(tctx(t), id); err != nil || r.Status != dms.DiagnosisDiagnosing {
			t.Fatalf("after stop: %+v, %v", r, err)
		}
		next := diagnosis.New(ce.Instances, ce.Groups, ce.Store, testDiagnosis, nil)
		t.Cleanup(next.Close)
		if err := next.Start(tctx(t)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			r, err := next.Get(tctx(t), ce.ProjectID, ce.id, id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != dms.DiagnosisDiagnosing {
				if r.Status != dms.DiagnosisAbnormal || r.AccumulatedPartitions != 2 {
					t.Errorf("resumed report: %+v", r)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the resumed diagnosis never finished")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}
