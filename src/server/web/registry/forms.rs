//! The registry's forms read into domain values, and the command each one
//! runs: the same functions in [`command`] as the JSON API.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{CLASSES, FormError};
use crate::registry::AttendanceRemoved;
use crate::registry::meeting::parse_mode;
use crate::registry::organisation::PersonRecord;
use crate::rules::{Attendance, Meeting, MeetingFormat, Membership, Organisation};
use crate::server::commands::CommandError;
use crate::server::commands::registry::{self as command, ImportFailure, Recorded};
use crate::server::sequencer::Appended;
use crate::server::{AppState, Log};
use crate::time::Timestamp;

/// The forms of the registry's pages, by the name in their path.
pub const FORMS: [&str; 12] = [
    "organisation",
    "person",
    "meeting",
    "attendance",
    "attendance-remove",
    "import",
    "chair",
    "chair-end",
    "reviewer",
    "reviewer-release",
    "approve",
    "revoke",
];

/// Every form of these pages: its CSRF token and its fields by name.
#[derive(Deserialize)]
pub struct Fields {
    pub csrf: String,
    #[serde(flatten)]
    pub fields: BTreeMap<String, String>,
}

/// A field read into a value, or the error beside it.
type Read<T> = Result<T, FormError>;

/// One posted form's fields, read with the form's name on every error.
struct Form<'f> {
    name: &'static str,
    fields: &'f Fields,
}

impl Form<'_> {
    fn get(&self, field: &str) -> &str {
        self.fields.fields.get(field).map_or("", |v| v.trim())
    }

    fn checked(&self, field: &str) -> bool {
        self.fields.fields.contains_key(field)
    }

    fn error(&self, field: &'static str, code: &'static str) -> FormError {
        FormError::field(self.name, field, code)
    }

    fn required(&self, field: &'static str) -> Read<&str> {
        let value = self.get(field);
        if value.is_empty() {
            return Err(self.error(field, "missing"));
        }
        Ok(value)
    }

    /// An id of any of the identifier types.
    fn id<T: std::str::FromStr>(&self, field: &'static str) -> Read<T> {
        self.required(field)?
            .parse()
            .map_err(|_| self.error(field, "id"))
    }

    /// An instant: RFC 3339 UTC, or a date alone for its midnight UTC.
    fn time(&self, field: &'static str) -> Read<Option<Timestamp>> {
        let text = self.get(field);
        if text.is_empty() {
            return Ok(None);
        }
        Timestamp::parse(text)
            .ok()
            .or_else(|| Timestamp::parse(&format!("{text}T00:00:00Z")).ok())
            .map(Some)
            .ok_or_else(|| self.error(field, "time"))
    }

    fn required_time(&self, field: &'static str) -> Read<Timestamp> {
        self.time(field)?
            .ok_or_else(|| self.error(field, "missing"))
    }

    /// A value of a `<select>`: one of `options`, else the form was not
    /// ours.
    fn choice<T: Copy>(&self, field: &'static str, options: &[(&str, T)]) -> Read<T> {
        let text = self.required(field)?;
        options
            .iter()
            .find(|(t, _)| *t == text)
            .map(|(_, v)| *v)
            .ok_or_else(|| self.error(field, "choice"))
    }
}

