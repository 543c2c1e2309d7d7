//! The secretariat's pages: a group's registry (SPEC section 8).
//!
//! `GET /groups/{group}/registry/{topic}` shows one part of the registry
//! with its forms: `members` (the group's profile, organisations,
//! persons with their names and e-mail addresses, which never enter the
//! log), `meetings` (meetings, attendance one by one and imported from a
//! registration export), `officers` (the chair's terms, the appeal
//! reviewers) and `keys` (key requests made in the browser, to approve
//! after comparing the fingerprint out of band, and registered keys, to
//! revoke).
//!
//! Every form is a plain `<form>` post with the session's CSRF token, and
//! works without JavaScript. A handler reads the form into domain values
//! (an unreadable field is answered beside the field, 422) and calls the
//! same function in [`commands::registry`] as the JSON API; the answer is
//! the same page with what was logged, in words (the entry's index, the
//! checkpoint that covers it), or the server's reason for a refusal.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::WebError;
use super::pages::chrome;
use super::render::{Chrome, iso, page};
use super::session::Session;
use crate::id::{MeetingId, OrgId, PersonId};
use crate::registry::AttendanceRemoved;
use crate::registry::csv::ImportError;
use crate::registry::meeting::{mode_text, parse_mode};
use crate::registry::organisation::PersonRecord;
use crate::rules::params::Notice;
use crate::rules::{Attendance, Meeting, MeetingFormat, Membership, OrgClass, Organisation};
use crate::server::auth::Action;
use crate::server::commands::registry::{self as command, ImportFailure, Recorded};
use crate::server::commands::{CommandError, RefusedKind};
use crate::server::sequencer::Appended;
use crate::server::{AppState, Log};
use crate::store::web::KeyRequest;
use crate::time::Timestamp;
use crate::tlog::Hash;

/// The largest attendance import the page accepts: a registration export
/// of [`crate::registry::csv::MAX_BYTES`], percent-encoded in the form
/// (each byte at most three).
pub const MAX_IMPORT_FORM_BYTES: usize = 3 * crate::registry::csv::MAX_BYTES + 4096;

/// The parts of the registry, one page each.
const TOPICS: [&str; 4] = ["members", "meetings", "officers", "keys"];

/// Every organisation class; a group's page offers those of its profile.
const CLASSES: [OrgClass; 8] = [
    OrgClass::Member,
    OrgClass::Participant,
    OrgClass::Observer,
    OrgClass::Counsellor,
    OrgClass::MemberState,
    OrgClass::SectorMember,
    OrgClass::Associate,
    OrgClass::Academia,
];

/// What a change logged, as the page tells it.
pub struct Logged {
    /// What was done (a code the template puts in words).
    pub what: &'static str,
    /// What it was done to (an id, or a count for an import).
    pub subject: String,
    /// The index of the (first) entry.
    pub index: u64,
    /// How many entries (an import logs one per row).
    pub count: usize,
    /// The log's size after the change: the checkpoint's size.
    pub size: u64,
    /// The checkpoint's root hash, as its second line gives it (base64).
    pub root: String,
    /// The signed checkpoint, verbatim.
    pub checkpoint: String,
    /// The (first) entry's text, verbatim.
    pub entry: String,
}

impl Logged {
    /// What `appended` (the first of `count` entries, `last` the last)
    /// logged.
    pub fn new(what: &'static str, subject: String, first: &Appended, last: &Appended) -> Self {
        let checkpoint = String::from_utf8_lossy(&last.checkpoint).into_owned();
        Self {
            what,
            subject,
            index: first.index,
            count: usize::try_from(last.index - first.index + 1).unwrap_or(usize::MAX),
            size: last.size,
            root: checkpoint.lines().nth(2).unwrap_or_default().to_owned(),
            entry: String::from_utf8_lossy(&first.entry).into_owned(),
            checkpoint,
        }
    }

