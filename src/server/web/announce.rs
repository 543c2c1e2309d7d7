//! The chair announces a ballot in the browser (SPEC section 8, "Chair").
//!
//! - `GET /groups/{group}/announce`: the draft form (ballot id, title,
//!   kind, questions with their text, window), with the notice rule
//!   explained: the earliest opening of a ballot announced now, or in an
//!   ITU-T group the earliest start of the study-group meeting a
//!   consultation (which opens at its announcement) prepares.
//! - `POST /groups/{group}/announce`: the draft read into the exact
//!   announcement note ([`AnnouncementNote::text`]), read back by the
//!   server's own parser ([`AnnouncementNote::parse_text`]), its schedule
//!   checked by the rules' [`check_schedule`] on the registry as it stands
//!   and its signer checked against the chair in office: every refusal is
//!   in words before anything is signed. The answer shows the note's text,
//!   which the module (`static/scrutineer.js`) signs with the chair's
//!   WebCrypto key, unchanged.
//! - `POST /groups/{group}/announce/signed`: the signed note, as JSON
//!   `{"announcement": "…"}` with the session's `X-CSRF-Token`, handed to
//!   [`commands::ballots::announce`], the function the API's
//!   `POST /v1/groups/{group}/ballots` calls; the answer is the entry's
//!   index and checkpoint, or a problem with the server's reason. The
//!   announcement's check in the sequencer is the one that counts; the
//!   review step's checks only spare the chair a signature that would be
//!   refused.
//!
//! `GET …/announce?ballot=B` fills the draft from B's announcement while B
//! waits to open, to change it and announce it again (the log takes a
//! re-announcement until the opening).
//!
//! Documents voted on: the module reads each file picked on the draft
//! form, computes its SHA-256 and size in the browser, keeps the bytes on
//! the device (IndexedDB) and writes the document's line
//! (`sha256:<hex> <size> <media type> <file name>`) into the draft's
//! `documents` field, so that the note the server writes names each one
//! (read back by [`DocumentRef::parse_line`]). The review step lists each
//! document's name and SHA-256; the signed submission carries the bytes,
//! base64, as the API's does, and [`commands::ballots::announce`] stores
//! exactly those the note names, under the API's upload limit
//! (`--max-upload-bytes`).

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};

use super::WebError;
use super::flash::{Flash, see_other};
use super::pages::chrome;
use super::render::{Chrome, iso, page};
use super::session::Session;
use super::view::{self, BallotSummary};
use crate::ballot::announcement::{AnnouncementNote, DocumentRef, Subject};
use crate::id::{BallotId, MeetingId, QuestionId};
use crate::rules::BallotKind;
use crate::rules::check_schedule;
use crate::rules::what_if::earliest_opening;
use crate::server::auth::Action;
use crate::server::commands;
use crate::server::error::ApiError;
use crate::server::{AppState, Log};
use crate::time::Timestamp;

/// A document voted on, as the draft and the review step list it.
pub struct DocumentView {
    /// SHA-256 of its bytes, 64 lowercase hexadecimal digits.
    sha256: String,
    size: u64,
    media_type: String,
    file_name: String,
}

