package connect

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/opendms/opendms/internal/connect/dump"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/topics"
)

// TaskRequest is 5.3.3's body (the SDK's CreateSmartConnectTaskReq, with the reference's Redis
// fields that the SDK lacks) and, with StartLater ignored, the SDK's ModifyConnectorTask body.
type TaskRequest struct {
	TaskName    *string          `json:"task_name"`
	StartLater  *topics.FlexBool `json:"start_later"`
	Topics      *string          `json:"topics"`
	TopicsRegex *string          `json:"topics_regex"`
	SourceType  *string          `json:"source_type"`
	SourceTask  *SourceRequest   `json:"source_task"`
	SinkType    *string          `json:"sink_type"`
	SinkTask    *SinkRequest     `json:"sink_task"`
}

// SourceRequest is SmartConnectTaskReqSourceConfig.
type SourceRequest struct {
	dms.ConnectSource
	Password      *string `json:"password"`
	RedisPassword *string `json:"redis_password"`
	// SASLMechanismAlt is the reference examples' misspelling of sasl_mechanism.
	SASLMechanismAlt string `json:"saslm_mechanism"`
}

// SinkRequest is SmartConnectTaskReqSinkConfig.
type SinkRequest struct {
	dms.ConnectSink
	AccessKey     *string `json:"access_key"`
	SecretKey     *string `json:"secret_key"`
	RedisPassword *string `json:"redis_password"`
}

// The request types embed the stored settings; encoding/json names an embedded struct in a wrong
// type's key (sink_task.ConnectSink.deliver_time_interval), so they decode the settings and their
// own fields apart, each at the level the body has them (sink_task.deliver_time_interval).

// UnmarshalJSON decodes the settings and the secrets apart (see above).
func (r *SourceRequest) UnmarshalJSON(b []byte) error {
	var own struct {
		Password         *string `json:"password"`
		RedisPassword    *string `json:"redis_password"`
		SASLMechanismAlt string  `json:"saslm_mechanism"`
	}
	if err := json.Unmarshal(b, &r.ConnectSource); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &own); err != nil {
		return err
	}
	r.Password, r.RedisPassword, r.SASLMechanismAlt = own.Password, own.RedisPassword, own.SASLMechanismAlt
	return nil
}

// UnmarshalJSON decodes the settings and the secrets apart (see above).
func (r *SinkRequest) UnmarshalJSON(b []byte) error {
	var own struct {
		AccessKey     *string `json:"access_key"`
		SecretKey     *string `json:"secret_key"`
		RedisPassword *string `json:"redis_password"`
	}
	if err := json.Unmarshal(b, &r.ConnectSink); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &own); err != nil {
		return err
	}
	r.AccessKey, r.SecretKey, r.RedisPassword = own.AccessKey, own.SecretKey, own.RedisPassword
	return nil
}

// Limits and defaults of task settings.
const (
	defaultTaskNum          = 2
	maxTaskNum              = 32
	defaultDeliverInterval  = 300
	minDeliverInterval      = 30
	maxDeliverInterval      = 900
	defaultPartSize         = 5 << 20
	defaultKVDelimiter      = ":"
	defaultTimezone         = "Asia/Shanghai" // GMT+08:00, the reference's default for time directories
	defaultFlushSize        = 1000000
	defaultFullSyncWaitMS   = 13000
	defaultFullSyncMaxRetry = 3
	maxOBSPath              = 64
)

