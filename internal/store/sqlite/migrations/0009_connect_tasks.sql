-- Smart Connect tasks (5.3.3-5.3.9, 7.2.4.3-7.2.4.6). A task is stored whole as JSON (body) beside the
-- columns queries filter on; its secrets are sealed with the master key (sealed) and never in body.
-- Rows go with their instance (the deletion task and 5.3.2 remove them).
CREATE TABLE connect_tasks (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    body        TEXT NOT NULL,
    sealed      BLOB
);
CREATE UNIQUE INDEX connect_tasks_name ON connect_tasks(instance_id, name);
CREATE INDEX connect_tasks_instance ON connect_tasks(instance_id, created_at);
