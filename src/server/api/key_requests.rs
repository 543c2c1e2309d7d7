//! Key requests: keys that persons made in the browser and asked their
//! group's secretariat to register (the web application's keys page,
//! `src/server/web/keys.rs`).
//!
//! - `GET /v1/groups/{group}/key-requests` lists a group's requests,
//!   pending and approved, for its secretariat.
//! - `POST …/key-requests/{id}/approve` registers the request's key
//!   through the same function as `POST …/persons/{person}/keys`
//!   ([`commands::registry::approve_key_request`], shared with the
//!   secretariat's page), so a request is judged by exactly the registry's
//!   rules, then records the entry's index on the request.
//!
//! A request is not a registry fact and changes nothing by itself: the
//! `key` entry is the fact, and the log shows who registered what.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::registry::Written;
use super::{LogReceipt, authorise_in};
use crate::server::AppState;
use crate::server::auth::{Action, Caller};
use crate::server::commands;
use crate::server::error::ApiError;
use crate::store::web::KeyRequest;

/// The key-request routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/groups/{group}/key-requests", get(list))
        .route(
            "/v1/groups/{group}/key-requests/{id}/approve",
            post(approve),
        )
}

/// A key request as the secretariat sees it.
#[derive(Serialize)]
struct KeyRequestBody {
    id: String,
    person: String,
    /// The verifier key, C2SP encoding, as the person submitted it.
    key: String,
    /// The signed-note key id, 8 lowercase hex digits.
    key_id: String,
    requested: String,
    approved: Option<String>,
    /// The index of the `key` entry that registered it, once approved.
    index: Option<u64>,
}

impl From<KeyRequest> for KeyRequestBody {
    fn from(r: KeyRequest) -> Self {
        let key_id = r
            .verifier_key
            .split('+')
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        Self {
            id: r.id,
            person: r.person,
            key: r.verifier_key,
            key_id,
            requested: r.requested_at,
            approved: r.approved_at,
            index: r.log_index,
        }
    }
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(group): Path<String>,
) -> Result<Json<Vec<KeyRequestBody>>, ApiError> {
    let log = state.log(&group).await?;
    authorise_in(&state, &caller, &log, Action::WriteRegistry).await?;
    let requests = state.store.key_requests(&group, false).await?;
    Ok(Json(requests.into_iter().map(Into::into).collect()))
}

async fn approve(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let log = state.log(&group).await?;
    authorise_in(&state, &caller, &log, Action::WriteRegistry).await?;
    let written: Written = commands::registry::approve_key_request(&state, &log, &id)
        .await?
        .into();
    Ok(written.reply())
}
