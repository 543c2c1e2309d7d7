-- Scrutineer schema, PostgreSQL, version 7: the documents voted on.
--
-- An announcement of version 2 names the documents voted on (the draft,
-- its annexes) by SHA-256; they are uploaded with it and stored beside the
-- log under the announcement's entry, kind `draft`, readable by the
-- group's members from the announcement on.

ALTER TABLE documents DROP CONSTRAINT documents_kind_check;

ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('note', 'attachment', 'roll', 'announcement', 'tally', 'recipients',
                    'draft'));
