package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// ReassignRequest is the body of 5.2.11: one entry per topic, a manual assignment or automatic
// placement on brokers; Throttle in bytes/s per broker (0: none).
type ReassignRequest struct {
	Reassignments []ReassignEntry `json:"reassignments"`
	Throttle      int64           `json:"throttle,omitempty"`
	IsSchedule    bool            `json:"is_schedule,omitempty"`
	ExecuteAt     int64           `json:"execute_at,omitempty"` // Unix ms
	TimeEstimate  bool            `json:"time_estimate,omitempty"`
}

// ReassignEntry is one topic of a ReassignRequest: Assignment (manual), or Brokers with
// ReplicationFactor (automatic; 0 keeps the topic's).
type ReassignEntry struct {
	Topic             string               `json:"topic"`
	Brokers           []int32              `json:"brokers,omitempty"`
	ReplicationFactor int                  `json:"replication_factor,omitempty"`
	Assignment        []ReassignAssignment `json:"assignment,omitempty"`
}

// ReassignAssignment is one partition's replicas in a manual plan, the first the leader.
type ReassignAssignment struct {
	Partition        int32   `json:"partition"`
	PartitionBrokers []int32 `json:"partition_brokers"`
}

// ReassignResult is 5.2.11's answer: the task of a reassignment, or the estimate (seconds) of a
// time_estimate request.
type ReassignResult struct {
	JobID            string `json:"job_id,omitempty"`
	ReassignmentTime *int   `json:"reassignment_time,omitempty"`
}

// Reassign starts a partition reassignment (5.2.11), or estimates its time with TimeEstimate.
func (c *Client) Reassign(ctx context.Context, instanceID string, req ReassignRequest) (*ReassignResult, error) {
	var out ReassignResult
	if err := c.call(ctx, http.MethodPost, "/v2/kafka/{project_id}/instances/"+url.PathEscape(instanceID)+"/reassign", req, &out); err != nil {
		return nil, err
	}
	if req.TimeEstimate && out.ReassignmentTime == nil {
		return nil, errors.New("client: the server sent no reassignment_time for the estimate")
	}
	if !req.TimeEstimate && out.JobID == "" {
		return nil, errors.New("client: the server accepted the reassignment but sent no job_id")
	}
	return &out, nil
}

// RebalanceRequest is OpenDMS's whole-instance rebalance: every partition planned together over
// Brokers (none: all), onto NewBrokers only when given (after adding brokers); Throttle in bytes/s
// per broker (0: none).
type RebalanceRequest struct {
	Brokers      []int32 `json:"brokers,omitempty"`
	NewBrokers   []int32 `json:"new_brokers,omitempty"`
	Throttle     int64   `json:"throttle,omitempty"`
	TimeEstimate bool    `json:"time_estimate,omitempty"`
}

// Rebalance starts a rebalance of every partition of the instance (POST
// /opendms/v1/{project_id}/instances/{id}/rebalance: a reassignPartitions task), or estimates its
// time with TimeEstimate.
func (c *Client) Rebalance(ctx context.Context, instanceID string, req RebalanceRequest) (*ReassignResult, error) {
	var out ReassignResult
	if err := c.call(ctx, http.MethodPost, "/opendms/v1/{project_id}/instances/"+url.PathEscape(instanceID)+"/rebalance", req, &out); err != nil {
		return nil, err
	}
	if req.TimeEstimate && out.ReassignmentTime == nil {
		return nil, errors.New("client: the server sent no reassignment_time for the estimate")
	}
	if !req.TimeEstimate && out.JobID == "" {
		return nil, errors.New("client: the server accepted the rebalance but sent no job_id")
	}
	return &out, nil
}

// PartitionReplicas is one partition's new replicas in 5.2.8, the first the leader.
type PartitionReplicas struct {
	Partition int32   `json:"partition"`
	Replicas  []int32 `json:"replicas"`
}

// ReassignTopicReplicas is 5.2.8: one topic's manual plan. The server answers no task id; the
// task shows in ListTasks.
func (c *Client) ReassignTopicReplicas(ctx context.Context, instanceID, topic string, parts []PartitionReplicas) error {
	return c.call(ctx, http.MethodPost, instancePath(instanceID, "management", "topics", topic, "replicas-reassignment"),
		map[string]any{"partitions": parts}, nil)
}

// ClusterBrokers returns the ids of the brokers of the instance's cluster, sorted (the SDK's
// ShowKafkaCluster).
func (c *Client) ClusterBrokers(ctx context.Context, instanceID string) ([]int32, error) {
	var out struct {
		Cluster struct {
			Brokers []struct {
				BrokerID string `json:"broker_id"`
			} `json:"brokers"`
		} `json:"cluster"`
	}
	if err := c.call(ctx, http.MethodGet, instancePath(instanceID, "manage", "cluster"), nil, &out); err != nil {
		return nil, err
	}
	var ids []int32
	for _, b := range out.Cluster.Brokers {
		id, err := strconv.ParseInt(b.BrokerID, 10, 32)
		if err != nil {
			return nil, errors.New("client: the server answered a broker id that is not a number: " + b.BrokerID)
		}
		ids = append(ids, int32(id))
	}
	slices.Sort(ids)
	return ids, nil
}
