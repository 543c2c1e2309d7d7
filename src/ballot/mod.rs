//! The ballot part of a group's log: announcements, cancellations, frozen
//! rolls, votes, closes, tallies, certifications, appeals, decisions and
//! notifications, as a pure fold over
//! log entries beside the registry's ([`crate::registry::GroupState`]).
//!
//! The log is the single source of truth (SPEC section 4): the server
//! decides every ballot entry with this module before sequencing it
//! (`decide_announcement`, `decide_open`, `decide_vote`, `decide_close`,
//! `compute_tally`), and the fold ([`BallotBook::apply`], [`replay`])
//! re-derives the same decisions from the log, so that the verifier gets
//! the same roll, admissions and tally from the log and the revealed
//! notes.
//!
//! Votes are logged as commitments; their notes are revealed at the close.
//! The fold therefore runs in two modes: *sequencing* (each note is passed
//! when its entry is applied) and *replay with revealed notes* (a map from
//! SHA-256 to bytes, [`DocumentSource`]). A vote whose note is not available is
//! kept as a bare commitment (turnout only) and a tally then cannot be
//! checked.
//!
//! # Layout
//!
//! - [`announcement`]: the chair's signed announcement note and the
//!   `announcement` entry; `announce`: its decision and re-check.
//! - [`records`]: the `ballot-cancelled`, `roll`, `close`, `tally` and
//!   `notification` entries.
//! - [`named`]: which entries and notes name which documents stored
//!   beside the log.
//! - [`statement`]: what signed statements share; [`certification`]: the
//!   chair's certification note; [`appeal`]: appeal and decision notes;
//!   `review`: their decisions and re-checks (SPEC 2.1 item 10).
//! - [`lifecycle`]: a ballot's states, with consuming transitions.
//! - [`book`]: [`BallotBook`], the fold and the decisions; [`votes`]: the
//!   vote judgement in SPEC order.
//! - [`refusal`]: why an entry is refused, with stable codes.
//! - [`source`]: [`DocumentSource`], the documents stored beside the log.
//! - [`verified`]: [`VerifiedNotes`], vote signatures already verified.
//!
//! The byte-exact formats are in `docs/formats.md` section 7.
//!
//! Architecture invariant: nothing here performs I/O or reads a clock; a
//! refused entry leaves the book unchanged, and replaying a log gives the
//! state the sequencing built (`tests/ballot_fold.rs`).

pub mod announcement;
mod announcement_check;
pub mod appeal;
pub mod book;
pub mod certification;
pub mod cosigned;
pub mod delivery;
pub mod lifecycle;
mod logged_votes;
pub mod named;
pub mod records;
pub mod refusal;
pub mod reminders;
mod review;
pub mod source;
pub mod statement;
pub mod verified;
pub mod votes;

pub use crate::entry::codec::hash_text;
pub use announcement::{
    ANNOUNCEMENT_KIND, AnnouncementError, AnnouncementNote, AnnouncementRecord, DocumentRef,
    SignedAnnouncement, Subject,
};
pub use announcement_check::AnnouncementDecision;
pub use appeal::{APPEAL_KIND, Against, AppealNote, DECISION_KIND, DecisionNote, Ruling};
pub use book::{BallotApplied, BallotBook, Due, Opening, ReplayError, replay, replay_verified};
pub use certification::{
    CERTIFICATION_KIND, CertificationNote, KnownRoot, RootAt, certification_fits,
    check_certified_root,
};
pub use cosigned::{COSIGNED_KIND, CosignedRecord};
pub use delivery::{
    DELIVERY_KIND, Deliveries, Delivery, DeliveryOutcome, DeliveryRefusal, Notified, reply_text,
};
pub use lifecycle::{
    Announced, Appeal, AppealDecision, Cancelled, Certification, Certified, Closed, LateSigner,
    Lifecycle, Open, Outbox, Tallied, TrackedBallot,
};
pub use logged_votes::{LoggedVote, RevealedVote, Votes};
pub use named::{attachment_of, document_named, documents_named, drafts_named};
pub use records::{
    CANCELLED_KIND, CLOSE_KIND, NOTIFICATION_KIND, Notification, NotificationReason, ROLL_KIND,
    RollRecord, TALLY_KIND, TALLY_VERSION, TallyDocument, TallyQuestion, TallyRecord,
    roll_document,
};
pub use refusal::{AnnounceRefusal, BallotRefusal, StatementRefusal, VoteRefusal};
pub use source::{DocumentSource, NoDocuments, Revealing};
pub use statement::{STATEMENT_NOTE_MAX_BYTES, SignedStatement, StatementRecord, split_free_text};
pub use verified::{Recorder, VerifiedNotes};
pub use votes::{ATTACHMENT_MAX_BYTES, Decision};

/// Every entry type of the ballot fold: what the server hands to
/// [`BallotBook::apply`] rather than to the registry.
pub const BALLOT_KINDS: [&str; 13] = [
    ANNOUNCEMENT_KIND,
    CANCELLED_KIND,
    ROLL_KIND,
    crate::vote::VOTE_ENTRY_KIND,
    CLOSE_KIND,
    TALLY_KIND,
    NOTIFICATION_KIND,
    CERTIFICATION_KIND,
    APPEAL_KIND,
    DECISION_KIND,
    DELIVERY_KIND,
    COSIGNED_KIND,
    reminders::REMINDER_KIND,
];

#[cfg(test)]
mod tests;
