//! Casting a signed vote, and its receipt.
//!
//! The vote is decided inside the sequencer on the state at its turn
//! ([`crate::ballot::BallotBook::decide_vote`]); an accepted vote is
//! answered once its entry, its note (and attachment) and a checkpoint
//! are durable, with a C2SP tlog-proof receipt; a byte-identical
//! resubmission is answered with the original receipt (SPEC section 4).

use crate::ballot::{Decision, Due, Recorder, VoteRefusal};
use crate::id::{BallotId, PersonId};
use crate::server::fold::micros;
use crate::server::sequencer::{AppendError, Appended, Decided, Refused};
use crate::server::{Log, scheduler};
use crate::store::Store;
use crate::store::documents::{Document, DocumentKind};
use crate::store::private_outbox::ReceiptOwed;
use crate::tlog::proof::inclusion_proof;
use crate::tlog::receipt::Receipt;
use crate::tlog::{Hash, LeafIndex, TreeSize};
use crate::vote::SubmittedVote;

use super::{CommandError, registry_of};

/// A vote as its voter sent it.
#[derive(Debug)]
pub struct Ballot {
    /// The signed vote note, parsed (its bytes exactly as signed).
    pub submitted: SubmittedVote,
    /// The attachment the note names (comments, reasons), if any.
    pub attachment: Option<Vec<u8>>,
    /// The person the caller authenticated as.
    pub person: PersonId,
    /// The ballot the caller asked to vote in (the request's path): a note
    /// for another ballot is refused, so that nobody gets a receipt for a
    /// ballot they did not ask for.
    pub ballot: BallotId,
    /// Whether the receipt is mailed to the voter (a relay is configured:
    /// without one no receipt is written as a file, and nothing is
    /// queued).
    pub mail_receipt: bool,
}

/// A vote in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cast {
    /// The vote was recorded now.
    Recorded {
        /// The vote entry's index.
        index: u64,
        /// The C2SP tlog-proof receipt (`docs/formats.md` 7.5).
        receipt: String,
    },
    /// The same bytes were recorded earlier: the original receipt.
    AlreadyRecorded {
        /// The original vote entry's index.
        index: u64,
        /// Its receipt against the first checkpoint that covered it.
        receipt: String,
    },
}

/// What the vote command decided, besides its entries.
enum Outcome {
    /// The vote's entry is the batch's.
    Accepted,
    /// A byte-identical resubmission of the vote at this index.
    Duplicate(u64),
    /// The ballot's opening is due but its roll is not logged yet: the
    /// request, handed back to be decided again once it is.
    OpeningDue(Box<Ballot>),
}

