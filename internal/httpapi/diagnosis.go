package httpapi

import (
	"net/http"

	"github.com/opendms/opendms/internal/dms"
)

// Message backlog diagnosis, 5.11.1-5.11.5. JSON names and types are the Go SDK's: the pre-check
// is a bare top-level array (ShowDiagnosisPreCheckResponse decodes the whole body as one);
// begin_time and end_time are ISO-8601 strings with milliseconds, end_time absent while the report
// is diagnosing; counts and partition and broker ids are int32.
func (s *Server) implementDiagnosis() {
	s.router.implement("GET", "/v2/{project_id}/kafka/instances/{instance_id}/diagnosis-check", http.HandlerFunc(s.diagnosisPreCheck))
	s.router.implement("POST", "/v2/{project_id}/kafka/instances/{instance_id}/message-diagnosis-tasks", http.HandlerFunc(s.createDiagnosis))
	s.router.implement("GET", "/v2/{project_id}/kafka/instances/{instance_id}/message-diagnosis-tasks", http.HandlerFunc(s.listDiagnoses))
	s.router.implement("DELETE", "/v2/{project_id}/kafka/instances/{instance_id}/message-diagnosis-tasks", http.HandlerFunc(s.deleteDiagnoses))
	s.router.implement("GET", "/v2/{project_id}/kafka/instances/{instance_id}/message-diagnosis/{report_id}", http.HandlerFunc(s.showDiagnosis))
}

// diagnosisCheckView is the SDK's KafkaDiagnosisCheckEntity.
type diagnosisCheckView struct {
	Name    string `json:"name"`
	Reason  string `json:"reason"`
	Success bool   `json:"success"`
}

func (s *Server) diagnosisPreCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	checks, err := s.diagnosis.PreCheck(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), q.Get("group"), q.Get("topic"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]diagnosisCheckView, 0, len(checks))
	for _, c := range checks {
		views = append(views, diagnosisCheckView{Name: c.Name, Reason: c.Reason, Success: c.Success})
	}
	writeJSON(w, http.StatusOK, views)
}

func (s *Server) createDiagnosis(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GroupName string `json:"group_name"`
		TopicName string `json:"topic_name"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	rep, err := s.diagnosis.Create(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.GroupName, req.TopicName)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"report_id": rep.ID})
}

// diagnosisReportView is the SDK's KafkaMessageDiagnosisReportInfoEntity.
type diagnosisReportView struct {
	ReportID              string  `json:"report_id"`
	Status                string  `json:"status"`
	BeginTime             string  `json:"begin_time"`
	EndTime               *string `json:"end_time,omitempty"`
	GroupName             string  `json:"group_name"`
	TopicName             string  `json:"topic_name"`
	AccumulatedPartitions int32   `json:"accumulated_partitions"`
}

func (s *Server) listDiagnoses(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := pageParams(r, 10, 50)
	if err != nil {
		writeError(w, r, err)
		return
	}
	total, reports, err := s.diagnosis.List(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), offset, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]diagnosisReportView, 0, len(reports))
	for _, rep := range reports {
		v := diagnosisReportView{ReportID: rep.ID, Status: string(rep.Status), BeginTime: rep.BeginTime.UTC().Format(isoMillis),
			GroupName: rep.Group, TopicName: rep.Topic, AccumulatedPartitions: int32(rep.AccumulatedPartitions)}
		if !rep.EndTime.IsZero() {
			end := rep.EndTime.UTC().Format(isoMillis)
			v.EndTime = &end
		}
		views = append(views, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"report_list": views, "total_num": int32(total)})
}

// diagnosisDeleteView is the SDK's BatchDeleteMessageDiagnosisRespResults: result is a Boolean
// (the reference's example prints the string "true", which the SDK's bool field refuses).
type diagnosisDeleteView struct {
	Result bool   `json:"result"`
	ID     string `json:"id"`
}

func (s *Server) deleteDiagnoses(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ReportIDList []string `json:"report_id_list"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	res, err := s.diagnosis.Delete(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.ReportIDList)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]diagnosisDeleteView, 0, len(res))
	for _, d := range res {
		views = append(views, diagnosisDeleteView{Result: d.Deleted, ID: d.ID})
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": views})
}

// The SDK's KafkaMessageDiagnosisDimensionEntity, ...ItemEntity and ...ConclusionEntity.
type (
	diagnosisDimensionView struct {
		Name              string              `json:"name"`
		AbnormalNum       int32               `json:"abnormal_num"`
		FailedNum         int32               `json:"failed_num"`
		DiagnosisItemList []diagnosisItemView `json:"diagnosis_item_list"`
	}
	diagnosisItemView struct {
		Name             string                    `json:"name"`
		Result           string                    `json:"result"`
		CauseIDs         []diagnosisConclusionView `json:"cause_ids"`
		AdviceIDs        []diagnosisConclusionView `json:"advice_ids"`
		Partitions       []int32                   `json:"partitions"`
		FailedPartitions []int32                   `json:"failed_partitions"`
		BrokerIDs        []int32                   `json:"broker_ids"`
	}
	diagnosisConclusionView struct {
		ID     int32             `json:"id"`
		Params map[string]string `json:"params"`
	}
)

func conclusionViews(cs []dms.DiagnosisConclusion) []diagnosisConclusionView {
	out := make([]diagnosisConclusionView, 0, len(cs))
	for _, c := range cs {
		p := c.Params
		if p == nil {
			p = map[string]string{}
		}
		out = append(out, diagnosisConclusionView{ID: int32(c.ID), Params: p})
	}
	return out
}

// showDiagnosis is 5.11.5. A report still diagnosing has no dimensions yet (all counts 0); the
// report's status is in the list (5.11.3), which this API's model has no field for.
func (s *Server) showDiagnosis(w http.ResponseWriter, r *http.Request) {
	rep, err := s.diagnosis.Get(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("report_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	var abnormal, failed, normal int32
	dims := make([]diagnosisDimensionView, 0, len(rep.Dimensions))
	for _, d := range rep.Dimensions {
		dv := diagnosisDimensionView{Name: d.Name, DiagnosisItemList: make([]diagnosisItemView, 0, len(d.Items))}
		for _, it := range d.Items {
			switch it.Result {
			case dms.ItemAbnormal:
				dv.AbnormalNum++
				abnormal++
			case dms.ItemFailed:
				dv.FailedNum++
				failed++
			default:
				normal++
			}
			dv.DiagnosisItemList = append(dv.DiagnosisItemList, diagnosisItemView{
				Name: it.Name, Result: it.Result, CauseIDs: conclusionViews(it.Causes), AdviceIDs: conclusionViews(it.Advice),
				Partitions: nonNil(it.Partitions), FailedPartitions: nonNil(it.FailedPartitions), BrokerIDs: nonNil(it.Brokers),
			})
		}
		dims = append(dims, dv)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"abnormal_item_num": abnormal, "failed_item_num": failed, "normal_item_num": normal, "diagnosis_dimension_list": dims,
	})
}
