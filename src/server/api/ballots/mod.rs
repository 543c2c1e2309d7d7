//! Ballots over HTTP: the chair's announcement, cancellation, reading
//! ballots, casting signed votes with receipts, and the documents stored
//! beside the log.
//!
//! - `POST /v1/groups/{group}/ballots`: the chair in office submits a
//!   signed announcement (`{"announcement": "<note>"}`); the announcement
//!   entry and one `notification` entry per recipient (the membership
//!   list, Article 6.2) are appended in one batch. 201.
//! - `GET …/ballots`, `GET …/ballots/{ballot}`: members and reviewers.
//!   Turnout (the number of vote entries) is visible; no count and no
//!   choice before the close (SPEC 2.1 item 9; CM/Rec(2017)5 standard 24).
//!   Once tallied: the counts, the outcome and the counted choice of each
//!   organisation.
//! - `POST …/ballots/{ballot}/cancel`: the chair or the secretariat, before
//!   the opening only.
//! - `POST …/ballots/{ballot}/votes`: a delegate's token and a signed vote
//!   note (`{"note": "…", "attachment": "…"?}`). The vote is decided inside
//!   the sequencer on the state at its turn; an accepted vote answers 201
//!   `{"index", "receipt"}` once the entry, its note and a checkpoint are
//!   durable; a byte-identical resubmission answers 200 with the original
//!   receipt (SPEC section 4).
//! - `GET …/ballots/{ballot}/documents/{sha256}`: the roll document at any
//!   time, notes and attachments after the close (SPEC section 4); before
//!   it, a note or an attachment is a 404 like a hash nobody sent.
//!
//! # Refusals
//!
//! A refused vote is a problem whose `type` is
//! `urn:scrutineer:problem:<code>` with the SPEC code: 403 for
//! `token-mismatch`, 409 for `replay` (and the internal conflicts), 422 for
//! every other code. An announcement's refusal is 422, or 409 when the
//! ballot has already opened.

pub(crate) mod documents;
pub(crate) mod view;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::{LogReceipt, authorise_in};
use crate::ballot::VoteRefusal;
use crate::id::{BallotId, PersonId};
use crate::server::auth::{Action, Caller, Roles};
use crate::server::commands::{self, votes::Cast};
use crate::server::error::{ApiError, ApiJson};
use crate::server::sequencer::Refused;
use crate::server::{AppState, Log};
use crate::vote::SubmittedVote;

/// The ballot routes.
pub fn router(max_upload: usize) -> Router<Arc<AppState>> {
    Router::new()
        .merge(view::router())
        .route(
            "/v1/groups/{group}/ballots",
            post(announce).layer(DefaultBodyLimit::max(max_upload)),
        )
        .route("/v1/groups/{group}/ballots/{ballot}/cancel", post(cancel))
        .route("/v1/groups/{group}/ballots/{ballot}/votes", post(vote))
        .route(
            "/v1/groups/{group}/ballots/{ballot}/documents/{sha256}",
            get(documents::document),
        )
}

/// The log of `group` once the caller's roles allow `action`.
pub(super) async fn authorise(
    state: &AppState,
    caller: &Caller,
    group: &str,
    action: Action,
) -> Result<(Arc<Log>, Roles), ApiError> {
    let log = state.log(group).await?;
    let roles = authorise_in(state, caller, &log, action).await?;
    Ok((log, roles))
}

pub(super) fn ballot_id(text: &str) -> Result<BallotId, ApiError> {
    BallotId::new(text)
        .map_err(|e| ApiError::bad_request("invalid-id", format!("ballot {text:?}: {e}")))
}

// ---------------------------------------------------------------- announce

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnounceRequest {
    /// The chair's signed announcement note (`docs/formats.md` 7.3).
    announcement: String,
    /// The documents voted on, base64 (RFC 4648 section 4, padded): exactly
    /// those a version 2 note names.
    #[serde(default)]
    documents: Vec<String>,
}

