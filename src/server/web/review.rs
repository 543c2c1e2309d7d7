//! The chair certifies, a member appeals, a reviewer decides, in the
//! browser (SPEC section 8, "Chairs", "Reviewers and members").
//!
//! Each is a signed statement, made as the announcement is: the server
//! writes the exact note from what the log holds and what the person wrote
//! ([`CertificationNote::from_tally`], [`AppealNote::text`],
//! [`DecisionNote::text`]), reads it back with the parser the log uses,
//! and shows it; the module (`static/scrutineer.js`) signs that text with
//! the person's WebCrypto key, unchanged, and sends it as JSON with the
//! session's `X-CSRF-Token` to the page's `…/signed` address, which hands
//! it to the same function in [`commands::review`] as the JSON API.
//!
//! - `GET /groups/{group}/ballots/{ballot}/certify`: the chair in office,
//!   after the tally: the certification note over the log's current
//!   signed checkpoint (the module checks that checkpoint under the
//!   pinned log key before signing); `POST …/certify/signed`.
//! - `GET …/appeal`: a delegate of the group (the log decides who may
//!   appeal: a representative of an ISG Member or Participant) writes
//!   which decision of the chair is appealed and the grounds;
//!   `POST …/appeal` shows the note; `POST …/appeal/signed` logs it with
//!   the notification owed to the chair.
//! - `GET …/appeals`: an appeal reviewer reads the ballot, its result and
//!   every appeal, and decides one (`upheld`, `overturned`) with reasons;
//!   `POST …/appeals/{appeal}` shows the note;
//!   `POST …/appeals/{appeal}/signed` logs it with the notification owed
//!   to the appellant.
//!
//! [`commands::review`]: crate::server::commands::review

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::WebError;
use super::pages::chrome;
use super::render::{Chrome, iso, page};
use super::session::Session;
use super::view::{self, BallotSummary};
use crate::ballot::{
    Against, AppealNote, CertificationNote, DecisionNote, Ruling, TallyQuestion, TrackedBallot,
    hash_text, split_free_text,
};
use crate::id::{BallotId, PersonId};
use crate::server::auth::Action;
use crate::server::commands::review::{self as command, Statement};
use crate::server::error::ApiError;
use crate::server::{AppState, Log};
use crate::tlog::Hash;
use crate::tlog::checkpoint::Checkpoint;

/// The largest signed statement the module sends: a statement note is at
/// most [`crate::ballot::STATEMENT_NOTE_MAX_BYTES`], JSON-escaped.
pub const MAX_STATEMENT_BYTES: usize = 2 * crate::ballot::STATEMENT_NOTE_MAX_BYTES + 1024;

