-- Scrutineer schema, SQLite, version 6: the web application's sessions and
-- the key requests made in the browser (src/server/web, src/store/web.rs).

-- A signed-in browser. The session id (32 random bytes, in an HttpOnly
-- cookie) is stored only as its SHA-256, like a token. A session stands on
-- the token it was opened with: revoking that token ends the session
-- (the server checks the token on every request). Times are Unix seconds
-- of real time (never the simulated clock): `last_seen` drives the idle
-- expiry, `created_at` the absolute one.
CREATE TABLE web_sessions (
    id_hash    BLOB PRIMARY KEY NOT NULL CHECK (length(id_hash) = 32),
    token_hash BLOB NOT NULL REFERENCES tokens (token_hash),
    person_id  TEXT NOT NULL REFERENCES accounts (person_id),
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
) STRICT;

CREATE INDEX web_sessions_by_last_seen ON web_sessions (last_seen);

-- A verifier key a person made in the browser and asks the group's
-- secretariat to register. Nothing here is a registry fact: approving a
-- request appends the `key` entry to the group's log through the same
-- path as `POST /v1/groups/{group}/persons/{person}/keys`, and records
-- the entry's index here.
CREATE TABLE key_requests (
    id           TEXT PRIMARY KEY NOT NULL,
    group_id     TEXT NOT NULL,
    person_id    TEXT NOT NULL REFERENCES accounts (person_id),
    verifier_key TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    approved_at  TEXT,
    log_index    INTEGER CHECK (log_index >= 0),
    UNIQUE (group_id, verifier_key)
) STRICT;
