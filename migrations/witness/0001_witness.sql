-- The storage of `scrutineer witness` (its own SQLite file, not the
-- server's database): applied by src/server/witness/store.rs when the file's
-- `PRAGMA user_version` is below 1, in one transaction with setting it.

-- C2SP tlog-witness: the latest checkpoint cosigned per log, and nothing
-- older (a witness only needs the latest to refuse a smaller or
-- inconsistent tree).
CREATE TABLE witness_checkpoints (
    -- The log's origin line.
    origin TEXT PRIMARY KEY,
    -- The size and 32-byte root hash of the latest cosigned checkpoint.
    size BIGINT NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    -- The checkpoint as served at <origin hash>/checkpoint: the note text,
    -- the log's verified signature lines and this witness's cosignature.
    note TEXT NOT NULL,
    -- The cosignature's timestamp (POSIX seconds).
    cosigned_at BIGINT NOT NULL
);

-- Validly signed checkpoints refused with 409 or 422: possible evidence of
-- a log showing different histories, or of a rolled-back log.
CREATE TABLE witness_refusals (
    id INTEGER PRIMARY KEY,
    -- The HTTP status answered (409 or 422).
    status INTEGER NOT NULL,
    -- The witness's time at the refusal (POSIX seconds).
    received_at BIGINT NOT NULL,
    -- The whole add-checkpoint request body.
    request TEXT NOT NULL
);
