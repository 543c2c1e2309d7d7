-- Scrutineer schema, SQLite, version 10: one-time sign-in links sent by
-- e-mail (SPEC sections 8 and 9, src/store/sign_in_links.rs).
--
-- A link carries a random id (the row's key, not a secret) and a random
-- 32-byte secret, stored only as its SHA-256 and compared in constant
-- time. A link signs in once (`used_at` is set by the statement that
-- accepts it) and only before `expires_at`. Times are Unix seconds of real
-- time, like the sessions' (never the simulated clock).
CREATE TABLE sign_in_links (
    id          TEXT PRIMARY KEY NOT NULL,
    secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
    person_id   TEXT NOT NULL REFERENCES accounts (person_id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;

CREATE INDEX sign_in_links_by_expiry ON sign_in_links (expires_at);
