-- Scrutineer schema, SQLite, version 1: the group logs and the accounts.
--
-- The log tables are the source of truth: a group's registry (and later its
-- ballots) is a pure fold over its entries, kept in memory by the server and
-- re-derived by the verifier. Nothing here is ever updated in place except
-- `logs.size`/`logs.checkpoint` (the head) and token revocation.

-- One row per group log: its origin and its head, the latest signed
-- checkpoint. The sequencer writes the head in the same transaction as the
-- entries and hashes it covers.
CREATE TABLE logs (
    group_id   TEXT PRIMARY KEY NOT NULL,
    origin     TEXT NOT NULL UNIQUE,
    size       INTEGER NOT NULL CHECK (size >= 0),
    checkpoint BLOB NOT NULL
) STRICT;

-- The exact bytes of every entry, by index (RFC 6962 leaf m).
CREATE TABLE entries (
    group_id TEXT NOT NULL REFERENCES logs (group_id),
    idx      INTEGER NOT NULL CHECK (idx >= 0),
    bytes    BLOB NOT NULL,
    PRIMARY KEY (group_id, idx)
) STRICT, WITHOUT ROWID;

-- Every stored hash of the tree (leaf hashes and completed interior nodes),
-- at its stored-hash index (see src/tlog/tree.rs).
CREATE TABLE hashes (
    group_id TEXT NOT NULL REFERENCES logs (group_id),
    idx      INTEGER NOT NULL CHECK (idx >= 0),
    hash     BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (group_id, idx)
) STRICT, WITHOUT ROWID;

-- Every checkpoint the log ever signed, so that an audit bundle can show
-- them all and anyone can check they are consistent.
CREATE TABLE checkpoints (
    group_id TEXT NOT NULL REFERENCES logs (group_id),
    size     INTEGER NOT NULL CHECK (size >= 0),
    signed   BLOB NOT NULL,
    PRIMARY KEY (group_id, size)
) STRICT, WITHOUT ROWID;

-- Accounts: the personal data that SPEC section 3 keeps out of the log
-- (names, e-mail addresses). The log names persons by id only.
CREATE TABLE accounts (
    person_id  TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- Bearer tokens, stored only as SHA-256 hashes of the token text.
CREATE TABLE tokens (
    token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),
    person_id  TEXT NOT NULL REFERENCES accounts (person_id),
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

-- Secretariat grants: group id, or '*' for every group. The other roles
-- (chair, reviewer, delegate) are facts of a group's log, not grants.
CREATE TABLE secretariat (
    person_id TEXT NOT NULL REFERENCES accounts (person_id),
    group_id  TEXT NOT NULL,
    PRIMARY KEY (person_id, group_id)
) STRICT;
