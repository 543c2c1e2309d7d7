//! The secretariat's page of a group's e-mail deliveries (SPEC sections 8
//! and 9): pending, retrying, recording, failed (and, asked for, accepted)
//! notices, from [`commands::deliveries::outbox`], the function the API's
//! `GET /v1/groups/{group}/outbox` calls, for the same people
//! ([`Action::ReadOutbox`]). Persons by id; addresses stay in the accounts.
//! The page says when mail is not being delivered (no relay).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::WebError;
use super::pages::chrome;
use super::render::{Chrome, page};
use super::session::Session;
use crate::server::AppState;
use crate::server::auth::Action;
use crate::server::commands::deliveries::{self as commands, DeliveryState, OutboxView};

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    chrome: Chrome,
    group: String,
    /// The state shown (`pending`, …), or empty for every one not accepted.
    shown: &'static str,
    /// Whether mail leaves the server.
    sending: bool,
    view: OutboxView,
    limit: usize,
}

/// The query: which state to show.
#[derive(Deserialize)]
pub struct Shown {
    #[serde(default)]
    state: Option<DeliveryState>,
}

/// `GET /groups/{group}/deliveries[?state=…]`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path(group): Path<String>,
    shown: Result<Query<Shown>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    session
        .authorise(
            &state,
            &group,
            Action::ReadOutbox,
            "you do not see the deliveries",
        )
        .await?;
    let wanted = shown.ok().and_then(|q| q.0.state);
    let view = commands::outbox(&state, &group, wanted)
        .await
        .map_err(|e| WebError::from(crate::server::error::ApiError::from(e)))?;
    Ok(page(
        StatusCode::OK,
        &DeliveriesPage {
            chrome: chrome(&session, "deliveries"),
            group,
            shown: wanted.map_or("", DeliveryState::as_str),
            sending: state.web.mailer().is_some(),
            view,
            limit: commands::LIMIT,
        },
    ))
}
