// Package kafkaerr is the one place where the errors of Kafka calls become the DMS errors callers
// get. kafkaops returns typed errors (franz-go's kerr errors, kafkaops' sentinels, context and
// network errors) and knows nothing of DMS codes; every service passes what a kafkaops call
// returned through ToDMS, so the same Kafka condition gets the same status and code on every API
// (an invalid topic name is DMS.00400101 whether it came from a topic or a message API).
//
// The rules, in order:
//   - a *dms.Error is returned as is (a service's own verdict, already mapped);
//   - kafkaops' sentinels and the Kafka errors the caller caused (invalid record, policy violation,
//     invalid or unknown topic, invalid partitions, record too large, ...) are a 4xx with the
//     reference's code for the case and the broker's reason;
//   - the cluster being unable to serve for now (a broker down or unreachable, no leader, not
//     enough in-sync replicas, a request or the call timing out: every retriable Kafka error) is a
//     503 CodeClusterUnavailable: the reference has no code for it, and it is not an internal
//     error of the control plane;
//   - anything else (dmsd's own credential refused, an unknown server error) stays a 500.
package kafkaerr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/kafkaops"
)

// About names what the failed call was about, for the message: the zero value names nothing.
type About struct {
	Topic     string
	Partition int32 // meaningful only with HasPartition
	// HasPartition says Partition was named by the caller (partition 0 is a partition).
	HasPartition bool
	Group        string
}

// Topic is About a topic.
func Topic(name string) About { return About{Topic: name} }

// Partition is About one partition of a topic.
func Partition(topic string, p int32) About {
	return About{Topic: topic, Partition: p, HasPartition: true}
}

// Group is About a consumer group.
func Group(name string) About { return About{Group: name} }

// ToDMS turns the error of a Kafka call into the error the caller gets; nil stays nil.
func ToDMS(about About, err error) error {
	if err == nil {
		return nil
	}
	var de *dms.Error
	if errors.As(err, &de) {
		return de
	}
	if e := sentinel(err, about); e != nil {
		return e
	}
	if e := kafka(err, about); e != nil {
		return e
	}
	if unavailable(err) {
		return dms.Errorf(dms.CodeClusterUnavailable, "The instance's Kafka cluster did not answer in time or could not be reached: "+
			"brokers may be down or restarting, or a partition may have too few in-sync replicas. Please try again later.").Wrap(err)
	}
	return dms.Internal(err)
}

// sentinel maps kafkaops' own errors.
func sentinel(err error, a About) *dms.Error {
	switch {
	case errors.Is(err, kafkaops.ErrGroupNotFound):
		return dms.Errorf(dms.CodeGroupNotFound, "The consumer group %s does not exist.", a.Group)
	case errors.Is(err, kafkaops.ErrGroupNotEmpty):
		return dms.Errorf(dms.CodeGroupNotEmpty, "The consumer group %s has active members (NON_EMPTY_GROUP): stop its consumers first.", a.Group)
	case errors.Is(err, kafkaops.ErrTopicNotFound):
		topic := a.Topic
		if topic == "" { // group writes name the topic in the error: "kafkaops: topic not found: t"
			topic = strings.TrimPrefix(err.Error(), kafkaops.ErrTopicNotFound.Error()+": ")
		}
		return topicNotExist(topic)
	case errors.Is(err, kafkaops.ErrUnknownPartition):
		if a.HasPartition {
			return invalid("topic %s has no partition %d", a.Topic, a.Partition)
		}
		return invalid("partition: %s", reason(err))
	case errors.Is(err, kafkaops.ErrNoCommittedTopics):
		return invalid("topic is required: the consumer group %s has no committed offsets", a.Group)
	case errors.Is(err, kafkaops.ErrUnknownConfig), errors.Is(err, kafkaops.ErrUnsupportedConfig),
		errors.Is(err, kafkaops.ErrInvalidConfigValue), errors.Is(err, kafkaops.ErrNotDynamic):
		return dms.Errorf(dms.CodeConfigInvalid, "Invalid configuration parameter: %s.", reason(err))
	case errors.Is(err, kafkaops.ErrQuotaEntity):
		return invalid("%s", reason(err))
	}
	return nil
}

