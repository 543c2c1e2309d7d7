//! The documents stored beside the log: the roll at any time, notes and
//! attachments after the close (SPEC section 4); before it, a note or an
//! attachment is a 404 like a hash nobody sent.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{authorise, ballot_id};
use crate::server::AppState;
use crate::server::auth::{Action, Caller};
use crate::server::error::ApiError;
use crate::store::documents::DocumentKind;
use crate::tlog::Hash;

pub(super) async fn document(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, ballot, sha256)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let id = ballot_id(&ballot)?;
    let hash = Hash::from_hex(&sha256)
        .ok()
        .filter(|h| h.to_hex() == sha256)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid-hash",
                "the hash is 64 lowercase hexadecimal digits",
            )
        })?;
    // A vote's note is stored under its entry, which the fold knows.
    let (revealed, entry) = log
        .read(|loaded| {
            loaded.state.book.ballot(id.as_str()).map(|b| {
                let entry = b
                    .lifecycle
                    .votes()
                    .and_then(|v| v.by_note(&hash))
                    .map(|v| v.index);
                (b.lifecycle.revealed(), entry)
            })
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no ballot {ballot:?}")))?;
    // Before the close, a note or an attachment is answered exactly as a
    // hash nobody sent: a different answer would confirm a guess of
    // another organisation's note or reasons (SPEC section 4: nothing of a
    // vote but its commitment is visible before the close).
    let absent = || {
        let revealed_at_close = if revealed {
            ""
        } else {
            "; notes and attachments are readable from the ballot's close"
        };
        ApiError::NotFound(format!(
            "ballot {ballot:?} has no readable document {sha256}{revealed_at_close}"
        ))
    };
    let found = state
        .store
        .document(&group, &hash, entry)
        .await?
        .filter(|d| d.ballot == id.as_str());
    let document = match found {
        Some(document) => Some(document),
        // The same attachment sent with votes of two ballots is stored
        // once for each: the row of this ballot.
        None => state
            .store
            .documents(&group, std::slice::from_ref(&hash))
            .await?
            .into_iter()
            .find(|d| d.ballot == id.as_str()),
    }
    .ok_or_else(absent)?;
    let content_type = match document.kind {
        DocumentKind::Roll | DocumentKind::Tally => "application/json",
        DocumentKind::Note | DocumentKind::Attachment if !revealed => return Err(absent()),
        _ => "text/plain; charset=utf-8",
    };
    let mut response = document.bytes.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}
