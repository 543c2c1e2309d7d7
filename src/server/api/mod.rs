//! The HTTP API under `/v1`: one file per resource, each with its router
//! beside its handlers. Handlers are thin: extract, convert to domain types,
//! call one function, map the result.

mod accounts;
pub(crate) mod ballots;
mod bundle;
mod clock;
mod groups;
mod key_requests;
mod log;
pub mod openapi;
mod outbox;
mod query;
mod registry;
mod review;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::auth::{Action, Caller, Roles, allowed, bearer_token, require, token_hash};
use super::config::Config;
use super::error::ApiError;
use super::rate_limit::address_key;
use super::sequencer::Appended;
use super::{AppState, Log};
use crate::registry::state::GroupState;
use crate::time::Timestamp;

/// The whole API.
pub fn router(state: Arc<AppState>, config: &Config) -> Router {
    let timeout = StdDuration::from_secs(config.request_timeout_secs.max(1));
    let max_body = u64::try_from(config.max_body_bytes).unwrap_or(u64::MAX);
    let max_upload = u64::try_from(config.max_upload_bytes).unwrap_or(u64::MAX);
    Router::new()
        .merge(openapi::router())
        .merge(accounts::router())
        .merge(ballots::router(config.max_upload_bytes))
        .merge(bundle::router())
        .merge(clock::router())
        .merge(groups::router())
        .merge(key_requests::router())
        .merge(log::router())
        .merge(outbox::router())
        .merge(registry::router())
        .merge(review::router())
        .fallback(not_found)
        // axum sets the `Allow` header on what this fallback answers.
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let limit = if is_upload(&request) {
                max_upload
            } else {
                max_body
            };
            declared_length(request, next, limit)
        }))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            time_limit(request, next, timeout)
        }))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            write_limits,
        ))
        .with_state(state)
}

/// What answers a path no route knows: a JSON problem under `/v1`, the
/// web application's HTML page anywhere else (the two routers share one
/// listener and axum allows one fallback).
async fn not_found(uri: axum::http::Uri) -> Response {
    let path = uri.path();
    if path == "/v1" || path.starts_with("/v1/") {
        ApiError::NotFound("no such resource".to_owned()).into_response()
    } else {
        super::web::not_found_page()
    }
}

/// Counts a write (any method but GET, HEAD and OPTIONS) against its
/// client address's budget, then, when its token is valid, against its
/// person's; a write over either is answered 429 before anything reads its
/// body (`rate_limit.rs`). The person found is handed on to the [`Caller`]
/// extractor, so the token is looked up once. A write with no valid token
/// counts against its address only, and its handler answers 401.
async fn write_limits(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let limits = &state.limits;
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && let Err(wait) = limits.address.check(address_key(peer.ip()))
    {
        return ApiError::RateLimited {
            whose: "address",
            retry_after: wait.seconds(),
        }
        .into_response();
    }
    if limits.person.is_limited()
        && let Some(text) = bearer_token(request.headers())
    {
        // A storage error here is left to the handler, which asks
        // again and answers it.
        if let Ok(Some(person)) = state.access.person(&state.store, &token_hash(text)).await {
            if let Err(wait) = limits.person.check(person.clone()) {
                return ApiError::RateLimited {
                    whose: "person",
                    retry_after: wait.seconds(),
                }
                .into_response();
            }
            if let Ok(caller) = Caller::of(&person) {
                request.extensions_mut().insert(caller);
            }
        }
    }
    next.run(request).await
}

/// Whether a request is the one upload held to `--max-upload-bytes`
/// rather than `--max-body-bytes`: an announcement with the documents
/// voted on (`POST /v1/groups/{group}/ballots`), whose route carries the
/// same limit as its body limit.
fn is_upload(request: &Request) -> bool {
    if request.method() != axum::http::Method::POST {
        return false;
    }
    let segments: Vec<&str> = request.uri().path().split('/').collect();
    matches!(segments.as_slice(), ["", "v1", "groups", _, "ballots"])
}

/// Answers 413 at once when a request declares a body longer than the
/// limit. The body limit alone refuses only once that much has arrived, so
/// a client that declares a huge length and sends little would hold the
/// request until the time limit and get a 504 instead.
async fn declared_length(request: Request, next: Next, limit: u64) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return ApiError::TooLarge.into_response();
    }
    next.run(request).await
}