// kafka maps the Kafka protocol errors a caller causes, and the group and topic states that make
// a request impossible. Conditions that pass (retriable errors) are left to unavailable.
func kafka(err error, a About) *dms.Error {
	why := reason(err)
	switch {
	case errors.Is(err, kerr.TopicAlreadyExists):
		return dms.Errorf(dms.CodeConflict, "The topic %s already exists.", a.Topic)
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
		if a.HasPartition && kafkaTopicName(a.Topic) {
			// Kafka says the same for a partition the topic does not have; the caller asked about one.
			return dms.Errorf(dms.CodeTopicNotExist, "The topic does not exist or has no partition %d: %s.", a.Partition, a.Topic)
		}
		return topicNotExist(a.Topic)
	case errors.Is(err, kerr.InvalidTopicException):
		return invalidTopicName(a.Topic, "Kafka refuses it ("+why+")")
	case errors.Is(err, kerr.InvalidPartitions):
		return dms.Errorf(dms.CodeTopicPartitionInvalid, "Invalid number of partitions: %s.", why)
	case errors.Is(err, kerr.InvalidReplicationFactor):
		return dms.Errorf(dms.CodeTopicReplicaTooMany, "Replication factor larger than available brokers: %s.", why)
	case errors.Is(err, kerr.InvalidConfig):
		return dms.Errorf(dms.CodeConfigInvalid, "Invalid configuration parameter: %s.", why)
	case errors.Is(err, kerr.PolicyViolation):
		return invalid("the cluster's policy refused the request (POLICY_VIOLATION): %s", why)
	case errors.Is(err, kerr.InvalidReplicaAssignment), errors.Is(err, kerr.InvalidRequest), errors.Is(err, kerr.TopicDeletionDisabled),
		errors.Is(err, kerr.ReassignmentInProgress), errors.Is(err, kerr.NoReassignmentInProgress), errors.Is(err, kerr.InvalidRequiredAcks):
		return invalid("the cluster refused it: %s", why)
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge):
		return dms.Errorf(dms.CodeMessageTooLarge, "The message is larger than the size limit of the topic or of the producer (%s).", why)
	case errors.Is(err, kerr.InvalidRecord), errors.Is(err, kerr.CorruptMessage):
		// Kafka's most common reason by far (and Kafka < 2.8's CORRUPT_MESSAGE for the same): a
		// record without a key sent to a compacted topic. The produce answer's own message does not
		// reach the client, so the likely cause is named.
		return dms.Errorf(dms.CodeMessageInvalid, "The broker refused the message as an invalid record (%s): a topic with "+
			"cleanup.policy=compact only accepts messages with a KEY property.", kafkaName(err))
	case errors.Is(err, kerr.InvalidTimestamp):
		return dms.Errorf(dms.CodeTimestampInvalid, "Timestamp is invalid: %s.", why)
	case errors.Is(err, kerr.OffsetOutOfRange):
		return invalid("the offset is out of the partition's range: %s", why)
	case errors.Is(err, kerr.GroupIDNotFound):
		return dms.Errorf(dms.CodeGroupNotFound, "The consumer group %s does not exist.", a.Group)
	case errors.Is(err, kerr.NonEmptyGroup):
		return dms.Errorf(dms.CodeGroupNotEmpty, "The consumer group %s has active members (NON_EMPTY_GROUP): stop its consumers first.", a.Group)
	case errors.Is(err, kerr.GroupSubscribedToTopic):
		return dms.Errorf(dms.CodeGroupNotEmpty, "The consumer group %s is subscribed to the topic %s (GROUP_SUBSCRIBED_TO_TOPIC): stop its consumers first.", a.Group, a.Topic)
	case errors.Is(err, kerr.InvalidGroupID):
		return dms.Errorf(dms.CodeGroupIDInvalid, "Invalid consumer group name %q: %s.", a.Group, why)
	case errors.Is(err, kerr.ResourceNotFound):
		return dms.Errorf(dms.CodeResourceNotFound, "The requested resource does not exist: %s.", why)
	case errors.Is(err, kerr.UnsupportedVersion):
		return dms.Errorf(dms.CodeNotImplemented, "The instance's Kafka cluster does not support this request: %s.", why)
	}
	return nil
}

// unavailable reports a cluster that cannot serve the call now: a retriable Kafka error (no
// leader, not enough replicas, a request timed out, a broker or coordinator not available), the
// call's time running out, or a broker that cannot be reached or closed the connection.
func unavailable(err error) bool {
	var ke *kerr.Error
	if errors.As(err, &ke) && ke.Retriable {
		return true
	}
	var ne net.Error
	var oe *net.OpError
	var eof *kgo.ErrFirstReadEOF
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, kgo.ErrRecordTimeout) || errors.Is(err, kgo.ErrRecordRetries) || errors.Is(err, kgo.ErrClientClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.As(err, &oe) || errors.As(err, &ne) || errors.As(err, &eof)
}

// topicNotExist is a topic the cluster does not have. A name Kafka can never hold is said to be
// invalid instead, whatever the call: brokers answer UNKNOWN_TOPIC_OR_PARTITION when asked about
// one and INVALID_TOPIC_EXCEPTION when asked to create it, and one name should get one answer.
func topicNotExist(topic string) *dms.Error {
	if !kafkaTopicName(topic) {
		return invalidTopicName(topic, "Kafka topic names are 1 to 249 letters, digits, '.', '_' and '-', and not '.' or '..'")
	}
	return dms.Errorf(dms.CodeTopicNotExist, "The topic does not exist: %s.", topic)
}

func invalidTopicName(topic, why string) *dms.Error {
	return dms.Errorf(dms.CodeTopicNameInvalid, "Invalid topic name %q: %s.", topic, why)
}

// kafkaTopicName says whether Kafka can hold a topic of that name (Kafka's Topic.validate). The
// empty name is let through: it names no topic, as when the caller gave none.
func kafkaTopicName(name string) bool {
	if name == "" {
		return true
	}
	if len(name) > 249 || name == "." || name == ".." {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func invalid(format string, args ...any) *dms.Error {
	return dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %s.", fmt.Sprintf(format, args...))
}

// reason is the error's text without kafkaops' prefix, for messages that quote the cluster.
func reason(err error) string {
	return strings.TrimSuffix(strings.ReplaceAll(err.Error(), "kafkaops: ", ""), ".")
}

// kafkaName is the Kafka name of the error (INVALID_RECORD), or its text.
func kafkaName(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return reason(err)
}
