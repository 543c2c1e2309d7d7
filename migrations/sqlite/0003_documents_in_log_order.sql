-- Scrutineer schema, SQLite, version 3: documents kept in log order.
--
-- Version 2 kept the documents in a table keyed by (group, SHA-256). A
-- hash is random, so every vote's note landed on a random page of a large
-- B-tree, and a batch of votes rewrote several pages for each vote. The
-- rows are now keyed by the log index of the entry that names them
-- (directly, or through the note that names an attachment): the sequencer
-- writes in log order, so a batch's notes fill the last pages of the
-- table one after the other.
--
-- A note is found through its entry: whoever reads one knows the index
-- (the server's fold maps each commitment to its entry). Attachments and
-- rolls, which are few, are also found by hash alone, through a partial
-- index; an index over every note would put each vote on a random page
-- again. The same bytes named by two entries are two rows.
--
-- Rows of version 2 did not record their entry. They are kept with index
-- -1, and the partial index finds them by hash as before.

CREATE TABLE documents_in_log_order (
    group_id  TEXT NOT NULL REFERENCES logs (group_id),
    -- The log index of the entry that names the document; -1 for a row
    -- stored before this was recorded.
    idx       INTEGER NOT NULL CHECK (idx >= -1),
    -- 64 lowercase hexadecimal digits of SHA-256(bytes).
    sha256    TEXT NOT NULL CHECK (length(sha256) = 64),
    bytes     BLOB NOT NULL,
    -- The ballot of the entry that names the document: reads are
    -- authorised per ballot (notes and attachments only after its close).
    ballot_id TEXT NOT NULL,
    -- What the document is: a signed vote note, a vote's attachment, a
    -- roll document, or an announcement note.
    kind      TEXT NOT NULL CHECK (kind IN ('note', 'attachment', 'roll', 'announcement')),
    PRIMARY KEY (group_id, idx, sha256)
) STRICT, WITHOUT ROWID;

INSERT INTO documents_in_log_order (group_id, idx, sha256, bytes, ballot_id, kind)
    SELECT group_id, -1, sha256, bytes, ballot_id, kind FROM documents;

DROP TABLE documents;

ALTER TABLE documents_in_log_order RENAME TO documents;

CREATE INDEX documents_by_hash ON documents (group_id, sha256)
    WHERE kind <> 'note' OR idx < 0;
