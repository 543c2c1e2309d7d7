//! [`BallotBook`]: every ballot of a group, folded over the log's ballot
//! entries beside the registry's [`GroupState`], and the decisions the
//! server takes before sequencing a ballot entry.
//!
//! Contract with the caller: each entry goes first to
//! [`GroupState::apply`] (time order, index), then, if it is handed back
//! as [`crate::registry::Applied::NotRegistry`], to [`BallotBook::apply`]
//! with the same registry. [`replay`] does exactly that for a whole log.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::entry::Entry;
use crate::id::{BallotId, PersonId};
use crate::registry::{Applied, Fact, GroupState, Refusal};
use crate::rules::{Roll, Scheduled, check_schedule, compute_roll, supersede, tally};
use crate::time::Timestamp;
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;
use crate::vote::VOTE_ENTRY_KIND;

use super::lifecycle::{Lifecycle, Outbox, TrackedBallot};
use super::records::{
    CANCELLED_KIND, CLOSE_KIND, NOTIFICATION_KIND, Notification, NotificationReason, ROLL_KIND,
    RollRecord, TALLY_KIND, TALLY_VERSION, TallyDocument, TallyQuestion, TallyRecord, ballot_only,
    ballot_only_entry, roll_document,
};
use super::refusal::BallotRefusal;
use super::source::DocumentSource;
use super::verified::VerifiedNotes;

mod notices;
use crate::ballot::announcement::ANNOUNCEMENT_KIND;
use crate::ballot::appeal::{APPEAL_KIND, DECISION_KIND};
use crate::ballot::certification::CERTIFICATION_KIND;
use crate::entry::codec::{bad, hash_text};

/// What [`BallotBook::apply`] did with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotApplied {
    /// A ballot entry, now part of the book.
    Ballot {
        /// Its entry type.
        kind: &'static str,
    },
    /// An entry type the book does not know, left to the caller, which
    /// must refuse types nobody knows.
    NotBallot,
}

/// The roll entry the server sequences at a ballot's opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    /// The `roll` entry.
    pub entry: Entry,
    /// The canonical roll document; when the entry's body is empty, the
    /// server stores it beside the log under its SHA-256.
    pub document: Vec<u8>,
    /// Whether the document is stored beside the log (too large inline).
    pub stored_beside: bool,
}

/// A transition the server's scheduler owes at some time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// The ballot's `opens` has come: sequence its roll.
    Open(BallotId),
    /// The ballot's `closes` has come: sequence its close.
    Close(BallotId),
    /// The ballot is closed: sequence its tally.
    Tally(BallotId),
}

/// Every ballot of one group, as of the last entry applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotBook {
    /// The group's log origin: vote and announcement notes must name it.
    pub(crate) origin: Origin,
    /// The ballots by id.
    pub(crate) ballots: BTreeMap<BallotId, TrackedBallot>,
    /// Vote signatures verified and not yet judged again (a memo, not
    /// part of the book's value).
    pub(crate) verified: VerifiedNotes,
    /// The notices the last entry offers: `registry-change` (a person or
    /// key registered for an organisation while a ballot runs,
    /// [`BallotBook::registry_notices`]) and the `cancellation`, `tally`
    /// and `certification` notices ([`BallotBook::outcome_notices`]);
    /// each may be logged right after it, once.
    pub(crate) offered: BTreeSet<(NotificationReason, BallotId, PersonId)>,
    /// Every notification by log index, with its logged delivery
    /// (`delivery.rs`).
    pub(crate) deliveries: super::Deliveries,
    /// The last `cosigned-checkpoint` entry: (the size it records, its
    /// log index).
    pub(crate) cosigned: Option<(u64, u64)>,
    /// Every `reminder` entry, in log order (`reminders.rs`).
    pub(crate) reminders: Vec<super::reminders::LoggedReminder>,
}

