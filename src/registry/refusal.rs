//! Why the fold refuses a registry entry.
//!
//! Each reason has a stable kebab-case [`Refusal::code`], which the server
//! uses as the RFC 9457 problem `type` (409 Conflict when the entry
//! contradicts the state, 400/422 when it is malformed), and an actionable
//! message. `docs/formats.md` lists every code with the rule it enforces.

use crate::entry::codec::FormatError;
use crate::id::{MeetingId, OrgId, PersonId};
use crate::note::key::{KeyError, KeyId};
use crate::registry::group::GroupProblem;
use crate::rules::{OrgClass, Profile};
use crate::time::Timestamp;

/// Why an entry cannot be applied to a group's registry state. A refused
/// entry leaves the state unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The log is empty: a group's log begins with its `group` entry.
    #[error("the log is empty; it must begin with a group entry")]
    EmptyLog,
    /// The first entry of a log is not a `group` entry.
    #[error("the first entry of a group's log must be a group entry, not {0:?}")]
    GroupFirst(String),
    /// A second `group` entry: a group is created exactly once.
    #[error("the group already exists; a group entry appears exactly once, first")]
    GroupExists,
    /// The entry's time is before the previous entry's: the sequencer
    /// never decreases time along the log (SPEC section 4).
    #[error("the entry's time {time} is before the previous entry's time {previous}")]
    TimeWentBackwards {
        /// The entry's time.
        time: Timestamp,
        /// The previous entry's time.
        previous: Timestamp,
    },
    /// The entry does not follow its documented format.
    #[error("malformed {kind} entry: {error}")]
    Malformed {
        /// The entry type.
        kind: &'static str,
        /// What is wrong.
        error: FormatError,
    },
    /// The key has small order and would accept forged signatures (SPEC
    /// section 4: refused at registration).
    #[error("the key is weak (small order) and is refused; generate a new key")]
    WeakKey,
    /// The key is not an acceptable verifier key.
    #[error("the key is not an acceptable Ed25519 verifier key: {0}")]
    BadKey(KeyError),
    /// A time with sub-microsecond digits, which a header cannot carry.
    #[error("{field} has sub-microsecond precision; registry times are kept to the microsecond")]
    TimePrecision {
        /// The field at fault.
        field: &'static str,
    },
    /// The group's parameters do not fit its profile.
    #[error("invalid group parameters: {0}")]
    Parameters(GroupProblem),
    /// A class of the other profile (SPEC section 3).
    #[error("class {class} is not a class of profile {profile}")]
    ClassNotInProfile {
        /// The class given.
        class: OrgClass,
        /// The group's profile.
        profile: Profile,
    },
    /// Founding members exist only under Annex 2 of the ISG ETI Member
    /// Agreement (profile `etsi-isg`).
    #[error("founding true is meaningful only in profile etsi-isg, not {0}")]
    FoundingNotInProfile(Profile),
    /// A membership that ends before it starts.
    #[error("the membership ends ({to}) before it starts ({from})")]
    MembershipPeriod {
        /// `from`.
        from: Timestamp,
        /// `to`.
        to: Timestamp,
    },
    /// A reference to an organisation not registered in the group.
    #[error("unknown organisation {0}; register it first")]
    UnknownOrganisation(OrgId),
    /// A reference to a person not registered in the group.
    #[error("unknown person {0}; register the person first")]
    UnknownPerson(PersonId),
    /// A reference to a meeting not registered in the group.
    #[error("unknown meeting {0}; register the meeting first")]
    UnknownMeeting(MeetingId),
    /// A meeting whose end is not after its start.
    #[error("the meeting's end ({end}) must be after its start ({start})")]
    MeetingPeriod {
        /// `start`.
        start: Timestamp,
        /// `end`.
        end: Timestamp,
    },
    /// A second kick-off meeting (SPEC 2.1 item 4: one KoM per group).
    #[error("meeting {0} is already the group's kick-off meeting")]
    SecondKickOff(MeetingId),
    /// A kick-off meeting in a profile without a Kick-off Period.
    #[error("profile {0} has no kick-off meeting (only etsi-isg does)")]
    KickOffNotInProfile(Profile),
    /// Physical attendance at an online meeting, which nobody can attend
    /// in a room (SPEC section 5).
    #[error("meeting {0} is online: nobody attends it physically")]
    PhysicalAtOnlineMeeting(MeetingId),
    /// Making a meeting online while physical attendance is recorded for it.
    #[error("meeting {0} has physical attendance; remove or correct it before making it online")]
    PhysicalAttendanceExists(MeetingId),
    /// Removing an attendance that is not recorded.
    #[error("no attendance of {person} at meeting {meeting} is recorded")]
    UnknownAttendance {
        /// The meeting.
        meeting: MeetingId,
        /// The person.
        person: PersonId,
    },
    /// A key whose name is not the id of the person it is registered to:
    /// signature lines name the voting person (SPEC section 4).
    #[error("the key's name {name:?} must be the person's id {person}")]
    KeyNameMismatch {
        /// The key's name.
        name: String,
        /// The person.
        person: PersonId,
    },
    /// The same public key registered before, to anyone, even if revoked.
    #[error("this public key is already registered (keys are never reused, even after revocation)")]
    DuplicateKey,
    /// A different key of the same person with the same 32-bit id, which
    /// signature lines could not tell apart (C2SP signed-note).
    #[error("person {person} already has a key with id {key_id}; generate another key")]
    KeyIdCollision {
        /// The person.
        person: PersonId,
        /// The shared id.
        key_id: KeyId,
    },
    /// Revoking a key the person does not have.
    #[error("person {person} has no key with id {key_id}")]
    UnknownKey {
        /// The person.
        person: PersonId,
        /// The id given.
        key_id: KeyId,
    },
    /// Revoking a key twice.
    #[error("key {key_id} of person {person} is already revoked")]
    KeyAlreadyRevoked {
        /// The person.
        person: PersonId,
        /// The key's id.
        key_id: KeyId,
    },
    /// A reconfirmation later than the entry that records it.
    #[error("the reconfirmation time {reconfirmed} is after the entry's time {time}")]
    FutureReconfirmation {
        /// The reconfirmation given.
        reconfirmed: Timestamp,
        /// The entry's time.
        time: Timestamp,
    },
    /// A chair's term that is empty or longer than two years (deviation
    /// #1).
    #[error("a chair's term must end after it starts and last at most 24 months")]
    ChairTerm,
    /// Two terms of the same kind (chair or acting chair) that overlap.
    #[error("the term overlaps the {} term of {other}", if *.acting { "acting" } else { "chair's" })]
    ChairTermOverlap {
        /// The person whose term it overlaps.
        other: PersonId,
        /// Whether the terms are acting terms.
        acting: bool,
    },
    /// Ending a term that is not running.
    #[error("{person} holds no running {} term to end", if *.acting { "acting" } else { "chair's" })]
    NotChair {
        /// The person named.
        person: PersonId,
        /// Whether an acting term was named.
        acting: bool,
    },
}

