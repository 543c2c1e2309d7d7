//! Why a ballot entry is refused: before sequencing ([`VoteRefusal`],
//! [`AnnounceRefusal`], returned by the `decide_*` functions) and when
//! folding a log ([`BallotRefusal`]). The server only sequences what the
//! fold decides, so a [`BallotRefusal`] on a sequenced entry means the log
//! is not one this code could have written.

use crate::id::{BallotId, PersonId};
use crate::registry::FormatError;
use crate::rules::{AdmissionRefusal, ScheduleError};
use crate::time::Timestamp;
use crate::tlog::Hash;

use super::records::NotificationReason;

/// Why a vote is refused, in the order of SPEC section 4 then section 5:
/// the first that applies is reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoteRefusal {
    /// Not a well-formed vote note, or its attachment is missing, does not
    /// match the note's hash, or is not UTF-8 text of at most 64 KiB
    /// without control characters other than newline.
    #[error("malformed-note: {0}")]
    MalformedNote(String),
    /// The note's origin is not this log's.
    #[error("wrong-origin: the vote is for another log")]
    WrongOrigin,
    /// No such ballot in this group (or it was cancelled before opening).
    #[error("unknown-ballot: {0}")]
    UnknownBallot(BallotId),
    /// The signer is not the bearer token's person.
    #[error("token-mismatch: the note is signed by another person than the token's")]
    TokenMismatch,
    /// No key of that id is registered to the signer, or the signature
    /// does not verify strictly under it.
    #[error("bad-signature: the signature does not verify under a key of the signer")]
    BadSignature,
    /// The key verifies but is not valid at the time of voting (revoked,
    /// or registered later).
    #[error("key-revoked: the signer's key is not valid at the time of voting")]
    KeyRevoked,
    /// The nonce was already used for this ballot by a different note.
    #[error("replay: the nonce was already used for this ballot")]
    Replay,
    /// The rules refuse the vote (SPEC section 5).
    #[error("{0}")]
    Rules(AdmissionRefusal),
    /// Not a SPEC code and never shown to a voter: the ballot's opening is
    /// due but its roll entry has not been sequenced yet. The server
    /// sequences the roll (`decide_open`) and decides again.
    #[error("opening-due: the ballot's roll must be sequenced first")]
    OpeningDue,
    /// Not a SPEC code: the logged registry cannot give the rules a
    /// registry (an internal error of the server, never the voter's).
    #[error("registry-unusable: {0}")]
    Registry(String),
}

impl VoteRefusal {
    /// The refusal code: SPEC section 4's, then the rules' of section 5.
    pub fn code(&self) -> &'static str {
        match self {
            VoteRefusal::MalformedNote(_) => "malformed-note",
            VoteRefusal::WrongOrigin => "wrong-origin",
            VoteRefusal::UnknownBallot(_) => "unknown-ballot",
            VoteRefusal::TokenMismatch => "token-mismatch",
            VoteRefusal::BadSignature => "bad-signature",
            VoteRefusal::KeyRevoked => "key-revoked",
            VoteRefusal::Replay => "replay",
            VoteRefusal::Rules(r) => r.code(),
            VoteRefusal::OpeningDue => "opening-due",
            VoteRefusal::Registry(_) => "registry-unusable",
        }
    }
}

/// Why an announcement is refused, first that applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnounceRefusal {
    /// Not a well-formed signed announcement.
    #[error("malformed-announcement: {0}")]
    Malformed(String),
    /// The note's origin is not this log's.
    #[error("wrong-origin: the announcement is for another log")]
    WrongOrigin,
    /// The entry's `ballot` header is not the note's ballot.
    #[error("ballot-mismatch: the entry names another ballot than its note")]
    BallotMismatch,
    /// The signer is not the chair (or acting chair) in office at the
    /// announcement time (SPEC 2.1 item 10: the chair announces).
    #[error("not-chair: {0} is not the chair in office")]
    NotChair(PersonId),
    /// No key of that id is registered to the chair, or the signature does
    /// not verify strictly.
    #[error("bad-signature: the announcement's signature does not verify")]
    BadSignature,
    /// The chair's key is not valid at the announcement time.
    #[error("key-revoked: the chair's key is not valid at the announcement time")]
    KeyRevoked,
    /// The recipients are not the membership list at the announcement
    /// (Article 6.2: the notice goes to everybody on it).
    #[error("recipients: the recipients are not the membership list")]
    Recipients,
    /// The ballot has opened, closed or been cancelled: only an announced
    /// ballot may be announced again (SPEC issue: re-announce before
    /// opening).
    #[error("already-opened: ballot {ballot} is {state}")]
    NotAnnounced {
        /// The ballot.
        ballot: BallotId,
        /// Its lifecycle state.
        state: &'static str,
    },
    /// The rules refuse the schedule: `window` or `notice-period`.
    #[error("{0}")]
    Schedule(ScheduleError),
    /// The logged registry cannot give the rules a registry.
    #[error("registry-unusable: {0}")]
    Registry(String),
    /// So many questions (or such long ids) that the chair's
    /// certification could not fit its note: the ballot could never be
    /// certified, so it is not announced.
    #[error(
        "too-many-questions: the certification of {0} questions could exceed the {max}-byte \
         limit of a signed statement; split the ballot",
        max = crate::ballot::STATEMENT_NOTE_MAX_BYTES
    )]
    TooManyQuestions(usize),
    /// The documents sent with the announcement are not exactly those its
    /// note names, each with its size.
    #[error("documents: {0}")]
    Documents(String),
}

