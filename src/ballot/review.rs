//! Certification, appeals and decisions in the fold (SPEC 2.1 item 10):
//! the decisions the server takes before sequencing them, and the fold's
//! re-check of logged ones, with one function per statement for both.
//!
//! Order of the checks, first that applies: the note is well formed
//! (`malformed-*`), names this log (`wrong-origin`) and the entry's ballot
//! (`ballot-mismatch`), a ballot of the book (`unknown-ballot`); its signer
//! is the bearer token's person (`token-mismatch`, server only); holds the
//! role (`not-chair`, `not-entitled`, `not-reviewer`); a key of the signer
//! verifies it strictly (`bad-signature`) and is valid at the entry's time
//! (`key-revoked`); then the checks of each statement (for a decision:
//! `unknown-appeal`, `reviewer-conflict`, `already-decided`).

use crate::ballot::appeal::{APPEAL_KIND, Against, AppealNote, DECISION_KIND, DecisionNote};
use crate::ballot::book::BallotBook;
use crate::ballot::certification::{
    CERTIFICATION_KIND, CertificationNote, RootAt, check_certified_root,
};
use crate::ballot::lifecycle::{Appeal, AppealDecision, Certification, Lifecycle, TrackedBallot};
use crate::ballot::records::{Notification, NotificationReason};
use crate::ballot::refusal::{BallotRefusal, StatementRefusal};
use crate::ballot::statement::{SignatureFailure, SignedStatement, StatementRecord, verify_signer};
use crate::entry::Entry;
use crate::id::{BallotId, PersonId};
use crate::registry::GroupState;
use crate::time::{Duration, Timestamp};
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;

/// The text of a signed statement: how it parses and what it names.
trait StatementText: Sized {
    /// The word in `malformed-<word>`.
    const WORD: &'static str;
    fn parse_text(text: &str) -> Result<Self, String>;
    fn origin(&self) -> &Origin;
    fn ballot(&self) -> &BallotId;
}

/// The three statements' [`StatementText`]: each note type has inherent
/// `parse_text`, `origin` and `ballot` fields of the same names.
macro_rules! statement_text {
    ($($note:ty => $word:literal),* $(,)?) => {$(
        impl StatementText for $note {
            const WORD: &'static str = $word;
            fn parse_text(text: &str) -> Result<Self, String> {
                <$note>::parse_text(text)
            }
            fn origin(&self) -> &Origin {
                &self.origin
            }
            fn ballot(&self) -> &BallotId {
                &self.ballot
            }
        }
    )*};
}

statement_text! {
    CertificationNote => "certification",
    AppealNote => "appeal",
    DecisionNote => "decision",
}

/// A statement opened: its signature (not yet verified), its text, and the
/// ballot it concerns.
struct Opened<'b, N> {
    signed: SignedStatement,
    note: N,
    tracked: &'b TrackedBallot,
}

/// A certification judged acceptable: what it binds, and the record.
struct Certifying {
    ballot: BallotId,
    certification: Certification,
}

/// A decision judged acceptable: the appeal's position and the decision.
struct Deciding {
    ballot: BallotId,
    appeal: usize,
    decision: AppealDecision,
}

fn signature_refusal(failure: SignatureFailure) -> StatementRefusal {
    match failure {
        SignatureFailure::BadSignature => StatementRefusal::BadSignature,
        SignatureFailure::KeyRevoked => StatementRefusal::KeyRevoked,
    }
}

impl BallotBook {
    /// The checks every statement shares, in the order of the module's
    /// doc: the note, the ballot, the token's person, then the signer's
    /// `role` (what the role check found is handed back), then the
    /// signature under a key of the signer valid at `time`.
    fn open_statement<N: StatementText, R>(
        &self,
        registry: &GroupState,
        record: &StatementRecord,
        time: Timestamp,
        bearer: Option<&PersonId>,
        role: impl FnOnce(&PersonId) -> Result<R, StatementRefusal>,
    ) -> Result<(Opened<'_, N>, R), StatementRefusal> {
        let malformed = |reason: String| StatementRefusal::Malformed {
            kind: N::WORD,
            reason,
        };
        let signed = SignedStatement::parse(&record.body).map_err(malformed)?;
        let note = N::parse_text(signed.signed.text()).map_err(malformed)?;
        if *note.origin() != self.origin {
            return Err(StatementRefusal::WrongOrigin);
        }
        if *note.ballot() != record.ballot {
            return Err(StatementRefusal::BallotMismatch);
        }
        let tracked = self
            .ballots
            .get(&record.ballot)
            .ok_or_else(|| StatementRefusal::UnknownBallot(record.ballot.clone()))?;
        if bearer.is_some_and(|b| *b != signed.signer) {
            return Err(StatementRefusal::TokenMismatch);
        }
        let held = role(&signed.signer)?;
        verify_signer(registry, &signed.signed, &signed.signer, time).map_err(signature_refusal)?;
        Ok((
            Opened {
                signed,
                note,
                tracked,
            },
            held,
        ))
    }