impl Refusal {
    /// The stable code, used as the problem type by the server and in
    /// `docs/formats.md`.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::EmptyLog => "empty-log",
            Refusal::GroupFirst(_) => "group-first",
            Refusal::GroupExists => "group-exists",
            Refusal::TimeWentBackwards { .. } => "time-went-backwards",
            Refusal::Malformed { .. } => "malformed-entry",
            Refusal::WeakKey => "weak-key",
            Refusal::BadKey(_) => "bad-key",
            Refusal::TimePrecision { .. } => "time-precision",
            Refusal::Parameters(_) => "bad-parameters",
            Refusal::ClassNotInProfile { .. } => "class-not-in-profile",
            Refusal::FoundingNotInProfile(_) => "founding-not-in-profile",
            Refusal::MembershipPeriod { .. } => "membership-period",
            Refusal::UnknownOrganisation(_) => "unknown-organisation",
            Refusal::UnknownPerson(_) => "unknown-person",
            Refusal::UnknownMeeting(_) => "unknown-meeting",
            Refusal::MeetingPeriod { .. } => "meeting-period",
            Refusal::SecondKickOff(_) => "second-kick-off",
            Refusal::KickOffNotInProfile(_) => "kick-off-not-in-profile",
            Refusal::PhysicalAtOnlineMeeting(_) => "physical-at-online-meeting",
            Refusal::PhysicalAttendanceExists(_) => "physical-attendance-exists",
            Refusal::UnknownAttendance { .. } => "unknown-attendance",
            Refusal::KeyNameMismatch { .. } => "key-name-mismatch",
            Refusal::DuplicateKey => "duplicate-key",
            Refusal::KeyIdCollision { .. } => "key-id-collision",
            Refusal::UnknownKey { .. } => "unknown-key",
            Refusal::KeyAlreadyRevoked { .. } => "key-already-revoked",
            Refusal::FutureReconfirmation { .. } => "future-reconfirmation",
            Refusal::ChairTerm => "chair-term",
            Refusal::ChairTermOverlap { .. } => "chair-term-overlap",
            Refusal::NotChair { .. } => "not-chair",
        }
    }

    /// The refusal for a malformed entry of type `kind`; key errors get
    /// their own codes, since the remedy (a new key) differs.
    pub(crate) fn malformed(kind: &'static str, error: FormatError) -> Self {
        match error {
            FormatError::Key(KeyError::WeakKey) => Refusal::WeakKey,
            FormatError::Key(error) => Refusal::BadKey(error),
            error => Refusal::Malformed { kind, error },
        }
    }
}
