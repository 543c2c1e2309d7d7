//! A group's registry as a pure fold over its log entries.
//!
//! The log is the single source of truth (SPEC section 4: "every fact that
//! a result depends on is an entry"): every registry change — the group's
//! creation, organisations, persons and their keys, the membership list,
//! meetings, attendance, the chair, the appeal reviewers — is an entry, and
//! the registry of a group is [`GroupState`], folded over those entries in
//! log order. The server keeps a `GroupState` in memory and applies each
//! new entry; the verifier runs the very same fold over an audit bundle,
//! then computes the roll from [`GroupState::to_rules_registry`].
//!
//! # Layout
//!
//! - [`crate::entry::codec`]: the header grammar of every registry entry
//!   (fixed order, canonical values), shared with the ballot entries.
//! - [`group`], [`organisation`], [`key`], [`meeting`], [`chair`]: one
//!   record type per entry type, each a [`Record`] with `to_entry` and a
//!   strict `from_entry`.
//! - [`Fact`]: any registry record, dispatched on the entry type.
//! - [`refusal`]: why the fold refuses an entry, with stable codes.
//! - [`state`] and `check`: the fold and its validation.
//! - [`csv`]: the all-or-nothing import of an attendance export.
//!
//! The byte-exact formats are in `docs/formats.md`, "Registry entries".
//!
//! Architecture invariant: nothing here performs I/O or reads a clock; the
//! state after a sequence of entries depends only on those entries, and a
//! refused entry leaves the state unchanged (`tests/registry_fold.rs`).

pub mod chair;
mod check;
pub mod csv;
pub mod group;
pub mod key;
pub mod meeting;
pub mod organisation;
pub mod refusal;
pub mod state;

pub use crate::entry::codec::FormatError;
pub use chair::{CHAIR_TERM_MONTHS, ChairAppointed, ChairEnded, ReviewerRecord};
pub use csv::{ImportError, RowError, import_attendance};
pub use group::{GroupId, GroupProblem, GroupRecord};
pub use key::{KeyAdded, KeyRevoked, KeyState};
pub use meeting::AttendanceRemoved;
pub use organisation::PersonRecord;
pub use refusal::Refusal;
pub use state::{Applied, GroupState, ReplayError};

use crate::entry::Entry;
use crate::rules::{Attendance, Meeting, Organisation};
use crate::time::Timestamp;

/// A registry record with its exact entry form.
///
/// `from_entry(&r.to_entry(t)) == Ok(r)` for every record whose times have
/// microsecond precision, and `from_entry` accepts only entries that
/// `to_entry` could have written: the header names of the type, each at
/// most once, in the documented order, with canonical values, and an empty
/// body.
pub trait Record: Sized {
    /// The entry type (`type` line of the envelope).
    const KIND: &'static str;

    /// The entry recording this fact at `time` (the sequencer's time).
    fn to_entry(&self, time: Timestamp) -> Entry;

    /// Reads the fact from an entry of type [`Self::KIND`]; the caller has
    /// dispatched on the type.
    fn from_entry(entry: &Entry) -> Result<Self, FormatError>;
}

/// Any registry fact: what one registry entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// `group`: the group's creation.
    Group(GroupRecord),
    /// `organisation`: an organisation's snapshot.
    Organisation(Organisation),
    /// `person`: a person's snapshot.
    Person(PersonRecord),
    /// `key`: a key added to a person.
    Key(KeyAdded),
    /// `key-revoked`: a key revoked.
    KeyRevoked(KeyRevoked),
    /// `meeting`: a meeting's snapshot.
    Meeting(Meeting),
    /// `attendance`: one person's attendance at one meeting (upsert).
    Attendance(Attendance),
    /// `attendance-removed`: an attendance removed.
    AttendanceRemoved(AttendanceRemoved),
    /// `chair`: a chair's or acting chair's appointment.
    Chair(ChairAppointed),
    /// `chair-ended`: the early end of a term.
    ChairEnded(ChairEnded),
    /// `reviewer`: an appeal reviewer appointed or released.
    Reviewer(ReviewerRecord),
}