    /// What every decision starts with: the time as the entry will carry
    /// it (to the microsecond), the record of the submitted `note`, and
    /// its `check` at the log's next index on behalf of `bearer`.
    fn decide_statement<N: StatementText, T>(
        &self,
        registry: &GroupState,
        note: &[u8],
        time: Timestamp,
        bearer: &PersonId,
        check: impl FnOnce(
            &Self,
            &GroupState,
            &StatementRecord,
            Timestamp,
            u64,
            Option<&PersonId>,
        ) -> Result<T, StatementRefusal>,
    ) -> Result<(StatementRecord, Timestamp, T), StatementRefusal> {
        let time = time.floor_micros();
        let record = record_of::<N>(note)?;
        let checked = check(
            self,
            registry,
            &record,
            time,
            registry.entries_applied(),
            Some(bearer),
        )?;
        Ok((record, time, checked))
    }

    /// Decides the chair's signed certification `note` received at `time`
    /// from the token of `bearer`: the `certification` entry to sequence.
    /// The root hash it names for its tree size must be the log's, which
    /// `roots` knows (the fold holds no tree).
    pub fn decide_certification(
        &self,
        registry: &GroupState,
        note: &[u8],
        time: Timestamp,
        bearer: &PersonId,
        roots: &dyn RootAt,
    ) -> Result<Entry, StatementRefusal> {
        let (record, time, certifying) = self.decide_statement::<CertificationNote, _>(
            registry,
            note,
            time,
            bearer,
            Self::check_certification,
        )?;
        let certification = &certifying.certification;
        check_certified_root(certification.size, &certification.root, roots)?;
        Ok(record.to_entry(CERTIFICATION_KIND, time))
    }

    fn check_certification(
        &self,
        registry: &GroupState,
        record: &StatementRecord,
        time: Timestamp,
        index: u64,
        bearer: Option<&PersonId>,
    ) -> Result<Certifying, StatementRefusal> {
        // SPEC 2.1 item 10: the chair in office (or the acting chair).
        let chair_in_office = |chair: &PersonId| {
            if registry.chair_at(time) == Some(chair) {
                Ok(())
            } else {
                Err(StatementRefusal::NotChair(chair.clone()))
            }
        };
        let (
            Opened {
                signed,
                note,
                tracked,
            },
            (),
        ) = self.open_statement::<CertificationNote, _>(
            registry,
            record,
            time,
            bearer,
            chair_in_office,
        )?;
        let chair = &signed.signer;
        let tallied = match &tracked.lifecycle {
            Lifecycle::Tallied(t) => t,
            Lifecycle::Certified(_) => {
                return Err(StatementRefusal::AlreadyCertified(record.ballot.clone()));
            }
            other => {
                return Err(StatementRefusal::NotTallied {
                    ballot: record.ballot.clone(),
                    state: other.state(),
                });
            }
        };
        if tracked.overturned(Against::Announcement) {
            return Err(StatementRefusal::Annulled(record.ballot.clone()));
        }
        if note.size <= tallied.index || note.size > index {
            return Err(StatementRefusal::CheckpointRange {
                size: note.size,
                tally: tallied.index,
                index,
            });
        }
        let open = &tallied.closed.open;
        if note.roll != open.roll_hash {
            return Err(StatementRefusal::TallyMismatch(
                "the roll named is not the ballot's frozen roll".into(),
            ));
        }
        if note.tally != Hash::sha256(&tallied.tally.to_bytes()) {
            return Err(StatementRefusal::TallyMismatch(
                "the tally named is not the logged tally document".into(),
            ));
        }
        if note.questions != tallied.tally.questions {
            return Err(StatementRefusal::TallyMismatch(
                "the counts or outcomes differ from the logged tally".into(),
            ));
        }
        Ok(Certifying {
            ballot: record.ballot.clone(),
            certification: Certification {
                note: record.note,
                chair: chair.clone(),
                size: note.size,
                root: note.root,
                index,
                at: time,
            },
        })
    }

