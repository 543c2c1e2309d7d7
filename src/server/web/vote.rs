//! `POST /groups/{group}/ballots/{ballot}/vote`: a vote signed in the
//! browser (SPEC section 8, "Delegates"), cast for the signed-in person.
//!
//! The ballot page's module (`static/scrutineer.js`) builds the note's
//! text, shows it, signs it with the person's non-extractable WebCrypto
//! key and sends the exact bytes it signed with `fetch`, as JSON
//! `{"note": "…", "attachment": "…"?}` (a form post of a textarea could
//! turn `\n` into `\r\n`). The handler only translates: the session gives
//! the person, the `X-CSRF-Token` header must be the session's token, and
//! the vote goes to [`commands::votes::cast`], the one function the JSON
//! API's `POST /v1/…/votes` calls too. The answer is the API's: 201
//! `{"index", "receipt"}`, 200 with the original receipt for a
//! byte-identical resubmission, or an RFC 9457 problem whose `type` ends in
//! the refusal's code (`not-eligible`, `outside-window`, …) and whose
//! `detail` is the server's reason, which the page shows beside the form.
//!
//! No session is a 401 problem, not a redirect: the caller is a script
//! that shows the answer, and a redirect would turn into a confusing
//! HTML page.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::session::Session;
use crate::id::{BallotId, PersonId};
use crate::server::AppState;
use crate::server::api;
use crate::server::api::ballots::VoteRequest;
use crate::server::auth::Action;
use crate::server::error::ApiError;

/// The largest vote request: a note (8 KiB) and an attachment (64 KiB),
/// each at most doubled by JSON escaping, and the JSON around them.
pub const MAX_VOTE_BYTES: usize = 160 * 1024;

/// The handler (module documentation).
pub async fn cast(
    State(state): State<Arc<AppState>>,
    session: Option<Session>,
    Path((group, ballot)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let session = session.ok_or(ApiError::Unauthenticated)?;
    super::csrf::require_header(&session.csrf, &headers)?;
    // The person's write budget, as for the API's writes.
    if let Err(wait) = state.limits.person.check(session.person.clone()) {
        return Err(ApiError::RateLimited {
            whose: "person",
            retry_after: wait.seconds(),
        });
    }
    let request: VoteRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "malformed-json",
            format!("the body must be JSON {{\"note\": …, \"attachment\": …}}: {e}"),
        )
    })?;
    let log = session
        .authorise(&state, &group, Action::CastVote, "you do not cast votes")
        .await?;
    let ballot = BallotId::new(&ballot)
        .map_err(|e| ApiError::bad_request("invalid-id", format!("ballot {ballot:?}: {e}")))?;
    let person = PersonId::new(&session.person).map_err(|_| {
        ApiError::Forbidden("your account is not a person of this group".to_owned())
    })?;
    // The same casting, and the same answers, as the JSON API's.
    api::ballots::cast(&state, &log, person, ballot, request).await
}