    fn one(what: &'static str, subject: String, recorded: &Recorded) -> Self {
        Self::new(what, subject, &recorded.appended, &recorded.appended)
    }
}

/// Why a form was not used: which form, which field (empty for the whole
/// form), a code the template puts in words, and the server's reason for
/// a refusal.
#[derive(Default)]
pub struct FormError {
    /// The form (`organisation`, `person`, `meeting`, …).
    pub form: &'static str,
    /// The field at fault, or empty.
    pub field: &'static str,
    /// `missing`, `id`, `time`, `refused`, `csv`.
    pub code: &'static str,
    /// The server's reason (a refusal), or empty.
    pub detail: String,
    /// Every faulty row of an import, by line and field.
    pub rows: Vec<RowView>,
}

impl FormError {
    fn field(form: &'static str, field: &'static str, code: &'static str) -> Self {
        Self {
            form,
            field,
            code,
            ..Self::default()
        }
    }
}

/// A faulty row of an import.
pub struct RowView {
    /// The line where the row starts (the header is line 1).
    pub line: String,
    /// The column at fault, or empty.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// An organisation as the page lists it.
pub struct OrgView {
    id: String,
    class: &'static str,
    founding: bool,
    from: String,
    to: String,
}

/// A person as the page lists it, with the account's name and e-mail.
pub struct PersonView {
    id: String,
    organisation: String,
    membership_list: bool,
    name: String,
    email: String,
    /// The person's keys.
    keys: Vec<KeyView>,
}

/// A registered key.
pub struct KeyView {
    id: String,
    fingerprint: String,
    added: String,
    revoked: String,
}

/// A meeting as the page lists it.
pub struct MeetingView {
    id: String,
    plenary: bool,
    format: &'static str,
    start: String,
    end: String,
    kick_off: bool,
}

/// An attendance record.
pub struct AttendanceView {
    meeting: String,
    person: String,
    organisation: String,
    mode: &'static str,
}

/// A chair's term.
pub struct TermView {
    person: String,
    from: String,
    to: String,
    acting: bool,
}

/// A key request with the fingerprint to compare out of band.
pub struct RequestView {
    id: String,
    person: String,
    key_id: String,
    fingerprint: String,
    requested: String,
    index: Option<u64>,
}

/// The group's profile and parameters.
pub struct ProfileView {
    profile: &'static str,
    threshold_percent: u32,
    notice: String,
    notice_unit: &'static str,
    correspondence_window: String,
    appeal_deadline_days: String,
}

#[derive(Template)]
#[template(path = "registry.html")]
struct RegistryPage {
    chrome: Chrome,
    group: String,
    topic: &'static str,
    topics: [&'static str; 4],
    now: String,
    profile: ProfileView,
    classes: Vec<&'static str>,
    organisations: Vec<OrgView>,
    persons: Vec<PersonView>,
    meetings: Vec<MeetingView>,
    attendance: Vec<AttendanceView>,
    chair: String,
    terms: Vec<TermView>,
    reviewers: Vec<String>,
    requests: Vec<RequestView>,
    logged: Option<Logged>,
    error: FormError,
    /// The values of the form that was refused, by field name.
    values: BTreeMap<String, String>,
}

impl RegistryPage {
    /// The value given back in field `name` of the refused form.
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    /// Whether `field` of `form` is the one at fault.
    fn invalid(&self, form: &str, field: &str) -> bool {
        self.error.form == form && self.error.field == field
    }
}

/// The fingerprint the browser shows for a key (`scrutineer.js`): the
/// first 128 bits of the SHA-256 of the public key, in groups of four hex
/// digits.
fn fingerprint(public_key: &[u8]) -> String {
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

/// The group's log for its secretariat (the API's table: [`Action::WriteRegistry`]).
async fn secretariat_log(
    state: &AppState,
    session: &Session,
    group: &str,
) -> Result<Arc<Log>, WebError> {
    Ok(session
        .authorise(
            state,
            group,
            Action::WriteRegistry,
            "you are not the secretariat",
        )
        .await?)
}

/// What a page answers with besides the registry: its status, what was
/// logged, or why a form was refused with the form's values.
#[derive(Default)]
struct Outcome {
    status: StatusCode,
    logged: Option<Logged>,
    error: FormError,
    values: BTreeMap<String, String>,
}

/// Renders `topic` of the registry with an outcome.
async fn render(
    state: &AppState,
    session: &Session,
    log: &Log,
    topic: &'static str,
    outcome: Outcome,
) -> Result<Response, WebError> {
    let Outcome {
        status,
        logged,
        error,
        values,
    } = outcome;
    let now = state.clock.now();
    let accounts: BTreeMap<String, (String, String)> = state
        .store
        .accounts()
        .await?
        .into_iter()
        .map(|a| (a.person, (a.name, a.email)))
        .collect();
    let requests = state
        .store
        .key_requests(&log.group, false)
        .await?
        .into_iter()
        .map(request_view)
        .collect();
    let group = log.group.clone();
    let page_data = log
        .read(move |loaded| {
            let r = loaded.state.registry.as_ref()?;
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
            let classes = CLASSES
                .into_iter()
                .filter(|c| c.profile() == r.profile())
                .map(OrgClass::as_str)
                .collect();
            let organisations = r
                .organisations()
                .map(|o| OrgView {
                    id: o.id.to_string(),
                    class: o.class.as_str(),
                    founding: o.founding,
                    from: opt_iso(o.membership.from),
                    to: opt_iso(o.membership.to),
                })
                .collect();
            let persons = r
                .persons()
                .map(|p| {
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
                })
                .collect();
            let meetings = r
                .meetings()
                .map(|m| MeetingView {
                    id: m.id.to_string(),
                    plenary: m.plenary,
                    format: m.format.as_str(),
                    start: iso(m.start),
                    end: iso(m.end),
                    kick_off: m.kick_off,
                })
                .collect();
            let attendance = r
                .attendance()
                .map(|a| AttendanceView {
                    meeting: a.meeting.to_string(),
                    person: a.person.to_string(),
                    organisation: a.organisation.to_string(),
                    mode: mode_text(a.mode),
                })
                .collect();
            let terms = r
                .chair_terms()
                .iter()
                .map(|t| TermView {
                    person: t.person.to_string(),
                    from: iso(t.from),
                    to: iso(t.to),
                    acting: t.acting,
                })
                .collect();
            Some((
                profile,
                classes,
                organisations,
                persons,
                meetings,
                attendance,
                r.chair_at(now).map(|p| p.to_string()).unwrap_or_default(),
                terms,
                r.reviewers().map(|p| p.to_string()).collect(),
            ))
        })
        .await
        .map_err(crate::server::error::ApiError::from)?
        .ok_or_else(|| WebError::NotFound(format!("group {group:?} is not created yet")))?;
    let (profile, classes, organisations, persons, meetings, attendance, chair, terms, reviewers) =
        page_data;
    Ok(page(
        status,
        &RegistryPage {
            chrome: chrome(session, "registry"),
            group: log.group.clone(),
            topic,
            topics: TOPICS,
            now: iso(now),
            profile,
            classes,
            organisations,
            persons,
            meetings,
            attendance,
            chair,
            terms,
            reviewers,
            requests,
            logged,
            error,
            values,
        },
    ))
}

fn request_view(r: KeyRequest) -> RequestView {
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

/// `GET /groups/{group}/registry`: the members part.
pub async fn overview(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path(group): Path<String>,
) -> Result<Response, WebError> {
    let log = secretariat_log(&state, &session, &group).await?;
    render(&state, &session, &log, "members", Outcome::default()).await
}

/// `GET /groups/{group}/registry/{topic}`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, topic)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let topic = TOPICS
        .into_iter()
        .find(|t| *t == topic)
        .ok_or_else(|| WebError::NotFound(format!("no registry page {topic:?}")))?;
    let log = secretariat_log(&state, &session, &group).await?;
    render(&state, &session, &log, topic, Outcome::default()).await
}

/// Every form of these pages: its CSRF token and its fields by name.
#[derive(Deserialize)]
pub struct Fields {
    csrf: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.trim())
    }

