//! The OpenAPI document, health and readiness.
//!
//! The document is written by hand (`openapi.json` beside this file) rather
//! than generated, to keep the dependency set small. Two tests of
//! `tests/api_roles.rs` hold it to the router: every operation it lists is
//! a row of the authorisation matrix, which calls each against the running
//! server, and every route the router declares is in it.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::server::AppState;
use crate::server::auth::Public;
use crate::server::error::ApiError;

/// The OpenAPI 3.1 document of the API.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// The routes of this file.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/openapi.json", get(document))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
}

/// The document; a token sent with the request must be valid, as on every
/// public endpoint under `/v1`. The probes `/healthz` and `/readyz`,
/// outside the API, ignore the header: an orchestrator's check must not
/// depend on the token store.
async fn document(_: Public) -> Response {
    let mut response = DOCUMENT.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Ready when every log found at start has been checked and the database
/// answers. While logs are being checked: 503 with `Retry-After` and one
/// line per log not checked yet, saying how far its check is.
/// The details list each group's witness quorum (`--witness-policy`): a
/// quorum not reached is shown, but never makes the server unready, since
/// votes must not wait for witnesses.
async fn ready(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    if !state.checks.is_ready() {
        let mut body = state.checks.report().join("\n");
        body.push('\n');
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            [(
                header::RETRY_AFTER,
                HeaderValue::from(crate::server::checks::RETRY_AFTER_SECS),
            )],
            body,
        )
            .into_response());
    }
    state
        .store
        .heads()
        .await
        .map_err(|e| ApiError::Unavailable(format!("the database does not answer: {e}")))?;
    let mut body = "ready\n".to_owned();
    if let Some(witnessing) = &state.witnessing {
        for line in witnessing.report() {
            body.push_str(&line);
            body.push('\n');
        }
    }
    Ok((StatusCode::OK, body).into_response())
}
