package httpapi

import (
	"context"
	"slices"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kafka/v2/model"

	"github.com/opendms/opendms/internal/dms"
)

// A topic name Kafka refuses is the same error on every API that takes a topic: 400
// DMS.00400101, whether the topic APIs' own rule or the cluster said so (messages once answered
// "topic does not exist" where topics answered "invalid name").
func TestInvalidTopicNameIsOneError(t *testing.T) {
	ce := newClusterEnv(t, "kafka-err-names")
	const bad = "bad!topic" // '!' is outside Kafka's [a-zA-Z0-9._-]
	calls := []struct {
		name string
		call func() error
	}{
		{"5.5.2 create topic", func() error {
			_, err := ce.sdk.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: ce.id, Body: &model.CreateInstanceTopicReq{Id: bad}})
			return err
		}},
		{"5.5.x topic detail", func() error {
			_, err := ce.sdk.ShowInstanceTopicDetail(&model.ShowInstanceTopicDetailRequest{InstanceId: ce.id, Topic: bad})
			return err
		}},
		{"topic partitions", func() error {
			_, err := ce.sdk.ListTopicPartitions(&model.ListTopicPartitionsRequest{InstanceId: ce.id, Topic: bad})
			return err
		}},
		{"5.5.1 produce", func() error {
			_, err := ce.sdk.SendKafkaMessage(&model.SendKafkaMessageRequest{InstanceId: ce.id, ActionId: "send",
				Body: &model.SendKafkaMessageRequestBody{Topic: bad, Body: "x", PropertyList: []model.SendKafkaMessageRequestBodyPropertyList{}}})
			return err
		}},
		{"5.8.6 delete messages", func() error {
			_, err := ce.sdk.DeleteKafkaTopicMessages(&model.DeleteKafkaTopicMessagesRequest{InstanceId: ce.id, Topic: bad,
				Body: &model.DeleteKafkaMessageRequestBody{Partitions: &[]model.PartitionOffsetEntity{{Partition: tpI32(0), Offset: tpI32(1)}}}})
			return err
		}},
		{"5.8.1 query messages", func() error {
			_, err := ce.sdk.ShowInstanceMessages(&model.ShowInstanceMessagesRequest{InstanceId: ce.id, Topic: bad,
				StartTime: msgStr("0"), EndTime: msgStr("1700000000000")})
			return err
		}},
		{"5.8.4 partition beginning", func() error {
			_, err := ce.sdk.ShowPartitionBeginningMessage(&model.ShowPartitionBeginningMessageRequest{InstanceId: ce.id, Topic: bad, Partition: 0})
			return err
		}},
		{"5.8.5 partition end", func() error {
			_, err := ce.sdk.ShowPartitionEndMessage(&model.ShowPartitionEndMessageRequest{InstanceId: ce.id, Topic: bad, Partition: 0})
			return err
		}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			sdkErr(t, tt.call(), 400, dms.CodeTopicNameInvalid)
		})
	}
}

