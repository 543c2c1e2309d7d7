//! Every domain-separation constant of Scrutineer, in one place, each with
//! its source.
//!
//! A byte string that decides what a hash or a signature *means* lives here
//! and nowhere else, so that two different statements can never be confused
//! for one another (STYLE.md, practice 3).

/// RFC 6962 section 2.1: the byte prepended to an entry before hashing it
/// into a leaf.
pub const LEAF_PREFIX: u8 = 0x00;

/// RFC 6962 section 2.1: the byte prepended to two child hashes before
/// hashing them into an interior node.
pub const NODE_PREFIX: u8 = 0x01;

/// C2SP signed-note: the signature type byte of an Ed25519 key, used in the
/// key id computation and in the encoded public and private keys.
pub const ED25519_SIGNATURE_TYPE: u8 = 0x01;

/// C2SP tlog-proof: the first line of an inclusion receipt.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// SPEC section 4: the first line of every log entry envelope.
pub const ENTRY_HEADER: &str = "scrutineer/entry/v1";

/// SPEC section 4: the first line of the text of a signed vote note.
pub const VOTE_HEADER: &str = "scrutineer/vote/v1";

/// SPEC section 6: every origin of a server running on a simulated clock
/// begins with this reserved name (RFC 2606 `.invalid`), so that its history
/// can never pass for a real one.
pub const SIMULATED_ORIGIN_PREFIX: &str = "simulated.invalid/";
