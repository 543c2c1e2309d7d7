//! Registering a person's key: the one path by which a key enters a
//! group's registry, shared by `POST …/persons/{person}/keys` and the
//! approval of a key request made in the browser
//! (`POST …/key-requests/{id}/approve`, `api/key_requests.rs`), so that
//! the rule is written once.

use super::{Written, append, not_found, refused};
use crate::id::PersonId;
use crate::note::key::{KeyError, VerifierKey};
use crate::registry::{Fact, KeyAdded, Refusal};
use crate::server::Log;
use crate::server::error::ApiError;

/// Appends a `key` entry registering `key` (C2SP verifier-key text) for
/// `person` in `log`'s group. The registry's parser refuses small-order
/// keys, wrong ids and non-canonical encodings (SPEC section 4); the
/// registry's check, run in the sequencer on the state at the command's
/// turn, refuses an unknown person, a key named for someone else and a
/// duplicate.
pub(in crate::server::api) async fn register_key(
    log: &Log,
    person: PersonId,
    key: &str,
) -> Result<Written, ApiError> {
    let key = VerifierKey::parse(key).map_err(|e| {
        ApiError::Refused(refused(&match e {
            KeyError::WeakKey => Refusal::WeakKey,
            other => Refusal::BadKey(other),
        }))
    })?;
    append(log, move |registry, _| {
        if registry.person(person.as_str()).is_none() {
            return Err(not_found(format!(
                "no person {:?} in the group; register the person first",
                person.as_str()
            )));
        }
        Ok((Fact::Key(KeyAdded { person, key }), true))
    })
    .await
}