    /// Decides a signed appeal `note` received at `time` from the token of
    /// `bearer`: the `appeal` entry, then the notification owed to the
    /// chair in office (if there is one), to sequence together.
    pub fn decide_appeal(
        &self,
        registry: &GroupState,
        note: &[u8],
        time: Timestamp,
        bearer: &PersonId,
    ) -> Result<Vec<Entry>, StatementRefusal> {
        let (record, time, _) = self.decide_statement::<AppealNote, _>(
            registry,
            note,
            time,
            bearer,
            Self::check_appeal,
        )?;
        let mut entries = vec![record.to_entry(APPEAL_KIND, time)];
        if let Some(chair) = registry.chair_at(time) {
            entries.push(
                Notification {
                    ballot: record.ballot.clone(),
                    person: chair.clone(),
                    reason: NotificationReason::Appeal,
                }
                .to_entry(time),
            );
        }
        Ok(entries)
    }

    fn check_appeal(
        &self,
        registry: &GroupState,
        record: &StatementRecord,
        time: Timestamp,
        index: u64,
        bearer: Option<&PersonId>,
    ) -> Result<Appeal, StatementRefusal> {
        let entitled = |appellant: &PersonId| {
            let not_entitled = |reason: String| StatementRefusal::NotEntitled {
                person: appellant.clone(),
                reason,
            };
            let person = registry
                .person(appellant.as_str())
                .ok_or_else(|| not_entitled("not a registered person of the group".into()))?;
            let organisation = registry
                .organisation(person.organisation.as_str())
                .ok_or_else(|| not_entitled("no registered organisation".into()))?;
            if !registry
                .parameters()
                .appeal_classes
                .contains(&organisation.class)
            {
                return Err(not_entitled(format!(
                    "{} is of class {}",
                    organisation.id,
                    organisation.class.as_str()
                )));
            }
            if !organisation.membership.active_at(time) {
                return Err(not_entitled(format!(
                    "the membership of {} is not active",
                    organisation.id
                )));
            }
            Ok(person)
        };
        let (
            Opened {
                signed,
                note,
                tracked,
            },
            person,
        ) = self.open_statement::<AppealNote, _>(registry, record, time, bearer, entitled)?;
        let appellant = &signed.signer;
        let decided_at = match (note.against, &tracked.lifecycle) {
            (Against::Announcement, lifecycle) => lifecycle.ballot().announced,
            (Against::Cancellation, Lifecycle::Cancelled(c)) => c.at,
            (Against::Certification, Lifecycle::Certified(c)) => c.certification.at,
            (against, _) => {
                return Err(StatementRefusal::NoDecision {
                    ballot: record.ballot.clone(),
                    against: against.as_str(),
                });
            }
        };
        if tracked.overturned(note.against) {
            return Err(StatementRefusal::AlreadyOverturned(note.against.as_str()));
        }
        if let Some(days) = registry.appeal_deadline_days() {
            let deadline = decided_at
                .checked_add(Duration::days(i64::from(days)))
                .unwrap_or(Timestamp::MAX);
            if time > deadline {
                return Err(StatementRefusal::AppealDeadline {
                    against: note.against.as_str(),
                    deadline,
                });
            }
        }
        if let Some(earlier) = tracked.appeals.iter().find(|a| a.note == record.note) {
            return Err(StatementRefusal::DuplicateAppeal(earlier.index));
        }
        Ok(Appeal {
            note: record.note,
            appellant: appellant.clone(),
            organisation: person.organisation.clone(),
            against: note.against,
            grounds: note.grounds,
            index,
            at: time,
            decision: None,
        })
    }

    /// Decides a reviewer's signed decision `note` received at `time` from
    /// the token of `bearer`: the `appeal-decision` entry, then the
    /// notification owed to the appellant, to sequence together.
    pub fn decide_appeal_decision(
        &self,
        registry: &GroupState,
        note: &[u8],
        time: Timestamp,
        bearer: &PersonId,
    ) -> Result<Vec<Entry>, StatementRefusal> {
        let (record, time, deciding) = self.decide_statement::<DecisionNote, _>(
            registry,
            note,
            time,
            bearer,
            Self::check_decision,
        )?;
        let appellant = self.ballots[&deciding.ballot].appeals[deciding.appeal]
            .appellant
            .clone();
        Ok(vec![
            record.to_entry(DECISION_KIND, time),
            Notification {
                ballot: record.ballot.clone(),
                person: appellant,
                reason: NotificationReason::Decision,
            }
            .to_entry(time),
        ])
    }