    fn checked(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }
}

/// A field read into a value, or the error beside it.
type Read<T> = Result<T, FormError>;

fn required<'f>(fields: &'f Fields, form: &'static str, name: &'static str) -> Read<&'f str> {
    let value = fields.get(name);
    if value.is_empty() {
        return Err(FormError::field(form, name, "missing"));
    }
    Ok(value)
}

fn parse_id<T: std::str::FromStr>(
    fields: &Fields,
    form: &'static str,
    name: &'static str,
) -> Read<T> {
    required(fields, form, name)?
        .parse()
        .map_err(|_| FormError::field(form, name, "id"))
}

/// An instant: RFC 3339 UTC, or a date alone for its midnight UTC.
fn parse_time(text: &str) -> Option<Timestamp> {
    Timestamp::parse(text)
        .ok()
        .or_else(|| Timestamp::parse(&format!("{text}T00:00:00Z")).ok())
}

fn optional_time(
    fields: &Fields,
    form: &'static str,
    name: &'static str,
) -> Read<Option<Timestamp>> {
    let text = fields.get(name);
    if text.is_empty() {
        return Ok(None);
    }
    parse_time(text)
        .map(Some)
        .ok_or_else(|| FormError::field(form, name, "time"))
}

fn required_time(fields: &Fields, form: &'static str, name: &'static str) -> Read<Timestamp> {
    optional_time(fields, form, name)?.ok_or_else(|| FormError::field(form, name, "missing"))
}

