package messages

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestRecordsResultAppendJSON: the hand-written encoding writes what encoding/json writes.
func TestRecordsResultAppendJSON(t *testing.T) {
	p, o, ts := int32(2), int64(1<<40), int64(1735787045046)
	for _, tc := range []struct {
		name string
		r    RecordsResult
	}{
		{"none", RecordsResult{Topic: "t", Records: []RecordOut{}}},
		{"written and failed", RecordsResult{Topic: "a<b>&\"c\"\u2028é", Succeeded: 2, Failed: 1, Records: []RecordOut{
			{Partition: &p, Offset: &o, Timestamp: &ts}, {ErrorCode: "DMS.00400062", ErrorMsg: "too <large> & \"bad\"\n\x01"}, {Partition: &p, Offset: &o, Timestamp: &ts}}}},
		{"error without message", RecordsResult{Topic: "t", Failed: 1, Records: []RecordOut{{ErrorCode: "X"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tc.r); err != nil {
				t.Fatal(err)
			}
			if got := tc.r.AppendJSON(nil); string(got) != want.String() {
				t.Errorf("got  %s\nwant %s", got, want.Bytes())
			}
		})
	}
}