/// The announcement's receipt, its ballot and the persons it went to.
#[derive(Serialize)]
struct Announced {
    #[serde(flatten)]
    receipt: LogReceipt,
    ballot: String,
    recipients: Vec<String>,
}

async fn announce(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(group): Path<String>,
    ApiJson(body): ApiJson<AnnounceRequest>,
) -> Result<(StatusCode, Json<Announced>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::AnnounceBallot).await?;
    let drafts = decode_documents(&body.documents)?;
    let announced =
        commands::ballots::announce(&log, body.announcement.into_bytes(), drafts).await?;
    Ok((
        StatusCode::CREATED,
        Json(Announced {
            receipt: announced.appended.into(),
            ballot: announced.ballot.to_string(),
            recipients: announced
                .recipients
                .iter()
                .map(ToString::to_string)
                .collect(),
        }),
    ))
}

/// The documents voted on as an announcement's body carries them, base64
/// (RFC 4648 section 4, padded), decoded; the API's announcement and the
/// web page's read them alike.
pub(crate) fn decode_documents(texts: &[String]) -> Result<Vec<Vec<u8>>, ApiError> {
    texts
        .iter()
        .enumerate()
        .map(|(k, text)| {
            STANDARD.decode(text).map_err(|e| {
                ApiError::bad_request("invalid-document", format!("documents[{k}]: {e}"))
            })
        })
        .collect()
}

// ------------------------------------------------------------------ cancel

async fn cancel(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot)): Path<(String, String)>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::CancelBallot).await?;
    let appended = commands::ballots::cancel(&log, ballot_id(&ballot)?).await?;
    Ok((StatusCode::OK, Json(appended.into())))
}

// -------------------------------------------------------------------- vote

/// A vote as a client sends it (the JSON API's body, and the web
/// application's).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VoteRequest {
    /// The signed vote note (SPEC section 4), exactly as signed.
    pub note: String,
    /// The attachment the note names (comments or reasons), UTF-8 text.
    pub attachment: Option<String>,
}

/// A vote's answer: its index and the C2SP tlog-proof receipt.
#[derive(Serialize)]
pub(crate) struct VoteReceipt {
    /// The vote entry's index.
    pub index: u64,
    /// The receipt (`docs/formats.md` section 4).
    pub receipt: String,
}

async fn vote(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot)): Path<(String, String)>,
    ApiJson(body): ApiJson<VoteRequest>,
) -> Result<Response, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::CastVote).await?;
    cast(
        &state,
        &log,
        caller.person.clone(),
        ballot_id(&ballot)?,
        body,
    )
    .await
}

/// Casts the vote a client sent for `ballot` as `person`, and answers as
/// both the JSON API and the web application do: 201 with the receipt,
/// 200 with the original receipt for the same bytes again, or the refusal.
pub(crate) async fn cast(
    state: &Arc<AppState>,
    log: &Log,
    person: PersonId,
    ballot: BallotId,
    body: VoteRequest,
) -> Result<Response, ApiError> {
    let submitted = SubmittedVote::parse(body.note.as_bytes()).map_err(|e| {
        ApiError::Refused(Refused::from(&VoteRefusal::MalformedNote(e.to_string())))
    })?;
    let vote = commands::votes::Ballot {
        submitted,
        attachment: body.attachment.map(String::into_bytes),
        person,
        ballot,
        // Queued with the vote when a relay is configured.
        mail_receipt: state.web.mailer().is_some(),
    };
    Ok(
        match commands::votes::cast(&state.store, log, vote).await? {
            Cast::Recorded { index, receipt } => {
                (StatusCode::CREATED, Json(VoteReceipt { index, receipt })).into_response()
            }
            Cast::AlreadyRecorded { index, receipt } => {
                (StatusCode::OK, Json(VoteReceipt { index, receipt })).into_response()
            }
        },
    )
}
