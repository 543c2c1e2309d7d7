-- Scrutineer schema, PostgreSQL, version 2: the documents stored beside the
-- log.
--
-- SPEC section 4: a vote entry only commits to its signed note (by SHA-256);
-- the note and its attachment are stored beside the log and revealed at the
-- ballot's close. A roll too large for an entry is stored here too, and so
-- may be other documents an entry names by hash. Rows are written by the
-- sequencer in the same transaction as the entries that name them (under
-- the log's row lock), so that no receipt is given before the note is
-- durable, and a rolled-back batch leaves no document behind.
--
-- Content-addressed: the key is the SHA-256 of the bytes, per group. The
-- same bytes named twice (an attachment two votes share) are one row; the
-- first writer's `ballot_id` and `kind` stay. Rows are never updated or
-- deleted: the fold (and the verifier) check every document against the
-- hash its entry names, so a changed row is detected, not trusted.
CREATE TABLE documents (
    group_id  TEXT NOT NULL REFERENCES logs (group_id),
    -- 64 lowercase hexadecimal digits of SHA-256(bytes).
    sha256    TEXT NOT NULL CHECK (length(sha256) = 64),
    bytes     BYTEA NOT NULL,
    -- The ballot whose entry named the document first: reads are
    -- authorised per ballot (notes and attachments only after its close).
    ballot_id TEXT NOT NULL,
    -- What the document is: a signed vote note, a vote's attachment, a
    -- roll document, or an announcement note.
    kind      TEXT NOT NULL CHECK (kind IN ('note', 'attachment', 'roll', 'announcement')),
    PRIMARY KEY (group_id, sha256)
);
