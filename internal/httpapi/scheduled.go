package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/schedule"
)

// Scheduled tasks (the SDK's ListScheduledTasks, UpdateScheduledTask, DeleteScheduledTask) and
// ShowUpgradeInstanceVersion. 5.1.9 with is_schedule is upgradeInstance (instances.go).

func (s *Server) implementScheduled() {
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/scheduled-tasks", http.HandlerFunc(s.listScheduledTasks))
	s.router.implement("PUT", "/v2/{project_id}/instances/{instance_id}/scheduled-tasks/{task_id}", http.HandlerFunc(s.updateScheduledTask))
	s.router.implement("DELETE", "/v2/{project_id}/instances/{instance_id}/scheduled-tasks/{task_id}", http.HandlerFunc(s.deleteScheduledTask))
	s.router.implement("GET", "/v2/{project_id}/kafka/instances/{instance_id}/upgrade", http.HandlerFunc(s.showUpgradeVersion))
}

// scheduledTaskView is the SDK's ScheduledTaskEntity (every field a string; times ISO-8601 as 5.9's).
type scheduledTaskView struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	UserName   string `json:"user_name"`
	UserID     string `json:"user_id"`
	Params     string `json:"params"`
	Status     string `json:"status"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
	ScheduleAt string `json:"schedule_at"`
	// TaskID is the background task it started and Error why it FAILED (OpenDMS additions; SDKs
	// ignore them).
	TaskID string `json:"task_id,omitempty"`
	Error  string `json:"error,omitempty"`
}

func viewScheduledTask(t dms.ScheduledTask) scheduledTaskView {
	return scheduledTaskView{ID: t.ID, Name: t.Name, UserName: t.UserName, UserID: t.UserID, Params: t.Params, Status: t.Status,
		CreatedAt: t.CreatedAt.UTC().Format(isoMillis), UpdatedAt: t.UpdatedAt.UTC().Format(isoMillis),
		ScheduleAt: t.ScheduleAt.UTC().Format(isoMillis), TaskID: t.TaskID, Error: t.Error}
}

func (s *Server) listScheduledTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f schedule.Filter
	var err error
	if f.Begin, err = taskTime(q.Get("begin_time")); err == nil {
		f.End, err = taskTime(q.Get("end_time"))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.Start = q.Get("start")
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 0 {
			writeError(w, r, invalidParam("limit must be an integer >= 0"))
			return
		}
	}
	ts, total, err := s.instances.ScheduledTasks(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]scheduledTaskView, 0, len(ts))
	for _, t := range ts {
		views = append(views, viewScheduledTask(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"job_count": strconv.Itoa(total), "jobs": views})
}

// updateScheduledTask takes execute_at and status from the query, where the SDK puts them.
func (s *Server) updateScheduledTask(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var u schedule.Update
	if q.Has("execute_at") {
		at, err := scheduleTime(q.Get("execute_at"))
		if err != nil {
			writeError(w, r, err)
			return
		}
		u.ExecuteAt = &at
	}
	if q.Has("status") {
		st := q.Get("status")
		if st == "" || strings.EqualFold(st, "null") { // the SDK documents null as "waiting"
			st = dms.ScheduleCreated
		}
		u.Status = &st
	}
	if _, err := s.instances.UpdateScheduledTask(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("task_id"), u); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// scheduleTime parses UpdateScheduledTask's execute_at: Unix time in ms (as 5.1.9's execute_at),
// or YYYYMMDDHHmmss in UTC (as the list's filters), or RFC 3339.
func scheduleTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if len(v) == 14 {
		if t, err := time.Parse("20060102150405", v); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.UnixMilli(n), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Time{}, dms.Errorf(dms.CodeTimestampInvalid, "Timestamp is invalid: execute_at %q is not Unix time in ms, YYYYMMDDHHmmss (UTC) or RFC 3339.", v)
}

func (s *Server) deleteScheduledTask(w http.ResponseWriter, r *http.Request) {
	if err := s.instances.DeleteScheduledTask(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("task_id")); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) showUpgradeVersion(w http.ResponseWriter, r *http.Request) {
	current, latest, err := s.instances.UpgradeVersions(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"current_version": current, "latest_version": latest})
}
