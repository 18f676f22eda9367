package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/opendms/opendms/internal/connect"
	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
)

// Smart Connect: 5.3.1-5.3.9, the SDK's ShowConnectorResourceInfo, ModifyConnectorTask,
// RestartSmartConnectorTask, ValidateConnectorConnectivity and ListObsBuckets, and the legacy
// dumping APIs 7.2.4.1-7.2.4.6.

func (s *Server) implementConnect() {
	const inst = "/v2/{project_id}/instances/{instance_id}/connector"
	s.router.implement("POST", inst, http.HandlerFunc(s.enableConnector))
	s.router.implement("GET", inst, http.HandlerFunc(s.showConnector))
	s.router.implement("POST", "/v2/{project_id}/kafka/instances/{instance_id}/delete-connector", http.HandlerFunc(s.disableConnector))
	s.router.implement("POST", inst+"/tasks", http.HandlerFunc(s.createConnectTask))
	s.router.implement("GET", inst+"/tasks", http.HandlerFunc(s.listConnectTasks))
	s.router.implement("GET", inst+"/tasks/{task_id}", http.HandlerFunc(s.showConnectTask))
	s.router.implement("PUT", inst+"/tasks/{task_id}", http.HandlerFunc(s.modifyConnectTask))
	s.router.implement("DELETE", inst+"/tasks/{task_id}", http.HandlerFunc(s.connectTaskAction(s.connect.DeleteTask)))
	s.router.implement("PUT", inst+"/tasks/{task_id}/pause", http.HandlerFunc(s.connectTaskAction(s.connect.PauseTask)))
	s.router.implement("PUT", inst+"/tasks/{task_id}/resume", http.HandlerFunc(s.connectTaskAction(s.connect.ResumeTask)))
	s.router.implement("PUT", inst+"/tasks/{task_id}/restart", http.HandlerFunc(s.connectTaskAction(s.connect.RestartTask)))
	s.router.implement("PUT", "/v2/{project_id}/kafka/instances/{instance_id}/connector/tasks/{task_id}/restart", http.HandlerFunc(s.connectTaskAction(s.connect.RestartTask)))
	s.router.implement("POST", inst+"/validate", http.HandlerFunc(s.validateConnector))
	s.router.implement("GET", "/v1.0/dms/obs/buckets", http.HandlerFunc(s.listOBSBuckets))

	const legacy = "/v2/{project_id}/connectors/{connector_id}/sink-tasks"
	s.router.implement("PUT", legacy, http.HandlerFunc(s.setDumpQuota))
	s.router.implement("POST", "/v2/{project_id}/kafka/instances/{instance_id}/delete-connector-order", http.HandlerFunc(s.disableConnectorOrder))
	s.router.implement("POST", legacy, http.HandlerFunc(s.createLegacyDump))
	s.router.implement("GET", legacy, http.HandlerFunc(s.listLegacyDumps))
	s.router.implement("GET", legacy+"/{task_id}", http.HandlerFunc(s.showLegacyDump))
	s.router.implement("DELETE", legacy+"/{task_id}", http.HandlerFunc(s.deleteLegacyDump))
}

func (s *Server) enableConnector(w http.ResponseWriter, r *http.Request) {
	var req connect.EnableRequest
	if len(readBody(r)) > 0 { // 5.3.1's fields are all optional: no body enables with the defaults
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
	}
	job, id, err := s.connect.Enable(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"job_id": job, "connector_id": id})
}

func (s *Server) showConnector(w http.ResponseWriter, r *http.Request) {
	res, err := s.connect.Resource(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) disableConnector(w http.ResponseWriter, r *http.Request) {
	job, err := s.connect.Disable(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"job_id": job})
}

// connectTaskView is the SDK's SmartConnectTaskEntity (5.3.3-5.3.5's response): source_task and
// sink_task are null for NONE, as the reference's example shows; secrets are never in it. The
// last two fields are OpenDMS's (SDKs ignore them): why a task is in ERROR or WAITING, and the
// state of each of its connectors and their tasks.
type connectTaskView struct {
	TaskName     string               `json:"task_name"`
	Topics       string               `json:"topics"`
	TopicsRegex  string               `json:"topics_regex"`
	SourceType   string               `json:"source_type"`
	SourceTask   *dms.ConnectSource   `json:"source_task"`
	SinkType     string               `json:"sink_type"`
	SinkTask     *connectSinkView     `json:"sink_task"`
	ID           string               `json:"id"`
	Status       string               `json:"status"`
	CreateTime   int64                `json:"create_time"`
	StatusDetail string               `json:"status_detail,omitempty"`
	Connectors   []connect.PartStatus `json:"connectors,omitempty"`
}

