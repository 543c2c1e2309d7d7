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
//! same function in [`commands::registry`] as the JSON API
//! (`forms.rs`). A change logged is answered `303 See Other` to the page
//! (Post/Redirect/Get: a reload never posts it again), which then says
//! once what was logged, in words (the entry's index, the checkpoint that
//! covers it), from the session's flash (`flash.rs`). A refusal re-renders
//! the page with the form's values and the server's reason beside it.
//!
//! [`commands::registry`]: crate::server::commands::registry

mod forms;
mod view;

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use self::forms::{Change, FORMS, Fields};
use self::view::{
    AttendanceView, MeetingView, OrgView, PersonView, ProfileView, RequestView, TermView,
};
use super::WebError;
use super::flash::{Flash, see_other};
use super::pages::chrome;
use super::render::{Chrome, iso, page};
use super::session::Session;
use crate::registry::csv::ImportError;
use crate::rules::OrgClass;
use crate::server::auth::Action;
use crate::server::commands::registry::{ImportFailure, Recorded};
use crate::server::commands::{CommandError, RefusedKind};
use crate::server::sequencer::Appended;
use crate::server::{AppState, Log};

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
        .map(view::request)
        .collect();
    let group = log.group.clone();
    // The published registry, which a batch being committed does not hold
    // up (a change made here is published before its answer).
    let r = match log.published() {
        Some(published) => published
            .registry
            .as_deref()
            .map(|r| view::registry(r, &accounts, now)),
        None => log
            .read(move |loaded| {
                let r = loaded.state.registry.as_ref()?;
                Some(view::registry(r, &accounts, now))
            })
            .await
            .map_err(crate::server::error::ApiError::from)?,
    }
    .ok_or_else(|| WebError::NotFound(format!("group {group:?} is not created yet")))?;
    Ok(page(
        status,
        &RegistryPage {
            chrome: chrome(session, "registry"),
            group: log.group.clone(),
            topic,
            topics: TOPICS,
            now: iso(now),
            profile: r.profile,
            classes: r.classes,
            organisations: r.organisations,
            persons: r.persons,
            meetings: r.meetings,
            attendance: r.attendance,
            chair: r.chair,
            terms: r.terms,
            reviewers: r.reviewers,
            requests,
            logged,
            error,
            values,
        },
    ))
}

/// `GET /groups/{group}/registry`: the members part.
pub async fn overview(
    state: State<Arc<AppState>>,
    session: Session,
    Path(group): Path<String>,
) -> Result<Response, WebError> {
    show(state, session, Path((group, "members".to_owned()))).await
}

/// `GET /groups/{group}/registry/{topic}`, with what the last change of
/// this session in this group logged, once.
pub async fn show(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, topic)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let topic = topic_of(&topic)?;
    let log = secretariat_log(&state, &session, &group).await?;
    let logged = match state.web.flashes.take(
        session.id_hash(),
        |flash| matches!(flash, Flash::Registry { group, .. } if *group == log.group),
    ) {
        Some(Flash::Registry { logged, .. }) => Some(logged),
        _ => None,
    };
    let outcome = Outcome {
        logged,
        ..Outcome::default()
    };
    render(&state, &session, &log, topic, outcome).await
}

fn topic_of(topic: &str) -> Result<&'static str, WebError> {
    TOPICS
        .into_iter()
        .find(|t| *t == topic)
        .ok_or_else(|| WebError::NotFound(format!("no registry page {topic:?}")))
}

/// `POST /groups/{group}/registry/{topic}/{form}`: one form of a registry
/// page. Logged: 303 to the page, which says what was logged; refused:
/// the page again with the form's values and the reason.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, topic, form)): Path<(String, String, String)>,
    posted: Result<Form<Fields>, FormRejection>,
) -> Result<Response, WebError> {
    let fields = session.checked_form(posted, |f| f.csrf.as_str())?;
    let topic = topic_of(&topic)?;
    let form_name = FORMS
        .into_iter()
        .find(|f| *f == form)
        .ok_or_else(|| WebError::NotFound(format!("no registry form {form:?}")))?;
    let log = secretariat_log(&state, &session, &group).await?;
    let refused = |status, error| Outcome {
        status,
        error,
        values: fields.fields.clone(),
        ..Outcome::default()
    };
    let change = match forms::decide(&state, &log, form_name, &fields).await {
        Ok(change) => change,
        Err(error) => {
            let outcome = refused(StatusCode::UNPROCESSABLE_ENTITY, error);
            return render(&state, &session, &log, topic, outcome).await;
        }
    };
    let logged = match change {
        Change::One(what, subject, Ok(recorded)) => Ok(Logged::one(what, subject, &recorded)),
        Change::One(_, _, Err(error)) | Change::Import(Err(ImportFailure::Command(error))) => {
            Err(refusal(form_name, error)?)
        }
        Change::Import(Ok(appended)) => match (appended.first(), appended.last()) {
            (Some(first), Some(last)) => Ok(Logged::new(
                "imported",
                appended.len().to_string(),
                first,
                last,
            )),
            _ => {
                return Err(WebError::Internal(
                    "an import of valid rows appended no entry".into(),
                ));
            }
        },
        Change::Import(Err(ImportFailure::File(error))) => Err(import_error(&error)),
    };
    match logged {
        Ok(logged) => {
            let group = log.group.clone();
            let location = format!("/groups/{group}/registry/{topic}");
            state
                .web
                .flashes
                .put(session.id_hash(), Flash::Registry { group, logged });
            Ok(see_other(&location))
        }
        Err((status, error)) => render(&state, &session, &log, topic, refused(status, error)).await,
    }
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
