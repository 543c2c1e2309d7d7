-- Scrutineer schema, SQLite, version 5: two more kinds of document.
--
-- A tally document and an announcement's list of recipients are stored
-- beside the log, as a roll is, when their entry would exceed 65 535
-- bytes (a ballot of many organisations, a membership list of
-- thousands): `tally` and `recipients`. SQLite cannot change a CHECK
-- constraint, so the table is rebuilt with the same rows, key and index.

CREATE TABLE documents_v5 (
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
    -- roll document, an announcement note, a tally document, or an
    -- announcement's recipients.
    kind      TEXT NOT NULL CHECK (kind IN ('note', 'attachment', 'roll', 'announcement',
                                            'tally', 'recipients')),
    PRIMARY KEY (group_id, idx, sha256)
) STRICT, WITHOUT ROWID;

INSERT INTO documents_v5 (group_id, idx, sha256, bytes, ballot_id, kind)
    SELECT group_id, idx, sha256, bytes, ballot_id, kind FROM documents;

DROP TABLE documents;

ALTER TABLE documents_v5 RENAME TO documents;

CREATE INDEX documents_by_hash ON documents (group_id, sha256)
    WHERE kind <> 'note' OR idx < 0;