// connectSinkView is SmartConnectTaskRespSinkConfig: the settings with the fixed classes the
// reference lists for a dump (OpenDMS writes text objects itself; the names say what a dump of
// Huawei's does, for clients that show them).
type connectSinkView struct {
	dms.ConnectSink
	SchemaGeneratorClass string `json:"schema_generator_class,omitempty"`
	PartitionerClass     string `json:"partitioner_class,omitempty"`
	ValueConverter       string `json:"value_converter,omitempty"`
	KeyConverter         string `json:"key_converter,omitempty"`
}

func viewConnectTask(ti connect.TaskInfo) connectTaskView {
	v := connectTaskView{TaskName: ti.Name, Topics: ti.Topics, TopicsRegex: ti.TopicsRegex, SourceType: ti.SourceType,
		SourceTask: ti.Source, SinkType: ti.SinkType, ID: ti.ID, Status: ti.Status, CreateTime: ti.CreatedAt.UnixMilli(),
		StatusDetail: ti.Detail, Connectors: ti.Parts}
	if ti.Sink != nil {
		sv := &connectSinkView{ConnectSink: *ti.Sink}
		if ti.SinkType == dms.ConnectOBSSink {
			sv.SchemaGeneratorClass = "io.confluent.connect.storage.hive.schema.DefaultSchemaGenerator"
			sv.PartitionerClass = "io.confluent.connect.storage.partitioner.TimeBasedPartitioner"
			sv.ValueConverter = "org.apache.kafka.connect.converters.ByteArrayConverter"
			sv.KeyConverter = "org.apache.kafka.connect.converters.ByteArrayConverter"
		}
		v.SinkTask = sv
	}
	return v
}

func (s *Server) createConnectTask(w http.ResponseWriter, r *http.Request) {
	var req connect.TaskRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	ti, err := s.connect.CreateTask(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewConnectTask(ti))
}

func (s *Server) listConnectTasks(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := pageParams(r, 10, 50)
	if err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.connect.ListTasks(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), offset, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]connectTaskView, 0, len(p.Tasks))
	for _, ti := range p.Tasks {
		views = append(views, viewConnectTask(ti))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": views, "total_number": p.Total, "max_tasks": p.MaxTasks, "quota_tasks": p.MaxTasks})
}

func (s *Server) showConnectTask(w http.ResponseWriter, r *http.Request) {
	ti, err := s.connect.Task(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("task_id"), false)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewConnectTask(ti))
}

func (s *Server) modifyConnectTask(w http.ResponseWriter, r *http.Request) {
	var req connect.TaskRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	ti, err := s.connect.ModifyTask(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("task_id"), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewConnectTask(ti))
}

// connectTaskAction serves the task operations that answer 204 (5.3.6-5.3.9).
func (s *Server) connectTaskAction(op func(ctx context.Context, projectID, instanceID, taskID string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := op(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("task_id")); err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) validateConnector(w http.ResponseWriter, r *http.Request) {
	var req connect.ValidateRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.connect.Validate(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// obsBucketView is the SDK's ObsBucketEntity.
type obsBucketView struct {
	BucketName   string `json:"bucketName"`
	CreationDate int64  `json:"creationDate"`
	Location     string `json:"location,omitempty"`
}

// listOBSBuckets is the SDK's ListObsBuckets (no parameters): the keys come in the headers
// X-OBS-Access-Key and X-OBS-Secret-Key (never a query string, which proxies log).
func (s *Server) listOBSBuckets(w http.ResponseWriter, r *http.Request) {
	bs, err := s.connect.ListBuckets(r.Context(), r.Header.Get("X-OBS-Access-Key"), r.Header.Get("X-OBS-Secret-Key"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]obsBucketView, 0, len(bs))
	for _, b := range bs {
		views = append(views, obsBucketView{BucketName: b.Name, CreationDate: b.CreationDate.UnixMilli(), Location: b.Location})
	}
	writeJSON(w, http.StatusOK, views)
}

func (s *Server) setDumpQuota(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SinkMaxTasks *int `json:"sink_max_tasks"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.connect.SetLegacyQuota(r.Context(), r.PathValue("project_id"), r.PathValue("connector_id"), req.SinkMaxTasks); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) disableConnectorOrder(w http.ResponseWriter, r *http.Request) {
	var req struct {
		InstanceID string `json:"instance_id"`
		URL        string `json:"url"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	job, err := s.connect.LegacyDisable(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.InstanceID, instances.ActorOf(principal(r)))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"order_id": job})
}

func (s *Server) createLegacyDump(w http.ResponseWriter, r *http.Request) {
	var req connect.LegacyDumpRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	ti, err := s.connect.CreateLegacyDump(r.Context(), r.PathValue("project_id"), r.PathValue("connector_id"), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"task_id": ti.ID})
}

