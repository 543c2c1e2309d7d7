//! What a caller submits to a log's sequencer, and what it gets back.

use std::sync::Arc;

use tokio::sync::oneshot;

use crate::entry::Entry;
use crate::store::documents::Document;
use crate::store::private_outbox::ReceiptOwed;
use crate::time::Timestamp;
use crate::tlog::tree::TailHashes;
use crate::tlog::{Hash, LeafIndex, TreeSize};

/// A request to the log: given the state at its turn and the receive time,
/// the entries to append atomically (with the documents stored beside
/// them) and a value `T` for the caller, or a refusal.
///
/// The entries are folded one after the other and land in the same
/// transaction, contiguous and in order; if any is refused, none is
/// appended. A command that decides to append nothing (a duplicate, a
/// refusal it wants to explain in its own terms) returns no entries and
/// says why in `T`. The value reaches the caller with the entries' receipts
/// once they are durable ([`GroupLog::submit`]).
pub type Command<S, T> = Box<dyn FnOnce(&S, Timestamp) -> Result<Decided<T>, Refused> + Send>;

/// What a [`Command`] decided: entries, their documents, and a value.
#[derive(Debug, Clone, Default)]
pub struct Decided<T> {
    /// The entries to append, in order (each carrying the receive time).
    pub entries: Vec<Entry>,
    /// The documents the entries name, written in the same transaction;
    /// the fold sees them when it applies the entries.
    pub documents: Vec<Document>,
    /// What the command tells its caller besides the entries (a ballot's
    /// recipients, why a vote was not logged).
    pub value: T,
    /// The receipt of the first entry (a vote) owed to its voter by
    /// e-mail, if any: written into the private outbox by the same
    /// transaction, with the entry's index (`crate::store::private_outbox`).
    pub receipt: Option<ReceiptOwed>,
}

impl Decided<()> {
    /// Entries with no documents and nothing else to say.
    pub fn entries(entries: Vec<Entry>) -> Self {
        Self {
            entries,
            documents: Vec::new(),
            value: (),
            receipt: None,
        }
    }
}

impl<T> Decided<T> {
    /// Nothing to append; only the value.
    pub fn nothing(value: T) -> Self {
        Self {
            entries: Vec::new(),
            documents: Vec::new(),
            value,
            receipt: None,
        }
    }
}

/// A command's entries once durable, with the value it decided.
#[derive(Debug)]
pub struct Committed<T> {
    /// One receipt per entry, in the entries' order (none if the command
    /// appended nothing).
    pub appended: Vec<Appended>,
    /// The command's value.
    pub value: T,
}

/// Why a command was refused: its code (stable, kebab-case), what kind of
/// refusal it is, and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    /// A stable machine-readable code, e.g. `unknown-organisation`.
    pub code: &'static str,
    /// A sentence saying what is wrong and what would be accepted.
    pub message: String,
    /// What the refusal means for the caller (and the HTTP status).
    pub kind: RefusedKind,
}

/// The kinds of refusal, which callers tell apart by type rather than by
/// comparing codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedKind {
    /// The request breaks a rule whatever the state (HTTP 422).
    Invalid,
    /// The request conflicts with the log's current state (HTTP 409).
    Conflict,
    /// What the request names does not exist (HTTP 404).
    NotFound,
    /// The statement is signed by someone other than the caller (HTTP
    /// 403, `token-mismatch`).
    Forbidden,
    /// A transition already taken, by another request or process: nothing
    /// left to do (the scheduler's case; HTTP 409).
    AlreadyDone,
}

impl Refused {
    /// A rule violation (422).
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            kind: RefusedKind::Invalid,
        }
    }

    /// A conflict with the log's state (409).
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            kind: RefusedKind::Conflict,
        }
    }

    /// Nothing of that name (404, code `not-found`).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            code: "not-found",
            message: message.into(),
            kind: RefusedKind::NotFound,
        }
    }

    /// A rule violation or a conflict, as `conflict` says.
    pub fn new(code: &'static str, message: impl Into<String>, conflict: bool) -> Self {
        if conflict {
            Self::conflict(code, message)
        } else {
            Self::invalid(code, message)
        }
    }
}

