package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Message backlog diagnosis (API reference 5.11.1-5.11.5). Field names and types are the Go SDK's.

// DiagnosisCheck is one item of the pre-check (5.11.1).
type DiagnosisCheck struct {
	Name    string `json:"name"`
	Reason  string `json:"reason"`
	Success bool   `json:"success"`
}

// DiagnosisPreCheck runs the pre-check of group on topic (5.11.1).
func (c *Client) DiagnosisPreCheck(ctx context.Context, instanceID, group, topic string) ([]DiagnosisCheck, error) {
	resp, err := c.Do(ctx, http.MethodGet, kafkaInstancePath(instanceID, "diagnosis-check"), url.Values{"group": {group}, "topic": {topic}}, nil)
	if err != nil {
		return nil, err
	}
	var out []DiagnosisCheck
	return out, resp.Decode(&out)
}

// CreateDiagnosis starts a diagnosis of group on topic (5.11.2) and returns its report id.
func (c *Client) CreateDiagnosis(ctx context.Context, instanceID, group, topic string) (string, error) {
	in := struct {
		GroupName string `json:"group_name"`
		TopicName string `json:"topic_name"`
	}{group, topic}
	var out struct {
		ReportID string `json:"report_id"`
	}
	err := c.call(ctx, http.MethodPost, kafkaInstancePath(instanceID, "message-diagnosis-tasks"), in, &out)
	return out.ReportID, err
}

// DiagnosisReportInfo is a report as 5.11.3 lists it.
type DiagnosisReportInfo struct {
	ReportID              string `json:"report_id"`
	Status                string `json:"status"` // diagnosing, normal, abnormal, finished, failed
	BeginTime             string `json:"begin_time"`
	EndTime               string `json:"end_time,omitempty"` // "" while diagnosing
	GroupName             string `json:"group_name"`
	TopicName             string `json:"topic_name"`
	AccumulatedPartitions int    `json:"accumulated_partitions"`
}

// ListDiagnoses lists an instance's reports (5.11.3), newest first: the page at offset (limit 0:
// the server's default page) and the total.
func (c *Client) ListDiagnoses(ctx context.Context, instanceID string, offset, limit int) ([]DiagnosisReportInfo, int, error) {
	q := url.Values{"offset": {strconv.Itoa(offset)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	resp, err := c.Do(ctx, http.MethodGet, kafkaInstancePath(instanceID, "message-diagnosis-tasks"), q, nil)
	if err != nil {
		return nil, 0, err
	}
	var out struct {
		ReportList []DiagnosisReportInfo `json:"report_list"`
		TotalNum   int                   `json:"total_num"`
	}
	return out.ReportList, out.TotalNum, resp.Decode(&out)
}

// DiagnosisReportInfoByID finds one report in the list (5.11.3 has the status, 5.11.5 does not).
func (c *Client) DiagnosisReportInfoByID(ctx context.Context, instanceID, reportID string) (*DiagnosisReportInfo, error) {
	const page = 50
	for offset := 0; ; offset += page {
		rs, total, err := c.ListDiagnoses(ctx, instanceID, offset, page)
		if err != nil {
			return nil, err
		}
		for i := range rs {
			if rs[i].ReportID == reportID {
				return &rs[i], nil
			}
		}
		if len(rs) == 0 || offset+page >= total {
			return nil, fmt.Errorf("no diagnosis report %s in the instance's list", reportID)
		}
	}
}

// DiagnosisConclusion is a cause or an advice of a report item: an id and its parameters.
type DiagnosisConclusion struct {
	ID     int               `json:"id"`
	Params map[string]string `json:"params"`
}

// DiagnosisItem is one check of a report.
type DiagnosisItem struct {
	Name             string                `json:"name"`
	Result           string                `json:"result"` // normal, abnormal, failed
	CauseIDs         []DiagnosisConclusion `json:"cause_ids"`
	AdviceIDs        []DiagnosisConclusion `json:"advice_ids"`
	Partitions       []int                 `json:"partitions"`
	FailedPartitions []int                 `json:"failed_partitions"`
	BrokerIDs        []int                 `json:"broker_ids"`
}

// DiagnosisDimension groups the items of one aspect.
type DiagnosisDimension struct {
	Name              string          `json:"name"`
	AbnormalNum       int             `json:"abnormal_num"`
	FailedNum         int             `json:"failed_num"`
	DiagnosisItemList []DiagnosisItem `json:"diagnosis_item_list"`
}

// DiagnosisReport is the details of a report (5.11.5).
type DiagnosisReport struct {
	AbnormalItemNum        int                  `json:"abnormal_item_num"`
	FailedItemNum          int                  `json:"failed_item_num"`
	NormalItemNum          int                  `json:"normal_item_num"`
	DiagnosisDimensionList []DiagnosisDimension `json:"diagnosis_dimension_list"`
}

// DiagnosisReport returns a report's details (5.11.5).
func (c *Client) DiagnosisReport(ctx context.Context, instanceID, reportID string) (*DiagnosisReport, error) {
	var out DiagnosisReport
	if err := c.call(ctx, http.MethodGet, kafkaInstancePath(instanceID, "message-diagnosis", reportID), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DiagnosisDeleteResult is the outcome of deleting one report.
type DiagnosisDeleteResult struct {
	Result bool   `json:"result"`
	ID     string `json:"id"`
}

// DeleteDiagnoses deletes reports (5.11.4).
func (c *Client) DeleteDiagnoses(ctx context.Context, instanceID string, ids []string) ([]DiagnosisDeleteResult, error) {
	in := struct {
		ReportIDList []string `json:"report_id_list"`
	}{ids}
	var out struct {
		Results []DiagnosisDeleteResult `json:"results"`
	}
	err := c.call(ctx, http.MethodDelete, kafkaInstancePath(instanceID, "message-diagnosis-tasks"), in, &out)
	return out.Results, err
}
