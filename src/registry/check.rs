//! The validation of each registry fact against the state, and its
//! application. Split from `state.rs` so that every rule of the fold reads
//! in one place; `docs/formats.md` lists the same rules with their codes.
//!
//! Architecture invariant: [`GroupState::commit`] is infallible and is
//! called only after [`GroupState::check_fact`] accepted the same fact at
//! the same time, so a refused entry never changes the state.

use crate::entry::codec::is_micros;
use crate::id::{MeetingId, PersonId};
use crate::registry::chair::{CHAIR_TERM_MONTHS, ChairAppointed, ChairEnded};
use crate::registry::key::{KeyAdded, KeyRevoked, KeyState};
use crate::registry::organisation::PersonRecord;
use crate::registry::state::GroupState;
use crate::registry::{Fact, Refusal};
use crate::rules::{Attendance, AttendanceMode, Meeting, MeetingFormat, Organisation};
use crate::time::Timestamp;

/// Refuses a time that a header could not carry exactly.
fn micros(field: &'static str, t: Timestamp) -> Result<(), Refusal> {
    if is_micros(t) {
        Ok(())
    } else {
        Err(Refusal::TimePrecision { field })
    }
}

impl GroupState {
    /// Validates `fact` at `time` (already at microsecond precision and not
    /// before the last entry's time).
    pub(super) fn check_fact(&self, fact: &Fact, time: Timestamp) -> Result<(), Refusal> {
        match fact {
            // SPEC section 4 and this module's design: the group entry is
            // the log's first, exactly once.
            Fact::Group(_) => Err(Refusal::GroupExists),
            Fact::Organisation(o) => self.check_organisation(o),
            Fact::Person(p) => self.check_person(p, time),
            Fact::Key(k) => self.check_key(k),
            Fact::KeyRevoked(r) => self.check_key_revoked(r),
            Fact::Meeting(m) => self.check_meeting(m),
            Fact::Attendance(a) => self.check_attendance(a),
            Fact::AttendanceRemoved(r) => {
                let key = (r.meeting.clone(), r.person.clone());
                if self.attendance.contains_key(&key) {
                    Ok(())
                } else {
                    Err(Refusal::UnknownAttendance {
                        meeting: r.meeting.clone(),
                        person: r.person.clone(),
                    })
                }
            }
            Fact::Chair(c) => self.check_chair(c),
            Fact::ChairEnded(e) => self.running_term(e, time).map(|_| ()),
            Fact::Reviewer(r) => self.known_person(&r.person),
        }
    }

    /// Applies a fact that [`Self::check_fact`] accepted at `time`.
    pub(super) fn commit(&mut self, fact: Fact, time: Timestamp) {
        match fact {
            // Refused by `check_fact`; nothing to do.
            Fact::Group(_) => {}
            Fact::Organisation(o) => {
                self.organisations.insert(o.id.clone(), o);
            }
            Fact::Person(p) => {
                let moved = self
                    .persons
                    .get(&p.id)
                    .is_none_or(|old| old.organisation != p.organisation);
                if moved {
                    self.represents_since.insert(p.id.clone(), time);
                }
                self.persons.insert(p.id.clone(), p);
            }
            Fact::Key(k) => self.keys.entry(k.person).or_default().push(KeyState {
                key: k.key,
                added: time,
                revoked: None,
            }),
            Fact::KeyRevoked(r) => {
                if let Some(key) = self
                    .keys
                    .get_mut(&r.person)
                    .and_then(|keys| keys.iter_mut().find(|k| k.key.id() == r.key_id))
                {
                    key.revoked = Some(time);
                }
            }
            Fact::Meeting(m) => {
                self.meetings.insert(m.id.clone(), m);
            }
            Fact::Attendance(a) => {
                self.attendance
                    .insert((a.meeting.clone(), a.person.clone()), a);
            }
            Fact::AttendanceRemoved(r) => {
                self.attendance.remove(&(r.meeting, r.person));
            }
            Fact::Chair(c) => self.chairs.push(c),
            Fact::ChairEnded(e) => {
                if let Ok(i) = self.running_term(&e, time) {
                    self.chairs[i].to = time;
                }
            }
            Fact::Reviewer(r) => self.set_reviewer(r),
        }
    }

    fn known_person(&self, person: &PersonId) -> Result<(), Refusal> {
        if self.persons.contains_key(person) {
            Ok(())
        } else {
            Err(Refusal::UnknownPerson(person.clone()))
        }
    }

    fn known_meeting(&self, meeting: &MeetingId) -> Result<&Meeting, Refusal> {
        self.meetings
            .get(meeting)
            .ok_or_else(|| Refusal::UnknownMeeting(meeting.clone()))
    }

