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
//! [`crate::ballot::StatementRefusal`]: 409 for a conflict with the
//! ballot's state, 422 otherwise. The work is done by
//! [`crate::server::commands::review`].

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::LogReceipt;
use super::ballots::{authorise, ballot_id};
use crate::server::AppState;
use crate::server::auth::{Action, Caller};
use crate::server::commands::{self, review::Statement};
use crate::server::error::{ApiError, ApiJson};
use crate::tlog::Hash;

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

/// The statement of the caller for the ballot of the path.
fn statement(caller: &Caller, ballot: &str, note: String) -> Result<Statement, ApiError> {
    Ok(Statement {
        note: note.into_bytes(),
        person: caller.person.clone(),
        ballot: ballot_id(ballot)?,
    })
}

async fn certify(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot)): Path<(String, String)>,
    ApiJson(body): ApiJson<CertifyRequest>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::CertifyBallot).await?;
    let statement = statement(&caller, &ballot, body.certification)?;
    let appended = commands::review::certify(&state.store, &log, statement).await?;
    Ok((StatusCode::CREATED, Json(appended.into())))
}

async fn appeal(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot)): Path<(String, String)>,
    ApiJson(body): ApiJson<AppealRequest>,
) -> Result<(StatusCode, Json<Filed>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::FileAppeal).await?;
    let statement = statement(&caller, &ballot, body.appeal)?;
    let filed = commands::review::appeal(&log, statement).await?;
    Ok((
        StatusCode::CREATED,
        Json(Filed {
            appeal: crate::ballot::hash_text(&filed.appeal),
            receipt: filed.appended.into(),
        }),
    ))
}

async fn decide(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot, appeal)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<DecideRequest>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::DecideAppeal).await?;
    let hex = appeal.strip_prefix("sha256:").unwrap_or(&appeal);
    let appeal = Hash::from_hex(hex)
        .ok()
        .filter(|h| h.to_hex() == hex)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid-hash",
                "the appeal is named by 64 lowercase hexadecimal digits",
            )
        })?;
    let statement = statement(&caller, &ballot, body.decision)?;
    let appended = commands::review::decide_appeal(&log, appeal, statement).await?;
    Ok((StatusCode::CREATED, Json(appended.into())))
}
