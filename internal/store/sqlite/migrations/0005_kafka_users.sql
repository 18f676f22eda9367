-- Kafka users of SASL instances (5.7.x). The cluster holds each user's SCRAM-SHA-512 credential;
-- this row keeps what the API shows (description, role, creation time) and the credential's salt,
-- iterations and stored key, from which the PLAIN users file of the brokers is written. The stored
-- key is what a SCRAM server keeps: it verifies a password but cannot log in.
CREATE TABLE kafka_users (
    instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL,
    default_app INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    salt        BLOB NOT NULL,
    iterations  INTEGER NOT NULL,
    stored_key  BLOB NOT NULL,
    PRIMARY KEY (instance_id, name)
);
