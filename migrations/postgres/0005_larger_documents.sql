-- Scrutineer schema, PostgreSQL, version 5: two more kinds of document.
--
-- A tally document and an announcement's list of recipients are stored
-- beside the log, as a roll is, when their entry would exceed 65 535
-- bytes (a ballot of many organisations, a membership list of
-- thousands): `tally` and `recipients`. The constraint is the one
-- version 2 declared inline, which PostgreSQL named documents_kind_check.

ALTER TABLE documents DROP CONSTRAINT documents_kind_check;

ALTER TABLE documents ADD CONSTRAINT documents_kind_check
    CHECK (kind IN ('note', 'attachment', 'roll', 'announcement', 'tally', 'recipients'));
