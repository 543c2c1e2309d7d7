//! The registry the rules read: organisations, persons, meetings and
//! attendance (SPEC section 3), checked for integrity once and indexed for
//! the roll and for vote admission.
//!
//! The secretariat keeps the registry; the server logs every change, and a
//! ballot's roll is derived from the registry entries that precede it
//! (SPEC section 4). Here it is a plain value: the rules never ask where it
//! came from.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::id::{Id, MeetingId, OrgId, PersonId};
use crate::rules::params::{OrgClass, Parameters, Profile};
use crate::time::Timestamp;

/// The period during which an organisation is a member: `from` inclusive,
/// `to` exclusive ("membership ends at that instant", SPEC section 5);
/// `None` is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Membership {
    /// The first instant of membership, or `None` for "always".
    pub from: Option<Timestamp>,
    /// The first instant after membership, or `None` for "still a member".
    pub to: Option<Timestamp>,
}

impl Membership {
    /// Whether the membership is active at `t`: `from ≤ t < to`.
    pub fn active_at(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|from| from <= t) && !self.ended_by(t)
    }

    /// Whether the membership has ended at `t` (`to ≤ t`).
    pub fn ended_by(&self, t: Timestamp) -> bool {
        self.to.is_some_and(|to| to <= t)
    }
}

/// An organisation of the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Its id.
    pub id: OrgId,
    /// Its membership class; only some classes vote.
    pub class: OrgClass,
    /// Listed in Annex 2 of the ISG ETI Member Agreement (founding member),
    /// which matters during the Kick-off Period (deviation #2).
    pub founding: bool,
    /// When it is a member.
    pub membership: Membership,
}

/// A person, who represents exactly one organisation (Article 6.4: no
/// proxies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Its id; the log names persons only by id.
    pub id: PersonId,
    /// The one organisation this person represents.
    pub organisation: OrgId,
    /// On the group's membership list, which a correspondence voter must be
    /// (SPEC 2.1 item 7; Article 6.2 sends the notice to that list).
    pub on_membership_list: bool,
}

/// How a meeting is held (SPEC section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MeetingFormat {
    /// In a room.
    FaceToFace,
    /// Only remotely: nobody can attend physically.
    Online,
    /// In a room with remote participation; counts as face-to-face
    /// everywhere in the rules (SPEC 2.1 item 2).
    Hybrid,
}

impl MeetingFormat {
    /// Whether the format counts as face-to-face (face-to-face or hybrid).
    pub fn is_face_to_face(self) -> bool {
        matches!(self, MeetingFormat::FaceToFace | MeetingFormat::Hybrid)
    }

    /// The format's name as written in scenarios.
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingFormat::FaceToFace => "face-to-face",
            MeetingFormat::Online => "online",
            MeetingFormat::Hybrid => "hybrid",
        }
    }
}

/// A meeting of the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// Its id.
    pub id: MeetingId,
    /// Whether it is a plenary; only plenaries enter attendance windows.
    pub plenary: bool,
    /// How it is held.
    pub format: MeetingFormat,
    /// When it starts.
    pub start: Timestamp,
    /// When it ends; "held" means ended at or before a reference time.
    pub end: Timestamp,
    /// Whether it is the kick-off meeting (KoM), which starts the Kick-off
    /// Period and counts as a plenary (SPEC 2.1 items 2 and 4).
    pub kick_off: bool,
}

impl Meeting {
    /// Whether the meeting counts as a plenary: flagged as one, or the KoM
    /// ("the kick-off meeting counts as a plenary", SPEC 2.1 item 2).
    pub fn is_plenary(&self) -> bool {
        self.plenary || self.kick_off
    }

    /// The key that orders meetings from least to most recent: end, then
    /// start, then id (SPEC 2.1 item 3).
    pub fn recency_key(&self) -> (Timestamp, Timestamp, &MeetingId) {
        (self.end, self.start, &self.id)
    }
}

/// How a person attended a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttendanceMode {
    /// In the room: the only mode that counts (deviations #4 and #5).
    Physical,
    /// Remotely.
    Remote,
}

/// One person's attendance at one meeting, for the organisation named here
/// ("attendance counts for the organisation named in the attendance
/// record", SPEC section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    /// The meeting attended.
    pub meeting: MeetingId,
    /// Who attended.
    pub person: PersonId,
    /// The organisation the person represented there.
    pub organisation: OrgId,
    /// How.
    pub mode: AttendanceMode,
}

/// Which list of the registry an error concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryList {
    /// The organisations.
    Organisations,
    /// The persons.
    Persons,
    /// The meetings.
    Meetings,
    /// The attendance records.
    Attendance,
}

impl RegistryList {
    /// The list's name, as in a scenario.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistryList::Organisations => "organisations",
            RegistryList::Persons => "persons",
            RegistryList::Meetings => "meetings",
            RegistryList::Attendance => "attendance",
        }
    }
}

