//! `GET /v1/clock`, and `POST /v1/clock` to move a simulated clock forward.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::server_roles;
use crate::server::AppState;
use crate::server::auth::{Action, Caller, Public, require};
use crate::server::error::{ApiError, ApiJson};
use crate::time::{Duration, Timestamp};

/// The clock routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/clock", get(read).post(move_clock))
}

#[derive(Serialize)]
struct ClockBody {
    now: String,
    simulated: bool,
}

async fn read(State(state): State<Arc<AppState>>, _: Public) -> Json<ClockBody> {
    Json(ClockBody {
        now: state.clock.now().to_rfc3339_micros(),
        simulated: state.clock.is_simulated(),
    })
}

/// Exactly one of `to` and `advance_seconds`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveClock {
    to: Option<Timestamp>,
    advance_seconds: Option<i64>,
}

async fn move_clock(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<MoveClock>,
) -> Result<Json<ClockBody>, ApiError> {
    require(Action::MoveClock, server_roles(&state, &caller).await?)?;
    let moved = match (body.to, body.advance_seconds) {
        (Some(to), None) => state.clock.set(to),
        (None, Some(seconds)) if seconds >= 0 => state.clock.advance(Duration::seconds(seconds)),
        _ => {
            return Err(ApiError::bad_request(
                "invalid-clock-move",
                "give exactly one of `to` (RFC 3339 UTC) and `advance_seconds` (≥ 0)",
            ));
        }
    };
    moved.map_err(|e| ApiError::bad_request("invalid-clock-move", e.to_string()))?;
    // Whatever fell due at the new time is sequenced now, not at the
    // scheduler's next tick.
    state.tick.notify_one();
    Ok(read(State(state), Public).await)
}
