-- Scrutineer schema, SQLite, version 12: a vote's receipt to its voter is
-- queued in the vote's own append transaction (SPEC section 9,
-- src/store/private_outbox.rs).
--
-- Until version 11 the receipt's row of `private_outbox` was written after
-- the vote had committed, holding the receipt's text in `payload`: a crash
-- in between lost the message. From this version the sequencer writes the
-- row in the transaction that appends the vote entry, before the batch's
-- checkpoint is committed, so the receipt itself is not known yet. Such a
-- row keeps `payload` NULL and names the vote by its entry's index
-- (`occasion`) and by the SHA-256 of its note (below); the dispatcher
-- builds the receipt from storage when it sends it: the entry's inclusion
-- proof against the first checkpoint that covers it, the very receipt the
-- vote's answer carried. Rows written before keep their `payload`.

-- For a receipt written with its vote: the SHA-256 of the vote's note,
-- lowercase hex, which the vote entry at `occasion` must name (a row that
-- no longer matches its entry is not sent). NULL for a reminder and for a
-- receipt queued before version 12.
ALTER TABLE private_outbox ADD COLUMN note_sha256 TEXT;
