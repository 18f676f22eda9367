package dms

import "time"

// DiagnosisStatus is the status of a message backlog diagnosis report (5.11.3).
type DiagnosisStatus string

// The statuses of the reference. A report is diagnosing while its analysis runs, then normal (no
// abnormal item), abnormal (at least one), finished (no abnormal item but some could not be
// diagnosed), or failed (the analysis could not run). deleted marks a report removed by 5.11.4.
const (
	DiagnosisDiagnosing DiagnosisStatus = "diagnosing"
	DiagnosisFinished   DiagnosisStatus = "finished"
	DiagnosisNormal     DiagnosisStatus = "normal"
	DiagnosisAbnormal   DiagnosisStatus = "abnormal"
	DiagnosisFailed     DiagnosisStatus = "failed"
	DiagnosisDeleted    DiagnosisStatus = "deleted"
)

// DiagnosisReport is a message backlog diagnosis of one consumer group on one topic (5.11.2-5.11.5).
type DiagnosisReport struct {
	ID                    string               `json:"report_id"`
	InstanceID            string               `json:"instance_id"`
	Group                 string               `json:"group_name"`
	Topic                 string               `json:"topic_name"`
	Status                DiagnosisStatus      `json:"status"`
	BeginTime             time.Time            `json:"begin_time"`
	EndTime               time.Time            `json:"end_time"` // zero while diagnosing
	AccumulatedPartitions int                  `json:"accumulated_partitions"`
	Error                 string               `json:"error,omitempty"` // why a failed report failed
	Dimensions            []DiagnosisDimension `json:"dimensions,omitempty"`
}

// DiagnosisDimension groups the items of one aspect (consumer, server, ...).
type DiagnosisDimension struct {
	Name  string          `json:"name"`
	Items []DiagnosisItem `json:"items"`
}

// The results of a diagnosis item.
const (
	ItemNormal   = "normal"
	ItemAbnormal = "abnormal"
	ItemFailed   = "failed"
)

// DiagnosisItem is one check of a diagnosis, its result and, when abnormal, the causes and advice
// with the partitions and brokers concerned.
type DiagnosisItem struct {
	Name             string                `json:"name"`
	Result           string                `json:"result"`
	Causes           []DiagnosisConclusion `json:"causes,omitempty"`
	Advice           []DiagnosisConclusion `json:"advice,omitempty"`
	Partitions       []int32               `json:"partitions,omitempty"`
	FailedPartitions []int32               `json:"failed_partitions,omitempty"`
	Brokers          []int32               `json:"brokers,omitempty"`
}

// DiagnosisConclusion is a cause or an advice: an id of the conclusion catalog and its parameters.
type DiagnosisConclusion struct {
	ID     int               `json:"id"`
	Params map[string]string `json:"params,omitempty"`
}