/// An appeal as the pages list it.
pub struct AppealView {
    /// `sha256:<hex>` of its note.
    pub id: String,
    /// The hex alone, for addresses.
    pub hex: String,
    pub appellant: String,
    pub organisation: String,
    /// `announcement`, `cancellation`, `certification`.
    pub against: &'static str,
    pub grounds: Vec<String>,
    pub index: u64,
    pub at: String,
    /// The reviewer's decision: reviewer, `upheld`/`overturned`, reasons,
    /// index.
    pub decision: Option<(String, &'static str, Vec<String>, u64)>,
}

/// What every statement page shows of the ballot.
pub struct Facts {
    pub summary: BallotSummary,
    pub title: String,
    pub results: Vec<TallyQuestion>,
    /// The certification: the chair, its entry, the tree size it names.
    pub certified: Option<(String, u64, u64)>,
    /// An appeal overturned the announcement or the certification.
    pub annulled: bool,
    pub appeals: Vec<AppealView>,
}

fn facts(id: &str, tracked: &TrackedBallot) -> Facts {
    let lifecycle = &tracked.lifecycle;
    Facts {
        summary: view::summary(id, tracked),
        title: lifecycle
            .announced()
            .subject
            .as_ref()
            .map(|s| s.title.clone())
            .unwrap_or_default(),
        results: lifecycle
            .tally()
            .map(|t| t.questions.clone())
            .unwrap_or_default(),
        certified: lifecycle
            .certification()
            .map(|c| (c.chair.to_string(), c.index, c.size)),
        annulled: tracked.annulled(),
        appeals: tracked
            .appeals
            .iter()
            .map(|a| AppealView {
                id: hash_text(&a.note),
                hex: a.note.to_hex(),
                appellant: a.appellant.to_string(),
                organisation: a.organisation.to_string(),
                against: a.against.as_str(),
                grounds: a.grounds.clone(),
                index: a.index,
                at: iso(a.at),
                decision: a.decision.as_ref().map(|d| {
                    (
                        d.reviewer.to_string(),
                        d.outcome.as_str(),
                        d.reasons.clone(),
                        d.index,
                    )
                }),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    chrome: Chrome,
    group: String,
    /// `certify`, `appeal` or `appeals`.
    kind: &'static str,
    facts: Facts,
    /// Why nothing can be signed here now (a code), or empty.
    blocked: &'static str,
    /// The exact note to sign, once there is one.
    note: String,
    /// The signed checkpoint the certification names (the module checks
    /// it under the pinned log key).
    checkpoint: String,
    /// Where the module sends the signed note.
    post: String,
    /// The person's registered key ids.
    keys: Vec<String>,
    /// The form's values given back: `against`, `grounds`, the appeal
    /// being decided (hex), `outcome`, `reasons`.
    form: StatementForm,
    /// The field at fault (`grounds`, `against`, `outcome`, `reasons`) or
    /// `note` for the parser's refusal in `detail`.
    field: &'static str,
    detail: String,
}

/// The fields of the appeal and decision forms.
#[derive(Deserialize, Default)]
pub struct StatementForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    against: String,
    #[serde(default)]
    grounds: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    reasons: String,
    #[serde(skip)]
    deciding: String,
}

/// What a page needs from the log, read at once.
struct Context {
    facts: Facts,
    origin: crate::tlog::checkpoint::Origin,
    keys: Vec<String>,
    tally: Option<crate::ballot::TallyDocument>,
    size: u64,
}

async fn context(
    log: &Log,
    ballot: &str,
    person: &str,
    now: crate::time::Timestamp,
) -> Result<Context, WebError> {
    let (ballot, person) = (ballot.to_owned(), person.to_owned());
    let group = log.group.clone();
    log.read(move |loaded| {
        let tracked = loaded.state.book.ballot(&ballot)?;
        Some(Context {
            facts: facts(&ballot, tracked),
            origin: loaded.state.book.origin().clone(),
            keys: loaded
                .state
                .registry
                .as_ref()
                .map(|r| {
                    r.keys_of(&person)
                        .iter()
                        .filter(|k| k.valid_at(now))
                        .map(|k| k.key.id().to_string())
                        .collect()
                })
                .unwrap_or_default(),
            tally: tracked.lifecycle.tally().cloned(),
            size: loaded.size,
        })
    })
    .await
    .map_err(ApiError::from)?
    .ok_or_else(|| WebError::NotFound(format!("no ballot in group {group:?} by that name")))
}

/// The page of `kind` for `ballot`, with what the handler found.
fn render(
    session: &Session,
    log: &Log,
    kind: &'static str,
    context: Context,
    fill: impl FnOnce(&mut StatementPage),
) -> Response {
    let mut statement = StatementPage {
        chrome: chrome(session, "home"),
        group: log.group.clone(),
        kind,
        facts: context.facts,
        blocked: "",
        note: String::new(),
        checkpoint: String::new(),
        post: String::new(),
        keys: context.keys,
        form: StatementForm::default(),
        field: "",
        detail: String::new(),
    };
    fill(&mut statement);
    let status = if statement.field.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(status, &statement)
}

/// A statement written in the page: a choice (what is appealed, the
/// ruling), `None` when the form's value is not one, and free text (the
/// grounds, the reasons) as lines; each with its form field's name.
struct Written<C> {
    choice: (&'static str, Option<C>),
    lines: (&'static str, Vec<String>),
}

impl<C> Written<C> {
    /// The exact note `build` writes from the choice and the lines, once
    /// read back by `parse` (the log's own parser); or the field at fault
    /// and the parser's reason: a choice that is not one, text left
    /// blank, or a note the parser refuses.
    fn note(
        self,
        build: impl FnOnce(C, Vec<String>) -> String,
        parse: impl FnOnce(&str) -> Result<(), String>,
    ) -> Result<String, (&'static str, String)> {
        let (choice_field, choice) = self.choice;
        let (lines_field, lines) = self.lines;
        let choice = choice.ok_or((choice_field, String::new()))?;
        if lines.iter().all(|l| l.trim().is_empty()) {
            return Err((lines_field, String::new()));
        }
        let text = build(choice, lines);
        parse(&text).map_err(|e| (lines_field, e))?;
        Ok(text)
    }
}

/// The page of `kind` after a statement was written: its exact note to
/// sign, posted to `post`, or the field at fault, with the form given
/// back.
fn render_reviewed(
    session: &Session,
    log: &Log,
    kind: &'static str,
    context: Context,
    checked: Result<String, (&'static str, String)>,
    post: String,
    form: StatementForm,
) -> Response {
    render(session, log, kind, context, |p| {
        match checked {
            Ok(text) => p.note = text,
            Err((field, detail)) => {
                p.field = field;
                p.detail = detail;
            }
        }
        p.post = post;
        p.form = form;
    })
}

/// The group's log, if the session's person may take `action` in it
/// (`refused` otherwise), and what the pages show of `ballot`.
async fn authorised(
    state: &AppState,
    session: &Session,
    group: &str,
    ballot: &str,
    action: Action,
    refused: &str,
) -> Result<(Arc<Log>, Context), WebError> {
    let log = session.authorise(state, group, action, refused).await?;
    let context = context(&log, ballot, &session.person, state.clock.now()).await?;
    Ok((log, context))
}

/// `GET /groups/{group}/ballots/{ballot}/certify`.
pub async fn certify_page(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, ballot)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (log, context) = authorised(
        &state,
        &session,
        &group,
        &ballot,
        Action::CertifyBallot,
        "you are not the chair",
    )
    .await?;
    let blocked = match (&context.tally, &context.facts.certified) {
        (_, Some(_)) => "certified",
        (None, None) => "not-tallied",
        (Some(_), None) => "",
    };
    let (mut note, mut checkpoint) = (String::new(), String::new());
    if let Some(tally) = context.tally.as_ref().filter(|_| blocked.is_empty()) {
        // The log's newest signed checkpoint: its tree contains the tally.
        let signed = state
            .store
            .checkpoint_at(&log.group, context.size)
            .await?
            .ok_or_else(|| WebError::Internal(format!("no checkpoint at size {}", context.size)))?;
        checkpoint = String::from_utf8_lossy(&signed).into_owned();
        let body = checkpoint
            .split_once("\n\n")
            .map(|(body, _)| format!("{body}\n"))
            .unwrap_or_default();
        let head = Checkpoint::parse(&body)
            .map_err(|e| WebError::Internal(format!("the log's checkpoint: {e}")))?;
        note = CertificationNote::from_tally(
            context.origin.clone(),
            tally,
            head.size().get(),
            *head.root(),
        )
        .map_err(WebError::Internal)?
        .text();
    }
    let post = format!("/groups/{group}/ballots/{ballot}/certify/signed");
    Ok(render(&session, &log, "certify", context, |p| {
        p.blocked = blocked;
        p.note = note;
        p.checkpoint = checkpoint;
        p.post = post;
    }))
}

/// `GET /groups/{group}/ballots/{ballot}/appeal`.
pub async fn appeal_page(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, ballot)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (log, context) = authorised(
        &state,
        &session,
        &group,
        &ballot,
        Action::FileAppeal,
        "you may not appeal",
    )
    .await?;
    let against = if context.facts.certified.is_some() {
        "certification"
    } else if context.facts.summary.state == "cancelled" {
        "cancellation"
    } else {
        "announcement"
    };
    Ok(render(&session, &log, "appeal", context, |p| {
        p.form.against = against.to_owned();
    }))
}

/// `POST /groups/{group}/ballots/{ballot}/appeal`: the exact appeal note.
pub async fn appeal_review(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, ballot)): Path<(String, String)>,
    posted: Result<Form<StatementForm>, FormRejection>,
) -> Result<Response, WebError> {
    let form = session.checked_form(posted, |f| f.csrf.as_str())?;
    let (log, context) = authorised(
        &state,
        &session,
        &group,
        &ballot,
        Action::FileAppeal,
        "you may not appeal",
    )
    .await?;
    let id = BallotId::new(&ballot).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let origin = context.origin.clone();
    let written = Written {
        choice: ("against", Against::parse(&form.against).ok()),
        lines: ("grounds", split_free_text(&form.grounds)),
    };
    let checked = written.note(
        |against, grounds| {
            AppealNote {
                origin,
                ballot: id,
                against,
                grounds,
            }
            .text()
        },
        |text| AppealNote::parse_text(text).map(|_| ()),
    );
    let post = format!("/groups/{group}/ballots/{ballot}/appeal/signed");
    Ok(render_reviewed(
        &session, &log, "appeal", context, checked, post, form,
    ))
}

/// `GET /groups/{group}/ballots/{ballot}/appeals`: the reviewer's page.
pub async fn appeals_page(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, ballot)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (log, context) = authorised(
        &state,
        &session,
        &group,
        &ballot,
        Action::DecideAppeal,
        "you are not an appeal reviewer",
    )
    .await?;
    Ok(render(&session, &log, "appeals", context, |_| {}))
}

/// The appeal named in a path: 64 lowercase hexadecimal digits.
fn appeal_hash(text: &str) -> Result<Hash, WebError> {
    let hex = text.strip_prefix("sha256:").unwrap_or(text);
    Hash::from_hex(hex)
        .ok()
        .filter(|h| h.to_hex() == hex)
        .ok_or_else(|| {
            WebError::BadRequest("an appeal is named by 64 lowercase hexadecimal digits".into())
        })
}

/// `POST /groups/{group}/ballots/{ballot}/appeals/{appeal}`: the exact
/// decision note.
pub async fn decision_review(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, ballot, appeal)): Path<(String, String, String)>,
    posted: Result<Form<StatementForm>, FormRejection>,
) -> Result<Response, WebError> {
    let mut form = session.checked_form(posted, |f| f.csrf.as_str())?;
    let (log, context) = authorised(
        &state,
        &session,
        &group,
        &ballot,
        Action::DecideAppeal,
        "you are not an appeal reviewer",
    )
    .await?;
    let hash = appeal_hash(&appeal)?;
    if !context.facts.appeals.iter().any(|a| a.hex == hash.to_hex()) {
        return Err(WebError::NotFound(format!(
            "no appeal {appeal:?} on ballot {ballot:?}"
        )));
    }
    form.deciding = hash.to_hex();
    let id = BallotId::new(&ballot).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let origin = context.origin.clone();
    let written = Written {
        choice: ("outcome", Ruling::parse(&form.outcome).ok()),
        lines: ("reasons", split_free_text(&form.reasons)),
    };
    let checked = written.note(
        |outcome, reasons| {
            DecisionNote {
                origin,
                ballot: id,
                appeal: hash,
                outcome,
                reasons,
            }
            .text()
        },
        |text| DecisionNote::parse_text(text).map(|_| ()),
    );
    let post = format!(
        "/groups/{group}/ballots/{ballot}/appeals/{}/signed",
        hash.to_hex()
    );
    Ok(render_reviewed(
        &session, &log, "appeals", context, checked, post, form,
    ))
}

