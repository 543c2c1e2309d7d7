//! The public receipt check (SPEC section 8, "Anyone"): a page whose
//! module (`static/scrutineer.js`) checks a `.tlog-proof` receipt, and the
//! vote file if given, in the browser, against the group's log key pinned
//! on first use, and the receipt's checkpoint against the log's current
//! one through the public consistency proof (`GET /v1/groups/{group}/log/
//! proof/consistency`, which needs no token).
//!
//! `GET /log-keys/{group}` serves a group's log verifier key, the same
//! text as the `log_key` of `GET /v1/groups/{group}`, but public: it is a
//! public key, and a browser pins it once and then holds the server to
//! it. What trust on first use cannot show (a server that lies the very
//! first time) is why the page shows the key's fingerprint, for the person
//! to compare with the one the secretariat publishes
//! (docs/threat-model.md).
//!
//! `GET /witness-policy` serves the witnesses, groups and quorum of the
//! server's `--witness-policy` (`Policy::witness_text`, without URLs and
//! without `log` lines), public too: the page verifies with those keys
//! each cosignature on the checkpoints it checks, and shows the text's
//! fingerprint, since keys that come from the server prove only what the
//! server names unless compared with the policy published elsewhere.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::WebError;
use super::pages::chrome;
use super::render::{Chrome, page as render};
use super::session::Session;
use crate::server::AppState;

#[derive(Template)]
#[template(path = "check.html")]
struct CheckPage {
    chrome: Chrome,
    /// Whether the server asks witnesses (the page then says where the
    /// witness keys it uses come from).
    witnesses: bool,
}

/// `GET /check`: anyone, signed in or not.
pub async fn page(State(state): State<Arc<AppState>>, session: Option<Session>) -> Response {
    let chrome = match &session {
        Some(session) => chrome(session, "check"),
        None => Chrome {
            current: "check",
            ..Chrome::default()
        },
    };
    let witnesses = state.witnessing.is_some();
    render(StatusCode::OK, &CheckPage { chrome, witnesses })
}

/// `GET /log-keys/{group}`: the group's log verifier key, as text.
pub async fn log_key(
    State(state): State<Arc<AppState>>,
    Path(group): Path<String>,
) -> Result<Response, WebError> {
    let log = state.log(&group).await?;
    let key = state.verifier_key(&log.origin).encode();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        format!("{key}\n"),
    )
        .into_response())
}

/// `GET /witness-policy`: the witnesses the server asks and its quorum,
/// as a C2SP tlog-policy text; 204 No Content when it asks none (an
/// ordinary answer, which the page checks on every receipt, not an error
/// for the browser's console).
pub async fn witness_policy(State(state): State<Arc<AppState>>) -> Response {
    match &state.witnessing {
        Some(w) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            w.policy().witness_text(),
        )
            .into_response(),
        None => (
            StatusCode::NO_CONTENT,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
        )
            .into_response(),
    }
}