/// What is wrong with a registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryProblem {
    /// Two records of one list with the same id.
    #[error("duplicate id {0}")]
    Duplicate(Id),
    /// A class of another profile.
    #[error("class {class} is not a class of profile {profile}")]
    ClassNotOfProfile {
        /// The class given.
        class: OrgClass,
        /// The scenario's profile.
        profile: Profile,
    },
    /// A reference to an organisation that does not exist.
    #[error("unknown organisation {0}")]
    UnknownOrganisation(OrgId),
    /// A reference to a person who does not exist.
    #[error("unknown person {0}")]
    UnknownPerson(PersonId),
    /// A reference to a meeting that does not exist.
    #[error("unknown meeting {0}")]
    UnknownMeeting(MeetingId),
    /// Physical attendance at an online meeting, which is impossible.
    #[error("physical attendance at online meeting {0}")]
    PhysicalAtOnline(MeetingId),
    /// A meeting that ends before it starts.
    #[error("the meeting ends before it starts")]
    EndsBeforeStart,
    /// A membership that ends before it starts.
    #[error("the membership ends before it starts")]
    MembershipEndsBeforeStart,
    /// Not exactly one KoM in a profile with a Kick-off Period.
    #[error("profile {profile} needs exactly one meeting with kick_off true, found {count}")]
    KickOffCount {
        /// The profile.
        profile: Profile,
        /// How many were found.
        count: usize,
    },
}

/// A registry that cannot be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// The list concerned.
    pub list: RegistryList,
    /// The position of the record in its list, if one record is at fault.
    pub index: Option<usize>,
    /// The field of that record, if one field is at fault.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub problem: RegistryProblem,
}

/// A consistent registry with the indexes the rules need.
///
/// Architecture invariant: every id a record refers to (a person's
/// organisation, an attendance's meeting, person and organisation) exists,
/// and ids are unique within each list.
#[derive(Debug, Clone)]
pub struct RegistryView {
    organisations: Vec<Organisation>,
    persons: Vec<Person>,
    meetings: Vec<Meeting>,
    attendance: Vec<Attendance>,
    org_index: HashMap<OrgId, usize>,
    person_index: HashMap<PersonId, usize>,
    meeting_index: HashMap<MeetingId, usize>,
    /// For each person, the index of the organisation it represents.
    person_org: Vec<usize>,
    /// For each organisation, the sorted, distinct indexes of the meetings
    /// it attended physically (through anyone): the roll reads only this,
    /// so it costs O(attendance), not O(organisations × meetings).
    physical_by_org: Vec<Vec<usize>>,
    /// For each meeting, the sorted, distinct indexes of the persons
    /// physically present (deviation #4: the caster must be present).
    physical_by_meeting: Vec<Vec<usize>>,
    /// The KoM, if there is one.
    kick_off: Option<usize>,
}

/// Indexes a list by id, refusing duplicates.
fn index_ids<T, K: Clone + Eq + std::hash::Hash>(
    list: RegistryList,
    items: &[T],
    id: impl Fn(&T) -> &K,
    untyped: impl Fn(&K) -> Id,
) -> Result<HashMap<K, usize>, RegistryError> {
    let mut index = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if index.insert(id(item).clone(), i).is_some() {
            return Err(RegistryError {
                list,
                index: Some(i),
                field: Some("id"),
                problem: RegistryProblem::Duplicate(untyped(id(item))),
            });
        }
    }
    Ok(index)
}

