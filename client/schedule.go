package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Scheduled task statuses (the SDK's ScheduledTaskEntity).
const (
	ScheduleCreated   = "CREATED" // waiting for its time
	ScheduleExecuting = "EXECUTING"
	ScheduleSuccess   = "SUCCESS"
	ScheduleFailed    = "FAILED"
	ScheduleCancelled = "CANCELLED"
)

// ScheduledTask is work scheduled on an instance (ListScheduledTasks): a background task (Name)
// started at ScheduleAt. Times are ISO-8601 strings.
type ScheduledTask struct {
	ID         string `json:"id"`
	Name       string `json:"name"` // upgradeInstance, reassignPartitions, ...
	UserName   string `json:"user_name"`
	UserID     string `json:"user_id"`
	Params     string `json:"params"` // JSON text
	Status     string `json:"status"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
	ScheduleAt string `json:"schedule_at"`
	// TaskID is the background task it started and Error why it FAILED (OpenDMS additions).
	TaskID string `json:"task_id,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Ended reports whether the scheduled task has ended (its task ended, or it was never started).
func (t ScheduledTask) Ended() bool {
	return t.Status == ScheduleSuccess || t.Status == ScheduleFailed || t.Status == ScheduleCancelled
}

// ScheduledTaskFilter selects scheduled tasks (zero values select everything).
type ScheduledTaskFilter struct {
	Start string    // a scheduled task id, or a 1-based position, to start from
	Limit int       // at most this many
	Begin time.Time // scheduled at or after
	End   time.Time // scheduled at or before
}

func scheduledPath(instanceID string, elems ...string) string {
	return instancePath(instanceID, append([]string{"scheduled-tasks"}, elems...)...)
}

// ListScheduledTasks lists an instance's scheduled tasks, newest first (the SDK's ListScheduledTasks).
func (c *Client) ListScheduledTasks(ctx context.Context, instanceID string, f ScheduledTaskFilter) ([]ScheduledTask, error) {
	resp, err := c.Do(ctx, http.MethodGet, scheduledPath(instanceID), taskQuery(f.Start, f.Limit, f.Begin, f.End), nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Jobs []ScheduledTask `json:"jobs"`
	}
	if err := resp.Decode(&out); err != nil {
		return nil, err
	}
	if out.Jobs == nil {
		out.Jobs = []ScheduledTask{}
	}
	return out.Jobs, nil
}

// GetScheduledTask finds one scheduled task of an instance (there is no API for one: it is looked
// up in the list).
func (c *Client) GetScheduledTask(ctx context.Context, instanceID, id string) (*ScheduledTask, error) {
	ts, err := c.ListScheduledTasks(ctx, instanceID, ScheduledTaskFilter{})
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID == id {
			return &t, nil
		}
	}
	return nil, fmt.Errorf("instance %s has no scheduled task %s", instanceID, id)
}

// ScheduledTaskChange is what UpdateScheduledTask changes; at least one field is set.
type ScheduledTaskChange struct {
	At     time.Time // a new time (zero: unchanged)
	Status string    // CANCELLED to cancel, CREATED to let a cancelled task wait again ("": unchanged)
}

// UpdateScheduledTask changes a scheduled task that has not started (the SDK's
// UpdateScheduledTask; its fields go in the query, as the SDK sends them).
func (c *Client) UpdateScheduledTask(ctx context.Context, instanceID, id string, ch ScheduledTaskChange) error {
	q := url.Values{}
	if !ch.At.IsZero() {
		q.Set("execute_at", strconv.FormatInt(ch.At.UnixMilli(), 10))
	}
	if ch.Status != "" {
		q.Set("status", ch.Status)
	}
	_, err := c.Do(ctx, http.MethodPut, scheduledPath(instanceID, id), q, nil)
	return err
}

// DeleteScheduledTask cancels a scheduled task that has not started, or removes an ended one's
// record (the SDK's DeleteScheduledTask).
func (c *Client) DeleteScheduledTask(ctx context.Context, instanceID, id string) error {
	return c.call(ctx, http.MethodDelete, scheduledPath(instanceID, id), nil, nil)
}

func upgradePath(instanceID string) string {
	return "/v2/{project_id}/kafka/instances/" + url.PathEscape(instanceID) + "/upgrade"
}

// UpgradeInstance upgrades an instance now (5.1.9) and returns the upgrade's background task id.
func (c *Client) UpgradeInstance(ctx context.Context, instanceID string) (string, error) {
	return c.upgrade(ctx, instanceID, map[string]any{})
}

// ScheduleUpgrade schedules an upgrade of an instance at a time (5.1.9 with is_schedule) and
// returns the scheduled task's id.
func (c *Client) ScheduleUpgrade(ctx context.Context, instanceID string, at time.Time) (string, error) {
	return c.upgrade(ctx, instanceID, map[string]any{"is_schedule": true, "execute_at": at.UnixMilli()})
}

// upgrade sends 5.1.9, whose answer is a bare id, not JSON.
func (c *Client) upgrade(ctx context.Context, instanceID string, body map[string]any) (string, error) {
	resp, err := c.Do(ctx, http.MethodPost, upgradePath(instanceID), nil, body)
	if err != nil {
		return "", err
	}
	return strings.Trim(strings.TrimSpace(string(resp.Body)), `"`), nil
}

// UpgradeVersions is the Kafka version an instance runs and the one an upgrade moves it to
// (ShowUpgradeInstanceVersion); they are equal when there is nothing to upgrade to.
type UpgradeVersions struct {
	CurrentVersion string `json:"current_version"`
	LatestVersion  string `json:"latest_version"`
}

// ShowUpgradeVersions shows which version an instance can be upgraded to.
func (c *Client) ShowUpgradeVersions(ctx context.Context, instanceID string) (*UpgradeVersions, error) {
	var out UpgradeVersions
	if err := c.call(ctx, http.MethodGet, upgradePath(instanceID), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
