//! [`GroupState`]: a group's registry, folded over its log entries.
//!
//! The fold is strict: each entry is validated against the state built by
//! the entries before it, and applied only if valid; a refused entry leaves
//! the state unchanged. The server validates a change with the same code
//! before sequencing it ([`GroupState::check`], [`GroupState::check_entry`])
//! and applies the sequenced entry ([`GroupState::apply`]); the verifier
//! replays the log ([`GroupState::replay`]).
//!
//! Entry types the registry does not know (ballot entries: `announcement`,
//! `roll`, `vote`, `tally`, ...) are handed back as
//! [`Applied::NotRegistry`] for the caller to dispatch. They still take
//! part in the time order and in [`GroupState::entries_applied`], because
//! they are entries of the same log.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use crate::entry::Entry;
use crate::id::{MeetingId, OrgId, PersonId};
use crate::note::key::{KeyId, VerifierKey};
use crate::registry::chair::{ChairAppointed, ReviewerRecord};
use crate::registry::group::{GroupId, GroupRecord};
use crate::registry::key::KeyState;
use crate::registry::organisation::PersonRecord;
use crate::registry::{Fact, Record, Refusal};
use crate::rules::{
    Attendance, Meeting, Organisation, Parameters, Profile, RegistryError, RegistryView,
};
use crate::time::Timestamp;

/// The registry of one group, as of the last entry applied.
///
/// Every collection is ordered by id, so iteration (and everything derived
/// from it) is deterministic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupState {
    /// The `group` entry that created the group.
    pub(super) group: GroupRecord,
    /// The rules' parameters derived from it.
    pub(super) parameters: Parameters,
    /// Organisations by id.
    pub(super) organisations: BTreeMap<OrgId, Organisation>,
    /// Persons by id.
    pub(super) persons: BTreeMap<PersonId, PersonRecord>,
    /// When each person began representing its current organisation: the
    /// time of the first `person` entry naming it (a later snapshot for
    /// the same organisation keeps the time).
    pub(super) represents_since: BTreeMap<PersonId, Timestamp>,
    /// Each person's keys, in the order they were added.
    pub(super) keys: BTreeMap<PersonId, Vec<KeyState>>,
    /// Meetings by id.
    pub(super) meetings: BTreeMap<MeetingId, Meeting>,
    /// Attendance by (meeting, person): one record per person and meeting.
    pub(super) attendance: BTreeMap<(MeetingId, PersonId), Attendance>,
    /// Chairs' and acting chairs' terms, in log order; `to` is shortened
    /// by `chair-ended`.
    pub(super) chairs: Vec<ChairAppointed>,
    /// The appeal reviewers in office.
    pub(super) reviewers: BTreeSet<PersonId>,
    /// The time of the last entry applied; the next may not be earlier.
    pub(super) last_time: Timestamp,
    /// How many entries (of any type) have been applied.
    pub(super) entries: u64,
    /// The rules' view of the registry, built on first use after a
    /// registry change ([`GroupState::rules_registry`]).
    pub(super) rules: RulesCache,
}

/// Where a [`GroupState`] stands in its log ([`GroupState::position`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    last_time: Timestamp,
    entries: u64,
}

/// The rules' view of the registry ([`RegistryView`]), built at most once per
/// registry state and shared: every vote is judged against it, and
/// building it copies the whole registry. It is derived data, not part of
/// the state's value: equality and debug output ignore it, and
/// [`GroupState::apply`] drops it whenever a registry entry changes the
/// state.
#[derive(Clone, Default)]
pub(super) struct RulesCache(OnceLock<Arc<RegistryView>>);

memo_is_not_value!(RulesCache, "RulesCache");

/// What [`GroupState::apply`] did with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied<'e> {
    /// A registry entry, now part of the state.
    Registry {
        /// Its entry type.
        kind: &'static str,
    },
    /// An entry of another type (a ballot entry), in time order, counted,
    /// and otherwise left to the caller.
    NotRegistry(&'e Entry),
}

/// Where a replay stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("log entry {index}: {refusal}")]
pub struct ReplayError {
    /// The 0-based index of the refused entry in the log.
    pub index: u64,
    /// Why it was refused.
    pub refusal: Refusal,
}

impl GroupState {
    /// Creates a group's state from the first entry of its log, which must
    /// be a valid `group` entry.
    pub fn genesis(entry: &Entry) -> Result<Self, Refusal> {
        if entry.kind() != GroupRecord::KIND {
            return Err(Refusal::GroupFirst(entry.kind().to_owned()));
        }
        let group =
            GroupRecord::from_entry(entry).map_err(|e| Refusal::malformed(GroupRecord::KIND, e))?;
        let parameters = group.parameters().map_err(Refusal::Parameters)?;
        Ok(Self {
            group,
            parameters,
            organisations: BTreeMap::new(),
            persons: BTreeMap::new(),
            represents_since: BTreeMap::new(),
            keys: BTreeMap::new(),
            meetings: BTreeMap::new(),
            attendance: BTreeMap::new(),
            chairs: Vec::new(),
            reviewers: BTreeSet::new(),
            last_time: entry.time(),
            entries: 1,
            rules: RulesCache::default(),
        })
    }

