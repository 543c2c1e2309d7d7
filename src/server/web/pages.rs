//! The home page and the ballot page.
//!
//! Both read a group exactly as the JSON API does: the log from
//! [`AppState::log`], the person's roles from [`api::roles`] and the
//! authorisation table ([`Action::ReadGroup`]), the ballots from the log's
//! fold ([`view`]).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::WebError;
use super::render::{Chrome, iso, page};
use super::session::Session;
use super::view::{self, BallotSummary, BallotView, Phase};
use crate::server::AppState;
use crate::server::api;
use crate::server::auth::{Action, Caller, Roles, allowed};

/// A group on the home page, with its ballots by phase.
pub struct GroupView {
    /// The group's id.
    pub id: String,
    /// The person's role codes there (`secretariat`, `chair`, `delegate`,
    /// `reviewer`).
    pub roles: Vec<&'static str>,
    /// The person's organisation there, if registered.
    pub organisation: Option<String>,
    /// Its ballots: open, upcoming, closed, in this order.
    pub sections: [Section; 3],
}

/// The ballots of one phase.
pub struct Section {
    /// `open`, `upcoming` or `closed`.
    pub phase: &'static str,
    /// The ballots, by id.
    pub ballots: Vec<BallotSummary>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    /// `None` when signed out: the page says what Scrutineer is.
    groups: Option<Vec<GroupView>>,
    /// The groups whose logs are not served, by id.
    halted: Vec<String>,
    /// Groups whose logs are being checked since the server started.
    checking: Vec<String>,
    /// The clock's time, ISO 8601 UTC.
    now: String,
}

#[derive(Template)]
#[template(path = "ballot.html")]
struct BallotPage {
    chrome: Chrome,
    ballot: BallotView,
    now: String,
    /// The person's role codes in the group, for the officers' links.
    roles: Vec<&'static str>,
}

impl BallotPage {
    fn has(&self, role: &str) -> bool {
        self.roles.contains(&role)
    }
}

/// The chrome of a signed-in page.
pub fn chrome(session: &Session, current: &'static str) -> Chrome {
    Chrome {
        person: Some(session.person.clone()),
        csrf: session.csrf.as_str().to_owned(),
        current,
    }
}

fn role_codes(roles: Roles) -> Vec<&'static str> {
    [
        (roles.secretariat || roles.server_secretariat, "secretariat"),
        (roles.chair, "chair"),
        (roles.delegate, "delegate"),
        (roles.reviewer, "reviewer"),
    ]
    .into_iter()
    .filter_map(|(has, name)| has.then_some(name))
    .collect()
}

