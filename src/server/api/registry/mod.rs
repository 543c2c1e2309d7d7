//! The registry over HTTP: organisations, persons and their keys, meetings,
//! attendance (one by one or imported from a registration export), the
//! chair and the appeal reviewers of a group.
//!
//! Every change is an entry in the group's log (SPEC section 4), appended
//! through the group's sequencer by a command that checks the fact on the
//! state at its turn ([`GroupState::check`], the very check the fold runs
//! again), exactly as `groups.rs` creates a group. Reads come from the
//! sequencer's up-to-date fold. The group's secretariat and the server
//! secretariat write ([`Action::WriteRegistry`]); the group's members and
//! reviewers read ([`Action::ReadGroup`]); names and e-mail addresses,
//! which never enter the log, are shown only to the secretariat
//! ([`Action::ReadPersonalData`]).
//!
//! # Status codes
//!
//! A refusal becomes a problem whose `type` ends in the registry's own
//! code ([`Refusal::code`]); its status is decided here, in one place
//! ([`refused`]):
//!
//! - **404** when the resource named by the request's own path does not
//!   exist: the group, the organisation or person read, the person whose
//!   keys are changed, the key revoked, the attendance removed, the
//!   reviewer released, and the account of a person being registered.
//! - **409** when the change conflicts with the log's state: an id given in
//!   the body that the registry does not know (register it first), a
//!   duplicate or colliding key, a key already revoked, a second kick-off
//!   meeting, an online meeting with physical attendance, overlapping
//!   chair terms, ending a term that is not running.
//! - **422** when the change breaks a rule whatever the state: a class of
//!   the other profile, a founding flag outside `etsi-isg`, an empty
//!   period, physical attendance at an online meeting, a weak or malformed
//!   key, a key named for someone else, a chair's term over two years.
//! - **400** for a malformed request (JSON, unknown members, types, ids),
//!   **413** for a body over the limit, **415** for the wrong media type.

mod attendance;
mod chair;
pub(super) mod keys;
mod meetings;
mod organisations;
mod persons;

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::{Json, Router};
use serde::de::DeserializeOwned;

use super::{LogReceipt, roles};
use crate::registry::GroupState;
use crate::server::auth::{Action, Caller, Roles, require};
use crate::server::commands;
use crate::server::error::ApiError;
use crate::server::{AppState, Log};

/// The registry routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .merge(organisations::router())
        .merge(persons::router())
        .merge(meetings::router())
        .merge(attendance::router())
        .merge(chair::router())
}

/// The log of `group`, once the caller's roles there allow `action`; with
/// those roles, for handlers whose answer depends on them.
async fn authorise(
    state: &AppState,
    caller: &Caller,
    group: &str,
    action: Action,
) -> Result<(Arc<Log>, Roles), ApiError> {
    let log = state.log(group).await?;
    let roles = roles(state, caller, &log).await?;
    require(action, roles)?;
    Ok((log, roles))
}

/// Runs `read` on the group's registry as of the last entry (404 if the
/// group is not created yet).
async fn read_registry<T>(log: &Log, read: impl FnOnce(&GroupState) -> T) -> Result<T, ApiError> {
    log.read(|loaded| loaded.state.registry.as_ref().map(read))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("group {:?} is not created yet", log.group)))
}

/// A change appended to the log, by one of the registry's commands
/// ([`commands::registry`]).
pub(super) struct Written {
    /// Where the entry is, and the checkpoint that covers it.
    pub(super) receipt: LogReceipt,
    /// Whether the change created the resource (201) rather than changed
    /// or removed one (200).
    created: bool,
}

impl Written {
    /// The answer: 201 or 200 with the receipt.
    pub(super) fn reply(self) -> (StatusCode, Json<LogReceipt>) {
        let status = if self.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, Json(self.receipt))
    }
}

impl From<commands::registry::Recorded> for Written {
    fn from(recorded: commands::registry::Recorded) -> Self {
        Self {
            receipt: recorded.appended.into(),
            created: recorded.created,
        }
    }
}

/// Path parameters whose rejection is a problem (400), not axum's plain
/// text. Ids are taken as text and parsed by the handler with [`id`], so
/// that the problem names the parameter.
struct ApiPath<T>(T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> ApiError {
    ApiError::bad_request("malformed-path", rejection.body_text())
}

/// Parses a typed id from a path parameter (SPEC section 3 syntax).
fn id<T: std::str::FromStr<Err = crate::id::IdError>>(
    name: &'static str,
    text: &str,
) -> Result<T, ApiError> {
    text.parse()
        .map_err(|e| ApiError::bad_request("invalid-id", format!("{name} {text:?}: {e}")))
}
