-- Instances and their background tasks. An instance is stored whole as JSON (its shape grows with
-- every issue); the columns beside it are what queries filter and sort on.
CREATE TABLE instances (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    deleting   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    body       TEXT NOT NULL
);
-- Names are unique within a project among instances not being deleted.
CREATE UNIQUE INDEX instances_project_name ON instances(project_id, name) WHERE deleting = 0;
CREATE INDEX instances_project ON instances(project_id, created_at);

CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    params      TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    user_id     TEXT NOT NULL DEFAULT '',
    user_name   TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX tasks_instance ON tasks(instance_id, created_at);
CREATE INDEX tasks_status ON tasks(status);
