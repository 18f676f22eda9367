package httpapi

import (
	"net/http"
	"strings"

	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/quotas"
)

// User and client quotas, 5.2.13-5.2.16 (internal/quotas): Kafka client quotas of the instance's
// cluster. The writes answer 200 {"job_id"} and a background task applies them.
func (s *Server) implementQuotas() {
	const path = "/v2/kafka/{project_id}/instances/{instance_id}/kafka-user-client-quota"
	s.router.implement("GET", path, http.HandlerFunc(s.listQuotas))
	s.router.implement("POST", path, s.quotaWrite(quotas.OpCreate))
	s.router.implement("PUT", path, s.quotaWrite(quotas.OpModify))
	s.router.implement("DELETE", path, s.quotaWrite(quotas.OpDelete))
}

// quotaView is the SDK's QuotaResp, with its hyphenated keys (the same as the reference's). Every
// field is always there: "" for no user / client, 0 for a rate without a limit (the reference's
// example shows "user":"" beside "user-default":true, and clients read the rates unconditionally).
type quotaView struct {
	User             string `json:"user"`
	Client           string `json:"client"`
	UserDefault      bool   `json:"user-default"`
	ClientDefault    bool   `json:"client-default"`
	ProducerByteRate int64  `json:"producer-byte-rate"`
	ConsumerByteRate int64  `json:"consumer-byte-rate"`
}

// listQuotas is 5.2.14: {"quotas":[...],"count":total}. The reference documents offset and limit
// without bounds or defaults: without limit every quota from offset is listed (openPageParams).
func (s *Server) listQuotas(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := openPageParams(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	qs, err := s.quotas.List(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]quotaView, 0, len(qs))
	for _, q := range page(qs, offset, limit) {
		e := q.Entity
		views = append(views, quotaView{User: e.User, Client: e.ClientID, UserDefault: e.UserDefault, ClientDefault: e.ClientDefault,
			ProducerByteRate: q.ProducerByteRate, ConsumerByteRate: q.ConsumerByteRate})
	}
	writeJSON(w, http.StatusOK, map[string]any{"quotas": views, "count": int32(len(qs))})
}

// quotaBody is the body of 5.2.13, 5.2.15 and 5.2.16 in both spellings: the reference's
// hyphenated keys and the Go SDK's underscored ones (CreateKafkaUserClientQuotaTaskReq and its
// siblings send user_default, client_default, producer_byte_rate, consumer_byte_rate). The SDK is
// what clients send, so it wins where the two differ; both are accepted, and a body giving a field
// in both spellings with different values is refused.
type quotaBody struct {
	User                *string `json:"user"`
	Client              *string `json:"client"`
	UserDefault         *bool   `json:"user-default"`
	UserDefaultSDK      *bool   `json:"user_default"`
	ClientDefault       *bool   `json:"client-default"`
	ClientDefaultSDK    *bool   `json:"client_default"`
	ProducerByteRate    *int64  `json:"producer-byte-rate"`
	ProducerByteRateSDK *int64  `json:"producer_byte_rate"`
	ConsumerByteRate    *int64  `json:"consumer-byte-rate"`
	ConsumerByteRateSDK *int64  `json:"consumer_byte_rate"`
}

// either merges a field given in two spellings.
func either[T comparable](hyphen, underscore *T, field string) (*T, error) {
	switch {
	case hyphen == nil:
		return underscore, nil
	case underscore != nil && *hyphen != *underscore:
		return nil, invalidParam("%s and %s are the same field, given with different values", field, underscoreName(field))
	}
	return hyphen, nil
}

func underscoreName(hyphenated string) string { return strings.ReplaceAll(hyphenated, "-", "_") }

func valueOrZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// request merges the spellings into the service's request.
func (b quotaBody) request() (quotas.Request, error) {
	ud, err := either(b.UserDefault, b.UserDefaultSDK, "user-default")
	if err != nil {
		return quotas.Request{}, err
	}
	cd, err := either(b.ClientDefault, b.ClientDefaultSDK, "client-default")
	if err != nil {
		return quotas.Request{}, err
	}
	pr, err := either(b.ProducerByteRate, b.ProducerByteRateSDK, "producer-byte-rate")
	if err != nil {
		return quotas.Request{}, err
	}
	cr, err := either(b.ConsumerByteRate, b.ConsumerByteRateSDK, "consumer-byte-rate")
	if err != nil {
		return quotas.Request{}, err
	}
	return quotas.Request{User: valueOrZero(b.User), Client: valueOrZero(b.Client), UserDefault: valueOrZero(ud), ClientDefault: valueOrZero(cd),
		ProducerByteRate: pr, ConsumerByteRate: cr}, nil
}

// quotaWrite is 5.2.15 (create), 5.2.16 (modify) or 5.2.13 (delete, whose body is the entity):
// checked at once, then 200 {"job_id"} of the task that applies it.
func (s *Server) quotaWrite(op quotas.Op) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b quotaBody
		if err := decodeJSON(r, &b); err != nil {
			writeError(w, r, err)
			return
		}
		req, err := b.request()
		if err != nil {
			writeError(w, r, err)
			return
		}
		t, err := s.quotas.Submit(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)), op, req)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"job_id": t.ID})
	}
}