    fn check_decision(
        &self,
        registry: &GroupState,
        record: &StatementRecord,
        time: Timestamp,
        index: u64,
        bearer: Option<&PersonId>,
    ) -> Result<Deciding, StatementRefusal> {
        let is_reviewer = |reviewer: &PersonId| {
            if registry.is_reviewer(reviewer.as_str()) {
                Ok(())
            } else {
                Err(StatementRefusal::NotReviewer(reviewer.clone()))
            }
        };
        let (
            Opened {
                signed,
                note,
                tracked,
            },
            (),
        ) = self.open_statement::<DecisionNote, _>(registry, record, time, bearer, is_reviewer)?;
        let reviewer = &signed.signer;
        let position = tracked
            .appeals
            .iter()
            .position(|a| a.note == note.appeal)
            .ok_or(StatementRefusal::UnknownAppeal(note.appeal))?;
        let appeal = &tracked.appeals[position];
        // Nobody decides his or her own organisation's appeal (docs/rules.md
        // D19): an appeal is the appellant's organisation's, so the
        // appellant and any colleague are judges in their own cause.
        let conflict = |reason: String| StatementRefusal::ReviewerConflict {
            reviewer: reviewer.clone(),
            reason,
        };
        if *reviewer == appeal.appellant {
            return Err(conflict("the reviewer filed it".into()));
        }
        if let Some(colleague) = registry
            .person(reviewer.as_str())
            .filter(|p| p.organisation == appeal.organisation)
        {
            return Err(conflict(format!(
                "the reviewer represents {}, the appellant's organisation",
                colleague.organisation
            )));
        }
        if appeal.decision.is_some() {
            return Err(StatementRefusal::AlreadyDecided(note.appeal));
        }
        Ok(Deciding {
            ballot: record.ballot.clone(),
            appeal: position,
            decision: AppealDecision {
                note: record.note,
                reviewer: reviewer.clone(),
                outcome: note.outcome,
                reasons: note.reasons,
                index,
                at: time,
            },
        })
    }

    /// Re-checks and applies a logged certification, appeal or decision at
    /// log index `index`.
    pub(crate) fn apply_statement(
        &mut self,
        registry: &GroupState,
        entry: &Entry,
        kind: &'static str,
        index: u64,
    ) -> Result<(), BallotRefusal> {
        let record = StatementRecord::from_entry(entry).map_err(BallotRefusal::format(kind))?;
        let refused = |refusal| BallotRefusal::Statement { kind, refusal };
        let time = entry.time();
        match kind {
            CERTIFICATION_KIND => {
                let Certifying {
                    ballot,
                    certification,
                } = self
                    .check_certification(registry, &record, time, index, None)
                    .map_err(refused)?;
                self.transition(&ballot, |l| match l {
                    Lifecycle::Tallied(t) => Lifecycle::Certified(t.certify(certification)),
                    other => other,
                });
            }
            APPEAL_KIND => {
                let appeal = self
                    .check_appeal(registry, &record, time, index, None)
                    .map_err(refused)?;
                let tracked = self.tracked_mut(&record.ballot);
                if let Some(chair) = registry.chair_at(time) {
                    tracked
                        .outbox
                        .owe(NotificationReason::Appeal, chair.clone());
                }
                tracked.appeals.push(appeal);
            }
            _ => {
                let Deciding {
                    ballot,
                    appeal,
                    decision,
                } = self
                    .check_decision(registry, &record, time, index, None)
                    .map_err(refused)?;
                let tracked = self.tracked_mut(&ballot);
                let appellant = tracked.appeals[appeal].appellant.clone();
                tracked.outbox.owe(NotificationReason::Decision, appellant);
                tracked.appeals[appeal].decision = Some(decision);
            }
        }
        Ok(())
    }
}

/// The record of a submitted statement, for the ballot its note names.
fn record_of<N: StatementText>(note: &[u8]) -> Result<StatementRecord, StatementRefusal> {
    let malformed = |reason: String| StatementRefusal::Malformed {
        kind: N::WORD,
        reason,
    };
    let signed = SignedStatement::parse(note).map_err(malformed)?;
    let text = N::parse_text(signed.signed.text()).map_err(malformed)?;
    Ok(StatementRecord::new(text.ballot().clone(), note.to_vec()))
}