/// Casts `vote`: verified ahead of the log's turn on whichever core runs
/// this, decided in the sequencer, answered with its receipt once durable.
/// When the ballot's opening is due but its roll is not logged yet, the
/// roll is sequenced first and the vote decided again (at most once).
pub async fn cast(store: &Store, log: &Log, vote: Ballot) -> Result<Cast, CommandError> {
    let arrived = std::time::Instant::now();
    verify_in_advance(log, &vote.submitted);
    let mut vote = vote;
    for _ in 0..2 {
        let committed = log.submit(decide(log, vote)).await?;
        match committed.value {
            Outcome::OpeningDue(returned) => {
                vote = *returned;
                let due = Due::Open(vote.ballot.clone());
                match scheduler::sequence(log, due).await {
                    Ok(_) | Err(AppendError::Refused(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Outcome::Accepted => {
                let appended = super::first(committed.appended, "a vote")?;
                let index = appended.index;
                let receipt = batch_receipt(store, &log.group, appended).await?;
                crate::server::metrics::global().vote_receipt(arrived.elapsed());
                return Ok(Cast::Recorded { index, receipt });
            }
            Outcome::Duplicate(index) => {
                let receipt = original_receipt(store, log, index).await?;
                return Ok(Cast::AlreadyRecorded { index, receipt });
            }
        }
    }
    Err(CommandError::Unavailable(
        "the ballot's opening could not be sequenced; try again".to_owned(),
    ))
}

/// The vote command: the decision on the state at its turn. The note names
/// its ballot and the decision's codes come first (`unknown-ballot` for a
/// note naming no ballot of this log); a note the decision would take but
/// for another ballot than the request's is refused as `malformed-note`.
fn decide(
    log: &Log,
    vote: Ballot,
) -> crate::server::sequencer::Command<crate::server::GroupLogState, Outcome> {
    let group = log.group.clone();
    Box::new(move |loaded, time| {
        let registry = registry_of(loaded, &group)?;
        let Ballot {
            submitted,
            attachment,
            person,
            ballot,
            mail_receipt,
        } = vote;
        let decided =
            loaded
                .book
                .decide_vote(registry, &submitted, attachment.as_deref(), time, &person);
        let decided = match decided {
            Ok(_) if submitted.vote.ballot != ballot => Err(VoteRefusal::MalformedNote(format!(
                "the note is for ballot {}, the request for {ballot}",
                submitted.vote.ballot
            ))),
            other => other,
        };
        match decided {
            Err(VoteRefusal::OpeningDue) => {
                Ok(Decided::nothing(Outcome::OpeningDue(Box::new(Ballot {
                    submitted,
                    attachment,
                    person,
                    ballot,
                    mail_receipt,
                }))))
            }
            Err(refusal) => Err(Refused::from(&refusal)),
            Ok(Decision::Duplicate { index }) => Ok(Decided::nothing(Outcome::Duplicate(index))),
            Ok(Decision::Accept { entry }) => {
                let ballot = submitted.vote.ballot.as_str();
                let mut documents = vec![Document::new(
                    submitted.bytes.clone(),
                    ballot,
                    DocumentKind::Note,
                )];
                if let Some(bytes) = attachment {
                    documents.push(Document::new(bytes, ballot, DocumentKind::Attachment));
                }
                // The receipt by e-mail is queued in the vote's own
                // transaction, so that it is lost with the vote or not at
                // all; the receipt itself is built when it is sent.
                let receipt = mail_receipt.then(|| ReceiptOwed {
                    ballot: ballot.to_owned(),
                    person: person.to_string(),
                    organisation: submitted.vote.organisation.to_string(),
                    question: submitted.vote.question.to_string(),
                    note: Hash::sha256(&submitted.bytes).to_hex(),
                    created_at: micros(time),
                });
                // The fold judges the entry next, on these very bytes: it
                // takes the note as parsed here.
                loaded.book.verified.keep_decided(submitted);
                Ok(Decided {
                    entries: vec![entry],
                    documents,
                    value: Outcome::Accepted,
                    receipt,
                })
            }
        }
    })
}

/// Verifies the vote's signature here, on whichever core runs this
/// request, under the signer's key of the note's key id in the log's
/// published registry, and records it in the ballot book's memo: the
/// decision in the log's serialised section then finds the record (the
/// same note bytes, the same key) and does not verify again. A note that
/// does not verify here, or whose key is not in the view, is simply
/// verified by the decision as before.
fn verify_in_advance(log: &Log, submitted: &SubmittedVote) {
    let Some(published) = log.published() else {
        return;
    };
    let key = published.registry.as_deref().and_then(|registry| {
        registry
            .keys_of(submitted.person.as_str())
            .iter()
            .find(|k| k.key.id() == submitted.key_id)
    });
    if let Some(key) = key {
        published
            .verified
            .verify_in_advance(submitted, &key.key, Recorder::Deciding);
    }
}

/// The receipt of entry `index` against the signed checkpoint of `size`,
/// its proof read from storage: `extra` is the entry's exact bytes (SPEC
/// section 4, "Receipt").
async fn stored_receipt(
    store: &Store,
    group: &str,
    entry: &[u8],
    index: u64,
    size: u64,
    checkpoint: Vec<u8>,
) -> Result<String, CommandError> {
    let proof = store
        .with_hashes(group, |reader| {
            inclusion_proof(LeafIndex::new(index), TreeSize::new(size), reader)
        })
        .await?
        .map_err(|e| CommandError::Internal(format!("inclusion proof: {e}")))?;
    let receipt = Receipt::new(
        Some(entry.to_vec()),
        LeafIndex::new(index),
        proof,
        checkpoint,
    )
    .map_err(|e| CommandError::Internal(format!("receipt: {e}")))?;
    Ok(receipt.to_text())
}

/// The receipt of an entry just appended, its proof from the batch's own
/// hashes; from storage only if those ever lacked one (they never should,
/// see [`crate::tlog::tree::TailHashes`]).
async fn batch_receipt(
    store: &Store,
    group: &str,
    appended: Appended,
) -> Result<String, CommandError> {
    let Ok(proof) = appended.inclusion_proof() else {
        return stored_receipt(
            store,
            group,
            &appended.entry,
            appended.index,
            appended.size,
            appended.checkpoint,
        )
        .await;
    };
    // The batch's checkpoint was signed by this process's sequencer.
    let receipt = Receipt::with_own_checkpoint(
        Some(appended.entry),
        LeafIndex::new(appended.index),
        proof,
        appended.checkpoint,
    )
    .map_err(|e| CommandError::Internal(format!("receipt: {e}")))?;
    Ok(receipt.to_text())
}

/// The original receipt of the vote at `index`: against the first
/// checkpoint that covered it, which is the one its first answer carried.
async fn original_receipt(store: &Store, log: &Log, index: u64) -> Result<String, CommandError> {
    let group = &log.group;
    let mut found = first_receipt(store, group, index).await?;
    if found.is_none() {
        // The original is in the batch being committed (the duplicate was
        // decided on its in-memory state): the sequencer holds the log's
        // lock until the batch is durable or failed, so wait for it.
        log.read(|_| ()).await?;
        found = first_receipt(store, group, index).await?;
    }
    let (_, receipt) = found.ok_or_else(|| {
        CommandError::Unavailable("the original vote was not recorded; send it again".to_owned())
    })?;
    Ok(receipt)
}

/// The entry at `index` of `group` and its receipt against the first
/// checkpoint that covers it, built from storage: for an entry appended
/// by a batch, the very receipt that batch answered with. `None` while no
/// checkpoint covers the entry. The vote's original receipt, and the
/// receipt the dispatcher mails to the voter (`crate::server::mail`).
pub async fn first_receipt(
    store: &Store,
    group: &str,
    index: u64,
) -> Result<Option<(Vec<u8>, String)>, CommandError> {
    let Some((size, checkpoint)) = store.first_checkpoint_covering(group, index).await? else {
        return Ok(None);
    };
    let entry = store
        .entries(group, index, index + 1)
        .await?
        .pop()
        .ok_or_else(|| CommandError::Internal(format!("entry {index} is missing")))?;
    let receipt = stored_receipt(store, group, &entry, index, size, checkpoint).await?;
    Ok(Some((entry, receipt)))
}
