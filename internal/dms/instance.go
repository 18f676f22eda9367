package dms

import "time"

// Instance statuses the service reaches (reference chapter 8.3).
const (
	StatusCreating   = "CREATING"
	StatusRunning    = "RUNNING"
	StatusError      = "ERROR"
	StatusRestarting = "RESTARTING"
	StatusUpgrading  = "UPGRADING"
	StatusExtending  = "EXTENDING"
	// StatusExtendFailed: a specification change failed; the brokers keep serving (reference 8.3).
	StatusExtendFailed = "EXTENDEDFAILED"
)

// Instance is a Kafka instance: what the user asked for and what the control plane runs for it. The
// store keeps it whole; the API layer decides which fields each response shows and how.
type Instance struct {
	ID          string `json:"id"`
	ProjectID   string `json:"project_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Engine      string `json:"engine"`         // "kafka"
	EngineVer   string `json:"engine_version"` // the DMS version asked for: 1.1.0, 2.7, 3.x
	// KafkaVersion is the Kafka build running it (engine_version maps to one; upgrades move it).
	KafkaVersion    string   `json:"kafka_version"`
	ProductID       string   `json:"product_id"`
	BrokerNum       int      `json:"broker_num"`
	StorageSpace    int      `json:"storage_space"` // GB, the whole instance
	StorageSpecCode string   `json:"storage_spec_code"`
	AvailableZones  []string `json:"available_zones"` // AZ ids
	Status          string   `json:"status"`
	// StatusReason says why the status is ERROR (or what a failed creation hit).
	StatusReason string `json:"status_reason,omitempty"`
	// CreateFailed marks an instance whose creation failed (the list API's include_failure counts them).
	CreateFailed bool `json:"create_failed,omitempty"`

	// Runtime is the engine that runs the cluster ("local" or "embedded"), fixed at creation.
	Runtime string `json:"runtime"`
	// Brokers are the nodes with their IPs; ClusterID is the Kafka cluster id.
	Brokers   []BrokerAddr `json:"brokers"`
	ClusterID string       `json:"cluster_id"`

	// Security as asked at creation (made to work by the security issue).
	SSLEnable             bool          `json:"ssl_enable"`
	KafkaSecurityProtocol string        `json:"kafka_security_protocol,omitempty"`
	SASLMechanisms        []string      `json:"sasl_enabled_mechanisms,omitempty"`
	PortProtocol          *PortProtocol `json:"port_protocol,omitempty"`
	AccessUser            string        `json:"access_user,omitempty"`
	// SealedPassword is the instance password encrypted with the master key (the brokers need it in
	// clear to create the SCRAM user); never returned.
	SealedPassword []byte `json:"sealed_password,omitempty"`
	// CACertPEM and SealedCAKey are the instance's certificate authority, which signs its brokers'
	// certificates for SASL_SSL; clients download the certificate. The key is sealed with the master
	// key.
	CACertPEM   []byte `json:"ca_cert_pem,omitempty"`
	SealedCAKey []byte `json:"sealed_ca_key,omitempty"`
	// InternalTLS: the brokers' internal listeners (inter-broker, controller, dmsd's client) are
	// mutual TLS with the CA. Set at creation by engines that can (local); instances created before
	// this existed keep PLAINTEXT ones.
	InternalTLS bool `json:"internal_tls,omitempty"`
	// AdminPending: the access modes have SASL on and the administrator's credential is not yet set
	// up (an access-mode switch whose last step failed; the same request finishes it).
	AdminPending bool `json:"admin_pending,omitempty"`

	MaintainBegin       string  `json:"maintain_begin"` // HH:mm:ss
	MaintainEnd         string  `json:"maintain_end"`
	EnablePublicIP      bool    `json:"enable_publicip"`
	PublicIPID          string  `json:"publicip_id,omitempty"`
	PublicBandwidth     int     `json:"public_bandwidth,omitempty"`
	RetentionPolicy     string  `json:"retention_policy"`
	EnableAutoTopic     bool    `json:"enable_auto_topic"`
	VpcID               string  `json:"vpc_id"`
	SubnetID            string  `json:"subnet_id"`
	SecurityGroupID     string  `json:"security_group_id"`
	EnterpriseProjectID string  `json:"enterprise_project_id"`
	IPv6Enable          bool    `json:"ipv6_enable"`
	DiskEncrypted       bool    `json:"disk_encrypted"`
	DiskEncryptedKey    string  `json:"disk_encrypted_key,omitempty"`
	ConnectorEnable     bool    `json:"connector_enable"`
	VpcClientPlain      bool    `json:"vpc_client_plain"`
	ArchType            string  `json:"arch_type"`
	ChargingMode        int     `json:"charging_mode"` // 1 pay-per-use, 0 yearly/monthly
	Tags                []Tag   `json:"tags"`
	StaticConfigs       Configs `json:"static_configs,omitempty"` // broker configs changed through 5.1.8 that need restarts
	LegacySpecification string  `json:"specification,omitempty"`  // V1 (7.1.1.1) bandwidth spec, e.g. "100MB"
	LegacyPartitionNum  int     `json:"partition_num,omitempty"`  // V1 partition limit
	KafkaManagerUser    string  `json:"kafka_manager_user,omitempty"`
	// SealedManagerPassword is how V1's kafka_manager_password was kept before it was hashed
	// (KafkaManagerPasswordHash); instances.MigrateManagerPasswords hashes and clears it at start.
	SealedManagerPassword []byte    `json:"sealed_manager_password,omitempty"`
	CreatedBy             string    `json:"created_by"` // user id
	CreatedByName         string    `json:"created_by_name"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`
	// Deleting marks an instance whose deletion has been accepted: it is gone for the API, and its
	// cluster is being torn down by a task.
	Deleting bool `json:"deleting,omitempty"`
	// AutoVolumeExpand is the automatic storage expansion (nil: never configured, off).
	AutoVolumeExpand *AutoVolumeExpand `json:"auto_volume_expand,omitempty"`
	// Capacity is the capacity watcher's state of the instance (nil: nothing to report).
	Capacity *CapacityState `json:"capacity,omitempty"`
	// Connector is the instance's Smart Connect (nil: not enabled).
	Connector *SmartConnect `json:"connector,omitempty"`

	// The instance's Kafka Manager: the OpenDMS console signed in to with KafkaManagerUser and its
	// password, scoped to this instance (issue 14; 5.2.2, 5.2.3, 5.2.12). The password is kept as a
	// salted slow hash (iam.HashPassword), never returned. KafkaManagerDisabled is set by 5.2.12 and
	// cleared by 5.2.2 (the zero value is enabled, so records from before keep their manager).
	// KafkaManagerEpoch is raised to end every scoped sign-in: a scoped token carries the epoch it
	// was issued at and stops working once the instance's differs.
	KafkaManagerPasswordHash string `json:"kafka_manager_hash,omitempty"`
	KafkaManagerDisabled     bool   `json:"kafka_manager_disabled,omitempty"`
	KafkaManagerEpoch        int64  `json:"kafka_manager_epoch,omitempty"`
}

// Configs are broker config overrides by name.
type Configs map[string]string

// BrokerAddr is one broker of an instance and the IP it listens on.
type BrokerAddr struct {
	ID   int32  `json:"id"`
	Host string `json:"host"`
	AZ   string `json:"az"`
	// Role is the node's KRaft role as it was formatted: RoleBroker for a broker-only node (added by
	// an extension, or beyond the first three of a new instance), else a combined broker+controller
	// (records written before roles were recorded have none: every node was formatted combined).
	// A node's role never changes: the controllers are the cluster's static quorum.
	Role string `json:"role,omitempty"`
}

// Node roles of BrokerAddr.Role.
const (
	RoleCombined = "broker,controller"
	RoleBroker   = "broker"
)

// Controller reports whether the node is one of the cluster's KRaft controllers (a voter).
func (b BrokerAddr) Controller() bool { return b.Role != RoleBroker }

// PortProtocol is the access modes of 5.1.1's port_protocol.
type PortProtocol struct {
	PrivatePlainEnable         bool `json:"private_plain_enable"`
	PrivateSASLSSLEnable       bool `json:"private_sasl_ssl_enable"`
	PrivateSASLPlaintextEnable bool `json:"private_sasl_plaintext_enable"`
	PublicPlainEnable          bool `json:"public_plain_enable"`
	PublicSASLSSLEnable        bool `json:"public_sasl_ssl_enable"`
	PublicSASLPlaintextEnable  bool `json:"public_sasl_plaintext_enable"`
}

// Tag is a key/value tag of an instance.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Task statuses of the background tasks (5.9).
const (
	TaskCreated   = "CREATED"
	TaskExecuting = "EXECUTING"
	TaskSuccess   = "SUCCESS"
	TaskFailed    = "FAILED"
)

// Task is a durable background task of an instance (5.9): every asynchronous operation is one.
type Task struct {
	ID         string    `json:"id"`
	InstanceID string    `json:"instance_id"`
	ProjectID  string    `json:"project_id"`
	Name       string    `json:"name"`   // createInstance, restartInstance, modifyConfigs, upgradeInstance, ...
	Params     string    `json:"params"` // JSON, shown to users as is: never a secret
	Status     string    `json:"status"`
	Error      string    `json:"error,omitempty"`
	UserID     string    `json:"user_id"`
	UserName   string    `json:"user_name"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// Progress is how far a long task has come (reassignments, scaling), nil for tasks that do
	// not report it. The task function sets it through tasks.Runner.SetProgress.
	Progress *TaskProgress `json:"progress,omitempty"`
}