impl AnnounceRefusal {
    /// The refusal code.
    pub fn code(&self) -> &'static str {
        match self {
            AnnounceRefusal::Malformed(_) => "malformed-announcement",
            AnnounceRefusal::WrongOrigin => "wrong-origin",
            AnnounceRefusal::BallotMismatch => "ballot-mismatch",
            AnnounceRefusal::NotChair(_) => "not-chair",
            AnnounceRefusal::BadSignature => "bad-signature",
            AnnounceRefusal::KeyRevoked => "key-revoked",
            AnnounceRefusal::Recipients => "recipients",
            AnnounceRefusal::NotAnnounced { .. } => "already-opened",
            AnnounceRefusal::Schedule(e) => e.code(),
            AnnounceRefusal::Registry(_) => "registry-unusable",
            AnnounceRefusal::TooManyQuestions(_) => "too-many-questions",
            AnnounceRefusal::Documents(_) => "documents",
        }
    }
}

/// Why a certification, an appeal or a reviewer's decision is refused,
/// first that applies (`docs/formats.md` sections 7.11 to 7.13).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementRefusal {
    /// Not a well-formed signed statement of its kind.
    #[error("malformed-{kind}: {reason}")]
    Malformed {
        /// `certification`, `appeal` or `decision`.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The note's origin is not this log's.
    #[error("wrong-origin: the note is for another log")]
    WrongOrigin,
    /// The entry's `ballot` header, or the request's, is not the note's.
    #[error("ballot-mismatch: the note names another ballot")]
    BallotMismatch,
    /// No such ballot in this group.
    #[error("unknown-ballot: {0}")]
    UnknownBallot(BallotId),
    /// The signer is not the bearer token's person.
    #[error("token-mismatch: the note is signed by another person than the token's")]
    TokenMismatch,
    /// A certification not signed by the chair (or acting chair) in office.
    #[error("not-chair: {0} is not the chair in office")]
    NotChair(PersonId),
    /// A decision not signed by an appeal reviewer in office.
    #[error("not-reviewer: {0} is not an appeal reviewer")]
    NotReviewer(PersonId),
    /// The appellant does not represent an active organisation of a class
    /// that may appeal (ISG Member or Participant).
    #[error("not-entitled: {person} may not appeal: {reason}")]
    NotEntitled {
        /// The signer.
        person: PersonId,
        /// Why.
        reason: String,
    },
    /// No key of the signature's id is registered to the signer, or it does
    /// not verify strictly.
    #[error("bad-signature: the note's signature does not verify")]
    BadSignature,
    /// The signer's key is not valid at the entry's time.
    #[error("key-revoked: the signer's key is not valid at this time")]
    KeyRevoked,
    /// A certification of a ballot not (yet) tallied.
    #[error("not-tallied: ballot {ballot} is {state}")]
    NotTallied {
        /// The ballot.
        ballot: BallotId,
        /// Its state.
        state: &'static str,
    },
    /// A second certification.
    #[error("already-certified: ballot {0} is certified")]
    AlreadyCertified(BallotId),
    /// A certification of a ballot whose announcement was overturned.
    #[error("annulled: the announcement of ballot {0} was overturned on appeal")]
    Annulled(BallotId),
    /// The tree head named does not contain the tally or does not precede
    /// the certification.
    #[error(
        "checkpoint-range: the tree head of size {size} must contain the tally \
         (index {tally}) and precede the certification (index {index})"
    )]
    CheckpointRange {
        /// The size named.
        size: u64,
        /// The tally entry's index.
        tally: u64,
        /// The certification's index.
        index: u64,
    },
    /// The root hash named is not the log's at that size.
    #[error("checkpoint-mismatch: the root hash named for size {size} is not the log's")]
    CheckpointMismatch {
        /// The size named.
        size: u64,
    },
    /// The roll, the tally or a question's counts or outcome differ from
    /// the logged tally.
    #[error("tally-mismatch: {0}")]
    TallyMismatch(String),
    /// The decision appealed has not been taken on this ballot.
    #[error("no-decision: ballot {ballot} has no {against} to appeal")]
    NoDecision {
        /// The ballot.
        ballot: BallotId,
        /// The decision named.
        against: &'static str,
    },
    /// The decision appealed was already overturned.
    #[error("already-overturned: the {0} was already overturned")]
    AlreadyOverturned(&'static str),
    /// The group's appeal deadline has passed.
    #[error("appeal-deadline: appeals against the {against} closed at {deadline}")]
    AppealDeadline {
        /// The decision appealed.
        against: &'static str,
        /// The last instant an appeal was accepted.
        deadline: Timestamp,
    },
    /// The same appeal note filed twice.
    #[error("duplicate-appeal: this appeal is already logged at index {0}")]
    DuplicateAppeal(u64),
    /// A decision on an appeal not logged for this ballot.
    #[error("unknown-appeal: no appeal sha256:{} on this ballot", .0.to_hex())]
    UnknownAppeal(Hash),
    /// A second decision on one appeal.
    #[error("already-decided: the appeal sha256:{} is decided", .0.to_hex())]
    AlreadyDecided(Hash),
    /// A decision by the appellant, or by a person of the appellant's
    /// organisation: nobody decides an appeal of his or her own
    /// organisation (`docs/rules.md` D19).
    #[error("reviewer-conflict: {reviewer} may not decide this appeal: {reason}")]
    ReviewerConflict {
        /// The signer of the decision.
        reviewer: PersonId,
        /// The tie to the appeal.
        reason: String,
    },
}

