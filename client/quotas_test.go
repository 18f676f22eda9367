package client

import (
	"testing"

	"github.com/opendms/opendms/client/clienttest"
)

func TestQuotaMethods(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	ok := func(body string) clienttest.Reply { return clienttest.Reply{Status: 200, Body: body} }
	const job = `{"job_id":"8abfa7b38ba79a20018ba9afc550576a"}`
	path := kafkaEngPath + "/kafka-user-client-quota"
	runClientCases(t, []clientCase{
		{"ListQuotas", func(c *Client) (any, error) { return c.ListQuotas(ctx(), instID) }, "GET", path,
			ok(`{"quotas":[{"user":"","client":"","user-default":false,"client-default":true,"producer-byte-rate":2097152,"consumer-byte-rate":0}],"count":1}`),
			"limit=100&offset=0", "", []Quota{{ClientDefault: true, ProducerByteRate: 2097152}}},
		{"ListQuotas none", func(c *Client) (any, error) { return c.ListQuotas(ctx(), instID) }, "GET", path,
			ok(`{"quotas":[],"count":0}`), "limit=100&offset=0", "", []Quota{}},
		{"CreateQuota", func(c *Client) (any, error) {
			return c.CreateQuota(ctx(), instID, QuotaEntity{User: "alice", ClientDefault: true}, QuotaRates{ProducerByteRate: i64(1024)})
		}, "POST", path, ok(job), "", `{"user":"alice","client-default":true,"producer-byte-rate":1024}`, "8abfa7b38ba79a20018ba9afc550576a"},
		{"UpdateQuota", func(c *Client) (any, error) {
			return c.UpdateQuota(ctx(), instID, QuotaEntity{UserDefault: true, Client: "app"}, QuotaRates{ConsumerByteRate: i64(5)})
		}, "PUT", path, ok(job), "", `{"user-default":true,"client":"app","consumer-byte-rate":5}`, "8abfa7b38ba79a20018ba9afc550576a"},
		{"DeleteQuota", func(c *Client) (any, error) { return c.DeleteQuota(ctx(), instID, QuotaEntity{Client: "app"}) },
			"DELETE", path, ok(job), "", `{"client":"app"}`, "8abfa7b38ba79a20018ba9afc550576a"},
	})
}

func TestQuotaPaging(t *testing.T) {
	// The fake answers every page alike: 2 of 3 quotas. The client asks again from offset 2 and stops.
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{"GET " + kafkaEngPath + "/kafka-user-client-quota": {Status: 200,
		Body: `{"quotas":[{"user":"a","producer-byte-rate":1},{"client":"b","consumer-byte-rate":2}],"count":3}`}})
	qs, err := newTestClient(t, f, testPID).ListQuotas(ctx(), instID)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 4 || qs[0].Entity() != (QuotaEntity{User: "a"}) || qs[1].ConsumerByteRate != 2 {
		t.Errorf("quotas = %+v", qs)
	}
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].RawQuery != "limit=100&offset=0" || reqs[1].RawQuery != "limit=100&offset=2" {
		t.Errorf("requests = %+v", reqs)
	}
}