var (
	taskNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	aliasPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	obsPathPattern  = regexp.MustCompile(`^[A-Za-z0-9_/-]*$`)
	bucketPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

var partitionFormats = []string{"yyyy", "yyyy/MM", "yyyy/MM/dd", "yyyy/MM/dd/HH", "yyyy/MM/dd/HH/mm"}

func bad(format string, args ...any) error {
	return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: "+format, args...)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// newTask validates req and builds the task it asks for (without id, instance and times) and its
// secrets. Checks that need the cluster or other tasks are the service's.
func newTask(req TaskRequest) (dms.ConnectTask, dms.ConnectSecrets, error) {
	var t dms.ConnectTask
	var sec dms.ConnectSecrets
	t.Name = str(req.TaskName)
	if t.Name == "" {
		return t, sec, bad("task_name is required.")
	}
	if !taskNamePattern.MatchString(t.Name) {
		return t, sec, bad("task_name %q must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.", t.Name)
	}
	t.Topics, t.TopicsRegex = str(req.Topics), str(req.TopicsRegex)
	t.SourceType, t.SinkType = strings.ToUpper(str(req.SourceType)), strings.ToUpper(str(req.SinkType))
	if t.SourceType == "" {
		t.SourceType = dms.ConnectNone
	}
	if t.SinkType == "" {
		t.SinkType = dms.ConnectNone
	}
	switch {
	case !slices.Contains([]string{dms.ConnectNone, dms.ConnectKafkaSource, dms.ConnectRedisSource}, t.SourceType):
		return t, sec, bad("source_type must be NONE, KAFKA_REPLICATOR_SOURCE or REDIS_REPLICATOR_SOURCE, not %q.", t.SourceType)
	case !slices.Contains([]string{dms.ConnectNone, dms.ConnectOBSSink, dms.ConnectRedisSink}, t.SinkType):
		return t, sec, bad("sink_type must be NONE, OBS_SINK or REDIS_REPLICATOR_SINK, not %q.", t.SinkType)
	case (t.SourceType == dms.ConnectNone) == (t.SinkType == dms.ConnectNone):
		return t, sec, bad("a task has one side other than NONE: source_type (to replicate into this instance) or sink_type (to dump out of it).")
	}
	if err := checkTopics(&t); err != nil {
		return t, sec, err
	}
	var err error
	switch t.SourceType {
	case dms.ConnectKafkaSource:
		err = kafkaSource(&t, &sec, req.SourceTask)
	case dms.ConnectRedisSource:
		err = redisSource(&t, &sec, req.SourceTask)
	}
	if err != nil {
		return t, sec, err
	}
	switch t.SinkType {
	case dms.ConnectOBSSink:
		err = obsSink(&t, &sec, req.SinkTask)
	case dms.ConnectRedisSink:
		err = redisSink(&t, &sec, req.SinkTask)
	}
	return t, sec, err
}

// checkTopics checks a task's topics (topics or topics_regex) and normalizes the list.
func checkTopics(t *dms.ConnectTask) error {
	if err := noProviderRef("topics", t.Topics); err != nil {
		return err
	}
	if err := noProviderRef("topics_regex", t.TopicsRegex); err != nil {
		return err
	}
	if t.Topics != "" && t.TopicsRegex != "" {
		return bad("give topics or topics_regex, not both.")
	}
	if t.Topics == "" && t.TopicsRegex == "" {
		return bad("topics or topics_regex is required.")
	}
	if t.TopicsRegex != "" {
		if t.TopicsRegex == ".*" && t.SinkType == dms.ConnectOBSSink {
			return bad("topics_regex must not be .* for a dump task.")
		}
		if _, err := regexp.Compile(t.TopicsRegex); err != nil {
			return bad("topics_regex is not a valid regular expression: %v.", err)
		}
	}
	if t.Topics != "" {
		names := SplitTopics(t.Topics)
		if len(names) == 0 {
			return bad("topics names no topic.")
		}
		for _, n := range names {
			if strings.HasPrefix(n, "__") { // Kafka's and Connect's own: dmsd would read them as a super user
				return bad("topics: %s is an internal topic, which no Smart Connect task takes.", n)
			}
		}
		t.Topics = strings.Join(names, ",")
	}
	if t.SourceType == dms.ConnectRedisSource && (t.TopicsRegex != "" || strings.Contains(t.Topics, ",")) {
		return bad("a Redis source writes to one topic: give it in topics.")
	}
	return nil
}

// noProviderRef refuses "${" in a value that reaches a connector's config: the workers' config
// provider would replace ${file:<path>:<key>} with a file's content (another task's secret), and
// Connect has no escape for it.
func noProviderRef(field, v string) error {
	if strings.Contains(v, "${") {
		return bad("%s must not contain \"${\".", field)
	}
	return nil
}

// SplitTopics splits a comma-separated topic list, dropping blanks and repeats.
func SplitTopics(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func kafkaSource(t *dms.ConnectTask, sec *dms.ConnectSecrets, r *SourceRequest) error {
	if r == nil {
		return bad("source_task is required for KAFKA_REPLICATOR_SOURCE.")
	}
	src := r.ConnectSource
	// Only the Kafka fields: a Redis field given here is not part of the task.
	k := dms.ConnectSource{CurrentClusterName: strings.TrimSpace(src.CurrentClusterName), ClusterName: strings.TrimSpace(src.ClusterName),
		UserName: strings.TrimSpace(src.UserName), SASLMechanism: strings.ToUpper(strings.TrimSpace(src.SASLMechanism)),
		InstanceID: strings.TrimSpace(src.InstanceID), BootstrapServers: strings.TrimSpace(src.BootstrapServers),
		SecurityProtocol: strings.ToUpper(strings.TrimSpace(src.SecurityProtocol)), Direction: strings.ToLower(strings.TrimSpace(src.Direction)),
		SyncConsumerOffsetsEnabled: src.SyncConsumerOffsetsEnabled, ReplicationFactor: src.ReplicationFactor, TaskNum: src.TaskNum,
		RenameTopicEnabled: src.RenameTopicEnabled, ProvenanceHeaderEnabled: src.ProvenanceHeaderEnabled,
		ConsumerStrategy: strings.ToLower(strings.TrimSpace(src.ConsumerStrategy)), CompressionType: strings.ToLower(strings.TrimSpace(src.CompressionType)),
		TopicsMapping: strings.TrimSpace(src.TopicsMapping)}
	if k.SASLMechanism == "" {
		k.SASLMechanism = strings.ToUpper(strings.TrimSpace(r.SASLMechanismAlt))
	}
	for field, v := range map[string]string{"source_task.topics_mapping": k.TopicsMapping, "source_task.bootstrap_servers": k.BootstrapServers} {
		if err := noProviderRef(field, v); err != nil {
			return err
		}
	}
	switch {
	case !aliasPattern.MatchString(k.CurrentClusterName):
		return bad("source_task.current_cluster_name (this instance's alias) is required: 1 to 64 letters, digits, '_' or '-'.")
	case !aliasPattern.MatchString(k.ClusterName):
		return bad("source_task.cluster_name (the peer's alias) is required: 1 to 64 letters, digits, '_' or '-'.")
	case k.CurrentClusterName == k.ClusterName:
		return bad("source_task.cluster_name and current_cluster_name must differ.")
	case (k.InstanceID == "") == (k.BootstrapServers == ""):
		return bad("source_task: give instance_id or bootstrap_servers of the peer Kafka, one of them.")
	}
	if k.Direction == "" {
		k.Direction = "pull"
	}
	if !slices.Contains([]string{"pull", "push", "two-way"}, k.Direction) {
		return bad("source_task.direction must be pull, push or two-way, not %q.", k.Direction)
	}
	if k.SecurityProtocol == "" {
		k.SecurityProtocol = "PLAINTEXT"
	}
	switch k.SecurityProtocol {
	case "PLAINTEXT":
		k.UserName, k.SASLMechanism = "", ""
	case "SASL_SSL", "SASL_PLAINTEXT":
		if k.SASLMechanism == "" {
			k.SASLMechanism = "SCRAM-SHA-512"
		}
		if !slices.Contains([]string{"PLAIN", "SCRAM-SHA-512", "SCRAM-SHA-256"}, k.SASLMechanism) {
			return bad("source_task.sasl_mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, not %q.", k.SASLMechanism)
		}
		if k.UserName == "" || str(r.Password) == "" {
			return bad("source_task.user_name and password are required with security_protocol %s.", k.SecurityProtocol)
		}
		sec.Password = *r.Password
	default:
		return bad("source_task.security_protocol must be PLAINTEXT, SASL_SSL or SASL_PLAINTEXT, not %q.", k.SecurityProtocol)
	}
	if k.TaskNum == nil {
		k.TaskNum = ptr(defaultTaskNum)
	}
	if *k.TaskNum < 1 || *k.TaskNum > maxTaskNum {
		return bad("source_task.task_num must be from 1 to %d.", maxTaskNum)
	}
	if k.ReplicationFactor != nil && *k.ReplicationFactor < 1 {
		return bad("source_task.replication_factor must be at least 1.")
	}
	if k.ConsumerStrategy == "" {
		k.ConsumerStrategy = "latest"
	}
	if k.ConsumerStrategy != "latest" && k.ConsumerStrategy != "earliest" {
		return bad("source_task.consumer_strategy must be latest or earliest, not %q.", k.ConsumerStrategy)
	}
	if k.CompressionType == "" {
		k.CompressionType = "none"
	}
	if !slices.Contains([]string{"none", "gzip", "snappy", "lz4", "zstd"}, k.CompressionType) {
		return bad("source_task.compression_type must be none, gzip, snappy, lz4 or zstd, not %q.", k.CompressionType)
	}
	if k.RenameTopicEnabled != nil && *k.RenameTopicEnabled && k.TopicsMapping != "" {
		return bad("source_task: rename_topic_enabled and topics_mapping cannot be used together.")
	}
	for _, b := range []**bool{&k.SyncConsumerOffsetsEnabled, &k.RenameTopicEnabled, &k.ProvenanceHeaderEnabled} {
		if *b == nil {
			*b = ptr(false)
		}
	}
	t.Source = &k
	return nil
}

func redisConn(addr, typ string) (string, string, error) {
	addr, typ = strings.TrimSpace(addr), strings.ToLower(strings.TrimSpace(typ))
	if addr == "" {
		return "", "", bad("redis_address is required.")
	}
	if typ == "" {
		typ = "standalone"
	}
	if typ != "standalone" && typ != "cluster" {
		return "", "", bad("redis_type must be standalone or cluster, not %q.", typ)
	}
	return addr, typ, nil
}

func redisSource(t *dms.ConnectTask, sec *dms.ConnectSecrets, r *SourceRequest) error {
	if r == nil {
		return bad("source_task is required for REDIS_REPLICATOR_SOURCE.")
	}
	addr, typ, err := redisConn(r.RedisAddress, r.RedisType)
	if err != nil {
		return bad("source_task.%s", strings.TrimPrefix(err.(*dms.Error).Message, "Invalid request parameter: "))
	}
	if typ == "cluster" {
		return bad("source_task.redis_type cluster: a Redis source replicates one standalone Redis (or one master of a cluster, given as standalone).")
	}
	k := dms.ConnectSource{RedisAddress: addr, RedisType: typ, DCSInstanceID: strings.TrimSpace(r.DCSInstanceID),
		SyncMode: strings.ToUpper(strings.TrimSpace(r.SyncMode)), FullSyncWaitMS: r.FullSyncWaitMS, FullSyncMaxRetry: r.FullSyncMaxRetry, RateLimit: r.RateLimit}
	if k.SyncMode == "" {
		k.SyncMode = "CUSTOM_OFFSET"
	}
	if k.SyncMode != "RDB_ONLY" && k.SyncMode != "CUSTOM_OFFSET" {
		return bad("source_task.sync_mode must be RDB_ONLY or CUSTOM_OFFSET, not %q.", k.SyncMode)
	}
	k.FullSyncWaitMS = ptr(intOr(k.FullSyncWaitMS, defaultFullSyncWaitMS))
	k.FullSyncMaxRetry = ptr(intOr(k.FullSyncMaxRetry, defaultFullSyncMaxRetry))
	k.RateLimit = ptr(intOr(k.RateLimit, -1))
	switch {
	case *k.FullSyncWaitMS < 0:
		return bad("source_task.full_sync_wait_ms must be >= 0.")
	case *k.FullSyncMaxRetry < 0:
		return bad("source_task.full_sync_max_retry must be >= 0.")
	case *k.RateLimit == 0 || *k.RateLimit < -1:
		return bad("source_task.ratelimit must be -1 (unlimited) or a positive number of KB/s.")
	}
	sec.RedisPassword = str(r.RedisPassword)
	t.Source = &k
	return nil
}

func redisSink(t *dms.ConnectTask, sec *dms.ConnectSecrets, r *SinkRequest) error {
	if r == nil {
		return bad("sink_task is required for REDIS_REPLICATOR_SINK.")
	}
	addr, typ, err := redisConn(r.RedisAddress, r.RedisType)
	if err != nil {
		return bad("sink_task.%s", strings.TrimPrefix(err.(*dms.Error).Message, "Invalid request parameter: "))
	}
	k := dms.ConnectSink{RedisAddress: addr, RedisType: typ, DCSInstanceID: strings.TrimSpace(r.DCSInstanceID), TargetDB: ptr(intOr(r.TargetDB, -1))}
	if *k.TargetDB < -1 || *k.TargetDB > 255 {
		return bad("sink_task.target_db must be -1 (the record's database) or 0 to 255.")
	}
	if typ == "cluster" && *k.TargetDB > 0 {
		return bad("sink_task.target_db must be -1 or 0 for a Redis cluster (it has database 0 only).")
	}
	k.ConsumerStrategy = strings.ToLower(strings.TrimSpace(r.ConsumerStrategy))
	if k.ConsumerStrategy == "" {
		k.ConsumerStrategy = "earliest"
	}
	if k.ConsumerStrategy != "latest" && k.ConsumerStrategy != "earliest" {
		return bad("sink_task.consumer_strategy must be latest or earliest, not %q.", k.ConsumerStrategy)
	}
	sec.RedisPassword = str(r.RedisPassword)
	t.Sink = &k
	return nil
}

func obsSink(t *dms.ConnectTask, sec *dms.ConnectSecrets, r *SinkRequest) error {
	if r == nil {
		return bad("sink_task is required for OBS_SINK.")
	}
	k := dms.ConnectSink{ConsumerStrategy: strings.ToLower(strings.TrimSpace(r.ConsumerStrategy)),
		DestinationFileType: strings.ToUpper(strings.TrimSpace(r.DestinationFileType)), DeliverTimeInterval: r.DeliverTimeInterval,
		OBSBucketName: strings.TrimSpace(r.OBSBucketName), OBSPath: strings.Trim(strings.TrimSpace(r.OBSPath), "/"),
		PartitionFormat: strings.TrimSpace(r.PartitionFormat), RecordDelimiter: r.RecordDelimiter, StoreKeys: r.StoreKeys,
		OBSPartSize: r.OBSPartSize, FlushSize: r.FlushSize, Timezone: strings.TrimSpace(r.Timezone), KVDelimiter: r.KVDelimiter}
	if k.ConsumerStrategy == "" {
		k.ConsumerStrategy = "latest"
	}
	if k.ConsumerStrategy != "latest" && k.ConsumerStrategy != "earliest" {
		return bad("sink_task.consumer_strategy must be latest or earliest, not %q.", k.ConsumerStrategy)
	}
	if k.DestinationFileType == "" || k.DestinationFileType == "TXT" {
		k.DestinationFileType = "TEXT"
	}
	if k.DestinationFileType != "TEXT" {
		return bad("sink_task.destination_file_type must be TEXT, not %q.", k.DestinationFileType)
	}
	k.DeliverTimeInterval = ptr(intOr(k.DeliverTimeInterval, defaultDeliverInterval))
	if *k.DeliverTimeInterval < minDeliverInterval || *k.DeliverTimeInterval > maxDeliverInterval {
		return bad("sink_task.deliver_time_interval must be from %d to %d seconds.", minDeliverInterval, maxDeliverInterval)
	}
	if !bucketPattern.MatchString(k.OBSBucketName) {
		return bad("sink_task.obs_bucket_name %q is not a valid bucket name (3 to 63 lowercase letters, digits, '.' or '-').", k.OBSBucketName)
	}
	if len(k.OBSPath) > maxOBSPath || !obsPathPattern.MatchString(k.OBSPath) {
		return bad("sink_task.obs_path must be at most %d letters, digits, '_', '-' or '/'.", maxOBSPath)
	}
	if k.PartitionFormat == "" {
		k.PartitionFormat = "yyyy/MM/dd"
	}
	if !slices.Contains(partitionFormats, k.PartitionFormat) {
		return bad("sink_task.partition_format must be one of %s, not %q.", strings.Join(partitionFormats, ", "), k.PartitionFormat)
	}
	if k.RecordDelimiter == nil {
		k.RecordDelimiter = ptr(`\n`)
	}
	if _, err := dump.ParseRecordDelimiter(*k.RecordDelimiter); err != nil {
		return bad(`sink_task.record_delimiter must be ",", ";", "|", "\n" or NULL, not %q.`, *k.RecordDelimiter)
	}
	if k.StoreKeys == nil {
		k.StoreKeys = ptr(false)
	}
	if k.KVDelimiter == "" {
		k.KVDelimiter = defaultKVDelimiter
	}
	k.OBSPartSize = ptr(intOr(k.OBSPartSize, defaultPartSize))
	// The SDK reads obs_part_size as an int32: a larger part would break every task list it is in.
	if *k.OBSPartSize < 5<<20 || *k.OBSPartSize > math.MaxInt32 {
		return bad("sink_task.obs_part_size must be from 5242880 (5 MiB) to 2147483647 bytes.")
	}
	k.FlushSize = ptr(intOr(k.FlushSize, defaultFlushSize))
	if *k.FlushSize < 1 {
		return bad("sink_task.flush_size must be at least 1.")
	}
	if k.Timezone == "" {
		k.Timezone = defaultTimezone
	}
	if _, err := dump.ParseLocation(k.Timezone); err != nil {
		return bad("sink_task.timezone %q is not a known time zone.", k.Timezone)
	}
	if str(r.AccessKey) == "" || str(r.SecretKey) == "" {
		return bad("sink_task.access_key and secret_key are required for OBS_SINK.")
	}
	sec.AccessKey, sec.SecretKey = str(r.AccessKey), *r.SecretKey
	t.Sink = &k
	return nil
}
