-- Scrutineer schema, PostgreSQL, version 8: the outbox of notices by e-mail
-- (SPEC section 9, src/store/outbox.rs).
--
-- One row per `notification` entry, written in the append transaction of
-- that entry, so that a notice the log owes is never lost. The row names
-- the person by id; the address is read from `accounts` when the message
-- is sent, and never enters the log. The `delivery` entry that records
-- the outcome settles the row in its own append transaction.
CREATE TABLE outbox (
    group_id    TEXT NOT NULL REFERENCES logs (group_id),
    -- The log index of the `notification` entry.
    idx         BIGINT NOT NULL CHECK (idx >= 0),
    ballot_id   TEXT NOT NULL,
    person_id   TEXT NOT NULL,
    -- The notification's reason (`announcement`, `superseded`, …).
    reason      TEXT NOT NULL,
    -- The notification entry's time, Unix microseconds of the server's
    -- clock: the give-up time is counted from it.
    created_at  BIGINT NOT NULL,
    -- pending: to send (or to retry); recording: the relay answered for
    -- good and the `delivery` entry waits to be logged; logged: it is.
    state       TEXT NOT NULL CHECK (state IN ('pending', 'recording', 'logged')),
    -- Once the relay answered for good: whether it accepted the message.
    outcome     TEXT CHECK (outcome IN ('accepted', 'failed')),
    attempts    BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When the next attempt is due, Unix microseconds of the server's clock.
    next_at     BIGINT NOT NULL,
    -- Until when one server process holds the row, Unix microseconds of
    -- real time (never the simulated clock): a process that dies lets its
    -- lease run out, and another one (or itself, restarted) takes over.
    lease_until BIGINT NOT NULL DEFAULT 0,
    -- The relay's last reply, or why the last attempt failed.
    last_reply  TEXT,
    PRIMARY KEY (group_id, idx)
);

CREATE INDEX outbox_due ON outbox (state, next_at);