impl StatementRefusal {
    /// The refusal code.
    pub fn code(&self) -> &'static str {
        match self {
            StatementRefusal::Malformed { kind, .. } => match *kind {
                "certification" => "malformed-certification",
                "appeal" => "malformed-appeal",
                _ => "malformed-decision",
            },
            StatementRefusal::WrongOrigin => "wrong-origin",
            StatementRefusal::BallotMismatch => "ballot-mismatch",
            StatementRefusal::UnknownBallot(_) => "unknown-ballot",
            StatementRefusal::TokenMismatch => "token-mismatch",
            StatementRefusal::NotChair(_) => "not-chair",
            StatementRefusal::NotReviewer(_) => "not-reviewer",
            StatementRefusal::NotEntitled { .. } => "not-entitled",
            StatementRefusal::BadSignature => "bad-signature",
            StatementRefusal::KeyRevoked => "key-revoked",
            StatementRefusal::NotTallied { .. } => "not-tallied",
            StatementRefusal::AlreadyCertified(_) => "already-certified",
            StatementRefusal::Annulled(_) => "annulled",
            StatementRefusal::CheckpointRange { .. } => "checkpoint-range",
            StatementRefusal::CheckpointMismatch { .. } => "checkpoint-mismatch",
            StatementRefusal::TallyMismatch(_) => "tally-mismatch",
            StatementRefusal::NoDecision { .. } => "no-decision",
            StatementRefusal::AlreadyOverturned(_) => "already-overturned",
            StatementRefusal::AppealDeadline { .. } => "appeal-deadline",
            StatementRefusal::DuplicateAppeal(_) => "duplicate-appeal",
            StatementRefusal::UnknownAppeal(_) => "unknown-appeal",
            StatementRefusal::AlreadyDecided(_) => "already-decided",
            StatementRefusal::ReviewerConflict { .. } => "reviewer-conflict",
        }
    }

    /// Whether the refusal is a conflict with the ballot's state (HTTP
    /// 409) rather than a fault of the statement (422).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            StatementRefusal::NotTallied { .. }
                | StatementRefusal::AlreadyCertified(_)
                | StatementRefusal::AlreadyOverturned(_)
                | StatementRefusal::DuplicateAppeal(_)
                | StatementRefusal::AlreadyDecided(_)
        )
    }
}

