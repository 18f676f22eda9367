package httpapi

import (
	"net/http"

	"github.com/opendms/opendms/internal/messages"
)

// The batched produce API (OpenDMS's own, beyond the reference): a JSON array or newline-delimited
// JSON of records, produced together, answered per record in order. Its action is 5.5.1's.
func (s *Server) registerRecordRoutes() {
	s.own("POST", adminPrefix+"/{project_id}/instances/{instance_id}/topics/{topic}/records",
		"Produce a batch of records (JSON array or NDJSON), answered per record", "dms:instance:modify", authSigned, s.produceRecords)
}

func (s *Server) produceRecords(w http.ResponseWriter, r *http.Request) {
	recs, err := messages.DecodeRecords(bufferedBody(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	out, err := s.messages.ProduceRecords(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("topic"), recs)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(out.AppendJSON(make([]byte, 0, 64+48*len(out.Records))))
}
