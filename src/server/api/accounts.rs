//! Accounts, tokens and secretariat grants (server secretariat only), and
//! `GET /v1/me`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{roles, server_roles};
use crate::id::PersonId;
use crate::server::AppState;
use crate::server::auth::{Action, Caller, require};
use crate::server::commands;
use crate::server::error::{ApiError, ApiJson};
use crate::store::accounts::Account;

/// The account routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/persons", get(list).post(create))
        .route(
            "/v1/persons/{person}/tokens",
            post(new_token).delete(revoke_tokens),
        )
        .route("/v1/persons/{person}/sign-in-links", post(new_sign_in_link))
        .route("/v1/groups/{group}/secretariat", post(grant_secretariat))
        .route("/v1/me", get(me))
}

/// A new account. Names and e-mail addresses stay out of the log.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    id: PersonId,
    name: String,
    email: String,
}

#[derive(Serialize)]
struct AccountBody {
    id: String,
    name: String,
    email: String,
}

impl From<Account> for AccountBody {
    fn from(a: Account) -> Self {
        Self {
            id: a.person,
            name: a.name,
            email: a.email,
        }
    }
}

fn check_text(field: &'static str, text: &str) -> Result<(), ApiError> {
    commands::accounts::check_text(text).map_err(|_| {
        ApiError::bad_request(
            "invalid-field",
            format!("{field} must be at most 200 characters without control characters"),
        )
    })
}

async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(body): ApiJson<NewAccount>,
) -> Result<(StatusCode, Json<AccountBody>), ApiError> {
    require(Action::ManageAccounts, server_roles(&state, &caller).await?)?;
    check_text("name", &body.name)?;
    check_text("email", &body.email)?;
    let account = Account {
        person: body.id.as_str().to_owned(),
        name: body.name,
        email: body.email,
    };
    commands::accounts::create(&state, &account).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<AccountBody>>, ApiError> {
    require(Action::ManageAccounts, server_roles(&state, &caller).await?)?;
    let accounts = state.store.accounts().await?;
    Ok(Json(accounts.into_iter().map(AccountBody::from).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    label: String,
}

#[derive(Serialize)]
struct TokenBody {
    person: String,
    token: String,
}

async fn new_token(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(person): Path<String>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<TokenBody>), ApiError> {
    require(Action::ManageAccounts, server_roles(&state, &caller).await?)?;
    check_text("label", &body.label)?;
    let token = commands::accounts::issue_token(&state, &person, &body.label).await?;
    Ok((StatusCode::CREATED, Json(TokenBody { person, token })))
}

#[derive(Serialize)]
struct LinkSent {
    person: String,
    /// When the link stops working (RFC 3339 UTC); the link itself is in
    /// the e-mail only.
    expires_at: String,
}

/// Sends a one-time sign-in link to the person's e-mail address (202: the
/// relay took it; the link is never in the answer).
async fn new_sign_in_link(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(person): Path<String>,
) -> Result<(StatusCode, Json<LinkSent>), ApiError> {
    require(Action::ManageAccounts, server_roles(&state, &caller).await?)?;
    let issued = commands::sign_in_links::issue(&state, &person).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(LinkSent {
            person: issued.person,
            expires_at: issued.expires_at.to_rfc3339_micros(),
        }),
    ))
}

#[derive(Serialize)]
struct Revoked {
    revoked: u64,
}

async fn revoke_tokens(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(person): Path<String>,
) -> Result<Json<Revoked>, ApiError> {
    require(Action::ManageAccounts, server_roles(&state, &caller).await?)?;
    let revoked = commands::accounts::revoke_tokens(&state, &person).await?;
    Ok(Json(Revoked { revoked }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Grant {
    person: PersonId,
}

async fn grant_secretariat(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(group): Path<String>,
    ApiJson(body): ApiJson<Grant>,
) -> Result<StatusCode, ApiError> {
    require(Action::ManageAccounts, server_roles(&state, &caller).await?)?;
    state.log(&group).await?;
    commands::accounts::grant_secretariat(&state, body.person.as_str(), &group).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct Me {
    person: String,
    server_secretariat: bool,
    groups: Vec<GroupRoles>,
}

#[derive(Serialize)]
struct GroupRoles {
    group: String,
    roles: Vec<&'static str>,
}

async fn me(State(state): State<Arc<AppState>>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let server_secretariat = server_roles(&state, &caller).await?.server_secretariat;
    state
        .discover()
        .await
        .map_err(|e| ApiError::Unavailable(format!("cannot open the groups' logs: {e}")))?;
    let logs: Vec<_> = state.logs.read().await.values().cloned().collect();
    let mut groups = Vec::new();
    for log in logs {
        // A halted log is skipped here; its own endpoints say why.
        let Ok(r) = roles(&state, &caller, &log).await else {
            continue;
        };
        let names: Vec<&'static str> = [
            (r.secretariat, "secretariat"),
            (r.chair, "chair"),
            (r.delegate, "delegate"),
            (r.reviewer, "reviewer"),
        ]
        .into_iter()
        .filter_map(|(has, name)| has.then_some(name))
        .collect();
        if !names.is_empty() {
            groups.push(GroupRoles {
                group: log.group.clone(),
                roles: names,
            });
        }
    }
    Ok(Json(Me {
        person: caller.person.to_string(),
        server_secretariat,
        groups,
    }))
}
