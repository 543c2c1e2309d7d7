//! Certification, appeals and decisions over HTTP (SPEC 2.1 item 10).
//!
//! - `POST /v1/groups/{group}/ballots/{ballot}/certification`: the chair in
//!   office submits a signed certification note
//!   (`{"certification": "<note>"}`, `docs/formats.md` 7.11), accepted only
//!   after the tally and only if it matches it, including the root hash it
//!   names for its tree size. 201.
//! - `POST …/ballots/{ballot}/appeals`: a person of the group submits a
//!   signed appeal (`{"appeal": "<note>"}`, 7.12); the appeal and the
//!   notification owed to the chair are appended together. 201, with the
//!   appeal's id (the SHA-256 of its note).
//! - `POST …/ballots/{ballot}/appeals/{appeal}/decision`: an appeal
//!   reviewer submits a signed decision (`{"decision": "<note>"}`, 7.13);
//!   the decision and the notification owed to the appellant are appended
//!   together. 201.
//!
//! Every note is signed by the token's person (403 `token-mismatch`
//! otherwise); refusals are problems whose `type` names the code of
//! [`StatementRefusal`]: 409 for a conflict with the ballot's state, 422
//! otherwise.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::LogReceipt;
use super::ballots::{authorise, ballot_id, no_registry, not_found_as_404, problem};
use crate::ballot::BallotBook;
use crate::ballot::{CertificationNote, DecisionNote, SignedStatement, StatementRefusal};
use crate::entry::Entry;
use crate::id::{BallotId, PersonId};
use crate::registry::GroupState;
use crate::server::auth::{Action, Caller};
use crate::server::error::{ApiError, ApiJson};
use crate::server::sequencer::{Appended, Refused};
use crate::server::{AppState, GroupLogState, Log};
use crate::time::Timestamp;
use crate::tlog::tree::tree_hash;
use crate::tlog::{Hash, TreeSize};

/// The certification, appeal and decision routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/v1/groups/{group}/ballots/{ballot}/certification",
            post(certify),
        )
        .route("/v1/groups/{group}/ballots/{ballot}/appeals", post(appeal))
        .route(
            "/v1/groups/{group}/ballots/{ballot}/appeals/{appeal}/decision",
            post(decide),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CertifyRequest {
    /// The chair's signed certification note.
    certification: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppealRequest {
    /// The appellant's signed appeal note.
    appeal: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideRequest {
    /// The reviewer's signed decision note.
    decision: String,
}

/// An appeal's answer: its id and the receipt of its entry.
#[derive(Serialize)]
struct Filed {
    /// `sha256:<hex>` of the appeal's note: the id a decision names.
    appeal: String,
    #[serde(flatten)]
    receipt: LogReceipt,
}

fn refused(refusal: &StatementRefusal) -> Refused {
    Refused {
        code: refusal.code(),
        message: refusal.to_string(),
        conflict: refusal.is_conflict(),
    }
}

fn refusal_problem(refusal: &StatementRefusal) -> Response {
    let status = match refusal {
        StatementRefusal::TokenMismatch => StatusCode::FORBIDDEN,
        r if r.is_conflict() => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    problem(status, refusal.code(), refusal.to_string())
}

/// The caller's person, and a check that the note (`signed`, if it
/// parses, naming `note_ballot`, if its text parses) is signed by that
/// person and names the ballot of the path: the answers a client can act
/// on before the sequencer's turn (the fold checks them again).
fn signer_check(
    caller: &Caller,
    signed: Option<&SignedStatement>,
    note_ballot: Option<&BallotId>,
    ballot: &BallotId,
) -> Result<PersonId, Box<Response>> {
    let person = PersonId::new(&caller.person).map_err(|_| {
        Box::new(
            ApiError::Forbidden("the token's person is not a person of this group".to_owned())
                .into_response(),
        )
    })?;
    if let Some(signed) = signed {
        if signed.signer != person {
            return Err(Box::new(refusal_problem(&StatementRefusal::TokenMismatch)));
        }
        if note_ballot.is_some_and(|b| b != ballot) {
            return Err(Box::new(refusal_problem(&StatementRefusal::BallotMismatch)));
        }
    }
    Ok(person)
}

/// Sequences the entries `decide` gives on the state at the sequencer's
/// turn (a statement and the notification it owes), all or none; answers
/// the first one's receipt.
async fn append_statement(
    log: &Log,
    decide: impl FnOnce(&BallotBook, &GroupState, Timestamp) -> Result<Vec<Entry>, StatementRefusal>
    + Send
    + 'static,
) -> Result<Appended, ApiError> {
    log.append_all(Box::new(move |loaded: &GroupLogState, time| {
        let registry = loaded.registry.as_ref().ok_or_else(no_registry)?;
        decide(&loaded.book, registry, time).map_err(|r| refused(&r))
    }))
    .await
    .map_err(not_found_as_404)?
    .into_iter()
    .next()
    .ok_or_else(|| ApiError::Internal("a statement appended nothing".to_owned()))
}

async fn certify(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot)): Path<(String, String)>,
    ApiJson(body): ApiJson<CertifyRequest>,
) -> Result<Response, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::CertifyBallot).await?;
    let ballot = ballot_id(&ballot)?;
    let signed = SignedStatement::parse(body.certification.as_bytes()).ok();
    let named = signed
        .as_ref()
        .and_then(|s| CertificationNote::parse_text(s.signed.text()).ok());
    let note_ballot = named.as_ref().map(|n| &n.ballot);
    let person = match signer_check(&caller, signed.as_ref(), note_ballot, &ballot) {
        Ok(person) => person,
        Err(response) => return Ok(*response),
    };
    // The root hash the note names for its size, read from storage before
    // the sequencer's turn: a committed tree's root never changes.
    let known_root = match &named {
        Some(note) => root_at(&state, &log, note.size).await?,
        None => None,
    };
    let appended = log
        .append(Box::new(move |loaded: &GroupLogState, time| {
            let registry = loaded.registry.as_ref().ok_or_else(no_registry)?;
            let entry = loaded
                .book
                .decide_certification(registry, body.certification.as_bytes(), time, &person)
                .map_err(|r| refused(&r))?;
            if let Some(note) = named
                && known_root != Some(note.root)
            {
                return Err(refused(&StatementRefusal::CheckpointMismatch {
                    size: note.size,
                }));
            }
            Ok(entry)
        }))
        .await
        .map_err(not_found_as_404)?;
    Ok((StatusCode::CREATED, Json(LogReceipt::from(appended))).into_response())
}