impl From<&DocumentRef> for DocumentView {
    fn from(d: &DocumentRef) -> Self {
        Self {
            sha256: d.sha256.to_hex(),
            size: d.size,
            media_type: d.media_type.clone(),
            file_name: d.file_name.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "announce.html")]
struct AnnouncePage {
    chrome: Chrome,
    group: String,
    now: String,
    earliest: String,
    /// The group's profile (`etsi-isg`, `itu-t-tap`): which kinds the
    /// draft offers and how the notice rule reads.
    profile: &'static str,
    /// The meetings a meeting vote may name.
    meetings: Vec<String>,
    /// The draft's fields, given back.
    draft: Draft,
    /// The field at fault, and why (`missing`, `id`, `time`, `questions`).
    field: &'static str,
    code: &'static str,
    /// The rules' or the parser's reason for refusing the draft.
    refusal: String,
    /// The exact note text to sign, once the draft passed.
    note: String,
    /// The chair's registered key ids, for the module's key check.
    keys: Vec<String>,
    /// The notice rule on the draft's kind and dates (`notice.rs`).
    dates: super::notice::Dates,
    /// The documents the note names, shown before signing.
    documents: Vec<DocumentView>,
    /// The largest signed announcement accepted with its documents
    /// (`--max-upload-bytes`), for the module's check before sending.
    max_upload: usize,
    /// The most documents and the largest one, as the note allows.
    documents_max: usize,
    document_max_bytes: u64,
    /// Ballots that may still be cancelled.
    upcoming: Vec<BallotSummary>,
    /// A cancellation just logged: the ballot, the entry's index and the
    /// log's size after it.
    cancelled: Option<(String, u64, u64)>,
    /// The announced ballot the draft was filled from, to be announced
    /// again, and whether its announcement named documents (which the page
    /// cannot attach yet).
    again: Option<(String, bool)>,
}

impl AnnouncePage {
    fn invalid(&self, field: &str) -> bool {
        self.field == field
    }
}

/// The draft form.
#[derive(Deserialize, Default)]
pub struct Draft {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) ballot: String,
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) meeting: String,
    /// One question a line: its id, a space, its text.
    #[serde(default)]
    pub(super) questions: String,
    #[serde(default)]
    pub(super) opens: String,
    #[serde(default)]
    pub(super) closes: String,
    /// A consultation's study-group meeting start.
    #[serde(default)]
    pub(super) meeting_start: String,
    /// The documents voted on, one a line as the note names them
    /// (`sha256:<hex> <size> <media type> <file name>`), written by the
    /// module as files are picked.
    #[serde(default)]
    pub(super) documents: String,
    /// `dates` when the form's "Check the dates" button sent it: the page
    /// comes back with the notice rule applied, and no note.
    #[serde(default)]
    step: String,
}

