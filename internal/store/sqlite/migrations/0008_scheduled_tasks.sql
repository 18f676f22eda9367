-- Scheduled tasks (5.1.9 and 5.2.11 with is_schedule; the SDK's ListScheduledTasks,
-- UpdateScheduledTask, DeleteScheduledTask): work on an instance started at schedule_at by the
-- schedule service. task_id is the background task it started. Rows go with their instance: the
-- deletion task removes them (like the instance's tasks).
CREATE TABLE scheduled_tasks (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    params      TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL,
    user_id     TEXT NOT NULL DEFAULT '',
    user_name   TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    schedule_at INTEGER NOT NULL,
    task_id     TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scheduled_tasks_instance ON scheduled_tasks(instance_id, created_at);
CREATE INDEX scheduled_tasks_due ON scheduled_tasks(status, schedule_at);
