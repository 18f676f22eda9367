package httpapi

import (
	"net/http"

	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/reassign"
)

// Partition reassignment (internal/reassign): 5.2.8 (one topic's manual plan, 204) and 5.2.11 in
// the reference's path and the SDK's (CreateKafkaReassignmentTask): {"job_id"} of the task, or
// {"reassignment_time"} for time_estimate true.
func (s *Server) implementReassign() {
	s.router.implement("POST", "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/replicas-reassignment", http.HandlerFunc(s.reassignTopic))
	s.router.implement("POST", "/v2/kafka/{project_id}/instances/{instance_id}/reassign", http.HandlerFunc(s.reassignPartitions))
	s.router.implement("POST", "/v2/{project_id}/kafka/instances/{instance_id}/reassign", http.HandlerFunc(s.reassignPartitions))
}

// reassignTopic is 5.2.8: checked at once, then 204 while the task moves the replicas (the
// reference answers no job id; 5.9 lists the task).
func (s *Server) reassignTopic(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Partitions []reassign.ReplicaPlacement `json:"partitions"`
	}
	if err := decodeJSON(r, &b); err != nil {
		writeError(w, r, err)
		return
	}
	_, err := s.reassign.ReassignTopic(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)),
		r.PathValue("topic"), b.Partitions)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// reassignPartitions is 5.2.11.
func (s *Server) reassignPartitions(w http.ResponseWriter, r *http.Request) {
	var req reassign.Request
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	res, err := s.reassign.Start(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if res.Estimated {
		writeJSON(w, http.StatusOK, map[string]int32{"reassignment_time": int32(min(res.ReassignmentTime, 1<<31-1))})
		return
	}
	if res.Scheduled != nil { // is_schedule: the scheduled task's id, as 5.1.9 answers a scheduled upgrade's
		writeJSON(w, http.StatusOK, map[string]string{"job_id": res.Scheduled.ID})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"job_id": res.Task.ID})
}

// rebalanceInstance is OpenDMS's whole-instance rebalance (no reference API moves every topic at
// once with one plan): {"job_id"} of the task, or {"reassignment_time"} for time_estimate true.
func (s *Server) rebalanceInstance(w http.ResponseWriter, r *http.Request) {
	var req reassign.RebalanceRequest
	if len(readBody(r)) > 0 {
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, r, err)
			return
		}
	}
	res, err := s.reassign.Rebalance(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), instances.ActorOf(principal(r)), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if res.Estimated {
		writeJSON(w, http.StatusOK, map[string]int32{"reassignment_time": int32(min(res.ReassignmentTime, 1<<31-1))})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"job_id": res.Task.ID})
}