impl Draft {
    /// The form's CSRF token.
    pub(super) fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// What the page needs from the group's log.
struct Context {
    earliest: String,
    profile: &'static str,
    /// Ballots announced and not yet open, which may still be cancelled.
    upcoming: Vec<BallotSummary>,
    meetings: Vec<String>,
    keys: Vec<String>,
    chair: bool,
}

async fn context(log: &Log, person: String, now: Timestamp) -> Result<Context, WebError> {
    log.read(move |loaded| {
        loaded.state.registry.as_ref().map(|r| Context {
            earliest: earliest_opening(r.parameters(), now)
                .map(iso)
                .unwrap_or_default(),
            profile: r.profile().as_str(),
            upcoming: loaded
                .state
                .book
                .ballots()
                .map(|(id, tracked)| view::summary(id.as_str(), tracked))
                .filter(|b| b.state == "announced")
                .collect(),
            meetings: r.meetings().map(|m| m.id.to_string()).collect(),
            keys: r
                .keys_of(&person)
                .iter()
                .filter(|k| k.revoked.is_none())
                .map(|k| k.key.id().to_string())
                .collect(),
            chair: r.chair_at(now).is_some_and(|p| p.as_str() == person),
        })
    })
    .await
    .map_err(ApiError::from)?
    .ok_or_else(|| WebError::NotFound(format!("group {:?} is not created yet", log.group)))
}

async fn chair_log(state: &AppState, session: &Session, group: &str) -> Result<Arc<Log>, WebError> {
    Ok(session
        .authorise(
            state,
            group,
            Action::AnnounceBallot,
            "you are not the chair",
        )
        .await?)
}

/// The outcome of a draft: the field at fault and why, the rules'
/// refusal, or the note to sign.
#[derive(Default)]
struct Review {
    cancelled: Option<(String, u64, u64)>,
    again: Option<(String, bool)>,
    field: &'static str,
    code: &'static str,
    refusal: String,
    note: String,
    documents: Vec<DocumentView>,
    dates: super::notice::Dates,
}

fn render(
    state: &AppState,
    session: &Session,
    log: &Log,
    now: Timestamp,
    context: Context,
    draft: Draft,
    review: Review,
) -> Response {
    let Review {
        field,
        code,
        refusal,
        note,
        documents,
        cancelled,
        again,
        dates,
    } = review;
    let status = if field.is_empty() && refusal.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(
        status,
        &AnnouncePage {
            chrome: chrome(session, "announce"),
            group: log.group.clone(),
            now: iso(now),
            earliest: context.earliest,
            profile: context.profile,
            meetings: context.meetings,
            draft,
            field,
            code,
            refusal,
            note,
            keys: context.keys,
            dates,
            documents,
            max_upload: state.web.max_upload_bytes,
            documents_max: crate::ballot::announcement::DOCUMENTS_MAX,
            document_max_bytes: crate::ballot::announcement::DOCUMENT_MAX_BYTES,
            upcoming: context.upcoming,
            cancelled,
            again,
        },
    )
}

/// `GET /groups/{group}/announce?ballot=…`: the ballot to announce again.
#[derive(Deserialize, Default)]
pub struct Again {
    #[serde(default)]
    ballot: String,
}

/// The draft of the announced (not yet open) ballot `id`, to change and
/// announce again, and whether it named documents.
async fn draft_of(log: &Log, id: String) -> Result<Option<(Draft, bool)>, WebError> {
    Ok(log
        .read(move |loaded| {
            let tracked = loaded.state.book.ballot(&id)?;
            let crate::ballot::Lifecycle::Announced(announced) = &tracked.lifecycle else {
                return None;
            };
            let ballot = &announced.ballot;
            let subject = announced.subject.as_deref();
            let texts = subject.map(|s| s.questions.clone()).unwrap_or_default();
            let questions = ballot
                .questions
                .iter()
                .enumerate()
                .map(|(i, q)| format!("{q} {}", texts.get(i).map_or("", String::as_str)))
                .collect::<Vec<_>>()
                .join("\n");
            let (kind, meeting, meeting_start) = match &ballot.kind {
                BallotKind::Correspondence => ("correspondence", String::new(), String::new()),
                BallotKind::Meeting { meeting } => ("meeting", meeting.to_string(), String::new()),
                BallotKind::Consultation { meeting_start } => {
                    ("consultation", String::new(), iso(*meeting_start))
                }
            };
            let draft = Draft {
                ballot: id.clone(),
                title: subject.map(|s| s.title.clone()).unwrap_or_default(),
                kind: kind.to_owned(),
                meeting,
                questions,
                opens: iso(ballot.opens),
                closes: iso(ballot.closes),
                meeting_start,
                documents: subject
                    .map(|s| {
                        s.documents
                            .iter()
                            .map(DocumentRef::value)
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default(),
                ..Draft::default()
            };
            Some((draft, subject.is_some_and(|s| !s.documents.is_empty())))
        })
        .await
        .map_err(ApiError::from)?)
}

/// `GET /groups/{group}/announce`, or with `?ballot=` an announced ballot's
/// draft to change and announce again (a re-announcement, before it
/// opens).
pub async fn form(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path(group): Path<String>,
    Query(again): Query<Again>,
) -> Result<Response, WebError> {
    let log = chair_log(&state, &session, &group).await?;
    let now = state.clock.now();
    let context = context(&log, session.person.clone(), now).await?;
    let cancelled = match state.web.flashes.take(
        session.id_hash(),
        |f| matches!(f, Flash::Cancelled { group, .. } if *group == log.group),
    ) {
        Some(Flash::Cancelled { cancelled, .. }) => Some(cancelled),
        _ => None,
    };
    let kind = if context.profile == "itu-t-tap" {
        "consultation"
    } else {
        "correspondence"
    };
    let (draft, again) = match again.ballot.as_str() {
        "" => (None, None),
        id => match draft_of(&log, id.to_owned()).await? {
            Some((draft, documents)) => (Some(draft), Some((id.to_owned(), documents))),
            None => {
                return Err(WebError::NotFound(format!(
                    "no ballot {id:?} waiting to open in group {:?}",
                    log.group
                )));
            }
        },
    };
    let draft = draft.unwrap_or_else(|| Draft {
        kind: kind.into(),
        ..Draft::default()
    });
    let dates = super::notice::explain(&log, &draft, now).await?;
    Ok(render(
        &state,
        &session,
        &log,
        now,
        context,
        draft,
        Review {
            cancelled,
            again,
            dates,
            ..Review::default()
        },
    ))
}

/// An instant: RFC 3339 UTC, or a date alone for its midnight UTC.
fn parse_time(text: &str) -> Option<Timestamp> {
    Timestamp::parse(text)
        .ok()
        .or_else(|| Timestamp::parse(&format!("{text}T00:00:00Z")).ok())
}

/// The draft's kind, opening (none for a consultation, which opens at its
/// announcement) and close, or the field at fault and why: what the notice
/// rule needs, read alike for the note and for the dates' explanation
/// (`notice.rs`).
pub(super) fn schedule_of(
    draft: &Draft,
) -> Result<(BallotKind, Option<Timestamp>, Timestamp), (&'static str, &'static str)> {
    let time = |name: &'static str, text: &str| match text.trim() {
        "" => Err((name, "missing")),
        t => parse_time(t).ok_or((name, "time")),
    };
    let kind = match draft.kind.as_str() {
        "meeting" => {
            let meeting: MeetingId = match draft.meeting.trim() {
                "" => return Err(("meeting", "missing")),
                text => text.parse().map_err(|_| ("meeting", "id"))?,
            };
            BallotKind::Meeting { meeting }
        }
        "consultation" => BallotKind::Consultation {
            meeting_start: time("meeting_start", &draft.meeting_start)?,
        },
        _ => BallotKind::Correspondence,
    };
    // A consultation opens at its announcement (SPEC 2.2 item 6).
    let opens = match kind {
        BallotKind::Consultation { .. } => None,
        _ => Some(time("opens", &draft.opens)?),
    };
    Ok((kind, opens, time("closes", &draft.closes)?))
}

/// The draft as a note, or the field at fault and why.
fn note_of(log: &Log, draft: &Draft) -> Result<AnnouncementNote, (&'static str, &'static str)> {
    let ballot: BallotId = match draft.ballot.trim() {
        "" => return Err(("ballot", "missing")),
        text => text.parse().map_err(|_| ("ballot", "id"))?,
    };
    let title = draft.title.trim();
    if title.is_empty() {
        return Err(("title", "missing"));
    }
    let mut questions = Vec::new();
    let mut texts = Vec::new();
    for line in draft
        .questions
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let (id, text) = line.split_once(' ').ok_or(("questions", "questions"))?;
        let id: QuestionId = id.parse().map_err(|_| ("questions", "questions"))?;
        questions.push(id);
        texts.push(text.trim().to_owned());
    }
    if questions.is_empty() {
        return Err(("questions", "missing"));
    }
    let documents = draft
        .documents
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(DocumentRef::parse_line)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ("documents", "documents"))?;
    let (kind, opens, closes) = schedule_of(draft)?;
    Ok(AnnouncementNote {
        origin: log.origin.clone(),
        ballot,
        kind,
        questions,
        opens,
        closes,
        subject: Some(Subject {
            title: title.to_owned(),
            questions: texts,
            documents,
        }),
    })
}