/// Why the fold refuses a ballot entry (or a `decide_*` function refuses
/// a transition). A refused entry leaves the book unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BallotRefusal {
    /// The entry does not follow its format (`docs/formats.md` section 7).
    #[error("malformed {kind} entry: {error}")]
    Format {
        /// The entry type.
        kind: &'static str,
        /// What is wrong.
        error: FormatError,
    },
    /// An announcement the server must not have sequenced.
    #[error("announcement refused: {0}")]
    Announcement(AnnounceRefusal),
    /// The entry names a ballot never announced.
    #[error("unknown ballot {0}")]
    UnknownBallot(BallotId),
    /// The entry does not fit the ballot's lifecycle state (a roll of an
    /// opened ballot, a cancellation after opening, a close before the
    /// opening, a vote outside the open state, ...).
    #[error("a {kind} entry cannot follow ballot {ballot} in state {state}")]
    WrongState {
        /// The ballot.
        ballot: BallotId,
        /// Its lifecycle state.
        state: &'static str,
        /// The entry type.
        kind: &'static str,
    },
    /// A `roll` before the ballot's `opens`.
    #[error("the ballot opens at {opens}, the roll is sequenced at {time}")]
    OpensLater {
        /// The opening time.
        opens: Timestamp,
        /// The entry's time.
        time: Timestamp,
    },
    /// A `close` before the ballot's `closes` (SPEC section 4: the close is
    /// sequenced at the closing time).
    #[error("the ballot closes at {closes}, the close is sequenced at {time}")]
    ClosesLater {
        /// The closing time.
        closes: Timestamp,
        /// The entry's time.
        time: Timestamp,
    },
    /// The ballot can no longer be scheduled at its opening (the registry
    /// changed since the announcement): it must be cancelled.
    #[error("the ballot cannot open: {0}")]
    Schedule(ScheduleError),
    /// The logged registry cannot give the rules a registry.
    #[error("registry unusable: {0}")]
    Registry(String),
    /// The logged roll is not the roll the registry gives (SPEC 2.1 item 5).
    #[error("the roll of ballot {0} is not the one its registry gives")]
    RollMismatch(BallotId),
    /// A document, note or attachment named by hash is not available.
    #[error("the document sha256:{} is not available", .0.to_hex())]
    MissingBlob(Hash),
    /// A logged vote that the decision would have refused.
    #[error("a logged vote is refused: {0}")]
    Vote(VoteRefusal),
    /// The same note logged twice (a resubmission gets the original
    /// receipt and is never logged again).
    #[error("the note is already logged at index {index}")]
    DuplicateVote {
        /// The index of the original vote entry.
        index: u64,
    },
    /// A tally of a ballot with votes whose notes were not revealed to the
    /// fold: nothing can be counted.
    #[error("ballot {ballot} has {count} votes whose notes are not revealed")]
    UnrevealedVotes {
        /// The ballot.
        ballot: BallotId,
        /// How many.
        count: usize,
    },
    /// The logged tally is not the one the votes give.
    #[error("the tally of ballot {0} is not the one its votes give")]
    TallyMismatch(BallotId),
    /// A certification, appeal or decision the server must not have
    /// sequenced.
    #[error("{kind} refused: {refusal}")]
    Statement {
        /// The entry type.
        kind: &'static str,
        /// Why.
        refusal: StatementRefusal,
    },
    /// An entry other than a notification while a notice is still owed:
    /// each notice is logged right after the entry that owes it, in the
    /// same batch (docs/formats.md 7.9), so a log without it has dropped
    /// it.
    #[error(
        "a {} notification to {person} for ballot {ballot} is owed but was not logged right \
         after the entry that owes it",
        .reason.as_str()
    )]
    NotificationMissing {
        /// The ballot.
        ballot: BallotId,
        /// The person owed it.
        person: PersonId,
        /// Why it is owed.
        reason: NotificationReason,
    },
    /// A `delivery` entry that names no undelivered notification.
    #[error("delivery refused: {0}")]
    Delivery(super::DeliveryRefusal),
    /// A `reminder` entry that does not fit its ballot.
    #[error("reminder refused: {0}")]
    Reminder(super::reminders::ReminderRefusal),
    /// A notification nobody owes.
    #[error("no {} notification is owed to {person} for ballot {ballot}", .reason.as_str())]
    NotificationNotOwed {
        /// The ballot.
        ballot: BallotId,
        /// The person.
        person: PersonId,
        /// The reason given.
        reason: NotificationReason,
    },
}

impl BallotRefusal {
    /// A format error of entry type `kind`.
    pub(crate) fn format(kind: &'static str) -> impl Fn(FormatError) -> Self {
        move |error| BallotRefusal::Format { kind, error }
    }
}
