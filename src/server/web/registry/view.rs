//! What the registry's pages list, copied from a group's registry into
//! plain data for the template (codes, ids, ISO 8601 instants).

use std::collections::BTreeMap;

use super::super::render::iso;
use super::CLASSES;
use crate::registry::GroupState;
use crate::registry::meeting::mode_text;
use crate::rules::OrgClass;
use crate::rules::params::Notice;
use crate::store::web::KeyRequest;
use crate::time::Timestamp;
use crate::tlog::Hash;

/// An organisation as the page lists it.
pub struct OrgView {
    pub id: String,
    pub class: &'static str,
    pub founding: bool,
    pub from: String,
    pub to: String,
}

/// A person as the page lists it, with the account's name and e-mail.
pub struct PersonView {
    pub id: String,
    pub organisation: String,
    pub membership_list: bool,
    pub name: String,
    pub email: String,
    /// The person's keys.
    pub keys: Vec<KeyView>,
}

/// A registered key.
pub struct KeyView {
    pub id: String,
    pub fingerprint: String,
    pub added: String,
    pub revoked: String,
}

/// A meeting as the page lists it.
pub struct MeetingView {
    pub id: String,
    pub plenary: bool,
    pub format: &'static str,
    pub start: String,
    pub end: String,
    pub kick_off: bool,
}

/// An attendance record.
pub struct AttendanceView {
    pub meeting: String,
    pub person: String,
    pub organisation: String,
    pub mode: &'static str,
}

/// A chair's term.
pub struct TermView {
    pub person: String,
    pub from: String,
    pub to: String,
    pub acting: bool,
}

/// A key request with the fingerprint to compare out of band.
pub struct RequestView {
    pub id: String,
    pub person: String,
    pub key_id: String,
    pub fingerprint: String,
    pub requested: String,
    pub index: Option<u64>,
}

/// The group's profile and parameters.
pub struct ProfileView {
    pub profile: &'static str,
    pub threshold_percent: u32,
    pub notice: String,
    pub notice_unit: &'static str,
    pub correspondence_window: String,
    pub appeal_deadline_days: String,
}

/// Everything the pages list from the registry.
pub struct RegistryView {
    pub profile: ProfileView,
    /// The classes of the group's profile.
    pub classes: Vec<&'static str>,
    pub organisations: Vec<OrgView>,
    pub persons: Vec<PersonView>,
    pub meetings: Vec<MeetingView>,
    pub attendance: Vec<AttendanceView>,
    /// The chair in office now, or empty.
    pub chair: String,
    pub terms: Vec<TermView>,
    pub reviewers: Vec<String>,
}

/// The fingerprint the browser shows for a key (`scrutineer.js`): the
/// first 128 bits of the SHA-256 of the public key, in groups of four hex
/// digits.
pub fn fingerprint(public_key: &[u8]) -> String {
    let hex = Hash::sha256(public_key).to_hex();
    hex.as_bytes()[..32]
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn opt_iso(time: Option<Timestamp>) -> String {
    time.map(iso).unwrap_or_default()
}

/// The registry `r` at `now`, with each person's name and e-mail from
/// `accounts`.
pub fn registry(
    r: &GroupState,
    accounts: &BTreeMap<String, (String, String)>,
    now: Timestamp,
) -> RegistryView {
    let g = r.group();
    let (notice, notice_unit) = match g.notice {
        Notice::ExactDays(days) => (days.to_string(), "days"),
        Notice::CalendarMonths(months) => (months.to_string(), "months"),
    };
    let profile = ProfileView {
        profile: r.profile().as_str(),
        threshold_percent: g.threshold_percent,
        notice,
        notice_unit,
        correspondence_window: g
            .correspondence_window
            .map(|w| w.as_str().to_owned())
            .unwrap_or_default(),
        appeal_deadline_days: g
            .appeal_deadline_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
    };
    let person = |p: &crate::registry::organisation::PersonRecord| {
        let (name, email) = accounts.get(p.id.as_str()).cloned().unwrap_or_default();
        PersonView {
            id: p.id.to_string(),
            organisation: p.organisation.to_string(),
            membership_list: p.on_membership_list,
            name,
            email,
            keys: r
                .keys_of(p.id.as_str())
                .iter()
                .map(|k| KeyView {
                    id: k.key.id().to_string(),
                    fingerprint: fingerprint(k.key.public_key()),
                    added: iso(k.added),
                    revoked: opt_iso(k.revoked),
                })
                .collect(),
        }
    };
    RegistryView {
        profile,
        classes: CLASSES
            .into_iter()
            .filter(|c| c.profile() == r.profile())
            .map(OrgClass::as_str)
            .collect(),
        organisations: r
            .organisations()
            .map(|o| OrgView {
                id: o.id.to_string(),
                class: o.class.as_str(),
                founding: o.founding,
                from: opt_iso(o.membership.from),
                to: opt_iso(o.membership.to),
            })
            .collect(),
        persons: r.persons().map(person).collect(),
        meetings: r
            .meetings()
            .map(|m| MeetingView {
                id: m.id.to_string(),
                plenary: m.plenary,
                format: m.format.as_str(),
                start: iso(m.start),
                end: iso(m.end),
                kick_off: m.kick_off,
            })
            .collect(),
        attendance: r
            .attendance()
            .map(|a| AttendanceView {
                meeting: a.meeting.to_string(),
                person: a.person.to_string(),
                organisation: a.organisation.to_string(),
                mode: mode_text(a.mode),
            })
            .collect(),
        chair: r.chair_at(now).map(|p| p.to_string()).unwrap_or_default(),
        terms: r
            .chair_terms()
            .iter()
            .map(|t| TermView {
                person: t.person.to_string(),
                from: iso(t.from),
                to: iso(t.to),
                acting: t.acting,
            })
            .collect(),
        reviewers: r.reviewers().map(|p| p.to_string()).collect(),
    }
}

/// A key request as the keys page lists it.
pub fn request(r: KeyRequest) -> RequestView {
    let parsed = crate::note::key::VerifierKey::parse(&r.verifier_key).ok();
    RequestView {
        key_id: parsed
            .as_ref()
            .map(|k| k.id().to_string())
            .unwrap_or_default(),
        fingerprint: parsed
            .as_ref()
            .map(|k| fingerprint(k.public_key()))
            .unwrap_or_default(),
        id: r.id,
        person: r.person,
        requested: r
            .requested_at
            .get(..19)
            .map_or(r.requested_at.clone(), |s| format!("{s}Z")),
        index: r.log_index,
    }
}
