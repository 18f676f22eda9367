package client

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/opendms/opendms/client/clienttest"
)

const messageJS = `{"topic":"orders","partition":1,"message_offset":4294967300,"key":"k1","value":"hello","size":7,` +
	`"timestamp":1735787045046,"huge_message":false,"message_id":"","app_id":"","tag":"",` +
	`"headers":[{"name":"trace","value":"abc"},{"name":"bin","value":"/w==","encoding":"base64"}]}`

var wantMessage = Message{Topic: "orders", Partition: 1, MessageOffset: 4294967300, Key: strp("k1"), Value: "hello", Size: 7,
	Timestamp: 1735787045046, Headers: []MessageHeader{{"trace", "abc", ""}, {"bin", "/w==", "base64"}}}

func TestMessageMethods(t *testing.T) {
	from := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	to := from.Add(time.Hour)
	runClientCases(t, []clientCase{
		{"ProduceMessage", func(c *Client) (any, error) {
			return c.ProduceMessage(ctx(), instID, ProduceMessageRequest{Topic: "orders", Body: "hello <&>",
				PropertyList: []MessageProperty{{PropertyKey, "k1"}, {PropertyPartition, "2"}, {"trace", "abc"}}})
		}, "POST", instPath + "/messages/action", clienttest.Reply{Status: 200,
			Body: `{"topic":"orders","body":"hello <&>","property_list":[],"partition":2,"message_offset":41,"timestamp":1735787045046}`},
			"action_id=send",
			`{"topic":"orders","body":"hello <&>","property_list":[{"name":"KEY","value":"k1"},{"name":"PARTITION","value":"2"},{"name":"trace","value":"abc"}]}`,
			&ProducedMessage{Topic: "orders", Body: "hello <&>", PropertyList: []json.RawMessage{}, Partition: intp(2), MessageOffset: int64p(41),
				Timestamp: int64p(1735787045046)}},
		{"ProduceMessage always sends property_list; the reference's answer", func(c *Client) (any, error) {
			return c.ProduceMessage(ctx(), instID, ProduceMessageRequest{Topic: "orders", Body: ""})
		}, "POST", instPath + "/messages/action", clienttest.Reply{Status: 200, Body: `{"topic":"orders","body":"","property_list":[]}`},
			"action_id=send", `{"topic":"orders","body":"","property_list":[]}`,
			&ProducedMessage{Topic: "orders", PropertyList: []json.RawMessage{}}},
		{"ProduceRecords", func(c *Client) (any, error) {
			p := int32(2)
			return c.ProduceRecords(ctx(), instID, "orders", []Record{
				{Key: Text("k1"), Value: Text("hello <&>"), Headers: []RecordHeader{{"trace", Text("abc")}}},
				{Value: Binary([]byte{0xff}), Partition: &p, Timestamp: 1735787045046},
			})
		}, "POST", "/opendms/v1/" + testPID + "/instances/" + instID + "/topics/orders/records", clienttest.Reply{Status: 200,
			Body: `{"topic":"orders","succeeded":1,"failed":1,"records":[{"partition":0,"offset":7,"timestamp":1735787045046},` +
				`{"error_code":"DMS.00400062","error_msg":"too large"}]}`},
			"",
			`[{"key":{"type":"string","data":"k1"},"value":{"type":"string","data":"hello <&>"},"headers":[{"name":"trace","value":{"type":"string","data":"abc"}}]},` +
				`{"value":{"type":"binary","data":"/w=="},"partition":2,"timestamp":1735787045046}]`,
			&ProducedRecords{Topic: "orders", Succeeded: 1, Failed: 1, Records: []RecordResult{
				{Partition: int32p(0), Offset: int64p(7), Timestamp: int64p(1735787045046)}, {ErrorCode: "DMS.00400062", ErrorMsg: "too large"}}}},
		{"QueryMessages by time", func(c *Client) (any, error) {
			return c.QueryMessages(ctx(), instID, MessageQuery{Topic: "orders", Start: from, End: to, Partition: intp(1), Keyword: "hel lo",
				Key: strp(""), Include: []string{"a", "b"}, Exclude: []string{"c"}, Asc: true, Limit: 20, Page: 2, Download: true})
		}, "GET", instPath + "/messages", clienttest.Reply{Status: 200,
			Body: `{"messages":[` + messageJS + `],"total":21,"size":1,"page":2,"pages":2,"truncated":true,"scan":{"records":21}}`},
			"asc=true&download=true&end_time=1735790645000&exclude=c&include=a%2Cb&key=&keyword=hel+lo&limit=20&offset=2&partition=1" +
				"&start_time=1735787045000&topic=orders", "",
			&MessagePage{Messages: []Message{wantMessage}, Total: 21, Size: 1, Page: 2, Pages: 2, Truncated: true}},
		{"QueryMessages at an offset", func(c *Client) (any, error) {
			return c.QueryMessages(ctx(), instID, MessageQuery{Topic: "orders", Partition: intp(0), MessageOffset: int64p(0)})
		}, "GET", instPath + "/messages", clienttest.Reply{Status: 200, Body: `{"messages":[],"total":0,"size":0}`},
			"message_offset=0&partition=0&topic=orders", "", &MessagePage{Messages: []Message{}}},
		{"QueryMessages key null", func(c *Client) (any, error) { return c.QueryMessages(ctx(), instID, MessageQuery{Topic: "orders"}) },
			"GET", instPath + "/messages", clienttest.Reply{Status: 200,
				Body: `{"messages":[{"topic":"orders","partition":0,"message_offset":3,"key":null,"value":"/w==","value_encoding":"base64","size":1,` +
					`"timestamp":1735787045046,"huge_message":true}],"total":1,"size":1}`},
			"topic=orders", "", &MessagePage{Messages: []Message{{Topic: "orders", MessageOffset: 3, Value: "/w==", ValueEncoding: "base64", Size: 1,
				Timestamp: 1735787045046, HugeMessage: true}}, Total: 1, Size: 1}},
		{"MessageAt", func(c *Client) (any, error) {
			m, found, err := c.MessageAt(ctx(), instID, "orders", 1, 4294967300)
			if !found {
				return nil, errors.New("not found")
			}
			return m, err
		}, "GET", instPath + "/management/topics/orders/partitions/1/message", clienttest.Reply{Status: 200, Body: `{"message":[` + messageJS + `]}`},
			"message_offset=4294967300", "", wantMessage},
		{"MessageAt none", func(c *Client) (any, error) {
			m, found, err := c.MessageAt(ctx(), instID, "a b", 0, 7)
			if found {
				return nil, errors.New("found")
			}
			return m, err
		}, "GET", instPath + "/management/topics/a b/partitions/0/message", clienttest.Reply{Status: 200, Body: `{"message":[]}`},
			"message_offset=7", "", Message{}},
		{"MessagesByTime", func(c *Client) (any, error) {
			return c.MessagesByTime(ctx(), instID, "orders", TimeQuery{Start: from, End: to, Partition: intp(-1), Limit: 5, Page: 3})
		}, "GET", instPath + "/management/topics/orders/messages", clienttest.Reply{Status: 200,
			Body: `{"messages":[{"topic":"orders","partition":2,"message_offset":9,"size":12,"timestamp":1735787045046}],` +
				`"messages_count":11,"offsets_count":3,"offset":3}`},
			"end_time=1735790645000&limit=5&offset=3&partition=-1&start_time=1735787045000", "",
			&MessagePositions{Messages: []Message{{Topic: "orders", Partition: 2, MessageOffset: 9, Size: 12, Timestamp: 1735787045046}},
				MessagesCount: 11, OffsetsCount: 3, Offset: 3}},
		{"MessagesByTime defaults", func(c *Client) (any, error) { return c.MessagesByTime(ctx(), instID, "orders", TimeQuery{}) },
			"GET", instPath + "/management/topics/orders/messages", clienttest.Reply{Status: 200, Body: `{"messages_count":0}`}, "", "",
			&MessagePositions{Messages: []Message{}}},
		{"DeleteMessages", func(c *Client) (any, error) {
			return c.DeleteMessages(ctx(), instID, "orders", []PartitionOffset{{0, 5}, {1, -1}, {2, 3}})
		}, "POST", kafkaInstPath + "/topics/orders/messages/delete", clienttest.Reply{Status: 200, Body: `{"partitions":[` +
			`{"partition":0,"result":"success","error_code":"0","start_offset":5},{"partition":1,"result":"success","error_code":0},` +
			`{"partition":2,"result":"failed","error_code":"41","error_msg":"NOT_CONTROLLER"}]}`},
			"", `{"partitions":[{"partition":0,"offset":5},{"partition":1,"offset":-1},{"partition":2,"offset":3}]}`,
			[]MessageDeleteResult{{0, "success", "0", "", int64p(5)}, {1, "success", "0", "", nil}, {2, "failed", "41", "NOT_CONTROLLER", nil}}},
	})
}

