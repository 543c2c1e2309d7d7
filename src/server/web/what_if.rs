//! The what-if page: `GET /groups/{group}/what-if[?at=…]`. Pick an
//! instant and see the explained roll the rules would freeze if a ballot
//! opened then, on the live registry, with the latest announcement that
//! gives the notice; and the earliest opening of a ballot announced now.
//!
//! It writes nothing: the registry is read from the log's fold and handed
//! to [`crate::rules::what_if`], which runs the same schedule check and
//! roll as a real opening. Any member of the group may look (the registry
//! it reads is theirs to read: [`Action::ReadGroup`]).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::WebError;
use super::pages::chrome;
use super::render::{Chrome, iso, page};
use super::session::Session;
use crate::rules::what_if::{earliest_opening, roll_if_opened};
use crate::server::AppState;
use crate::server::auth::Action;
use crate::time::Timestamp;

/// One organisation's line of the hypothetical roll.
pub struct Line {
    organisation: String,
    class: &'static str,
    founding: bool,
    eligible: bool,
    reason: &'static str,
    physical: Vec<String>,
}

/// The roll the rules would freeze.
pub struct Answer {
    /// The instant asked about.
    at: String,
    /// The latest announcement giving the notice, if representable.
    announce_by: String,
    /// Whether that announcement is already past (at the clock's now).
    too_late: bool,
    /// The attendance window, oldest first.
    window: Vec<String>,
    /// The Kick-off Period: its KoM, start, end and whether it runs then.
    kick_off: Option<(String, String, String, bool)>,
    lines: Vec<Line>,
    eligible: usize,
}

#[derive(Template)]
#[template(path = "what_if.html")]
struct WhatIfPage {
    chrome: Chrome,
    group: String,
    profile: &'static str,
    now: String,
    /// The earliest opening of a ballot announced now.
    earliest: String,
    /// The instant in the form (as typed).
    asked: String,
    /// `time` when the instant could not be read; `schedule` with the
    /// rules' reason.
    error: &'static str,
    detail: String,
    answer: Option<Answer>,
}

/// The query: the instant asked about.
#[derive(Deserialize)]
pub struct Asked {
    #[serde(default)]
    at: String,
}

/// `GET /groups/{group}/what-if`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path(group): Path<String>,
    Query(asked): Query<Asked>,
) -> Result<Response, WebError> {
    let log = session
        .authorise(&state, &group, Action::ReadGroup, "you have no role")
        .await?;
    let now = state.clock.now();
    let text = asked.at.trim().to_owned();
    let at = if text.is_empty() {
        None
    } else {
        match Timestamp::parse(&text)
            .ok()
            .or_else(|| Timestamp::parse(&format!("{text}T00:00:00Z")).ok())
        {
            Some(at) => Some(at),
            None => {
                return render(&session, &log, now, text, "time", String::new(), None).await;
            }
        }
    };
    let Some(at) = at else {
        return render(&session, &log, now, text, "", String::new(), None).await;
    };
    let result = log
        .read(move |loaded| {
            let registry = loaded.state.registry.as_ref()?;
            Some(
                registry
                    .rules_registry()
                    .map_err(|e| e.to_string())
                    .and_then(|rules| {
                        roll_if_opened(registry.parameters(), &rules, at).map_err(|e| e.to_string())
                    }),
            )
        })
        .await
        .map_err(crate::server::error::ApiError::from)?
        .ok_or_else(|| WebError::NotFound(format!("group {group:?} is not created yet")))?;
    match result {
        Err(reason) => render(&session, &log, now, text, "schedule", reason, None).await,
        Ok(what) => {
            let roll = &what.roll;
            let answer = Answer {
                at: iso(at),
                announce_by: what.announce_by.map(iso).unwrap_or_default(),
                too_late: what.announce_by.is_none_or(|by| by < now),
                window: roll.window.iter().map(ToString::to_string).collect(),
                kick_off: roll.kick_off_period.as_ref().map(|k| {
                    (
                        k.kick_off_meeting.to_string(),
                        iso(k.start),
                        k.end.map(iso).unwrap_or_default(),
                        k.running,
                    )
                }),
                eligible: roll.eligible_count(),
                lines: roll
                    .organisations
                    .iter()
                    .map(|e| Line {
                        organisation: e.organisation.to_string(),
                        class: e.class.as_str(),
                        founding: e.founding,
                        eligible: e.eligible,
                        reason: e.reason.as_str(),
                        physical: e.physical.iter().map(ToString::to_string).collect(),
                    })
                    .collect(),
            };
            render(&session, &log, now, text, "", String::new(), Some(answer)).await
        }
    }
}

async fn render(
    session: &Session,
    log: &crate::server::Log,
    now: Timestamp,
    asked: String,
    error: &'static str,
    detail: String,
    answer: Option<Answer>,
) -> Result<Response, WebError> {
    let (profile, earliest) = log
        .read(move |loaded| {
            loaded.state.registry.as_ref().map(|r| {
                (
                    r.profile().as_str(),
                    earliest_opening(r.parameters(), now)
                        .map(iso)
                        .unwrap_or_default(),
                )
            })
        })
        .await
        .map_err(crate::server::error::ApiError::from)?
        .unwrap_or_default();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page(
        status,
        &WhatIfPage {
            chrome: chrome(session, "what-if"),
            group: log.group.clone(),
            profile,
            now: iso(now),
            earliest,
            asked,
            error,
            detail,
            answer,
        },
    ))
}
