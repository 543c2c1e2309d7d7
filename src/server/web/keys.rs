//! The keys page: the person's registered keys in each group, their key
//! requests, and the browser's key tools (`static/scrutineer.js`: import a
//! `scrutineer keygen` key as a non-extractable WebCrypto key and check it
//! against the registered key ids listed here; or generate one in the
//! browser and request its registration with the form below).
//!
//! `POST /keys/requests` stores a key request for the group's secretariat
//! (`api/key_requests.rs` lists and approves it). The form works without
//! JavaScript too: a verifier key made with `scrutineer keygen` can be
//! pasted into it.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::WebError;
use super::pages::chrome;
use super::render::{Chrome, iso, page};
use super::session::Session;
use crate::note::key::{KeyError, VerifierKey};
use crate::server::AppState;
use crate::server::api;
use crate::server::auth::{Action, Caller, allowed};
use crate::store::web::KeyRequest;

/// A registered key as the page lists it.
pub struct KeyView {
    /// The key id, 8 lowercase hex digits (what the browser checks an
    /// imported key against).
    pub id: String,
    /// When it was registered.
    pub added: String,
    /// When it was revoked, if it was.
    pub revoked: Option<String>,
}

/// A group in which the person is registered, with their keys there.
pub struct KeyGroup {
    /// The group.
    pub id: String,
    /// The person's keys in it.
    pub keys: Vec<KeyView>,
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage {
    chrome: Chrome,
    /// The groups where the person may request a key.
    groups: Vec<KeyGroup>,
    /// The person's key requests, in every group.
    requests: Vec<KeyRequest>,
    /// The form's values, given back after an error.
    form_group: String,
    form_key: String,
    /// Why the group was refused (`missing`, `not-registered`), or empty.
    group_error: &'static str,
    /// Why the key was refused (`missing`, `malformed`, `weak`,
    /// `wrong-name`, `registered`, `requested`), or empty.
    key_error: &'static str,
    /// Set after a request was stored.
    requested: bool,
}

/// The fields of the key request form.
#[derive(Deserialize)]
pub struct RequestForm {
    csrf: String,
    group: String,
    verifier_key: String,
}

/// The groups where `person` is registered, with their keys.
async fn groups_of(state: &AppState, person: &str) -> Result<Vec<KeyGroup>, WebError> {
    state
        .discover()
        .await
        .map_err(|e| WebError::Unavailable(format!("cannot open the groups' logs: {e}")))?;
    let logs: Vec<_> = state.logs.read().await.values().cloned().collect();
    let caller = Caller::of(person)?;
    let mut groups = Vec::new();
    for log in logs {
        // A halted log is left out; the home page names it.
        let Ok(roles) = api::roles_for(state, &caller, &log, Action::RequestKey).await else {
            continue;
        };
        if !allowed(Action::RequestKey, roles) {
            continue;
        }
        let keys = log
            .read(|loaded| {
                loaded
                    .state
                    .registry
                    .as_ref()
                    .map(|r| {
                        r.keys_of(person)
                            .iter()
                            .map(|k| KeyView {
                                id: k.key.id().to_string(),
                                added: iso(k.added),
                                revoked: k.revoked.map(iso),
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .await
            .map_err(crate::server::error::ApiError::from)?;
        groups.push(KeyGroup {
            id: log.group.clone(),
            keys,
        });
    }
    Ok(groups)
}

/// The page, with the form's values and errors.
async fn render(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    form: Option<&RequestForm>,
    group_error: &'static str,
    key_error: &'static str,
    requested: bool,
) -> Result<Response, WebError> {
    let groups = groups_of(state, &session.person).await?;
    let requests = state.store.key_requests_of(&session.person).await?;
    Ok(page(
        status,
        &KeysPage {
            chrome: chrome(session, "keys"),
            groups,
            requests,
            form_group: form.map(|f| f.group.clone()).unwrap_or_default(),
            form_key: form.map(|f| f.verifier_key.clone()).unwrap_or_default(),
            group_error,
            key_error,
            requested,
        },
    ))
}

/// `GET /keys`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    session: Session,
    query: RawQuery,
) -> Result<Response, WebError> {
    let requested = query.0.as_deref() == Some("requested");
    render(&state, &session, StatusCode::OK, None, "", "", requested).await
}

/// `POST /keys/requests`: stores a request for the group's secretariat
/// to register the key, then back to the keys page (303), or the page
/// again with the error beside its field (422).
pub async fn request(
    State(state): State<Arc<AppState>>,
    session: Session,
    form: Result<Form<RequestForm>, FormRejection>,
) -> Result<Response, WebError> {
    let form = session.checked_form(form, |f| f.csrf.as_str())?;
    let invalid = |group_error, key_error| {
        render(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&form),
            group_error,
            key_error,
            false,
        )
    };
    if form.group.is_empty() {
        return invalid("missing", "").await;
    }
    let groups = groups_of(&state, &session.person).await?;
    let Some(group) = groups.iter().find(|g| g.id == form.group) else {
        return invalid("not-registered", "").await;
    };
    let text = form.verifier_key.trim();
    if text.is_empty() {
        return invalid("", "missing").await;
    }
    let key = match VerifierKey::parse(text) {
        Ok(key) => key,
        Err(KeyError::WeakKey) => return invalid("", "weak").await,
        Err(_) => return invalid("", "malformed").await,
    };
    // The registry refuses a key named for someone else; saying so now
    // spares the secretariat a request that cannot be approved.
    if key.name().as_str() != session.person {
        return invalid("", "wrong-name").await;
    }
    let id = key.id().to_string();
    if group.keys.iter().any(|k| k.id == id) {
        return invalid("", "registered").await;
    }
    let mut random = [0u8; 8];
    getrandom::fill(&mut random)
        .map_err(|e| WebError::Internal(format!("no entropy for a request id: {e}")))?;
    let request = KeyRequest {
        id: random.iter().map(|b| format!("{b:02x}")).collect(),
        group: group.id.clone(),
        person: session.person.clone(),
        verifier_key: key.encode(),
        requested_at: state.clock.now().to_rfc3339_micros(),
        approved_at: None,
        log_index: None,
    };
    if !state.store.insert_key_request(&request).await? {
        return invalid("", "requested").await;
    }
    Ok(Redirect::to("/keys?requested").into_response())
}