func TestPartitionOffsets(t *testing.T) {
	base := instPath + "/management/topics/orders/partitions/2/"
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{
		"GET " + base + "beginning-message": {Status: 200, Body: `{"topic":"orders","partition":2,"offset":3,"timestamp":1735787045046}`},
		"GET " + base + "end-message":       {Status: 200, Body: `{"topic":"orders","partition":2,"offset":9,"timestamp":1735787049000}`},
		"GET " + instPath + "/management/topics/empty/partitions/0/beginning-message": {Status: 200,
			Body: `{"topic":"empty","partition":0,"offset":0,"timestamp":-1}`},
	})
	c := newTestClient(t, f, testPID)
	got, err := c.PartitionOffsets(ctx(), instID, "orders", 2)
	if err != nil {
		t.Fatal(err)
	}
	want := &PartitionOffsets{Topic: "orders", Partition: 2, Earliest: MessagePosition{3, 1735787045046}, Latest: MessagePosition{9, 1735787049000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PartitionOffsets = %+v, want %+v", got, want)
	}
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].Path != base+"beginning-message" || reqs[1].Path != base+"end-message" {
		t.Errorf("requests = %+v", reqs)
	}
	for _, r := range reqs {
		assertSigned(t, r)
		if r.RawQuery != "" || len(r.Body) != 0 {
			t.Errorf("%s: query %q, body %q", r.Path, r.RawQuery, r.Body)
		}
	}
	// The end-message answer missing: an error, not half a result.
	if got, err := c.PartitionOffsets(ctx(), instID, "empty", 0); err == nil || got != nil {
		t.Errorf("PartitionOffsets = %+v, %v; want the 404", got, err)
	}
}