/// Where a replay of a whole log stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The registry refused the entry.
    #[error("log entry {index}: {refusal}")]
    Registry {
        /// The entry's index.
        index: u64,
        /// Why.
        refusal: Refusal,
    },
    /// The ballot fold refused the entry.
    #[error("log entry {index}: {refusal}")]
    Ballot {
        /// The entry's index.
        index: u64,
        /// Why.
        refusal: BallotRefusal,
    },
    /// An entry type neither fold knows.
    #[error("log entry {index}: unknown entry type {kind:?}")]
    UnknownKind {
        /// The entry's index.
        index: u64,
        /// Its type.
        kind: String,
    },
}

/// A document an entry carries in its body, or else names by `hash` and
/// leaves beside the log (a roll, a tally, an announcement's recipients
/// too large for their entry): from `notes`, and only as those bytes.
pub(crate) fn in_entry_or_beside<'a>(
    body: Option<&'a [u8]>,
    hash: &Hash,
    notes: &'a dyn DocumentSource,
) -> Result<Cow<'a, [u8]>, BallotRefusal> {
    match body {
        Some(body) => Ok(Cow::Borrowed(body)),
        None => notes
            .get(hash)
            .filter(|d| Hash::sha256(d) == *hash)
            .ok_or(BallotRefusal::MissingBlob(*hash)),
    }
}

/// Takes one from `key`'s count in `counts`, dropping it at zero; whether
/// there was one.
fn settle<K: Ord>(counts: &mut BTreeMap<K, u32>, key: K) -> bool {
    let Some(count) = counts.get_mut(&key) else {
        return false;
    };
    *count -= 1;
    if *count == 0 {
        counts.remove(&key);
    }
    true
}

/// Folds a whole log of `origin` from its first entry: the registry and the
/// ballots, with the documents of `notes`.
pub fn replay<'a>(
    origin: Origin,
    entries: impl IntoIterator<Item = &'a Entry>,
    notes: &dyn DocumentSource,
) -> Result<(GroupState, BallotBook), ReplayError> {
    replay_verified(origin, entries, notes, VerifiedNotes::default())
}

/// [`replay`] with vote signatures verified in advance (on several cores,
/// say): a vote whose note and key are recorded in `verified` is not
/// verified again; any other is verified as usual.
pub fn replay_verified<'a>(
    origin: Origin,
    entries: impl IntoIterator<Item = &'a Entry>,
    notes: &dyn DocumentSource,
    verified: VerifiedNotes,
) -> Result<(GroupState, BallotBook), ReplayError> {
    let mut entries = entries.into_iter();
    let first = entries.next().ok_or(ReplayError::Registry {
        index: 0,
        refusal: Refusal::EmptyLog,
    })?;
    let mut registry = GroupState::genesis(first)
        .map_err(|refusal| ReplayError::Registry { index: 0, refusal })?;
    let mut book = BallotBook::new(origin);
    book.verified = verified;
    for entry in entries {
        let index = registry.entries_applied();
        book.check_nothing_owed(Some(entry))
            .map_err(|refusal| ReplayError::Ballot { index, refusal })?;
        // The registry parses the entry again when it applies it; parsed
        // here only for the notices it offers.
        let offered = match Fact::from_entry(entry) {
            Ok(Some(fact)) => book.registry_notices(&registry, &fact),
            _ => Vec::new(),
        };
        match registry.apply(entry) {
            Err(refusal) => return Err(ReplayError::Registry { index, refusal }),
            Ok(Applied::Registry { .. }) => book.offer(offered),
            Ok(Applied::NotRegistry(entry)) => match book.apply(&registry, entry, notes) {
                Err(refusal) => return Err(ReplayError::Ballot { index, refusal }),
                Ok(BallotApplied::Ballot { .. }) => {}
                Ok(BallotApplied::NotBallot) => {
                    return Err(ReplayError::UnknownKind {
                        index,
                        kind: entry.kind().to_owned(),
                    });
                }
            },
        }
    }
    book.check_nothing_owed(None)
        .map_err(|refusal| ReplayError::Ballot {
            index: registry.entries_applied(),
            refusal,
        })?;
    Ok((registry, book))
}

