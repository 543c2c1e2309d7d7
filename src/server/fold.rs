//! A group's state as the server keeps it: the fold of the registry and
//! the ballots over the group's log, which the sequencer brings up to date
//! before every decision and publishes to readers.

use std::sync::Arc;

use super::sequencer::{GroupLog, LogFold};
use crate::ballot::{
    BallotApplied, BallotBook, BallotRefusal, DocumentSource, NoDocuments, TrackedBallot,
    VerifiedNotes,
};
use crate::entry::Entry;
use crate::registry::Refusal;
use crate::registry::state::{Applied, GroupState};
use crate::rules::voting::BallotKind;
use crate::store::outbox::{Notice, OutboxChange};
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;

/// A group's state as the server keeps it: the registry and the ballots,
/// folded over the log in the order `crate::ballot` documents (each entry
/// to the registry first; the entries it hands back go to the book).
#[derive(Debug)]
pub struct GroupLogState {
    /// The registry, once the `group` entry is in.
    pub registry: Option<GroupState>,
    /// Every ballot of the group.
    pub book: BallotBook,
    /// How many registry facts were applied: the published registry is
    /// copied again only when this moved.
    registry_changes: u64,
}

/// What a group's log publishes to readers that do not wait for its lock
/// ([`GroupLog::published`]): the role checks and the advance check of a
/// vote's signature.
pub struct PublishedGroup {
    /// The registry as of its last fact. Its entry count and last time
    /// are those of that fact, not of the log: ask the log for those.
    pub registry: Option<Arc<GroupState>>,
    /// The ballot book's memo of verified vote signatures: a handler
    /// verifies a vote here before it queues, off the log's serialised
    /// section, and the decision finds the record.
    pub verified: VerifiedNotes,
    /// [`GroupLogState::registry_changes`] when `registry` was copied.
    registry_changes: u64,
    /// Every ballot's headline, in the book's order: the lists of ballots
    /// read them here, without waiting for a batch being committed.
    pub ballots: Arc<Vec<BallotHeadline>>,
}

/// A ballot as the lists of ballots show it: what changes with its
/// lifecycle, not with each vote, so that it is published beside the
/// registry at little cost.
#[derive(Debug, Clone, PartialEq)]
pub struct BallotHeadline {
    /// The ballot's id.
    pub id: String,
    /// The lifecycle state's code (`announced`, `open`, `closed`,
    /// `tallied`, `certified`, `cancelled`).
    pub state: &'static str,
    /// Correspondence, meeting or consultation.
    pub kind: BallotKind,
    /// The window.
    pub opens: Timestamp,
    /// The window's end (first instant no longer counted).
    pub closes: Timestamp,
    /// Whether a reviewer overturned its announcement or certification.
    pub annulled: bool,
}

impl BallotHeadline {
    /// The headline of the ballot `id` tracked as `tracked`.
    pub fn of(id: &str, tracked: &TrackedBallot) -> Self {
        let ballot = tracked.lifecycle.ballot();
        Self {
            id: id.to_owned(),
            state: tracked.lifecycle.state(),
            kind: ballot.kind.clone(),
            opens: ballot.opens,
            closes: ballot.closes,
            annulled: tracked.annulled(),
        }
    }
}

