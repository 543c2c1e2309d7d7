-- Scrutineer schema, PostgreSQL, version 4: documents kept in log order.
--
-- Version 2 kept the documents under a primary key of (group, SHA-256).
-- A hash is random, so every vote's note landed on a random page of that
-- index. The key is now the log index of the entry that names the
-- document (directly, or through the note that names an attachment),
-- which the sequencer writes in order.
--
-- A note is found through its entry: whoever reads one knows the index
-- (the server's fold maps each commitment to its entry). Attachments and
-- rolls, which are few, are also found by hash alone, through a partial
-- index. The same bytes named by two entries are two rows.
--
-- Rows of version 2 did not record their entry. They are kept with index
-- -1, and the partial index finds them by hash as before.

ALTER TABLE documents ADD COLUMN idx BIGINT NOT NULL DEFAULT -1 CHECK (idx >= -1);

ALTER TABLE documents ALTER COLUMN idx DROP DEFAULT;

ALTER TABLE documents DROP CONSTRAINT documents_pkey;

ALTER TABLE documents ADD PRIMARY KEY (group_id, idx, sha256);

CREATE INDEX documents_by_hash ON documents (group_id, sha256)
    WHERE kind <> 'note' OR idx < 0;
