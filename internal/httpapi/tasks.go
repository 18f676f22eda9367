package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
)

// Background tasks (5.9) and tags (5.10).

func (s *Server) implementTasksAndTags() {
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/tasks", http.HandlerFunc(s.listTasks))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/tasks/{task_id}", http.HandlerFunc(s.showTask))
	s.router.implement("DELETE", "/v2/{project_id}/instances/{instance_id}/tasks/{task_id}", http.HandlerFunc(s.deleteTask))
	s.router.implement("GET", "/v2/{project_id}/instances/{instance_id}/tasks/{task_id}/progress", http.HandlerFunc(s.showTaskProgress))
	s.router.implement("POST", "/v2/{project_id}/kafka/{instance_id}/tags/action", http.HandlerFunc(s.changeTags))
	s.router.implement("GET", "/v2/{project_id}/kafka/{instance_id}/tags", http.HandlerFunc(s.listTags))
	s.router.implement("GET", "/v2/{project_id}/kafka/tags", http.HandlerFunc(s.listProjectTags))
}

// taskView is a task of 5.9 (times as ISO-8601 strings, task_count a string, as the SDK models).
type taskView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	UserName  string `json:"user_name"`
	UserID    string `json:"user_id"`
	Params    string `json:"params"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	// Error is why a FAILED task failed (an OpenDMS addition; SDKs ignore it).
	Error string `json:"error,omitempty"`
}

const isoMillis = "2006-01-02T15:04:05.000Z"

func viewTask(t dms.Task) taskView {
	return taskView{ID: t.ID, Name: t.Name, UserName: t.UserName, UserID: t.UserID, Params: t.Params, Status: t.Status,
		CreatedAt: t.CreatedAt.UTC().Format(isoMillis), UpdatedAt: t.UpdatedAt.UTC().Format(isoMillis), Error: t.Error}
}

// taskTime parses 5.9.1's YYYYMMDDHHmmss filters (UTC).
func taskTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("20060102150405", v)
	if err != nil {
		return t, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: %q is not a time in YYYYMMDDHHmmss.", v)
	}
	return t, nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f instances.TaskFilter
	var err error
	if f.Begin, err = taskTime(q.Get("begin_time")); err == nil {
		f.End, err = taskTime(q.Get("end_time"))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	// The reference pages with start (a task id); the SDK sends offset (an int32). Both are served.
	f.Start = q.Get("start")
	for name, dst := range map[string]*int{"offset": &f.Offset, "limit": &f.Limit} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				writeError(w, r, invalidParam("%s must be an integer >= 0", name))
				return
			}
			*dst = n
		}
	}
	ts, total, err := s.instances.Tasks(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views := make([]taskView, 0, len(ts))
	for _, t := range ts {
		views = append(views, viewTask(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"task_count": strconv.Itoa(total), "tasks": views})
}

func (s *Server) showTask(w http.ResponseWriter, r *http.Request) {
	t, err := s.instances.Task(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("task_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	// 5.9.2 answers with the list envelope holding the one task.
	writeJSON(w, http.StatusOK, map[string]any{"task_count": "1", "tasks": []taskView{viewTask(t)}})
}

func (s *Server) deleteTask(w http.ResponseWriter, r *http.Request) {
	if err := s.instances.DeleteTask(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("task_id")); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) changeTags(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action string    `json:"action"`
		Tags   []dms.Tag `json:"tags"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.instances.ChangeTags(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), req.Action, req.Tags); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) {
	tags, err := s.instances.Tags(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": nonNil(tags)})
}

func (s *Server) listProjectTags(w http.ResponseWriter, r *http.Request) {
	tags, err := s.instances.ProjectTags(r.Context(), r.PathValue("project_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": tags})
}

// stepView is the SDK's StepDetail (its status field is spelled "statue").
type stepView struct {
	Name      string `json:"name"`
	Status    string `json:"statue"`
	StartTime string `json:"start_time,omitempty"`
	EndTime   string `json:"end_time,omitempty"`
}

// showTaskProgress is the SDK's ShowBackgroundTaskProgress. remain_time is left out while unknown.
func (s *Server) showTaskProgress(w http.ResponseWriter, r *http.Request) {
	p, err := s.instances.Progress(r.Context(), r.PathValue("project_id"), r.PathValue("instance_id"), r.PathValue("task_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	steps := make([]stepView, len(p.Steps))
	for i, st := range p.Steps {
		steps[i] = stepView{Name: st.Name, Status: st.Status}
		if !st.Start.IsZero() {
			steps[i].StartTime = st.Start.UTC().Format(isoMillis)
		}
		if !st.End.IsZero() {
			steps[i].EndTime = st.End.UTC().Format(isoMillis)
		}
	}
	body := map[string]any{"progress_percentage": p.Percentage, "step_list": steps}
	if p.RemainSeconds >= 0 {
		body["remain_time"] = p.RemainSeconds
	}
	writeJSON(w, http.StatusOK, body)
}
