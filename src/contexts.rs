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

/// C2SP tlog-cosignature, "Format": the signature type byte of an Ed25519
/// cosignature key, used in its key id and its vkey encoding.
pub const COSIGNATURE_SIGNATURE_TYPE: u8 = 0x04;

/// C2SP tlog-cosignature, "Format": the signature type byte of an ML-DSA-44
/// cosignature key, which this crate recognises only to refuse it by name.
pub const ML_DSA_44_COSIGNATURE_TYPE: u8 = 0x06;

/// C2SP tlog-cosignature, "Ed25519 signed message": the header line of the
/// message a witness signs (before `time <timestamp>` and the checkpoint).
pub const COSIGNATURE_HEADER: &str = "cosignature/v1";

/// C2SP tlog-proof: the first line of an inclusion receipt.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// SPEC section 4: the first line of every log entry envelope.
pub const ENTRY_HEADER: &str = "scrutineer/entry/v1";

/// SPEC section 4: the first line of the text of a signed vote note.
pub const VOTE_HEADER: &str = "scrutineer/vote/v1";

/// SPEC 2.1 item 6 and `docs/formats.md` section 7: the first line of the
/// text of a chair's signed ballot announcement.
pub const ANNOUNCEMENT_HEADER: &str = "scrutineer/announcement/v1";

/// `docs/formats.md` section 7.3: the first line of the text of a chair's
/// signed ballot announcement that also says what is voted on (a title,
/// each question's text, the documents).
pub const ANNOUNCEMENT_V2_HEADER: &str = "scrutineer/announcement/v2";

/// SPEC 2.1 item 10 and `docs/formats.md` section 7.11: the first line of
/// the text of a chair's signed certification of a tally.
pub const CERTIFICATION_HEADER: &str = "scrutineer/certification/v1";

/// SPEC 2.1 item 10 (deviation #6) and `docs/formats.md` section 7.12: the
/// first line of the text of a signed appeal against a chair's decision.
pub const APPEAL_HEADER: &str = "scrutineer/appeal/v1";

/// `docs/formats.md` section 7.13: the first line of the text of a
/// reviewer's signed decision on an appeal.
pub const APPEAL_DECISION_HEADER: &str = "scrutineer/appeal-decision/v1";

/// SPEC section 6: every origin of a server running on a simulated clock
/// begins with this reserved name (RFC 2606 `.invalid`), so that its history
/// can never pass for a real one.
pub const SIMULATED_ORIGIN_PREFIX: &str = "simulated.invalid/";

/// The default origin prefix of `scrutineer serve` is this name, a hyphen
/// and 16 hex digits of SHA-256([`INSTALLATION_CONTEXT`] ‖ the log key's
/// 32-byte Ed25519 public key): each installation (each log key) gets its
/// own, so that two servers nobody configured do not accept each other's
/// notes (docs/formats.md section 4).
pub const DEFAULT_ORIGIN_NAME: &str = "localhost/scrutineer";

/// Domain separation of the hash that names an installation in its default
/// origin prefix ([`DEFAULT_ORIGIN_NAME`]); nothing is signed with it.
pub const INSTALLATION_CONTEXT: &[u8] = b"scrutineer/installation/v1\n";

// --- Signed notes, checkpoints and receipts (src/note, src/tlog/checkpoint.rs,
// src/tlog/receipt.rs): prefixes and the bounds their parsers enforce.

/// C2SP signed-note, "Format": every signature line begins with an em dash
/// (U+2014) and a space.
pub const NOTE_SIGNATURE_PREFIX: &str = "\u{2014} ";

/// The prefix of an encoded private key, from Go's
/// `golang.org/x/mod/sumdb/note` (`GenerateKey`, `NewSigner`): C2SP
/// specifies only verifier keys, and we follow the de-facto format so that
/// keys move between tools.
pub const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// SPEC section 4 ("Notes are text"): a vote note is at most 8 KiB.
pub const VOTE_NOTE_MAX_BYTES: usize = 8 * 1024;

/// C2SP signed-note, "Format": verifiers SHOULD bound the number of
/// signatures but MUST accept at least 16. We accept twice that, which leaves
/// room for a log key and a generous witness set on a checkpoint.
pub const NOTE_MAX_SIGNATURES: usize = 32;

/// C2SP tlog-checkpoint and signed-note ("post-quantum signatures can be up
/// to nearly 5kB"): the size bound of a signed checkpoint, 64 KiB. That is
/// room for the 16 signatures signed-note requires us to accept even if all
/// of them are ML-DSA-44 cosignatures (tlog-cosignature: 2 432 bytes, about
/// 3.3 KiB per line once base64-encoded), beside a short text.
pub const CHECKPOINT_MAX_BYTES: usize = 64 * 1024;

/// SPEC section 4 ("Entries"): an entry is at most 65 535 bytes, the
/// tlog-tiles entry bundle limit.
pub const ENTRY_MAX_BYTES: usize = 65_535;

/// RFC 6962 section 2.1.1: an inclusion proof in a tree of at most 2^64 - 1
/// leaves has at most 64 hashes (one per level).
pub const INCLUSION_PROOF_MAX_HASHES: usize = 64;

/// C2SP tlog-proof with SPEC section 4 ("Receipt"): the size bound of a
/// receipt, 160 KiB. Its largest parts are the `extra` line (base64 of an
/// entry of at most [`ENTRY_MAX_BYTES`], 87 386 bytes with its prefix and
/// newline), the signed checkpoint (at most [`CHECKPOINT_MAX_BYTES`]) and
/// [`INCLUSION_PROOF_MAX_HASHES`] proof lines of 45 bytes.
pub const RECEIPT_MAX_BYTES: usize = 160 * 1024;

/// The web application's CSRF token of a session: SHA-256 of this context
/// and the session id (`src/server/web/csrf.rs`). The context keeps it
/// distinct from the stored hash of the session id, which is SHA-256 of the
/// id alone, so that neither can be computed from the other.
pub const CSRF_CONTEXT: &[u8] = b"scrutineer/web/csrf/v1\n";

/// The CSRF token of the sign-in form, before there is a session: SHA-256
/// of this context and the random value of the sign-in cookie.
pub const SIGN_IN_CSRF_CONTEXT: &[u8] = b"scrutineer/web/sign-in/v1\n";
