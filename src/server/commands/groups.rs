//! Creating a group: its log, then the `group` entry.

use crate::registry::Fact;
use crate::registry::group::{GroupId, GroupRecord, Reminders};
use crate::rules::params::{ParameterOverrides, Parameters, Profile};
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::sequencer::{Appended, Refused};
use crate::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};
use crate::tlog::{TreeSize, empty_root};

use super::CommandError;

/// The record of a new group `id` of `profile` with `overrides` of its
/// parameters, checked, and its log's origin: what `POST /v1/groups` and
/// the accounts page both create. A bad id or parameters is a 400 problem
/// (`invalid-id`, `invalid-parameters`).
pub fn new_group(
    state: &AppState,
    id: &str,
    profile: Profile,
    overrides: &ParameterOverrides,
    appeal_deadline_days: Option<u32>,
) -> Result<(Origin, GroupRecord), ApiError> {
    let id =
        GroupId::new(id).map_err(|e| ApiError::bad_request("invalid-id", format!("id: {e}")))?;
    let parameters = Parameters::with_overrides(profile, overrides)
        .map_err(|e| ApiError::bad_request("invalid-parameters", e.to_string()))?;
    let record = GroupRecord::from_parameters(id.clone(), &parameters, appeal_deadline_days);
    record
        .parameters()
        .map_err(|e| ApiError::bad_request("invalid-parameters", e.to_string()))?;
    Ok((state.origin_of(id.as_str())?, record))
}

/// Sets the reminder offsets of a new group's `record` (`hours` before a
/// ballot's close; `None` keeps the default). Bad offsets are a 400
/// problem (`invalid-parameters`).
pub fn with_reminders(
    mut record: GroupRecord,
    hours: Option<&[u32]>,
) -> Result<GroupRecord, ApiError> {
    if let Some(hours) = hours {
        record.reminders = Reminders::new(hours).map_err(|e| {
            ApiError::bad_request("invalid-parameters", format!("reminder_hours: {e}"))
        })?;
    }
    Ok(record)
}

/// Creates the group `record` names with its log under `origin`.
///
/// The log row comes first, with the signed checkpoint of the empty tree;
/// then the `group` entry through the sequencer. A crash between the two
/// leaves an empty log that a retry completes; a second creation is
/// refused (`group-exists`, 409).
pub async fn create(
    state: &AppState,
    origin: Origin,
    record: GroupRecord,
) -> Result<Appended, CommandError> {
    let group = record.id.as_str().to_owned();
    let empty = Checkpoint::new(origin.clone(), TreeSize::ZERO, empty_root(), Vec::new())
        .and_then(|c| sign_checkpoint(&c, &state.log_key(&origin)))
        .map_err(|e| CommandError::Internal(e.to_string()))?;
    state
        .store
        .create_log(&group, origin.as_str(), &empty)
        .await?;
    let log = state.log(&group).await.map_err(|e| match e {
        ApiError::Unavailable(message) => CommandError::Unavailable(message),
        checking @ ApiError::Checking(_) => CommandError::Unavailable(checking.to_string()),
        other => CommandError::Internal(other.to_string()),
    })?;
    let appended = log
        .append(move |loaded, time| {
            if loaded.registry.is_some() {
                return Err(Refused::conflict(
                    "group-exists",
                    format!("group {:?} already exists", record.id.as_str()),
                ));
            }
            Ok(Fact::Group(record).to_entry(time))
        })
        .await?;
    Ok(appended)
}