/// Answers 504 with a problem when a request takes longer than the limit.
async fn time_limit(request: Request, next: Next, limit: StdDuration) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// What a change to a log answers: where its entry is and the checkpoint
/// that covers it.
#[derive(Debug, Serialize)]
pub struct LogReceipt {
    /// The entry's index.
    pub index: u64,
    /// The log's size after the change.
    pub size: u64,
    /// The entry's exact text.
    pub entry: String,
    /// The signed checkpoint covering the entry.
    pub checkpoint: String,
}

impl From<Appended> for LogReceipt {
    fn from(appended: Appended) -> Self {
        Self {
            index: appended.index,
            size: appended.size,
            entry: String::from_utf8_lossy(&appended.entry).into_owned(),
            checkpoint: String::from_utf8_lossy(&appended.checkpoint).into_owned(),
        }
    }
}

/// The caller's roles in a group, from the grants and the group's log
/// brought up to date with storage.
pub async fn roles(state: &AppState, caller: &Caller, log: &Log) -> Result<Roles, ApiError> {
    let granted = grants(state, caller, log).await?;
    logged_roles(state, caller, log, granted).await
}

/// [`roles`] with the caller's grants already read.
async fn logged_roles(
    state: &AppState,
    caller: &Caller,
    log: &Log,
    granted: Roles,
) -> Result<Roles, ApiError> {
    let now = state.clock.now();
    let person = caller.person.as_str();
    log.read(|loaded| registry_roles(granted, loaded.state.registry.as_ref(), person, now))
        .await
        .map_err(ApiError::from)
}

/// Checks that the caller may do `action` in `log`'s group and returns
/// its roles. The registry's roles are read first from the log's published
/// view, which does not wait for a batch being committed; only when that
/// view does not allow the action are they read again from the log
/// brought up to date ([`roles`]), so that nothing newer than the view is
/// ever refused. What the view allows, the sequencer checks again where it
/// matters (a vote's signer, a chair's or a reviewer's signature).
pub async fn authorise_in(
    state: &AppState,
    caller: &Caller,
    log: &Log,
    action: Action,
) -> Result<Roles, ApiError> {
    let roles = roles_for(state, caller, log, action).await?;
    require(action, roles)?;
    Ok(roles)
}

/// The caller's roles in `log`'s group as [`authorise_in`] reads them:
/// from the published view when it allows `action`, else from the log
/// brought up to date. The pages ask this too, so that a page waits for
/// a batch being committed only when the view would refuse.
pub async fn roles_for(
    state: &AppState,
    caller: &Caller,
    log: &Log,
    action: Action,
) -> Result<Roles, ApiError> {
    let granted = grants(state, caller, log).await?;
    if let Some(published) = log.published() {
        let now = state.clock.now();
        let roles = registry_roles(
            granted,
            published.registry.as_deref(),
            caller.person.as_str(),
            now,
        );
        if allowed(action, roles) {
            return Ok(roles);
        }
    }
    logged_roles(state, caller, log, granted).await
}

/// `granted` with the roles a registry gives `person`: chair in office,
/// reviewer, registered person.
fn registry_roles(
    granted: Roles,
    registry: Option<&GroupState>,
    person: &str,
    now: Timestamp,
) -> Roles {
    match registry {
        Some(registry) => Roles {
            chair: registry.chair_at(now).is_some_and(|p| p.as_str() == person),
            reviewer: registry.is_reviewer(person),
            delegate: registry.person(person).is_some(),
            ..granted
        },
        None => granted,
    }
}

/// The caller's secretariat grants, server-wide and over `log`'s group.
async fn grants(state: &AppState, caller: &Caller, log: &Log) -> Result<Roles, ApiError> {
    Ok(Roles {
        server_secretariat: state
            .access
            .is_secretariat(&state.store, caller.person.as_str(), "*")
            .await?,
        secretariat: state
            .access
            .is_secretariat(&state.store, caller.person.as_str(), &log.group)
            .await?,
        ..Roles::default()
    })
}

/// The server-wide roles of a caller (no group).
pub async fn server_roles(state: &AppState, caller: &Caller) -> Result<Roles, ApiError> {
    Ok(Roles {
        server_secretariat: state
            .access
            .is_secretariat(&state.store, caller.person.as_str(), "*")
            .await?,
        ..Roles::default()
    })
}
