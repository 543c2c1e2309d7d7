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
use serde::{Deserialize, Serialize};

use super::ballots::authorise;
use crate::server::AppState;
use crate::server::auth::{Action, Caller};
use crate::server::error::ApiError;
use crate::server::fold::micros_to_rfc3339;
use crate::server::mail::PARKED;
use crate::store::outbox::{OutboxCounts, OutboxRow, OutboxState};

/// The most rows in one answer.
const LIMIT: u32 = 500;

/// The outbox route.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/groups/{group}/outbox", get(list))
}

/// Which deliveries to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Selected {
    Pending,
    Retrying,
    Recording,
    Failed,
    Accepted,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxQuery {
    state: Option<Selected>,
}

#[derive(Serialize)]
struct DeliveryBody {
    /// The notification entry's log index.
    notification: u64,
    ballot: String,
    person: String,
    reason: String,
    /// When the notice was logged.
    notified_at: String,
    state: Selected,
    attempts: u32,
    /// When the next attempt is due; absent once answered, or while no
    /// relay is configured.
    next_attempt: Option<String>,
    /// The relay's last reply, or why the last attempt failed.
    last_reply: Option<String>,
}

#[derive(Serialize)]
struct OutboxBody {
    deliveries: Vec<DeliveryBody>,
    counts: OutboxCounts,
}

fn selected(row: &OutboxRow) -> Selected {
    match (row.state, row.accepted) {
        (OutboxState::Pending, _) if row.attempts > 0 => Selected::Retrying,
        (OutboxState::Pending, _) => Selected::Pending,
        (OutboxState::Recording, _) => Selected::Recording,
        (OutboxState::Logged, Some(true)) => Selected::Accepted,
        (OutboxState::Logged, _) => Selected::Failed,
    }
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(group): Path<String>,
    query: Result<Query<OutboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<OutboxBody>, ApiError> {
    let Query(query) = query?;
    authorise(&state, &caller, &group, Action::ReadOutbox).await?;
    let states: &[OutboxState] = match query.state {
        Some(Selected::Pending | Selected::Retrying) => &[OutboxState::Pending],
        Some(Selected::Recording) => &[OutboxState::Recording],
        Some(Selected::Failed | Selected::Accepted) => &[OutboxState::Logged],
        None => &[
            OutboxState::Pending,
            OutboxState::Recording,
            OutboxState::Logged,
        ],
    };
    let rows = state.store.outbox(Some(&group), states, u32::MAX).await?;
    let deliveries = rows
        .iter()
        .filter(|row| match query.state {
            Some(wanted) => selected(row) == wanted,
            None => selected(row) != Selected::Accepted,
        })
        .take(LIMIT as usize)
        .map(|row| DeliveryBody {
            notification: row.notice.index,
            ballot: row.notice.ballot.clone(),
            person: row.notice.person.clone(),
            reason: row.notice.reason.clone(),
            notified_at: micros_to_rfc3339(row.notice.created_at),
            state: selected(row),
            attempts: row.attempts,
            next_attempt: (row.state == OutboxState::Pending && row.next_at != PARKED)
                .then(|| micros_to_rfc3339(row.next_at)),
            last_reply: row.last_reply.clone(),
        })
        .collect();
    Ok(Json(OutboxBody {
        deliveries,
        counts: state.store.outbox_counts().await?,
    }))
}