// A data-plane or cluster call on an instance that is not RUNNING answers the reference's status
// error (400 DMS.00400026) at once, instead of waiting out the Kafka client's timeout on brokers
// that are down and answering 500.
func TestNotRunningInstanceRefusesClusterCalls(t *testing.T) {
	ce := newClusterEnv(t, "kafka-err-status")
	ce.create(t, &model.CreateInstanceTopicReq{Id: "status-topic", Partition: tpI32(1)})
	calls := []struct {
		name string
		call func() error
	}{
		{"5.5.3 list topics", func() error {
			_, err := ce.sdk.ListInstanceTopics(&model.ListInstanceTopicsRequest{InstanceId: ce.id})
			return err
		}},
		{"5.5.2 create topic", func() error {
			_, err := ce.sdk.CreateInstanceTopic(&model.CreateInstanceTopicRequest{InstanceId: ce.id, Body: &model.CreateInstanceTopicReq{Id: "another-topic"}})
			return err
		}},
		{"5.5.1 produce", func() error {
			_, err := ce.sdk.SendKafkaMessage(&model.SendKafkaMessageRequest{InstanceId: ce.id, ActionId: "send",
				Body: &model.SendKafkaMessageRequestBody{Topic: "status-topic", Body: "x", PropertyList: []model.SendKafkaMessageRequestBodyPropertyList{}}})
			return err
		}},
		{"5.8.5 partition end", func() error {
			_, err := ce.sdk.ShowPartitionEndMessage(&model.ShowPartitionEndMessageRequest{InstanceId: ce.id, Topic: "status-topic", Partition: 0})
			return err
		}},
		{"5.6.2 list groups", func() error {
			_, err := ce.sdk.ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: ce.id})
			return err
		}},
		{"5.2.6 cluster", func() error {
			_, err := ce.sdk.ShowCluster(&model.ShowClusterRequest{InstanceId: ce.id})
			return err
		}},
		{"5.2.7 coordinators", func() error {
			_, err := ce.sdk.ShowCoordinators(&model.ShowCoordinatorsRequest{InstanceId: ce.id})
			return err
		}},
	}
	check := func(t *testing.T) {
		for _, tt := range calls {
			t.Run(tt.name, func(t *testing.T) {
				sdkErr(t, tt.call(), 400, dms.CodeInstanceStatusForbids)
			})
		}
	}

	// RESTARTING, during a real restart (held before the brokers go down): the brokers are all up
	// here, the call is refused for the status alone, as DMS does.
	t.Run("RESTARTING", func(t *testing.T) {
		release := ce.Gate.hold()
		res, err := ce.sdk.BatchRestartOrDeleteInstances(&model.BatchRestartOrDeleteInstancesRequest{Body: &model.BatchRestartOrDeleteInstanceReq{
			Instances: &[]string{ce.id}, Action: model.GetBatchRestartOrDeleteInstanceReqActionEnum().RESTART}})
		if err != nil || deref((*res.Results)[0].Result) != "success" {
			release()
			t.Fatalf("restart: %+v, %v", res, err)
		}
		waitInstance(t, ce.sdk, ce.id, "RESTARTING")
		check(t)
		release()
		waitInstance(t, ce.sdk, ce.id, "RUNNING")
	})

	// ERROR for real: the brokers are stopped and the monitor marks the instance.
	t.Run("ERROR", func(t *testing.T) {
		if err := ce.Engine.Stop(context.Background(), ce.id); err != nil {
			t.Fatal(err)
		}
		waitInstance(t, ce.sdk, ce.id, "ERROR")
		check(t)
	})
}

// 5.2.7 shows the coordinator of every group 5.6.2 lists, the groups created through 5.6.4 that no
// consumer has used yet included, and 5.2.6 counts them.
func TestCoordinatorsOfCreatedGroups(t *testing.T) {
	ce := newClusterEnv(t, "kafka-err-coords")
	for _, g := range []string{"created-one", "created-two"} {
		if _, err := ce.sdk.CreateKafkaConsumerGroup(&model.CreateKafkaConsumerGroupRequest{InstanceId: ce.id,
			Body: &model.CreateGroupReq{GroupName: g}}); err != nil {
			t.Fatal(err)
		}
	}
	listed, err := ce.sdk.ListInstanceConsumerGroups(&model.ListInstanceConsumerGroupsRequest{InstanceId: ce.id})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range deref(listed.Groups) {
		names = append(names, deref(g.GroupId))
	}
	if !slices.Equal(names, []string{"created-one", "created-two"}) {
		t.Fatalf("5.6.2 lists %v", names)
	}

	resp, err := ce.sdk.ShowCoordinators(&model.ShowCoordinatorsRequest{InstanceId: ce.id})
	if err != nil {
		t.Fatal(err)
	}
	found := ce.adm.FindGroupCoordinators(tctx(t), names...)
	var shown []string
	for _, c := range deref(resp.Coordinators) {
		g := deref(c.GroupId)
		shown = append(shown, g)
		if want := found[g]; want.Err != nil || deref(c.Id) != want.NodeID || deref(c.Host) == "" || deref(c.Port) != 9092 {
			t.Errorf("coordinator of %s: id %d host %q port %d, want id %d (%v)", g, deref(c.Id), deref(c.Host), deref(c.Port), want.NodeID, want.Err)
		}
	}
	if !slices.Equal(shown, names) {
		t.Errorf("5.2.7 shows the coordinators of %v, want those of every group 5.6.2 lists: %v", shown, names)
	}

	cluster, err := ce.sdk.ShowCluster(&model.ShowClusterRequest{InstanceId: ce.id})
	if err != nil {
		t.Fatal(err)
	}
	if n := deref(deref(cluster.Cluster).ConsumersCount); n != int32(len(names)) {
		t.Errorf("5.2.6 consumers_count = %d, want %d", n, len(names))
	}
}
