//! The server secretariat's accounts page: accounts (a person's id, name
//! and e-mail address, which never enter a log), their tokens, and the
//! groups' secretariats.
//!
//! `GET /accounts` lists the accounts; `POST /accounts/{form}` creates an
//! account, issues a token (shown once, in the answer's page: never in a
//! URL, stored only hashed), sends a one-time sign-in link to the
//! person's address ([`commands::sign_in_links::issue`]), revokes a
//! person's tokens (which ends their
//! sessions), makes a person a group's secretariat, or creates a group
//! with its log (its profile's default parameters). Each calls the same
//! function in [`commands::accounts`] (or [`commands::groups`]) as the
//! JSON API; only the server
//! secretariat may ([`Action::ManageAccounts`]). A change done is answered
//! `303 See Other` to `/accounts`, which says once what was done (and
//! shows a token issued, from the server's memory: `flash.rs`), so that a
//! reload never issues a second token; a refused form is the page again
//! with its values.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::WebError;
use super::flash::{Flash, see_other};
use super::pages::chrome;
use super::render::{Chrome, page};
use super::session::Session;
use crate::id::PersonId;
use crate::rules::params::{CorrespondenceWindow, ParameterOverrides, Profile};
use crate::server::AppState;
use crate::server::api::server_roles;
use crate::server::auth::{Action, Caller, require};
use crate::server::commands::{self, CommandError};
use crate::server::error::ApiError;
use crate::store::accounts::Account;

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<Account>,
    groups: Vec<String>,
    /// What was done: `created`, `token`, `link`, `revoked`, `granted`,
    /// `group`, or empty.
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
            "profile" => &self.values.profile,
            "threshold_percent" => &self.values.threshold_percent,
            "notice" => &self.values.notice,
            "correspondence_window" => &self.values.correspondence_window,
            "appeal_deadline_days" => &self.values.appeal_deadline_days,
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
    #[serde(default)]
    profile: String,
    /// A new group's parameters, each empty for the profile's default.
    #[serde(default)]
    threshold_percent: String,
    /// Days (etsi-isg) or calendar months (itu-t-tap).
    #[serde(default)]
    notice: String,
    #[serde(default)]
    correspondence_window: String,
    #[serde(default)]
    appeal_deadline_days: String,
}

async fn require_manager(state: &AppState, session: &Session) -> Result<(), WebError> {
    let caller = Caller::of(&session.person)?;
    require(Action::ManageAccounts, server_roles(state, &caller).await?)?;
    Ok(())
}

/// What a change did, as the page says it once after the redirect.
#[derive(Default)]
pub struct Done {
    /// `created`, `token`, `link`, `revoked`, `granted`, `group`.
    pub done: &'static str,
    /// Whom it was done to.
    pub person: String,
    /// A token just issued, shown once.
    pub token: String,
    /// Tokens revoked, or the group granted.
    pub detail: String,
}

/// What a render shows.
#[derive(Default)]
struct Outcome {
    done: Done,
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
            done: outcome.done.done,
            person: outcome.done.person,
            token: outcome.done.token,
            links: state.web.mailer().is_some(),
            detail: outcome.done.detail,
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
    let done = match state
        .web
        .flashes
        .take(session.id_hash(), |f| matches!(f, Flash::Accounts(_)))
    {
        Some(Flash::Accounts(done)) => done,
        _ => Done::default(),
    };
    let outcome = Outcome {
        done,
        ..Outcome::default()
    };
    render(&state, &session, StatusCode::OK, outcome).await
}

/// A new group's parameters as the form gives them: each empty field
/// keeps the profile's default, the notice counts days for `etsi-isg` and
/// calendar months for `itu-t-tap`; or the field that is not a whole
/// number. Whether the values are allowed is decided by
/// [`commands::groups::new_group`], as for `POST /v1/groups`.
fn overrides_of(
    fields: &Fields,
    profile: Profile,
) -> Result<(ParameterOverrides, Option<u32>), &'static str> {
    let number = |name: &'static str, text: &str| match text.trim() {
        "" => Ok(None),
        t => t.parse::<u32>().map(Some).map_err(|_| name),
    };
    let notice = number("notice", &fields.notice)?;
    let (notice_days, notice_months) = match profile {
        Profile::ItuTTap => (None, notice),
        _ => (notice, None),
    };
    let correspondence_window = match fields.correspondence_window.as_str() {
        "plenaries" => Some(CorrespondenceWindow::Plenaries),
        "face-to-face-plenaries" => Some(CorrespondenceWindow::FaceToFacePlenaries),
        _ => None,
    };
    Ok((
        ParameterOverrides {
            threshold_percent: number("threshold_percent", &fields.threshold_percent)?,
            notice_days,
            notice_months,
            correspondence_window,
        },
        number("appeal_deadline_days", &fields.appeal_deadline_days)?,
    ))
}

