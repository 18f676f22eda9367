package connect

import (
	"context"
	"regexp"
	"strings"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
)

// The legacy dumping APIs (7.2.4.x) name the connector, not the instance: they are the same tasks
// (OBS_SINK) seen through connector_id.

// ConnectorInstance is the instance of the project whose connector is connectorID.
func (s *Service) ConnectorInstance(ctx context.Context, projectID, connectorID string) (dms.Instance, error) {
	all, err := s.store.ListInstances(ctx, projectID)
	if err != nil {
		return dms.Instance{}, dms.Internal(err)
	}
	for _, in := range all {
		if !in.Deleting && in.Connector != nil && in.Connector.ID == connectorID {
			return in, nil
		}
	}
	return dms.Instance{}, dms.Errorf(dms.CodeConnectorNotFound, "Connector does not exist: %s.", connectorID)
}

// LegacyDumpRequest is 7.2.4.3's body.
type LegacyDumpRequest struct {
	SourceType      string               `json:"source_type"`
	TaskName        string               `json:"task_name"`
	DestinationType string               `json:"destination_type"`
	OBSDestination  *LegacyOBSDescriptor `json:"obs_destination_descriptor"`
}

// LegacyOBSDescriptor is 7.2.4.3's obs_destination_descriptor.
type LegacyOBSDescriptor struct {
	Topics              string  `json:"topics"`
	TopicsRegex         string  `json:"topics_regex"`
	ConsumerStrategy    string  `json:"consumer_strategy"`
	DestinationFileType string  `json:"destination_file_type"`
	AccessKey           string  `json:"access_key"`
	SecretKey           string  `json:"secret_key"`
	OBSBucketName       string  `json:"obs_bucket_name"`
	OBSPath             string  `json:"obs_path"`
	PartitionFormat     string  `json:"partition_format"`
	RecordDelimiter     *string `json:"record_delimiter"`
	DeliverTimeInterval *int    `json:"deliver_time_interval"`
}

// CreateLegacyDump is 7.2.4.3: an OBS_SINK task of the connector's instance, started at once.
func (s *Service) CreateLegacyDump(ctx context.Context, projectID, connectorID string, req LegacyDumpRequest) (TaskInfo, error) {
	in, err := s.ConnectorInstance(ctx, projectID, connectorID)
	if err != nil {
		return TaskInfo{}, err
	}
	switch {
	case !strings.EqualFold(req.SourceType, "BLOB"):
		return TaskInfo{}, bad("source_type must be BLOB.")
	case !strings.EqualFold(req.DestinationType, "OBS"):
		return TaskInfo{}, bad("destination_type must be OBS.")
	case req.OBSDestination == nil:
		return TaskInfo{}, bad("obs_destination_descriptor is required.")
	}
	d := req.OBSDestination
	for name, v := range map[string]string{"consumer_strategy": d.ConsumerStrategy, "destination_file_type": d.DestinationFileType,
		"obs_bucket_name": d.OBSBucketName, "partition_format": d.PartitionFormat} {
		if strings.TrimSpace(v) == "" {
			return TaskInfo{}, bad("obs_destination_descriptor.%s is required.", name)
		}
	}
	if d.DeliverTimeInterval == nil {
		return TaskInfo{}, bad("obs_destination_descriptor.deliver_time_interval is required.")
	}
	topics, regex := legacyTopics(d.Topics, d.TopicsRegex)
	tr := TaskRequest{TaskName: &req.TaskName, Topics: &topics, TopicsRegex: &regex, SinkType: ptr(dms.ConnectOBSSink),
		SinkTask: &SinkRequest{ConnectSink: dms.ConnectSink{ConsumerStrategy: d.ConsumerStrategy, DestinationFileType: d.DestinationFileType,
			DeliverTimeInterval: d.DeliverTimeInterval, OBSBucketName: d.OBSBucketName, OBSPath: d.OBSPath, PartitionFormat: d.PartitionFormat,
			RecordDelimiter: d.RecordDelimiter}, AccessKey: &d.AccessKey, SecretKey: &d.SecretKey}}
	t, sec, err := newTask(tr)
	if err != nil {
		return TaskInfo{}, err
	}
	t.Legacy = true
	return s.create(ctx, projectID, in.ID, t, sec, false)
}

