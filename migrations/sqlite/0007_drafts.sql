-- Scrutineer schema, SQLite, version 7: the documents voted on.
--
-- An announcement of version 2 names the documents voted on (the draft,
-- its annexes) by SHA-256; they are uploaded with it and stored beside the
-- log under the announcement's entry, kind `draft`, readable by the
-- group's members from the announcement on. SQLite cannot change a CHECK
-- constraint, so the table is rebuilt with the same rows, key and index.

CREATE TABLE documents_v7 (
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
    -- roll document, an announcement note, a tally document, an
    -- announcement's recipients, or a document voted on.
    kind      TEXT NOT NULL CHECK (kind IN ('note', 'attachment', 'roll', 'announcement',
                                            'tally', 'recipients', 'draft')),
    PRIMARY KEY (group_id, idx, sha256)
) STRICT, WITHOUT ROWID;

INSERT INTO documents_v7 (group_id, idx, sha256, bytes, ballot_id, kind)
    SELECT group_id, idx, sha256, bytes, ballot_id, kind FROM documents;

DROP TABLE documents;

ALTER TABLE documents_v7 RENAME TO documents;

CREATE INDEX documents_by_hash ON documents (group_id, sha256)
    WHERE kind <> 'note' OR idx < 0;