impl BallotBook {
    /// An empty book for the log `origin`.
    pub fn new(origin: Origin) -> Self {
        Self {
            origin,
            ballots: BTreeMap::new(),
            verified: VerifiedNotes::default(),
            offered: BTreeSet::new(),
            deliveries: super::Deliveries::default(),
            cosigned: None,
            reminders: Vec::new(),
        }
    }

    /// The last `cosigned-checkpoint` entry: the size of the checkpoint
    /// it records, and its own log index.
    pub fn last_cosigned(&self) -> Option<(u64, u64)> {
        self.cosigned
    }

    /// Whether a `cosigned-checkpoint` of `size` may be logged next, at
    /// log index `index`: of an earlier tree than the entry, and of a
    /// larger one than the last recorded.
    pub fn check_cosigned(&self, size: u64, index: u64) -> Result<(), BallotRefusal> {
        let after = self.cosigned.map_or(0, |(s, _)| s);
        if size > index || size <= after {
            return Err(BallotRefusal::format(super::COSIGNED_KIND)(bad(
                "size",
                &size.to_string(),
                "at most the entry's log index and larger than the last cosigned checkpoint's",
            )));
        }
        Ok(())
    }

    /// Every notification by log index, with its logged delivery.
    pub fn deliveries(&self) -> &super::Deliveries {
        &self.deliveries
    }

    /// The log origin.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The ballot `id`, in whatever state.
    pub fn ballot(&self, id: &str) -> Option<&TrackedBallot> {
        self.ballots.get(id)
    }

    /// Every ballot, by id.
    pub fn ballots(&self) -> impl Iterator<Item = (&BallotId, &TrackedBallot)> {
        self.ballots.iter()
    }