// topicNamePattern is what a Kafka topic name is made of.
var topicNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// legacyTopics maps 7.2.4.3's topics, a comma-separated list whose entries may be regular
// expressions ("regexes are allowed"), to a task's topics, or to its topics_regex when an entry is
// not a plain topic name: the entries become alternatives, plain names matched as they are. A
// topics_regex given as well is left to newTask (which refuses both).
func legacyTopics(topics, regex string) (string, string) {
	names := SplitTopics(topics)
	plain := true
	for _, n := range names {
		plain = plain && topicNamePattern.MatchString(n)
	}
	if plain || regex != "" {
		return topics, regex
	}
	alts := make([]string, len(names))
	for i, n := range names {
		if n == ".*" {
			return "", n // every topic: refused for a dump, as topics_regex .* is
		}
		if topicNamePattern.MatchString(n) {
			n = regexp.QuoteMeta(n)
		}
		alts[i] = n
	}
	return "", strings.Join(alts, "|")
}

// LegacyDumps is 7.2.4.4: the connector's dump tasks.
func (s *Service) LegacyDumps(ctx context.Context, projectID, connectorID string) (Page, error) {
	in, err := s.ConnectorInstance(ctx, projectID, connectorID)
	if err != nil {
		return Page{}, err
	}
	ts, err := s.store.ListConnectTasks(ctx, in.ID)
	if err != nil {
		return Page{}, dms.Internal(err)
	}
	p := Page{MaxTasks: in.Connector.MaxTasks, Tasks: []TaskInfo{}}
	for _, t := range ts {
		if t.SinkType == dms.ConnectOBSSink {
			p.Tasks = append(p.Tasks, s.info(ctx, in, t, false))
		}
	}
	p.Total = len(p.Tasks)
	return p, nil
}

// LegacyDump is 7.2.4.5.
func (s *Service) LegacyDump(ctx context.Context, projectID, connectorID, taskID string, progress bool) (TaskInfo, error) {
	in, err := s.ConnectorInstance(ctx, projectID, connectorID)
	if err != nil {
		return TaskInfo{}, err
	}
	ti, err := s.Task(ctx, projectID, in.ID, taskID, progress)
	if err == nil && ti.SinkType != dms.ConnectOBSSink {
		return TaskInfo{}, dms.Errorf(dms.CodeConnectTaskNotFound, "The dumping task does not exist: %s is not a dump task.", taskID)
	}
	return ti, err
}

// DeleteLegacyDump is 7.2.4.6.
func (s *Service) DeleteLegacyDump(ctx context.Context, projectID, connectorID, taskID string) error {
	if _, err := s.LegacyDump(ctx, projectID, connectorID, taskID, false); err != nil {
		return err
	}
	in, err := s.ConnectorInstance(ctx, projectID, connectorID)
	if err != nil {
		return err
	}
	return s.DeleteTask(ctx, projectID, in.ID, taskID)
}

// SetLegacyQuota is 7.2.4.1: connectors here have the maximum quota from the start (as the
// reference says of instances created since September 2022), which cannot be changed.
func (s *Service) SetLegacyQuota(ctx context.Context, projectID, connectorID string, max *int) error {
	in, err := s.ConnectorInstance(ctx, projectID, connectorID)
	if err != nil {
		return err
	}
	if max == nil || *max < 1 {
		return bad("sink_max_tasks is required: a whole number of at least 1.")
	}
	if *max != in.Connector.MaxTasks {
		return dms.Errorf(dms.CodeConnectorTaskQuotaInvalid, "Sink task quota for connector invalid: the connector already has the maximum quota of %d tasks.", in.Connector.MaxTasks)
	}
	return nil
}

// LegacyDisable is 7.2.4.2: the order to disable dumping is 5.3.2's task (its id is the order id).
func (s *Service) LegacyDisable(ctx context.Context, projectID, instanceID, bodyInstanceID string, who instances.Actor) (string, error) {
	if strings.TrimSpace(bodyInstanceID) == "" {
		return "", bad("instance_id is required.")
	}
	if bodyInstanceID != instanceID {
		return "", bad("instance_id must be the instance of the path, %s.", instanceID)
	}
	return s.Disable(ctx, projectID, instanceID, who)
}
