//! The documents stored beside the log, as
//! [`crate::server::commands::documents::read`] decides who may read them
//! when: the roll at any time, the documents voted on from the
//! announcement on, notes and attachments after the close (SPEC section
//! 4); before it, a note or an attachment is a 404 like a hash nobody sent.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{authorise, ballot_id};
use crate::server::AppState;
use crate::server::auth::{Action, Caller};
use crate::server::commands::documents::{Readable, attachment_disposition, read};
use crate::server::error::ApiError;
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
    let readable = read(&state.store, &log, &id, &hash).await?;
    Ok(download(readable))
}

/// A document as an HTTP answer: its bytes, its media type, and for a
/// document voted on, the file name the chair signed.
pub(crate) fn download(readable: Readable) -> Response {
    let Readable {
        bytes,
        media_type,
        file_name,
    } = readable;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let media_type = HeaderValue::from_str(&media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, media_type);
    if let Some(value) =
        file_name.and_then(|name| HeaderValue::from_str(&attachment_disposition(&name)).ok())
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
