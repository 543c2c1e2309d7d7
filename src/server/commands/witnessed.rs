//! Logging a checkpoint that witnesses cosigned (SPEC section 10): the
//! `cosigned-checkpoint` entry, written after the fact so that the evidence
//! of when the log's entries existed is itself in the tree.

use crate::ballot::CosignedRecord;
use crate::server::Log;
use crate::server::sequencer::{Appended, Refused};

use super::{CommandError, registry_of};

/// Appends `record`, checked on the state at its turn by the fold's own
/// rule (of an earlier tree than the entry, larger than the last one
/// logged). A checkpoint whose newest entry is itself the last
/// `cosigned-checkpoint` is refused (`nothing-new`): logging it would
/// make a new checkpoint to cosign, and so on for ever.
pub async fn record(log: &Log, record: CosignedRecord) -> Result<Appended, CommandError> {
    let group = log.group.clone();
    let appended = log
        .append(move |loaded, time| {
            let registry = registry_of(loaded, &group)?;
            if let Some((_, at)) = loaded.book.last_cosigned()
                && at + 1 >= record.size
            {
                return Err(Refused::conflict(
                    "nothing-new",
                    "the log has changed only by its last cosigned-checkpoint entry since",
                ));
            }
            loaded
                .book
                .check_cosigned(record.size, registry.entries_applied())
                .map_err(|e| Refused::conflict("already-logged", e.to_string()))?;
            Ok(record.to_entry(time))
        })
        .await?;
    Ok(appended)
}
