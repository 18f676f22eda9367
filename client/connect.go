package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// Smart Connect (5.3.1-5.3.9 and ShowConnectorResourceInfo): an instance's connector and its tasks.

// Smart Connect task types (ConnectTaskRequest.SourceType and SinkType).
const (
	ConnectNone        = "NONE"
	ConnectKafkaSource = "KAFKA_REPLICATOR_SOURCE"
	ConnectRedisSource = "REDIS_REPLICATOR_SOURCE"
	ConnectOBSSink     = "OBS_SINK"
	ConnectRedisSink   = "REDIS_REPLICATOR_SINK"
)

// The connector states (ConnectorInfo.Status).
const (
	ConnectorCreating = "CREATING"
	ConnectorRunning  = "RUNNING"
	ConnectorDeleting = "DELETING"
	ConnectorError    = "ERROR"
)

// EnableConnectorRequest is 5.3.1's body; every field is optional (the server's defaults: 2 nodes).
type EnableConnectorRequest struct {
	Specification string `json:"specification,omitempty"` // 100MB, 300MB, 600MB or 1200MB
	NodeCnt       string `json:"node_cnt,omitempty"`
	SpecCode      string `json:"spec_code,omitempty"`
}

// EnableConnector enables Smart Connect on an instance (5.3.1) and returns the id of the task that
// starts its workers and the connector's id.
func (c *Client) EnableConnector(ctx context.Context, instanceID string, req EnableConnectorRequest) (jobID, connectorID string, err error) {
	var out struct {
		JobID       string `json:"job_id"`
		ConnectorID string `json:"connector_id"`
	}
	if err := c.call(ctx, http.MethodPost, instancePath(instanceID, "connector"), req, &out); err != nil {
		return "", "", err
	}
	if out.JobID == "" {
		return "", "", errors.New("client: the server accepted enabling Smart Connect but sent no job_id")
	}
	return out.JobID, out.ConnectorID, nil
}

// DisableConnector disables Smart Connect on an instance (5.3.2) and returns the id of the task
// that removes its workers. The server refuses while the instance has Smart Connect tasks.
func (c *Client) DisableConnector(ctx context.Context, instanceID string) (string, error) {
	var out struct {
		JobID string `json:"job_id"`
	}
	path := "/v2/{project_id}/kafka/instances/" + url.PathEscape(instanceID) + "/delete-connector"
	if err := c.call(ctx, http.MethodPost, path, struct{}{}, &out); err != nil {
		return "", err
	}
	if out.JobID == "" {
		return "", errors.New("client: the server accepted disabling Smart Connect but sent no job_id")
	}
	return out.JobID, nil
}

// ConnectorInfo is ShowConnectorResourceInfo's answer: SoldOut as the SDK has it, the rest
// OpenDMS's additions (Enabled false: Smart Connect is not enabled; the other fields are empty).
type ConnectorInfo struct {
	SoldOut      bool              `json:"soldOut"`
	Enabled      bool              `json:"connector_enable"`
	ConnectorID  string            `json:"connector_id,omitempty"`
	Status       string            `json:"status,omitempty"`
	StatusReason string            `json:"status_reason,omitempty"`
	NodeCount    int               `json:"node_cnt,omitempty"`
	MaxTasks     int               `json:"max_tasks,omitempty"`
	Workers      []ConnectorWorker `json:"workers,omitempty"`
}

// ConnectorWorker is one Kafka Connect worker process of a connector.
type ConnectorWorker struct {
	ID       int32  `json:"id"`
	Host     string `json:"host"`
	Running  bool   `json:"running"`
	Restarts int    `json:"restarts"`
}

