//! `GET /v1/groups/{group}/outbox`: the group's notices by e-mail and how
//! their deliveries stand (SPEC section 9), for the group's secretariat
//! and the server's ([`Action::ReadOutbox`]). Persons are named by id; the
//! addresses stay in the accounts.
//!
//! `state` selects `pending` (never tried), `retrying` (tried, to be tried
//! again), `recording` (answered, the outcome not yet logged), `failed`
//! and `accepted` (logged); without it every notice not yet accepted is
//! listed. At most 500 rows, oldest first, with the counts of the whole
//! server's outbox.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::ballots::authorise;
use crate::server::AppState;
use crate::server::auth::{Action, Caller};
use crate::server::commands::deliveries::{self, DeliveryState, OutboxView};
use crate::server::error::ApiError;

/// The outbox route.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/groups/{group}/outbox", get(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxQuery {
    state: Option<DeliveryState>,
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(group): Path<String>,
    query: Result<Query<OutboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<OutboxView>, ApiError> {
    let Query(query) = query?;
    authorise(&state, &caller, &group, Action::ReadOutbox).await?;
    Ok(Json(deliveries::outbox(&state, &group, query.state).await?))
}
