package client

import (
	"errors"
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

const (
	v1InstPath = "/v1/" + testPID + "/instances/" + instID
	caPEM      = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
)

func TestKafkaUserMethods(t *testing.T) {
	ok := func(body string) clienttest.Reply { return clienttest.Reply{Status: 200, Body: body} }
	none := clienttest.Reply{Status: 204}
	runClientCases(t, []clientCase{
		{"ListKafkaUsers", func(c *Client) (any, error) { return c.ListKafkaUsers(ctx(), instID) },
			"GET", instPath + "/users",
			ok(`{"users":[{"user_name":"root","user_desc":"","role":"","default_app":true,"created_time":0},` +
				`{"user_name":"shop","user_desc":"the shop","role":"","default_app":false,"created_time":1735689600000}]}`), "", "",
			[]KafkaUser{{UserName: "root", DefaultApp: true}, {UserName: "shop", UserDesc: "the shop", CreatedTime: 1735689600000}}},
		{"ListKafkaUsers none", func(c *Client) (any, error) { return c.ListKafkaUsers(ctx(), instID) },
			"GET", instPath + "/users", ok(`{}`), "", "", []KafkaUser{}},
		{"CreateKafkaUser", func(c *Client) (any, error) { return nil, c.CreateKafkaUser(ctx(), instID, "shop", "Secret-1", "") },
			"POST", instPath + "/users", none, "", `{"user_name":"shop","user_passwd":"Secret-1"}`, nil},
		{"CreateKafkaUser with a description", func(c *Client) (any, error) {
			return nil, c.CreateKafkaUser(ctx(), instID, "shop", "Secret-1", "the shop")
		}, "POST", instPath + "/users", none, "", `{"user_name":"shop","user_desc":"the shop","user_passwd":"Secret-1"}`, nil},
		{"DeleteKafkaUsers", func(c *Client) (any, error) { return nil, c.DeleteKafkaUsers(ctx(), instID, []string{"a", "b"}) },
			"PUT", instPath + "/users", none, "", `{"action":"delete","users":["a","b"]}`, nil},
		{"ResetKafkaUserPassword", func(c *Client) (any, error) { return nil, c.ResetKafkaUserPassword(ctx(), instID, "shop", "Secret-2") },
			"PUT", instPath + "/users/shop", none, "", `{"new_password":"Secret-2"}`, nil},
		{"UpdateKafkaUser", func(c *Client) (any, error) { return nil, c.UpdateKafkaUser(ctx(), instID, "shop", "invoices") },
			"PUT", kafkaEngPath + "/users/shop", none, "", `{"user_desc":"invoices"}`, nil},
		{"UpdateKafkaUser clears", func(c *Client) (any, error) { return nil, c.UpdateKafkaUser(ctx(), instID, "shop", "") },
			"PUT", kafkaEngPath + "/users/shop", none, "", `{"user_desc":""}`, nil},
		{"TopicAccessPolicies", func(c *Client) (any, error) { return c.TopicAccessPolicies(ctx(), instID, "orders") },
			"GET", v1InstPath + "/topics/orders/accesspolicy",
			ok(`{"name":"orders","topic_type":0,"policies":[{"owner":true,"user_name":"a","access_policy":"all"},{"owner":false,"user_name":"b","access_policy":"sub"}]}`),
			"", "", []TopicPolicy{{Owner: true, UserName: "a", AccessPolicy: AccessAll}, {UserName: "b", AccessPolicy: AccessSub}}},
		{"TopicAccessPolicies none, escaped topic", func(c *Client) (any, error) { return c.TopicAccessPolicies(ctx(), instID, "a b") },
			"GET", v1InstPath + "/topics/a b/accesspolicy", ok(`{"name":"a b","topic_type":0,"policies":[]}`), "", "", []TopicPolicy{}},
		{"SetTopicAccessPolicies", func(c *Client) (any, error) {
			return nil, c.SetTopicAccessPolicies(ctx(), instID, "orders",
				[]TopicPolicy{{Owner: true, UserName: "a", AccessPolicy: AccessAll}, {UserName: "b", AccessPolicy: AccessPub}})
		}, "POST", v1InstPath + "/topics/accesspolicy", none, "",
			`{"topics":[{"name":"orders","policies":[{"user_name":"a","access_policy":"all"},{"user_name":"b","access_policy":"pub"}]}]}`, nil},
		{"SetTopicAccessPolicies empty revokes all", func(c *Client) (any, error) {
			return nil, c.SetTopicAccessPolicies(ctx(), instID, "orders", nil)
		}, "POST", v1InstPath + "/topics/accesspolicy", none, "", `{"topics":[{"name":"orders","policies":[]}]}`, nil},
		{"ResetInstancePassword", func(c *Client) (any, error) { return nil, c.ResetInstancePassword(ctx(), instID, "Secret-3") },
			"POST", instPath + "/password", none, "", `{"new_password":"Secret-3"}`, nil},
		{"InstanceCACertificate", func(c *Client) (any, error) { return c.InstanceCACertificate(ctx(), instID) },
			"GET", "/opendms/v1/" + testPID + "/instances/" + instID + "/ca-certificate",
			clienttest.Reply{Status: 200, Body: caPEM, Header: map[string]string{"Content-Type": "application/x-pem-file"}}, "", "", []byte(caPEM)},
	})
}

func TestKafkaUserErrors(t *testing.T) {
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{
		"GET /opendms/v1/" + testPID + "/instances/" + instID + "/ca-certificate": {Status: 404,
			Body: `{"error_code":"DMS.00404900","error_msg":"The instance has no SASL_SSL access mode, so no CA certificate."}`},
		"POST " + v1InstPath + "/topics/accesspolicy": {Status: 404, Body: `{"error_code":"DMS.00404900","error_msg":"The user x does not exist."}`},
	})
	c := newTestClient(t, f, testPID)
	pem, err := c.InstanceCACertificate(ctx(), instID)
	var ae *APIError
	if pem != nil || !IsNotFound(err) || !errors.As(err, &ae) || ae.Code != "DMS.00404900" {
		t.Errorf("InstanceCACertificate = %q, %v", pem, err)
	}
	err = c.SetTopicAccessPolicies(ctx(), instID, "orders", []TopicPolicy{{UserName: "x", AccessPolicy: AccessPub}})
	if !errors.As(err, &ae) || ae.Code != "DMS.00404900" {
		t.Errorf("SetTopicAccessPolicies = %v", err)
	}
	if _, err := c.ListKafkaUsers(ctx(), instID); !IsNotFound(err) { // not in the fake's table
		t.Errorf("ListKafkaUsers = %v", err)
	}
}
