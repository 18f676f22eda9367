package client

import (
	"context"
	"net/http"
	"net/url"
)

// Kafka users of a SASL instance and their topic permissions (API reference 5.7.1-5.7.7), the
// password of the instance's administrator (5.2.1) and OpenDMS's own download of the instance's CA
// certificate. Field names and types are the Go SDK's. These are the users Kafka clients log in
// as (SASL), not IAM users (ListUsers and the rest of the admin API).

// KafkaUser is a user as 5.7.1 lists it (ShowInstanceUsersEntity).
type KafkaUser struct {
	UserName    string `json:"user_name"`
	UserDesc    string `json:"user_desc"`
	Role        string `json:"role"`
	DefaultApp  bool   `json:"default_app"`  // the instance's administrator
	CreatedTime int64  `json:"created_time"` // Unix ms; 0 when the server does not know it
}

// Access policies of a user on a topic.
const (
	AccessAll = "all" // produce and consume
	AccessPub = "pub" // produce
	AccessSub = "sub" // consume
)

// TopicPolicy is one user's access to a topic (PolicyEntity). Owner is informational: 5.7.7 does
// not take it.
type TopicPolicy struct {
	Owner        bool   `json:"owner"`
	UserName     string `json:"user_name"`
	AccessPolicy string `json:"access_policy"` // AccessAll, AccessPub or AccessSub
}

// ListKafkaUsers lists an instance's Kafka users (5.7.1); never nil.
func (c *Client) ListKafkaUsers(ctx context.Context, instanceID string) ([]KafkaUser, error) {
	var out struct {
		Users []KafkaUser `json:"users"`
	}
	if err := c.call(ctx, http.MethodGet, instancePath(instanceID, "users"), nil, &out); err != nil {
		return nil, err
	}
	if out.Users == nil {
		out.Users = []KafkaUser{}
	}
	return out.Users, nil
}

// CreateKafkaUser creates a Kafka user with its password (5.7.2); desc "" leaves it without a
// description.
func (c *Client) CreateKafkaUser(ctx context.Context, instanceID, name, password, desc string) error {
	in := struct {
		UserName   string `json:"user_name"`
		UserDesc   string `json:"user_desc,omitempty"`
		UserPasswd string `json:"user_passwd"`
	}{name, desc, password}
	return c.call(ctx, http.MethodPost, instancePath(instanceID, "users"), in, nil)
}

// DeleteKafkaUsers deletes Kafka users (5.7.3), with their permissions.
func (c *Client) DeleteKafkaUsers(ctx context.Context, instanceID string, names []string) error {
	in := struct {
		Action string   `json:"action"`
		Users  []string `json:"users"`
	}{"delete", names}
	return c.call(ctx, http.MethodPut, instancePath(instanceID, "users"), in, nil)
}

// ResetKafkaUserPassword sets a Kafka user's password (5.7.4).
func (c *Client) ResetKafkaUserPassword(ctx context.Context, instanceID, name, password string) error {
	in := struct {
		NewPassword string `json:"new_password"`
	}{password}
	return c.call(ctx, http.MethodPut, instancePath(instanceID, "users", name), in, nil)
}

// UpdateKafkaUser sets a Kafka user's description (5.7.5); "" clears it. A user cannot be renamed.
func (c *Client) UpdateKafkaUser(ctx context.Context, instanceID, name, desc string) error {
	in := struct {
		UserDesc string `json:"user_desc"`
	}{desc}
	return c.call(ctx, http.MethodPut, kafkaEnginePath(instanceID, "users", name), in, nil)
}

// v1InstancePath is /v1/{project_id}/instances/{id}/elems..., the form of 5.7.6 and 5.7.7.
func v1InstancePath(id string, elems ...string) string {
	p := "/v1/{project_id}/instances/" + url.PathEscape(id)
	for _, e := range elems {
		p += "/" + url.PathEscape(e)
	}
	return p
}

// TopicAccessPolicies returns the users that may use a topic and how (5.7.6); never nil.
func (c *Client) TopicAccessPolicies(ctx context.Context, instanceID, topic string) ([]TopicPolicy, error) {
	var out struct {
		Policies []TopicPolicy `json:"policies"`
	}
	if err := c.call(ctx, http.MethodGet, v1InstancePath(instanceID, "topics", topic, "accesspolicy"), nil, &out); err != nil {
		return nil, err
	}
	if out.Policies == nil {
		out.Policies = []TopicPolicy{}
	}
	return out.Policies, nil
}

// SetTopicAccessPolicies replaces the access policies of a topic (5.7.7): afterwards exactly the
// users of policies may use it (their Owner is ignored), so a user left out loses its access and
// an empty list revokes everyone's. To change one user, read the list with TopicAccessPolicies,
// change it and write it whole.
func (c *Client) SetTopicAccessPolicies(ctx context.Context, instanceID, topic string, policies []TopicPolicy) error {
	type policy struct {
		UserName     string `json:"user_name"`
		AccessPolicy string `json:"access_policy"`
	}
	type topicPolicies struct {
		Name     string   `json:"name"`
		Policies []policy `json:"policies"`
	}
	ps := make([]policy, 0, len(policies))
	for _, p := range policies {
		ps = append(ps, policy{p.UserName, p.AccessPolicy})
	}
	in := struct {
		Topics []topicPolicies `json:"topics"`
	}{[]topicPolicies{{topic, ps}}}
	return c.call(ctx, http.MethodPost, v1InstancePath(instanceID, "topics", "accesspolicy"), in, nil)
}

// ResetInstancePassword sets the password of the instance's administrator (5.2.1), the SASL user
// given when the instance was created.
func (c *Client) ResetInstancePassword(ctx context.Context, instanceID, password string) error {
	in := struct {
		NewPassword string `json:"new_password"`
	}{password}
	return c.call(ctx, http.MethodPost, instancePath(instanceID, "password"), in, nil)
}

// InstanceCACertificate returns the PEM of the CA certificate that signs the brokers' certificates
// of a SASL_SSL instance, for clients to trust (OpenDMS's own API: GET
// /opendms/v1/{project_id}/instances/{instance_id}/ca-certificate). An instance without SASL_SSL
// has none: a 404 *APIError.
func (c *Client) InstanceCACertificate(ctx context.Context, instanceID string) ([]byte, error) {
	resp, err := c.Do(ctx, http.MethodGet, AdminPrefix+"/{project_id}/instances/"+url.PathEscape(instanceID)+"/ca-certificate", nil, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