/// A value of a `<select>`: one of `options`, else the form was not ours.
fn choice<T: Copy>(
    fields: &Fields,
    form: &'static str,
    name: &'static str,
    options: &[(&str, T)],
) -> Read<T> {
    let text = required(fields, form, name)?;
    options
        .iter()
        .find(|(t, _)| *t == text)
        .map(|(_, v)| *v)
        .ok_or_else(|| FormError::field(form, name, "choice"))
}

/// What a posted form asks for: a change to log, decided by a command.
enum Change {
    One(&'static str, String, Result<Recorded, CommandError>),
    Import(Result<Vec<Appended>, ImportFailure>),
}

/// `POST /groups/{group}/registry/{topic}/{form}`: one form of a registry
/// page.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, topic, form)): Path<(String, String, String)>,
    posted: Result<Form<Fields>, FormRejection>,
) -> Result<Response, WebError> {
    let fields = session.checked_form(posted, |f| f.csrf.as_str())?;
    let topic = TOPICS
        .into_iter()
        .find(|t| *t == topic)
        .ok_or_else(|| WebError::NotFound(format!("no registry page {topic:?}")))?;
    if form_name(&form).is_empty() {
        return Err(WebError::NotFound(format!("no registry form {form:?}")));
    }
    let log = secretariat_log(&state, &session, &group).await?;
    let values: BTreeMap<String, String> = fields.fields.clone();
    let change = match decide(&state, &log, &form, &fields).await {
        Ok(change) => change,
        Err(error) => {
            return render(
                &state,
                &session,
                &log,
                topic,
                Outcome {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    error,
                    values,
                    ..Outcome::default()
                },
            )
            .await;
        }
    };
    let form_name = form_name(&form);
    let (logged, error) = match change {
        Change::One(what, subject, Ok(recorded)) => {
            (Some(Logged::one(what, subject, &recorded)), None)
        }
        Change::One(_, _, Err(error)) => (None, Some(refusal(form_name, error)?)),
        Change::Import(Ok(appended)) => match (appended.first(), appended.last()) {
            (Some(first), Some(last)) => (
                Some(Logged::new(
                    "imported",
                    appended.len().to_string(),
                    first,
                    last,
                )),
                None,
            ),
            _ => {
                return Err(WebError::Internal(
                    "an import of valid rows appended no entry".into(),
                ));
            }
        },
        Change::Import(Err(ImportFailure::Command(error))) => {
            (None, Some(refusal(form_name, error)?))
        }
        Change::Import(Err(ImportFailure::File(error))) => (None, Some(import_error(&error))),
    };
    match (logged, error) {
        (Some(logged), _) => {
            render(
                &state,
                &session,
                &log,
                topic,
                Outcome {
                    logged: Some(logged),
                    ..Outcome::default()
                },
            )
            .await
        }
        (None, Some((status, error))) => {
            let outcome = Outcome {
                status,
                error,
                values,
                ..Outcome::default()
            };
            render(&state, &session, &log, topic, outcome).await
        }
        (None, None) => Err(WebError::Internal("no outcome".into())),
    }
}

