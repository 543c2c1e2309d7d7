//! `PUT /v1/groups/{group}/meetings/{meeting}` registers or changes a
//! meeting (a `meeting` entry, a full snapshot); `GET …/meetings[/{meeting}]`
//! reads them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{ApiPath, Written, authorise, id, read_registry};
use crate::id::MeetingId;
use crate::rules::{Meeting, MeetingFormat};
use crate::server::AppState;
use crate::server::api::LogReceipt;
use crate::server::auth::{Action, Caller};
use crate::server::commands;
use crate::server::error::{ApiError, ApiJson};
use crate::time::Timestamp;

/// The meeting routes.
pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/groups/{group}/meetings", get(list))
        .route("/v1/groups/{group}/meetings/{meeting}", get(read).put(put))
}

/// A meeting as the secretariat registers it; the id is the path's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeetingRequest {
    /// Only plenaries enter attendance windows.
    plenary: bool,
    /// `face-to-face`, `online` or `hybrid`.
    format: MeetingFormat,
    start: Timestamp,
    end: Timestamp,
    /// The group's kick-off meeting (`etsi-isg` only, at most one).
    #[serde(default)]
    kick_off: bool,
}

/// A meeting as the API shows it.
#[derive(Serialize)]
struct MeetingBody {
    id: String,
    plenary: bool,
    format: MeetingFormat,
    start: String,
    end: String,
    kick_off: bool,
}

impl From<&Meeting> for MeetingBody {
    fn from(m: &Meeting) -> Self {
        Self {
            id: m.id.as_str().to_owned(),
            plenary: m.plenary,
            format: m.format,
            start: m.start.to_rfc3339_micros(),
            end: m.end.to_rfc3339_micros(),
            kick_off: m.kick_off,
        }
    }
}

async fn put(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, meeting)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<MeetingRequest>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let meeting = Meeting {
        id: id::<MeetingId>("meeting", &meeting)?,
        plenary: body.plenary,
        format: body.format,
        start: body.start,
        end: body.end,
        kick_off: body.kick_off,
    };
    let written: Written = commands::registry::put_meeting(&log, meeting).await?.into();
    Ok(written.reply())
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(group): ApiPath<String>,
) -> Result<Json<Vec<MeetingBody>>, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let list = read_registry(&log, |r| r.meetings().map(Into::into).collect()).await?;
    Ok(Json(list))
}

async fn read(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, meeting)): ApiPath<(String, String)>,
) -> Result<Json<MeetingBody>, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    read_registry(&log, |r| r.meeting(&meeting).map(Into::into))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no meeting {meeting:?} in group {group:?}")))
}