/// The signed statement the module sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    note: String,
}

/// What the module is told: where the statement is in the log.
#[derive(Serialize)]
struct Logged {
    index: u64,
    size: u64,
    /// The appeal's id, for an appeal.
    #[serde(skip_serializing_if = "Option::is_none")]
    appeal: Option<String>,
}

/// The session, its CSRF header and the JSON body of a `…/signed` post,
/// as the announcement's: problems, not pages.
fn signed_statement(
    session: Option<&Session>,
    headers: &HeaderMap,
    body: &[u8],
    ballot: &str,
) -> Result<Statement, ApiError> {
    let session = session.ok_or(ApiError::Unauthenticated)?;
    super::csrf::require_header(&session.csrf, headers)?;
    let signed: Signed = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            "malformed-json",
            format!("the body must be JSON {{\"note\": …}}: {e}"),
        )
    })?;
    Ok(Statement {
        note: signed.note.into_bytes(),
        person: PersonId::new(&session.person)
            .map_err(|e| ApiError::Internal(format!("a session's person: {e}")))?,
        ballot: BallotId::new(ballot)
            .map_err(|e| ApiError::bad_request("invalid-id", format!("ballot: {e}")))?,
    })
}

fn created(index: u64, size: u64, appeal: Option<String>) -> Response {
    (
        StatusCode::CREATED,
        Json(Logged {
            index,
            size,
            appeal,
        }),
    )
        .into_response()
}

