package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// User and client quotas of a Kafka instance (API reference 5.2.13-5.2.16): byte-rate limits of a
// user, a client id, or both, each named or the default one. Bodies use the reference's hyphenated
// keys (user-default, producer-byte-rate, ...), which the Huawei Cloud service takes; OpenDMS also
// takes the Go SDK's underscored ones.

// QuotaEntity is who a quota applies to. User and UserDefault are exclusive, as are Client and
// ClientDefault; at least one of the four is set.
type QuotaEntity struct {
	User          string `json:"user,omitempty"`
	Client        string `json:"client,omitempty"`
	UserDefault   bool   `json:"user-default,omitempty"`   // every user without a quota of its own
	ClientDefault bool   `json:"client-default,omitempty"` // every client id without a quota of its own
}

// Quota is a quota as 5.2.14 lists it; a rate of 0 is no limit in that direction.
type Quota struct {
	User             string `json:"user"`
	Client           string `json:"client"`
	UserDefault      bool   `json:"user-default"`
	ClientDefault    bool   `json:"client-default"`
	ProducerByteRate int64  `json:"producer-byte-rate"` // bytes/s
	ConsumerByteRate int64  `json:"consumer-byte-rate"` // bytes/s
}

// Entity is the quota's entity.
func (q Quota) Entity() QuotaEntity {
	return QuotaEntity{User: q.User, Client: q.Client, UserDefault: q.UserDefault, ClientDefault: q.ClientDefault}
}

// QuotaRates are the rates of a create or a modify, in bytes/s; nil is not given (a modify keeps
// that rate as it is).
type QuotaRates struct {
	ProducerByteRate *int64 `json:"producer-byte-rate,omitempty"`
	ConsumerByteRate *int64 `json:"consumer-byte-rate,omitempty"`
}

// quotaPage is the page size ListQuotas asks for: the reference documents no bound.
const quotaPage = 100

func quotaPath(instanceID string) string {
	return kafkaEnginePath(instanceID, "kafka-user-client-quota")
}

// ListQuotas lists every quota of an instance (5.2.14), page after page, sorted as the server
// sorts them. The slice is never nil.
func (c *Client) ListQuotas(ctx context.Context, instanceID string) ([]Quota, error) {
	out := []Quota{}
	for offset := 0; ; {
		q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(quotaPage)}}
		resp, err := c.Do(ctx, http.MethodGet, quotaPath(instanceID), q, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Quotas []Quota `json:"quotas"`
			Count  int     `json:"count"`
		}
		if err := resp.Decode(&page); err != nil {
			return nil, err
		}
		out = append(out, page.Quotas...)
		offset += len(page.Quotas)
		if len(page.Quotas) == 0 || offset >= page.Count {
			return out, nil
		}
	}
}

// quotaWrite sends a create, modify or delete and returns the id of its task.
func (c *Client) quotaWrite(ctx context.Context, method, instanceID string, body any) (string, error) {
	var out struct {
		JobID string `json:"job_id"`
	}
	err := c.call(ctx, method, quotaPath(instanceID), body, &out)
	return out.JobID, err
}

// quotaBody is the body of a create or a modify: the entity's and the rates' keys in one object.
type quotaBody struct {
	QuotaEntity
	QuotaRates
}

// CreateQuota creates the quota of an entity (5.2.15) and returns the id of the task that applies
// it (WaitTask follows it). An entity that has a quota already is refused (409 on OpenDMS).
func (c *Client) CreateQuota(ctx context.Context, instanceID string, e QuotaEntity, r QuotaRates) (string, error) {
	return c.quotaWrite(ctx, http.MethodPost, instanceID, quotaBody{e, r})
}

// UpdateQuota changes the rates given of an entity's quota (5.2.16) and returns the task's id. An
// entity without a quota is refused (404 on OpenDMS).
func (c *Client) UpdateQuota(ctx context.Context, instanceID string, e QuotaEntity, r QuotaRates) (string, error) {
	return c.quotaWrite(ctx, http.MethodPut, instanceID, quotaBody{e, r})
}

// DeleteQuota deletes an entity's quota (5.2.13, a DELETE with a body) and returns the task's id.
func (c *Client) DeleteQuota(ctx context.Context, instanceID string, e QuotaEntity) (string, error) {
	return c.quotaWrite(ctx, http.MethodDelete, instanceID, e)
}