/// The root hash of the group's tree of `size` leaves, if that many are
/// committed.
async fn root_at(state: &AppState, log: &Log, size: u64) -> Result<Option<Hash>, ApiError> {
    let committed = log.read(|loaded| loaded.size).await?;
    if size == 0 || size > committed {
        return Ok(None);
    }
    let root = state
        .store
        .with_hashes(&log.group, |reader| tree_hash(TreeSize::new(size), reader))
        .await?
        .map_err(|e| ApiError::Internal(format!("tree hash: {e}")))?;
    Ok(Some(root))
}

async fn appeal(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot)): Path<(String, String)>,
    ApiJson(body): ApiJson<AppealRequest>,
) -> Result<Response, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::FileAppeal).await?;
    let ballot = ballot_id(&ballot)?;
    let signed = SignedStatement::parse(body.appeal.as_bytes()).ok();
    let note_ballot = signed
        .as_ref()
        .and_then(|s| crate::ballot::AppealNote::parse_text(s.signed.text()).ok())
        .map(|n| n.ballot);
    let person = match signer_check(&caller, signed.as_ref(), note_ballot.as_ref(), &ballot) {
        Ok(person) => person,
        Err(response) => return Ok(*response),
    };
    let id = crate::ballot::hash_text(&Hash::sha256(body.appeal.as_bytes()));
    let first = append_statement(&log, move |book, registry, time| {
        book.decide_appeal(registry, body.appeal.as_bytes(), time, &person)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Filed {
            appeal: id,
            receipt: first.into(),
        }),
    )
        .into_response())
}

async fn decide(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot, appeal)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<DecideRequest>,
) -> Result<Response, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::DecideAppeal).await?;
    let ballot = ballot_id(&ballot)?;
    let appeal = appeal.strip_prefix("sha256:").unwrap_or(&appeal).to_owned();
    let appeal = Hash::from_hex(&appeal)
        .ok()
        .filter(|h| h.to_hex() == appeal)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid-hash",
                "the appeal is named by 64 lowercase hexadecimal digits",
            )
        })?;
    let signed = SignedStatement::parse(body.decision.as_bytes()).ok();
    let note = signed
        .as_ref()
        .and_then(|s| DecisionNote::parse_text(s.signed.text()).ok());
    if note.as_ref().is_some_and(|n| n.appeal != appeal) {
        return Ok(refusal_problem(&StatementRefusal::UnknownAppeal(appeal)));
    }
    let note_ballot = note.as_ref().map(|n| &n.ballot);
    let person = match signer_check(&caller, signed.as_ref(), note_ballot, &ballot) {
        Ok(person) => person,
        Err(response) => return Ok(*response),
    };
    let first = append_statement(&log, move |book, registry, time| {
        book.decide_appeal_decision(registry, body.decision.as_bytes(), time, &person)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(LogReceipt::from(first))).into_response())
}