impl RegistryView {
    /// Checks the records for integrity under `parameters` and indexes
    /// them. Records keep their input order (error positions refer to it).
    pub fn new(
        parameters: &Parameters,
        organisations: Vec<Organisation>,
        persons: Vec<Person>,
        meetings: Vec<Meeting>,
        attendance: Vec<Attendance>,
    ) -> Result<Self, RegistryError> {
        use RegistryList as L;
        use RegistryProblem as P;
        let at = |list, index, field, problem| RegistryError {
            list,
            index: Some(index),
            field: Some(field),
            problem,
        };

        let org_index = index_ids(
            L::Organisations,
            &organisations,
            |o| &o.id,
            |k| k.as_id().clone(),
        )?;
        for (i, org) in organisations.iter().enumerate() {
            if org.class.profile() != parameters.profile {
                let problem = P::ClassNotOfProfile {
                    class: org.class,
                    profile: parameters.profile,
                };
                return Err(at(L::Organisations, i, "class", problem));
            }
            if let (Some(from), Some(to)) = (org.membership.from, org.membership.to)
                && to < from
            {
                return Err(at(L::Organisations, i, "to", P::MembershipEndsBeforeStart));
            }
        }

        let person_index = index_ids(L::Persons, &persons, |p| &p.id, |k| k.as_id().clone())?;
        let mut person_org = Vec::with_capacity(persons.len());
        for (i, person) in persons.iter().enumerate() {
            match org_index.get(&person.organisation) {
                Some(&o) => person_org.push(o),
                None => {
                    let problem = P::UnknownOrganisation(person.organisation.clone());
                    return Err(at(L::Persons, i, "organisation", problem));
                }
            }
        }

        let meeting_index = index_ids(L::Meetings, &meetings, |m| &m.id, |k| k.as_id().clone())?;
        for (i, meeting) in meetings.iter().enumerate() {
            if meeting.end < meeting.start {
                return Err(at(L::Meetings, i, "end", P::EndsBeforeStart));
            }
        }
        let kick_offs: Vec<usize> = (0..meetings.len())
            .filter(|&i| meetings[i].kick_off)
            .collect();
        if parameters.kick_off.is_some() && kick_offs.len() != 1 {
            return Err(RegistryError {
                list: L::Meetings,
                // Point at the second KoM if there are several.
                index: kick_offs.get(1).copied(),
                field: kick_offs.get(1).map(|_| "kick_off"),
                problem: P::KickOffCount {
                    profile: parameters.profile,
                    count: kick_offs.len(),
                },
            });
        }

        let mut physical_by_org = vec![Vec::new(); organisations.len()];
        let mut physical_by_meeting = vec![Vec::new(); meetings.len()];
        for (i, record) in attendance.iter().enumerate() {
            let Some(&m) = meeting_index.get(&record.meeting) else {
                return Err(at(
                    L::Attendance,
                    i,
                    "meeting",
                    P::UnknownMeeting(record.meeting.clone()),
                ));
            };
            let Some(&p) = person_index.get(&record.person) else {
                return Err(at(
                    L::Attendance,
                    i,
                    "person",
                    P::UnknownPerson(record.person.clone()),
                ));
            };
            let Some(&o) = org_index.get(&record.organisation) else {
                let problem = P::UnknownOrganisation(record.organisation.clone());
                return Err(at(L::Attendance, i, "organisation", problem));
            };
            if record.mode == AttendanceMode::Physical {
                if meetings[m].format == MeetingFormat::Online {
                    let problem = P::PhysicalAtOnline(record.meeting.clone());
                    return Err(at(L::Attendance, i, "mode", problem));
                }
                physical_by_org[o].push(m);
                physical_by_meeting[m].push(p);
            }
        }
        for list in physical_by_org
            .iter_mut()
            .chain(physical_by_meeting.iter_mut())
        {
            list.sort_unstable();
            list.dedup();
        }

        Ok(RegistryView {
            organisations,
            persons,
            meetings,
            attendance,
            org_index,
            person_index,
            meeting_index,
            person_org,
            physical_by_org,
            physical_by_meeting,
            kick_off: kick_offs.first().copied(),
        })
    }

    /// The organisations, in input order.
    pub fn organisations(&self) -> &[Organisation] {
        &self.organisations
    }

    /// The persons, in input order.
    pub fn persons(&self) -> &[Person] {
        &self.persons
    }

    /// The meetings, in input order.
    pub fn meetings(&self) -> &[Meeting] {
        &self.meetings
    }

    /// The attendance records, in input order.
    pub fn attendance(&self) -> &[Attendance] {
        &self.attendance
    }

    /// The organisation with this id.
    pub fn organisation(&self, id: &str) -> Option<&Organisation> {
        self.org_index.get(id).map(|&i| &self.organisations[i])
    }

    /// The person with this id.
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.person_index.get(id).map(|&i| &self.persons[i])
    }

    /// The meeting with this id.
    pub fn meeting(&self, id: &str) -> Option<&Meeting> {
        self.meeting_index.get(id).map(|&i| &self.meetings[i])
    }

    /// The KoM, if the registry has one (it must, for ETSI).
    pub fn kick_off_meeting(&self) -> Option<&Meeting> {
        self.kick_off.map(|i| &self.meetings[i])
    }

    pub(crate) fn org_position(&self, id: &str) -> Option<usize> {
        self.org_index.get(id).copied()
    }

    pub(crate) fn person_position(&self, id: &str) -> Option<usize> {
        self.person_index.get(id).copied()
    }

    pub(crate) fn meeting_position(&self, id: &str) -> Option<usize> {
        self.meeting_index.get(id).copied()
    }

    pub(crate) fn person_org_position(&self, person: usize) -> usize {
        self.person_org[person]
    }

    pub(crate) fn physical_meetings_of(&self, org: usize) -> &[usize] {
        &self.physical_by_org[org]
    }

    pub(crate) fn physically_present(&self, meeting: usize, person: usize) -> bool {
        self.physical_by_meeting[meeting]
            .binary_search(&person)
            .is_ok()
    }
}

impl RegistryError {
    /// Where the problem is, relative to the registry: `attendance[3].mode`.
    pub fn location(&self) -> String {
        let mut location = self.list.as_str().to_string();
        if let Some(index) = self.index {
            location.push_str(&format!("[{index}]"));
        }
        if let Some(field) = self.field {
            location.push('.');
            location.push_str(field);
        }
        location
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.problem)
    }
}

impl std::error::Error for RegistryError {}

impl fmt::Display for RegistryList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
