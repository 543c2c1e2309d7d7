//! The server secretariat's accounts page: accounts (a person's id, name
//! and e-mail address, which never enter a log), their tokens, and the
//! groups' secretariats.
//!
//! `GET /accounts` lists the accounts; `POST /accounts/{form}` creates an
//! account, issues a token (shown once, in the answer's page: never in a
//! URL, stored only hashed), sends a one-time sign-in link to the person's
//! address ([`commands::sign_in_links::issue`]), revokes a person's tokens (which ends their
//! sessions), or makes a person a group's secretariat. Each calls the same
//! function in [`commands::accounts`] as the JSON API; only the server
//! secretariat may ([`Action::ManageAccounts`]).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::WebError;
use super::pages::chrome;
use super::render::{Chrome, page};
use super::session::Session;
use crate::id::PersonId;
use crate::server::AppState;
use crate::server::api::server_roles;
use crate::server::auth::{Action, Caller, require};
use crate::server::commands::{self, CommandError};
use crate::store::accounts::Account;

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<Account>,
    groups: Vec<String>,
    /// What was done: `created`, `token`, `link`, `revoked`, `granted`,
    /// or empty.
    done: &'static str,
    /// Whom it was done to.
    person: String,
    /// A token just issued, shown once.
    token: String,
    /// Whether sign-in links can be sent (mail leaves this server).
    links: bool,
    /// Tokens revoked, or the group granted.
    detail: String,
    /// The form refused, its field and why (`missing`, `id`, `text`,
    /// `refused` with the server's reason in `reason`).
    error_form: &'static str,
    error_field: &'static str,
    error_code: &'static str,
    reason: String,
    /// The refused form's values.
    values: Fields,
}

impl AccountsPage {
    fn value(&self, form: &str, name: &str) -> &str {
        if self.error_form != form {
            return "";
        }
        match name {
            "id" => &self.values.id,
            "name" => &self.values.name,
            "email" => &self.values.email,
            "label" => &self.values.label,
            "group" => &self.values.group,
            _ => "",
        }
    }

    fn invalid(&self, form: &str, field: &str) -> bool {
        self.error_form == form && self.error_field == field
    }
}

/// The fields of every form of the page.
#[derive(Deserialize, Default, Clone)]
pub struct Fields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    group: String,
}

async fn require_manager(state: &AppState, session: &Session) -> Result<(), WebError> {
    let caller = Caller::of(&session.person)?;
    require(Action::ManageAccounts, server_roles(state, &caller).await?)?;
    Ok(())
}

/// What a render shows.
#[derive(Default)]
struct Outcome {
    done: &'static str,
    person: String,
    token: String,
    detail: String,
    form: &'static str,
    field: &'static str,
    code: &'static str,
    reason: String,
    values: Fields,
}

async fn render(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    outcome: Outcome,
) -> Result<Response, WebError> {
    let accounts = state.store.accounts().await?;
    state
        .discover()
        .await
        .map_err(|e| WebError::Unavailable(format!("cannot open the groups' logs: {e}")))?;
    let groups = state.logs.read().await.keys().cloned().collect();
    Ok(page(
        status,
        &AccountsPage {
            chrome: chrome(session, "accounts"),
            accounts,
            groups,
            done: outcome.done,
            person: outcome.person,
            token: outcome.token,
            links: state.web.mailer().is_some(),
            detail: outcome.detail,
            error_form: outcome.form,
            error_field: outcome.field,
            error_code: outcome.code,
            reason: outcome.reason,
            values: outcome.values,
        },
    ))
}

/// `GET /accounts`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    session: Session,
) -> Result<Response, WebError> {
    require_manager(&state, &session).await?;
    render(&state, &session, StatusCode::OK, Outcome::default()).await
}

/// `POST /accounts/{form}`: `create`, `token`, `link`, `revoke`, `grant`.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path(form): Path<String>,
    posted: Result<Form<Fields>, FormRejection>,
) -> Result<Response, WebError> {
    let fields = session.checked_form(posted, |f| f.csrf.as_str())?;
    require_manager(&state, &session).await?;
    let form: &'static str = match form.as_str() {
        "create" => "create",
        "token" => "token",
        "link" => "link",
        "revoke" => "revoke",
        "grant" => "grant",
        _ => return Err(WebError::NotFound(format!("no accounts form {form:?}"))),
    };
    let invalid = |field: &'static str, code: &'static str| Outcome {
        form,
        field,
        code,
        values: fields.clone(),
        ..Outcome::default()
    };
    let person = match fields.id.trim().parse::<PersonId>() {
        Ok(person) => person.to_string(),
        Err(_) if fields.id.trim().is_empty() => {
            return render(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                invalid("id", "missing"),
            )
            .await;
        }
        Err(_) => {
            return render(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                invalid("id", "id"),
            )
            .await;
        }
    };
    let result: Result<Outcome, CommandError> = match form {
        "create" => {
            for (field, text) in [("name", &fields.name), ("email", &fields.email)] {
                if text.trim().is_empty() {
                    return render(
                        &state,
                        &session,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        invalid(field, "missing"),
                    )
                    .await;
                }
                if commands::accounts::check_text(text.trim()).is_err() {
                    return render(
                        &state,
                        &session,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        invalid(field, "text"),
                    )
                    .await;
                }
            }
            let account = Account {
                person: person.clone(),
                name: fields.name.trim().to_owned(),
                email: fields.email.trim().to_owned(),
            };
            commands::accounts::create(&state, &account)
                .await
                .map(|()| Outcome {
                    done: "created",
                    person: person.clone(),
                    ..Outcome::default()
                })
        }
        "token" => {
            let label = fields.label.trim();
            if commands::accounts::check_text(label).is_err() {
                return render(
                    &state,
                    &session,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    invalid("label", "text"),
                )
                .await;
            }
            commands::accounts::issue_token(&state, &person, label)
                .await
                .map(|token| Outcome {
                    done: "token",
                    person: person.clone(),
                    token,
                    ..Outcome::default()
                })
        }
        "link" => commands::sign_in_links::issue(&state, &person)
            .await
            .map(|issued| Outcome {
                done: "link",
                person: person.clone(),
                detail: issued.expires_at.to_rfc3339_micros(),
                ..Outcome::default()
            }),
        "revoke" => commands::accounts::revoke_tokens(&state, &person)
            .await
            .map(|count| Outcome {
                done: "revoked",
                person: person.clone(),
                detail: count.to_string(),
                ..Outcome::default()
            }),
        _ => {
            let group = fields.group.trim().to_owned();
            match state.log(&group).await {
                Err(_) => {
                    return render(
                        &state,
                        &session,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        invalid("group", "group"),
                    )
                    .await;
                }
                Ok(_) => commands::accounts::grant_secretariat(&state, &person, &group)
                    .await
                    .map(|()| Outcome {
                        done: "granted",
                        person: person.clone(),
                        detail: group,
                        ..Outcome::default()
                    }),
            }
        }
    };
    match result {
        Ok(outcome) => render(&state, &session, StatusCode::OK, outcome).await,
        Err(error) => {
            let Some(refused) = error.refused() else {
                return Err(crate::server::error::ApiError::from(error).into());
            };
            let status = match refused.kind {
                commands::RefusedKind::NotFound => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            let outcome = Outcome {
                reason: format!("{} ({})", refused.message, refused.code),
                ..invalid("", "refused")
            };
            render(&state, &session, status, outcome).await
        }
    }
}