/// `GET /`: signed out, what Scrutineer is and a sign-in link; signed in,
/// the person's groups and their ballots, upcoming, open and closed.
pub async fn home(
    State(state): State<Arc<AppState>>,
    session: Option<Session>,
) -> Result<Response, WebError> {
    let now = iso(state.clock.now());
    let Some(session) = session else {
        return Ok(page(
            StatusCode::OK,
            &Home {
                chrome: Chrome {
                    current: "home",
                    ..Chrome::default()
                },
                groups: None,
                halted: Vec::new(),
                checking: Vec::new(),
                now,
            },
        ));
    };
    state
        .discover()
        .await
        .map_err(|e| WebError::Unavailable(format!("cannot open the groups' logs: {e}")))?;
    let logs: Vec<_> = state.logs.read().await.values().cloned().collect();
    let caller = Caller::of(&session.person)?;
    let mut groups = Vec::new();
    let mut halted = Vec::new();
    for log in logs {
        let roles = match api::roles_for(&state, &caller, &log, Action::ReadGroup).await {
            Ok(roles) => roles,
            // A halted log: its own pages say why.
            Err(crate::server::error::ApiError::Unavailable(_)) => {
                halted.push(log.group.clone());
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if !allowed(Action::ReadGroup, roles) {
            continue;
        }
        let person = session.person.clone();
        // The published view, which a batch being committed does not hold
        // up; the log itself only when nothing is published yet.
        let group = match log.published() {
            Some(published) => group_view(
                log.group.clone(),
                roles,
                published.registry.as_deref(),
                &person,
                published.ballots.iter().map(view::headline),
            ),
            None => {
                let id = log.group.clone();
                log.read(move |loaded| {
                    let ballots = loaded.state.book.ballots();
                    group_view(
                        id,
                        roles,
                        loaded.state.registry.as_ref(),
                        &person,
                        ballots.map(|(id, tracked)| view::summary(id.as_str(), tracked)),
                    )
                })
                .await
                .map_err(crate::server::error::ApiError::from)?
            }
        };
        groups.push(group);
    }
    Ok(page(
        StatusCode::OK,
        &Home {
            chrome: chrome(&session, "home"),
            groups: Some(groups),
            halted,
            checking: state.checks.pending_groups(),
            now,
        },
    ))
}

/// A group on the home page: the person's roles and organisation, and its
/// ballots by phase.
fn group_view(
    id: String,
    roles: crate::server::auth::Roles,
    registry: Option<&crate::registry::GroupState>,
    person: &str,
    ballots: impl Iterator<Item = view::BallotSummary>,
) -> GroupView {
    let mut sections = ["open", "upcoming", "closed"].map(|phase| Section {
        phase,
        ballots: Vec::new(),
    });
    for summary in ballots {
        let section = match summary.phase {
            Phase::Open => 0,
            Phase::Upcoming => 1,
            Phase::Closed => 2,
        };
        sections[section].ballots.push(summary);
    }
    GroupView {
        id,
        roles: role_codes(roles),
        organisation: registry
            .and_then(|r| r.person(person))
            .map(|p| p.organisation.to_string()),
        sections,
    }
}

/// `GET /groups/{group}/ballots/{ballot}`: a ballot as a member sees it.
pub async fn ballot(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, ballot)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let log = session
        .authorise(&state, &group, Action::ReadGroup, "you have no role")
        .await?;
    let caller = Caller::of(&session.person)?;
    let roles = role_codes(api::roles_for(&state, &caller, &log, Action::ReadGroup).await?);
    let now = state.clock.now();
    let person = session.person.clone();
    let view = log
        .read(|loaded| {
            loaded.state.book.ballot(&ballot).map(|tracked| {
                view::ballot(
                    &group,
                    loaded.state.book.origin().as_str(),
                    &ballot,
                    tracked,
                    loaded.state.registry.as_ref(),
                    &person,
                    now,
                )
            })
        })
        .await
        .map_err(crate::server::error::ApiError::from)?
        .ok_or_else(|| WebError::NotFound(format!("no ballot {ballot:?} in group {group:?}")))?;
    Ok(page(
        StatusCode::OK,
        &BallotPage {
            chrome: chrome(&session, "home"),
            ballot: view,
            now: iso(now),
            roles,
        },
    ))
}

/// A document stored beside the log, for a member signed in: the same
/// reading as the API's ([`crate::server::commands::documents::read`]),
/// answered as a download.
pub async fn document(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((group, ballot, sha256)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let log = session
        .authorise(&state, &group, Action::ReadGroup, "you have no role")
        .await?;
    let ballot = crate::id::BallotId::new(&ballot)
        .map_err(|e| WebError::BadRequest(format!("ballot {ballot:?}: {e}")))?;
    let hash = crate::tlog::Hash::from_hex(&sha256)
        .ok()
        .filter(|h| h.to_hex() == sha256)
        .ok_or_else(|| {
            WebError::BadRequest("a document is named by 64 lowercase hexadecimal digits".into())
        })?;
    let readable = crate::server::commands::documents::read(&state.store, &log, &ballot, &hash)
        .await
        .map_err(crate::server::error::ApiError::from)?;
    Ok(api::ballots::documents::download(readable))
}
