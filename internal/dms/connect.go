package dms

import "time"

// Smart Connect (5.3.x, 7.2.4.x): an instance's connector (Kafka Connect workers that run
// MirrorMaker 2 connectors) and its tasks (Kafka replication, dumps to object storage, Redis
// sinks and sources).

// DMS error codes of Smart Connect (error-codes.tsv).
const (
	CodeConnectorTaskQuotaInvalid = "DMS.00400133" // 7.2.4.1: the dump-task quota cannot be changed
	CodeConnectTaskCreateFailed   = "DMS.00400867"
	CodeConnectTaskStopFailed     = "DMS.00400868"
	CodeConnectTaskStartFailed    = "DMS.00400869"
	CodeConnectTaskVerifyFailed   = "DMS.00400870" // ValidateConnectorConnectivity: the peer was not reached
	CodeConnectTaskRestartFailed  = "DMS.00400872"
	CodeConnectTaskModifyFailed   = "DMS.00400873"
	CodeConnectTopicInUse         = "DMS.00400874"
	CodeConnectRedisTypeMismatch  = "DMS.00400875"
	CodeConnectorNotFound         = "DMS.00404024"
	CodeConnectTaskNotFound       = "DMS.00404026"
	CodeConnectorExists           = "DMS.00404027"
	CodeConnectTaskQuota          = "DMS.00404029"
	CodeConnectTasksExist         = "DMS.00501012"
)

// Smart Connect task types (5.3.3's source_type and sink_type; NONE is the other side of a task
// that has one).
const (
	ConnectNone        = "NONE"
	ConnectKafkaSource = "KAFKA_REPLICATOR_SOURCE"
	ConnectRedisSource = "REDIS_REPLICATOR_SOURCE"
	ConnectOBSSink     = "OBS_SINK"
	ConnectRedisSink   = "REDIS_REPLICATOR_SINK"
)

// The states of a connector (SmartConnect.Status).
const (
	ConnectorCreating = "CREATING"
	ConnectorRunning  = "RUNNING"
	ConnectorDeleting = "DELETING"
	ConnectorError    = "ERROR"
)

// The states of a Smart Connect task as 5.3.4/5.3.5 show them. A task's desired state is stored
// (ConnectTask.State: WAITING until first started, RUNNING or PAUSED); what the APIs show is
// what is really running: RUNNING, PAUSED, WAITING (not started, or not yet assigned to a worker)
// or ERROR (failed: ConnectTask.Error says why).
const (
	ConnectTaskRunning = "RUNNING"
	ConnectTaskPaused  = "PAUSED"
	ConnectTaskWaiting = "WAITING"
	ConnectTaskError   = "ERROR"
)

// SmartConnect is an instance's connector: enabled by 5.3.1, disabled by 5.3.2. Nodes are the
// Kafka Connect workers (each on its own IP of the pool, like a broker); instances whose engine
// runs no workers (embedded) have none and run only the tasks dmsd itself executes (dumps, Redis).
type SmartConnect struct {
	ID        string       `json:"id"`
	Nodes     []BrokerAddr `json:"nodes,omitempty"`
	NodeCount int          `json:"node_count"`
	Status    string       `json:"status"`
	// StatusReason says why the connector is in ERROR.
	StatusReason string    `json:"status_reason,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	// MaxTasks is the dump-task quota (7.2.4.1, 5.3.4's max_tasks/quota_tasks).
	MaxTasks int `json:"max_tasks"`
}

// ConnectTask is a Smart Connect task. Secrets (peer and Redis passwords, object-storage keys) are
// kept apart, sealed (ConnectTask.Sealed), and never in Source/Sink.
type ConnectTask struct {
	ID          string `json:"id"`
	InstanceID  string `json:"instance_id"`
	ProjectID   string `json:"project_id"`
	Name        string `json:"task_name"`
	Topics      string `json:"topics"`
	TopicsRegex string `json:"topics_regex"`
	SourceType  string `json:"source_type"`
	SinkType    string `json:"sink_type"`
	// Source and Sink are the task's non-secret settings (nil for NONE).
	Source *ConnectSource `json:"source,omitempty"`
	Sink   *ConnectSink   `json:"sink,omitempty"`
	// State is the desired state: ConnectTaskWaiting (created with start_later and not started),
	// ConnectTaskRunning or ConnectTaskPaused.
	State string `json:"state"`
	// Error is why the task last failed (cleared when it runs again).
	Error string `json:"error,omitempty"`
	// Generation counts 5.3.9 restarts: each one starts the task from scratch (new consumer group
	// and Connect offsets), as "resets sync progress" asks.
	Generation int `json:"generation"`
	// Completed marks a Redis source in RDB_ONLY mode whose full synchronization finished: it is not
	// run again (at a dmsd start) until 5.3.9 restarts it.
	Completed bool `json:"completed,omitempty"`
	// Legacy marks a task created through the 7.2.4.3 dump API.
	Legacy    bool      `json:"legacy,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Sealed is the JSON of ConnectSecrets sealed with the master key; never returned.
	Sealed []byte `json:"-"`
}