// legacyDumpView is 7.2.4.4's task and, with the descriptor and progress, 7.2.4.5's.
type legacyDumpView struct {
	TaskID          string            `json:"task_id,omitempty"`
	TaskName        string            `json:"task_name"`
	DestinationType string            `json:"destination_type"`
	CreateTime      int64             `json:"create_time"`
	Status          string            `json:"status"`
	Topics          string            `json:"topics"`
	Descriptor      *legacyOBSView    `json:"obs_destination_descriptor,omitempty"`
	TopicsInfo      []legacyTopicInfo `json:"topics_info,omitempty"`
}

type legacyOBSView struct {
	ConsumerStrategy    string `json:"consumer_strategy"`
	DestinationFileType string `json:"destination_file_type"`
	OBSBucketName       string `json:"obs_bucket_name"`
	OBSPath             string `json:"obs_path"`
	PartitionFormat     string `json:"partition_format"`
	RecordDelimiter     string `json:"record_delimiter"`
	DeliverTimeInterval int    `json:"deliver_time_interval"`
	OBSPartSize         int64  `json:"obs_part_size"`
}

type legacyTopicInfo struct {
	Topic      string                `json:"topic"`
	Partitions []legacyPartitionInfo `json:"partitions"`
}

// legacyPartitionInfo: 7.2.4.5's numbers are strings.
type legacyPartitionInfo struct {
	PartitionID        string `json:"partition_id"`
	Status             string `json:"status"`
	LastTransferOffset string `json:"last_transfer_offset"`
	LogEndOffset       string `json:"log_end_offset"`
	Lag                string `json:"lag"`
}

func viewLegacyDump(ti connect.TaskInfo, full bool) legacyDumpView {
	topics := ti.Topics
	if topics == "" {
		topics = ti.TopicsRegex
	}
	v := legacyDumpView{TaskName: ti.Name, DestinationType: "OBS", CreateTime: ti.CreatedAt.UnixMilli(), Status: ti.Status, Topics: topics}
	if !full {
		v.TaskID = ti.ID
		return v
	}
	if k := ti.Sink; k != nil {
		d := &legacyOBSView{ConsumerStrategy: k.ConsumerStrategy, DestinationFileType: k.DestinationFileType, OBSBucketName: k.OBSBucketName,
			OBSPath: k.OBSPath, PartitionFormat: k.PartitionFormat}
		if k.RecordDelimiter != nil {
			d.RecordDelimiter = *k.RecordDelimiter
		}
		if k.DeliverTimeInterval != nil {
			d.DeliverTimeInterval = *k.DeliverTimeInterval
		}
		if k.OBSPartSize != nil {
			d.OBSPartSize = int64(*k.OBSPartSize)
		}
		v.Descriptor = d
	}
	for _, p := range ti.Progress {
		i := len(v.TopicsInfo) - 1
		if i < 0 || v.TopicsInfo[i].Topic != p.Topic {
			v.TopicsInfo = append(v.TopicsInfo, legacyTopicInfo{Topic: p.Topic})
			i++
		}
		v.TopicsInfo[i].Partitions = append(v.TopicsInfo[i].Partitions, legacyPartitionInfo{PartitionID: strconv.Itoa(int(p.Partition)),
			Status: ti.Status, LastTransferOffset: strconv.FormatInt(p.LastTransferOffset, 10),
			LogEndOffset: strconv.FormatInt(p.LogEndOffset, 10), Lag: strconv.FormatInt(p.Lag, 10)})
	}
	return v
}

func (s *Server) listLegacyDumps(w http.ResponseWriter, r *http.Request) {
	p, err := s.connect.LegacyDumps(r.Context(), r.PathValue("project_id"), r.PathValue("connector_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]legacyDumpView, 0, len(p.Tasks))
	for _, ti := range p.Tasks {
		views = append(views, viewLegacyDump(ti, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": views, "total_number": p.Total, "max_tasks": p.MaxTasks, "quota_tasks": p.MaxTasks})
}

func (s *Server) showLegacyDump(w http.ResponseWriter, r *http.Request) {
	progress := r.URL.Query().Get("topic-info") == "true"
	ti, err := s.connect.LegacyDump(r.Context(), r.PathValue("project_id"), r.PathValue("connector_id"), r.PathValue("task_id"), progress)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewLegacyDump(ti, true))
}

func (s *Server) deleteLegacyDump(w http.ResponseWriter, r *http.Request) {
	if err := s.connect.DeleteLegacyDump(r.Context(), r.PathValue("project_id"), r.PathValue("connector_id"), r.PathValue("task_id")); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