/// `POST /groups/{group}/announce`: the review of the exact note.
pub async fn review(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path(group): Path<String>,
    posted: Result<Form<Draft>, FormRejection>,
) -> Result<Response, WebError> {
    let draft = session.checked_form(posted, |d| d.csrf.as_str())?;
    let log = chair_log(&state, &session, &group).await?;
    let now = state.clock.now();
    let context = context(&log, session.person.clone(), now).await?;
    let dates = super::notice::explain(&log, &draft, now).await?;
    if draft.step == "dates" {
        return Ok(render(
            &state,
            &session,
            &log,
            now,
            context,
            draft,
            Review {
                dates,
                ..Review::default()
            },
        ));
    }
    let note = match note_of(&log, &draft) {
        Ok(note) => note,
        Err((field, code)) => {
            return Ok(render(
                &state,
                &session,
                &log,
                now,
                context,
                draft,
                Review {
                    field,
                    code,
                    dates,
                    ..Review::default()
                },
            ));
        }
    };
    let text = note.text();
    let documents = note
        .subject
        .as_ref()
        .map(|s| s.documents.iter().map(DocumentView::from).collect())
        .unwrap_or_default();
    // The server's own reading of the note, then the rules' schedule on
    // the registry as it stands: the refusals the sequencer would give.
    let checked = AnnouncementNote::parse_text(&text)
        .map_err(|e| e.to_string())
        .map(|parsed| parsed.to_ballot(now));
    let refusal = match checked {
        Err(reason) => reason,
        Ok(ballot) => log
            .read(move |loaded| {
                let Some(registry) = loaded.state.registry.as_ref() else {
                    return String::new();
                };
                match registry.rules_registry() {
                    Err(e) => e.to_string(),
                    Ok(rules) => match check_schedule(registry.parameters(), &rules, &ballot) {
                        Err(e) => e.to_string(),
                        Ok(_) => String::new(),
                    },
                }
            })
            .await
            .map_err(ApiError::from)?,
    };
    let refusal = if refusal.is_empty() && !context.chair {
        "you are not the chair in office now, so the log would refuse your signature".to_owned()
    } else {
        refusal
    };
    let note = if refusal.is_empty() {
        text
    } else {
        String::new()
    };
    Ok(render(
        &state,
        &session,
        &log,
        now,
        context,
        draft,
        Review {
            refusal,
            note,
            documents,
            dates,
            ..Review::default()
        },
    ))
}

