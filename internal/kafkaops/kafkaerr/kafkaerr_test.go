package kafkaerr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
)

// Every error a Kafka call can return gets its status and code here, wrapped as kafkaops wraps
// them; the message names what the call was about.
func TestToDMS(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("kafkaops: produce to t: %w", err) }
	tests := []struct {
		name   string
		err    error
		about  About
		status int
		code   string
		msg    string // a part of the message
	}{
		// Already mapped.
		{"dms error", dms.E(dms.CodePartitionQuota), Topic("t"), 400, dms.CodePartitionQuota, ""},
		{"dms error wrapped", fmt.Errorf("x: %w", dms.E(dms.CodeQueryBusy)), Topic("t"), 503, dms.CodeQueryBusy, ""},

		// kafkaops' sentinels.
		{"group not found", fmt.Errorf("%w: g1", kafkaops.ErrGroupNotFound), Group("g1"), 404, dms.CodeGroupNotFound, "g1"},
		{"group not empty", fmt.Errorf("%w: g1: %w", kafkaops.ErrGroupNotEmpty, kerr.NonEmptyGroup), Group("g1"), 409, dms.CodeGroupNotEmpty, "g1"},
		{"group write topic not found", fmt.Errorf("%w: orders", kafkaops.ErrTopicNotFound), Group("g1"), 400, dms.CodeTopicNotExist, "orders"},
		{"unknown partition", fmt.Errorf("kafkaops: t[7]: %w", kafkaops.ErrUnknownPartition), Partition("t", 7), 400, dms.CodeInvalidParameter, "no partition 7"},
		{"unknown partition 0", fmt.Errorf("kafkaops: t[0]: %w", kafkaops.ErrUnknownPartition), Partition("t", 0), 400, dms.CodeInvalidParameter, "no partition 0"},
		{"unknown partition, none named", fmt.Errorf("kafkaops: t[7]: %w", kafkaops.ErrUnknownPartition), Group("g1"), 400, dms.CodeInvalidParameter, "t[7]"},
		{"no committed topics", kafkaops.ErrNoCommittedTopics, Group("g1"), 400, dms.CodeInvalidParameter, "g1"},
		{"unknown config", &kafkaops.ConfigError{Name: "x", Value: "1", Err: kafkaops.ErrUnknownConfig}, About{}, 400, dms.CodeConfigInvalid, "config x"},
		{"unsupported config", &kafkaops.ConfigError{Name: "x", Err: kafkaops.ErrUnsupportedConfig}, About{}, 400, dms.CodeConfigInvalid, ""},
		{"invalid config value", &kafkaops.ConfigError{Name: "x", Err: kafkaops.ErrInvalidConfigValue}, About{}, 400, dms.CodeConfigInvalid, ""},
		{"static config", &kafkaops.ConfigError{Name: "x", Err: kafkaops.ErrNotDynamic}, About{}, 400, dms.CodeConfigInvalid, ""},
		{"quota entity", kafkaops.ErrQuotaEntity, About{}, 400, dms.CodeInvalidParameter, ""},

		// What the caller caused.
		{"topic exists", wrap(kerr.TopicAlreadyExists), Topic("t"), 409, dms.CodeConflict, "t already exists"},
		{"unknown topic", wrap(kerr.UnknownTopicOrPartition), Topic("t"), 400, dms.CodeTopicNotExist, "does not exist: t"},
		{"unknown topic of a partition", wrap(kerr.UnknownTopicOrPartition), Partition("t", 4), 400, dms.CodeTopicNotExist, "no partition 4"},
		{"unknown topic, a name Kafka cannot hold", wrap(kerr.UnknownTopicOrPartition), Topic("bad!topic"), 400, dms.CodeTopicNameInvalid, `"bad!topic"`},
		{"unknown topic of a partition, a name Kafka cannot hold", wrap(kerr.UnknownTopicOrPartition), Partition("..", 0), 400, dms.CodeTopicNameInvalid, ""},
		{"unknown topic, a name too long", wrap(kerr.UnknownTopicOrPartition), Topic(strings.Repeat("t", 250)), 400, dms.CodeTopicNameInvalid, ""},
		{"unknown topic, the longest name", wrap(kerr.UnknownTopicOrPartition), Topic(strings.Repeat("t", 249)), 400, dms.CodeTopicNotExist, ""},
		{"group write topic not found, a name Kafka cannot hold", fmt.Errorf("%w: a b", kafkaops.ErrTopicNotFound), Group("g1"), 400, dms.CodeTopicNameInvalid, `"a b"`},
		{"unknown topic id", wrap(kerr.UnknownTopicID), Topic("t"), 400, dms.CodeTopicNotExist, ""},
		{"invalid topic", wrap(kerr.InvalidTopicException), Topic("a/b"), 400, dms.CodeTopicNameInvalid, `"a/b"`},
		{"invalid partitions", wrap(kerr.InvalidPartitions), Topic("t"), 400, dms.CodeTopicPartitionInvalid, ""},
		{"invalid replication factor", wrap(kerr.InvalidReplicationFactor), Topic("t"), 400, dms.CodeTopicReplicaTooMany, ""},
		{"invalid config", wrap(kerr.InvalidConfig), Topic("t"), 400, dms.CodeConfigInvalid, ""},
		{"policy violation", wrap(kerr.PolicyViolation), Topic("t"), 400, dms.CodeInvalidParameter, "POLICY_VIOLATION"},
		{"invalid replica assignment", wrap(kerr.InvalidReplicaAssignment), Topic("t"), 400, dms.CodeInvalidParameter, ""},
		{"invalid request", wrap(kerr.InvalidRequest), Topic("t"), 400, dms.CodeInvalidParameter, ""},
		{"topic deletion disabled", wrap(kerr.TopicDeletionDisabled), Topic("t"), 400, dms.CodeInvalidParameter, ""},
		{"reassignment in progress", wrap(kerr.ReassignmentInProgress), Topic("t"), 400, dms.CodeInvalidParameter, ""},
		{"no reassignment in progress", wrap(kerr.NoReassignmentInProgress), Topic("t"), 400, dms.CodeInvalidParameter, ""},
		{"invalid required acks", wrap(kerr.InvalidRequiredAcks), Topic("t"), 400, dms.CodeInvalidParameter, ""},
		{"message too large", wrap(kerr.MessageTooLarge), Topic("t"), 400, dms.CodeMessageTooLarge, ""},
		{"record list too large", wrap(kerr.RecordListTooLarge), Topic("t"), 400, dms.CodeMessageTooLarge, ""},
		{"invalid record (keyless to compacted)", wrap(kerr.InvalidRecord), Topic("t"), 400, dms.CodeMessageInvalid, "KEY"},
		{"corrupt message (old brokers' keyless)", wrap(kerr.CorruptMessage), Topic("t"), 400, dms.CodeMessageInvalid, "CORRUPT_MESSAGE"},
		{"invalid timestamp", wrap(kerr.InvalidTimestamp), Topic("t"), 400, dms.CodeTimestampInvalid, ""},
		{"offset out of range", wrap(kerr.OffsetOutOfRange), Partition("t", 0), 400, dms.CodeInvalidParameter, ""},
		{"group id not found", kerr.GroupIDNotFound, Group("g1"), 404, dms.CodeGroupNotFound, "g1"},
		{"non-empty group", kerr.NonEmptyGroup, Group("g1"), 409, dms.CodeGroupNotEmpty, "g1"},
		{"group subscribed to topic", kerr.GroupSubscribedToTopic, About{Topic: "t", Group: "g1"}, 409, dms.CodeGroupNotEmpty, "g1"},
		{"invalid group id", kerr.InvalidGroupID, Group(""), 400, dms.CodeGroupIDInvalid, ""},
		{"resource not found", kerr.ResourceNotFound, About{}, 404, dms.CodeResourceNotFound, ""},
		{"unsupported version", kerr.UnsupportedVersion, About{}, 501, dms.CodeNotImplemented, ""},

		// The cluster cannot serve for now: 503, never a 500.
		{"not enough replicas", wrap(kerr.NotEnoughReplicas), Topic("t"), 503, dms.CodeClusterUnavailable, "in-sync replicas"},
		{"not enough replicas after append", wrap(kerr.NotEnoughReplicasAfterAppend), Topic("t"), 503, dms.CodeClusterUnavailable, ""},
		{"request timed out", wrap(kerr.RequestTimedOut), Topic("t"), 503, dms.CodeClusterUnavailable, ""},
		{"leader not available", wrap(kerr.LeaderNotAvailable), Topic("t"), 503, dms.CodeClusterUnavailable, ""},
		{"not leader", wrap(kerr.NotLeaderForPartition), Topic("t"), 503, dms.CodeClusterUnavailable, ""},
		{"broker not available", wrap(kerr.BrokerNotAvailable), About{}, 503, dms.CodeClusterUnavailable, ""},
		{"coordinator not available", kerr.CoordinatorNotAvailable, Group("g1"), 503, dms.CodeClusterUnavailable, ""},
		{"not coordinator", kerr.NotCoordinator, Group("g1"), 503, dms.CodeClusterUnavailable, ""},
		{"coordinator loading", kerr.CoordinatorLoadInProgress, Group("g1"), 503, dms.CodeClusterUnavailable, ""},
		{"storage error", wrap(kerr.KafkaStorageError), Topic("t"), 503, dms.CodeClusterUnavailable, ""},
		{"not controller", kerr.NotController, About{}, 503, dms.CodeClusterUnavailable, ""},
		{"throttled", kerr.ThrottlingQuotaExceeded, About{}, 503, dms.CodeClusterUnavailable, ""},
		{"network exception", kerr.NetworkException, About{}, 503, dms.CodeClusterUnavailable, ""},
		{"deadline", fmt.Errorf("kafkaops: metadata: %w", context.DeadlineExceeded), About{}, 503, dms.CodeClusterUnavailable, "try again"},
		{"canceled", context.Canceled, About{}, 503, dms.CodeClusterUnavailable, ""},
		{"record timeout", fmt.Errorf("%w, last err: %w", kgo.ErrRecordTimeout, kerr.NotEnoughReplicas), Topic("t"), 503, dms.CodeClusterUnavailable, ""},
		{"record retries", kgo.ErrRecordRetries, Topic("t"), 503, dms.CodeClusterUnavailable, ""},
		{"client closed", kgo.ErrClientClosed, About{}, 503, dms.CodeClusterUnavailable, ""},
		{"first read EOF", &kgo.ErrFirstReadEOF{}, About{}, 503, dms.CodeClusterUnavailable, ""},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, About{}, 503, dms.CodeClusterUnavailable, ""},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), About{}, 503, dms.CodeClusterUnavailable, ""},
		{"shard errors, all brokers down", &kadm.ShardErrors{Name: "list groups", Errs: []kadm.ShardError{
			{Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}}}, About{}, 503, dms.CodeClusterUnavailable, ""},

		// The control plane's own trouble stays a 500.
		{"unknown server error", kerr.UnknownServerError, About{}, 500, dms.CodeInternal, ""},
		{"cluster authorization failed", kerr.ClusterAuthorizationFailed, About{}, 500, dms.CodeInternal, ""},
		{"sasl authentication failed", kerr.SaslAuthenticationFailed, About{}, 500, dms.CodeInternal, ""},
		{"anything else", errors.New("broker on fire"), About{}, 500, dms.CodeInternal, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var de *dms.Error
			if err := ToDMS(tt.about, tt.err); !errors.As(err, &de) {
				t.Fatalf("ToDMS(%v) = %v, not a *dms.Error", tt.err, err)
			}
			if de.Status != tt.status || de.Code != tt.code || !strings.Contains(de.Message, tt.msg) {
				t.Errorf("ToDMS(%v) = %d %s %q, want %d %s with %q", tt.err, de.Status, de.Code, de.Message, tt.status, tt.code, tt.msg)
			}
			if de.Status != 500 && strings.Contains(de.Message, "kafkaops:") {
				t.Errorf("the message shows the package's prefix: %q", de.Message)
			}
		})
	}
	if ToDMS(Topic("t"), nil) != nil {
		t.Error("nil is not an error")
	}
}

// A cluster nobody listens for is 503, whatever kgo's error for it is (a dial error, the call's
// deadline): the error a call on a stopped instance would return.
func TestUnreachableCluster(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more
	c, err := kafkaops.Dial([]string{addr}, kafkaops.WithRequestTimeout(500*time.Millisecond), kafkaops.WithDialTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Cluster(context.Background())
	if err == nil {
		t.Fatal("a cluster that is not there answered")
	}
	if de := dms.AsError(ToDMS(About{}, err)); de.Status != 503 || de.Code != dms.CodeClusterUnavailable {
		t.Errorf("%v -> %d %s, want 503 %s", err, de.Status, de.Code, dms.CodeClusterUnavailable)
	}
}
