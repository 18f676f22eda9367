-- Kafka Manager sign-ins (issue 14): tokens scoped to one instance, issued for its manager user (not
-- an IAM user, hence not in tokens, whose user_id references users). epoch is the instance's
-- KafkaManagerEpoch at issue: a token of an older epoch is refused (5.2.2, 5.2.3, 5.2.12 raise it).
-- Numbered after the issue so that migrations other branches add in parallel do not collide.
CREATE TABLE manager_tokens (
    hash        TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_name   TEXT NOT NULL,
    epoch       INTEGER NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX manager_tokens_instance ON manager_tokens(instance_id);
CREATE INDEX manager_tokens_expiry ON manager_tokens(expires_at);