    /// Folds a whole log: the first entry creates the group, the others
    /// are applied in order. Non-registry entries are checked for time
    /// order and otherwise skipped (the caller judges them).
    pub fn replay<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<Self, ReplayError> {
        let mut entries = entries.into_iter();
        let first = entries.next().ok_or(ReplayError {
            index: 0,
            refusal: Refusal::EmptyLog,
        })?;
        let mut state =
            Self::genesis(first).map_err(|refusal| ReplayError { index: 0, refusal })?;
        for entry in entries {
            let index = state.entries;
            state
                .apply(entry)
                .map_err(|refusal| ReplayError { index, refusal })?;
        }
        Ok(state)
    }

    /// Whether `fact`, sequenced at `time`, would be accepted: the
    /// validation the server runs before sequencing. It is the very check
    /// [`Self::apply`] runs again on the sequenced entry.
    pub fn check(&self, fact: &Fact, time: Timestamp) -> Result<(), Refusal> {
        self.check_time(time)?;
        self.check_fact(fact, time.floor_micros())
    }

    /// Whether an entry of any type may follow the log at `time`: time
    /// never decreases along the log (SPEC section 4).
    pub fn check_time(&self, time: Timestamp) -> Result<(), Refusal> {
        if time < self.last_time {
            return Err(Refusal::TimeWentBackwards {
                time,
                previous: self.last_time,
            });
        }
        Ok(())
    }

    /// Validates an entry against the state without applying it: the fact
    /// it records, or `None` for a non-registry entry.
    pub fn check_entry(&self, entry: &Entry) -> Result<Option<Fact>, Refusal> {
        self.check_time(entry.time())?;
        let Some(fact) = Fact::from_entry(entry)? else {
            return Ok(None);
        };
        self.check_fact(&fact, entry.time())?;
        Ok(Some(fact))
    }