    /// The transitions due at `now`, by ballot id.
    pub fn due(&self, now: Timestamp) -> Vec<Due> {
        self.ballots
            .iter()
            .filter_map(|(id, b)| match &b.lifecycle {
                Lifecycle::Announced(a) if a.ballot.opens <= now => Some(Due::Open(id.clone())),
                Lifecycle::Open(o) if o.announced.ballot.closes <= now => {
                    Some(Due::Close(id.clone()))
                }
                Lifecycle::Closed(_) => Some(Due::Tally(id.clone())),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn tracked_mut(&mut self, id: &BallotId) -> &mut TrackedBallot {
        self.ballots
            .get_mut(id)
            .expect("invariant: called only for a ballot the check found")
    }

    fn tracked(&self, id: &BallotId) -> Result<&TrackedBallot, BallotRefusal> {
        self.ballots
            .get(id)
            .ok_or_else(|| BallotRefusal::UnknownBallot(id.clone()))
    }

    /// Validates and applies the next ballot entry (see the module's
    /// contract). On a refusal the book is unchanged.
    pub fn apply(
        &mut self,
        registry: &GroupState,
        entry: &Entry,
        notes: &dyn DocumentSource,
    ) -> Result<BallotApplied, BallotRefusal> {
        let time = entry.time();
        let index = registry.entries_applied().saturating_sub(1);
        let kind = match entry.kind() {
            ANNOUNCEMENT_KIND => {
                let announced = self.check_announcement_entry(registry, entry, index, notes)?;
                // A re-announcement keeps the ballot's appeals and the
                // notices still owed; the new recipients are owed theirs.
                let (owed, appeals) = match self.ballots.remove(&announced.ballot.id) {
                    Some(earlier) => (earlier.outbox.owed, earlier.appeals),
                    None => Default::default(),
                };
                let outbox = Outbox {
                    announcement: announced.recipients.clone(),
                    owed,
                    // Before the opening there are no votes.
                    at_close: BTreeMap::new(),
                };
                self.ballots.insert(
                    announced.ballot.id.clone(),
                    TrackedBallot {
                        lifecycle: Lifecycle::Announced(announced),
                        outbox,
                        appeals,
                    },
                );
                ANNOUNCEMENT_KIND
            }
            CANCELLED_KIND => {
                let ballot = ballot_only(entry, CANCELLED_KIND)
                    .map_err(BallotRefusal::format(CANCELLED_KIND))?;
                self.decide_cancel(&ballot, time)?;
                self.transition(&ballot, |l| match l {
                    Lifecycle::Announced(a) => Lifecycle::Cancelled(a.cancel(time)),
                    other => other,
                });
                CANCELLED_KIND
            }
            ROLL_KIND => {
                let record =
                    RollRecord::from_entry(entry).map_err(BallotRefusal::format(ROLL_KIND))?;
                let (scheduled, roll, document) = self.opening(registry, &record.ballot, time)?;
                let logged = in_entry_or_beside(record.body.as_deref(), &record.roll, notes)?;
                // One encoding per roll: the document, and inline exactly
                // when it fits.
                let expected = RollRecord::new(record.ballot.clone(), document.clone(), time);
                if *logged != document[..] || expected.body.is_some() != record.body.is_some() {
                    return Err(BallotRefusal::RollMismatch(record.ballot));
                }
                self.transition(&record.ballot, |l| match l {
                    Lifecycle::Announced(a) => {
                        Lifecycle::Open(a.open(scheduled, roll, record.roll, time))
                    }
                    other => other,
                });
                ROLL_KIND
            }
            VOTE_ENTRY_KIND => {
                self.apply_vote(registry, entry, notes)?;
                VOTE_ENTRY_KIND
            }
            CLOSE_KIND => {
                let ballot =
                    ballot_only(entry, CLOSE_KIND).map_err(BallotRefusal::format(CLOSE_KIND))?;
                self.decide_close(&ballot, time)?;
                self.transition(&ballot, |l| match l {
                    Lifecycle::Open(o) => Lifecycle::Closed(o.close(time)),
                    other => other,
                });
                self.tracked_mut(&ballot).outbox.close();
                CLOSE_KIND
            }
            TALLY_KIND => {
                let record =
                    TallyRecord::from_entry(entry).map_err(BallotRefusal::format(TALLY_KIND))?;
                let bytes = in_entry_or_beside(record.body.as_deref(), &record.tally, notes)?;
                let logged = TallyDocument::from_bytes(&bytes, &record.ballot)
                    .map_err(BallotRefusal::format(TALLY_KIND))?;
                let document = self.tally_document(registry, &logged.ballot)?;
                // One encoding per tally: the document, and inline exactly
                // when it fits.
                if document != logged || TallyRecord::new(&document, time) != record {
                    return Err(BallotRefusal::TallyMismatch(logged.ballot));
                }
                self.transition(&logged.ballot.clone(), |l| match l {
                    Lifecycle::Closed(c) => Lifecycle::Tallied(c.tally(logged, index)),
                    other => other,
                });
                TALLY_KIND
            }
            NOTIFICATION_KIND => {
                let n = Notification::from_entry(entry)
                    .map_err(BallotRefusal::format(NOTIFICATION_KIND))?;
                self.apply_notification(n.clone())?;
                self.deliveries.notified(index, &n);
                NOTIFICATION_KIND
            }
            super::DELIVERY_KIND => {
                let d = super::Delivery::from_entry(entry)
                    .map_err(BallotRefusal::format(super::DELIVERY_KIND))?;
                self.deliveries
                    .apply(d, index)
                    .map_err(BallotRefusal::Delivery)?;
                super::DELIVERY_KIND
            }
            super::reminders::REMINDER_KIND => {
                let record = super::reminders::ReminderRecord::from_entry(entry)
                    .map_err(BallotRefusal::format(super::reminders::REMINDER_KIND))?;
                self.apply_reminder(record, &registry.group().reminders, index)
                    .map_err(BallotRefusal::Reminder)?;
                super::reminders::REMINDER_KIND
            }
            super::COSIGNED_KIND => {
                let record = super::CosignedRecord::from_entry(entry)
                    .map_err(BallotRefusal::format(super::COSIGNED_KIND))?;
                self.check_cosigned(record.size, index)?;
                self.cosigned = Some((record.size, index));
                super::COSIGNED_KIND
            }
            CERTIFICATION_KIND | APPEAL_KIND | DECISION_KIND => {
                let kind = match entry.kind() {
                    CERTIFICATION_KIND => CERTIFICATION_KIND,
                    APPEAL_KIND => APPEAL_KIND,
                    _ => DECISION_KIND,
                };
                self.apply_statement(registry, entry, kind, index)?;
                kind
            }
            _ => return Ok(BallotApplied::NotBallot),
        };
        if kind != NOTIFICATION_KIND
            && kind != super::DELIVERY_KIND
            && kind != super::COSIGNED_KIND
            && kind != super::reminders::REMINDER_KIND
        {
            // The notices the entry before offered lapse (a delivery's
            // outcome, a cosigned checkpoint or a reminder, logged whenever
            // the relay or the witnesses answer or the close has come,
            // changes nothing of a ballot); a cancellation, tally or certification offers
            // its own.
            let offers = match kind {
                CANCELLED_KIND | TALLY_KIND | CERTIFICATION_KIND => {
                    self.offered_after(registry, kind, entry)
                }
                _ => Vec::new(),
            };
            self.offer(offers);
        }
        Ok(BallotApplied::Ballot { kind })
    }

    /// Replaces a ballot's lifecycle by `f` of it (a consuming transition
    /// the caller has validated).
    pub(crate) fn transition(&mut self, id: &BallotId, f: impl FnOnce(Lifecycle) -> Lifecycle) {
        if let Some(mut tracked) = self.ballots.remove(id) {
            tracked.lifecycle = f(tracked.lifecycle);
            self.ballots.insert(id.clone(), tracked);
        }
    }

    /// The cancellation of `ballot` at `time`, allowed only before its
    /// opening (while no roll is logged).
    pub fn decide_cancel(
        &self,
        ballot: &BallotId,
        time: Timestamp,
    ) -> Result<Entry, BallotRefusal> {
        let tracked = self.tracked(ballot)?;
        match &tracked.lifecycle {
            Lifecycle::Announced(_) => Ok(ballot_only_entry(
                CANCELLED_KIND,
                time.floor_micros(),
                ballot,
            )),
            other => Err(BallotRefusal::WrongState {
                ballot: ballot.clone(),
                state: other.state(),
                kind: CANCELLED_KIND,
            }),
        }
    }

    /// The schedule check, roll and document of `ballot` opening at `time`
    /// with the registry as it is (SPEC 2.1 item 5, SPEC section 4: the
    /// roll is derived from the registry entries that precede it).
    fn opening(
        &self,
        registry: &GroupState,
        ballot: &BallotId,
        time: Timestamp,
    ) -> Result<(Scheduled, Roll, Vec<u8>), BallotRefusal> {
        let tracked = self.tracked(ballot)?;
        let Lifecycle::Announced(announced) = &tracked.lifecycle else {
            return Err(BallotRefusal::WrongState {
                ballot: ballot.clone(),
                state: tracked.lifecycle.state(),
                kind: ROLL_KIND,
            });
        };
        if time < announced.ballot.opens {
            return Err(BallotRefusal::OpensLater {
                opens: announced.ballot.opens,
                time,
            });
        }
        let rules_registry = registry
            .to_rules_registry()
            .map_err(|e| BallotRefusal::Registry(e.to_string()))?;
        let parameters = registry.parameters();
        let scheduled = check_schedule(parameters, &rules_registry, &announced.ballot)
            .map_err(BallotRefusal::Schedule)?;
        let roll = compute_roll(parameters, &rules_registry, &scheduled);
        let document = roll_document(&roll);
        Ok((scheduled, roll, document))
    }

    /// The roll entry of `ballot` opening at `time`.
    pub fn decide_open(
        &self,
        registry: &GroupState,
        ballot: &BallotId,
        time: Timestamp,
    ) -> Result<Opening, BallotRefusal> {
        let time = time.floor_micros();
        let (_, _, document) = self.opening(registry, ballot, time)?;
        let record = RollRecord::new(ballot.clone(), document.clone(), time);
        Ok(Opening {
            entry: record.to_entry(time),
            stored_beside: record.body.is_none(),
            document,
        })
    }

    /// The close entry of `ballot` at `time` followed by the notices it
    /// owes (a `superseded` notice to each voter whose vote a colleague's
    /// superseded, held until now), at or after its `closes`.
    pub fn decide_close_with_notices(
        &self,
        ballot: &BallotId,
        time: Timestamp,
    ) -> Result<Vec<Entry>, BallotRefusal> {
        let close = self.decide_close(ballot, time)?;
        let at = close.time();
        let mut entries = vec![close];
        for (person, count) in &self.tracked(ballot)?.outbox.at_close {
            let notice = Notification {
                ballot: ballot.clone(),
                person: person.clone(),
                reason: NotificationReason::Superseded,
            };
            entries.extend((0..*count).map(|_| notice.to_entry(at)));
        }
        Ok(entries)
    }

    /// The close entry of `ballot` at `time`, at or after its `closes`.
    pub fn decide_close(&self, ballot: &BallotId, time: Timestamp) -> Result<Entry, BallotRefusal> {
        let time = time.floor_micros();
        let tracked = self.tracked(ballot)?;
        let Lifecycle::Open(open) = &tracked.lifecycle else {
            return Err(BallotRefusal::WrongState {
                ballot: ballot.clone(),
                state: tracked.lifecycle.state(),
                kind: CLOSE_KIND,
            });
        };
        let closes = open.announced.ballot.closes;
        if time < closes {
            return Err(BallotRefusal::ClosesLater { closes, time });
        }
        Ok(ballot_only_entry(CLOSE_KIND, time, ballot))
    }

    /// The tally entry of a closed `ballot` at `time`, with its document
    /// when it is stored beside the log; every vote's note must have been
    /// revealed to the fold.
    pub fn compute_tally(
        &self,
        registry: &GroupState,
        ballot: &BallotId,
        time: Timestamp,
    ) -> Result<(Entry, Option<Vec<u8>>), BallotRefusal> {
        let time = time.floor_micros();
        let document = self.tally_document(registry, ballot)?;
        let record = TallyRecord::new(&document, time);
        let beside = record.body.is_none().then(|| document.to_bytes());
        Ok((record.to_entry(time), beside))
    }

    /// The tally document of a closed ballot: supersession and the count
    /// of the rules (SPEC 2.1 items 8 and 9, SPEC 2.2 items 4 and 5) over
    /// the admitted votes in log order.
    fn tally_document(
        &self,
        registry: &GroupState,
        ballot: &BallotId,
    ) -> Result<TallyDocument, BallotRefusal> {
        let tracked = self.tracked(ballot)?;
        let Lifecycle::Closed(closed) = &tracked.lifecycle else {
            return Err(BallotRefusal::WrongState {
                ballot: ballot.clone(),
                state: tracked.lifecycle.state(),
                kind: TALLY_KIND,
            });
        };
        let open = &closed.open;
        if open.votes.unrevealed() > 0 {
            return Err(BallotRefusal::UnrevealedVotes {
                ballot: ballot.clone(),
                count: open.votes.unrevealed(),
            });
        }
        let revealed: Vec<_> = open
            .votes
            .iter()
            .filter_map(|v| Some((v.note, v.admitted()?)))
            .collect();
        let admissions: Vec<_> = revealed.iter().map(|(_, a)| Ok(*a)).collect();
        let rules_ballot = &open.announced.ballot;
        let counted = supersede(&open.roll, rules_ballot.questions.len(), &admissions);
        let parameters = registry.parameters();
        let questions = tally(parameters, &open.roll, rules_ballot, &admissions, &counted)
            .into_iter()
            .map(|q| TallyQuestion {
                not_voted: q.not_voted(),
                outcome: parameters.outcome_word(q.passed).to_owned(),
                question: q.question,
                in_favour: q.in_favour,
                against: q.against,
                abstain: q.abstain,
                eligible: q.eligible,
            })
            .collect();
        Ok(TallyDocument {
            version: TALLY_VERSION,
            ballot: ballot.clone(),
            roll: hash_text(&open.roll_hash),
            votes: open.votes.len() as u64,
            questions,
            counted: revealed
                .iter()
                .zip(&counted)
                .filter(|(_, c)| **c)
                .map(|((note, _), _)| hash_text(note))
                .collect(),
        })
    }
}