/// The signed announcement the module sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    announcement: String,
    /// The documents the note names, base64, in its order (as the API's
    /// `documents`).
    #[serde(default)]
    documents: Vec<String>,
}

/// What the module is told: where the announcement is in the log.
#[derive(Serialize)]
struct Announced {
    ballot: String,
    index: u64,
    size: u64,
    checkpoint: String,
    recipients: usize,
}

/// `POST /groups/{group}/announce/signed` (module documentation).
pub async fn submit(
    State(state): State<Arc<AppState>>,
    session: Option<Session>,
    Path(group): Path<String>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let session = session.ok_or(ApiError::Unauthenticated)?;
    super::csrf::require_header(&session.csrf, &headers)?;
    let log = session
        .authorise(
            &state,
            &group,
            Action::AnnounceBallot,
            "you are not the chair",
        )
        .await?;
    // The body, which may carry documents up to `--max-upload-bytes`, is
    // read only once the chair is known: nobody else makes the server
    // read that much.
    let body = axum::body::Bytes::from_request(request, &state).await?;
    let signed: Signed = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "malformed-json",
            format!("the body must be JSON {{\"announcement\": …}}: {e}"),
        )
    })?;
    let drafts = crate::server::api::ballots::decode_documents(&signed.documents)?;
    let announced =
        commands::ballots::announce(&log, signed.announcement.into_bytes(), drafts).await?;
    Ok((
        StatusCode::CREATED,
        Json(Announced {
            ballot: announced.ballot.to_string(),
            index: announced.appended.index,
            size: announced.appended.size,
            checkpoint: String::from_utf8_lossy(&announced.appended.checkpoint).into_owned(),
            recipients: announced.recipients.len(),
        }),
    )
        .into_response())
}

/// The cancel form: its CSRF token.
#[derive(Deserialize)]
pub struct CancelForm {
    csrf: String,
}

/// `POST /groups/{group}/ballots/{ballot}/cancel`: cancels an announced
/// ballot before its opening (the chair or the secretariat), through
/// [`commands::ballots::cancel`] like the API's; the answer is `303 See
/// Other` to the announcement page, which says once which entry logged
/// it, or the error page with the server's reason.
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, ballot)): Path<(String, String)>,
    posted: Result<Form<CancelForm>, FormRejection>,
) -> Result<Response, WebError> {
    session.checked_form(posted, |f| f.csrf.as_str())?;
    let log = session
        .authorise(
            &state,
            &group,
            Action::CancelBallot,
            "you may not cancel ballots",
        )
        .await?;
    let id = BallotId::new(&ballot)
        .map_err(|e| WebError::BadRequest(format!("ballot {ballot:?}: {e}")))?;
    let appended = commands::ballots::cancel(&log, id)
        .await
        .map_err(ApiError::from)?;
    state.web.flashes.put(
        session.id_hash(),
        Flash::Cancelled {
            group: log.group.clone(),
            cancelled: (ballot, appended.index, appended.size),
        },
    );
    Ok(see_other(&format!("/groups/{}/announce", log.group)))
}