/// What a posted form asked for, once its command ran.
pub enum Change {
    /// One entry: what was done (a code), to what, and the command's
    /// answer.
    One(&'static str, String, Result<Recorded, CommandError>),
    /// An attendance import: one entry per row, or none.
    Import(Result<Vec<Appended>, ImportFailure>),
}

/// Reads form `name` into domain values and runs its command.
pub async fn decide(
    state: &AppState,
    log: &Log,
    name: &'static str,
    fields: &Fields,
) -> Read<Change> {
    let f = Form { name, fields };
    let one = |what, subject: String, recorded| Ok(Change::One(what, subject, recorded));
    match name {
        "organisation" => {
            let id: crate::id::OrgId = f.id("id")?;
            let class = CLASSES
                .into_iter()
                .find(|c| c.as_str() == f.get("class"))
                .ok_or_else(|| f.error("class", "choice"))?;
            let organisation = Organisation {
                id: id.clone(),
                class,
                founding: f.checked("founding"),
                membership: Membership {
                    from: f.time("from")?,
                    to: f.time("to")?,
                },
            };
            one(
                name,
                id.to_string(),
                command::put_organisation(log, organisation).await,
            )
        }
        "person" => {
            let record = PersonRecord {
                id: f.id("id")?,
                organisation: f.id("organisation")?,
                on_membership_list: f.checked("membership_list"),
                reconfirmed: f.time("reconfirmed")?,
            };
            let subject = record.id.to_string();
            one(
                name,
                subject,
                command::put_person(&state.store, log, record).await,
            )
        }
        "meeting" => {
            let format = f.choice(
                "format",
                &[
                    ("face-to-face", MeetingFormat::FaceToFace),
                    ("online", MeetingFormat::Online),
                    ("hybrid", MeetingFormat::Hybrid),
                ],
            )?;
            let meeting = Meeting {
                id: f.id("id")?,
                plenary: f.checked("plenary"),
                format,
                start: f.required_time("start")?,
                end: f.required_time("end")?,
                kick_off: f.checked("kick_off"),
            };
            let subject = meeting.id.to_string();
            one(name, subject, command::put_meeting(log, meeting).await)
        }
        "attendance" => {
            let record = Attendance {
                meeting: f.id("meeting")?,
                person: f.id("person")?,
                organisation: f.id("organisation")?,
                mode: parse_mode(f.required("mode")?).ok_or_else(|| f.error("mode", "choice"))?,
            };
            let subject = format!("{} {}", record.person, record.meeting);
            one(name, subject, command::put_attendance(log, record).await)
        }
        "attendance-remove" => {
            let removed = AttendanceRemoved {
                meeting: f.id("meeting")?,
                person: f.id("person")?,
            };
            let subject = format!("{} {}", removed.person, removed.meeting);
            let recorded = command::remove_attendance(log, removed).await;
            one("attendance-removed", subject, recorded)
        }
        "import" => {
            let csv = fields.fields.get("csv").cloned().unwrap_or_default();
            if csv.trim().is_empty() {
                return Err(f.error("csv", "missing"));
            }
            Ok(Change::Import(command::import(log, csv.into_bytes()).await))
        }
        "chair" => {
            let person: crate::id::PersonId = f.id("person")?;
            let acting = f.checked("acting");
            let from = f.time("from")?;
            let what = if acting { "acting-chair" } else { "chair" };
            let subject = person.to_string();
            one(
                what,
                subject,
                command::appoint_chair(log, person, from, acting).await,
            )
        }
        "chair-end" => {
            let acting = f.checked("acting");
            let what = if acting {
                "acting-chair-ended"
            } else {
                "chair-ended"
            };
            one(
                what,
                String::new(),
                command::end_chair(log, None, acting).await,
            )
        }
        "reviewer" => {
            let person: crate::id::PersonId = f.id("person")?;
            let subject = person.to_string();
            one(name, subject, command::appoint_reviewer(log, person).await)
        }
        "reviewer-release" => {
            let person: crate::id::PersonId = f.id("person")?;
            let subject = person.to_string();
            let recorded = command::release_reviewer(log, person).await;
            one("reviewer-released", subject, recorded)
        }
        "approve" => {
            let id = f.required("request")?.to_owned();
            let recorded = command::approve_key_request(state, log, &id).await;
            one("key", id, recorded)
        }
        "revoke" => {
            let person: crate::id::PersonId = f.id("person")?;
            let key_id = f.required("key_id")?.to_owned();
            let subject = format!("{key_id} {person}");
            one(
                "key-revoked",
                subject,
                command::revoke_key(log, person, key_id).await,
            )
        }
        _ => Err(f.error("", "unknown-form")),
    }
}
