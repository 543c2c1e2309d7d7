//! Registering a person's key, for the API's two paths to it
//! (`POST …/persons/{person}/keys` and the approval of a key request,
//! `api/key_requests.rs`): both reach [`commands::registry::register_key`],
//! where the rule is written once.

use super::Written;
use crate::id::PersonId;
use crate::server::Log;
use crate::server::commands;
use crate::server::error::ApiError;

/// Appends a `key` entry registering `key` (C2SP verifier-key text) for
/// `person` in `log`'s group ([`commands::registry::register_key`]).
pub(in crate::server::api) async fn register_key(
    log: &Log,
    person: PersonId,
    key: &str,
) -> Result<Written, ApiError> {
    Ok(commands::registry::register_key(log, person, key)
        .await?
        .into())
}
