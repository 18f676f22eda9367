-- A custom policy may no longer take a system role's name (compared case-insensitively). Rename the
-- ones made before, so that a binding by name reaches the system role and listings show them for
-- what they are; their existing bindings keep pointing at them (by id).
UPDATE policies SET name = substr(name, 1, 49) || '-custom-' || substr(id, 1, 8)
 WHERE system = 0 AND lower(name) IN (SELECT lower(name) FROM policies WHERE system = 1);

-- Tokens are revoked per user (password change, disabled user) and deleted with their user.
CREATE INDEX tokens_user ON tokens(user_id);