// GetConnector shows an instance's Smart Connect (ShowConnectorResourceInfo).
func (c *Client) GetConnector(ctx context.Context, instanceID string) (*ConnectorInfo, error) {
	var out ConnectorInfo
	if err := c.call(ctx, http.MethodGet, instancePath(instanceID, "connector"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ConnectTaskRequest is 5.3.3's body: one side other than NONE, SourceTask for a source type,
// SinkTask for a sink type; Topics or TopicsRegex.
type ConnectTaskRequest struct {
	TaskName    string             `json:"task_name"`
	StartLater  bool               `json:"start_later,omitempty"`
	Topics      string             `json:"topics,omitempty"`
	TopicsRegex string             `json:"topics_regex,omitempty"`
	SourceType  string             `json:"source_type"`
	SourceTask  *ConnectSourceTask `json:"source_task,omitempty"`
	SinkType    string             `json:"sink_type"`
	SinkTask    *ConnectSinkTask   `json:"sink_task,omitempty"`
}

// ConnectSourceTask is a task's source_task (SmartConnectTaskReqSourceConfig; in answers, without
// the passwords). Pointers are the settings whose zero value is a choice of its own.
type ConnectSourceTask struct {
	// Redis source.
	RedisAddress     string `json:"redis_address,omitempty"`
	RedisType        string `json:"redis_type,omitempty"`
	DCSInstanceID    string `json:"dcs_instance_id,omitempty"`
	RedisPassword    string `json:"redis_password,omitempty"`
	SyncMode         string `json:"sync_mode,omitempty"`
	FullSyncWaitMS   *int   `json:"full_sync_wait_ms,omitempty"`
	FullSyncMaxRetry *int   `json:"full_sync_max_retry,omitempty"`
	RateLimit        *int   `json:"ratelimit,omitempty"`
	// Kafka source (replication with the peer Kafka: InstanceID or BootstrapServers).
	CurrentClusterName         string `json:"current_cluster_name,omitempty"`
	ClusterName                string `json:"cluster_name,omitempty"`
	UserName                   string `json:"user_name,omitempty"`
	Password                   string `json:"password,omitempty"`
	SASLMechanism              string `json:"sasl_mechanism,omitempty"`
	InstanceID                 string `json:"instance_id,omitempty"`
	BootstrapServers           string `json:"bootstrap_servers,omitempty"`
	SecurityProtocol           string `json:"security_protocol,omitempty"`
	Direction                  string `json:"direction,omitempty"` // pull, push or two-way
	SyncConsumerOffsetsEnabled *bool  `json:"sync_consumer_offsets_enabled,omitempty"`
	ReplicationFactor          *int   `json:"replication_factor,omitempty"`
	TaskNum                    *int   `json:"task_num,omitempty"`
	RenameTopicEnabled         *bool  `json:"rename_topic_enabled,omitempty"`
	ProvenanceHeaderEnabled    *bool  `json:"provenance_header_enabled,omitempty"`
	ConsumerStrategy           string `json:"consumer_strategy,omitempty"`
	CompressionType            string `json:"compression_type,omitempty"`
	TopicsMapping              string `json:"topics_mapping,omitempty"`
}

// ConnectSinkTask is a task's sink_task (SmartConnectTaskReqSinkConfig; in answers, without the
// keys and the password, with the defaults filled in).
type ConnectSinkTask struct {
	// Redis sink.
	RedisAddress  string `json:"redis_address,omitempty"`
	RedisType     string `json:"redis_type,omitempty"`
	DCSInstanceID string `json:"dcs_instance_id,omitempty"`
	RedisPassword string `json:"redis_password,omitempty"`
	TargetDB      *int   `json:"target_db,omitempty"`
	// OBS (S3) sink.
	ConsumerStrategy    string  `json:"consumer_strategy,omitempty"`
	DestinationFileType string  `json:"destination_file_type,omitempty"`
	DeliverTimeInterval *int    `json:"deliver_time_interval,omitempty"`
	AccessKey           string  `json:"access_key,omitempty"`
	SecretKey           string  `json:"secret_key,omitempty"`
	OBSBucketName       string  `json:"obs_bucket_name,omitempty"`
	OBSPath             string  `json:"obs_path,omitempty"`
	PartitionFormat     string  `json:"partition_format,omitempty"`
	RecordDelimiter     *string `json:"record_delimiter,omitempty"`
	StoreKeys           *bool   `json:"store_keys,omitempty"`
	OBSPartSize         *int    `json:"obs_part_size,omitempty"`
	FlushSize           *int    `json:"flush_size,omitempty"`
	Timezone            string  `json:"timezone,omitempty"`
	KVDelimiter         string  `json:"kv_delimiter,omitempty"`
}

// ConnectTask is a Smart Connect task as 5.3.3-5.3.5 show it (SmartConnectTaskEntity): Status
// RUNNING, PAUSED, WAITING or ERROR. StatusDetail and Connectors are OpenDMS's: why a task is in
// ERROR or WAITING, and the state of its connectors.
type ConnectTask struct {
	ID           string                 `json:"id"`
	TaskName     string                 `json:"task_name"`
	Topics       string                 `json:"topics"`
	TopicsRegex  string                 `json:"topics_regex"`
	SourceType   string                 `json:"source_type"`
	SourceTask   *ConnectSourceTask     `json:"source_task"`
	SinkType     string                 `json:"sink_type"`
	SinkTask     *ConnectSinkTask       `json:"sink_task"`
	Status       string                 `json:"status"`
	CreateTime   int64                  `json:"create_time"` // Unix ms
	StatusDetail string                 `json:"status_detail,omitempty"`
	Connectors   []ConnectConnectorPart `json:"connectors,omitempty"`
}

// ConnectConnectorPart is the state of one connector of a task, or of one of its tasks.
type ConnectConnectorPart struct {
	Name  string                 `json:"name"`
	State string                 `json:"state"`
	Trace string                 `json:"trace,omitempty"`
	Tasks []ConnectConnectorPart `json:"tasks,omitempty"`
}

// ConnectTaskPage is 5.3.4's answer.
type ConnectTaskPage struct {
	Tasks       []ConnectTask `json:"tasks"`
	TotalNumber int           `json:"total_number"`
	MaxTasks    int           `json:"max_tasks"`
	QuotaTasks  int           `json:"quota_tasks"`
}

func connectTaskPath(instanceID string, elems ...string) string {
	return instancePath(instanceID, append([]string{"connector", "tasks"}, elems...)...)
}

// CreateConnectTask creates a Smart Connect task (5.3.3); it starts at once unless StartLater.
func (c *Client) CreateConnectTask(ctx context.Context, instanceID string, req ConnectTaskRequest) (*ConnectTask, error) {
	var out ConnectTask
	if err := c.call(ctx, http.MethodPost, connectTaskPath(instanceID), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListConnectTasks lists an instance's Smart Connect tasks (5.3.4): limit 0 is the server's
// default page (10); the server allows at most 50.
func (c *Client) ListConnectTasks(ctx context.Context, instanceID string, offset, limit int) (*ConnectTaskPage, error) {
	q := url.Values{}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	resp, err := c.Do(ctx, http.MethodGet, connectTaskPath(instanceID), q, nil)
	if err != nil {
		return nil, err
	}
	var out ConnectTaskPage
	if err := resp.Decode(&out); err != nil {
		return nil, err
	}
	if out.Tasks == nil {
		out.Tasks = []ConnectTask{}
	}
	return &out, nil
}

// GetConnectTask shows one Smart Connect task (5.3.5).
func (c *Client) GetConnectTask(ctx context.Context, instanceID, taskID string) (*ConnectTask, error) {
	var out ConnectTask
	if err := c.call(ctx, http.MethodGet, connectTaskPath(instanceID, taskID), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteConnectTask deletes a Smart Connect task (5.3.6).
func (c *Client) DeleteConnectTask(ctx context.Context, instanceID, taskID string) error {
	return c.call(ctx, http.MethodDelete, connectTaskPath(instanceID, taskID), nil, nil)
}

// PauseConnectTask pauses a running Smart Connect task (5.3.7).
func (c *Client) PauseConnectTask(ctx context.Context, instanceID, taskID string) error {
	return c.call(ctx, http.MethodPut, connectTaskPath(instanceID, taskID, "pause"), nil, nil)
}

// ResumeConnectTask resumes a paused Smart Connect task where it stopped (5.3.8).
func (c *Client) ResumeConnectTask(ctx context.Context, instanceID, taskID string) error {
	return c.call(ctx, http.MethodPut, connectTaskPath(instanceID, taskID, "resume"), nil, nil)
}

// RestartConnectTask starts a Smart Connect task from scratch (5.3.9): a task created with
// StartLater starts; a started one resets its progress.
func (c *Client) RestartConnectTask(ctx context.Context, instanceID, taskID string) error {
	return c.call(ctx, http.MethodPut, connectTaskPath(instanceID, taskID, "restart"), nil, nil)
}