/// `POST /accounts/group`: a new group with its log, through the same
/// functions as `POST /v1/groups`, with the parameters given (the
/// profile's defaults for those left empty).
async fn create_group(
    state: &AppState,
    session: &Session,
    fields: Fields,
) -> Result<Response, WebError> {
    let refused = |reason: String| Outcome {
        form: "group",
        code: "refused",
        reason,
        values: fields.clone(),
        ..Outcome::default()
    };
    let id = fields.id.trim();
    let profile = match fields.profile.as_str() {
        "itu-t-tap" => Profile::ItuTTap,
        _ => Profile::EtsiIsg,
    };
    let (overrides, appeal_days) = match overrides_of(&fields, profile) {
        Ok(parameters) => parameters,
        Err(field) => {
            let outcome = Outcome {
                form: "group",
                field,
                code: "number",
                values: fields.clone(),
                ..Outcome::default()
            };
            return render(state, session, StatusCode::UNPROCESSABLE_ENTITY, outcome).await;
        }
    };
    let created = match commands::groups::new_group(state, id, profile, &overrides, appeal_days) {
        Ok((origin, record)) => commands::groups::create(state, origin, record).await,
        Err(ApiError::BadRequest { detail, .. }) => {
            let outcome = refused(detail);
            return render(state, session, StatusCode::UNPROCESSABLE_ENTITY, outcome).await;
        }
        Err(other) => return Err(other.into()),
    };
    match created {
        Ok(_) => {
            let done = Done {
                done: "group",
                detail: id.to_owned(),
                ..Done::default()
            };
            state
                .web
                .flashes
                .put(session.id_hash(), Flash::Accounts(done));
            Ok(see_other("/accounts"))
        }
        Err(error) => {
            let Some(refused_by) = error.refused() else {
                return Err(ApiError::from(error).into());
            };
            let reason = format!("{} ({})", refused_by.message, refused_by.code);
            let outcome = refused(reason);
            render(state, session, StatusCode::CONFLICT, outcome).await
        }
    }
}

/// `POST /accounts/{form}`: `create`, `token`, `link`, `revoke`, `grant`,
/// `group`.
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
        "group" => "group",
        _ => return Err(WebError::NotFound(format!("no accounts form {form:?}"))),
    };
    let invalid = |field: &'static str, code: &'static str| Outcome {
        form,
        field,
        code,
        values: fields.clone(),
        ..Outcome::default()
    };
    if form == "group" {
        return create_group(&state, &session, fields).await;
    }
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
    let result: Result<Done, CommandError> = match form {
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
                .map(|()| Done {
                    done: "created",
                    person: person.clone(),
                    ..Done::default()
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
                .map(|token| Done {
                    done: "token",
                    person: person.clone(),
                    token,
                    ..Done::default()
                })
        }
        "link" => commands::sign_in_links::issue(&state, &person)
            .await
            .map(|issued| Done {
                done: "link",
                person: person.clone(),
                detail: issued.expires_at.to_rfc3339_micros(),
                ..Done::default()
            }),
        "revoke" => commands::accounts::revoke_tokens(&state, &person)
            .await
            .map(|count| Done {
                done: "revoked",
                person: person.clone(),
                detail: count.to_string(),
                ..Done::default()
            }),
        _ => {
            let group = fields.group.trim().to_owned();
            match state.log(&group).await {
                // Exists, but not served until its start-up check ends.
                Err(checking @ ApiError::Checking(_)) => return Err(checking.into()),
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
                    .map(|()| Done {
                        done: "granted",
                        person: person.clone(),
                        detail: group,
                        ..Done::default()
                    }),
            }
        }
    };
    match result {
        Ok(done) => {
            state
                .web
                .flashes
                .put(session.id_hash(), Flash::Accounts(done));
            Ok(see_other("/accounts"))
        }
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
