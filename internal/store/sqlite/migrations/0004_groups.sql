-- What OpenDMS keeps about a consumer group beside the cluster, which has no place for it: the
-- description (5.6.4 group_desc, 5.6.7, 5.6.10) and when the group was created through the API.
CREATE TABLE consumer_groups (
    instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (instance_id, name)
);

-- Message backlog diagnosis reports (5.11.2-5.11.5). The findings are one JSON document: they are
-- written once, when the analysis ends, and always read whole.
CREATE TABLE diagnosis_reports (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    begin_time  INTEGER NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX diagnosis_reports_instance ON diagnosis_reports(instance_id, begin_time);
