-- Scrutineer schema, PostgreSQL, version 3: a counter of changes to access.
--
-- A server keeps what the tokens and secretariat tables answered in memory
-- (src/server/access.rs). Every change that can take access away or give
-- it (revoking tokens, granting the secretariat role) adds one to this
-- counter in the same transaction, so a server finds out that its answers
-- may be out of date by reading one row, not by asking again about every
-- token it knows.
CREATE TABLE access_epoch (
    id    SMALLINT PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL CHECK (epoch >= 0)
);

INSERT INTO access_epoch (id, epoch) VALUES (1, 0);
