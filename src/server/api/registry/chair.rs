//! The chair and the appeal reviewers: who certifies a tally and who
//! decides an appeal (ISG ETI Annex 3, deviations #1 and #6; SPEC 2.1
//! item 10).
//!
//! - `POST /v1/groups/{group}/chair` appoints a chair or an acting chair
//!   (a `chair` entry) for a two-year term from `from` (deviation #1),
//!   from now by default; `POST …/chair/end` ends a running term early
//!   (`chair-ended`); `GET …/chair` lists the terms and who chairs now.
//! - `PUT …/reviewers/{person}` appoints an appeal reviewer, `DELETE`
//!   releases one (`reviewer` entries); `GET …/reviewers` lists them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{ApiPath, Written, authorise, id, read_registry};
use crate::id::PersonId;
use crate::server::AppState;
use crate::server::api::LogReceipt;
use crate::server::auth::{Action, Caller};
use crate::server::commands;
use crate::server::error::{ApiError, ApiJson};
use crate::time::Timestamp;

/// The chair and reviewer routes.
pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/groups/{group}/chair", get(terms).post(appoint))
        .route("/v1/groups/{group}/chair/end", post(end))
        .route("/v1/groups/{group}/reviewers", get(reviewers))
        .route(
            "/v1/groups/{group}/reviewers/{person}",
            put(appoint_reviewer).delete(release_reviewer),
        )
}

/// An appointment: a two-year term from `from` (default: the entry's
/// time).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppointRequest {
    person: PersonId,
    from: Option<Timestamp>,
    /// An acting chair, who takes precedence while the term runs.
    #[serde(default)]
    acting: bool,
}

/// The end of a running term: of `person` (default: whoever holds the
/// running term of that kind), acting or not.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EndRequest {
    person: Option<PersonId>,
    #[serde(default)]
    acting: bool,
}

/// A term as the API shows it.
#[derive(Serialize)]
struct TermBody {
    person: String,
    from: String,
    to: String,
    acting: bool,
}

/// The chair's terms and who chairs now.
#[derive(Serialize)]
struct ChairBody {
    /// The person chairing now (the acting chair if one is in office).
    current: Option<String>,
    /// Every term, in log order; an ended term shows its actual end.
    terms: Vec<TermBody>,
}

async fn appoint(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(group): ApiPath<String>,
    ApiJson(body): ApiJson<AppointRequest>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let written: Written =
        commands::registry::appoint_chair(&log, body.person, body.from, body.acting)
            .await?
            .into();
    Ok(written.reply())
}

async fn end(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(group): ApiPath<String>,
    ApiJson(body): ApiJson<EndRequest>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let written: Written = commands::registry::end_chair(&log, body.person, body.acting)
        .await?
        .into();
    Ok(written.reply())
}
async fn terms(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(group): ApiPath<String>,
) -> Result<Json<ChairBody>, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let now = state.clock.now();
    let body = read_registry(&log, |r| ChairBody {
        current: r.chair_at(now).map(|p| p.as_str().to_owned()),
        terms: r
            .chair_terms()
            .iter()
            .map(|t| TermBody {
                person: t.person.as_str().to_owned(),
                from: t.from.to_rfc3339_micros(),
                to: t.to.to_rfc3339_micros(),
                acting: t.acting,
            })
            .collect(),
    })
    .await?;
    Ok(Json(body))
}

async fn reviewers(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(group): ApiPath<String>,
) -> Result<Json<Vec<String>>, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let list = read_registry(&log, |r| {
        r.reviewers().map(|p| p.as_str().to_owned()).collect()
    })
    .await?;
    Ok(Json(list))
}

async fn appoint_reviewer(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, person)): ApiPath<(String, String)>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let person = id::<PersonId>("person", &person)?;
    let written: Written = commands::registry::appoint_reviewer(&log, person)
        .await?
        .into();
    Ok(written.reply())
}

async fn release_reviewer(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, person)): ApiPath<(String, String)>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let person = id::<PersonId>("person", &person)?;
    let written: Written = commands::registry::release_reviewer(&log, person)
        .await?
        .into();
    Ok(written.reply())
}
