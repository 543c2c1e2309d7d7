-- Witness cosignatures the server received (SPEC section 10): every one is
-- kept, not only the latest, as evidence of when each checkpoint existed.
CREATE TABLE cosigned_checkpoints (
    group_id TEXT NOT NULL,
    -- The size of the cosigned checkpoint (one of the log's checkpoints).
    size BIGINT NOT NULL CHECK (size >= 0),
    -- The witness's vkey (type 0x04), as in the policy file.
    witness TEXT NOT NULL,
    -- The cosignature's timestamp (POSIX seconds).
    cosigned_at BIGINT NOT NULL,
    -- The cosignature line, with its newline.
    line TEXT NOT NULL,
    -- The server's time when it was received (RFC 3339, UTC).
    received_at TEXT NOT NULL,
    PRIMARY KEY (group_id, size, witness, cosigned_at)
);
