//! Creating a group: its log, then the `group` entry.

use crate::registry::Fact;
use crate::registry::group::GroupRecord;
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::sequencer::{Appended, Refused};
use crate::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};
use crate::tlog::{TreeSize, empty_root};

use super::CommandError;

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