// TaskProgress is the progress of a long task: Done of Total units of work (partitions moved,
// brokers restarted), and the steps it goes through.
type TaskProgress struct {
	Done  int        `json:"done"`
	Total int        `json:"total"`
	Unit  string     `json:"unit,omitempty"` // "partitions", "brokers", ...
	Steps []TaskStep `json:"steps,omitempty"`
}

// Task step statuses (the SDK's StepDetail.statue).
const (
	StepWaiting    = "WAITING"
	StepInProgress = "IN_PROGRESS"
	StepCompleted  = "COMPLETED"
	StepFailed     = "FAILED"
)

// TaskStep is one step of a long task; Start and End are zero until it starts and ends.
type TaskStep struct {
	Name   string    `json:"name"`
	Status string    `json:"status"`
	Start  time.Time `json:"start,omitzero"`
	End    time.Time `json:"end,omitzero"`
}

// Finished reports whether the task has ended.
func (t Task) Finished() bool { return t.Status == TaskSuccess || t.Status == TaskFailed }

// TopicMeta is what OpenDMS keeps about a topic that Kafka has no place for.
type TopicMeta struct {
	InstanceID  string    `json:"instance_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

// GroupMeta is what OpenDMS keeps about a consumer group that Kafka has no place for: the
// description and when it was created through the API (5.6.4). A group created through the API
// exists from then on, even before a consumer joins it.
type GroupMeta struct {
	InstanceID  string    `json:"instance_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

// AccessModes are the access modes of an instance: port_protocol as given at creation, else derived
// from the legacy fields (ssl_enable with kafka_security_protocol, and vpc_client_plain for plaintext
// access beside SASL).
func (in Instance) AccessModes() PortProtocol {
	if in.PortProtocol != nil {
		return *in.PortProtocol
	}
	var pp PortProtocol
	switch {
	case !in.SSLEnable:
		pp.PrivatePlainEnable = true
	case in.KafkaSecurityProtocol == "SASL_PLAINTEXT":
		pp.PrivateSASLPlaintextEnable = true
		pp.PrivatePlainEnable = in.VpcClientPlain
	default:
		pp.PrivateSASLSSLEnable = true
		pp.PrivatePlainEnable = in.VpcClientPlain
	}
	return pp
}

// KafkaUser is a SASL user of an instance (5.7.x). Salt, Iterations and StoredKey are its
// SCRAM-SHA-512 verifier (never the password), from which the brokers' PLAIN users file is written.
type KafkaUser struct {
	InstanceID  string    `json:"instance_id"`
	Name        string    `json:"user_name"`
	Description string    `json:"user_desc"`
	Role        string    `json:"role"`        // KafkaUserRoleAdmin for the instance's access_user, else KafkaUserRoleGuest
	DefaultApp  bool      `json:"default_app"` // the access_user given at creation
	CreatedAt   time.Time `json:"created_at"`
	Salt        []byte    `json:"-"`
	Iterations  int       `json:"-"`
	StoredKey   []byte    `json:"-"`
}

// The roles of Kafka users: the access_user given at creation is the instance's administrator (a
// super user of the brokers); users created through 5.7.2 are guests, with what they are granted.
const (
	KafkaUserRoleAdmin = "admin"
	KafkaUserRoleGuest = "guest"
)