/// The form's name as the template knows it (a static string).
fn form_name(form: &str) -> &'static str {
    const FORMS: [&str; 12] = [
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
    FORMS.into_iter().find(|f| *f == form).unwrap_or("")
}

/// A refusal of the log, shown beside its form with the server's reason;
/// anything else is the error page.
fn refusal(form: &'static str, error: CommandError) -> Result<(StatusCode, FormError), WebError> {
    let Some(refused) = error.refused() else {
        return Err(crate::server::error::ApiError::from(error).into());
    };
    let status = match refused.kind {
        RefusedKind::NotFound => StatusCode::NOT_FOUND,
        RefusedKind::Conflict => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok((
        status,
        FormError {
            form,
            code: "refused",
            detail: format!("{} ({})", refused.message, refused.code),
            ..FormError::default()
        },
    ))
}

/// A refused registration export: every faulty row by line and field, or
/// what is wrong with the file.
fn import_error(error: &ImportError) -> (StatusCode, FormError) {
    let rows = match error {
        ImportError::Rows(rows) => rows
            .iter()
            .map(|r| RowView {
                line: r.line.to_string(),
                field: r.field.unwrap_or(""),
                message: r.message.clone(),
            })
            .collect(),
        other => vec![RowView {
            line: match other {
                ImportError::NotUtf8 { line }
                | ImportError::Syntax { line, .. }
                | ImportError::FieldTooLong { line } => line.to_string(),
                _ => String::new(),
            },
            field: "",
            message: other.to_string(),
        }],
    };
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        FormError {
            form: "import",
            field: "csv",
            code: "csv",
            detail: String::new(),
            rows,
        },
    )
}

