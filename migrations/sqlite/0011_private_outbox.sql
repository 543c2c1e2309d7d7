-- Scrutineer schema, SQLite, version 11: the private outbox of notices by
-- e-mail that the log must not show before a ballot closes (SPEC sections
-- 4 and 9, src/store/private_outbox.rs).
-- It also gives the hidden token of a sign-in link an expiry (at the end).
--
-- A reminder before the close goes to the delegates of the eligible
-- organisations that have not voted yet; a `notification` entry for it
-- would publish which organisations have not voted while votes are
-- hidden. So its row lives here, outside the log, sent by the same
-- dispatcher with the same retries and give-up time as the outbox of
-- version 8; what was sent is logged only after the close.

-- One row per reminder time of a ballot that the scheduler processed:
-- written in the same transaction as that time's messages, so that a
-- reminder time is processed exactly once, also across restarts, crashes
-- and several server processes on one PostgreSQL database.
CREATE TABLE reminder_runs (
    group_id   TEXT NOT NULL REFERENCES logs (group_id),
    ballot_id  TEXT NOT NULL,
    -- The group's offset, whole hours before the close.
    hours      INTEGER NOT NULL CHECK (hours > 0),
    -- The reminder time (the close minus the offset), Unix microseconds
    -- of the server's clock: votes logged before it count as cast.
    due_at     INTEGER NOT NULL,
    -- When the scheduler processed it, Unix microseconds of the server's
    -- clock.
    done_at    INTEGER NOT NULL,
    -- The organisations reminded, sorted ids separated by spaces (the
    -- private record of what the log will show after the close).
    organisations TEXT NOT NULL,
    -- The log index of the `reminder` entry that published this run
    -- after the close; NULL until then.
    logged_idx INTEGER,
    PRIMARY KEY (group_id, ballot_id, hours)
) STRICT;

-- One row per message: a reminder to one delegate of one organisation at
-- one reminder time, or a vote's receipt to its voter. The person is
-- named by id; the address is read from `accounts` when the message is
-- sent. A receipt's outcome is never logged, not even after the close.
CREATE TABLE private_outbox (
    group_id        TEXT NOT NULL REFERENCES logs (group_id),
    ballot_id       TEXT NOT NULL,
    -- What kind of message: 'reminder', or 'receipt' (a vote's receipt to
    -- its voter: a notification naming the voter would show who voted).
    kind            TEXT NOT NULL CHECK (kind IN ('reminder', 'receipt')),
    -- Which occasion of that kind: for a reminder, the offset in hours;
    -- for a receipt, the vote entry's log index.
    occasion        INTEGER NOT NULL CHECK (occasion >= 0),
    person_id       TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    -- The reminder time (a receipt: when it was queued), Unix microseconds
    -- of the server's clock: the give-up time is counted from it.
    created_at      INTEGER NOT NULL,
    -- pending: to send (or to retry); answered: the relay answered for
    -- good (or the give-up time passed).
    state           TEXT NOT NULL CHECK (state IN ('pending', 'answered')),
    outcome         TEXT CHECK (outcome IN ('accepted', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When the next attempt is due, Unix microseconds of the server's clock.
    next_at         INTEGER NOT NULL,
    -- Until when one server process holds the row, Unix microseconds of
    -- real time, as in the outbox.
    lease_until     INTEGER NOT NULL DEFAULT 0,
    -- The relay's last reply, or why the last attempt failed.
    last_reply      TEXT,
    -- The log index of the `delivery` entry that published the outcome
    -- after the close; NULL until then.
    logged_idx      INTEGER,
    -- For a receipt: the question voted on, and the receipt itself (the
    -- `.tlog-proof` text the vote's answer carried), attached to the
    -- message. NULL for a reminder.
    question        TEXT,
    payload         TEXT,
    PRIMARY KEY (group_id, ballot_id, kind, occasion, person_id)
) STRICT;

CREATE INDEX private_outbox_due ON private_outbox (state, next_at);

-- The hidden token a sign-in link issues for its session expires with the
-- session's absolute expiry: Unix seconds of real time, like the
-- sessions'. NULL: a token the secretariat issued, valid until revoked.
ALTER TABLE tokens ADD COLUMN expires_at INTEGER;