/// `POST /groups/{group}/ballots/{ballot}/certify/signed`.
pub async fn certify_signed(
    State(state): State<Arc<AppState>>,
    session: Option<Session>,
    Path((group, ballot)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let statement = signed_statement(session.as_ref(), &headers, &body, &ballot)?;
    let session = session.ok_or(ApiError::Unauthenticated)?;
    let log = session
        .authorise(
            &state,
            &group,
            Action::CertifyBallot,
            "you are not the chair",
        )
        .await?;
    let appended = command::certify(&state.store, &log, statement).await?;
    Ok(created(appended.index, appended.size, None))
}

/// `POST /groups/{group}/ballots/{ballot}/appeal/signed`.
pub async fn appeal_signed(
    State(state): State<Arc<AppState>>,
    session: Option<Session>,
    Path((group, ballot)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let statement = signed_statement(session.as_ref(), &headers, &body, &ballot)?;
    let session = session.ok_or(ApiError::Unauthenticated)?;
    let log = session
        .authorise(&state, &group, Action::FileAppeal, "you may not appeal")
        .await?;
    let filed = command::appeal(&log, statement).await?;
    Ok(created(
        filed.appended.index,
        filed.appended.size,
        Some(hash_text(&filed.appeal)),
    ))
}

/// `POST /groups/{group}/ballots/{ballot}/appeals/{appeal}/signed`.
pub async fn decision_signed(
    State(state): State<Arc<AppState>>,
    session: Option<Session>,
    Path((group, ballot, appeal)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let statement = signed_statement(session.as_ref(), &headers, &body, &ballot)?;
    let appeal =
        appeal_hash(&appeal).map_err(|e| ApiError::bad_request("invalid-hash", e.to_string()))?;
    let session = session.ok_or(ApiError::Unauthenticated)?;
    let log = session
        .authorise(
            &state,
            &group,
            Action::DecideAppeal,
            "you are not an appeal reviewer",
        )
        .await?;
    let appended = command::decide_appeal(&log, appeal, statement).await?;
    Ok(created(appended.index, appended.size, None))
}