/// Reads `form` into domain values and runs its command.
async fn decide(state: &AppState, log: &Log, form: &str, f: &Fields) -> Read<Change> {
    Ok(match form {
        "organisation" => {
            let id: OrgId = parse_id(f, "organisation", "id")?;
            let class = CLASSES
                .into_iter()
                .find(|c| c.as_str() == f.get("class"))
                .ok_or_else(|| FormError::field("organisation", "class", "choice"))?;
            let organisation = Organisation {
                id: id.clone(),
                class,
                founding: f.checked("founding"),
                membership: Membership {
                    from: optional_time(f, "organisation", "from")?,
                    to: optional_time(f, "organisation", "to")?,
                },
            };
            Change::One(
                "organisation",
                id.to_string(),
                command::put_organisation(log, organisation).await,
            )
        }
        "person" => {
            let id: PersonId = parse_id(f, "person", "id")?;
            let organisation: OrgId = parse_id(f, "person", "organisation")?;
            let record = PersonRecord {
                id: id.clone(),
                organisation,
                on_membership_list: f.checked("membership_list"),
                reconfirmed: optional_time(f, "person", "reconfirmed")?,
            };
            Change::One(
                "person",
                id.to_string(),
                command::put_person(&state.store, log, record).await,
            )
        }
        "meeting" => {
            let id: MeetingId = parse_id(f, "meeting", "id")?;
            let format = choice(
                f,
                "meeting",
                "format",
                &[
                    ("face-to-face", MeetingFormat::FaceToFace),
                    ("online", MeetingFormat::Online),
                    ("hybrid", MeetingFormat::Hybrid),
                ],
            )?;
            let meeting = Meeting {
                id: id.clone(),
                plenary: f.checked("plenary"),
                format,
                start: required_time(f, "meeting", "start")?,
                end: required_time(f, "meeting", "end")?,
                kick_off: f.checked("kick_off"),
            };
            Change::One(
                "meeting",
                id.to_string(),
                command::put_meeting(log, meeting).await,
            )
        }
        "attendance" => {
            let record = Attendance {
                meeting: parse_id(f, "attendance", "meeting")?,
                person: parse_id(f, "attendance", "person")?,
                organisation: parse_id(f, "attendance", "organisation")?,
                mode: parse_mode(required(f, "attendance", "mode")?)
                    .ok_or_else(|| FormError::field("attendance", "mode", "choice"))?,
            };
            let subject = format!("{} {}", record.person, record.meeting);
            Change::One(
                "attendance",
                subject,
                command::put_attendance(log, record).await,
            )
        }
        "attendance-remove" => {
            let removed = AttendanceRemoved {
                meeting: parse_id(f, "attendance-remove", "meeting")?,
                person: parse_id(f, "attendance-remove", "person")?,
            };
            let subject = format!("{} {}", removed.person, removed.meeting);
            Change::One(
                "attendance-removed",
                subject,
                command::remove_attendance(log, removed).await,
            )
        }
        "import" => {
            let csv = f.fields.get("csv").cloned().unwrap_or_default();
            if csv.trim().is_empty() {
                return Err(FormError::field("import", "csv", "missing"));
            }
            Change::Import(command::import(log, csv.into_bytes()).await)
        }
        "chair" => {
            let person: PersonId = parse_id(f, "chair", "person")?;
            let acting = f.checked("acting");
            let from = optional_time(f, "chair", "from")?;
            Change::One(
                if acting { "acting-chair" } else { "chair" },
                person.to_string(),
                command::appoint_chair(log, person, from, acting).await,
            )
        }
        "chair-end" => {
            let acting = f.checked("acting");
            Change::One(
                if acting {
                    "acting-chair-ended"
                } else {
                    "chair-ended"
                },
                String::new(),
                command::end_chair(log, None, acting).await,
            )
        }
        "reviewer" => {
            let person: PersonId = parse_id(f, "reviewer", "person")?;
            Change::One(
                "reviewer",
                person.to_string(),
                command::appoint_reviewer(log, person).await,
            )
        }
        "reviewer-release" => {
            let person: PersonId = parse_id(f, "reviewer-release", "person")?;
            Change::One(
                "reviewer-released",
                person.to_string(),
                command::release_reviewer(log, person).await,
            )
        }
        "approve" => {
            let id = required(f, "approve", "request")?.to_owned();
            let recorded = command::approve_key_request(state, log, &id).await;
            let subject = recorded
                .as_ref()
                .ok()
                .map(|_| id.clone())
                .unwrap_or_default();
            Change::One("key", subject, recorded)
        }
        "revoke" => {
            let person: PersonId = parse_id(f, "revoke", "person")?;
            let key_id = required(f, "revoke", "key_id")?.to_owned();
            let subject = format!("{key_id} {person}");
            Change::One(
                "key-revoked",
                subject,
                command::revoke_key(log, person, key_id).await,
            )
        }
        _ => return Err(FormError::field("", "", "unknown-form")),
    })
}
