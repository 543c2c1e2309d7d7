//! Groups: `POST /v1/groups` creates one with its log, whose first entry is
//! the `group` entry; `GET /v1/groups[/{group}]` reads them.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{LogReceipt, roles, server_roles};
use crate::rules::params::{Notice, ParameterOverrides, Profile};
use crate::server::AppState;
use crate::server::auth::{Action, Caller, require};
use crate::server::commands;
use crate::server::error::{ApiError, ApiJson};

/// The group routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/groups", get(list).post(create))
        .route("/v1/groups/{group}", get(read))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGroup {
    id: GroupIdText,
    profile: Profile,
    #[serde(default)]
    parameters: ParameterOverrides,
    appeal_deadline_days: Option<u32>,
    /// Hours before a ballot's close at which the delegates of eligible
    /// organisations that have not voted are reminded; absent: 168 and 24.
    reminder_hours: Option<Vec<u32>>,
}

/// A group id as it arrives (validated when converted).
#[derive(Deserialize)]
#[serde(transparent)]
struct GroupIdText(String);

#[derive(Serialize)]
struct GroupBody {
    id: String,
    profile: Option<Profile>,
    origin: String,
    /// The log's verifier key: what a witness or a reviewer pins.
    log_key: String,
    size: u64,
    parameters: Option<ParametersBody>,
    /// Why the log is not served, if it is not.
    halted: Option<String>,
}

#[derive(Serialize)]
struct ParametersBody {
    threshold_percent: u32,
    notice_days: Option<u32>,
    notice_months: Option<u32>,
    correspondence_window: Option<String>,
    appeal_deadline_days: Option<u32>,
    reminder_hours: Vec<u32>,
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewGroup>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    require(Action::CreateGroup, server_roles(&state, &caller).await?)?;
    let (origin, record) = commands::groups::new_group(
        &state,
        &body.id.0,
        body.profile,
        &body.parameters,
        body.appeal_deadline_days,
    )?;
    let record = commands::groups::with_reminders(record, body.reminder_hours.as_deref())?;
    let appended = commands::groups::create(&state, origin, record).await?;
    Ok((StatusCode::CREATED, Json(appended.into())))
}

async fn describe(state: &AppState, group: &str) -> Result<GroupBody, ApiError> {
    let log = state.log(group).await?;
    let origin = log.origin.clone();
    let log_key = state.verifier_key(&origin).encode();
    let summary = log
        .read(|loaded| {
            let registry = loaded.state.registry.as_ref();
            (
                loaded.size,
                registry.map(|r| r.profile()),
                registry.map(|r| {
                    let g = r.group();
                    ParametersBody {
                        threshold_percent: g.threshold_percent,
                        notice_days: match g.notice {
                            Notice::ExactDays(days) => Some(days),
                            Notice::CalendarMonths(_) => None,
                        },
                        notice_months: match g.notice {
                            Notice::CalendarMonths(months) => Some(months),
                            Notice::ExactDays(_) => None,
                        },
                        correspondence_window: g
                            .correspondence_window
                            .map(|w| w.as_str().to_owned()),
                        appeal_deadline_days: g.appeal_deadline_days,
                        reminder_hours: g.reminders.hours().to_vec(),
                    }
                }),
            )
        })
        .await;
    Ok(match summary {
        Ok((size, profile, parameters)) => GroupBody {
            id: group.to_owned(),
            profile,
            origin: origin.as_str().to_owned(),
            log_key,
            size,
            parameters,
            halted: None,
        },
        Err(e) => GroupBody {
            id: group.to_owned(),
            profile: None,
            origin: origin.as_str().to_owned(),
            log_key,
            size: 0,
            parameters: None,
            halted: Some(e.to_string()),
        },
    })
}

/// The groups where the caller has a role (every group for the server
/// secretariat): a group's existence, name and parameters are the
/// group's affairs, and an account of one group has no need to learn of
/// the others.
async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<GroupBody>>, ApiError> {
    state
        .discover()
        .await
        .map_err(|e| ApiError::Unavailable(format!("cannot open the groups' logs: {e}")))?;
    let groups: Vec<String> = state.logs.read().await.keys().cloned().collect();
    let mut out = Vec::with_capacity(groups.len());
    for group in groups {
        if visible(&state, &caller, &group).await? {
            out.push(describe(&state, &group).await?);
        }
    }
    Ok(Json(out))
}

async fn read(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(group): Path<String>,
) -> Result<Json<GroupBody>, ApiError> {
    if !visible(&state, &caller, &group).await? {
        return Err(ApiError::Forbidden(
            "you have no role in this group".to_owned(),
        ));
    }
    Ok(Json(describe(&state, &group).await?))
}

/// Whether the caller may read the group: a role in it, or the server
/// secretariat. A halted log has no readable registry: only the server
/// secretariat may see it, and why it halted.
async fn visible(state: &AppState, caller: &Caller, group: &str) -> Result<bool, ApiError> {
    let log = state.log(group).await?;
    Ok(match roles(state, caller, &log).await {
        Ok(r) => require(Action::ReadGroup, r).is_ok(),
        Err(_) => server_roles(state, caller).await?.server_secretariat,
    })
}
