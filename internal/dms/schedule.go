package dms

import "time"

// Scheduled task statuses, as the SDK's ScheduledTaskEntity lists them (ListScheduledTasks). OpenDMS
// reaches all but DELETED: a deleted scheduled task's row is removed, so no list ever shows it.
const (
	// ScheduleCreated: waiting for its time (the SDK's UpdateScheduledTask calls this "null").
	ScheduleCreated = "CREATED"
	// ScheduleExecuting: fired; TaskID is the background task it started (empty while the start is
	// being tried).
	ScheduleExecuting = "EXECUTING"
	// ScheduleSuccess and ScheduleFailed: the background task it started ended so, or (FAILED) it
	// could not be started, with Error saying why.
	ScheduleSuccess = "SUCCESS"
	ScheduleFailed  = "FAILED"
	// ScheduleCancelled: cancelled through UpdateScheduledTask (status=CANCELLED) before its time.
	ScheduleCancelled = "CANCELLED"
	ScheduleDeleted   = "DELETED"
)

// ScheduledTask is work on an instance to start at a time: a background task (Name, e.g.
// upgradeInstance, reassignPartitions) with its parameters, started by the schedule service at
// ScheduleAt.
type ScheduledTask struct {
	ID         string    `json:"id"`
	InstanceID string    `json:"instance_id"`
	ProjectID  string    `json:"project_id"`
	Name       string    `json:"name"`   // the task it starts
	Params     string    `json:"params"` // JSON, shown to users as is: never a secret
	Status     string    `json:"status"`
	UserID     string    `json:"user_id"`
	UserName   string    `json:"user_name"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	ScheduleAt time.Time `json:"schedule_at"`
	// TaskID is the background task it started, once started.
	TaskID string `json:"task_id,omitempty"`
	// Error says why it FAILED.
	Error string `json:"error,omitempty"`
}

// Started reports whether the scheduled task has fired (it can no longer be changed or cancelled).
func (t ScheduledTask) Started() bool {
	return t.Status == ScheduleExecuting || t.Status == ScheduleSuccess || t.Status == ScheduleFailed
}
