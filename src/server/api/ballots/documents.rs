//! The documents stored beside the log: the roll at any time, notes and
//! attachments after the close (SPEC section 4); before it, a note or an
//! attachment is a 404 like a hash nobody sent.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{authorise, ballot_id};
use crate::ballot::DocumentRef;
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
    // A vote's note is stored under its entry, which the fold knows; a
    // document voted on is named, with its media type and file name, by
    // the announcement.
    let (revealed, entry, named) = log
        .read(|loaded| {
            loaded.state.book.ballot(id.as_str()).map(|b| {
                let entry = b
                    .lifecycle
                    .votes()
                    .and_then(|v| v.by_note(&hash))
                    .map(|v| v.index);
                let named = b
                    .lifecycle
                    .announced()
                    .subject
                    .as_ref()
                    .and_then(|s| s.documents.iter().find(|d| d.sha256 == hash).cloned());
                (b.lifecycle.revealed(), entry, named)
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
        // A document voted on, offered under the type and name the chair
        // signed; one only an earlier announcement named, as bytes.
        DocumentKind::Draft => return Ok(draft(document.bytes, named.as_ref())),
        _ => "text/plain; charset=utf-8",
    };
    let mut response = document.bytes.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// A document voted on, as a download: its media type and file name as
/// the announcement names them (RFC 6266, the name percent-encoded as
/// RFC 8187 says, so that any name is safe in the header).
fn draft(bytes: Vec<u8>, named: Option<&DocumentRef>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let media_type = named
        .and_then(|d| HeaderValue::from_str(&d.media_type).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, media_type);
    if let Some(document) = named {
        let encoded: String = document
            .file_name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}"))
        {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
