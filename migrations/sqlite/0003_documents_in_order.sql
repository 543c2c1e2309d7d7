-- Scrutineer schema, SQLite, version 3: documents stored in the order they
-- are written.
--
-- Version 2 kept the documents in a table keyed by (group, SHA-256). A
-- hash is random, so every vote's note landed on a random page of a large
-- B-tree: a batch of votes rewrote about one table page per vote, and the
-- write-ahead log carried several pages for each vote. The rows now go in
-- a table keyed by the order of writing (the sequencer is the only writer,
-- and writes them in log order), so a batch's notes fill the last pages of
-- the table one after the other. Content addressing is unchanged: a unique
-- index on (group, SHA-256) finds a document by its name, and keeps one
-- row for the same bytes; its entries are small, so a batch touches far
-- fewer pages through it than it did through the table.
--
-- Every row of version 2 is kept, in the order of its key (there is no
-- order of writing to recover; what reads them looks them up by hash).

CREATE TABLE documents_in_order (
    -- The order of writing (SQLite's row id).
    seq       INTEGER PRIMARY KEY,
    group_id  TEXT NOT NULL REFERENCES logs (group_id),
    -- 64 lowercase hexadecimal digits of SHA-256(bytes).
    sha256    TEXT NOT NULL CHECK (length(sha256) = 64),
    bytes     BLOB NOT NULL,
    -- The ballot whose entry named the document first: reads are
    -- authorised per ballot (notes and attachments only after its close).
    ballot_id TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('note', 'attachment', 'roll', 'announcement')),
    UNIQUE (group_id, sha256)
) STRICT;

INSERT INTO documents_in_order (group_id, sha256, bytes, ballot_id, kind)
    SELECT group_id, sha256, bytes, ballot_id, kind FROM documents
    ORDER BY group_id, sha256;

DROP TABLE documents;

ALTER TABLE documents_in_order RENAME TO documents;