    /// Validates and applies the next entry of the log. On a refusal the
    /// state is unchanged.
    pub fn apply<'e>(&mut self, entry: &'e Entry) -> Result<Applied<'e>, Refusal> {
        let fact = self.check_entry(entry)?;
        // From here on nothing can fail: the state changes all at once.
        self.last_time = entry.time();
        self.entries += 1;
        Ok(match fact {
            Some(fact) => {
                let kind = fact.kind();
                self.commit(fact, entry.time());
                self.rules = RulesCache::default();
                Applied::Registry { kind }
            }
            None => Applied::NotRegistry(entry),
        })
    }

    /// The `group` entry's record.
    pub fn group(&self) -> &GroupRecord {
        &self.group
    }

    /// Where the state stands in the log: what [`GroupState::apply`]
    /// changes for an entry that is not a registry fact.
    pub fn position(&self) -> Position {
        Position {
            last_time: self.last_time,
            entries: self.entries,
        }
    }

    /// Undoes [`GroupState::apply`] of entries that were not registry
    /// facts since `position` was taken (a ballot entry the ballot book then
    /// refused). Rewinding past a registry fact is a bug: the facts stay.
    pub fn rewind(&mut self, position: Position) {
        self.last_time = position.last_time;
        self.entries = position.entries;
    }

    /// The group's id.
    pub fn id(&self) -> &GroupId {
        &self.group.id
    }

    /// The group's profile.
    pub fn profile(&self) -> Profile {
        self.group.profile
    }

    /// The group's rules parameters.
    pub fn parameters(&self) -> &Parameters {
        &self.parameters
    }

    /// The appeal deadline in days after certification, if the group has
    /// one (none by default, SPEC 2.1 item 10).
    pub fn appeal_deadline_days(&self) -> Option<u32> {
        self.group.appeal_deadline_days
    }

    /// How many entries of the log have been applied (of any type): the
    /// index the next entry will have.
    pub fn entries_applied(&self) -> u64 {
        self.entries
    }

    /// The time of the last entry applied.
    pub fn last_time(&self) -> Timestamp {
        self.last_time
    }

    /// The organisations, by id.
    pub fn organisations(&self) -> impl Iterator<Item = &Organisation> {
        self.organisations.values()
    }

    /// The organisation with this id.
    pub fn organisation(&self, id: &str) -> Option<&Organisation> {
        self.organisations.get(id)
    }

    /// The persons, by id.
    pub fn persons(&self) -> impl Iterator<Item = &PersonRecord> {
        self.persons.values()
    }

    /// The person with this id.
    pub fn person(&self, id: &str) -> Option<&PersonRecord> {
        self.persons.get(id)
    }

    /// The meetings, by id.
    pub fn meetings(&self) -> impl Iterator<Item = &Meeting> {
        self.meetings.values()
    }

    /// The meeting with this id.
    pub fn meeting(&self, id: &str) -> Option<&Meeting> {
        self.meetings.get(id)
    }

    /// The attendance records, by meeting then person.
    pub fn attendance(&self) -> impl Iterator<Item = &Attendance> {
        self.attendance.values()
    }

    /// The attendance of `person` at `meeting`, if recorded.
    pub fn attendance_of(&self, meeting: &MeetingId, person: &PersonId) -> Option<&Attendance> {
        self.attendance.get(&(meeting.clone(), person.clone()))
    }

    /// When `person` began representing its current organisation (the
    /// first `person` entry naming that organisation), if registered.
    pub fn represents_since(&self, person: &str) -> Option<Timestamp> {
        self.represents_since.get(person).copied()
    }

    /// The keys of a person, in the order they were added, with their
    /// added and revoked times.
    pub fn keys_of(&self, person: &str) -> &[KeyState] {
        self.keys.get(person).map_or(&[], Vec::as_slice)
    }

    /// The key `key_id` of `person`, if it is valid at `t`: added at or
    /// before `t` and not revoked at or before `t` (SPEC section 4: a vote
    /// is signed by a key "registered to that person and not revoked at
    /// the time of voting").
    pub fn key_valid_at(&self, person: &str, key_id: KeyId, t: Timestamp) -> Option<&VerifierKey> {
        self.keys_of(person)
            .iter()
            .find(|k| k.key.id() == key_id && k.valid_at(t))
            .map(|k| &k.key)
    }

    /// The chairs' and acting chairs' terms, in log order (ended terms
    /// shortened to their end).
    pub fn chair_terms(&self) -> &[ChairAppointed] {
        &self.chairs
    }

    /// Who chairs the group at `t`: the acting chair if an acting term
    /// runs at `t`, else the chair whose term runs (SPEC 2.1 item 10).
    pub fn chair_at(&self, t: Timestamp) -> Option<&PersonId> {
        let running = |acting: bool| {
            self.chairs
                .iter()
                .find(|c| c.acting == acting && c.contains(t))
                .map(|c| &c.person)
        };
        running(true).or_else(|| running(false))
    }

    /// Whether `person` is an appeal reviewer now.
    pub fn is_reviewer(&self, person: &str) -> bool {
        self.reviewers.contains(person)
    }

    /// The appeal reviewers now, by id.
    pub fn reviewers(&self) -> impl Iterator<Item = &PersonId> {
        self.reviewers.iter()
    }

    /// The persons on the membership list now (as of the last entry), by
    /// id: the recipients of an announcement (Article 6.2).
    pub fn membership_list_at_now(&self) -> impl Iterator<Item = &PersonId> {
        self.persons
            .values()
            .filter(|p| p.on_membership_list)
            .map(|p| &p.id)
    }

    /// The registry as the rules need it, records sorted by id. It fails
    /// only where the rules ask more than the fold enforces entry by
    /// entry: an `etsi-isg` group needs exactly one kick-off meeting before
    /// any roll can be computed.
    pub fn to_rules_registry(&self) -> Result<RegistryView, RegistryError> {
        self.rules_registry().map(|r| RegistryView::clone(&r))
    }

    /// [`GroupState::to_rules_registry`], built once per registry state and
    /// shared (a failure is not kept: it is computed again, and it is the
    /// rare case of a group without its kick-off meeting).
    pub fn rules_registry(&self) -> Result<Arc<RegistryView>, RegistryError> {
        if let Some(registry) = self.rules.0.get() {
            return Ok(Arc::clone(registry));
        }
        let registry = Arc::new(self.build_rules_registry()?);
        Ok(Arc::clone(self.rules.0.get_or_init(|| registry)))
    }

    fn build_rules_registry(&self) -> Result<RegistryView, RegistryError> {
        RegistryView::new(
            &self.parameters,
            self.organisations.values().cloned().collect(),
            self.persons.values().map(PersonRecord::to_rules).collect(),
            self.meetings.values().cloned().collect(),
            self.attendance.values().cloned().collect(),
        )
    }

    /// Appoints or releases a reviewer.
    pub(super) fn set_reviewer(&mut self, record: ReviewerRecord) {
        if record.appointed {
            self.reviewers.insert(record.person);
        } else {
            self.reviewers.remove(&record.person);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_rounds_towards_the_past() {
        let t = Timestamp::parse("1969-12-31T23:59:59.9999999Z").expect("valid");
        assert_eq!(
            t.floor_micros(),
            Timestamp::parse("1969-12-31T23:59:59.999999Z").expect("valid")
        );
        assert_eq!(Timestamp::MIN.floor_micros(), Timestamp::MIN);
    }
}
