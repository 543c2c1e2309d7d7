//! `PUT /v1/groups/{group}/organisations/{org}` registers or changes an
//! organisation (an `organisation` entry, a full snapshot);
//! `GET …/organisations[/{org}]` reads them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{ApiPath, Written, authorise, id, read_registry};
use crate::id::OrgId;
use crate::rules::{Membership, OrgClass, Organisation};
use crate::server::AppState;
use crate::server::api::LogReceipt;
use crate::server::auth::{Action, Caller};
use crate::server::commands;
use crate::server::error::{ApiError, ApiJson};
use crate::time::Timestamp;

/// The organisation routes.
pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/groups/{group}/organisations", get(list))
        .route("/v1/groups/{group}/organisations/{org}", get(read).put(put))
}

/// An organisation as the secretariat registers it; the id is the path's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationRequest {
    /// A class of the group's profile (SPEC section 3).
    class: OrgClass,
    /// Listed in Annex 2 (founding member); `etsi-isg` only.
    #[serde(default)]
    founding: bool,
    /// The first instant of membership; absent for "always".
    from: Option<Timestamp>,
    /// The first instant after membership; absent for "still a member".
    to: Option<Timestamp>,
}

/// An organisation as the API shows it.
#[derive(Serialize)]
struct OrganisationBody {
    id: String,
    class: OrgClass,
    founding: bool,
    from: Option<String>,
    to: Option<String>,
}

impl From<&Organisation> for OrganisationBody {
    fn from(o: &Organisation) -> Self {
        Self {
            id: o.id.as_str().to_owned(),
            class: o.class,
            founding: o.founding,
            from: o.membership.from.map(Timestamp::to_rfc3339_micros),
            to: o.membership.to.map(Timestamp::to_rfc3339_micros),
        }
    }
}

async fn put(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, org)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<OrganisationRequest>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let organisation = Organisation {
        id: id::<OrgId>("organisation", &org)?,
        class: body.class,
        founding: body.founding,
        membership: Membership {
            from: body.from,
            to: body.to,
        },
    };
    let written: Written = commands::registry::put_organisation(&log, organisation)
        .await?
        .into();
    Ok(written.reply())
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(group): ApiPath<String>,
) -> Result<Json<Vec<OrganisationBody>>, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let list = read_registry(&log, |r| r.organisations().map(Into::into).collect()).await?;
    Ok(Json(list))
}

async fn read(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, org)): ApiPath<(String, String)>,
) -> Result<Json<OrganisationBody>, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    read_registry(&log, |r| r.organisation(&org).map(Into::into))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no organisation {org:?} in group {group:?}")))
}