/// Every registry entry type, in the order `docs/formats.md` lists them.
pub const REGISTRY_KINDS: [&str; 11] = [
    GroupRecord::KIND,
    Organisation::KIND,
    PersonRecord::KIND,
    KeyAdded::KIND,
    KeyRevoked::KIND,
    Meeting::KIND,
    Attendance::KIND,
    AttendanceRemoved::KIND,
    ChairAppointed::KIND,
    ChairEnded::KIND,
    ReviewerRecord::KIND,
];

/// Parses `entry` as `R`, mapping format errors to refusals.
fn read<R: Record>(entry: &Entry) -> Result<R, Refusal> {
    R::from_entry(entry).map_err(|e| Refusal::malformed(R::KIND, e))
}

impl Fact {
    /// The entry type of the fact.
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::Group(_) => GroupRecord::KIND,
            Fact::Organisation(_) => Organisation::KIND,
            Fact::Person(_) => PersonRecord::KIND,
            Fact::Key(_) => KeyAdded::KIND,
            Fact::KeyRevoked(_) => KeyRevoked::KIND,
            Fact::Meeting(_) => Meeting::KIND,
            Fact::Attendance(_) => Attendance::KIND,
            Fact::AttendanceRemoved(_) => AttendanceRemoved::KIND,
            Fact::Chair(_) => ChairAppointed::KIND,
            Fact::ChairEnded(_) => ChairEnded::KIND,
            Fact::Reviewer(_) => ReviewerRecord::KIND,
        }
    }

    /// The entry recording this fact at `time`.
    pub fn to_entry(&self, time: Timestamp) -> Entry {
        match self {
            Fact::Group(r) => r.to_entry(time),
            Fact::Organisation(r) => r.to_entry(time),
            Fact::Person(r) => r.to_entry(time),
            Fact::Key(r) => r.to_entry(time),
            Fact::KeyRevoked(r) => r.to_entry(time),
            Fact::Meeting(r) => r.to_entry(time),
            Fact::Attendance(r) => r.to_entry(time),
            Fact::AttendanceRemoved(r) => r.to_entry(time),
            Fact::Chair(r) => r.to_entry(time),
            Fact::ChairEnded(r) => r.to_entry(time),
            Fact::Reviewer(r) => r.to_entry(time),
        }
    }

    /// The fact an entry records: `Ok(None)` if the entry's type is not a
    /// registry type (a ballot entry, for the caller to dispatch), a
    /// refusal if it is one but does not follow its format.
    pub fn from_entry(entry: &Entry) -> Result<Option<Self>, Refusal> {
        let fact = match entry.kind() {
            GroupRecord::KIND => Fact::Group(read(entry)?),
            Organisation::KIND => Fact::Organisation(read(entry)?),
            PersonRecord::KIND => Fact::Person(read(entry)?),
            KeyAdded::KIND => Fact::Key(read(entry)?),
            KeyRevoked::KIND => Fact::KeyRevoked(read(entry)?),
            Meeting::KIND => Fact::Meeting(read(entry)?),
            Attendance::KIND => Fact::Attendance(read(entry)?),
            AttendanceRemoved::KIND => Fact::AttendanceRemoved(read(entry)?),
            ChairAppointed::KIND => Fact::Chair(read(entry)?),
            ChairEnded::KIND => Fact::ChairEnded(read(entry)?),
            ReviewerRecord::KIND => Fact::Reviewer(read(entry)?),
            _ => return Ok(None),
        };
        Ok(Some(fact))
    }
}

macro_rules! fact_from {
    ($($variant:ident($record:ty)),* $(,)?) => {
        $(impl From<$record> for Fact {
            fn from(record: $record) -> Self {
                Fact::$variant(record)
            }
        })*
    };
}

fact_from!(
    Group(GroupRecord),
    Organisation(Organisation),
    Person(PersonRecord),
    Key(KeyAdded),
    KeyRevoked(KeyRevoked),
    Meeting(Meeting),
    Attendance(Attendance),
    AttendanceRemoved(AttendanceRemoved),
    Chair(ChairAppointed),
    ChairEnded(ChairEnded),
    Reviewer(ReviewerRecord),
);
#[cfg(test)]
mod tests;