    fn check_organisation(&self, o: &Organisation) -> Result<(), Refusal> {
        let profile = self.parameters.profile;
        if o.class.profile() != profile {
            return Err(Refusal::ClassNotInProfile {
                class: o.class,
                profile,
            });
        }
        // Founding members are those of Annex 2, which matter only in a
        // profile with a Kick-off Period (deviation #2).
        if o.founding && self.parameters.kick_off.is_none() {
            return Err(Refusal::FoundingNotInProfile(profile));
        }
        let (from, to) = (o.membership.from, o.membership.to);
        if let Some(from) = from {
            micros("from", from)?;
        }
        if let Some(to) = to {
            micros("to", to)?;
        }
        // As `rules::RegistryView::new`: `to` is exclusive, so `to == from` is
        // an empty membership, not an error.
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(Refusal::MembershipPeriod { from, to });
        }
        Ok(())
    }

    fn check_person(&self, p: &PersonRecord, time: Timestamp) -> Result<(), Refusal> {
        // SPEC section 3: a person represents exactly one organisation,
        // which must be registered.
        if !self.organisations.contains_key(&p.organisation) {
            return Err(Refusal::UnknownOrganisation(p.organisation.clone()));
        }
        if let Some(reconfirmed) = p.reconfirmed {
            micros("reconfirmed", reconfirmed)?;
            if reconfirmed > time {
                return Err(Refusal::FutureReconfirmation { reconfirmed, time });
            }
        }
        Ok(())
    }

    fn check_key(&self, k: &KeyAdded) -> Result<(), Refusal> {
        self.known_person(&k.person)?;
        // SPEC section 4: the signature line's key name is the voting
        // person's id.
        if k.key.name().as_str() != k.person.as_str() {
            return Err(Refusal::KeyNameMismatch {
                name: k.key.name().as_str().to_owned(),
                person: k.person.clone(),
            });
        }
        let public_key = k.key.public_key();
        if self
            .keys
            .values()
            .flatten()
            .any(|s| s.key.public_key() == public_key)
        {
            return Err(Refusal::DuplicateKey);
        }
        if self
            .keys_of(k.person.as_str())
            .iter()
            .any(|s| s.key.id() == k.key.id())
        {
            return Err(Refusal::KeyIdCollision {
                person: k.person.clone(),
                key_id: k.key.id(),
            });
        }
        Ok(())
    }

    fn check_key_revoked(&self, r: &KeyRevoked) -> Result<(), Refusal> {
        self.known_person(&r.person)?;
        let key = self
            .keys_of(r.person.as_str())
            .iter()
            .find(|s| s.key.id() == r.key_id)
            .ok_or_else(|| Refusal::UnknownKey {
                person: r.person.clone(),
                key_id: r.key_id,
            })?;
        if key.revoked.is_some() {
            return Err(Refusal::KeyAlreadyRevoked {
                person: r.person.clone(),
                key_id: r.key_id,
            });
        }
        Ok(())
    }

    fn check_meeting(&self, m: &Meeting) -> Result<(), Refusal> {
        micros("start", m.start)?;
        micros("end", m.end)?;
        if m.end <= m.start {
            return Err(Refusal::MeetingPeriod {
                start: m.start,
                end: m.end,
            });
        }
        if m.kick_off {
            if self.parameters.kick_off.is_none() {
                return Err(Refusal::KickOffNotInProfile(self.parameters.profile));
            }
            // SPEC 2.1 item 4: the Kick-off Period starts at *the* KoM.
            if let Some(other) = self.meetings.values().find(|o| o.kick_off && o.id != m.id) {
                return Err(Refusal::SecondKickOff(other.id.clone()));
            }
        }
        if m.format == MeetingFormat::Online
            && self
                .attendance
                .values()
                .any(|a| a.meeting == m.id && a.mode == AttendanceMode::Physical)
        {
            return Err(Refusal::PhysicalAttendanceExists(m.id.clone()));
        }
        Ok(())
    }

    /// Validates one attendance record: also what the CSV import runs on
    /// every row.
    pub(crate) fn check_attendance(&self, a: &Attendance) -> Result<(), Refusal> {
        let meeting = self.known_meeting(&a.meeting)?;
        self.known_person(&a.person)?;
        // SPEC section 5: attendance counts for the organisation named in
        // the record, which need not be the one the person represents now.
        if !self.organisations.contains_key(&a.organisation) {
            return Err(Refusal::UnknownOrganisation(a.organisation.clone()));
        }
        if a.mode == AttendanceMode::Physical && meeting.format == MeetingFormat::Online {
            return Err(Refusal::PhysicalAtOnlineMeeting(a.meeting.clone()));
        }
        Ok(())
    }

    fn check_chair(&self, c: &ChairAppointed) -> Result<(), Refusal> {
        self.known_person(&c.person)?;
        micros("from", c.from)?;
        micros("to", c.to)?;
        // Deviation #1: a term of two years at most. Past the year 9999
        // there is no limit to compare with, and `to` cannot exceed it.
        let longest = c.from.checked_add_months(CHAIR_TERM_MONTHS);
        if c.to <= c.from || longest.is_some_and(|l| c.to > l) {
            return Err(Refusal::ChairTerm);
        }
        let overlapping = self
            .chairs
            .iter()
            .find(|t| t.acting == c.acting && t.from < t.to && t.from < c.to && c.from < t.to);
        if let Some(other) = overlapping {
            return Err(Refusal::ChairTermOverlap {
                other: other.person.clone(),
                acting: c.acting,
            });
        }
        Ok(())
    }

    /// The index of the term `e` ends: the term of that person and kind
    /// running at `time`.
    fn running_term(&self, e: &ChairEnded, time: Timestamp) -> Result<usize, Refusal> {
        self.chairs
            .iter()
            .position(|t| t.person == e.person && t.acting == e.acting && t.contains(time))
            .ok_or_else(|| Refusal::NotChair {
                person: e.person.clone(),
                acting: e.acting,
            })
    }
}