/// Why an entry does not apply to a group's state.
#[derive(Debug, thiserror::Error)]
pub enum FoldRefusal {
    /// The registry refused it.
    #[error(transparent)]
    Registry(#[from] Refusal),
    /// The ballot book refused it.
    #[error(transparent)]
    Ballot(#[from] BallotRefusal),
    /// An entry type this server does not write.
    #[error("entry type {0:?} is not one this server writes")]
    UnknownType(String),
}

impl GroupLogState {
    /// Applies an entry. With `undo`, a refusal leaves the state unchanged
    /// (the registry counts a ballot entry before the book judges it, so it
    /// is saved first); without, a refusal may leave the registry one entry
    /// ahead, which is fine where a refusal halts the log.
    fn apply_entry(
        &mut self,
        entry: &Entry,
        documents: &dyn DocumentSource,
        undo: bool,
    ) -> Result<(), FoldRefusal> {
        let Self {
            registry,
            book,
            registry_changes,
        } = self;
        let Some(state) = registry else {
            *registry = Some(GroupState::genesis(entry)?);
            *registry_changes += 1;
            return Ok(());
        };
        book.check_nothing_owed(Some(entry))
            .map_err(FoldRefusal::Ballot)?;
        if !crate::ballot::BALLOT_KINDS.contains(&entry.kind()) {
            // A registry entry, or a type nobody writes, refused before
            // the state changes.
            let Some(fact) = state.check_entry(entry)? else {
                return Err(FoldRefusal::UnknownType(entry.kind().to_owned()));
            };
            let offered = book.registry_notices(state, &fact);
            state.apply(entry)?;
            book.offer(offered);
            *registry_changes += 1;
            return Ok(());
        }
        // A ballot entry changes only the registry's count and time, so
        // that is all there is to restore on a refusal (cloning the whole
        // registry for every vote cost more than judging it).
        let saved = undo.then(|| state.position());
        let Applied::NotRegistry(entry) = state.apply(entry)? else {
            *registry_changes += 1;
            return Ok(());
        };
        let refusal = match book.apply(state, entry, documents) {
            Ok(BallotApplied::Ballot { .. }) => return Ok(()),
            Ok(BallotApplied::NotBallot) => FoldRefusal::UnknownType(entry.kind().to_owned()),
            Err(refusal) => FoldRefusal::Ballot(refusal),
        };
        if let Some(saved) = saved {
            state.rewind(saved);
        }
        Err(refusal)
    }
}

impl LogFold for GroupLogState {
    type Refusal = FoldRefusal;

    fn empty(origin: &Origin) -> Self {
        Self {
            registry: None,
            book: BallotBook::new(origin.clone()),
            registry_changes: 0,
        }
    }

    type Published = PublishedGroup;

    fn publish(&self, previous: Option<&Arc<PublishedGroup>>) -> Arc<PublishedGroup> {
        let ballots: Vec<BallotHeadline> = self
            .book
            .ballots()
            .map(|(id, tracked)| BallotHeadline::of(id.as_str(), tracked))
            .collect();
        let Some(previous) = previous else {
            return Arc::new(PublishedGroup {
                registry: self.registry.clone().map(Arc::new),
                verified: self.book.verified.clone(),
                registry_changes: self.registry_changes,
                ballots: Arc::new(ballots),
            });
        };
        let same_registry = previous.registry_changes == self.registry_changes;
        let same_ballots = *previous.ballots == ballots;
        if same_registry && same_ballots && previous.verified.same(&self.book.verified) {
            return Arc::clone(previous);
        }
        // What did not change is shared with the previous view, not copied.
        Arc::new(PublishedGroup {
            registry: if same_registry {
                previous.registry.clone()
            } else {
                self.registry.clone().map(Arc::new)
            },
            verified: self.book.verified.clone(),
            registry_changes: self.registry_changes,
            ballots: if same_ballots {
                Arc::clone(&previous.ballots)
            } else {
                Arc::new(ballots)
            },
        })
    }

    fn apply(&mut self, entry: &Entry) -> Result<(), FoldRefusal> {
        self.apply_entry(entry, &NoDocuments, true)
    }

    fn apply_decided(
        &mut self,
        entry: &Entry,
        documents: &dyn DocumentSource,
    ) -> Result<(), FoldRefusal> {
        self.apply_entry(entry, documents, true)
    }

    fn apply_from_storage(
        &mut self,
        entry: &Entry,
        documents: &dyn DocumentSource,
    ) -> Result<(), FoldRefusal> {
        self.apply_entry(entry, documents, false)
    }

    /// The documents the entry names, as [`crate::ballot::documents_named`]
    /// reads them.
    fn documents_named(entry: &Entry) -> Vec<Hash> {
        crate::ballot::documents_named(entry)
    }

    /// A `notification` owes a message; a `delivery` settles it.
    fn outbox_change(entry: &Entry, index: u64) -> Option<OutboxChange> {
        match entry.kind() {
            crate::ballot::NOTIFICATION_KIND => {
                let n = crate::ballot::Notification::from_entry(entry).ok()?;
                Some(OutboxChange::Owed(Notice {
                    index,
                    ballot: n.ballot.to_string(),
                    person: n.person.to_string(),
                    reason: n.reason.as_str().to_owned(),
                    created_at: micros(entry.time()),
                }))
            }
            crate::ballot::DELIVERY_KIND => {
                let d = crate::ballot::Delivery::from_entry(entry).ok()?;
                Some(OutboxChange::Settled {
                    index: d.notification,
                    accepted: d.outcome == crate::ballot::DeliveryOutcome::Accepted,
                    reply: d.reply,
                })
            }
            _ => None,
        }
    }

    /// The notes of the vote entries among `entries`, verified on every
    /// core under their signers' keys of the registry as it stands before
    /// them (a key registered within `entries` is left to the fold), and
    /// recorded in the book's memo with the parsed note, which the fold
    /// takes. Only a successful strict verification is recorded, so the
    /// fold accepts exactly what it would have accepted; every other rule
    /// (a revoked key, the roll, the window) is still the fold's.
    fn verify_ahead(&self, entries: &[Entry], documents: &dyn DocumentSource) {
        /// Fewer notes are verified on this thread by the fold itself.
        const WORTH_THREADS: usize = 64;
        let Some(registry) = &self.registry else {
            return;
        };
        let notes: Vec<_> = entries
            .iter()
            .filter(|entry| entry.kind() == crate::vote::VOTE_ENTRY_KIND)
            .filter_map(crate::ballot::document_named)
            .filter_map(|sha256| documents.get(&sha256))
            .collect();
        if notes.len() < WORTH_THREADS {
            return;
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let verified = &self.book.verified;
        std::thread::scope(|scope| {
            for part in notes.chunks(notes.len().div_ceil(threads)) {
                scope.spawn(move || {
                    for bytes in part {
                        verified.verify_with_registry(
                            bytes,
                            registry,
                            crate::ballot::Recorder::Replaying { keep_parsed: true },
                        );
                    }
                });
            }
        });
    }

    /// A vote note names its attachment ([`crate::ballot::attachment_of`]).
    fn documents_named_by(document: &[u8]) -> Vec<Hash> {
        crate::ballot::attachment_of(document).into_iter().collect()
    }
}

/// A group's log as the server runs it.
pub type Log = GroupLog<GroupLogState>;

/// A time as Unix microseconds (the outbox's unit).
pub fn micros(time: Timestamp) -> i64 {
    i64::try_from(time.unix_nanos() / 1000).unwrap_or(i64::MAX)
}

/// Unix microseconds as RFC 3339 UTC with six fractional digits.
pub fn micros_to_rfc3339(micros: i64) -> String {
    Timestamp::from_unix_nanos(i128::from(micros) * 1000)
        .map_or_else(|| micros.to_string(), |t| t.to_rfc3339_micros())
}
