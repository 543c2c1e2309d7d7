//! Why an audit bundle does not verify: one variant per failure, each
//! naming what failed (`verify.rs` stops at the first).

use std::path::PathBuf;

use crate::ballot::ReplayError;
use crate::staticlog::StaticLogError;
use crate::tlog::Hash;

use super::bundle::{CHECKPOINTS_DIR, DOCUMENTS_DIR, MANIFEST_FILE};
use super::pack::PackError;

/// Why a bundle does not verify. Every variant names the failure.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The bundle's checkpoint is absent, malformed or not signed by the
    /// log key.
    #[error("the bundle's checkpoint is not signed by the log key {key}: {reason}")]
    CheckpointSignature {
        /// The log key given.
        key: String,
        /// Why.
        reason: String,
    },
    /// A tile or entry bundle does not belong to the checkpoint's root.
    #[error("the log's tiles do not verify against the signed checkpoint: {0}")]
    Tiles(StaticLogError),
    /// The entry bundles hold another number of entries than the
    /// checkpoint's size.
    #[error(
        "the bundle's entry bundles hold {read} entries, but its checkpoint is of size {size}: \
         the log cannot be replayed in full"
    )]
    EntryCount {
        /// How many entries were read.
        read: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// An entry is not a Scrutineer entry envelope.
    #[error("log entry {index} is not an entry: {reason}")]
    Entry {
        /// Its index.
        index: u64,
        /// Why.
        reason: String,
    },
    /// A `checkpoints/` file is malformed, not signed by the log key, or
    /// not of the size its name says.
    #[error("{CHECKPOINTS_DIR}/{name}: {reason}")]
    CheckpointFile {
        /// The file's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Two checkpoints signed by the log key at the same size with
    /// different roots: the log showed two histories (a split view).
    #[error(
        "split view: {name} is signed by the log key at size {size} with root {root}, \
         but the log at size {size} has root {expected}: the log has shown two different \
         histories (keep both checkpoints: they are the evidence)"
    )]
    SplitView {
        /// The checkpoint file.
        name: String,
        /// The size both are for.
        size: u64,
        /// The root the file signs.
        root: Hash,
        /// The root of the verified log at that size.
        expected: Hash,
    },
    /// A checkpoint larger than the bundle's: the bundle is not the log up
    /// to its newest checkpoint.
    #[error(
        "{CHECKPOINTS_DIR}/{name} is of size {size}, larger than the bundle's checkpoint \
         ({newest}): the bundle is not the log up to its newest checkpoint"
    )]
    CheckpointBeyond {
        /// The file's name.
        name: String,
        /// Its size.
        size: u64,
        /// The bundle's checkpoint's size.
        newest: u64,
    },
    /// `documents.pack` is not a sequence of distinct framed documents
    /// (the error names the byte offset).
    #[error("{0}")]
    Pack(PackError),
    /// A document is not named by its SHA-256, or is in the bundle twice.
    #[error("{DOCUMENTS_DIR}/{name}: {reason}")]
    Document {
        /// The file's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Documents the replay of the log never asked for: the log does not
    /// name them (a validly signed vote note that was never logged, say),
    /// so they are no part of the ballot and must not be shown as if
    /// they were.
    #[error(
        "the bundle holds {} documents that the log does not name (none may be shown as part \
         of the ballot): {}",
        .0.len(),
        .0.iter().map(|h| format!("sha256:{}", h.to_hex())).collect::<Vec<_>>().join(", ")
    )]
    UnnamedDocuments(Vec<Hash>),
    /// The replay of the log refused an entry: the log breaks the rules,
    /// or a document it needs is absent.
    #[error("the replay of the log fails: {0}")]
    Replay(ReplayError),
    /// No ballot was asked for and the bundle has no readable
    /// `bundle.json`.
    #[error("no ballot to report on: give one, or a bundle with a readable {MANIFEST_FILE}")]
    NoBallot,
    /// The log has no such ballot.
    #[error("the log has no ballot {0:?}")]
    UnknownBallot(String),
    /// The ballot has no tally at this checkpoint.
    #[error(
        "ballot {ballot} is {state} at this checkpoint, not tallied: there is no result to verify"
    )]
    NotTallied {
        /// The ballot.
        ballot: String,
        /// Its state.
        state: &'static str,
    },
    /// A certification names a root hash that is not the log's at its
    /// tree size: the chair certified another history than this log.
    #[error(
        "the certification of ballot {ballot} names the root {named} for size {size}, but \
         the log at size {size} has root {expected}: the chair certified another history"
    )]
    CertificationRoot {
        /// The ballot.
        ballot: String,
        /// The size named.
        size: u64,
        /// The root named.
        named: Hash,
        /// The verified log's root at that size.
        expected: Hash,
    },
    /// A receipt given to check does not belong to this log or ballot.
    #[error("receipt {name}: {reason}")]
    Receipt {
        /// The receipt's name (file or position).
        name: String,
        /// Why.
        reason: String,
    },
    /// A cosigned checkpoint (from the bundle, the log or a file given)
    /// is not signed by the log key, or a listed witness's cosignature on
    /// it does not verify.
    #[error("the cosigned checkpoint {origin}: {reason}")]
    Cosigned {
        /// Where it comes from.
        origin: String,
        /// Why.
        reason: String,
    },
    /// With a witness policy: no quorum of the policy's witnesses cosigned
    /// the bundle's checkpoint, in any source given.
    #[error(
        "the policy's witness quorum has not cosigned the bundle's checkpoint (size {size}) \
         in any source given (the bundle's checkpoint, its cosigned/ folder, the log's \
         cosigned-checkpoint entries, --cosigned files)"
    )]
    QuorumNotMet {
        /// The bundle's size.
        size: u64,
    },
    /// A file or folder of the bundle could not be read.
    #[error("{path}: {reason}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        reason: String,
    },
}