func TestMessageErrors(t *testing.T) {
	f := clienttest.New(t, testAK, testSK, map[string]clienttest.Reply{
		"POST " + instPath + "/messages/action":                    {Status: 400, Body: `{"error_code":"DMS.00400004","error_msg":"Invalid request parameter: PARTITION 9 does not exist."}`},
		"GET " + instPath + "/messages":                            {Status: 400, Body: `{"error_code":"DMS.00400142","error_msg":"Timestamp is invalid."}`},
		"POST " + kafkaInstPath + "/topics/orders/messages/delete": {Status: 200, Body: `{"partitions":[{"partition":0,"error_code":{}}]}`},
	})
	c := newTestClient(t, f, testPID)
	var ae *APIError
	if _, err := c.ProduceMessage(ctx(), instID, ProduceMessageRequest{Topic: "orders"}); !errors.As(err, &ae) || ae.Code != "DMS.00400004" {
		t.Errorf("ProduceMessage error = %v", err)
	}
	if _, err := c.QueryMessages(ctx(), instID, MessageQuery{Topic: "orders"}); !errors.As(err, &ae) || ae.Code != "DMS.00400142" {
		t.Errorf("QueryMessages error = %v", err)
	}
	if _, _, err := c.MessageAt(ctx(), instID, "orders", 0, 1); !errors.As(err, &ae) || ae.Code != "APIGW.0101" {
		t.Errorf("MessageAt error = %v", err)
	}
	if _, err := c.DeleteMessages(ctx(), instID, "orders", []PartitionOffset{{0, 1}}); err == nil {
		t.Error("DeleteMessages decoded an object as error_code")
	}
}

func TestMessageTime(t *testing.T) {
	if got := (Message{Timestamp: 1735787045046}).Time(); !got.Equal(time.Date(2025, 1, 2, 3, 4, 5, 46e6, time.UTC)) {
		t.Errorf("Time = %v", got)
	}
	if !(Message{Timestamp: -1}).Time().IsZero() || !(Message{}).Time().IsZero() {
		t.Error("Time of no timestamp is not zero")
	}
}

func TestMessageDeleteResultOK(t *testing.T) {
	if !(MessageDeleteResult{Result: "success"}).OK() || (MessageDeleteResult{Result: "failed"}).OK() || (MessageDeleteResult{}).OK() {
		t.Error("OK is wrong")
	}
}

func int32p(i int32) *int32 { return &i }
