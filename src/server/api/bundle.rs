//! `GET /v1/groups/{group}/ballots/{ballot}/bundle`: a ballot's audit
//! bundle (`docs/formats.md` section 9) as one ustar archive, for the
//! group's members and reviewers, streamed from storage as
//! [`crate::server::bundle`] reads it.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::ballots::{authorise, ballot_id};
use crate::server::AppState;
use crate::server::auth::{Action, Caller};
use crate::server::bundle;
use crate::server::error::ApiError;

/// The bundle route.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/v1/groups/{group}/ballots/{ballot}/bundle", get(archive))
}

async fn archive(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let ballot = ballot_id(&ballot)?;
    let archive = bundle::archive(&state, &log, &ballot).await?;
    let mut response = Body::from_stream(archive).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{group}-{ballot}.tar\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
