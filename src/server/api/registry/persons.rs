//! Persons and their keys.
//!
//! - `PUT /v1/groups/{group}/persons/{person}` registers a person (who must
//!   have an account) for one organisation, on or off the membership list
//!   (a `person` entry, a full snapshot); `GET …/persons[/{person}]` reads
//!   the registry facts, with the account's name and e-mail address for
//!   the secretariat only (they never enter the log, SPEC section 3).
//! - `POST …/persons/{person}/keys` adds an Ed25519 verifier key (a `key`
//!   entry; weak keys are refused by the registry's parser),
//!   `DELETE …/keys/{key_id}` revokes one (`key-revoked`), `GET …/keys`
//!   lists them with their times.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{ApiPath, Written, authorise, id, read_registry};
use crate::id::{OrgId, PersonId};
use crate::registry::KeyState;
use crate::registry::organisation::PersonRecord;
use crate::server::AppState;
use crate::server::api::LogReceipt;
use crate::server::auth::{Action, Caller, Roles, allowed};
use crate::server::commands;
use crate::server::error::{ApiError, ApiJson};
use crate::store::accounts::Account;
use crate::time::Timestamp;

/// The person and key routes.
pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/groups/{group}/persons", get(list))
        .route("/v1/groups/{group}/persons/{person}", get(read).put(put))
        .route(
            "/v1/groups/{group}/persons/{person}/keys",
            get(keys).post(add_key),
        )
        .route(
            "/v1/groups/{group}/persons/{person}/keys/{key_id}",
            delete(revoke_key),
        )
}

/// A person as the secretariat registers it; the id is the path's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonRequest {
    /// The one organisation the person represents (Article 6.4).
    organisation: OrgId,
    /// Whether the person is on the membership list (Article 6.2).
    membership_list: bool,
    /// When the person last reconfirmed the subscription, if ever.
    reconfirmed: Option<Timestamp>,
}

/// A person as the API shows it.
#[derive(Serialize)]
struct PersonBody {
    id: String,
    organisation: String,
    membership_list: bool,
    reconfirmed: Option<String>,
    /// From the account; shown to the secretariat only.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// From the account; shown to the secretariat only.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

impl PersonBody {
    fn new(p: &PersonRecord, account: Option<&Account>) -> Self {
        Self {
            id: p.id.as_str().to_owned(),
            organisation: p.organisation.as_str().to_owned(),
            membership_list: p.on_membership_list,
            reconfirmed: p.reconfirmed.map(Timestamp::to_rfc3339_micros),
            name: account.map(|a| a.name.clone()),
            email: account.map(|a| a.email.clone()),
        }
    }
}

/// A key to add: its C2SP verifier-key text, named by the person's id.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyRequest {
    key: String,
}

/// A key as the API shows it.
#[derive(Serialize)]
struct KeyBody {
    /// The signed-note key id, 8 lowercase hex digits.
    id: String,
    /// The verifier key, C2SP encoding.
    key: String,
    added: String,
    revoked: Option<String>,
}

impl From<&KeyState> for KeyBody {
    fn from(k: &KeyState) -> Self {
        Self {
            id: k.key.id().to_string(),
            key: k.key.encode(),
            added: k.added.to_rfc3339_micros(),
            revoked: k.revoked.map(Timestamp::to_rfc3339_micros),
        }
    }
}

async fn put(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, person)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<PersonRequest>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let person = id::<PersonId>("person", &person)?;
    let record = PersonRecord {
        id: person,
        organisation: body.organisation,
        on_membership_list: body.membership_list,
        reconfirmed: body.reconfirmed,
    };
    let written: Written = commands::registry::put_person(&state.store, &log, record)
        .await?
        .into();
    Ok(written.reply())
}

/// The accounts by id, if the caller may see personal data.
async fn accounts_for(
    state: &AppState,
    roles: Roles,
) -> Result<Option<BTreeMap<String, Account>>, ApiError> {
    if !allowed(Action::ReadPersonalData, roles) {
        return Ok(None);
    }
    let accounts = state.store.accounts().await?;
    Ok(Some(
        accounts
            .into_iter()
            .map(|a| (a.person.clone(), a))
            .collect(),
    ))
}

async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(group): ApiPath<String>,
) -> Result<Json<Vec<PersonBody>>, ApiError> {
    let (log, roles) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let accounts = accounts_for(&state, roles).await?;
    let list = read_registry(&log, |r| {
        r.persons()
            .map(|p| {
                let account = accounts.as_ref().and_then(|a| a.get(p.id.as_str()));
                PersonBody::new(p, account)
            })
            .collect()
    })
    .await?;
    Ok(Json(list))
}

async fn read(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, person)): ApiPath<(String, String)>,
) -> Result<Json<PersonBody>, ApiError> {
    let (log, roles) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    let record = read_registry(&log, |r| r.person(&person).cloned())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no person {person:?} in group {group:?}")))?;
    let account = if allowed(Action::ReadPersonalData, roles) {
        state.store.account(&person).await?
    } else {
        None
    };
    Ok(Json(PersonBody::new(&record, account.as_ref())))
}

async fn keys(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, person)): ApiPath<(String, String)>,
) -> Result<Json<Vec<KeyBody>>, ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::ReadGroup).await?;
    read_registry(&log, |r| {
        r.person(&person)
            .map(|_| r.keys_of(&person).iter().map(Into::into).collect())
    })
    .await?
    .map(Json)
    .ok_or_else(|| ApiError::NotFound(format!("no person {person:?} in group {group:?}")))
}

async fn add_key(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, person)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<KeyRequest>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let person = id::<PersonId>("person", &person)?;
    let written = super::keys::register_key(&log, person, &body.key).await?;
    Ok(written.reply())
}

async fn revoke_key(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath((group, person, key_id)): ApiPath<(String, String, String)>,
) -> Result<(StatusCode, Json<LogReceipt>), ApiError> {
    let (log, _) = authorise(&state, &caller, &group, Action::WriteRegistry).await?;
    let person = id::<PersonId>("person", &person)?;
    let written: Written = commands::registry::revoke_key(&log, person, key_id)
        .await?
        .into();
    Ok(written.reply())
}