/// An appended entry, durable, with the checkpoint that covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The entry's index in the log.
    pub index: u64,
    /// The entry's exact bytes.
    pub entry: Vec<u8>,
    /// The log's size after the batch (the checkpoint's size).
    pub size: u64,
    /// The signed checkpoint of that size.
    pub checkpoint: Vec<u8>,
    /// The stored hashes of the batch and the frontier it extended, shared
    /// by the batch's receipts: an inclusion proof of this entry against
    /// the checkpoint reads them instead of storage.
    pub hashes: Arc<TailHashes>,
}

impl Appended {
    /// The inclusion proof of this entry in the tree of the checkpoint,
    /// from the batch's own hashes (no storage read).
    pub fn inclusion_proof(&self) -> Result<Vec<Hash>, crate::tlog::TreeError> {
        crate::tlog::proof::inclusion_proof(
            LeafIndex::new(self.index),
            TreeSize::new(self.size),
            self.hashes.as_ref(),
        )
    }
}

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The command refused: nothing was written.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The batch failed before its commit: nothing was written, and the
    /// request may be sent again.
    #[error("the log could not be written (nothing was recorded): {0}")]
    BatchFailed(String),
    /// The commit's outcome is unknown: the entry may or may not be in the
    /// log. The sequencer re-reads the log before its next batch; the client
    /// should look, or resend (resending an identical vote returns the
    /// original receipt).
    #[error("the outcome of the write is unknown: {0}")]
    Unknown(String),
    /// The log is not served: its storage did not match its checkpoint at
    /// start-up, or it lost entries it had acknowledged.
    #[error("the log is not served: {0}")]
    Halted(String),
    /// The sequencer is shutting down.
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// One queued request: a typed command, decided inside the batch, whose
/// value waits beside it until the batch's fate is known.
pub(super) trait Pending<S>: Send {
    /// Runs the command on the state at its turn, keeping its value.
    fn decide(&mut self, state: &S, time: Timestamp) -> Result<Documents, Refused>;
    /// Answers the caller: the receipts with the value kept by
    /// [`Pending::decide`], or why not.
    fn answer(self: Box<Self>, result: Result<Vec<Appended>, AppendError>);
}

/// Entries and documents as the batch handles them, whatever the value.
pub(super) struct Documents {
    pub(super) entries: Vec<Entry>,
    pub(super) documents: Vec<Document>,
    pub(super) receipt: Option<ReceiptOwed>,
}

/// A [`Command`] on its way through the sequencer.
pub(super) struct Typed<S, T> {
    pub(super) command: Option<Command<S, T>>,
    pub(super) value: Option<T>,
    pub(super) reply: oneshot::Sender<Result<Committed<T>, AppendError>>,
}

impl<S: 'static, T: Send + 'static> Pending<S> for Typed<S, T> {
    fn decide(&mut self, state: &S, time: Timestamp) -> Result<Documents, Refused> {
        let command = self
            .command
            .take()
            .expect("invariant: a request is decided at most once");
        let Decided {
            entries,
            documents,
            value,
            receipt,
        } = command(state, time)?;
        self.value = Some(value);
        Ok(Documents {
            entries,
            documents,
            receipt,
        })
    }

    fn answer(self: Box<Self>, result: Result<Vec<Appended>, AppendError>) {
        let Self { value, reply, .. } = *self;
        let result = result.map(|appended| Committed {
            appended,
            value: value.expect("invariant: a request is answered with receipts only once decided"),
        });
        // The caller may have gone away (a dropped connection): nothing to do.
        let _ = reply.send(result);
    }
}

pub(super) type Request<S> = Box<dyn Pending<S>>;