// ConnectSecrets are a task's secrets, stored sealed.
type ConnectSecrets struct {
	Password      string `json:"password,omitempty"`       // the peer Kafka user's
	RedisPassword string `json:"redis_password,omitempty"` // source or sink Redis
	AccessKey     string `json:"access_key,omitempty"`
	SecretKey     string `json:"secret_key,omitempty"`
}

// ConnectSource is a task's source settings (5.3.3's SmartConnectTaskReqSourceConfig without the
// secrets).
type ConnectSource struct {
	// Redis source.
	RedisAddress     string `json:"redis_address,omitempty"`
	RedisType        string `json:"redis_type,omitempty"`
	DCSInstanceID    string `json:"dcs_instance_id,omitempty"`
	SyncMode         string `json:"sync_mode,omitempty"`
	FullSyncWaitMS   *int   `json:"full_sync_wait_ms,omitempty"`
	FullSyncMaxRetry *int   `json:"full_sync_max_retry,omitempty"`
	RateLimit        *int   `json:"ratelimit,omitempty"`
	// Kafka source (MirrorMaker 2).
	CurrentClusterName         string `json:"current_cluster_name,omitempty"`
	ClusterName                string `json:"cluster_name,omitempty"`
	UserName                   string `json:"user_name,omitempty"`
	SASLMechanism              string `json:"sasl_mechanism,omitempty"`
	InstanceID                 string `json:"instance_id,omitempty"`
	BootstrapServers           string `json:"bootstrap_servers,omitempty"`
	SecurityProtocol           string `json:"security_protocol,omitempty"`
	Direction                  string `json:"direction,omitempty"`
	SyncConsumerOffsetsEnabled *bool  `json:"sync_consumer_offsets_enabled,omitempty"`
	ReplicationFactor          *int   `json:"replication_factor,omitempty"`
	TaskNum                    *int   `json:"task_num,omitempty"`
	RenameTopicEnabled         *bool  `json:"rename_topic_enabled,omitempty"`
	ProvenanceHeaderEnabled    *bool  `json:"provenance_header_enabled,omitempty"`
	ConsumerStrategy           string `json:"consumer_strategy,omitempty"`
	CompressionType            string `json:"compression_type,omitempty"`
	TopicsMapping              string `json:"topics_mapping,omitempty"`
}

// ConnectSink is a task's sink settings (5.3.3's SmartConnectTaskReqSinkConfig without the
// secrets, with the response's defaults filled in).
type ConnectSink struct {
	// Redis sink.
	RedisAddress  string `json:"redis_address,omitempty"`
	RedisType     string `json:"redis_type,omitempty"`
	DCSInstanceID string `json:"dcs_instance_id,omitempty"`
	TargetDB      *int   `json:"target_db,omitempty"`
	// OBS (S3) sink.
	ConsumerStrategy    string  `json:"consumer_strategy,omitempty"`
	DestinationFileType string  `json:"destination_file_type,omitempty"`
	DeliverTimeInterval *int    `json:"deliver_time_interval,omitempty"`
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
