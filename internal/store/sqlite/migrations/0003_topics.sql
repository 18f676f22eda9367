-- What OpenDMS keeps about a topic beside the cluster, which has no place for it: the description
-- given at creation (5.5.2 topic_desc) and when the topic was created through the API.
CREATE TABLE topics (
    instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (instance_id, name)
);
